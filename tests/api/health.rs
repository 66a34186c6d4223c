//! Liveness, readiness, metrics and the request id.

use crate::support::app::{patient_token, portal_over_http, spawn_app};
use crate::support::data;

#[actix_web::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let live = app
        .client
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let ready = app
        .client
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let countries: Vec<&str> = body["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["country"].as_str().unwrap())
        .collect();
    assert_eq!(countries, ["NO", "SE", "DK", "FI"]);
    let kind = if portal_over_http() {
        "http"
    } else {
        "embedded"
    };
    for source in body["sources"].as_array().unwrap() {
        assert_eq!(source["kind"], kind, "{body:#}");
        assert_eq!(source["ready"], true);
    }
}

#[actix_web::test]
async fn metrics_count_requests_by_route_without_identifiers() {
    let app = spawn_app().await;
    let token = patient_token(data::NO_ADULT, "patient/*.rs");
    app.fhir_ok(&format!("/Patient/{}", data::NO_ADULT), &token)
        .await;
    app.fhir_ok(
        &format!(
            "/Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|{}",
            data::NO_ADULT_FNR
        ),
        &token,
    )
    .await;
    let response = app
        .client
        .get(format!("{}/metrics", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("ehds_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/fhir/{type}/{id}\""), "{text}");
    assert!(!text.contains(data::NO_ADULT_FNR));
    assert!(!text.contains(data::NO_ADULT), "no ids in labels");
}

#[actix_web::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = spawn_app().await;
    for path in ["/metadata", "/Patient"] {
        let response = app.get(path, None).await;
        let id = response
            .headers()
            .get("x-request-id")
            .expect("x-request-id")
            .to_str()
            .unwrap();
        assert!(id.len() >= 16);
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
}
