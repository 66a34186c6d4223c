//! A prescription restated as a MedicationStatement: "the patient takes this", which is what
//! the medication section of a patient summary lists.
//!
//! It is made from the prescription's MedicationRequest rather than from the national record,
//! so that it can never say more than the MedicationRequest the same caller may see: the
//! release rules and the token's query restrictions have already been applied to that. The
//! medication keeps every coding of the request (ATC and the national product code), its
//! dosage text, its prescriber as the source of the information, and its security labels.

use crate::fhir::datatypes::{Dosage, Meta, Period, Reference};
use crate::fhir::resources::{MedicationRequest, MedicationStatement};

pub const IPS_MEDICATION_STATEMENT: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/MedicationStatement-uv-ips";

/// The statement of `request`, with the given id, about `subject` (the document decides how
/// references are written).
pub fn from_request(
    request: &MedicationRequest,
    id: String,
    subject: Reference,
) -> MedicationStatement {
    let status = statement_status(&request.status);
    let validity = request
        .dispense_request
        .as_ref()
        .and_then(|d| d.validity_period.as_ref());
    // A prescription that is no longer in force ended, at the latest, when it stopped being
    // valid; one in force has no end yet.
    let end = match status {
        "active" | "on-hold" | "intended" => None,
        _ => validity.and_then(|v| v.end.clone()),
    };
    MedicationStatement {
        id,
        meta: Meta {
            version_id: request.meta.version_id.clone(),
            last_updated: request.meta.last_updated.clone(),
            profile: vec![IPS_MEDICATION_STATEMENT.to_owned()],
            security: request.meta.security.clone(),
            ..Default::default()
        },
        status: status.to_owned(),
        medication_codeable_concept: request.medication_codeable_concept.clone(),
        subject,
        effective_date_time: None,
        effective_period: Some(Period {
            extension: Vec::new(),
            start: Some(request.authored_on.clone()),
            end,
        }),
        information_source: Some(request.requester.clone()),
        dosage: request
            .dosage_instruction
            .iter()
            .filter(|d| d.text.is_some())
            .map(|d| Dosage {
                text: d.text.clone(),
            })
            .collect(),
    }
}

/// MedicationRequest status → MedicationStatement status (R4 value sets).
fn statement_status(request_status: &str) -> &'static str {
    match request_status {
        "active" => "active",
        "on-hold" => "on-hold",
        "completed" => "completed",
        // Withdrawn or ended before it was used up: taking it has stopped.
        "cancelled" | "stopped" => "stopped",
        "entered-in-error" => "entered-in-error",
        "draft" => "intended",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::datatypes::{CodeableConcept, Coding};
    use crate::fhir::resources::DispenseRequest;

    fn request(status: &str) -> MedicationRequest {
        MedicationRequest {
            id: "no.p-1.rx-1".into(),
            meta: Meta {
                version_id: Some("7".into()),
                last_updated: Some("2025-01-02T03:04:05Z".into()),
                security: vec![Coding::new("sys", "R", "restricted")],
                ..Default::default()
            },
            identifier: Vec::new(),
            status: status.into(),
            status_reason: None,
            intent: "order".into(),
            medication_codeable_concept: CodeableConcept {
                coding: vec![
                    Coding::new("http://www.whocc.no/atc", "C09AA05", "ramipril"),
                    Coding::new("urn:national", "123456", "Ramipril 5 mg"),
                ],
                text: Some("Ramipril 5 mg".into()),
            },
            subject: Reference::to("Patient", "no.p-1"),
            authored_on: "2024-05-06T07:08:09Z".into(),
            requester: Reference {
                display: Some("Dr A".into()),
                ..Default::default()
            },
            dosage_instruction: vec![Dosage {
                text: Some("1 daily".into()),
            }],
            dispense_request: Some(DispenseRequest {
                validity_period: Some(Period {
                    extension: Vec::new(),
                    start: Some("2024-05-06".into()),
                    end: Some("2025-05-06".into()),
                }),
            }),
        }
    }

    #[test]
    fn a_statement_keeps_the_codings_dosage_source_and_labels_of_its_request() {
        let subject = Reference::to("Patient", "x");
        let s = from_request(&request("active"), "id-1".into(), subject.clone());
        let r = request("active");
        assert_eq!(s.medication_codeable_concept, r.medication_codeable_concept);
        assert_eq!(s.dosage[0].text.as_deref(), Some("1 daily"));
        assert_eq!(s.information_source, Some(r.requester));
        assert_eq!(s.meta.security, r.meta.security);
        assert_eq!(s.meta.profile, [IPS_MEDICATION_STATEMENT]);
        assert_eq!(s.subject, subject);
        assert_eq!(s.status, "active");
        let period = s.effective_period.unwrap();
        assert_eq!(period.start.as_deref(), Some("2024-05-06T07:08:09Z"));
        assert_eq!(period.end, None, "in force: no end yet");
    }

    #[test]
    fn statuses_map_and_ended_prescriptions_get_an_end() {
        for (request_status, statement_status, ended) in [
            ("active", "active", false),
            ("on-hold", "on-hold", false),
            ("completed", "completed", true),
            ("stopped", "stopped", true),
            ("cancelled", "stopped", true),
        ] {
            let s = from_request(&request(request_status), "id".into(), Reference::default());
            assert_eq!(s.status, statement_status, "{request_status}");
            assert_eq!(
                s.effective_period.unwrap().end.is_some(),
                ended,
                "{request_status}"
            );
        }
    }
}
