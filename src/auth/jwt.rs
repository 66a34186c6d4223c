//! The compact JWS form of a token: splitting it, reading header and claims before the
//! signature is checked, and checking the signature.
//!
//! The header is read by hand rather than through `jsonwebtoken::decode_header` because
//! that rejects `alg: none` as unparsable, and we want to report it as the algorithm
//! attack it is (`UnsupportedAlgorithm`), not as a malformed token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde_json::{Map, Value};

use super::error::TokenError;

/// Longer tokens are refused before any work: no access token we accept comes near it,
/// and hashing or parsing megabytes per request would be a cheap denial of service.
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A token whose structure is sound but whose signature has not been checked yet.
pub(crate) struct UnverifiedJwt<'a> {
    /// `header.payload`, the bytes the signature covers.
    signing_input: &'a str,
    signature: &'a str,
    pub(crate) alg: String,
    pub(crate) kid: Option<String>,
    pub(crate) claims: Map<String, Value>,
}

impl<'a> UnverifiedJwt<'a> {
    pub(crate) fn parse(raw: &'a str) -> Result<Self, TokenError> {
        if raw.is_empty() || raw.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let (signing_input, signature) = raw.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or(TokenError::Malformed)?;
        if payload.contains('.') {
            return Err(TokenError::Malformed);
        }
        // Decoded here only to refuse garbage early; the crypto layer decodes it again.
        URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let header = decode_object(header)?;
        let claims = decode_object(payload)?;

        let alg = match header.get("alg") {
            Some(Value::String(alg)) => alg.clone(),
            _ => return Err(TokenError::Malformed),
        };
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(TokenError::Malformed),
        };
        // RFC 7515 §4.1.11: a recipient must refuse critical extensions it does not
        // implement, and we implement none.
        if header.contains_key("crit") {
            return Err(TokenError::Malformed);
        }
        Ok(Self {
            signing_input,
            signature,
            alg,
            kid,
            claims,
        })
    }

    /// Whether the signature verifies under `key` with `alg`.
    pub(crate) fn signature_valid(&self, key: &DecodingKey, alg: Algorithm) -> bool {
        jsonwebtoken::crypto::verify(self.signature, self.signing_input.as_bytes(), key, alg)
            .unwrap_or(false)
    }
}

/// The asymmetric algorithm named by a token's `alg`, or `UnsupportedAlgorithm` for
/// `none`, HMAC (whose "key" would be our public key: RFC 8725 §2.1) and unknown names.
pub(crate) fn signature_algorithm(alg: &str) -> Result<Algorithm, TokenError> {
    match alg.parse::<Algorithm>() {
        Ok(alg) if matches!(alg.family(), AlgorithmFamily::Rsa | AlgorithmFamily::Ec) => Ok(alg),
        _ => Err(TokenError::UnsupportedAlgorithm),
    }
}

fn decode_object(segment: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| TokenError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(TokenError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn part(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn token(header: &Value, claims: &Value) -> String {
        format!("{}.{}.c2ln", part(header), part(claims))
    }

    #[test]
    fn reads_header_and_claims() {
        let raw = token(
            &json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}),
            &json!({"iss": "x"}),
        );
        let jwt = UnverifiedJwt::parse(&raw).unwrap();
        assert_eq!(jwt.alg, "ES256");
        assert_eq!(jwt.kid.as_deref(), Some("k1"));
        assert_eq!(jwt.claims["iss"], "x");
        let none = format!("{}.{}.", part(&json!({"alg": "none"})), part(&json!({})));
        assert_eq!(UnverifiedJwt::parse(&none).unwrap().alg, "none");
    }

    #[test]
    fn refuses_malformed_tokens() {
        let header = part(&json!({"alg": "ES256"}));
        let claims = part(&json!({"iss": "x"}));
        let cases = [
            String::new(),
            "abc".into(),
            format!("{header}.{claims}"),
            format!("{header}.{claims}.c2ln.c2ln"),
            format!("{header}..c2ln"),
            format!(".{claims}.c2ln"),
            format!("{header}.{claims}.c2ln="),
            format!("{header}.{claims}.not base64"),
            format!("{header}=.{claims}.c2ln"),
            format!("{}.{claims}.c2ln", URL_SAFE_NO_PAD.encode(b"not json")),
            format!("{header}.{}.c2ln", part(&json!(["iss", "x"]))),
            format!("{header}.{}.c2ln", part(&json!("x"))),
            token(&json!({"kid": "k1"}), &json!({})),
            token(&json!({"alg": 256}), &json!({})),
            token(&json!({"alg": "ES256", "kid": 1}), &json!({})),
            token(
                &json!({"alg": "ES256", "crit": ["b64"], "b64": false}),
                &json!({}),
            ),
            format!("{header}.{}.c2ln", "A".repeat(MAX_TOKEN_LEN)),
        ];
        for raw in cases {
            assert!(
                matches!(UnverifiedJwt::parse(&raw), Err(TokenError::Malformed)),
                "{raw:.80}"
            );
        }
    }

    #[test]
    fn only_asymmetric_algorithms_are_signature_algorithms() {
        for alg in [
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
        ] {
            assert_eq!(format!("{:?}", signature_algorithm(alg).unwrap()), alg);
        }
        for alg in [
            "none", "None", "NONE", "HS256", "HS384", "HS512", "EdDSA", "ES512", "", "rs256",
        ] {
            assert_eq!(
                signature_algorithm(alg).unwrap_err(),
                TokenError::UnsupportedAlgorithm,
                "{alg}"
            );
        }
    }
}
