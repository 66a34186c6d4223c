//! Liveness, readiness and metrics, for orchestrators and Prometheus.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::http::state::AppState;

/// Alive: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready: the store answers and every national source answers. 503 while one does not, so
/// that a load balancer sends traffic elsewhere (and, since nothing is served without the
/// store, the gateway would answer 503 anyway).
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (sources, store) = tokio::join!(state.access.portals().health(), state.store.ping());
    if let Err(e) = &store {
        tracing::warn!(error = %e, "readiness: the store does not answer");
    }
    let ready = store.is_ok() && sources.iter().all(|s| s.ready);
    // Not part of readiness: without the cache every request reads the store, slower but
    // as correct.
    let cache = state.store.active_consents();
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "store": { "backend": state.store.kind(), "ready": store.is_ok() },
        "consent_cache": { "in_use": cache.is_trusted(), "channel_losses": cache.losses() },
        "sources": sources,
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (hits, misses) = state.verifier.cache_stats();
    metrics::gauge!("ehds_token_cache_hits").set(hits as f64);
    metrics::gauge!("ehds_token_cache_misses").set(misses as f64);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
