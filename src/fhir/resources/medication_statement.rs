use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::{CodeableConcept, Dosage, Meta, Period, Reference};

/// That a patient is, was or will be taking a medication. The gateway emits it only inside
/// patient summaries, derived from prescriptions; it is not served on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MedicationStatement {
    pub id: String,
    pub meta: Meta,
    pub status: String,
    pub medication_codeable_concept: CodeableConcept,
    pub subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_source: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dosage: Vec<Dosage>,
}
