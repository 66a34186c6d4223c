use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::{CodeableConcept, Extension};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityStatement {
    pub url: String,
    pub version: String,
    pub name: String,
    pub title: String,
    pub status: String,
    pub experimental: bool,
    pub date: String,
    pub publisher: String,
    pub description: String,
    pub kind: String,
    pub implementation: Implementation,
    pub software: Software,
    pub fhir_version: String,
    pub format: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub implementation_guide: Vec<String>,
    pub rest: Vec<Rest>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Software {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Implementation {
    pub description: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rest {
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
    pub security: RestSecurity,
    pub resource: Vec<RestResource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_param: Vec<SearchParam>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestSecurity {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub cors: bool,
    pub service: Vec<CodeableConcept>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestResource {
    #[serde(rename = "type")]
    pub type_: String,
    pub profile: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_profile: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
    pub interaction: Vec<Interaction>,
    pub versioning: String,
    pub read_history: bool,
    pub update_create: bool,
    pub conditional_create: bool,
    pub conditional_read: String,
    pub conditional_update: bool,
    pub conditional_delete: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_include: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_param: Vec<SearchParam>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operation: Vec<Operation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub name: String,
    /// Canonical URL of the OperationDefinition.
    pub definition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interaction {
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchParam {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}
