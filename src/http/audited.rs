//! One access-log record per FHIR request, committed before the response leaves (R35, R42).
//!
//! Wraps the `/fhir` scope. Around each request it opens an audit note (`audit::note`);
//! the `Caller` extractor notes who called and the `access` room notes whose data was
//! touched and what was disclosed. When the handler has answered, success or refusal, a
//! request whose caller was authenticated becomes exactly one AuditEvent, and the response
//! waits for its commit. If the log cannot be written, the response is replaced by a 503
//! OperationOutcome: nothing is served that is not on record (R31). Requests without a
//! verified caller (401) are not about anyone's data as far as the gateway knows and are
//! left to the request log; `/metadata` needs no caller.

use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::Method;
use actix_web::{ResponseError, web};
use futures_util::future::LocalBoxFuture;

use crate::audit::note::{self, Note};
use crate::audit::{AuditKind, AuditRecord, Outcome, agents};
use crate::fhir::FhirError;
use crate::http::state::AppState;

pub struct Audited;

impl<S, B> Transform<S, ServiceRequest> for Audited
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = AuditedMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuditedMiddleware { service }))
    }
}

pub struct AuditedMiddleware<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for AuditedMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let current = Arc::new(Mutex::new(Note::default()));
        let future = note::sync_scope(current.clone(), || self.service.call(req));
        Box::pin(async move {
            let response = note::scope(current.clone(), future).await?;
            let taken = std::mem::take(&mut *current.lock().unwrap_or_else(|p| p.into_inner()));
            let (Some(state), Some(record)) = (state, record_of(taken, &response)) else {
                return Ok(response.map_into_left_body());
            };
            match state.audit.record(record).await {
                Ok(_) => Ok(response.map_into_left_body()),
                Err(e) => {
                    // Fail closed: the answer is dropped unsent.
                    let (request, _unsent) = response.into_parts();
                    let refusal = FhirError::from(e).error_response();
                    Ok(ServiceResponse::new(request, refusal).map_into_right_body())
                }
            }
        })
    }
}

/// The record of a finished request, if it is one to record.
fn record_of<B>(note: Note, response: &ServiceResponse<B>) -> Option<AuditRecord> {
    if note.unrecorded {
        return None;
    }
    let principal = note.principal?;
    let request = response.request();
    let pattern = request.match_pattern().unwrap_or_default();
    let kind = kind_of(request.method(), &pattern);
    let mut record = AuditRecord::access(
        kind,
        agents::agents(&principal, note.relation),
        Outcome::of_status(response.status().as_u16()),
    );
    record.resource_type = match kind {
        AuditKind::Operation(_) => Some("Patient".to_owned()),
        _ => request.match_info().get("type").map(str::to_owned),
    };
    record.patients = note.patients;
    record.disclosed = note.disclosed;
    record.disclosed_total = note.disclosed_total;
    record.disclosed_counts = note.disclosed_counts;
    record.named = note.named;
    record.patients_left_out = note.patients_left_out;
    Some(record)
}

/// What kind of access a route and method are.
fn kind_of(method: &Method, pattern: &str) -> AuditKind {
    if pattern.ends_with("/$summary") {
        return AuditKind::Operation("summary");
    }
    if pattern.ends_with("/$everything") {
        return AuditKind::Operation("everything");
    }
    if pattern.ends_with("/_search") {
        return AuditKind::Search;
    }
    let instance = pattern.ends_with("/{id}");
    match *method {
        Method::PUT => AuditKind::Update,
        Method::DELETE => AuditKind::Delete,
        Method::POST => AuditKind::Create,
        _ if instance => AuditKind::Read,
        _ => AuditKind::Search,
    }
}
