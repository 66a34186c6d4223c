//! `GET /dev-eid/authorize` (the authorization request, answered with the login page) and
//! `POST /dev-eid/login` (the person chosen, answered with a redirect to the client).
//!
//! Until the client and its redirect URI are known to be registered, errors are shown as a
//! page: redirecting to an unregistered URI would make this an open redirector. After that,
//! errors go back to the client as `error=` in the redirect, per OAuth 2.0.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::national_id::{Country, NationalId};

use super::DevEid;
use super::assurance::Level;
use super::flows::AuthorizationRequest;
use super::login_page::{LoginView, error_page, login_page};

/// An authorization request that cannot be served.
enum Refusal {
    /// Shown as a page: the client or its redirect URI is not to be trusted.
    Page(String),
    /// Sent back to the client's (registered) redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

pub async fn authorize(req: HttpRequest, eid: web::Data<DevEid>) -> HttpResponse {
    let request = match parse_request(&eid, req.query_string()) {
        Ok(request) => request,
        Err(Refusal::Page(message)) => return html(StatusCode::BAD_REQUEST, error_page(&message)),
        Err(Refusal::Redirect {
            redirect_uri,
            state,
            error,
            description,
        }) => {
            let mut params = vec![
                ("error", error.to_owned()),
                ("error_description", description),
            ];
            params.extend(state.map(|s| ("state", s)));
            return redirect(StatusCode::FOUND, &redirect_uri, &params);
        }
    };
    let view_level = request.level;
    let hint = request.login_hint.clone();
    let client_id = request.client_id.clone();
    let login_id = eid.flows.start_login(request);
    let page = login_page(&LoginView {
        login_id: &login_id,
        client_id: &client_id,
        people: eid.people.all(),
        today: eid.clock.today(),
        level: view_level,
        hint: hint.as_deref(),
        message: None,
    });
    html(StatusCode::OK, page)
}

fn parse_request(eid: &DevEid, query: &str) -> Result<AuthorizationRequest, Refusal> {
    let params = single_valued(query).map_err(Refusal::Page)?;
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let client_id = get("client_id").ok_or(Refusal::Page("client_id is missing".into()))?;
    let client = eid
        .clients
        .get(client_id)
        .ok_or_else(|| Refusal::Page(format!("client '{client_id}' is not registered")))?;
    let redirect_uri =
        get("redirect_uri").ok_or(Refusal::Page("redirect_uri is missing".into()))?;
    if !client.allows_redirect(redirect_uri) {
        return Err(Refusal::Page(format!(
            "redirect_uri is not one registered for client '{client_id}'"
        )));
    }
    let state = get("state").map(str::to_owned);
    let refuse = |error: &'static str, description: &str| Refusal::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error,
        description: description.to_owned(),
    };
    match get("response_type") {
        Some("code") => {}
        Some(_) => {
            return Err(refuse(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        None => return Err(refuse("invalid_request", "response_type is missing")),
    }
    let scope = get("scope").unwrap_or_default();
    if !scope.split_ascii_whitespace().any(|s| s == "openid") {
        return Err(refuse("invalid_scope", "the scope must contain openid"));
    }
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (None, None) => None,
        (Some(challenge), Some("S256")) => {
            if !is_s256_challenge(challenge) {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge must be 43 base64url characters (S256)",
                ));
            }
            Some(challenge.to_owned())
        }
        (Some(_), None) | (Some(_), Some(_)) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        (None, Some(_)) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method without code_challenge",
            ));
        }
    };
    if get("prompt").is_some_and(|p| p.split_ascii_whitespace().any(|p| p == "none")) {
        return Err(refuse(
            "login_required",
            "the dev eID always shows its login page",
        ));
    }
    for unsupported in ["request", "request_uri"] {
        if get(unsupported).is_some() {
            let error = if unsupported == "request" {
                "request_not_supported"
            } else {
                "request_uri_not_supported"
            };
            return Err(refuse(error, "request objects are not supported"));
        }
    }
    Ok(AuthorizationRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scope: scope.to_owned(),
        state,
        nonce: get("nonce").map(str::to_owned),
        code_challenge,
        level: Level::requested(get("acr_values")).unwrap_or(Level::Substantial),
        login_hint: get("login_hint").map(str::to_owned),
    })
}

/// `POST /dev-eid/login`: the form of the login page.
pub async fn login(eid: web::Data<DevEid>, body: web::Bytes) -> HttpResponse {
    let form = std::str::from_utf8(&body)
        .map_err(|_| String::new())
        .and_then(single_valued);
    let Ok(form) = form else {
        return html(
            StatusCode::BAD_REQUEST,
            error_page("the login form is not readable"),
        );
    };
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let login_id = field("login");
    let Some(request) = eid.flows.login(login_id) else {
        return html(StatusCode::BAD_REQUEST, error_page(EXPIRED));
    };
    let mut params = Vec::new();
    let person = match field("person") {
        "cancel" => {
            eid.flows.cancel_login(login_id);
            params.push(("error", "access_denied".to_owned()));
            params.push((
                "error_description",
                "the user cancelled the login".to_owned(),
            ));
            params.extend(request.state.clone().map(|s| ("state", s)));
            return redirect(StatusCode::SEE_OTHER, &request.redirect_uri, &params);
        }
        "typed" => typed_person(&eid, field("country"), field("national_id")),
        key => eid
            .people
            .by_key(key)
            .map(|listed| listed.person.clone())
            .ok_or("choose a person from the list, or type a national ID"),
    };
    let level = Level::from_name(field("acr")).ok_or("choose an assurance level");
    let (person, level) = match (person, level) {
        (Ok(person), Ok(level)) => (person, level),
        (Err(message), _) | (_, Err(message)) => {
            let page = login_page(&LoginView {
                login_id,
                client_id: &request.client_id,
                people: eid.people.all(),
                today: eid.clock.today(),
                level: Level::from_name(field("acr")).unwrap_or(request.level),
                hint: request.login_hint.as_deref(),
                message: Some(message),
            });
            return html(StatusCode::BAD_REQUEST, page);
        }
    };
    tracing::info!(
        client_id = %request.client_id,
        person = %person.national_id.pseudonym(),
        level = level.name(),
        "dev eID login"
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let Some((code, request)) = eid.flows.issue_code(login_id, person, level, now) else {
        return html(StatusCode::BAD_REQUEST, error_page(EXPIRED));
    };
    params.push(("code", code));
    params.extend(request.state.clone().map(|s| ("state", s)));
    params.push(("iss", eid.issuer.clone()));
    redirect(StatusCode::SEE_OTHER, &request.redirect_uri, &params)
}

const EXPIRED: &str =
    "this login page has expired or was used already; start again from the application";

/// A typed number, checked with the country's rules. The messages never quote the number.
fn typed_person(
    eid: &DevEid,
    country: &str,
    number: &str,
) -> Result<super::people::Person, &'static str> {
    let country = Country::parse(country).ok_or("choose the country of the national ID")?;
    let number = number.trim();
    if number.is_empty() {
        return Err("type a national ID, or choose a person from the list");
    }
    let id = NationalId::parse_for_country(country, number).map_err(|_| {
        "this is not a valid national ID of the chosen country (check its length, date and control digits)"
    })?;
    Ok(eid.people.by_national_id(id))
}

/// The parameters of a query or form; a repeated parameter is an error (RFC 6749 §3.1).
pub fn single_valued(encoded: &str) -> Result<HashMap<String, String>, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(encoded)
        .map_err(|_| "the parameters are not readable".to_owned())?;
    let mut params = HashMap::new();
    for (name, value) in pairs {
        if params.contains_key(&name) {
            return Err(format!("the parameter {name} is repeated"));
        }
        params.insert(name, value);
    }
    Ok(params)
}

/// An S256 challenge is the base64url of 32 bytes: 43 characters of that alphabet.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn redirect(status: StatusCode, uri: &str, params: &[(&str, String)]) -> HttpResponse {
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    let separator = if uri.contains('?') { '&' } else { '?' };
    HttpResponse::build(status)
        .insert_header(("Location", format!("{uri}{separator}{query}")))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}
