//! The national record model: what the portals hold, in their own terms.
//!
//! Records keep their national meaning (national identifiers, national drug and vaccine
//! codes beside ATC, national professional registries). Nothing here knows FHIR: the
//! `mapping` room turns these records into resources.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::national_id::{Country, NationalId};

/// A person as the portal's population register knows them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// The portal's own stable key for the person; never a national identifier.
    pub key: String,
    pub national_id: NationalId,
    pub family: String,
    pub given: Vec<String>,
    pub sex: Sex,
    #[serde(with = "iso_date")]
    pub birth_date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<Telecom>,
    /// Protected identity/address (NO code 6/7, SE skyddad folkbokföring, FI turvakielto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protection: Option<Protection>,
    /// Preferred language, BCP 47 (nb, nn, sv, da, fi, se, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Helsenorge consent level (Norway only); `None` outside Norway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_consent: Option<PortalConsentLevel>,
    /// Parents/guardians of this person, by person key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardians: Vec<String>,
    /// Choices the citizen made in the portal that the consent engine starts from.
    #[serde(default, skip_serializing_if = "PortalChoices::is_empty")]
    pub choices: PortalChoices,
    /// Last change of the person record in the register.
    #[serde(with = "time::serde::rfc3339")]
    pub updated: time::OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Female,
    Male,
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub lines: Vec<String>,
    pub postal_code: String,
    pub city: String,
    /// Municipality code of the national register (kommunenummer, kommunkod, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telecom {
    pub kind: TelecomKind,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelecomKind {
    Phone,
    Email,
}

/// The national flavours of a protected identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protection {
    /// Norway, Folkeregisteret "strengt fortrolig" (code 6, also 6 = utland).
    NoStrictlyConfidential,
    /// Norway, Folkeregisteret "fortrolig" (code 7).
    NoConfidential,
    /// Sweden, skyddad folkbokföring.
    SeProtectedRegistration,
    /// Finland, turvakielto (non-disclosure for personal safety).
    FiNonDisclosure,
    /// Denmark, navne- og adressebeskyttelse.
    DkAddressProtection,
}

/// Helsenorge's levels of consent to use the portal's services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortalConsentLevel {
    /// Consent to use the portal withdrawn: no app access at all.
    Withdrawn,
    Basic,
    BasicPlus,
    Full,
}

/// Restrictions and opt-outs the citizen registered in the national portal.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalChoices {
    /// Professionals (by national professional id) blocked from the person's records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_professionals: Vec<String>,
    /// Cross-border (MyHealth@EU) services the person opted out of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cross_border_opt_out: Vec<CrossBorderService>,
    /// Opted out of secondary use (EHDS Art. 71).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secondary_use_opt_out: bool,
}

impl PortalChoices {
    pub fn is_empty(&self) -> bool {
        self.blocked_professionals.is_empty()
            && self.cross_border_opt_out.is_empty()
            && !self.secondary_use_opt_out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrossBorderService {
    PatientSummary,
    EPrescription,
}

/// A power of attorney: the grantor lets the holder act for them in some service areas.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerOfAttorney {
    pub key: String,
    pub grantor: String,
    pub holder: String,
    pub service_areas: Vec<ServiceArea>,
    #[serde(with = "iso_date")]
    pub valid_from: Date,
    #[serde(
        default,
        with = "iso_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub valid_to: Option<Date>,
}

/// Portal service areas a proxy right can cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceArea {
    Prescriptions,
    Vaccinations,
    PatientRecord,
    TestResults,
    Appointments,
    Dialogue,
    AccessLog,
}

/// A health professional as the national registry knows them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Professional {
    /// National professional id (HPR-nummer, HSA-id, autorisations-ID, Valvira/Terhikki id).
    pub id: String,
    pub name: String,
    pub organization: Organization,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// National organisation id (NO org.nr/HER-id, SE HSA-id, DK SOR/CVR, FI SOTE OID).
    pub id: String,
    pub name: String,
}

/// A coded concept in a national or international code system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub code: String,
    pub display: String,
}

/// A prescription in the national e-prescription register (Reseptformidleren, Läkemedelsförteckningen/NLL,
/// Fælles Medicinkort, Reseptikeskus).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prescription {
    pub key: String,
    pub person: String,
    pub atc: Code,
    /// National product code: NO FEST varenummer, SE NPL-id, DK Drug ID, FI VNR.
    pub product: Code,
    pub dosage_text: String,
    #[serde(with = "time::serde::rfc3339")]
    pub authored: time::OffsetDateTime,
    pub prescriber: Professional,
    pub status: PrescriptionStatus,
    #[serde(
        default,
        with = "iso_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub valid_until: Option<Date>,
    /// Prescription the person asked to lock/restrict (NO "låst resept", SE "spärrad").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restricted: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dispensations: Vec<Dispensation>,
    /// Not to be shown to the patient before this date (FI ReleaseDateForPatientViewing).
    #[serde(
        default,
        with = "iso_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub release_date: Option<Date>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: time::OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrescriptionStatus {
    Active,
    Completed,
    Cancelled,
    Expired,
    OnHold,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dispensation {
    #[serde(with = "iso_date")]
    pub date: Date,
    pub pharmacy: String,
    pub quantity: String,
}

/// A vaccination in the national register (SYSVAK, NVR, Det Danske Vaccinationsregister, Kanta).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vaccination {
    pub key: String,
    pub person: String,
    pub atc: Code,
    /// National vaccine code: NO SYSVAK, SE NPL-id, DK vaccine code, FI VNR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national: Option<Code>,
    #[serde(with = "iso_date")]
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    pub performer: Professional,
    pub status: VaccinationStatus,
    #[serde(
        default,
        with = "iso_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub release_date: Option<Date>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: time::OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VaccinationStatus {
    Completed,
    EnteredInError,
    NotDone,
}

/// Critical information: an allergy or intolerance (NO "kritisk informasjon", SE "uppmärksamhetsinformation").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allergy {
    pub key: String,
    pub person: String,
    /// SNOMED CT substance or allergy concept.
    pub substance: Code,
    pub kind: AllergyKind,
    pub criticality: Criticality,
    pub active: bool,
    #[serde(with = "iso_date")]
    pub recorded: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<Code>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: time::OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllergyKind {
    Allergy,
    Intolerance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Criticality {
    Low,
    High,
    UnableToAssess,
}

/// Critical information: a condition (diagnosis) coded in the national ICD-10 edition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionRecord {
    pub key: String,
    pub person: String,
    /// ICD-10 code as the nation uses it (ICD-10, ICD-10-SE, SKS "D"-prefixed, ICD-10 FI).
    pub icd10: Code,
    #[serde(with = "iso_date")]
    pub onset: Date,
    #[serde(
        default,
        with = "iso_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub abated: Option<Date>,
    #[serde(
        default,
        with = "iso_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub release_date: Option<Date>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: time::OffsetDateTime,
}

/// A laboratory report as the national results service holds it (Helsenorge "Prøvesvar",
/// 1177 "Provsvar", sundhed.dk "Laboratoriesvar", MyKanta "Laboratoriotutkimukset"): one
/// requisition's results from one specimen, released by one laboratory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabReport {
    pub key: String,
    pub person: String,
    /// The laboratory's accession (requisition) number of the report.
    pub accession: String,
    /// What the report is called in the portal ("Blodprøver", "Urinodling", ...).
    pub title: String,
    pub study: LabStudy,
    pub status: LabReportStatus,
    /// When the specimen was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub collected: time::OffsetDateTime,
    /// When the laboratory released the results.
    #[serde(with = "time::serde::rfc3339")]
    pub issued: time::OffsetDateTime,
    /// The specimen's type, SNOMED CT (119297000 Blood specimen, 122575003 Urine specimen, ...).
    pub specimen: Code,
    pub laboratory: Organization,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<Professional>,
    pub results: Vec<LabResult>,
    /// The laboratory's comment on the report as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
    /// Not to be shown to the patient before this date (FI ReleaseDateForPatientViewing).
    #[serde(
        default,
        with = "iso_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub release_date: Option<Date>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: time::OffsetDateTime,
}

/// The kind of study, as the HL7 Europe laboratory guide groups results (LOINC study types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabStudy {
    Chemistry,
    Haematology,
    Microbiology,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabReportStatus {
    /// Some results still to come.
    Preliminary,
    Final,
    /// Changed after it was final.
    Corrected,
}

/// One result of a report. A culture's result holds the susceptibility results of the
/// organism it found as `members`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabResult {
    /// Unique among the person's records (reports and results alike).
    pub key: String,
    pub loinc: Code,
    /// The nation's own test code: NO NLK (Norsk laboratoriekodeverk), SE and DK NPU, FI
    /// Kuntaliitto's laboratory test code. `None` where the laboratory gave LOINC only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national: Option<Code>,
    pub value: LabValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_range: Option<ReferenceRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpretation: Option<Interpretation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<LabResult>,
}

/// A result's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LabValue {
    /// A measured quantity in a UCUM unit (`mmol/L`, `10*9/L`, `g/L`, ...).
    Quantity {
        value: f64,
        unit: String,
    },
    /// A coded finding, SNOMED CT (an organism, "Detected", "Not detected").
    Coded {
        code: String,
        display: String,
    },
    Text {
        text: String,
    },
    /// No value of its own: a panel or culture whose members carry the results.
    None,
}

/// The normal range of a quantity, in the value's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The laboratory's flag on a result (HL7 v3 ObservationInterpretation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Interpretation {
    Normal,
    High,
    Low,
    CriticalHigh,
    CriticalLow,
    Abnormal,
    Detected,
    NotDetected,
    Susceptible,
    Intermediate,
    Resistant,
}

/// Everything one country's portal holds, as it is loaded into the embedded source.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountryDataSet {
    pub country: Option<Country>,
    #[serde(default)]
    pub persons: Vec<Person>,
    #[serde(default)]
    pub powers_of_attorney: Vec<PowerOfAttorney>,
    #[serde(default)]
    pub prescriptions: Vec<Prescription>,
    #[serde(default)]
    pub vaccinations: Vec<Vaccination>,
    #[serde(default)]
    pub allergies: Vec<Allergy>,
    #[serde(default)]
    pub conditions: Vec<ConditionRecord>,
    #[serde(default)]
    pub lab_reports: Vec<LabReport>,
}

/// `YYYY-MM-DD` dates in the data files.
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::{Date, macros::format_description};

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&date.format(FORMAT).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, FORMAT).map_err(serde::de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(d) => super::serialize(d, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
            match Option::<String>::deserialize(d)? {
                Some(text) => Date::parse(&text, FORMAT)
                    .map(Some)
                    .map_err(serde::de::Error::custom),
                None => Ok(None),
            }
        }
    }
}
