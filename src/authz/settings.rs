//! The authorization server's configuration: `[auth.server]`, `[[auth.clients]]` and
//! `[[auth.eid]]` (documented option by option in `config/default.toml`).

use serde::Deserialize;

use crate::national_id::Country;

/// Longest lifetime of a `system/*` access token (SMART Backend Services, R7).
pub const MAX_SYSTEM_TOKEN_SECONDS: u64 = 300;

/// Longest lifetime of a client assertion, counted from its `iat` (or now) to its `exp` (R7).
pub const MAX_ASSERTION_SECONDS: i64 = 300;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub enabled: bool,
    /// PKCS#8 PEM of the current ES256 signing key; created on first start if missing.
    pub key_file: String,
    /// Keys signed with before the last rotation: still published and accepted.
    #[serde(default)]
    pub previous_key_files: Vec<String>,
    pub access_token_seconds: u64,
    pub system_token_seconds: u64,
    pub code_seconds: u64,
    pub refresh_token_days: u64,
    pub session_hours: u64,
    /// Minutes a citizen has to finish the login, choice and approval pages.
    pub flow_minutes: u64,
    /// How often each instance reads revocations made by the others.
    pub revocation_poll_seconds: u64,
    /// Print the example client's authorize URL at start-up (dev profile).
    #[serde(default)]
    pub print_example: bool,
    /// Serve the example client's callback page, which shows the authorization code it
    /// receives (dev profile only).
    #[serde(default)]
    pub example_app: bool,
}

/// The example client of the defaults and the page it is sent back to.
pub const EXAMPLE_CLIENT_ID: &str = "example-app";
pub const EXAMPLE_CALLBACK_PATH: &str = "/auth/example-callback";

/// What the production profile refuses in the authorization server's settings: the example
/// app in any form. Its callback page displays authorization codes, which belong to the
/// app alone, and its registration (a public client of the defaults, redirect URI on this
/// gateway) would let anyone's browser obtain tokens for a client nobody operates.
pub fn production_problem(auth: &crate::config::AuthSettings) -> Option<String> {
    if !auth.server.enabled {
        return None;
    }
    if auth.server.example_app {
        return Some(format!(
            "the production profile refuses auth.server.example_app = true: its page \
             {EXAMPLE_CALLBACK_PATH} displays authorization codes; set it to false \
             (EHDS_AUTH__SERVER__EXAMPLE_APP=false)"
        ));
    }
    let example = auth.clients.iter().find(|c| {
        c.client_id == EXAMPLE_CLIENT_ID
            || c.redirect_uris
                .iter()
                .any(|uri| uri.contains(EXAMPLE_CALLBACK_PATH))
    });
    example.map(|client| {
        format!(
            "auth.clients.{}: the production profile refuses the example client and redirect \
             URIs to {EXAMPLE_CALLBACK_PATH}; register your own clients in [[auth.clients]]",
            client.client_id
        )
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientKind {
    /// A browser or mobile app without a secret: PKCE only.
    Public,
    /// Authenticates with `private_key_jwt` against its registered keys.
    ConfidentialAsymmetric,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    pub client_id: String,
    /// Shown to the citizen on the approval page.
    pub name: String,
    pub kind: ClientKind,
    /// Matched exactly (no prefix, no wildcard).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The scopes this client may be granted; a request is cut down to these.
    pub scopes: Vec<String>,
    /// Web origins allowed to call the discovery, token and FHIR endpoints from a browser (R43).
    #[serde(default)]
    pub origins: Vec<String>,
    /// The client's public keys (a JWK set), for confidential-asymmetric clients.
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// Or where to fetch them.
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EidSettings {
    pub country: Country,
    /// Shown on the country choice page.
    #[serde(default)]
    pub name: String,
    /// The OpenID Provider's issuer; `{base_url}` is replaced by the gateway's base URL.
    pub issuer: String,
    pub client_id: String,
    /// For client_secret_basic. Empty: `private_key_file` is used (private_key_jwt).
    #[serde(default)]
    pub client_secret: String,
    /// PKCS#8 PEM of an ES256 key for private_key_jwt at the provider's token endpoint.
    #[serde(default)]
    pub private_key_file: String,
    #[serde(default = "default_eid_scopes")]
    pub scopes: Vec<String>,
    /// The ID token claim with the national identity number (ID-porten: `pid`).
    pub national_id_claim: String,
    /// The lowest acceptable `acr` (R1); must be one of `acr_levels`.
    pub min_acr: String,
    /// The provider's `acr` values from lowest to highest assurance.
    #[serde(default = "default_acr_levels")]
    pub acr_levels: Vec<String>,
}

fn default_eid_scopes() -> Vec<String> {
    vec!["openid".into()]
}

pub use crate::auth::default_acr_levels;

impl ClientSettings {
    /// What is wrong with this entry, if anything.
    pub fn problem(&self) -> Option<String> {
        let id = &self.client_id;
        if id.trim().is_empty() {
            return Some("auth.clients: a client has an empty client_id".into());
        }
        if self.kind == ClientKind::Public && (self.jwks.is_some() || self.jwks_uri.is_some()) {
            return Some(format!("auth.clients.{id}: a public client has no keys"));
        }
        if self.kind == ClientKind::ConfidentialAsymmetric
            && self.jwks.is_some() == self.jwks_uri.is_some()
        {
            return Some(format!(
                "auth.clients.{id}: a confidential-asymmetric client needs jwks or jwks_uri (one of them)"
            ));
        }
        if self.kind == ClientKind::Public && self.redirect_uris.is_empty() {
            return Some(format!(
                "auth.clients.{id}: a public client needs redirect_uris"
            ));
        }
        for uri in &self.redirect_uris {
            match reqwest::Url::parse(uri) {
                Ok(url) if url.fragment().is_none() => {}
                _ => {
                    return Some(format!(
                        "auth.clients.{id}: redirect URI {uri:?} is not an absolute URL without fragment"
                    ));
                }
            }
        }
        if self.scopes.iter().any(|s| s.starts_with("system/")) && self.kind == ClientKind::Public {
            return Some(format!(
                "auth.clients.{id}: system scopes need a confidential-asymmetric client (R7)"
            ));
        }
        None
    }
}

impl EidSettings {
    pub fn problem(&self) -> Option<String> {
        let c = self.country.code();
        if !self.acr_levels.contains(&self.min_acr) {
            return Some(format!(
                "auth.eid.{c}: min_acr {:?} is not one of acr_levels",
                self.min_acr
            ));
        }
        if self.client_secret.is_empty() && self.private_key_file.is_empty() {
            return Some(format!(
                "auth.eid.{c}: client_secret or private_key_file is needed"
            ));
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            return Some(format!("auth.eid.{c}: scopes must include openid"));
        }
        None
    }

    /// The issuer with `{base_url}` filled in.
    pub fn issuer_for(&self, base_url: &str) -> String {
        self.issuer.replace("{base_url}", base_url)
    }
}
