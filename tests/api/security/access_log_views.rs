//! F2 and F7: the access log shows each reader their own part of a record, and no request
//! can write an unbounded list of people into the immutable log.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{
    AUDIENCE, IDP, TestApp, assert_outcome, matches, patient_token, professional_token, read_fhir,
    spawn_with, test_settings_on_sqlite,
};
use crate::support::data;

/// Lukas Haugen, 13: his parents have limited access (no patient record).
const NO_CHILD_13: &str = "no.p-no-004";
const NO_MOTHER_FNR: &str = "12848801265";
/// Jonas Haugen: one prescription.
const NO_FATHER: &str = "no.p-no-002";

/// The events of a log as its reader gets them, with the request of the one whose request id
/// is `request_id`.
async fn log_event(app: &TestApp, patient: &str, token: &str, request_id: &str) -> Value {
    let log = app
        .fhir_ok(&format!("/AuditEvent?patient={patient}&_count=100"), token)
        .await;
    let events = matches(&log);
    assert!(!events.is_empty(), "{log:#}");
    let found: Vec<Value> = events
        .into_iter()
        .filter(|e| e.to_string().contains(request_id))
        .collect();
    assert_eq!(found.len(), 1, "one record of {request_id}");
    found.into_iter().next().unwrap()
}

fn total(event: &Value) -> u64 {
    let query = event["entity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["role"]["code"] == "24")
        .expect("a query entity");
    query["detail"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["type"] == "total")
        .and_then(|d| d["valueString"].as_str())
        .unwrap()
        .parse()
        .unwrap()
}

async fn get_with_id(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value, String) {
    let response = app.get(path, Some(token)).await;
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, body) = read_fhir(response).await;
    (status, body, id)
}

#[actix_web::test]
async fn each_patient_sees_only_their_own_part_of_a_search_naming_several() {
    let app = spawn_with(test_settings_on_sqlite(&IDP)).await;
    let (arne, jonas) = (data::NO_POLYPHARMACY, NO_FATHER);
    let doctor = professional_token("1234567", None);
    let (status, bundle, request_id) = get_with_id(
        &app,
        &format!("/MedicationRequest?patient={arne},{jonas}&_count=100"),
        &doctor,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(bundle["total"], 23, "22 of Arne's and 1 of Jonas's");

    let jonas_view = log_event(
        &app,
        jonas,
        &patient_token(jonas, "patient/*.rs"),
        &request_id,
    )
    .await;
    let text = jonas_view.to_string();
    assert!(
        !text.contains(arne),
        "Arne's ids in Jonas's log: {jonas_view:#}"
    );
    assert!(text.contains(&format!("Patient/{jonas}")));
    assert_eq!(total(&jonas_view), 1, "{jonas_view:#}");

    let arne_view = log_event(
        &app,
        arne,
        &patient_token(arne, "patient/*.rs"),
        &request_id,
    )
    .await;
    assert!(!arne_view.to_string().contains(jonas), "{arne_view:#}");
    assert_eq!(total(&arne_view), 22);
}

#[actix_web::test]
async fn a_parent_s_view_of_the_child_s_log_leaves_out_what_the_parent_may_not_read() {
    let app = spawn_with(test_settings_on_sqlite(&IDP)).await;
    let doctor = professional_token("1234567", None);
    let (status, bundle, request_id) = get_with_id(
        &app,
        &format!("/AllergyIntolerance?patient={NO_CHILD_13}"),
        &doctor,
    )
    .await;
    assert_eq!(status, 200);
    assert!(bundle["total"].as_u64().unwrap() >= 1, "{bundle:#}");
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/*.rs", Some(NO_CHILD_13));
    claims["pid"] = json!(NO_MOTHER_FNR);
    let mother = IDP.token(claims);
    // She may not read his allergies (R33)...
    let (status, body) = read_fhir(
        app.get(
            &format!("/AllergyIntolerance?patient={NO_CHILD_13}"),
            Some(&mother),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 0);
    // ... so his log shows her that a professional searched, but not what was found.
    let event = log_event(&app, NO_CHILD_13, &mother, &request_id).await;
    assert!(
        !event.to_string().contains("AllergyIntolerance/"),
        "{event:#}"
    );
    assert_eq!(total(&event), 0, "{event:#}");
}

#[actix_web::test]
async fn a_search_naming_too_many_patients_is_refused_and_writes_nobody_s_log() {
    let settings = test_settings_on_sqlite(&IDP);
    let database = settings.database.url.clone();
    let app = spawn_with(settings).await;
    let doctor = professional_token("1234567", None);
    // 4,000 ids in a POST _search, as in the review.
    let mut ids: Vec<String> = (0..3_999).map(|i| format!("no.x{i}")).collect();
    ids.push(data::NO_POLYPHARMACY.to_owned());
    let form = format!("patient={}", ids.join(","));
    let (status, body) = app
        .post_form("/MedicationRequest/_search", &doctor, &form)
        .await;
    assert_outcome(status, &body, 400, "invalid");
    assert!(
        body["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("at most 20 patients"),
        "{body:#}"
    );
    // Twenty-one by repetition: refused too.
    let many: Vec<String> = (0..21)
        .map(|i| format!("patient=no.p-nobody-{i}"))
        .collect();
    let (status, body) = read_fhir(
        app.get(
            &format!("/MedicationRequest?{}", many.join("&")),
            Some(&doctor),
        )
        .await,
    )
    .await;
    assert_outcome(status, &body, 400, "invalid");
    // Within the bound, ids of nobody are the request's query, not patients of the record.
    let (status, _, _) = get_with_id(
        &app,
        &format!(
            "/MedicationRequest?patient={},no.p-nobody-1,se.p-nobody-2",
            data::NO_POLYPHARMACY
        ),
        &doctor,
    )
    .await;
    assert_eq!(status, 200);
    let pool = sqlx::SqlitePool::connect(&database).await.unwrap();
    let indexed: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT patient_id FROM audit_event_patients ORDER BY patient_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let indexed: Vec<String> = indexed.into_iter().map(|(p,)| p).collect();
    assert_eq!(
        indexed,
        vec![data::NO_POLYPHARMACY.to_owned()],
        "{indexed:?}"
    );
}
