//! Every error leaves as an OperationOutcome with the right status and headers.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::fhir::{FHIR_JSON, FhirError, Resource};

impl ResponseError for FhirError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let FhirError::Internal(detail) = self {
            tracing::error!(detail = %detail, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(format!("{FHIR_JSON}; charset=utf-8"));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            FhirError::Unauthorized { error, description } => {
                let challenge = match error {
                    // RFC 6750 §3.1: no error code when the request carried no credentials.
                    None => r#"Bearer realm="ehds-gateway""#.to_owned(),
                    Some(code) => format!(
                        r#"Bearer realm="ehds-gateway", error="{code}", error_description="{}""#,
                        description.replace('"', "'")
                    ),
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            FhirError::InsufficientScope(description) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        r#"Bearer realm="ehds-gateway", error="insufficient_scope", error_description="{}""#,
                        description.replace('"', "'")
                    ),
                ));
            }
            FhirError::TooManyRequests {
                retry_after_seconds,
            }
            | FhirError::Unavailable {
                retry_after_seconds: Some(retry_after_seconds),
                ..
            } => {
                response
                    .insert_header((header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds)));
            }
            FhirError::MethodNotAllowed(_) => {
                response.insert_header((header::ALLOW, "GET"));
            }
            _ => {}
        }
        let body =
            serde_json::to_vec(&Resource::OperationOutcome(self.outcome())).unwrap_or_default();
        response.body(body)
    }
}
