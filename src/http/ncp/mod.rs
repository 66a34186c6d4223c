//! The NCP listener's routes (MyHealth@EU, issue R8–R15, R27): patient identification, the
//! patient summary and the active prescriptions (ePrescription), and nothing else: every
//! other path is 404. Each handler takes an [`NcpCaller`] (certificate + bound token + IUA
//! claims) and checks the patient's cross-border opt-out of its service before serving it.

mod caller;
mod services;

use actix_web::web;

pub use caller::{NcpCaller, NcpPolicy};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/fhir")
            // One access-log record per request, as on the main listener.
            .wrap(super::audited::Audited)
            // The operations before `/Patient`, as on the main listener.
            .service(
                web::resource("/Patient/$summary")
                    .route(web::get().to(services::summary_by_identifier))
                    .default_service(web::to(super::method_not_allowed)),
            )
            .service(
                web::resource("/Patient/{id}/$summary")
                    .route(web::get().to(services::summary_by_id))
                    .default_service(web::to(super::method_not_allowed)),
            )
            .service(
                web::resource("/Patient")
                    .route(web::get().to(services::identify))
                    .default_service(web::to(super::method_not_allowed)),
            )
            .service(
                web::resource("/MedicationRequest")
                    .route(web::get().to(services::active_prescriptions))
                    .default_service(web::to(super::method_not_allowed)),
            )
            .default_service(web::to(super::not_found)),
    )
    .default_service(web::to(super::not_found));
}
