//! A local token issuer for developers' machines (dev profile only).
//!
//! Its ES256 key lives in a PEM file created on first start. The gateway trusts it like any
//! other issuer (with the key given statically instead of by discovery), and
//! `ehds-gateway dev-token` mints tokens with it, so that a newcomer can call the API with
//! curl and nothing else. The production profile refuses to start with it enabled.

use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::auth::signing_key::{KeyFileError, SigningKey, hex};
use crate::auth::verifier::TrustedIssuer;

pub struct DevIssuer {
    key: SigningKey,
    pub issuer: String,
    pub audience: String,
}

/// The dev issuer's key file is missing, unreadable or not a key.
pub type DevIssuerError = KeyFileError;

impl DevIssuer {
    /// Loads the key from `key_file`, creating it (and its folder) when absent.
    pub fn load_or_create(key_file: &Path, base_url: &str) -> Result<DevIssuer, DevIssuerError> {
        Ok(DevIssuer {
            key: SigningKey::load_or_create(key_file, "dev")?,
            issuer: format!("{base_url}/dev-issuer"),
            audience: format!("{base_url}/fhir"),
        })
    }

    /// The public key as a JWK set.
    pub fn jwks(&self) -> Value {
        self.key.jwks()
    }

    pub fn trusted_issuer(&self) -> TrustedIssuer {
        TrustedIssuer {
            issuer: self.issuer.clone(),
            audiences: vec![self.audience.clone()],
            jwks_uri: None,
            jwks: Some(self.jwks()),
            algorithms: vec!["ES256".into()],
            national_id_claim: Some("pid".into()),
            national_id_country: None,
            professional_id_claim: None,
            organization_claim: Some("organization".into()),
            // The dev profile's tokens are a developer's tool for every role, break-the-glass too.
            professional_issuer: true,
            citizen_min_acr: super::settings::default_citizen_min_acr(),
            acr_levels: super::settings::default_acr_levels(),
            leeway_seconds: 30,
            max_lifetime_seconds: super::settings::default_max_lifetime(),
        }
    }

    /// A signed access token with the standard claims and `extra` ones.
    pub fn mint(&self, subject: &str, scope: &str, lifetime_seconds: i64, extra: Value) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = json!({
            "iss": self.issuer, "aud": self.audience, "sub": subject,
            "iat": now, "nbf": now, "exp": now + lifetime_seconds,
            "jti": hex(&Sha256::digest(format!("{subject}{now}{scope}").as_bytes())[..8]),
            "scope": scope, "client_id": "dev-token",
        });
        if let (Some(map), Value::Object(more)) = (claims.as_object_mut(), extra) {
            map.extend(more);
        }
        self.key.sign(&claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_once_and_reused() {
        let dir = crate::test_dir::TestDir::new("dev-issuer");
        let file = dir.join("key.pem");
        let first = DevIssuer::load_or_create(&file, "http://x").unwrap();
        let second = DevIssuer::load_or_create(&file, "http://x").unwrap();
        assert_eq!(first.jwks(), second.jwks());
        assert_eq!(first.trusted_issuer().issuer, "http://x/dev-issuer");
        let token = first.mint("someone", "patient/*.rs", 60, json!({"patient": "no.p-1"}));
        assert_eq!(token.split('.').count(), 3);
    }
}
