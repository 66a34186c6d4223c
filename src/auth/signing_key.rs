//! An ES256 signing key of the gateway's own issuers (the dev token issuer, the dev eID), kept
//! in a PEM file that is created on first start, with its public JWK and JWT signing.

use std::path::Path;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A P-256 key pair and its key id.
pub struct SigningKey {
    pkcs8: Vec<u8>,
    public_point: Vec<u8>,
    kid: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("key file {0}: {1}")]
    Io(String, std::io::Error),
    #[error("key file {0} does not hold a PKCS#8 P-256 key")]
    BadKey(String),
}

impl SigningKey {
    /// Loads the key from `key_file`, creating it (and its folder) when absent. The key id is
    /// `kid_prefix` and a digest of the public key, so that it changes with the key.
    pub fn load_or_create(key_file: &Path, kid_prefix: &str) -> Result<SigningKey, KeyFileError> {
        let name = key_file.display().to_string();
        let pkcs8 = load_or_create_key(key_file).map_err(|e| match e {
            KeyError::Io(e) => KeyFileError::Io(name.clone(), e),
            KeyError::Bad => KeyFileError::BadKey(name.clone()),
        })?;
        SigningKey::from_pkcs8(pkcs8, kid_prefix).ok_or(KeyFileError::BadKey(name))
    }

    /// A new key that lives as long as the process.
    pub fn generate(kid_prefix: &str) -> SigningKey {
        let pkcs8 = new_pkcs8().expect("P-256 key generation does not fail");
        SigningKey::from_pkcs8(pkcs8, kid_prefix).expect("a generated key is valid")
    }

    fn from_pkcs8(pkcs8: Vec<u8>, kid_prefix: &str) -> Option<SigningKey> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8).ok()?;
        let public_point = pair.public_key().as_ref().to_vec();
        let kid = format!("{kid_prefix}-{}", hex(&Sha256::digest(&public_point)[..6]));
        Some(SigningKey {
            pkcs8,
            public_point,
            kid,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK set of one key.
    pub fn jwks(&self) -> Value {
        // An uncompressed P-256 point is 0x04 || X (32 bytes) || Y (32 bytes).
        let (x, y) = self.public_point[1..].split_at(32);
        json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        }]})
    }

    /// A compact JWS (ES256, with this key's `kid`) of `claims`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_typed(None, claims)
    }

    /// Like `sign`, with a `typ` header (`at+jwt` for access tokens, RFC 9068).
    pub fn sign_typed(&self, typ: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&self.pkcs8))
            .expect("signing with a valid P-256 key does not fail")
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_pkcs8() -> Option<Vec<u8>> {
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .ok()
        .map(|document| document.as_ref().to_vec())
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

enum KeyError {
    Io(std::io::Error),
    Bad,
}

/// Reads the key, or creates it. Two processes may start at once (the gateway and
/// `dev-token`): the key is written whole to a file of its own and then linked into place,
/// which fails if the other process was first, and then the other's key is read.
fn load_or_create_key(path: &Path) -> Result<Vec<u8>, KeyError> {
    for _ in 0..2 {
        match std::fs::read_to_string(path) {
            Ok(pem) => return decode_pem(&pem).ok_or(KeyError::Bad),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(KeyError::Io(e)),
        }
        let der = new_pkcs8().ok_or(KeyError::Bad)?;
        let mut nonce = [0u8; 8];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| KeyError::Bad)?;
        let temporary = path.with_extension(format!("{}.tmp", hex(&nonce)));
        write_private(&temporary, &encode_pem(&der)).map_err(KeyError::Io)?;
        let linked = std::fs::hard_link(&temporary, path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => return Ok(der),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(KeyError::Io(e)),
        }
    }
    Err(KeyError::Bad)
}

/// Writes a secret readable by its owner only, and makes it durable before it is used.
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    crate::private_fs::create_parent(path)?;
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
    fn processes_starting_at_once_agree_on_one_key() {
        let dir = crate::test_dir::TestDir::new("key-race");
        let file = dir.join("key.pem");
        let keys: Vec<Value> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| SigningKey::load_or_create(&file, "k").unwrap().jwks()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "one key for all");
    }

    #[test]
    fn a_file_that_is_not_a_key_is_refused() {
        let dir = crate::test_dir::TestDir::new("key-bad");
        std::fs::create_dir_all(dir.path()).unwrap();
        let file = dir.join("key.pem");
        std::fs::write(
            &file,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let error = SigningKey::load_or_create(&file, "k").err().unwrap();
        assert!(matches!(error, KeyFileError::BadKey(_)), "{error}");
    }

    #[test]
    fn generated_keys_differ_and_their_kid_names_them() {
        let (a, b) = (SigningKey::generate("x"), SigningKey::generate("x"));
        assert_ne!(a.kid(), b.kid());
        assert!(a.kid().starts_with("x-"));
        assert_eq!(a.jwks()["keys"][0]["kid"], a.kid());
        assert_eq!(a.sign(&json!({"a": 1})).split('.').count(), 3);
    }
}
