//! What makes a Consent acceptable from a citizen (R24): the rules beyond the R4 structure,
//! so that a stored Consent always means something the policy can apply. Structural faults
//! are 400 (`invalid`); a well-formed Consent the gateway cannot accept is 422 (`processing`).

use crate::consent::cross_border::{CROSS_BORDER_SERVICE_SYSTEM, SERVICE_CODES};
use crate::consent::provisions::RESOURCE_TYPES_SYSTEM;
use crate::fhir::FhirError;
use crate::fhir::ResourceType;
use crate::fhir::resources::consent::{CONSENT_SCOPE_SYSTEM, Consent, ConsentProvision};
use crate::fhir::search::date::DateRange;
use crate::fhir::search::request::is_valid_id;

const STATUSES: &[&str] = &["draft", "proposed", "active", "rejected", "inactive"];
const SCOPES: &[&str] = &["patient-privacy", "research"];

/// What this gateway can hold a requester to, beyond resource types, single resources,
/// practitioners, purposes and periods: a provision that names anything else would be stored
/// and do nothing, so it is refused (422) instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct Enforceable {
    /// Some trusted issuer tells the professionals' organisation (`organization_claim`), so
    /// a provision denying an organisation binds its professionals.
    pub organizations: bool,
}

/// Checks a Consent the patient `own` (a Patient id) makes or changes.
pub fn validate(consent: &Consent, own: &str, enforceable: Enforceable) -> Result<(), FhirError> {
    let invalid = |m: &str| Err(FhirError::Invalid(m.to_owned()));
    let refuse = |m: String| Err(FhirError::Unprocessable(m));
    if consent.category.is_empty() {
        return invalid("Consent.category is required (1..*)");
    }
    if consent.policy.is_empty() && consent.policy_rule.is_none() {
        return invalid("a Consent needs a policy or a policyRule (ppc-1)");
    }
    if !STATUSES.contains(&consent.status.as_str()) {
        return refuse(format!("status must be one of {}", STATUSES.join(", ")));
    }
    let scope_ok = consent.scope.coding.iter().any(|c| {
        c.system.as_deref() == Some(CONSENT_SCOPE_SYSTEM)
            && c.code.as_deref().is_some_and(|code| SCOPES.contains(&code))
    });
    if !scope_ok {
        return refuse(format!(
            "scope must be {CONSENT_SCOPE_SYSTEM}|patient-privacy or |research"
        ));
    }
    let patient = consent
        .patient
        .as_ref()
        .and_then(|p| p.reference.as_deref());
    if patient != Some(format!("Patient/{own}").as_str()) {
        return refuse("a Consent can be made only for the token's own patient".into());
    }
    if let Some(provision) = consent.provision.as_deref() {
        check_provision(provision, enforceable)?;
        check_nesting(provision)?;
    }
    Ok(())
}

/// The shapes the policy applies: a deny, or a permit whose nested denies are the
/// restrictions. Anything nested deeper, or under a deny, would be stored and never applied.
fn check_nesting(top: &ConsentProvision) -> Result<(), FhirError> {
    let refuse = |m: &str| Err(FhirError::Unprocessable(m.to_owned()));
    let is_deny = |p: &ConsentProvision| p.type_.as_deref() == Some("deny");
    if is_deny(top) && !top.provision.is_empty() {
        return refuse(
            "provisions nested in a deny are not applied by this gateway: put each restriction \
             in a deny of its own under a permit",
        );
    }
    for nested in &top.provision {
        if !is_deny(nested) {
            return refuse("a nested provision must be a deny: only those restrict anyone");
        }
        if !nested.provision.is_empty() {
            return refuse("provisions nest one level deep at most");
        }
    }
    Ok(())
}

fn check_provision(rule: &ConsentProvision, enforceable: Enforceable) -> Result<(), FhirError> {
    let refuse = |m: String| Err(FhirError::Unprocessable(m));
    if let Some(kind) = rule.type_.as_deref()
        && kind != "deny"
        && kind != "permit"
    {
        return refuse(format!(
            "provision.type must be deny or permit, not '{kind}'"
        ));
    }
    if let Some(period) = &rule.period {
        for date in [&period.start, &period.end].into_iter().flatten() {
            if DateRange::parse(date).is_none() {
                return Err(FhirError::Invalid(format!(
                    "provision.period: '{date}' is not a FHIR dateTime"
                )));
            }
        }
    }
    for class in &rule.class {
        if super::provisions::is_laboratory_class(class) {
            continue;
        }
        if class.system.as_deref() != Some(RESOURCE_TYPES_SYSTEM) {
            return refuse(format!(
                "provision.class: only resource types ({RESOURCE_TYPES_SYSTEM}) and the \
                 laboratory category ({}|laboratory) are applied by this gateway, not '{}'",
                super::provisions::OBSERVATION_CATEGORY,
                class
                    .system
                    .as_deref()
                    .unwrap_or("a class without a system")
            ));
        }
        let code = class.code.as_deref().unwrap_or_default();
        if ResourceType::parse(code).is_none() {
            return refuse(format!(
                "provision.class: '{code}' is not a resource type this gateway serves"
            ));
        }
    }
    // What a provision can say that this gateway does not apply is refused, not stored and
    // ignored (F4): codes, data periods, and labels other than the sensitivities it knows.
    if !rule.code.is_empty() {
        return refuse(
            "provision.code is not applied by this gateway; restrict by class, data, actor, \
             purpose, period or securityLabel"
                .into(),
        );
    }
    if rule.data_period.is_some() {
        return refuse("provision.dataPeriod is not applied by this gateway".into());
    }
    for label in &rule.security_label {
        let known = label.system.as_deref() == Some(super::sensitivity::ACT_CODE)
            && label
                .code
                .as_deref()
                .is_some_and(|c| super::sensitivity::LABELS.contains(&c));
        if !known {
            return refuse(format!(
                "provision.securityLabel: only {} of {} are applied, not '{}'",
                super::sensitivity::LABELS.join(" and "),
                super::sensitivity::ACT_CODE,
                label.code.as_deref().unwrap_or_default()
            ));
        }
    }
    let cross_border = rule
        .purpose
        .iter()
        .any(|p| p.system.as_deref() == Some(CROSS_BORDER_SERVICE_SYSTEM));
    if cross_border && (!rule.class.is_empty() || !rule.data.is_empty() || !rule.actor.is_empty()) {
        // A cross-border opt-out is per service, whole (R27): the services do not narrow by
        // type, record or person, and a partial one would be stored and ignored (F5).
        return refuse(
            "a cross-border service is opted out of as a whole: a provision naming a \
             cross-border service cannot also name classes, data or actors"
                .into(),
        );
    }
    for purpose in &rule.purpose {
        if purpose.system.as_deref() == Some(CROSS_BORDER_SERVICE_SYSTEM) {
            let code = purpose.code.as_deref().unwrap_or_default();
            if !SERVICE_CODES.contains(&code) {
                return refuse(format!(
                    "provision.purpose: '{code}' is not a cross-border service ({})",
                    SERVICE_CODES.join(", ")
                ));
            }
        }
    }
    for data in &rule.data {
        let reference = data.reference.reference.as_deref().unwrap_or_default();
        let known = reference
            .split_once('/')
            .is_some_and(|(t, id)| ResourceType::parse(t).is_some() && is_valid_id(id));
        if !known {
            return refuse(format!(
                "provision.data: '{reference}' is not a reference to data this gateway serves"
            ));
        }
    }
    for actor in &rule.actor {
        let reference = actor.reference.reference.as_deref();
        let by_identifier = actor
            .reference
            .identifier
            .as_ref()
            .is_some_and(|i| i.value.is_some());
        match reference {
            Some(r) if r.starts_with("Practitioner/") => {}
            Some(r) if r.starts_with("Organization/") => {
                if !enforceable.organizations {
                    return refuse(
                        "provision.actor: no trusted issuer tells a professional's \
                         organisation here, so a restriction by organisation cannot be applied"
                            .into(),
                    );
                }
            }
            Some(r) if r.starts_with("PractitionerRole/") => {
                return refuse(
                    "provision.actor: a PractitionerRole cannot be matched to a caller; name \
                     the Practitioner or the Organization"
                        .into(),
                );
            }
            None if by_identifier => {}
            _ => {
                return refuse("provision.actor must name a practitioner or an organisation, by reference or identifier".into());
            }
        }
    }
    rule.provision
        .iter()
        .try_for_each(|nested| check_provision(nested, enforceable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const OWN: &str = "no.p-no-014";
    const ORGS: Enforceable = Enforceable {
        organizations: true,
    };

    fn consent(change: impl FnOnce(&mut Value)) -> Consent {
        let mut value = json!({
            "status": "active",
            "scope": {"coding": [{"system": CONSENT_SCOPE_SYSTEM, "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": {"reference": format!("Patient/{OWN}")},
            "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
            "provision": {"type": "deny", "class": [{"system": RESOURCE_TYPES_SYSTEM, "code": "MedicationRequest"}]}
        });
        change(&mut value);
        serde_json::from_value(value).unwrap()
    }

    /// A name, a change to a valid Consent, and the status it must get.
    type Case = (&'static str, Box<dyn FnOnce(&mut Value)>, u16);

    fn status_of(result: Result<(), FhirError>) -> u16 {
        result.err().map_or(200, |e| e.status())
    }

    #[test]
    fn a_well_formed_restriction_of_one_s_own_data_is_accepted() {
        assert_eq!(status_of(validate(&consent(|_| {}), OWN, ORGS)), 200);
        let research = consent(|c| c["scope"]["coding"][0]["code"] = json!("research"));
        assert_eq!(status_of(validate(&research, OWN, ORGS)), 200);
        let opt_out = consent(|c| {
            c["provision"] = json!({"type": "deny", "purpose": [
                {"system": CROSS_BORDER_SERVICE_SYSTEM, "code": "patient-summary"},
                {"system": CROSS_BORDER_SERVICE_SYSTEM, "code": "e-prescription"}]})
        });
        assert_eq!(status_of(validate(&opt_out, OWN, ORGS)), 200);
        let laboratory = consent(|c| {
            c["provision"]["class"] = json!([{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory"
            }])
        });
        assert_eq!(status_of(validate(&laboratory, OWN, ORGS)), 200);
    }

    #[test]
    fn each_fault_has_its_status() {
        let cases: Vec<Case> = vec![
            ("no category", Box::new(|c| c["category"] = json!([])), 400),
            (
                "no policy",
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("policyRule");
                }),
                400,
            ),
            (
                "bad period",
                Box::new(|c| c["provision"]["period"] = json!({"start": "yesterday"})),
                400,
            ),
            (
                "another patient",
                Box::new(|c| c["patient"]["reference"] = json!("Patient/no.p-no-001")),
                422,
            ),
            (
                "no patient",
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("patient");
                }),
                422,
            ),
            (
                "unknown scope",
                Box::new(|c| c["scope"]["coding"][0]["code"] = json!("adr")),
                422,
            ),
            (
                "entered-in-error",
                Box::new(|c| c["status"] = json!("entered-in-error")),
                422,
            ),
            (
                "unknown type",
                Box::new(|c| c["provision"]["class"][0]["code"] = json!("Encounter")),
                422,
            ),
            (
                "an observation category other than laboratory",
                Box::new(|c| {
                    c["provision"]["class"] = json!([{
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs"
                    }])
                }),
                422,
            ),
            (
                "odd provision type",
                Box::new(|c| c["provision"]["type"] = json!("maybe")),
                422,
            ),
            (
                "bad data reference",
                Box::new(|c| {
                    c["provision"]["data"] =
                        json!([{"meaning": "instance", "reference": {"reference": "Foo/1"}}])
                }),
                422,
            ),
            (
                "actor without who",
                Box::new(|c| {
                    c["provision"]["actor"] =
                        json!([{"role": {"text": "x"}, "reference": {"display": "Dr X"}}])
                }),
                422,
            ),
            (
                "unknown cross-border service",
                Box::new(|c| {
                    c["provision"]["purpose"] =
                        json!([{"system": CROSS_BORDER_SERVICE_SYSTEM, "code": "lab-results"}])
                }),
                422,
            ),
            (
                "nested fault",
                Box::new(|c| c["provision"]["provision"] = json!([{"type": "nope"}])),
                422,
            ),
        ];
        for (name, change, expected) in cases {
            assert_eq!(
                status_of(validate(&consent(change), OWN, ORGS)),
                expected,
                "{name}"
            );
        }
    }
}
