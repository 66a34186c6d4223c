//! Two requests that want the same one-time thing, sent at the same moment over HTTP to a
//! gateway with two workers: exactly one wins, the other gets the error a late caller
//! gets, and the access log's chain still verifies.

use ehds_gateway::audit::verify;
use ehds_gateway::config::DatabaseSettings;
use ehds_gateway::store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::authz_flow::{Eid, OTHER_APP, SCOPE, exchange, gateway_with_eid, login};
use crate::consent_write::send;
use crate::support::app::{
    IDP, TestApp, assert_outcome, patient_token, read_fhir, spawn_with, test_settings, user_token,
};
use crate::support::authz::{assert_oauth_error, post};
use crate::support::data;

/// A gateway with a real eID and two workers, and where its state is kept.
async fn eid_gateway() -> (Eid, DatabaseSettings) {
    let mut database = None;
    let eid = gateway_with_eid(|settings, _| {
        settings.server.workers = 2;
        database = Some(settings.database.clone());
    })
    .await;
    (eid, database.unwrap())
}

async fn assert_chain_verifies(database: &DatabaseSettings) {
    let store = Store::open(database).await.unwrap();
    let checked = verify(&store.audit()).await.unwrap();
    assert_eq!(checked.broken, None);
    assert!(checked.checked > 0, "there is a log to verify");
}

/// Of two answers, the one that won (200) and the other.
fn one_winner<'a>(
    case: &str,
    answers: [&'a (StatusCode, reqwest::header::HeaderMap, Value); 2],
) -> (
    &'a Value,
    &'a (StatusCode, reqwest::header::HeaderMap, Value),
) {
    let statuses = answers.map(|a| a.0);
    match statuses {
        [StatusCode::OK, other] if other != StatusCode::OK => (&answers[0].2, answers[1]),
        [other, StatusCode::OK] if other != StatusCode::OK => (&answers[1].2, answers[0]),
        _ => panic!("{case}: exactly one must win, got {statuses:?}"),
    }
}

#[actix_web::test]
async fn one_code_exchanged_twice_at_once_gives_one_token() {
    let (eid, database) = eid_gateway().await;
    let app = &eid.app;
    let login = login(app, OTHER_APP, SCOPE, "kristin");
    let code = login.code_for(app, data::NO_ADULT).await;
    let form = exchange(OTHER_APP, &code, &login.verifier);
    let (first, second) = tokio::join!(
        post(app, "/auth/token", &form),
        post(app, "/auth/token", &form)
    );
    let (winner, loser) = one_winner("code", [&first, &second]);
    assert!(winner["access_token"].is_string());
    assert_oauth_error(
        "the second exchange",
        loser.0,
        &loser.1,
        &loser.2,
        400,
        "invalid_grant",
    );
    assert_chain_verifies(&database).await;
}

#[actix_web::test]
async fn one_refresh_token_used_twice_at_once_is_rotated_once() {
    let (eid, database) = eid_gateway().await;
    let app = &eid.app;
    let login = login(app, OTHER_APP, SCOPE, "kristin");
    let code = login.code_for(app, data::NO_ADULT).await;
    let (status, _, tokens) = post(
        app,
        "/auth/token",
        &exchange(OTHER_APP, &code, &login.verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens:#}");
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    let form: Vec<(String, String)> = [
        ("grant_type", "refresh_token"),
        ("client_id", OTHER_APP),
        ("refresh_token", refresh_token),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let (first, second) = tokio::join!(
        post(app, "/auth/token", &form),
        post(app, "/auth/token", &form)
    );
    let (winner, loser) = one_winner("refresh", [&first, &second]);
    assert!(winner["refresh_token"].is_string(), "{winner:#}");
    assert_ne!(winner["refresh_token"], tokens["refresh_token"], "rotated");
    assert_oauth_error(
        "the second refresh",
        loser.0,
        &loser.1,
        &loser.2,
        400,
        "invalid_grant",
    );
    assert_chain_verifies(&database).await;
}

const PATIENT: &str = "no.p-no-008";
const PATIENT_FNR: &str = "17854110128";

fn own() -> String {
    let mut claims = IDP.standard_claims(
        crate::support::app::AUDIENCE,
        "patient/*.rs patient/Consent.cruds",
        Some(PATIENT),
    );
    claims["pid"] = json!(PATIENT_FNR);
    IDP.token(claims)
}

fn restriction() -> Value {
    json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{PATIENT}")},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}
    })
}

/// A gateway with two workers, where its state is kept, and a restriction the patient made.
async fn gateway_with_a_restriction() -> (TestApp, DatabaseSettings, Value) {
    let mut settings = test_settings(&IDP);
    settings.server.workers = 2;
    let database = settings.database.clone();
    let app = spawn_with(settings).await;
    let (status, created) = read_fhir(
        send(
            &app,
            Method::POST,
            "/Consent",
            &own(),
            Some(&restriction()),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created:#}");
    (app, database, created)
}

#[actix_web::test]
async fn two_updates_naming_the_same_version_one_wins_the_other_is_412() {
    let (app, database, created) = gateway_with_a_restriction().await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/Consent/{id}");
    let mut immunizations = created.clone();
    immunizations["provision"]["class"][0]["code"] = json!("Immunization");
    let mut conditions = created.clone();
    conditions["provision"]["class"][0]["code"] = json!("Condition");
    let token = own();
    let (first, second) = tokio::join!(
        send(
            &app,
            Method::PUT,
            &path,
            &token,
            Some(&immunizations),
            Some("W/\"1\"")
        ),
        send(
            &app,
            Method::PUT,
            &path,
            &token,
            Some(&conditions),
            Some("W/\"1\"")
        )
    );
    let (first, second) = (read_fhir(first).await, read_fhir(second).await);
    let (winner, loser) = match (first.0.as_u16(), second.0.as_u16()) {
        (200, _) => (first, second),
        (_, 200) => (second, first),
        other => panic!("exactly one update must win, got {other:?}"),
    };
    assert_outcome(loser.0, &loser.1, 412, "conflict");
    // What is stored is the winner's, as version 2.
    let stored = app.fhir_ok(&path, &token).await;
    assert_eq!(stored["meta"]["versionId"], "2");
    assert_eq!(stored["provision"], winner.1["provision"]);
    assert_chain_verifies(&database).await;
}

#[actix_web::test]
async fn a_withdrawal_racing_a_read_gives_the_read_one_whole_answer() {
    let (app, database, created) = gateway_with_a_restriction().await;
    let id = created["id"].as_str().unwrap();
    let doctor = user_token("user/*.rs");
    let search = format!("/MedicationRequest?patient={PATIENT}&_count=100");
    assert_eq!(
        app.fhir_ok(&search, &doctor).await["total"],
        0,
        "restricted"
    );
    let token = own();
    let path = format!("/Consent/{id}");
    let withdraw = send(&app, Method::DELETE, &path, &token, None, Some("W/\"1\""));
    let (withdrawn, read) = tokio::join!(withdraw, app.fhir_ok(&search, &doctor));
    assert_eq!(withdrawn.status(), 204);
    // Before the withdrawal or after it, never a part of the record.
    let total = read["total"].as_u64().unwrap();
    let entries = read["entry"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(entries, total, "{read:#}");
    let all = app.fhir_ok(&search, &doctor).await["total"]
        .as_u64()
        .unwrap();
    assert!(all > 0, "the withdrawal binds the next request");
    assert!(total == 0 || total == all, "{total} of {all}");
    // The patient's own reads were never restricted.
    let own_read = patient_token(PATIENT, "patient/*.rs");
    assert_eq!(
        app.fhir_ok("/MedicationRequest?_count=100", &own_read)
            .await["total"],
        all
    );
    assert_chain_verifies(&database).await;
}
