//! Who is calling: SMART on FHIR scopes and the verification of access tokens issued by
//! the trusted authorization servers.
//!
//! - [`scopes`]: SMART App Launch 2.x scope strings, v1 and v2 forms.
//! - [`verifier`]: `TokenVerifier`, which turns a bearer token into a `VerifiedToken`.
//! - [`principal`]: the caller as the rest of the gateway sees it.
//! - [`dev_issuer`]: the local token issuer of the dev profile.
//! - [`professional`]: what an NCP asserts about the professional it asks for (IUA claims).
//! - [`binding`]: certificate-bound tokens (RFC 8705 `cnf.x5t#S256`).
//! - [`signing_key`]: the ES256 key file of the gateway's own issuers, with its JWK set.
//! - the private modules each do one step for it: reading the compact JWT (`jwt`),
//!   checking claims (`claims`), reading JWK sets (`jwks`), fetching them (`key_fetch`),
//!   caching and refreshing them (`key_store`), and caching verified tokens (`token_cache`).

pub mod binding;
mod claims;
pub mod dev_issuer;
pub(crate) mod error;
pub(crate) mod jwks;
pub(crate) mod jwt;
pub(crate) mod key_fetch;
mod key_store;
pub mod principal;
pub mod professional;
pub mod revocation;
pub mod scopes;
mod settings;
pub mod signing_key;
mod token_cache;
pub mod verifier;

#[cfg(test)]
mod tests;

pub use scopes::{Action, Permissions, ResourceScope, ScopeContext, ScopeSet};
pub use settings::{default_acr_levels, default_citizen_min_acr};
pub use verifier::{
    ConfigError, TokenError, TokenVerifier, TrustedIssuer, VerifiedToken, VerifierSettings,
};
