//! Code and identifier systems: the international ones, and each nation's.

pub mod dk;
pub mod fi;
pub mod no;
pub mod se;

use crate::national_id::Country;

pub const ATC: &str = "http://www.whocc.no/atc";
pub const SNOMED_CT: &str = "http://snomed.info/sct";
pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
pub const BCP47: &str = "urn:ietf:bcp:47";
pub const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
pub const ALLERGY_CLINICAL: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
pub const ALLERGY_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
pub const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
pub const CONDITION_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/condition-ver-status";
pub const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
pub const OBSERVATION_INTERPRETATION: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
pub const DIAGNOSTIC_SERVICE_SECTION: &str = "http://terminology.hl7.org/CodeSystem/v2-0074";
pub const IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

/// The systems one nation's records are coded in.
pub struct NationalSystems {
    /// National product (package) code system of prescribed drugs.
    pub product_code: &'static str,
    /// National vaccine code system.
    pub vaccine_code: &'static str,
    /// Identifier system of health professionals.
    pub professional_id: &'static str,
    /// Identifier system of organisations (care providers, pharmacies).
    pub organization_id: &'static str,
    /// Code system of the national ICD-10 edition used in the records.
    pub icd10: &'static str,
    /// Human name of the national source register(s), for provenance (e.g. "Reseptformidleren").
    pub prescription_source: &'static str,
    pub vaccination_source: &'static str,
    /// Code system of the nation's laboratory test codes (NLK, NPU, Kuntaliitto).
    pub lab_code: &'static str,
}

pub fn for_country(country: Country) -> &'static NationalSystems {
    match country {
        Country::No => &no::SYSTEMS,
        Country::Se => &se::SYSTEMS,
        Country::Dk => &dk::SYSTEMS,
        Country::Fi => &fi::SYSTEMS,
    }
}
