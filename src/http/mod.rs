//! Routes and handlers. Thin: they negotiate, authenticate, call `access`, and shape the answer.

mod audit_event;
mod audited;
mod body;
mod caller;
mod consent_write;
mod error;
mod everything;
mod format;
mod health;
mod metadata;
pub mod ncp;
mod page_link;
pub mod panic_guard;
pub mod rate_limit;
mod read;
pub mod request_id;
mod search;
pub mod state;
mod summary;

use actix_web::{HttpRequest, web};

use crate::fhir::{FhirError, ResourceType};

/// A FHIR resource route whose handlers' panics become a 500 OperationOutcome
/// (`panic_guard`). The guard sits on each resource, where routing is done: actix needs the
/// request unshared while it routes, and the guard keeps a handle on it.
pub(crate) fn guarded(
    path: &str,
) -> actix_web::Resource<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::resource(path).wrap(actix_web::middleware::from_fn(panic_guard::catch_panics))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // First: `/fhir/.well-known/smart-configuration` must not reach `/fhir/{type}/{id}`.
    cfg.configure(crate::authz::routes);
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .service(
            web::scope("/fhir")
                // One access-log record per request, committed before the response leaves.
                .wrap(audited::Audited)
                .service(
                    guarded("/AuditEvent")
                        .route(web::get().to(audit_event::search))
                        .default_service(web::to(audit_event::immutable)),
                )
                .service(
                    guarded("/AuditEvent/_search")
                        .route(web::post().to(audit_event::search_post))
                        .default_service(web::to(audit_event::immutable)),
                )
                .service(
                    guarded("/AuditEvent/{id}")
                        .route(web::get().to(audit_event::read))
                        .default_service(web::to(audit_event::immutable)),
                )
                .service(
                    guarded("/metadata")
                        .route(web::get().to(metadata::metadata))
                        .default_service(web::to(method_not_allowed)),
                )
                // The operations come before `/{type}/{id}`, which would take `$summary` for an
                // id.
                .service(
                    guarded("/Patient/$summary")
                        .route(web::get().to(summary::by_identifier))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    guarded("/Patient/{id}/$summary")
                        .route(web::get().to(summary::by_id))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    guarded("/Patient/{id}/$everything")
                        .route(web::get().to(everything::everything))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    guarded("/{type}/_search")
                        .route(web::post().to(search::search_post))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    guarded("/{type}/{id}")
                        .route(web::get().to(read::read))
                        .route(web::put().to(consent_write::update))
                        .route(web::delete().to(consent_write::withdraw))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    guarded("/{type}")
                        .route(web::get().to(search::search_get))
                        .route(web::post().to(consent_write::create))
                        .default_service(web::to(method_not_allowed)),
                )
                .default_service(web::to(not_found)),
        )
        // Only answers when the dev eID is enabled.
        .configure(crate::dev_eid::routes)
        .default_service(web::to(not_found));
}

/// The resource type named in a path; an unknown one is a 404 (R4 REST).
fn resource_type(name: &str) -> Result<ResourceType, FhirError> {
    ResourceType::parse(name).ok_or_else(|| {
        FhirError::NotFound(format!(
            "resource type '{name}' is not supported by this server"
        ))
    })
}

/// A known path with a method this read-only server does not offer. An unknown resource
/// type stays a 404 whatever the method.
async fn method_not_allowed(req: HttpRequest) -> Result<actix_web::HttpResponse, FhirError> {
    if let Some(name) = req.match_info().get("type") {
        resource_type(name)?;
    }
    Err(FhirError::MethodNotAllowed(format!(
        "{} is not supported on {}; this server is read-only",
        req.method(),
        req.match_pattern().unwrap_or_else(|| req.path().to_owned())
    )))
}

async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, FhirError> {
    Err(FhirError::NotFound(format!(
        "no such endpoint: {}",
        req.path()
    )))
}
