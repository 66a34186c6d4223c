use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::CodeableConcept;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub issue: Vec<OutcomeIssue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeIssue {
    pub severity: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

impl OperationOutcome {
    pub fn single(severity: &str, code: &str, diagnostics: impl Into<String>) -> Self {
        OperationOutcome {
            id: None,
            issue: vec![OutcomeIssue {
                severity: severity.to_owned(),
                code: code.to_owned(),
                details: None,
                diagnostics: Some(diagnostics.into()),
                expression: Vec::new(),
            }],
        }
    }
}
