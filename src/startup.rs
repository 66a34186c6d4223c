//! Building the application from settings: used by `main` and by the tests.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::access::{ConsentAccess, DataAccess};
use crate::audit::AuditLog;
use crate::auth::dev_issuer::DevIssuer;
use crate::auth::verifier::{TokenVerifier, VerifierSettings};
use crate::config::{Settings, SourceSettings};
use crate::fhir::capability::{CapabilityInput, SmartEndpoints, capability_statement};
use crate::fhir::search::{PageSealer, SearchLimits};
use crate::http::rate_limit::RateLimits;
use crate::http::state::{AppState, IssuerClaims};
use crate::portal::embedded::EmbeddedSource;
use crate::portal::http::HttpSource;
use crate::portal::{PortalSource, Portals};
use crate::store::Store;
use crate::telemetry::{GatewayRootSpan, metrics_handle};

pub struct Application {
    port: u16,
    base_url: String,
    portals: Portals,
    clock: crate::clock::Clock,
    server: Server,
    ncp: Option<crate::ncp::NcpListener>,
    /// SQLite: the database file is this process's while the application lives.
    _sqlite_lock: Option<std::fs::File>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        settings.validate()?;
        install_pseudonym_key(&settings)?;
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        let base_url = settings.public_base_url(port);
        // Without its store the gateway would serve nothing (fail closed), so it does not
        // start: the orchestrator retries.
        let store = Store::open(&settings.database).await?;
        // On SQLite a gateway that keeps Consents in memory hears only its own writes, so it
        // must be the file's only gateway; without the cache several may share it.
        let sqlite_lock = store
            .sqlite_file()
            .filter(|_| settings.database.consent_cache_patients > 0)
            .map(|file| file.lock_for_this_process())
            .transpose()?;
        store.listen_for_consent_changes();
        let (state, authz) = app_state(&settings, &base_url, store)?;
        let state = web::Data::new(state);
        let dev_eid = crate::dev_eid::DevEid::from_settings(
            &settings.dev_eid,
            &base_url,
            state.access.clock().clone(),
        )?;
        let portals = state.access.portals().clone();
        let clock = state.access.clock().clone();
        let cors_origins = crate::authz::cors_origins(authz.as_deref(), &base_url);
        if let Some(server) = &authz {
            let every = Duration::from_secs(settings.auth.server.revocation_poll_seconds);
            crate::authz::revocation::spawn_poller(Arc::downgrade(server), every);
            if settings.profile == crate::config::Profile::Dev
                && settings.auth.server.print_example
                && let Some(banner) = server.example_banner()
            {
                println!("{banner}");
            }
        }
        let authz = authz.map(web::Data::from);
        let ncp = crate::ncp::start(&settings, &state, authz.as_ref())?;
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let server = HttpServer::new(move || {
            App::new()
                .wrap(crate::authz::cors::cors(&cors_origins))
                .wrap(Compress::default())
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "no-referrer"))
                        .add(("Strict-Transport-Security", "max-age=31536000")),
                )
                // Inside the logger, which assigns the request id that this one passes on.
                .wrap(crate::http::request_id::RequestIdHeader)
                .wrap(TracingLogger::<GatewayRootSpan>::new())
                .app_data(state.clone())
                .configure(|cfg| {
                    if let Some(eid) = &dev_eid {
                        cfg.app_data(eid.clone());
                    }
                    if let Some(authz) = &authz {
                        cfg.app_data(authz.clone());
                    }
                })
                .configure(crate::http::routes)
        })
        .workers(workers)
        .shutdown_timeout(settings.server.shutdown_timeout_seconds)
        .listen(listener)?
        .run();
        tracing::info!(%base_url, "ehds-gateway listening");
        Ok(Application {
            port,
            base_url,
            portals,
            clock,
            server,
            ncp,
            _sqlite_lock: sqlite_lock,
        })
    }

    /// The NCP listener's port and base URL (`https://...`), when `[ncp]` enables it.
    pub fn ncp(&self) -> Option<(u16, &str)> {
        self.ncp.as_ref().map(|n| (n.port, n.base_url.as_str()))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The national sources this application serves from; through it, e.g., a listener for
    /// a national system's change notices invalidates cached records.
    pub fn portals(&self) -> Portals {
        self.portals.clone()
    }

    /// The gateway's clock (tests move a pinned one on).
    pub fn clock(&self) -> crate::clock::Clock {
        self.clock.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Held until the servers have stopped.
        let _sqlite_lock = self._sqlite_lock;
        match self.ncp {
            None => self.server.await,
            Some(ncp) => futures_util::future::try_join(self.server, ncp.server)
                .await
                .map(drop),
        }
    }
}

/// Installs the configured key of the national identifiers' pseudonyms before anything is
/// logged. Without one (dev profile only), pseudonyms are made under a random key of the
/// process.
fn install_pseudonym_key(settings: &Settings) -> anyhow::Result<()> {
    use crate::national_id::pseudonym::{self, PseudonymKey};
    if let Some(bytes) = settings.pseudonym_key() {
        pseudonym::install(PseudonymKey::new(&bytes))?;
    }
    Ok(())
}

/// Each served country's source, as configured: the embedded data set or an HTTP upstream.
fn portal_sources(
    settings: &Settings,
    clock: &crate::clock::Clock,
) -> anyhow::Result<Vec<Arc<dyn PortalSource>>> {
    let mut embedded = EmbeddedSource::load_all()?;
    let mut sources: Vec<Arc<dyn PortalSource>> = Vec::new();
    for &country in &settings.portal.countries {
        match settings.portal.source(country) {
            SourceSettings::Embedded => {
                let index = embedded
                    .iter()
                    .position(|s| s.country() == country)
                    .ok_or_else(|| anyhow::anyhow!("no embedded data for {country:?}"))?;
                sources.push(Arc::new(embedded.swap_remove(index)));
            }
            SourceSettings::Http(http) => {
                let source = HttpSource::new(country, &http, clock.clone()).map_err(|e| {
                    anyhow::anyhow!("portal.sources.{}: {e}", country.code().to_lowercase())
                })?;
                tracing::info!(country = country.code(), base_url = %http.base_url.trim(),
                    "portal data from an HTTP upstream");
                sources.push(Arc::new(source));
            }
        }
    }
    Ok(sources)
}

type AuthzServer = Option<Arc<crate::authz::AuthServer>>;

fn app_state(
    settings: &Settings,
    base_url: &str,
    store: Store,
) -> anyhow::Result<(AppState, AuthzServer)> {
    // The recorder first, so that the sources' first gauges are recorded.
    let metrics = metrics_handle();
    let clock = crate::clock::Clock::from_settings(&settings.clock);
    let sources = portal_sources(settings, &clock)?;
    let limits = SearchLimits {
        default_count: settings.fhir.default_count,
        max_count: settings.fhir.max_count,
        max_params: settings.fhir.max_search_params,
        max_patients: settings.fhir.max_patients_per_search,
    };
    let fhir_base = format!("{base_url}/fhir");
    let mut issuers = settings.auth.trusted_issuers.clone();
    if settings.auth.dev_issuer.enabled {
        let dev =
            DevIssuer::load_or_create(Path::new(&settings.auth.dev_issuer.key_file), base_url)?;
        tracing::warn!(issuer = %dev.issuer, "the dev token issuer is enabled; never in production");
        issuers.push(dev.trusted_issuer());
    }
    let authz_keys = crate::authz::load_keys(settings)?;
    let own_issuer = authz_keys
        .as_ref()
        .map(|keys| crate::authz::own_trusted_issuer(keys, base_url, &settings.auth.server));
    issuers.extend(own_issuer.clone());
    let issuer_claims: std::collections::HashMap<String, IssuerClaims> = issuers
        .iter()
        .map(|i| {
            let claims = IssuerClaims {
                national_id_country: i.national_id_country,
                professional_id_claim: i.professional_id_claim.clone(),
                actor_from_fhir_user: own_issuer.as_ref().is_some_and(|o| o.issuer == i.issuer),
                organization_claim: i.organization_claim.clone(),
                professional_issuer: i.professional_issuer,
                citizen_min_acr: i.citizen_min_acr.clone(),
                acr_levels: i.acr_levels.clone(),
            };
            (i.issuer.clone(), claims)
        })
        .collect();
    let verifier = TokenVerifier::new(VerifierSettings {
        issuers,
        token_cache_capacity: settings.auth.token_cache_capacity,
        jwks_cache_ttl: Duration::from_secs(settings.auth.jwks_cache_ttl_seconds),
        jwks_min_refresh_interval: Duration::from_secs(settings.auth.jwks_min_refresh_seconds),
        http_timeout: Duration::from_secs(settings.auth.http_timeout_seconds),
        clock: clock.clone(),
    })?;
    let sealer = match settings.page_link_key() {
        Some(key) => PageSealer::new(&key),
        None => PageSealer::random(),
    };
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let own = |path: &str| {
        authz_keys
            .as_ref()
            .map(|_| format!("{base_url}/auth/{path}"))
    };
    let smart = SmartEndpoints {
        authorize: non_empty(&settings.auth.smart.authorize_endpoint).or_else(|| own("authorize")),
        token: non_empty(&settings.auth.smart.token_endpoint).or_else(|| own("token")),
        introspect: own("introspect"),
        revoke: own("revoke"),
    };
    let capability = capability_statement(&CapabilityInput {
        base_url: &fhir_base,
        version: env!("CARGO_PKG_VERSION"),
        date: &crate::mapping::instant(time::OffsetDateTime::now_utc()),
        smart: &smart,
    });
    let portals = Portals::new(sources);
    let verifier = Arc::new(verifier);
    let audit = AuditLog::start(&store, &settings.audit, base_url);
    let access = DataAccess::new(portals.clone(), store.consents(), fhir_base.clone(), limits)
        .with_clock(clock.clone())
        .with_break_the_glass(settings.consent.break_the_glass.clone())
        .with_own_use_ages(settings.consent.own_use_minimum_age);
    let authz = match authz_keys {
        Some(keys) => Some(Arc::new(crate::authz::AuthServer::new(
            settings,
            base_url,
            keys,
            store.authz(),
            &access,
            verifier.revocations(),
            audit.clone(),
        )?)),
        None => None,
    };
    let state = AppState {
        access,
        consents: ConsentAccess::new(
            store.consents(),
            fhir_base.clone(),
            limits,
            settings.consent.health_data_access_bodies.clone(),
        )
        .with_portals(portals.clone())
        .with_clock(clock)
        .enforcing(crate::consent::validation::Enforceable {
            organizations: issuer_claims
                .values()
                .any(|c| c.organization_claim.is_some()),
        }),
        audit,
        store,
        verifier,
        sealer,
        limits,
        base_url: base_url.to_owned(),
        capability: serde_json::to_value(crate::fhir::Resource::CapabilityStatement(capability))?,
        metrics,
        max_body_bytes: settings.server.max_body_bytes,
        issuer_claims,
        rate_limiter: RateLimits::new(
            settings.server.user_rate_limit(),
            settings.server.app_rate_limit(),
        ),
    };
    Ok((state, authz))
}
