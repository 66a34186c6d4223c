//! The IPS 1.1.0 "no information about ..." resources: what a required section of an IPS
//! 1.1.0 document holds when the caller may see the section's data and there is none to list.
//!
//! IPS 1.1.0 gives the Problems, Allergies and Medications sections `entry 1..*`, so an empty
//! one carries a resource coded from the IPS absent/unknown code system rather than nothing.
//! The "no information" codes (`no-problem-info`, ...) are used, not the "no known" ones: an
//! empty list in a national portal, or one the caller may not see in full, is not evidence
//! that the patient has none. IPS 2.0 removed that code system; its documents say the same
//! with the section's emptyReason `unavailable` (`sections::nothing_to_list`).

use crate::fhir::datatypes::{CodeableConcept, Coding, Extension, Meta, Period, Reference};
use crate::fhir::resources::{AllergyIntolerance, Condition, MedicationStatement};
use crate::mapping::medication_statement::IPS_MEDICATION_STATEMENT;
use crate::mapping::systems;
use crate::mapping::{IPS_ALLERGY_INTOLERANCE, IPS_CONDITION};

pub const ABSENT_UNKNOWN: &str = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips";
const DATA_ABSENT_REASON: &str = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

fn meta(profile: &str) -> Meta {
    Meta {
        profile: vec![profile.to_owned()],
        ..Default::default()
    }
}

fn absent(code: &str, display: &str) -> CodeableConcept {
    CodeableConcept {
        coding: vec![Coding::new(ABSENT_UNKNOWN, code, display)],
        text: Some(display.to_owned()),
    }
}

pub fn no_allergy_information(id: String, patient: Reference) -> AllergyIntolerance {
    AllergyIntolerance {
        id,
        meta: meta(IPS_ALLERGY_INTOLERANCE),
        identifier: Vec::new(),
        // The assertion "no known allergies" is itself current.
        clinical_status: Some(CodeableConcept::coded(
            systems::ALLERGY_CLINICAL,
            "active",
            "Active",
        )),
        verification_status: None,
        type_: None,
        criticality: None,
        code: absent("no-allergy-info", "No information about allergies"),
        patient,
        recorded_date: None,
        reaction: Vec::new(),
    }
}

pub fn no_problem_information(id: String, subject: Reference) -> Condition {
    Condition {
        id,
        meta: meta(IPS_CONDITION),
        identifier: Vec::new(),
        clinical_status: Some(CodeableConcept::coded(
            systems::CONDITION_CLINICAL,
            "active",
            "Active",
        )),
        verification_status: None,
        category: vec![CodeableConcept::coded(
            systems::CONDITION_CATEGORY,
            "problem-list-item",
            "Problem List Item",
        )],
        code: absent("no-problem-info", "No information about problems"),
        subject,
        onset_date_time: None,
        abatement_date_time: None,
        recorded_date: None,
    }
}

pub fn no_medication_information(id: String, subject: Reference) -> MedicationStatement {
    MedicationStatement {
        id,
        meta: meta(IPS_MEDICATION_STATEMENT),
        status: "active".into(),
        medication_codeable_concept: absent(
            "no-medication-info",
            "No information about medications",
        ),
        subject,
        effective_date_time: None,
        // effective[x] is 1..1 in IPS, and a period of taking nothing has no start or end.
        effective_period: Some(Period {
            extension: vec![Extension {
                url: DATA_ABSENT_REASON.into(),
                value_code: Some("not-applicable".into()),
                ..Default::default()
            }],
            start: None,
            end: None,
        }),
        information_source: None,
        dosage: Vec::new(),
    }
}
