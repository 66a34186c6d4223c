//! The columns a Consent is found by, derived from the resource itself so that they cannot
//! disagree with the JSON stored beside them.

use time::OffsetDateTime;
use time::macros::format_description;

use crate::fhir::resources::Consent;
use crate::fhir::search::date::DateRange;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct ConsentIndex {
    pub patient_id: String,
    pub status: String,
    pub scope_system: Option<String>,
    pub scope_code: Option<String>,
    /// `(system, code)`; a coding without a system has `""`.
    pub categories: Vec<(String, String)>,
    pub date: Option<DateRange>,
}

impl ConsentIndex {
    pub fn of(consent: &Consent) -> Result<ConsentIndex, StoreError> {
        let patient_id = consent
            .patient
            .as_ref()
            .and_then(|p| p.reference.as_deref())
            .and_then(|r| r.strip_prefix("Patient/"))
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .ok_or_else(|| {
                StoreError::Invalid("a Consent is stored with patient: Patient/<id>".into())
            })?
            .to_owned();
        if consent.status.is_empty() {
            return Err(StoreError::Invalid("a Consent needs a status".into()));
        }
        let scope = consent.scope.coding.iter().find(|c| c.code.is_some());
        let mut categories: Vec<(String, String)> = consent
            .category
            .iter()
            .flat_map(|cc| cc.coding.iter())
            .filter_map(|c| {
                Some((
                    c.system.clone().unwrap_or_default(),
                    c.code.clone().filter(|code| !code.is_empty())?,
                ))
            })
            .collect();
        categories.sort();
        categories.dedup();
        let date = match consent.date_time.as_deref() {
            Some(text) => Some(DateRange::parse(text).ok_or_else(|| {
                StoreError::Invalid("Consent.dateTime is not a valid dateTime".into())
            })?),
            None => None,
        };
        Ok(ConsentIndex {
            patient_id,
            status: consent.status.clone(),
            scope_system: scope.and_then(|c| c.system.clone()),
            scope_code: scope.and_then(|c| c.code.clone()),
            categories,
            date,
        })
    }
}

/// Now, to the millisecond: the precision kept in `last_updated_ms` and `meta.lastUpdated`.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `meta.lastUpdated` of a stored version: an R4 instant with milliseconds, in UTC.
pub fn instant_text(ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::datatypes::{CodeableConcept, Reference};

    fn consent() -> Consent {
        serde_json::from_value(serde_json::json!({
            "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
            "category": [
                {"coding": [{"system": "http://loinc.org", "code": "59284-0"}]},
                {"coding": [{"code": "local"}, {"system": "http://loinc.org", "code": "59284-0"}]}
            ],
            "patient": {"reference": "Patient/no.p-no-008"},
            "dateTime": "2025-03-01"
        }))
        .unwrap()
    }

    #[test]
    fn the_index_comes_from_the_resource() {
        let index = ConsentIndex::of(&consent()).unwrap();
        assert_eq!(index.patient_id, "no.p-no-008");
        assert_eq!(index.scope_code.as_deref(), Some("patient-privacy"));
        assert_eq!(
            index.categories,
            [
                ("".to_owned(), "local".to_owned()),
                ("http://loinc.org".to_owned(), "59284-0".to_owned())
            ]
        );
        let day = index.date.unwrap();
        assert_eq!(day.high - day.low, 86_400_000);
    }

    #[test]
    fn a_consent_without_a_local_patient_or_with_a_bad_date_is_refused() {
        let mut c = consent();
        c.patient = Some(Reference::to("Group", "g1"));
        assert!(matches!(ConsentIndex::of(&c), Err(StoreError::Invalid(_))));
        c.patient = None;
        assert!(matches!(ConsentIndex::of(&c), Err(StoreError::Invalid(_))));
        let mut c = consent();
        c.date_time = Some("yesterday".into());
        assert!(matches!(ConsentIndex::of(&c), Err(StoreError::Invalid(_))));
        let mut c = consent();
        c.scope = CodeableConcept::text("privacy");
        assert_eq!(ConsentIndex::of(&c).unwrap().scope_code, None);
    }

    #[test]
    fn instants_keep_milliseconds() {
        assert_eq!(instant_text(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(instant_text(0), "1970-01-01T00:00:00.000Z");
    }
}
