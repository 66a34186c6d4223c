//! When to try an upstream call again, and how long to wait first.
//!
//! Only calls that the contract declares idempotent are retried: every read, and the
//! identifier lookup, which is a POST only to keep the identifier out of URLs and is
//! idempotent by contract. The OAuth token request is not idempotent (each one issues a new
//! token) and is never retried. Only transient failures are retried (timeouts with time
//! left, broken connections, 500/502/503/504); a malformed answer or a refusal is not, since
//! asking again would get the same answer.

use std::time::Duration;

use super::client::Failure;
use super::config::HttpSourceSettings;

/// Whether sending the same call twice is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    Idempotent,
    NotIdempotent,
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_retries: u32,
    base: Duration,
    max: Duration,
}

impl RetryPolicy {
    pub fn new(settings: &HttpSourceSettings) -> RetryPolicy {
        RetryPolicy {
            max_retries: settings.retries,
            base: Duration::from_millis(settings.retry_backoff_ms),
            max: Duration::from_millis(settings.retry_backoff_max_ms),
        }
    }

    /// After `retries_done` retries, does this failure of this call deserve another attempt?
    pub fn should_retry(
        &self,
        idempotency: Idempotency,
        failure: &Failure,
        retries_done: u32,
    ) -> bool {
        idempotency == Idempotency::Idempotent
            && failure.is_transient()
            && retries_done < self.max_retries
    }

    /// The pause before retry number `retry` (0-based): exponential, capped, with "equal
    /// jitter" (half fixed, half random) so that gateways that failed together do not
    /// retry together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX))
            .min(self.max);
        let half = exp / 2;
        half + half.mul_f64(random_fraction())
    }
}

/// A number in [0, 1) from the system's random source.
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 8];
    // The random source does not fail on supported platforms; without it, no jitter.
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 0.0;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(retries: u32) -> RetryPolicy {
        RetryPolicy::new(&HttpSourceSettings {
            retries,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 300,
            ..HttpSourceSettings::default()
        })
    }

    #[test]
    fn only_idempotent_calls_and_transient_failures_are_retried() {
        let p = policy(2);
        let idem = Idempotency::Idempotent;
        assert!(p.should_retry(idem, &Failure::Timeout, 0));
        assert!(p.should_retry(idem, &Failure::Connect, 1));
        assert!(p.should_retry(idem, &Failure::Status(503), 0));
        assert!(!p.should_retry(idem, &Failure::Connect, 2), "bounded");
        assert!(!p.should_retry(idem, &Failure::BadData("garbage"), 0));
        assert!(!p.should_retry(idem, &Failure::Status(404), 0));
        assert!(!p.should_retry(idem, &Failure::Status(429), 0));
        for failure in [Failure::Timeout, Failure::Connect, Failure::Status(503)] {
            assert!(
                !p.should_retry(Idempotency::NotIdempotent, &failure, 0),
                "{failure:?}"
            );
        }
        assert!(!policy(0).should_retry(idem, &Failure::Connect, 0));
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = policy(5);
        for _ in 0..50 {
            let first = p.backoff(0);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = p.backoff(2);
            assert!(third >= Duration::from_millis(150) && third <= Duration::from_millis(300));
            assert!(p.backoff(40) <= Duration::from_millis(300));
        }
        let samples: std::collections::HashSet<Duration> = (0..20).map(|_| p.backoff(1)).collect();
        assert!(samples.len() > 1, "jittered");
    }
}
