//! The cross-border opt-out (R27) checked for a National Contact Point's request, before the
//! service runs: refused with 403 and nothing about the patient's data.

use crate::auth::principal::Principal;
use crate::consent::cross_border;
use crate::fhir::FhirError;
use crate::portal::model::CrossBorderService;

use super::DataAccess;

impl DataAccess {
    /// Refuses (403 `forbidden`) when the patient opted out of `service`, in the national
    /// portal or by an active Consent. The Consents are read from the store on every call, so
    /// a withdrawal counts at once; an unreadable store refuses with 503 (R31). A patient who
    /// is not known passes: the service itself then answers 404 as for anyone.
    /// Identification (`Patient?identifier=` on the NCP listener) is for the cross-border
    /// services: a patient who opted out of every one of them is refused as the services
    /// refuse (403, no detail), never shown with name, address and phone (F12).
    pub async fn check_cross_border_identification(
        &self,
        principal: &Principal,
        patient_id: &str,
    ) -> Result<(), FhirError> {
        let mut refusal = None;
        for service in [
            CrossBorderService::PatientSummary,
            CrossBorderService::EPrescription,
        ] {
            match self
                .check_cross_border(principal, patient_id, service)
                .await
            {
                Ok(()) => return Ok(()),
                Err(FhirError::Forbidden(_)) => {
                    refusal = Some(FhirError::Forbidden(
                        "the patient does not take part in the cross-border services".into(),
                    ))
                }
                Err(other) => return Err(other),
            }
        }
        refusal.map_or(Ok(()), Err)
    }

    pub async fn check_cross_border(
        &self,
        principal: &Principal,
        patient_id: &str,
        service: CrossBorderService,
    ) -> Result<(), FhirError> {
        debug_assert!(principal.professional.is_some());
        // The patient whose data was asked for, so that a refusal is in their log too.
        crate::audit::note::patient(patient_id);
        let Some(person) = self.person(patient_id).await? else {
            return Ok(());
        };
        let consents = self.consents.active_for_patient(patient_id).await?;
        let today = self.clock.today();
        if cross_border::opted_out(&person, &consents, service, today) {
            return Err(FhirError::Forbidden(format!(
                "the patient does not take part in the cross-border {} service",
                match service {
                    CrossBorderService::PatientSummary => "patient summary",
                    CrossBorderService::EPrescription => "ePrescription",
                }
            )));
        }
        Ok(())
    }
}
