//! Who is calling: the verified token, and the patient it is about.

use std::sync::Arc;

use crate::auth::professional::ProfessionalAssertion;
use crate::auth::scopes::{Action, ScopeContext};
use crate::auth::verifier::VerifiedToken;
use crate::consent::Viewer;

#[derive(Debug, Clone)]
pub struct Principal {
    pub token: Arc<VerifiedToken>,
    /// The patient context (a Patient id) of a patient-scoped token: the compartment it
    /// reaches. It says nothing about who the user is (see `actor`).
    pub patient: Option<String>,
    /// Whether the user behind the token is that patient themself (and not someone acting
    /// for them). Only then are a protected person's contact details shown.
    pub is_subject: bool,
    /// The citizen who acts, as a Patient id: the person the token's national-identifier
    /// claim (or the gateway's own login) names, on a citizen's token only. `None` for
    /// professionals and systems, whatever their token's `patient` claim says.
    pub actor: Option<String>,
    /// A professional's national id, for blocks and locked records.
    pub professional_id: Option<String>,
    /// The professional's organisation, from the issuer's configured claim, for provisions
    /// that deny an organisation (R24) and the access log (R35).
    pub organization: Option<String>,
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
    /// Whether the caller is on `patient_id`'s side: that patient, or a citizen acting for
    /// them (whose relation the consent policy then checks). Never a professional or a
    /// system, whatever their token's `patient` claim.
    pub fn acts_for(&self, patient_id: &str) -> bool {
        self.actor.is_some() && self.patient.as_deref() == Some(patient_id)
    }

    /// Whether the caller is `patient_id` themself.
    pub fn is_patient(&self, patient_id: &str) -> bool {
        self.is_subject && self.acts_for(patient_id)
    }

    /// A backend service acting on its own: no user behind the token at all.
    pub fn is_system(&self) -> bool {
        self.professional.is_none()
            && self.actor.is_none()
            && self.professional_id.is_none()
            && self
                .token
                .scopes
                .contexts()
                .all(|c| c == ScopeContext::System)
    }

    /// How this principal sees the data of `patient_id`.
    pub fn viewer_of(&self, patient_id: &str) -> Viewer {
        if self.is_patient(patient_id) {
            Viewer::Subject
        } else if self.acts_for(patient_id) {
            Viewer::Representative
        } else {
            Viewer::Professional
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
