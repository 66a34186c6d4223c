use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::{CodeableConcept, Meta, Narrative, Reference};

/// The first resource of a document Bundle: what the document is, about whom, by whom, and
/// its sections. The gateway writes one kind, the International Patient Summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Composition {
    pub id: String,
    pub meta: Meta,
    pub status: String,
    #[serde(rename = "type")]
    pub type_: CodeableConcept,
    pub subject: Reference,
    pub date: String,
    pub author: Vec<Reference>,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidentiality: Option<String>,
    pub section: Vec<CompositionSection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompositionSection {
    pub title: String,
    pub code: CodeableConcept,
    pub text: Narrative,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<Reference>,
    /// Why a section has no entries (never together with entries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_reason: Option<CodeableConcept>,
}
