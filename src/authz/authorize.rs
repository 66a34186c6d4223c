//! `GET /auth/authorize` (RFC 6749 §4.1.1, RFC 7636, SMART standalone launch) and the
//! country choice that starts the eID login.
//!
//! An unknown client or a redirect URI not registered for it ends on an error page: sending
//! the browser there would make us an open redirector (RFC 6749 §4.1.2.1). Every later
//! error goes back to the app as `error=` on its redirect URI, with its `state`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::scopes::ScopeContext;
use crate::authz::clients::context_of;
use crate::authz::flow::{AppRequest, EidRoundTrip, Flow, now_ms};
use crate::authz::pages::{csrf_field, error_page, escape, html_page};
use crate::authz::tokens::{digest, valid_pkce_text};
use crate::authz::{AuthServer, cookies};
use crate::eid::LoginFailure;
use crate::national_id::Country;

/// Request parameters, refusing any given twice (RFC 6749 §3.1).
pub fn single_params(pairs: Vec<(String, String)>) -> Result<HashMap<String, String>, String> {
    let mut params = HashMap::new();
    for (name, value) in pairs {
        if params.insert(name.clone(), value).is_some() {
            return Err(format!("the parameter {name} is given more than once"));
        }
    }
    Ok(params)
}

/// The app's redirect URI with `pairs` added to its query.
pub fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> HttpResponse {
    let mut url = match reqwest::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Login failed",
                "The app's address is not valid.",
            );
        }
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
    }
    HttpResponse::SeeOther()
        .insert_header(("Location", url.to_string()))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn app_error(app: &AppRequestRef<'_>, error: &str, description: &str) -> HttpResponse {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(state) = app.state {
        pairs.push(("state", state));
    }
    redirect_with(app.redirect_uri, &pairs)
}

struct AppRequestRef<'a> {
    redirect_uri: &'a str,
    state: Option<&'a str>,
}

pub async fn authorize(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    let bad_page = |message: &str| {
        error_page(
            StatusCode::BAD_REQUEST,
            "The app's request cannot be served",
            message,
        )
    };
    let params = match single_params(query.into_inner()) {
        Ok(params) => params,
        Err(message) => return bad_page(&message),
    };
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let Some(client) = get("client_id").and_then(|id| server.clients.get(id)) else {
        return bad_page("The app is not registered with this service.");
    };
    let Some(redirect_uri) = get("redirect_uri").filter(|uri| client.redirect_uri_registered(uri))
    else {
        return bad_page("The app's return address is not registered for it.");
    };
    let app = AppRequestRef {
        redirect_uri,
        state: get("state"),
    };
    if get("response_type") != Some("code") {
        return app_error(
            &app,
            "unsupported_response_type",
            "response_type must be code",
        );
    }
    let Some(state) = get("state") else {
        return app_error(&app, "invalid_request", "state is required");
    };
    if get("code_challenge_method") != Some("S256") {
        return app_error(
            &app,
            "invalid_request",
            "code_challenge_method must be S256",
        );
    }
    let Some(challenge) = get("code_challenge").filter(|c| valid_pkce_text(c)) else {
        return app_error(
            &app,
            "invalid_request",
            "a valid code_challenge is required",
        );
    };
    if get("aud").map(|a| a.trim_end_matches('/')) != Some(server.fhir_base.as_str()) {
        return app_error(
            &app,
            "invalid_request",
            "aud must be this server's FHIR base URL",
        );
    }
    if get("request").is_some() || get("request_uri").is_some() {
        return app_error(
            &app,
            "request_not_supported",
            "request objects are not supported",
        );
    }
    // Citizens' apps get patient-context access: user and system scopes are left out, like
    // any scope the client is not registered for (the token response says what was granted).
    let granted: Vec<&str> = get("scope")
        .unwrap_or_default()
        .split_ascii_whitespace()
        .filter(|s| client.may_have(s))
        .filter(|s| context_of(s).is_none_or(|c| c == ScopeContext::Patient))
        .collect();
    if !granted
        .iter()
        .any(|s| context_of(s) == Some(ScopeContext::Patient))
    {
        return app_error(
            &app,
            "invalid_scope",
            "no patient scope that this app may have was requested",
        );
    }
    // Each scope once, in the order asked.
    let mut scope: Vec<&str> = Vec::with_capacity(granted.len());
    for s in granted {
        if !scope.contains(&s) {
            scope.push(s);
        }
    }
    let flow = Flow::new(
        Some(AppRequest {
            client_id: client.id().to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.join(" "),
            state: state.to_owned(),
            code_challenge: challenge.to_owned(),
            nonce: get("nonce").map(str::to_owned),
        }),
        get("login_hint").map(str::to_owned),
    );
    let country = get("eid").and_then(Country::parse);
    begin_login(&req, &server, flow, country).await
}

/// After a valid request (or the account page's login link): use the live session if the
/// browser has one, else go to the eID of the given (or only) country, else ask which.
pub async fn begin_login(
    req: &HttpRequest,
    server: &AuthServer,
    mut flow: Flow,
    country: Option<Country>,
) -> HttpResponse {
    let now = now_ms();
    if let Some(session_id) = cookies::read(req, cookies::SESSION) {
        match server.store.session(&digest(&session_id), now).await {
            Ok(Some(session)) => {
                flow.session = Some(session.id_sha256.clone());
                flow.user = Some(session.subject_patient_id.clone());
                flow.acr = session.acr.clone();
                flow.auth_time = Some(session.created_ms / 1000);
                let next = if flow.app.is_some() {
                    "/auth/choose"
                } else {
                    "/auth/account"
                };
                return with_new_flow(server, &flow, next).await;
            }
            Ok(None) => {}
            Err(error) => return store_failure(error),
        }
    }
    let countries = server.eid.countries();
    let country = country.or(match countries.as_slice() {
        [(only, _)] => Some(*only),
        _ => None,
    });
    match country {
        Some(country) => start_eid(server, flow, None, country).await,
        None => {
            let id = match flow.create(server).await {
                Ok(id) => id,
                Err(error) => return store_failure(error),
            };
            let mut buttons = String::new();
            for (country, name) in countries {
                buttons.push_str(&format!(
                    "<button type=\"submit\" name=\"country\" value=\"{}\">Log in with {}</button>\n",
                    country.code(),
                    escape(&name)
                ));
            }
            let body = format!(
                "<p>Choose the electronic ID of your country.</p>\
                 <form method=\"post\" action=\"/auth/login\">{}<fieldset><legend>Country</legend>{buttons}</fieldset></form>",
                csrf_field(&flow.csrf)
            );
            let mut response = html_page(StatusCode::OK, "Log in", &body);
            set_cookie(
                &mut response,
                cookies::make(cookies::FLOW, &id, flow_age(server)),
            );
            response
        }
    }
}

/// `POST /auth/login`: the country chosen on the page.
pub async fn choose_country(
    req: HttpRequest,
    server: web::Data<AuthServer>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (id, flow) = match Flow::of(&server, &req).await {
        Ok(Some(found)) => found,
        Ok(None) => return expired_page(),
        Err(error) => return store_failure(error),
    };
    if !flow.csrf_ok(form.get("csrf").map(String::as_str)) {
        return forged_page();
    }
    let Some(country) = form.get("country").and_then(|c| Country::parse(c)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Log in",
            "Please choose a country.",
        );
    };
    start_eid(&server, flow, Some(id), country).await
}

async fn start_eid(
    server: &AuthServer,
    mut flow: Flow,
    id: Option<String>,
    country: Country,
) -> HttpResponse {
    let start = match server.eid.start(country, flow.login_hint.as_deref()).await {
        Ok(start) => start,
        Err(failure) => return login_failed(&failure),
    };
    flow.eid = Some(EidRoundTrip {
        country,
        state: start.state,
        nonce: start.nonce,
        pkce_verifier: start.pkce_verifier,
    });
    let id = match id {
        Some(id) => match flow.save(server, &id).await {
            Ok(()) => id,
            Err(error) => return store_failure(error),
        },
        None => match flow.create(server).await {
            Ok(id) => id,
            Err(error) => return store_failure(error),
        },
    };
    let mut response = HttpResponse::SeeOther()
        .insert_header(("Location", start.url))
        .insert_header(("Cache-Control", "no-store"))
        .finish();
    set_cookie(
        &mut response,
        cookies::make(cookies::FLOW, &id, flow_age(server)),
    );
    response
}

/// Stores `flow` under a new id and sends the browser to `next` with its cookie.
pub async fn with_new_flow(server: &AuthServer, flow: &Flow, next: &str) -> HttpResponse {
    let id = match flow.create(server).await {
        Ok(id) => id,
        Err(error) => return store_failure(error),
    };
    let mut response = see_other(next);
    set_cookie(
        &mut response,
        cookies::make(cookies::FLOW, &id, flow_age(server)),
    );
    response
}

pub fn flow_age(server: &AuthServer) -> i64 {
    server.settings.flow_minutes as i64 * 60
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location.to_owned()))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

pub fn set_cookie(response: &mut HttpResponse, cookie: actix_web::cookie::Cookie<'static>) {
    if let Err(error) = response.add_cookie(&cookie) {
        tracing::error!(%error, "a cookie could not be set");
    }
}

pub fn login_failed(failure: &LoginFailure) -> HttpResponse {
    let status = match failure {
        LoginFailure::ProviderUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        LoginFailure::NoProvider => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNAUTHORIZED,
    };
    error_page(status, "Login failed", &failure.to_string())
}

pub fn expired_page() -> HttpResponse {
    error_page(
        StatusCode::BAD_REQUEST,
        "Login expired",
        "This login has expired or was already completed. Please start again from the app.",
    )
}

pub fn forged_page() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "Request refused",
        "The form did not come from this login. Please start again from the app.",
    )
}

pub fn store_failure(error: crate::store::StoreError) -> HttpResponse {
    tracing::error!(%error, "the authorization server's store failed");
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service unavailable",
        "The login service cannot be used at the moment. Please try again later.",
    )
}
