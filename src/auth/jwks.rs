//! JSON Web Key sets: which published keys may verify a token signed with a given `alg`.
//!
//! Keys are read field by field rather than through a generic JWK type so that every key
//! we keep has a known type and size; keys we cannot use (encryption keys, symmetric
//! keys, curves we do not support, short RSA moduli, anything carrying private material)
//! are skipped instead of failing the whole set, because issuers publish such keys beside
//! their signing keys.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde_json::Value;

/// RSA keys below this size are refused (RFC 7518 §3.3 and NIST SP 800-131A).
const MIN_RSA_MODULUS_BYTES: usize = 2048 / 8;

/// The kind of public key, which fixes the algorithms it can verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyType {
    Rsa,
    EcP256,
    EcP384,
}

/// One public key that can verify signatures.
#[derive(Debug)]
pub(crate) struct VerificationKey {
    kid: Option<String>,
    key_type: KeyType,
    /// The JWK's own `alg`, when it pins the key to one algorithm.
    alg: Option<Algorithm>,
    decoding: DecodingKey,
}

impl VerificationKey {
    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// Whether this key can verify a signature made with `alg`. A key of the wrong type
    /// must never be tried: that is the door to algorithm-confusion attacks.
    fn fits(&self, alg: Algorithm) -> bool {
        let type_fits = match self.key_type {
            KeyType::Rsa => alg.family() == AlgorithmFamily::Rsa,
            KeyType::EcP256 => alg == Algorithm::ES256,
            KeyType::EcP384 => alg == Algorithm::ES384,
        };
        type_fits && self.alg.is_none_or(|own| own == alg)
    }

    /// Reads one JWK; `Err` says why it is not usable for verifying signatures.
    fn from_jwk(jwk: &Value) -> Result<Self, &'static str> {
        let text = |name: &str| -> Result<Option<&str>, &'static str> {
            match jwk.get(name) {
                None => Ok(None),
                Some(Value::String(value)) => Ok(Some(value)),
                Some(_) => Err("a member is not a string"),
            }
        };
        if jwk.get("d").is_some() {
            return Err("it contains private key material");
        }
        if text("use")?.is_some_and(|usage| usage != "sig") {
            return Err("it is not a signing key");
        }
        if let Some(ops) = jwk.get("key_ops") {
            let verifies = ops
                .as_array()
                .is_some_and(|ops| ops.iter().any(|op| op == "verify"));
            if !verifies {
                return Err("its key_ops exclude verify");
            }
        }
        let alg = match text("alg")? {
            None => None,
            Some(name) => Some(
                name.parse::<Algorithm>()
                    .map_err(|_| "its alg is not a signature algorithm")?,
            ),
        };
        let required = |name: &str| text(name)?.ok_or("a required member is missing");
        let (key_type, decoding) = match required("kty")? {
            "RSA" => {
                let n = decode_b64(required("n")?)?;
                let e = decode_b64(required("e")?)?;
                let significant = n.iter().skip_while(|&&b| b == 0).count();
                if significant < MIN_RSA_MODULUS_BYTES {
                    return Err("its RSA modulus is shorter than 2048 bits");
                }
                (KeyType::Rsa, DecodingKey::from_rsa_raw_components(&n, &e))
            }
            "EC" => {
                let (key_type, size) = match required("crv")? {
                    "P-256" => (KeyType::EcP256, 32),
                    "P-384" => (KeyType::EcP384, 48),
                    _ => return Err("its curve is not supported"),
                };
                let (x, y) = (required("x")?, required("y")?);
                if decode_b64(x)?.len() != size || decode_b64(y)?.len() != size {
                    return Err("its coordinates do not fit the curve");
                }
                let decoding = DecodingKey::from_ec_components(x, y)
                    .map_err(|_| "a member is not base64url")?;
                (key_type, decoding)
            }
            _ => return Err("its key type is not supported"),
        };
        let key = Self {
            kid: text("kid")?.map(str::to_owned),
            key_type,
            alg,
            decoding,
        };
        if let Some(alg) = key.alg
            && !key.fits(alg)
        {
            return Err("its alg does not fit its key type");
        }
        Ok(key)
    }
}

fn decode_b64(text: &str) -> Result<Vec<u8>, &'static str> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| "a member is not base64url")
}

/// The outcome of looking for the key of a token.
#[derive(Debug)]
pub(crate) enum Selection {
    Found(Arc<VerificationKey>),
    /// The `kid` exists, but no key under it fits the algorithm.
    WrongKeyType,
    /// The token has no `kid` and several keys fit, so we cannot tell which one is meant.
    Ambiguous,
    /// No key with this `kid` (or, without `kid`, no fitting key at all): a refresh may help.
    NotFound,
}

/// The usable keys of one issuer.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    keys: Vec<Arc<VerificationKey>>,
}

impl KeySet {
    /// Reads a `{"keys": [...]}` document. `Err` if it is not one; unusable keys are
    /// skipped, and the caller decides whether an empty result is acceptable.
    pub(crate) fn from_json(document: &Value) -> Result<Self, &'static str> {
        let entries = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("is not a JWK set (no \"keys\" array)")?;
        let mut keys = Vec::with_capacity(entries.len());
        for entry in entries {
            match VerificationKey::from_jwk(entry) {
                Ok(key) => keys.push(Arc::new(key)),
                Err(reason) => {
                    let kid = entry.get("kid").and_then(Value::as_str);
                    tracing::debug!(kid, reason, "skipping a JWK that cannot verify signatures");
                }
            }
        }
        Ok(Self { keys })
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Finds the key for a token with this `kid` (if any) and `alg`.
    pub(crate) fn select(&self, kid: Option<&str>, alg: Algorithm) -> Selection {
        match kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|key| key.kid.as_deref() == Some(kid))
                    .peekable();
                if named.peek().is_none() {
                    return Selection::NotFound;
                }
                named
                    .find(|key| key.fits(alg))
                    .map_or(Selection::WrongKeyType, |key| Selection::Found(key.clone()))
            }
            None => {
                let mut fitting = self.keys.iter().filter(|key| key.fits(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(key), None) => Selection::Found(key.clone()),
                    (Some(_), Some(_)) => Selection::Ambiguous,
                    (None, _) => Selection::NotFound,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn ec(kid: &str, crv: &str, size: usize) -> Value {
        // Not a point on the curve, which does not matter until a signature is checked.
        json!({"kty": "EC", "crv": crv, "kid": kid, "x": b64(&vec![1; size]), "y": b64(&vec![2; size])})
    }

    fn rsa(kid: &str, bits: usize) -> Value {
        json!({"kty": "RSA", "kid": kid, "n": b64(&vec![0xc5; bits / 8]), "e": "AQAB"})
    }

    fn kids(set: &KeySet) -> Vec<Option<&str>> {
        set.keys.iter().map(|k| k.kid.as_deref()).collect()
    }

    fn found_kid(selection: Selection) -> Option<String> {
        match selection {
            Selection::Found(key) => key.kid.clone(),
            other => panic!("expected a key, got {other:?}"),
        }
    }

    #[test]
    fn keeps_only_keys_that_can_verify_signatures() {
        let mut with_private = ec("private", "P-256", 32);
        with_private["d"] = json!(b64(&[3; 32]));
        let mut encryption = rsa("enc", 2048);
        encryption["use"] = json!("enc");
        let mut sign_only = ec("sign-only", "P-256", 32);
        sign_only["key_ops"] = json!(["sign"]);
        let mut wrong_alg = ec("wrong-alg", "P-256", 32);
        wrong_alg["alg"] = json!("ES384");
        let mut oaep = rsa("oaep", 2048);
        oaep["alg"] = json!("RSA-OAEP-256");
        let mut verify_ops = ec("verify-ops", "P-384", 48);
        verify_ops["key_ops"] = json!(["verify"]);
        let document = json!({"keys": [
            ec("p256", "P-256", 32),
            ec("p521", "P-521", 66),
            ec("short-coordinates", "P-384", 32),
            rsa("rsa-2048", 2048),
            rsa("rsa-1024", 1024),
            {"kty": "oct", "kid": "hmac", "k": b64(b"secret")},
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64(&[1; 32])},
            {"kty": "EC", "crv": "P-256", "kid": "no-y", "x": b64(&[1; 32])},
            {"kty": "EC", "crv": "P-256", "kid": 7, "x": b64(&[1; 32]), "y": b64(&[2; 32])},
            with_private, encryption, sign_only, wrong_alg, oaep, verify_ops,
        ]});
        let set = KeySet::from_json(&document).unwrap();
        assert_eq!(
            kids(&set),
            [Some("p256"), Some("rsa-2048"), Some("verify-ops")]
        );
        assert!(KeySet::from_json(&json!({"kids": []})).is_err());
        assert!(KeySet::from_json(&json!([])).is_err());
        assert!(KeySet::from_json(&json!({"keys": []})).unwrap().is_empty());
    }

    #[test]
    fn selects_by_kid_and_key_type() {
        let mut pinned = rsa("rsa-ps", 2048);
        pinned["alg"] = json!("PS256");
        let set = KeySet::from_json(&json!({"keys": [
            ec("a", "P-256", 32), ec("b", "P-384", 48), rsa("c", 2048), pinned, ec("c", "P-256", 32),
        ]}))
        .unwrap();
        assert_eq!(
            found_kid(set.select(Some("a"), Algorithm::ES256)).as_deref(),
            Some("a")
        );
        assert_eq!(
            found_kid(set.select(Some("b"), Algorithm::ES384)).as_deref(),
            Some("b")
        );
        assert_eq!(
            found_kid(set.select(Some("c"), Algorithm::RS256)).as_deref(),
            Some("c")
        );
        // The same kid on an RSA and an EC key: the one that fits the algorithm is used.
        assert_eq!(
            found_kid(set.select(Some("c"), Algorithm::ES256)).as_deref(),
            Some("c")
        );
        assert_eq!(
            found_kid(set.select(Some("rsa-ps"), Algorithm::PS256)).as_deref(),
            Some("rsa-ps")
        );
        assert!(matches!(
            set.select(Some("rsa-ps"), Algorithm::RS256),
            Selection::WrongKeyType
        ));
        assert!(matches!(
            set.select(Some("a"), Algorithm::ES384),
            Selection::WrongKeyType
        ));
        assert!(matches!(
            set.select(Some("b"), Algorithm::ES256),
            Selection::WrongKeyType
        ));
        assert!(matches!(
            set.select(Some("a"), Algorithm::RS256),
            Selection::WrongKeyType
        ));
        assert!(matches!(
            set.select(Some("zzz"), Algorithm::ES256),
            Selection::NotFound
        ));
    }

    #[test]
    fn without_kid_only_a_single_fitting_key_is_used() {
        let set = KeySet::from_json(&json!({"keys": [
            ec("a", "P-256", 32), ec("b", "P-384", 48), rsa("c", 2048), ec("d", "P-256", 32),
        ]}))
        .unwrap();
        assert_eq!(
            found_kid(set.select(None, Algorithm::ES384)).as_deref(),
            Some("b")
        );
        assert_eq!(
            found_kid(set.select(None, Algorithm::PS256)).as_deref(),
            Some("c")
        );
        assert!(matches!(
            set.select(None, Algorithm::ES256),
            Selection::Ambiguous
        ));
        let rsa_only = KeySet::from_json(&json!({"keys": [rsa("c", 2048)]})).unwrap();
        assert!(matches!(
            rsa_only.select(None, Algorithm::ES256),
            Selection::NotFound
        ));
    }
}
