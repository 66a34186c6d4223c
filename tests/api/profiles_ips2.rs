//! Tests of the project's IPS 2.0.0 schemas for the by-type profiles (fhir-profiles/ips-2.0/:
//! Patient, MedicationRequest, MedicationStatement, Immunization, AllergyIntolerance, Condition,
//! Composition, the document Bundle) and the alert Flag, and of the rule that chooses between
//! them and the IPS 1.1.0 ones (fhir-profiles/ips/).
//!
//! They accept HL7's official IPS 2.0.0 example documents and single-resource examples, reject
//! broken copies with errors that point at the broken element, accept what 2.0.0 relaxed and
//! 1.1.0 does not (an emptyReason instead of entries, a Condition without clinicalStatus), and
//! do not drop any element, slice, prohibition or invariant the IPS 2.0.0 StructureDefinitions
//! state. The reference material is read from `tests/fixtures/hl7/ips-2.0.0/`; its README says
//! where each file comes from.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::profiles::*;

const IPS_2_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hl7/ips-2.0.0");
const V1: IpsVersion = IpsVersion::V1_1_0;
const V2: IpsVersion = IpsVersion::V2_0_0;

/// The example documents of the IPS 2.0.0 package.
const EXAMPLE_DOCUMENTS: [&str; 5] = [
    "Bundle-IPS-examples-Bundle-01.json",
    "Bundle-IPS-examples-Bundle-with-immunization.json",
    "Bundle-bundle-ips-all-sections.json",
    "Bundle-bundle-minimal.json",
    "Bundle-bundle-no-info-required-sections.json",
];

/// The profiles encoded from the IPS 2.0.0 StructureDefinitions here: the by-type ones, then
/// the alert Flag (applied on its claim).
const IPS_2_PROFILES: [&str; 9] = [
    "Patient-uv-ips",
    "MedicationRequest-uv-ips",
    "MedicationStatement-uv-ips",
    "Immunization-uv-ips",
    "AllergyIntolerance-uv-ips",
    "Condition-uv-ips",
    "Composition-uv-ips",
    "Bundle-uv-ips",
    "Flag-alert-uv-ips",
];

const LOINC: &str = "http://loinc.org";
const LIST_EMPTY_REASON: &str = "http://terminology.hl7.org/CodeSystem/list-empty-reason";
const ABATEMENT: &str = "http://hl7.org/fhir/StructureDefinition/allergyintolerance-abatement";
const FLAG_PRIORITY: &str = "http://hl7.org/fhir/StructureDefinition/flag-priority";
const FLAG_DETAIL: &str = "http://hl7.org/fhir/StructureDefinition/flag-detail";
const PROBLEMS: &str = "11450-4";
const ALLERGIES: &str = "48765-2";
const MEDICATIONS: &str = "10160-0";
const ALERTS: &str = "104605-1";

fn example(file: &str) -> Value {
    read_json(format!("{IPS_2_DIR}/example/{file}"))
}

fn structure_definition(profile: &str) -> Value {
    read_json(format!("{IPS_2_DIR}/StructureDefinition-{profile}.json"))
}

fn resource_type(resource: &Value) -> &str {
    resource["resourceType"].as_str().unwrap_or("")
}

fn entry_resources(bundle: &Value) -> impl Iterator<Item = &Value> {
    bundle["entry"]
        .as_array()
        .expect("Bundle.entry")
        .iter()
        .map(|entry| &entry["resource"])
}

/// The example files of the by-type profiles and of the alert Flag that are not documents.
fn single_resource_examples() -> Vec<(PathBuf, Value)> {
    json_files(&format!("{IPS_2_DIR}/example"))
        .into_iter()
        .map(|path| {
            let resource = read_json(&path);
            (path, resource)
        })
        .filter(|(_, resource)| {
            let ty = resource_type(resource);
            ty == "Flag" || (ty != "Bundle" && V2.profile_for(ty).is_some())
        })
        .collect()
}

/// The index of the section of the Composition coded `loinc`.
fn section_index(composition: &Value, loinc: &str) -> usize {
    composition["section"]
        .as_array()
        .expect("sections")
        .iter()
        .position(|s| s["code"]["coding"][0]["code"] == loinc)
        .unwrap_or_else(|| panic!("no section {loinc}"))
}

fn empty_reason(code: &str) -> Value {
    json!({"coding": [{"system": LIST_EMPTY_REASON, "code": code}]})
}

/// Replaces the entries of the section coded `loinc` by the emptyReason `code`.
fn empty_section(composition: &mut Value, loinc: &str, code: &str) {
    let i = section_index(composition, loinc);
    let section = composition["section"][i].as_object_mut().unwrap();
    section.remove("entry");
    section.insert("emptyReason".into(), empty_reason(code));
}

/// A conformant resource for `profile`, as the starting point of breakage tests: one of the
/// package's single-resource examples, the Composition with the fewest sections, Bundle-01.
fn sample_for(profile: &str) -> Value {
    example(match profile {
        "Patient-uv-ips" => "Patient-patient-example-female.json",
        "MedicationRequest-uv-ips" => "MedicationRequest-eumfh-39-07-1-request.json",
        "MedicationStatement-uv-ips" => "MedicationStatement-eumfh-39-07-1.json",
        "Immunization-uv-ips" => "Immunization-75680.json",
        "AllergyIntolerance-uv-ips" => "AllergyIntolerance-allergyintolerance-with-abatement.json",
        "Condition-uv-ips" => "Condition-eumfh-39-07-1.json",
        "Composition-uv-ips" => "Composition-composition-minimal.json",
        "Bundle-uv-ips" => "Bundle-IPS-examples-Bundle-01.json",
        "Flag-alert-uv-ips" => "Flag-546482.json",
        _ => panic!("no sample for {profile}"),
    })
}

// ------------------------------------------------------------------------ official examples

#[test]
fn ips_2_0_example_documents_pass_r4_and_the_2_0_schemas() {
    let files: Vec<String> = json_files(&format!("{IPS_2_DIR}/example"))
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|file| file.starts_with("Bundle-"))
        .collect();
    assert!(!files.is_empty(), "no example document");
    assert_eq!(files, EXAMPLE_DOCUMENTS, "the example documents");
    let mut checked = BTreeSet::new();
    for file in EXAMPLE_DOCUMENTS {
        let bundle = example(file);
        // They claim the unversioned Bundle-uv-ips: the default, 2.0.0, applies.
        assert_eq!(ips_version_of(&bundle), V2, "{file}");
        assert_eq!(profile_of(&bundle), Some("Bundle-uv-ips"), "{file}");
        // The whole document, by default and as 2.0.0 explicitly.
        if let Err(errors) = validate(&bundle) {
            panic!("{file} fails:{}", show(&errors));
        }
        if let Err(errors) = validate_as(V2, &bundle) {
            panic!("{file} fails as 2.0.0:{}", show(&errors));
        }
        // Each layer alone, so that neither passes only because the other did not run.
        if let Err(errors) = validate_profile("Bundle-uv-ips", &bundle) {
            panic!("{file} fails Bundle-uv-ips:{}", show(&errors));
        }
        for resource in entry_resources(&bundle) {
            let ty = resource_type(resource);
            if let Err(errors) = validate_r4(resource) {
                panic!("{file} {ty} fails R4:{}", show(&errors));
            }
            // The document's Flags are its alerts (Bundle-uv-ips slices them as Flag-alert-uv-ips
            // entries), whether or not they claim it: the package's do not.
            let alert = (ty == "Flag").then_some("Flag-alert-uv-ips");
            for profile in V2
                .profile_for(ty)
                .into_iter()
                .chain(alert)
                .chain(claimed_profiles(resource).iter().map(|p| p.name))
            {
                if let Err(errors) = validate_profile(profile, resource) {
                    panic!("{file} {ty} fails {profile}:{}", show(&errors));
                }
                checked.insert(profile);
            }
        }
    }
    // MedicationRequest is in no example document; its single-resource example is below.
    let expected: BTreeSet<&str> = [
        "AllergyIntolerance-uv-ips",
        "Composition-uv-ips",
        "Condition-uv-ips",
        "Flag-alert-uv-ips",
        "Immunization-uv-ips",
        "MedicationStatement-uv-ips",
        "Patient-uv-ips",
    ]
    .into();
    assert_eq!(checked, expected, "profiles met in the example documents");
}

#[test]
fn ips_2_0_single_resource_examples_pass_r4_and_the_2_0_schemas() {
    let examples = single_resource_examples();
    assert!(!examples.is_empty(), "no single-resource example");
    let mut types = BTreeSet::new();
    for (path, resource) in examples {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let ty = resource_type(&resource).to_owned();
        let profile = if ty == "Flag" {
            "Flag-alert-uv-ips"
        } else {
            V2.profile_for(&ty).unwrap()
        };
        assert_eq!(profiles_applied(&resource), [profile], "{file}");
        if let Err(errors) = validate(&resource) {
            panic!("{file} fails:{}", show(&errors));
        }
        if let Err(errors) = validate_r4(&resource) {
            panic!("{file} fails R4:{}", show(&errors));
        }
        if let Err(errors) = validate_profile(profile, &resource) {
            panic!("{file} fails {profile}:{}", show(&errors));
        }
        types.insert(ty);
    }
    let expected: BTreeSet<String> = [
        "AllergyIntolerance",
        "Composition",
        "Condition",
        "Flag",
        "Immunization",
        "MedicationRequest",
        "MedicationStatement",
        "Patient",
    ]
    .map(String::from)
    .into();
    assert_eq!(types, expected, "types of the single-resource examples");
}

// ---------------------------------------------------------------------- which version applies

/// By default the 2.0.0 schemas apply; `|1.1.0` on the document's Bundle claim brings the
/// 1.1.0 ones for the Bundle and its entries, on a Composition's claim for the Composition;
/// `validate_as` chooses regardless of the claims.
#[test]
fn the_ips_version_follows_the_claims() {
    // A 2.0 document with a withheld section: fine by default, not in 1.1.0.
    let mut doc = example("Bundle-IPS-examples-Bundle-01.json");
    empty_section(&mut doc["entry"][0]["resource"], ALLERGIES, "withheld");
    let allergies = section_index(&doc["entry"][0]["resource"], ALLERGIES);
    assert_valid(&doc);

    let in_1_1 = format!("/entry/0/resource/section/{allergies}: ");
    let refused_by_1_1 = |errors: &[String]| {
        errors.iter().any(|e| {
            e.starts_with(&in_1_1)
                && e.contains("sectionAllergies (LOINC 48765-2): title 1..1 and entry 1..*")
                && e.contains("(Composition-uv-ips|1.1.0 at ")
        })
    };
    let errors = validate_as(V1, &doc).expect_err("a withheld section passes 1.1.0");
    assert!(refused_by_1_1(&errors), "{}", show(&errors));

    // The document claims 1.1.0: its Composition gets the 1.1.0 schema through it.
    let mut claiming = doc.clone();
    claiming["meta"]["profile"] = json!([IPS_BUNDLE_1_1_0]);
    assert_eq!(ips_version_of(&claiming), V1);
    assert_eq!(profile_of(&claiming), Some("Bundle-uv-ips|1.1.0"));
    let errors = validate(&claiming).expect_err("a 1.1.0 claim is not honoured");
    assert!(refused_by_1_1(&errors), "{}", show(&errors));
    // validate_as 2.0.0 overrides the claim.
    assert!(validate_as(V2, &claiming).is_ok());

    // The Composition alone, by its own claim.
    let mut composition = doc["entry"][0]["resource"].clone();
    assert_eq!(profiles_applied(&composition), ["Composition-uv-ips"]);
    assert!(validate(&composition).is_ok());
    add_claim(&mut composition, IPS_COMPOSITION_1_1_0);
    assert_eq!(profiles_applied(&composition), ["Composition-uv-ips|1.1.0"]);
    assert!(validate(&composition).is_err());
    composition["meta"]["profile"] = json!([format!("{IPS_COMPOSITION}|2.0.0")]);
    assert_eq!(profiles_applied(&composition), ["Composition-uv-ips"]);
    assert!(validate(&composition).is_ok());
    // A version the project has no schemas for, or none: the default.
    composition["meta"]["profile"] = json!([format!("{IPS_COMPOSITION}|9.9.9")]);
    assert_eq!(ips_version_of(&composition), V2);
    composition["meta"]["profile"] = json!([IPS_COMPOSITION]);
    assert_eq!(ips_version_of(&composition), V2);

    // An entry's own claim wins over its document's.
    let mut mixed = claiming.clone();
    add_claim(
        &mut mixed["entry"][0]["resource"],
        &format!("{IPS_COMPOSITION}|2.0.0"),
    );
    if let Err(errors) = validate(&mixed) {
        panic!("the entry's 2.0.0 claim is not honoured:{}", show(&errors));
    }

    // Single resources claim the unversioned canonical URLs and conform to both versions.
    let patient = example("Patient-patient-example-female.json");
    assert_eq!(profiles_applied(&patient), ["Patient-uv-ips"]);
    for version in IpsVersion::ALL {
        assert_valid_as(version, &patient);
    }
    assert_eq!(validate_ips_1_1(&patient), validate_as(V1, &patient));

    // The profile names carry their version; the schema files are where the versions say.
    for version in IpsVersion::ALL {
        for &(ty, profile) in version.profiles() {
            assert_eq!(IpsVersion::of_profile(profile), Some(version));
            assert_eq!(version.profile(profile), profile);
            assert_eq!(version.profile_for(ty), Some(profile));
            let file = profile_schema_file(profile);
            assert!(file.is_file(), "{}", file.display());
            assert!(
                file.parent()
                    .unwrap()
                    .ends_with(format!("fhir-profiles/{}", version.dir())),
                "{}",
                file.display()
            );
            assert_eq!(
                profile_schema(profile)["x-structure-definition"]["version"],
                version.version(),
                "{profile}"
            );
        }
    }
    assert_eq!(IpsVersion::of_profile("Flag-alert-uv-ips"), None);
}

/// The alert Flag profile applies to a Flag that claims it, wherever it is, and to nothing
/// else.
#[test]
fn the_alert_flag_schema_applies_when_claimed() {
    let mut flag = sample_for("Flag-alert-uv-ips");
    remove(&mut flag, "code");
    let errors = validate(&flag).expect_err("the Flag-alert claim is not honoured");
    assert!(
        errors.iter().any(|e| e.starts_with("(root): ")
            && e.contains("\"code\" is a required property")
            && e.contains("(Flag-alert-uv-ips at ")),
        "{}",
        show(&errors)
    );
    // A Flag that claims nothing is an R4 Flag (it still needs a code there).
    let mut unclaimed = sample_for("Flag-alert-uv-ips");
    remove(&mut unclaimed, "meta");
    unclaimed["status"] = json!("inactive");
    assert_eq!(profiles_applied(&unclaimed), Vec::<&str>::new());
    assert_valid(&unclaimed);
    // In a document, at the entry's path.
    let mut doc = example("Bundle-bundle-ips-all-sections.json");
    let i = entry_resources(&doc)
        .position(|r| resource_type(r) == "Flag")
        .expect("a Flag in the document");
    doc["entry"][i]["resource"]["status"] = json!("inactive");
    assert!(
        validate(&doc).is_ok(),
        "the package's Flag claims no profile"
    );
    add_claim(&mut doc["entry"][i]["resource"], IPS_FLAG_ALERT);
    let errors = validate(&doc).expect_err("an inactive alert passes");
    let path = format!("/entry/{i}/resource/status: ");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&path) && e.contains("fixed 'active'")),
        "{}",
        show(&errors)
    );
    // A claim of the Flag profile by another type is an error in itself.
    let mut patient = sample_for("Patient-uv-ips");
    patient["meta"]["profile"] = json!([IPS_FLAG_ALERT]);
    let errors = validate(&patient).expect_err("a Patient claiming the Flag profile");
    assert_eq!(
        errors,
        [format!(
            "/meta/profile/0: a Patient claims {IPS_FLAG_ALERT}, a profile of Flag"
        )]
    );
}

// ------------------------------------------------------------------ what 2.0.0 relaxed

/// What the gateway writes for a required section with nothing to list (`unavailable`) or
/// that the caller may not read (`withheld`): no entries, an emptyReason. IPS 2.0.0 allows it
/// (ips-comp-1); 1.1.0 does not (entry 1..* on the required sections).
#[test]
fn an_empty_reason_instead_of_entries_passes_2_0_and_fails_1_1() {
    for code in ["unavailable", "withheld"] {
        for loinc in [PROBLEMS, ALLERGIES, MEDICATIONS] {
            let mut composition = sample_for("Composition-uv-ips");
            empty_section(&mut composition, loinc, code);
            if let Err(errors) = validate_profile("Composition-uv-ips", &composition) {
                panic!("2.0.0 refuses {code} on {loinc}:{}", show(&errors));
            }
            assert_valid(&composition);
            let i = section_index(&composition, loinc);
            let errors = validate_profile("Composition-uv-ips|1.1.0", &composition)
                .expect_err("1.1.0 accepts an emptyReason instead of entries");
            let path = format!("/section/{i}: ");
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with(&path) && e.contains("entry 1..* (IPS 1.1.0)")),
                "{}",
                show(&errors)
            );
        }
    }
    // The package's own example of it.
    let doc = example("Bundle-bundle-no-info-required-sections.json");
    assert_valid(&doc);
    let errors = validate_as(V1, &doc).expect_err("1.1.0 accepts the no-info example");
    assert!(
        errors
            .iter()
            .filter(|e| e.starts_with("/entry/0/resource/section/"))
            .count()
            >= 3,
        "{}",
        show(&errors)
    );
}

#[test]
fn a_condition_without_clinical_status_passes_2_0_and_fails_1_1() {
    let mut condition = sample_for("Condition-uv-ips");
    remove(&mut condition, "clinicalStatus");
    if let Err(errors) = validate(&condition) {
        panic!(
            "2.0.0 refuses a Condition without clinicalStatus:{}",
            show(&errors)
        );
    }
    let errors = validate_as(V1, &condition).expect_err("1.1.0 accepts it");
    assert!(
        errors.iter().any(|e| e.starts_with("(root): ")
            && e.contains("\"clinicalStatus\" is a required property")
            && e.contains("(Condition-uv-ips|1.1.0 at ")),
        "{}",
        show(&errors)
    );
    // An entered-in-error Condition now conforms (con-5 forbids the clinicalStatus that 1.1.0
    // required).
    condition["verificationStatus"] = json!({"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
        "code": "entered-in-error"
    }]});
    assert_valid(&condition);
}

/// The other way round: 2.0.0 made AllergyIntolerance.code mandatory, and dropped the
/// data-absent-reason slices (so their cardinality no longer binds) and the IPS
/// abatement-dateTime extension slice.
#[test]
fn what_2_0_tightened_or_dropped() {
    let mut allergy = sample_for("AllergyIntolerance-uv-ips");
    remove(&mut allergy, "extension");
    remove(&mut allergy, "code");
    assert!(validate_as(V1, &allergy).is_ok());
    assert!(validate(&allergy).is_err());

    let mut statement = sample_for("MedicationStatement-uv-ips");
    statement["effectivePeriod"]["extension"] = json!([
        {"url": DATA_ABSENT_REASON, "valueCode": "unknown"},
        {"url": DATA_ABSENT_REASON, "valueCode": "masked"}
    ]);
    assert!(validate(&statement).is_ok());
    assert!(validate_as(V1, &statement).is_err());

    let mut request = sample_for("MedicationRequest-uv-ips");
    request["dispenseRequest"]["validityPeriod"]["extension"] = json!([
        {"url": DATA_ABSENT_REASON, "valueCode": "unknown"},
        {"url": DATA_ABSENT_REASON, "valueCode": "masked"}
    ]);
    assert!(validate(&request).is_ok());
    assert!(validate_as(V1, &request).is_err());

    let mut immunization = sample_for("Immunization-uv-ips");
    remove(&mut immunization, "occurrenceDateTime");
    immunization["occurrenceString"] = json!("summer 1998");
    immunization["_occurrenceString"] = json!({"extension": [
        {"url": DATA_ABSENT_REASON, "valueCode": "unknown"},
        {"url": DATA_ABSENT_REASON, "valueCode": "masked"}
    ]});
    assert!(validate(&immunization).is_ok());
    assert!(validate_as(V1, &immunization).is_err());
}

// ----------------------------------------------------------------------------- breakages

/// Applies `breakage` to a conformant copy and asserts that the 2.0.0 schema rejects it with an
/// error at `path` that contains `needle`, and that `validate` rejects it too.
#[track_caller]
fn assert_rejected(
    profile: &str,
    what: &str,
    breakage: impl FnOnce(&mut Value),
    path: &str,
    needle: &str,
) {
    assert_breakage_rejected(profile, sample_for(profile), what, breakage, path, needle);
}

#[test]
fn patient_profile_rejects_broken_copies() {
    let p = "Patient-uv-ips";
    assert_rejected(
        p,
        "no birthDate",
        |r| {
            remove(r, "birthDate");
        },
        "(root)",
        "\"birthDate\" is a required property",
    );
    assert_rejected(
        p,
        "birthDate only as _birthDate",
        |r| only_extension(r, "birthDate"),
        "(root)",
        "\"birthDate\" is a required property",
    );
    assert_rejected(
        p,
        "an empty name list",
        |r| r["name"] = json!([]),
        "/name",
        "Patient.name 1..*",
    );
    assert_rejected(
        p,
        "a name with neither family, given nor text",
        |r| r["name"] = json!([{"use": "official"}]),
        "/name/0",
        "ips-pat-1",
    );
    assert_rejected(
        p,
        "a contact with no details",
        |r| r["contact"] = json!([{"gender": "female"}]),
        "/contact/0",
        "pat-1",
    );
    assert_rejected(
        p,
        "a communication without language",
        |r| r["communication"] = json!([{"preferred": true}]),
        "/communication/0",
        "\"language\" is a required property",
    );
    assert_rejected(
        p,
        "both multipleBirthBoolean and multipleBirthInteger",
        |r| {
            r["multipleBirthBoolean"] = json!(true);
            r["multipleBirthInteger"] = json!(2);
        },
        "(root)",
        "Patient.multipleBirth[x] 0..1",
    );
}

#[test]
fn medication_request_profile_rejects_broken_copies() {
    let p = "MedicationRequest-uv-ips";
    assert_rejected(
        p,
        "doNotPerform true",
        |r| r["doNotPerform"] = json!(true),
        "/doNotPerform",
        "MedicationRequest.doNotPerform 0..1, pattern false",
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
        "no intent",
        |r| {
            remove(r, "intent");
        },
        "(root)",
        "\"intent\" is a required property",
    );
    assert_rejected(
        p,
        "no medication[x]",
        |r| {
            remove(r, "medicationReference");
        },
        "(root)",
        "MedicationRequest.medication[x] 1..1",
    );
    assert_rejected(
        p,
        "a subject with a display but no reference",
        |r| r["subject"] = json!({"display": "Alexander Heig"}),
        "/subject",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "a substitution without allowed[x]",
        |r| r["substitution"] = json!({"reason": {"text": "none"}}),
        "/substitution",
        "allowed[x] 1..1",
    );
    // doNotPerform false is what the pattern asks for.
    let mut request = sample_for(p);
    request["doNotPerform"] = json!(false);
    assert_valid(&request);
}

#[test]
fn medication_statement_profile_rejects_broken_copies() {
    let p = "MedicationStatement-uv-ips";
    assert_rejected(
        p,
        "status only as _status",
        |r| only_extension(r, "status"),
        "(root)",
        "\"status\" is a required property",
    );
    assert_rejected(
        p,
        "no effective[x]",
        |r| {
            remove(r, "effectivePeriod");
        },
        "(root)",
        "MedicationStatement.effective[x] 1..1",
    );
    assert_rejected(
        p,
        "two effective[x] choices",
        |r| r["effectiveDateTime"] = json!("2014"),
        "(root)",
        "MedicationStatement.effective[x] 1..1",
    );
    assert_rejected(
        p,
        "an empty effectivePeriod",
        |r| r["effectivePeriod"] = json!({}),
        "/effectivePeriod",
        "ele-1",
    );
    assert_rejected(
        p,
        "a subject reference only as _reference",
        |r| r["subject"] = json!({"_reference": {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}}),
        "/subject",
        "\"reference\" is a required property",
    );
}

#[test]
fn immunization_profile_rejects_broken_copies() {
    let p = "Immunization-uv-ips";
    assert_rejected(
        p,
        "occurrenceDateTime only as _occurrenceDateTime",
        |r| only_extension(r, "occurrenceDateTime"),
        "(root)",
        "Immunization.occurrence[x] 1..1",
    );
    assert_rejected(
        p,
        "both occurrenceDateTime and occurrenceString",
        |r| r["occurrenceString"] = json!("summer 1998"),
        "(root)",
        "Immunization.occurrence[x] 1..1",
    );
    assert_rejected(
        p,
        "an empty vaccineCode",
        |r| r["vaccineCode"] = json!({"id": "vc"}),
        "/vaccineCode",
        "ele-1",
    );
    assert_rejected(
        p,
        "a patient without reference",
        |r| r["patient"] = json!({"display": "Marie Lux-Brennard"}),
        "/patient",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "a performer without actor",
        |r| r["performer"] = json!([{"function": {"text": "OP"}}]),
        "/performer/0",
        "\"actor\" is a required property",
    );
    assert_rejected(
        p,
        "a protocolApplied without doseNumber[x]",
        |r| r["protocolApplied"] = json!([{"series": "primary"}]),
        "/protocolApplied/0",
        "doseNumber[x] 1..1",
    );
    assert_rejected(
        p,
        "an education item with neither documentType nor reference",
        |r| r["education"] = json!([{"presentationDate": "1998-06-04"}]),
        "/education/0",
        "imm-1",
    );
}

#[test]
fn allergy_intolerance_profile_rejects_broken_copies() {
    let p = "AllergyIntolerance-uv-ips";
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
        "a patient without reference",
        |r| r["patient"] = json!({"display": "Marie"}),
        "/patient",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "no clinicalStatus (ait-1)",
        |r| {
            remove(r, "clinicalStatus");
        },
        "(root)",
        "ait-1",
    );
    assert_rejected(
        p,
        "a clinicalStatus on an entered-in-error record (ait-2)",
        |r| {
            r["verificationStatus"]["coding"][0]["code"] = json!("entered-in-error");
        },
        "(root)",
        "ait-2",
    );
    assert_rejected(
        p,
        "two abatement extensions",
        |r| {
            r["extension"] = json!([
                {"url": ABATEMENT, "valueDateTime": "2010"},
                {"url": ABATEMENT, "valueString": "in 2011"}
            ]);
        },
        "/extension",
        "AllergyIntolerance.extension:abatement 0..1",
    );
    assert_rejected(
        p,
        "an abatement extension with a boolean value",
        |r| r["extension"] = json!([{"url": ABATEMENT, "valueBoolean": true}]),
        "/extension/0",
        "allergyintolerance-abatement",
    );
    assert_rejected(
        p,
        "a reaction with no manifestation",
        |r| r["reaction"] = json!([{"manifestation": []}]),
        "/reaction/0/manifestation",
        "manifestation 1..*",
    );
    // The extension's other value types are accepted.
    let mut allergy = sample_for(p);
    allergy["extension"] = json!([{"url": ABATEMENT, "valueAge": {
        "value": 12, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"
    }}]);
    assert_valid(&allergy);
}

#[test]
fn condition_profile_rejects_broken_copies() {
    let p = "Condition-uv-ips";
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
        "a subject without reference",
        |r| r["subject"] = json!({"display": "Alexander Heig"}),
        "/subject",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "an abatement on an active condition (con-4)",
        |r| r["abatementDateTime"] = json!("2016"),
        "/clinicalStatus/coding",
        "con-4",
    );
    assert_rejected(
        p,
        "an abatement without clinicalStatus (con-4)",
        |r| {
            remove(r, "clinicalStatus");
            r["abatementString"] = json!("in 2016");
        },
        "(root)",
        "con-4",
    );
    assert_rejected(
        p,
        "a clinicalStatus on an entered-in-error Condition (con-5)",
        |r| {
            r["verificationStatus"] = json!({"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "entered-in-error"
            }]});
        },
        "(root)",
        "con-5",
    );
    assert_rejected(
        p,
        "two onset[x] choices",
        |r| r["onsetString"] = json!("in 2014"),
        "(root)",
        "Condition.onset[x] 0..1",
    );
    assert_rejected(
        p,
        "evidence with neither code nor detail",
        |r| r["evidence"] = json!([{}]),
        "/evidence/0",
        "con-2",
    );
}

#[test]
fn composition_profile_rejects_broken_copies() {
    let p = "Composition-uv-ips";
    assert_rejected(
        p,
        "a Problems section with neither entries nor emptyReason (ips-comp-1)",
        |r| {
            let i = section_index(r, PROBLEMS);
            r["section"][i].as_object_mut().unwrap().remove("entry");
        },
        "/section/0",
        "ips-comp-1",
    );
    assert_rejected(
        p,
        "a Medication Summary section whose entries have no reference (ips-comp-1)",
        |r| {
            let i = section_index(r, MEDICATIONS);
            r["section"][i]["entry"] = json!([{"display": "simvastatin"}]);
        },
        "/section/2",
        "ips-comp-1",
    );
    assert_rejected(
        p,
        "a section without title",
        |r| {
            r["section"][1].as_object_mut().unwrap().remove("title");
        },
        "/section/1",
        "\"title\" is a required property",
    );
    assert_rejected(
        p,
        "a sub-section",
        |r| {
            let sub = r["section"][0].clone();
            r["section"][0]["section"] = json!([sub]);
        },
        "/section/0",
        "Composition.section.section 0..0",
    );
    assert_rejected(
        p,
        "two sections only",
        |r| {
            r["section"].as_array_mut().unwrap().pop();
        },
        "/section",
        "Composition.section 3..*",
    );
    assert_rejected(
        p,
        "no Allergies section",
        |r| {
            let i = section_index(r, ALLERGIES);
            r["section"][i]["code"]["coding"][0]["code"] = json!("11369-6");
        },
        "/section",
        "Composition.section:sectionAllergies 1..1",
    );
    assert_rejected(
        p,
        "two Alerts sections",
        |r| {
            let alert = json!({
                "title": "Alerts",
                "code": {"coding": [{"system": LOINC, "code": ALERTS}]},
                "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">none</div>"},
                "emptyReason": empty_reason("unavailable")
            });
            let sections = r["section"].as_array_mut().unwrap();
            sections.push(alert.clone());
            sections.push(alert);
        },
        "/section",
        "Composition.section:sectionAlerts 0..1",
    );
    assert_rejected(
        p,
        "a section with entries and an emptyReason (cmp-2)",
        |r| {
            let i = section_index(r, ALLERGIES);
            r["section"][i]["emptyReason"] = empty_reason("nilknown");
        },
        "/section/1",
        "cmp-2",
    );
    assert_rejected(
        p,
        "a section without narrative",
        |r| {
            r["section"][2].as_object_mut().unwrap().remove("text");
        },
        "/section/2",
        "\"text\" is a required property",
    );
    assert_rejected(
        p,
        "a type that is not the patient summary",
        |r| r["type"]["coding"][0]["code"] = json!("34133-9"),
        "/type/coding",
        "60591-5",
    );
    assert_rejected(
        p,
        "a subject with a display but no reference",
        |r| r["subject"] = json!({"display": "Alexander Heig"}),
        "/subject",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "an empty author list",
        |r| r["author"] = json!([]),
        "/author",
        "Composition.author 1..*",
    );
    assert_rejected(
        p,
        "a relatesTo with two targets",
        |r| r["relatesTo"][0]["targetReference"] = json!({"reference": "Composition/x"}),
        "/relatesTo/0",
        "target[x] 1..1",
    );
    assert_rejected(
        p,
        "two care provisioning events",
        |r| {
            let event = r["event"][0].clone();
            r["event"].as_array_mut().unwrap().push(event);
        },
        "/event",
        "careProvisioningEvent 0..1",
    );
    assert_rejected(
        p,
        "date only as _date",
        |r| only_extension(r, "date"),
        "(root)",
        "\"date\" is a required property",
    );
}

#[test]
fn bundle_profile_rejects_broken_copies() {
    let p = "Bundle-uv-ips";
    assert_rejected(
        p,
        "one entry only",
        |r| {
            r["entry"].as_array_mut().unwrap().truncate(1);
        },
        "/entry",
        "Bundle.entry 2..*",
    );
    assert_rejected(
        p,
        "no identifier",
        |r| {
            remove(r, "identifier");
        },
        "(root)",
        "\"identifier\" is a required property",
    );
    assert_rejected(
        p,
        "an identifier without value (bdl-9)",
        |r| {
            r["identifier"].as_object_mut().unwrap().remove("value");
        },
        "/identifier",
        "bdl-9",
    );
    assert_rejected(
        p,
        "timestamp only as _timestamp",
        |r| only_extension(r, "timestamp"),
        "(root)",
        "\"timestamp\" is a required property",
    );
    assert_rejected(
        p,
        "the Patient before the Composition (bdl-11)",
        |r| r["entry"].as_array_mut().unwrap().swap(0, 1),
        "/entry/0/resource/resourceType",
        "bdl-11",
    );
    assert_rejected(
        p,
        "a second Composition (bdl-ips-1)",
        |r| {
            let first = r["entry"][0].clone();
            r["entry"].as_array_mut().unwrap().push(first);
        },
        "/entry",
        "bdl-ips-1",
    );
    assert_rejected(
        p,
        "no Patient",
        |r| {
            r["entry"].as_array_mut().unwrap().remove(1);
        },
        "/entry",
        "Bundle.entry:patient 1..1",
    );
    assert_rejected(
        p,
        "an entry without fullUrl",
        |r| {
            r["entry"][2].as_object_mut().unwrap().remove("fullUrl");
        },
        "/entry/2",
        "\"fullUrl\" is a required property",
    );
    assert_rejected(
        p,
        "a version-specific fullUrl (bdl-8)",
        |r| r["entry"][2]["fullUrl"] = json!("https://example.org/fhir/Practitioner/1/_history/2"),
        "/entry/2/fullUrl",
        "bdl-8",
    );
    assert_rejected(
        p,
        "a request on an entry (bdl-3)",
        |r| r["entry"][1]["request"] = json!({"method": "GET", "url": "Patient/1"}),
        "/entry/1",
        "bdl-3",
    );
    assert_rejected(
        p,
        "a total (bdl-1)",
        |r| r["total"] = json!(20),
        "(root)",
        "bdl-1",
    );
    assert_rejected(
        p,
        "a link without url",
        |r| r["link"] = json!([{"relation": "self"}]),
        "/link/0",
        "\"url\" is a required property",
    );
    // IPS 2.0.0 allows links (1.1.0 had link 0..0).
    let mut bundle = sample_for(p);
    bundle["link"] =
        json!([{"relation": "self", "url": "https://gateway.example/fhir/Patient/1/$summary"}]);
    assert_valid(&bundle);
}

#[test]
fn flag_alert_profile_rejects_broken_copies() {
    let p = "Flag-alert-uv-ips";
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
        "an inactive alert",
        |r| r["status"] = json!("inactive"),
        "/status",
        "Flag.status 1..1, fixed 'active'",
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
        "a subject with a display but no reference",
        |r| r["subject"] = json!({"display": "Marie Lux-Brennard"}),
        "/subject",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "two flag-priority extensions",
        |r| {
            let priority = r["extension"][0].clone();
            r["extension"].as_array_mut().unwrap().push(priority);
        },
        "/extension",
        "Flag.extension:flag-priority 0..1",
    );
    // The example's extension is the one the slice names.
    assert_eq!(sample_for(p)["extension"][0]["url"], FLAG_PRIORITY);
}

// ---------------------------------------------------------------- the gateway's documents

/// A document in the shape the gateway writes for IPS 2.0.0 (built from the package's
/// Bundle-01): unversioned claims on the Bundle and the Composition, a required section with
/// nothing to list (`unavailable`), one the caller may not read (`withheld`), and an Alerts
/// section listing a document-only Flag that claims Flag-alert-uv-ips and points to an
/// allergy with the core `flag-detail` extension.
fn gateway_shaped_document() -> Value {
    let mut doc = example("Bundle-IPS-examples-Bundle-01.json");
    doc["meta"] = json!({"profile": [IPS_BUNDLE]});
    let patient_url = doc["entry"][1]["fullUrl"].clone();
    let allergy = entry_resources(&doc)
        .position(|r| resource_type(r) == "AllergyIntolerance")
        .unwrap();
    let allergy_url = doc["entry"][allergy]["fullUrl"].clone();
    let flag_url = "urn:uuid:0b5e3a4c-2f57-5d1e-9a52-8f5a8d1c7e11";
    let flag = json!({
        "resourceType": "Flag",
        "id": "0b5e3a4c-2f57-5d1e-9a52-8f5a8d1c7e11",
        "meta": {"profile": [IPS_FLAG_ALERT]},
        "extension": [{"url": FLAG_DETAIL, "valueReference": {"reference": allergy_url, "display": "Penicillin G"}}],
        "status": "active",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "clinical", "display": "Clinical"}]}],
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "373270004"}],
            "text": "Critical information: allergy to Penicillin G, high criticality"
        },
        "subject": {"reference": patient_url},
        "period": {"start": "2017-01-01"}
    });
    doc["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({"fullUrl": flag_url, "resource": flag}));
    let composition = &mut doc["entry"][0]["resource"];
    composition["meta"] = json!({"profile": [IPS_COMPOSITION]});
    empty_section(composition, PROBLEMS, "unavailable");
    empty_section(composition, MEDICATIONS, "withheld");
    composition["section"].as_array_mut().unwrap().push(json!({
        "title": "Alerts",
        "code": {"coding": [{"system": LOINC, "code": ALERTS, "display": "Alert"}]},
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Critical information: allergy to Penicillin G, high criticality</p></div>"},
        "entry": [{"reference": flag_url}]
    }));
    doc
}

#[test]
fn the_gateway_shapes_pass_the_schemas_of_their_version() {
    // 2.0.0, the default.
    let doc = gateway_shaped_document();
    assert_eq!(ips_version_of(&doc), V2);
    if let Err(errors) = validate(&doc) {
        panic!("the 2.0.0 document fails:{}", show(&errors));
    }
    assert!(
        validate_as(V1, &doc).is_err(),
        "emptyReasons pass IPS 1.1.0"
    );
    // 1.1.0 on request: both claims versioned, every required section with entries.
    let mut v1 = example("Bundle-IPS-examples-Bundle-01.json");
    v1["meta"] = json!({"profile": [IPS_BUNDLE_1_1_0]});
    v1["entry"][0]["resource"]["meta"] = json!({"profile": [IPS_COMPOSITION_1_1_0]});
    let i = section_index(&v1["entry"][0]["resource"], "11348-0");
    v1["entry"][0]["resource"]["section"][i]["title"] = json!("History of Past Illness");
    if let Err(errors) = validate(&v1) {
        panic!("the 1.1.0 document fails:{}", show(&errors));
    }
    // 1.1.0 asked for, but a section withheld: no claims, so the 2.0.0 schemas apply.
    let mut withheld = v1.clone();
    remove(&mut withheld, "meta");
    remove(&mut withheld["entry"][0]["resource"], "meta");
    empty_section(&mut withheld["entry"][0]["resource"], ALLERGIES, "withheld");
    assert_eq!(ips_version_of(&withheld), V2);
    assert_valid(&withheld);
}

// ---------------------------------------------------------------------- against the snapshots

/// Every element that an IPS 2.0.0 StructureDefinition makes mandatory (min ≥ 1), at any depth,
/// is required by the project's schema; every slice told apart by a pattern (the sections by
/// their LOINC code, the care provisioning event) is enforced with its cardinality; every
/// prohibited element (max 0) is refused; every invariant is stated. The schemas name the
/// StructureDefinition they come from.
#[test]
fn ips_2_0_schemas_follow_every_rule_of_the_structure_definitions() {
    // Invariants not stated, each for a reason (fhir-profiles/README.md).
    let not_stated: &[(&str, &str)] = &[
        ("Bundle-uv-ips", "bdl-7"),  // unique fullUrl/versionId across entries
        ("Bundle-uv-ips", "bdl-12"), // type = message: a document is never one
    ];
    let mut missing = Vec::new();
    let mut elements = 0;
    let mut slices = 0;
    let mut prohibited = 0;
    let mut invariants = 0;
    for profile in IPS_2_PROFILES {
        let sd = structure_definition(profile);
        assert_eq!(sd["version"], "2.0.0", "{profile}");
        assert_eq!(sd["url"], format!("{IPS_STRUCTURE_DEFINITION}{profile}"));
        let schema = profile_schema(profile);
        assert_eq!(
            schema["x-structure-definition"]["url"], sd["url"],
            "{profile}"
        );
        assert_eq!(schema["x-structure-definition"]["version"], "2.0.0");
        assert_eq!(schema["properties"]["resourceType"]["const"], sd["type"]);
        let (n, unrequired) = unrequired_mandatory_elements(profile, &sd);
        elements += n;
        missing.extend(unrequired);
        let (n, unenforced) = unrequired_pattern_slices(profile, &sd);
        slices += n;
        missing.extend(unenforced);
        let (n, unenforced) = unenforced_child_pattern_slices(profile, &sd);
        slices += n;
        missing.extend(unenforced);
        let (n, unforbidden) = unforbidden_elements(profile, &sd);
        prohibited += n;
        missing.extend(unforbidden);
        let skip: Vec<&str> = not_stated
            .iter()
            .filter(|(p, _)| *p == profile)
            .map(|(_, key)| *key)
            .collect();
        let (n, unstated) = unstated_invariants(profile, &sd, &skip);
        invariants += n;
        missing.extend(unstated);
    }
    assert!(
        elements >= 40,
        "only {elements} mandatory elements found in the snapshots"
    );
    // The sixteen sections and the care provisioning event.
    assert_eq!(slices, 17, "pattern slices found in the snapshots");
    // Composition.section.section, Bundle.entry.search/request/response.
    assert_eq!(prohibited, 4, "prohibited elements found in the snapshots");
    assert!(invariants >= 20, "only {invariants} invariants found");
    assert!(
        missing.is_empty(),
        "rules of the StructureDefinitions the schemas do not enforce:{}",
        show(&missing)
    );
}

/// The same, by behaviour: a conformant resource without any one top-level mandatory element
/// (or with a mandatory primitive only as `_x`) is rejected.
#[test]
fn ips_2_0_schemas_reject_each_missing_mandatory_element() {
    let mut accepted = Vec::new();
    for profile in IPS_2_PROFILES {
        let sd = structure_definition(profile);
        accepted.extend(accepted_without_mandatory_elements(
            profile,
            &sd,
            &sample_for(profile),
        ));
    }
    assert!(
        accepted.is_empty(),
        "the schemas accept:{}",
        show(&accepted)
    );
}
