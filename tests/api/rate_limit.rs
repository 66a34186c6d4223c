//! The rate limits (R41): a user over its budget gets 429 with `Retry-After` and an
//! OperationOutcome while the app's other users and other apps are served; the users of one
//! app together are held to the app's ceiling; and a client is served again once it has
//! waited as long as it was told.

use std::time::Duration;

use serde_json::json;

use crate::support::app::{AUDIENCE, IDP, assert_outcome, read_fhir, spawn_with, test_settings};
use crate::support::data;

fn token_of(client_id: &str) -> String {
    user_token_of(client_id, "test-subject")
}

/// A token of one user of an app: a professional, named by `sub` (a citizen's token would
/// name the user by their national identifier, one person whatever the `sub`).
fn user_token_of(client_id: &str, subject: &str) -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, "user/*.rs", None);
    claims["client_id"] = json!(client_id);
    claims["sub"] = json!(subject);
    claims["fhirUser"] = json!(format!("Practitioner/{subject}"));
    IDP.token(claims)
}

/// One request per hour refills a bucket: no test run is long enough for a refill, so what
/// a test sees depends on its own requests only, never on timing.
const PER_HOUR: f64 = 1.0 / 3600.0;

/// A 429 with an OperationOutcome `throttled` and a Retry-After of 1 s to an hour.
async fn assert_throttled(response: reqwest::Response) {
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=3600).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 429, "throttled");
}

#[actix_web::test]
async fn one_user_over_its_budget_gets_429_and_the_apps_other_users_are_served() {
    let mut settings = test_settings(&IDP);
    settings.server.rate_limit_per_second = PER_HOUR;
    settings.server.rate_limit_burst = 2;
    settings.server.app_rate_limit_per_second = PER_HOUR;
    settings.server.app_rate_limit_burst = 100;
    let app = spawn_with(settings).await;
    let path = format!("/Patient/{}", data::NO_ADULT);
    let greedy = user_token_of("popular-app", "greedy-user");
    for _ in 0..2 {
        let (status, _) = read_fhir(app.get(&path, Some(&greedy)).await).await;
        assert_eq!(status, 200);
    }
    assert_throttled(app.get(&path, Some(&greedy)).await).await;
    // Another user of the same app still has a full bucket.
    let calm = user_token_of("popular-app", "calm-user");
    for _ in 0..2 {
        let (status, body) = read_fhir(app.get(&path, Some(&calm)).await).await;
        assert_eq!(status, 200, "{body}");
    }
    // A new token of the greedy user is the same user.
    assert_throttled(
        app.get(&path, Some(&user_token_of("popular-app", "greedy-user")))
            .await,
    )
    .await;
}

#[actix_web::test]
async fn the_app_ceiling_refuses_when_its_users_together_exceed_it() {
    let mut settings = test_settings(&IDP);
    settings.server.rate_limit_per_second = PER_HOUR;
    settings.server.rate_limit_burst = 2;
    settings.server.app_rate_limit_per_second = PER_HOUR;
    settings.server.app_rate_limit_burst = 3;
    let app = spawn_with(settings).await;
    let path = format!("/Patient/{}", data::NO_ADULT);
    for user in ["user-1", "user-2", "user-3"] {
        let token = user_token_of("popular-app", user);
        let (status, body) = read_fhir(app.get(&path, Some(&token)).await).await;
        assert_eq!(status, 200, "{user}: {body}");
    }
    // user-4 has not spent anything of its own, but the app has spent its ceiling.
    assert_throttled(
        app.get(&path, Some(&user_token_of("popular-app", "user-4")))
            .await,
    )
    .await;
    // Another app's user is not held back.
    let (status, _) = read_fhir(
        app.get(&path, Some(&user_token_of("other-app", "user-4")))
            .await,
    )
    .await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn a_client_over_its_budget_gets_429_and_others_are_served() {
    let mut settings = test_settings(&IDP);
    settings.server.rate_limit_per_second = 1.0;
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
