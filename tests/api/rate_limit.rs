//! The per-client rate limit (R41): a client over its budget gets 429 with `Retry-After`
//! and an OperationOutcome, other clients are served, and the client is served again once
//! it has waited as long as it was told.

use std::time::Duration;

use serde_json::json;

use crate::support::app::{AUDIENCE, IDP, assert_outcome, read_fhir, spawn_with, test_settings};
use crate::support::data;

fn token_of(client_id: &str) -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/*.rs", Some(data::NO_ADULT));
    claims["client_id"] = json!(client_id);
    IDP.token(claims)
}

#[actix_web::test]
async fn a_client_over_its_budget_gets_429_and_others_are_served() {
    let mut settings = test_settings(&IDP);
    settings.server.rate_limit_per_second = 1;
    settings.server.rate_limit_burst = 3;
    let app = spawn_with(settings).await;
    let path = format!("/Patient/{}", data::NO_ADULT);
    let greedy = token_of("greedy-app");
    for _ in 0..3 {
        let (status, _) = read_fhir(app.get(&path, Some(&greedy)).await).await;
        assert_eq!(status, 200);
    }
    let refused = app.get(&path, Some(&greedy)).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    let (status, body) = read_fhir(refused).await;
    assert_outcome(status, &body, 429, "throttled");

    // Another app is not held back by the first one's burst.
    let (status, _) = read_fhir(app.get(&path, Some(&token_of("calm-app"))).await).await;
    assert_eq!(status, 200);

    // Waiting as told is enough.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, _) = read_fhir(app.get(&path, Some(&greedy)).await).await;
    assert_eq!(status, 200);
}
