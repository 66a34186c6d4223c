//! The real OpenID Provider of the tests (npm `oidc-provider`, `support/oidc_op.rs`): a code
//! flow over HTTP as a relying party runs it, and the misbehaviours it can be told to show.
//!
//! What these guard: the gateway's eID tests (`authz_flow.rs`) assert that a forged ID token
//! and one with another login's nonce are refused. Such a refusal proves something only if
//! the provider really sends what the test says, and nothing else wrong: a `forged` token
//! whose signature alone is broken, a `replayed` one that is validly signed and differs only
//! by its claims. Checked here with an independent verifier (`jsonwebtoken`), not the
//! gateway, so that a gateway refusing everything cannot make the eID tests pass.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde_json::{Value, json};

use crate::support::oidc_op::{
    OidcOp, browser_like_client, follow_redirects, pkce_pair, query_param, random_value,
};

const CALLBACK: &str = "http://127.0.0.1:9/auth/eid/callback";
const FNR: &str = "12848801265";

fn provider() -> OidcOp {
    OidcOp::start(json!({
        "clients": [{
            "client_id": "gateway",
            "client_secret": "op-secret",
            "redirect_uris": [CALLBACK],
        }],
        "users": [
            {"id": "kristin", "national_id": FNR, "acr": "http://eidas.europa.eu/LoA/high",
             "claims": {"name": "Kristin Haugen"}},
            {"id": "forged", "national_id": FNR, "acr": "http://eidas.europa.eu/LoA/high",
             "tamper_signature": true},
            {"id": "replayed", "national_id": FNR, "acr": "http://eidas.europa.eu/LoA/low",
             "id_token_claims": {"nonce": "someone-else's", "pid": null}},
        ],
        "national_id_claim": "pid",
        "lifetime_seconds": 300,
    }))
}

/// Runs authorize (with `login_hint`) → redirects → code → token; returns the JWKS URI, the
/// token answer and the nonce sent.
async fn code_flow(op: &OidcOp, login_hint: &str) -> (String, Value, String) {
    let client = browser_like_client();
    let (verifier, challenge) = pkce_pair();
    let (state, nonce) = (random_value(), random_value());
    let discovery: Value = client
        .get(format!("{}/.well-known/openid-configuration", op.issuer()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", "gateway"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid"),
        ("state", &state),
        ("nonce", &nonce),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("login_hint", login_hint),
    ])
    .unwrap();
    let authorize = format!(
        "{}?{query}",
        discovery["authorization_endpoint"].as_str().unwrap()
    );
    let callback = follow_redirects(&client, &authorize, CALLBACK).await;
    assert_eq!(query_param(&callback, "state"), Some(state));
    let code = query_param(&callback, "code").unwrap_or_else(|| panic!("no code: {callback}"));
    let response = client
        .post(discovery["token_endpoint"].as_str().unwrap())
        .basic_auth("gateway", Some("op-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    (
        discovery["jwks_uri"].as_str().unwrap().to_owned(),
        body,
        nonce,
    )
}

async fn verify(
    op: &OidcOp,
    jwks_uri: &str,
    id_token: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    let jwks: JwkSet = reqwest::get(jwks_uri).await.unwrap().json().await.unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("the kid is published");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["gateway"]);
    validation.set_issuer(&[op.issuer()]);
    jsonwebtoken::decode::<Value>(id_token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .map(|data| data.claims)
}

#[actix_web::test]
async fn a_code_flow_with_login_hint_carries_the_national_id_and_acr() {
    let op = provider();
    let (jwks_uri, body, nonce) = code_flow(&op, "kristin").await;
    assert_eq!(body["token_type"], "Bearer");
    let claims = verify(&op, &jwks_uri, body["id_token"].as_str().unwrap())
        .await
        .expect("the ID token verifies");
    assert_eq!(claims["pid"], FNR);
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/high");
    assert_eq!(claims["sub"], "kristin");
    assert_eq!(claims["nonce"], nonce);
    assert_eq!(claims["name"], "Kristin Haugen");
}

#[actix_web::test]
async fn a_user_can_be_given_an_id_token_with_a_broken_signature() {
    let op = provider();
    let (jwks_uri, body, _) = code_flow(&op, "forged").await;
    let refused = verify(&op, &jwks_uri, body["id_token"].as_str().unwrap()).await;
    assert!(
        matches!(
            refused.as_ref().map_err(|e| e.kind()),
            Err(jsonwebtoken::errors::ErrorKind::InvalidSignature)
        ),
        "{refused:?}"
    );
}

#[actix_web::test]
async fn an_unknown_login_hint_ends_in_access_denied() {
    let op = provider();
    let client = browser_like_client();
    let (_, challenge) = pkce_pair();
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", "gateway"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid"),
        ("state", "s"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("login_hint", "nobody"),
    ])
    .unwrap();
    let callback =
        follow_redirects(&client, &format!("{}/auth?{query}", op.issuer()), CALLBACK).await;
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&callback, "state").as_deref(), Some("s"));
}

#[actix_web::test]
async fn a_user_can_be_given_forced_claims_in_a_validly_signed_id_token() {
    let op = provider();
    let (jwks_uri, body, _) = code_flow(&op, "replayed").await;
    let claims = verify(&op, &jwks_uri, body["id_token"].as_str().unwrap())
        .await
        .expect("re-signed with the provider's key");
    assert_eq!(claims["nonce"], "someone-else's");
    assert!(claims.get("pid").is_none(), "{claims}");
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/low");
}
