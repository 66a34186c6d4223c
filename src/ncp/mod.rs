//! The listener for National Contact Points for eHealth (MyHealth@EU, DESIGN §1, R8).
//!
//! A second actix-web server, on its own address and port, speaking TLS 1.2/1.3 only with a
//! client certificate required and verified against the configured trust store and CRLs
//! (`tls.rs`); the certificate names the NCP and its country (`peer.rs`). Its certificate,
//! key, trust store and CRLs are reloaded on SIGHUP and when the files change, without
//! dropping connections (`reload.rs`). It serves only the cross-border services
//! (`crate::http::ncp`), from the same data access and store as the main listener, with its
//! own token verifier: NCP tokens must be bound to the connection's certificate. With the
//! authorization server on, the listener has its own token endpoint for `[[ncp.clients]]`
//! (`crate::http::ncp::token`), whose certificate-bound tokens its verifier accepts.

pub mod peer;
pub mod reload;
pub mod settings;
pub mod tls;

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::access::{ConsentAccess, DataAccess};
use crate::auth::verifier::{TokenVerifier, VerifierSettings};
use crate::authz::AuthServer;
use crate::authz::clients::ClientRegistry;
use crate::config::Settings;
use crate::fhir::search::PageSealer;
use crate::http::ncp::{NcpPolicy, NcpTokenEndpoint};
use crate::http::rate_limit::RateLimits;
use crate::http::state::AppState;
use crate::telemetry::GatewayRootSpan;

pub use settings::NcpSettings;

/// The running NCP listener.
pub struct NcpListener {
    pub port: u16,
    pub base_url: String,
    pub server: Server,
}

/// Starts the NCP listener when `[ncp]` enables it. `main` is the main listener's state,
/// whose data access, store and metrics it shares; `authz`, the authorization server, whose
/// keys sign the tokens of the listener's own token endpoint.
pub fn start(
    settings: &Settings,
    main: &AppState,
    authz: Option<&web::Data<AuthServer>>,
) -> anyhow::Result<Option<NcpListener>> {
    let ncp = &settings.ncp;
    if !ncp.enabled {
        return Ok(None);
    }
    let tls = Arc::new(tls::NcpTls::load(tls::TlsFiles::of(ncp))?);
    let config = tls.server_config()?;
    let listener = TcpListener::bind((ncp.host.as_str(), ncp.port))?;
    let port = listener.local_addr()?.port();
    let base_url = ncp.public_base_url(port);
    let state = web::Data::new(state(settings, main, &base_url, authz)?);
    let token_endpoint = token_endpoint(settings, &base_url, authz)?;
    let (summary_profile, summary_profile_by_country) =
        ncp.summary_profiles().map_err(anyhow::Error::msg)?;
    let policy = web::Data::new(NcpPolicy {
        countries: ncp.countries.clone(),
        summary_profile,
        summary_profile_by_country,
    });
    let workers = match settings.server.workers {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        n => n,
    };
    let server = HttpServer::new(move || {
        App::new()
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Strict-Transport-Security", "max-age=31536000")),
            )
            .wrap(crate::http::request_id::RequestIdHeader)
            .wrap(TracingLogger::<GatewayRootSpan>::new())
            .app_data(state.clone())
            .app_data(policy.clone())
            .configure(|cfg| {
                if let Some(endpoint) = &token_endpoint {
                    cfg.app_data(endpoint.clone());
                }
            })
            .configure(crate::http::ncp::routes)
    })
    .on_connect(peer::on_connect)
    .workers(workers)
    .shutdown_timeout(settings.server.shutdown_timeout_seconds)
    .listen_rustls_0_23(listener, config)?
    .run();
    let check_every =
        (ncp.reload_check_seconds > 0).then(|| Duration::from_secs(ncp.reload_check_seconds));
    actix_web::rt::spawn(reload::watch(tls, check_every));
    tracing::info!(%base_url, "NCP listener (mutual TLS) listening");
    Ok(Some(NcpListener {
        port,
        base_url,
        server,
    }))
}

/// The listener's `/auth/token` for `[[ncp.clients]]`, when the authorization server is on.
fn token_endpoint(
    settings: &Settings,
    base_url: &str,
    authz: Option<&web::Data<AuthServer>>,
) -> anyhow::Result<Option<web::Data<NcpTokenEndpoint>>> {
    let Some(server) = authz else {
        if !settings.ncp.clients.is_empty() {
            anyhow::bail!("ncp.clients need the authorization server (auth.server.enabled)");
        }
        return Ok(None);
    };
    let clients =
        ClientRegistry::new(&settings.ncp.clients, base_url).map_err(anyhow::Error::msg)?;
    Ok(Some(web::Data::new(NcpTokenEndpoint {
        server: server.clone(),
        clients,
        url: format!("{base_url}/auth/token"),
        audience: format!("{base_url}/fhir"),
    })))
}

/// The NCP listener's state: the main listener's data and store, its own FHIR base (for
/// fullUrls and page links) and its own token verifier, which trusts the configured NCP
/// token issuers and the gateway's own authorization server for this listener's audience
/// (sharing its revocations).
fn state(
    settings: &Settings,
    main: &AppState,
    base_url: &str,
    authz: Option<&web::Data<AuthServer>>,
) -> anyhow::Result<AppState> {
    let fhir_base = format!("{base_url}/fhir");
    let mut issuers = settings.ncp.trusted_issuers.clone();
    issuers.extend(authz.map(|server| {
        let mut own =
            crate::authz::own_trusted_issuer(&server.keys, &server.issuer, &server.settings);
        own.audiences = vec![fhir_base.clone()];
        own
    }));
    let verifier = TokenVerifier::new(VerifierSettings {
        issuers,
        token_cache_capacity: settings.auth.token_cache_capacity,
        jwks_cache_ttl: Duration::from_secs(settings.auth.jwks_cache_ttl_seconds),
        jwks_min_refresh_interval: Duration::from_secs(settings.auth.jwks_min_refresh_seconds),
        http_timeout: Duration::from_secs(settings.auth.http_timeout_seconds),
        clock: main.access.clock().clone(),
    })?;
    let verifier = match authz {
        Some(server) => verifier.sharing_revocations(server.revoked.clone()),
        None => verifier,
    };
    let sealer = match settings.page_link_key() {
        Some(key) => PageSealer::new(&key),
        None => PageSealer::random(),
    };
    Ok(AppState {
        access: DataAccess::new(
            main.access.portals().clone(),
            main.store.consents(),
            fhir_base.clone(),
            main.limits,
        )
        .with_clock(main.access.clock().clone())
        .with_break_the_glass(main.access.break_the_glass().clone())
        .with_own_use_ages(main.access.own_use_ages()),
        // No Consent route on this listener; nobody reads Consents through it.
        consents: ConsentAccess::new(main.store.consents(), fhir_base, main.limits, Vec::new()),
        store: main.store.clone(),
        // The same access log: NCP accesses and refusals are in the patient's log (R37).
        audit: main.audit.clone(),
        verifier: Arc::new(verifier),
        sealer,
        limits: main.limits,
        base_url: base_url.to_owned(),
        // The NCP listener serves no CapabilityStatement: its services are fixed by MyHealth@EU.
        capability: serde_json::Value::Null,
        metrics: main.metrics.clone(),
        max_body_bytes: settings.server.max_body_bytes,
        issuer_claims: HashMap::new(),
        // The same limits as the main listener (R41), in buckets of their own.
        rate_limiter: RateLimits::new(
            settings.server.user_rate_limit(),
            settings.server.app_rate_limit(),
        ),
    })
}
