//! What every handler shares.

use std::collections::HashMap;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::access::{ConsentAccess, DataAccess};
use crate::audit::AuditLog;
use crate::auth::verifier::TokenVerifier;
use crate::fhir::search::{PageSealer, SearchLimits};
use crate::http::rate_limit::RateLimits;
use crate::national_id::Country;
use crate::store::Store;

pub struct AppState {
    pub access: DataAccess,
    /// The citizen's Consent resources, from the store.
    pub consents: ConsentAccess,
    /// The gateway's own state; `/readyz` checks it.
    pub store: Store,
    /// The access log every FHIR request is recorded in (`http::audited`).
    pub audit: AuditLog,
    pub verifier: Arc<TokenVerifier>,
    pub sealer: PageSealer,
    pub limits: SearchLimits,
    /// `http://host:port` or the configured public URL; the FHIR base is `{base_url}/fhir`.
    pub base_url: String,
    /// The CapabilityStatement, generated once at start-up.
    pub capability: serde_json::Value,
    pub metrics: PrometheusHandle,
    pub max_body_bytes: usize,
    /// How to read each trusted issuer's claims about people.
    pub issuer_claims: HashMap<String, IssuerClaims>,
    /// The request budgets of each user and each app (R41).
    pub rate_limiter: RateLimits,
}

/// Per issuer: the country of its national-identifier claim and where professionals' ids are.
#[derive(Debug, Clone, Default)]
pub struct IssuerClaims {
    pub national_id_country: Option<Country>,
    pub professional_id_claim: Option<String>,
    /// The gateway's own authorization server names the user by `fhirUser` (`Patient/<id>`)
    /// instead of a national identifier: who acts (R34).
    pub actor_from_fhir_user: bool,
    /// Where the professional's organisation is.
    pub organization_claim: Option<String>,
    /// Whether its users may break the glass.
    pub professional_issuer: bool,
    /// The least `acr` of its citizen tokens (R1), in its own order of levels; empty: none.
    pub citizen_min_acr: String,
    pub acr_levels: Vec<String>,
}

impl AppState {
    pub fn fhir_base(&self) -> String {
        format!("{}/fhir", self.base_url)
    }
}
