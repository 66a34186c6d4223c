//! Why a token was refused, and why a verifier could not be built.

/// Why an access token was refused.
///
/// The messages name what is wrong in general terms and never repeat anything from the
/// token, so they can go into `WWW-Authenticate` and logs as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.description())]
pub enum TokenError {
    /// Not a compact JWS with a JSON header and a JSON object as payload.
    Malformed,
    /// `alg` is `none`, HMAC, unknown, not allowed for the issuer, or does not fit the key.
    UnsupportedAlgorithm,
    /// `iss` names no trusted issuer.
    UnknownIssuer,
    /// No key of the issuer matches the token's `kid` (even after a refresh), or the
    /// token has no `kid` and the issuer has more than one fitting key.
    UnknownKey,
    BadSignature,
    Expired,
    NotYetValid,
    /// `exp` lies further after `iat` (or, without `iat`, after now) than the issuer's
    /// `max_lifetime_seconds` allows.
    LifetimeTooLong,
    WrongAudience,
    /// A required claim is absent; the name is the claim's.
    MissingClaim(&'static str),
    /// A claim has the wrong type or an impossible value; the name is the claim's.
    InvalidClaim(&'static str),
    /// The issuer's keys could not be fetched and none are cached: our problem, not the
    /// client's.
    KeysUnavailable,
    /// The token was revoked (R10).
    Revoked,
}

impl TokenError {
    /// A short English text for `error_description`.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Malformed => "The access token is malformed",
            Self::UnsupportedAlgorithm => "The access token's signing algorithm is not accepted",
            Self::UnknownIssuer => "The access token's issuer is not trusted",
            Self::UnknownKey => "The access token's signing key is not known",
            Self::BadSignature => "The access token's signature is invalid",
            Self::Expired => "The access token expired",
            Self::NotYetValid => "The access token is not valid yet",
            Self::LifetimeTooLong => {
                "The access token's lifetime is longer than this server accepts from its issuer"
            }
            Self::WrongAudience => "The access token is not meant for this server",
            Self::MissingClaim(claim) => missing_claim(claim),
            Self::InvalidClaim(claim) => invalid_claim(claim),
            Self::KeysUnavailable => "The access token cannot be checked at the moment",
            Self::Revoked => "The access token was revoked",
        }
    }

    /// True when the failure is on our side (the HTTP layer answers 503, not 401).
    pub fn is_server_side(&self) -> bool {
        matches!(self, Self::KeysUnavailable)
    }
}

// The claim names are our own constants, never token content; spelling the texts out
// keeps `description` a `&'static str`.
fn missing_claim(claim: &str) -> &'static str {
    match claim {
        "iss" => "The access token has no issuer (iss)",
        "sub" => "The access token has no subject (sub)",
        "aud" => "The access token has no audience (aud)",
        "exp" => "The access token has no expiry time (exp)",
        "scope" => "The access token has no scope",
        _ => "The access token lacks a required claim",
    }
}

fn invalid_claim(claim: &str) -> &'static str {
    match claim {
        "iss" => "The access token's issuer (iss) is invalid",
        "sub" => "The access token's subject (sub) is invalid",
        "aud" => "The access token's audience (aud) is invalid",
        "exp" => "The access token's expiry time (exp) is invalid",
        "nbf" => "The access token's not-before time (nbf) is invalid",
        "iat" => "The access token's issue time (iat) is invalid",
        "scope" => "The access token's scope is invalid",
        "client_id" => "The access token's client_id is invalid",
        "patient" => "The access token's patient is invalid",
        "fhirUser" => "The access token's fhirUser is invalid",
        "jti" => "The access token's identifier (jti) is invalid",
        "national_id" => "The access token's national identity claim is invalid",
        _ => "The access token has an invalid claim",
    }
}

/// A trusted-issuer configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("a trusted issuer has an empty `issuer`")]
    EmptyIssuer,
    #[error("trusted issuer {0:?} is configured twice")]
    DuplicateIssuer(String),
    #[error("trusted issuer {0:?} accepts no audience")]
    NoAudience(String),
    #[error("trusted issuer {0:?} allows no signing algorithm")]
    NoAlgorithm(String),
    #[error(
        "trusted issuer {issuer:?}: algorithm {algorithm:?} is not allowed (use RS256/384/512, PS256/384/512, ES256 or ES384; never none or HS*)"
    )]
    ForbiddenAlgorithm { issuer: String, algorithm: String },
    #[error(
        "trusted issuer {issuer:?}: a leeway of {seconds} s is more than the maximum of {max} s"
    )]
    LeewayTooLarge {
        issuer: String,
        seconds: u64,
        max: u64,
    },
    #[error("trusted issuer {0:?}: set `jwks` or `jwks_uri`, not both")]
    ConflictingKeySources(String),
    #[error("trusted issuer {issuer:?}: {field} is not an http(s) URL")]
    InvalidUrl { issuer: String, field: &'static str },
    #[error("trusted issuer {issuer:?}: the static `jwks` {reason}")]
    InvalidJwks { issuer: String, reason: String },
    #[error("trusted issuer {0:?}: max_lifetime_seconds must be at least 1")]
    InvalidMaxLifetime(String),
    #[error("trusted issuer {0:?}: citizen_min_acr must be one of its acr_levels")]
    UnknownMinimumAcr(String),
    #[error("the HTTP client for fetching issuers' keys cannot be built: {0}")]
    HttpClient(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [TokenError; 12] = [
        TokenError::Malformed,
        TokenError::UnsupportedAlgorithm,
        TokenError::UnknownIssuer,
        TokenError::UnknownKey,
        TokenError::BadSignature,
        TokenError::Expired,
        TokenError::NotYetValid,
        TokenError::LifetimeTooLong,
        TokenError::WrongAudience,
        TokenError::MissingClaim("exp"),
        TokenError::InvalidClaim("aud"),
        TokenError::KeysUnavailable,
    ];

    #[test]
    fn only_unavailable_keys_are_server_side() {
        for error in ALL {
            assert_eq!(
                error.is_server_side(),
                error == TokenError::KeysUnavailable,
                "{error:?}"
            );
        }
    }

    #[test]
    fn descriptions_are_distinct_and_fit_a_header() {
        let mut seen = std::collections::HashSet::new();
        for error in ALL {
            let text = error.description();
            assert!(seen.insert(text), "{error:?} shares its text");
            assert_eq!(error.to_string(), text);
            // Quoted-string in WWW-Authenticate: no quotes or backslashes, printable ASCII.
            assert!(
                text.bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
            );
        }
        assert_eq!(
            TokenError::MissingClaim("exp").description(),
            "The access token has no expiry time (exp)"
        );
        assert_eq!(
            TokenError::InvalidClaim("other").description(),
            "The access token has an invalid claim"
        );
    }
}
