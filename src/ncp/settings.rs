//! `[ncp]`: the listener for National Contact Points, as configured.

use std::collections::BTreeMap;

use crate::fhir::ips::SummaryProfile;
use std::path::PathBuf;

use serde::Deserialize;

use crate::auth::verifier::TrustedIssuer;
use crate::authz::settings::{ClientKind, ClientSettings};

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
    /// The NCPs that get certificate-bound tokens at the listener's own `/auth/token`
    /// (SMART Backend Services), registered as in `[[auth.clients]]`; confidential-asymmetric
    /// only. They are not clients of the main listener's token endpoint.
    #[serde(default)]
    pub clients: Vec<ClientSettings>,
    /// The `$summary` profile of an NCP that names none (`SummaryProfile::of_name`).
    pub summary_profile: String,
    /// The same, per NCP country (ISO 3166-1 alpha-2).
    #[serde(default)]
    pub summary_profile_by_country: BTreeMap<String, String>,
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
        self.summary_profiles()?;
        if let Some(bad) = self
            .countries
            .iter()
            .chain(self.summary_profile_by_country.keys())
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
        if let Some(public) = self
            .clients
            .iter()
            .find(|c| c.kind != ClientKind::ConfidentialAsymmetric)
        {
            return Err(format!(
                "ncp.clients.{}: NCP clients must be confidential-asymmetric (private_key_jwt)",
                public.client_id
            ));
        }
        crate::authz::clients::ClientRegistry::new(&self.clients, &self.public_base_url(self.port))
            .map_err(|e| e.replacen("auth.clients", "ncp.clients", 1))?;
        Ok(())
    }

    /// The `$summary` profile of an NCP that names none: the default, and per country.
    pub fn summary_profiles(
        &self,
    ) -> Result<(SummaryProfile, BTreeMap<String, SummaryProfile>), String> {
        let parse = |name: &str, key: &str| {
            SummaryProfile::of_name(name).ok_or_else(|| {
                format!("{key}: '{name}' is not a summary profile (eu-eps, ips-2.0 or ips-1.1)")
            })
        };
        let default = parse(&self.summary_profile, "ncp.summary_profile")?;
        let by_country = self
            .summary_profile_by_country
            .iter()
            .map(|(country, name)| {
                parse(name, &format!("ncp.summary_profile_by_country.{country}"))
                    .map(|p| (country.clone(), p))
            })
            .collect::<Result<_, _>>()?;
        Ok((default, by_country))
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

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Toml};

    use crate::config::{DEFAULT_CONFIG, Settings};
    use crate::fhir::ips::SummaryProfile;

    fn with(overlay: &str) -> Settings {
        Figment::from(Toml::string(DEFAULT_CONFIG))
            .merge(Toml::string(overlay))
            .extract()
            .unwrap()
    }

    #[test]
    fn off_by_default_and_the_conformance_example_is_valid() {
        let defaults = Settings::defaults();
        assert!(!defaults.ncp.enabled);
        defaults.validate().unwrap();
        let example = with(include_str!("../../conformance/ncp/gateway-ncp.toml"));
        example.validate().unwrap();
        assert!(example.ncp.enabled);
        assert_eq!(example.ncp.trusted_issuers.len(), 1);
        assert_eq!(example.ncp.clients.len(), 1);
        assert_eq!(
            example.ncp.public_base_url(8443),
            "https://ncp.gateway.example.no"
        );
        assert_eq!(defaults.ncp.public_base_url(8443), "https://127.0.0.1:8443");
    }

    #[test]
    fn an_enabled_listener_needs_its_files_and_sane_countries() {
        let error = |overlay: &str| with(overlay).validate().unwrap_err().to_string();
        assert!(error("[ncp]\nenabled = true").contains("ncp.server_cert_file is required"));
        let files = "[ncp]\nenabled = true\nserver_cert_file = \"a\"\nserver_key_file = \"b\"\nclient_ca_file = \"c\"\n";
        with(files).validate().unwrap();
        assert!(error(&format!("{files}countries = [\"de\"]")).contains("ISO 3166-1"));
        assert!(
            error(&format!("{files}summary_profile = \"cda\"")).contains("not a summary profile")
        );
        assert!(
            error(&format!(
                "{files}summary_profile_by_country = {{ DE = \"ips-3\" }}"
            ))
            .contains("ncp.summary_profile_by_country.DE")
        );
        assert!(
            error(&format!(
                "{files}summary_profile_by_country = {{ de = \"ips-2.0\" }}"
            ))
            .contains("ISO 3166-1")
        );
        let chosen = with(&format!(
            "{files}summary_profile_by_country = {{ DE = \"ips-2.0\", FR = \"ips-1.1\" }}"
        ));
        chosen.validate().unwrap();
        let (default, by_country) = chosen.ncp.summary_profiles().unwrap();
        assert_eq!(default, SummaryProfile::EuEps);
        assert_eq!(by_country["DE"], SummaryProfile::Ips2_0);
        assert_eq!(by_country["FR"], SummaryProfile::Ips1_1);
        assert!(
            error(&format!(
                "{files}[[ncp.trusted_issuers]]\nissuer = \"https://sts.example.eu\"\naudiences = []"
            ))
            .contains("ncp.trusted_issuers")
        );
        let client = |kind: &str, keys: &str| {
            format!(
                "{files}[[ncp.clients]]\nclient_id = \"ncp-de\"\nname = \"NCPeH Germany\"\nkind = \"{kind}\"\nscopes = [\"system/*.rs\"]\nredirect_uris = [\"https://ncp.example.de/cb\"]\n{keys}"
            )
        };
        let jwks_uri = "jwks_uri = \"https://ncp.example.de/jwks\"";
        with(&client("confidential-asymmetric", jwks_uri))
            .validate()
            .unwrap();
        assert!(error(&client("public", "")).contains("must be confidential-asymmetric"));
        assert!(
            error(&client("confidential-asymmetric", ""))
                .contains("ncp.clients.ncp-de: a confidential-asymmetric client needs jwks")
        );
    }
}
