//! Tests of the laboratory profile schemas: IPS 2.0.0 Observation (laboratory/pathology
//! results), DiagnosticReport and Specimen (fhir-profiles/ips-2.0/), HL7 Europe Laboratory Report
//! 2.0.0 Observation and DiagnosticReport (fhir-profiles/eu-lab/), and the rule that they apply
//! to a resource when it claims them in `meta.profile`.
//!
//! They accept HL7's official IPS 2.0.0 examples and Observations and DiagnosticReports shaped
//! as the gateway writes them, reject broken copies with errors that point at the broken
//! element, do not drop any element the IPS 2.0.0 StructureDefinitions make mandatory, and
//! follow the cardinalities, invariants and closed slicing of the HL7 Europe FSH sources. The
//! reference material is read from `tests/fixtures/hl7/`; its README says where each file comes
//! from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};

use crate::support::profiles::*;

const IPS_2_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hl7/ips-2.0.0");
const EU_LAB_FSH_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/hl7/eu-laboratory-2.0.0-fsh"
);

const IPS_2_PROFILES: [&str; 3] = [
    "Observation-results-laboratory-pathology-uv-ips",
    "DiagnosticReport-uv-ips",
    "Specimen-uv-ips",
];
const EU_LAB_PROFILES: [&str; 2] = ["Observation-resultslab-eu-lab", "DiagnosticReport-eu-lab"];

const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const COMPOSITION_R5: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-DiagnosticReport.composition";
const ACCREDITED: &str = "http://hl7.eu/fhir/StructureDefinition/laboratory-accredited";
const UCUM: &str = "http://unitsofmeasure.org";

fn claimed(name: &str) -> &'static ClaimedProfile {
    CLAIMED_PROFILES
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} is not a claimed profile"))
}

fn structure_definition(profile: &str) -> Value {
    read_json(format!("{IPS_2_DIR}/StructureDefinition-{profile}.json"))
}

fn ips_2_example(file: &str) -> Value {
    read_json(format!("{IPS_2_DIR}/example/{file}"))
}

fn resource_type(resource: &Value) -> &str {
    resource["resourceType"].as_str().unwrap_or("")
}

/// Adds `url` to `meta.profile` unless it is there already.
fn claim(resource: &mut Value, url: &str) {
    let meta = resource
        .as_object_mut()
        .expect("object")
        .entry("meta")
        .or_insert_with(|| json!({}));
    let profiles = meta
        .as_object_mut()
        .expect("meta is an object")
        .entry("profile")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .expect("meta.profile is a list");
    if !profiles.iter().any(|p| p == url) {
        profiles.push(json!(url));
    }
}

fn unclaim(resource: &mut Value, url: &str) {
    if let Some(profiles) = resource["meta"]["profile"].as_array_mut() {
        profiles.retain(|p| p != url);
    }
}

// ------------------------------------------------------------------- what the gateway writes

fn contained_specimen() -> Value {
    json!({
        "resourceType": "Specimen",
        "id": "specimen",
        "type": {"coding": [{
            "system": "http://snomed.info/sct",
            "code": "119364003",
            "display": "Serum specimen"
        }]},
        "subject": {"reference": "Patient/no.p-no-001"},
        "collection": {"collectedDateTime": "2025-03-03T08:15:00+01:00"}
    })
}

fn performer() -> Value {
    json!({
        "type": "Organization",
        "identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.101", "value": "993467049"},
        "display": "Oslo universitetssykehus HF, Avdeling for medisinsk biokjemi"
    })
}

/// A laboratory Observation shaped as the gateway writes it: both claims, the laboratory
/// category and a LOINC study type, a LOINC and an NPU code, a logical performer, a UCUM
/// quantity, an interpretation, a reference range, a note and a contained Specimen.
fn lab_observation() -> Value {
    json!({
        "resourceType": "Observation",
        "id": "no.lab-0001-1",
        "meta": {"profile": LAB_OBSERVATION_CLAIMS},
        "contained": [contained_specimen()],
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory", "display": "Laboratory"}]},
            {"coding": [{"system": "http://loinc.org", "code": "18719-5", "display": "Chemistry studies (set)"}]}
        ],
        "code": {
            "coding": [
                {"system": "http://loinc.org", "code": "2160-0", "display": "Creatinine [Mass/volume] in Serum or Plasma"},
                {"system": "http://npu-terminology.org", "code": "NPU18016", "display": "P—Creatininium; subst.c."}
            ],
            "text": "Kreatinin"
        },
        "subject": {"reference": "Patient/no.p-no-001", "display": "Kari Nordmann"},
        "effectiveDateTime": "2025-03-03T08:15:00+01:00",
        "issued": "2025-03-03T12:40:00+01:00",
        "performer": [performer()],
        "valueQuantity": {"value": 84, "unit": "µmol/L", "system": UCUM, "code": "umol/L"},
        "interpretation": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
            "code": "N",
            "display": "Normal"
        }]}],
        "referenceRange": [{
            "low": {"value": 45, "unit": "µmol/L", "system": UCUM, "code": "umol/L"},
            "high": {"value": 90, "unit": "µmol/L", "system": UCUM, "code": "umol/L"},
            "text": "45–90 µmol/L"
        }],
        "note": [{"text": "Fastende prøve."}],
        "specimen": {"reference": "#specimen"}
    })
}

/// The other value shapes the gateway writes: a SNOMED CT coded value, a string, and a culture
/// without a value whose results are member Observations.
fn lab_observation_variants() -> Vec<(&'static str, Value)> {
    let without_value = || {
        let mut o = lab_observation();
        let o_map = o.as_object_mut().unwrap();
        o_map.remove("valueQuantity");
        o_map.remove("referenceRange");
        o_map.remove("interpretation");
        o
    };
    let mut coded = without_value();
    coded["valueCodeableConcept"] = json!({"coding": [{
        "system": "http://snomed.info/sct",
        "code": "260385009",
        "display": "Negative"
    }]});
    let mut text = without_value();
    text["valueString"] = json!("Ingen vekst etter 2 døgn");
    text["status"] = json!("preliminary");
    let mut culture = without_value();
    culture["category"][1] = json!({"coding": [{
        "system": "http://loinc.org", "code": "18725-2", "display": "Microbiology studies (set)"
    }]});
    culture["code"] = json!({
        "coding": [{"system": "http://loinc.org", "code": "630-4", "display": "Bacteria identified in Urine by Culture"}],
        "text": "Urindyrkning"
    });
    culture["hasMember"] = json!([
        {"reference": "Observation/no.lab-0002-2"},
        {"reference": "Observation/no.lab-0002-3"}
    ]);
    culture["status"] = json!("corrected");
    vec![
        ("valueQuantity", lab_observation()),
        ("valueCodeableConcept", coded),
        ("valueString", text),
        ("hasMember", culture),
    ]
}

/// A DiagnosticReport shaped as the gateway writes it.
fn lab_report() -> Value {
    json!({
        "resourceType": "DiagnosticReport",
        "id": "no.lab-0001",
        "meta": {"profile": LAB_DIAGNOSTIC_REPORT_CLAIMS},
        "contained": [contained_specimen()],
        "extension": [{
            "url": COMPOSITION_R5,
            "valueReference": {
                "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:6f1c2a55-1b0e-4f0e-9d57-0b7d1c5c0a01"},
                "display": "Laboratoriesvar"
            }
        }],
        "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.2.10001", "value": "LAB-2025-000123"}],
        "status": "final",
        "category": [
            {"coding": [{"system": "http://loinc.org", "code": "18719-5", "display": "Chemistry studies (set)"}]},
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB", "display": "Laboratory"}]}
        ],
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "11502-2", "display": "Laboratory report"}],
            "text": "Laboratoriesvar"
        },
        "subject": {"reference": "Patient/no.p-no-001", "display": "Kari Nordmann"},
        "effectiveDateTime": "2025-03-03T08:15:00+01:00",
        "issued": "2025-03-03T12:40:00+01:00",
        "performer": [performer()],
        "specimen": [{"reference": "#specimen"}],
        "result": [{"reference": "Observation/no.lab-0001-1"}],
        "conclusion": "Normal nyrefunksjon."
    })
}

/// A conformant resource for `profile`, as the starting point of breakage tests: an official
/// IPS 2.0.0 example for the IPS schemas, the gateway's shape for the HL7 Europe schemas (there
/// are no JSON examples of those: the guide's examples are FSH).
fn sample_for(profile: &str) -> Value {
    match profile {
        "Observation-results-laboratory-pathology-uv-ips" => {
            ips_2_example("Observation-serum-creatinine-adult.json")
        }
        "DiagnosticReport-uv-ips" => ips_2_example("DiagnosticReport-hemoglobin.json"),
        "Specimen-uv-ips" => ips_2_example("Specimen-specimen-example-1.json"),
        "Observation-resultslab-eu-lab" => lab_observation(),
        "DiagnosticReport-eu-lab" => lab_report(),
        _ => panic!("no sample for {profile}"),
    }
}

// ------------------------------------------------------------------------ official examples

/// The laboratory resources among the IPS 2.0.0 examples: Observations that claim the
/// laboratory/pathology profile or have the laboratory category, every DiagnosticReport and
/// every Specimen.
fn is_laboratory_example(resource: &Value) -> bool {
    match resource_type(resource) {
        "Observation" => {
            claimed_profiles(resource)
                .iter()
                .any(|p| p.url == IPS_LAB_OBSERVATION)
                || !lab_claims_for(resource).is_empty()
        }
        "DiagnosticReport" | "Specimen" => true,
        _ => false,
    }
}

/// The resource types of the laboratory examples; the folder also holds the examples of the
/// by-type profiles and documents, which `profiles_ips2.rs` runs.
const LABORATORY_TYPES: [&str; 3] = ["Observation", "DiagnosticReport", "Specimen"];

#[test]
fn ips_2_0_laboratory_examples_pass_r4_and_the_ips_2_0_schemas() {
    let mut laboratory = Vec::new();
    let mut others = Vec::new();
    for path in json_files(&format!("{IPS_2_DIR}/example")) {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut resource = read_json(path);
        if !LABORATORY_TYPES.contains(&resource_type(&resource)) {
            continue;
        }
        if !is_laboratory_example(&resource) {
            // Radiology, social history, pregnancy: R4 only, no laboratory schema applies.
            if let Err(errors) = validate(&resource) {
                panic!("{file} fails:{}", show(&errors));
            }
            assert_eq!(profiles_applied(&resource), Vec::<&str>::new(), "{file}");
            others.push(file);
            continue;
        }
        let profile = match resource_type(&resource) {
            "Observation" => claimed("Observation-results-laboratory-pathology-uv-ips"),
            "DiagnosticReport" => claimed("DiagnosticReport-uv-ips"),
            _ => claimed("Specimen-uv-ips"),
        };
        // The examples claim their profile; one that did not would be given the claim here.
        claim(&mut resource, profile.url);
        assert_eq!(profiles_applied(&resource), vec![profile.name], "{file}");
        if let Err(errors) = validate(&resource) {
            panic!("{file} fails:{}", show(&errors));
        }
        // Each layer alone, so that neither passes only because the other did not run.
        if let Err(errors) = validate_r4(&resource) {
            panic!("{file} fails R4:{}", show(&errors));
        }
        if let Err(errors) = validate_profile(profile.name, &resource) {
            panic!("{file} fails {}:{}", profile.name, show(&errors));
        }
        laboratory.push(file);
    }
    assert!(!laboratory.is_empty(), "no laboratory example");
    assert_eq!(
        laboratory,
        [
            "DiagnosticReport-hemoglobin.json",
            "Observation-hemoglobin.json",
            "Observation-pathology-cancer.json",
            "Observation-pathology-suppressed-data.json",
            "Observation-serum-creatinine-adult.json",
            "Observation-urine-wbc-range.json",
            "Specimen-specimen-example-1.json",
        ],
        "the laboratory examples"
    );
    assert!(
        others.len() >= 5,
        "the non-laboratory Observations: {others:?}"
    );
}

// ------------------------------------------------------------------- the gateway's shapes

#[test]
fn gateway_shaped_lab_observations_and_report_pass_everything() {
    for (what, observation) in lab_observation_variants() {
        assert_eq!(
            profiles_applied(&observation),
            [
                "Observation-results-laboratory-pathology-uv-ips",
                "Observation-resultslab-eu-lab"
            ],
            "{what}"
        );
        assert_claims_and_conforms(&observation, LAB_OBSERVATION_CLAIMS);
        assert_lab_claims_and_conforms(&observation);
        for profile in [
            "Observation-results-laboratory-pathology-uv-ips",
            "Observation-resultslab-eu-lab",
        ] {
            if let Err(errors) = validate_profile(profile, &observation) {
                panic!("the {what} Observation fails {profile}:{}", show(&errors));
            }
        }
    }
    let report = lab_report();
    assert_eq!(
        profiles_applied(&report),
        ["DiagnosticReport-uv-ips", "DiagnosticReport-eu-lab"]
    );
    assert_claims_and_conforms(&report, LAB_DIAGNOSTIC_REPORT_CLAIMS);
    assert_lab_claims_and_conforms(&report);
    // The contained Specimen claims nothing, but would meet Specimen-uv-ips if it did.
    let mut specimen = report["contained"][0].clone();
    assert!(validate_profile("Specimen-uv-ips", &specimen).is_ok());
    claim(&mut specimen, IPS_SPECIMEN);
    assert_valid(&specimen);

    // A searchset of them, as `Observation?category=laboratory` or `DiagnosticReport?...`.
    let searchset = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 5,
        "entry": lab_observation_variants()
            .into_iter()
            .map(|(_, o)| o)
            .chain([report])
            .map(|r| json!({
                "fullUrl": format!("https://gateway.example/fhir/{}/{}", r["resourceType"].as_str().unwrap(), r["id"].as_str().unwrap()),
                "resource": r,
                "search": {"mode": "match"}
            }))
            .collect::<Vec<_>>()
    });
    assert_lab_claims_and_conforms(&searchset);
}

/// The claims themselves are part of what the gateway promises.
#[test]
fn lab_claims_are_required_where_asked_for() {
    let mut observation = lab_observation();
    unclaim(&mut observation, EU_LAB_OBSERVATION);
    assert!(
        validate(&observation).is_ok(),
        "with one claim less it is still valid"
    );
    let errors = validate_claims(&observation, LAB_OBSERVATION_CLAIMS)
        .expect_err("a missing EU claim passes");
    assert_eq!(
        errors,
        [format!(
            "/meta/profile: Observation/no.lab-0001-1 does not claim {EU_LAB_OBSERVATION}"
        )]
    );

    // In a searchset, at the entry's path; a vital sign needs no laboratory claim.
    let mut report = lab_report();
    unclaim(&mut report, IPS_DIAGNOSTIC_REPORT);
    let vital_sign = json!({
        "resourceType": "Observation", "id": "bp", "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "code": {"text": "Blood pressure"}, "subject": {"reference": "Patient/no.p-no-001"}
    });
    assert!(lab_claims_for(&vital_sign).is_empty());
    let searchset = json!({
        "resourceType": "Bundle", "type": "searchset",
        "entry": [
            {"fullUrl": "https://gateway.example/fhir/Observation/bp", "resource": vital_sign},
            {"fullUrl": "https://gateway.example/fhir/DiagnosticReport/no.lab-0001", "resource": report}
        ]
    });
    assert!(validate(&searchset).is_ok());
    let errors = validate_lab_claims(&searchset).expect_err("a missing IPS claim passes");
    assert_eq!(
        errors,
        [format!(
            "/entry/1/resource/meta/profile: DiagnosticReport/no.lab-0001 does not claim {IPS_DIAGNOSTIC_REPORT}"
        )]
    );
}

#[test]
#[should_panic(expected = "Observation/no.lab-0001-1 is not valid")]
fn assert_claims_and_conforms_names_the_resource() {
    let mut observation = lab_observation();
    unclaim(&mut observation, IPS_LAB_OBSERVATION);
    assert_claims_and_conforms(&observation, LAB_OBSERVATION_CLAIMS);
}

// ------------------------------------------------------------------------- applies when claimed

/// The laboratory schemas apply to what claims them, wherever it is: alone, in a Bundle entry,
/// contained; with or without a `|version`; and to nothing else.
#[test]
fn lab_schemas_apply_when_claimed_and_only_then() {
    let mut broken = lab_observation();
    remove(&mut broken, "performer");
    let errors = validate(&broken).expect_err("a claimed profile is not applied");
    for profile in [
        "Observation-results-laboratory-pathology-uv-ips",
        "Observation-resultslab-eu-lab",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with("(root): ")
                && e.contains("\"performer\" is a required property")
                && e.contains(&format!("({profile} at "))),
            "expected {profile} to reject the missing performer:{}",
            show(&errors)
        );
    }

    // Without the claims, only R4 applies: an Observation may be anything.
    let mut unclaimed = broken.clone();
    remove(&mut unclaimed, "meta");
    assert_eq!(profiles_applied(&unclaimed), Vec::<&str>::new());
    assert!(validate(&unclaimed).is_ok());

    // A versioned claim is a claim.
    let mut versioned = broken.clone();
    versioned["meta"]["profile"] = json!([format!("{IPS_LAB_OBSERVATION}|2.0.0")]);
    assert_eq!(
        profiles_applied(&versioned),
        ["Observation-results-laboratory-pathology-uv-ips"]
    );
    assert!(validate(&versioned).is_err());

    // In a Bundle entry, at the entry's path.
    let bundle = json!({
        "resourceType": "Bundle", "type": "searchset",
        "entry": [{"fullUrl": "https://gateway.example/fhir/Observation/no.lab-0001-1", "resource": broken}]
    });
    let errors = validate(&bundle).expect_err("a claimed profile is not applied to an entry");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/entry/0/resource: ") && e.contains("performer")),
        "{}",
        show(&errors)
    );

    // Contained: a Specimen that claims Specimen-uv-ips is held to it, one that does not is not.
    let mut observation = lab_observation();
    remove(&mut observation["contained"][0], "type");
    assert!(
        validate(&observation).is_ok(),
        "an unclaimed contained Specimen is checked against Specimen-uv-ips"
    );
    claim(&mut observation["contained"][0], IPS_SPECIMEN);
    let errors = validate(&observation).expect_err("a claimed contained Specimen is not checked");
    assert!(
        errors.iter().any(|e| e.starts_with("/contained/0: ")
            && e.contains("\"type\" is a required property")
            && e.contains("(Specimen-uv-ips at ")),
        "{}",
        show(&errors)
    );
    assert!(
        validate_r4(&observation).is_ok(),
        "validate_r4 applies a profile"
    );

    // A claim of a profile of another resource type is an error in itself.
    let mut specimen = contained_specimen();
    claim(&mut specimen, IPS_LAB_OBSERVATION);
    let errors = validate(&specimen).expect_err("a Specimen claiming an Observation profile");
    assert_eq!(
        errors,
        [format!(
            "/meta/profile/0: a Specimen claims {IPS_LAB_OBSERVATION}, a profile of Observation"
        )]
    );
}

/// The by-type profiles still apply by type: a Patient gets Patient-uv-ips (IPS 2.0.0, the
/// default) without claiming it, and a contained one still does not.
#[test]
fn by_type_profiles_are_unchanged() {
    let patient = json!({"resourceType": "Patient", "id": "p", "gender": "female"});
    assert_eq!(profiles_applied(&patient), ["Patient-uv-ips"]);
    assert!(validate(&patient).is_err());
    let mut observation = lab_observation();
    observation["contained"] = json!([patient]);
    observation["subject"] = json!({"reference": "#p"});
    observation["specimen"] = json!({"reference": "Specimen/s"});
    assert_valid(&observation);
}

// ----------------------------------------------------------------------------- breakages

/// Applies `breakage` to a conformant copy and asserts that the profile schema rejects it with
/// an error at `path` that contains `needle`, and that `validate` (with the claim) rejects it
/// too.
#[track_caller]
fn assert_rejected(
    profile: &str,
    what: &str,
    breakage: impl FnOnce(&mut Value),
    path: &str,
    needle: &str,
) {
    let mut resource = sample_for(profile);
    claim(&mut resource, claimed(profile).url);
    assert_breakage_rejected(profile, resource, what, breakage, path, needle);
}

#[track_caller]
fn assert_accepted(profile: &str, what: &str, change: impl FnOnce(&mut Value)) {
    let mut resource = sample_for(profile);
    change(&mut resource);
    if let Err(errors) = validate_profile(profile, &resource) {
        panic!("{profile} rejects {what}:{}", show(&errors));
    }
}

fn laboratory_category() -> Value {
    json!({"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]})
}

fn without_value(r: &mut Value) {
    let map = r.as_object_mut().unwrap();
    for key in ["valueQuantity", "valueCodeableConcept", "valueString"] {
        map.remove(key);
    }
    map.remove("referenceRange");
}

#[test]
fn ips_lab_observation_profile_rejects_broken_copies() {
    let p = "Observation-results-laboratory-pathology-uv-ips";
    assert_rejected(
        p,
        "no status",
        |r| {
            remove(r, "status");
        },
        "(root)",
        "\"status\" is a required property",
    );
    assert_rejected(
        p,
        "status only as _status",
        |r| only_extension(r, "status"),
        "(root)",
        "\"status\" is a required property",
    );
    assert_rejected(
        p,
        "status entered-in-error",
        |r| r["status"] = json!("entered-in-error"),
        "/status",
        "results-status-uv-ips",
    );
    assert_rejected(
        p,
        "no category laboratory",
        |r| {
            r["category"] =
                json!([{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}])
        },
        "/category",
        "Observation.category:laboratory 1..1",
    );
    assert_rejected(
        p,
        "two laboratory categories",
        |r| {
            r["category"] = json!([laboratory_category(), laboratory_category()]);
        },
        "/category",
        "Observation.category:laboratory 1..1",
    );
    assert_rejected(
        p,
        "an empty category list",
        |r| r["category"] = json!([]),
        "/category",
        "Observation.category 1..*",
    );
    assert_rejected(
        p,
        "no code",
        |r| {
            remove(r, "code");
        },
        "(root)",
        "\"code\" is a required property",
    );
    assert_rejected(
        p,
        "no performer",
        |r| {
            remove(r, "performer");
        },
        "(root)",
        "\"performer\" is a required property",
    );
    assert_rejected(
        p,
        "an empty performer",
        |r| r["performer"] = json!([{"id": "x"}]),
        "/performer/0",
        "ele-1",
    );
    assert_rejected(
        p,
        "a subject without reference",
        |r| r["subject"] = json!({"display": "Kari Nordmann"}),
        "/subject",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "no effective[x]",
        |r| {
            remove(r, "effectiveDateTime");
        },
        "(root)",
        "Observation.effective[x] 1..1",
    );
    assert_rejected(
        p,
        "two value[x]",
        |r| r["valueString"] = json!("2.46 mg/dL"),
        "(root)",
        "Observation.value[x] 0..1",
    );
    assert_rejected(
        p,
        "neither value, dataAbsentReason, hasMember nor component (ips-2)",
        without_value,
        "(root)",
        "ips-2",
    );
    assert_rejected(
        p,
        "a dataAbsentReason beside a value (obs-6)",
        |r| r["dataAbsentReason"] = json!({"text": "masked"}),
        "(root)",
        "obs-6",
    );
    assert_rejected(
        p,
        "a reference range with neither low, high nor text (obs-3)",
        |r| r["referenceRange"] = json!([{"type": {"text": "normal"}}]),
        "/referenceRange/0",
        "obs-3",
    );
    assert_rejected(
        p,
        "components none of which has a value (ips-3)",
        |r| r["component"] = json!([{"code": {"text": "eGFR"}}]),
        "/component",
        "ips-3",
    );
    assert_rejected(
        p,
        "a component without code",
        |r| r["component"] = json!([{"valueString": "x"}]),
        "/component/0",
        "\"code\" is a required property",
    );
}

#[test]
fn ips_diagnostic_report_profile_rejects_broken_copies() {
    let p = "DiagnosticReport-uv-ips";
    assert_rejected(
        p,
        "status only as _status",
        |r| only_extension(r, "status"),
        "(root)",
        "\"status\" is a required property",
    );
    assert_rejected(
        p,
        "status entered-in-error",
        |r| r["status"] = json!("entered-in-error"),
        "/status",
        "diagnostics-report-status-uv-ips",
    );
    assert_rejected(
        p,
        "no code",
        |r| {
            remove(r, "code");
        },
        "(root)",
        "\"code\" is a required property",
    );
    assert_rejected(
        p,
        "an empty code",
        |r| r["code"] = json!({"coding": []}),
        "/code",
        "ele-1",
    );
    assert_rejected(
        p,
        "a subject without reference",
        |r| r["subject"] = json!({"display": "Kari Nordmann"}),
        "/subject",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "no effective[x]",
        |r| {
            remove(r, "effectiveDateTime");
        },
        "(root)",
        "DiagnosticReport.effective[x] 1..1",
    );
    assert_rejected(
        p,
        "an empty effectivePeriod instead",
        |r| {
            remove(r, "effectiveDateTime");
            r["effectivePeriod"] = json!({});
        },
        "/effectivePeriod",
        "ele-1",
    );
    assert_rejected(
        p,
        "a media without link",
        |r| r["media"] = json!([{"comment": "graph"}]),
        "/media/0",
        "\"link\" is a required property",
    );
}

#[test]
fn ips_specimen_profile_rejects_broken_copies() {
    let p = "Specimen-uv-ips";
    assert_rejected(
        p,
        "no type",
        |r| {
            remove(r, "type");
        },
        "(root)",
        "\"type\" is a required property",
    );
    assert_rejected(
        p,
        "an empty type",
        |r| r["type"] = json!({}),
        "/type",
        "ele-1",
    );
    assert_rejected(
        p,
        "a subject without reference",
        |r| r["subject"] = json!({"display": "Kari Nordmann"}),
        "/subject",
        "Specimen.subject.reference 1..1",
    );
    assert_rejected(
        p,
        "two collected[x]",
        |r| {
            r["collection"]["collectedDateTime"] = json!("2025-03-03");
            r["collection"]["collectedPeriod"] = json!({"start": "2025-03-03"});
        },
        "/collection",
        "Specimen.collection.collected[x] 0..1",
    );
}

#[test]
fn eu_lab_observation_profile_rejects_broken_copies() {
    let p = "Observation-resultslab-eu-lab";
    assert_rejected(
        p,
        "no status",
        |r| {
            remove(r, "status");
        },
        "(root)",
        "\"status\" is a required property",
    );
    assert_rejected(
        p,
        "no performer",
        |r| {
            remove(r, "performer");
        },
        "(root)",
        "\"performer\" is a required property",
    );
    assert_rejected(
        p,
        "an empty performer list",
        |r| r["performer"] = json!([]),
        "/performer",
        "Observation.performer 1..*",
    );
    assert_rejected(
        p,
        "no category laboratory",
        |r| {
            r["category"].as_array_mut().unwrap().remove(0);
        },
        "/category",
        "Observation.category:laboratory 1..1",
    );
    assert_rejected(
        p,
        "no category",
        |r| {
            remove(r, "category");
        },
        "(root)",
        "\"category\" is a required property",
    );
    assert_rejected(
        p,
        "a valueBoolean",
        |r| {
            without_value(r);
            r["valueBoolean"] = json!(true);
        },
        "/valueBoolean",
        "closed slicing",
    );
    assert_rejected(
        p,
        "a valueInteger",
        |r| {
            without_value(r);
            r["valueInteger"] = json!(84);
        },
        "/valueInteger",
        "closed slicing",
    );
    assert_rejected(
        p,
        "a valueSampledData",
        |r| {
            without_value(r);
            r["valueSampledData"] = json!({"origin": {"value": 0}, "period": 1, "dimensions": 1});
        },
        "/valueSampledData",
        "closed slicing",
    );
    assert_rejected(
        p,
        "a component with a valueInteger",
        |r| r["component"] = json!([{"code": {"text": "x"}, "valueInteger": 1}]),
        "/component/0/valueInteger",
        "closed slicing",
    );
    assert_rejected(
        p,
        "a final result without value, dataAbsentReason, hasMember or component (eu-lab-1)",
        without_value,
        "(root)",
        "eu-lab-1",
    );
    assert_rejected(
        p,
        "a final result whose components have no value (eu-lab-2)",
        |r| r["component"] = json!([{"code": {"text": "eGFR"}}]),
        "(root)",
        "eu-lab-2",
    );
    assert_rejected(
        p,
        "a quantity in another unit system",
        |r| r["valueQuantity"]["system"] = json!("http://example.org/units"),
        "/valueQuantity/system",
        "UCUM",
    );
    assert_rejected(
        p,
        "a range whose low has no code",
        |r| {
            without_value(r);
            r["valueRange"] = json!({"low": {"value": 1, "system": UCUM}, "high": {"value": 2, "system": UCUM, "code": "mmol/L"}});
        },
        "/valueRange/low",
        "\"code\" is a required property",
    );
    assert_rejected(
        p,
        "a ratio in another unit system",
        |r| {
            without_value(r);
            r["valueRatio"] = json!({
                "numerator": {"value": 15, "system": UCUM, "code": "mg"},
                "denominator": {"value": 24, "system": "http://example.org/units", "code": "h"}
            });
        },
        "/valueRatio/denominator/system",
        "UCUM",
    );
    assert_rejected(
        p,
        "two accredited extensions",
        |r| {
            r["extension"] = json!([
                {"url": ACCREDITED, "valueBoolean": true},
                {"url": ACCREDITED, "valueBoolean": false}
            ]);
        },
        "/extension",
        "Observation.extension:accredited 0..1",
    );
    assert_rejected(
        p,
        "an accredited extension with a string",
        |r| r["extension"] = json!([{"url": ACCREDITED, "valueString": "yes"}]),
        "/extension/0",
        "valueBoolean 1..1",
    );
}

/// eu-lab-1 and eu-lab-2 exempt registered and cancelled results, and count the R5 value
/// extensions as values; the cases follow the guide's own invariant examples
/// (examples/lab_report/Observation-invariant-extension-examples.fsh in the guide's sources).
/// IPS 2.0 (ips-2, ips-3) has neither exemption, so these are EU-conformant only.
#[test]
fn eu_lab_invariants_accept_what_the_guide_allows() {
    let p = "Observation-resultslab-eu-lab";
    let ips = "Observation-results-laboratory-pathology-uv-ips";
    let mut registered = lab_observation();
    without_value(&mut registered);
    registered["status"] = json!("registered");
    assert!(validate_profile(p, &registered).is_ok());
    assert!(validate_profile(ips, &registered).is_err());

    assert_accepted(p, "a value given as the R5 value extension", |r| {
        without_value(r);
        r["extension"] = json!([{
            "url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.value",
            "valueAttachment": {"contentType": "text/plain", "data": "Q2xvdWR5"}
        }]);
    });
    assert_accepted(p, "a component value given as the R5 extension", |r| {
        r["component"] = json!([{
            "code": {"coding": [{"system": "http://loinc.org", "code": "5778-6", "display": "Color of Urine"}]},
            "extension": [{
                "url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.component.value",
                "valueAttachment": {"contentType": "text/plain", "data": "QW1iZXI="}
            }]
        }]);
    });
    assert_accepted(p, "a component with a dataAbsentReason", |r| {
        r["component"] = json!([{
            "code": {"text": "Color of Urine"},
            "dataAbsentReason": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "unknown"}]}
        }]);
    });
    assert_accepted(p, "cancelled components without values", |r| {
        r["status"] = json!("cancelled");
        r["component"] = json!([{"code": {"text": "eGFR"}}]);
    });
    assert_accepted(p, "an accredited extension", |r| {
        r["extension"] = json!([{"url": ACCREDITED, "valueBoolean": true}]);
    });
}

#[test]
fn eu_lab_diagnostic_report_profile_rejects_broken_copies() {
    let p = "DiagnosticReport-eu-lab";
    assert_rejected(
        p,
        "no composition extension",
        |r| {
            remove(r, "extension");
        },
        "(root)",
        "\"extension\" is a required property",
    );
    assert_rejected(
        p,
        "another extension instead of the composition",
        |r| r["extension"][0]["url"] = json!("http://example.org/other"),
        "/extension",
        "DiagnosticReport.extension:DiagnosticReportCompositionR5 1..1",
    );
    assert_rejected(
        p,
        "two composition extensions",
        |r| {
            let twin = r["extension"][0].clone();
            r["extension"].as_array_mut().unwrap().push(twin);
        },
        "/extension",
        "DiagnosticReportCompositionR5 1..1",
    );
    assert_rejected(
        p,
        "a composition extension with a string",
        |r| r["extension"][0] = json!({"url": COMPOSITION_R5, "valueString": "Composition/x"}),
        "/extension/0",
        "\"valueReference\" is a required property",
    );
    assert_rejected(
        p,
        "a composition extension with an empty reference",
        |r| r["extension"][0]["valueReference"] = json!({}),
        "/extension/0/valueReference",
        "ele-1",
    );
    assert_rejected(
        p,
        "no code",
        |r| {
            remove(r, "code");
        },
        "(root)",
        "\"code\" is a required property",
    );
    assert_rejected(
        p,
        "status only as _status",
        |r| only_extension(r, "status"),
        "(root)",
        "\"status\" is a required property",
    );
    assert_rejected(
        p,
        "an imagingStudy",
        |r| r["imagingStudy"] = json!([{"reference": "ImagingStudy/1"}]),
        "/imagingStudy",
        "DiagnosticReport.imagingStudy 0..0",
    );
    assert_rejected(
        p,
        "a media link with a reference",
        |r| r["media"] = json!([{"link": {"reference": "Media/1", "display": "graph"}}]),
        "/media/0/link/reference",
        "0..0",
    );
    assert_rejected(
        p,
        "a media link without display",
        |r| {
            r["media"] = json!([{"link": {"extension": [{
                "url": "http://hl7.org/fhir/StructureDefinition/alternate-reference",
                "valueReference": {"reference": "DocumentReference/1"}
            }]}}]);
        },
        "/media/0/link",
        "\"display\" is a required property",
    );
    assert_accepted(
        p,
        "a media link to a DocumentReference, as the guide has it",
        |r| {
            r["media"] = json!([{"comment": "Kurve", "link": {
                "display": "See the alternate-reference extension",
                "extension": [{
                    "url": "http://hl7.org/fhir/StructureDefinition/alternate-reference",
                    "valueReference": {"reference": "DocumentReference/1"}
                }]
            }}]);
        },
    );
}

// ------------------------------------------------------- against the IPS 2.0.0 snapshots

/// Every element that an IPS 2.0.0 StructureDefinition makes mandatory (min ≥ 1), at any depth,
/// is required by the project's schema, and every mandatory slice defined by a pattern
/// (`Observation.category:laboratory`) is enforced with its cardinality. The schemas name the
/// StructureDefinition they come from, which is the profile the validator applies on a claim.
#[test]
fn ips_2_0_profile_schemas_require_every_mandatory_element_of_the_structure_definitions() {
    let mut missing = Vec::new();
    let mut elements = 0;
    let mut slices = 0;
    for profile in IPS_2_PROFILES {
        let sd = structure_definition(profile);
        assert_eq!(sd["version"], "2.0.0", "{profile}");
        assert_eq!(sd["url"], claimed(profile).url, "{profile}");
        let schema = profile_schema(profile);
        assert_eq!(
            schema["x-structure-definition"]["url"], sd["url"],
            "{profile}"
        );
        assert_eq!(schema["x-structure-definition"]["version"], sd["version"]);
        let (n, unrequired) = unrequired_mandatory_elements(profile, &sd);
        elements += n;
        missing.extend(unrequired);
        let (n, unenforced) = unrequired_pattern_slices(profile, &sd);
        slices += n;
        missing.extend(unenforced);
    }
    assert!(
        elements >= 15,
        "only {elements} mandatory elements found in the snapshots"
    );
    assert_eq!(slices, 1, "mandatory pattern slices found in the snapshots");
    assert!(
        missing.is_empty(),
        "mandatory elements not required by the schemas:{}",
        show(&missing)
    );
}

/// The same, by behaviour: a conformant resource without any one top-level mandatory element
/// (or with a mandatory primitive only as `_x`) is rejected.
#[test]
fn ips_2_0_profile_schemas_reject_each_missing_mandatory_element() {
    let mut accepted = Vec::new();
    for profile in IPS_2_PROFILES {
        let sd = structure_definition(profile);
        accepted.extend(accepted_without_mandatory_elements(
            profile,
            &sd,
            &sample_for(profile),
        ));
        // The gateway's shapes as well, for the profiles it claims.
        let gateway = match profile {
            "Observation-results-laboratory-pathology-uv-ips" => lab_observation(),
            "DiagnosticReport-uv-ips" => lab_report(),
            _ => contained_specimen(),
        };
        accepted.extend(accepted_without_mandatory_elements(profile, &sd, &gateway));
    }
    assert!(
        accepted.is_empty(),
        "the schemas accept:{}",
        show(&accepted)
    );
}

// ----------------------------------------------------------- against the HL7 Europe FSH

/// Removes FSH comments: `//` to the end of the line and `/* ... */`, where they start a token
/// (FSH reads `http://...` as one token), outside strings. Line breaks inside strings become
/// spaces, so that every rule is on one line (a `contains` list may still span lines).
fn strip_fsh_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let token_start = i == 0 || chars[i - 1].is_whitespace();
        if in_string {
            match c {
                '\\' if next.is_some() => {
                    out.push(c);
                    out.extend(next);
                    i += 2;
                    continue;
                }
                '"' => in_string = false,
                _ => {}
            }
            out.push(if c == '\n' { ' ' } else { c });
            i += 1;
        } else if c == '"' {
            in_string = true;
            out.push(c);
            i += 1;
        } else if token_start && c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if token_start && c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn fsh(relative: &str) -> String {
    let path = format!("{EU_LAB_FSH_DIR}/{relative}");
    strip_fsh_comments(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}")),
    )
}

struct RuleSet {
    params: Vec<String>,
    body: Vec<String>,
}

fn fsh_rule_sets(texts: &[&str]) -> BTreeMap<String, RuleSet> {
    let mut sets = BTreeMap::new();
    for text in texts {
        for (header, body) in fsh_items(text) {
            let Some(rest) = header.strip_prefix("RuleSet:") else {
                continue;
            };
            let (name, params) = match rest.split_once('(') {
                Some((name, params)) => (
                    name.trim().to_owned(),
                    params
                        .trim_end()
                        .trim_end_matches(')')
                        .split(',')
                        .map(|p| p.trim().to_owned())
                        .collect(),
                ),
                None => (rest.trim().to_owned(), Vec::new()),
            };
            sets.insert(name, RuleSet { params, body });
        }
    }
    sets
}

/// The rules of an item as `(path, rest)`: indentation resolved into paths
/// (`media.link.reference`, "0..0"), `insert`ed rule sets expanded with their arguments, `contains`
/// lists continued over several lines joined. Rules without a path (`obeys`, `^x`) get the path of
/// their context ("" at the top).
fn fsh_rules(
    body: &[String],
    rule_sets: &BTreeMap<String, RuleSet>,
    context: &str,
) -> Vec<(String, String)> {
    let join = |context: &str, path: &str| match (context, path) {
        ("", path) => path.to_owned(),
        (context, ".") => context.to_owned(),
        (context, path) => format!("{context}.{path}"),
    };
    let mut rules: Vec<(String, String)> = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for line in body {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let Some(rule) = trimmed.strip_prefix('*') else {
            // The continuation of a `contains` list.
            if !trimmed.is_empty()
                && let Some((_, rest)) = rules.last_mut()
                && (rest.starts_with("contains") || rest.ends_with(" and"))
            {
                rest.push(' ');
                rest.push_str(trimmed.trim_end());
            }
            continue;
        };
        let rule = rule.trim();
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let here = stack
            .last()
            .map_or(context, |(_, path)| path.as_str())
            .to_owned();
        if let Some(call) = rule.strip_prefix("insert ") {
            let (name, args) = match call.split_once('(') {
                Some((name, args)) => (
                    name.trim(),
                    args.trim_end()
                        .trim_end_matches(')')
                        .split(',')
                        .map(str::trim)
                        .collect::<Vec<_>>(),
                ),
                None => (call.trim(), Vec::new()),
            };
            let Some(set) = rule_sets.get(name) else {
                continue; // metadata rule sets of other files
            };
            let body: Vec<String> = set
                .body
                .iter()
                .map(|line| {
                    set.params
                        .iter()
                        .zip(&args)
                        .fold(line.clone(), |line, (param, arg)| {
                            line.replace(&format!("{{{param}}}"), arg)
                        })
                })
                .collect();
            rules.extend(fsh_rules(&body, rule_sets, &here));
            continue;
        }
        let (first, rest) = rule.split_once(char::is_whitespace).unwrap_or((rule, ""));
        let (path, rest) = if first == "obeys" || first.starts_with('^') {
            (here.clone(), rule.to_owned())
        } else {
            (join(&here, first), rest.trim().to_owned())
        };
        stack.push((indent, path.clone()));
        rules.push((path, rest));
    }
    rules
}

fn min_max_contains(facet: &Value) -> (u64, Option<u64>) {
    (
        facet
            .get("minContains")
            .and_then(Value::as_u64)
            .unwrap_or(1),
        facet.get("maxContains").and_then(Value::as_u64),
    )
}

/// Whether `facet` enforces at least `min` and at most `max` matching items.
fn enforces(facet: &Value, min: u64, max: Option<u64>) -> bool {
    let (min_contains, max_contains) = min_max_contains(facet);
    min_contains >= min && max.is_none_or(|max| max_contains.is_some_and(|m| m <= max))
}

/// The HL7 Europe schemas follow their FSH sources: the profile's canonical URL is the guide's
/// `canonical` + `/StructureDefinition/` + its `Id`, and the schema enforces every cardinality
/// rule of the profile (its own and those of the rule sets it inserts: min ≥ 1 as `required`
/// with `minItems`, 0..0 as a forbidden element, a named slice or an extension slice whose
/// cardinality is not 0..* as `contains` with `minContains`/`maxContains`), every invariant it
/// `obeys` (a rule described with the invariant's key), and its closed `value[x]` slicing (the
/// R4 value types the profile does not list, as forbidden elements).
#[test]
fn eu_lab_schemas_follow_the_fsh_sources() {
    let config = std::fs::read_to_string(format!("{EU_LAB_FSH_DIR}/sushi-config.yaml"))
        .expect("sushi-config.yaml");
    let setting = |key: &str| {
        config
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key}:")))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no {key} in sushi-config.yaml"))
    };
    let canonical = setting("canonical");
    let version = setting("version");
    assert_eq!(canonical, "http://hl7.eu/fhir/laboratory");

    let aliases: BTreeMap<String, String> = fsh("input/fsh/alias-lab.fsh")
        .lines()
        .filter_map(|line| {
            let (name, url) = line.strip_prefix("Alias:")?.split_once('=')?;
            let url = url.trim();
            Some((
                name.trim().to_owned(),
                url.split_once('|').map_or(url, |(u, _)| u).to_owned(),
            ))
        })
        .collect();
    // The slice is declared by the parent (DiagnosticReportEuCore, not available); the guide's
    // own examples fill it with this alias's url.
    let parent_slices = BTreeMap::from([(
        "extension[DiagnosticReportCompositionR5]",
        aliases["$diagnostic-report-composition-r5"].clone(),
    )]);
    assert_eq!(
        parent_slices["extension[DiagnosticReportCompositionR5]"],
        COMPOSITION_R5
    );

    let rule_set_texts = [
        fsh("input/fsh/rulesSet/rulesSet-lab.fsh"),
        fsh("input/fsh/rulesSet/observation-results.fsh"),
    ];
    let rule_sets = fsh_rule_sets(
        &rule_set_texts
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    // The R4 types of Observation.value[x] and Observation.component.value[x].
    let ips_observation = structure_definition("Observation-results-laboratory-pathology-uv-ips");
    let r4_value_types = |path: &str| -> BTreeSet<String> {
        let element = ips_observation["snapshot"]["element"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == path)
            .unwrap_or_else(|| panic!("no {path}"));
        choice_variants(element, "value")
    };

    let mut checked = BTreeSet::new();
    let mut missing = Vec::new();
    for (file, profile) in [
        (
            "input/fsh/profiles/observation-lab.fsh",
            "Observation-resultslab-eu-lab",
        ),
        (
            "input/fsh/profiles/diagnosticReport-lab.fsh",
            "DiagnosticReport-eu-lab",
        ),
    ] {
        let text = fsh(file);
        let items = fsh_items(&text);
        let (_, body) = items
            .iter()
            .find(|(header, body)| {
                header.starts_with("Profile:") && fsh_metadata(body, "Id") == Some(profile)
            })
            .unwrap_or_else(|| panic!("no profile with Id {profile} in {file}"));
        let url = format!("{canonical}/StructureDefinition/{profile}");
        assert_eq!(claimed(profile).url, url);
        let root = profile_schema(profile);
        assert_eq!(root["x-structure-definition"]["url"], url.as_str());
        assert_eq!(root["x-structure-definition"]["version"], version.as_str());
        let resource_type = claimed(profile).resource_type;
        let mut all_descriptions = Vec::new();
        descriptions(root, &mut all_descriptions);

        let rules = fsh_rules(body, &rule_sets, "");
        for (path, rest) in &rules {
            let label = format!("{profile}: {path} {rest}");
            let segments: Vec<&str> = if path.is_empty() {
                Vec::new()
            } else {
                path.split('.').collect()
            };
            // Cardinality rules.
            if let Some((min, max)) = cardinality(rest) {
                if let Some(slice_url) = parent_slices.get(path.as_str()) {
                    let ok = contains_facets(root, root, "extension").iter().any(|f| {
                        contains_url(root, f) == Some(slice_url.as_str()) && enforces(f, min, max)
                    });
                    if !ok {
                        missing.push(label.clone());
                    }
                    checked.insert(format!("{profile}: {path} {rest}"));
                    continue;
                }
                if path.contains('[') {
                    continue; // a slice of this profile, defined with its `contains` rule
                }
                let (last, parents) = segments.split_last().expect("an element path");
                let Some(parent) = node_at(root, parents) else {
                    missing.push(format!("{label} (no schema for its parent)"));
                    continue;
                };
                let mut ok = true;
                if min >= 1 {
                    ok &= requires(root, parent, last);
                    let list = facets(root, parent)
                        .into_iter()
                        .find_map(|f| f.get("properties")?.get(*last));
                    if let Some(list) = list.filter(|l| l.get("type") == Some(&json!("array"))) {
                        ok &= list.get("minItems").and_then(Value::as_u64) >= Some(min);
                    }
                }
                if max == Some(0) {
                    ok &= facets(root, parent)
                        .into_iter()
                        .filter_map(|f| f.get("properties")?.get(*last))
                        .any(|s| s.get("not") == Some(&json!({})));
                }
                if min >= 1 || max == Some(0) {
                    checked.insert(format!("{profile}: {path} {rest}"));
                    if !ok {
                        missing.push(label.clone());
                    }
                }
                continue;
            }
            // Slices: `x contains a 1..1 and $alias named b 0..1 and ...`.
            if let Some(list) = rest.strip_prefix("contains") {
                for slice in list.split(" and ") {
                    let words: Vec<&str> = slice.split_whitespace().collect();
                    let Some((min, max)) = words.last().and_then(|w| cardinality(w)) else {
                        missing.push(format!("{label} (cannot read {slice:?})"));
                        continue;
                    };
                    if min == 0 && max.is_none() {
                        continue;
                    }
                    let (last, parents) = segments.split_last().expect("a sliced element");
                    let Some(parent) = node_at(root, parents) else {
                        missing.push(format!("{label} (no schema for its parent)"));
                        continue;
                    };
                    let facets = contains_facets(root, parent, last);
                    let ok = match words.as_slice() {
                        [target, "named", name, _] => {
                            let url = aliases.get(*target).unwrap_or_else(|| {
                                panic!("{label}: {target} is not an alias of alias-lab.fsh")
                            });
                            checked.insert(format!("{profile}: {path}:{name} {url}"));
                            facets.iter().any(|f| {
                                contains_url(root, f) == Some(url.as_str()) && enforces(f, min, max)
                            })
                        }
                        [name, card] => {
                            let rule = format!("{resource_type}.{path}:{name} {card}");
                            checked.insert(format!("{profile}: {path}:{name} {card}"));
                            facets.iter().any(|f| {
                                f.get("description")
                                    .and_then(Value::as_str)
                                    .is_some_and(|d| d.starts_with(&rule))
                                    && enforces(f, min, max)
                            })
                        }
                        _ => false,
                    };
                    if !ok {
                        missing.push(format!("{label} ({slice})"));
                    }
                }
                continue;
            }
            // Invariants.
            if let Some(key) = rest.strip_prefix("obeys ") {
                let key = key.trim();
                checked.insert(format!("{profile}: obeys {key}"));
                if !all_descriptions.iter().any(|d| d.starts_with(key)) {
                    missing.push(label.clone());
                }
                continue;
            }
            // Closed value[x] slicing: the R4 types not listed are forbidden.
            if path.ends_with("value[x]") && rest == "^slicing.rules = #closed" {
                let context = path.trim_end_matches("value[x]").trim_end_matches('.');
                // The types the profile names (`valueString only string`, `valueCodeableConcept
                // from ...`): a rule on `valueX` creates the slice of that type.
                let allowed: BTreeSet<String> = rules
                    .iter()
                    .filter_map(|(p, _)| {
                        let name = if context.is_empty() {
                            p.as_str()
                        } else {
                            p.strip_prefix(context)?.strip_prefix('.')?
                        };
                        (name.starts_with("value") && !name.contains(['.', '[']))
                            .then(|| name.to_owned())
                    })
                    .collect();
                let sd_path = if context.is_empty() {
                    "Observation.value[x]".to_owned()
                } else {
                    format!("Observation.{context}.value[x]")
                };
                let r4 = r4_value_types(&sd_path);
                assert!(allowed.is_subset(&r4), "{label}: {allowed:?} not in {r4:?}");
                let parent_path: Vec<&str> = if context.is_empty() {
                    Vec::new()
                } else {
                    context.split('.').collect()
                };
                let Some(parent) = node_at(root, &parent_path) else {
                    missing.push(format!("{label} (no schema for {context})"));
                    continue;
                };
                for variant in r4.difference(&allowed) {
                    let element = if context.is_empty() {
                        variant.clone()
                    } else {
                        format!("{context}.{variant}")
                    };
                    checked.insert(format!("{profile}: {element} forbidden"));
                    let forbidden = facets(root, parent)
                        .into_iter()
                        .filter_map(|f| f.get("properties")?.get(variant.as_str()))
                        .any(|s| s.get("not") == Some(&json!({})));
                    if !forbidden {
                        missing.push(format!("{label}: {variant} is not forbidden"));
                    }
                }
            }
        }
    }
    // What the rules above must have found; if the FSH reader stopped finding them, this test
    // would check less.
    for expected in [
        "Observation-resultslab-eu-lab: category 1..*",
        "Observation-resultslab-eu-lab: performer 1..",
        "Observation-resultslab-eu-lab: category:laboratory 1..1",
        "Observation-resultslab-eu-lab: extension:accredited http://hl7.eu/fhir/StructureDefinition/laboratory-accredited",
        "Observation-resultslab-eu-lab: obeys eu-lab-1",
        "Observation-resultslab-eu-lab: obeys eu-lab-2",
        "Observation-resultslab-eu-lab: valueBoolean forbidden",
        "Observation-resultslab-eu-lab: valueInteger forbidden",
        "Observation-resultslab-eu-lab: valueSampledData forbidden",
        "Observation-resultslab-eu-lab: component.valueBoolean forbidden",
        "DiagnosticReport-eu-lab: extension[DiagnosticReportCompositionR5] 1..1",
        "DiagnosticReport-eu-lab: code 1..",
        "DiagnosticReport-eu-lab: imagingStudy 0..0",
        "DiagnosticReport-eu-lab: media.link.reference 0..0",
        "DiagnosticReport-eu-lab: media.link.type 0..0",
        "DiagnosticReport-eu-lab: media.link.identifier 0..0",
        "DiagnosticReport-eu-lab: media.link.display 1..1",
        "DiagnosticReport-eu-lab: media.link.extension:link http://hl7.org/fhir/StructureDefinition/alternate-reference",
    ] {
        assert!(
            checked.contains(expected),
            "not found in the FSH: {expected}; checked:{}",
            show(&checked.iter().cloned().collect::<Vec<_>>())
        );
    }
    assert!(
        missing.is_empty(),
        "FSH rules the schemas do not enforce:{}",
        show(&missing)
    );
}

/// Every schema applied on a claim (the laboratory ones, and the IPS 2.0.0 alert Flag, tested
/// in `profiles_ips2.rs`) compiles, names its profile, and is applied by the validator on the
/// claim of exactly that profile. The HL7 Europe EPS and MPD rows, whose claims also bring
/// the IPS profile of their type, are checked in `profiles_eu.rs`.
#[test]
fn claimed_profiles_table_matches_the_schemas() {
    let own: Vec<&ClaimedProfile> = CLAIMED_PROFILES
        .iter()
        .filter(|p| p.dir != "eps" && p.dir != "mpd")
        .collect();
    assert!(
        own.len() < CLAIMED_PROFILES.len(),
        "the EU rows are in the table"
    );
    let mut names: Vec<&str> = own.iter().map(|p| p.name).collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = IPS_2_PROFILES
        .into_iter()
        .chain(EU_LAB_PROFILES)
        .chain(["Flag-alert-uv-ips"])
        .collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for profile in own {
        let schema = profile_schema(profile.name);
        assert_eq!(schema["x-structure-definition"]["url"], profile.url);
        assert_eq!(
            schema["properties"]["resourceType"]["const"],
            profile.resource_type
        );
        let mut resource = json!({"resourceType": profile.resource_type, "id": "x"});
        claim(&mut resource, profile.url);
        assert_eq!(profiles_applied(&resource), [profile.name]);
        assert!(
            Path::new(&format!(
                "{}/fhir-profiles/{}/{}.schema.json",
                env!("CARGO_MANIFEST_DIR"),
                profile.dir,
                profile.name
            ))
            .is_file()
        );
    }
}
