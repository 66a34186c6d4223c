//! The sections of the summary, in document order, and what each one lists.
//!
//! - Problems (11450-4): conditions that are not resolved, inactive or in remission.
//! - Allergies and Intolerances (48765-2): every allergy and intolerance, active or not, with
//!   its clinical status.
//! - Medication Summary (10160-0): the medication in use, as MedicationStatements restated from
//!   the prescriptions that are active or on hold. Ended prescriptions are history; they stay
//!   available through `$everything`.
//! - Immunizations (11369-6): every vaccination except those entered in error; only when there
//!   is one (or when the caller may not read them, to say so).
//! - Results (30954-2): the laboratory reports and every result in them, as DiagnosticReports
//!   and Observations; only when there is one (or when the caller may not read results, to
//!   say so).
//! - History of Past Problems (11348-0; "History of Past Illness" in IPS 1.1.0): the conditions
//!   that are resolved, inactive or in remission; only when there is one.
//! - Alerts (104605-1, IPS 2.0 only): the critical information of the national portals
//!   (Helsenorge "kritisk informasjon", 1177 "uppmärksamhetsinformation"): a Flag for each
//!   active allergy of high criticality, pointing to it; only when there is one. The
//!   portals hold no patient story, so there is no Patient Story section.
//!
//! The three required sections never come out silently empty: with nothing to list they say
//! so (`nothing_to_list`), and when the caller may not read their type they say `withheld`.

use crate::fhir::datatypes::{CodeableConcept, Coding, Narrative, Reference};
use crate::fhir::resources::Flag;
use crate::fhir::resources::{
    AllergyIntolerance, CompositionSection, Condition, DiagnosticReport, Immunization,
    MedicationRequest, Observation,
};
use crate::fhir::uuid;

pub const FLAG_ALERT: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Flag-alert-uv-ips";
const FLAG_DETAIL: &str = "http://hl7.org/fhir/StructureDefinition/flag-detail";
const FLAG_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/flag-category";
use crate::mapping::medication_statement;

use super::narrative::{Xhtml, codes, concept, day};
use super::{Assembly, LIST_EMPTY_REASON, LOINC, PatientData, SummaryProfile, absent};

struct Kind {
    code: &'static str,
    display: &'static str,
    title: &'static str,
    /// How the narrative names the section's content.
    what: &'static str,
}

const PROBLEMS: Kind = Kind {
    code: "11450-4",
    display: "Problem list - Reported",
    title: "Problem List",
    what: "problems",
};
const ALLERGIES: Kind = Kind {
    code: "48765-2",
    display: "Allergies and adverse reactions Document",
    title: "Allergies and Intolerances",
    what: "allergies and intolerances",
};
const MEDICATIONS: Kind = Kind {
    code: "10160-0",
    display: "History of Medication use Narrative",
    title: "Medication Summary",
    what: "medication",
};
const IMMUNIZATIONS: Kind = Kind {
    code: "11369-6",
    display: "History of Immunization Narrative",
    title: "Immunizations",
    what: "immunizations",
};
const RESULTS: Kind = Kind {
    code: "30954-2",
    display: "Relevant diagnostic tests/laboratory data Narrative",
    title: "Results",
    what: "laboratory results",
};
const PAST_ILLNESS: Kind = Kind {
    code: "11348-0",
    display: "History of Past illness Narrative",
    title: "History of Past Illness",
    what: "past illnesses",
};
/// IPS 2.0 renamed the section; its code is the same.
const PAST_PROBLEMS: Kind = Kind {
    title: "History of Past Problems",
    what: "past problems",
    ..PAST_ILLNESS
};
const PROCEDURES: Kind = Kind {
    code: "47519-4",
    display: "History of Procedures Document",
    title: "History of Procedures",
    what: "procedures",
};
const MEDICAL_DEVICES: Kind = Kind {
    code: "46264-8",
    display: "History of medical device use",
    title: "Medical Devices",
    what: "medical devices",
};
const ALERTS: Kind = Kind {
    code: "104605-1",
    display: "Alert",
    title: "Alerts",
    what: "alerts",
};

pub(super) fn all(doc: &mut Assembly<'_>, data: &PatientData<'_>) -> Vec<CompositionSection> {
    let mut sections = vec![
        problems(doc, data.conditions),
        allergies(doc, data.allergy_intolerances),
        medications(doc, data.medication_requests),
    ];
    if doc.ctx.profile.has_empty_reasons() {
        sections.extend(alerts(doc, data.allergy_intolerances));
    }
    sections.extend(immunizations(doc, data.immunizations));
    sections.extend(results(doc, data.diagnostic_reports, data.observations));
    sections.extend(past_illness(doc, data.conditions));
    if doc.ctx.profile == SummaryProfile::EuEps {
        // Required by the EPS (to follow the EHDS data model); the portals hold neither.
        sections.push(unavailable(
            &PROCEDURES,
            "No information about procedures: the national portal holds no procedure history.",
        ));
        sections.push(unavailable(
            &MEDICAL_DEVICES,
            "No information about medical devices: the national portal holds no record of them.",
        ));
    }
    sections
}

fn section(kind: &Kind, entry: Vec<Reference>, text: Narrative) -> CompositionSection {
    CompositionSection {
        title: kind.title.into(),
        code: CodeableConcept::coded(LOINC, kind.code, kind.display),
        text,
        entry,
        empty_reason: None,
    }
}

/// A section whose resource type the caller may not read: no entries, and the reason.
fn withheld(kind: &Kind) -> CompositionSection {
    let mut text = Xhtml::new();
    text.paragraph(&format!(
        "Withheld: the access granted for this request does not include {}.",
        kind.what
    ));
    CompositionSection {
        empty_reason: Some(CodeableConcept {
            coding: vec![Coding::new(
                LIST_EMPTY_REASON,
                "withheld",
                "Information Withheld",
            )],
            text: None,
        }),
        ..section(kind, Vec::new(), text.finish())
    }
}

/// A required section with nothing to list. IPS 2.0 says so with the emptyReason
/// `unavailable` (ips-comp-1); IPS 1.1.0, whose required sections need an entry, with a
/// resource coded "no information about ..." from its absent/unknown code system (`absent.rs`).
/// Neither claims that the patient has none: an empty list in a national portal, or one the
/// caller may not see in full, is not evidence of that.
fn nothing_to_list(
    doc: &mut Assembly<'_>,
    kind: &Kind,
    words: &str,
    absent_resource: impl FnOnce(&Assembly<'_>) -> crate::fhir::Resource,
) -> CompositionSection {
    if doc.ctx.profile.has_empty_reasons() {
        return unavailable(kind, words);
    }
    let resource = absent_resource(doc);
    let entry = doc.generated(resource);
    let mut text = Xhtml::new();
    text.paragraph(words);
    section(kind, vec![entry], text.finish())
}

/// A section with the emptyReason `unavailable` and `words` as its narrative.
fn unavailable(kind: &Kind, words: &str) -> CompositionSection {
    let mut text = Xhtml::new();
    text.paragraph(words);
    CompositionSection {
        empty_reason: Some(CodeableConcept {
            coding: vec![Coding::new(LIST_EMPTY_REASON, "unavailable", "Unavailable")],
            text: None,
        }),
        ..section(kind, Vec::new(), text.finish())
    }
}

/// The id of a resource that exists only in documents, stable for the same patient and name.
fn document_only_id(doc: &Assembly<'_>, name: &str) -> String {
    uuid::from_name(&format!("{name}/{}", doc.patient_url))
}

fn is_past(condition: &Condition) -> bool {
    condition.clinical_status.as_ref().is_some_and(|status| {
        status.coding.iter().any(|c| {
            matches!(
                c.code.as_deref(),
                Some("resolved" | "inactive" | "remission")
            )
        })
    })
}

fn status_of(cc: &Option<CodeableConcept>) -> String {
    cc.as_ref().map(concept).unwrap_or_default()
}

fn problems(doc: &mut Assembly<'_>, conditions: Option<&[Condition]>) -> CompositionSection {
    let Some(conditions) = conditions else {
        return withheld(&PROBLEMS);
    };
    let current: Vec<&Condition> = conditions.iter().filter(|c| !is_past(c)).collect();
    if current.is_empty() {
        return nothing_to_list(
            doc,
            &PROBLEMS,
            "No information about problems: no current problem is recorded here.",
            |doc| {
                absent::no_problem_information(
                    document_only_id(doc, "no-known-problems"),
                    doc.patient_reference(),
                )
                .into()
            },
        );
    }
    let rows = current.iter().map(|c| {
        vec![
            concept(&c.code),
            codes(&c.code),
            status_of(&c.clinical_status),
            c.onset_date_time.as_deref().map(day).unwrap_or_default(),
        ]
    });
    let mut text = Xhtml::new();
    text.table(&["Problem", "Code", "Status", "Since"], rows);
    let entry = current.iter().map(|c| doc.served(*c)).collect();
    section(&PROBLEMS, entry, text.finish())
}

fn past_illness(
    doc: &mut Assembly<'_>,
    conditions: Option<&[Condition]>,
) -> Option<CompositionSection> {
    let past: Vec<&Condition> = conditions?.iter().filter(|c| is_past(c)).collect();
    if past.is_empty() {
        return None;
    }
    let rows = past.iter().map(|c| {
        vec![
            concept(&c.code),
            codes(&c.code),
            status_of(&c.clinical_status),
            c.onset_date_time.as_deref().map(day).unwrap_or_default(),
            c.abatement_date_time
                .as_deref()
                .map(day)
                .unwrap_or_default(),
        ]
    });
    let mut text = Xhtml::new();
    text.table(&["Illness", "Code", "Status", "From", "To"], rows);
    let entry = past.iter().map(|c| doc.served(*c)).collect();
    let kind = match doc.ctx.profile {
        SummaryProfile::Ips2_0 | SummaryProfile::EuEps => &PAST_PROBLEMS,
        SummaryProfile::Ips1_1 => &PAST_ILLNESS,
    };
    Some(section(kind, entry, text.finish()))
}

fn allergies(
    doc: &mut Assembly<'_>,
    allergies: Option<&[AllergyIntolerance]>,
) -> CompositionSection {
    let Some(allergies) = allergies else {
        return withheld(&ALLERGIES);
    };
    if allergies.is_empty() {
        return nothing_to_list(
            doc,
            &ALLERGIES,
            "No information about allergies: no allergy or intolerance is recorded here.",
            |doc| {
                absent::no_allergy_information(
                    document_only_id(doc, "no-known-allergies"),
                    doc.patient_reference(),
                )
                .into()
            },
        );
    }
    let rows = allergies.iter().map(|a| {
        vec![
            concept(&a.code),
            a.type_.clone().unwrap_or_default(),
            a.criticality.clone().unwrap_or_default(),
            status_of(&a.clinical_status),
            a.reaction
                .iter()
                .flat_map(|r| r.manifestation.iter().map(concept))
                .collect::<Vec<_>>()
                .join(", "),
        ]
    });
    let mut text = Xhtml::new();
    text.table(
        &["Substance", "Type", "Criticality", "Status", "Reaction"],
        rows,
    );
    let entry = allergies.iter().map(|a| doc.served(a)).collect();
    section(&ALLERGIES, entry, text.finish())
}

fn medications(
    doc: &mut Assembly<'_>,
    requests: Option<&[MedicationRequest]>,
) -> CompositionSection {
    let Some(requests) = requests else {
        return withheld(&MEDICATIONS);
    };
    let current: Vec<&MedicationRequest> = requests
        .iter()
        .filter(|r| matches!(r.status.as_str(), "active" | "on-hold"))
        .collect();
    if current.is_empty() {
        return nothing_to_list(
            doc,
            &MEDICATIONS,
            "No information about medications: no prescription in use is recorded here.",
            |doc| {
                absent::no_medication_information(
                    document_only_id(doc, "no-known-medications"),
                    doc.patient_reference(),
                )
                .into()
            },
        );
    }
    let statements: Vec<_> = current
        .iter()
        .map(|request| {
            let mut statement = medication_statement::from_request(
                request,
                uuid::from_name(&format!("MedicationStatement/{}", request.id)),
                doc.patient_reference(),
            );
            if doc.ctx.profile == SummaryProfile::EuEps {
                statement
                    .meta
                    .profile
                    .push(super::EPS_MEDICATION_STATEMENT.to_owned());
            }
            statement
        })
        .collect();
    let rows = statements.iter().map(|s| {
        vec![
            concept(&s.medication_codeable_concept),
            codes(&s.medication_codeable_concept),
            s.status.clone(),
            s.dosage
                .iter()
                .filter_map(|d| d.text.clone())
                .collect::<Vec<_>>()
                .join("; "),
            s.effective_period
                .as_ref()
                .and_then(|p| p.start.as_deref())
                .map(day)
                .unwrap_or_default(),
        ]
    });
    let mut text = Xhtml::new();
    text.table(&["Medication", "Codes", "Status", "Dosage", "Since"], rows);
    let text = text.finish();
    let entry = statements
        .into_iter()
        .map(|s| doc.generated(s.into()))
        .collect();
    section(&MEDICATIONS, entry, text)
}

fn immunizations(
    doc: &mut Assembly<'_>,
    immunizations: Option<&[Immunization]>,
) -> Option<CompositionSection> {
    let Some(immunizations) = immunizations else {
        return Some(withheld(&IMMUNIZATIONS));
    };
    let listed: Vec<&Immunization> = immunizations
        .iter()
        .filter(|i| i.status != "entered-in-error")
        .collect();
    if listed.is_empty() {
        return None;
    }
    let rows = listed.iter().map(|i| {
        vec![
            concept(&i.vaccine_code),
            codes(&i.vaccine_code),
            day(&i.occurrence_date_time),
            i.status.clone(),
            i.lot_number.clone().unwrap_or_default(),
        ]
    });
    let mut text = Xhtml::new();
    text.table(&["Vaccine", "Codes", "Date", "Status", "Lot"], rows);
    let entry = listed.iter().map(|i| doc.served(*i)).collect();
    Some(section(&IMMUNIZATIONS, entry, text.finish()))
}

/// The reports and their results. Every result a report or a culture refers to is in the
/// document, so the section needs the Observations; a caller who may read the reports but
/// not the results gets `withheld`, not reports whose references lead nowhere.
fn results(
    doc: &mut Assembly<'_>,
    reports: Option<&[DiagnosticReport]>,
    observations: Option<&[Observation]>,
) -> Option<CompositionSection> {
    let Some(observations) = observations else {
        return Some(withheld(&RESULTS));
    };
    let reports = reports.unwrap_or_default();
    if observations.is_empty() {
        return None;
    }
    let rows = observations.iter().map(|o| {
        vec![
            concept(&o.code),
            codes(&o.code),
            result_value(o),
            o.reference_range
                .iter()
                .map(range_text)
                .collect::<Vec<_>>()
                .join("; "),
            o.interpretation
                .iter()
                .map(concept)
                .collect::<Vec<_>>()
                .join(", "),
            o.effective_date_time
                .as_deref()
                .map(day)
                .unwrap_or_default(),
        ]
    });
    let mut text = Xhtml::new();
    text.table(
        &[
            "Test",
            "Codes",
            "Result",
            "Reference range",
            "Flag",
            "Taken",
        ],
        rows,
    );
    let mut entry: Vec<Reference> = reports.iter().map(|r| doc.served(r)).collect();
    entry.extend(observations.iter().map(|o| doc.served(o)));
    Some(section(&RESULTS, entry, text.finish()))
}

fn result_value(o: &Observation) -> String {
    if let Some(q) = &o.value_quantity {
        let value = q.value.map(|v| v.to_string()).unwrap_or_default();
        return match &q.unit {
            Some(unit) => format!("{value} {unit}"),
            None => value,
        };
    }
    if let Some(cc) = &o.value_codeable_concept {
        return concept(cc);
    }
    o.value_string.clone().unwrap_or_default()
}

fn range_text(range: &crate::fhir::resources::ObservationReferenceRange) -> String {
    if let Some(text) = &range.text {
        return text.clone();
    }
    let bound = |q: &Option<crate::fhir::datatypes::Quantity>| {
        q.as_ref().and_then(|q| q.value).map(|v| v.to_string())
    };
    match (bound(&range.low), bound(&range.high)) {
        (Some(low), Some(high)) => format!("{low}–{high}"),
        (Some(low), None) => format!("≥ {low}"),
        (None, Some(high)) => format!("≤ {high}"),
        (None, None) => String::new(),
    }
}

/// The critical information: a Flag for each active allergy of high criticality. The Flags
/// exist only in the document (a `urn:uuid:` fullUrl, so they point to the allergy and the
/// patient by absolute URL). A caller who may not read allergies gets no Alerts section at
/// all: the Allergies section already says `withheld`, and an alert would tell what it
/// withholds.
fn alerts(
    doc: &mut Assembly<'_>,
    allergies: Option<&[AllergyIntolerance]>,
) -> Option<CompositionSection> {
    let critical: Vec<&AllergyIntolerance> = allergies?
        .iter()
        .filter(|a| a.criticality.as_deref() == Some("high"))
        .filter(|a| {
            a.clinical_status
                .as_ref()
                .is_some_and(|s| s.coding.iter().any(|c| c.code.as_deref() == Some("active")))
        })
        .collect();
    if critical.is_empty() {
        return None;
    }
    let mut rows = Vec::new();
    let mut entry = Vec::new();
    for allergy in critical {
        let substance = concept(&allergy.code);
        let words = format!(
            "Critical information: {} to {substance}, high criticality",
            allergy.type_.as_deref().unwrap_or("allergy")
        );
        rows.push(vec![
            words.clone(),
            allergy
                .recorded_date
                .as_deref()
                .map(day)
                .unwrap_or_default(),
        ]);
        // Listed in the Allergies section already: referred to, not added again.
        let allergy_url = doc.url_of(allergy);
        let flag = Flag {
            id: uuid::from_name(&format!("Flag/{allergy_url}")),
            meta: crate::fhir::datatypes::Meta {
                profile: vec![FLAG_ALERT.to_owned()],
                ..Default::default()
            },
            extension: vec![crate::fhir::datatypes::Extension {
                url: FLAG_DETAIL.into(),
                value_reference: Some(Reference {
                    reference: Some(allergy_url),
                    display: Some(substance.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            status: "active".into(),
            category: vec![CodeableConcept::coded(
                FLAG_CATEGORY,
                "clinical",
                "Clinical",
            )],
            code: CodeableConcept {
                coding: allergy.code.coding.clone(),
                text: Some(words),
            },
            subject: doc.patient_reference(),
            period: allergy
                .recorded_date
                .as_ref()
                .map(|start| crate::fhir::datatypes::Period {
                    start: Some(start.clone()),
                    ..Default::default()
                }),
        };
        entry.push(doc.generated(flag.into()));
    }
    let mut text = Xhtml::new();
    text.table(&["Alert", "Since"], rows);
    Some(section(&ALERTS, entry, text.finish()))
}
