//! `GET /fhir/AuditEvent?patient=...` and `GET /fhir/AuditEvent/{id}`: the patient's access
//! log (R36), newest first, with `date`, `agent`, `agent-name`, `type`, `subtype`,
//! `action`, `outcome` and `_count` paging. AuditEvents are immutable: every other method
//! is 405.
//!
//! Reading the log is not itself recorded as an AuditEvent. It discloses no health data
//! (only who accessed it, which the reader is entitled to know), and a record per read
//! would put a new entry at the top of the very list the patient is reading each time, so
//! that the log of a patient who checks it often would be mostly about the checking. The
//! request log keeps these reads (route, status, request id) like any other.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::access::SearchPage;
use crate::audit::note;
use crate::audit::view::view;
use crate::fhir::resources::AuditEvent;
use crate::fhir::search::date::DatePrefix;
use crate::fhir::search::matching::{matches_all, sort};
use crate::fhir::search::{Modifier, SearchValue};
use crate::fhir::{FhirError, Resource};
use crate::http::caller::Caller;
use crate::http::format::{Format, query_pairs};
use crate::http::state::AppState;

pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    note::unrecorded();
    let query = query_pairs(&req)?;
    run(&req, &state, &principal, query).await
}

/// `POST /fhir/AuditEvent/_search` with form parameters, as for the other types.
pub async fn search_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    Caller(principal): Caller,
    body: web::Payload,
) -> Result<HttpResponse, FhirError> {
    note::unrecorded();
    let mut query = query_pairs(&req)?;
    query.extend(super::search::form_parameters(&req, &state, body).await?);
    run(&req, &state, &principal, query).await
}

async fn run(
    req: &HttpRequest,
    state: &AppState,
    principal: &crate::auth::principal::Principal,
    query: Vec<(String, String)>,
) -> Result<HttpResponse, FhirError> {
    let format = Format::negotiate(req, &query)?;
    let (params, page) = super::page_link::restore(state, "AuditEvent", query)?;
    let request = super::search::parse::<AuditEvent>(state, &params, page, false)?;
    let patient = the_patient(&request)?;
    let reader = state
        .access
        .may_read_access_log(principal, &patient)
        .await?;
    let store = state
        .audit
        .store()
        .ok_or_else(|| FhirError::unavailable("the access log is not kept by this server"))?;
    let now_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let (from_ms, before_ms) = recorded_window(&request);
    let mut found: Vec<AuditEvent> = store
        .for_patient(&patient, from_ms, before_ms)
        .await?
        .iter()
        .map(|json| parse_event(json))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        // The reader's own part of each record, before any criterion looks at it.
        .map(|e| view(e, &reader))
        .filter(|e| matches_all(e, &request.criteria, now_ms))
        .collect();
    // The store gives newest first, in commit order (the default order, `-date`); only an
    // explicit `_sort` reorders.
    if !request.sort.is_empty() {
        sort(&mut found, &request.sort);
    }
    let total = found.len();
    let matches = found
        .into_iter()
        .skip(request.offset)
        .take(request.count)
        .collect();
    let result = SearchPage {
        total,
        matches,
        included: Vec::new(),
    };
    Ok(super::search::respond(state, &request, result, format))
}

pub async fn read(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    note::unrecorded();
    let format = Format::negotiate(&req, &query_pairs(&req)?)?;
    let id = path.into_inner();
    let not_found = || FhirError::NotFound(format!("AuditEvent/{id} is not known"));
    let store = state
        .audit
        .store()
        .ok_or_else(|| FhirError::unavailable("the access log is not kept by this server"))?;
    let (patients, json) = store.by_id(&id).await?.ok_or_else(not_found)?;
    // Shown to whoever may read the log of one of its patients; to anyone else it does not
    // exist, as for reads of other patients' data.
    let mut reader = None;
    for patient in patients.split(',').filter(|p| !p.is_empty()) {
        if let Ok(allowed) = state.access.may_read_access_log(&principal, patient).await {
            reader = Some(allowed);
            break;
        }
    }
    let reader = reader.ok_or_else(not_found)?;
    let event = view(parse_event(&json)?, &reader);
    let mut response = format.respond(
        actix_web::http::StatusCode::OK,
        &Resource::AuditEvent(event),
    );
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `PUT`, `PATCH`, `DELETE`, `POST` (but `_search`): the log is written by the server
/// alone, never changed.
pub async fn immutable(req: HttpRequest) -> Result<HttpResponse, FhirError> {
    Err(FhirError::MethodNotAllowed(format!(
        "{} is not supported on {}: the access log is read and searched, never changed",
        req.method(),
        req.path()
    )))
}

/// The one patient a log search is about: `patient=` is required and names one patient
/// (repeating it for the same patient is allowed).
fn the_patient(request: &crate::fhir::search::SearchRequest) -> Result<String, FhirError> {
    let missing = || {
        FhirError::Invalid("an AuditEvent search names one patient: patient=Patient/{id}".into())
    };
    let mut named: Option<&str> = None;
    for value in request
        .criteria_on("patient")
        .filter(|c| c.modifier == Modifier::None)
        .flat_map(|c| c.values.iter())
    {
        let SearchValue::Reference(r) = value else {
            return Err(missing());
        };
        let patient = r.strip_prefix("Patient/").ok_or_else(missing)?;
        if named.is_some_and(|n| n != patient) {
            return Err(missing());
        }
        named = Some(patient);
    }
    named.map(str::to_owned).ok_or_else(missing)
}

/// A window on `recorded` that holds every record the `date` criteria can match, so that
/// the store reads only those; the criteria then decide exactly. Only single-valued
/// criteria narrow it.
fn recorded_window(request: &crate::fhir::search::SearchRequest) -> (Option<i64>, Option<i64>) {
    let (mut from, mut before): (Option<i64>, Option<i64>) = (None, None);
    for criterion in request
        .criteria_on("date")
        .filter(|c| c.modifier == Modifier::None && c.values.len() == 1)
    {
        let SearchValue::Date(search) = &criterion.values[0] else {
            continue;
        };
        let range = search.range;
        let (low, high) = match search.prefix {
            DatePrefix::Eq => (Some(range.low), Some(range.high)),
            DatePrefix::Ge | DatePrefix::Gt | DatePrefix::Sa => (Some(range.low), None),
            DatePrefix::Le | DatePrefix::Lt | DatePrefix::Eb => (None, Some(range.high)),
            _ => (None, None),
        };
        from = from.max(low);
        before = match (before, high) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    (from, before)
}

fn parse_event(json: &str) -> Result<AuditEvent, FhirError> {
    match serde_json::from_str::<Resource>(json) {
        Ok(Resource::AuditEvent(event)) => Ok(event),
        _ => Err(FhirError::Internal(
            "a stored AuditEvent cannot be read".into(),
        )),
    }
}
