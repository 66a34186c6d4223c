//! The errors a FHIR client can get, each with its HTTP status and OperationOutcome code.

use crate::fhir::resources::OperationOutcome;

#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// 400: the request is malformed (bad parameter, bad identifier, bad value).
    #[error("{0}")]
    Invalid(String),
    /// 400: the request asks for more than the server allows.
    #[error("{0}")]
    TooCostly(String),
    /// 401: no token, or a token that is not valid. `error` is the RFC 6750 error code
    /// (absent when no credentials were sent at all).
    #[error("{description}")]
    Unauthorized {
        error: Option<&'static str>,
        description: String,
    },
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 403 with `error="insufficient_scope"`: the token's scopes do not cover the request.
    #[error("{0}")]
    InsufficientScope(String),
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 405
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 406
    #[error("{0}")]
    NotAcceptable(String),
    /// 409: the request conflicts with the resource's current state (a stale version).
    #[error("{0}")]
    Conflict(String),
    /// 412: the `If-Match` version is not the current one.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 422: well-formed, but not acceptable (a Consent for someone else, unknown codes).
    #[error("{0}")]
    Unprocessable(String),
    /// 428: a version-aware update without `If-Match`.
    #[error("{0}")]
    PreconditionRequired(String),
    /// 413
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    /// 502: an upstream answered with something unusable.
    #[error("the national source answered with data that cannot be used")]
    BadGateway,
    /// 503: something the request depends on is unavailable.
    #[error("{message}")]
    Unavailable {
        message: String,
        retry_after_seconds: Option<u64>,
    },
    /// 504
    #[error("the national source did not answer in time")]
    GatewayTimeout,
    /// 500: a bug. The detail goes to the log, never to the client.
    #[error("internal error")]
    Internal(String),
}

impl FhirError {
    pub fn status(&self) -> u16 {
        match self {
            FhirError::Invalid(_) | FhirError::TooCostly(_) => 400,
            FhirError::Unauthorized { .. } => 401,
            FhirError::Forbidden(_) | FhirError::InsufficientScope(_) => 403,
            FhirError::NotFound(_) => 404,
            FhirError::MethodNotAllowed(_) => 405,
            FhirError::NotAcceptable(_) => 406,
            FhirError::Conflict(_) => 409,
            FhirError::PreconditionFailed(_) => 412,
            FhirError::Unprocessable(_) => 422,
            FhirError::PreconditionRequired(_) => 428,
            FhirError::PayloadTooLarge(_) => 413,
            FhirError::UnsupportedMediaType(_) => 415,
            FhirError::TooManyRequests { .. } => 429,
            FhirError::Internal(_) => 500,
            FhirError::BadGateway => 502,
            FhirError::Unavailable { .. } => 503,
            FhirError::GatewayTimeout => 504,
        }
    }

    /// The OperationOutcome issue type (http://hl7.org/fhir/issue-type).
    pub fn issue_code(&self) -> &'static str {
        match self {
            FhirError::Invalid(_) => "invalid",
            FhirError::TooCostly(_) | FhirError::PayloadTooLarge(_) => "too-costly",
            FhirError::Unauthorized { .. } => "login",
            FhirError::Forbidden(_) | FhirError::InsufficientScope(_) => "forbidden",
            FhirError::NotFound(_) => "not-found",
            FhirError::MethodNotAllowed(_)
            | FhirError::NotAcceptable(_)
            | FhirError::UnsupportedMediaType(_) => "not-supported",
            FhirError::Conflict(_) | FhirError::PreconditionFailed(_) => "conflict",
            FhirError::Unprocessable(_) => "processing",
            FhirError::PreconditionRequired(_) => "required",
            FhirError::TooManyRequests { .. } => "throttled",
            FhirError::Internal(_) | FhirError::BadGateway => "exception",
            FhirError::Unavailable { .. } => "transient",
            FhirError::GatewayTimeout => "timeout",
        }
    }

    /// What the client is told. Internal detail never leaves the server.
    pub fn diagnostics(&self) -> String {
        match self {
            FhirError::Internal(_) => {
                "internal error; the request id identifies it in the server log".into()
            }
            other => other.to_string(),
        }
    }

    pub fn outcome(&self) -> OperationOutcome {
        OperationOutcome::single(
            if self.status() >= 500 {
                "fatal"
            } else {
                "error"
            },
            self.issue_code(),
            self.diagnostics(),
        )
    }

    pub fn unavailable(message: impl Into<String>) -> FhirError {
        FhirError::Unavailable {
            message: message.into(),
            retry_after_seconds: None,
        }
    }
}

impl From<crate::portal::PortalError> for FhirError {
    fn from(e: crate::portal::PortalError) -> FhirError {
        use crate::portal::PortalError;
        match e {
            PortalError::Unavailable {
                retry_after_seconds,
            } => FhirError::Unavailable {
                message: e.to_string(),
                retry_after_seconds: Some(retry_after_seconds.max(1)),
            },
            PortalError::Timeout => FhirError::GatewayTimeout,
            PortalError::BadData => FhirError::BadGateway,
            PortalError::ListingNotSupported => FhirError::TooCostly(e.to_string()),
        }
    }
}
