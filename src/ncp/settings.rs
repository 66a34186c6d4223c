//! `[ncp]`: the listener for National Contact Points, as configured.

use std::path::PathBuf;

use serde::Deserialize;

use crate::auth::verifier::TrustedIssuer;

/// The NCP listener's settings; see `[ncp]` in `config/default.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct NcpSettings {
    pub enabled: bool,
    pub host: String,
    pub port: u16,
    /// The base URL NCPs use (`https://host:port`); empty: `https://<host>:<port>`.
    pub public_base_url: String,
    /// PEM: the server's certificate chain and its private key.
    pub server_cert_file: PathBuf,
    pub server_key_file: PathBuf,
    /// PEM: the CA certificates NCP client certificates must chain to (the trust store).
    pub client_ca_file: PathBuf,
    /// PEM CRLs of those CAs; a certificate listed there fails the handshake.
    #[serde(default)]
    pub crl_files: Vec<PathBuf>,
    /// How often the certificate, key, CA and CRL files are checked for changes (seconds);
    /// 0: only on SIGHUP.
    pub reload_check_seconds: u64,
    /// Issuers whose tokens the NCP listener accepts, besides the gateway's own.
    #[serde(default)]
    pub trusted_issuers: Vec<TrustedIssuer>,
    /// Countries (ISO 3166-1 alpha-2) whose NCPs may connect; empty: any the trust store vouches for.
    #[serde(default)]
    pub countries: Vec<String>,
}

impl NcpSettings {
    /// Checks what can be checked without reading files.
    pub fn validate(&self) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        for (name, path) in [
            ("ncp.server_cert_file", &self.server_cert_file),
            ("ncp.server_key_file", &self.server_key_file),
            ("ncp.client_ca_file", &self.client_ca_file),
        ] {
            if path.as_os_str().is_empty() {
                return Err(format!("{name} is required when ncp.enabled = true"));
            }
        }
        if let Some(bad) = self
            .countries
            .iter()
            .find(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(format!(
                "ncp.countries: '{bad}' is not an ISO 3166-1 alpha-2 code in capitals"
            ));
        }
        for issuer in &self.trusted_issuers {
            issuer
                .validate()
                .map_err(|e| format!("ncp.trusted_issuers: {e}"))?;
        }
        Ok(())
    }

    /// The base URL of the NCP listener once its port is known.
    pub fn public_base_url(&self, port: u16) -> String {
        let configured = self.public_base_url.trim().trim_end_matches('/');
        if configured.is_empty() {
            format!("https://{}:{}", self.host, port)
        } else {
            configured.to_owned()
        }
    }
}
