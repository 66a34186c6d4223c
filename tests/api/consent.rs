//! `GET /fhir/Consent/{id}` and `GET /fhir/Consent?...`: the citizen's own Consents, read
//! from the store (R24), and 503 when the store is gone (R31).

use ehds_gateway::fhir::resources::Consent;
use ehds_gateway::store::{Store, StoredConsent};
use serde_json::json;

use crate::support::app::{
    IDP, TestApp, assert_outcome, ids, patient_token, read_fhir, spawn_with, store_on_postgres,
    test_settings, user_token,
};
use crate::support::data;
use crate::support::db::TestCluster;

pub fn consent(patient: &str, scope: &str, status: &str) -> Consent {
    serde_json::from_value(json!({
        "status": status,
        "scope": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
            "code": scope
        }]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{patient}")},
        "dateTime": "2025-03-01T10:00:00Z",
        "policyRule": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "OPTOUT"
        }]},
        "provision": {
            "type": "deny",
            "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]
        }
    }))
    .unwrap()
}

/// A gateway on a fresh SQLite file, and the store beside it for seeding.
async fn app_with_store() -> (TestApp, Store) {
    let settings = test_settings(&IDP);
    let store = Store::open(&settings.database).await.unwrap();
    (spawn_with(settings).await, store)
}

async fn seed(store: &Store, patient: &str, scope: &str, status: &str) -> StoredConsent {
    store
        .consents()
        .create(consent(patient, scope, status))
        .await
        .unwrap()
}

#[actix_web::test]
async fn the_patient_reads_their_consent_with_its_version() {
    // Written and withdrawn at the API, as the patient does it.
    let (app, _) = app_with_store().await;
    let writer = patient_token(data::NO_ADULT, "patient/Consent.cud");
    let mut body =
        serde_json::to_value(consent(data::NO_ADULT, "patient-privacy", "active")).unwrap();
    body["resourceType"] = json!("Consent");
    let (status, created) = read_fhir(
        crate::consent_write::send(
            &app,
            reqwest::Method::POST,
            "/Consent",
            &writer,
            Some(&body),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created:#}");
    let id = created["id"].as_str().unwrap().to_owned();
    let token = patient_token(data::NO_ADULT, "patient/Consent.rs");
    let path = format!("/Consent/{id}");
    let response = app.get(&path, Some(&token)).await;
    assert_eq!(response.headers()["etag"], "W/\"1\"");
    let (status, body) = read_fhir(response).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["resourceType"], "Consent");
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["meta"]["versionId"], "1");
    assert_eq!(body["provision"]["type"], "deny");

    let withdrawn = crate::consent_write::send(
        &app,
        reqwest::Method::DELETE,
        &path,
        &writer,
        None,
        Some("W/\"1\""),
    )
    .await;
    assert_eq!(withdrawn.status(), 204);
    assert_eq!(withdrawn.headers()["etag"], "W/\"2\"");
    let response = app.get(&path, Some(&token)).await;
    assert_eq!(response.headers()["etag"], "W/\"2\"");
    let (_, body) = read_fhir(response).await;
    assert_eq!(body["status"], "inactive");
    assert_eq!(body["meta"]["versionId"], "2");
}

#[actix_web::test]
async fn other_patients_consents_and_unknown_ids_are_404() {
    let (app, store) = app_with_store().await;
    let theirs = seed(&store, data::SE_ADULT, "patient-privacy", "active").await;
    let token = patient_token(data::NO_ADULT, "patient/Consent.rs");
    for id in [theirs.id.as_str(), "0123456789abcdef0123456789abcdef"] {
        let (status, body) = app.get_json(&format!("/Consent/{id}"), Some(&token)).await;
        assert_outcome(status, &body, 404, "not-found");
    }
}

#[actix_web::test]
async fn a_search_finds_the_patient_s_own_consents_by_status_scope_and_date() {
    let (app, store) = app_with_store().await;
    let privacy = seed(&store, data::NO_ADULT, "patient-privacy", "active").await;
    let research = seed(&store, data::NO_ADULT, "research", "active").await;
    let old = seed(&store, data::NO_ADULT, "research", "active").await;
    store.consents().withdraw(&old.id, 1).await.unwrap();
    seed(&store, data::SE_ADULT, "research", "active").await;
    let token = patient_token(data::NO_ADULT, "patient/Consent.rs");

    let all = app.fhir_ok("/Consent", &token).await;
    assert_eq!(all["total"], 3);
    let active = app.fhir_ok("/Consent?status=active", &token).await;
    let mut found = ids(&active);
    found.sort();
    let mut expected = vec![privacy.id.clone(), research.id.clone()];
    expected.sort();
    assert_eq!(found, expected);
    let opted_out = app
        .fhir_ok(
            "/Consent?scope=http://terminology.hl7.org/CodeSystem/consentscope|research&status=active",
            &token,
        )
        .await;
    assert_eq!(ids(&opted_out), vec![research.id.clone()]);
    let own = app
        .fhir_ok(
            &format!("/Consent?patient={}&date=ge2025-01-01", data::NO_ADULT),
            &token,
        )
        .await;
    assert_eq!(own["total"], 3);
    let none = app.fhir_ok("/Consent?date=lt2025-01-01", &token).await;
    assert_eq!(none["total"], 0);
}

#[actix_web::test]
async fn consents_are_refused_to_others_and_without_scopes() {
    let (app, store) = app_with_store().await;
    let stored = seed(&store, data::NO_ADULT, "patient-privacy", "active").await;
    let patient = patient_token(data::NO_ADULT, "patient/Consent.rs");
    let (status, body) = app
        .get_json(
            &format!("/Consent?patient={}", data::SE_ADULT),
            Some(&patient),
        )
        .await;
    assert_outcome(status, &body, 403, "forbidden");
    // A restriction is invisible to those it restricts: professionals do not read it.
    let professional = user_token("user/*.rs");
    let (status, body) = app
        .get_json(&format!("/Consent/{}", stored.id), Some(&professional))
        .await;
    assert_outcome(status, &body, 403, "forbidden");
    let (status, body) = app
        .get_json(
            &format!("/Consent?patient={}", data::NO_ADULT),
            Some(&professional),
        )
        .await;
    assert_outcome(status, &body, 403, "forbidden");
    let other_scopes = patient_token(data::NO_ADULT, "patient/Patient.rs");
    let (status, body) = app
        .get_json(&format!("/Consent/{}", stored.id), Some(&other_scopes))
        .await;
    assert_outcome(status, &body, 403, "forbidden");
    let (status, body) = app.get_json(&format!("/Consent/{}", stored.id), None).await;
    assert_outcome(status, &body, 401, "login");
}

#[actix_web::test]
async fn readyz_reports_the_store() {
    let (app, _store) = app_with_store().await;
    let response = app
        .client
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let backend = if store_on_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["store"], json!({"backend": backend, "ready": true}));
}

async fn readyz(app: &TestApp) -> (u16, serde_json::Value) {
    let response = app
        .client
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// R31, tested by stopping a real PostgreSQL (a cluster of this test's own) under a running
/// gateway: readiness drops, a request that needs the store gets 503 with an
/// OperationOutcome, and both come back when the database does.
#[actix_web::test]
async fn with_the_database_stopped_nothing_is_served_and_it_recovers() {
    let cluster = TestCluster::start();
    let mut settings = test_settings(&IDP);
    settings.database.url = cluster.url();
    settings.database.schema = "gateway".into();
    settings.database.acquire_timeout_seconds = 1;
    settings.database.ping_timeout_ms = 1000;
    let store = Store::open(&settings.database).await.unwrap();
    let app = spawn_with(settings).await;
    let stored = seed(&store, data::NO_ADULT, "patient-privacy", "active").await;
    let token = patient_token(data::NO_ADULT, "patient/Consent.rs");
    let read = format!("/Consent/{}", stored.id);
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["store"], json!({"backend": "postgres", "ready": true}));
    app.fhir_ok(&read, &token).await;

    cluster.stop();
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 503, "{body:#}");
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["store"]["ready"], false);
    // Patient data too: without the citizen's Consents nothing may be served (R31).
    let data_token = patient_token(data::NO_ADULT, "patient/*.rs");
    let patient_read = format!("/Patient/{}", data::NO_ADULT);
    for (path, token) in [
        (read.as_str(), &token),
        ("/Consent?status=active", &token),
        (patient_read.as_str(), &data_token),
        ("/MedicationRequest", &data_token),
    ] {
        let response = app.get(path, Some(token)).await;
        let retry_after = response.headers().get("retry-after").cloned();
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 503, "transient");
        assert_eq!(body["issue"][0]["severity"], "fatal");
        assert!(retry_after.is_some(), "Retry-After on 503");
        let text = body.to_string();
        assert!(
            !text.contains("127.0.0.1") && !text.contains("postgres"),
            "{text}"
        );
    }

    cluster.start_again();
    // `pg_ctl -w` returned once the server accepts connections; the pool reconnects on the
    // next request. A bounded number of tries, each bounded by the ping timeout.
    let mut ready = false;
    for _ in 0..100 {
        if readyz(&app).await.0 == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "readiness comes back with the database");
    let body = app.fhir_ok(&read, &token).await;
    assert_eq!(body["id"], stored.id.as_str());
    app.fhir_ok(&patient_read, &data_token).await;
}
