//! The authorization server's signing keys (ES256) and their JWK set.
//!
//! Rotation: the current key signs; the keys of `previous_key_files` are still published
//! (and so still accepted by every verifier, this gateway's included) until the tokens they
//! signed have expired. To rotate: move the key file's name into `previous_key_files`, let
//! `key_file` name a new (or missing, hence created) file, restart the instances one by
//! one; remove the old entry once the longest token lifetime has passed. Verifiers that
//! fetch `/auth/jwks` refetch it on an unknown `kid`, so a new key is accepted as soon as it
//! signs.

use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::auth::signing_key::{KeyFileError, SigningKey};

pub struct SigningKeys {
    current: SigningKey,
    previous: Vec<SigningKey>,
}

impl SigningKeys {
    /// The current key (created if missing) and the previous ones, which must exist: a
    /// mistyped name would otherwise silently stop the acceptance of that key's tokens.
    pub fn load(current: &Path, previous: &[String]) -> Result<SigningKeys, KeyFileError> {
        let current = SigningKey::load_or_create(current, "authz")?;
        let mut keys = Vec::new();
        for file in previous {
            let path = Path::new(file);
            if !path.exists() {
                let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
                return Err(KeyFileError::Io(file.clone(), missing));
            }
            let key = SigningKey::load_or_create(path, "authz")?;
            if key.kid() != current.kid() && !keys.iter().any(|k: &SigningKey| k.kid() == key.kid())
            {
                keys.push(key);
            }
        }
        Ok(SigningKeys {
            current,
            previous: keys,
        })
    }

    /// The public keys, current first, as a JWK set.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = std::iter::once(&self.current)
            .chain(&self.previous)
            .flat_map(|key| key.jwks()["keys"].as_array().cloned().unwrap_or_default())
            .collect();
        json!({ "keys": keys })
    }

    pub fn current_kid(&self) -> &str {
        self.current.kid()
    }

    /// A compact JWS of `claims`, ES256 with the current key, with the `typ` header given
    /// (`at+jwt` for access tokens, RFC 9068; `JWT` for ID tokens).
    pub fn sign(&self, typ: &str, claims: &impl Serialize) -> String {
        let claims = serde_json::to_value(claims).expect("claims serialise");
        self.current.sign_typed(Some(typ), &claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_publishes_current_and_previous_keys() {
        let dir = crate::test_dir::TestDir::new("authz-keys");
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
        assert!(SigningKeys::load(&new, &[dir.join("nope.pem").display().to_string()]).is_err());
    }
}
