//! The `[dev_eid]` section of the configuration.

use serde::Deserialize;

/// See `[dev_eid]` in `config/default.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevEidSettings {
    pub enabled: bool,
    /// PEM file of the ID-token signing key, created on first start; empty: a new key at
    /// every start.
    pub key_file: String,
    /// How long an authorization code can be redeemed.
    pub code_lifetime_seconds: u64,
    /// How long a login page stays usable.
    pub login_lifetime_seconds: u64,
    /// Lifetime of ID tokens and of the (otherwise unused) access tokens.
    pub token_lifetime_seconds: u64,
    /// The relying parties allowed to use the dev eID.
    pub clients: Vec<DevEidClient>,
}

/// A registered relying party. `{base_url}` in a redirect URI stands for the gateway's
/// public base URL, so that the default client follows the port the gateway runs on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevEidClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
}

impl DevEidSettings {
    /// What is wrong with these settings, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.code_lifetime_seconds == 0
            || self.login_lifetime_seconds == 0
            || self.token_lifetime_seconds == 0
        {
            return Some("dev_eid: the lifetimes must be positive".into());
        }
        for client in &self.clients {
            if client.client_id.trim().is_empty() || client.client_secret.is_empty() {
                return Some(
                    "dev_eid.clients: every client needs a client_id and a client_secret".into(),
                );
            }
            if client.redirect_uris.is_empty() {
                return Some(format!(
                    "dev_eid.clients: client '{}' needs at least one redirect URI",
                    client.client_id
                ));
            }
        }
        None
    }
}
