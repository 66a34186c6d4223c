//! F4 and F5, and the break-the-glass decision: a restriction the gateway stores is one it
//! applies; one it cannot apply is refused with 422 and says why, and nothing is stored.
//! Break-the-glass is national policy per country, from professionals' issuers only.

use reqwest::Method;
use serde_json::{Value, json};

use crate::consent_write::send;
use crate::support::app::{
    AUDIENCE, IDP, TestApp, assert_outcome, patient_token, professional_token, read_fhir,
    spawn_app, spawn_with, test_settings,
};
use crate::support::data;
use crate::support::idp::TestIdp;

const PATIENT: &str = data::NO_POLYPHARMACY;
const CLINIC: &str = "974589095";

fn consent(provision: Value) -> Value {
    json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{PATIENT}")},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": provision
    })
}

fn own() -> String {
    patient_token(PATIENT, "patient/*.rs patient/Consent.cruds")
}

async fn create(app: &TestApp, body: &Value) -> (reqwest::StatusCode, Value) {
    read_fhir(send(app, Method::POST, "/Consent", &own(), Some(body), None).await).await
}

async fn stored(app: &TestApp) -> u64 {
    app.fhir_ok("/Consent", &own()).await["total"]
        .as_u64()
        .unwrap()
}

/// A professional of `organization` (the test issuer's `organization` claim).
fn professional_at(hpr: &str, organization: &str) -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, "user/*.rs", None);
    claims["fhirUser"] = json!(format!("Practitioner/{hpr}"));
    claims["organization"] = json!(organization);
    IDP.token(claims)
}

async fn prescriptions(app: &TestApp, token: &str) -> u64 {
    app.fhir_ok(
        &format!("/MedicationRequest?patient={PATIENT}&_summary=count"),
        token,
    )
    .await["total"]
        .as_u64()
        .unwrap()
}

#[actix_web::test]
async fn a_deny_by_organisation_binds_the_professionals_of_that_organisation() {
    let app = spawn_app().await;
    let by_reference = consent(json!({"type": "deny", "actor": [{
        "role": {"text": "restricted"},
        "reference": {"reference": format!("Organization/{CLINIC}")}}]}));
    let (status, body) = create(&app, &by_reference).await;
    assert_eq!(status, 201, "{body:#}");
    assert_eq!(
        prescriptions(&app, &professional_at("1234567", CLINIC)).await,
        0
    );
    assert_eq!(
        prescriptions(&app, &professional_at("1234567", "998877665")).await,
        22
    );
    assert_eq!(
        prescriptions(&app, &professional_token("1234567", None)).await,
        22
    );
}

#[actix_web::test]
async fn a_deny_by_organisation_is_refused_where_no_issuer_tells_organisations() {
    let idp = TestIdp::start();
    let mut settings = test_settings(&idp);
    settings.auth.trusted_issuers[0].organization_claim = None;
    let app = spawn_with(settings).await;
    let own = {
        let claims = idp.standard_claims(
            AUDIENCE,
            "patient/*.rs patient/Consent.cruds",
            Some(PATIENT),
        );
        idp.token(claims)
    };
    let body = consent(json!({"type": "deny", "actor": [{
        "role": {"text": "restricted"},
        "reference": {"reference": format!("Organization/{CLINIC}")}}]}));
    let (status, outcome) =
        read_fhir(send(&app, Method::POST, "/Consent", &own, Some(&body), None).await).await;
    assert_outcome(status, &outcome, 422, "processing");
    assert!(
        outcome["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("organisation"),
        "{outcome:#}"
    );
    let listed = app.fhir_ok("/Consent", &own).await;
    assert_eq!(listed["total"], 0, "nothing stored");
}

#[actix_web::test]
async fn provisions_the_gateway_cannot_apply_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let cases = [
        // F5: a partial cross-border deny.
        json!({"type": "deny",
            "purpose": [{"system": "urn:ehds-gateway:cross-border-service", "code": "patient-summary"}],
            "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}),
        json!({"type": "deny",
            "purpose": [{"system": "urn:ehds-gateway:cross-border-service", "code": "e-prescription"}],
            "actor": [{"role": {"text": "restricted"}, "reference": {"reference": "Practitioner/1234567"}}]}),
        // A class that is not a resource type.
        json!({"type": "deny", "class": [{"system": "http://loinc.org", "code": "11369-6"}]}),
        // A role that no caller is matched to.
        json!({"type": "deny", "actor": [{"role": {"text": "restricted"},
            "reference": {"reference": "PractitionerRole/abc"}}]}),
        // Nested where the policy never looks.
        json!({"type": "deny", "provision": [{"type": "deny",
            "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Condition"}]}]}),
        json!({"type": "permit", "provision": [{"type": "permit"}]}),
    ];
    for provision in cases {
        let (status, outcome) = create(&app, &consent(provision.clone())).await;
        assert_outcome(status, &outcome, 422, "processing");
        assert!(
            outcome["issue"][0]["diagnostics"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{provision}: says why"
        );
    }
    assert_eq!(stored(&app).await, 0, "nothing stored");
    // A whole cross-border opt-out is still accepted.
    let whole = consent(json!({"type": "deny",
        "purpose": [{"system": "urn:ehds-gateway:cross-border-service", "code": "patient-summary"}]}));
    assert_eq!(create(&app, &whole).await.0, 201);
}

const BLOCKED_HPR: &str = "9171348";

async fn emergency_total(app: &TestApp, token: &str) -> u64 {
    app.fhir_ok(
        &format!(
            "/MedicationRequest?patient={}&_summary=count",
            data::NO_ODEGARD
        ),
        token,
    )
    .await["total"]
        .as_u64()
        .unwrap()
}

#[actix_web::test]
async fn break_the_glass_needs_a_professional_issuer_and_a_country_that_allows_it() {
    // The shared test issuer is a professionals' issuer, and all four countries allow it.
    let app = spawn_app().await;
    let emergency = professional_token(BLOCKED_HPR, Some("EMERGENCY"));
    assert_eq!(emergency_total(&app, &emergency).await, 3);

    // An issuer not marked as professionals': the purpose is the caller's word only.
    let idp = TestIdp::start();
    let mut settings = test_settings(&idp);
    settings.auth.trusted_issuers[0].professional_issuer = false;
    let app = spawn_with(settings).await;
    let mut claims = idp.standard_claims(AUDIENCE, "user/*.rs", None);
    claims["fhirUser"] = json!(format!("Practitioner/{BLOCKED_HPR}"));
    claims["purpose_of_use"] = json!("EMERGENCY");
    assert_eq!(emergency_total(&app, &idp.token(claims)).await, 0);

    // A country whose policy does not allow it.
    let mut settings = test_settings(&IDP);
    settings.consent.break_the_glass = serde_json::from_value(json!(["SE", "DK", "FI"])).unwrap();
    let app = spawn_with(settings).await;
    assert_eq!(emergency_total(&app, &emergency).await, 0);
}
