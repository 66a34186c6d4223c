//! The authorization server's signing keys (ES256) and their JWK set.
//!
//! Rotation: the current key signs; the keys of `previous_key_files` are still published
//! (and so still accepted by every verifier, this gateway's included) until the tokens they
//! signed have expired. To rotate: move the key file's name into `previous_key_files`, let
//! `key_file` name a new (or missing, hence created) file, restart the instances one by
//! one; remove the old entry once the longest token lifetime has passed. Because verifiers
//! refetch the JWK set on an unknown `kid`, a new key is accepted as soon as it signs.

use std::path::Path;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

struct PublicKey {
    kid: String,
    point: Vec<u8>,
}

pub struct SigningKeys {
    current: EncodingKey,
    current_kid: String,
    published: Vec<PublicKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing key file {0}: {1}")]
    Io(String, std::io::Error),
    #[error("signing key file {0} does not hold a PKCS#8 P-256 key")]
    Bad(String),
}

fn public_key(pkcs8: &[u8], name: &str) -> Result<PublicKey, KeyError> {
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
        .map_err(|_| KeyError::Bad(name.to_owned()))?;
    let point = pair.public_key().as_ref().to_vec();
    let digest = Sha256::digest(&point);
    Ok(PublicKey {
        kid: URL_SAFE_NO_PAD.encode(&digest[..12]),
        point,
    })
}

/// The PKCS#8 DER of the P-256 key in the PEM file at `path`; with `create`, a new key is
/// written there (readable by its owner only) when the file does not exist.
pub fn read_key(path: &Path, create: bool) -> Result<Vec<u8>, KeyError> {
    use aws_lc_rs::rand::SystemRandom;
    use base64::engine::general_purpose::STANDARD;
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(pem) => {
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            STANDARD
                .decode(body.trim())
                .map_err(|_| KeyError::Bad(name))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let document = EcdsaKeyPair::generate_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|_| KeyError::Bad(name.clone()))?;
            let der = document.as_ref().to_vec();
            let encoded = STANDARD.encode(&der);
            let lines: Vec<&str> = encoded
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap_or_default())
                .collect();
            let pem = format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                lines.join("\n")
            );
            write_new_private(path, &pem).map_err(|e| KeyError::Io(name.clone(), e))?;
            // Another process may have been first: its key wins.
            read_key(path, false)
        }
        Err(e) => Err(KeyError::Io(name, e)),
    }
}

/// Writes the whole key to a file of its own, then links it into place, which fails if
/// another process was first (then its key wins): a reader never sees a half-written file.
fn write_new_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension(format!("{}.tmp", crate::authz::tokens::random_id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()?;
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

impl SigningKeys {
    /// The current key (created if missing) and the previous ones (which must exist).
    pub fn load(current: &Path, previous: &[String]) -> Result<SigningKeys, KeyError> {
        let pkcs8 = read_key(current, true)?;
        let first = public_key(&pkcs8, &current.display().to_string())?;
        let mut published = vec![];
        let current_kid = first.kid.clone();
        published.push(first);
        for file in previous {
            let der = read_key(Path::new(file), false)?;
            let key = public_key(&der, file)?;
            if !published.iter().any(|k| k.kid == key.kid) {
                published.push(key);
            }
        }
        Ok(SigningKeys {
            current: EncodingKey::from_ec_der(&pkcs8),
            current_kid,
            published,
        })
    }

    /// The public keys, current first, as a JWK set.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .published
            .iter()
            .map(|key| {
                // An uncompressed P-256 point is 0x04 || X (32 bytes) || Y (32 bytes).
                let (x, y) = key.point[1..].split_at(32);
                json!({
                    "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": key.kid,
                    "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    pub fn current_kid(&self) -> &str {
        &self.current_kid
    }

    /// A compact JWS of `claims`, ES256 with the current key; `typ` as given
    /// (`at+jwt` for access tokens, RFC 9068; `JWT` for ID tokens).
    pub fn sign(&self, typ: &str, claims: &impl Serialize) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.current_kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &self.current)
            .expect("signing with a valid P-256 key does not fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_publishes_current_and_previous_keys() {
        let dir = std::env::temp_dir().join(format!("ehds-authz-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let old = dir.join("old.pem");
        let first = SigningKeys::load(&old, &[]).unwrap();
        assert_eq!(first.jwks()["keys"].as_array().unwrap().len(), 1);
        let new = dir.join("new.pem");
        let rotated = SigningKeys::load(&new, &[old.display().to_string()]).unwrap();
        let keys = rotated.jwks()["keys"].as_array().unwrap().clone();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0]["kid"], rotated.current_kid());
        assert_eq!(keys[1]["kid"], first.current_kid());
        assert_ne!(first.current_kid(), rotated.current_kid());
        // A previous key must exist: a typo would silently stop accepting its tokens.
        assert!(SigningKeys::load(&new, &[dir.join("nope.pem").display().to_string()]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
