//! F1: who acts is decided from the user behind the token, never from its `patient` claim.
//! A professional's token with a patient context (an EHR launch) is bound by every
//! restriction of the patient, sees no locked record, cannot touch the patient's Consents or
//! access log, and is recorded as the professional it is.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::consent_write::send;
use crate::support::app::{
    AUDIENCE, IDP, TestApp, assert_outcome, ids, matches, patient_token, read_fhir, spawn_app,
};
use crate::support::data;

/// A professional blocked by Silje Ødegård (`no.p-no-014`), who also wrote her locked
/// prescription.
const BLOCKED_HPR: &str = "9171348";
const LOCKED_PRESCRIPTION: &str = "no.p-no-014.rx-no-0038";

/// A professional's token the way an EHR launch makes it: the professional as `fhirUser`,
/// the patient in context, and the given scopes.
fn ehr_launch(hpr: &str, patient: &str, scope: &str) -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, scope, Some(patient));
    // Not the patient's own identifier: the user is the professional.
    claims.as_object_mut().unwrap().remove("pid");
    claims["sub"] = json!(format!("hpr-{hpr}"));
    claims["fhirUser"] = json!(format!("Practitioner/{hpr}"));
    IDP.token(claims)
}

fn deny_medication_requests(patient: &str) -> Value {
    json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{patient}")},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}
    })
}

/// The patient makes the restriction through the API, as a citizen's app would.
async fn restrict(app: &TestApp, patient: &str) -> String {
    let own = patient_token(patient, "patient/*.rs patient/Consent.cruds");
    let response = send(
        app,
        Method::POST,
        "/Consent",
        &own,
        Some(&deny_medication_requests(patient)),
        None,
    )
    .await;
    let (status, body) = read_fhir(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body:#}");
    body["id"].as_str().unwrap().to_owned()
}

async fn total(app: &TestApp, path: &str, token: &str) -> u64 {
    app.fhir_ok(path, token).await["total"].as_u64().unwrap()
}

#[actix_web::test]
async fn a_patient_claim_in_a_professional_s_token_does_not_lift_the_patient_s_restrictions() {
    let app = spawn_app().await;
    let patient = data::NO_POLYPHARMACY;
    let path = format!("/MedicationRequest?patient={patient}&_summary=count");
    let user_scoped = ehr_launch("1234567", patient, "user/*.rs");
    let patient_scoped = ehr_launch("1234567", patient, "patient/*.rs");
    assert_eq!(total(&app, &path, &user_scoped).await, 22, "before");
    restrict(&app, patient).await;
    assert_eq!(total(&app, &path, &user_scoped).await, 0, "user/ scopes");
    assert_eq!(
        total(&app, &path, &patient_scoped).await,
        0,
        "patient/ scopes"
    );
    // The patient themself still sees everything.
    let own = patient_token(patient, "patient/*.rs");
    assert_eq!(total(&app, &path, &own).await, 22);
}

#[actix_web::test]
async fn a_blocked_professional_with_the_patient_in_context_sees_nothing_of_hers() {
    let app = spawn_app().await;
    let patient = data::NO_ODEGARD;
    let token = ehr_launch(BLOCKED_HPR, patient, "patient/*.rs");
    let found = app
        .fhir_ok(&format!("/MedicationRequest?patient={patient}"), &token)
        .await;
    assert_eq!(found["total"], 0, "{found:#}");
    // Not even the locked prescription they wrote themself: a block hides everything.
    let (status, body) = read_fhir(
        app.get(
            &format!("/MedicationRequest/{LOCKED_PRESCRIPTION}"),
            Some(&token),
        )
        .await,
    )
    .await;
    assert_outcome(status, &body, 404, "not-found");
    // Another professional's launch does not see the locked prescription either.
    let other = ehr_launch("1234567", patient, "patient/*.rs");
    let seen = ids(&app
        .fhir_ok(&format!("/MedicationRequest?patient={patient}"), &other)
        .await);
    assert!(
        !seen.is_empty(),
        "the other professional sees her prescriptions"
    );
    assert!(!seen.iter().any(|id| id == LOCKED_PRESCRIPTION), "{seen:?}");
    // She herself sees all three, the locked one included.
    let own = ids(&app
        .fhir_ok(
            &format!("/MedicationRequest?patient={patient}"),
            &patient_token(patient, "patient/*.rs"),
        )
        .await);
    assert!(own.iter().any(|id| id == LOCKED_PRESCRIPTION), "{own:?}");
}

#[actix_web::test]
async fn a_professional_with_the_patient_in_context_neither_withdraws_consents_nor_reads_the_log() {
    let app = spawn_app().await;
    let patient = data::NO_ADULT;
    let id = restrict(&app, patient).await;
    let professional = ehr_launch(
        "1234567",
        patient,
        "patient/*.rs patient/Consent.cruds patient/AuditEvent.rs",
    );
    let (status, body) = read_fhir(
        send(
            &app,
            Method::DELETE,
            &format!("/Consent/{id}"),
            &professional,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_outcome(status, &body, 403, "forbidden");
    let (status, body) = read_fhir(
        app.get(&format!("/Consent/{id}"), Some(&professional))
            .await,
    )
    .await;
    assert_outcome(status, &body, 403, "forbidden");
    let (status, body) = read_fhir(
        app.get(
            &format!("/AuditEvent?patient={patient}"),
            Some(&professional),
        )
        .await,
    )
    .await;
    assert_outcome(status, &body, 403, "forbidden");
    // The Consent is still in force.
    let own = patient_token(patient, "patient/*.rs patient/Consent.cruds");
    let consent = app.fhir_ok(&format!("/Consent/{id}"), &own).await;
    assert_eq!(consent["status"], "active");
}

#[actix_web::test]
async fn the_access_log_names_the_professional_not_the_patient() {
    let app = spawn_app().await;
    let patient = data::NO_ADULT;
    let professional = ehr_launch("1234567", patient, "patient/*.rs");
    app.fhir_ok(&format!("/Patient/{patient}"), &professional)
        .await;
    let own = patient_token(patient, "patient/*.rs patient/AuditEvent.rs");
    let log = app
        .fhir_ok(&format!("/AuditEvent?patient={patient}&_count=50"), &own)
        .await;
    let events = matches(&log);
    assert!(!events.is_empty());
    let by_professional: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["agent"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| a["who"]["display"] == "Practitioner/1234567")
        })
        .collect();
    assert_eq!(by_professional.len(), 1, "{log:#}");
    let agents = by_professional[0]["agent"].as_array().unwrap();
    let roles: Vec<&str> = agents
        .iter()
        .flat_map(|a| a["role"].as_array().into_iter().flatten())
        .flat_map(|r| r["coding"].as_array().into_iter().flatten())
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert!(roles.contains(&"PROV"), "{roles:?}");
    assert!(!roles.contains(&"ONESELF"), "{roles:?}");
    let user = agents.iter().find(|a| a["requestor"] == true).unwrap();
    assert_eq!(user["name"], format!("hpr-1234567 at {}", IDP.issuer()));
}
