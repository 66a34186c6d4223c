//! The SMART App Launch 2.2 authorization server (R4-R10, R34, R38, R43, R44) under `/auth/`.
//!
//! Citizens' apps get patient-context tokens through the authorization code flow with PKCE:
//! `authorize` checks the client's request, the citizen logs in with their country's eID
//! (`crate::eid`), chooses whom to represent (`choose`), approves the app (`approve`), and the
//! app exchanges the code at `token`. Backend services get `system/*` tokens through
//! `client_credentials` with a `private_key_jwt` assertion. Tokens are ES256 JWTs that the
//! gateway's own resource server verifies like any trusted issuer's, plus a revocation check.
//!
//! One file per job: `settings`, `keys` (signing keys, JWKS, rotation), `clients` (registry,
//! scopes), `client_assertion`, `tokens` (minting, secrets, PKCE), `flow` (the pending
//! request across the pages), `pages` (HTML), `cookies`, `error` (OAuth errors), `revocation`
//! (the store-fed revocation set), `cors`, and one file per endpoint.

pub mod account;
pub mod account_grants;
pub mod approve;
pub mod audit;
pub mod authorize;
pub mod choose;
pub mod client_assertion;
pub mod clients;
pub mod cookies;
pub mod cors;
pub mod discovery;
pub mod eid_callback;
pub mod error;
pub mod flow;
pub mod introspect;
pub mod keys;
pub mod pages;
pub mod revocation;
pub mod revoke;
pub mod settings;
pub mod token;
pub mod tokens;

use std::sync::Arc;

use actix_web::web;

use crate::auth::revocation::RevokedTokens;
use crate::auth::verifier::TrustedIssuer;
use crate::eid::EidProviders;
use crate::portal::Portals;
use crate::store::AuthzStore;

use clients::ClientRegistry;
use keys::SigningKeys;
use settings::ServerSettings;

/// Everything the endpoints share.
pub struct AuthServer {
    pub settings: ServerSettings,
    /// `iss` of our tokens: the gateway's base URL (its discovery document is at
    /// `/.well-known/openid-configuration`).
    pub issuer: String,
    /// The audience of access tokens: the FHIR base URL.
    pub fhir_base: String,
    pub keys: SigningKeys,
    pub clients: ClientRegistry,
    pub store: AuthzStore,
    pub revoked: Arc<RevokedTokens>,
    pub eid: EidProviders,
    pub portals: Portals,
    /// For fetching clients' JWK sets.
    pub http: reqwest::Client,
    pub revocation_watermark: revocation::Watermark,
    /// The access log (R38): logins, tokens issued and revoked, grants withdrawn.
    pub audit: crate::audit::AuditLog,
    /// The date that decides whom a citizen may act for (ages, powers of attorney).
    pub clock: crate::clock::Clock,
    /// Denmark's and Finland's own-use ages (R44).
    pub own_use_ages: crate::consent::settings::OwnUseAges,
}

/// What is wrong with the authorization server's configuration, if anything.
pub fn settings_problem(auth: &crate::config::AuthSettings) -> Option<String> {
    let server = &auth.server;
    if server.access_token_seconds == 0
        || server.code_seconds == 0
        || server.flow_minutes == 0
        || server.session_hours == 0
    {
        return Some("auth.server: lifetimes must be positive".into());
    }
    if server.system_token_seconds == 0
        || server.system_token_seconds > settings::MAX_SYSTEM_TOKEN_SECONDS
    {
        return Some(format!(
            "auth.server.system_token_seconds must be 1..={}",
            settings::MAX_SYSTEM_TOKEN_SECONDS
        ));
    }
    if server.revocation_poll_seconds == 0 {
        return Some("auth.server.revocation_poll_seconds must be at least 1".into());
    }
    if let Err(problem) = ClientRegistry::new(&auth.clients, "http://localhost") {
        return Some(problem);
    }
    auth.eid.iter().find_map(|e| e.problem())
}

/// The gateway as a trusted issuer of its own resource server: the current and previous
/// public keys given statically, the FHIR base as audience, and as the longest lifetime
/// that of the longest-lived token it issues (whatever `access_token_seconds` is set to).
pub fn own_trusted_issuer(
    keys: &SigningKeys,
    base_url: &str,
    settings: &ServerSettings,
) -> TrustedIssuer {
    TrustedIssuer {
        issuer: base_url.to_owned(),
        audiences: vec![format!("{base_url}/fhir")],
        jwks_uri: None,
        jwks: Some(keys.jwks()),
        algorithms: vec!["ES256".into()],
        national_id_claim: None,
        national_id_country: None,
        professional_id_claim: None,
        organization_claim: None,
        professional_issuer: false,
        // Its tokens come only from eID logins that met the country's minimum (R1, checked
        // at the login); the token itself carries no `acr`.
        citizen_min_acr: String::new(),
        acr_levels: crate::auth::default_acr_levels(),
        leeway_seconds: 30,
        max_lifetime_seconds: settings
            .access_token_seconds
            .max(settings.system_token_seconds),
    }
}

/// The web origins allowed by CORS: the clients' registered ones and the gateway's own.
pub fn cors_origins(server: Option<&AuthServer>, base_url: &str) -> Vec<String> {
    let mut origins = server.map(|s| s.clients.origins()).unwrap_or_default();
    if let Ok(url) = reqwest::Url::parse(base_url) {
        origins.push(url.origin().ascii_serialization());
    }
    origins.sort();
    origins.dedup();
    origins
}

/// Loads the signing keys when the authorization server is enabled.
pub fn load_keys(settings: &crate::config::Settings) -> anyhow::Result<Option<SigningKeys>> {
    if !settings.auth.server.enabled {
        return Ok(None);
    }
    let server = &settings.auth.server;
    Ok(Some(SigningKeys::load(
        std::path::Path::new(&server.key_file),
        &server.previous_key_files,
    )?))
}

impl AuthServer {
    pub fn new(
        settings: &crate::config::Settings,
        base_url: &str,
        keys: SigningKeys,
        store: AuthzStore,
        access: &crate::access::DataAccess,
        revoked: Arc<RevokedTokens>,
        audit: crate::audit::AuditLog,
    ) -> anyhow::Result<AuthServer> {
        let clients =
            ClientRegistry::new(&settings.auth.clients, base_url).map_err(anyhow::Error::msg)?;
        let eid = EidProviders::new(&settings.auth.eid, base_url).map_err(anyhow::Error::msg)?;
        if !cookies::secure_context(base_url) {
            tracing::warn!(
                base_url,
                "the login cookies are Secure (__Host-): browsers drop them over plain http \
                 except on localhost or 127.0.0.1; set server.public_base_url to the https URL"
            );
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(
                settings.auth.http_timeout_seconds,
            ))
            .build()?;
        Ok(AuthServer {
            settings: settings.auth.server.clone(),
            issuer: base_url.to_owned(),
            fhir_base: format!("{base_url}/fhir"),
            keys,
            clients,
            store,
            revoked,
            eid,
            // The portals, date and age rules of the FHIR side: whom a citizen may act for at
            // login is decided as their requests will be.
            portals: access.portals().clone(),
            own_use_ages: access.own_use_ages(),
            http,
            revocation_watermark: revocation::Watermark::default(),
            audit,
            clock: access.clock().clone(),
        })
    }

    /// The example client's authorize URL and its PKCE verifier, printed at start-up in
    /// the dev profile so that a newcomer can try the flow in a browser.
    pub fn example_banner(&self) -> Option<String> {
        if !self.settings.example_app {
            return None;
        }
        let client = self.clients.get(settings::EXAMPLE_CLIENT_ID)?;
        let verifier = tokens::random_secret();
        let challenge = {
            use base64::Engine;
            use sha2::Digest;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(verifier.as_bytes()))
        };
        let url = self.example_authorize_url(client.id(), &challenge)?;
        Some(format!(
            "\nTry the SMART login with the example app:\n  export VERIFIER={verifier}\n  open {url}\n"
        ))
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/auth/token", self.issuer)
    }

    /// The example client's authorize URL, for the start-up banner of the dev profile.
    pub fn example_authorize_url(&self, client_id: &str, code_challenge: &str) -> Option<String> {
        let client = self.clients.get(client_id)?;
        let redirect = client.settings.redirect_uris.first()?;
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect.as_str()),
            (
                "scope",
                "launch/patient openid fhirUser offline_access patient/*.rs",
            ),
            ("state", "example-state"),
            ("aud", self.fhir_base.as_str()),
            ("code_challenge", code_challenge),
            ("code_challenge_method", "S256"),
        ])
        .ok()?;
        Some(format!("{}/auth/authorize?{query}", self.issuer))
    }
}

/// Whether the application runs an authorization server (`auth.server.enabled`).
fn enabled(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    ctx.app_data::<web::Data<AuthServer>>().is_some()
}

/// Whether the example client's callback page is served (`auth.server.example_app`): it
/// displays the authorization codes it receives, so it is off unless asked for, and the
/// production profile refuses it.
fn example_app(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    ctx.app_data::<web::Data<AuthServer>>()
        .is_some_and(|server| server.settings.example_app)
}

/// The routes of the authorization server and the discovery documents; absent (404) when
/// the authorization server is disabled.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/.well-known/openid-configuration")
            .guard(actix_web::guard::fn_guard(enabled))
            .route(web::get().to(discovery::openid_configuration)),
    )
    .service(
        web::resource("/fhir/.well-known/smart-configuration")
            .guard(actix_web::guard::fn_guard(enabled))
            .route(web::get().to(discovery::smart_configuration)),
    )
    .service(
        web::scope("/auth")
            .guard(actix_web::guard::fn_guard(enabled))
            .route("/authorize", web::get().to(authorize::authorize))
            .route("/login", web::post().to(authorize::choose_country))
            .route("/eid/callback", web::get().to(eid_callback::callback))
            .route("/choose", web::get().to(choose::page))
            .route("/choose", web::post().to(choose::submit))
            .route("/approve", web::get().to(approve::page))
            .route("/approve", web::post().to(approve::submit))
            .route("/token", web::post().to(token::token))
            .route("/introspect", web::post().to(introspect::introspect))
            .route("/revoke", web::post().to(revoke::revoke))
            .route("/jwks", web::get().to(discovery::jwks))
            .service(
                web::resource("/example-callback")
                    .guard(actix_web::guard::fn_guard(example_app))
                    .route(web::get().to(approve::example_callback)),
            )
            .route("/account", web::get().to(account::page))
            .route("/account/login", web::get().to(account::login))
            .route("/account/grants", web::get().to(account::grants_json))
            .route("/account/sessions", web::get().to(account::sessions_json))
            .route(
                "/account/grants/{id}",
                web::delete().to(account::revoke_grant_json),
            )
            .route(
                "/account/sessions/{id}",
                web::delete().to(account::revoke_session_json),
            )
            .route(
                "/account/grants/{id}/revoke",
                web::post().to(account::revoke_grant_form),
            )
            .route(
                "/account/sessions/{id}/revoke",
                web::post().to(account::revoke_session_form),
            ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use serde_json::json;

    fn problem(change: impl FnOnce(&mut crate::config::AuthSettings)) -> String {
        let mut settings = Settings::defaults();
        change(&mut settings.auth);
        settings_problem(&settings.auth).unwrap_or_default()
    }

    fn client(value: serde_json::Value) -> settings::ClientSettings {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_defaults_are_valid_and_bad_entries_are_named() {
        assert_eq!(problem(|_| {}), "");
        assert!(problem(|a| a.server.system_token_seconds = 301).contains("system_token_seconds"));
        assert!(problem(|a| a.server.revocation_poll_seconds = 0).contains("revocation_poll"));
        let public_system = client(json!({"client_id": "x", "name": "X", "kind": "public",
            "redirect_uris": ["https://x.example/cb"], "scopes": ["system/*.rs"]}));
        assert!(problem(|a| a.clients.push(public_system)).contains("system scopes"));
        let keyless = client(
            json!({"client_id": "y", "name": "Y", "kind": "confidential-asymmetric", "scopes": ["system/*.rs"]}),
        );
        assert!(problem(|a| a.clients.push(keyless)).contains("jwks or jwks_uri"));
        let fragment = client(json!({"client_id": "z", "name": "Z", "kind": "public",
            "redirect_uris": ["https://z.example/cb#x"], "scopes": ["openid"]}));
        assert!(problem(|a| a.clients.push(fragment)).contains("without fragment"));
        assert!(
            problem(|a| {
                let twice = a.clients[0].clone();
                a.clients.push(twice);
            })
            .contains("registered twice")
        );
        assert!(problem(|a| a.eid[0].min_acr = "Level4".into()).contains("min_acr"));
        assert!(problem(|a| a.eid[0].scopes = vec!["profile".into()]).contains("openid"));
        assert!(problem(|a| a.eid[0].client_secret.clear()).contains("private_key_file"));
    }
}
