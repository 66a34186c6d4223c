//! `POST /fhir/Consent`, `PUT /fhir/Consent/{id}` (with `If-Match`), `DELETE
//! /fhir/Consent/{id}` (withdrawal): the citizen's own Consents (R24). Every other resource
//! type is read-only, and these methods answer 405 for them as before.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::fhir::resources::Consent;
use crate::fhir::{FhirError, Resource};
use crate::http::caller::Caller;
use crate::http::format::{Format, query_pairs};
use crate::http::state::AppState;
use crate::store::StoredConsent;

pub async fn create(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    if path.as_str() != "Consent" {
        return super::method_not_allowed(req).await;
    }
    let format = Format::negotiate(&req, &query_pairs(&req)?)?;
    let consent = read_consent(&req, &state, body).await?;
    let stored = state.consents.create(&principal, consent).await?;
    Ok(answer(&state, StatusCode::CREATED, stored, format))
}

pub async fn update(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
    body: web::Payload,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    let (type_name, id) = path.into_inner();
    if type_name != "Consent" {
        return super::method_not_allowed(req).await;
    }
    let format = Format::negotiate(&req, &query_pairs(&req)?)?;
    let version = if_match(&req)?.ok_or_else(|| {
        FhirError::PreconditionRequired(
            "an update needs If-Match with the version it changes (W/\"<versionId>\")".into(),
        )
    })?;
    let consent = read_consent(&req, &state, body).await?;
    let stored = state
        .consents
        .update(&principal, &id, version, consent)
        .await?;
    Ok(answer(&state, StatusCode::OK, stored, format))
}

pub async fn withdraw(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    let (type_name, id) = path.into_inner();
    if type_name != "Consent" {
        return super::method_not_allowed(req).await;
    }
    let stored = state
        .consents
        .withdraw(&principal, &id, if_match(&req)?)
        .await?;
    let mut response = HttpResponse::NoContent();
    response.insert_header((header::ETAG, etag(&stored)));
    Ok(response.finish())
}

/// A Consent from a FHIR JSON body: 415 for another media type, 400 for anything that is
/// not a Consent resource.
async fn read_consent(
    req: &HttpRequest,
    state: &AppState,
    body: web::Payload,
) -> Result<Consent, FhirError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if media != "application/fhir+json" && media != "application/json" {
        return Err(FhirError::UnsupportedMediaType(
            "a Consent is sent as application/fhir+json".into(),
        ));
    }
    let bytes = super::body::read_limited(body, state.max_body_bytes).await?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| FhirError::Invalid("the body is not JSON".into()))?;
    if value.get("resourceType").and_then(|t| t.as_str()) != Some("Consent") {
        return Err(FhirError::Invalid(
            "the body is not a Consent resource".into(),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| FhirError::Invalid(format!("the Consent is not valid R4: {e}")))
}

/// `If-Match: W/"3"` (or `"3"`) as a version number; absent is `None`, anything else 400.
fn if_match(req: &HttpRequest) -> Result<Option<i64>, FhirError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| FhirError::Invalid("If-Match must be a version, W/\"<versionId>\"".into()))
}

fn etag(stored: &StoredConsent) -> String {
    format!("W/\"{}\"", stored.version)
}

fn answer(
    state: &AppState,
    status: StatusCode,
    stored: StoredConsent,
    format: Format,
) -> HttpResponse {
    let location = format!(
        "{}/Consent/{}/_history/{}",
        state.fhir_base(),
        stored.id,
        stored.version
    );
    let tag = etag(&stored);
    let mut response = format.respond(status, &Resource::Consent(stored.consent));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, value);
    }
    response
}
