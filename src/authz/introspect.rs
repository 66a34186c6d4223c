//! `POST /auth/introspect` (RFC 7662, R10): `active: true` with scope, client_id, exp,
//! patient and the other claims for a live token; `{"active": false}` alone for anything
//! else, including another client's token asked about by a public client.
//!
//! Callers authenticate like at the token endpoint: a confidential client (a resource
//! server, say) with its assertion may ask about any token; a public client by its
//! `client_id` only about its own.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::authz::AuthServer;
use crate::authz::error::{OAuthError, oauth_json};
use crate::authz::flow::now_ms;
use crate::authz::token::{client_of, form_params};
use crate::authz::tokens::digest;
use crate::http::state::AppState;

pub async fn introspect(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    oauth_json(handle(&req, &server, &state, &body).await)
}

async fn handle(
    req: &HttpRequest,
    server: &AuthServer,
    state: &AppState,
    body: &[u8],
) -> Result<Value, OAuthError> {
    let params = form_params(req, body)?;
    let client = client_of(server, req, &params).await?;
    let token = params
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let may_see = |owner: &str| !client.is_public() || owner == client.id();
    let inactive = json!({ "active": false });
    if token.matches('.').count() == 2 {
        let Ok(verified) = state.verifier.verify(token).await else {
            return Ok(inactive);
        };
        if verified.issuer != server.issuer || !verified.client_id.as_deref().is_some_and(may_see) {
            return Ok(inactive);
        }
        let mut answer = json!({
            "active": true,
            "scope": verified.scopes.as_str(),
            "client_id": verified.client_id,
            "token_type": "Bearer",
            "exp": verified.expires_at,
            "iat": verified.issued_at,
            "sub": verified.subject,
            "aud": server.fhir_base,
            "iss": server.issuer,
            "jti": verified.jwt_id,
        });
        for (name, claim) in [
            ("patient", "patient"),
            ("fhirUser", "fhirUser"),
            ("acting_for", "acting_for"),
        ] {
            if let Some(value) = verified.claims.get(claim) {
                answer[name] = value.clone();
            }
        }
        return Ok(answer);
    }
    let Some(row) = server.store.refresh_token(&digest(token)).await? else {
        return Ok(inactive);
    };
    let now = now_ms();
    if row.revoked_ms.is_some() || row.replaced_by.is_some() || row.expires_ms <= now {
        return Ok(inactive);
    }
    let Some(grant) = server
        .store
        .grant(&row.grant_id)
        .await?
        .filter(|g| g.revoked_ms.is_none())
    else {
        return Ok(inactive);
    };
    if !may_see(&grant.client_id) {
        return Ok(inactive);
    }
    Ok(json!({
        "active": true,
        "scope": row.scopes,
        "client_id": grant.client_id,
        "token_type": "refresh_token",
        "exp": row.expires_ms / 1000,
        "iat": row.issued_ms / 1000,
        "sub": grant.subject_patient_id,
        "patient": grant.patient_id,
        "iss": server.issuer,
    }))
}
