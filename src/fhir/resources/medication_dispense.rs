//! MedicationDispense: a dispensation at a pharmacy of a prescribed medicine (HL7 Europe MPD
//! MedicationDispense-eu-mpd).

use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::{CodeableConcept, Extension, Meta, Quantity, Reference};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MedicationDispense {
    pub id: String,
    pub meta: Meta,
    /// R5's `recorded`, which the MPD profile requires (1..1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: String,
    pub medication_codeable_concept: CodeableConcept,
    pub subject: Reference,
    pub performer: Vec<DispensePerformer>,
    pub authorizing_prescription: Vec<Reference>,
    pub quantity: Quantity,
    pub when_handed_over: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DispensePerformer {
    pub actor: Reference,
}
