//! Laboratory reports to FHIR: one DiagnosticReport per report, one Observation per result
//! (a culture's susceptibilities are Observations of their own, its `hasMember`s).
//!
//! Both claim the IPS 2.0 profile and the HL7 Europe Laboratory Report profile. The specimen
//! is contained in each resource, as the gateway serves no Specimen resources of its own.

use crate::fhir::datatypes::{
    Annotation, CodeableConcept, Coding, Extension, Identifier, Meta, Quantity, Reference,
};
use crate::fhir::resources::{
    DiagnosticReport, Observation, ObservationReferenceRange, Specimen, SpecimenCollection,
};
use crate::mapping::systems::{self, NationalSystems};
use crate::mapping::{ids, instant, patient_reference};
use crate::national_id::Country;
use crate::portal::model::{
    Interpretation, LabReport, LabReportStatus, LabResult, LabStudy, LabValue, Organization, Person,
};

pub const IPS_OBSERVATION_LAB: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Observation-results-laboratory-pathology-uv-ips";
pub const EU_OBSERVATION_LAB: &str =
    "http://hl7.eu/fhir/laboratory/StructureDefinition/Observation-resultslab-eu-lab";
pub const IPS_DIAGNOSTIC_REPORT: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/DiagnosticReport-uv-ips";
pub const EU_DIAGNOSTIC_REPORT: &str =
    "http://hl7.eu/fhir/laboratory/StructureDefinition/DiagnosticReport-eu-lab";
/// R5's `DiagnosticReport.composition`, by which the EU profile links a report to the
/// Composition of its laboratory report document.
pub const COMPOSITION_R5: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-DiagnosticReport.composition";

/// The id of the specimen inside each resource.
const SPECIMEN_ID: &str = "specimen";

/// Every result of a report, members after the result that holds them, in report order.
pub fn all_results(report: &LabReport) -> Vec<&LabResult> {
    fn push<'a>(result: &'a LabResult, out: &mut Vec<&'a LabResult>) {
        out.push(result);
        for member in &result.members {
            push(member, out);
        }
    }
    let mut out = Vec::new();
    for result in &report.results {
        push(result, &mut out);
    }
    out
}

pub fn diagnostic_report(
    country: Country,
    person: &Person,
    report: &LabReport,
) -> DiagnosticReport {
    let systems = systems::for_country(country);
    let id = ids::record_id(country, &person.key, &report.key);
    DiagnosticReport {
        meta: meta(report, &[IPS_DIAGNOSTIC_REPORT, EU_DIAGNOSTIC_REPORT]),
        contained: vec![specimen(country, person, report)],
        extension: vec![Extension {
            url: COMPOSITION_R5.into(),
            value_reference: Some(Reference {
                // The report's document is not served yet: the reference names it by the
                // identifier its Bundle will carry (a name-based UUID, stable across
                // instances), not by a URL that would not resolve.
                identifier: Some(Identifier::new(
                    "urn:ietf:rfc:3986",
                    &format!(
                        "urn:uuid:{}",
                        crate::fhir::uuid::from_name(&format!("lab-report-document/{id}"))
                    ),
                )),
                display: Some(format!("{} ({})", report.title, report.accession)),
                ..Default::default()
            }),
            ..Default::default()
        }],
        // The laboratory's own number, typed as an accession number; the laboratories
        // publish no identifier system for it.
        identifier: vec![Identifier {
            use_: None,
            type_: Some(CodeableConcept::coded(
                systems::IDENTIFIER_TYPE,
                "ACSN",
                "Accession ID",
            )),
            system: None,
            value: Some(report.accession.clone()),
        }],
        status: status(report.status).into(),
        category: vec![
            study_type(report.study),
            CodeableConcept::coded(systems::DIAGNOSTIC_SERVICE_SECTION, "LAB", "Laboratory"),
        ],
        code: CodeableConcept {
            coding: vec![Coding::new(systems::LOINC, "11502-2", "Laboratory report")],
            text: Some(report.title.clone()),
        },
        subject: patient_reference(country, person),
        effective_date_time: Some(instant(report.collected)),
        issued: Some(instant(report.issued)),
        performer: vec![laboratory(systems, &report.laboratory)],
        specimen: vec![Reference::to_contained(SPECIMEN_ID)],
        result: report
            .results
            .iter()
            .map(|r| Reference::to("Observation", &ids::record_id(country, &person.key, &r.key)))
            .collect(),
        conclusion: report.conclusion.clone(),
        id,
    }
}

/// The Observation of one result of `report` (a top-level result or a member).
pub fn observation(
    country: Country,
    person: &Person,
    report: &LabReport,
    result: &LabResult,
) -> Observation {
    let systems = systems::for_country(country);
    let mut coding = vec![Coding::new(
        systems::LOINC,
        &result.loinc.code,
        &result.loinc.display,
    )];
    if let Some(national) = &result.national {
        coding.push(Coding::new(
            systems.lab_code,
            &national.code,
            &national.display,
        ));
    }
    let text = result
        .national
        .as_ref()
        .unwrap_or(&result.loinc)
        .display
        .clone();
    let unit = match &result.value {
        LabValue::Quantity { unit, .. } => Some(unit.as_str()),
        _ => None,
    };
    let mut observation = Observation {
        id: ids::record_id(country, &person.key, &result.key),
        meta: meta(report, &[IPS_OBSERVATION_LAB, EU_OBSERVATION_LAB]),
        contained: vec![specimen(country, person, report)],
        status: status(report.status).into(),
        category: vec![
            CodeableConcept::coded(systems::OBSERVATION_CATEGORY, "laboratory", "Laboratory"),
            study_type(report.study),
        ],
        code: CodeableConcept {
            coding,
            text: Some(text),
        },
        subject: patient_reference(country, person),
        effective_date_time: Some(instant(report.collected)),
        issued: Some(instant(report.issued)),
        performer: vec![laboratory(systems, &report.laboratory)],
        value_quantity: None,
        value_codeable_concept: None,
        value_string: None,
        interpretation: result
            .interpretation
            .map(interpretation)
            .into_iter()
            .collect(),
        note: result
            .note
            .iter()
            .map(|text| Annotation { text: text.clone() })
            .collect(),
        specimen: Some(Reference::to_contained(SPECIMEN_ID)),
        reference_range: result
            .reference_range
            .iter()
            .map(|range| ObservationReferenceRange {
                low: range.low.map(|v| ucum(v, unit)),
                high: range.high.map(|v| ucum(v, unit)),
                text: range.text.clone(),
            })
            .collect(),
        has_member: result
            .members
            .iter()
            .map(|m| Reference::to("Observation", &ids::record_id(country, &person.key, &m.key)))
            .collect(),
    };
    match &result.value {
        LabValue::Quantity { value, unit } => {
            observation.value_quantity = Some(ucum(*value, Some(unit)));
        }
        LabValue::Coded { code, display } => {
            observation.value_codeable_concept =
                Some(CodeableConcept::coded(systems::SNOMED_CT, code, display));
        }
        LabValue::Text { text } => observation.value_string = Some(text.clone()),
        LabValue::None => {}
    }
    observation
}

fn meta(report: &LabReport, profiles: &[&str]) -> Meta {
    Meta {
        version_id: Some(report.updated.unix_timestamp().to_string()),
        last_updated: Some(instant(report.updated)),
        profile: profiles.iter().map(|p| (*p).to_owned()).collect(),
        ..Default::default()
    }
}

fn status(status: LabReportStatus) -> &'static str {
    match status {
        LabReportStatus::Preliminary => "preliminary",
        LabReportStatus::Final => "final",
        LabReportStatus::Corrected => "corrected",
    }
}

/// The LOINC study type of the HL7 Europe guide's value set (LabStudyTypesEuVs).
fn study_type(study: LabStudy) -> CodeableConcept {
    let (code, display) = match study {
        LabStudy::Chemistry => ("18719-5", "Chemistry studies (set)"),
        LabStudy::Haematology => ("18723-7", "Hematology studies (set)"),
        LabStudy::Microbiology => ("18725-2", "Microbiology studies (set)"),
    };
    CodeableConcept::coded(systems::LOINC, code, display)
}

fn interpretation(flag: Interpretation) -> CodeableConcept {
    let (code, display) = match flag {
        Interpretation::Normal => ("N", "Normal"),
        Interpretation::High => ("H", "High"),
        Interpretation::Low => ("L", "Low"),
        Interpretation::CriticalHigh => ("HH", "Critical high"),
        Interpretation::CriticalLow => ("LL", "Critical low"),
        Interpretation::Abnormal => ("A", "Abnormal"),
        Interpretation::Detected => ("DET", "Detected"),
        Interpretation::NotDetected => ("ND", "Not detected"),
        Interpretation::Susceptible => ("S", "Susceptible"),
        Interpretation::Intermediate => ("I", "Intermediate"),
        Interpretation::Resistant => ("R", "Resistant"),
    };
    CodeableConcept::coded(systems::OBSERVATION_INTERPRETATION, code, display)
}

fn ucum(value: f64, unit: Option<&str>) -> Quantity {
    Quantity {
        value: Some(value),
        unit: unit.map(str::to_owned),
        system: unit.map(|_| systems::UCUM.to_owned()),
        code: unit.map(str::to_owned),
    }
}

fn laboratory(systems: &NationalSystems, lab: &Organization) -> Reference {
    Reference::logical(
        "Organization",
        Identifier::new(systems.organization_id, &lab.id),
        &lab.name,
    )
}

fn specimen(country: Country, person: &Person, report: &LabReport) -> Specimen {
    Specimen {
        id: SPECIMEN_ID.into(),
        type_: CodeableConcept::coded(
            systems::SNOMED_CT,
            &report.specimen.code,
            &report.specimen.display,
        ),
        subject: patient_reference(country, person),
        collection: Some(SpecimenCollection {
            collected_date_time: Some(instant(report.collected)),
        }),
    }
}
