//! The citizen's own view of the authorization server (R38): the apps they approved
//! (grants), the apps a guardian or attorney approved on their data (`account_grants`), and
//! their active logins, each revocable. Revoking a grant kills its refresh tokens and its
//! live access tokens; ending a login kills what was issued in it.
//!
//! The citizen is known by their login session cookie. The page's forms carry a CSRF token
//! derived from the session id (only its holder can compute it); the JSON endpoints revoke
//! with `DELETE`, which no cross-site form can send and CORS does not allow cross-site.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::authz::account_grants::{ListError, revoke_visible, visible_grants};
use crate::authz::audit::{self, Event};
use crate::authz::authorize::{begin_login, see_other, store_failure};
use crate::authz::flow::{Flow, now_ms};
use crate::authz::pages::{escape, html_page};
use crate::authz::tokens::digest;
use crate::authz::{AuthServer, cookies};
use crate::national_id::Country;
use crate::store::authz::SessionRow;

/// The live session of this browser: `(raw id, row)`.
async fn session(
    server: &AuthServer,
    req: &HttpRequest,
) -> Result<Option<(String, SessionRow)>, HttpResponse> {
    let Some(raw) = cookies::read(req, cookies::SESSION) else {
        return Ok(None);
    };
    match server.store.session(&digest(&raw), now_ms()).await {
        Ok(Some(row)) => Ok(Some((raw, row))),
        Ok(None) => Ok(None),
        Err(error) => Err(store_failure(error)),
    }
}

fn csrf_of(raw_session: &str) -> String {
    digest(&format!("account-csrf:{raw_session}"))
}

fn unauthenticated_json() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({"error": "login_required", "error_description": "log in at /auth/account/login first"}))
}

/// The store failed (503, as everywhere), or the portal could not say whether the citizen
/// sees the grants on their data: then nothing is listed or revoked rather than too little.
fn list_failure(error: ListError) -> HttpResponse {
    match error {
        ListError::Store(error) => store_failure(error),
        ListError::Portal(error) => {
            tracing::warn!(%error, "the portal could not tell whether a citizen sees grants on their data");
            crate::authz::pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable",
                "The health portal cannot be reached at the moment. Please try again later.",
            )
        }
    }
}

fn time_text(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// `GET /auth/account/login`: log in (eID) to see the account page.
pub async fn login(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let country = query.get("eid").and_then(|c| Country::parse(c));
    begin_login(
        &req,
        &server,
        Flow::new(None, query.get("login_hint").cloned()),
        country,
    )
    .await
}

pub async fn page(req: HttpRequest, server: web::Data<AuthServer>) -> HttpResponse {
    let (raw, session) = match session(&server, &req).await {
        Ok(Some(found)) => found,
        Ok(None) => return see_other("/auth/account/login"),
        Err(response) => return response,
    };
    let user = &session.subject_patient_id;
    let now = now_ms();
    let grants = match visible_grants(&server, user).await {
        Ok(grants) => grants,
        Err(error) => return list_failure(error),
    };
    let sessions = match server.store.sessions_of(user, now).await {
        Ok(sessions) => sessions,
        Err(error) => return store_failure(error),
    };
    let csrf = csrf_of(&raw);
    let form = |action: String, label: String| {
        format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">{}</button></form>",
            escape(&action),
            escape(&label)
        )
    };
    let mut grant_items = String::new();
    for listed in &grants {
        let grant = &listed.row;
        let name = server
            .clients
            .get(&grant.client_id)
            .map(|c| c.name().to_owned())
            .unwrap_or_else(|| grant.client_id.clone());
        let whose = if listed.own {
            escape(&grant.patient_id)
        } else {
            format!(
                "your data, approved by {} ({})",
                escape(&listed.approved_by_name),
                escape(&listed.approved_by)
            )
        };
        grant_items.push_str(&format!(
            "<li>{} for {whose} since {}: {}{}</li>",
            escape(&name),
            escape(&time_text(grant.created_ms)),
            escape(&grant.scopes),
            form(
                format!("/auth/account/grants/{}/revoke", grant.id),
                format!("Revoke {name}")
            ),
        ));
    }
    if grants.is_empty() {
        grant_items.push_str("<li>No app has access.</li>");
    }
    let mut session_items = String::new();
    for s in &sessions {
        let current = if s.id_sha256 == session.id_sha256 {
            " (this browser)"
        } else {
            ""
        };
        session_items.push_str(&format!(
            "<li>Login with {} eID at {}{current}{}</li>",
            escape(s.country.as_deref().unwrap_or("?")),
            escape(&time_text(s.created_ms)),
            form(
                format!("/auth/account/sessions/{}/revoke", s.id_sha256),
                "End this login".into()
            ),
        ));
    }
    let body = format!(
        "<h2>Apps with access</h2><ul>{grant_items}</ul><h2>Active logins</h2><ul>{session_items}</ul>"
    );
    html_page(StatusCode::OK, "Your apps and logins", &body)
}

pub async fn grants_json(req: HttpRequest, server: web::Data<AuthServer>) -> HttpResponse {
    let session = match session(&server, &req).await {
        Ok(Some((_, row))) => row,
        Ok(None) => return unauthenticated_json(),
        Err(response) => return response,
    };
    match visible_grants(&server, &session.subject_patient_id).await {
        Ok(grants) => {
            let list: Vec<_> = grants
                .iter()
                .map(|listed| {
                    let g = &listed.row;
                    json!({
                        "id": g.id, "client_id": g.client_id,
                        "client_name": server.clients.get(&g.client_id).map(|c| c.name().to_owned()),
                        "patient": g.patient_id, "scope": g.scopes, "created": time_text(g.created_ms),
                        "approved_by": listed.approved_by,
                        "approved_by_name": listed.approved_by_name,
                        "own": listed.own,
                    })
                })
                .collect();
            HttpResponse::Ok()
                .insert_header(("Cache-Control", "no-store"))
                .json(json!({ "grants": list }))
        }
        Err(error) => list_failure(error),
    }
}

pub async fn sessions_json(req: HttpRequest, server: web::Data<AuthServer>) -> HttpResponse {
    let session = match session(&server, &req).await {
        Ok(Some((_, row))) => row,
        Ok(None) => return unauthenticated_json(),
        Err(response) => return response,
    };
    match server
        .store
        .sessions_of(&session.subject_patient_id, now_ms())
        .await
    {
        Ok(rows) => {
            let list: Vec<_> = rows
                .iter()
                .map(|s| json!({
                    "id": s.id_sha256, "country": s.country, "acr": s.acr, "client_id": s.client_id,
                    "created": time_text(s.created_ms), "expires": time_text(s.expires_ms),
                    "current": s.id_sha256 == session.id_sha256,
                }))
                .collect();
            HttpResponse::Ok()
                .insert_header(("Cache-Control", "no-store"))
                .json(json!({ "sessions": list }))
        }
        Err(error) => store_failure(error),
    }
}

enum Target {
    Grant,
    Session,
}

async fn revoke(
    server: &AuthServer,
    user: &str,
    target: Target,
    id: &str,
) -> Result<bool, ListError> {
    let now = now_ms();
    let client_id = match target {
        Target::Grant => server.store.grant(id).await?.map(|g| g.client_id),
        Target::Session => None,
    };
    let done = match target {
        Target::Grant => revoke_visible(server, user, id, now).await?,
        Target::Session => server.store.revoke_session(user, id, now).await?,
    };
    if done {
        crate::authz::revocation::sync(server).await;
        match target {
            Target::Grant => {
                let client_id = client_id.as_deref().unwrap_or_default();
                audit::record_done(server, Event::GrantRevoked { user, client_id }).await
            }
            Target::Session => audit::record_done(server, Event::Logout { user }).await,
        }
    }
    Ok(done)
}

async fn revoke_json(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    id: String,
    target: Target,
) -> HttpResponse {
    let session = match session(&server, &req).await {
        Ok(Some((_, row))) => row,
        Ok(None) => return unauthenticated_json(),
        Err(response) => return response,
    };
    match revoke(&server, &session.subject_patient_id, target, &id).await {
        Ok(true) => HttpResponse::NoContent().finish(),
        Ok(false) => HttpResponse::NotFound().json(json!({"error": "not_found", "error_description": "no such active grant or login of yours"})),
        Err(error) => list_failure(error),
    }
}

pub async fn revoke_grant_json(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    id: web::Path<String>,
) -> HttpResponse {
    revoke_json(req, server, id.into_inner(), Target::Grant).await
}

pub async fn revoke_session_json(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    id: web::Path<String>,
) -> HttpResponse {
    revoke_json(req, server, id.into_inner(), Target::Session).await
}

async fn revoke_form(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    id: String,
    csrf: Option<String>,
    target: Target,
) -> HttpResponse {
    let (raw, session) = match session(&server, &req).await {
        Ok(Some(found)) => found,
        Ok(None) => return see_other("/auth/account/login"),
        Err(response) => return response,
    };
    if csrf.as_deref() != Some(csrf_of(&raw).as_str()) {
        return crate::authz::authorize::forged_page();
    }
    match revoke(&server, &session.subject_patient_id, target, &id).await {
        Ok(_) => see_other("/auth/account"),
        Err(error) => list_failure(error),
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

pub async fn revoke_grant_form(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    revoke_form(
        req,
        server,
        id.into_inner(),
        form.into_inner().csrf,
        Target::Grant,
    )
    .await
}

pub async fn revoke_session_form(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    revoke_form(
        req,
        server,
        id.into_inner(),
        form.into_inner().csrf,
        Target::Session,
    )
    .await
}
