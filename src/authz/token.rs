//! `POST /auth/token` (RFC 6749 §3.2, §4.1.3, §6; RFC 7636; RFC 7523; SMART R5, R7):
//! `authorization_code` (PKCE S256), `refresh_token` (rotation, reuse detection, never
//! wider), `client_credentials` (`private_key_jwt`, `system/*`, at most 300 s).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::auth::scopes::ScopeContext;
use crate::authz::AuthServer;
use crate::authz::approve::CodeDetails;
use crate::authz::audit::{self, Event};
use crate::authz::client_assertion::authenticate;
use crate::authz::clients::{Client, context_of, within};
use crate::authz::error::{OAuthError, oauth_json};
use crate::authz::flow::now_ms;
use crate::authz::settings::MAX_SYSTEM_TOKEN_SECONDS;
use crate::authz::tokens::{
    AccessClaims, IdClaims, digest, pkce_s256_matches, random_id, random_secret, sign_access_token,
    sign_id_token, valid_pkce_text,
};
use crate::store::authz::{IssuedToken, NewRefresh, Redeemed, Rotation};
use serde::Serialize;
use serde_json::Map;

type Params = HashMap<String, String>;

/// The form body, each parameter once (RFC 6749 §3.2).
pub fn form_params(req: &HttpRequest, body: &[u8]) -> Result<Params, OAuthError> {
    let form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().map(str::trim) == Some("application/x-www-form-urlencoded")
        });
    if !form {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| OAuthError::invalid_request("the body is not a valid form"))?;
    crate::authz::authorize::single_params(pairs).map_err(OAuthError::invalid_request)
}

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Who is calling: a confidential client by its assertion, a public client by its id.
pub async fn client_of(
    server: &AuthServer,
    req: &HttpRequest,
    params: &Params,
) -> Result<std::sync::Arc<Client>, OAuthError> {
    if req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        return Err(OAuthError::invalid_client(
            "client secrets are not accepted; use private_key_jwt",
        ));
    }
    if params.contains_key("client_assertion_type") || params.contains_key("client_assertion") {
        return authenticate(
            server,
            param(params, "client_assertion_type"),
            param(params, "client_assertion"),
            param(params, "client_id"),
            crate::auth::verifier::unix_now(),
        )
        .await;
    }
    match param(params, "client_id").and_then(|id| server.clients.get(id)) {
        Some(client) if client.is_public() => Ok(client),
        Some(_) => Err(OAuthError::invalid_client(
            "this client must authenticate with a client assertion",
        )),
        None => Err(OAuthError::invalid_client("unknown client")),
    }
}

pub async fn token(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    body: web::Bytes,
) -> HttpResponse {
    oauth_json(handle(&req, &server, &body).await)
}

async fn handle(req: &HttpRequest, server: &AuthServer, body: &[u8]) -> Result<Value, OAuthError> {
    let params = form_params(req, body)?;
    let grant_type = param(&params, "grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    if !matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return Err(OAuthError::unsupported_grant_type(
            "grant_type must be authorization_code, refresh_token or client_credentials",
        ));
    }
    let client = client_of(server, req, &params).await?;
    match grant_type {
        "authorization_code" => authorization_code(server, &client, &params).await,
        "refresh_token" => refresh(server, &client, &params).await,
        _ => client_credentials(server, &client, &params).await,
    }
}

async fn authorization_code(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<Value, OAuthError> {
    let code =
        param(params, "code").ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let verifier = param(params, "code_verifier").ok_or_else(|| {
        OAuthError::invalid_request("code_verifier is missing (PKCE is required)")
    })?;
    let redirect_uri = param(params, "redirect_uri")
        .ok_or_else(|| OAuthError::invalid_request("redirect_uri is missing"))?;
    let now = now_ms();
    let code_digest = digest(code);
    // Tokens from a code belong to the family named after it, so that a replay of the code
    // can revoke them (RFC 6749 §4.1.2).
    let family = code_digest[..32].to_owned();
    let (owner, details) = match server.store.redeem_code(&code_digest, now).await? {
        Redeemed::Fresh { client_id, details } => (client_id, details),
        Redeemed::Reused { client_id, .. } => {
            server.store.revoke_family(&family, now).await?;
            crate::authz::revocation::sync(server).await;
            let what = "tokens of a reused authorization code";
            audit::record_done(
                server,
                Event::TokenRevoked {
                    client_id: &client_id,
                    what,
                },
            )
            .await;
            return Err(OAuthError::invalid_grant(
                "the authorization code was used before",
            ));
        }
        Redeemed::Invalid => {
            return Err(OAuthError::invalid_grant(
                "the authorization code is not valid or has expired",
            ));
        }
    };
    let details: CodeDetails = serde_json::from_str(&details)
        .map_err(|_| OAuthError::server_error("the authorization code cannot be read"))?;
    if owner != client.id() {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if redirect_uri != details.redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    if !valid_pkce_text(verifier) || !pkce_s256_matches(verifier, &details.code_challenge) {
        return Err(OAuthError::invalid_grant(
            "the code_verifier does not match the code_challenge",
        ));
    }
    let scope = details.scope.clone();
    let grant = PatientGrant {
        grant_id: &details.grant_id,
        user: &details.user,
        patient: &details.patient,
        scope: &scope,
        family: &family,
        session: details.session.as_deref(),
    };
    let mut answer = issue_patient_tokens(server, client, &grant, None).await?;
    if scope.split_ascii_whitespace().any(|s| s == "openid") {
        let now_s = now / 1000;
        let id_token = sign_id_token(
            &server.keys,
            &IdClaims {
                iss: server.issuer.clone(),
                sub: details.user.clone(),
                aud: client.id().to_owned(),
                exp: now_s + server.settings.access_token_seconds as i64,
                iat: now_s,
                auth_time: details.auth_time,
                nonce: details.nonce.clone(),
                acr: details.acr.clone(),
                fhir_user: format!("{}/Patient/{}", server.fhir_base, details.user),
            },
        );
        answer["id_token"] = json!(id_token);
    }
    Ok(answer)
}

/// No token is given that the access log does not know of.
fn unlogged() -> OAuthError {
    OAuthError::temporarily_unavailable("the access log cannot be written at the moment")
}

/// What a citizen's app gets tokens for: the approved grant, the user and the person they
/// act for, the scopes, the refresh family and the login session.
#[derive(Clone, Copy)]
struct PatientGrant<'a> {
    grant_id: &'a str,
    user: &'a str,
    patient: &'a str,
    scope: &'a str,
    family: &'a str,
    session: Option<&'a str>,
}

/// An access token (and a refresh token with `offline_access`) for a citizen's app.
async fn issue_patient_tokens(
    server: &AuthServer,
    client: &Client,
    grant: &PatientGrant<'_>,
    refresh_from: Option<&str>,
) -> Result<Value, OAuthError> {
    let PatientGrant {
        grant_id,
        user,
        patient,
        scope,
        family,
        session,
    } = *grant;
    let now = now_ms();
    let now_s = now / 1000;
    let lifetime = server.settings.access_token_seconds as i64;
    let jti = random_id();
    let claims = AccessClaims {
        iss: server.issuer.clone(),
        aud: server.fhir_base.clone(),
        sub: user.to_owned(),
        exp: now_s + lifetime,
        iat: now_s,
        nbf: now_s,
        jti: jti.clone(),
        scope: scope.to_owned(),
        client_id: client.id().to_owned(),
        patient: Some(patient.to_owned()),
        acting_for: (patient != user).then(|| patient.to_owned()),
        fhir_user: Some(format!("Patient/{user}")),
    };
    server
        .store
        .record_access_token(&IssuedToken {
            jti: jti.clone(),
            client_id: client.id().to_owned(),
            grant_id: Some(grant_id.to_owned()),
            family: Some(family.to_owned()),
            session_id: session.map(str::to_owned),
            expires_ms: (now_s + lifetime) * 1000,
        })
        .await?;
    let mut answer = json!({
        "access_token": sign_access_token(&server.keys, &claims),
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": scope,
        "patient": patient,
    });
    if scope
        .split_ascii_whitespace()
        .any(|s| s == "offline_access")
    {
        let refresh = random_secret();
        let next = NewRefresh {
            token_sha256: digest(&refresh),
            grant_id: grant_id.to_owned(),
            scopes: scope.to_owned(),
            family: family.to_owned(),
            session_id: session.map(str::to_owned),
            issued_ms: now,
            expires_ms: now + server.settings.refresh_token_days as i64 * 86_400_000,
        };
        match refresh_from {
            None => server.store.insert_refresh(&next).await?,
            Some(old) => match server.store.rotate_refresh(old, &next, now).await? {
                Rotation::Rotated(_) => {}
                Rotation::Reused(_) | Rotation::Invalid => {
                    crate::authz::revocation::sync(server).await;
                    return Err(OAuthError::invalid_grant(
                        "the refresh token is no longer valid",
                    ));
                }
            },
        }
        answer["refresh_token"] = json!(refresh);
    }
    let event = Event::TokenIssued {
        client_id: client.id(),
        user: Some(user),
    };
    audit::record(server, event).await.map_err(|_| unlogged())?;
    Ok(answer)
}

async fn refresh(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<Value, OAuthError> {
    let token = param(params, "refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let token_digest = digest(token);
    let now = now_ms();
    let Some(row) = server.store.refresh_token(&token_digest).await? else {
        return Err(OAuthError::invalid_grant("the refresh token is not valid"));
    };
    let grant = server.store.grant(&row.grant_id).await?;
    let Some(grant) = grant.filter(|g| g.revoked_ms.is_none()) else {
        return Err(OAuthError::invalid_grant("the access was revoked"));
    };
    if grant.client_id != client.id() {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if row.replaced_by.is_some() || row.revoked_ms.is_some() {
        // Reuse of a rotated token: someone holds a copy. The whole family goes (RFC 9700 §4.14.2).
        if let Some(family) = &row.family {
            server.store.revoke_family(family, now).await?;
        }
        crate::authz::revocation::sync(server).await;
        let what = "the family of a reused refresh token";
        audit::record_done(
            server,
            Event::TokenRevoked {
                client_id: client.id(),
                what,
            },
        )
        .await;
        return Err(OAuthError::invalid_grant(
            "the refresh token was used before",
        ));
    }
    if row.expires_ms <= now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    let scope = match param(params, "scope") {
        None => row.scopes.clone(),
        Some(asked) if within(&row.scopes, asked) => {
            asked.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
        }
        Some(_) => {
            return Err(OAuthError::invalid_scope(
                "a refresh cannot widen the granted scopes",
            ));
        }
    };
    // A narrowed set keeps offline_access only if asked for; without it no new refresh
    // token is issued, and the presented one is not rotated (it stays usable).
    let family = row
        .family
        .clone()
        .unwrap_or_else(|| token_digest[..32].to_owned());
    let keeps_refresh = scope
        .split_ascii_whitespace()
        .any(|s| s == "offline_access");
    let granted = PatientGrant {
        grant_id: &grant.id,
        user: &grant.subject_patient_id,
        patient: &grant.patient_id,
        scope: &scope,
        family: &family,
        session: row.session_id.as_deref(),
    };
    let from = keeps_refresh.then_some(token_digest.as_str());
    issue_patient_tokens(server, client, &granted, from).await
}

async fn client_credentials(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<Value, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "client_credentials needs a confidential client with a private_key_jwt assertion",
        ));
    }
    let scope = system_scope(client, param(params, "scope"))?;
    issue_system_token(server, client, scope, &server.fhir_base, Map::new()).await
}

/// The requested scopes, when all are `system/*` ones registered for the client (R7).
pub(crate) fn system_scope(client: &Client, asked: Option<&str>) -> Result<String, OAuthError> {
    let asked = asked.ok_or_else(|| OAuthError::invalid_scope("scope is required"))?;
    let scopes: Vec<&str> = asked.split_ascii_whitespace().collect();
    if scopes
        .iter()
        .any(|s| context_of(s) != Some(ScopeContext::System) || !client.may_have(s))
    {
        return Err(OAuthError::invalid_scope(
            "only system scopes registered for this client can be granted",
        ));
    }
    Ok(scopes.join(" "))
}

/// A backend token's claims: the AS's own, and whatever a listener adds (an NCP's
/// certificate binding and IUA claims).
#[derive(Serialize)]
struct SystemClaims<E: Serialize> {
    #[serde(flatten)]
    access: AccessClaims,
    #[serde(flatten)]
    extra: E,
}

/// A `system/*` access token of `client` for `audience` (≤ 300 s, R7), with `extra` claims
/// beside the AS's own; recorded, so that it can be revoked, and in the access log before it
/// is given (fail closed).
pub(crate) async fn issue_system_token<E: Serialize>(
    server: &AuthServer,
    client: &Client,
    scope: String,
    audience: &str,
    extra: E,
) -> Result<Value, OAuthError> {
    let now_s = crate::auth::verifier::unix_now();
    let lifetime = server
        .settings
        .system_token_seconds
        .min(MAX_SYSTEM_TOKEN_SECONDS) as i64;
    let jti = random_id();
    let claims = SystemClaims {
        access: AccessClaims {
            iss: server.issuer.clone(),
            aud: audience.to_owned(),
            sub: client.id().to_owned(),
            exp: now_s + lifetime,
            iat: now_s,
            nbf: now_s,
            jti: jti.clone(),
            scope: scope.clone(),
            client_id: client.id().to_owned(),
            patient: None,
            acting_for: None,
            fhir_user: None,
        },
        extra,
    };
    server
        .store
        .record_access_token(&IssuedToken {
            jti,
            client_id: client.id().to_owned(),
            grant_id: None,
            family: None,
            session_id: None,
            expires_ms: (now_s + lifetime) * 1000,
        })
        .await?;
    let event = Event::TokenIssued {
        client_id: client.id(),
        user: None,
    };
    audit::record(server, event).await.map_err(|_| unlogged())?;
    Ok(json!({
        "access_token": server.keys.sign("at+jwt", &claims),
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": scope,
    }))
}
