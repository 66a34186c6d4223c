//! F6: input that once panicked a worker (a multi-byte character where a date's offset would
//! start) is a 400 OperationOutcome on every route that parses a date, and the connection
//! survives.

use reqwest::Method;
use serde_json::json;

use crate::consent_write::send;
use crate::support::app::{
    assert_outcome, patient_token, professional_token, read_fhir, spawn_app,
};
use crate::support::data;

const BROKEN_DATE: &str = "2020-01-01Ta%C3%A912345";

#[actix_web::test]
async fn a_multi_byte_character_in_a_date_is_a_400_everywhere_dates_are_parsed() {
    let app = spawn_app().await;
    let patient = data::NO_POLYPHARMACY;
    let doctor = professional_token("1234567", None);
    let own = patient_token(patient, "patient/*.rs patient/Consent.cruds");
    for (path, token) in [
        (
            format!("/Immunization?patient={patient}&date={BROKEN_DATE}"),
            &doctor,
        ),
        (
            format!("/MedicationRequest?patient={patient}&authoredon=lt{BROKEN_DATE}"),
            &doctor,
        ),
        (
            format!("/AuditEvent?patient={patient}&date={BROKEN_DATE}"),
            &own,
        ),
        (format!("/Consent?date={BROKEN_DATE}"), &own),
    ] {
        let (status, body) = read_fhir(app.get(&path, Some(token)).await).await;
        assert_outcome(status, &body, 400, "invalid");
    }
    // A Consent whose provision period holds such a date is refused and not stored.
    let consent = json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{patient}")},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "period": {"start": "2020-01-01Ta\u{e9}12345"},
            "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}
    });
    let (status, body) =
        read_fhir(send(&app, Method::POST, "/Consent", &own, Some(&consent), None).await).await;
    assert!(
        status == 400 || status == 422,
        "a bad period is the client's error: {status} {body:#}"
    );
    assert_eq!(body["resourceType"], "OperationOutcome");
    let stored = app.fhir_ok("/Consent", &own).await;
    assert_eq!(stored["total"], 0, "nothing stored");
    // The server still answers on the same client.
    let (status, _) = read_fhir(app.get("/metadata", None).await).await;
    assert_eq!(status, 200);
}
