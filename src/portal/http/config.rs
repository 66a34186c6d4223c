//! The settings of one HTTP upstream, as written in `portal.sources.<cc>` with
//! `kind = "http"`. Every option has a default here and is documented, with the same
//! default, in `config/default.toml` (a unit test keeps the two equal).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSourceSettings {
    /// The upstream's base URL; the contract's paths (`/v1/...`) are appended to it.
    pub base_url: String,
    /// The most time one gateway request spends waiting on this upstream, every call and
    /// retry included.
    pub timeout_ms: u64,
    /// Time allowed to open a TCP (and TLS) connection, within `timeout_ms`.
    pub connect_timeout_ms: u64,
    /// Extra attempts after a transient failure of an idempotent call (0 = none).
    pub retries: u32,
    /// First pause before a retry; doubled on each further retry, up to
    /// `retry_backoff_max_ms`, and jittered.
    pub retry_backoff_ms: u64,
    pub retry_backoff_max_ms: u64,
    /// Idle connections kept open to the upstream, for reuse.
    pub pool_max_idle: usize,
    /// Largest answer accepted, in bytes; a larger one is malformed data.
    pub max_response_bytes: usize,
    /// Whether the upstream offers `GET /v1/persons` (listing everyone). National
    /// registers usually refuse; without it, demographic searches are refused (400).
    pub listing: bool,
    /// How long an answer is kept, in seconds; 0 = no cache.
    pub cache_ttl_seconds: u64,
    /// Most cached entries (one person's demographics, records and powers of attorney
    /// count one each); 0 = no cache.
    pub cache_capacity: u64,
    pub breaker: BreakerSettings,
    pub tls: TlsSettings,
    pub oauth: OAuthSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerSettings {
    /// Failed attempts (timeouts, connection failures, 5xx) within `window_seconds` that
    /// open the circuit.
    pub failures: u32,
    pub window_seconds: u64,
    /// How long an open circuit refuses calls before one probe call is let through.
    pub open_seconds: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM files of the client certificate (chain) and its private key, for mutual TLS
    /// towards the upstream. Both or neither.
    pub client_cert_file: String,
    pub client_key_file: String,
    /// PEM file of extra trusted root certificates (a national PKI), beside the system's.
    pub ca_file: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthSettings {
    /// Token endpoint for the OAuth 2.0 client credentials grant. Empty: no OAuth.
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Space-separated scopes to ask for; empty: none named.
    pub scope: String,
}

/// A secret that never shows in `Debug` output (and so in logs of the settings).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

impl Default for HttpSourceSettings {
    fn default() -> Self {
        HttpSourceSettings {
            base_url: String::new(),
            timeout_ms: 2000,
            connect_timeout_ms: 500,
            retries: 2,
            retry_backoff_ms: 50,
            retry_backoff_max_ms: 500,
            pool_max_idle: 32,
            max_response_bytes: 8 * 1024 * 1024,
            listing: false,
            cache_ttl_seconds: 30,
            cache_capacity: 10_000,
            breaker: BreakerSettings::default(),
            tls: TlsSettings::default(),
            oauth: OAuthSettings::default(),
        }
    }
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures: 5,
            window_seconds: 30,
            open_seconds: 10,
        }
    }
}

impl HttpSourceSettings {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    pub fn oauth_enabled(&self) -> bool {
        !self.oauth.token_url.trim().is_empty()
    }

    pub fn cache_enabled(&self) -> bool {
        self.cache_ttl_seconds > 0 && self.cache_capacity > 0
    }

    /// What is wrong with these settings, if anything.
    pub fn problem(&self) -> Option<String> {
        let url = match reqwest::Url::parse(self.base_url.trim()) {
            Ok(url) => url,
            Err(_) => return Some("base_url must be an absolute http(s) URL".into()),
        };
        if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
            return Some("base_url must be an http(s) URL without a query".into());
        }
        if self.timeout_ms == 0 || self.connect_timeout_ms == 0 {
            return Some("timeout_ms and connect_timeout_ms must be at least 1".into());
        }
        if self.retry_backoff_max_ms < self.retry_backoff_ms {
            return Some("retry_backoff_max_ms must be at least retry_backoff_ms".into());
        }
        if self.retries > 10 {
            return Some("retries must be at most 10".into());
        }
        if self.breaker.failures == 0
            || self.breaker.window_seconds == 0
            || self.breaker.open_seconds == 0
        {
            return Some(
                "breaker.failures, window_seconds and open_seconds must be at least 1".into(),
            );
        }
        if self.tls.client_cert_file.is_empty() != self.tls.client_key_file.is_empty() {
            return Some("tls.client_cert_file and tls.client_key_file go together".into());
        }
        if self.oauth_enabled() {
            if reqwest::Url::parse(self.oauth.token_url.trim()).is_err() {
                return Some("oauth.token_url must be an absolute URL".into());
            }
            if self.oauth.client_id.is_empty() {
                return Some("oauth.client_id is needed with oauth.token_url".into());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_once_a_base_url_is_given() {
        let mut s = HttpSourceSettings::default();
        assert!(s.problem().is_some(), "no base_url");
        s.base_url = "https://portal.example.org/registry".into();
        assert_eq!(s.problem(), None);
        s.tls.client_cert_file = "cert.pem".into();
        assert!(s.problem().unwrap().contains("go together"));
        s.tls.client_key_file = "key.pem".into();
        assert_eq!(s.problem(), None);
        s.oauth.token_url = "https://login.example.org/token".into();
        assert!(s.problem().unwrap().contains("client_id"));
        s.breaker.failures = 0;
        assert!(s.problem().is_some());
    }

    #[test]
    fn a_secret_does_not_show_in_debug_output() {
        let mut s = HttpSourceSettings::default();
        s.oauth.client_secret = Secret("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
