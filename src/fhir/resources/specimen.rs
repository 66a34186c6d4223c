//! Specimen, contained in the laboratory results measured on it.

use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::{CodeableConcept, Reference};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "resourceType")]
pub struct Specimen {
    pub id: String,
    #[serde(rename = "type")]
    pub type_: CodeableConcept,
    pub subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<SpecimenCollection>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecimenCollection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_date_time: Option<String>,
}
