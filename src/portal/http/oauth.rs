//! OAuth 2.0 client credentials towards an upstream (RFC 6749 §4.4): one access token per
//! upstream, fetched when first needed, kept until shortly before it expires, and fetched
//! again then (or at once when the upstream answers 401).
//!
//! The token request is not idempotent (every request issues a new token), so it is never
//! retried: a failure of the token endpoint fails the call.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;

use super::client::Failure;
use super::config::OAuthSettings;

pub struct TokenSource {
    url: String,
    /// `Basic base64(urlencode(id):urlencode(secret))`, RFC 6749 §2.3.1.
    authorization: String,
    form: String,
    /// Held while a token is fetched, so that concurrent calls wait for one fetch.
    cached: tokio::sync::Mutex<Option<Cached>>,
}

#[derive(Clone)]
struct Cached {
    token: String,
    refresh_at: Instant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Lifetime assumed when the token endpoint does not say (`expires_in` is only recommended).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);

impl TokenSource {
    pub fn new(settings: &OAuthSettings) -> TokenSource {
        let credentials = format!(
            "{}:{}",
            form_component(&settings.client_id),
            form_component(&settings.client_secret.0)
        );
        let mut form = vec![("grant_type", "client_credentials")];
        if !settings.scope.trim().is_empty() {
            form.push(("scope", settings.scope.trim()));
        }
        TokenSource {
            url: settings.token_url.trim().to_owned(),
            authorization: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            ),
            form: serde_urlencoded::to_string(&form).unwrap_or_default(),
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// A token that is valid now, from the cache or fetched.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        deadline: Instant,
        country: &'static str,
    ) -> Result<String, Failure> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch(http, deadline).await;
        metrics::counter!(
            "ehds_upstream_requests_total",
            "country" => country,
            "operation" => "token",
            "outcome" => fresh.as_ref().map_or_else(Failure::kind, |_| "ok")
        )
        .increment(1);
        let fresh = fresh?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Drops `token` if it is still the cached one (the upstream refused it).
    pub async fn forget(&self, token: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == token) {
            *cached = None;
        }
    }

    async fn fetch(&self, http: &reqwest::Client, deadline: Instant) -> Result<Cached, Failure> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Failure::Timeout);
        }
        let response = http
            .post(&self.url)
            .timeout(remaining)
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(self.form.clone())
            .send()
            .await
            .map_err(|e| Failure::from_reqwest(&e))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(Failure::Status(status));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| Failure::from_reqwest(&e))?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|_| Failure::BadData("token answer is not a token response"))?;
        let usable = !answer.access_token.is_empty()
            && answer.access_token.bytes().all(|b| b.is_ascii_graphic())
            && answer.token_type.eq_ignore_ascii_case("bearer");
        if !usable {
            return Err(Failure::BadData("token answer has no usable bearer token"));
        }
        let lifetime = answer
            .expires_in
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        Ok(Cached {
            token: answer.access_token,
            refresh_at: Instant::now() + refresh_after(lifetime),
        })
    }
}

/// When to fetch a new token: a tenth of its lifetime (at most a minute) before it expires,
/// so that a token never expires on its way to the upstream.
fn refresh_after(lifetime: Duration) -> Duration {
    lifetime - (lifetime / 10).min(Duration::from_secs(60))
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_component(value: &str) -> String {
    serde_urlencoded::to_string(&[("", value)][..])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::http::config::Secret;

    #[test]
    fn tokens_are_refreshed_before_they_expire() {
        assert_eq!(
            refresh_after(Duration::from_secs(300)),
            Duration::from_secs(270)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(3600)),
            Duration::from_secs(3540)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(10)),
            Duration::from_secs(9)
        );
    }

    #[test]
    fn client_credentials_are_form_encoded_before_basic() {
        let source = TokenSource::new(&OAuthSettings {
            token_url: "https://login.example.org/token".into(),
            client_id: "gw:1".into(),
            client_secret: Secret("a b".into()),
            scope: "records.read".into(),
        });
        let expected = base64::engine::general_purpose::STANDARD.encode("gw%3A1:a+b");
        assert_eq!(source.authorization, format!("Basic {expected}"));
        assert_eq!(
            source.form,
            "grant_type=client_credentials&scope=records.read"
        );
    }
}
