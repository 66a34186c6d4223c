//! National records to FHIR resources.
//!
//! One function per resource type, driven by the nation's systems (`systems/`) and rules
//! (`national.rs`). The mapping adds the international codings (ATC, WHO ICD-10) beside the
//! national ones and declares the IPS profile each resource is made to conform to. The
//! MedicationStatements of patient summaries are restated from the prescriptions'
//! MedicationRequests (`medication_statement.rs`).

pub mod ids;
pub mod laboratory;
pub mod medication_dispense;
pub mod medication_statement;
pub mod national;
pub mod systems;

use time::{Date, OffsetDateTime};

use crate::fhir::datatypes::{
    Address, CodeableConcept, Coding, ContactPoint, Dosage, HumanName, Identifier, Meta, Period,
    Reference,
};
use crate::fhir::resources::{
    AllergyIntolerance, AllergyReaction, Condition, DiagnosticReport, DispenseRequest,
    Immunization, ImmunizationPerformer, MedicationRequest, Observation, Patient,
    PatientCommunication,
};
use crate::national_id::Country;
use crate::portal::PersonRecords;
use crate::portal::model::{
    Allergy, AllergyKind, ConditionRecord, Criticality, Person, Prescription, PrescriptionStatus,
    Professional, Sex, TelecomKind, Vaccination, VaccinationStatus,
};
use systems::NationalSystems;

pub const IPS_PATIENT: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips";
pub const IPS_MEDICATION_REQUEST: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/MedicationRequest-uv-ips";
pub const IPS_IMMUNIZATION: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Immunization-uv-ips";
pub const IPS_ALLERGY_INTOLERANCE: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/AllergyIntolerance-uv-ips";
pub const IPS_CONDITION: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Condition-uv-ips";
/// HL7 Europe Medication Prescription and Dispense 1.0.0.
pub const MPD_MEDICATION_REQUEST: &str =
    "http://hl7.eu/fhir/mpd/StructureDefinition/MedicationRequest-eu-mpd";

/// A person's records as FHIR resources.
#[derive(Debug, Clone, Default)]
pub struct MappedRecords {
    pub medication_requests: Vec<MedicationRequest>,
    pub immunizations: Vec<Immunization>,
    pub allergy_intolerances: Vec<AllergyIntolerance>,
    pub conditions: Vec<Condition>,
    pub diagnostic_reports: Vec<DiagnosticReport>,
    pub observations: Vec<Observation>,
}

pub fn records(country: Country, person: &Person, records: &PersonRecords) -> MappedRecords {
    MappedRecords {
        medication_requests: records
            .prescriptions
            .iter()
            .map(|r| medication_request(country, person, r))
            .collect(),
        immunizations: records
            .vaccinations
            .iter()
            .map(|r| immunization(country, person, r))
            .collect(),
        allergy_intolerances: records
            .allergies
            .iter()
            .map(|r| allergy_intolerance(country, person, r))
            .collect(),
        conditions: records
            .conditions
            .iter()
            .map(|r| condition(country, person, r))
            .collect(),
        diagnostic_reports: records
            .lab_reports
            .iter()
            .map(|r| laboratory::diagnostic_report(country, person, r))
            .collect(),
        observations: records
            .lab_reports
            .iter()
            .flat_map(|report| {
                laboratory::all_results(report)
                    .into_iter()
                    .map(move |r| laboratory::observation(country, person, report, r))
            })
            .collect(),
    }
}

fn meta(updated: OffsetDateTime, profile: &str) -> Meta {
    Meta {
        // The register's modification time is the version: it changes exactly when the
        // record does, and is the same on every gateway instance.
        version_id: Some(updated.unix_timestamp().to_string()),
        last_updated: Some(instant(updated)),
        profile: vec![profile.to_owned()],
        ..Default::default()
    }
}

/// RFC 3339 in UTC with whole seconds (`2024-03-15T08:30:00Z`), as FHIR `instant` and
/// `dateTime` want it. Written by hand: it runs for every mapped record.
pub fn instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let mut text = date(at.date());
    text.push('T');
    push_two(&mut text, at.hour());
    text.push(':');
    push_two(&mut text, at.minute());
    text.push(':');
    push_two(&mut text, at.second());
    text.push('Z');
    text
}

/// `YYYY-MM-DD`.
pub fn date(d: Date) -> String {
    let mut text = String::with_capacity(20);
    let year = d.year().clamp(0, 9999) as u32;
    for divisor in [1000, 100, 10, 1] {
        text.push(char::from(b'0' + (year / divisor % 10) as u8));
    }
    text.push('-');
    push_two(&mut text, u8::from(d.month()));
    text.push('-');
    push_two(&mut text, d.day());
    text
}

fn push_two(text: &mut String, value: u8) {
    text.push(char::from(b'0' + value / 10 % 10));
    text.push(char::from(b'0' + value % 10));
}

/// The security label of protected persons and restricted records (v3 Confidentiality R).
fn restricted_label() -> Coding {
    Coding::new(systems::CONFIDENTIALITY, "R", "restricted")
}

pub fn patient_reference(country: Country, person: &Person) -> Reference {
    let mut r = Reference::to("Patient", &ids::patient_id(country, &person.key));
    r.display = Some(full_name(person));
    r
}

fn full_name(person: &Person) -> String {
    let mut parts: Vec<&str> = person.given.iter().map(String::as_str).collect();
    parts.push(&person.family);
    parts.join(" ")
}

fn professional(systems: &NationalSystems, p: &Professional) -> Reference {
    Reference::logical(
        "Practitioner",
        Identifier::new(systems.professional_id, &p.id),
        &format!("{}, {}", p.name, p.organization.name),
    )
}

pub fn patient(country: Country, person: &Person) -> Patient {
    let mut meta = meta(person.updated, IPS_PATIENT);
    if person.protection.is_some() {
        meta.security.push(restricted_label());
    }
    let mut identifier = Identifier::new(person.national_id.system(), person.national_id.value());
    identifier.use_ = Some("official".into());
    Patient {
        id: ids::patient_id(country, &person.key),
        meta,
        identifier: vec![identifier],
        active: Some(true),
        name: vec![HumanName {
            use_: Some("official".into()),
            text: Some(full_name(person)),
            family: Some(person.family.clone()),
            given: person.given.clone(),
        }],
        telecom: person
            .telecom
            .iter()
            .map(|t| ContactPoint {
                system: Some(
                    match t.kind {
                        TelecomKind::Phone => "phone",
                        TelecomKind::Email => "email",
                    }
                    .into(),
                ),
                value: Some(t.value.clone()),
                use_: Some("home".into()),
            })
            .collect(),
        gender: Some(
            match person.sex {
                Sex::Female => "female",
                Sex::Male => "male",
                Sex::Unknown => "unknown",
            }
            .into(),
        ),
        birth_date: Some(date(person.birth_date)),
        address: person
            .address
            .iter()
            .map(|a| Address {
                use_: Some("home".into()),
                type_: Some("both".into()),
                line: a.lines.clone(),
                city: Some(a.city.clone()),
                district: None,
                postal_code: Some(a.postal_code.clone()),
                country: Some(country.code().into()),
            })
            .collect(),
        communication: person
            .language
            .iter()
            .map(|lang| PatientCommunication {
                language: CodeableConcept::coded(systems::BCP47, lang, ""),
                preferred: Some(true),
            })
            .collect(),
    }
}

pub fn medication_request(
    country: Country,
    person: &Person,
    rx: &Prescription,
) -> MedicationRequest {
    let systems = systems::for_country(country);
    let mut meta = meta(rx.updated, IPS_MEDICATION_REQUEST);
    meta.profile.push(MPD_MEDICATION_REQUEST.to_owned());
    if rx.restricted {
        meta.security.push(restricted_label());
    }
    let (status, reason) = match rx.status {
        PrescriptionStatus::Active => ("active", None),
        PrescriptionStatus::OnHold => ("on-hold", None),
        PrescriptionStatus::Cancelled => ("cancelled", None),
        PrescriptionStatus::Completed => ("completed", None),
        // R4 has no "expired": the prescription ended without being fully used.
        PrescriptionStatus::Expired => ("stopped", Some(CodeableConcept::text("Expired"))),
    };
    MedicationRequest {
        id: ids::record_id(country, &person.key, &rx.key),
        meta,
        identifier: Vec::new(),
        status: status.into(),
        status_reason: reason,
        intent: "order".into(),
        medication_codeable_concept: CodeableConcept {
            coding: vec![
                Coding::new(systems::ATC, &rx.atc.code, &rx.atc.display),
                Coding::new(systems.product_code, &rx.product.code, &rx.product.display),
            ],
            text: Some(rx.product.display.clone()),
        },
        subject: patient_reference(country, person),
        authored_on: instant(rx.authored),
        requester: professional(systems, &rx.prescriber),
        dosage_instruction: vec![Dosage {
            text: Some(rx.dosage_text.clone()),
        }],
        dispense_request: rx.valid_until.map(|until| DispenseRequest {
            validity_period: Some(Period {
                extension: Vec::new(),
                start: Some(date(rx.authored.date())),
                end: Some(date(until)),
            }),
        }),
    }
}

pub fn immunization(country: Country, person: &Person, vx: &Vaccination) -> Immunization {
    let systems = systems::for_country(country);
    let mut coding = vec![Coding::new(systems::ATC, &vx.atc.code, &vx.atc.display)];
    if let Some(national) = &vx.national {
        coding.push(Coding::new(
            systems.vaccine_code,
            &national.code,
            &national.display,
        ));
    }
    let text = vx.national.as_ref().unwrap_or(&vx.atc).display.clone();
    Immunization {
        id: ids::record_id(country, &person.key, &vx.key),
        meta: meta(vx.updated, IPS_IMMUNIZATION),
        identifier: Vec::new(),
        status: match vx.status {
            VaccinationStatus::Completed => "completed",
            VaccinationStatus::EnteredInError => "entered-in-error",
            VaccinationStatus::NotDone => "not-done",
        }
        .into(),
        vaccine_code: CodeableConcept {
            coding,
            text: Some(text),
        },
        patient: patient_reference(country, person),
        occurrence_date_time: date(vx.date),
        primary_source: Some(true),
        lot_number: vx.lot.clone(),
        performer: vec![ImmunizationPerformer {
            actor: professional(systems, &vx.performer),
        }],
    }
}

pub fn allergy_intolerance(country: Country, person: &Person, al: &Allergy) -> AllergyIntolerance {
    let (clinical, clinical_display) = if al.active {
        ("active", "Active")
    } else {
        ("inactive", "Inactive")
    };
    AllergyIntolerance {
        id: ids::record_id(country, &person.key, &al.key),
        meta: meta(al.updated, IPS_ALLERGY_INTOLERANCE),
        identifier: Vec::new(),
        clinical_status: Some(CodeableConcept::coded(
            systems::ALLERGY_CLINICAL,
            clinical,
            clinical_display,
        )),
        verification_status: Some(CodeableConcept::coded(
            systems::ALLERGY_VERIFICATION,
            "confirmed",
            "Confirmed",
        )),
        type_: Some(
            match al.kind {
                AllergyKind::Allergy => "allergy",
                AllergyKind::Intolerance => "intolerance",
            }
            .into(),
        ),
        criticality: Some(
            match al.criticality {
                Criticality::Low => "low",
                Criticality::High => "high",
                Criticality::UnableToAssess => "unable-to-assess",
            }
            .into(),
        ),
        code: CodeableConcept::coded(
            systems::SNOMED_CT,
            &al.substance.code,
            &al.substance.display,
        ),
        patient: patient_reference(country, person),
        recorded_date: Some(date(al.recorded)),
        reaction: al
            .reaction
            .iter()
            .map(|r| AllergyReaction {
                manifestation: vec![CodeableConcept::coded(
                    systems::SNOMED_CT,
                    &r.code,
                    &r.display,
                )],
            })
            .collect(),
    }
}

pub fn condition(country: Country, person: &Person, cd: &ConditionRecord) -> Condition {
    let systems = systems::for_country(country);
    let mut coding = vec![Coding::new(
        systems.icd10,
        &cd.icd10.code,
        &cd.icd10.display,
    )];
    if let Some(who) = national::icd10_international(country, &cd.icd10.code) {
        coding.push(Coding::new(systems::ICD10, &who, ""));
    }
    let (clinical, clinical_display) = if cd.abated.is_some() {
        ("resolved", "Resolved")
    } else {
        ("active", "Active")
    };
    Condition {
        id: ids::record_id(country, &person.key, &cd.key),
        meta: meta(cd.updated, IPS_CONDITION),
        identifier: Vec::new(),
        clinical_status: Some(CodeableConcept::coded(
            systems::CONDITION_CLINICAL,
            clinical,
            clinical_display,
        )),
        verification_status: Some(CodeableConcept::coded(
            systems::CONDITION_VERIFICATION,
            "confirmed",
            "Confirmed",
        )),
        category: vec![CodeableConcept::coded(
            systems::CONDITION_CATEGORY,
            "problem-list-item",
            "Problem List Item",
        )],
        code: CodeableConcept {
            coding,
            text: Some(cd.icd10.display.clone()),
        },
        subject: patient_reference(country, person),
        onset_date_time: Some(date(cd.onset)),
        abatement_date_time: cd.abated.map(date),
        recorded_date: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn instants_and_dates_are_written_as_fhir_wants_them() {
        assert_eq!(
            instant(datetime!(2024-03-05 08:07:09 UTC)),
            "2024-03-05T08:07:09Z"
        );
        assert_eq!(
            instant(datetime!(2024-03-05 01:00:00 +02:00)),
            "2024-03-04T23:00:00Z"
        );
        assert_eq!(date(time::macros::date!(0987 - 12 - 31)), "0987-12-31");
        // The hand-written form agrees with the time crate's RFC 3339.
        let at = datetime!(2026-11-23 13:45:59 UTC);
        let reference = at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        assert_eq!(instant(at), reference);
    }
}
