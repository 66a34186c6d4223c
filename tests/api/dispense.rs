//! Dispensations as `MedicationDispense` (HL7 Europe MPD), and prescriptions claiming the MPD
//! MedicationRequest profile: read and search (`patient`, `prescription`, `whenhandedover`,
//! `status`, `code`, `_include`), in `$everything`, and under the restrictions of their
//! prescriptions. Every body is validated against R4 and the profiles it claims.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{
    TestApp, assert_outcome, ids, matches, patient_token, professional_token, read_fhir, spawn_app,
    user_token,
};
use crate::support::data;

const MPD_DISPENSE: &str = "http://hl7.eu/fhir/mpd/StructureDefinition/MedicationDispense-eu-mpd";
const MPD_REQUEST: &str = "http://hl7.eu/fhir/mpd/StructureDefinition/MedicationRequest-eu-mpd";
const RECORDED: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationDispense.recorded";

async fn dispenses(app: &TestApp, patient: &str, query: &str, token: &str) -> Vec<Value> {
    let bundle = app
        .fhir_ok(
            &format!("/MedicationDispense?patient={patient}&_count=500{query}"),
            token,
        )
        .await;
    matches(&bundle)
}

fn prescription_of(dispense: &Value) -> String {
    dispense["authorizingPrescription"][0]["reference"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn id_set(resources: &[Value]) -> BTreeSet<String> {
    resources
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn every_country_s_dispensations_are_readable_and_point_to_their_prescription() {
    let app = spawn_app().await;
    for patient in [
        data::NO_POLYPHARMACY,
        data::SE_ADULT,
        "dk.p-dk-011",
        data::FI_ADULT,
    ] {
        let token = patient_token(patient, "patient/*.rs");
        let found = dispenses(&app, patient, "", &token).await;
        assert!(!found.is_empty(), "{patient} has dispensations");
        for dispense in &found {
            let id = dispense["id"].as_str().unwrap();
            assert_eq!(
                &app.fhir_ok(&format!("/MedicationDispense/{id}"), &token)
                    .await,
                dispense,
                "a read returns what the search returned"
            );
            assert_eq!(dispense["meta"]["profile"], json!([MPD_DISPENSE]));
            assert_eq!(dispense["status"], "completed");
            assert_eq!(dispense["extension"][0]["url"], RECORDED);
            assert!(
                dispense["quantity"]["value"]
                    .as_f64()
                    .is_some_and(|v| v > 0.0)
            );
            assert!(dispense["performer"][0]["actor"]["display"].is_string());
            let prescription = app
                .fhir_ok(&format!("/{}", prescription_of(dispense)), &token)
                .await;
            assert_eq!(
                prescription["medicationCodeableConcept"],
                dispense["medicationCodeableConcept"]
            );
            assert_eq!(prescription["subject"], dispense["subject"]);
            let profiles = prescription["meta"]["profile"].as_array().unwrap();
            assert!(profiles.iter().any(|p| p == MPD_REQUEST), "{profiles:?}");
        }
    }
}

#[actix_web::test]
async fn dispensation_search_parameters_have_r4_semantics() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let patient = data::NO_POLYPHARMACY;
    let all = dispenses(&app, patient, "", &token).await;
    assert!(all.len() >= 10, "{} dispensations", all.len());
    // Newest handed over first.
    let days: Vec<&str> = all
        .iter()
        .map(|d| d["whenHandedOver"].as_str().unwrap())
        .collect();
    let mut sorted = days.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(days, sorted);

    let expect = |keep: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
        id_set(&all.iter().filter(|d| keep(d)).cloned().collect::<Vec<_>>())
    };
    let first = &all[0];
    let rx = prescription_of(first);
    let by_prescription =
        id_set(&dispenses(&app, patient, &format!("&prescription={rx}"), &token).await);
    assert!(by_prescription.contains(first["id"].as_str().unwrap()));
    assert_eq!(by_prescription, expect(&|d| prescription_of(d) == rx));

    let day = first["whenHandedOver"].as_str().unwrap();
    assert_eq!(
        id_set(&dispenses(&app, patient, &format!("&whenhandedover=lt{day}"), &token).await),
        expect(&|d| d["whenHandedOver"].as_str().unwrap() < day)
    );
    assert_eq!(
        id_set(&dispenses(&app, patient, &format!("&whenhandedover={day}"), &token).await),
        expect(&|d| d["whenHandedOver"] == day)
    );
    assert_eq!(
        id_set(&dispenses(&app, patient, "&status=completed", &token).await),
        id_set(&all)
    );
    let atc = first["medicationCodeableConcept"]["coding"][0]["code"]
        .as_str()
        .unwrap();
    assert_eq!(
        id_set(
            &dispenses(
                &app,
                patient,
                &format!("&code=http://www.whocc.no/atc|{atc}"),
                &token
            )
            .await
        ),
        expect(&|d| d["medicationCodeableConcept"]["coding"][0]["code"] == atc)
    );

    // `_include` brings the prescriptions the page's dispensations were made under.
    let bundle = app
        .fhir_ok(
            &format!(
                "/MedicationDispense?patient={patient}&_count=5&_include=MedicationDispense:prescription"
            ),
            &token,
        )
        .await;
    let wanted: BTreeSet<String> = matches(&bundle).iter().map(prescription_of).collect();
    let included: BTreeSet<String> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["search"]["mode"] == "include")
        .map(|e| {
            format!(
                "{}/{}",
                e["resource"]["resourceType"].as_str().unwrap(),
                e["resource"]["id"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(included, wanted);
}

#[actix_web::test]
async fn bad_dispensation_searches_get_400_and_unknown_ids_404() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let p = data::NO_POLYPHARMACY;
    app.assert_each_refused(
        [
            format!("/MedicationDispense?patient={p}&whenhandedover=yesterday"),
            format!("/MedicationDispense?patient={p}&prescription=a b"),
            format!("/MedicationDispense?patient={p}&_include=MedicationDispense:performer"),
            "/MedicationDispense?status=completed".to_owned(),
        ],
        &token,
        400,
        "invalid",
    )
    .await;
    let first = dispenses(&app, p, "", &token).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let prescription = first.rsplit_once("-d").unwrap().0.to_owned();
    app.assert_each_refused(
        [
            format!("/MedicationDispense/{prescription}-d99"),
            format!("/MedicationDispense/{prescription}"),
            format!("/MedicationRequest/{first}"),
        ],
        &token,
        404,
        "not-found",
    )
    .await;
    // Another patient's dispensation, for a patient token: as if it did not exist.
    let other = patient_token(data::NO_ADULT, "patient/*.rs");
    app.assert_each_refused(
        [format!("/MedicationDispense/{first}")],
        &other,
        404,
        "not-found",
    )
    .await;
}

/// Restricting a prescription restricts its dispensations: they tell what was prescribed.
#[actix_web::test]
async fn a_restricted_prescription_takes_its_dispensations_with_it() {
    let app = spawn_app().await;
    let p = data::NO_POLYPHARMACY;
    let doctor = professional_token("1234567", None);
    let before = dispenses(&app, p, "", &doctor).await;
    let rx = prescription_of(&before[0]);
    let of_rx: BTreeSet<String> = before
        .iter()
        .filter(|d| prescription_of(d) == rx)
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!of_rx.is_empty() && of_rx.len() < before.len());

    let own = patient_token(p, "patient/*.rs patient/Consent.cruds");
    let consent = json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{p}")},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "data": [{"meaning": "instance", "reference": {"reference": rx}}]}
    });
    let response = app
        .client
        .post(app.url("/Consent"))
        .bearer_auth(&own)
        .header("Content-Type", "application/fhir+json")
        .body(consent.to_string())
        .send()
        .await
        .unwrap();
    let (status, body) = read_fhir(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body:#}");

    let after = id_set(&dispenses(&app, p, "", &doctor).await);
    assert!(
        after.is_disjoint(&of_rx),
        "the restricted prescription's dispensations are gone"
    );
    assert_eq!(after.len(), before.len() - of_rx.len(), "the others stay");
    let hidden = of_rx.iter().next().unwrap();
    let (status, body) = app
        .get_json(&format!("/MedicationDispense/{hidden}"), Some(&doctor))
        .await;
    assert_outcome(status, &body, 404, "not-found");
    // The patient sees all of them.
    assert_eq!(dispenses(&app, p, "", &own).await.len(), before.len());
}

#[actix_web::test]
async fn dispensations_are_in_everything() {
    let app = spawn_app().await;
    let p = data::NO_POLYPHARMACY;
    let token = patient_token(p, "patient/*.rs");
    let expected = id_set(&dispenses(&app, p, "", &token).await);
    let pages = app
        .all_pages(
            &format!("/Patient/{p}/$everything?_type=MedicationDispense&_count=50"),
            &token,
        )
        .await;
    let found: Vec<Value> = pages.iter().flat_map(matches).collect();
    assert!(
        found
            .iter()
            .all(|r| r["resourceType"] == "MedicationDispense")
    );
    assert_eq!(id_set(&found), expected);
    assert!(!ids(&pages[0]).is_empty());
}
