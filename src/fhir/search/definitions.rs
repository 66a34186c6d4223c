//! The search parameters of each resource type, with R4 semantics (R18).
//!
//! This table is the single source for parsing, matching and the CapabilityStatement, so
//! what the server declares cannot drift from what it does.

use crate::fhir::resources::{
    AllergyIntolerance, AuditEvent, Condition, Consent, DiagnosticReport, Immunization,
    MedicationDispense, MedicationRequest, Observation, Patient,
};
use crate::fhir::search::params::{
    IndexValue, ParamDef, ParamType, Searchable, code, codeable_concept, date, identifiers,
    last_updated, quantity, reference, resource_id,
};

macro_rules! param {
    ($name:expr, $kind:ident, $def:expr, $doc:expr, $target:expr, $extract:expr) => {
        ParamDef {
            name: $name,
            kind: ParamType::$kind,
            definition: $def,
            documentation: $doc,
            target: $target,
            extract: $extract,
        }
    };
}

fn id_param<R: Searchable>() -> ParamDef<R> {
    param!(
        "_id",
        Token,
        "http://hl7.org/fhir/SearchParameter/Resource-id",
        "Logical id of the resource",
        None,
        |r| vec![resource_id(r)]
    )
}

fn last_updated_param<R: Searchable>() -> ParamDef<R> {
    param!(
        "_lastUpdated",
        Date,
        "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
        "When the national record last changed",
        None,
        |r| last_updated(r).into_iter().collect()
    )
}

static PATIENT_PARAMS: std::sync::LazyLock<Vec<ParamDef<Patient>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            last_updated_param(),
            param!(
                "identifier",
                Token,
                "http://hl7.org/fhir/SearchParameter/Patient-identifier",
                "National identifier, as system|value (fødselsnummer, personnummer, CPR, HETU)",
                None,
                |p: &Patient| identifiers(&p.identifier).collect()
            ),
            param!(
                "family",
                String,
                "http://hl7.org/fhir/SearchParameter/individual-family",
                "Family name (starts with, case- and accent-insensitive)",
                None,
                |p: &Patient| p
                    .name
                    .iter()
                    .filter_map(|n| n.family.as_deref())
                    .map(IndexValue::Str)
                    .collect()
            ),
            param!(
                "given",
                String,
                "http://hl7.org/fhir/SearchParameter/individual-given",
                "Given name (starts with, case- and accent-insensitive)",
                None,
                |p: &Patient| p
                    .name
                    .iter()
                    .flat_map(|n| n.given.iter())
                    .map(|g| IndexValue::Str(g))
                    .collect()
            ),
            param!(
                "name",
                String,
                "http://hl7.org/fhir/SearchParameter/Patient-name",
                "Any part of the name: family, given or text",
                None,
                |p: &Patient| p
                    .name
                    .iter()
                    .flat_map(|n| {
                        n.family
                            .iter()
                            .chain(n.given.iter())
                            .chain(n.text.iter())
                            .map(|s| IndexValue::Str(s))
                    })
                    .collect()
            ),
            param!(
                "birthdate",
                Date,
                "http://hl7.org/fhir/SearchParameter/individual-birthdate",
                "Date of birth",
                None,
                |p: &Patient| p.birth_date.as_deref().and_then(date).into_iter().collect()
            ),
            param!(
                "gender",
                Token,
                "http://hl7.org/fhir/SearchParameter/individual-gender",
                "Administrative gender (male | female | other | unknown)",
                None,
                |p: &Patient| p
                    .gender
                    .as_deref()
                    .map(|g| code("http://hl7.org/fhir/administrative-gender", g))
                    .into_iter()
                    .collect()
            ),
        ]
    });

impl Searchable for Patient {
    fn params() -> &'static [ParamDef<Self>] {
        &PATIENT_PARAMS
    }
    fn default_sort() -> &'static str {
        "_id"
    }
}

static MEDICATION_REQUEST_PARAMS: std::sync::LazyLock<Vec<ParamDef<MedicationRequest>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            last_updated_param(),
            param!(
                "patient",
                Reference,
                "http://hl7.org/fhir/SearchParameter/clinical-patient",
                "The patient the prescription is for",
                Some("Patient"),
                |r: &MedicationRequest| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "subject",
                Reference,
                "http://hl7.org/fhir/SearchParameter/MedicationRequest-subject",
                "The patient the prescription is for (same as patient here)",
                Some("Patient"),
                |r: &MedicationRequest| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "status",
                Token,
                "http://hl7.org/fhir/SearchParameter/medications-status",
                "Prescription status (active | on-hold | cancelled | completed | stopped ...)",
                None,
                |r: &MedicationRequest| vec![code(
                    "http://hl7.org/fhir/CodeSystem/medicationrequest-status",
                    &r.status
                )]
            ),
            param!(
                "intent",
                Token,
                "http://hl7.org/fhir/SearchParameter/MedicationRequest-intent",
                "Intent of the request (always order for a prescription)",
                None,
                |r: &MedicationRequest| vec![code(
                    "http://hl7.org/fhir/CodeSystem/medicationrequest-intent",
                    &r.intent
                )]
            ),
            param!(
                "authoredon",
                Date,
                "http://hl7.org/fhir/SearchParameter/MedicationRequest-authoredon",
                "When the prescription was written",
                None,
                |r: &MedicationRequest| date(&r.authored_on).into_iter().collect()
            ),
            param!(
                "code",
                Token,
                "http://hl7.org/fhir/SearchParameter/clinical-code",
                "Medication code: ATC or the national product code",
                None,
                |r: &MedicationRequest| codeable_concept(&r.medication_codeable_concept).collect()
            ),
        ]
    });

impl Searchable for MedicationRequest {
    fn params() -> &'static [ParamDef<Self>] {
        &MEDICATION_REQUEST_PARAMS
    }
    fn includes() -> &'static [&'static str] {
        &["MedicationRequest:patient", "MedicationRequest:subject"]
    }
    fn default_sort() -> &'static str {
        "-authoredon"
    }
}

static IMMUNIZATION_PARAMS: std::sync::LazyLock<Vec<ParamDef<Immunization>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            last_updated_param(),
            param!(
                "patient",
                Reference,
                "http://hl7.org/fhir/SearchParameter/clinical-patient",
                "The vaccinated patient",
                Some("Patient"),
                |r: &Immunization| reference(&r.patient).into_iter().collect()
            ),
            param!(
                "date",
                Date,
                "http://hl7.org/fhir/SearchParameter/clinical-date",
                "When the vaccine was given",
                None,
                |r: &Immunization| date(&r.occurrence_date_time).into_iter().collect()
            ),
            param!(
                "status",
                Token,
                "http://hl7.org/fhir/SearchParameter/Immunization-status",
                "completed | entered-in-error | not-done",
                None,
                |r: &Immunization| vec![code("http://hl7.org/fhir/event-status", &r.status)]
            ),
            param!(
                "vaccine-code",
                Token,
                "http://hl7.org/fhir/SearchParameter/Immunization-vaccine-code",
                "Vaccine code: ATC or the national vaccine code (SYSVAK, NPL, VNR)",
                None,
                |r: &Immunization| codeable_concept(&r.vaccine_code).collect()
            ),
        ]
    });

impl Searchable for Immunization {
    fn params() -> &'static [ParamDef<Self>] {
        &IMMUNIZATION_PARAMS
    }
    fn includes() -> &'static [&'static str] {
        &["Immunization:patient"]
    }
    fn default_sort() -> &'static str {
        "-date"
    }
}

static ALLERGY_PARAMS: std::sync::LazyLock<Vec<ParamDef<AllergyIntolerance>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            last_updated_param(),
            param!(
                "patient",
                Reference,
                "http://hl7.org/fhir/SearchParameter/clinical-patient",
                "The patient with the allergy or intolerance",
                Some("Patient"),
                |r: &AllergyIntolerance| reference(&r.patient).into_iter().collect()
            ),
            param!(
                "clinical-status",
                Token,
                "http://hl7.org/fhir/SearchParameter/AllergyIntolerance-clinical-status",
                "active | inactive | resolved",
                None,
                |r: &AllergyIntolerance| r
                    .clinical_status
                    .iter()
                    .flat_map(codeable_concept)
                    .collect()
            ),
            param!(
                "code",
                Token,
                "http://hl7.org/fhir/SearchParameter/clinical-code",
                "Substance or allergy code (SNOMED CT)",
                None,
                |r: &AllergyIntolerance| codeable_concept(&r.code).collect()
            ),
            param!(
                "criticality",
                Token,
                "http://hl7.org/fhir/SearchParameter/AllergyIntolerance-criticality",
                "low | high | unable-to-assess",
                None,
                |r: &AllergyIntolerance| r
                    .criticality
                    .as_deref()
                    .map(|c| code("http://hl7.org/fhir/allergy-intolerance-criticality", c))
                    .into_iter()
                    .collect()
            ),
            param!(
                "type",
                Token,
                "http://hl7.org/fhir/SearchParameter/clinical-type",
                "allergy | intolerance",
                None,
                |r: &AllergyIntolerance| r
                    .type_
                    .as_deref()
                    .map(|c| code("http://hl7.org/fhir/allergy-intolerance-type", c))
                    .into_iter()
                    .collect()
            ),
            param!(
                "date",
                Date,
                "http://hl7.org/fhir/SearchParameter/clinical-date",
                "When the allergy was recorded",
                None,
                |r: &AllergyIntolerance| r
                    .recorded_date
                    .as_deref()
                    .and_then(date)
                    .into_iter()
                    .collect()
            ),
        ]
    });

impl Searchable for AllergyIntolerance {
    fn params() -> &'static [ParamDef<Self>] {
        &ALLERGY_PARAMS
    }
    fn includes() -> &'static [&'static str] {
        &["AllergyIntolerance:patient"]
    }
    fn default_sort() -> &'static str {
        "-date"
    }
}

static CONDITION_PARAMS: std::sync::LazyLock<Vec<ParamDef<Condition>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            last_updated_param(),
            param!(
                "patient",
                Reference,
                "http://hl7.org/fhir/SearchParameter/clinical-patient",
                "The patient with the condition",
                Some("Patient"),
                |r: &Condition| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "subject",
                Reference,
                "http://hl7.org/fhir/SearchParameter/Condition-subject",
                "The patient with the condition (same as patient here)",
                Some("Patient"),
                |r: &Condition| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "clinical-status",
                Token,
                "http://hl7.org/fhir/SearchParameter/Condition-clinical-status",
                "active | resolved | ...",
                None,
                |r: &Condition| r
                    .clinical_status
                    .iter()
                    .flat_map(codeable_concept)
                    .collect()
            ),
            param!(
                "code",
                Token,
                "http://hl7.org/fhir/SearchParameter/clinical-code",
                "Diagnosis code (national ICD-10 edition and ICD-10)",
                None,
                |r: &Condition| codeable_concept(&r.code).collect()
            ),
            param!(
                "category",
                Token,
                "http://hl7.org/fhir/SearchParameter/Condition-category",
                "problem-list-item | encounter-diagnosis",
                None,
                |r: &Condition| r.category.iter().flat_map(codeable_concept).collect()
            ),
            param!(
                "onset-date",
                Date,
                "http://hl7.org/fhir/SearchParameter/Condition-onset-date",
                "When the condition began",
                None,
                |r: &Condition| r
                    .onset_date_time
                    .as_deref()
                    .and_then(date)
                    .into_iter()
                    .collect()
            ),
        ]
    });

impl Searchable for Condition {
    fn params() -> &'static [ParamDef<Self>] {
        &CONDITION_PARAMS
    }
    fn includes() -> &'static [&'static str] {
        &["Condition:patient", "Condition:subject"]
    }
    fn default_sort() -> &'static str {
        "-onset-date"
    }
}

static CONSENT_PARAMS: std::sync::LazyLock<Vec<ParamDef<Consent>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            last_updated_param(),
            param!(
                "patient",
                Reference,
                "http://hl7.org/fhir/SearchParameter/clinical-patient",
                "The patient the consent is about",
                Some("Patient"),
                |r: &Consent| r.patient.as_ref().and_then(reference).into_iter().collect()
            ),
            param!(
                "status",
                Token,
                "http://hl7.org/fhir/SearchParameter/Consent-status",
                "draft | proposed | active | rejected | inactive | entered-in-error",
                None,
                |r: &Consent| vec![code("http://hl7.org/fhir/consent-state-codes", &r.status)]
            ),
            param!(
                "scope",
                Token,
                "http://hl7.org/fhir/SearchParameter/Consent-scope",
                "patient-privacy | research | treatment | adr",
                None,
                |r: &Consent| codeable_concept(&r.scope).collect()
            ),
            param!(
                "category",
                Token,
                "http://hl7.org/fhir/SearchParameter/Consent-category",
                "Classification of the consent statement",
                None,
                |r: &Consent| r.category.iter().flat_map(codeable_concept).collect()
            ),
            param!(
                "date",
                Date,
                "http://hl7.org/fhir/SearchParameter/clinical-date",
                "When the consent was agreed to (Consent.dateTime)",
                None,
                |r: &Consent| r.date_time.as_deref().and_then(date).into_iter().collect()
            ),
            param!(
                "identifier",
                Token,
                "http://hl7.org/fhir/SearchParameter/clinical-identifier",
                "Identifier of the consent",
                None,
                |r: &Consent| identifiers(&r.identifier).collect()
            ),
        ]
    });

impl Searchable for Consent {
    fn params() -> &'static [ParamDef<Self>] {
        &CONSENT_PARAMS
    }
    fn default_sort() -> &'static str {
        "-_lastUpdated"
    }
}

static AUDIT_EVENT_PARAMS: std::sync::LazyLock<Vec<ParamDef<AuditEvent>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            param!(
                "patient",
                Reference,
                "http://hl7.org/fhir/SearchParameter/AuditEvent-patient",
                "The patient whose data was accessed (required)",
                Some("Patient"),
                |r: &AuditEvent| r
                    .entity
                    .iter()
                    .filter_map(|e| e.what.as_ref())
                    .filter_map(reference)
                    .filter(|v| matches!(v, IndexValue::Reference(s) if s.starts_with("Patient/")))
                    .collect()
            ),
            param!(
                "date",
                Date,
                "http://hl7.org/fhir/SearchParameter/AuditEvent-date",
                "When the access was recorded",
                None,
                |r: &AuditEvent| date(&r.recorded).into_iter().collect()
            ),
            param!(
                "agent",
                Reference,
                "http://hl7.org/fhir/SearchParameter/AuditEvent-agent",
                "Who took part: the person (Patient/...) who used the data",
                None,
                |r: &AuditEvent| r
                    .agent
                    .iter()
                    .filter_map(|a| a.who.as_ref())
                    .filter_map(reference)
                    .collect()
            ),
            param!(
                "agent-name",
                String,
                "http://hl7.org/fhir/SearchParameter/AuditEvent-agent-name",
                "Name of an agent: the professional, the organisation or the app",
                None,
                |r: &AuditEvent| r
                    .agent
                    .iter()
                    .flat_map(|a| {
                        a.name
                            .as_deref()
                            .into_iter()
                            .chain(a.who.as_ref().and_then(|w| w.display.as_deref()))
                    })
                    .map(IndexValue::Str)
                    .collect()
            ),
            param!(
                "type",
                Token,
                "http://hl7.org/fhir/SearchParameter/AuditEvent-type",
                "Type of event: rest (data access), 110114 (user authentication), ...",
                None,
                |r: &AuditEvent| token_of(&r.type_).into_iter().collect()
            ),
            param!(
                "subtype",
                Token,
                "http://hl7.org/fhir/SearchParameter/AuditEvent-subtype",
                "read | search-type | operation | create | update | delete | login | logout | ...",
                None,
                |r: &AuditEvent| r.subtype.iter().filter_map(token_of).collect()
            ),
            param!(
                "action",
                Token,
                "http://hl7.org/fhir/SearchParameter/AuditEvent-action",
                "C | R | U | D | E",
                None,
                |r: &AuditEvent| r
                    .action
                    .as_deref()
                    .map(|a| code("http://hl7.org/fhir/audit-event-action", a))
                    .into_iter()
                    .collect()
            ),
            param!(
                "outcome",
                Token,
                "http://hl7.org/fhir/SearchParameter/AuditEvent-outcome",
                "0 success | 4 minor failure (refused, not found) | 8 serious failure",
                None,
                |r: &AuditEvent| r
                    .outcome
                    .as_deref()
                    .map(|o| code("http://hl7.org/fhir/audit-event-outcome", o))
                    .into_iter()
                    .collect()
            ),
        ]
    });

fn token_of(c: &crate::fhir::datatypes::Coding) -> Option<IndexValue<'_>> {
    Some(IndexValue::Token {
        system: c.system.as_deref(),
        code: c.code.as_deref()?,
        text: c.display.as_deref(),
    })
}

impl Searchable for AuditEvent {
    fn params() -> &'static [ParamDef<Self>] {
        &AUDIT_EVENT_PARAMS
    }
    fn default_sort() -> &'static str {
        "-date"
    }
}

static OBSERVATION_PARAMS: std::sync::LazyLock<Vec<ParamDef<Observation>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            last_updated_param(),
            param!(
                "patient",
                Reference,
                "http://hl7.org/fhir/SearchParameter/clinical-patient",
                "The patient the result is about",
                Some("Patient"),
                |r: &Observation| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "subject",
                Reference,
                "http://hl7.org/fhir/SearchParameter/Observation-subject",
                "The patient the result is about",
                Some("Patient"),
                |r: &Observation| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "category",
                Token,
                "http://hl7.org/fhir/SearchParameter/Observation-category",
                "laboratory (observation-category), or the LOINC study type (18719-5 chemistry, 18723-7 haematology, 18725-2 microbiology)",
                None,
                |r: &Observation| r.category.iter().flat_map(codeable_concept).collect()
            ),
            param!(
                "code",
                Token,
                "http://hl7.org/fhir/SearchParameter/clinical-code",
                "The test: LOINC, or the national code (NLK, NPU, Kuntaliitto)",
                None,
                |r: &Observation| codeable_concept(&r.code).collect()
            ),
            param!(
                "date",
                Date,
                "http://hl7.org/fhir/SearchParameter/clinical-date",
                "When the specimen was taken",
                None,
                |r: &Observation| r
                    .effective_date_time
                    .as_deref()
                    .and_then(date)
                    .into_iter()
                    .collect()
            ),
            param!(
                "status",
                Token,
                "http://hl7.org/fhir/SearchParameter/Observation-status",
                "preliminary | final | corrected",
                None,
                |r: &Observation| vec![code("http://hl7.org/fhir/observation-status", &r.status)]
            ),
            param!(
                "value-quantity",
                Quantity,
                "http://hl7.org/fhir/SearchParameter/Observation-value-quantity",
                "The measured value, [prefix]number|system|code (UCUM), with the precision of the number written",
                None,
                |r: &Observation| r
                    .value_quantity
                    .as_ref()
                    .and_then(quantity)
                    .into_iter()
                    .collect()
            ),
        ]
    });

impl Searchable for Observation {
    fn params() -> &'static [ParamDef<Self>] {
        &OBSERVATION_PARAMS
    }
    fn includes() -> &'static [&'static str] {
        &["Observation:patient", "Observation:subject"]
    }
    fn default_sort() -> &'static str {
        "-date"
    }
}

static DIAGNOSTIC_REPORT_PARAMS: std::sync::LazyLock<Vec<ParamDef<DiagnosticReport>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            last_updated_param(),
            param!(
                "patient",
                Reference,
                "http://hl7.org/fhir/SearchParameter/clinical-patient",
                "The patient the report is about",
                Some("Patient"),
                |r: &DiagnosticReport| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "subject",
                Reference,
                "http://hl7.org/fhir/SearchParameter/DiagnosticReport-subject",
                "The patient the report is about",
                Some("Patient"),
                |r: &DiagnosticReport| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "category",
                Token,
                "http://hl7.org/fhir/SearchParameter/DiagnosticReport-category",
                "LAB (v2-0074), or the LOINC study type (18719-5, 18723-7, 18725-2)",
                None,
                |r: &DiagnosticReport| r.category.iter().flat_map(codeable_concept).collect()
            ),
            param!(
                "code",
                Token,
                "http://hl7.org/fhir/SearchParameter/clinical-code",
                "The kind of report (LOINC 11502-2 Laboratory report)",
                None,
                |r: &DiagnosticReport| codeable_concept(&r.code).collect()
            ),
            param!(
                "date",
                Date,
                "http://hl7.org/fhir/SearchParameter/clinical-date",
                "When the specimen was taken",
                None,
                |r: &DiagnosticReport| r
                    .effective_date_time
                    .as_deref()
                    .and_then(date)
                    .into_iter()
                    .collect()
            ),
            param!(
                "status",
                Token,
                "http://hl7.org/fhir/SearchParameter/DiagnosticReport-status",
                "preliminary | final | corrected",
                None,
                |r: &DiagnosticReport| vec![code(
                    "http://hl7.org/fhir/diagnostic-report-status",
                    &r.status
                )]
            ),
            param!(
                "result",
                Reference,
                "http://hl7.org/fhir/SearchParameter/DiagnosticReport-result",
                "The report's results (Observations)",
                Some("Observation"),
                |r: &DiagnosticReport| r.result.iter().filter_map(reference).collect()
            ),
        ]
    });

impl Searchable for DiagnosticReport {
    fn params() -> &'static [ParamDef<Self>] {
        &DIAGNOSTIC_REPORT_PARAMS
    }
    fn includes() -> &'static [&'static str] {
        &[
            "DiagnosticReport:patient",
            "DiagnosticReport:subject",
            "DiagnosticReport:result",
        ]
    }
    fn default_sort() -> &'static str {
        "-date"
    }
}

static MEDICATION_DISPENSE_PARAMS: std::sync::LazyLock<Vec<ParamDef<MedicationDispense>>> =
    std::sync::LazyLock::new(|| {
        vec![
            id_param(),
            last_updated_param(),
            param!(
                "patient",
                Reference,
                "http://hl7.org/fhir/SearchParameter/clinical-patient",
                "The patient the medicine was dispensed for",
                Some("Patient"),
                |r: &MedicationDispense| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "subject",
                Reference,
                "http://hl7.org/fhir/SearchParameter/MedicationDispense-subject",
                "The patient the medicine was dispensed for",
                Some("Patient"),
                |r: &MedicationDispense| reference(&r.subject).into_iter().collect()
            ),
            param!(
                "prescription",
                Reference,
                "http://hl7.org/fhir/SearchParameter/MedicationDispense-prescription",
                "The prescription (MedicationRequest) the dispensation was made under",
                Some("MedicationRequest"),
                |r: &MedicationDispense| r
                    .authorizing_prescription
                    .iter()
                    .filter_map(reference)
                    .collect()
            ),
            param!(
                "whenhandedover",
                Date,
                "http://hl7.org/fhir/SearchParameter/MedicationDispense-whenhandedover",
                "When the medicine was handed over",
                None,
                |r: &MedicationDispense| date(&r.when_handed_over).into_iter().collect()
            ),
            param!(
                "status",
                Token,
                "http://hl7.org/fhir/SearchParameter/medications-status",
                "completed (the registers hold dispensations that took place)",
                None,
                |r: &MedicationDispense| vec![code(
                    "http://terminology.hl7.org/CodeSystem/medicationdispense-status",
                    &r.status
                )]
            ),
            param!(
                "code",
                Token,
                "http://hl7.org/fhir/SearchParameter/clinical-code",
                "The medicine: ATC, or the national product code",
                None,
                |r: &MedicationDispense| codeable_concept(&r.medication_codeable_concept).collect()
            ),
        ]
    });

impl Searchable for MedicationDispense {
    fn params() -> &'static [ParamDef<Self>] {
        &MEDICATION_DISPENSE_PARAMS
    }
    fn includes() -> &'static [&'static str] {
        &[
            "MedicationDispense:patient",
            "MedicationDispense:subject",
            "MedicationDispense:prescription",
        ]
    }
    fn default_sort() -> &'static str {
        "-whenhandedover"
    }
}
