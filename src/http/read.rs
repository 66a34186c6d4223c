//! `GET /fhir/{type}/{id}`: read, with ETag / Last-Modified and conditional requests.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::access::Loadable;
use crate::auth::principal::Principal;
use crate::fhir::resources::{
    AllergyIntolerance, Condition, DiagnosticReport, Immunization, MedicationDispense,
    MedicationRequest, Observation, Patient,
};
use crate::fhir::{DomainResource, FhirError, Resource, ResourceType};
use crate::http::caller::Caller;
use crate::http::format::{Format, query_pairs};
use crate::http::state::AppState;

pub async fn read(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    let format = Format::negotiate(&req, &query_pairs(&req)?)?;
    let (type_name, id) = path.into_inner();
    let resource_type = super::resource_type(&type_name)?;
    match resource_type {
        ResourceType::Patient => read_as::<Patient>(&req, &state, &principal, &id, format).await,
        ResourceType::MedicationRequest => {
            read_as::<MedicationRequest>(&req, &state, &principal, &id, format).await
        }
        ResourceType::Immunization => {
            read_as::<Immunization>(&req, &state, &principal, &id, format).await
        }
        ResourceType::AllergyIntolerance => {
            read_as::<AllergyIntolerance>(&req, &state, &principal, &id, format).await
        }
        ResourceType::Condition => {
            read_as::<Condition>(&req, &state, &principal, &id, format).await
        }
        ResourceType::MedicationDispense => {
            read_as::<MedicationDispense>(&req, &state, &principal, &id, format).await
        }
        ResourceType::Observation => {
            read_as::<Observation>(&req, &state, &principal, &id, format).await
        }
        ResourceType::DiagnosticReport => {
            read_as::<DiagnosticReport>(&req, &state, &principal, &id, format).await
        }
        ResourceType::Consent => {
            let consent = state.consents.read(&principal, &id).await?;
            respond(&req, consent, format)
        }
        // Routed to `audit_event` before this handler; `resource_type` never names it.
        ResourceType::AuditEvent => {
            Err(FhirError::NotFound(format!("AuditEvent/{id} is not known")))
        }
    }
}

async fn read_as<R: Loadable>(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    id: &str,
    format: Format,
) -> Result<HttpResponse, FhirError> {
    let resource: R = state.access.read(principal, id).await?;
    respond(req, resource, format)
}

/// The resource with its `ETag` and `Last-Modified`, or 304 when the client's copy is current.
fn respond<R: DomainResource>(
    req: &HttpRequest,
    resource: R,
    format: Format,
) -> Result<HttpResponse, FhirError> {
    let version = resource.meta().version_id.clone().unwrap_or_default();
    let etag = format!("W/\"{version}\"");
    let last_modified = resource
        .meta()
        .last_updated
        .as_deref()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|t| HttpDate::from(std::time::SystemTime::from(t)));
    if not_modified(req, &version, last_modified) {
        let mut response = HttpResponse::NotModified();
        response.insert_header((header::ETAG, etag));
        return Ok(response.finish());
    }
    let resource: Resource = resource.into();
    let mut response = format.respond(StatusCode::OK, &resource);
    let headers = response.headers_mut();
    headers.insert(
        header::ETAG,
        etag.parse()
            .map_err(|_| FhirError::Internal("etag".into()))?,
    );
    if let Some(date) = last_modified {
        headers.insert(
            header::LAST_MODIFIED,
            date.to_string()
                .parse()
                .map_err(|_| FhirError::Internal("date".into()))?,
        );
    }
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

/// `If-None-Match` (weak comparison, `*`) decides when present; otherwise `If-Modified-Since`.
fn not_modified(req: &HttpRequest, version: &str, last_modified: Option<HttpDate>) -> bool {
    if let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == version);
    }
    let since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<HttpDate>().ok());
    match (since, last_modified) {
        (Some(since), Some(modified)) => {
            std::time::SystemTime::from(modified) <= std::time::SystemTime::from(since)
        }
        _ => false,
    }
}
