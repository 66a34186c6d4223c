//! The dev eID (`/dev-eid/`): an ordinary OpenID Provider to a relying party, tried over
//! HTTP as one would: discovery, the login page, the code flow with PKCE, the ID token checked
//! against the published JWKS, and the errors a client can meet.

use ehds_gateway::config::{Profile, Settings};
use ehds_gateway::startup::Application;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{IDP, TestApp, spawn_with, test_settings};
use crate::support::browser;
use crate::support::data;
use crate::support::oidc_op::{jwt_payload, pkce_pair, query_param, random_value};

/// The gateway's own relying party in the dev defaults.
const CLIENT_ID: &str = "ehds-gateway";
const CLIENT_SECRET: &str = "dev-eid-secret";

fn settings() -> Settings {
    let mut settings = test_settings(&IDP);
    settings.dev_eid.enabled = true;
    settings.dev_eid.key_file = String::new();
    settings
}

async fn spawn_dev_eid() -> TestApp {
    spawn_with(settings()).await
}

/// One authorization request of the gateway's client, with what it needs for the token.
struct Flow {
    state: String,
    nonce: String,
    verifier: String,
    challenge: String,
    redirect_uri: String,
}

impl Flow {
    fn new(app: &TestApp) -> Flow {
        let (verifier, challenge) = pkce_pair();
        Flow {
            state: random_value(),
            nonce: random_value(),
            verifier,
            challenge,
            redirect_uri: format!("{}/auth/eid/callback", app.base_url),
        }
    }

    /// `/dev-eid/authorize?...` with these values and `extra` parameters (which replace the
    /// standard ones of the same name; an empty value drops the parameter).
    fn authorize_url(&self, app: &TestApp, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", &self.redirect_uri),
            ("scope", "openid"),
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.challenge),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in extra {
            params.retain(|(n, _)| n != name);
            if !value.is_empty() {
                params.push((name, value));
            }
        }
        let query = serde_urlencoded::to_string(&params).unwrap();
        format!("{}/dev-eid/authorize?{query}", app.base_url)
    }
}

async fn get(app: &TestApp, url: &str) -> (StatusCode, String, Option<String>) {
    let response = app.client.get(url).send().await.unwrap();
    let status = response.status();
    let location = location(&response);
    (status, response.text().await.unwrap(), location)
}

fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
}

/// The hidden login id of a login page.
fn login_id(page: &str) -> String {
    let start = page.find("name=\"login\" value=\"").expect("a login form") + 20;
    page[start..].split('"').next().unwrap().to_owned()
}

/// Opens the login page of `flow` and submits `form` (beside the login id).
async fn log_in(
    app: &TestApp,
    flow: &Flow,
    form: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let (status, page, _) = get(app, &flow.authorize_url(app, &[])).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let login = login_id(&page);
    let mut fields = vec![("login", login.as_str())];
    fields.extend_from_slice(form);
    post_login(app, &fields).await
}

async fn post_login(
    app: &TestApp,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let response = app
        .client
        .post(format!("{}/dev-eid/login", app.base_url))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = location(&response);
    (status, response.text().await.unwrap(), location)
}

/// Logs in as `person` and returns the code, after checking the redirect.
async fn code_for(app: &TestApp, flow: &Flow, person: &str, level: &str) -> String {
    let (status, body, location) = log_in(app, flow, &[("person", person), ("acr", level)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = location.expect("a redirect");
    assert!(location.starts_with(&flow.redirect_uri), "{location}");
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(flow.state.as_str())
    );
    assert_eq!(
        query_param(&location, "iss"),
        Some(format!("{}/dev-eid", app.base_url))
    );
    query_param(&location, "code").expect("a code")
}

/// POSTs to the token endpoint with HTTP Basic client authentication.
async fn token(
    app: &TestApp,
    form: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    token_with(app, Some((CLIENT_ID, CLIENT_SECRET)), form).await
}

async fn token_with(
    app: &TestApp,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = app
        .client
        .post(format!("{}/dev-eid/token", app.base_url))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

fn exchange<'a>(flow: &'a Flow, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &flow.redirect_uri),
        ("code_verifier", &flow.verifier),
    ]
}

/// Asserts an OAuth error answer of the token endpoint.
fn assert_oauth_error(
    (status, headers, body): &(StatusCode, reqwest::header::HeaderMap, Value),
    expected_status: u16,
    error: &str,
) {
    assert_eq!(status.as_u16(), expected_status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
}

/// Verifies the ID token against the published JWKS, for this client and issuer.
async fn verify_id_token(app: &TestApp, id_token: &str) -> Value {
    let discovery: Value = app
        .client
        .get(format!(
            "{}/dev-eid/.well-known/openid-configuration",
            app.base_url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwks: JwkSet = app
        .client
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("the kid is published");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[CLIENT_ID]);
    validation.set_issuer(&[discovery["issuer"].as_str().unwrap()]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(id_token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("the ID token verifies")
        .claims
}

#[actix_web::test]
async fn discovery_announces_an_ordinary_openid_provider() {
    let app = spawn_dev_eid().await;
    let response = app
        .client
        .get(format!(
            "{}/dev-eid/.well-known/openid-configuration",
            app.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    let issuer = format!("{}/dev-eid", app.base_url);
    assert_eq!(doc["issuer"], issuer);
    assert_eq!(doc["authorization_endpoint"], format!("{issuer}/authorize"));
    assert_eq!(doc["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(doc["jwks_uri"], format!("{issuer}/jwks"));
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(
        doc["acr_values_supported"],
        json!([
            "http://eidas.europa.eu/LoA/low",
            "http://eidas.europa.eu/LoA/substantial",
            "http://eidas.europa.eu/LoA/high"
        ])
    );
    let claims: Vec<&str> = doc["claims_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for claim in ["sub", "acr", "pid", "nonce", "auth_time"] {
        assert!(claims.contains(&claim), "{claim} in {claims:?}");
    }
    let jwks: Value = app
        .client
        .get(format!("{issuer}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    assert!(key.get("d").is_none(), "no private part is published");
}

#[actix_web::test]
async fn the_login_page_lists_the_synthetic_people_with_the_hinted_one_first() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    let url = flow.authorize_url(&app, &[("login_hint", data::SE_ADULT)]);
    let (status, page, _) = get(&app, &url).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let buttons = page.matches("name=\"person\" value=\"").count();
    // 48 people, the typed-number button and Cancel.
    assert_eq!(buttons, 48 + 2, "{page}");
    for (key, name) in [
        (data::NO_ADULT, "Kristin Haugen"),
        (data::SE_ADULT, "Anna Lindberg"),
        (data::DK_ADULT, "Mette Kjær Nielsen"),
        (data::FI_ADULT, "Laura Maria Korhonen"),
    ] {
        assert!(
            page.contains(&format!("value=\"{key}\">{name}</button>")),
            "{key}: {page}"
        );
    }
    assert!(page.contains("Norway, 38 years") || page.contains("Norway, 37 years"));
    assert!(
        page.contains(data::NO_ADULT_FNR),
        "the synthetic numbers are shown"
    );
    let first = page.find("name=\"person\" value=\"").unwrap();
    assert!(page[first..].starts_with(&format!("name=\"person\" value=\"{}\"", data::SE_ADULT)));
    assert!(page.contains("<option value=\"substantial\" selected>"));
    // acr_values preselects the level asked for.
    let url = flow.authorize_url(&app, &[("acr_values", "http://eidas.europa.eu/LoA/high")]);
    let (_, page, _) = get(&app, &url).await;
    assert!(page.contains("<option value=\"high\" selected>"), "{page}");
}

#[actix_web::test]
async fn a_code_flow_gives_an_id_token_that_verifies_against_the_published_jwks() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    let code = code_for(&app, &flow, data::NO_ADULT, "high").await;
    let answer = token(&app, &exchange(&flow, &code)).await;
    let (status, headers, body) = &answer;
    assert_eq!(*status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));
    assert!(body["expires_in"].as_i64().is_some_and(|s| s > 0));
    let claims = verify_id_token(&app, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["nonce"], flow.nonce.as_str());
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/high");
    assert_eq!(claims["pid"], data::NO_ADULT_FNR);
    assert_eq!(claims["pid_country"], "NO");
    assert_eq!(claims["name"], "Kristin Haugen");
    let sub = claims["sub"].as_str().unwrap();
    assert!(!sub.contains(data::NO_ADULT_FNR), "sub is a pseudonym");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        claims["auth_time"]
            .as_i64()
            .is_some_and(|t| (now - t).abs() < 60)
    );
    assert!(claims["exp"].as_i64().unwrap() > now);
    // The same person gets the same subject next time.
    let again = Flow::new(&app);
    let code = code_for(&app, &again, data::NO_ADULT, "substantial").await;
    let (_, _, body) = token(&app, &exchange(&again, &code)).await;
    let claims = verify_id_token(&app, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], sub);
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/substantial");
}

#[actix_web::test]
async fn a_typed_national_id_logs_in_with_client_secret_post_and_an_invalid_one_is_refused() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    let (status, page, location) = log_in(
        &app,
        &flow,
        &[
            ("person", "typed"),
            ("country", "NO"),
            ("national_id", "12848801266"),
            ("acr", "low"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(location.is_none());
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(page.contains("not a valid national ID"), "{page}");
    assert!(
        page.contains("<option value=\"low\" selected>"),
        "the choice is kept"
    );
    // The same page, corrected: a valid number that nobody in the data set holds.
    let login = login_id(&page);
    let (status, body, location) = post_login(
        &app,
        &[
            ("login", &login),
            ("person", "typed"),
            ("country", "NO"),
            ("national_id", data::NO_UNKNOWN_FNR),
            ("acr", "low"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let code = query_param(&location.unwrap(), "code").unwrap();
    let mut form = exchange(&flow, &code);
    form.extend([("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)]);
    let (status, _, body) = token_with(&app, None, &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = verify_id_token(&app, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["pid"], data::NO_UNKNOWN_FNR);
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/low");
    assert!(claims.get("name").is_none(), "nobody of the data set");
    // Nothing typed, or no country: the page again.
    let (status, page, _) = log_in(
        &app,
        &flow,
        &[("person", "typed"), ("country", "NO"), ("acr", "low")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("type a national ID"), "{page}");
    let (status, page, _) = log_in(
        &app,
        &flow,
        &[
            ("person", "typed"),
            ("country", "XX"),
            ("national_id", data::NO_UNKNOWN_FNR),
            ("acr", "low"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("choose the country"), "{page}");
}

#[actix_web::test]
async fn a_pkce_mismatch_is_an_invalid_grant() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    let code = code_for(&app, &flow, data::DK_ADULT, "substantial").await;
    let (other_verifier, _) = pkce_pair();
    let mut form = exchange(&flow, &code);
    form.retain(|(n, _)| *n != "code_verifier");
    form.push(("code_verifier", &other_verifier));
    assert_oauth_error(&token(&app, &form).await, 400, "invalid_grant");
    // The failed attempt used the code up.
    assert_oauth_error(
        &token(&app, &exchange(&flow, &code)).await,
        400,
        "invalid_grant",
    );
    // A missing verifier for a code with a challenge.
    let flow = Flow::new(&app);
    let code = code_for(&app, &flow, data::DK_ADULT, "substantial").await;
    let mut form = exchange(&flow, &code);
    form.retain(|(n, _)| *n != "code_verifier");
    assert_oauth_error(&token(&app, &form).await, 400, "invalid_grant");
}

#[actix_web::test]
async fn a_code_works_once() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    let code = code_for(&app, &flow, data::FI_ADULT, "substantial").await;
    let (status, _, body) = token(&app, &exchange(&flow, &code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let again = token(&app, &exchange(&flow, &code)).await;
    assert_oauth_error(&again, 400, "invalid_grant");
    let unknown = token(&app, &exchange(&flow, "no-such-code")).await;
    assert_oauth_error(&unknown, 400, "invalid_grant");
}

#[actix_web::test]
async fn a_wrong_redirect_uri_is_refused_at_both_endpoints() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    // At the authorization endpoint: a page, never a redirect to the unregistered URI.
    let evil = "https://evil.example/cb";
    for redirect in [evil, &format!("{}/", flow.redirect_uri), ""] {
        let url = flow.authorize_url(&app, &[("redirect_uri", redirect)]);
        let (status, page, location) = get(&app, &url).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
        assert!(location.is_none());
        assert!(page.contains("redirect_uri"), "{page}");
    }
    // At the token endpoint: not the one of the authorization request.
    let code = code_for(&app, &flow, data::NO_ADULT, "substantial").await;
    let mut form = exchange(&flow, &code);
    form.retain(|(n, _)| *n != "redirect_uri");
    form.push(("redirect_uri", evil));
    assert_oauth_error(&token(&app, &form).await, 400, "invalid_grant");
}

#[actix_web::test]
async fn an_unknown_client_is_refused_at_both_endpoints() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    for client in ["stranger", ""] {
        let url = flow.authorize_url(&app, &[("client_id", client)]);
        let (status, page, location) = get(&app, &url).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
        assert!(location.is_none());
        assert!(page.contains("client"), "{page}");
    }
    let code = code_for(&app, &flow, data::NO_ADULT, "substantial").await;
    for basic in [
        Some(("stranger", CLIENT_SECRET)),
        Some((CLIENT_ID, "wrong")),
        None,
    ] {
        let answer = token_with(&app, basic, &exchange(&flow, &code)).await;
        assert_oauth_error(&answer, 401, "invalid_client");
        assert_eq!(answer.1["www-authenticate"], "Basic realm=\"dev-eid\"");
    }
    // The code was not spent on the refused clients.
    let (status, _, body) = token(&app, &exchange(&flow, &code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[actix_web::test]
async fn authorization_errors_go_back_to_a_registered_client_per_oauth() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[("scope", "profile")], "invalid_scope"),
        (&[("code_challenge_method", "plain")], "invalid_request"),
        (&[("code_challenge", "too-short")], "invalid_request"),
        (&[("code_challenge", "")], "invalid_request"),
        (&[("prompt", "none")], "login_required"),
    ];
    for (params, error) in cases {
        let (status, body, location) = get(&app, &flow.authorize_url(&app, params)).await;
        assert_eq!(status, StatusCode::FOUND, "{params:?}: {body}");
        let location = location.unwrap();
        assert!(location.starts_with(&flow.redirect_uri), "{location}");
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some(error),
            "{params:?}"
        );
        assert_eq!(query_param(&location, "state"), Some(flow.state.clone()));
        assert!(query_param(&location, "code").is_none());
    }
    // Cancelling on the login page.
    let (status, _, location) = log_in(&app, &flow, &[("person", "cancel"), ("acr", "low")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&location, "state"), Some(flow.state.clone()));
}

#[actix_web::test]
async fn a_login_page_gives_one_code_and_an_unknown_one_is_refused() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    let (_, page, _) = get(&app, &flow.authorize_url(&app, &[])).await;
    let login = login_id(&page);
    let form = [
        ("login", login.as_str()),
        ("person", data::NO_ADULT),
        ("acr", "high"),
    ];
    let (status, _, _) = post_login(&app, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page, location) = post_login(&app, &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(location.is_none());
    assert!(page.contains("expired or was used already"), "{page}");
    let (status, _, _) = post_login(
        &app,
        &[
            ("login", "forged"),
            ("person", data::NO_ADULT),
            ("acr", "high"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A person who is not listed, or a level that does not exist: the page again.
    let (status, page, _) =
        log_in(&app, &flow, &[("person", "no.p-nobody"), ("acr", "high")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("choose a person"), "{page}");
    let (status, page, _) = log_in(
        &app,
        &flow,
        &[("person", data::NO_ADULT), ("acr", "extreme")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("assurance level"), "{page}");
}

#[actix_web::test]
async fn token_requests_that_are_not_code_exchanges_get_oauth_errors() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    let code = code_for(&app, &flow, data::NO_ADULT, "substantial").await;
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", "x")];
    assert_oauth_error(&token(&app, &refresh).await, 400, "unsupported_grant_type");
    let no_grant = [("code", code.as_str())];
    assert_oauth_error(&token(&app, &no_grant).await, 400, "invalid_request");
    let no_code = [
        ("grant_type", "authorization_code"),
        ("redirect_uri", &flow.redirect_uri),
    ];
    assert_oauth_error(&token(&app, &no_code).await, 400, "invalid_request");
    // Both authentication methods at once.
    let mut both = exchange(&flow, &code);
    both.push(("client_secret", CLIENT_SECRET));
    assert_oauth_error(&token(&app, &both).await, 400, "invalid_request");
    // Not a form.
    let response = app
        .client
        .post(format!("{}/dev-eid/token", app.base_url))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .json(&json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap();
    assert_oauth_error(&(status, headers, body), 400, "invalid_request");
    // None of these spent the code.
    let (status, _, body) = token(&app, &exchange(&flow, &code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(jwt_payload(body["id_token"].as_str().unwrap())["pid"].is_string());
}

#[actix_web::test]
async fn the_dev_eid_is_absent_when_disabled() {
    let app = spawn_with(test_settings(&IDP)).await;
    for path in [
        "/dev-eid/.well-known/openid-configuration",
        "/dev-eid/jwks",
        "/dev-eid/authorize",
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[actix_web::test]
async fn the_production_profile_refuses_to_start_with_the_dev_eid() {
    let mut settings = settings();
    settings.profile = Profile::Production;
    settings.telemetry.pseudonym_key = crate::support::app::PSEUDONYM_KEY.into();
    let refused = Application::build(settings.clone())
        .await
        .err()
        .expect("refused");
    let message = refused.to_string();
    assert!(message.contains("dev_eid.enabled"), "{message}");
    assert!(message.contains("production"), "{message}");
    settings.dev_eid.enabled = false;
    // The countries' eID logins default to the dev eID as well: production names its own.
    let refused = Application::build(settings.clone())
        .await
        .err()
        .expect("refused");
    assert!(refused.to_string().contains("auth.eid"), "{refused}");
    settings.auth.eid.clear();
    // Nor the example app, http:// or an unlimited rate (see the config tests).
    settings.auth.server.example_app = false;
    settings.auth.clients.clear();
    settings.server.public_base_url = "https://gateway.example.org".into();
    // Nor a pinned date: production works on the real one.
    settings.clock.fixed_today = None;
    Application::build(settings)
        .await
        .expect("starts without it");
}

#[actix_web::test]
async fn the_login_page_works_in_headless_chromium() {
    let app = spawn_dev_eid().await;
    let flow = Flow::new(&app);
    let run = browser::run(json!({
        "capture_prefix": flow.redirect_uri,
        "steps": [
            {"goto": flow.authorize_url(&app, &[])},
            {"select": {"label": "Assurance level", "value": "high"}},
            {"click": {"role": "button", "name": "Kristin Haugen"}},
            {"wait_for_url": flow.redirect_uri},
        ],
    }))
    .await;
    assert!(run.ok, "{run:?}");
    // The gateway has no callback yet (404): the browser's request to it is what counts.
    assert_eq!(run.captured.len(), 1, "{run:?}");
    let callback = &run.captured[0];
    assert!(callback.starts_with(&flow.redirect_uri), "{run:?}");
    assert_eq!(query_param(callback, "state"), Some(flow.state.clone()));
    let code = query_param(callback, "code").expect("a code");
    let (status, _, body) = token(&app, &exchange(&flow, &code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = verify_id_token(&app, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["pid"], data::NO_ADULT_FNR);
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/high");
}
