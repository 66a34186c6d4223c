//! `read` of each resource type, for each country's data, with versioning headers.

use serde_json::Value;

use crate::support::app::{matches, patient_token, spawn_app, user_token};
use crate::support::data;

const TYPES: [&str; 4] = [
    "MedicationRequest",
    "Immunization",
    "AllergyIntolerance",
    "Condition",
];

#[actix_web::test]
async fn every_type_reads_for_every_country() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    for (patient, system, value) in data::ADULTS {
        let resource = app.fhir_ok(&format!("/Patient/{patient}"), &token).await;
        assert_eq!(resource["id"], patient);
        assert_eq!(resource["identifier"][0]["system"], system);
        assert_eq!(resource["identifier"][0]["value"], value);
        assert!(resource["birthDate"].is_string());
        assert!(resource["name"][0]["family"].is_string());
        let mut read = 0;
        for type_name in TYPES {
            let bundle = app
                .fhir_ok(&format!("/{type_name}?patient={patient}&_count=2"), &token)
                .await;
            for found in matches(&bundle) {
                let id = found["id"].as_str().unwrap();
                let resource = app.fhir_ok(&format!("/{type_name}/{id}"), &token).await;
                assert_eq!(resource, found, "a read returns what the search returned");
                read += 1;
            }
        }
        assert!(read >= 2, "{patient}: only {read} records read");
    }
}

#[actix_web::test]
async fn reads_carry_etag_and_last_modified_and_honour_conditional_requests() {
    let app = spawn_app().await;
    let token = patient_token(data::NO_ADULT, "patient/*.rs");
    let path = format!("/Patient/{}", data::NO_ADULT);
    let response = app.get(&path, Some(&token)).await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = response.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        etag,
        format!("W/\"{}\"", body["meta"]["versionId"].as_str().unwrap())
    );
    assert!(last_modified.ends_with("GMT"));

    for (header, value, expected) in [
        ("If-None-Match", etag.clone(), 304),
        (
            "If-None-Match",
            etag.trim_start_matches("W/").to_owned(),
            304,
        ),
        ("If-None-Match", "*".to_owned(), 304),
        ("If-None-Match", "W/\"0\"".to_owned(), 200),
        ("If-Modified-Since", last_modified.clone(), 304),
        (
            "If-Modified-Since",
            "Mon, 01 Jan 2001 00:00:00 GMT".to_owned(),
            200,
        ),
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(&token)
            .header(header, &value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected, "{header}: {value}");
        if expected == 304 {
            assert_eq!(response.headers()["etag"].to_str().unwrap(), etag);
            assert!(response.bytes().await.unwrap().is_empty());
        }
    }
}

#[actix_web::test]
async fn unknown_and_malformed_ids_are_404() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    app.assert_each_refused(
        [
            "/Patient/no.p-no-999",
            "/Patient/xx.p-no-001",
            "/Patient/no.p-no-001.rx-no-0001",
            "/MedicationRequest/no.p-no-001",
            "/MedicationRequest/no.p-no-001.rx-no-9999",
            "/Immunization/no.p-no-001.rx-no-0001",
            "/Condition/not-an-id",
            "/AllergyIntolerance/se.p-no-001.al-no-001",
        ],
        &token,
        404,
        "not-found",
    )
    .await;
}

#[actix_web::test]
async fn prescriptions_carry_what_r16_asks() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    for (patient, _, _) in data::ADULTS
        .iter()
        .copied()
        .chain([(data::NO_POLYPHARMACY, "", "")])
    {
        let bundle = app
            .fhir_ok(&format!("/MedicationRequest?patient={patient}"), &token)
            .await;
        let found = matches(&bundle);
        assert!(!found.is_empty(), "{patient} has prescriptions");
        for rx in found {
            assert!(rx["authoredOn"].is_string());
            assert!(rx["requester"]["identifier"]["value"].is_string());
            assert!(rx["requester"]["display"].is_string());
            assert!(rx["dosageInstruction"][0]["text"].is_string());
            assert!(rx["status"].is_string());
            let codings = rx["medicationCodeableConcept"]["coding"]
                .as_array()
                .unwrap();
            assert_eq!(codings[0]["system"], "http://www.whocc.no/atc");
            let atc = codings[0]["code"].as_str().unwrap();
            // Level 5 (C09AA05), or level 4 for combination products (A12AX).
            assert!(atc.len() == 5 || atc.len() == 7, "{atc}");
            assert!(
                codings[1]["system"].as_str().unwrap() != "http://www.whocc.no/atc",
                "national product code"
            );
            assert!(codings[1]["code"].is_string());
            assert_eq!(rx["subject"]["reference"], format!("Patient/{patient}"));
        }
    }
}

#[actix_web::test]
async fn vaccinations_carry_atc_and_the_national_code_r17() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let mut national_systems = std::collections::BTreeSet::new();
    for patient in data::VACCINATED_CHILDREN {
        let bundle = app
            .fhir_ok(&format!("/Immunization?patient={patient}"), &token)
            .await;
        assert!(!matches(&bundle).is_empty(), "{patient}");
        for vx in matches(&bundle) {
            let codings = vx["vaccineCode"]["coding"].as_array().unwrap();
            assert_eq!(codings[0]["system"], "http://www.whocc.no/atc");
            assert!(codings[0]["code"].as_str().unwrap().starts_with("J07"));
            if let Some(national) = codings.get(1) {
                national_systems.insert(national["system"].as_str().unwrap().to_owned());
            }
            assert!(vx["occurrenceDateTime"].is_string());
            assert_eq!(vx["patient"]["reference"], format!("Patient/{patient}"));
        }
    }
    assert_eq!(
        national_systems.len(),
        4,
        "national vaccine codes of several countries: {national_systems:?}"
    );
}
