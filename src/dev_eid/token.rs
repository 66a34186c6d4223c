//! `POST /dev-eid/token`: an authorization code for an ID token.
//!
//! Client authentication by `client_secret_basic` or `client_secret_post` (one of them, not
//! both); the code must be the client's own, unexpired and unused, with the same
//! `redirect_uri` as the authorization request and, when that request carried a PKCE
//! challenge, the matching `code_verifier`. Errors are RFC 6749 §5.2 JSON.

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::DevEid;
use super::authorize::single_valued;
use super::flows::random_token;
use super::id_token::id_token;

struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn bad(error: &'static str, description: impl Into<String>) -> TokenError {
    TokenError {
        status: StatusCode::BAD_REQUEST,
        error,
        description: description.into(),
    }
}

fn invalid_client(description: &str) -> TokenError {
    TokenError {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_client",
        description: description.to_owned(),
    }
}

pub async fn token(req: HttpRequest, eid: web::Data<DevEid>, body: web::Bytes) -> HttpResponse {
    match exchange(&req, &eid, &body) {
        Ok(body) => no_store(HttpResponse::Ok()).json(body),
        Err(e) => {
            let mut response = HttpResponse::build(e.status);
            if e.status == StatusCode::UNAUTHORIZED {
                response.insert_header(("WWW-Authenticate", "Basic realm=\"dev-eid\""));
            }
            no_store(response).json(json!({"error": e.error, "error_description": e.description}))
        }
    }
}

fn no_store(mut response: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    response
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"));
    response
}

fn exchange(req: &HttpRequest, eid: &DevEid, body: &[u8]) -> Result<serde_json::Value, TokenError> {
    let form_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(bad(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let text =
        std::str::from_utf8(body).map_err(|_| bad("invalid_request", "the body is not UTF-8"))?;
    let form = single_valued(text).map_err(|m| bad("invalid_request", m))?;
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());

    let client_id = authenticate(req, eid, &form)?;
    match field("grant_type") {
        Some("authorization_code") => {}
        Some(_) => {
            return Err(bad(
                "unsupported_grant_type",
                "only authorization_code is supported",
            ));
        }
        None => return Err(bad("invalid_request", "grant_type is missing")),
    }
    let code = field("code").ok_or_else(|| bad("invalid_request", "code is missing"))?;
    let redirect_uri =
        field("redirect_uri").ok_or_else(|| bad("invalid_request", "redirect_uri is missing"))?;
    // Taken out before any check: a code that fails once is gone, which leaves no room for
    // guessing a verifier.
    let issued = eid.flows.redeem(code).ok_or_else(|| {
        bad(
            "invalid_grant",
            "the code is unknown, expired or used already",
        )
    })?;
    if issued.request.client_id != client_id {
        return Err(bad(
            "invalid_grant",
            "the code was issued to another client",
        ));
    }
    if issued.request.redirect_uri != redirect_uri {
        return Err(bad(
            "invalid_grant",
            "redirect_uri differs from the authorization request's",
        ));
    }
    if let Some(challenge) = &issued.request.code_challenge {
        let verifier = field("code_verifier")
            .ok_or_else(|| bad("invalid_grant", "code_verifier is missing"))?;
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let matches = aws_lc_rs::constant_time::verify_slices_are_equal(
            computed.as_bytes(),
            challenge.as_bytes(),
        )
        .is_ok();
        if !is_verifier(verifier) || !matches {
            return Err(bad(
                "invalid_grant",
                "code_verifier does not match the code_challenge",
            ));
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Ok(json!({
        "access_token": random_token(),
        "token_type": "Bearer",
        "expires_in": eid.token_lifetime_seconds,
        "scope": issued.request.scope,
        "id_token": id_token(eid, &issued, now),
    }))
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The authenticated client's id, from HTTP Basic or from the form (not both).
fn authenticate(
    req: &HttpRequest,
    eid: &DevEid,
    form: &std::collections::HashMap<String, String>,
) -> Result<String, TokenError> {
    let basic = req
        .headers()
        .get(AUTHORIZATION)
        .map(|v| basic_credentials(v.to_str().unwrap_or_default()))
        .transpose()?;
    let posted = form.get("client_secret");
    let (client_id, secret) = match (basic, posted) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "invalid_request",
                "use one client authentication method, not two",
            ));
        }
        (Some((id, secret)), None) => {
            if form.get("client_id").is_some_and(|posted| *posted != id) {
                return Err(bad(
                    "invalid_request",
                    "client_id differs from the authenticated client",
                ));
            }
            (id, secret)
        }
        (None, Some(secret)) => {
            let id = form
                .get("client_id")
                .ok_or_else(|| invalid_client("client_id is missing"))?;
            (id.clone(), secret.clone())
        }
        (None, None) => return Err(invalid_client("client authentication is missing")),
    };
    eid.clients
        .authenticate(&client_id, &secret)
        .map(|c| c.id.clone())
        .ok_or_else(|| invalid_client("unknown client or wrong secret"))
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_credentials(header: &str) -> Result<(String, String), TokenError> {
    let malformed = || invalid_client("the Authorization header is not HTTP Basic credentials");
    let (scheme, encoded) = header.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    Ok((
        form_decode(id).ok_or_else(malformed)?,
        form_decode(secret).ok_or_else(malformed)?,
    ))
}

fn form_decode(part: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={part}")).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%20client:p%3As+s"));
        let (id, secret) = basic_credentials(&header).ok().unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("my client", "p:s s"));
        assert!(basic_credentials("Bearer abc").is_err());
        assert!(basic_credentials("Basic !!!").is_err());
    }

    #[test]
    fn verifiers_follow_rfc_7636() {
        assert!(is_verifier(&"a".repeat(43)));
        assert!(!is_verifier(&"a".repeat(42)));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}+", "a".repeat(43))));
    }
}
