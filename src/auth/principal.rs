//! Who is calling: the verified token, and the patient it is about.

use std::sync::Arc;

use crate::auth::professional::ProfessionalAssertion;
use crate::auth::scopes::{Action, ScopeContext};
use crate::auth::verifier::VerifiedToken;
use crate::consent::Viewer;

#[derive(Debug, Clone)]
pub struct Principal {
    pub token: Arc<VerifiedToken>,
    /// The patient context (a Patient id) of a patient-scoped token.
    pub patient: Option<String>,
    /// Whether the user behind the token is that patient themself (and not someone acting
    /// for them). Only then are a protected person's contact details shown.
    pub is_subject: bool,
    /// The Patient id of the person the token's national-identifier claim names: who acts.
    pub actor: Option<String>,
    /// A professional's national id, for blocks and locked records.
    pub professional_id: Option<String>,
    /// The token asserts an emergency (break-the-glass) purpose of use.
    pub emergency: bool,
    /// A National Contact Point asking for a professional abroad: who they are, their
    /// organisation, the purpose of use, and the NCP's country (R8, R37).
    pub professional: Option<Arc<ProfessionalAssertion>>,
}

/// The `?query` parts of v2 scopes, one parameter list per scope.
pub type ScopeQueries = Vec<Vec<(String, String)>>;

/// What the token's scopes allow for one resource type and action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Only the token's own patient compartment.
    Compartment(String),
    /// Any patient (user and system tokens; the consent engine decides further).
    AnyPatient,
}

impl Principal {
    /// How this principal sees the data of `patient_id`.
    pub fn viewer_of(&self, patient_id: &str) -> Viewer {
        match &self.patient {
            Some(p) if p == patient_id && self.is_subject => Viewer::Subject,
            Some(p) if p == patient_id => Viewer::Representative,
            _ => Viewer::Professional,
        }
    }

    /// The reach the granting scopes give, and the v2 query restrictions that come with them
    /// (`None`: unrestricted; `Some(list)`: a resource must match one of the queries).
    pub fn reach(
        &self,
        resource_type: &str,
        action: Action,
    ) -> Option<(Reach, Option<ScopeQueries>)> {
        let granting = self.token.scopes.granting(resource_type, action);
        let broad: Vec<_> = granting
            .iter()
            .filter(|s| s.context != ScopeContext::Patient)
            .collect();
        let (reach, scopes) = if !broad.is_empty() {
            (Reach::AnyPatient, broad)
        } else {
            let patient = self.patient.clone()?;
            (Reach::Compartment(patient), granting.iter().collect())
        };
        if scopes.is_empty() {
            return None;
        }
        let queries = if scopes.iter().any(|s| s.query.is_empty()) {
            None
        } else {
            Some(scopes.iter().map(|s| s.query.clone()).collect())
        };
        Some((reach, queries))
    }
}
