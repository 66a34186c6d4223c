//! A local token issuer for developers' machines (dev profile only).
//!
//! Its ES256 key lives in a PEM file created on first start. The gateway trusts it like any
//! other issuer (with the key given statically instead of by discovery), and
//! `ehds-gateway dev-token` mints tokens with it, so that a newcomer can call the API with
//! curl and nothing else. The production profile refuses to start with it enabled.

use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::auth::verifier::TrustedIssuer;

pub struct DevIssuer {
    pkcs8: Vec<u8>,
    public_point: Vec<u8>,
    pub issuer: String,
    pub audience: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    #[error("dev issuer key file {0}: {1}")]
    Io(String, std::io::Error),
    #[error("dev issuer key file {0} does not hold a PKCS#8 P-256 key")]
    BadKey(String),
}

impl DevIssuer {
    /// Loads the key from `key_file`, creating it (and its folder) when absent.
    pub fn load_or_create(key_file: &Path, base_url: &str) -> Result<DevIssuer, DevIssuerError> {
        let name = key_file.display().to_string();
        let pkcs8 = load_or_create_key(key_file).map_err(|e| match e {
            KeyFileError::Io(e) => DevIssuerError::Io(name.clone(), e),
            KeyFileError::Bad => DevIssuerError::BadKey(name.clone()),
        })?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8)
            .map_err(|_| DevIssuerError::BadKey(name))?;
        Ok(DevIssuer {
            public_point: pair.public_key().as_ref().to_vec(),
            pkcs8,
            issuer: format!("{base_url}/dev-issuer"),
            audience: format!("{base_url}/fhir"),
        })
    }

    fn kid(&self) -> String {
        let digest = Sha256::digest(&self.public_point);
        format!("dev-{}", hex(&digest[..6]))
    }

    /// The public key as a JWK set.
    pub fn jwks(&self) -> Value {
        // An uncompressed P-256 point is 0x04 || X (32 bytes) || Y (32 bytes).
        let (x, y) = self.public_point[1..].split_at(32);
        json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": self.kid(),
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        }]})
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
            leeway_seconds: 30,
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
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(&self.pkcs8))
            .expect("signing with a valid P-256 key does not fail")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn encode_pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

fn decode_pem(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body.trim()).ok()
}

enum KeyFileError {
    Io(std::io::Error),
    Bad,
}

/// Reads the key, or creates it. Two processes may start at once (the gateway and
/// `dev-token`): the key is written whole to a file of its own and then linked into place,
/// which fails if the other process was first, and then the other's key is read.
fn load_or_create_key(path: &Path) -> Result<Vec<u8>, KeyFileError> {
    for _ in 0..2 {
        match std::fs::read_to_string(path) {
            Ok(pem) => return decode_pem(&pem).ok_or(KeyFileError::Bad),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(KeyFileError::Io(e)),
        }
        let document =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| KeyFileError::Bad)?;
        let der = document.as_ref().to_vec();
        let mut nonce = [0u8; 8];
        aws_lc_rs::rand::SecureRandom::fill(&SystemRandom::new(), &mut nonce)
            .map_err(|_| KeyFileError::Bad)?;
        let temporary = path.with_extension(format!("{}.tmp", hex(&nonce)));
        write_private(&temporary, &encode_pem(&der)).map_err(KeyFileError::Io)?;
        let linked = std::fs::hard_link(&temporary, path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => return Ok(der),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(KeyFileError::Io(e)),
        }
    }
    Err(KeyFileError::Bad)
}

/// Writes a secret readable by its owner only, and makes it durable before it is used.
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("ehds-dev-issuer-{}", std::process::id()));
        let file = dir.join("key.pem");
        let _ = std::fs::remove_dir_all(&dir);
        let first = DevIssuer::load_or_create(&file, "http://x").unwrap();
        let second = DevIssuer::load_or_create(&file, "http://x").unwrap();
        assert_eq!(first.jwks(), second.jwks());
        assert_eq!(first.trusted_issuer().issuer, "http://x/dev-issuer");
        let token = first.mint("someone", "patient/*.rs", 60, json!({"patient": "no.p-1"}));
        assert_eq!(token.split('.').count(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn processes_starting_at_once_agree_on_one_key() {
        let dir = std::env::temp_dir().join(format!("ehds-dev-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = dir.join("key.pem");
        let keys: Vec<Value> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| DevIssuer::load_or_create(&file, "http://x").unwrap().jwks())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "one key for all");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
