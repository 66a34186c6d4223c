//! Validation of the FHIR resources the gateway returns.
//!
//! Two layers, the R4 schema and the project's profile schemas, all read from `fhir-profiles/` at
//! the crate root (see its README.md):
//!
//! * the official FHIR R4 (4.0.1) JSON schema, `fhir-profiles/r4/fhir.schema.json` (draft-06),
//!   with one addition made in memory: its complex types must be JSON objects (see
//!   `require_objects`);
//! * the project's IPS profile schemas (draft 2020-12), which add what the R4 schema cannot
//!   express: the IPS required elements, required primitives (a required `status` must come as
//!   `status`, not only as `_status`), choice-type cardinalities and the invariants that JSON
//!   Schema can state. A document Bundle is checked against Bundle-uv-ips, and its entries
//!   against their own profiles. These apply by resource type, in one of two versions
//!   ([`IpsVersion`]): IPS 2.0.0 (`fhir-profiles/ips-2.0/`, [`PROFILES`]) by default, IPS 1.1.0
//!   (`fhir-profiles/ips/`, [`PROFILES_1_1_0`]) to a resource that claims the 1.1.0 profile of
//!   its type (`…/Composition-uv-ips|1.1.0`) and to the entries of a document Bundle that
//!   claims `…/Bundle-uv-ips|1.1.0`. [`validate_as`] chooses the version explicitly;
//! * the profile schemas that apply to a resource when it claims their profile in
//!   `meta.profile` ([`CLAIMED_PROFILES`]), Bundle entries and contained resources included:
//!   the laboratory ones (`fhir-profiles/ips-2.0/`, `fhir-profiles/eu-lab/`), the IPS 2.0.0
//!   alert Flag, the HL7 Europe Patient Summary ones (`fhir-profiles/eps/`) and the HL7 Europe
//!   Medication Prescription and Dispense ones (`fhir-profiles/mpd/`). A document that claims
//!   the EU Patient Summary Bundle also holds its Composition and Patient entries to the EU
//!   profiles of those types, whatever they claim ([`ENTRY_PROFILES`]).
//!   [`assert_claims_and_conforms`] and [`assert_lab_claims_and_conforms`] also require the
//!   claims themselves.
//!
//! The R4 schema is 3.3 MB and one validator for it is compiled per resource type, so that an
//! error carries the resource's own JSON path (validating against the schema's root `oneOf` of
//! 146 resource types only says "not valid under any of the schemas"). The schema document is
//! parsed and indexed once per test binary into a shared registry; each per-type validator is
//! compiled on first use and then cached for the rest of the run.
//!
//! This module does not depend on the gateway crate: it checks what goes over the wire.

#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::Value;

/// Directory holding the schemas the gateway ships; relative to the crate being tested.
const PROFILES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fhir-profiles");

/// URI under which the R4 schema is registered (the `id` the schema document declares).
const R4_SCHEMA_URI: &str = "http://hl7.org/fhir/json-schema/4.0";

/// The project's profile for each resource type the gateway promises IPS conformance for, in
/// IPS 2.0.0 (the default, `fhir-profiles/ips-2.0/`). A profile is named by its schema's file
/// name without `.schema.json`. Bundle-uv-ips is the profile of a document: it applies to
/// Bundles of type `document` only (see [`profile_of`]); searchsets are checked against R4.
pub const PROFILES: &[(&str, &str)] = &[
    ("Patient", "Patient-uv-ips"),
    ("MedicationRequest", "MedicationRequest-uv-ips"),
    ("Immunization", "Immunization-uv-ips"),
    ("AllergyIntolerance", "AllergyIntolerance-uv-ips"),
    ("Condition", "Condition-uv-ips"),
    ("Bundle", "Bundle-uv-ips"),
    ("Composition", "Composition-uv-ips"),
    ("MedicationStatement", "MedicationStatement-uv-ips"),
];

/// The same profiles in IPS 1.1.0 (`fhir-profiles/ips/`), named `<file name>|1.1.0` so that
/// they can be told from the 2.0.0 ones (in [`validate_profile`], in error messages).
pub const PROFILES_1_1_0: &[(&str, &str)] = &[
    ("Patient", "Patient-uv-ips|1.1.0"),
    ("MedicationRequest", "MedicationRequest-uv-ips|1.1.0"),
    ("Immunization", "Immunization-uv-ips|1.1.0"),
    ("AllergyIntolerance", "AllergyIntolerance-uv-ips|1.1.0"),
    ("Condition", "Condition-uv-ips|1.1.0"),
    ("Bundle", "Bundle-uv-ips|1.1.0"),
    ("Composition", "Composition-uv-ips|1.1.0"),
    ("MedicationStatement", "MedicationStatement-uv-ips|1.1.0"),
];

/// Where the IPS canonical URLs start; the same in 1.1.0 and 2.0.0, so a claim says its
/// version with `|<version>`, or says nothing.
pub const IPS_STRUCTURE_DEFINITION: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/";
/// The IPS document Bundle (both versions).
pub const IPS_BUNDLE: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips";
/// The IPS Composition (both versions).
pub const IPS_COMPOSITION: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips";
/// What a document that asks for IPS 1.1.0 claims: its Bundle gets the 1.1.0 schemas, and so
/// do its entries.
pub const IPS_BUNDLE_1_1_0: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips|1.1.0";
/// What the Composition of a 1.1.0 document claims.
pub const IPS_COMPOSITION_1_1_0: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips|1.1.0";

/// The IPS versions the by-type profiles exist in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpsVersion {
    /// IPS 1.1.0, `fhir-profiles/ips/`: for what claims it.
    V1_1_0,
    /// IPS 2.0.0, `fhir-profiles/ips-2.0/`: the default.
    V2_0_0,
}

impl IpsVersion {
    /// What applies when nothing says otherwise.
    pub const DEFAULT: IpsVersion = IpsVersion::V2_0_0;
    pub const ALL: [IpsVersion; 2] = [IpsVersion::V1_1_0, IpsVersion::V2_0_0];

    /// `1.1.0`, `2.0.0`: as in a `|version` claim and the StructureDefinitions' `version`.
    pub fn version(self) -> &'static str {
        match self {
            IpsVersion::V1_1_0 => "1.1.0",
            IpsVersion::V2_0_0 => "2.0.0",
        }
    }

    /// The directory of its schemas under `fhir-profiles/`.
    pub fn dir(self) -> &'static str {
        match self {
            IpsVersion::V1_1_0 => "ips",
            IpsVersion::V2_0_0 => "ips-2.0",
        }
    }

    /// The by-type profiles of this version: [`PROFILES_1_1_0`] or [`PROFILES`].
    pub fn profiles(self) -> &'static [(&'static str, &'static str)] {
        match self {
            IpsVersion::V1_1_0 => PROFILES_1_1_0,
            IpsVersion::V2_0_0 => PROFILES,
        }
    }

    /// The profile of this version for `resource_type`, if there is one.
    pub fn profile_for(self, resource_type: &str) -> Option<&'static str> {
        self.profiles()
            .iter()
            .find(|(ty, _)| *ty == resource_type)
            .map(|(_, profile)| *profile)
    }

    /// The profile of this version named `name` with or without a `|version`
    /// ("Composition-uv-ips" → "Composition-uv-ips|1.1.0" for 1.1.0).
    ///
    /// # Panics
    ///
    /// If there is no such by-type profile.
    pub fn profile(self, name: &str) -> &'static str {
        let stem = profile_stem(name);
        self.profiles()
            .iter()
            .find(|(_, profile)| profile_stem(profile) == stem)
            .map(|(_, profile)| *profile)
            .unwrap_or_else(|| panic!("no by-type profile {name:?} in IPS {}", self.version()))
    }

    /// The version of a by-type profile, from its name; `None` for the claimed profiles.
    pub fn of_profile(profile: &str) -> Option<IpsVersion> {
        IpsVersion::ALL
            .into_iter()
            .find(|v| v.profiles().iter().any(|(_, p)| *p == profile))
    }

    fn of_claimed_version(version: &str) -> Option<IpsVersion> {
        IpsVersion::ALL.into_iter().find(|v| v.version() == version)
    }
}

/// A profile's name without its `|version`: the file name of its schema.
fn profile_stem(profile: &str) -> &str {
    profile.split_once('|').map_or(profile, |(stem, _)| stem)
}

/// IPS 2.0.0 laboratory/pathology result Observation.
pub const IPS_LAB_OBSERVATION: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Observation-results-laboratory-pathology-uv-ips";
/// IPS 2.0.0 DiagnosticReport.
pub const IPS_DIAGNOSTIC_REPORT: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/DiagnosticReport-uv-ips";
/// IPS 2.0.0 Specimen.
pub const IPS_SPECIMEN: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Specimen-uv-ips";
/// HL7 Europe Laboratory Report 2.0.0 laboratory result Observation.
pub const EU_LAB_OBSERVATION: &str =
    "http://hl7.eu/fhir/laboratory/StructureDefinition/Observation-resultslab-eu-lab";
/// HL7 Europe Laboratory Report 2.0.0 DiagnosticReport.
pub const EU_LAB_DIAGNOSTIC_REPORT: &str =
    "http://hl7.eu/fhir/laboratory/StructureDefinition/DiagnosticReport-eu-lab";
/// IPS 2.0.0 alert Flag (the Flags of a document's Alerts section).
pub const IPS_FLAG_ALERT: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Flag-alert-uv-ips";

/// HL7 Europe Patient Summary (EPS) document Bundle.
pub const EPS_BUNDLE: &str = "http://hl7.eu/fhir/eps/StructureDefinition/bundle-eu-eps";
/// HL7 Europe Patient Summary Composition.
pub const EPS_COMPOSITION: &str = "http://hl7.eu/fhir/eps/StructureDefinition/composition-eu-eps";
/// HL7 Europe Patient Summary Patient.
pub const EPS_PATIENT: &str = "http://hl7.eu/fhir/eps/StructureDefinition/patient-eu-eps";
/// HL7 Europe Patient Summary MedicationStatement.
pub const EPS_MEDICATION_STATEMENT: &str =
    "http://hl7.eu/fhir/eps/StructureDefinition/MedicationStatement-eu-eps";
/// HL7 Europe Medication Prescription and Dispense (MPD) MedicationRequest.
pub const MPD_MEDICATION_REQUEST: &str =
    "http://hl7.eu/fhir/mpd/StructureDefinition/MedicationRequest-eu-mpd";
/// HL7 Europe Medication Prescription and Dispense MedicationDispense.
pub const MPD_MEDICATION_DISPENSE: &str =
    "http://hl7.eu/fhir/mpd/StructureDefinition/MedicationDispense-eu-mpd";

/// What a laboratory Observation of the gateway claims in `meta.profile`.
pub const LAB_OBSERVATION_CLAIMS: &[&str] = &[IPS_LAB_OBSERVATION, EU_LAB_OBSERVATION];
/// What a DiagnosticReport of the gateway (all of them are laboratory reports) claims.
pub const LAB_DIAGNOSTIC_REPORT_CLAIMS: &[&str] =
    &[IPS_DIAGNOSTIC_REPORT, EU_LAB_DIAGNOSTIC_REPORT];
/// What the Bundle of an EU Patient Summary document claims.
pub const EPS_BUNDLE_CLAIMS: &[&str] = &[EPS_BUNDLE, IPS_BUNDLE];
/// What the Composition of an EU Patient Summary document claims.
pub const EPS_COMPOSITION_CLAIMS: &[&str] = &[EPS_COMPOSITION, IPS_COMPOSITION];
/// What the Patient of an EU Patient Summary document claims.
pub const EPS_PATIENT_CLAIMS: &[&str] = &[
    EPS_PATIENT,
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips",
];
/// What a MedicationStatement of an EU Patient Summary document claims.
pub const EPS_MEDICATION_STATEMENT_CLAIMS: &[&str] = &[
    "http://hl7.org/fhir/uv/ips/StructureDefinition/MedicationStatement-uv-ips",
    EPS_MEDICATION_STATEMENT,
];
/// What every MedicationRequest of the gateway claims.
pub const MPD_MEDICATION_REQUEST_CLAIMS: &[&str] = &[
    "http://hl7.org/fhir/uv/ips/StructureDefinition/MedicationRequest-uv-ips",
    MPD_MEDICATION_REQUEST,
];
/// What every MedicationDispense of the gateway claims.
pub const MPD_MEDICATION_DISPENSE_CLAIMS: &[&str] = &[MPD_MEDICATION_DISPENSE];

/// A profile schema that applies to a resource when the resource claims the profile.
#[derive(Debug)]
pub struct ClaimedProfile {
    /// The resource type the profile constrains.
    pub resource_type: &'static str,
    /// The profile's canonical URL, as claimed in `meta.profile` (optionally with `|version`).
    pub url: &'static str,
    /// The schema's name: its file name in `fhir-profiles/<dir>/` without `.schema.json`.
    pub name: &'static str,
    /// The directory under `fhir-profiles/`.
    pub dir: &'static str,
}

/// The profiles that apply when claimed, not by type: an Observation may be a laboratory
/// result, a vital sign, a social history item, ..., and only its claim says which profile it
/// is written to; a Flag is an IPS alert only when it says so; a Composition, a Patient, a
/// MedicationRequest is held to a European profile (beside the IPS one of its type) when it
/// says it is written to it.
pub const CLAIMED_PROFILES: &[ClaimedProfile] = &[
    ClaimedProfile {
        resource_type: "Observation",
        url: IPS_LAB_OBSERVATION,
        name: "Observation-results-laboratory-pathology-uv-ips",
        dir: "ips-2.0",
    },
    ClaimedProfile {
        resource_type: "DiagnosticReport",
        url: IPS_DIAGNOSTIC_REPORT,
        name: "DiagnosticReport-uv-ips",
        dir: "ips-2.0",
    },
    ClaimedProfile {
        resource_type: "Specimen",
        url: IPS_SPECIMEN,
        name: "Specimen-uv-ips",
        dir: "ips-2.0",
    },
    ClaimedProfile {
        resource_type: "Observation",
        url: EU_LAB_OBSERVATION,
        name: "Observation-resultslab-eu-lab",
        dir: "eu-lab",
    },
    ClaimedProfile {
        resource_type: "DiagnosticReport",
        url: EU_LAB_DIAGNOSTIC_REPORT,
        name: "DiagnosticReport-eu-lab",
        dir: "eu-lab",
    },
    ClaimedProfile {
        resource_type: "Flag",
        url: IPS_FLAG_ALERT,
        name: "Flag-alert-uv-ips",
        dir: "ips-2.0",
    },
    ClaimedProfile {
        resource_type: "Bundle",
        url: EPS_BUNDLE,
        name: "bundle-eu-eps",
        dir: "eps",
    },
    ClaimedProfile {
        resource_type: "Composition",
        url: EPS_COMPOSITION,
        name: "composition-eu-eps",
        dir: "eps",
    },
    ClaimedProfile {
        resource_type: "Patient",
        url: EPS_PATIENT,
        name: "patient-eu-eps",
        dir: "eps",
    },
    ClaimedProfile {
        resource_type: "MedicationStatement",
        url: EPS_MEDICATION_STATEMENT,
        name: "MedicationStatement-eu-eps",
        dir: "eps",
    },
    ClaimedProfile {
        resource_type: "MedicationRequest",
        url: MPD_MEDICATION_REQUEST,
        name: "MedicationRequest-eu-mpd",
        dir: "mpd",
    },
    ClaimedProfile {
        resource_type: "MedicationDispense",
        url: MPD_MEDICATION_DISPENSE,
        name: "MedicationDispense-eu-mpd",
        dir: "mpd",
    },
];

/// A profile that a Bundle claiming `bundle` imposes on its entries of `resource_type`, whether
/// they claim it or not: the profile slices the entries with `entry[x].resource only <profile>`
/// on a slice of min 1, so the one entry of that type must conform.
#[derive(Debug)]
pub struct EntryProfile {
    /// The canonical URL the Bundle claims (optionally with `|version`).
    pub bundle: &'static str,
    /// The type of the entries it applies to.
    pub resource_type: &'static str,
    /// The schema's name, one of [`CLAIMED_PROFILES`].
    pub name: &'static str,
}

/// BundleEuEps: `entry[composition] 1..1` with `resource only CompositionEuEps`, `entry[patient]
/// 1..1` with `resource only PatientEuEps`. Its other entry slices are 0..* in an open slicing
/// (an entry that does not meet the slice's profile is simply not in the slice), so they
/// impose nothing; their profiles apply when claimed.
pub const ENTRY_PROFILES: &[EntryProfile] = &[
    EntryProfile {
        bundle: EPS_BUNDLE,
        resource_type: "Composition",
        name: "composition-eu-eps",
    },
    EntryProfile {
        bundle: EPS_BUNDLE,
        resource_type: "Patient",
        name: "patient-eu-eps",
    },
];

/// Longest message kept from a schema error; longer ones are cut so that a failure report for a
/// large Bundle stays readable.
const MAX_MESSAGE_CHARS: usize = 300;

/// Validates one resource, dispatching on `resourceType`: the R4 schema for that type, plus the
/// project's profile schema for that type if there is one, plus the schema of every profile of
/// [`CLAIMED_PROFILES`] that the resource claims in `meta.profile`. The resources inside a
/// Bundle's entries are validated the same way, recursively. Contained resources are checked
/// against R4 and the profiles they claim, not the by-type profiles: they do not stand on their
/// own, but a claim is a promise wherever it is made.
///
/// The by-type profile is the IPS 2.0.0 one ([`PROFILES`]) unless the resource claims the
/// profile of its type with `|1.1.0` (e.g. [`IPS_COMPOSITION_1_1_0`]), or is an entry of a
/// Bundle that does (e.g. [`IPS_BUNDLE_1_1_0`]): then the IPS 1.1.0 one ([`PROFILES_1_1_0`]).
/// A claim with `|2.0.0` selects 2.0.0 in the same way; a claim without a version, or with
/// another one, keeps what applies around it. See [`ips_version_of`].
pub fn validate(resource: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check(
        resource,
        "",
        Layers::All,
        Versions::Auto(IpsVersion::DEFAULT),
        &[],
        &mut errors,
    );
    into_result(errors)
}

/// [`validate`], with the by-type profiles of `version` for the resource and everything in it,
/// whatever their claims say: to check a document against a chosen IPS version.
pub fn validate_as(version: IpsVersion, resource: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check(
        resource,
        "",
        Layers::All,
        Versions::Forced(version),
        &[],
        &mut errors,
    );
    into_result(errors)
}

/// [`validate_as`] IPS 1.1.0.
pub fn validate_ips_1_1(resource: &Value) -> Result<(), Vec<String>> {
    validate_as(IpsVersion::V1_1_0, resource)
}

/// Panics unless [`validate_as`] passes.
#[track_caller]
pub fn assert_valid_as(version: IpsVersion, resource: &Value) {
    if let Err(errors) = validate_as(version, resource) {
        fail(resource, &errors);
    }
}

/// The IPS version of the by-type profile [`validate`] applies to this resource itself (when
/// it stands alone, not as an entry of a Bundle): the version of its own claim of the profile
/// of its type, if that claim has a version the project has schemas for, else the default.
pub fn ips_version_of(resource: &Value) -> IpsVersion {
    claimed_version(resource).unwrap_or(IpsVersion::DEFAULT)
}

/// Panics with all errors (paths and messages) and the resource's type and id.
#[track_caller]
pub fn assert_valid(resource: &Value) {
    if let Err(errors) = validate(resource) {
        fail(resource, &errors);
    }
}

/// [`validate`], and the resource claims each of `required` (canonical URLs) in `meta.profile`:
/// e.g. [`LAB_OBSERVATION_CLAIMS`] for a laboratory Observation. A missing claim is an error at
/// `/meta/profile`.
pub fn validate_claims(resource: &Value, required: &[&str]) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check(
        resource,
        "",
        Layers::All,
        Versions::Auto(IpsVersion::DEFAULT),
        &[],
        &mut errors,
    );
    missing_claims(resource, "", required, &mut errors);
    into_result(errors)
}

/// Panics unless the resource claims each of `required` in `meta.profile` and conforms to
/// everything [`validate`] checks (so to the claimed profiles too).
#[track_caller]
pub fn assert_claims_and_conforms(resource: &Value, required: &[&str]) {
    if let Err(errors) = validate_claims(resource, required) {
        fail(resource, &errors);
    }
}

/// The claims the gateway makes for a resource of this shape: [`LAB_OBSERVATION_CLAIMS`] for an
/// Observation with a category `observation-category#laboratory`,
/// [`LAB_DIAGNOSTIC_REPORT_CLAIMS`] for any DiagnosticReport (the gateway's are all laboratory
/// reports), none otherwise.
pub fn lab_claims_for(resource: &Value) -> &'static [&'static str] {
    match resource.get("resourceType").and_then(Value::as_str) {
        Some("Observation") if has_laboratory_category(resource) => LAB_OBSERVATION_CLAIMS,
        Some("DiagnosticReport") => LAB_DIAGNOSTIC_REPORT_CLAIMS,
        _ => &[],
    }
}

/// [`validate`], and every laboratory Observation and DiagnosticReport in the resource (itself,
/// or the entries of a Bundle, recursively) makes the claims of [`lab_claims_for`].
pub fn validate_lab_claims(resource: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check(
        resource,
        "",
        Layers::All,
        Versions::Auto(IpsVersion::DEFAULT),
        &[],
        &mut errors,
    );
    lab_claims(resource, "", &mut errors);
    into_result(errors)
}

/// Panics unless [`validate_lab_claims`] passes: what a test of the gateway's laboratory
/// results calls on a read or a searchset.
#[track_caller]
pub fn assert_lab_claims_and_conforms(resource: &Value) {
    if let Err(errors) = validate_lab_claims(resource) {
        fail(resource, &errors);
    }
}

/// Validates against one named profile schema only ("Patient-uv-ips" for IPS 2.0.0,
/// "Patient-uv-ips|1.1.0", "DiagnosticReport-eu-lab", ...), without the R4 schema, without
/// looking at `meta.profile` and without looking into Bundle entries or contained resources.
///
/// # Panics
///
/// If `profile` is not one of the project's profiles.
pub fn validate_profile(profile: &str, resource: &Value) -> Result<(), Vec<String>> {
    let compiled = profile_schemas()
        .get(profile)
        .unwrap_or_else(|| panic!("unknown profile {profile:?}; known: {:?}", profile_names()));
    into_result(profile_errors(compiled, resource, ""))
}

/// Validates against the R4 schema only (including Bundle entries and contained resources,
/// each against the schema of its own type), without the project's profiles.
pub fn validate_r4(resource: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check(
        resource,
        "",
        Layers::R4Only,
        Versions::Auto(IpsVersion::DEFAULT),
        &[],
        &mut errors,
    );
    into_result(errors)
}

/// The profile the project has for `resource_type` in the default IPS version, if any. For
/// Bundles it applies to documents only: [`profile_of`] says whether it applies to one
/// resource.
pub fn profile_for(resource_type: &str) -> Option<&'static str> {
    IpsVersion::DEFAULT.profile_for(resource_type)
}

/// The by-type profile [`validate`] applies to this resource standing alone, if any: by type
/// and in the version of [`ips_version_of`], and for a Bundle only when it is a document. The
/// claimed profiles are in [`claimed_profiles`].
pub fn profile_of(resource: &Value) -> Option<&'static str> {
    profile_of_as(ips_version_of(resource), resource)
}

/// The by-type profile [`validate_as`] `version` applies to this resource, if any.
pub fn profile_of_as(version: IpsVersion, resource: &Value) -> Option<&'static str> {
    let ty = resource.get("resourceType").and_then(Value::as_str)?;
    if ty == "Bundle" && resource.get("type").and_then(Value::as_str) != Some("document") {
        return None;
    }
    version.profile_for(ty)
}

/// The profiles of [`CLAIMED_PROFILES`] that the resource claims in `meta.profile` (a claim may
/// carry a `|version`), whatever its type; [`validate`] reports a claim of a profile of another
/// resource type as an error.
pub fn claimed_profiles(resource: &Value) -> Vec<&'static ClaimedProfile> {
    claims(resource)
        .filter_map(|(_, url)| CLAIMED_PROFILES.iter().find(|p| p.url == url))
        .collect()
}

/// The profiles of [`ENTRY_PROFILES`] that [`validate`] applies to the entries of this Bundle
/// because of what the Bundle claims, as (resource type, schema name).
pub fn profiles_imposed_on_entries(bundle: &Value) -> Vec<(&'static str, &'static str)> {
    imposed_on_entries(bundle)
        .map(|p| (p.resource_type, p.name))
        .collect()
}

fn imposed_on_entries(bundle: &Value) -> impl Iterator<Item = &'static EntryProfile> + '_ {
    let is_bundle = bundle.get("resourceType").and_then(Value::as_str) == Some("Bundle");
    ENTRY_PROFILES
        .iter()
        .filter(move |p| is_bundle && claims(bundle).any(|(_, url)| url == p.bundle))
}

/// Every schema [`validate`] applies to this resource itself (not to its entries or contained
/// resources), by name: the by-type profile, then the claimed ones of its own type.
pub fn profiles_applied(resource: &Value) -> Vec<&'static str> {
    let ty = resource.get("resourceType").and_then(Value::as_str);
    profile_of(resource)
        .into_iter()
        .chain(
            claimed_profiles(resource)
                .into_iter()
                .filter(|p| Some(p.resource_type) == ty)
                .map(|p| p.name),
        )
        .collect()
}

/// The parsed JSON of a profile schema, for tests that inspect the schema itself.
///
/// # Panics
///
/// If `profile` is not one of the project's profiles.
pub fn profile_schema(profile: &str) -> &'static Value {
    &profile_schemas()
        .get(profile)
        .unwrap_or_else(|| panic!("unknown profile {profile:?}; known: {:?}", profile_names()))
        .schema
}

/// Compiles the R4 validator of `resource_type` now (or returns at once if it already is), so
/// that a caller can time compilation apart from validation. Returns false for an unknown type.
pub fn warm_up_r4(resource_type: &str) -> bool {
    r4_validator(resource_type).is_some()
}

fn into_result(errors: Vec<String>) -> Result<(), Vec<String>> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[track_caller]
fn fail(resource: &Value, errors: &[String]) -> ! {
    panic!(
        "{} is not valid ({} error{}):\n  - {}",
        resource_label(resource),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        errors.join("\n  - ")
    );
}

fn resource_label(resource: &Value) -> String {
    let ty = resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("<no resourceType>");
    match resource.get("id").and_then(Value::as_str) {
        Some(id) => format!("{ty}/{id}"),
        None => format!("{ty} (no id)"),
    }
}

/// Which IPS version of the by-type profiles [`check`] applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Versions {
    /// The version a resource claims for the profile of its type, else this one (the default,
    /// or that of the Bundle the resource is an entry of).
    Auto(IpsVersion),
    /// This one, whatever is claimed.
    Forced(IpsVersion),
}

/// Which schemas [`check`] applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layers {
    /// The R4 schema only.
    R4Only,
    /// R4 and the profiles the resource claims (contained resources).
    Claimed,
    /// R4, the by-type profile and the claimed profiles.
    All,
}

/// Validates `resource` found at JSON pointer `at` and appends the errors, with paths relative
/// to the outermost document. `imposed` names the schemas the Bundle it is an entry of imposes on
/// it ([`ENTRY_PROFILES`]), applied unless it claims them itself.
fn check(
    resource: &Value,
    at: &str,
    layers: Layers,
    versions: Versions,
    imposed: &[&'static str],
    errors: &mut Vec<String>,
) {
    let Some(ty) = resource.get("resourceType").and_then(Value::as_str) else {
        errors.push(format!(
            "{}: not a FHIR resource: no string \"resourceType\"",
            display_path(at)
        ));
        return;
    };
    let Some(validator) = r4_validator(ty) else {
        errors.push(format!(
            "{}: \"{ty}\" is not an R4 resource type",
            display_path(at)
        ));
        return;
    };

    // Resources nested as Bundle.entry.resource or in `contained` are checked against the R4
    // schema as a `oneOf` over all resource types, whose error says nothing useful. Such errors
    // are dropped here and the nested resources are validated on their own below, with the
    // validator of their own type, which reports the precise paths.
    let version = match versions {
        Versions::Forced(version) => version,
        Versions::Auto(around) => claimed_version(resource).unwrap_or(around),
    };
    let nested_versions = match versions {
        Versions::Forced(_) => versions,
        Versions::Auto(_) => Versions::Auto(version),
    };
    let nested: Vec<(String, &Value, Layers)> = nested_resources(ty, resource, layers).collect();
    for error in validator.iter_errors(resource) {
        let path = error.instance_path().as_str();
        if error.kind().keyword() == "oneOf" && nested.iter().any(|(p, _, _)| p == path) {
            continue;
        }
        errors.push(format_error(&error, at, "R4", None));
    }
    if layers == Layers::All
        && let Some(profile) = profile_of_as(version, resource)
    {
        errors.extend(profile_errors(&profile_schemas()[profile], resource, at));
    }
    let mut applied: Vec<&str> = Vec::new();
    if layers != Layers::R4Only {
        for (i, url) in claims(resource) {
            let Some(claimed) = CLAIMED_PROFILES.iter().find(|p| p.url == url) else {
                continue;
            };
            if claimed.resource_type == ty {
                applied.push(claimed.name);
                errors.extend(profile_errors(
                    &profile_schemas()[claimed.name],
                    resource,
                    at,
                ));
            } else {
                errors.push(format!(
                    "{at}/meta/profile/{i}: a {ty} claims {url}, a profile of {}",
                    claimed.resource_type
                ));
            }
        }
        for name in imposed {
            if !applied.contains(name) {
                applied.push(name);
                errors.extend(profile_errors(&profile_schemas()[name], resource, at));
            }
        }
    }
    let on_entries: Vec<&EntryProfile> = if layers == Layers::R4Only {
        Vec::new()
    } else {
        imposed_on_entries(resource).collect()
    };
    for (pointer, nested, layers) in nested {
        let nested_type = nested.get("resourceType").and_then(Value::as_str);
        let imposed: Vec<&'static str> = if pointer.starts_with("/entry/") {
            on_entries
                .iter()
                .filter(|p| Some(p.resource_type) == nested_type)
                .map(|p| p.name)
                .collect()
        } else {
            Vec::new()
        };
        check(
            nested,
            &format!("{at}{pointer}"),
            layers,
            nested_versions,
            &imposed,
            errors,
        );
    }
}

/// The resources nested in `resource`, with their JSON pointer and the layers that apply to
/// them: entries of a Bundle get the same as the Bundle, contained resources R4 and their
/// claims (R4 only if the container gets R4 only).
fn nested_resources<'a>(
    ty: &str,
    resource: &'a Value,
    layers: Layers,
) -> impl Iterator<Item = (String, &'a Value, Layers)> {
    let entries = (ty == "Bundle")
        .then(|| resource.get("entry").and_then(Value::as_array))
        .flatten()
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(move |(i, entry)| {
            entry
                .get("resource")
                .map(|r| (format!("/entry/{i}/resource"), r, layers))
        });
    let contained_layers = match layers {
        Layers::R4Only => Layers::R4Only,
        Layers::Claimed | Layers::All => Layers::Claimed,
    };
    let contained = resource
        .get("contained")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(move |(i, r)| (format!("/contained/{i}"), r, contained_layers));
    entries.chain(contained)
}

/// The canonical URLs in `meta.profile`, without a `|version`, with their index.
fn claims(resource: &Value) -> impl Iterator<Item = (usize, &str)> {
    versioned_claims(resource).map(|(i, url, _)| (i, url))
}

/// The claims in `meta.profile` as (index, canonical URL, version if any).
fn versioned_claims(resource: &Value) -> impl Iterator<Item = (usize, &str, Option<&str>)> {
    resource
        .get("meta")
        .and_then(|meta| meta.get("profile"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, url)| {
            let url = url.as_str()?;
            Some(match url.split_once('|') {
                Some((url, version)) => (i, url, Some(version)),
                None => (i, url, None),
            })
        })
}

/// The IPS version the resource claims for the by-type profile of its own type: the first claim
/// of `<IPS_STRUCTURE_DEFINITION><profile>|<version>` whose version the project has schemas for.
fn claimed_version(resource: &Value) -> Option<IpsVersion> {
    let ty = resource.get("resourceType").and_then(Value::as_str)?;
    let profile = IpsVersion::DEFAULT.profile_for(ty)?;
    versioned_claims(resource).find_map(|(_, url, version)| {
        let stem = url.strip_prefix(IPS_STRUCTURE_DEFINITION)?;
        (stem == profile_stem(profile))
            .then_some(version)
            .flatten()
            .and_then(IpsVersion::of_claimed_version)
    })
}

/// Adds `url` (a canonical URL, possibly with `|version`) to `meta.profile` unless it is there
/// already.
pub fn add_claim(resource: &mut Value, url: &str) {
    let meta = resource
        .as_object_mut()
        .expect("a resource is an object")
        .entry("meta")
        .or_insert_with(|| serde_json::json!({}));
    let profiles = meta
        .as_object_mut()
        .expect("meta is an object")
        .entry("profile")
        .or_insert_with(|| serde_json::json!([]));
    let profiles = profiles.as_array_mut().expect("meta.profile is a list");
    if !profiles.iter().any(|p| p == url) {
        profiles.push(Value::from(url));
    }
}

fn missing_claims(resource: &Value, at: &str, required: &[&str], errors: &mut Vec<String>) {
    for url in required {
        if !claims(resource).any(|(_, claimed)| claimed == *url) {
            errors.push(format!(
                "{at}/meta/profile: {} does not claim {url}",
                resource_label(resource)
            ));
        }
    }
}

fn lab_claims(resource: &Value, at: &str, errors: &mut Vec<String>) {
    missing_claims(resource, at, lab_claims_for(resource), errors);
    if resource.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
        for (i, entry) in resource
            .get("entry")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(nested) = entry.get("resource") {
                lab_claims(nested, &format!("{at}/entry/{i}/resource"), errors);
            }
        }
    }
}

fn has_laboratory_category(resource: &Value) -> bool {
    resource
        .get("category")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|category| category.get("coding").and_then(Value::as_array))
        .flatten()
        .any(|coding| {
            coding.get("system").and_then(Value::as_str)
                == Some("http://terminology.hl7.org/CodeSystem/observation-category")
                && coding.get("code").and_then(Value::as_str) == Some("laboratory")
        })
}

// ---------------------------------------------------------------------------------- R4 schema

struct R4 {
    registry: Registry<'static>,
    resource_types: HashSet<String>,
    /// One cell per resource type; the map's lock is held only to find the cell, so that
    /// compiling one type does not block tests that need another.
    validators: Mutex<HashMap<String, &'static OnceLock<Validator>>>,
}

fn r4() -> &'static R4 {
    static R4: LazyLock<R4> = LazyLock::new(|| {
        let mut schema = read_json(format!("{PROFILES_DIR}/r4/fhir.schema.json"));
        require_objects(&mut schema);
        admit_fhir_4_0_1(&mut schema);
        // The resource types are the definitions whose `resourceType` is a constant of their
        // own name (data types and backbone elements have no `resourceType`).
        let resource_types = schema["definitions"]
            .as_object()
            .expect("R4 schema has definitions")
            .iter()
            .filter(|(name, def)| def["properties"]["resourceType"]["const"] == name.as_str())
            .map(|(name, _)| name.clone())
            .collect();
        // The document declares draft-06 but identifies itself with draft-04's `id`, so it is
        // registered under that URI explicitly, with the draft spelled out.
        let registry = Registry::new()
            .draft(Draft::Draft6)
            .add(R4_SCHEMA_URI, schema)
            .and_then(jsonschema::RegistryBuilder::prepare)
            .expect("R4 schema can be registered");
        R4 {
            registry,
            resource_types,
            validators: Mutex::new(HashMap::new()),
        }
    });
    &R4
}

/// The R4 schema gives its complex types (resources, data types, backbone elements) `properties`
/// and `additionalProperties` but no `"type": "object"`, and those keywords only apply to
/// objects: as published, it accepts `"subject": "Patient/1"` or `"code": "aspirin"`. FHIR's JSON
/// format represents every complex element as an object, so that is added here, in memory (the
/// file stays byte-identical to the published one). `Element`, the type of the `_x` companions
/// of primitives, also admits `null`, which stands for "no extension" in `_x` arrays.
fn require_objects(schema: &mut Value) {
    let definitions = schema["definitions"]
        .as_object_mut()
        .expect("R4 schema has definitions");
    for (name, definition) in definitions.iter_mut() {
        let Some(definition) = definition.as_object_mut() else {
            continue;
        };
        if definition.contains_key("properties") && !definition.contains_key("type") {
            let ty = if name == "Element" {
                serde_json::json!(["object", "null"])
            } else {
                serde_json::json!("object")
            };
            definition.insert("type".to_owned(), ty);
        }
    }
}

/// The published schema was generated from FHIR 4.0.0: its `fhirVersion` enumerations stop at
/// "4.0.0". The R4 technical correction 4.0.1, which this server implements, added "4.0.1" to
/// the FHIRVersion code system, so it is added here, in memory, wherever the enumeration occurs.
fn admit_fhir_4_0_1(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get_mut("enum")
                && values.iter().any(|v| v == "4.0.0")
                && !values.iter().any(|v| v == "4.0.1")
            {
                values.push(Value::from("4.0.1"));
            }
            map.values_mut().for_each(admit_fhir_4_0_1);
        }
        Value::Array(items) => items.iter_mut().for_each(admit_fhir_4_0_1),
        _ => {}
    }
}

fn r4_validator(resource_type: &str) -> Option<&'static Validator> {
    let r4 = r4();
    if !r4.resource_types.contains(resource_type) {
        return None;
    }
    let cell: &'static OnceLock<Validator> = r4
        .validators
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(resource_type.to_owned())
        // Leaked on purpose: a validator lives as long as the test binary.
        .or_insert_with(|| Box::leak(Box::new(OnceLock::new())));
    Some(cell.get_or_init(|| {
        // A root `$ref` to the type's definition (rather than the whole schema with its
        // `oneOf`) makes errors point into the resource itself.
        let root =
            serde_json::json!({ "$ref": format!("{R4_SCHEMA_URI}#/definitions/{resource_type}") });
        jsonschema::options()
            .with_draft(Draft::Draft6)
            .with_registry(&r4.registry)
            .build(&root)
            .unwrap_or_else(|e| panic!("R4 validator for {resource_type} does not compile: {e}"))
    }))
}

// ---------------------------------------------------------------------------- profile schemas

struct Profile {
    name: &'static str,
    schema: Value,
    validator: Validator,
}

fn profile_schemas() -> &'static HashMap<&'static str, Profile> {
    // The profile schemas are small; they are compiled together on first use.
    static PROFILE_SCHEMAS: LazyLock<HashMap<&'static str, Profile>> = LazyLock::new(|| {
        let by_type = IpsVersion::ALL.into_iter().flat_map(|version| {
            version
                .profiles()
                .iter()
                .map(move |&(_, name)| (name, version.dir()))
        });
        let claimed = CLAIMED_PROFILES.iter().map(|p| (p.name, p.dir));
        by_type
            .chain(claimed)
            .map(|(name, dir)| {
                let file = profile_stem(name);
                let schema = read_json(format!("{PROFILES_DIR}/{dir}/{file}.schema.json"));
                let validator = jsonschema::options()
                    .build(&schema)
                    .unwrap_or_else(|e| panic!("profile schema {name} does not compile: {e}"));
                (
                    name,
                    Profile {
                        name,
                        schema,
                        validator,
                    },
                )
            })
            .collect()
    });
    &PROFILE_SCHEMAS
}

fn profile_names() -> Vec<&'static str> {
    IpsVersion::ALL
        .into_iter()
        .flat_map(|version| version.profiles().iter().map(|(_, name)| *name))
        .chain(CLAIMED_PROFILES.iter().map(|p| p.name))
        .collect()
}

/// The path of a profile's schema file.
///
/// # Panics
///
/// If `profile` is not one of the project's profiles.
pub fn profile_schema_file(profile: &str) -> PathBuf {
    let dir = IpsVersion::of_profile(profile)
        .map(IpsVersion::dir)
        .or_else(|| {
            CLAIMED_PROFILES
                .iter()
                .find(|p| p.name == profile)
                .map(|p| p.dir)
        })
        .unwrap_or_else(|| panic!("unknown profile {profile:?}; known: {:?}", profile_names()));
    PathBuf::from(format!(
        "{PROFILES_DIR}/{dir}/{}.schema.json",
        profile_stem(profile)
    ))
}

fn profile_errors(profile: &Profile, resource: &Value, at: &str) -> Vec<String> {
    profile
        .validator
        .iter_errors(resource)
        .map(|error| format_error(&error, at, profile.name, Some(&profile.schema)))
        .collect()
}

// ------------------------------------------------------------------------------------ errors

/// `<instance path>: <message>[ — <rule>] (<schema> at <schema path>)`.
///
/// `<rule>` is the `description` of the nearest enclosing subschema of a profile schema: the
/// profile schemas describe each constraint with the FHIR element or invariant it comes from,
/// which says more than "not valid under any of the schemas listed in the 'anyOf' keyword".
fn format_error(error: &ValidationError, at: &str, source: &str, schema: Option<&Value>) -> String {
    let message = truncate(&message(error));
    let pointer = format!("{at}{}", error.instance_path().as_str());
    let path = display_path(&pointer);
    let schema_path = error.schema_path().as_str();
    match schema.and_then(|s| rule_description(s, schema_path)) {
        Some(rule) => format!("{path}: {message} — {rule} ({source} at {schema_path})"),
        None => format!("{path}: {message} ({source} at {schema_path})"),
    }
}

fn message(error: &ValidationError) -> String {
    // The crate reports a failed `maxContains` with the text of a failed `contains`
    // ("None of ... are valid"), which says the opposite of what happened.
    if error.schema_path().as_str().ends_with("/maxContains") {
        return "more items match than the rule allows".to_owned();
    }
    // The crate's text for `not` quotes the whole subschema; the rule's description is shown
    // after the message instead.
    if matches!(error.kind(), ValidationErrorKind::Not { .. }) {
        return "the element matches what the rule forbids".to_owned();
    }
    // An object or array in the message would be the whole offending element, possibly a whole
    // resource: its path already says which one it is, so it is masked.
    if error.instance().is_object() || error.instance().is_array() {
        error.masked_with("the element").to_string()
    } else {
        error.to_string()
    }
}

fn display_path(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

fn truncate(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

/// The `description` of the deepest subschema on `schema_path` (a JSON pointer to the failing
/// keyword), the root excepted: the root's text is about the whole profile, not one rule.
fn rule_description<'s>(schema: &'s Value, schema_path: &str) -> Option<&'s str> {
    let mut node = schema;
    let mut found = None;
    for segment in schema_path.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        node = match node {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return found,
        };
        if let Some(description) = node.get("description").and_then(Value::as_str) {
            found = Some(description);
        }
    }
    found
}

// ------------------------------------------------------------------ shared by the profile tests

pub const DATA_ABSENT_REASON: &str = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

pub fn read_json(path: impl AsRef<Path>) -> Value {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The `.json` files of a directory, sorted so that failures are reproducible.
pub fn json_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {dir}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no JSON files in {dir}");
    files
}

/// Applies `breakage` to `resource`, a conformant copy, and asserts that the profile schema
/// rejects it with an error at `path` that contains `needle`, and that `validate` rejects it
/// too (so the by-type or by-claim dispatch reaches the schema). For a by-type profile,
/// `validate` is [`validate_as`] the profile's IPS version.
#[track_caller]
pub fn assert_breakage_rejected(
    profile: &str,
    mut resource: Value,
    what: &str,
    breakage: impl FnOnce(&mut Value),
    path: &str,
    needle: &str,
) {
    let validate = |resource: &Value| match IpsVersion::of_profile(profile) {
        Some(version) => validate_as(version, resource),
        None => validate(resource),
    };
    if let Err(errors) = validate(&resource) {
        panic!(
            "{profile}: the unbroken sample already fails:{}",
            show(&errors)
        );
    }
    breakage(&mut resource);
    let errors = match validate_profile(profile, &resource) {
        Ok(()) => panic!("{profile} accepts a copy with {what}:\n{resource:#}"),
        Err(errors) => errors,
    };
    let prefix = format!("{path}: ");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&prefix) && e.contains(needle)),
        "{profile}, {what}: expected an error at {path} mentioning {needle:?}, got:{}",
        show(&errors)
    );
    assert!(
        validate(&resource).is_err(),
        "{profile}, {what}: validate() accepts what validate_profile() rejects"
    );
}

/// A list of errors, one per line, for a failure message.
pub fn show(errors: &[String]) -> String {
    format!("\n  - {}", errors.join("\n  - "))
}

pub fn remove(resource: &mut Value, key: &str) -> Value {
    resource
        .as_object_mut()
        .expect("object")
        .remove(key)
        .unwrap_or_else(|| panic!("the sample has no {key}"))
}

/// Replaces the primitive `key` by its extension-only form `_key`, as a server does when it has
/// no value (e.g. with a data-absent-reason extension).
pub fn only_extension(resource: &mut Value, key: &str) {
    remove(resource, key);
    resource[format!("_{key}")] = serde_json::json!({
        "extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]
    });
}

// ------------------------------------------- profile schemas against their StructureDefinitions

/// Where a profile schema states rules about one element: the subschema itself plus the
/// subschemas it pulls in through `allOf` and local `$ref`s.
pub fn facets<'s>(root: &'s Value, node: &'s Value) -> Vec<&'s Value> {
    let mut out = vec![node];
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let pointer = reference
            .strip_prefix('#')
            .expect("profile schemas use local $refs");
        let target = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        out.extend(facets(root, target));
    }
    for member in node
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(facets(root, member));
    }
    out
}

/// The subschema for property `name` as written, a list's own schema for a list.
fn property_schema<'s>(root: &'s Value, node: &'s Value, name: &str) -> Option<&'s Value> {
    facets(root, node)
        .into_iter()
        .find_map(|facet| facet.get("properties")?.get(name))
}

fn is_array_schema(root: &Value, schema: &Value) -> bool {
    facets(root, schema)
        .iter()
        .any(|facet| facet.get("type").and_then(Value::as_str) == Some("array"))
}

/// The subschema for the values of property `name` (the items, for a list).
pub fn property<'s>(root: &'s Value, node: &'s Value, name: &str) -> Option<&'s Value> {
    let schema = property_schema(root, node, name)?;
    if is_array_schema(root, schema) {
        schema.get("items")
    } else {
        Some(schema)
    }
}

pub fn requires(root: &Value, node: &Value, name: &str) -> bool {
    facets(root, node).iter().any(|facet| {
        facet
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|required| required.iter().any(|n| n == name))
    })
}

/// A choice element `x[x]` is mandatory in a schema when one of its facets has a `oneOf` whose
/// branches each require one variant, covering exactly the variants the StructureDefinition
/// allows.
pub fn requires_exactly_one_of(root: &Value, node: &Value, variants: &BTreeSet<String>) -> bool {
    facets(root, node).iter().any(|facet| {
        facet
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|branches| {
                let required: Option<BTreeSet<String>> = branches
                    .iter()
                    .map(
                        |branch| match branch.get("required")?.as_array()?.as_slice() {
                            [Value::String(name)] => Some(name.clone()),
                            _ => None,
                        },
                    )
                    .collect();
                required.as_ref() == Some(variants)
            })
    })
}

/// `occurrence[x]` with types dateTime and string: occurrenceDateTime, occurrenceString.
pub fn choice_variants(element: &Value, stem: &str) -> BTreeSet<String> {
    element["type"]
        .as_array()
        .expect("a choice element lists its types")
        .iter()
        .map(|t| {
            let code = t["code"].as_str().expect("type code");
            let mut chars = code.chars();
            let first = chars
                .next()
                .expect("non-empty type code")
                .to_ascii_uppercase();
            format!("{stem}{first}{}", chars.as_str())
        })
        .collect()
}

/// The mandatory elements (min ≥ 1) of a profile's snapshot, as paths below the resource, e.g.
/// `["subject", "reference"]`; slices and the elements inside them are left out, they are
/// constrained through their extension's definition or their pattern rather than by name (see
/// [`unrequired_pattern_slices`]).
pub fn mandatory_elements(sd: &Value) -> Vec<(Vec<String>, Value)> {
    sd["snapshot"]["element"]
        .as_array()
        .expect("snapshot.element")
        .iter()
        .filter(|element| element["min"].as_u64().unwrap_or(0) >= 1)
        .filter(|element| !element["id"].as_str().unwrap_or("").contains(':'))
        .filter_map(|element| {
            let path: Vec<String> = element["path"]
                .as_str()?
                .split('.')
                .skip(1)
                .map(String::from)
                .collect();
            (!path.is_empty()).then(|| (path, element.clone()))
        })
        .collect()
}

/// Checks that every element the StructureDefinition `sd` makes mandatory (min ≥ 1), at the top
/// level and below, is required by the schema of `profile`: a plain element in the `required`
/// list of the schema for its parent (with `minItems` ≥ min for a list), a choice element
/// `x[x]` as a `oneOf` over its variants. Returns how many elements were checked and a line for
/// each one the schema does not require.
pub fn unrequired_mandatory_elements(profile: &str, sd: &Value) -> (usize, Vec<String>) {
    let root = profile_schema(profile);
    let top_level_required: Vec<&str> = root["required"]
        .as_array()
        .expect("the schema has a top-level required list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut missing = Vec::new();
    let mut counted = 0;
    for (path, element) in mandatory_elements(sd) {
        counted += 1;
        let (last, parents) = path.split_last().expect("non-empty path");
        // Walk down to the schema of the parent element.
        let mut node = Some(root);
        for parent in parents {
            node = node.and_then(|n| property(root, n, parent));
        }
        let Some(node) = node else {
            missing.push(format!(
                "{profile}: {} (no schema for its parent)",
                path.join(".")
            ));
            continue;
        };
        let ok = match last.strip_suffix("[x]") {
            Some(stem) => requires_exactly_one_of(root, node, &choice_variants(&element, stem)),
            None if parents.is_empty() => top_level_required.contains(&last.as_str()),
            None => requires(root, node, last),
        };
        // A repeating element with min ≥ 1 also needs that many items.
        let min = element["min"].as_u64().unwrap_or(0);
        if ok && element["max"] != "1" && !last.ends_with("[x]") {
            let min_items = facets(root, node)
                .into_iter()
                .find_map(|facet| facet.get("properties")?.get(last.as_str()))
                .and_then(|schema| schema.get("minItems"))
                .and_then(Value::as_u64);
            if min_items.is_none_or(|n| n < min) {
                missing.push(format!(
                    "{profile}: {} (min {min}, but minItems {min_items:?})",
                    path.join(".")
                ));
            }
        }
        if !ok {
            missing.push(format!(
                "{profile}: {} (min {})",
                path.join("."),
                element["min"]
            ));
        }
    }
    (counted, missing)
}

/// Checks that the schema of `profile` rejects the conformant `sample` once any top-level
/// mandatory element of `sd` is removed (all the variants of a choice element), or once a
/// mandatory primitive is left only as its `_x` extension form. Returns a line for each such
/// copy that the schema accepts.
///
/// # Panics
///
/// If the sample itself fails the schema, or lacks a mandatory element.
pub fn accepted_without_mandatory_elements(
    profile: &str,
    sd: &Value,
    sample: &Value,
) -> Vec<String> {
    if let Err(errors) = validate_profile(profile, sample) {
        panic!("{profile}: the sample fails:{}", show(&errors));
    }
    let mut accepted = Vec::new();
    for (path, element) in mandatory_elements(sd) {
        let [name] = path.as_slice() else { continue };
        let names: Vec<String> = match name.strip_suffix("[x]") {
            Some(stem) => choice_variants(&element, stem).into_iter().collect(),
            None => vec![name.clone()],
        };
        let mut without = sample.clone();
        let mut removed = Vec::new();
        for n in &names {
            if let Some(value) = without.as_object_mut().expect("object").remove(n) {
                removed.push((n.clone(), value));
            }
        }
        assert!(!removed.is_empty(), "{profile}: the sample has no {name}");
        if validate_profile(profile, &without).is_ok() {
            accepted.push(format!("{profile} without {name}"));
        }
        // A primitive present only through its extension does not count as present.
        for (n, value) in &removed {
            if value.is_string() || value.is_number() || value.is_boolean() {
                let mut extension_only = without.clone();
                extension_only[format!("_{n}")] = serde_json::json!(
                    {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
                );
                if validate_profile(profile, &extension_only).is_ok() {
                    accepted.push(format!("{profile} with {name} only as _{n}"));
                }
            }
        }
    }
    accepted
}

/// Checks the mandatory slices that the StructureDefinition defines by a `pattern[x]` or
/// `fixed[x]` on the slice itself (e.g. `Observation.category:laboratory` 1..1 with the pattern
/// observation-category#laboratory): the schema of the sliced list has a `contains` that the
/// pattern satisfies and an empty element does not, with `minContains` ≥ min and, unless max is
/// `*`, `maxContains` ≤ max. Slices inside slices are left out. Returns how many slices were
/// checked and a line for each one the schema does not enforce.
pub fn unrequired_pattern_slices(profile: &str, sd: &Value) -> (usize, Vec<String>) {
    let root = profile_schema(profile);
    let mut missing = Vec::new();
    let mut counted = 0;
    for element in sd["snapshot"]["element"]
        .as_array()
        .expect("snapshot.element")
    {
        let id = element["id"].as_str().unwrap_or("");
        let min = element["min"].as_u64().unwrap_or(0);
        let Some((sliced, slice)) = id.split_once(':') else {
            continue;
        };
        let pattern = element.as_object().and_then(|e| {
            e.iter()
                .find(|(k, _)| k.starts_with("pattern") || k.starts_with("fixed"))
                .map(|(_, v)| v)
        });
        let Some(pattern) = pattern else { continue };
        if min == 0 || slice.contains('.') {
            continue; // optional, or a slice inside a slice
        }
        counted += 1;
        let path: Vec<&str> = sliced.split('.').skip(1).collect();
        let (last, parents) = path.split_last().expect("a slice of an element");
        let mut node = Some(root);
        for parent in parents {
            node = node.and_then(|n| property(root, n, parent));
        }
        let list = node.and_then(|n| property_schema(root, n, last));
        let max = element["max"].as_str().and_then(|m| m.parse::<u64>().ok());
        let enforced = list.is_some_and(|list| enforces_slice(root, list, min, max, pattern));
        if !enforced {
            missing.push(format!(
                "{profile}: {id} {min}..{} (pattern {pattern})",
                element["max"].as_str().unwrap_or("?")
            ));
        }
    }
    (counted, missing)
}

/// Whether the list schema `list` enforces a slice of `min..max` (`max` `None` for `*`) whose
/// members look like `member`: one of its facets has a `contains` that `member` matches and an
/// empty object does not, with `minContains` ≥ min and, for a bounded max, `maxContains` ≤ max.
fn enforces_slice(root: &Value, list: &Value, min: u64, max: Option<u64>, member: &Value) -> bool {
    facets(root, list).iter().any(|facet| {
        let Some(contains) = facet.get("contains") else {
            return false;
        };
        let min_contains = facet
            .get("minContains")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        let max_contains = facet.get("maxContains").and_then(Value::as_u64);
        let matches = |instance: &Value| {
            let mut schema = contains.clone();
            schema["$defs"] = root["$defs"].clone();
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .build(&schema)
                .is_ok_and(|v| v.is_valid(instance))
        };
        min_contains >= min
            && max.is_none_or(|max| max_contains.is_some_and(|m| m <= max))
            && matches(member)
            && !matches(&serde_json::json!({}))
    })
}

/// Checks the slices that the StructureDefinition tells apart by the `pattern[x]`/`fixed[x]` of
/// one of their children (`Composition.section:sectionProblems` by its `code`, LOINC 11450-4;
/// `Composition.event:careProvisioningEvent` by its `code`): the schema of the sliced list has a
/// `contains` that an item carrying the pattern matches (in a list if the child repeats in R4)
/// and an empty item does not, with `minContains` ≥ the slice's min and, unless its max is `*`,
/// `maxContains` ≤ its max. Optional slices are checked too (their max). Returns how many slices
/// were checked and a line for each one the schema does not enforce.
pub fn unenforced_child_pattern_slices(profile: &str, sd: &Value) -> (usize, Vec<String>) {
    let root = profile_schema(profile);
    let elements = sd["snapshot"]["element"]
        .as_array()
        .expect("snapshot.element");
    let mut missing = Vec::new();
    let mut counted = 0;
    for element in elements {
        let id = element["id"].as_str().unwrap_or("");
        let Some((sliced, rest)) = id.split_once(':') else {
            continue;
        };
        let Some((slice_name, child)) = rest.split_once('.') else {
            continue;
        };
        if child.contains('.') || child.contains(':') {
            continue; // deeper inside the slice
        }
        let pattern = element.as_object().and_then(|e| {
            e.iter()
                .find(|(k, _)| k.starts_with("pattern") || k.starts_with("fixed"))
                .map(|(_, v)| v)
        });
        let Some(pattern) = pattern else { continue };
        let slice_id = format!("{sliced}:{slice_name}");
        let slice = elements
            .iter()
            .find(|e| e["id"] == slice_id.as_str())
            .unwrap_or_else(|| panic!("{profile}: no element {slice_id}"));
        counted += 1;
        let min = slice["min"].as_u64().unwrap_or(0);
        let max = slice["max"].as_str().and_then(|m| m.parse::<u64>().ok());
        let child_value = if element["base"]["max"] == "1" {
            pattern.clone()
        } else {
            Value::Array(vec![pattern.clone()])
        };
        let member = serde_json::json!({ child: child_value });
        let path: Vec<&str> = sliced.split('.').skip(1).collect();
        let (last, parents) = path.split_last().expect("a slice of an element");
        let mut node = Some(root);
        for parent in parents {
            node = node.and_then(|n| property(root, n, parent));
        }
        let list = node.and_then(|n| property_schema(root, n, last));
        if !list.is_some_and(|list| enforces_slice(root, list, min, max, &member)) {
            missing.push(format!(
                "{profile}: {slice_id} {min}..{} (by {child} = {pattern})",
                slice["max"].as_str().unwrap_or("?")
            ));
        }
    }
    (counted, missing)
}

/// Checks that every element the StructureDefinition prohibits (max 0), outside slices, is
/// refused by the schema: the schema for its parent says `"<name>": false` or
/// `"not": {"required": ["<name>"]}`. Returns how many elements were checked and a line for
/// each one the schema lets through.
pub fn unforbidden_elements(profile: &str, sd: &Value) -> (usize, Vec<String>) {
    let root = profile_schema(profile);
    let mut missing = Vec::new();
    let mut counted = 0;
    for element in sd["snapshot"]["element"]
        .as_array()
        .expect("snapshot.element")
    {
        let id = element["id"].as_str().unwrap_or("");
        if element["max"] != "0" || id.contains(':') {
            continue;
        }
        counted += 1;
        let path: Vec<&str> = id.split('.').skip(1).collect();
        let (last, parents) = path.split_last().expect("an element below the resource");
        let mut node = Some(root);
        for parent in parents {
            node = node.and_then(|n| property(root, n, parent));
        }
        let forbidden = node.is_some_and(|node| {
            facets(root, node).iter().any(|facet| {
                facet.get("properties").and_then(|p| p.get(*last)) == Some(&Value::Bool(false))
                    || facet
                        .get("not")
                        .and_then(|not| not.get("required"))
                        .and_then(Value::as_array)
                        .is_some_and(|required| required.len() == 1 && required[0] == *last)
            })
        });
        if !forbidden {
            missing.push(format!("{profile}: {id} 0..0"));
        }
    }
    (counted, missing)
}

/// The constraints every element carries or that concern contained resources, which the
/// profile schemas leave to the R4 layer or do not state (see fhir-profiles/README.md).
pub const GENERIC_INVARIANTS: &[&str] = &["ele-1", "ext-1", "dom-2", "dom-3", "dom-4", "dom-5"];

/// Checks that every invariant of severity `error` in the StructureDefinition's snapshot (slices
/// included), apart from [`GENERIC_INVARIANTS`] and `not_stated`, is named in the `description`
/// of some rule of the schema. Returns how many invariants were checked and a line for each one
/// no rule names.
pub fn unstated_invariants(profile: &str, sd: &Value, not_stated: &[&str]) -> (usize, Vec<String>) {
    fn descriptions<'s>(schema: &'s Value, out: &mut Vec<&'s str>) {
        match schema {
            Value::Object(map) => {
                if let Some(Value::String(d)) = map.get("description") {
                    out.push(d);
                }
                map.values().for_each(|v| descriptions(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| descriptions(v, out)),
            _ => {}
        }
    }
    let names = |text: &str, key: &str| {
        text.match_indices(key).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + key.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
                && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    let mut all = Vec::new();
    descriptions(profile_schema(profile), &mut all);
    let keys: BTreeSet<&str> = sd["snapshot"]["element"]
        .as_array()
        .expect("snapshot.element")
        .iter()
        .flat_map(|e| e["constraint"].as_array().into_iter().flatten())
        .filter(|c| c["severity"] == "error")
        .filter_map(|c| c["key"].as_str())
        .filter(|key| !GENERIC_INVARIANTS.contains(key) && !not_stated.contains(key))
        .collect();
    let missing = keys
        .iter()
        .filter(|key| !all.iter().any(|d| names(d, key)))
        .map(|key| format!("{profile}: invariant {key} is named by no rule"))
        .collect();
    (keys.len(), missing)
}

// ---------------------------------------------------------------- reading schemas against FSH

/// `1..*`, `1..`, `..0`, `0..1` → (min, max); `None` for anything else.
pub fn cardinality(text: &str) -> Option<(u64, Option<u64>)> {
    let (min, max) = text.trim().split_once("..")?;
    let min = if min.is_empty() { 0 } else { min.parse().ok()? };
    match max {
        "" | "*" => Some((min, None)),
        max => Some((min, Some(max.parse().ok()?))),
    }
}

/// The `description`s anywhere in a schema.
pub fn descriptions(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(d)) = map.get("description") {
                out.push(d.clone());
            }
            map.values().for_each(|v| descriptions(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| descriptions(v, out)),
        _ => {}
    }
}

/// The schema node of a dotted element path (`section.title` → the items of `section`).
pub fn node_at<'s>(root: &'s Value, path: &[&str]) -> Option<&'s Value> {
    path.iter()
        .try_fold(root, |node, name| property(root, node, name))
}

/// The facets of the list schema for `name` below `parent` that carry a `contains`.
pub fn contains_facets<'s>(root: &'s Value, parent: &'s Value, name: &str) -> Vec<&'s Value> {
    facets(root, parent)
        .into_iter()
        .filter_map(|facet| facet.get("properties")?.get(name))
        .flat_map(|list| facets(root, list))
        .filter(|facet| facet.get("contains").is_some())
        .collect()
}

/// The url a `contains` subschema pins (`properties.url.const`, through a local `$ref`).
pub fn contains_url<'s>(root: &'s Value, facet: &'s Value) -> Option<&'s str> {
    facets(root, &facet["contains"])
        .into_iter()
        .find_map(|f| f.get("properties")?.get("url")?.get("const")?.as_str())
}

/// The items of an FSH file: a header line (`Profile: X`, `RuleSet: R (a, b)`, ...) and the lines
/// up to the next header.
pub fn fsh_items(text: &str) -> Vec<(String, Vec<String>)> {
    let mut items: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let is_header = line.split_once(':').is_some_and(|(key, _)| {
            [
                "Alias",
                "CodeSystem",
                "Extension",
                "Instance",
                "Invariant",
                "Logical",
                "Mapping",
                "Profile",
                "Resource",
                "RuleSet",
                "ValueSet",
            ]
            .contains(&key)
        });
        match items.last_mut() {
            Some((_, body)) if !is_header => body.push(line.to_owned()),
            _ if is_header => items.push((line.to_owned(), Vec::new())),
            _ => {}
        }
    }
    items
}

/// `Id: X` among the metadata lines of an item.
pub fn fsh_metadata<'a>(body: &'a [String], key: &str) -> Option<&'a str> {
    body.iter()
        .find_map(|line| line.strip_prefix(&format!("{key}:")))
        .map(str::trim)
}
