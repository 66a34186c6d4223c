//! Who may see what. The rules every response passes through before it leaves.
//!
//! `policy` decides, per caller and patient, which categories of data are visible (proxies,
//! age rules, portal consent levels, blocked professionals, break-the-glass). This module
//! applies that decision and the rules of the data itself, release delays (R21) and
//! protected identities (R13), to national records before mapping, so that what is hidden is
//! never mapped, counted or paged.

pub mod cross_border;
pub mod policy;
pub mod portal_opt_out;
pub mod provisions;
pub mod sensitivity;
pub mod settings;
pub mod validation;

use std::sync::Arc;

use time::Date;

use crate::portal::PersonRecords;
use crate::portal::model::{Person, Prescription};
use policy::{Categories, Category};

/// How the caller relates to the person whose data is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The person themself, through their own app.
    Subject,
    /// A patient-context token for this person used by someone else (a proxy).
    Representative,
    /// A health professional or a system client.
    Professional,
}

/// What one caller may see of one person's records: the decision of `policy`, and the
/// facts about the caller that records are checked against.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    pub viewer: Viewer,
    pub categories: Categories,
    pub hide_locked: bool,
    pub professional_id: Option<&'a str>,
}

/// The category a resource type's data belongs to, for those who see some categories only
/// (the access log's view for a representative). `None` for a type of no category.
pub fn category_of(resource_type: &str) -> Option<Category> {
    Some(match resource_type {
        "Patient" => Category::Demographics,
        "MedicationRequest" | "MedicationStatement" | "MedicationDispense" | "Medication" => {
            Category::Medications
        }
        "Immunization" => Category::Vaccinations,
        "AllergyIntolerance" | "Condition" => Category::PatientRecord,
        "Observation" | "DiagnosticReport" | "Specimen" => Category::TestResults,
        "AuditEvent" => Category::AccessLog,
        _ => return None,
    })
}

/// The records the view may see:
/// - only the categories the decision permits;
/// - records with a release date in the future are hidden from the patient and their
///   representatives until that date (R21, e.g. the Finnish ReleaseDateForPatientViewing,
///   which Kanta sets on laboratory results too);
///   professionals see them;
/// - locked prescriptions (NO "låst resept", SE "spärrad", FI per-visit restrictions) are
///   hidden where the decision says so, except from the professional who wrote them.
pub fn visible_records(
    records: Arc<PersonRecords>,
    view: &RecordView<'_>,
    today: Date,
) -> Arc<PersonRecords> {
    let released = |date: &Option<Date>| {
        view.viewer == Viewer::Professional || date.is_none_or(|d| d <= today)
    };
    let shows = |category: Category| view.categories.contains(category);
    let prescription_visible = |r: &Prescription| {
        released(&r.release_date)
            && !(view.hide_locked
                && r.restricted
                && view.professional_id != Some(r.prescriber.id.as_str()))
    };
    let everything = Category::ALL.iter().all(|c| shows(*c))
        && records.prescriptions.iter().all(prescription_visible)
        && records
            .vaccinations
            .iter()
            .all(|r| released(&r.release_date))
        && records.conditions.iter().all(|r| released(&r.release_date))
        && records
            .lab_reports
            .iter()
            .all(|r| released(&r.release_date));
    // The common case shares the source's records instead of copying them.
    if everything {
        return records;
    }
    Arc::new(PersonRecords {
        prescriptions: keep(
            shows(Category::Medications),
            &records.prescriptions,
            prescription_visible,
        ),
        vaccinations: keep(shows(Category::Vaccinations), &records.vaccinations, |r| {
            released(&r.release_date)
        }),
        allergies: keep(shows(Category::PatientRecord), &records.allergies, |_| true),
        conditions: keep(shows(Category::PatientRecord), &records.conditions, |r| {
            released(&r.release_date)
        }),
        lab_reports: keep(shows(Category::TestResults), &records.lab_reports, |r| {
            released(&r.release_date)
        }),
    })
}

fn keep<T: Clone>(category_shown: bool, records: &[T], visible: impl Fn(&T) -> bool) -> Vec<T> {
    if !category_shown {
        return Vec::new();
    }
    records.iter().filter(|r| visible(r)).cloned().collect()
}

/// Whether the viewer may see the person's address and contact details (R13): a protected
/// identity shows them to nobody but the person.
pub fn may_see_contact_details(person: &Person, viewer: Viewer) -> bool {
    person.protection.is_none() || viewer == Viewer::Subject
}
