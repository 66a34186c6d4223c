//! The citizen makes, changes and withdraws their own Consents (R24, R32): validation with
//! nothing stored on error, If-Match versioning, withdrawal that keeps history, and the
//! restriction's effect on others from the next request on.

use ehds_gateway::store::Store;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::support::app::{
    AUDIENCE, IDP, TestApp, assert_outcome, ids, read_fhir, spawn_with, test_settings, user_token,
};
use crate::support::data;

const PATIENT: &str = data::NO_POLYPHARMACY;
const PATIENT_FNR: &str = data::NO_POLYPHARMACY_FNR;
/// Trine Johansen Dahl, who holds a power of attorney from Arne Johansen.
const ATTORNEY_FNR: &str = "25826830673";

async fn app_with_store() -> (TestApp, Store) {
    let settings = test_settings(&IDP);
    let store = Store::open(&settings.database).await.unwrap();
    (spawn_with(settings).await, store)
}

fn token(actor_fnr: &str, scope: &str) -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, scope, Some(PATIENT));
    claims["pid"] = json!(actor_fnr);
    IDP.token(claims)
}

fn own() -> String {
    token(PATIENT_FNR, "patient/*.rs patient/Consent.cruds")
}

fn restriction(patient: &str) -> Value {
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

pub(crate) async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/fhir+json")
            .body(body.to_string());
    }
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    request.send().await.unwrap()
}

async fn prescriptions_seen_by_a_doctor(app: &TestApp) -> u64 {
    app.fhir_ok(
        &format!("/MedicationRequest?patient={PATIENT}"),
        &user_token("user/*.rs"),
    )
    .await["total"]
        .as_u64()
        .unwrap()
}

async fn own_consents(app: &TestApp) -> u64 {
    app.fhir_ok("/Consent", &own()).await["total"]
        .as_u64()
        .unwrap()
}

#[actix_web::test]
async fn create_update_and_withdraw_a_restriction() {
    let (app, store) = app_with_store().await;
    assert_eq!(prescriptions_seen_by_a_doctor(&app).await, 22);
    let response = send(
        &app,
        Method::POST,
        "/Consent",
        &own(),
        Some(&restriction(PATIENT)),
        None,
    )
    .await;
    assert_eq!(response.headers()["etag"], "W/\"1\"");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (status, created) = read_fhir(response).await;
    assert_eq!(status, 201, "{created:#}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(
        location.ends_with(&format!("/Consent/{id}/_history/1")),
        "{location}"
    );
    assert_eq!(
        app.fhir_ok(&format!("/Consent/{id}"), &own()).await["status"],
        "active"
    );
    // The restriction applies to others at once, and not to the patient.
    assert_eq!(prescriptions_seen_by_a_doctor(&app).await, 0);
    assert_eq!(app.fhir_ok("/MedicationRequest", &own()).await["total"], 22);

    // An update names the version it changes.
    let mut narrower = created.clone();
    narrower["provision"]["class"][0]["code"] = json!("Immunization");
    let response = send(
        &app,
        Method::PUT,
        &format!("/Consent/{id}"),
        &own(),
        Some(&narrower),
        Some("W/\"1\""),
    )
    .await;
    assert_eq!(response.headers()["etag"], "W/\"2\"");
    let (status, _) = read_fhir(response).await;
    assert_eq!(status, 200);
    assert_eq!(prescriptions_seen_by_a_doctor(&app).await, 22);
    let stale = send(
        &app,
        Method::PUT,
        &format!("/Consent/{id}"),
        &own(),
        Some(&narrower),
        Some("W/\"1\""),
    )
    .await;
    let (status, body) = read_fhir(stale).await;
    assert_outcome(status, &body, 412, "conflict");
    let blind = send(
        &app,
        Method::PUT,
        &format!("/Consent/{id}"),
        &own(),
        Some(&narrower),
        None,
    )
    .await;
    let (status, body) = read_fhir(blind).await;
    assert_outcome(status, &body, 428, "required");

    // Withdrawal: a new inactive version; the history stays.
    let response = send(
        &app,
        Method::DELETE,
        &format!("/Consent/{id}"),
        &own(),
        None,
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    let withdrawn = app.fhir_ok(&format!("/Consent/{id}"), &own()).await;
    assert_eq!(withdrawn["status"], "inactive");
    assert_eq!(store.consents().history(&id).await.unwrap().len(), 3);
    let unknown = send(
        &app,
        Method::DELETE,
        "/Consent/does-not-exist",
        &own(),
        None,
        None,
    )
    .await;
    let (status, body) = read_fhir(unknown).await;
    assert_outcome(status, &body, 404, "not-found");
}

#[actix_web::test]
async fn invalid_consents_are_refused_and_nothing_is_stored() {
    let (app, _store) = app_with_store().await;
    let mut no_category = restriction(PATIENT);
    no_category["category"] = json!([]);
    let mut odd_scope = restriction(PATIENT);
    odd_scope["scope"]["coding"][0]["code"] = json!("treatment");
    let mut unknown_type = restriction(PATIENT);
    unknown_type["provision"]["class"][0]["code"] = json!("Encounter");
    let not_a_consent = json!({"resourceType": "Patient"});
    let cases = [
        (restriction("no.p-no-001"), 422, "processing"),
        (odd_scope, 422, "processing"),
        (unknown_type, 422, "processing"),
        (no_category, 400, "invalid"),
        (not_a_consent, 400, "invalid"),
    ];
    for (body, expected, code) in cases {
        let response = send(&app, Method::POST, "/Consent", &own(), Some(&body), None).await;
        let (status, outcome) = read_fhir(response).await;
        assert_outcome(status, &outcome, expected, code);
    }
    let wrong_type = app
        .client
        .post(app.url("/Consent"))
        .bearer_auth(own())
        .header("Content-Type", "text/plain")
        .body(restriction(PATIENT).to_string())
        .send()
        .await
        .unwrap();
    let (status, outcome) = read_fhir(wrong_type).await;
    assert_outcome(status, &outcome, 415, "not-supported");
    let garbage = app
        .client
        .post(app.url("/Consent"))
        .bearer_auth(own())
        .header("Content-Type", "application/fhir+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, outcome) = read_fhir(garbage).await;
    assert_outcome(status, &outcome, 400, "invalid");
    assert_eq!(own_consents(&app).await, 0, "nothing was stored");
    assert_eq!(prescriptions_seen_by_a_doctor(&app).await, 22);
}

#[actix_web::test]
async fn only_the_patient_writes_their_consents() {
    let (app, _store) = app_with_store().await;
    let body = restriction(PATIENT);
    // The holder of a power of attorney may not (R32), nor a professional, nor a token
    // without Consent write scopes.
    let attorney = token(ATTORNEY_FNR, "patient/*.rs patient/Consent.cruds");
    let (status, outcome) =
        read_fhir(send(&app, Method::POST, "/Consent", &attorney, Some(&body), None).await).await;
    assert_outcome(status, &outcome, 403, "forbidden");
    let doctor = user_token("user/*.cruds");
    let (status, outcome) =
        read_fhir(send(&app, Method::POST, "/Consent", &doctor, Some(&body), None).await).await;
    assert_outcome(status, &outcome, 403, "forbidden");
    let read_only = token(PATIENT_FNR, "patient/*.rs");
    let (status, outcome) = read_fhir(
        send(
            &app,
            Method::POST,
            "/Consent",
            &read_only,
            Some(&body),
            None,
        )
        .await,
    )
    .await;
    assert_outcome(status, &outcome, 403, "forbidden");
    assert_eq!(own_consents(&app).await, 0);
    // The patient's own works, and another patient's Consent is not there for them.
    let (status, created) =
        read_fhir(send(&app, Method::POST, "/Consent", &own(), Some(&body), None).await).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    let other = IDP.token(IDP.standard_claims(
        AUDIENCE,
        "patient/*.rs patient/Consent.cruds",
        Some("no.p-no-001"),
    ));
    let (status, outcome) = read_fhir(
        send(
            &app,
            Method::DELETE,
            &format!("/Consent/{id}"),
            &other,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_outcome(status, &outcome, 404, "not-found");
    assert_eq!(
        ids(&app.fhir_ok("/Consent", &own()).await),
        vec![id.to_owned()]
    );
}
