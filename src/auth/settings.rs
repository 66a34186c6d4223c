//! Which issuers the gateway trusts, as configured, and the checks that keep a bad
//! configuration from starting.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use super::error::ConfigError;
use super::jwks::KeySet;
use super::jwt::signature_algorithm;

/// Clock skew tolerated for `exp` and `nbf` beyond which a configuration is refused:
/// R9 asks for a small leeway, and minutes of skew mean a broken clock, not a setting.
pub const MAX_LEEWAY_SECONDS: u64 = 300;

/// One issuer whose access tokens the gateway accepts.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct TrustedIssuer {
    /// The exact `iss`.
    pub issuer: String,
    /// Accepted `aud` values (the FHIR base URL).
    pub audiences: Vec<String>,
    /// Where the keys are. Without it (and without `jwks`), OIDC discovery at
    /// `{issuer}/.well-known/openid-configuration` tells.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// A static JWK set, for an issuer without a key endpoint (a local dev issuer).
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// Allowed `alg` values. `none` and HS* are refused by validation.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// The claim carrying the national identity number (e.g. `pid`).
    #[serde(default)]
    pub national_id_claim: Option<String>,
    /// The country whose identifiers that claim holds (an eID issues one nation's numbers).
    /// Without it the claim must read as exactly one country's identifier.
    #[serde(default)]
    pub national_id_country: Option<crate::national_id::Country>,
    /// The claim with a professional's national id (HPR-nummer, HSA-id, ...), e.g.
    /// `helseid://claims/hpr/hpr_number`. Without it, a `fhirUser` of `Practitioner/<id>` is used.
    #[serde(default)]
    pub professional_id_claim: Option<String>,
    /// The claim with the professional's organisation (e.g. `helseid://claims/client/claims/orgnr_parent`,
    /// an HSA-id of the care unit), as `<id>` or `<system>|<id>`: a deny provision naming an
    /// organisation (R24) binds the professionals whose token carries it. Without it, no
    /// organisation is known for this issuer's users.
    #[serde(default)]
    pub organization_claim: Option<String>,
    /// Whether this issuer is a professionals' issuer (HelseID, SITHS, ...) whose users may
    /// break the glass (R26). An emergency purpose of use from any other issuer is ignored.
    #[serde(default)]
    pub professional_issuer: bool,
    /// The least assurance (`acr`) of a citizen's login this issuer's citizen tokens must
    /// carry (R1), one of `acr_levels`; eIDAS substantial by default. An eID provider logs in
    /// one country's citizens, so this is that country's minimum. Empty: not checked (an
    /// issuer whose tokens carry no `acr`, trusted by configuration alone).
    #[serde(default = "default_citizen_min_acr")]
    pub citizen_min_acr: String,
    /// This issuer's `acr` values, lowest first (eIDAS low, substantial, high by default).
    #[serde(default = "default_acr_levels")]
    pub acr_levels: Vec<String>,
    /// Tolerated clock skew for `exp` and `nbf`.
    #[serde(default = "default_leeway")]
    pub leeway_seconds: u64,
    /// The longest lifetime accepted: `exp - iat`, or `exp - now` for a token without `iat`.
    /// A longer-lived token is refused, however valid otherwise: a stolen one would be
    /// usable for that long, and revocation (R10) reaches only the gateway's own tokens.
    #[serde(default = "default_max_lifetime")]
    pub max_lifetime_seconds: u64,
}

/// RS256, RS384, PS256, ES256, ES384.
pub fn default_algorithms() -> Vec<String> {
    ["RS256", "RS384", "PS256", "ES256", "ES384"]
        .map(String::from)
        .to_vec()
}

/// 30 seconds.
pub fn default_leeway() -> u64 {
    30
}

/// One hour: more than any access token needs (SMART apps refresh), short enough to bound
/// the use of a stolen one.
pub fn default_max_lifetime() -> u64 {
    3600
}

pub fn default_citizen_min_acr() -> String {
    "http://eidas.europa.eu/LoA/substantial".into()
}

/// eIDAS levels of assurance, low to high.
pub fn default_acr_levels() -> Vec<String> {
    ["low", "substantial", "high"]
        .map(|level| format!("http://eidas.europa.eu/LoA/{level}"))
        .to_vec()
}

/// Everything a `TokenVerifier` needs besides an HTTP client.
#[derive(Clone, Debug)]
pub struct VerifierSettings {
    pub issuers: Vec<TrustedIssuer>,
    /// Verified tokens kept so that a repeated token costs no signature check.
    pub token_cache_capacity: u64,
    /// How long a fetched JWK set is used before it is fetched again.
    pub jwks_cache_ttl: Duration,
    /// The shortest time between two fetches of one issuer's keys, so that tokens with
    /// made-up `kid`s cannot make us hammer the issuer.
    pub jwks_min_refresh_interval: Duration,
    /// Time limit of one discovery or key-set request.
    pub http_timeout: Duration,
    /// The gateway's clock: what decides whether a token has expired or is not yet valid.
    pub clock: crate::clock::Clock,
}

/// The checked, ready-to-use form of a `TrustedIssuer`'s token rules.
#[derive(Debug)]
pub(crate) struct IssuerPolicy {
    pub(crate) issuer: String,
    pub(crate) audiences: Vec<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) national_id_claim: Option<String>,
    pub(crate) leeway: i64,
    pub(crate) max_lifetime: i64,
}

/// Where an issuer's keys come from.
#[derive(Debug)]
pub(crate) enum KeySource {
    Static(Arc<KeySet>),
    JwksUri(String),
    /// OIDC discovery under the issuer URL.
    Discovery,
}

impl TrustedIssuer {
    /// Checks the entry on its own; `TokenVerifier::new` also refuses duplicates.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.compile().map(drop)
    }

    pub(crate) fn compile(&self) -> Result<(IssuerPolicy, KeySource), ConfigError> {
        let issuer = self.issuer.clone();
        if issuer.is_empty() {
            return Err(ConfigError::EmptyIssuer);
        }
        if self.audiences.is_empty() || self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::NoAudience(issuer));
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithm(issuer));
        }
        let algorithms = self
            .algorithms
            .iter()
            .map(|name| {
                signature_algorithm(name).map_err(|_| ConfigError::ForbiddenAlgorithm {
                    issuer: issuer.clone(),
                    algorithm: name.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if self.leeway_seconds > MAX_LEEWAY_SECONDS {
            return Err(ConfigError::LeewayTooLarge {
                issuer,
                seconds: self.leeway_seconds,
                max: MAX_LEEWAY_SECONDS,
            });
        }
        if self.max_lifetime_seconds == 0 || self.max_lifetime_seconds > i64::MAX as u64 {
            return Err(ConfigError::InvalidMaxLifetime(issuer));
        }
        if !self.citizen_min_acr.is_empty() && !self.acr_levels.contains(&self.citizen_min_acr) {
            return Err(ConfigError::UnknownMinimumAcr(issuer));
        }
        let source = match (&self.jwks, &self.jwks_uri) {
            (Some(_), Some(_)) => return Err(ConfigError::ConflictingKeySources(issuer)),
            (Some(document), None) => {
                let invalid = |reason: &str| ConfigError::InvalidJwks {
                    issuer: issuer.clone(),
                    reason: reason.to_owned(),
                };
                let keys = KeySet::from_json(document).map_err(invalid)?;
                if keys.is_empty() {
                    return Err(invalid("has no key that can verify signatures"));
                }
                KeySource::Static(Arc::new(keys))
            }
            (None, Some(uri)) => {
                require_http_url(&issuer, "jwks_uri", uri)?;
                KeySource::JwksUri(uri.clone())
            }
            (None, None) => {
                require_http_url(&issuer, "issuer (used for discovery)", &issuer)?;
                KeySource::Discovery
            }
        };
        let policy = IssuerPolicy {
            issuer,
            audiences: self.audiences.clone(),
            algorithms,
            national_id_claim: self.national_id_claim.clone(),
            leeway: self.leeway_seconds as i64,
            max_lifetime: self.max_lifetime_seconds as i64,
        };
        Ok((policy, source))
    }
}

fn require_http_url(issuer: &str, field: &'static str, url: &str) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(url).ok();
    match parsed {
        Some(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(ConfigError::InvalidUrl {
            issuer: issuer.to_owned(),
            field,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn issuer() -> TrustedIssuer {
        serde_json::from_value(json!({
            "issuer": "https://idp.example.no",
            "audiences": ["https://gateway.example.no/fhir"],
        }))
        .unwrap()
    }

    fn error(change: impl FnOnce(&mut TrustedIssuer)) -> String {
        let mut entry = issuer();
        change(&mut entry);
        entry.validate().unwrap_err().to_string()
    }

    #[test]
    fn a_citizen_minimum_outside_the_issuer_s_levels_is_refused() {
        let message = error(|e| e.citizen_min_acr = "Level4".into());
        assert!(message.contains("citizen_min_acr"), "{message}");
        let mut own_levels = issuer();
        own_levels.acr_levels = vec![
            "idporten-loa-substantial".into(),
            "idporten-loa-high".into(),
        ];
        own_levels.citizen_min_acr = "idporten-loa-substantial".into();
        own_levels.validate().unwrap();
        assert_eq!(
            issuer().citizen_min_acr,
            "http://eidas.europa.eu/LoA/substantial",
            "eIDAS substantial by default"
        );
    }

    #[test]
    fn defaults_are_filled_in() {
        let entry = issuer();
        assert_eq!(
            entry.algorithms,
            ["RS256", "RS384", "PS256", "ES256", "ES384"]
        );
        assert_eq!(entry.leeway_seconds, 30);
        assert_eq!(entry.max_lifetime_seconds, 3600);
        assert!(
            entry.jwks.is_none() && entry.jwks_uri.is_none() && entry.national_id_claim.is_none()
        );
        let (policy, source) = entry.compile().unwrap();
        assert!(matches!(source, KeySource::Discovery));
        assert_eq!(policy.algorithms.len(), 5);
        assert_eq!(policy.leeway, 30);
    }

    #[test]
    fn refuses_none_hmac_and_unknown_algorithms() {
        for alg in [
            "none", "HS256", "HS384", "HS512", "EdDSA", "ES512", "rs256", "",
        ] {
            let text = error(|e| e.algorithms = vec!["ES256".into(), alg.into()]);
            assert!(text.contains("is not allowed"), "{alg}: {text}");
        }
        assert!(error(|e| e.algorithms.clear()).contains("allows no signing algorithm"));
    }

    #[test]
    fn refuses_incomplete_or_contradictory_entries() {
        assert!(error(|e| e.issuer.clear()).contains("empty `issuer`"));
        assert!(error(|e| e.audiences.clear()).contains("accepts no audience"));
        assert!(error(|e| e.audiences.push(String::new())).contains("accepts no audience"));
        assert!(error(|e| e.leeway_seconds = 301).contains("maximum of 300"));
        assert!(error(|e| e.max_lifetime_seconds = 0).contains("max_lifetime_seconds"));
        assert!(
            error(|e| {
                e.jwks = Some(json!({"keys": []}));
                e.jwks_uri = Some("https://idp.example.no/jwks".into());
            })
            .contains("not both")
        );
        assert!(
            error(|e| e.jwks_uri = Some("file:///etc/jwks.json".into()))
                .contains("jwks_uri is not an http(s) URL")
        );
        assert!(error(|e| e.issuer = "urn:dev".into()).contains("issuer (used for discovery)"));
        assert!(error(|e| e.jwks = Some(json!({"keys": []}))).contains("no key that can verify"));
        assert!(error(|e| e.jwks = Some(json!([]))).contains("not a JWK set"));
    }

    #[test]
    fn a_static_jwks_needs_no_url_issuer() {
        let mut entry = issuer();
        entry.issuer = "urn:ehds-gateway:dev-eid".into();
        entry.jwks = Some(json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "dev",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        }]}));
        let (_, source) = entry.compile().unwrap();
        assert!(matches!(source, KeySource::Static(keys) if keys.len() == 1));
    }
}
