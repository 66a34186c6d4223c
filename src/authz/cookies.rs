//! The two cookies of the login pages: the flow in progress and the login session. Both are
//! random secrets (the store keeps their SHA-256), HttpOnly, and `SameSite=Lax` because the
//! browser comes back from the eID by a cross-site redirect.
//!
//! Both carry the `__Host-` prefix, so the browser accepts them only when they are `Secure`,
//! have `Path=/` and no `Domain`: a sibling host under the same domain (or a plain-http page
//! of it) cannot plant a flow or session id of its choosing in the citizen's browser, which
//! is the first step of a fixation. `Secure` holds also in the dev profile over
//! `http://127.0.0.1` or `http://localhost`: browsers treat loopback as a secure context
//! and keep such cookies there. The flow id is also replaced once the eID login succeeds
//! (`eid_callback`), so that an id known before the login is worth nothing after it.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

pub const FLOW: &str = "__Host-ehds_flow";
pub const SESSION: &str = "__Host-ehds_session";

pub fn make(name: &'static str, value: &str, max_age_seconds: i64) -> Cookie<'static> {
    Cookie::build(name, value.to_owned())
        .path("/")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(max_age_seconds))
        .finish()
}

/// A cookie that removes `name` from the browser.
pub fn clear(name: &'static str) -> Cookie<'static> {
    make(name, "", 0)
}

pub fn read(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Whether browsers keep `Secure` cookies set by `base_url`: https, or plain http on a
/// loopback host (a secure context). Elsewhere over plain http the login cannot work.
pub fn secure_context(base_url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base_url) else {
        return false;
    };
    if url.scheme() == "https" {
        return true;
    }
    let host = url.host_str().unwrap_or_default();
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host.ends_with(".localhost")
        || ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_meet_the_host_prefix_rules() {
        for name in [FLOW, SESSION] {
            let text = make(name, "v", 60).to_string();
            assert!(text.starts_with("__Host-"), "{text}");
            for part in ["Secure", "Path=/;", "HttpOnly", "SameSite=Lax"] {
                assert!(format!("{text};").contains(part), "{part}: {text}");
            }
            assert!(!text.contains("Domain"), "{text}");
            assert!(clear(name).to_string().contains("Max-Age=0"));
        }
    }

    #[test]
    fn loopback_and_https_are_secure_contexts() {
        for url in [
            "https://gateway.example.no",
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(secure_context(url), "{url}");
        }
        for url in [
            "http://gateway.example.no",
            "http://0.0.0.0:8080",
            "nonsense",
        ] {
            assert!(!secure_context(url), "{url}");
        }
    }
}
