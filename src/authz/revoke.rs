//! `POST /auth/revoke` (RFC 7009, R10): an access token is refused from the moment this
//! answers (on this instance at once, on others within the revocation poll); a refresh
//! token takes its whole family with it, access tokens included. Unknown tokens, and
//! tokens of another client, get the same 200 and nothing happens (§2.2).

use actix_web::{HttpRequest, HttpResponse, web};

use crate::authz::AuthServer;
use crate::authz::audit::{self, Event};
use crate::authz::error::OAuthError;
use crate::authz::flow::now_ms;
use crate::authz::token::{client_of, form_params};
use crate::authz::tokens::digest;
use crate::http::state::AppState;

pub async fn revoke(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    match handle(&req, &server, &state, &body).await {
        Ok(()) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("Pragma", "no-cache"))
            .finish(),
        Err(error) => error.response(),
    }
}

async fn handle(
    req: &HttpRequest,
    server: &AuthServer,
    state: &AppState,
    body: &[u8],
) -> Result<(), OAuthError> {
    let params = form_params(req, body)?;
    let client = client_of(server, req, &params).await?;
    let token = params
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    match params.get("token_type_hint").map(String::as_str) {
        None | Some("access_token" | "refresh_token") => {}
        Some(_) => {
            return Err(OAuthError::unsupported_token_type(
                "token_type_hint must be access_token or refresh_token",
            ));
        }
    }
    let now = now_ms();
    if token.matches('.').count() == 2 {
        if let Ok(verified) = state.verifier.verify(token).await
            && verified.issuer == server.issuer
            && verified.client_id.as_deref() == Some(client.id())
            && let Some(jti) = &verified.jwt_id
        {
            server
                .store
                .revoke_access_token(jti, verified.expires_at * 1000, now)
                .await?;
            server.revoked.insert(jti, verified.expires_at);
            audit::record_done(
                server,
                Event::TokenRevoked {
                    client_id: client.id(),
                    what: "access token",
                },
            )
            .await;
        }
        return Ok(());
    }
    if let Some(row) = server.store.refresh_token(&digest(token)).await?
        && let Some(grant) = server.store.grant(&row.grant_id).await?
        && grant.client_id == client.id()
    {
        if let Some(family) = &row.family {
            server.store.revoke_family(family, now).await?;
        }
        crate::authz::revocation::sync(server).await;
        audit::record_done(
            server,
            Event::TokenRevoked {
                client_id: client.id(),
                what: "refresh token and its family",
            },
        )
        .await;
    }
    Ok(())
}
