//! The per-client rate limit of the FHIR API (R41): a token bucket per client, so that one
//! app's burst cannot starve the others. Over the limit: 429 with `Retry-After`.
//!
//! The client is the token's issuer and `client_id` (its `sub` when the issuer names no
//! client), known only after the token is verified; an unauthenticated request is refused
//! with 401 before it costs anything else.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::verifier::VerifiedToken;
use crate::fhir::FhirError;

/// How many checks between two sweeps of the buckets of clients that have gone quiet, so
/// that the table does not grow with every client ever seen.
const SWEEP_EVERY: u64 = 4096;

pub struct ClientRateLimiter {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
}

impl ClientRateLimiter {
    /// `per_second` requests sustained with bursts of `burst`; no limit when `per_second`
    /// is 0.
    pub fn new(per_second: u32, burst: u32) -> ClientRateLimiter {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        ClientRateLimiter {
            limiter,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request of the token's client; `TooManyRequests` when its bucket is empty.
    pub fn check(&self, token: &VerifiedToken) -> Result<(), FhirError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
        }
        let client = token.client_id.as_deref().unwrap_or(&token.subject);
        let key = format!("{} {client}", token.issuer);
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            FhirError::TooManyRequests {
                // Whole seconds, rounded up: a client that waits that long gets through.
                retry_after_seconds: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(issuer: &str, client: Option<&str>, subject: &str) -> VerifiedToken {
        VerifiedToken {
            issuer: issuer.into(),
            subject: subject.into(),
            client_id: client.map(str::to_owned),
            scopes: Default::default(),
            patient: None,
            fhir_user: None,
            national_id: None,
            expires_at: 0,
            issued_at: None,
            jwt_id: None,
            claims: Default::default(),
        }
    }

    #[test]
    fn a_client_gets_its_burst_then_429_with_a_retry_after() {
        let limiter = ClientRateLimiter::new(1, 3);
        let app = token("https://idp", Some("app"), "u1");
        for _ in 0..3 {
            limiter.check(&app).unwrap();
        }
        match limiter.check(&app) {
            Err(FhirError::TooManyRequests {
                retry_after_seconds,
            }) => assert_eq!(retry_after_seconds, 1),
            other => panic!("expected 429, got {other:?}"),
        }
    }

    #[test]
    fn clients_are_counted_apart_by_issuer_and_client_id() {
        let limiter = ClientRateLimiter::new(1, 1);
        limiter
            .check(&token("https://idp", Some("a"), "u1"))
            .unwrap();
        // Another user of the same app is the same client.
        assert!(
            limiter
                .check(&token("https://idp", Some("a"), "u2"))
                .is_err()
        );
        limiter
            .check(&token("https://idp", Some("b"), "u1"))
            .unwrap();
        limiter
            .check(&token("https://other", Some("a"), "u1"))
            .unwrap();
        // Without a client id, the subject is the client.
        limiter.check(&token("https://idp", None, "u1")).unwrap();
        limiter.check(&token("https://idp", None, "u2")).unwrap();
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = ClientRateLimiter::new(0, 0);
        let app = token("https://idp", Some("app"), "u1");
        for _ in 0..10_000 {
            limiter.check(&app).unwrap();
        }
    }
}
