//! `NcpCaller`: a request on the NCP listener, authenticated twice over. The connection's
//! client certificate (checked in the handshake) says which NCP and which country; the bearer
//! token must be valid, bound to that very certificate (RFC 8705), and carry the IUA claims
//! about the professional (R8).
//!
//! Order of the refusals: no usable token, or one bound to another certificate → 401
//! `invalid_token`; a certificate that names no (allowed) country, or missing or malformed
//! claims → 403 `forbidden`.

use std::collections::BTreeMap;

use crate::fhir::ips::SummaryProfile;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::auth::binding::check_certificate_binding;
use crate::auth::principal::Principal;
use crate::auth::professional::{ProfessionalAssertion, PurposeOfUse};
use crate::fhir::FhirError;
use crate::http::caller::{bearer_token, invalid_token};
use crate::http::state::AppState;
use crate::ncp::peer::ConnectionPeer;

/// What the NCP listener knows beyond the shared state.
#[derive(Debug, Clone, Default)]
pub struct NcpPolicy {
    /// Countries whose NCPs may call; empty: any the trust store vouches for.
    pub countries: Vec<String>,
    /// The `$summary` profile of an NCP that names none.
    pub summary_profile: SummaryProfile,
    /// The same, per NCP country.
    pub summary_profile_by_country: BTreeMap<String, SummaryProfile>,
}

impl NcpPolicy {
    /// The `$summary` profile for the NCP of `country` when it names none.
    pub fn summary_profile_of(&self, country: Option<&str>) -> SummaryProfile {
        country
            .and_then(|c| self.summary_profile_by_country.get(c))
            .copied()
            .unwrap_or(self.summary_profile)
    }
}

pub struct NcpCaller(pub Principal);

impl FromRequest for NcpCaller {
    type Error = FhirError;
    type Future = Pin<Box<dyn Future<Output = Result<NcpCaller, FhirError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let policy = req.app_data::<web::Data<NcpPolicy>>().cloned();
        let peer = req.conn_data::<ConnectionPeer>().and_then(|p| p.0.clone());
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let (Some(state), Some(policy)) = (state, policy) else {
                return Err(FhirError::Internal("NCP application state missing".into()));
            };
            // The handshake lets no connection through without a certificate; this guards
            // against a listener set up without client authentication.
            let peer = peer.ok_or_else(|| FhirError::Unauthorized {
                error: Some("invalid_request"),
                description: "the connection has no client certificate".into(),
            })?;
            let token = bearer_token(authorization)?;
            let verified = state.verifier.verify(&token).await.map_err(|e| {
                if e.is_server_side() {
                    FhirError::unavailable("the token issuer's keys cannot be fetched")
                } else {
                    invalid_token(e.description())
                }
            })?;
            check_certificate_binding(&verified, &peer.thumbprint)
                .map_err(|e| invalid_token(&e.to_string()))?;
            state.rate_limiter.check(&verified)?;
            let country = peer.country.as_deref().ok_or_else(|| {
                FhirError::Forbidden("the client certificate names no country".into())
            })?;
            if !policy.countries.is_empty() && !policy.countries.iter().any(|c| c == country) {
                return Err(FhirError::Forbidden(format!(
                    "National Contact Points of {country} are not served here"
                )));
            }
            let assertion =
                ProfessionalAssertion::from_claims(&verified.claims, country, peer.name.as_deref())
                    .map_err(|e| FhirError::Forbidden(e.to_string()))?;
            let principal = Principal {
                token: verified,
                patient: None,
                is_subject: false,
                actor: None,
                professional_id: None,
                organization: None,
                emergency: assertion.purpose_of_use == PurposeOfUse::Emergency,
                professional: Some(Arc::new(assertion)),
            };
            // Who called, for this request's access-log record.
            crate::audit::note::principal(&principal);
            Ok(NcpCaller(principal))
        })
    }
}
