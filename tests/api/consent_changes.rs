//! Several gateways on one PostgreSQL database: each keeps the patients' Consents in force in
//! memory, and a restriction written at one binds the next request at another once the
//! notice arrives (LISTEN/NOTIFY). The cache's age limit is set far beyond every wait here,
//! so only the notice can make a change show. A lost notification channel empties the cache;
//! `/readyz` tells whether the cache is in use and how often the channel was lost.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::consent_write::send;
use crate::support::app::{AUDIENCE, IDP, TestApp, spawn_with, test_settings, user_token};

const PATIENT: &str = "no.p-no-008";
const PATIENT_FNR: &str = "17854110128";

/// Two gateways on one schema of the shared PostgreSQL.
async fn two_gateways() -> (TestApp, TestApp, String) {
    let mut settings = test_settings(&IDP);
    crate::support::db::use_shared_postgres(&mut settings);
    settings.database.consent_cache_seconds = 3600;
    let schema = settings.database.schema.clone();
    let one = spawn_with(settings.clone()).await;
    let other = spawn_with(settings).await;
    for app in [&one, &other] {
        assert!(
            eventually(|| async { cache_state(app).await.0 }).await,
            "each gateway listens for Consent changes"
        );
    }
    (one, other, schema)
}

/// `(in use, channel losses)` from `/readyz`.
async fn cache_state(app: &TestApp) -> (bool, u64) {
    let body: Value = app
        .client
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        body["consent_cache"]["in_use"].as_bool().unwrap(),
        body["consent_cache"]["channel_losses"].as_u64().unwrap(),
    )
}

/// Polls every 20 ms for at most 10 s; true once `condition` holds.
async fn eventually<F, Fut>(mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..500 {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn writer_token() -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/Consent.cruds", Some(PATIENT));
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
        "dateTime": "2026-11-01T10:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}
    })
}

async fn prescriptions_seen(app: &TestApp) -> u64 {
    let path = format!("/MedicationRequest?patient={PATIENT}&_summary=count");
    app.fhir_ok(&path, &user_token("user/*.rs")).await["total"]
        .as_u64()
        .unwrap()
}

async fn restrict(app: &TestApp) -> String {
    let response = send(
        app,
        Method::POST,
        "/Consent",
        &writer_token(),
        Some(&restriction()),
        None,
    )
    .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body:#}");
    body["id"].as_str().unwrap().to_owned()
}

async fn withdraw(app: &TestApp, id: &str) {
    let path = format!("/Consent/{id}");
    let response = send(app, Method::DELETE, &path, &writer_token(), None, None).await;
    assert!(response.status().is_success(), "{}", response.status());
}

#[actix_web::test]
async fn a_restriction_made_at_one_gateway_binds_the_next_requests_at_another() {
    let (one, other, _) = two_gateways().await;
    // Both have read the patient's Consents (none) and keep that answer.
    assert_eq!(prescriptions_seen(&one).await, 22);
    assert_eq!(prescriptions_seen(&other).await, 22);

    let id = restrict(&one).await;
    // At the gateway that wrote it: the very next request, no wait.
    assert_eq!(prescriptions_seen(&one).await, 0);
    // At the other: once the notice is in.
    assert!(
        eventually(|| async { prescriptions_seen(&other).await == 0 }).await,
        "the other gateway applies the restriction"
    );
    // Once applied, it stays applied.
    for _ in 0..5 {
        assert_eq!(prescriptions_seen(&other).await, 0);
    }

    // Withdrawn at the other gateway: the first sees the data again.
    withdraw(&other, &id).await;
    assert_eq!(prescriptions_seen(&other).await, 22);
    assert!(
        eventually(|| async { prescriptions_seen(&one).await == 22 }).await,
        "the first gateway hears of the withdrawal"
    );
}

/// The listening connections are killed (a database restart or a proxy cutting idle
/// connections looks the same): each gateway notices, forgets what it kept, listens again,
/// and a restriction made afterwards is heard as before. (That nothing kept is used while the
/// channel is down is shown deterministically by the store's tests, which change the store
/// behind the cache's back.)
#[actix_web::test]
async fn after_the_notification_channel_is_lost_nothing_kept_is_used() {
    let (one, other, schema) = two_gateways().await;
    assert_eq!(prescriptions_seen(&other).await, 22);
    assert_eq!(cache_state(&other).await, (true, 0));

    let url = std::env::var("EHDS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(ehds_gateway::store::consent_listener_name(&schema))
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(killed, vec![true, true], "both listening connections");

    for app in [&one, &other] {
        assert!(
            eventually(|| async { cache_state(app).await == (true, 1) }).await,
            "the loss is counted and the gateway listens again"
        );
    }
    let id = restrict(&one).await;
    assert!(
        eventually(|| async { prescriptions_seen(&other).await == 0 }).await,
        "a restriction after the loss is heard"
    );
    withdraw(&one, &id).await;
    assert!(
        eventually(|| async { prescriptions_seen(&other).await == 22 }).await,
        "and its withdrawal"
    );
}

/// On SQLite a gateway hears only its own Consent writes, so one that keeps Consents in
/// memory must be the file's only gateway: a second one refuses to start and says why, and
/// once the first is gone the file can be taken again. Gateways with the cache off may share
/// the file.
#[actix_web::test]
async fn a_sqlite_file_serves_one_gateway_that_keeps_consents_in_memory() {
    use ehds_gateway::startup::Application;

    let settings = crate::support::app::test_settings_on_sqlite(&IDP);
    let first = Application::build(settings.clone())
        .await
        .expect("the first gateway starts");
    let refused = Application::build(settings.clone())
        .await
        .err()
        .expect("a second gateway with the cache on does not start");
    let message = format!("{refused:#}");
    assert!(
        message.contains("is in use by another gateway")
            && message.contains("consent_cache_patients = 0"),
        "{message}"
    );
    drop(first);
    let again = Application::build(settings.clone())
        .await
        .expect("the file is free once the first gateway is gone");
    drop(again);

    let mut uncached = settings;
    uncached.database.consent_cache_patients = 0;
    let one = Application::build(uncached.clone()).await.expect("starts");
    let two = Application::build(uncached)
        .await
        .expect("starts beside it");
    drop((one, two));
}
