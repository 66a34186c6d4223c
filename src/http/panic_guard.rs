//! A panic in a handler becomes a 500 OperationOutcome that says nothing of what panicked
//! (R39), instead of a connection dropped without an answer. The panic's message goes to
//! the server log under the request id the client is given.
//!
//! On each FHIR resource (`http::guarded`), inside the access-log middleware, so that a
//! request that panicked is on record with its 500 like any other failure.

use std::panic::AssertUnwindSafe;

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use futures_util::FutureExt;

use crate::fhir::FhirError;

pub async fn catch_panics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request = req.request().clone();
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(answer) => answer.map(ServiceResponse::map_into_boxed_body),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let error = FhirError::Internal(format!("a handler panicked: {message}"));
            Ok(ServiceResponse::new(request, error.error_response()))
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    use super::*;

    #[actix_web::test]
    async fn a_panicking_handler_answers_500_with_an_outcome_and_no_detail() {
        let app =
            test::init_service(
                App::new()
                    .service(web::resource("/boom").wrap(from_fn(catch_panics)).route(
                        web::get().to(|| async {
                            if std::hint::black_box(true) {
                                panic!("SELECT secret FROM consents");
                            }
                            HttpResponse::Ok().finish()
                        }),
                    ))
                    .service(
                        web::resource("/fine")
                            .wrap(from_fn(catch_panics))
                            .route(web::get().to(HttpResponse::Ok)),
                    ),
            )
            .await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await;
        assert_eq!(response.status(), 500);
        let body: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(body["resourceType"], "OperationOutcome");
        assert_eq!(body["issue"][0]["code"], "exception");
        assert!(!body.to_string().contains("secret"), "{body}");
        // The worker goes on serving.
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(response.status(), 200);
    }
}
