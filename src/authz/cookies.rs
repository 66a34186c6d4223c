//! The two cookies of the login pages: the flow in progress and the login session. Both are
//! random secrets (the store keeps their SHA-256), HttpOnly, limited to `/auth`, and
//! `SameSite=Lax` because the browser comes back from the eID by a cross-site redirect.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

pub const FLOW: &str = "ehds_flow";
pub const SESSION: &str = "ehds_session";

pub fn make(
    name: &'static str,
    value: &str,
    secure: bool,
    max_age_seconds: i64,
) -> Cookie<'static> {
    Cookie::build(name, value.to_owned())
        .path("/auth")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(max_age_seconds))
        .finish()
}

/// A cookie that removes `name` from the browser.
pub fn clear(name: &'static str, secure: bool) -> Cookie<'static> {
    make(name, "", secure, 0)
}

pub fn read(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}
