//! OAuth 2.0 error answers (RFC 6749 §5.2, RFC 7009, RFC 7662, RFC 7523) as JSON, never
//! cached, and what becomes of a store failure on the way.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    /// The registered error code.
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> OAuthError {
        Self::new(400, "invalid_request", description)
    }

    /// Client authentication failed (unknown client, bad or replayed assertion).
    pub fn invalid_client(description: impl Into<String>) -> OAuthError {
        Self::new(401, "invalid_client", description)
    }

    /// A code, refresh token or PKCE verifier that is not good for this client.
    pub fn invalid_grant(description: impl Into<String>) -> OAuthError {
        Self::new(400, "invalid_grant", description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> OAuthError {
        Self::new(400, "unauthorized_client", description)
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> OAuthError {
        Self::new(400, "unsupported_grant_type", description)
    }

    pub fn invalid_scope(description: impl Into<String>) -> OAuthError {
        Self::new(400, "invalid_scope", description)
    }

    pub fn unsupported_token_type(description: impl Into<String>) -> OAuthError {
        Self::new(400, "unsupported_token_type", description)
    }

    pub fn server_error(description: impl Into<String>) -> OAuthError {
        Self::new(500, "server_error", description)
    }

    pub fn temporarily_unavailable(description: impl Into<String>) -> OAuthError {
        Self::new(503, "temporarily_unavailable", description)
    }

    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut builder = HttpResponse::build(status);
        builder
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("Pragma", "no-cache"));
        if self.status == 503 {
            builder.insert_header(("Retry-After", "5"));
        }
        builder.json(json!({ "error": self.error, "error_description": self.description }))
    }
}

/// The answer of a token, introspection or similar endpoint: its JSON with `no-store` and
/// `no-cache` (RFC 6749 §5.1), or the OAuth error.
pub fn oauth_json(result: Result<serde_json::Value, OAuthError>) -> HttpResponse {
    match result {
        Ok(answer) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("Pragma", "no-cache"))
            .json(answer),
        Err(error) => error.response(),
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> OAuthError {
        tracing::error!(%error, "the authorization server's store failed");
        OAuthError::temporarily_unavailable("the authorization server cannot serve this now")
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl actix_web::ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}
