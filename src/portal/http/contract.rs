//! The upstream contract, version 1 (`docs/portal-upstream-contract.md`,
//! `conformance/portal-upstream-v1.openapi.json`): its paths, the envelopes around the
//! records, and the checks an answer must pass before anything of it is used.
//!
//! The records are the JSON of `portal::model`, whose types refuse unknown fields: an
//! upstream that adds a field (a new restriction flag, say) gets its answers refused rather
//! than silently half-understood. Beyond the shape, an answer must be consistent with the
//! question: the person asked for is the person returned, every record belongs to them,
//! the national identifier is of the upstream's country, keys are well-formed and unique.
//! Anything else is malformed data, and nothing of that answer is mapped.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::national_id::{Country, NationalId};
use crate::portal::model::{
    Allergy, ConditionRecord, LabReport, Person, PowerOfAttorney, Prescription, Vaccination,
};
use crate::portal::{PersonRecords, is_valid_key};

/// Why an answer was refused; for the log, so it names no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

pub const PERSONS: &str = "/v1/persons";
pub const LOOKUP: &str = "/v1/persons/_lookup";
pub const HEALTH: &str = "/v1/health";

/// Callers check `is_valid_key` first, so the key needs no escaping.
pub fn person_path(key: &str) -> String {
    format!("{PERSONS}/{key}")
}

pub fn records_path(key: &str) -> String {
    format!("{PERSONS}/{key}/records")
}

pub fn powers_of_attorney_path(key: &str) -> String {
    format!("{PERSONS}/{key}/powers-of-attorney")
}

/// The body of `POST /v1/persons/_lookup`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    pub national_id: NationalId,
}

/// `GET /v1/persons`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonList {
    persons: Vec<Person>,
}

/// `GET /v1/persons/{key}/records`. Every list is required: a missing one would read as
/// "none", which is not the same as "not sent".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordsAnswer {
    person: String,
    prescriptions: Vec<Prescription>,
    vaccinations: Vec<Vaccination>,
    allergies: Vec<Allergy>,
    conditions: Vec<ConditionRecord>,
    /// Added in v1.1. An upstream of v1 sends none: its portal has no results service.
    #[serde(default)]
    lab_reports: Vec<LabReport>,
}

/// `GET /v1/persons/{key}/powers-of-attorney`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PowersAnswer {
    powers_of_attorney: Vec<PowerOfAttorney>,
}

/// `GET /v1/health`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthAnswer {
    status: String,
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Invalid> {
    // The serde error is not kept: its text can quote the data.
    serde_json::from_slice(body).map_err(|_| Invalid("the answer does not follow the contract"))
}

/// A person of `country`, checked on its own.
fn checked_person(country: Country, person: Person) -> Result<Person, Invalid> {
    if !is_valid_key(&person.key) {
        return Err(Invalid("a person key is malformed"));
    }
    if person.national_id.country() != country {
        return Err(Invalid("a national identifier is of another country"));
    }
    if !person.guardians.iter().all(|g| is_valid_key(g)) {
        return Err(Invalid("a guardian key is malformed"));
    }
    if person.portal_consent.is_some() && country != Country::No {
        return Err(Invalid("a portal consent level outside Norway"));
    }
    Ok(person)
}

/// The answer to `GET /v1/persons/{asked}`.
pub fn person(country: Country, asked: &str, body: &[u8]) -> Result<Person, Invalid> {
    let person = checked_person(country, parse(body)?)?;
    if person.key != asked {
        return Err(Invalid("the person returned is not the one asked for"));
    }
    Ok(person)
}

/// The answer to a lookup of `asked`.
pub fn looked_up(country: Country, asked: &NationalId, body: &[u8]) -> Result<Person, Invalid> {
    let person = checked_person(country, parse(body)?)?;
    if person.national_id != *asked {
        return Err(Invalid("the person returned is not the one asked for"));
    }
    Ok(person)
}

pub fn persons(country: Country, body: &[u8]) -> Result<Vec<Arc<Person>>, Invalid> {
    let list: PersonList = parse(body)?;
    let mut keys = HashSet::new();
    let mut ids = HashSet::new();
    let mut out = Vec::with_capacity(list.persons.len());
    for person in list.persons {
        let person = checked_person(country, person)?;
        if !keys.insert(person.key.clone()) || !ids.insert(person.national_id.clone()) {
            return Err(Invalid("a person is listed twice"));
        }
        out.push(Arc::new(person));
    }
    Ok(out)
}

pub fn records(asked: &str, body: &[u8]) -> Result<PersonRecords, Invalid> {
    let answer: RecordsAnswer = parse(body)?;
    if answer.person != asked {
        return Err(Invalid(
            "the records returned are not of the person asked for",
        ));
    }
    let mut keys = HashSet::new();
    let mut check = |key: &str, person: &str| {
        if person != asked {
            return Err(Invalid("a record belongs to another person"));
        }
        if !is_valid_key(key) {
            return Err(Invalid("a record key is malformed"));
        }
        if !keys.insert(key.to_owned()) {
            return Err(Invalid("a record key is used twice"));
        }
        Ok(())
    };
    for r in &answer.prescriptions {
        check(&r.key, &r.person)?;
        // A dispensation's id is made from its prescription's key; no record may have it.
        for i in 0..r.dispensations.len() {
            check(
                &crate::mapping::medication_dispense::dispensation_key(&r.key, i),
                &r.person,
            )?;
        }
    }
    for r in &answer.vaccinations {
        check(&r.key, &r.person)?;
    }
    for r in &answer.allergies {
        check(&r.key, &r.person)?;
    }
    for r in &answer.conditions {
        check(&r.key, &r.person)?;
    }
    for r in &answer.lab_reports {
        check(&r.key, &r.person)?;
        for result in crate::mapping::laboratory::all_results(r) {
            check(&result.key, &r.person)?;
        }
    }
    Ok(PersonRecords {
        prescriptions: answer.prescriptions,
        vaccinations: answer.vaccinations,
        allergies: answer.allergies,
        conditions: answer.conditions,
        lab_reports: answer.lab_reports,
    })
}

pub fn powers_of_attorney(asked: &str, body: &[u8]) -> Result<Vec<PowerOfAttorney>, Invalid> {
    let answer: PowersAnswer = parse(body)?;
    let mut keys = HashSet::new();
    for p in &answer.powers_of_attorney {
        if p.grantor != asked && p.holder != asked {
            return Err(Invalid(
                "a power of attorney does not concern the person asked for",
            ));
        }
        if ![&p.key, &p.grantor, &p.holder]
            .iter()
            .all(|k| is_valid_key(k))
        {
            return Err(Invalid("a power of attorney key is malformed"));
        }
        if !keys.insert(p.key.clone()) {
            return Err(Invalid("a power of attorney is listed twice"));
        }
    }
    Ok(answer.powers_of_attorney)
}

pub fn health(body: &[u8]) -> Result<(), Invalid> {
    let answer: HealthAnswer = parse(body)?;
    if answer.status == "ok" {
        Ok(())
    } else {
        Err(Invalid("the upstream reports that it is not ok"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::PortalSource;
    use crate::portal::embedded::EmbeddedSource;

    fn norway() -> EmbeddedSource {
        EmbeddedSource::load_all().unwrap().remove(0)
    }

    fn json(value: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    async fn person_json(key: &str) -> serde_json::Value {
        let person = norway().person(key).await.unwrap().unwrap();
        serde_json::to_value(&*person).unwrap()
    }

    #[tokio::test]
    async fn a_person_must_be_the_one_asked_for_and_of_the_country() {
        let body = json(person_json("p-no-001").await);
        let person = person(Country::No, "p-no-001", &body).unwrap();
        assert_eq!(person.key, "p-no-001");
        assert!(super::person(Country::No, "p-no-002", &body).is_err());
        assert!(super::person(Country::Se, "p-no-001", &body).is_err());
        assert!(looked_up(Country::No, &person.national_id, &body).is_ok());
        let other = norway().person("p-no-002").await.unwrap().unwrap();
        assert!(looked_up(Country::No, &other.national_id, &body).is_err());
    }

    #[tokio::test]
    async fn unknown_fields_and_bad_keys_are_malformed() {
        let mut value = person_json("p-no-001").await;
        value["favourite_colour"] = "blue".into();
        assert!(person(Country::No, "p-no-001", &json(value)).is_err());
        let mut value = person_json("p-no-001").await;
        value["key"] = "p.no/001".into();
        assert!(person(Country::No, "p.no/001", &json(value)).is_err());
        assert!(person(Country::No, "p-no-001", b"<html>").is_err());
    }

    #[tokio::test]
    async fn records_must_all_belong_to_the_person() {
        let source = norway();
        let records = source.records("p-no-008").await.unwrap();
        let answer = |person: &str, prescriptions: &serde_json::Value| {
            json(serde_json::json!({
                "person": person,
                "prescriptions": prescriptions,
                "vaccinations": records.vaccinations,
                "allergies": records.allergies,
                "conditions": records.conditions,
            }))
        };
        let prescriptions = serde_json::to_value(&records.prescriptions).unwrap();
        let parsed = super::records("p-no-008", &answer("p-no-008", &prescriptions)).unwrap();
        assert_eq!(parsed.prescriptions.len(), records.prescriptions.len());
        assert!(super::records("p-no-001", &answer("p-no-001", &prescriptions)).is_err());
        let mut foreign = prescriptions.clone();
        foreign[0]["person"] = "p-no-001".into();
        assert!(super::records("p-no-008", &answer("p-no-008", &foreign)).is_err());
        let mut twice = prescriptions.clone();
        twice[1]["key"] = twice[0]["key"].clone();
        assert!(super::records("p-no-008", &answer("p-no-008", &twice)).is_err());
        let missing = json(serde_json::json!({"person": "p-no-008", "prescriptions": []}));
        assert!(
            super::records("p-no-008", &missing).is_err(),
            "every list is required"
        );
    }

    #[tokio::test]
    async fn laboratory_reports_are_optional_and_checked_like_every_record() {
        let source = norway();
        let records = source.records("p-no-008").await.unwrap();
        assert!(!records.lab_reports.is_empty(), "p-no-008 has results");
        let answer = |lab_reports: Option<serde_json::Value>| {
            let mut body = serde_json::json!({
                "person": "p-no-008",
                "prescriptions": records.prescriptions,
                "vaccinations": records.vaccinations,
                "allergies": records.allergies,
                "conditions": records.conditions,
            });
            if let Some(reports) = lab_reports {
                body["lab_reports"] = reports;
            }
            json(body)
        };
        // An upstream of 1.0 sends no results: a portal without a results service.
        let v1_0 = super::records("p-no-008", &answer(None)).unwrap();
        assert!(v1_0.lab_reports.is_empty());
        let reports = serde_json::to_value(&records.lab_reports).unwrap();
        let v1_1 = super::records("p-no-008", &answer(Some(reports.clone()))).unwrap();
        assert_eq!(v1_1.lab_reports.len(), records.lab_reports.len());
        // A result's key is a record key: not twice, not a report's, well-formed.
        let mut twice = reports.clone();
        twice[0]["results"][1]["key"] = twice[0]["results"][0]["key"].clone();
        assert!(super::records("p-no-008", &answer(Some(twice))).is_err());
        let mut clash = reports.clone();
        clash[0]["results"][0]["key"] = clash[0]["key"].clone();
        assert!(super::records("p-no-008", &answer(Some(clash))).is_err());
        let mut malformed = reports.clone();
        malformed[0]["results"][0]["key"] = "a/b".into();
        assert!(super::records("p-no-008", &answer(Some(malformed))).is_err());
        let mut foreign = reports.clone();
        foreign[0]["person"] = "p-no-001".into();
        assert!(super::records("p-no-008", &answer(Some(foreign))).is_err());
        let mut unknown = reports.clone();
        unknown[0]["results"][0]["value"]["kind"] = "ratio".into();
        assert!(super::records("p-no-008", &answer(Some(unknown))).is_err());
    }

    #[tokio::test]
    async fn no_record_may_take_the_key_of_a_dispensation() {
        let source = norway();
        let records = source.records("p-no-008").await.unwrap();
        let dispensed = records
            .prescriptions
            .iter()
            .find(|rx| !rx.dispensations.is_empty())
            .expect("a dispensed prescription");
        let mut vaccinations = serde_json::to_value(&records.vaccinations).unwrap();
        assert!(!vaccinations.as_array().unwrap().is_empty());
        vaccinations[0]["key"] =
            crate::mapping::medication_dispense::dispensation_key(&dispensed.key, 0).into();
        let body = json(serde_json::json!({
            "person": "p-no-008",
            "prescriptions": records.prescriptions,
            "vaccinations": vaccinations,
            "allergies": records.allergies,
            "conditions": records.conditions,
        }));
        assert!(super::records("p-no-008", &body).is_err());
    }

    #[tokio::test]
    async fn listings_and_powers_of_attorney_are_checked() {
        let source = norway();
        let all: Vec<_> = source.persons().await.unwrap();
        let list = serde_json::json!({ "persons": all.iter().map(|p| &**p).collect::<Vec<_>>() });
        assert_eq!(
            persons(Country::No, &json(list.clone())).unwrap().len(),
            all.len()
        );
        let mut doubled = list.clone();
        doubled["persons"]
            .as_array_mut()
            .unwrap()
            .push(list["persons"][0].clone());
        assert!(persons(Country::No, &json(doubled)).is_err());

        let poa = source.powers_of_attorney("p-no-012").await.unwrap();
        assert!(
            !poa.is_empty(),
            "the data set has a power of attorney for p-no-012"
        );
        let body = json(serde_json::json!({ "powers_of_attorney": poa }));
        assert_eq!(
            powers_of_attorney("p-no-012", &body).unwrap().len(),
            poa.len()
        );
        assert!(powers_of_attorney("p-no-001", &body).is_err());
        assert!(health(br#"{"status":"ok"}"#).is_ok());
        assert!(health(br#"{"status":"degraded"}"#).is_err());
    }
}
