//! Access-token verification for the resource server (R9): a JWT from a trusted issuer,
//! signed with one of its published keys, meant for us, and within its validity period.
//!
//! The order of the checks matters. Only the header and `iss` are read before the
//! signature is checked, because they choose the key; every other claim is judged only
//! once the signature holds, so an attacker learns nothing from crafted claims.
//!
//! Nothing here logs a token or a claim value: events carry the issuer and `kid` only.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

pub use super::error::{ConfigError, TokenError};
pub use super::settings::{
    TrustedIssuer, VerifierSettings, default_algorithms, default_leeway, default_max_lifetime,
};

use super::claims;
use super::jwt::{UnverifiedJwt, signature_algorithm};
use super::key_store::KeyStore;
use super::revocation::RevokedTokens;
use super::scopes::ScopeSet;
use super::settings::IssuerPolicy;
use super::token_cache::TokenCache;

/// What a valid access token says.
#[derive(Clone)]
pub struct VerifiedToken {
    pub issuer: String,
    pub subject: String,
    /// `client_id`, or `azp` when an issuer only sends that.
    pub client_id: Option<String>,
    pub scopes: ScopeSet,
    /// The patient in context (SMART `patient`).
    pub patient: Option<String>,
    pub fhir_user: Option<String>,
    /// The raw value of the issuer's `national_id_claim`; not yet checked or mapped.
    pub national_id: Option<String>,
    pub expires_at: i64,
    pub issued_at: Option<i64>,
    pub jwt_id: Option<String>,
    /// Every claim, for policy decisions made elsewhere.
    pub claims: Map<String, Value>,
}

/// Shows only what is safe in a log: identities and national IDs stay out even when a
/// token ends up in a `{:?}`.
impl std::fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("issuer", &self.issuer)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Verifies access tokens of the trusted issuers. Cheap to share in an `Arc`.
pub struct TokenVerifier {
    issuers: Vec<IssuerPolicy>,
    keys: KeyStore,
    cache: TokenCache,
    /// Revoked token ids; checked on every use, also for cached tokens.
    revoked: Arc<RevokedTokens>,
    clock: crate::clock::Clock,
}

impl TokenVerifier {
    /// Checks the configuration; fetches nothing until the first token arrives. The HTTP
    /// client of the key fetches is its own, so that none that follows redirects can be
    /// handed in (`key_fetch`).
    pub fn new(settings: VerifierSettings) -> Result<Self, ConfigError> {
        let http = super::key_fetch::http_client(settings.http_timeout)
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        let mut seen = HashSet::new();
        let mut issuers = Vec::with_capacity(settings.issuers.len());
        let mut sources = Vec::with_capacity(settings.issuers.len());
        for entry in &settings.issuers {
            let (policy, source) = entry.compile()?;
            if !seen.insert(policy.issuer.clone()) {
                return Err(ConfigError::DuplicateIssuer(policy.issuer));
            }
            sources.push((policy.issuer.clone(), source));
            issuers.push(policy);
        }
        if issuers.is_empty() {
            tracing::warn!(
                "no trusted token issuer is configured; every access token will be refused"
            );
        }
        let keys = KeyStore::new(
            sources,
            http,
            settings.jwks_cache_ttl,
            settings.jwks_min_refresh_interval,
        );
        Ok(Self {
            issuers,
            keys,
            cache: TokenCache::new(settings.token_cache_capacity),
            revoked: Arc::new(RevokedTokens::new()),
            clock: settings.clock,
        })
    }

    /// Verifies a bearer token (without the `Bearer ` prefix).
    pub async fn verify(&self, raw_token: &str) -> Result<Arc<VerifiedToken>, TokenError> {
        let now = i64::try_from(self.clock.unix_now()).unwrap_or(i64::MAX);
        let digest = TokenCache::digest(raw_token);
        if let Some(token) = self.cache.get(&digest, now)? {
            return self.not_revoked(token);
        }
        let (token, expired_from) = self.verify_uncached(raw_token, now).await?;
        let token = Arc::new(token);
        self.cache.insert(digest, token.clone(), expired_from);
        self.not_revoked(token)
    }

    /// This verifier refusing the revoked token ids of `revoked` (another verifier's set),
    /// e.g. the NCP listener's, which accepts tokens the main listener's AS revokes.
    pub fn sharing_revocations(mut self, revoked: Arc<RevokedTokens>) -> Self {
        self.revoked = revoked;
        self
    }

    /// The set of revoked token ids this verifier refuses; shared with whoever revokes.
    pub fn revocations(&self) -> Arc<RevokedTokens> {
        self.revoked.clone()
    }

    fn not_revoked(&self, token: Arc<VerifiedToken>) -> Result<Arc<VerifiedToken>, TokenError> {
        match &token.jwt_id {
            Some(jti) if self.revoked.contains(jti) => Err(TokenError::Revoked),
            _ => Ok(token),
        }
    }

    /// (hits, misses) of the verified-token cache since start.
    pub fn cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }

    /// The full check; returns the token and the Unix second from which it is expired.
    async fn verify_uncached(
        &self,
        raw_token: &str,
        now: i64,
    ) -> Result<(VerifiedToken, i64), TokenError> {
        let jwt = UnverifiedJwt::parse(raw_token)?;
        let alg = signature_algorithm(&jwt.alg)?;
        let issuer = match jwt.claims.get("iss") {
            Some(Value::String(issuer)) => issuer.as_str(),
            Some(_) => return Err(TokenError::InvalidClaim("iss")),
            None => return Err(TokenError::MissingClaim("iss")),
        };
        let index = self
            .issuers
            .iter()
            .position(|policy| policy.issuer == issuer)
            .ok_or(TokenError::UnknownIssuer)?;
        let policy = &self.issuers[index];
        if !policy.algorithms.contains(&alg) {
            return Err(TokenError::UnsupportedAlgorithm);
        }
        let kid = jwt.kid.as_deref();
        let key = self.keys.key_for(index, kid, alg).await?;
        if !jwt.signature_valid(key.decoding_key(), alg) {
            tracing::debug!(issuer = %policy.issuer, kid, "token signature does not verify");
            return Err(TokenError::BadSignature);
        }
        let checked = claims::check(&jwt.claims, policy, now)?;
        let expired_from = checked.expires_at.saturating_add(policy.leeway);
        let token = VerifiedToken {
            issuer: policy.issuer.clone(),
            subject: checked.subject,
            client_id: checked.client_id,
            scopes: ScopeSet::parse(&checked.scope),
            patient: checked.patient,
            fhir_user: checked.fhir_user,
            national_id: checked.national_id,
            expires_at: checked.expires_at,
            issued_at: checked.issued_at,
            jwt_id: checked.jwt_id,
            claims: jwt.claims,
        };
        Ok((token, expired_from))
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}
