//! `private_key_jwt` client authentication (RFC 7523 §3, SMART Backend Services, R7): a JWT
//! the client signs with its registered key, with `iss` = `sub` = its client id, `aud` = our
//! token endpoint, a short life and a `jti` never seen before.

use jsonwebtoken::Algorithm;
use serde_json::Value;

use crate::auth::jwks::Selection;
use crate::auth::jwt::{UnverifiedJwt, signature_algorithm};
use crate::authz::AuthServer;
use crate::authz::clients::{Client, ClientRegistry};
use crate::authz::error::OAuthError;
use crate::authz::settings::MAX_ASSERTION_SECONDS;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew tolerated on `exp`, `iat` and `nbf`.
const LEEWAY_SECONDS: i64 = 30;

/// Only these (R7).
const ALGORITHMS: [Algorithm; 2] = [Algorithm::RS384, Algorithm::ES384];

/// Checks the assertion and returns the client it authenticates. Its audience must be our
/// token endpoint. The `jti` is recorded, so each assertion works once.
pub async fn authenticate(
    server: &AuthServer,
    assertion_type: Option<&str>,
    assertion: Option<&str>,
    client_id_param: Option<&str>,
    now: i64,
) -> Result<std::sync::Arc<Client>, OAuthError> {
    let endpoint = server.token_endpoint();
    let call = AssertionCall {
        clients: &server.clients,
        token_endpoint: &endpoint,
        assertion_type,
        assertion,
        client_id_param,
        now,
    };
    authenticate_at(server, call)
        .await
        .map(|(client, _)| client)
}

/// Where and how a client assertion arrived: which registry names its clients and which
/// token endpoint it must be addressed to (the NCP listener has its own of both).
pub struct AssertionCall<'a> {
    pub clients: &'a ClientRegistry,
    pub token_endpoint: &'a str,
    pub assertion_type: Option<&'a str>,
    pub assertion: Option<&'a str>,
    pub client_id_param: Option<&'a str>,
    pub now: i64,
}

/// [`authenticate`] against `call`'s registry and endpoint; also returns the assertion's
/// verified claims (an NCP asserts the professional's IUA claims there).
pub async fn authenticate_at(
    server: &AuthServer,
    call: AssertionCall<'_>,
) -> Result<(std::sync::Arc<Client>, serde_json::Map<String, Value>), OAuthError> {
    let AssertionCall {
        clients,
        token_endpoint,
        assertion_type,
        assertion,
        client_id_param,
        now,
    } = call;
    match assertion_type {
        Some(ASSERTION_TYPE) => {}
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        None => {
            return Err(OAuthError::invalid_client(
                "client authentication is required",
            ));
        }
    }
    let raw = assertion
        .filter(|a| !a.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("client_assertion is missing"))?;
    let bad = |why: &str| OAuthError::invalid_client(format!("the client assertion {why}"));
    let jwt = UnverifiedJwt::parse(raw).map_err(|_| bad("is not a signed JWT"))?;
    let alg =
        signature_algorithm(&jwt.alg).map_err(|_| bad("uses an algorithm that is not accepted"))?;
    if !ALGORITHMS.contains(&alg) {
        return Err(bad("must be signed with RS384 or ES384"));
    }
    let text = |name: &str| jwt.claims.get(name).and_then(Value::as_str);
    let issuer = text("iss").ok_or_else(|| bad("has no iss"))?;
    if text("sub") != Some(issuer) {
        return Err(bad("must have sub equal to iss"));
    }
    if client_id_param.is_some_and(|id| id != issuer) {
        return Err(bad("names another client than client_id"));
    }
    let (store, http) = (&server.store, &server.http);
    let client = clients
        .get(issuer)
        .filter(|c| !c.is_public())
        .ok_or_else(|| bad("names no registered confidential client"))?;
    let mut keys = client
        .keys(http, false)
        .await
        .ok_or_else(|| bad("cannot be checked: the client's keys are unavailable"))?;
    let kid = jwt.kid.as_deref();
    if matches!(keys.select(kid, alg), Selection::NotFound) {
        keys = client.keys(http, true).await.unwrap_or(keys);
    }
    let key = match keys.select(kid, alg) {
        Selection::Found(key) => key,
        _ => return Err(bad("is signed with a key the client has not registered")),
    };
    if !jwt.signature_valid(key.decoding_key(), alg) {
        return Err(bad("has an invalid signature"));
    }
    // Claims are judged only now that the signature holds.
    let audience_ok = match jwt.claims.get("aud") {
        Some(Value::String(aud)) => aud == token_endpoint,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(token_endpoint)),
        _ => false,
    };
    if !audience_ok {
        return Err(bad("is not meant for this token endpoint (aud)"));
    }
    let number = |name: &str| jwt.claims.get(name).and_then(Value::as_i64);
    let exp = number("exp").ok_or_else(|| bad("has no exp"))?;
    if exp + LEEWAY_SECONDS <= now {
        return Err(bad("has expired"));
    }
    let start = number("iat").unwrap_or(now).min(now);
    if exp - start > MAX_ASSERTION_SECONDS + LEEWAY_SECONDS {
        return Err(bad("lives longer than 5 minutes"));
    }
    if number("nbf").is_some_and(|nbf| nbf > now + LEEWAY_SECONDS) {
        return Err(bad("is not valid yet"));
    }
    let jti = text("jti")
        .filter(|j| !j.is_empty())
        .ok_or_else(|| bad("has no jti"))?;
    let expires_ms = (exp + LEEWAY_SECONDS) * 1000;
    if !store.use_assertion(client.id(), jti, expires_ms).await? {
        return Err(bad("was used before (jti replay)"));
    }
    Ok((client, jwt.claims))
}
