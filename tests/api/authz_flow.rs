//! The citizen's login end to end against a real OpenID Provider (npm `oidc-provider`) as
//! the national eID: authorize → eID → choose whom to act for → approve → code → token →
//! FHIR; the eID answers the gateway must refuse (R1-R3); the own-use age (R44); refresh
//! rotation, grants and logins (R5, R38); and the code and refresh attacks of the matrix.

use std::net::TcpListener;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{TestApp, assert_outcome, read_fhir, spawn_with};
use crate::support::authz::{
    assert_no_store, assert_oauth_error, authz_settings, jwt_claims, post,
};
use crate::support::data;
use crate::support::oidc_op::{OidcOp, browser_like_client, pkce_pair, query_param, random_value};

type Form = Vec<(String, String)>;

/// Where the test apps are sent back to; nothing listens there, the tests read the URL.
pub const APP_CALLBACK: &str = "http://127.0.0.1:9/callback";
pub const TEST_APP: &str = "test-app";
pub const OTHER_APP: &str = "other-app";
pub const SCOPE: &str = "launch/patient openid fhirUser offline_access patient/*.rs";
const HIGH: &str = "http://eidas.europa.eu/LoA/high";
const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
const LOW: &str = "http://eidas.europa.eu/LoA/low";
/// Kristin Haugen's children.
pub const EMMA: &str = "no.p-no-003";

pub struct Eid {
    pub app: TestApp,
    _op: OidcOp,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A gateway whose Norwegian eID is a real OpenID Provider with test users, and two public
/// test apps.
/// The OP also knows the gateway as `gateway-pkjwt`, authenticating with `private_key_jwt`
/// under the key in the file that `change` is given.
pub async fn gateway_with_eid(
    change: impl FnOnce(&mut ehds_gateway::config::Settings, &str),
) -> Eid {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let rp_key = crate::support::db::fresh_path("rp-key.pem")
        .display()
        .to_string();
    let rp_jwks = ehds_gateway::auth::signing_key::SigningKey::load_or_create(
        std::path::Path::new(&rp_key),
        "rp",
    )
    .unwrap()
    .jwks();
    let op = OidcOp::start(json!({
        "clients": [{
            "client_id": "gateway", "client_secret": "op-secret",
            "redirect_uris": [format!("{base}/auth/eid/callback")],
        }, {
            "client_id": "gateway-pkjwt", "jwks": rp_jwks,
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "ES256",
            "redirect_uris": [format!("{base}/auth/eid/callback")],
        }],
        "users": [
            {"id": "kristin", "national_id": data::NO_ADULT_FNR, "acr": HIGH},
            {"id": "lukas", "national_id": "08831353342", "acr": SUBSTANTIAL},
            {"id": "jonas-low", "national_id": "03898604127", "acr": LOW},
            {"id": "forged", "national_id": data::NO_ADULT_FNR, "acr": HIGH, "tamper_signature": true},
            {"id": "other-nonce", "national_id": data::NO_ADULT_FNR, "acr": HIGH,
             "id_token_claims": {"nonce": "another-login's"}},
            {"id": "stranger", "national_id": data::NO_UNKNOWN_FNR, "acr": HIGH},
            {"id": "bad-number", "national_id": "12848801266", "acr": HIGH},
            // R38: an attorney and her grantor, a Finnish parent and her 12-year-old (who
            // may use apps alone), a Norwegian 5-year-old (who may not).
            {"id": "trine", "national_id": "25826830673", "acr": HIGH},
            {"id": "arne", "national_id": data::NO_POLYPHARMACY_FNR, "acr": HIGH},
            {"id": "laura", "national_id": "060587-900C", "acr": HIGH},
            {"id": "eetu", "national_id": "250114A901L", "acr": HIGH},
            {"id": "emma", "national_id": "15862161243", "acr": HIGH},
        ],
        "national_id_claim": "pid",
        "lifetime_seconds": 600,
    }));
    let mut settings = authz_settings();
    settings.server.port = port;
    for (id, name) in [(TEST_APP, "Test app"), (OTHER_APP, "Other app")] {
        settings.auth.clients.push(
            serde_json::from_value(json!({
                "client_id": id, "name": name, "kind": "public",
                "redirect_uris": [APP_CALLBACK],
                "scopes": ["openid", "fhirUser", "launch/patient", "offline_access", "patient/*.rs", "patient/*.read"],
            }))
            .unwrap(),
        );
    }
    settings.auth.eid = vec![
        serde_json::from_value(json!({
            "country": "NO", "issuer": op.issuer(), "client_id": "gateway",
            "client_secret": "op-secret", "national_id_claim": "pid", "min_acr": SUBSTANTIAL,
        }))
        .unwrap(),
    ];
    change(&mut settings, &rp_key);
    Eid {
        app: spawn_with(settings).await,
        _op: op,
    }
}

/// An app's authorization request in progress.
pub struct Login {
    pub client: reqwest::Client,
    pub verifier: String,
    pub state: String,
    pub nonce: String,
    pub url: String,
}

pub fn login(app: &TestApp, client_id: &str, scope: &str, login_hint: &str) -> Login {
    let (verifier, challenge) = pkce_pair();
    let (state, nonce) = (random_value(), random_value());
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", APP_CALLBACK),
        ("scope", scope),
        ("state", &state),
        ("nonce", &nonce),
        ("aud", &app.fhir_base),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("login_hint", login_hint),
    ])
    .unwrap();
    Login {
        client: browser_like_client(),
        verifier,
        state,
        nonce,
        url: format!("{}/auth/authorize?{query}", app.base_url),
    }
}

/// The value of the hidden `csrf` field of a page.
pub fn csrf(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[start..].split('"').next().unwrap().to_owned()
}

pub async fn page(client: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

pub async fn submit(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap()
}

impl Login {
    /// Follows the redirects from the authorize URL (through the eID, or not when the
    /// browser's login session is still live) to the first page that is no redirect.
    pub async fn through_eid(&self, _app: &TestApp) -> (StatusCode, String) {
        let mut url = reqwest::Url::parse(&self.url).unwrap();
        for _ in 0..20 {
            let response = self.client.get(url.clone()).send().await.unwrap();
            match response.headers().get("location") {
                Some(next) => url = url.join(next.to_str().unwrap()).unwrap(),
                None => return (response.status(), response.text().await.unwrap()),
            }
        }
        panic!("more than 20 redirects from {}", self.url);
    }

    /// Logs in, chooses `patient`, approves: the code the app receives.
    pub async fn code_for(&self, app: &TestApp, patient: &str) -> String {
        let (status, choose) = self.through_eid(app).await;
        assert_eq!(status, StatusCode::OK, "{choose}");
        let response = submit(
            &self.client,
            &format!("{}/auth/choose", app.base_url),
            &[("patient", patient), ("csrf", &csrf(&choose))],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (status, approve) = page(&self.client, &format!("{}/auth/approve", app.base_url)).await;
        assert_eq!(status, StatusCode::OK, "{approve}");
        let response = submit(
            &self.client,
            &format!("{}/auth/approve", app.base_url),
            &[("decision", "approve"), ("csrf", &csrf(&approve))],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(APP_CALLBACK), "{location}");
        assert_eq!(
            query_param(&location, "state").as_deref(),
            Some(self.state.as_str())
        );
        query_param(&location, "code").expect("a code")
    }
}

pub fn exchange(client_id: &str, code: &str, verifier: &str) -> Vec<(String, String)> {
    [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("redirect_uri", APP_CALLBACK),
        ("code", code),
        ("code_verifier", verifier),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn refresh(client_id: &str, token: &str, scope: Option<&str>) -> Vec<(String, String)> {
    let mut form = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("client_id".to_owned(), client_id.to_owned()),
        ("refresh_token".to_owned(), token.to_owned()),
    ];
    if let Some(scope) = scope {
        form.push(("scope".to_owned(), scope.to_owned()));
    }
    form
}

/// Tokens for Kristin acting for `patient` through `client_id`.
pub async fn tokens(eid: &Eid, client_id: &str, patient: &str) -> (Value, Login) {
    let login = login(&eid.app, client_id, SCOPE, "kristin");
    let code = login.code_for(&eid.app, patient).await;
    let (status, headers, body) = post(
        &eid.app,
        "/auth/token",
        &exchange(client_id, &code, &login.verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_no_store("token", &headers);
    (body, login)
}

/// The Done-when path without a browser: a parent logs in with the eID, acts for her child,
/// approves, and the app reads the child's immunizations; the token response field by
/// field (R5), the token's claims (R9, R34), the ID token (OIDC), the compartment (R6).
#[actix_web::test]
async fn a_parent_logs_in_with_the_eid_and_an_app_reads_her_childs_immunizations() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let login = login(app, TEST_APP, SCOPE, "kristin");
    let (status, choose) = login.through_eid(app).await;
    assert_eq!(status, StatusCode::OK, "{choose}");
    for person in [
        "Kristin Haugen (yourself)",
        "Emma Haugen (your child)",
        "Lukas Haugen (your child)",
    ] {
        assert!(choose.contains(person), "{person} is offered: {choose}");
    }
    // Nora is 17: in Norway parents act for their children until 16.
    assert!(!choose.contains("Nora"), "{choose}");
    let code = login.code_for(app, EMMA).await;
    let (status, headers, body) = post(
        app,
        "/auth/token",
        &exchange(TEST_APP, &code, &login.verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_no_store("token", &headers);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].is_i64() && body["expires_in"].as_i64().unwrap() > 0);
    assert_eq!(body["scope"], SCOPE);
    assert_eq!(body["patient"], EMMA);
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|r| r.len() >= 40)
    );
    let access = body["access_token"].as_str().unwrap();
    let claims = jwt_claims(access);
    assert_eq!(claims["iss"], json!(app.base_url));
    assert_eq!(claims["aud"], json!(app.fhir_base));
    assert_eq!(claims["client_id"], TEST_APP);
    assert_eq!(claims["patient"], EMMA);
    assert_eq!(claims["acting_for"], EMMA);
    assert_eq!(claims["sub"], data::NO_ADULT);
    assert_eq!(
        claims["fhirUser"],
        json!(format!("Patient/{}", data::NO_ADULT))
    );
    for name in ["exp", "iat", "jti", "scope"] {
        assert!(claims.get(name).is_some(), "{name}");
    }
    // The ID token: signed with a key of /auth/jwks, for the app, with the nonce and fhirUser.
    let id_token = body["id_token"].as_str().unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .client
        .get(format!("{}/auth/jwks", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = jsonwebtoken::decode_header(id_token).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[TEST_APP]);
    validation.set_issuer(&[&app.base_url]);
    let id = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(id["nonce"], json!(login.nonce));
    assert_eq!(
        id["fhirUser"],
        json!(format!("{}/Patient/{}", app.fhir_base, data::NO_ADULT))
    );
    assert_eq!(id["acr"], HIGH);

    let bundle = app
        .fhir_ok(&format!("/Immunization?patient={EMMA}"), access)
        .await;
    assert_eq!(bundle["total"], 6, "{bundle:#}");
    // The mother's own record is outside this token's patient context (R6).
    let (status, body) = app
        .get_json(&format!("/Patient/{}", data::NO_ADULT), Some(access))
        .await;
    assert_outcome(status, &body, 404, "not-found");
    let (status, body) = app
        .get_json(
            &format!("/Immunization?patient={}", data::NO_ADULT),
            Some(access),
        )
        .await;
    assert_outcome(status, &body, 403, "forbidden");
}

/// R1-R3: a login below the minimum assurance, an ID token of another login (nonce), a
/// tampered ID token, a national ID the portal does not know or that fails its check digits:
/// each ends on a page that says why, and nothing is issued.
#[actix_web::test]
async fn the_eid_answers_the_gateway_refuses() {
    let eid = gateway_with_eid(|_, _| {}).await;
    for (user, status, says) in [
        ("jonas-low", 401, "level of assurance is too low"),
        ("other-nonce", 401, "does not belong to this login"),
        ("forged", 401, "could not be verified"),
        ("stranger", 401, "not known to the health portal"),
        ("bad-number", 401, "no valid national identity number"),
    ] {
        let login = login(&eid.app, TEST_APP, SCOPE, user);
        let (got, page) = login.through_eid(&eid.app).await;
        assert_eq!(got.as_u16(), status, "{user}: {page}");
        assert!(page.contains(says), "{user}: {page}");
        // No session was opened: the account page sends the browser to log in.
        let response = login
            .client
            .get(format!("{}/auth/account/grants", eid.app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{user}");
    }
}

/// R44: a 13-year-old in Norway (own use from 16) gets a clear page and no token.
#[actix_web::test]
async fn a_citizen_below_the_own_use_age_gets_a_page_and_no_token() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let login = login(&eid.app, TEST_APP, SCOPE, "lukas");
    let (status, page) = login.through_eid(&eid.app).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("below the minimum age"), "{page}");
    assert!(!page.contains("csrf"), "no form to go on with");
}

/// The citizen denies: the app gets `access_denied` with its state, and no code.
#[actix_web::test]
async fn the_citizen_can_deny_the_app() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let login = login(app, TEST_APP, SCOPE, "kristin");
    let (_, choose) = login.through_eid(app).await;
    submit(
        &login.client,
        &format!("{}/auth/choose", app.base_url),
        &[("patient", data::NO_ADULT), ("csrf", &csrf(&choose))],
    )
    .await;
    let (_, approve) = page(&login.client, &format!("{}/auth/approve", app.base_url)).await;
    assert!(
        approve.contains("Test app") && approve.contains("Read your health data (all kinds)"),
        "{approve}"
    );
    // A forged form (no or another CSRF token) is refused.
    let response = submit(
        &login.client,
        &format!("{}/auth/approve", app.base_url),
        &[("decision", "approve"), ("csrf", "forged")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = submit(
        &login.client,
        &format!("{}/auth/approve", app.base_url),
        &[("decision", "deny"), ("csrf", &csrf(&approve))],
    )
    .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(login.state.as_str())
    );
    assert!(query_param(&location, "code").is_none());
}

/// R5 and R38: refresh with and without scope, never wider; rotation; the citizen lists and
/// revokes the grant, which kills its refresh and access tokens; ending the login does too.
#[actix_web::test]
async fn refresh_rotation_grants_and_logins() {
    grants_and_logins(gateway_with_eid(|_, _| {}).await).await;
}

/// The same on PostgreSQL, the store of several gateways.
#[actix_web::test]
async fn refresh_rotation_grants_logins_and_code_attacks_on_postgres() {
    let cluster = crate::support::db::TestCluster::start();
    let url = cluster.url();
    grants_and_logins(gateway_with_eid(|s, _| s.database.url = url.clone()).await).await;
    attack_matrix(gateway_with_eid(|s, _| s.database.url = url.clone()).await).await;
}

async fn grants_and_logins(eid: Eid) {
    let app = &eid.app;
    let (first, login) = tokens(&eid, TEST_APP, EMMA).await;
    let refresh_1 = first["refresh_token"].as_str().unwrap();
    // A public client introspects its own tokens (R10); another client learns nothing.
    for (token, kind) in [
        (first["access_token"].as_str().unwrap(), "Bearer"),
        (refresh_1, "refresh_token"),
    ] {
        let ask = |client: &str| {
            vec![
                ("client_id".to_owned(), client.to_owned()),
                ("token".to_owned(), token.to_owned()),
            ]
        };
        let (status, _, body) = post(app, "/auth/introspect", &ask(TEST_APP)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (body["active"].as_bool(), body["token_type"].as_str()),
            (Some(true), Some(kind)),
            "{body:#}"
        );
        assert_eq!(
            (
                body["patient"].as_str(),
                body["client_id"].as_str(),
                body["scope"].as_str()
            ),
            (Some(EMMA), Some(TEST_APP), Some(SCOPE))
        );
        assert!(body["exp"].as_i64().is_some());
        let (_, _, body) = post(app, "/auth/introspect", &ask(OTHER_APP)).await;
        assert_eq!(body, json!({"active": false}));
    }
    let (status, headers, second) =
        post(app, "/auth/token", &refresh(TEST_APP, refresh_1, None)).await;
    assert_eq!(status, StatusCode::OK, "{second:#}");
    assert_no_store("refresh", &headers);
    assert_eq!(
        (second["scope"].as_str(), second["patient"].as_str()),
        (Some(SCOPE), Some(EMMA))
    );
    let refresh_2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(refresh_1, refresh_2, "rotated");
    let narrower = "patient/Immunization.rs offline_access";
    let (status, _, third) = post(
        app,
        "/auth/token",
        &refresh(TEST_APP, refresh_2, Some(narrower)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{third:#}");
    assert_eq!(third["scope"], narrower);
    let access = third["access_token"].as_str().unwrap();
    app.fhir_ok(&format!("/Immunization?patient={EMMA}"), access)
        .await;
    let (status, body) = app
        .get_json(&format!("/AllergyIntolerance?patient={EMMA}"), Some(access))
        .await;
    assert_outcome(status, &body, 403, "forbidden");

    // The citizen's own list, with the login's cookie.
    let grants: Value = login
        .client
        .get(format!("{}/auth/account/grants", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = grants["grants"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{grants:#}");
    assert_eq!(
        (list[0]["client_id"].as_str(), list[0]["patient"].as_str()),
        (Some(TEST_APP), Some(EMMA))
    );
    let sessions: Value = login
        .client
        .get(format!("{}/auth/account/sessions", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sessions["sessions"].as_array().unwrap().len(), 1);
    let (status, page) = page(&login.client, &format!("{}/auth/account", app.base_url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Test app") && page.contains("Revoke Test app"),
        "{page}"
    );

    let response = login
        .client
        .delete(format!(
            "{}/auth/account/grants/{}",
            app.base_url,
            list[0]["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = app
        .get_json(&format!("/Immunization?patient={EMMA}"), Some(access))
        .await;
    assert_outcome(status, &body, 401, "login");
    let refresh_3 = third["refresh_token"].as_str().unwrap();
    let (status, headers, body) =
        post(app, "/auth/token", &refresh(TEST_APP, refresh_3, None)).await;
    assert_oauth_error(
        "refresh after the grant was revoked",
        status,
        &headers,
        &body,
        400,
        "invalid_grant",
    );
    let grants: Value = login
        .client
        .get(format!("{}/auth/account/grants", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(grants["grants"], json!([]));

    // A second app in the same browser needs no new eID login (the session); ending that
    // login kills the second app's tokens.
    let fresh = crate::authz_flow::login(app, OTHER_APP, SCOPE, "kristin");
    let fresh = Login {
        client: login.client.clone(),
        ..fresh
    };
    let code = fresh.code_for(app, data::NO_ADULT).await;
    let (status, _, other) = post(
        app,
        "/auth/token",
        &exchange(OTHER_APP, &code, &fresh.verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{other:#}");
    let other_access = other["access_token"].as_str().unwrap();
    app.fhir_ok(&format!("/Patient/{}", data::NO_ADULT), other_access)
        .await;
    let sessions: Value = fresh
        .client
        .get(format!("{}/auth/account/sessions", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = sessions["sessions"][0]["id"].as_str().unwrap().to_owned();
    let response = fresh
        .client
        .delete(format!("{}/auth/account/sessions/{session}", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = app
        .get_json(&format!("/Patient/{}", data::NO_ADULT), Some(other_access))
        .await;
    assert_outcome(status, &body, 401, "login");
    let (status, headers, body) = post(
        app,
        "/auth/token",
        &refresh(OTHER_APP, other["refresh_token"].as_str().unwrap(), None),
    )
    .await;
    assert_oauth_error(
        "refresh after the login ended",
        status,
        &headers,
        &body,
        400,
        "invalid_grant",
    );
}

/// The code and refresh-token rows of the attack matrix: each with its exact status and
/// error code; a replayed code or refresh token also revokes what it produced.
#[actix_web::test]
async fn code_and_refresh_attack_matrix() {
    attack_matrix(gateway_with_eid(|_, _| {}).await).await;
}

async fn attack_matrix(eid: Eid) {
    let app = &eid.app;
    // Codes prepared through real logins, one per case that consumes one.
    let mut codes = Vec::new();
    for _ in 0..6 {
        let login = login(app, TEST_APP, SCOPE, "kristin");
        let code = login.code_for(app, EMMA).await;
        codes.push((code, login.verifier));
    }
    let (wrong_verifier, _) = pkce_pair();
    // A code exchanged once, then replayed.
    let (used_code, used_verifier) = codes.pop().unwrap();
    let (status, _, first) = post(
        app,
        "/auth/token",
        &exchange(TEST_APP, &used_code, &used_verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // A refresh token rotated once, then replayed.
    let old_refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, _, rotated) =
        post(app, "/auth/token", &refresh(TEST_APP, &old_refresh, None)).await;
    assert_eq!(status, StatusCode::OK);
    let live_refresh = rotated["refresh_token"].as_str().unwrap().to_owned();

    let with = |form: Vec<(String, String)>, name: &str, value: Option<&str>| {
        let mut form: Vec<(String, String)> = form.into_iter().filter(|(k, _)| k != name).collect();
        if let Some(value) = value {
            form.push((name.to_owned(), value.to_owned()));
        }
        form
    };
    let (c1, v1) = codes[0].clone();
    let (c2, v2) = codes[1].clone();
    let (c3, v3) = codes[2].clone();
    let (c4, v4) = codes[3].clone();
    let (c5, v5) = codes[4].clone();
    let cases: Vec<(&str, Form, u16, &str)> = vec![
        (
            "PKCE verifier of another request",
            exchange(TEST_APP, &c1, &wrong_verifier),
            400,
            "invalid_grant",
        ),
        (
            "no PKCE verifier",
            with(exchange(TEST_APP, &c2, &v2), "code_verifier", None),
            400,
            "invalid_request",
        ),
        (
            "redirect_uri other than the request's",
            with(
                exchange(TEST_APP, &c3, &v3),
                "redirect_uri",
                Some("http://127.0.0.1:9/other"),
            ),
            400,
            "invalid_grant",
        ),
        (
            "code of another client",
            exchange(OTHER_APP, &c4, &v4),
            400,
            "invalid_grant",
        ),
        (
            "code unknown",
            exchange(TEST_APP, "made-up-code", &v5),
            400,
            "invalid_grant",
        ),
        (
            "no code",
            with(exchange(TEST_APP, &c5, &v5), "code", None),
            400,
            "invalid_request",
        ),
        (
            "refresh token unknown",
            refresh(TEST_APP, "made-up", None),
            400,
            "invalid_grant",
        ),
        (
            "refresh token of another client",
            refresh(OTHER_APP, &live_refresh, None),
            400,
            "invalid_grant",
        ),
        (
            "scope escalation on refresh",
            refresh(
                TEST_APP,
                &live_refresh,
                Some("patient/*.cruds offline_access"),
            ),
            400,
            "invalid_scope",
        ),
        (
            "system scope on refresh",
            refresh(TEST_APP, &live_refresh, Some("system/*.rs")),
            400,
            "invalid_scope",
        ),
        (
            "refresh token without client",
            with(refresh(TEST_APP, &live_refresh, None), "client_id", None),
            401,
            "invalid_client",
        ),
        (
            "refresh token reused",
            refresh(TEST_APP, &old_refresh, None),
            400,
            "invalid_grant",
        ),
        (
            "code reused",
            exchange(TEST_APP, &used_code, &used_verifier),
            400,
            "invalid_grant",
        ),
    ];
    for (case, form, status, error) in &cases {
        let (got, headers, body) = post(app, "/auth/token", form).await;
        assert_oauth_error(case, got, &headers, &body, *status, error);
    }
    // Each failed use consumed its code: even the right verifier is too late now.
    let (status, headers, body) = post(app, "/auth/token", &exchange(TEST_APP, &c1, &v1)).await;
    assert_oauth_error(
        "a code after a failed exchange",
        status,
        &headers,
        &body,
        400,
        "invalid_grant",
    );
    // The reuses revoked their families: the first access token and the live refresh token.
    let (status, body) = app
        .get_json(
            &format!("/Immunization?patient={EMMA}"),
            Some(first["access_token"].as_str().unwrap()),
        )
        .await;
    assert_outcome(status, &body, 401, "login");
    let (status, headers, body) =
        post(app, "/auth/token", &refresh(TEST_APP, &live_refresh, None)).await;
    assert_oauth_error(
        "the family after a reuse",
        status,
        &headers,
        &body,
        400,
        "invalid_grant",
    );
    let (status, body) = read_fhir(
        app.get(
            &format!("/Immunization?patient={EMMA}"),
            Some(rotated["access_token"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_outcome(status, &body, 401, "login");
}

/// The whole flow in headless Chromium: the app sends the browser to authorize, the citizen
/// logs in at the eID's page, picks her child, approves; the app receives the code, gets a
/// token and reads the child's immunizations.
#[actix_web::test]
async fn the_login_pages_work_in_a_real_browser() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let login = login(app, TEST_APP, SCOPE, "");
    let run = crate::support::browser::run(json!({
        "capture_prefix": APP_CALLBACK,
        "steps": [
            {"goto": login.url},
            {"click": {"role": "button", "name": "kristin"}},
            {"expect_text": "Whom do you act for?"},
            {"click": {"label": "Emma Haugen (your child)"}},
            {"click": {"role": "button", "name": "Continue"}},
            {"expect_text": "Test app asks for access to the health data of Emma Haugen"},
            {"click": {"role": "button", "name": "Approve"}},
            {"wait_for_url": APP_CALLBACK},
        ],
    }))
    .await;
    assert!(run.ok, "{run:?}");
    let callback = run.captured.last().expect("the app's callback was reached");
    assert_eq!(
        query_param(callback, "state").as_deref(),
        Some(login.state.as_str())
    );
    let code = query_param(callback, "code").expect("a code");
    let (status, _, body) = post(
        app,
        "/auth/token",
        &exchange(TEST_APP, &code, &login.verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(body["patient"], EMMA);
    let bundle = app
        .fhir_ok(
            &format!("/Immunization?patient={EMMA}"),
            body["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(bundle["total"], 6);
}

/// The newcomer's path of the README: the default configuration, the example app, the
/// embedded dev eID (its login form), a child chosen, the example callback page showing the
/// code, the token, the child's immunizations. A login at the low level is refused (R1).
#[actix_web::test]
async fn the_example_app_logs_in_at_the_dev_eid() {
    let mut settings = crate::support::app::test_settings(&crate::support::app::IDP);
    settings.dev_eid.enabled = true;
    settings.dev_eid.key_file = String::new();
    let app = spawn_with(settings).await;
    let callback = format!("{}/auth/example-callback", app.base_url);
    for (level, expected) in [
        ("low", StatusCode::UNAUTHORIZED),
        ("substantial", StatusCode::OK),
    ] {
        let mut login = login(&app, "example-app", SCOPE, "");
        login.url = login.url.replace(
            &serde_urlencoded::to_string([("redirect_uri", APP_CALLBACK)]).unwrap(),
            &serde_urlencoded::to_string([("redirect_uri", &callback)]).unwrap(),
        );
        login.url.push_str("&eid=NO");
        // authorize → the dev eID's login page
        let (status, page) = login.through_eid(&app).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let start = page
            .find("name=\"login\" value=\"")
            .expect("the dev eID's login form")
            + 20;
        let login_id = page[start..].split('"').next().unwrap().to_owned();
        let response = submit(
            &login.client,
            &format!("{}/dev-eid/login", app.base_url),
            &[
                ("login", &login_id),
                ("person", data::NO_ADULT),
                ("acr", level),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let back = response.headers()["location"].to_str().unwrap().to_owned();
        let followed = Login {
            url: back,
            client: login.client.clone(),
            verifier: String::new(),
            state: String::new(),
            nonce: String::new(),
        };
        let (status, page) = followed.through_eid(&app).await;
        assert_eq!(status, expected, "{level}: {page}");
        if expected != StatusCode::OK {
            assert!(page.contains("level of assurance is too low"), "{page}");
            continue;
        }
        let response = submit(
            &login.client,
            &format!("{}/auth/choose", app.base_url),
            &[("patient", EMMA), ("csrf", &csrf(&page))],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, approve) =
            super::authz_flow::page(&login.client, &format!("{}/auth/approve", app.base_url)).await;
        assert!(approve.contains("Example health app"), "{approve}");
        let response = submit(
            &login.client,
            &format!("{}/auth/approve", app.base_url),
            &[("decision", "approve"), ("csrf", &csrf(&approve))],
        )
        .await;
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&callback), "{location}");
        let (status, shown) = super::authz_flow::page(&login.client, &location).await;
        assert_eq!(status, StatusCode::OK);
        let code = query_param(&location, "code").unwrap();
        assert!(
            shown.contains(&code) && shown.contains("code_verifier"),
            "{shown}"
        );
        let mut form = exchange("example-app", &code, &login.verifier);
        form.retain(|(k, _)| k != "redirect_uri");
        form.push(("redirect_uri".into(), callback.clone()));
        let (status, _, body) = post(&app, "/auth/token", &form).await;
        assert_eq!(status, StatusCode::OK, "{body:#}");
        let bundle = app
            .fhir_ok(
                &format!("/Immunization?patient={EMMA}"),
                body["access_token"].as_str().unwrap(),
            )
            .await;
        assert_eq!(bundle["total"], 6);
    }
}

/// The gateway authenticates at the eID's token endpoint with `private_key_jwt` too.
#[actix_web::test]
async fn the_relying_party_authenticates_with_a_private_key_jwt() {
    let eid = gateway_with_eid(|settings, key_file| {
        let provider = &mut settings.auth.eid[0];
        provider.client_id = "gateway-pkjwt".into();
        provider.client_secret.clear();
        provider.private_key_file = key_file.to_owned();
    })
    .await;
    let (body, _) = tokens(&eid, TEST_APP, EMMA).await;
    assert_eq!(body["patient"], EMMA);
}

/// A confidential app (client-confidential-asymmetric) exchanges its code with a
/// `private_key_jwt` assertion instead of a client id; without one it is refused.
#[actix_web::test]
async fn a_confidential_app_authenticates_its_code_exchange() {
    let eid = gateway_with_eid(|settings, _| {
        settings.auth.clients.push(
            serde_json::from_value(json!({
                "client_id": "confidential-app", "name": "Confidential app",
                "kind": "confidential-asymmetric", "redirect_uris": [APP_CALLBACK],
                "scopes": ["openid", "fhirUser", "launch/patient", "patient/*.rs"],
                "jwks": crate::support::app::IDP.jwks(),
            }))
            .unwrap(),
        );
    })
    .await;
    let app = &eid.app;
    let scope = "launch/patient openid fhirUser patient/*.rs";
    for authenticated in [false, true] {
        let login = login(app, "confidential-app", scope, "kristin");
        let code = login.code_for(app, EMMA).await;
        let mut form = exchange("confidential-app", &code, &login.verifier);
        if authenticated {
            form.retain(|(k, _)| k != "client_id");
            let claims = crate::support::authz::assertion_claims(app, "confidential-app");
            let assertion = crate::support::app::IDP.token_with(
                "RS384",
                Some(crate::support::idp::RSA_KID),
                claims,
            );
            form.extend(crate::support::authz::client_credentials(&assertion, "")[1..3].to_vec());
        }
        let (status, headers, body) = post(app, "/auth/token", &form).await;
        if authenticated {
            assert_eq!(status, StatusCode::OK, "{body:#}");
            assert_eq!(body["patient"], EMMA);
            assert!(
                body.get("refresh_token").is_none(),
                "no offline_access was asked"
            );
        } else {
            assert_oauth_error(
                "confidential app without assertion",
                status,
                &headers,
                &body,
                401,
                "invalid_client",
            );
        }
    }
}

/// The README's newcomer path in headless Chromium: the example app, the country page, the
/// dev eID's login page, the choice of the child, the approval, the example callback page
/// with the code; then the token and the child's immunizations.
#[actix_web::test]
async fn the_newcomer_path_works_in_a_real_browser_with_the_dev_eid() {
    let mut settings = crate::support::app::test_settings(&crate::support::app::IDP);
    settings.dev_eid.enabled = true;
    settings.dev_eid.key_file = String::new();
    let app = spawn_with(settings).await;
    let callback = format!("{}/auth/example-callback", app.base_url);
    let mut login = login(&app, "example-app", SCOPE, "");
    login.url = login.url.replace(
        &serde_urlencoded::to_string([("redirect_uri", APP_CALLBACK)]).unwrap(),
        &serde_urlencoded::to_string([("redirect_uri", &callback)]).unwrap(),
    );
    let run = crate::support::browser::run(json!({
        "capture_prefix": callback,
        "steps": [
            {"goto": login.url},
            {"click": {"role": "button", "name": "Log in with Dev eID (Norway)"}},
            {"click": {"role": "button", "name": "Kristin Haugen"}},
            {"click": {"label": "Emma Haugen (your child)"}},
            {"click": {"role": "button", "name": "Continue"}},
            {"expect_text": "Open Emma Haugen's record"},
            {"click": {"role": "button", "name": "Approve"}},
            {"wait_for_url": callback},
            {"expect_text": "Authorization code"},
        ],
    }))
    .await;
    assert!(run.ok, "{run:?}");
    let code = query_param(run.captured.last().unwrap(), "code").expect("a code");
    let mut form = exchange("example-app", &code, &login.verifier);
    form.retain(|(k, _)| k != "redirect_uri");
    form.push(("redirect_uri".into(), callback.clone()));
    let (status, _, body) = post(&app, "/auth/token", &form).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    let token = body["access_token"].as_str().unwrap();
    let bundle = app
        .fhir_ok(&format!("/Immunization?patient={EMMA}"), token)
        .await;
    assert_eq!(bundle["total"], 6);
}

/// Resource-level v2 scopes with a query and v1 scopes are granted as asked and bound the
/// token (R6); scopes the app may not have are left out of the grant.
#[actix_web::test]
async fn resource_and_query_scopes_are_granted_as_asked() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let asked = "launch/patient patient/Immunization.rs?status=completed patient/Condition.read system/*.rs";
    let login = login(app, TEST_APP, asked, "kristin");
    let code = login.code_for(app, EMMA).await;
    let (status, _, body) = post(
        app,
        "/auth/token",
        &exchange(TEST_APP, &code, &login.verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(
        body["scope"],
        "launch/patient patient/Immunization.rs?status=completed patient/Condition.read"
    );
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let bundle = app
        .fhir_ok(&format!("/Immunization?patient={EMMA}"), token)
        .await;
    let immunizations = crate::support::app::matches(&bundle);
    assert!(!immunizations.is_empty(), "Emma has completed vaccinations");
    assert!(immunizations.iter().all(|i| i["status"] == "completed"));
    app.fhir_ok(&format!("/Condition?patient={EMMA}"), token)
        .await;
    let (status, body) = app
        .get_json(&format!("/AllergyIntolerance?patient={EMMA}"), Some(token))
        .await;
    assert_outcome(status, &body, 403, "forbidden");
}

/// R38: logins, tokens issued and grants withdrawn are in the citizen's access log, which
/// she reads with a token of her own.
#[actix_web::test]
async fn logins_tokens_and_withdrawn_grants_are_in_the_access_log() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let (_, login) = tokens(&eid, OTHER_APP, EMMA).await;
    let grants: Value = login
        .client
        .get(format!("{}/auth/account/grants", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = grants["grants"][0]["id"].as_str().unwrap();
    let response = login
        .client
        .delete(format!("{}/auth/account/grants/{id}", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // The citizen ends that login session: a logout.
    let sessions: Value = login
        .client
        .get(format!("{}/auth/account/sessions", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = sessions["sessions"][0]["id"].as_str().unwrap();
    let response = login
        .client
        .delete(format!("{}/auth/account/sessions/{session}", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (own, _) = tokens(&eid, TEST_APP, data::NO_ADULT).await;
    let own = own["access_token"].as_str().unwrap();
    let pages = app
        .all_pages(
            &format!(
                "/AuditEvent?patient={}&type=110114&_count=50",
                data::NO_ADULT
            ),
            own,
        )
        .await;
    let events: Vec<Value> = pages
        .iter()
        .flat_map(crate::support::app::matches)
        .collect();
    let count = |code: &str| {
        events
            .iter()
            .filter(|e| e["subtype"][0]["code"] == code)
            .count()
    };
    assert_eq!(count("110122"), 2, "two eID logins: {events:#?}");
    assert_eq!(count("token-issued"), 2, "{events:#?}");
    assert_eq!(count("grant-revoked"), 1, "{events:#?}");
    assert_eq!(count("110123"), 1, "one logout: {events:#?}");
    // The citizen is the user of each event, by Patient id; the app is named.
    let patient = format!("Patient/{}", data::NO_ADULT);
    for event in &events {
        let user = event["agent"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["requestor"] == true)
            .expect("a requestor");
        assert_eq!(user["who"]["reference"], patient.as_str(), "{event:#}");
    }
    let issued = events
        .iter()
        .find(|e| e["subtype"][0]["code"] == "token-issued")
        .unwrap();
    assert!(
        issued["agent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == TEST_APP || a["name"] == OTHER_APP),
        "{issued:#}"
    );
    // The log is searchable by subtype.
    let logins = app
        .fhir_ok(
            &format!(
                "/AuditEvent?patient={}&subtype=110122&_count=50",
                data::NO_ADULT
            ),
            own,
        )
        .await;
    assert_eq!(crate::support::app::matches(&logins).len(), 2);
    let withdrawn = events
        .iter()
        .find(|e| e["subtype"][0]["code"] == "grant-revoked")
        .unwrap();
    assert!(
        withdrawn.to_string().contains(OTHER_APP),
        "the app is named: {withdrawn:#}"
    );
    assert!(
        !events
            .iter()
            .any(|e| e.to_string().contains(data::NO_ADULT_FNR)),
        "no national ID in the log"
    );
}

/// A tampered choice: the form names someone the page did not offer (a 17-year-old whose
/// parents no longer have access, a stranger in another country, a made-up id). Each is
/// refused with a page, the flow gets no patient, and the approval step stays closed.
#[actix_web::test]
async fn choosing_someone_who_was_not_offered_is_refused() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let login = login(app, TEST_APP, SCOPE, "kristin");
    let (status, choose) = login.through_eid(app).await;
    assert_eq!(status, StatusCode::OK, "{choose}");
    assert!(choose.contains(EMMA), "her child is offered");
    for not_offered in ["no.p-no-005", "se.p-se-001", "no.p-no-999", ""] {
        if !not_offered.is_empty() {
            assert!(!choose.contains(&format!("value=\"{not_offered}\"")));
        }
        let response = submit(
            &login.client,
            &format!("{}/auth/choose", app.base_url),
            &[("patient", not_offered), ("csrf", &csrf(&choose))],
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{not_offered}");
        let page = response.text().await.unwrap();
        assert!(page.contains("You cannot act for this person."), "{page}");
        // Nothing was chosen: the approval page does not open.
        let (status, page) = page_at(&login, app, "/auth/approve").await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{not_offered}: approval opened"
        );
        assert!(page.contains("Login expired"), "{page}");
    }
    // The honest choice still works in the same flow.
    let response = submit(
        &login.client,
        &format!("{}/auth/choose", app.base_url),
        &[("patient", EMMA), ("csrf", &csrf(&choose))],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, _) = page_at(&login, app, "/auth/approve").await;
    assert_eq!(status, StatusCode::OK);
}

async fn page_at(login: &Login, app: &TestApp, path: &str) -> (StatusCode, String) {
    page(&login.client, &format!("{}{path}", app.base_url)).await
}

/// R34: the login offers the people one may act for, givers of a power of attorney among
/// them, and the token carries the one chosen.
#[actix_web::test]
async fn the_giver_of_a_power_of_attorney_is_offered_at_login() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let arne = data::NO_POLYPHARMACY;
    let login = login(app, TEST_APP, SCOPE, "trine");
    let (status, choose) = login.through_eid(app).await;
    assert_eq!(status, StatusCode::OK, "{choose}");
    assert!(
        choose.contains(&format!("value=\"{arne}\"")) && choose.contains("(power of attorney)"),
        "{choose}"
    );
    assert!(
        choose.contains("value=\"no.p-no-009\""),
        "herself: {choose}"
    );
    let code = login.code_for(app, arne).await;
    let (status, _, body) = post(
        app,
        "/auth/token",
        &exchange(TEST_APP, &code, &login.verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(body["patient"], arne);
}
