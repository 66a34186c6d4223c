//! The agents of a record (who took part), built from the verified caller in one place.
//!
//! [`agents`] is the only function that reads a `Principal` for the access log. A National
//! Contact Point's request (R37) names the professional abroad with their name and role,
//! their organisation with its id, and the NCP with its country (`cross_border`); its
//! purpose is TREAT, or ETREAT and BTG for break-the-glass (`purpose_of_use`).

use crate::audit::note::Relation;
use crate::auth::principal::Principal;
use crate::auth::professional::{ProfessionalAssertion, PurposeOfUse};
use crate::fhir::datatypes::{CodeableConcept, Coding, Identifier, Reference};
use crate::fhir::resources::AuditAgent;

const ROLE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
const ROLE_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
const ROLE_CLASS: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const DICOM: &str = "http://dicom.nema.org/resources/ontology/DCM";
/// Identifiers that are URIs (`urn:oid:...`).
const URI_SYSTEM: &str = "urn:ietf:rfc:3986";
/// ISO 3166-1 alpha-2 country codes.
const COUNTRY_SYSTEM: &str = "urn:iso:std:iso:3166";
/// The system of a professional's id when the issuer says nothing more.
const PROFESSIONAL_ID: &str = "urn:ehds-gateway:professional-id";

/// The agents of a request made by `principal`: the app (its client id), and the user with
/// role and purpose of use (the patient, a person acting for the patient in `relation`, a
/// professional, or none for a system token).
pub fn agents(principal: &Principal, relation: Option<Relation>) -> Vec<AuditAgent> {
    let token = &principal.token;
    let purpose = purpose_of_use(principal, relation);
    let mut agents = vec![app(
        token.client_id.as_deref().unwrap_or("unknown client"),
        Some(&token.issuer),
    )];
    if let (Some(patient), Some(actor)) = (&principal.patient, &principal.actor) {
        // A citizen's token: the person who acts, identified by national identifier or the
        // gateway's own login, for themself or for the patient in context.
        let mut user = citizen(actor);
        user.role = vec![match (actor == patient, relation) {
            (true, _) => CodeableConcept::coded(ROLE_CODE, "ONESELF", "self"),
            (false, Some(Relation::Guardian)) => {
                CodeableConcept::coded(ROLE_CODE, "GUARD", "guardian")
            }
            (false, Some(Relation::Attorney)) | (false, None) => {
                CodeableConcept::coded(ROLE_CODE, "POWATT", "power of attorney")
            }
        }];
        if actor != patient {
            // A representative acts on behalf of the patient (BALP; the R5 element's
            // extension in R4).
            user.extension = vec![on_behalf_of(patient)];
        }
        user.purpose_of_use = purpose;
        agents.push(user);
    } else if let Some(assertion) = &principal.professional {
        agents.extend(cross_border(assertion, purpose));
    } else if !principal.is_system() {
        agents.extend(professional(principal, purpose));
    } else {
        // A system token: the app is the requestor.
        agents[0].requestor = true;
        agents[0].purpose_of_use = purpose;
    }
    agents
}

/// The `auditevent-OnBehalfOf` extension naming the patient a representative acted for.
fn on_behalf_of(patient_id: &str) -> crate::fhir::datatypes::Extension {
    crate::fhir::datatypes::Extension {
        url: "http://hl7.org/fhir/StructureDefinition/auditevent-OnBehalfOf".into(),
        value_reference: Some(Reference {
            reference: Some(format!("Patient/{patient_id}")),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A citizen, by Patient id (never a national identifier).
pub fn citizen(patient_id: &str) -> AuditAgent {
    AuditAgent {
        type_: Some(CodeableConcept::coded(ROLE_TYPE, "humanuser", "human user")),
        who: Some(Reference {
            reference: Some(format!("Patient/{patient_id}")),
            ..Default::default()
        }),
        requestor: true,
        ..Default::default()
    }
}

/// The client app, by client id (and the issuer that registered it).
pub fn app(client_id: &str, issuer: Option<&str>) -> AuditAgent {
    AuditAgent {
        type_: Some(CodeableConcept::coded(DICOM, "110150", "Application")),
        who: Some(Reference {
            identifier: Some(Identifier {
                system: issuer.map(str::to_owned),
                value: Some(client_id.to_owned()),
                ..Default::default()
            }),
            display: Some(client_id.to_owned()),
            ..Default::default()
        }),
        name: Some(client_id.to_owned()),
        requestor: false,
        ..Default::default()
    }
}

/// A domestic health professional, by their national professional id (or the token's
/// issuer and subject), with the `fhirUser` the token names as the display, and their
/// organisation when the issuer tells it. A professional abroad, asking through an NCP, is
/// `cross_border`.
fn professional(principal: &Principal, purpose: Vec<CodeableConcept>) -> Vec<AuditAgent> {
    let token = &principal.token;
    let identifier = match &principal.professional_id {
        Some(id) => Identifier {
            system: Some(PROFESSIONAL_ID.into()),
            value: Some(id.clone()),
            ..Default::default()
        },
        None => Identifier {
            system: Some(token.issuer.clone()),
            value: Some(token.subject.clone()),
            ..Default::default()
        },
    };
    let user = AuditAgent {
        type_: Some(CodeableConcept::coded(ROLE_TYPE, "humanuser", "human user")),
        role: vec![CodeableConcept::coded(
            ROLE_CLASS,
            "PROV",
            "healthcare provider",
        )],
        who: Some(Reference {
            identifier: Some(identifier),
            display: token.fhir_user.clone(),
            ..Default::default()
        }),
        // The token's subject at its issuer, whatever else names the user.
        name: Some(format!("{} at {}", token.subject, token.issuer)),
        requestor: true,
        purpose_of_use: purpose,
        ..Default::default()
    };
    let mut agents = vec![user];
    if let Some(organization) = &principal.organization {
        agents.push(organization_agent(organization));
    }
    agents
}

/// The organisation a domestic professional works for, as their issuer names it
/// (`<id>` or `<system>|<id>`).
fn organization_agent(organization: &str) -> AuditAgent {
    let (system, value) = match organization.split_once('|') {
        Some((system, value)) => (system.to_owned(), value.to_owned()),
        None => (URI_SYSTEM.to_owned(), organization.to_owned()),
    };
    AuditAgent {
        type_: Some(CodeableConcept {
            coding: Vec::new(),
            text: Some("organization".into()),
        }),
        role: vec![CodeableConcept::coded(
            ROLE_CLASS,
            "PROV",
            "healthcare provider",
        )],
        who: Some(Reference {
            identifier: Some(Identifier {
                system: Some(system),
                value: Some(value.clone()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        name: Some(value),
        requestor: false,
        ..Default::default()
    }
}

/// The professional abroad for whom a National Contact Point asks (R37), as the NCP asserts
/// them: their name and role, their organisation, and the NCP with its country.
fn cross_border(
    assertion: &ProfessionalAssertion,
    purpose: Vec<CodeableConcept>,
) -> [AuditAgent; 3] {
    let text = |t: &str| CodeableConcept {
        coding: Vec::new(),
        text: Some(t.to_owned()),
    };
    let professional = AuditAgent {
        type_: Some(CodeableConcept::coded(ROLE_TYPE, "humanuser", "human user")),
        role: vec![
            CodeableConcept::coded(ROLE_CLASS, "PROV", "healthcare provider"),
            text(&assertion.subject_role),
        ],
        who: Some(Reference {
            display: Some(assertion.subject_name.clone()),
            ..Default::default()
        }),
        name: Some(assertion.subject_name.clone()),
        requestor: true,
        purpose_of_use: purpose,
        ..Default::default()
    };
    let organisation = AuditAgent {
        type_: Some(text("organization")),
        role: vec![CodeableConcept::coded(
            ROLE_CLASS,
            "PROV",
            "healthcare provider",
        )],
        who: Some(Reference {
            identifier: Some(Identifier {
                system: Some(URI_SYSTEM.into()),
                value: Some(assertion.subject_organization_id.clone()),
                ..Default::default()
            }),
            display: Some(assertion.subject_organization.clone()),
            ..Default::default()
        }),
        name: Some(assertion.subject_organization.clone()),
        requestor: false,
        ..Default::default()
    };
    let ncp_name = assertion
        .ncp_name
        .clone()
        .unwrap_or_else(|| format!("National Contact Point of {}", assertion.country));
    let ncp = AuditAgent {
        type_: Some(text("National Contact Point for eHealth")),
        who: Some(Reference {
            identifier: Some(Identifier {
                system: Some(COUNTRY_SYSTEM.into()),
                value: Some(assertion.country.clone()),
                ..Default::default()
            }),
            display: Some(ncp_name.clone()),
            ..Default::default()
        }),
        name: Some(ncp_name),
        requestor: false,
        // The NCP's home community, as it identifies itself in MyHealth@EU.
        policy: vec![assertion.home_community_id.clone()],
        ..Default::default()
    };
    [professional, organisation, ncp]
}

/// Why: break-the-glass is emergency treatment and BTG; a purpose the token states is
/// kept; otherwise the patient's own request, a family member's or an attorney's, or
/// treatment.
fn purpose_of_use(principal: &Principal, relation: Option<Relation>) -> Vec<CodeableConcept> {
    if principal.emergency {
        return vec![CodeableConcept {
            coding: vec![
                Coding::new(ACT_REASON, "ETREAT", "emergency treatment"),
                Coding::new(ACT_REASON, "BTG", "break the glass"),
            ],
            text: None,
        }];
    }
    if principal
        .professional
        .as_ref()
        .is_some_and(|a| a.purpose_of_use == PurposeOfUse::Treatment)
    {
        return vec![CodeableConcept::coded(ACT_REASON, "TREAT", "treatment")];
    }
    let stated: Vec<CodeableConcept> = match principal.token.claims.get("purpose_of_use") {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(stated_reason).collect(),
        Some(value) => stated_reason(value).into_iter().collect(),
        None => Vec::new(),
    };
    if !stated.is_empty() {
        return stated;
    }
    let on_patient_side = principal.patient.is_some() && principal.actor.is_some();
    let (code, display) = match (on_patient_side, relation) {
        (true, _) if principal.actor == principal.patient => ("PATRQT", "patient requested"),
        (true, Some(Relation::Guardian)) => ("FAMRQT", "family requested"),
        (true, _) => ("PWATRNY", "power of attorney"),
        (false, _) => ("TREAT", "treatment"),
    };
    vec![CodeableConcept::coded(ACT_REASON, code, display)]
}

/// A purpose the token states (`purpose_of_use`, IUA style: a code, or `system|code`).
fn stated_reason(value: &serde_json::Value) -> Option<CodeableConcept> {
    let text = value.as_str()?.trim();
    let code = text.rsplit(['|', ':', '/']).next().unwrap_or(text);
    // Only codes that look like codes: the claim is the caller's word, bounded.
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(CodeableConcept::coded(ACT_REASON, code, ""))
}
