//! Verified tokens by the SHA-256 of their text, so that a client repeating its token
//! costs a hash instead of a signature check (DESIGN §7).
//!
//! Entries live until the token's own expiry. The token text itself is not kept: the
//! digest is enough to recognise it and useless to anyone reading memory or a dump.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use super::error::TokenError;
use super::verifier::VerifiedToken;

/// An upper bound for an entry's life: it keeps a far-future `exp` from overflowing the
/// cache's clock, and costs at most one signature check a day for such tokens.
const MAX_ENTRY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

pub(crate) type TokenDigest = [u8; 32];

#[derive(Clone)]
struct Entry {
    token: Arc<VerifiedToken>,
    /// Unix second from which the token is expired (its `exp` plus the issuer's leeway).
    expired_from: i64,
}

struct UntilExpired;

impl Expiry<TokenDigest, Entry> for UntilExpired {
    fn expire_after_create(&self, _: &TokenDigest, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(lifetime(entry.expired_from, super::verifier::unix_now()))
    }

    fn expire_after_update(
        &self,
        _: &TokenDigest,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(lifetime(entry.expired_from, super::verifier::unix_now()))
    }
}

fn lifetime(expired_from: i64, now: i64) -> Duration {
    let seconds = expired_from.saturating_sub(now).max(0) as u64;
    Duration::from_secs(seconds).min(MAX_ENTRY_LIFETIME)
}

pub(crate) struct TokenCache {
    entries: Cache<TokenDigest, Entry>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl TokenCache {
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(capacity)
                .expire_after(UntilExpired)
                .build(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub(crate) fn digest(raw_token: &str) -> TokenDigest {
        Sha256::digest(raw_token.as_bytes()).into()
    }

    /// The cached token, if any. The cache's own expiry works in its own time, so the
    /// token's `exp` is checked again against `now`.
    pub(crate) fn get(
        &self,
        digest: &TokenDigest,
        now: i64,
    ) -> Result<Option<Arc<VerifiedToken>>, TokenError> {
        let Some(entry) = self.entries.get(digest) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        if now >= entry.expired_from {
            self.entries.invalidate(digest);
            return Err(TokenError::Expired);
        }
        Ok(Some(entry.token))
    }

    pub(crate) fn insert(&self, digest: TokenDigest, token: Arc<VerifiedToken>, expired_from: i64) {
        self.entries.insert(
            digest,
            Entry {
                token,
                expired_from,
            },
        );
    }

    /// (hits, misses) since start.
    pub(crate) fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_runs_to_expiry_within_bounds() {
        assert_eq!(lifetime(1_000, 900), Duration::from_secs(100));
        assert_eq!(lifetime(1_000, 1_000), Duration::ZERO);
        assert_eq!(lifetime(1_000, 2_000), Duration::ZERO);
        assert_eq!(lifetime(i64::MAX, 0), MAX_ENTRY_LIFETIME);
        assert_eq!(lifetime(i64::MAX, i64::MIN), MAX_ENTRY_LIFETIME);
    }

    fn token(expires_at: i64) -> Arc<VerifiedToken> {
        Arc::new(VerifiedToken {
            issuer: "https://idp.example.no".into(),
            subject: "s".into(),
            client_id: None,
            scopes: crate::auth::ScopeSet::parse("patient/*.rs"),
            patient: None,
            fhir_user: None,
            national_id: None,
            expires_at,
            issued_at: None,
            jwt_id: None,
            claims: serde_json::Map::new(),
        })
    }

    #[test]
    fn hits_and_misses_are_counted_and_expiry_rechecked() {
        let cache = TokenCache::new(10);
        let now = crate::auth::verifier::unix_now();
        let digest = TokenCache::digest("a.b.c");
        assert!(cache.get(&digest, now).unwrap().is_none());
        cache.insert(digest, token(now + 100), now + 100);
        assert_eq!(
            cache.get(&digest, now).unwrap().unwrap().expires_at,
            now + 100
        );
        assert_eq!(cache.stats(), (1, 1));
        // The entry is still held, but the token's time is up: refused, and dropped.
        assert_eq!(
            cache.get(&digest, now + 100).unwrap_err(),
            TokenError::Expired
        );
        assert!(cache.get(&digest, now).unwrap().is_none());
        assert_eq!(cache.stats(), (2, 2));
    }

    #[test]
    fn digest_is_sha256() {
        let digest = TokenCache::digest("abc");
        assert_eq!(digest[..4], [0xba, 0x78, 0x16, 0xbf]);
    }
}
