//! How each resource type is made from a person's national records.

use crate::consent::policy::Category;
use crate::consent::{self, Viewer};
use crate::fhir::resources::{
    AllergyIntolerance, Condition, Immunization, MedicationRequest, Patient,
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

impl Loadable for MedicationRequest {
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
            .filter(|r| wanted(only, &r.key))
            .map(|r| mapping::medication_request(country, person, r))
            .collect()
    }
}

impl Loadable for Immunization {
    const IS_RECORD: bool = true;
    const CATEGORY: Category = Category::Vaccinations;

    fn load(
        country: Country,
        person: &Person,
        records: &PersonRecords,
        _: Viewer,
        only: Option<&str>,
    ) -> Vec<Self> {
        records
            .vaccinations
            .iter()
            .filter(|r| wanted(only, &r.key))
            .map(|r| mapping::immunization(country, person, r))
            .collect()
    }
}

impl Loadable for AllergyIntolerance {
    const IS_RECORD: bool = true;
    const CATEGORY: Category = Category::PatientRecord;

    fn load(
        country: Country,
        person: &Person,
        records: &PersonRecords,
        _: Viewer,
        only: Option<&str>,
    ) -> Vec<Self> {
        records
            .allergies
            .iter()
            .filter(|r| wanted(only, &r.key))
            .map(|r| mapping::allergy_intolerance(country, person, r))
            .collect()
    }
}

impl Loadable for Condition {
    const IS_RECORD: bool = true;
    const CATEGORY: Category = Category::PatientRecord;

    fn load(
        country: Country,
        person: &Person,
        records: &PersonRecords,
        _: Viewer,
        only: Option<&str>,
    ) -> Vec<Self> {
        records
            .conditions
            .iter()
            .filter(|r| wanted(only, &r.key))
            .map(|r| mapping::condition(country, person, r))
            .collect()
    }
}
