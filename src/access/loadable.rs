//! How each resource type is made from a person's national records.

use crate::consent::policy::Category;
use crate::consent::{self, Viewer};
use crate::fhir::resources::{
    AllergyIntolerance, Condition, DiagnosticReport, Immunization, MedicationDispense,
    MedicationRequest, Observation, Patient,
};
use crate::fhir::search::Searchable;
use crate::mapping;
use crate::national_id::Country;
use crate::portal::PersonRecords;
use crate::portal::model::Person;

pub trait Loadable: Searchable {
    /// `false` for Patient, whose id is the person's; `true` for the person's records.
    const IS_RECORD: bool;
    /// The kind of data, as the access rules divide it.
    const CATEGORY: Category;

    /// Maps the person's (already released) records of this type; `only` limits the work
    /// to one record key.
    fn load(
        country: Country,
        person: &Person,
        records: &PersonRecords,
        viewer: Viewer,
        only: Option<&str>,
    ) -> Vec<Self>;
}

fn wanted(only: Option<&str>, key: &str) -> bool {
    only.is_none_or(|k| k == key)
}

impl Loadable for Patient {
    const IS_RECORD: bool = false;
    const CATEGORY: Category = Category::Demographics;

    fn load(
        country: Country,
        person: &Person,
        _: &PersonRecords,
        viewer: Viewer,
        _: Option<&str>,
    ) -> Vec<Self> {
        let mut patient = mapping::patient(country, person);
        if !consent::may_see_contact_details(person, viewer) {
            patient.address.clear();
            patient.telecom.clear();
        }
        vec![patient]
    }
}

/// A person's records of one kind: take the released ones of that kind, map each.
macro_rules! record_loadable {
    ($ty:ident, $category:ident, $records:ident, $map:path) => {
        impl Loadable for $ty {
            const IS_RECORD: bool = true;
            const CATEGORY: Category = Category::$category;

            fn load(
                country: Country,
                person: &Person,
                records: &PersonRecords,
                _: Viewer,
                only: Option<&str>,
            ) -> Vec<Self> {
                records
                    .$records
                    .iter()
                    .filter(|r| wanted(only, &r.key))
                    .map(|r| $map(country, person, r))
                    .collect()
            }
        }
    };
}

record_loadable!(
    MedicationRequest,
    Medications,
    prescriptions,
    mapping::medication_request
);
record_loadable!(
    Immunization,
    Vaccinations,
    vaccinations,
    mapping::immunization
);
record_loadable!(
    AllergyIntolerance,
    PatientRecord,
    allergies,
    mapping::allergy_intolerance
);
record_loadable!(Condition, PatientRecord, conditions, mapping::condition);
record_loadable!(
    DiagnosticReport,
    TestResults,
    lab_reports,
    mapping::laboratory::diagnostic_report
);

/// Every result of every report is an Observation of its own; `only` names a result's key.
impl Loadable for Observation {
    const IS_RECORD: bool = true;
    const CATEGORY: Category = Category::TestResults;

    fn load(
        country: Country,
        person: &Person,
        records: &PersonRecords,
        _: Viewer,
        only: Option<&str>,
    ) -> Vec<Self> {
        records
            .lab_reports
            .iter()
            .flat_map(|report| {
                mapping::laboratory::all_results(report)
                    .into_iter()
                    .filter(|r| wanted(only, &r.key))
                    .map(|r| mapping::laboratory::observation(country, person, report, r))
            })
            .collect()
    }
}

/// Each dispensation of a visible prescription; `only` names a dispensation's key
/// (`<prescription key>-d<n>`). A prescription the viewer may not see takes its
/// dispensations with it.
impl Loadable for MedicationDispense {
    const IS_RECORD: bool = true;
    const CATEGORY: Category = Category::Medications;

    fn load(
        country: Country,
        person: &Person,
        records: &PersonRecords,
        _: Viewer,
        only: Option<&str>,
    ) -> Vec<Self> {
        records
            .prescriptions
            .iter()
            .filter(|rx| {
                only.is_none_or(|key| {
                    key.strip_prefix(rx.key.as_str())
                        .is_some_and(|rest| rest.starts_with("-d"))
                })
            })
            .flat_map(|rx| {
                let request = mapping::medication_request(country, person, rx);
                mapping::medication_dispense::dispenses(country, person, rx, &request)
            })
            .filter(|d| only.is_none_or(|key| d.id.ends_with(&format!(".{key}"))))
            .collect()
    }
}
