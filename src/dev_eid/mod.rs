//! The dev eID: an embedded OpenID Provider of the dev profile, at `/dev-eid/`, whose login
//! page lists the synthetic people of the embedded data set (and accepts a typed national
//! ID), so that a newcomer can run the whole citizen login with `cargo run` and a browser or
//! curl. To a relying party it is an ordinary provider: discovery, JWKS, the authorization
//! code flow with PKCE (S256), client secrets, ES256-signed ID tokens carrying the national
//! identifier in `pid` and the eIDAS level in `acr`. Its state (login pages, codes) lives in
//! memory. The production profile refuses to start with it enabled.
//!
//! - [`settings`]: the `[dev_eid]` section; [`clients`]: the registered relying parties;
//! - [`people`]: who can log in; [`assurance`]: the levels of assurance;
//! - [`keys`]: the signing key and `GET jwks`; [`discovery`]: the OpenID configuration;
//! - [`authorize`]: `GET authorize` and `POST login`, with [`login_page`] as their HTML;
//! - [`flows`]: waiting logins and codes; [`token`]: `POST token`; [`id_token`]: its claims.

pub mod assurance;
mod authorize;
pub mod clients;
mod discovery;
mod flows;
pub mod id_token;
mod keys;
mod login_page;
pub mod people;
pub mod settings;
mod token;

use crate::clock::Clock;
use std::time::Duration;

use actix_web::{guard, web};

use crate::auth::signing_key::SigningKey;
use clients::Clients;
use flows::Flows;
use people::People;
use settings::DevEidSettings;

pub struct DevEid {
    /// `{public_base_url}/dev-eid`
    issuer: String,
    key: SigningKey,
    clients: Clients,
    people: People,
    flows: Flows,
    token_lifetime_seconds: i64,
    /// The gateway's clock: the ages shown beside the people offered.
    clock: Clock,
}

impl DevEid {
    pub fn new(settings: &DevEidSettings, base_url: &str, clock: Clock) -> anyhow::Result<DevEid> {
        Ok(DevEid {
            clock,
            issuer: format!("{base_url}/dev-eid"),
            key: keys::signing_key(&settings.key_file)?,
            clients: Clients::new(&settings.clients, base_url),
            people: People::embedded()?,
            flows: Flows::new(
                Duration::from_secs(settings.login_lifetime_seconds),
                Duration::from_secs(settings.code_lifetime_seconds),
            ),
            token_lifetime_seconds: i64::try_from(settings.token_lifetime_seconds)
                .unwrap_or(i64::MAX / 2),
        })
    }

    /// The dev eID of these settings when it is enabled, as application data for
    /// [`routes`].
    pub fn from_settings(
        settings: &DevEidSettings,
        base_url: &str,
        clock: Clock,
    ) -> anyhow::Result<Option<web::Data<DevEid>>> {
        if !settings.enabled {
            return Ok(None);
        }
        let eid = DevEid::new(settings, base_url, clock)?;
        tracing::warn!(issuer = %eid.issuer, "the dev eID is enabled; never in production");
        Ok(Some(web::Data::new(eid)))
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

/// The routes under `/dev-eid/`. They answer only in an application that holds a
/// `web::Data<DevEid>` (the dev eID is enabled); elsewhere the paths are unknown (404).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/dev-eid")
            .guard(guard::fn_guard(|ctx| {
                ctx.app_data::<web::Data<DevEid>>().is_some()
            }))
            .route(
                "/.well-known/openid-configuration",
                web::get().to(discovery::openid_configuration),
            )
            .route("/jwks", web::get().to(keys::jwks))
            .route("/authorize", web::get().to(authorize::authorize))
            .route("/login", web::post().to(authorize::login))
            .route("/token", web::post().to(token::token)),
    );
}
