//! Who may read a patient's access log (R36): the patient, and people acting for the
//! patient whose rights include the access log (e.g. DK parents of a child under 15). Not
//! professionals, not systems: the log is the citizen's, not the data holder's.

use crate::audit::view::LogReader;
use crate::auth::principal::{Principal, Reach};
use crate::auth::scopes::Action;
use crate::consent::policy::{Category, Decision};
use crate::fhir::FhirError;

use super::DataAccess;

impl DataAccess {
    /// How `principal` reads the access log of `patient_id` (the patient, or a person acting
    /// for them with access-log rights, who sees the categories their rights show); 403
    /// otherwise.
    pub async fn may_read_access_log(
        &self,
        principal: &Principal,
        patient_id: &str,
    ) -> Result<LogReader, FhirError> {
        let refused = || {
            FhirError::Forbidden(
                "an access log is shown to the patient and to those acting for the patient \
                 with access-log rights only"
                    .into(),
            )
        };
        let (reach, _) = principal
            .reach("AuditEvent", Action::Search)
            .ok_or_else(|| {
                FhirError::InsufficientScope(
                    "the token's scopes do not allow search of AuditEvent".into(),
                )
            })?;
        match reach {
            // The patient's side only: a professional's token with the patient's context
            // does not make its user the patient.
            Reach::Compartment(own) if own == patient_id && principal.acts_for(patient_id) => {}
            _ => return Err(refused()),
        }
        let person = self.person(patient_id).await?.ok_or_else(refused)?;
        let today = self.clock.today();
        match self.decide(principal, patient_id, &person, today).await? {
            Decision::Permit { categories, .. } if categories.contains(Category::AccessLog) => {
                Ok(LogReader {
                    patient: patient_id.to_owned(),
                    shown: (!principal.is_patient(patient_id)).then_some(categories),
                })
            }
            _ => Err(refused()),
        }
    }
}
