//! The rate limits of the FHIR API (R41): a token bucket per user of an app, so that one
//! user cannot starve the other users of a popular app, under a larger ceiling per app, so
//! that the app as a whole cannot starve the gateway. Over either: 429 with `Retry-After`.
//!
//! The app is the token's issuer and `client_id` (its `sub` when the issuer names no
//! client); the user is the person the token's national-identifier claim names, else its
//! `sub`, within that app. Both are known only after the token is verified; an
//! unauthenticated request is refused with 401 before it costs anything else.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::auth::verifier::VerifiedToken;
use crate::fhir::FhirError;

/// How many checks between two sweeps of the buckets of users and apps that have gone
/// quiet, so that the tables do not grow with every user ever seen.
const SWEEP_EVERY: u64 = 4096;

/// One bucket's size: `per_second` requests sustained (fractions allowed: 0.5 is one every
/// two seconds), bursts of `burst`. A rate of 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub per_second: f64,
    pub burst: u32,
}

impl Limit {
    /// The highest rate accepted: the bucket refills one request per nanosecond at most.
    pub const MAX_PER_SECOND: f64 = 1e9;

    /// Why the limit cannot be used, if it cannot.
    pub fn problem(&self) -> Option<&'static str> {
        if !self.per_second.is_finite()
            || self.per_second < 0.0
            || self.per_second > Self::MAX_PER_SECOND
        {
            return Some("must be a number from 0 (no limit) to 1e9");
        }
        (self.per_second > 0.0 && self.burst == 0).then_some("needs a burst of at least 1")
    }

    fn quota(&self) -> Option<Quota> {
        if self.problem().is_some() || self.per_second == 0.0 {
            return None;
        }
        let period = Duration::from_secs_f64(1.0 / self.per_second);
        let burst = NonZeroU32::new(self.burst)?;
        Some(Quota::with_period(period)?.allow_burst(burst))
    }
}

/// Who a request is charged to: its app and, within it, its user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AppKey {
    issuer: String,
    client: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct UserKey {
    app: AppKey,
    user: String,
}

fn keys(token: &VerifiedToken) -> UserKey {
    let app = AppKey {
        issuer: token.issuer.clone(),
        client: token
            .client_id
            .clone()
            .unwrap_or_else(|| token.subject.clone()),
    };
    // The national identifier names the person whatever pseudonym `sub` is; it is kept
    // only as a digest, so that the table holds no national identifier (R40).
    let user = match &token.national_id {
        Some(id) => format!("nid:{:x}", Sha256::digest(id.as_bytes())),
        None => format!("sub:{}", token.subject),
    };
    UserKey { app, user }
}

pub struct RateLimits {
    per_user: Option<DefaultKeyedRateLimiter<UserKey>>,
    per_app: Option<DefaultKeyedRateLimiter<AppKey>>,
    checks: AtomicU64,
}

impl RateLimits {
    /// A limit of 0 per second is none. Limits with a `problem` are refused by the
    /// configuration's validation before this is built; here they count as none.
    pub fn new(per_user: Limit, per_app: Limit) -> RateLimits {
        RateLimits {
            per_user: per_user.quota().map(RateLimiter::keyed),
            per_app: per_app.quota().map(RateLimiter::keyed),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request of the token's user and app; `TooManyRequests` when either
    /// bucket is empty.
    pub fn check(&self, token: &VerifiedToken) -> Result<(), FhirError> {
        if self.per_user.is_none() && self.per_app.is_none() {
            return Ok(());
        }
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        let key = keys(token);
        // The user's bucket first: requests it refuses do not reach the app's bucket, so
        // a user hammering the API does not use up the app's ceiling for everyone else.
        if let Some(limiter) = &self.per_user {
            limiter.check_key(&key).map_err(too_many)?;
        }
        if let Some(limiter) = &self.per_app {
            limiter.check_key(&key.app).map_err(too_many)?;
        }
        Ok(())
    }

    fn sweep(&self) {
        if let Some(limiter) = &self.per_user {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.per_app {
            limiter.retain_recent();
        }
    }
}

fn too_many(not_until: governor::NotUntil<<DefaultClock as Clock>::Instant>) -> FhirError {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    FhirError::TooManyRequests {
        // Whole seconds, rounded up: a client that waits that long gets through.
        retry_after_seconds: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Limit = Limit {
        per_second: 0.0,
        burst: 0,
    };

    fn limit(per_second: f64, burst: u32) -> Limit {
        Limit { per_second, burst }
    }

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

    fn refused_for(limits: &RateLimits, token: &VerifiedToken) -> u64 {
        match limits.check(token) {
            Err(FhirError::TooManyRequests {
                retry_after_seconds,
            }) => retry_after_seconds,
            other => panic!("expected 429, got {other:?}"),
        }
    }

    #[test]
    fn a_user_gets_its_burst_then_429_with_a_retry_after() {
        let limits = RateLimits::new(limit(1.0, 3), NONE);
        let user = token("https://idp", Some("app"), "u1");
        for _ in 0..3 {
            limits.check(&user).unwrap();
        }
        assert_eq!(refused_for(&limits, &user), 1);
    }

    #[test]
    fn users_of_one_app_are_counted_apart() {
        let limits = RateLimits::new(limit(1.0 / 3600.0, 1), NONE);
        limits
            .check(&token("https://idp", Some("a"), "u1"))
            .unwrap();
        // The same user again is refused; another user of the same app is not.
        refused_for(&limits, &token("https://idp", Some("a"), "u1"));
        limits
            .check(&token("https://idp", Some("a"), "u2"))
            .unwrap();
        // The same subject at another app or issuer is another user.
        limits
            .check(&token("https://idp", Some("b"), "u1"))
            .unwrap();
        limits
            .check(&token("https://other", Some("a"), "u1"))
            .unwrap();
        // Without a client id, the subject is the app and the user.
        limits.check(&token("https://idp", None, "u1")).unwrap();
        limits.check(&token("https://idp", None, "u2")).unwrap();
    }

    #[test]
    fn one_person_is_one_user_whatever_their_sub() {
        let limits = RateLimits::new(limit(1.0 / 3600.0, 1), NONE);
        let mut first = token("https://idp", Some("a"), "pseudonym-1");
        first.national_id = Some("12848801265".into());
        let mut second = token("https://idp", Some("a"), "pseudonym-2");
        second.national_id = Some("12848801265".into());
        limits.check(&first).unwrap();
        refused_for(&limits, &second);
    }

    #[test]
    fn the_app_ceiling_holds_whatever_the_number_of_users() {
        let limits = RateLimits::new(limit(1.0 / 3600.0, 2), limit(1.0 / 3600.0, 3));
        for user in ["u1", "u2", "u3"] {
            limits
                .check(&token("https://idp", Some("a"), user))
                .unwrap();
        }
        // u4 has a full bucket of its own, but the app's is empty.
        let retry = refused_for(&limits, &token("https://idp", Some("a"), "u4"));
        assert!((3000..=3600).contains(&retry), "{retry}");
        // Another app is not affected.
        limits
            .check(&token("https://idp", Some("b"), "u4"))
            .unwrap();
    }

    #[test]
    fn a_refused_user_does_not_use_up_the_app_ceiling() {
        let limits = RateLimits::new(limit(1.0 / 3600.0, 1), limit(1.0 / 3600.0, 2));
        let greedy = token("https://idp", Some("a"), "greedy");
        limits.check(&greedy).unwrap();
        for _ in 0..10 {
            refused_for(&limits, &greedy);
        }
        limits
            .check(&token("https://idp", Some("a"), "calm"))
            .unwrap();
    }

    #[test]
    fn zero_means_no_limit() {
        let limits = RateLimits::new(NONE, NONE);
        let user = token("https://idp", Some("app"), "u1");
        for _ in 0..10_000 {
            limits.check(&user).unwrap();
        }
    }

    #[test]
    fn unusable_limits_are_named() {
        assert!(limit(f64::NAN, 1).problem().is_some());
        assert!(limit(-1.0, 1).problem().is_some());
        assert!(limit(2e9, 1).problem().is_some());
        assert!(limit(1.0, 0).problem().is_some());
        assert!(limit(0.0, 0).problem().is_none());
        assert!(limit(0.001, 1).problem().is_none());
    }
}
