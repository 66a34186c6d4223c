//! The NCP listener's own token endpoint (SMART Backend Services for National Contact
//! Points): `client_credentials` with a `private_key_jwt` assertion over mutual TLS, a token
//! bound to the connection's certificate and carrying the IUA claims of the assertion, and
//! the OAuth errors a client can hit.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{IDP, assert_outcome, read_fhir};
use crate::support::authz::{assert_no_store, assert_oauth_error, client_credentials, jwt_claims};
use crate::support::idp::{ES384_KID, RSA_KID};
use crate::support::ncp::{
    Identity, NCP_CLIENT, NcpApp, PKI, iua_claims, ncp_client, ncp_settings, spawn_ncp,
};

const SUMMARY: &str = "/Patient/no.p-no-008/$summary";

async fn app() -> NcpApp {
    spawn_ncp(ncp_settings()).await
}

fn germany() -> &'static Identity {
    &PKI.germany
}

fn signed(claims: Value) -> String {
    IDP.token_with("ES384", Some(ES384_KID), claims)
}

#[actix_web::test]
async fn an_ncp_gets_a_certificate_bound_token_with_its_assertion_and_reads_the_summary() {
    let ncp = app().await;
    for (alg, kid) in [("ES384", ES384_KID), ("RS384", RSA_KID)] {
        let assertion = IDP.token_with(alg, Some(kid), ncp.assertion_claims(|_| {}));
        let form = client_credentials(&assertion, "system/Patient.rs system/*.rs");
        let (status, headers, body) = ncp.post_token(germany(), &form).await;
        assert_eq!(status, StatusCode::OK, "{alg}: {body:#}");
        assert_no_store(alg, &headers);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "system/Patient.rs system/*.rs");
        let expires_in = body["expires_in"].as_i64().unwrap();
        assert!((1..=300).contains(&expires_in), "{expires_in}");
        let token = body["access_token"].as_str().unwrap();
        let claims = jwt_claims(token);
        assert_eq!(claims["iss"], json!(ncp.app.base_url));
        assert_eq!(claims["aud"], json!(ncp.ncp_fhir_base));
        assert_eq!(claims["client_id"], NCP_CLIENT);
        assert_eq!(claims["scope"], "system/Patient.rs system/*.rs");
        assert_eq!(claims["cnf"], json!({"x5t#S256": germany().thumbprint()}));
        for (name, value) in iua_claims().as_object().unwrap() {
            assert_eq!(&claims[name], value, "{name}");
        }
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
        let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert!((1..=300).contains(&lifetime), "{lifetime}");

        let document = ncp.ok(germany(), SUMMARY, token).await;
        assert_eq!(document["type"], "document");
        assert_eq!(document["entry"][1]["resource"]["id"], "no.p-no-008");
        // Its audience is the NCP listener: the main listener does not take it.
        let (status, body) = ncp.app.get_json("/Patient/no.p-no-008", Some(token)).await;
        assert_outcome(status, &body, 401, "login");
    }
}

#[actix_web::test]
async fn the_token_is_refused_on_a_connection_with_another_ncp_s_certificate() {
    let ncp = app().await;
    let token = ncp.endpoint_token(germany()).await;
    let response = ncp_client(&PKI.france)
        .get(ncp.url(SUMMARY))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 401, "login");
    // On its own connection it works.
    ncp.ok(germany(), SUMMARY, &token).await;
}

#[actix_web::test]
async fn a_replayed_assertion_is_refused_with_invalid_client() {
    let ncp = app().await;
    let assertion = signed(ncp.assertion_claims(|_| {}));
    let form = client_credentials(&assertion, "system/*.rs");
    let (status, _, body) = ncp.post_token(germany(), &form).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    let (status, headers, body) = ncp.post_token(germany(), &form).await;
    assert_oauth_error("replay", status, &headers, &body, 401, "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("jti replay"),
        "{body:#}"
    );
}

#[actix_web::test]
async fn only_client_credentials_is_granted() {
    let ncp = app().await;
    for grant_type in ["authorization_code", "refresh_token", "password"] {
        let mut form = client_credentials(&signed(ncp.assertion_claims(|_| {})), "system/*.rs");
        form[0].1 = grant_type.into();
        let (status, headers, body) = ncp.post_token(germany(), &form).await;
        assert_oauth_error(
            grant_type,
            status,
            &headers,
            &body,
            400,
            "unsupported_grant_type",
        );
    }
    let mut form = client_credentials(&signed(ncp.assertion_claims(|_| {})), "system/*.rs");
    form.remove(0);
    let (status, headers, body) = ncp.post_token(germany(), &form).await;
    assert_oauth_error(
        "no grant_type",
        status,
        &headers,
        &body,
        400,
        "invalid_request",
    );
}

/// Missing or malformed IUA claims in the assertion: no token (400 `invalid_request`).
#[actix_web::test]
async fn an_assertion_without_purpose_of_use_or_with_malformed_claims_gets_no_token() {
    let ncp = app().await;
    type Change = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "no purpose",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("purpose_of_use");
            }),
            "the client assertion lacks the claim 'purpose_of_use' that cross-border access requires",
        ),
        (
            "unknown purpose",
            Box::new(|c| c["purpose_of_use"] = json!("MARKETING")),
            "purpose_of_use must be TREATMENT or EMERGENCY",
        ),
        (
            "no subject_name",
            Box::new(|c| c["subject_name"] = json!("")),
            "the client assertion lacks the claim 'subject_name' that cross-border access requires",
        ),
        (
            "bad home community",
            Box::new(|c| c["home_community_id"] = json!("DE")),
            "home_community_id must be urn:oid:<oid>",
        ),
        (
            "malformed organisation",
            Box::new(|c| c["subject_organization"] = json!(42)),
            "the client assertion's claim 'subject_organization' is malformed",
        ),
    ];
    for (case, change, description) in cases {
        let form = client_credentials(&signed(ncp.assertion_claims(change)), "system/*.rs");
        let (status, headers, body) = ncp.post_token(germany(), &form).await;
        assert_oauth_error(case, status, &headers, &body, 400, "invalid_request");
        assert_eq!(body["error_description"], description, "{case}");
    }
}

#[actix_web::test]
async fn assertions_and_scopes_beyond_the_registration_are_refused() {
    let ncp = app().await;
    let main_endpoint = format!("{}/auth/token", ncp.app.base_url);
    let cases: Vec<(&str, Value, &str, u16, &str)> = vec![
        (
            "assertion for the main token endpoint",
            ncp.assertion_claims(|c| c["aud"] = json!(main_endpoint)),
            "system/*.rs",
            401,
            "invalid_client",
        ),
        (
            "a client not registered as an NCP",
            ncp.assertion_claims(|c| {
                c["iss"] = json!("backend-service");
                c["sub"] = json!("backend-service");
            }),
            "system/*.rs",
            401,
            "invalid_client",
        ),
        (
            "an assertion living too long",
            ncp.assertion_claims(|c| c["exp"] = json!(c["iat"].as_i64().unwrap() + 3600)),
            "system/*.rs",
            401,
            "invalid_client",
        ),
        (
            "a patient scope",
            ncp.assertion_claims(|_| {}),
            "patient/*.rs",
            400,
            "invalid_scope",
        ),
        (
            "a write scope",
            ncp.assertion_claims(|_| {}),
            "system/Patient.cruds",
            400,
            "invalid_scope",
        ),
    ];
    for (case, claims, scope, expected_status, error) in cases {
        let form = client_credentials(&signed(claims), scope);
        let (status, headers, body) = ncp.post_token(germany(), &form).await;
        assert_oauth_error(case, status, &headers, &body, expected_status, error);
    }
}

/// A revocation the authorization server learns of (here: made by another instance, in the
/// store) reaches the NCP listener's verifier: the token is refused from then on.
#[actix_web::test]
async fn a_revoked_token_is_refused_on_the_ncp_listener() {
    let mut settings = ncp_settings();
    settings.auth.server.revocation_poll_seconds = 1;
    let store = ehds_gateway::store::Store::open(&settings.database)
        .await
        .unwrap();
    let ncp = spawn_ncp(settings).await;
    let token = ncp.endpoint_token(germany()).await;
    ncp.ok(germany(), SUMMARY, &token).await;
    let claims = jwt_claims(&token);
    let now_ms = crate::support::authz::now() * 1000;
    store
        .authz()
        .revoke_access_token(
            claims["jti"].as_str().unwrap(),
            claims["exp"].as_i64().unwrap() * 1000,
            now_ms,
        )
        .await
        .unwrap();
    // The poller reads revocations every second; give it at most ten.
    let mut refused = None;
    for _ in 0..40 {
        let (status, body) = ncp.get(germany(), SUMMARY, &token).await;
        if status == StatusCode::UNAUTHORIZED {
            refused = Some(body);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let body = refused.expect("the revoked token is refused within ten seconds");
    assert_outcome(StatusCode::UNAUTHORIZED, &body, 401, "login");
}
