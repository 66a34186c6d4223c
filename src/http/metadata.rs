//! `GET /fhir/metadata`: the CapabilityStatement. Public: no token needed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::fhir::FhirError;
use crate::http::format::{Format, query_pairs};
use crate::http::state::AppState;

pub async fn metadata(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, FhirError> {
    let format = Format::negotiate(&req, &query_pairs(&req)?)?;
    Ok(format.respond(StatusCode::OK, &state.capability))
}
