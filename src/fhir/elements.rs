//! `_summary` and `_elements`: cutting resources down to the elements a client asked for.
//!
//! The element lists come from the R4/IPS StructureDefinitions (`isSummary` and `min ≥ 1`
//! elements at the top level). A cut-down resource is marked `SUBSETTED` in `meta.tag`, as
//! R4 requires, so that nobody mistakes it for the whole record.

use serde_json::{Map, Value};

use crate::fhir::resource::ResourceType;

pub const SUBSETTED_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

/// Top-level elements marked `isSummary` in the profiles the gateway emits.
fn summary_elements(t: ResourceType) -> &'static [&'static str] {
    match t {
        ResourceType::Patient => &[
            "identifier",
            "active",
            "name",
            "telecom",
            "gender",
            "birthDate",
            "deceased[x]",
            "address",
            "managingOrganization",
            "link",
        ],
        ResourceType::MedicationRequest => &[
            "status",
            "intent",
            "priority",
            "doNotPerform",
            "reported[x]",
            "medication[x]",
            "subject",
            "authoredOn",
            "requester",
            "performerType",
            "basedOn",
            "groupIdentifier",
        ],
        ResourceType::Immunization => &[
            "status",
            "patient",
            "occurrence[x]",
            "primarySource",
            "performer",
            "note",
            "isSubpotent",
        ],
        ResourceType::AllergyIntolerance => &[
            "identifier",
            "type",
            "category",
            "criticality",
            "patient",
            "asserter",
        ],
        ResourceType::Condition => &[
            "identifier",
            "subject",
            "encounter",
            "onset[x]",
            "recordedDate",
            "recorder",
            "asserter",
        ],
        // R4 marks these of MedicationDispense as summary elements.
        ResourceType::MedicationDispense => &["identifier", "status", "medication[x]", "subject"],
        ResourceType::Observation => &[
            "identifier",
            "basedOn",
            "partOf",
            "status",
            "code",
            "subject",
            "focus",
            "encounter",
            "effective[x]",
            "issued",
            "performer",
            "value[x]",
            "hasMember",
            "derivedFrom",
            "component",
        ],
        ResourceType::DiagnosticReport => &[
            "identifier",
            "status",
            "category",
            "code",
            "subject",
            "encounter",
            "effective[x]",
            "issued",
            "performer",
            "resultsInterpreter",
            "media",
        ],
        ResourceType::Consent => &[
            "identifier",
            "status",
            "scope",
            "category",
            "patient",
            "dateTime",
            "performer",
            "organization",
        ],
        ResourceType::AuditEvent => &[
            "type",
            "subtype",
            "action",
            "recorded",
            "outcome",
            "purposeOfEvent",
            "agent",
            "source",
            "entity",
        ],
    }
}

/// Elements that must stay for the resource to remain valid against R4 and the IPS profiles.
fn mandatory_elements(t: ResourceType) -> &'static [&'static str] {
    match t {
        ResourceType::Patient => &["name", "birthDate"],
        // HL7 Europe MPD adds authoredOn and requester (1..1) to IPS's.
        ResourceType::MedicationRequest => &[
            "status",
            "intent",
            "medication[x]",
            "subject",
            "authoredOn",
            "requester",
        ],
        ResourceType::Immunization => &["status", "vaccineCode", "patient", "occurrence[x]"],
        ResourceType::AllergyIntolerance => &["patient", "code"],
        ResourceType::Condition => &["clinicalStatus", "code", "subject"],
        // IPS 2.0 and the EU laboratory profiles: category (the laboratory slice) and
        // performer are 1..*; the EU composition extension is 1..1 on the report.
        // HL7 Europe MPD: performer.actor, quantity and R5's recorded (an extension) are 1..1.
        ResourceType::MedicationDispense => &[
            "extension",
            "status",
            "medication[x]",
            "subject",
            "performer",
            "quantity",
        ],
        ResourceType::Observation => &[
            "status",
            "category",
            "code",
            "subject",
            "effective[x]",
            "performer",
        ],
        ResourceType::DiagnosticReport => {
            &["extension", "status", "code", "subject", "effective[x]"]
        }
        // consent-1: a policy or a policyRule; consent-2/3: the patient of a privacy or
        // research consent.
        ResourceType::Consent => &[
            "status",
            "scope",
            "category",
            "patient",
            "policy",
            "policyRule",
        ],
        ResourceType::AuditEvent => &["type", "recorded", "agent", "source"],
    }
}

/// Always kept: what identifies the resource.
const ALWAYS: &[&str] = &["resourceType", "id", "meta"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut<'a> {
    /// `_summary=true`
    Summary,
    /// `_summary=text`: only text and the mandatory elements.
    Text,
    /// `_summary=data`: everything but the narrative.
    Data,
    /// `_elements=a,b`
    Elements(&'a [String]),
}

/// Applies a cut to a serialised resource of type `t`.
pub fn apply(t: ResourceType, resource: Value, cut: Cut<'_>) -> Value {
    let Value::Object(fields) = resource else {
        return resource;
    };
    let keep = |name: &str| -> bool {
        if ALWAYS.contains(&name) || mandatory_elements(t).iter().any(|m| element_is(name, m)) {
            return true;
        }
        match cut {
            Cut::Summary => summary_elements(t).iter().any(|m| element_is(name, m)),
            Cut::Text => name == "text",
            Cut::Data => name != "text",
            Cut::Elements(list) => list.iter().any(|e| element_is(name, e)),
        }
    };
    let mut kept: Map<String, Value> = fields
        .into_iter()
        .filter(|(k, _)| k == "contained" || keep(k))
        .collect();
    // Contained resources go with what refers to them: a contained resource that nothing
    // refers to breaks dom-3, and a `#id` reference without its resource breaks ref-1.
    if kept.contains_key("contained") && !refers_to_contained(&kept) {
        kept.remove("contained");
    }
    if cut != Cut::Data {
        mark_subsetted(&mut kept);
    }
    Value::Object(kept)
}

fn refers_to_contained(fields: &Map<String, Value>) -> bool {
    fn any_local(value: &Value) -> bool {
        match value {
            Value::Object(map) => map.iter().any(|(k, v)| {
                (k == "reference" && v.as_str().is_some_and(|r| r.starts_with('#'))) || any_local(v)
            }),
            Value::Array(items) => items.iter().any(any_local),
            _ => false,
        }
    }
    fields.iter().any(|(k, v)| k != "contained" && any_local(v))
}

/// `medicationCodeableConcept` is the element `medication[x]` (and `_elements=medication`).
fn element_is(json_name: &str, element: &str) -> bool {
    match element.strip_suffix("[x]") {
        Some(stem) => json_name.starts_with(stem),
        None => {
            json_name == element
                || json_name.strip_prefix(element).is_some_and(|rest| {
                    rest.starts_with(|c: char| c.is_ascii_uppercase()) && is_choice_base(element)
                })
        }
    }
}

/// Choice elements a client may name without `[x]` in `_elements`.
fn is_choice_base(element: &str) -> bool {
    matches!(
        element,
        "medication"
            | "occurrence"
            | "onset"
            | "abatement"
            | "deceased"
            | "reported"
            | "value"
            | "effective"
    )
}

fn mark_subsetted(resource: &mut Map<String, Value>) {
    let meta = resource
        .entry("meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(meta) = meta {
        let tags = meta
            .entry("tag")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(tags) = tags {
            tags.push(serde_json::json!({
                "system": SUBSETTED_SYSTEM,
                "code": "SUBSETTED",
                "display": "Resource encoded in summary mode"
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mr() -> Value {
        json!({
            "resourceType": "MedicationRequest", "id": "x", "meta": {"versionId": "1"},
            "status": "active", "intent": "order",
            "medicationCodeableConcept": {"text": "Ramipril"},
            "subject": {"reference": "Patient/p"}, "authoredOn": "2024-01-01",
            "requester": {"display": "Dr"}, "dosageInstruction": [{"text": "1 daily"}],
            "dispenseRequest": {}
        })
    }

    #[test]
    fn summary_keeps_summary_and_mandatory_elements_and_tags_subsetted() {
        let cut = apply(ResourceType::MedicationRequest, mr(), Cut::Summary);
        let obj = cut.as_object().unwrap();
        for kept in [
            "resourceType",
            "id",
            "meta",
            "status",
            "intent",
            "medicationCodeableConcept",
            "subject",
            "authoredOn",
            "requester",
        ] {
            assert!(obj.contains_key(kept), "{kept} kept");
        }
        assert!(!obj.contains_key("dosageInstruction"));
        assert!(!obj.contains_key("dispenseRequest"));
        assert_eq!(cut["meta"]["tag"][0]["code"], "SUBSETTED");
        assert_eq!(cut["meta"]["versionId"], "1");
    }

    #[test]
    fn elements_keeps_what_was_named_plus_mandatory() {
        let list = vec!["dosageInstruction".to_owned()];
        let cut = apply(ResourceType::MedicationRequest, mr(), Cut::Elements(&list));
        let obj = cut.as_object().unwrap();
        assert!(obj.contains_key("dosageInstruction"));
        assert!(obj.contains_key("status"));
        // MPD's mandatory elements stay, what nobody asked for goes.
        assert!(obj.contains_key("authoredOn"));
        assert!(obj.contains_key("requester"));
        assert!(!obj.contains_key("dispenseRequest"));
    }

    #[test]
    fn choice_elements_match_their_typed_names() {
        assert!(element_is("medicationCodeableConcept", "medication[x]"));
        assert!(element_is("medicationCodeableConcept", "medication"));
        assert!(element_is("occurrenceDateTime", "occurrence"));
        assert!(!element_is("statusReason", "status"));
        assert!(element_is("status", "status"));
    }

    #[test]
    fn contained_resources_go_with_what_refers_to_them() {
        let observation = json!({
            "resourceType": "Observation", "id": "o", "meta": {},
            "contained": [{"resourceType": "Specimen", "id": "specimen"}],
            "status": "final", "category": [{"text": "lab"}], "code": {"text": "Hb"},
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2024-01-01",
            "performer": [{"display": "Lab"}], "valueQuantity": {"value": 140},
            "specimen": {"reference": "#specimen"}
        });
        let summary = apply(ResourceType::Observation, observation.clone(), Cut::Summary);
        assert!(summary.get("specimen").is_none());
        assert!(summary.get("contained").is_none(), "{summary}");
        assert!(summary.get("valueQuantity").is_some());
        let named = vec!["specimen".to_owned()];
        let with_specimen = apply(
            ResourceType::Observation,
            observation,
            Cut::Elements(&named),
        );
        assert_eq!(with_specimen["specimen"]["reference"], "#specimen");
        assert_eq!(with_specimen["contained"][0]["id"], "specimen");
        assert!(with_specimen.get("valueQuantity").is_none());
    }
}
