//! Flag, as the Alerts section of a patient summary lists the patient's critical information
//! (IPS 2.0 Flag-alert-uv-ips). It exists only in documents.

use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::{CodeableConcept, Extension, Meta, Period, Reference};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flag {
    pub id: String,
    pub meta: Meta,
    /// `flag-detail`: the record the alert is about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}
