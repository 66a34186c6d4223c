//! What a patient's own active Consents (scope `patient-privacy`) take away from a caller
//! (R24, R25): deny provisions by resource type, by single resource, by actor (professional
//! or organisation), by purpose and by period.
//!
//! A Consent restricts others, not the patient's side: the patient, their guardians and the
//! holders of their powers of attorney are never restricted by it. A provision that names a
//! purpose applies only to requests made for that purpose (a cross-border opt-out does not
//! touch domestic care).

use std::collections::HashSet;

use time::Date;

use crate::fhir::datatypes::{Period, Reference};
use crate::fhir::resources::consent::{CONSENT_SCOPE_SYSTEM, Consent, ConsentProvision};
use crate::fhir::search::date::DateRange;

pub const RESOURCE_TYPES_SYSTEM: &str = "http://hl7.org/fhir/resource-types";
/// A provision may name laboratory results as a category, the way apps and portals speak of
/// them, instead of by their two resource types.
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// The resource types a deny of the laboratory category hides.
const LABORATORY_TYPES: [&str; 2] = ["Observation", "DiagnosticReport"];

/// `observation-category|laboratory` as a provision's class.
pub fn is_laboratory_class(class: &crate::fhir::datatypes::Coding) -> bool {
    class.system.as_deref() == Some(OBSERVATION_CATEGORY)
        && class.code.as_deref() == Some("laboratory")
}

/// Who asks, as far as provisions can name them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Requester<'a> {
    /// A national professional id (HPR-nummer, HSA-id, ...).
    pub professional_id: Option<&'a str>,
    /// The professional's organisation, as the issuer names it (`<id>` or `<system>|<id>`).
    pub organization: Option<&'a str>,
    /// The purposes of use the request is made for (IUA `purpose_of_use` codes).
    pub purposes: &'a [&'a str],
}

/// The data one caller may not see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// Everything is denied.
    pub all: bool,
    /// Resource types denied (`MedicationRequest`, ...).
    pub types: HashSet<String>,
    /// Single resources denied, as `Type/id`.
    pub resources: HashSet<String>,
    /// Sensitivity labels denied (`PSY`, `ETH`): every record of that kind.
    pub labels: HashSet<String>,
}

impl Restrictions {
    pub fn is_empty(&self) -> bool {
        !self.all && self.types.is_empty() && self.resources.is_empty() && self.labels.is_empty()
    }

    /// A dispensation tells what was prescribed: a restriction of prescriptions covers their
    /// dispensations too (not the other way round).
    pub fn hides_type(&self, resource_type: &str) -> bool {
        self.all
            || self.types.contains(resource_type)
            || (resource_type == "MedicationDispense" && self.types.contains("MedicationRequest"))
    }

    pub fn hides(&self, resource_type: &str, id: &str) -> bool {
        self.hides_type(resource_type)
            || self.resources.contains(&format!("{resource_type}/{id}"))
            || (resource_type == "MedicationDispense"
                && crate::mapping::medication_dispense::prescription_id(id)
                    .is_some_and(|rx| self.resources.contains(&format!("MedicationRequest/{rx}"))))
    }

    /// Whether `resource` is hidden: by its type, as itself, or by its sensitivity.
    pub fn hides_resource<R: crate::fhir::DomainResource>(&self, resource: &R) -> bool {
        self.hides(R::TYPE.as_str(), resource.id())
            || (!self.labels.is_empty()
                && resource
                    .sensitivity()
                    .iter()
                    .any(|label| self.labels.contains(*label)))
    }
}

/// The restrictions the patient's active `patient-privacy` Consents put on this requester today.
pub fn restrictions(consents: &[Consent], requester: &Requester<'_>, today: Date) -> Restrictions {
    let mut out = Restrictions::default();
    for consent in consents
        .iter()
        .filter(|c| c.status == "active" && is_privacy(c))
    {
        let Some(provision) = consent.provision.as_deref() else {
            continue;
        };
        if provision.type_.as_deref() == Some("deny") {
            apply(provision, requester, today, &mut out);
        } else {
            // A permit with deny exceptions: the exceptions are the restrictions.
            for nested in provision
                .provision
                .iter()
                .filter(|p| p.type_.as_deref() == Some("deny"))
            {
                apply(nested, requester, today, &mut out);
            }
        }
    }
    out
}

pub(crate) fn is_privacy(consent: &Consent) -> bool {
    consent.scope.coding.iter().any(|c| {
        c.system.as_deref() == Some(CONSENT_SCOPE_SYSTEM)
            && c.code.as_deref() == Some("patient-privacy")
    })
}

fn apply(rule: &ConsentProvision, requester: &Requester<'_>, today: Date, out: &mut Restrictions) {
    if !in_period(rule.period.as_ref(), today)
        || !names_requester(rule, requester)
        || !for_purpose(rule, requester)
    {
        return;
    }
    let mut types: Vec<&str> = rule
        .class
        .iter()
        .filter(|c| c.system.as_deref() == Some(RESOURCE_TYPES_SYSTEM))
        .filter_map(|c| c.code.as_deref())
        .collect();
    if rule.class.iter().any(is_laboratory_class) {
        types.extend(LABORATORY_TYPES);
    }
    let resources: Vec<&str> = rule
        .data
        .iter()
        .filter_map(|d| d.reference.reference.as_deref())
        .collect();
    let labels: Vec<&str> = rule
        .security_label
        .iter()
        .filter(|l| l.system.as_deref() == Some(super::sensitivity::ACT_CODE))
        .filter_map(|l| l.code.as_deref())
        .collect();
    if types.is_empty() && resources.is_empty() && labels.is_empty() {
        out.all = true;
    }
    out.labels.extend(labels.into_iter().map(str::to_owned));
    out.types.extend(types.into_iter().map(str::to_owned));
    out.resources
        .extend(resources.into_iter().map(str::to_owned));
}

pub(crate) fn in_period(period: Option<&Period>, today: Date) -> bool {
    let Some(period) = period else {
        return true;
    };
    let day = DateRange::day(today);
    let started = period
        .start
        .as_deref()
        .and_then(DateRange::parse)
        .is_none_or(|start| start.low < day.high);
    let not_ended = period
        .end
        .as_deref()
        .and_then(DateRange::parse)
        .is_none_or(|end| end.high > day.low);
    started && not_ended
}

/// A rule without actors applies to everyone outside the patient's side; one with actors to
/// those it names, by `Practitioner/<id>` or by identifier.
fn names_requester(rule: &ConsentProvision, requester: &Requester<'_>) -> bool {
    rule.actor.is_empty()
        || rule.actor.iter().any(|a| {
            requester
                .professional_id
                .is_some_and(|id| names(&a.reference, "Practitioner/", id))
                || requester
                    .organization
                    .is_some_and(|org| names(&a.reference, "Organization/", org))
        })
}

/// Whether `reference` names `id`: as `<prefix><id>`, or by an identifier whose value (or
/// `system|value`) is `id`. `id` may itself be `system|value` (an organisation claim).
fn names(reference: &Reference, prefix: &str, id: &str) -> bool {
    let bare = id.rsplit_once('|').map_or(id, |(_, value)| value);
    reference
        .reference
        .as_deref()
        .and_then(|r| r.strip_prefix(prefix))
        .is_some_and(|r| r == bare)
        || reference.identifier.as_ref().is_some_and(|i| {
            let value = i.value.as_deref().unwrap_or_default();
            match (i.system.as_deref(), id.split_once('|')) {
                (Some(system), Some((id_system, id_value))) => {
                    system == id_system && value == id_value
                }
                _ => !value.is_empty() && value == bare,
            }
        })
}

fn for_purpose(rule: &ConsentProvision, requester: &Requester<'_>) -> bool {
    rule.purpose.is_empty()
        || rule
            .purpose
            .iter()
            .filter_map(|p| p.code.as_deref())
            .any(|code| requester.purposes.contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn consent(status: &str, scope: &str, provision: serde_json::Value) -> Consent {
        serde_json::from_value(json!({
            "status": status,
            "scope": {"coding": [{"system": CONSENT_SCOPE_SYSTEM, "code": scope}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": {"reference": "Patient/no.p-no-014"},
            "provision": provision
        }))
        .unwrap()
    }

    fn deny(extra: serde_json::Value) -> serde_json::Value {
        let mut p = json!({"type": "deny"});
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    }

    const DOCTOR: Requester<'static> = Requester {
        professional_id: Some("9171348"),
        organization: None,
        purposes: &[],
    };
    const OTHER: Requester<'static> = Requester {
        professional_id: Some("1234567"),
        organization: None,
        purposes: &[],
    };

    #[test]
    fn the_table_of_provisions() {
        let by_type = deny(
            json!({"class": [{"system": RESOURCE_TYPES_SYSTEM, "code": "MedicationRequest"}]}),
        );
        let by_resource = deny(
            json!({"data": [{"meaning": "instance", "reference": {"reference": "Condition/no.p-no-014.cd-no-001"}}]}),
        );
        let by_actor = deny(
            json!({"actor": [{"role": {"text": "restricted"}, "reference": {"reference": "Practitioner/9171348"}}]}),
        );
        let by_identifier = deny(
            json!({"actor": [{"role": {"text": "restricted"}, "reference": {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.4", "value": "9171348"}}}]}),
        );
        let by_purpose = deny(
            json!({"purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HRESCH"}]}),
        );
        let laboratory =
            deny(json!({"class": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]}));
        let past = deny(json!({"period": {"start": "2020-01-01", "end": "2025-12-31"}}));
        let current = deny(json!({"period": {"start": "2026-11-23"}}));
        let nested = json!({"type": "permit", "provision": [by_type.clone()]});
        let cases = [
            (
                "by type",
                by_type.clone(),
                DOCTOR,
                false,
                vec!["MedicationRequest"],
                0,
            ),
            ("by resource", by_resource, DOCTOR, false, vec![], 1),
            (
                "the laboratory category",
                laboratory,
                DOCTOR,
                false,
                vec!["DiagnosticReport", "Observation"],
                0,
            ),
            ("by actor, named", by_actor.clone(), DOCTOR, true, vec![], 0),
            ("by actor, someone else", by_actor, OTHER, false, vec![], 0),
            (
                "by actor identifier",
                by_identifier,
                DOCTOR,
                true,
                vec![],
                0,
            ),
            (
                "by purpose, other purpose",
                by_purpose,
                DOCTOR,
                false,
                vec![],
                0,
            ),
            ("ended period", past, DOCTOR, false, vec![], 0),
            ("period starting today", current, DOCTOR, true, vec![], 0),
            (
                "deny inside a permit",
                nested,
                DOCTOR,
                false,
                vec!["MedicationRequest"],
                0,
            ),
        ];
        for (name, provision, requester, all, types, resources) in cases {
            let r = restrictions(
                &[consent("active", "patient-privacy", provision)],
                &requester,
                TODAY,
            );
            assert_eq!(r.all, all, "{name}");
            let mut got: Vec<&str> = r.types.iter().map(String::as_str).collect();
            got.sort();
            assert_eq!(got, types, "{name}");
            assert_eq!(r.resources.len(), resources, "{name}");
        }
    }

    #[test]
    fn only_active_privacy_consents_count_and_purposes_match() {
        let everything = deny(json!({}));
        for (status, scope) in [
            ("inactive", "patient-privacy"),
            ("draft", "patient-privacy"),
            ("active", "research"),
        ] {
            let r = restrictions(
                &[consent(status, scope, everything.clone())],
                &DOCTOR,
                TODAY,
            );
            assert!(r.is_empty(), "{status} {scope}");
        }
        let research = deny(json!({"purpose": [{"code": "HRESCH"}]}));
        let researcher = Requester {
            organization: None,
            professional_id: None,
            purposes: &["HRESCH"],
        };
        assert!(
            restrictions(
                &[consent("active", "patient-privacy", research)],
                &researcher,
                TODAY
            )
            .all
        );
    }

    #[test]
    fn hides_answers_by_type_and_by_instance() {
        let r = Restrictions {
            all: false,
            types: ["Immunization".to_owned()].into(),
            resources: ["Condition/x.1".to_owned()].into(),
            labels: Default::default(),
        };
        assert!(r.hides("Immunization", "any"));
        assert!(r.hides("Condition", "x.1"));
        assert!(!r.hides("Condition", "x.2"));
        assert!(!r.hides_type("Condition"));
    }

    #[test]
    fn restricting_prescriptions_restricts_their_dispensations() {
        let by_type = Restrictions {
            types: ["MedicationRequest".to_owned()].into(),
            ..Default::default()
        };
        assert!(by_type.hides_type("MedicationDispense"));
        let dispensations_only = Restrictions {
            types: ["MedicationDispense".to_owned()].into(),
            ..Default::default()
        };
        assert!(!dispensations_only.hides_type("MedicationRequest"));
        let one = Restrictions {
            resources: ["MedicationRequest/no.p-1.rx-1".to_owned()].into(),
            ..Default::default()
        };
        assert!(one.hides("MedicationDispense", "no.p-1.rx-1-d2"));
        assert!(!one.hides("MedicationDispense", "no.p-1.rx-2-d1"));
        assert!(!one.hides_type("MedicationDispense"));
    }
}
