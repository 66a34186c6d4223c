//! The request id: sent back as `X-Request-Id`, so that a client can quote it and an
//! operator find the request's log lines, and made the current request's context
//! (`request_context`) while the request is served, so that calls to upstream portals carry
//! it too.
//!
//! The id is the one tracing-actix-web puts into the request's extensions, so this
//! middleware must sit inside `TracingLogger` (registered before it).

use std::future::{Ready, ready};

use actix_web::HttpMessage;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use futures_util::future::LocalBoxFuture;

use crate::request_context::{self, RequestContext};

pub struct RequestIdHeader;

impl<S, B> Transform<S, ServiceRequest> for RequestIdHeader
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = RequestIdHeaderMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestIdHeaderMiddleware { service }))
    }
}

pub struct RequestIdHeaderMiddleware<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for RequestIdHeaderMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let id = req
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let context = RequestContext::new(id);
        let future = request_context::sync_scope(context.clone(), || self.service.call(req));
        Box::pin(async move {
            let mut response = request_context::scope(context, future).await?;
            let id = response
                .request()
                .extensions()
                .get::<tracing_actix_web::RequestId>()
                .map(|id| id.to_string());
            if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static("x-request-id"), value);
            }
            Ok(response)
        })
    }
}
