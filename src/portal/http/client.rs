//! One attempt at one upstream call: the reqwest client (rustls, pooled connections, mutual
//! TLS when configured), the request (request id, bearer token), and the answer read within
//! the deadline and a size bound. What went wrong is classified as a `Failure`, which the
//! retry policy, the breaker and the error mapping decide on.

use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};

use super::config::HttpSourceSettings;
use super::oauth::TokenSource;
use super::retry::Idempotency;
use crate::portal::PortalError;

/// The calls of the contract (`docs/portal-upstream-contract.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Person,
    Lookup,
    Persons,
    Records,
    PowersOfAttorney,
    Health,
}

impl Operation {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Operation::Person => "person",
            Operation::Lookup => "lookup",
            Operation::Persons => "persons",
            Operation::Records => "records",
            Operation::PowersOfAttorney => "powers_of_attorney",
            Operation::Health => "health",
        }
    }

    /// Every call of the contract is idempotent: reads, and the lookup, a POST by contract
    /// without side effects (it only keeps the identifier out of the URL).
    pub fn idempotency(self) -> Idempotency {
        Idempotency::Idempotent
    }
}

/// One call: what, where, and the JSON body of a POST.
#[derive(Debug, Clone)]
pub struct Call {
    pub operation: Operation,
    pub path: String,
    pub body: Option<Vec<u8>>,
}

/// A usable answer: 200 with a JSON body, or 404 (nobody by that key or identifier).
#[derive(Debug)]
pub enum Answer {
    Found(Vec<u8>),
    NotFound,
}

/// What went wrong with an attempt. Never carries the upstream's words or the person asked
/// for, so it can be logged and counted as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The deadline passed before the answer was complete.
    Timeout,
    /// No connection, or it broke before the answer was complete.
    Connect,
    /// An unexpected status.
    Status(u16),
    /// The answer is not what the contract says (the reason, for the log).
    BadData(&'static str),
    /// The token endpoint failed; never retried (the token request is not idempotent).
    Token(Box<Failure>),
    /// The circuit is open.
    Open { retry_after_seconds: u64 },
}

impl Failure {
    pub fn from_reqwest(error: &reqwest::Error) -> Failure {
        if error.is_timeout() {
            Failure::Timeout
        } else if error.is_decode() {
            Failure::BadData("the answer could not be decoded")
        } else {
            // Connection refused or reset, TLS failure, body cut off: the connection broke.
            Failure::Connect
        }
    }

    /// Worth another attempt of an idempotent call.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Failure::Timeout | Failure::Connect | Failure::Status(500 | 502 | 503 | 504)
        )
    }

    /// A sign that the upstream is down or overloaded, which the breaker counts. A
    /// malformed answer or a refusal comes from an upstream that is up.
    pub fn counts_against_breaker(&self) -> bool {
        match self {
            Failure::Timeout | Failure::Connect => true,
            Failure::Status(s) => *s >= 500,
            Failure::Token(inner) => inner.counts_against_breaker(),
            Failure::BadData(_) | Failure::Open { .. } => false,
        }
    }

    /// The metric label and `/readyz` word for this failure.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::Connect => "connect",
            Failure::Status(s) if *s >= 500 => "status-5xx",
            Failure::Status(_) => "status-4xx",
            Failure::BadData(_) => "bad-data",
            Failure::Token(_) => "token",
            Failure::Open { .. } => "circuit-open",
        }
    }

    /// What the rest of the gateway sees. `down_retry_after` is the hint for an upstream
    /// that is down (the breaker's open time).
    pub fn into_portal_error(self, down_retry_after: u64) -> PortalError {
        match self {
            Failure::Timeout => PortalError::Timeout,
            Failure::Open {
                retry_after_seconds,
            } => PortalError::Unavailable {
                retry_after_seconds,
            },
            Failure::Connect => PortalError::Unavailable {
                retry_after_seconds: down_retry_after,
            },
            Failure::Status(s) if s >= 500 || s == 429 => PortalError::Unavailable {
                retry_after_seconds: down_retry_after,
            },
            // 401/403 after a fresh token, 400, 406, ...: the upstream does not accept what
            // the contract says it should; nothing usable came back.
            Failure::Status(_) | Failure::BadData(_) => PortalError::BadData,
            Failure::Token(inner) => match *inner {
                Failure::Timeout => PortalError::Timeout,
                _ => PortalError::Unavailable {
                    retry_after_seconds: down_retry_after,
                },
            },
        }
    }
}

pub struct Client {
    http: reqwest::Client,
    base_url: String,
    max_response_bytes: usize,
    oauth: Option<TokenSource>,
    country: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}: {1}")]
    File(String, std::io::Error),
    #[error("{0} is not usable: {1}")]
    Tls(&'static str, reqwest::Error),
    #[error("the HTTP client cannot be built: {0}")]
    Build(reqwest::Error),
}

impl Client {
    pub fn new(
        settings: &HttpSourceSettings,
        country: &'static str,
    ) -> Result<Client, ClientError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("ehds-gateway/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .pool_max_idle_per_host(settings.pool_max_idle)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            // A redirect would take the request (and its token) somewhere the configuration
            // did not name.
            .redirect(reqwest::redirect::Policy::none());
        let tls = &settings.tls;
        if !tls.client_cert_file.is_empty() {
            let mut pem = read(&tls.client_cert_file)?;
            pem.push(b'\n');
            pem.extend(read(&tls.client_key_file)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| ClientError::Tls("the client certificate or key", e))?;
            builder = builder.identity(identity);
        }
        if !tls.ca_file.is_empty() {
            let roots = reqwest::Certificate::from_pem_bundle(&read(&tls.ca_file)?)
                .map_err(|e| ClientError::Tls("the CA file", e))?;
            builder = builder.tls_certs_merge(roots);
        }
        Ok(Client {
            http: builder.build().map_err(ClientError::Build)?,
            base_url: settings.base_url.trim().trim_end_matches('/').to_owned(),
            max_response_bytes: settings.max_response_bytes,
            oauth: settings
                .oauth_enabled()
                .then(|| TokenSource::new(&settings.oauth)),
            country,
        })
    }

    /// One attempt, finished (answer read) by `deadline` or failed with `Timeout`.
    pub async fn attempt(&self, call: &Call, deadline: Instant) -> Result<Answer, Failure> {
        let attempt = async {
            let Some(oauth) = &self.oauth else {
                return self.send(call, deadline, None).await;
            };
            let token = oauth
                .token(&self.http, deadline, self.country)
                .await
                .map_err(|f| Failure::Token(Box::new(f)))?;
            match self.send(call, deadline, Some(&token)).await {
                // The token was revoked or expired early: one fresh token, one more try.
                Err(Failure::Status(401)) => {
                    oauth.forget(&token).await;
                    let token = oauth
                        .token(&self.http, deadline, self.country)
                        .await
                        .map_err(|f| Failure::Token(Box::new(f)))?;
                    self.send(call, deadline, Some(&token)).await
                }
                other => other,
            }
        };
        tokio::time::timeout_at(deadline.into(), attempt)
            .await
            .unwrap_or(Err(Failure::Timeout))
    }

    async fn send(
        &self,
        call: &Call,
        deadline: Instant,
        token: Option<&str>,
    ) -> Result<Answer, Failure> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Failure::Timeout);
        }
        let url = format!("{}{}", self.base_url, call.path);
        let mut request = match &call.body {
            Some(body) => self
                .http
                .post(url)
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone()),
            None => self.http.get(url),
        }
        .timeout(remaining)
        .header(ACCEPT, "application/json");
        if let Some(id) = crate::request_context::request_id()
            .and_then(|id| HeaderValue::from_str(&id).ok())
            .filter(|id| !id.is_empty())
        {
            request = request.header("X-Request-Id", id);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| Failure::from_reqwest(&e))?;
        match response.status().as_u16() {
            200 => {}
            404 => return Ok(Answer::NotFound),
            other => return Err(Failure::Status(other)),
        }
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Failure::BadData("the answer is not application/json"));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.max_response_bytes as u64)
        {
            return Err(Failure::BadData("the answer is larger than allowed"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Failure::from_reqwest(&e))?
        {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(Failure::BadData("the answer is larger than allowed"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer::Found(body))
    }
}

fn read(path: &str) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|e| ClientError::File(path.to_owned(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_map_to_the_gateway_errors() {
        assert_eq!(Failure::Timeout.into_portal_error(7), PortalError::Timeout);
        for down in [Failure::Connect, Failure::Status(503), Failure::Status(429)] {
            assert_eq!(
                down.into_portal_error(7),
                PortalError::Unavailable {
                    retry_after_seconds: 7
                }
            );
        }
        assert_eq!(
            Failure::Open {
                retry_after_seconds: 3
            }
            .into_portal_error(7),
            PortalError::Unavailable {
                retry_after_seconds: 3
            }
        );
        assert_eq!(
            Failure::BadData("x").into_portal_error(7),
            PortalError::BadData
        );
        assert_eq!(
            Failure::Status(400).into_portal_error(7),
            PortalError::BadData
        );
        assert_eq!(
            Failure::Token(Box::new(Failure::Timeout)).into_portal_error(7),
            PortalError::Timeout
        );
        assert!(!Failure::Token(Box::new(Failure::Connect)).is_transient());
        assert!(Failure::Token(Box::new(Failure::Connect)).counts_against_breaker());
        assert!(!Failure::BadData("x").counts_against_breaker());
    }

    #[test]
    fn a_client_certificate_and_extra_roots_are_loaded() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
        let mut settings = HttpSourceSettings {
            base_url: "https://portal.example.org".into(),
            ..HttpSourceSettings::default()
        };
        settings.tls.client_cert_file = format!("{fixtures}/client-cert.pem");
        settings.tls.client_key_file = format!("{fixtures}/client-key.pem");
        settings.tls.ca_file = format!("{fixtures}/ca.pem");
        Client::new(&settings, "NO").expect("the identity and the root load");
    }

    #[test]
    fn unreadable_tls_files_are_refused_at_start() {
        let mut settings = HttpSourceSettings {
            base_url: "https://portal.example.org".into(),
            ..HttpSourceSettings::default()
        };
        settings.tls.client_cert_file = "/nonexistent/cert.pem".into();
        settings.tls.client_key_file = "/nonexistent/key.pem".into();
        assert!(matches!(
            Client::new(&settings, "NO"),
            Err(ClientError::File(..))
        ));
        let dir = crate::test_dir::TestDir::new("tls");
        std::fs::create_dir_all(dir.path()).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        settings.tls.client_cert_file = junk.display().to_string();
        settings.tls.client_key_file = junk.display().to_string();
        assert!(matches!(
            Client::new(&settings, "NO"),
            Err(ClientError::Tls(..))
        ));
    }
}
