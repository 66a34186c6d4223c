//! Configuration: the embedded defaults (`config/default.toml`), an optional file over them,
//! and `EHDS_*` environment variables over both.

use std::collections::BTreeMap;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

use crate::auth::verifier::TrustedIssuer;
use crate::dev_eid::settings::DevEidSettings;
use crate::national_id::Country;
use crate::portal::http::config::HttpSourceSettings;

/// The defaults, compiled in and documented option by option.
pub const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub profile: Profile,
    pub server: ServerSettings,
    pub telemetry: TelemetrySettings,
    pub fhir: FhirSettings,
    pub auth: AuthSettings,
    pub portal: PortalSettings,
    pub database: DatabaseSettings,
    pub dev_eid: DevEidSettings,
    pub consent: crate::consent::settings::ConsentSettings,
    pub clock: crate::clock::ClockSettings,
    pub audit: crate::audit::AuditSettings,
    pub ncp: crate::ncp::NcpSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Dev,
    Production,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_base_url: String,
    pub workers: usize,
    pub max_body_bytes: usize,
    pub shutdown_timeout_seconds: u64,
    /// Requests per second per user of an app (R41); fractions allowed; 0 = no limit.
    pub rate_limit_per_second: f64,
    /// How many requests a user may spend at once.
    pub rate_limit_burst: u32,
    /// Requests per second per app, all its users together; 0 = no limit.
    pub app_rate_limit_per_second: f64,
    /// How many requests an app may spend at once.
    pub app_rate_limit_burst: u32,
}

impl ServerSettings {
    /// The bucket of each user of an app.
    pub fn user_rate_limit(&self) -> crate::http::rate_limit::Limit {
        crate::http::rate_limit::Limit {
            per_second: self.rate_limit_per_second,
            burst: self.rate_limit_burst,
        }
    }

    /// The ceiling of each app.
    pub fn app_rate_limit(&self) -> crate::http::rate_limit::Limit {
        crate::http::rate_limit::Limit {
            per_second: self.app_rate_limit_per_second,
            burst: self.app_rate_limit_burst,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    pub log_level: String,
    /// Key of the national identifiers' pseudonyms in logs (base64 of 32 bytes). Empty: a
    /// random key per process, which only the dev profile accepts.
    pub pseudonym_key: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FhirSettings {
    pub default_count: usize,
    pub max_count: usize,
    pub max_search_params: usize,
    /// How many patients one search may name (400 beyond it).
    pub max_patients_per_search: usize,
    pub page_link_key: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub token_cache_capacity: u64,
    pub jwks_cache_ttl_seconds: u64,
    pub jwks_min_refresh_seconds: u64,
    pub http_timeout_seconds: u64,
    pub trusted_issuers: Vec<TrustedIssuer>,
    pub smart: SmartSettings,
    pub dev_issuer: DevIssuerSettings,
    /// The SMART authorization server (`[auth.server]`, `[[auth.clients]]`, `[[auth.eid]]`).
    pub server: crate::authz::settings::ServerSettings,
    #[serde(default)]
    pub clients: Vec<crate::authz::settings::ClientSettings>,
    #[serde(default)]
    pub eid: Vec<crate::authz::settings::EidSettings>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmartSettings {
    pub authorize_endpoint: String,
    pub token_endpoint: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DevIssuerSettings {
    pub enabled: bool,
    pub key_file: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PortalSettings {
    pub countries: Vec<Country>,
    /// Where each country's data comes from, by lower-case country code (`no`, `se`, `dk`,
    /// `fi`; lower case because environment overrides arrive in lower case). A served
    /// country without an entry is served from the embedded data set.
    #[serde(default)]
    pub sources: BTreeMap<String, SourceSettings>,
}

/// One country's source: `{ kind = "embedded" }` or `{ kind = "http", base_url = ..., ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SourceSettings {
    Embedded,
    Http(Box<HttpSourceSettings>),
}

impl PortalSettings {
    /// The source configured for `country`.
    pub fn source(&self, country: Country) -> SourceSettings {
        self.sources
            .get(&country.code().to_ascii_lowercase())
            .cloned()
            .unwrap_or(SourceSettings::Embedded)
    }
}

/// Where the gateway keeps its own state; see `[database]` in `config/default.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
    pub url: String,
    /// PostgreSQL only: the schema of the gateway's tables (created if missing). Empty: the
    /// server's default `search_path`.
    pub schema: String,
    pub max_connections: u32,
    pub min_connections: u32,
    /// How long a request waits for a connection before the store counts as unavailable.
    pub acquire_timeout_seconds: u64,
    /// SQLite only: how long a writer waits for another writer's lock.
    pub busy_timeout_ms: u64,
    /// How long `/readyz` waits for the database to answer.
    pub ping_timeout_ms: u64,
    /// Patients whose Consents in force are kept in memory between requests; 0: none.
    pub consent_cache_patients: u64,
    /// Seconds an entry of that cache lives at most.
    pub consent_cache_seconds: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads the defaults, then `file` (if any), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_CONFIG));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Invalid(format!(
                    "file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("EHDS_").split("__"));
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// The embedded defaults alone (tests start from these).
    pub fn defaults() -> Settings {
        let settings: Settings = Figment::from(Toml::string(DEFAULT_CONFIG))
            .extract()
            .expect("the embedded default configuration is valid");
        settings
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.profile == Profile::Production && self.auth.dev_issuer.enabled {
            return invalid("the production profile refuses auth.dev_issuer.enabled = true");
        }
        if self.profile == Profile::Production && self.dev_eid.enabled {
            return invalid(
                "the production profile refuses dev_eid.enabled = true: the dev eID logs anyone in \
                 without proof; set dev_eid.enabled = false (EHDS_DEV_EID__ENABLED=false)",
            );
        }
        if let Some(problem) = self.consent.own_use_minimum_age.problem() {
            return Err(ConfigError::Invalid(problem));
        }
        if let Some(problem) = self.dev_eid.problem() {
            return Err(ConfigError::Invalid(problem));
        }
        if self.profile == Profile::Production
            && self.auth.server.enabled
            && let Some(eid) = self.auth.eid.iter().find(|e| e.issuer.contains("/dev-eid"))
        {
            return Err(ConfigError::Invalid(format!(
                "auth.eid ({}): the production profile refuses the dev eID as a country's eID; \
                 configure the national eID providers in [[auth.eid]]",
                eid.country.code()
            )));
        }
        if self.profile == Profile::Production && !self.audit.enabled {
            return invalid("the production profile refuses audit.enabled = false");
        }
        if self.profile == Profile::Production
            && let Some(problem) = self.production_problem()
        {
            return Err(problem);
        }
        self.audit.validate().map_err(ConfigError::Invalid)?;
        if self.fhir.default_count == 0 || self.fhir.max_count < self.fhir.default_count {
            return invalid("fhir.default_count must be at least 1 and at most fhir.max_count");
        }
        if self.fhir.max_patients_per_search == 0 || self.fhir.max_patients_per_search > 1000 {
            return invalid("fhir.max_patients_per_search must be from 1 to 1000");
        }
        if self.fhir.max_search_params == 0 {
            return invalid("fhir.max_search_params must be at least 1");
        }
        if !self.fhir.page_link_key.is_empty() && self.page_link_key().is_none() {
            return invalid("fhir.page_link_key must be base64 of exactly 32 bytes");
        }
        if !self.telemetry.pseudonym_key.trim().is_empty() && self.pseudonym_key().is_none() {
            return invalid("telemetry.pseudonym_key must be base64 of exactly 32 bytes");
        }
        if self.profile == Profile::Production && self.pseudonym_key().is_none() {
            return invalid(
                "the production profile needs telemetry.pseudonym_key (base64 of 32 random bytes, \
                 e.g. from `openssl rand -base64 32`): without a key of its own, the pseudonyms \
                 of national identifiers in the logs of different instances and restarts would \
                 not match",
            );
        }
        self.ncp.validate().map_err(ConfigError::Invalid)?;
        self.validate_rate_limits()?;
        if self.portal.countries.is_empty() {
            return invalid("portal.countries must name at least one country");
        }
        if let Err(e) = crate::store::DatabaseUrl::parse(&self.database) {
            return Err(ConfigError::Invalid(e.to_string()));
        }
        if self.database.max_connections == 0
            || self.database.min_connections > self.database.max_connections
        {
            return invalid(
                "database.max_connections must be at least 1 and at least database.min_connections",
            );
        }
        if self.database.acquire_timeout_seconds == 0 || self.database.ping_timeout_ms == 0 {
            return invalid(
                "database.acquire_timeout_seconds and database.ping_timeout_ms must be positive",
            );
        }
        for (key, source) in &self.portal.sources {
            let country = Country::parse(key).filter(|c| c.code().to_ascii_lowercase() == *key);
            if country.is_none() {
                return Err(ConfigError::Invalid(format!(
                    "portal.sources.{key}: the key must be a lower-case country code (no, se, dk, fi)"
                )));
            }
            if let SourceSettings::Http(http) = source
                && let Some(problem) = http.problem()
            {
                return Err(ConfigError::Invalid(format!(
                    "portal.sources.{key}: {problem}"
                )));
            }
        }
        if self.auth.server.enabled
            && let Some(problem) = crate::authz::settings_problem(&self.auth)
        {
            return Err(ConfigError::Invalid(problem));
        }
        for issuer in &self.auth.trusted_issuers {
            if issuer.audiences.is_empty() {
                return invalid("every trusted issuer needs at least one audience");
            }
        }
        Ok(())
    }

    /// What the production profile refuses besides the dev issuer and eID: the example
    /// app, a public base URL that is not https, and no rate limit.
    fn production_problem(&self) -> Option<ConfigError> {
        if let Some(problem) = crate::authz::settings::production_problem(&self.auth) {
            return Some(ConfigError::Invalid(problem));
        }
        if let Some(date) = self.clock.fixed_today {
            return Some(ConfigError::Invalid(format!(
                "the production profile runs on the system's date; clock.fixed_today ({date}) \
                 is for the dev profile and tests"
            )));
        }
        let base_url = self.server.public_base_url.trim();
        if !base_url.starts_with("https://") {
            return Some(ConfigError::Invalid(format!(
                "the production profile needs an https:// server.public_base_url (tokens, \
                 cookies and authorization codes travel over it), not {}",
                if base_url.is_empty() {
                    "an empty one (http://host:port)".to_owned()
                } else {
                    format!("{base_url:?}")
                }
            )));
        }
        if self.server.rate_limit_per_second <= 0.0 {
            return Some(ConfigError::Invalid(
                "the production profile refuses server.rate_limit_per_second = 0 (no rate limit, \
                 R41); set a limit per client"
                    .into(),
            ));
        }
        None
    }

    /// Each limit usable, and an app's ceiling not below what one of its users may do:
    /// below it, the per-user limit would mean nothing.
    fn validate_rate_limits(&self) -> Result<(), ConfigError> {
        let (user, app) = (self.server.user_rate_limit(), self.server.app_rate_limit());
        for (name, limit) in [("rate_limit", user), ("app_rate_limit", app)] {
            if let Some(problem) = limit.problem() {
                return Err(ConfigError::Invalid(format!(
                    "server.{name}_per_second and server.{name}_burst: {problem}"
                )));
            }
        }
        let limited = |l: crate::http::rate_limit::Limit| l.per_second > 0.0;
        if limited(app)
            && limited(user)
            && (app.per_second < user.per_second || app.burst < user.burst)
        {
            return Err(ConfigError::Invalid(
                "server.app_rate_limit_per_second and server.app_rate_limit_burst must be at least \
                 server.rate_limit_per_second and server.rate_limit_burst (a user cannot use more than its app)"
                    .into(),
            ));
        }
        Ok(())
    }

    pub fn page_link_key(&self) -> Option<[u8; 32]> {
        key_32(&self.fhir.page_link_key)
    }

    /// The configured key of the national identifiers' pseudonyms, if one is.
    pub fn pseudonym_key(&self) -> Option<[u8; 32]> {
        key_32(&self.telemetry.pseudonym_key)
    }

    /// `http://host:port` unless a public base URL is configured. `port` is the bound port
    /// (which differs from the configured one when that is 0).
    pub fn public_base_url(&self, port: u16) -> String {
        let configured = self.server.public_base_url.trim().trim_end_matches('/');
        if configured.is_empty() {
            format!("http://{}:{}", self.server.host, port)
        } else {
            configured.to_owned()
        }
    }
}

#[cfg(test)]
impl Settings {
    /// The defaults changed as the production profile needs them, for tests of its checks.
    pub(crate) fn production_for_tests() -> Settings {
        let mut s = Settings::defaults();
        s.profile = Profile::Production;
        s.auth.dev_issuer.enabled = false;
        s.dev_eid.enabled = false;
        // Production names its national eIDs instead of the dev eID of the defaults.
        s.auth.eid.clear();
        s.telemetry.pseudonym_key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".into();
        s.server.public_base_url = "https://gateway.example.org".into();
        // Production registers its own clients instead of the example app of the defaults.
        s.auth.server.example_app = false;
        s.auth.clients.clear();
        s
    }
}

/// The 32 bytes a base64 setting holds, if it holds exactly 32.
fn key_32(base64_text: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_text.trim())
        .ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_load_and_validate() {
        let s = Settings::defaults();
        s.validate().unwrap();
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.profile, Profile::Dev);
        assert_eq!(s.portal.countries.len(), 4);
        assert_eq!(s.public_base_url(8080), "http://127.0.0.1:8080");
        assert_eq!(s.database.url, "sqlite://./data/gateway.db");
    }

    #[test]
    fn database_settings_are_checked() {
        let mut s = Settings::defaults();
        s.database.url = "mysql://localhost/gateway".into();
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("database.url")
        );
        s.database.url = "postgres://postgres@127.0.0.1:5432/test".into();
        s.database.schema = "bad schema; drop".into();
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("database.schema")
        );
        s.database.schema = "gateway_1".into();
        s.validate().unwrap();
        s.database.max_connections = 0;
        assert!(s.validate().is_err());
    }

    #[test]
    fn rate_limits_are_checked_and_the_app_ceiling_is_not_below_a_user() {
        let defaults = Settings::defaults();
        defaults.validate().unwrap();
        assert!(defaults.server.app_rate_limit_per_second > defaults.server.rate_limit_per_second);
        let refused = |change: &dyn Fn(&mut ServerSettings)| {
            let mut s = Settings::defaults();
            change(&mut s.server);
            s.validate().unwrap_err().to_string()
        };
        assert!(refused(&|s| s.rate_limit_burst = 0).contains("burst of at least 1"));
        assert!(refused(&|s| s.app_rate_limit_per_second = -1.0).contains("from 0"));
        assert!(refused(&|s| s.app_rate_limit_per_second = 1.0).contains("at least"));
        assert!(refused(&|s| s.app_rate_limit_burst = 1).contains("at least"));
        let mut s = Settings::defaults();
        // No limit per user, the app's ceiling still holds.
        s.server.rate_limit_per_second = 0.0;
        s.validate().unwrap();
        s.server.rate_limit_per_second = 0.0;
        s.server.app_rate_limit_per_second = 0.0;
        s.validate().unwrap();
        s.server.rate_limit_per_second = 0.5;
        s.server.rate_limit_burst = 1;
        s.validate().unwrap();
    }

    #[test]
    fn every_country_is_embedded_by_default_and_http_sources_are_checked() {
        let s = Settings::defaults();
        for country in Country::ALL {
            assert_eq!(s.portal.source(country), SourceSettings::Embedded);
        }
        let mut s = Settings::defaults();
        s.portal
            .sources
            .insert("no".into(), SourceSettings::Http(Box::default()));
        assert!(s.validate().unwrap_err().to_string().contains("base_url"));
        let mut s = Settings::defaults();
        s.portal
            .sources
            .insert("NO".into(), SourceSettings::Embedded);
        assert!(s.validate().unwrap_err().to_string().contains("lower-case"));
    }

    #[test]
    fn an_http_source_takes_the_defaults_for_what_it_does_not_say() {
        let toml = r#"
            [portal.sources.no]
            kind = "http"
            base_url = "https://portal-no.example.org/registry"
            listing = true
            breaker = { failures = 3 }
        "#;
        let s: Settings = Figment::from(Toml::string(DEFAULT_CONFIG))
            .merge(Toml::string(toml))
            .extract()
            .unwrap();
        s.validate().unwrap();
        let SourceSettings::Http(http) = s.portal.source(Country::No) else {
            panic!("NO is http");
        };
        assert_eq!(http.base_url, "https://portal-no.example.org/registry");
        assert!(http.listing);
        assert_eq!(http.breaker.failures, 3);
        assert_eq!(http.breaker.open_seconds, 10);
        assert_eq!(http.timeout_ms, 2000);
        assert_eq!(s.portal.source(Country::Se), SourceSettings::Embedded);
        let unknown =
            "[portal.sources.se]\nkind = \"http\"\nbase_url = \"http://x\"\ntimeuot_ms = 5\n";
        let typo: Result<Settings, _> = Figment::from(Toml::string(DEFAULT_CONFIG))
            .merge(Toml::string(unknown))
            .extract();
        assert!(typo.is_err(), "a misspelt option is refused");
    }

    /// `config/default.toml` documents every option of an HTTP source with its default, in
    /// a commented example; this keeps that example equal to the code's defaults.
    #[test]
    fn the_documented_http_source_defaults_are_the_real_ones() {
        let example: String = DEFAULT_CONFIG
            .lines()
            .skip_while(|l| !l.starts_with("# [portal.sources.no]"))
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim_start())
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(
            example.contains("kind = \"http\""),
            "the example is in default.toml"
        );
        let s: Settings = Figment::from(Toml::string(DEFAULT_CONFIG))
            .merge(Toml::string(&example))
            .extract()
            .unwrap();
        let SourceSettings::Http(documented) = s.portal.source(Country::No) else {
            panic!("the example is an http source");
        };
        let defaults = HttpSourceSettings {
            base_url: documented.base_url.clone(),
            ..HttpSourceSettings::default()
        };
        assert_eq!(*documented, defaults);
    }

    /// The example of the README is a valid configuration.
    #[test]
    fn the_readme_example_of_an_http_source_is_valid() {
        let readme = include_str!("../README.md");
        let example: String = readme
            .lines()
            .skip_while(|l| !l.starts_with("[portal.sources.no]"))
            .take_while(|l| !l.starts_with("```"))
            .map(|l| format!("{l}\n"))
            .collect();
        let s: Settings = Figment::from(Toml::string(DEFAULT_CONFIG))
            .merge(Toml::string(&example))
            .extract()
            .unwrap();
        s.validate().unwrap();
        let SourceSettings::Http(http) = s.portal.source(Country::No) else {
            panic!("the README configures an http source");
        };
        assert!(http.oauth_enabled());
        assert_eq!(http.breaker.failures, 5);
    }

    #[test]
    fn production_refuses_the_dev_issuer() {
        let mut s = Settings::defaults();
        s.profile = Profile::Production;
        assert!(s.validate().unwrap_err().to_string().contains("dev_issuer"));
        s.auth.dev_issuer.enabled = false;
        assert!(s.validate().unwrap_err().to_string().contains("dev_eid"));
        s.dev_eid.enabled = false;
        assert!(s.validate().unwrap_err().to_string().contains("auth.eid"));
        s.auth.eid.clear();
        s.telemetry.pseudonym_key = KEY.into();
        s.server.public_base_url = "https://gateway.example.org".into();
        s.auth.server.example_app = false;
        s.auth.clients.clear();
        s.validate().unwrap();
    }

    fn production_error(change: impl FnOnce(&mut Settings)) -> String {
        let mut s = production();
        change(&mut s);
        s.validate().unwrap_err().to_string()
    }

    #[test]
    fn production_refuses_the_example_app() {
        let error = production_error(|s| s.auth.server.example_app = true);
        assert!(error.contains("auth.server.example_app"), "{error}");
        assert!(error.contains("production"), "{error}");
        let defaults = Settings::defaults();
        let error = production_error(|s| s.auth.clients = defaults.auth.clients.clone());
        assert!(error.contains("auth.clients.example-app"), "{error}");
        let mut renamed = defaults.auth.clients[0].clone();
        renamed.client_id = "my-app".into();
        let error = production_error(|s| s.auth.clients = vec![renamed.clone()]);
        assert!(error.contains("/auth/example-callback"), "{error}");
        renamed.redirect_uris = vec!["https://app.example.org/callback".into()];
        let mut s = production();
        s.auth.clients = vec![renamed];
        s.validate().unwrap();
        // Without the authorization server there is no example app to serve.
        let mut s = production();
        s.auth.server.enabled = false;
        s.auth.server.example_app = true;
        s.validate().unwrap();
    }

    #[test]
    fn production_refuses_a_public_base_url_without_https() {
        for url in [
            "",
            "http://gateway.example.org",
            "  http://gateway.example.org/ ",
        ] {
            let error = production_error(|s| s.server.public_base_url = url.into());
            assert!(error.contains("server.public_base_url"), "{url:?}: {error}");
            assert!(error.contains("https://"), "{url:?}: {error}");
        }
        let mut s = production();
        s.profile = Profile::Dev;
        s.server.public_base_url = "http://gateway.example.org".into();
        s.validate().unwrap();
    }

    #[test]
    fn production_refuses_to_run_without_a_rate_limit() {
        let error = production_error(|s| s.server.rate_limit_per_second = 0.0);
        assert!(
            error.contains("server.rate_limit_per_second = 0"),
            "{error}"
        );
        assert!(error.contains("production"), "{error}");
        let mut s = production();
        s.profile = Profile::Dev;
        s.server.rate_limit_per_second = 0.0;
        s.validate().unwrap();
    }

    #[test]
    fn production_refuses_a_fixed_date() {
        let error =
            production_error(|s| s.clock.fixed_today = Some(time::macros::date!(2026 - 11 - 23)));
        assert!(error.contains("clock.fixed_today"), "{error}");
        let mut s = production();
        s.profile = Profile::Dev;
        s.clock.fixed_today = Some(time::macros::date!(2026 - 11 - 23));
        s.validate().unwrap();
    }

    const KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

    fn production() -> Settings {
        let s = Settings::production_for_tests();
        s.validate().unwrap();
        s
    }

    #[test]
    fn production_needs_a_pseudonym_key() {
        let mut s = production();
        s.telemetry.pseudonym_key = String::new();
        let error = s.validate().unwrap_err().to_string();
        assert!(error.contains("telemetry.pseudonym_key"), "{error}");
        s.telemetry.pseudonym_key = "   ".into();
        assert!(s.validate().is_err(), "blank is no key");
        s.profile = Profile::Dev;
        s.validate().unwrap();
        assert_eq!(s.pseudonym_key(), None, "dev: a random key per process");
    }

    #[test]
    fn a_pseudonym_key_must_be_32_bytes() {
        let mut s = Settings::defaults();
        s.telemetry.pseudonym_key = "c2hvcnQ=".into();
        let error = s.validate().unwrap_err().to_string();
        assert!(error.contains("telemetry.pseudonym_key"), "{error}");
        s.telemetry.pseudonym_key = KEY.into();
        s.validate().unwrap();
        assert_eq!(s.pseudonym_key(), Some([1u8; 32]));
    }

    #[test]
    fn the_dev_eid_is_on_in_the_dev_defaults_with_the_gateway_as_client() {
        let s = Settings::defaults();
        assert!(s.dev_eid.enabled);
        let client = &s.dev_eid.clients[0];
        assert_eq!(client.redirect_uris, ["{base_url}/auth/eid/callback"]);
        let mut s = Settings::defaults();
        s.dev_eid.clients[0].redirect_uris.clear();
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("redirect URI")
        );
    }

    #[test]
    fn a_page_link_key_must_be_32_bytes() {
        let mut s = Settings::defaults();
        s.fhir.page_link_key = "c2hvcnQ=".into();
        assert!(s.validate().is_err());
        s.fhir.page_link_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
        s.validate().unwrap();
        assert_eq!(s.page_link_key(), Some([0u8; 32]));
    }
}
