//! Certificate-bound access tokens (RFC 8705 §3): a token whose `cnf.x5t#S256` names the
//! SHA-256 thumbprint of a client certificate is good only on a connection authenticated
//! with that certificate, so a token taken from one NCP is of no use on another connection.

use serde_json::Value;

use super::verifier::VerifiedToken;

/// Why a token is not good on this connection; the texts go into `WWW-Authenticate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    #[error("The access token is not bound to a client certificate (cnf x5t#S256)")]
    NotBound,
    #[error("The access token is bound to another client certificate")]
    OtherCertificate,
}

/// Checks that `token` is bound to the certificate with `thumbprint`
/// (`base64url(SHA-256(DER))`).
pub fn check_certificate_binding(
    token: &VerifiedToken,
    thumbprint: &str,
) -> Result<(), BindingError> {
    let bound = match token.claims.get("cnf") {
        Some(Value::Object(cnf)) => match cnf.get("x5t#S256") {
            Some(Value::String(bound)) => bound,
            _ => return Err(BindingError::NotBound),
        },
        _ => return Err(BindingError::NotBound),
    };
    if bound == thumbprint {
        Ok(())
    } else {
        Err(BindingError::OtherCertificate)
    }
}
