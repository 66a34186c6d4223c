//! What every handler shares.

use std::collections::HashMap;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::access::DataAccess;
use crate::auth::verifier::TokenVerifier;
use crate::fhir::search::{PageSealer, SearchLimits};
use crate::national_id::Country;

pub struct AppState {
    pub access: DataAccess,
    pub verifier: Arc<TokenVerifier>,
    pub sealer: PageSealer,
    pub limits: SearchLimits,
    /// `http://host:port` or the configured public URL; the FHIR base is `{base_url}/fhir`.
    pub base_url: String,
    /// The CapabilityStatement, generated once at start-up.
    pub capability: serde_json::Value,
    pub metrics: PrometheusHandle,
    pub max_body_bytes: usize,
    /// The country of each trusted issuer's national identifier claim, where configured.
    pub issuer_countries: HashMap<String, Country>,
}

impl AppState {
    pub fn fhir_base(&self) -> String {
        format!("{}/fhir", self.base_url)
    }
}
