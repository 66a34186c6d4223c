//! Logs, request spans and metrics.
//!
//! Request spans record the route pattern and the path, never the query string: search
//! parameters may hold national identifiers, which must not reach logs (R40). A path may hold
//! one too (`/fhir/Patient/17854110128`, from anyone, authenticated or not), and error
//! messages quote the path's ids, so both pass through `national_id::redact` before they are
//! recorded. The error line of a failed request is written here rather than by
//! tracing-actix-web (whose `emit_event_on_error` feature is off), which would print the
//! error's `Debug` unredacted. Metrics are labelled by route pattern, method and status only.

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, TelemetrySettings};
use crate::national_id::redact;

/// Installs the global tracing subscriber. Later calls do nothing (tests start many servers).
pub fn init_tracing(settings: &TelemetrySettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match settings.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // An already installed subscriber is fine: it is the same process.
    let _ = result;
}

/// How often the recorder's histogram samples are folded into their buckets.
const METRICS_UPKEEP_EVERY: Duration = Duration::from_secs(5);
const METRICS_UPKEEP_THREAD: &str = "metrics-upkeep";

/// The process-wide Prometheus recorder, with its upkeep thread.
///
/// The recorder keeps every histogram sample (each request's duration, each access-log
/// batch's size) in a queue until its upkeep folds them into the buckets. Rendering `/metrics`
/// does that as well, but a gateway nobody scrapes would otherwise grow by every request it
/// serves: the ten-minute soak showed RSS rising by 44 %, about 1.8 MiB a minute, before this
/// thread. `install_recorder` leaves the upkeep to its caller (only `install`, which also
/// starts an HTTP listener of its own, spawns it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = install_recorder();
            start_upkeep(handle.clone());
            handle
        })
        .clone()
}

/// A thread rather than a task like the gateway's other periodic work: the recorder is the
/// process's, and outlives any one runtime (tests start and end many).
fn start_upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new()
        .name(METRICS_UPKEEP_THREAD.into())
        .spawn(move || {
            loop {
                std::thread::sleep(METRICS_UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = started {
        tracing::error!(error = %e, "no metrics upkeep: histograms grow until scraped");
    }
}

fn install_recorder() -> PrometheusHandle {
    PrometheusBuilder::new()
        .set_buckets(&[
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        ])
        .expect("the bucket list is not empty")
        // Records per access-log commit (group commit), not seconds.
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full("ehds_audit_batch_size".into()),
            &[
                1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
            ],
        )
        .expect("the bucket list is not empty")
        .install_recorder()
        .expect("no other metrics recorder is installed")
}

/// Request spans without query strings, and a metric per finished request.
pub struct GatewayRootSpan;

impl RootSpanBuilder for GatewayRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        let path = redact::path(request.path()).into_owned();
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = %route,
            path = %path,
            request_id = %request_id,
            status = tracing::field::Empty,
            error = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        match outcome {
            Ok(response) => {
                let status = response.status().as_u16();
                span.record("status", status);
                if let Some(error) = response.response().error() {
                    log_error(&span, response.status(), error);
                }
                let route = response
                    .request()
                    .match_pattern()
                    .unwrap_or_else(|| "unmatched".into());
                metrics::counter!(
                    "ehds_http_requests_total",
                    "method" => response.request().method().to_string(),
                    "route" => route,
                    "status" => status.to_string()
                )
                .increment(1);
            }
            Err(error) => {
                log_error(&span, error.as_response_error().status_code(), error);
            }
        }
    }
}

/// Records a failed request's error on its span and writes its error line (a warning for
/// 4xx, an error for 5xx), both with national identifiers redacted.
fn log_error(span: &Span, status: actix_web::http::StatusCode, error: &actix_web::Error) {
    let detail = format!("{:?}", error.as_response_error());
    let detail = redact::text(&detail);
    span.record("error", tracing::field::display(&detail));
    if status.is_client_error() {
        tracing::warn!(error = %detail, "the request failed");
    } else {
        tracing::error!(error = %detail, "the request failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorder comes with the thread that folds histogram samples into their buckets,
    /// and only one, however often the handle is asked for.
    #[test]
    fn the_metrics_recorder_has_one_upkeep_thread() {
        let _first = metrics_handle();
        let _second = metrics_handle();
        // A new thread takes its name once it runs: wait for that, not for a fixed time.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut named = upkeep_threads();
        while named == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
            named = upkeep_threads();
        }
        assert_eq!(named, 1);
    }

    fn upkeep_threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|task| std::fs::read_to_string(task.unwrap().path().join("comm")).ok())
            .filter(|name| name.trim_end() == METRICS_UPKEEP_THREAD)
            .count()
    }
}
