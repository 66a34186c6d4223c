use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::{CodeableConcept, Identifier, Meta, Reference};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Immunization {
    pub id: String,
    pub meta: Meta,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    pub status: String,
    pub vaccine_code: CodeableConcept,
    pub patient: Reference,
    pub occurrence_date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_source: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_number: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<ImmunizationPerformer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImmunizationPerformer {
    pub actor: Reference,
}
