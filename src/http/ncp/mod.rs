//! The NCP listener's routes (MyHealth@EU, issue R8–R15, R27): patient identification, the
//! patient summary and the active prescriptions (ePrescription), and nothing else: every
//! other path is 404, but for the NCPs' own token endpoint `/auth/token` (`token.rs`). Each handler takes an [`NcpCaller`] (certificate + bound token + IUA
//! claims) and checks the patient's cross-border opt-out of its service before serving it.

mod caller;
mod services;
pub mod token;

use actix_web::web;

pub use caller::{NcpCaller, NcpPolicy};
pub use token::NcpTokenEndpoint;

/// Whether the listener has a token endpoint (the authorization server is on).
fn issues_tokens(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    ctx.app_data::<web::Data<NcpTokenEndpoint>>().is_some()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/auth/token")
            .guard(actix_web::guard::fn_guard(issues_tokens))
            .route(web::post().to(token::token))
            .default_service(web::to(super::method_not_allowed)),
    )
    .service(
        web::scope("/fhir")
            // One access-log record per request, as on the main listener.
            .wrap(super::audited::Audited)
            // The operations before `/Patient`, as on the main listener.
            .service(
                super::guarded("/Patient/$summary")
                    .route(web::get().to(services::summary_by_identifier))
                    .default_service(web::to(super::method_not_allowed)),
            )
            .service(
                super::guarded("/Patient/{id}/$summary")
                    .route(web::get().to(services::summary_by_id))
                    .default_service(web::to(super::method_not_allowed)),
            )
            .service(
                super::guarded("/Patient")
                    .route(web::get().to(services::identify))
                    .default_service(web::to(super::method_not_allowed)),
            )
            .service(
                super::guarded("/MedicationRequest")
                    .route(web::get().to(services::active_prescriptions))
                    .default_service(web::to(super::method_not_allowed)),
            )
            .default_service(web::to(super::not_found)),
    )
    .default_service(web::to(super::not_found));
}
