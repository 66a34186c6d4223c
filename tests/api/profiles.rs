//! Tests of the validation material itself: the R4 schema and the project's IPS 1.1.0 profile
//! schemas (fhir-profiles/ips/) accept HL7's official examples, reject broken copies with errors
//! that point at the broken element, and do not drop any element the IPS 1.1.0
//! StructureDefinitions make mandatory; and the validator's recursion into Bundles and
//! contained resources. The IPS 2.0.0 schemas, which apply by default, are tested in
//! `profiles_ips2.rs`: here the 1.1.0 schemas are applied explicitly (`validate_as` 1.1.0, or
//! through a `|1.1.0` claim).
//!
//! The HL7 reference material (IPS 1.1.0 StructureDefinitions and examples, R4 examples) is
//! read from `tests/fixtures/hl7/`; its README says where each file comes from.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::profiles::*;

const IPS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hl7/ips-1.1.0");
const V1: IpsVersion = IpsVersion::V1_1_0;
const R4_EXAMPLES_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/hl7/r4/examples"
);

fn ips_example_bundles() -> Vec<(PathBuf, Value)> {
    json_files(&format!("{IPS_DIR}/example"))
        .into_iter()
        .map(|path| {
            let bundle = read_json(&path);
            (path, bundle)
        })
        .collect()
}

fn entry_resources(bundle: &Value) -> impl Iterator<Item = &Value> {
    bundle["entry"]
        .as_array()
        .expect("Bundle.entry")
        .iter()
        .map(|entry| &entry["resource"])
}

fn resource_type(resource: &Value) -> &str {
    resource["resourceType"].as_str().unwrap_or("")
}

/// The first resource of `ty` in the IPS example Bundles: the conformant base that the
/// breakage tests start from.
fn ips_example_of(ty: &str) -> Value {
    ips_example_bundles()
        .iter()
        .flat_map(|(_, bundle)| entry_resources(bundle))
        .find(|resource| resource_type(resource) == ty)
        .unwrap_or_else(|| panic!("no {ty} in the IPS examples"))
        .clone()
}

/// The IPS 1.1.0 package has no MedicationRequest example, so this one is written after
/// MedicationRequest-uv-ips (status, intent, medication[x], subject.reference), reusing the
/// Medication and Patient of the IPS example Bundle-01. `medication_request_sample_conforms`
/// checks it against both layers, in both IPS versions, before the breakage tests rely on it.
fn medication_request_sample() -> Value {
    json!({
        "resourceType": "MedicationRequest",
        "id": "medication-request-sample",
        "status": "active",
        "intent": "order",
        "medicationReference": {"reference": "Medication/976d0804-cae0-45ae-afe3-a19f3ceba6bc"},
        "subject": {"reference": "Patient/2b90dd2b-2dab-4c75-9bb9-a355e07401e8"},
        "authoredOn": "2015-03-01",
        "dosageInstruction": [{
            "text": "1 tablet a day",
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}
        }],
        "dispenseRequest": {"validityPeriod": {"start": "2015-03-01"}},
        "substitution": {"allowedBoolean": true}
    })
}

/// A conformant resource for `profile` (an IPS 1.1.0 one, `<name>|1.1.0`), as the starting
/// point of breakage tests.
fn sample_for(profile: &str) -> Value {
    match profile.trim_end_matches("|1.1.0") {
        "MedicationRequest-uv-ips" => medication_request_sample(),
        "Bundle-uv-ips" => ips_bundle_01(),
        name => ips_example_of(name.trim_end_matches("-uv-ips")),
    }
}

// ------------------------------------------------------------------------ official examples

#[test]
fn ips_example_bundles_pass_r4_and_the_project_profiles() {
    let mut checked = BTreeSet::new();
    for (path, bundle) in ips_example_bundles() {
        // The whole document as IPS 1.1.0: the Bundle against R4 and Bundle-uv-ips 1.1.0,
        // every entry against R4, and the entries of the profiled types against the project's
        // 1.1.0 profiles as well.
        if let Err(errors) = validate_ips_1_1(&bundle) {
            panic!("{} fails:{}", path.display(), show(&errors));
        }
        // The examples claim no profile; claiming 1.1.0 gets them the same schemas.
        let mut claiming = bundle.clone();
        add_claim(&mut claiming, IPS_BUNDLE_1_1_0);
        assert_eq!(ips_version_of(&claiming), V1);
        assert_eq!(profile_of(&claiming), Some("Bundle-uv-ips|1.1.0"));
        if let Err(errors) = validate(&claiming) {
            panic!("{} claiming 1.1.0 fails:{}", path.display(), show(&errors));
        }
        // The same through each layer alone, so that neither layer can pass only because the
        // other one did not run.
        assert_eq!(profile_of_as(V1, &bundle), Some("Bundle-uv-ips|1.1.0"));
        if let Err(errors) = validate_profile("Bundle-uv-ips|1.1.0", &bundle) {
            panic!(
                "{} fails Bundle-uv-ips 1.1.0:{}",
                path.display(),
                show(&errors)
            );
        }
        for resource in entry_resources(&bundle) {
            let ty = resource_type(resource);
            if let Err(errors) = validate_r4(resource) {
                panic!("{} {ty} fails R4:{}", path.display(), show(&errors));
            }
            if let Some(profile) = V1.profile_for(ty) {
                if let Err(errors) = validate_profile(profile, resource) {
                    panic!("{} {ty} fails {profile}:{}", path.display(), show(&errors));
                }
                checked.insert(ty.to_owned());
            }
        }
    }
    // The examples hold every profiled type but MedicationRequest (see
    // `medication_request_sample`); if they stopped doing so, this test would check less.
    let expected: BTreeSet<String> = [
        "AllergyIntolerance",
        "Composition",
        "Condition",
        "Immunization",
        "MedicationStatement",
        "Patient",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        checked, expected,
        "profiled types found in the IPS examples"
    );
}

/// A searchset is no document: Bundle-uv-ips is not applied to it, in either version.
#[test]
fn bundle_uv_ips_applies_to_documents_only() {
    let mut searchset = ips_bundle_01();
    searchset["type"] = json!("searchset");
    assert_eq!(profile_of(&searchset), None);
    for version in IpsVersion::ALL {
        assert_eq!(profile_of_as(version, &searchset), None);
    }
    assert_eq!(profile_of(&ips_bundle_01()), Some("Bundle-uv-ips|1.1.0"));
    let errors =
        validate_profile("Bundle-uv-ips|1.1.0", &searchset).expect_err("a searchset passes");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/type: ") && e.contains("fixed 'document'")),
        "{}",
        show(&errors)
    );
}

/// The base R4 examples are checked against the R4 schema only: they are not written to the
/// IPS profiles (they claim no profile in `meta.profile`, reference resources that are not IPS
/// resources, e.g. a contained Medication that is not Medication-uv-ips, and use codes outside
/// the IPS value sets), so whether they happen to meet the project's schemas says nothing.
#[test]
fn r4_examples_pass_the_r4_schema() {
    let mut types = BTreeSet::new();
    for path in json_files(R4_EXAMPLES_DIR) {
        let resource = read_json(&path);
        if let Err(errors) = validate_r4(&resource) {
            panic!("{} fails R4:{}", path.display(), show(&errors));
        }
        types.insert(resource_type(&resource).to_owned());
    }
    for ty in ["Patient", "MedicationRequest", "Immunization"] {
        assert!(
            types.contains(ty),
            "no {ty} among the R4 examples: {types:?}"
        );
    }
}

#[test]
fn medication_request_sample_conforms() {
    let sample = medication_request_sample();
    for version in IpsVersion::ALL {
        if let Err(errors) = validate_as(version, &sample) {
            panic!(
                "the MedicationRequest sample fails IPS {}:{}",
                version.version(),
                show(&errors)
            );
        }
    }
}

// ----------------------------------------------------------------------------- breakages

/// Applies `breakage` to a conformant copy and asserts that the profile schema rejects it with
/// an error at `path` that contains `needle`, and that `validate` rejects it too.
fn assert_rejected(
    profile: &str,
    what: &str,
    breakage: impl FnOnce(&mut Value),
    path: &str,
    needle: &str,
) {
    assert_breakage_rejected(profile, sample_for(profile), what, breakage, path, needle);
}

const ABATEMENT_DATETIME: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/abatement-dateTime-uv-ips";

#[test]
fn patient_profile_rejects_broken_copies() {
    let p = "Patient-uv-ips|1.1.0";
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
        "no name",
        |r| {
            remove(r, "name");
        },
        "(root)",
        "\"name\" is a required property",
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
        "name as an object, not a list",
        |r| r["name"] = json!({"family": "DeLarosa"}),
        "/name",
        "not of type \"array\"",
    );
    assert_rejected(
        p,
        "a name whose family is only an extension, with no given or text",
        |r| r["name"] = json!([{"use": "official", "_family": {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "masked"}]}}]),
        "/name/0",
        "ips-pat-1",
    );
    assert_rejected(
        p,
        "both deceasedBoolean and deceasedDateTime",
        |r| {
            r["deceasedBoolean"] = json!(true);
            r["deceasedDateTime"] = json!("2020-01-01");
        },
        "(root)",
        "Patient.deceased[x] 0..1",
    );
    assert_rejected(
        p,
        "a link without its type",
        |r| r["link"] = json!([{"other": {"reference": "Patient/other"}, "_type": {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}}]),
        "/link/0",
        "\"type\" is a required property",
    );
    assert_rejected(
        p,
        "a contact with no details",
        |r| r["contact"] = json!([{"gender": "female"}]),
        "/contact/0",
        "pat-1",
    );
}

#[test]
fn medication_request_profile_rejects_broken_copies() {
    let p = "MedicationRequest-uv-ips|1.1.0";
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
        "a subject with a display but no reference",
        |r| r["subject"] = json!({"display": "Martha DeLarosa"}),
        "/subject",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "no subject",
        |r| {
            remove(r, "subject");
        },
        "(root)",
        "\"subject\" is a required property",
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
        "two medication[x] choices",
        |r| r["medicationCodeableConcept"] = json!({"text": "Anastrozole 1 mg"}),
        "(root)",
        "MedicationRequest.medication[x] 1..1",
    );
    assert_rejected(
        p,
        "two data-absent-reason extensions on the validity period",
        |r| {
            r["dispenseRequest"]["validityPeriod"]["extension"] = json!([
                {"url": DATA_ABSENT_REASON, "valueCode": "unknown"},
                {"url": DATA_ABSENT_REASON, "valueCode": "masked"}
            ]);
        },
        "/dispenseRequest/validityPeriod/extension",
        "data-absent-reason 0..1",
    );
    assert_rejected(
        p,
        "a substitution without allowed[x]",
        |r| r["substitution"] = json!({"reason": {"text": "none"}}),
        "/substitution",
        "allowed[x] 1..1",
    );
}

#[test]
fn immunization_profile_rejects_broken_copies() {
    let p = "Immunization-uv-ips|1.1.0";
    assert_rejected(
        p,
        "status only as _status",
        |r| only_extension(r, "status"),
        "(root)",
        "\"status\" is a required property",
    );
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
        |r| r["occurrenceString"] = json!("summer 2020"),
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
        "no vaccineCode",
        |r| {
            remove(r, "vaccineCode");
        },
        "(root)",
        "\"vaccineCode\" is a required property",
    );
    assert_rejected(
        p,
        "a patient reference only as _reference",
        |r| r["patient"] = json!({"_reference": {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}}),
        "/patient",
        "\"reference\" is a required property",
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
        "a performer without actor",
        |r| r["performer"] = json!([{"function": {"text": "OP"}}]),
        "/performer/0",
        "\"actor\" is a required property",
    );
}

#[test]
fn allergy_intolerance_profile_rejects_broken_copies() {
    let p = "AllergyIntolerance-uv-ips|1.1.0";
    assert_rejected(
        p,
        "a patient without reference",
        |r| r["patient"] = json!({"display": "Martha"}),
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
            r["verificationStatus"] = json!({"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                "code": "entered-in-error"
            }]});
        },
        "(root)",
        "ait-2",
    );
    assert_rejected(
        p,
        "a reaction with no manifestation",
        |r| r["reaction"] = json!([{"manifestation": []}]),
        "/reaction/0/manifestation",
        "manifestation 1..*",
    );
    assert_rejected(
        p,
        "two abatement-dateTime extensions",
        |r| {
            r["extension"] = json!([
                {"url": ABATEMENT_DATETIME, "valueDateTime": "2020"},
                {"url": ABATEMENT_DATETIME, "valueDateTime": "2021"}
            ]);
        },
        "/extension",
        "abatement-datetime 0..1",
    );
    assert_rejected(
        p,
        "an abatement-dateTime extension with a string value",
        |r| r["extension"] = json!([{"url": ABATEMENT_DATETIME, "valueString": "2020"}]),
        "/extension/0",
        "valueDateTime",
    );
}

#[test]
fn condition_profile_rejects_broken_copies() {
    let p = "Condition-uv-ips|1.1.0";
    assert_rejected(
        p,
        "no clinicalStatus",
        |r| {
            remove(r, "clinicalStatus");
        },
        "(root)",
        "\"clinicalStatus\" is a required property",
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
        "a subject reference only as _reference",
        |r| r["subject"] = json!({"_reference": {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}}),
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
        "two abatement[x] choices",
        |r| {
            r["clinicalStatus"]["coding"][0]["code"] = json!("resolved");
            r["abatementDateTime"] = json!("2016");
            r["abatementString"] = json!("in 2016");
        },
        "(root)",
        "Condition.abatement[x] 0..1",
    );
    assert_rejected(
        p,
        "a stage with neither summary nor assessment",
        |r| r["stage"] = json!([{"type": {"text": "clinical"}}]),
        "/stage/0",
        "con-1",
    );
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

#[test]
fn bundle_profile_rejects_broken_copies() {
    let p = "Bundle-uv-ips|1.1.0";
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
        "an identifier without system (bdl-9)",
        |r| {
            r["identifier"].as_object_mut().unwrap().remove("system");
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
            let i = index_of(r, "Patient");
            r["entry"].as_array_mut().unwrap().remove(i);
        },
        "/entry",
        "Bundle.entry:patient 1..1",
    );
    assert_rejected(
        p,
        "two Patients",
        |r| {
            let i = index_of(r, "Patient");
            let mut twin = r["entry"][i].clone();
            twin["fullUrl"] = json!("urn:uuid:9a1c9f0e-7d43-4b7e-b0b5-3c8f6f0d2e11");
            r["entry"].as_array_mut().unwrap().push(twin);
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
        "a search mode on an entry (bdl-2)",
        |r| r["entry"][1]["search"] = json!({"mode": "match"}),
        "/entry/1",
        "bdl-2",
    );
    assert_rejected(
        p,
        "a total (bdl-1)",
        |r| r["total"] = json!(20),
        "(root)",
        "bdl-1",
    );
}

#[test]
fn composition_profile_rejects_broken_copies() {
    let p = "Composition-uv-ips|1.1.0";
    assert_rejected(
        p,
        "a type that is not the patient summary",
        |r| r["type"]["coding"][0]["code"] = json!("34133-9"),
        "/type/coding",
        "60591-5",
    );
    assert_rejected(
        p,
        "no Medication Summary section",
        |r| {
            let i = section_index(r, "10160-0");
            r["section"].as_array_mut().unwrap().remove(i);
        },
        "/section",
        "sectionMedications 1..1",
    );
    assert_rejected(
        p,
        "two Allergies sections",
        |r| {
            let i = section_index(r, "48765-2");
            let twin = r["section"][i].clone();
            r["section"].as_array_mut().unwrap().push(twin);
        },
        "/section",
        "sectionAllergies 1..1",
    );
    assert_rejected(
        p,
        "a Problems section with neither entries nor emptyReason",
        |r| {
            let i = section_index(r, "11450-4");
            r["section"][i].as_object_mut().unwrap().remove("entry");
        },
        "/section/0",
        "sectionProblems (LOINC 11450-4): title 1..1 and entry 1..*",
    );
    assert_rejected(
        p,
        "a section with entries and an emptyReason (cmp-2)",
        |r| {
            let i = section_index(r, "48765-2");
            r["section"][i]["emptyReason"] = json!({"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                "code": "nilknown"
            }]});
        },
        "/section/2",
        "cmp-2",
    );
    assert_rejected(
        p,
        "a Medication Summary section without title",
        |r| {
            let i = section_index(r, "10160-0");
            r["section"][i].as_object_mut().unwrap().remove("title");
        },
        "/section/1",
        "\"title\" is a required property",
    );
    assert_rejected(
        p,
        "a section without narrative",
        |r| {
            r["section"][4].as_object_mut().unwrap().remove("text");
        },
        "/section/4",
        "\"text\" is a required property",
    );
    assert_rejected(
        p,
        "a subject with a display but no reference",
        |r| r["subject"] = json!({"display": "Martha DeLarosa"}),
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
        "date only as _date",
        |r| only_extension(r, "date"),
        "(root)",
        "\"date\" is a required property",
    );
}

/// What the gateway writes for a section the caller may not read: no entries, the emptyReason
/// `withheld`. IPS 1.1.0 has no room for it (entry 1..* on the required sections, and cmp-2);
/// IPS 2.0.0 allows it (ips-comp-1, `profiles_ips2.rs`). A 1.1.0 document with such a section
/// therefore claims no profile, and gets the 2.0.0 schemas.
#[test]
fn composition_profile_refuses_an_empty_reason_instead_of_entries() {
    assert_rejected(
        "Composition-uv-ips|1.1.0",
        "a withheld Allergies section",
        |r| {
            let i = section_index(r, "48765-2");
            let section = r["section"][i].as_object_mut().unwrap();
            section.remove("entry");
            section.insert(
                "emptyReason".into(),
                json!({"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                    "code": "withheld"
                }]}),
            );
        },
        "/section/2",
        "sectionAllergies (LOINC 48765-2): title 1..1 and entry 1..* (IPS 1.1.0)",
    );
}

#[test]
fn medication_statement_profile_rejects_broken_copies() {
    let p = "MedicationStatement-uv-ips|1.1.0";
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
        |r| r["effectiveDateTime"] = json!("2015-03"),
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
        "no medication[x]",
        |r| {
            remove(r, "medicationReference");
        },
        "(root)",
        "MedicationStatement.medication[x] 1..1",
    );
    assert_rejected(
        p,
        "a subject with a display but no reference",
        |r| r["subject"] = json!({"display": "Martha DeLarosa"}),
        "/subject",
        "\"reference\" is a required property",
    );
    assert_rejected(
        p,
        "two data-absent-reason extensions on the effective period",
        |r| {
            r["effectivePeriod"]["extension"] = json!([
                {"url": DATA_ABSENT_REASON, "valueCode": "unknown"},
                {"url": DATA_ABSENT_REASON, "valueCode": "masked"}
            ]);
        },
        "/effectivePeriod/extension",
        "data-absent-reason 0..1",
    );
}

// ---------------------------------------------------------------------- against the snapshots

/// The IPS 1.1.0 StructureDefinition of `profile` ("Patient-uv-ips|1.1.0").
fn structure_definition(profile: &str) -> Value {
    let name = profile.trim_end_matches("|1.1.0");
    read_json(Path::new(&format!(
        "{IPS_DIR}/StructureDefinition-{name}.json"
    )))
}

/// Every element that an IPS StructureDefinition makes mandatory (min ≥ 1), at the top level
/// and below, is required by the project's schema for that profile: a plain element in the
/// `required` list of the schema for its parent, a choice element `x[x]` as a `oneOf` over its
/// variants. A schema that silently drops one fails here.
#[test]
fn profile_schemas_require_every_mandatory_element_of_the_structure_definitions() {
    let mut missing = Vec::new();
    let mut counted = 0;
    for &(_, profile) in PROFILES_1_1_0 {
        let sd = structure_definition(profile);
        assert_eq!(sd["version"], "1.1.0", "{profile}");
        let schema = profile_schema(profile);
        assert_eq!(
            schema["x-structure-definition"]["url"], sd["url"],
            "{profile}"
        );
        assert_eq!(
            schema["x-structure-definition"]["version"], "1.1.0",
            "{profile}"
        );
        let (n, unrequired) = unrequired_mandatory_elements(profile, &sd);
        counted += n;
        missing.extend(unrequired);
    }
    assert!(
        counted >= 20,
        "only {counted} mandatory elements found in the snapshots"
    );
    assert!(
        missing.is_empty(),
        "mandatory elements not required by the schemas:{}",
        show(&missing)
    );
}

/// The same promise, checked by behaviour: removing any top-level mandatory element from a
/// conformant resource (all the variants of a choice element), or leaving a mandatory primitive
/// only as its `_x` extension form, makes the profile schema reject it.
#[test]
fn profile_schemas_reject_each_missing_mandatory_element() {
    let mut accepted = Vec::new();
    for &(_, profile) in PROFILES_1_1_0 {
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

// ------------------------------------------------------------------------------ recursion

/// The IPS 1.1.0 example Bundle-01, claiming Bundle-uv-ips 1.1.0 (as the gateway's 1.1.0
/// documents do), so that `validate` holds it and its entries to the 1.1.0 schemas.
fn ips_bundle_01() -> Value {
    let mut bundle = read_json(Path::new(&format!(
        "{IPS_DIR}/example/Bundle-IPS-examples-Bundle-01.json"
    )));
    add_claim(&mut bundle, IPS_BUNDLE_1_1_0);
    bundle
}

fn index_of(bundle: &Value, ty: &str) -> usize {
    entry_resources(bundle)
        .position(|resource| resource_type(resource) == ty)
        .unwrap_or_else(|| panic!("no {ty} entry"))
}

#[test]
fn validate_checks_bundle_entries_against_the_profiles() {
    let mut bundle = ips_bundle_01();
    assert!(validate(&bundle).is_ok(), "the unbroken Bundle fails");
    let i = index_of(&bundle, "Patient");
    // Valid R4, but not IPS: no birthDate.
    remove(&mut bundle["entry"][i]["resource"], "birthDate");
    assert!(
        validate_r4(&bundle).is_ok(),
        "a Patient without birthDate is valid R4"
    );
    let errors = validate(&bundle).expect_err("a Bundle with a non-IPS Patient passes");
    let path = format!("/entry/{i}/resource: ");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&path) && e.contains("\"birthDate\" is a required property")),
        "expected the missing birthDate at /entry/{i}/resource, got:{}",
        show(&errors)
    );
}

#[test]
fn validate_reports_r4_errors_inside_bundle_entries_at_their_path() {
    let mut bundle = ips_bundle_01();
    let i = index_of(&bundle, "Patient");
    bundle["entry"][i]["resource"]["birthDate"] = json!("1972-13-01");
    for (what, result) in [
        ("validate", validate(&bundle)),
        ("validate_r4", validate_r4(&bundle)),
    ] {
        let errors = result.expect_err("a Bundle with an invalid birthDate passes");
        let path = format!("/entry/{i}/resource/birthDate: ");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&path) && e.contains("1972-13-01")),
            "{what}: expected the bad date at {path}got:{}",
            show(&errors)
        );
        // The whole-entry "not valid under any of the schemas listed in the 'oneOf' keyword"
        // from the R4 Bundle schema is replaced by the precise error above.
        assert!(
            !errors.iter().any(|e| e.contains("'oneOf'")),
            "{what}: unhelpful oneOf error kept:{}",
            show(&errors)
        );
    }
}

#[test]
fn validate_recurses_into_nested_bundles_and_contained_resources() {
    let mut inner_bundle = ips_bundle_01();
    let p = index_of(&inner_bundle, "Patient");
    inner_bundle["entry"][p]["resource"]["name"] = json!([{"use": "official"}]);
    let outer = json!({
        "resourceType": "Bundle",
        "id": "outer",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:0f0f0f0f-0000-4000-8000-000000000001", "resource": inner_bundle}]
    });
    let errors = validate(&outer).expect_err("a Bundle in a Bundle with a broken Patient passes");
    let path = format!("/entry/0/resource/entry/{p}/resource/name/0: ");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&path) && e.contains("ips-pat-1")),
        "expected ips-pat-1 at {path}got:{}",
        show(&errors)
    );

    // A contained resource is checked against R4, at its own path.
    let mut request = medication_request_sample();
    request["contained"] = json!([{"resourceType": "Medication", "id": "m", "code": "aspirin"}]);
    let errors = validate(&request).expect_err("an invalid contained Medication passes");
    assert!(
        errors.iter().any(|e| e.starts_with("/contained/0/code: ")),
        "expected an error at /contained/0/code, got:{}",
        show(&errors)
    );
}

#[test]
fn validate_rejects_what_is_not_an_r4_resource() {
    let errors =
        validate(&json!({"resourceType": "Patientt", "id": "x"})).expect_err("unknown type passes");
    assert!(
        errors[0].contains("\"Patientt\" is not an R4 resource type"),
        "{}",
        show(&errors)
    );
    let errors = validate(&json!({"id": "x"})).expect_err("a resource without resourceType passes");
    assert!(errors[0].contains("resourceType"), "{}", show(&errors));
    // Unknown elements are not allowed in R4.
    let mut patient = ips_example_of("Patient");
    patient["nickname"] = json!("Marty");
    let errors = validate(&patient).expect_err("an unknown element passes");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("(root): ") && e.contains("nickname")),
        "{}",
        show(&errors)
    );
}

/// The published R4 schema does not say that complex elements are objects; the R4 layer adds
/// it, so that a Reference serialised as a bare string is caught, at its path.
#[test]
fn r4_layer_requires_complex_elements_to_be_objects() {
    let consent = read_json(Path::new(&format!(
        "{R4_EXAMPLES_DIR}/Consent-consent-example-basic.json"
    )));
    assert!(
        validate_r4(&consent).is_ok(),
        "the Consent example fails R4"
    );
    let mut broken = consent.clone();
    broken["patient"] = json!("Patient/f001");
    let errors = validate_r4(&broken).expect_err("a Reference given as a string passes");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/patient: ") && e.contains("not of type \"object\"")),
        "expected a type error at /patient, got:{}",
        show(&errors)
    );
    // `null` still stands for "no extension" in the `_x` array of a repeating primitive.
    let mut patient = ips_example_of("Patient");
    patient["name"][0]["given"] = json!(["Martha", "Maria"]);
    patient["name"][0]["_given"] =
        json!([null, {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "masked"}]}]);
    assert_valid(&patient);
}

#[test]
#[should_panic(expected = "Patient/2b90dd2b-2dab-4c75-9bb9-a355e07401e8 is not valid")]
fn assert_valid_names_the_resource() {
    let mut patient = ips_example_of("Patient");
    remove(&mut patient, "birthDate");
    assert_valid(&patient);
}

// ---------------------------------------------------------------------------------- timing

/// The published schema stops at FHIR 4.0.0; 4.0.1 (what the gateway declares) is admitted,
/// and anything else is still refused.
#[test]
fn r4_layer_admits_fhir_4_0_1_and_nothing_more() {
    let statement = |version: &str| {
        serde_json::json!({
            "resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01",
            "kind": "instance", "fhirVersion": version, "format": ["json"]
        })
    };
    assert!(validate_r4(&statement("4.0.1")).is_ok());
    assert!(validate_r4(&statement("4.0.0")).is_ok());
    assert!(validate_r4(&statement("9.9.9")).is_err());
}
