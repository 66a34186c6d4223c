//! The gateway as authorization server in tests: a registered backend service whose keys are
//! the test IdP's (so that `IDP.token_with` signs its client assertions), form posts to
//! `/auth/*`, and the checks every OAuth answer must pass.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use ehds_gateway::config::Settings;

use crate::support::app::{IDP, TestApp, test_settings};
use crate::support::idp::RSA_KID;

pub const BACKEND: &str = "backend-service";

/// Test settings with a confidential-asymmetric backend client registered (system scopes).
pub fn authz_settings() -> Settings {
    let mut settings = test_settings(&IDP);
    let backend = serde_json::from_value(json!({
        "client_id": BACKEND,
        "name": "Backend service",
        "kind": "confidential-asymmetric",
        "scopes": ["system/*.rs", "system/Patient.read"],
        "jwks": IDP.jwks(),
    }))
    .expect("a valid client");
    settings.auth.clients.push(backend);
    settings
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The claims of a good client assertion of `client_id` for `app`'s token endpoint.
pub fn assertion_claims(app: &TestApp, client_id: &str) -> Value {
    let now = now();
    json!({
        "iss": client_id, "sub": client_id, "aud": format!("{}/auth/token", app.base_url),
        "iat": now, "exp": now + 60,
        "jti": format!("jti-{}", uuid_like()),
    })
}

/// A good RS384 assertion of the backend client.
pub fn assertion(app: &TestApp) -> String {
    IDP.token_with("RS384", Some(RSA_KID), assertion_claims(app, BACKEND))
}

/// 128 random bits in hex, for unique `jti`s.
pub fn uuid_like() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The form parameters of a client_credentials request with `assertion`.
pub fn client_credentials(assertion: &str, scope: &str) -> Vec<(String, String)> {
    vec![
        ("grant_type".into(), "client_credentials".into()),
        (
            "client_assertion_type".into(),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ),
        ("client_assertion".into(), assertion.into()),
        ("scope".into(), scope.into()),
    ]
}

/// POSTs a form to `path` (under the base URL); returns status, headers and the JSON body
/// (`Null` when empty).
pub async fn post(
    app: &TestApp,
    path: &str,
    form: &[(String, String)],
) -> (StatusCode, HeaderMap, Value) {
    let body = serde_urlencoded::to_string(form).unwrap();
    let response = app
        .client
        .post(format!("{}{path}", app.base_url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("the gateway answers");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, headers, body)
}

/// An OAuth error answer: status, `error` code, a description, and never cached.
pub fn assert_oauth_error(
    case: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &Value,
    expected_status: u16,
    error: &str,
) {
    assert_eq!(status.as_u16(), expected_status, "{case}: {body:#}");
    assert_eq!(body["error"], error, "{case}: {body:#}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{case}: {body:#}"
    );
    assert_no_store(case, headers);
}

pub fn assert_no_store(case: &str, headers: &HeaderMap) {
    assert_eq!(
        headers.get("cache-control").map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{case}"
    );
    assert_eq!(
        headers.get("pragma").map(|v| v.to_str().unwrap()),
        Some("no-cache"),
        "{case}"
    );
}

/// A system token for the backend client.
pub async fn system_token(app: &TestApp, scope: &str) -> String {
    let (status, _, body) = post(
        app,
        "/auth/token",
        &client_credentials(&assertion(app), scope),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// The claims of a compact JWT, unverified (the gateway verifies; tests read).
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).expect("a compact JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}
