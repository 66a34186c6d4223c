//! Minting the gateway's own tokens: access tokens (RFC 9068 JWTs, R9) and ID tokens
//! (OIDC, with `fhirUser`), plus the random secrets (codes, refresh tokens, ids) and their
//! digests, which are all the store ever sees of them.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::authz::keys::SigningKeys;

/// 256 random bits, base64url: codes, refresh tokens, session and flow ids, CSRF tokens.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// 128 random bits, base64url: token ids and grant ids.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 of a secret: its key in the store.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// PKCE S256 (RFC 7636 §4.6): BASE64URL(SHA256(verifier)) equals the challenge.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    // Not secret, but compare in constant time anyway: it costs nothing.
    computed.len() == challenge.len()
        && computed
            .bytes()
            .zip(challenge.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub fn valid_pkce_text(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The claims of an access token (R9): who, for whom, what, until when.
#[derive(Debug, Clone, Serialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub scope: String,
    pub client_id: String,
    /// The patient context: the person chosen at login (R34).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    /// Whom the user acts for: the patient context, when that is not the user themself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acting_for: Option<String>,
    /// The user, as a FHIR resource URL.
    #[serde(rename = "fhirUser", skip_serializing_if = "Option::is_none")]
    pub fhir_user: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(rename = "fhirUser")]
    pub fhir_user: String,
}

pub fn sign_access_token(keys: &SigningKeys, claims: &AccessClaims) -> String {
    keys.sign("at+jwt", claims)
}

pub fn sign_id_token(keys: &SigningKeys, claims: &IdClaims) -> String {
    keys.sign("JWT", claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_example_of_rfc_7636() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        assert!(!pkce_s256_matches(verifier, verifier));
        assert!(valid_pkce_text(verifier) && valid_pkce_text(challenge));
        assert!(!valid_pkce_text("short") && !valid_pkce_text(&"a".repeat(129)));
        assert!(!valid_pkce_text(&format!("{}+", "a".repeat(50))));
    }

    #[test]
    fn secrets_are_random_and_digests_hex() {
        assert_ne!(random_secret(), random_secret());
        assert_eq!(random_secret().len(), 43);
        assert_eq!(digest("abc").len(), 64);
        assert!(digest("abc").starts_with("ba7816bf"));
    }
}
