use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::{CodeableConcept, Coding, Identifier, Meta, Period, Reference};

/// A citizen's consent or restriction (R4 Consent): scope `patient-privacy` for who may see
/// what (EHDS art. 8, 10), `research` for secondary use (art. 71).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    /// Assigned by the server; empty on a resource a client sends for creation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// draft | proposed | active | rejected | inactive | entered-in-error
    pub status: String,
    pub scope: CodeableConcept,
    pub category: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organization: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_reference: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<ConsentPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_rule: Option<CodeableConcept>,
    /// Boxed: the rules are large and a Consent travels inside `Resource` with the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provision: Option<Box<ConsentProvision>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

/// A rule: `deny` or `permit`, for whom, which data, which purpose, which period; nested
/// provisions make exceptions to their parent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentProvision {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actor: Vec<ProvisionActor>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub action: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_label: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purpose: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_period: Option<Period>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<ProvisionData>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provision: Vec<ConsentProvision>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionActor {
    pub role: CodeableConcept,
    pub reference: Reference,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionData {
    /// instance | related | dependents | authoredby
    pub meaning: String,
    pub reference: Reference,
}

/// http://terminology.hl7.org/CodeSystem/consentscope
pub const CONSENT_SCOPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
