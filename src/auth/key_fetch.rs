//! Fetching an issuer's JWK set over HTTP, through OIDC discovery when no `jwks_uri` is
//! configured.
//!
//! The keys decide whose tokens are believed, so where they come from is held tight: no
//! redirect is followed (an answer is the issuer's own or none: a redirect could hand the
//! choice of keys to whoever controls its target, an open redirect on the issuer's host
//! included), and a `jwks_uri` learnt from discovery must be on the issuer's own origin
//! (scheme, host and port), so that a discovery document cannot point us at keys
//! elsewhere. A `jwks_uri` configured explicitly is the operator's choice and may be
//! anywhere.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::jwks::KeySet;

/// A backstop for an HTTP client built without a timeout: requests wait while keys are
/// fetched, so a fetch must end. The client's own (configured) timeout, if shorter,
/// applies first; a per-request timeout would override it, so none is set.
const MAX_FETCH_TIME: Duration = Duration::from_secs(30);

/// Discovery documents and key sets are small; a larger answer is not one of them.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why keys could not be fetched. Logged, never shown to clients.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("no answer within {} s", MAX_FETCH_TIME.as_secs())]
    TimedOut,
    #[error("answered with HTTP status {0}")]
    Status(u16),
    #[error("answered with a redirect (HTTP status {0}), which is not followed")]
    Redirected(u16),
    #[error("answered with more than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    #[error("answered with a document that is not valid: {0}")]
    Invalid(String),
    #[error("the discovery document names another issuer")]
    IssuerMismatch,
    #[error(
        "the discovery document's jwks_uri is not on the issuer's origin (configure jwks_uri explicitly to trust keys elsewhere)"
    )]
    ForeignJwksUri,
    #[error("the key set has no key that can verify signatures")]
    NoUsableKeys,
}

/// The HTTP client of key and discovery fetches: `timeout` per request, no redirects.
pub(crate) fn http_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

#[derive(serde::Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

/// Reads `jwks_uri` from `{issuer}/.well-known/openid-configuration` (OIDC Discovery §4).
pub(crate) async fn discover_jwks_uri(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<String, FetchError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let document: Discovery = get_json(http, &url).await?;
    // OIDC Discovery §4.3: the document must name the issuer it was fetched for, or
    // anyone able to place a document there could vouch for their own keys.
    if document.issuer != issuer {
        return Err(FetchError::IssuerMismatch);
    }
    if !same_origin(issuer, &document.jwks_uri) {
        return Err(FetchError::ForeignJwksUri);
    }
    Ok(document.jwks_uri)
}

/// Whether both are URLs of one origin (RFC 6454: scheme, host, port, default ports
/// filled in); an unparsable URL is of no origin.
pub(crate) fn same_origin(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin().is_tuple() && a.origin() == b.origin(),
        _ => false,
    }
}

/// Fetches and reads a JWK set. A set without any usable key is refused: an issuer
/// always has one, so an empty set is a fault we should not replace good keys with.
pub(crate) async fn fetch_key_set(
    http: &reqwest::Client,
    jwks_uri: &str,
) -> Result<KeySet, FetchError> {
    let document: serde_json::Value = get_json(http, jwks_uri).await?;
    let keys =
        KeySet::from_json(&document).map_err(|reason| FetchError::Invalid(reason.to_owned()))?;
    if keys.is_empty() {
        return Err(FetchError::NoUsableKeys);
    }
    Ok(keys)
}

async fn get_json<T: DeserializeOwned>(http: &reqwest::Client, url: &str) -> Result<T, FetchError> {
    tokio::time::timeout(MAX_FETCH_TIME, get_json_unbounded(http, url))
        .await
        .map_err(|_| FetchError::TimedOut)?
}

async fn get_json_unbounded<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, FetchError> {
    let mut response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await?;
    if response.status().is_redirection() {
        return Err(FetchError::Redirected(response.status().as_u16()));
    }
    if !response.status().is_success() {
        return Err(FetchError::Status(response.status().as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(FetchError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|error| FetchError::Invalid(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn origins_are_scheme_host_and_port() {
        let issuer = "https://login.example.org/realms/a";
        for same in [
            "https://login.example.org/jwks",
            "https://login.example.org:443/realms/a/protocol/certs",
            "https://LOGIN.example.org/keys",
        ] {
            assert!(same_origin(issuer, same), "{same}");
        }
        for other in [
            "http://login.example.org/jwks",
            "https://login.example.org:8443/jwks",
            "https://keys.example.org/jwks",
            "https://login.example.org.evil.example/jwks",
            "https://evil.example/login.example.org/jwks",
            "not a url",
            "file:///etc/jwks.json",
        ] {
            assert!(!same_origin(issuer, other), "{other}");
        }
        assert!(!same_origin("urn:dev", "urn:dev"));
    }
}
