//! The context of the request being served: its id and its time budget towards upstreams.
//!
//! It lives in a tokio task-local that the HTTP layer sets around each request
//! (`http::request_id`), so that the portal's HTTP source can send the request id upstream
//! and keep every upstream call of one request within one deadline, without the
//! `PortalSource` trait and the whole `access` room carrying a context parameter that only
//! one kind of source needs. A request is served on one task (actix-web does not move a
//! handler between tasks), so the task-local is present wherever a source is called from a
//! handler; code outside a request (start-up, tests) simply has no context.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

tokio::task_local! {
    static CURRENT: Arc<RequestContext>;
}

#[derive(Debug)]
pub struct RequestContext {
    id: String,
    /// Set by the first upstream call of the request; later calls share it.
    upstream_deadline: OnceLock<Instant>,
}

impl RequestContext {
    pub fn new(id: impl Into<String>) -> Arc<RequestContext> {
        Arc::new(RequestContext {
            id: id.into(),
            upstream_deadline: OnceLock::new(),
        })
    }
}

/// Runs `future` with `context` as the current request.
pub async fn scope<F: Future>(context: Arc<RequestContext>, future: F) -> F::Output {
    CURRENT.scope(context, future).await
}

/// Runs `f` with `context` as the current request (for the synchronous part of a call).
pub fn sync_scope<R>(context: Arc<RequestContext>, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(context, f)
}

/// The id of the request being served, if any.
pub fn request_id() -> Option<String> {
    CURRENT.try_with(|c| c.id.clone()).ok()
}

/// The instant by which an upstream call must be finished. Inside a request the first call
/// fixes the request's deadline at `now + budget`, and every later call of the same request
/// gets what is left of it (or of its own `budget`, if that ends sooner): a request that
/// calls an upstream several times still waits at most one budget in all. Outside a
/// request, each call gets its own budget.
pub fn upstream_deadline(budget: Duration) -> Instant {
    let own = Instant::now() + budget;
    CURRENT
        .try_with(|c| *c.upstream_deadline.get_or_init(|| own))
        .map_or(own, |shared| shared.min(own))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_shares_one_deadline_and_outside_each_call_has_its_own() {
        assert!(request_id().is_none());
        let context = RequestContext::new("req-1");
        scope(context, async {
            assert_eq!(request_id().as_deref(), Some("req-1"));
            let first = upstream_deadline(Duration::from_secs(10));
            tokio::time::sleep(Duration::from_millis(5)).await;
            let second = upstream_deadline(Duration::from_secs(10));
            assert_eq!(first, second, "the second call gets what is left");
            let shorter = upstream_deadline(Duration::from_millis(1));
            assert!(shorter < first, "a shorter own budget wins");
        })
        .await;
        let a = upstream_deadline(Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(5)).await;
        let b = upstream_deadline(Duration::from_secs(10));
        assert!(b > a);
    }
}
