//! `GET /auth/eid/callback`: the browser back from the eID. The `state` must be the one this
//! browser's flow sent (CSRF, RFC 6749 §10.12); the login is verified (`crate::eid`), the
//! person resolved in their country's portal, a login session opened, and the flow moved to
//! a new id (its cookie replaced), so that an id known before the login is useless after it.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::authz::audit::{self, Event};
use crate::authz::authorize::{
    expired_page, flow_age, login_failed, see_other, set_cookie, store_failure,
};
use crate::authz::flow::{Flow, now_ms};
use crate::authz::pages::error_page;
use crate::authz::tokens::{digest, random_secret};
use crate::authz::{AuthServer, cookies};
use crate::eid::LoginFailure;
use crate::mapping::ids;

pub async fn callback(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (id, mut flow) = match Flow::of(&server, &req).await {
        Ok(Some(found)) => found,
        Ok(None) => return expired_page(),
        Err(error) => return store_failure(error),
    };
    let Some(round_trip) = flow.eid.take() else {
        return expired_page();
    };
    if query.get("state") != Some(&round_trip.state) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Login failed",
            "The answer from the eID does not belong to this login. Please start again from the app.",
        );
    }
    // The state is used up whatever happens next.
    if let Err(error) = flow.save(&server, &id).await {
        return store_failure(error);
    }
    let country = round_trip.country;
    if let Some(error) = query.get("error") {
        audit::record_done(
            &server,
            Event::LoginFailed {
                country,
                reason: "refused by the eID",
            },
        )
        .await;
        return login_failed(&LoginFailure::ProviderRefused(
            error.chars().take(64).collect(),
        ));
    }
    let Some(code) = query.get("code").filter(|c| !c.is_empty()) else {
        return login_failed(&LoginFailure::InvalidAnswer);
    };
    let login = match server
        .eid
        .finish(country, code, &round_trip.nonce, &round_trip.pkce_verifier)
        .await
    {
        Ok(login) => login,
        Err(failure) => {
            let reason = failure.to_string();
            audit::record_done(
                &server,
                Event::LoginFailed {
                    country,
                    reason: &reason,
                },
            )
            .await;
            return login_failed(&failure);
        }
    };
    let person = match server.portals.get(country) {
        Some(source) => source.person_by_national_id(&login.national_id).await,
        None => Ok(None),
    };
    let person = match person {
        Ok(Some(person)) => person,
        Ok(None) => {
            audit::record_done(
                &server,
                Event::LoginFailed {
                    country,
                    reason: "unknown person",
                },
            )
            .await;
            return error_page(
                StatusCode::UNAUTHORIZED,
                "Login failed",
                "Your national identity number is not known to the health portal of your country.",
            );
        }
        Err(error) => {
            tracing::warn!(%error, "the portal could not resolve a person at login");
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable",
                "The health portal cannot be reached at the moment. Please try again later.",
            );
        }
    };
    let user = ids::patient_id(country, &person.key);
    let session_id = random_secret();
    let now = now_ms();
    let expires = now + server.settings.session_hours as i64 * 3_600_000;
    let client_id = flow.app.as_ref().map(|a| a.client_id.as_str());
    // Recorded before the session exists: no login the access log does not know of.
    let login_event = Event::Login {
        user: &user,
        country,
        client_id,
    };
    if audit::record(&server, login_event).await.is_err() {
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "The login service cannot be used at the moment. Please try again later.",
        );
    }
    if let Err(error) = server
        .store
        .insert_session(
            &digest(&session_id),
            &user,
            Some(&login.acr),
            client_id,
            country.code(),
            now,
            expires,
        )
        .await
    {
        return store_failure(error);
    }
    flow.session = Some(digest(&session_id));
    flow.user = Some(user);
    flow.acr = Some(login.acr);
    flow.auth_time = Some(now / 1000);
    // The flow goes on under a new id and CSRF token (fixation): what was known of it
    // before the login is dead from here on.
    flow.csrf = random_secret();
    let flow_id = match flow.rotate(&server, &id).await {
        Ok(flow_id) => flow_id,
        Err(error) => return store_failure(error),
    };
    let next = if flow.app.is_some() {
        "/auth/choose"
    } else {
        "/auth/account"
    };
    let mut response = see_other(next);
    let max_age = server.settings.session_hours as i64 * 3600;
    set_cookie(
        &mut response,
        cookies::make(cookies::FLOW, &flow_id, flow_age(&server)),
    );
    set_cookie(
        &mut response,
        cookies::make(cookies::SESSION, &session_id, max_age),
    );
    response
}
