//! Error statuses a client can hit, each an OperationOutcome (R39).

use crate::support::app::{assert_outcome, patient_token, read_fhir, spawn_app, user_token};
use crate::support::data;

#[actix_web::test]
async fn unknown_resource_types_and_paths_are_404() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    app.assert_each_refused(
        [
            "/Encounter?patient=x",
            "/Foo/1",
            "/Encounter/1",
            "/Patient/x/_history",
            "/",
        ],
        &token,
        404,
        "not-found",
    )
    .await;
    let response = app
        .client
        .get(format!("{}/nothing-here", app.base_url))
        .send()
        .await
        .unwrap();
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 404, "not-found");
}

#[actix_web::test]
async fn writes_are_405_but_unknown_types_stay_404() {
    let app = spawn_app().await;
    let token = user_token("user/*.*");
    let patient = format!("/Patient/{}", data::NO_ADULT);
    for (method, path) in [
        (reqwest::Method::POST, "/Patient".to_owned()),
        (reqwest::Method::PUT, patient.clone()),
        (reqwest::Method::DELETE, patient.clone()),
        (reqwest::Method::PATCH, patient),
        (reqwest::Method::DELETE, "/MedicationRequest".to_owned()),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&token)
            .header("Content-Type", "application/fhir+json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers().get("allow").map(|v| v.to_str().unwrap()),
            Some("GET")
        );
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 405, "not-supported");
        assert!(
            body["issue"][0]["diagnostics"]
                .as_str()
                .unwrap()
                .contains(method.as_str())
        );
    }
    let response = app
        .client
        .post(app.url("/Foo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 404, "not-found");
}

#[actix_web::test]
async fn malformed_requests_are_400() {
    let app = spawn_app().await;
    let token = patient_token(data::NO_ADULT, "patient/*.rs");
    app.assert_each_refused(
        [
            "/Patient?gender=a|b|c",
            "/Patient?birthdate=2024-13-01",
            "/Patient?_count=many",
            "/MedicationRequest?authoredon=yesterday",
            "/MedicationRequest?status:contains=act",
            "/MedicationRequest?_include=MedicationRequest:requester",
            "/Patient?_pretty=maybe",
            "/Patient?_page=garbage",
        ],
        &token,
        400,
        "invalid",
    )
    .await;
}

#[actix_web::test]
async fn too_many_parameters_or_too_large_a_body_are_refused() {
    let app = spawn_app().await;
    let token = patient_token(data::NO_ADULT, "patient/*.rs");
    let many: Vec<String> = (0..41).map(|i| format!("given=a{i}")).collect();
    let (status, body) = app
        .get_json(&format!("/Patient?{}", many.join("&")), Some(&token))
        .await;
    assert_outcome(status, &body, 400, "invalid");
    assert!(
        body["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("too many")
    );
    let big = format!("family={}", "a".repeat(70_000));
    let (status, body) = app.post_form("/Patient/_search", &token, &big).await;
    assert_outcome(status, &body, 413, "too-costly");
}

#[actix_web::test]
async fn post_search_needs_a_form_body() {
    let app = spawn_app().await;
    let token = patient_token(data::NO_ADULT, "patient/*.rs");
    let response = app
        .client
        .post(app.url("/Patient/_search"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("{\"family\": \"x\"}")
        .send()
        .await
        .unwrap();
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 415, "not-supported");
}

#[actix_web::test]
async fn xml_is_406_everywhere() {
    let app = spawn_app().await;
    let token = patient_token(data::NO_ADULT, "patient/*.rs");
    let path = format!("/Patient/{}", data::NO_ADULT);
    let (status, body) = app
        .get_json(
            &format!("{path}?_format=application/fhir%2Bxml"),
            Some(&token),
        )
        .await;
    assert_outcome(status, &body, 406, "not-supported");
    for accept in [
        "application/fhir+xml",
        "application/xml",
        "text/html;q=1, application/json;q=0",
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(&token)
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 406, "not-supported");
    }
    for accept in [
        "application/json",
        "application/fhir+json",
        "*/*",
        "text/html,application/xhtml+xml,*/*;q=0.8",
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(&token)
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        let (status, body) = read_fhir(response).await;
        assert_eq!(status, 200, "{accept}: {body}");
    }
}

/// A stored Consent that no longer parses (a damaged store) is an unexpected error: 500 with
/// an OperationOutcome that names no table, column or parser (R39), and no data is served
/// past the restriction the gateway cannot read (fail closed).
#[actix_web::test]
async fn a_damaged_store_is_a_500_without_detail_and_serves_nothing() {
    use reqwest::Method;
    use serde_json::json;

    let settings = crate::support::app::test_settings_on_sqlite(&crate::support::app::IDP);
    let url = settings.database.url.clone();
    let app = crate::support::app::spawn_with(settings).await;
    let patient = data::NO_POLYPHARMACY;
    let own = {
        let mut claims = crate::support::app::IDP.standard_claims(
            crate::support::app::AUDIENCE,
            "patient/Consent.cruds",
            Some(patient),
        );
        claims["pid"] = json!(data::NO_POLYPHARMACY_FNR);
        crate::support::app::IDP.token(claims)
    };
    let restriction = json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{patient}")},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}
    });
    let (status, created) = read_fhir(
        crate::consent_write::send(
            &app,
            Method::POST,
            "/Consent",
            &own,
            Some(&restriction),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created:#}");
    let id = created["id"].as_str().unwrap();

    // The store is damaged behind the gateway's back.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE consents SET resource = '{\"resourceType\": \"Patient\"' WHERE id = ?")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let doctor = user_token("user/*.rs");
    for (path, token) in [
        (format!("/Consent/{id}"), &own),
        (format!("/MedicationRequest?patient={patient}"), &doctor),
    ] {
        let (status, body) = app.get_json(&path, Some(token)).await;
        assert_outcome(status, &body, 500, "exception");
        assert_eq!(
            body["issue"][0]["diagnostics"],
            "internal error; the request id identifies it in the server log",
            "{path}"
        );
        let text = body.to_string();
        for internal in ["consents", "store", "EOF", "column", "sqlite", id] {
            assert!(!text.contains(internal), "{path}: {internal} leaks: {text}");
        }
    }
}
