//! The signing keys of every trusted issuer: cached, refreshed when a token names a key
//! we have not seen (key rotation), and kept through an issuer outage.
//!
//! Rules, per issuer:
//! - a fetched set is used for `jwks_cache_ttl`, then fetched again on the next need;
//! - a token with an unknown `kid` triggers at most one refresh, and no fetch happens
//!   sooner than `jwks_min_refresh_interval` after the previous one, so made-up `kid`s
//!   cannot turn us into a load generator against the issuer;
//! - one fetch at a time (a per-issuer lock): requests that need keys while a fetch runs
//!   wait for its result instead of fetching again;
//! - when a fetch fails, the last good set stays in use (retried after the minimum
//!   interval); only with no keys at all does verification fail, as `KeysUnavailable`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;
use moka::Expiry;
use moka::sync::Cache;
use tokio::sync::Mutex;

use super::error::TokenError;
use super::jwks::{KeySet, Selection, VerificationKey};
use super::key_fetch::{discover_jwks_uri, fetch_key_set};
use super::settings::KeySource;

/// Identifies an issuer by its position in the verifier's list.
pub(crate) type IssuerIndex = usize;

pub(crate) struct KeyStore {
    issuers: Vec<IssuerKeys>,
    cache: Cache<IssuerIndex, CachedKeys>,
    http: reqwest::Client,
    ttl: Duration,
    min_refresh: Duration,
}

struct IssuerKeys {
    issuer: String,
    source: KeySource,
    /// Held for the whole of a fetch, which is what makes fetches one at a time.
    fetch: Mutex<FetchState>,
}

#[derive(Default)]
struct FetchState {
    last_attempt: Option<Instant>,
    last_failed: bool,
    last_good: Option<Arc<KeySet>>,
    discovered_jwks_uri: Option<String>,
}

#[derive(Clone)]
struct CachedKeys {
    keys: Arc<KeySet>,
    /// Fresh sets live for the TTL; a stale set kept through a failure only until the
    /// next retry is allowed.
    lifetime: Duration,
}

struct OwnLifetime;

impl Expiry<IssuerIndex, CachedKeys> for OwnLifetime {
    fn expire_after_create(
        &self,
        _: &IssuerIndex,
        value: &CachedKeys,
        _: Instant,
    ) -> Option<Duration> {
        Some(value.lifetime)
    }

    fn expire_after_update(
        &self,
        _: &IssuerIndex,
        value: &CachedKeys,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.lifetime)
    }
}

impl KeyStore {
    /// `sources` are `(issuer, where its keys are)`, in the verifier's issuer order.
    pub(crate) fn new(
        sources: Vec<(String, KeySource)>,
        http: reqwest::Client,
        ttl: Duration,
        min_refresh: Duration,
    ) -> Self {
        // No capacity bound: there is one entry per configured issuer.
        let cache = Cache::builder().expire_after(OwnLifetime).build();
        let issuers = sources
            .into_iter()
            .map(|(issuer, source)| IssuerKeys {
                issuer,
                source,
                fetch: Mutex::new(FetchState::default()),
            })
            .collect();
        Self {
            issuers,
            cache,
            http,
            ttl,
            min_refresh,
        }
    }

    /// The key that should have signed a token of this issuer with this `kid` and `alg`.
    pub(crate) async fn key_for(
        &self,
        index: IssuerIndex,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerificationKey>, TokenError> {
        let keys = self.current(index).await?;
        let selection = match keys.select(kid, alg) {
            Selection::NotFound => {
                tracing::debug!(issuer = %self.issuers[index].issuer, kid, "token names no known key; refreshing the issuer's keys");
                self.refresh(index, &keys).await.select(kid, alg)
            }
            selection => selection,
        };
        match selection {
            Selection::Found(key) => Ok(key),
            Selection::WrongKeyType => Err(TokenError::UnsupportedAlgorithm),
            Selection::Ambiguous | Selection::NotFound => Err(TokenError::UnknownKey),
        }
    }

    async fn current(&self, index: IssuerIndex) -> Result<Arc<KeySet>, TokenError> {
        if let KeySource::Static(keys) = &self.issuers[index].source {
            return Ok(keys.clone());
        }
        match self.cache.get(&index) {
            Some(cached) => Ok(cached.keys),
            None => self.load(index).await,
        }
    }

    /// Fills the cache on first use and after a set's lifetime is over.
    async fn load(&self, index: IssuerIndex) -> Result<Arc<KeySet>, TokenError> {
        let issuer = &self.issuers[index];
        let mut state = issuer.fetch.lock().await;
        // Requests that queued behind a load use its result.
        if let Some(cached) = self.cache.get(&index) {
            return Ok(cached.keys);
        }
        let backing_off = state.last_failed && self.too_soon(&state);
        if !backing_off && let Some(keys) = self.fetch(issuer, &mut state).await {
            self.remember(index, &keys, self.ttl);
            return Ok(keys);
        }
        let keys = state.last_good.clone().ok_or(TokenError::KeysUnavailable)?;
        self.remember(index, &keys, self.min_refresh.min(self.ttl));
        Ok(keys)
    }

    fn remember(&self, index: IssuerIndex, keys: &Arc<KeySet>, lifetime: Duration) {
        let keys = keys.clone();
        self.cache.insert(index, CachedKeys { keys, lifetime });
    }

    /// Fetches the set again because a token named a key not in `seen`. Returns the set
    /// to look in, which is `seen` when no fetch was allowed or it failed.
    async fn refresh(&self, index: IssuerIndex, seen: &Arc<KeySet>) -> Arc<KeySet> {
        let issuer = &self.issuers[index];
        if matches!(issuer.source, KeySource::Static(_)) {
            return seen.clone();
        }
        let mut state = issuer.fetch.lock().await;
        // Requests that queued behind a refresh use its result instead of fetching again.
        if let Some(cached) = self.cache.get(&index)
            && !Arc::ptr_eq(&cached.keys, seen)
        {
            return cached.keys;
        }
        if self.too_soon(&state) {
            tracing::debug!(issuer = %issuer.issuer, "keys were fetched too recently to refresh them again");
            return seen.clone();
        }
        match self.fetch(issuer, &mut state).await {
            Some(keys) => {
                self.remember(index, &keys, self.ttl);
                keys
            }
            None => seen.clone(),
        }
    }

    fn too_soon(&self, state: &FetchState) -> bool {
        state
            .last_attempt
            .is_some_and(|at| at.elapsed() < self.min_refresh)
    }

    /// One fetch, through discovery if needed. Failures are logged here, once.
    async fn fetch(&self, issuer: &IssuerKeys, state: &mut FetchState) -> Option<Arc<KeySet>> {
        state.last_attempt = Some(Instant::now());
        let result = async {
            let jwks_uri = match (&issuer.source, &state.discovered_jwks_uri) {
                (KeySource::JwksUri(uri), _) | (KeySource::Discovery, Some(uri)) => uri.clone(),
                _ => {
                    let uri = discover_jwks_uri(&self.http, &issuer.issuer).await?;
                    state.discovered_jwks_uri = Some(uri.clone());
                    uri
                }
            };
            fetch_key_set(&self.http, &jwks_uri).await
        }
        .await;
        match result {
            Ok(keys) => {
                tracing::debug!(issuer = %issuer.issuer, keys = keys.len(), "fetched the issuer's signing keys");
                let keys = Arc::new(keys);
                state.last_failed = false;
                state.last_good = Some(keys.clone());
                Some(keys)
            }
            Err(error) => {
                tracing::warn!(
                    issuer = %issuer.issuer,
                    %error,
                    keeping_previous_keys = state.last_good.is_some(),
                    "could not fetch the issuer's signing keys"
                );
                state.last_failed = true;
                // The issuer may have moved its keys; ask discovery again next time.
                state.discovered_jwks_uri = None;
                None
            }
        }
    }
}
