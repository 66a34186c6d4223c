//! Tests of the HL7 Europe schemas: the Patient Summary ones (fhir-profiles/eps/: bundle-eu-eps,
//! composition-eu-eps, patient-eu-eps, MedicationStatement-eu-eps) and the Medication
//! Prescription and Dispense ones (fhir-profiles/mpd/: MedicationRequest-eu-mpd,
//! MedicationDispense-eu-mpd), and of the rules that apply them: on a claim in `meta.profile`,
//! and, for the Composition and the Patient of a document that claims bundle-eu-eps, on that
//! claim of the Bundle.
//!
//! They accept an EU Patient Summary built from an IPS 2.0.0 example document and resources
//! shaped as the gateway writes them, reject broken copies with errors that point at the broken
//! element, and follow the cardinalities, slices, invariants and imposed profiles of the FSH
//! sources of the two guides (no StructureDefinition snapshots of them are available: the FSH is
//! the specification here). The reference material is read from `tests/fixtures/hl7/`; its README
//! says where each file comes from.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::support::profiles::*;

const IPS_2_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hl7/ips-2.0.0");
const EPS_FSH_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/hl7/eps-1.0.0-xtehr-fsh"
);
const MPD_FSH_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/hl7/mpd-1.0.0-fsh"
);

const EPS_PROFILES: [&str; 4] = [
    "bundle-eu-eps",
    "composition-eu-eps",
    "patient-eu-eps",
    "MedicationStatement-eu-eps",
];
const MPD_PROFILES: [&str; 2] = ["MedicationRequest-eu-mpd", "MedicationDispense-eu-mpd"];

const LOINC: &str = "http://loinc.org";
const LIST_EMPTY_REASON: &str = "http://terminology.hl7.org/CodeSystem/list-empty-reason";
const PROCEDURES: &str = "47519-4";
const MEDICAL_DEVICES: &str = "46264-8";
const COMPOSITION_VERSION: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Composition.version";
const RECORDED: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationDispense.recorded";
const DISPENSE_RENDERED_DOSAGE: &str = "http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationDispense.renderedDosageInstruction";
const OFF_LABEL: &str = "https://profiles.ihe.net/PHARM/MPD/StructureDefinition/ihe-ext-offLabel";
const EFFECTIVE_DOSE_PERIOD: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationRequest.effectiveDosePeriod";
const REQUEST_RENDERED_DOSAGE: &str = "http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationRequest.renderedDosageInstruction";
const PRESCRIBED_QUANTITY: &str = "https://profiles.ihe.net/PHARM/MPD/StructureDefinition/ihe-ext-medicationrequest-prescribedQuantity";

fn claimed(name: &str) -> &'static ClaimedProfile {
    CLAIMED_PROFILES
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} is not a claimed profile"))
}

fn example(file: &str) -> Value {
    read_json(format!("{IPS_2_DIR}/example/{file}"))
}

fn resource_type(resource: &Value) -> &str {
    resource["resourceType"].as_str().unwrap_or("")
}

/// The index of the first entry of a Bundle whose resource is of type `ty`.
fn entry_of(bundle: &Value, ty: &str) -> usize {
    bundle["entry"]
        .as_array()
        .expect("Bundle.entry")
        .iter()
        .position(|e| resource_type(&e["resource"]) == ty)
        .unwrap_or_else(|| panic!("no {ty} entry"))
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

fn narrative(text: &str) -> Value {
    json!({
        "status": "generated",
        "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{text}</p></div>")
    })
}

/// A section the gateway has nothing for: title, code, narrative and the emptyReason
/// `unavailable`.
fn unavailable_section(title: &str, code: &str, display: &str, text: &str) -> Value {
    json!({
        "title": title,
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "text": narrative(text),
        "emptyReason": {"coding": [{"system": LIST_EMPTY_REASON, "code": "unavailable", "display": "Unavailable"}]}
    })
}

// ------------------------------------------------------------------- what the gateway writes

/// An EU Patient Summary built from the IPS 2.0.0 package's minimal document
/// (Bundle-bundle-minimal: Problems, Medications and Allergies with entries, a Medication
/// referenced by the MedicationStatement) as the gateway builds one: the EPS and IPS claims on
/// the Bundle, the Composition and the Patient, both claims on the MedicationStatement, and the
/// History of Procedures and Medical Devices sections, which the EPS requires, with the
/// emptyReason `unavailable` and the gateway's titles and codes.
fn eps_document() -> Value {
    let mut doc = example("Bundle-bundle-minimal.json");
    doc["meta"] = json!({"profile": EPS_BUNDLE_CLAIMS});
    for entry in doc["entry"].as_array_mut().expect("entries") {
        let resource = &mut entry["resource"];
        let claims = match resource_type(resource) {
            "Composition" => EPS_COMPOSITION_CLAIMS,
            "Patient" => EPS_PATIENT_CLAIMS,
            "MedicationStatement" => EPS_MEDICATION_STATEMENT_CLAIMS,
            _ => continue,
        };
        for url in claims {
            add_claim(resource, url);
        }
    }
    let sections = doc["entry"][0]["resource"]["section"]
        .as_array_mut()
        .expect("sections");
    sections.push(unavailable_section(
        "History of Procedures",
        PROCEDURES,
        "History of Procedures Document",
        "No information about procedures: the national portal holds no procedure history.",
    ));
    sections.push(unavailable_section(
        "Medical Devices",
        MEDICAL_DEVICES,
        "History of medical device use",
        "No information about medical devices: the national portal holds no record of them.",
    ));
    doc
}

/// The gateway's other shapes of an EU Patient Summary: a section withheld from the caller, a
/// History of Past Problems section (not one of the EPS slices, which are open), an Alerts
/// section with a Flag.
fn eps_document_variants() -> Vec<(&'static str, Value)> {
    let mut withheld = eps_document();
    {
        let composition = &mut withheld["entry"][0]["resource"];
        let i = section_index(composition, "10160-0");
        let section = composition["section"][i].as_object_mut().unwrap();
        section.remove("entry");
        section.insert(
            "emptyReason".into(),
            json!({"coding": [{"system": LIST_EMPTY_REASON, "code": "withheld", "display": "Information Withheld"}]}),
        );
    }
    let mut more = eps_document();
    let patient_url = more["entry"][1]["fullUrl"].clone();
    let condition = json!({
        "resourceType": "Condition",
        "id": "3f0c0d8e-4b1e-5a57-9c1e-2f0a6c3d9b10",
        "meta": {"profile": ["http://hl7.org/fhir/uv/ips/StructureDefinition/Condition-uv-ips"]},
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J18.9", "display": "Pneumonia, unspecified organism"}]},
        "subject": {"reference": patient_url},
        "onsetDateTime": "2025-03-03",
        "abatementDateTime": "2025-04-01"
    });
    let flag = json!({
        "resourceType": "Flag",
        "id": "0b5e3a4c-2f57-5d1e-9a52-8f5a8d1c7e11",
        "meta": {"profile": [IPS_FLAG_ALERT]},
        "status": "active",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "clinical", "display": "Clinical"}]}],
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "764146007"}],
            "text": "Critical information: allergy to penicillin, high criticality"
        },
        "subject": {"reference": patient_url},
        "period": {"start": "2010"}
    });
    let condition_url = "urn:uuid:3f0c0d8e-4b1e-5a57-9c1e-2f0a6c3d9b10";
    let flag_url = "urn:uuid:0b5e3a4c-2f57-5d1e-9a52-8f5a8d1c7e11";
    let entries = more["entry"].as_array_mut().unwrap();
    entries.push(json!({"fullUrl": condition_url, "resource": condition}));
    entries.push(json!({"fullUrl": flag_url, "resource": flag}));
    let sections = more["entry"][0]["resource"]["section"]
        .as_array_mut()
        .unwrap();
    sections.push(json!({
        "title": "History of Past Problems",
        "code": {"coding": [{"system": LOINC, "code": "11348-0", "display": "History of Past illness Narrative"}]},
        "text": narrative("Pneumonia, unspecified organism (resolved 2025-04-01)"),
        "entry": [{"reference": condition_url}]
    }));
    sections.push(json!({
        "title": "Alerts",
        "code": {"coding": [{"system": LOINC, "code": "104605-1", "display": "Alert"}]},
        "text": narrative("Critical information: allergy to penicillin, high criticality"),
        "entry": [{"reference": flag_url}]
    }));
    vec![
        ("as built from the example", eps_document()),
        ("with a withheld section", withheld),
        ("with past problems and alerts", more),
    ]
}

/// A MedicationRequest shaped as the gateway writes it: both claims, ATC and national codes, a
/// logical requester, a validity period.
fn mpd_request() -> Value {
    json!({
        "resourceType": "MedicationRequest",
        "id": "no.p-no-008.rx-no-0017",
        "meta": {"profile": MPD_MEDICATION_REQUEST_CLAIMS},
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {"system": "http://www.whocc.no/atc", "code": "C08CA01", "display": "amlodipin"},
                {"system": "http://dmp.no/fhir/NamingSystem/fest-varenummer", "code": "222938", "display": "Amlodipin Actavis tab 5 mg"}
            ],
            "text": "Amlodipin Actavis tab 5 mg"
        },
        "subject": {"reference": "Patient/no.p-no-008", "display": "Arne Johansen"},
        "authoredOn": "2024-10-15T08:09:22Z",
        "requester": {
            "type": "Practitioner",
            "identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.4", "value": "9162251"},
            "display": "Hanne Haugland, Kalfaret legekontor"
        },
        "dosageInstruction": [{"text": "1 tablett daglig"}],
        "dispenseRequest": {"validityPeriod": {"start": "2024-10-15", "end": "2025-10-14"}}
    })
}

/// A MedicationDispense shaped as the gateway writes it: the MPD claim, the R5 `recorded`
/// extension, a logical pharmacy as performer, a quantity in packages.
fn mpd_dispense() -> Value {
    json!({
        "resourceType": "MedicationDispense",
        "id": "no.p-no-008.rx-no-0014-d2",
        "meta": {"profile": MPD_MEDICATION_DISPENSE_CLAIMS},
        "extension": [{"url": RECORDED, "valueDateTime": "2026-06-30"}],
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [
                {"system": "http://www.whocc.no/atc", "code": "S01ED01", "display": "timolol"},
                {"system": "http://dmp.no/fhir/NamingSystem/fest-varenummer", "code": "738549", "display": "Timosan øyedråper 2,5 mg/ml"}
            ],
            "text": "Timosan øyedråper 2,5 mg/ml"
        },
        "subject": {"reference": "Patient/no.p-no-008", "display": "Arne Johansen"},
        "performer": [{"actor": {"type": "Organization", "display": "Apotek Kalfaret, Bergen"}}],
        "authorizingPrescription": [{"reference": "MedicationRequest/no.p-no-008.rx-no-0014"}],
        "quantity": {"value": 1, "unit": "flaske à 5 ml"},
        "whenHandedOver": "2026-06-30"
    })
}

/// A conformant resource for `profile`, the starting point of the breakage tests.
fn sample_for(profile: &str) -> Value {
    let doc = eps_document();
    let entry = |ty: &str| doc["entry"][entry_of(&doc, ty)]["resource"].clone();
    match profile {
        "bundle-eu-eps" => doc.clone(),
        "composition-eu-eps" => entry("Composition"),
        "patient-eu-eps" => entry("Patient"),
        "MedicationStatement-eu-eps" => entry("MedicationStatement"),
        "MedicationRequest-eu-mpd" => mpd_request(),
        "MedicationDispense-eu-mpd" => mpd_dispense(),
        _ => panic!("no sample for {profile}"),
    }
}

#[test]
fn an_eps_document_built_from_an_ips_example_passes_every_layer() {
    for (what, doc) in eps_document_variants() {
        assert_eq!(
            profiles_applied(&doc),
            ["Bundle-uv-ips", "bundle-eu-eps"],
            "{what}"
        );
        assert_eq!(
            profiles_imposed_on_entries(&doc),
            [
                ("Composition", "composition-eu-eps"),
                ("Patient", "patient-eu-eps")
            ],
            "{what}"
        );
        assert_claims_and_conforms(&doc, EPS_BUNDLE_CLAIMS);
        // Each layer alone, so that none passes only because another did not run.
        if let Err(errors) = validate_r4(&doc) {
            panic!("{what}: R4 fails:{}", show(&errors));
        }
        if let Err(errors) = validate_profile("bundle-eu-eps", &doc) {
            panic!("{what}: bundle-eu-eps fails:{}", show(&errors));
        }
        for (ty, profile, claims) in [
            ("Composition", "composition-eu-eps", EPS_COMPOSITION_CLAIMS),
            ("Patient", "patient-eu-eps", EPS_PATIENT_CLAIMS),
            (
                "MedicationStatement",
                "MedicationStatement-eu-eps",
                EPS_MEDICATION_STATEMENT_CLAIMS,
            ),
        ] {
            let resource = &doc["entry"][entry_of(&doc, ty)]["resource"];
            assert_eq!(
                profiles_applied(resource),
                [IpsVersion::DEFAULT.profile_for(ty).unwrap(), profile],
                "{what}: {ty}"
            );
            assert_claims_and_conforms(resource, claims);
            if let Err(errors) = validate_profile(profile, resource) {
                panic!("{what}: the {ty} fails {profile}:{}", show(&errors));
            }
        }
    }
}

#[test]
fn mpd_resources_shaped_as_the_gateway_writes_them_pass_every_layer() {
    let request = mpd_request();
    assert_eq!(
        profiles_applied(&request),
        ["MedicationRequest-uv-ips", "MedicationRequest-eu-mpd"]
    );
    assert_claims_and_conforms(&request, MPD_MEDICATION_REQUEST_CLAIMS);
    assert!(validate_profile("MedicationRequest-eu-mpd", &request).is_ok());

    let dispense = mpd_dispense();
    assert_eq!(profiles_applied(&dispense), ["MedicationDispense-eu-mpd"]);
    assert_claims_and_conforms(&dispense, MPD_MEDICATION_DISPENSE_CLAIMS);
    assert!(validate_profile("MedicationDispense-eu-mpd", &dispense).is_ok());
    assert!(validate_r4(&dispense).is_ok());

    // A searchset of both, as `MedicationDispense?...&_include=MedicationDispense:prescription`.
    let searchset = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 1,
        "entry": [
            {"fullUrl": "https://gateway.example/fhir/MedicationDispense/no.p-no-008.rx-no-0014-d2", "resource": dispense, "search": {"mode": "match"}},
            {"fullUrl": "https://gateway.example/fhir/MedicationRequest/no.p-no-008.rx-no-0017", "resource": request, "search": {"mode": "include"}}
        ]
    });
    assert_valid(&searchset);
}

// ------------------------------------------------------------------------- applies when claimed

/// The EU schemas apply to what claims them, wherever it is: alone, in a Bundle entry,
/// contained; with or without a `|version`; and not to what does not claim them. The EPS
/// document also holds its Composition and its Patient to the EU profiles when they claim
/// nothing.
#[test]
fn eu_schemas_apply_when_claimed_and_only_then() {
    // An EPS document without the History of Procedures section.
    let mut doc = eps_document();
    let i = section_index(&doc["entry"][0]["resource"], PROCEDURES);
    doc["entry"][0]["resource"]["section"]
        .as_array_mut()
        .unwrap()
        .remove(i);
    let errors = validate(&doc).expect_err("composition-eu-eps is not applied");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/entry/0/resource/section: ")
                && e.contains("Composition.section:sectionProceduresHx 1..1")
                && e.contains("(composition-eu-eps at ")),
        "{}",
        show(&errors)
    );
    // The Composition claims nothing: the document's claim still holds it to the EU profile.
    let mut unclaimed_composition = doc.clone();
    remove(&mut unclaimed_composition["entry"][0]["resource"], "meta");
    assert_eq!(
        profiles_applied(&unclaimed_composition["entry"][0]["resource"]),
        ["Composition-uv-ips"]
    );
    let errors = validate(&unclaimed_composition).expect_err("the Bundle's claim imposes nothing");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/entry/0/resource/section: ")
                && e.contains("(composition-eu-eps at ")),
        "{}",
        show(&errors)
    );
    // Neither claims it: an IPS 2.0 document, which needs no History of Procedures.
    let mut ips = unclaimed_composition.clone();
    ips["meta"] = json!({"profile": [IPS_BUNDLE]});
    assert!(profiles_imposed_on_entries(&ips).is_empty());
    if let Err(errors) = validate(&ips) {
        panic!("an IPS 2.0 document fails:{}", show(&errors));
    }
    // A versioned claim is a claim.
    let mut versioned = ips.clone();
    versioned["meta"]["profile"] = json!([format!("{EPS_BUNDLE}|1.0.0-xtehr"), IPS_BUNDLE]);
    assert_eq!(
        profiles_imposed_on_entries(&versioned),
        [
            ("Composition", "composition-eu-eps"),
            ("Patient", "patient-eu-eps")
        ]
    );
    assert!(validate(&versioned).is_err());
    // The Composition alone, claiming the profile.
    let mut composition = doc["entry"][0]["resource"].clone();
    assert_eq!(
        profiles_applied(&composition),
        ["Composition-uv-ips", "composition-eu-eps"]
    );
    assert!(validate(&composition).is_err());
    remove(&mut composition, "meta");
    assert!(validate(&composition).is_ok());

    // The imposed profiles apply to the entries of the document that claims bundle-eu-eps
    // only, and only to their own type.
    let mut searchset = json!({
        "resourceType": "Bundle", "type": "searchset",
        "entry": [{"fullUrl": "https://gateway.example/fhir/Composition/x", "resource": composition.clone()}]
    });
    assert!(validate(&searchset).is_ok());
    add_claim(&mut searchset["entry"][0]["resource"], EPS_COMPOSITION);
    let errors = validate(&searchset).expect_err("a claim in a searchset entry is not applied");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/entry/0/resource/section: ")
                && e.contains("(composition-eu-eps at ")),
        "{}",
        show(&errors)
    );

    // MPD: a MedicationDispense without the recorded extension, claimed or not.
    let mut dispense = mpd_dispense();
    remove(&mut dispense, "extension");
    let errors = validate(&dispense).expect_err("MedicationDispense-eu-mpd is not applied");
    assert_eq!(errors.len(), 1, "{}", show(&errors));
    assert!(errors[0].contains("(MedicationDispense-eu-mpd at "));
    let mut unclaimed = dispense.clone();
    remove(&mut unclaimed, "meta");
    assert_eq!(profiles_applied(&unclaimed), Vec::<&str>::new());
    assert!(validate(&unclaimed).is_ok());

    // Contained: a MedicationRequest that claims the MPD profile is held to it.
    let mut with_contained = mpd_dispense();
    let mut request = mpd_request();
    remove(&mut request, "requester");
    with_contained["contained"] = json!([request]);
    with_contained["authorizingPrescription"] = json!([{"reference": "#no.p-no-008.rx-no-0017"}]);
    let errors = validate(&with_contained).expect_err("a claimed contained request is not checked");
    assert!(
        errors.iter().any(|e| e.starts_with("/contained/0: ")
            && e.contains("\"requester\" is a required property")
            && e.contains("(MedicationRequest-eu-mpd at ")),
        "{}",
        show(&errors)
    );
    remove(&mut with_contained["contained"][0], "meta");
    assert!(validate(&with_contained).is_ok());

    // A claim of a profile of another type is an error in itself.
    let mut patient = sample_for("patient-eu-eps");
    add_claim(&mut patient, EPS_BUNDLE);
    let errors = validate(&patient).expect_err("a Patient claiming the EPS Bundle");
    assert_eq!(
        errors,
        [format!(
            "/meta/profile/2: a Patient claims {EPS_BUNDLE}, a profile of Bundle"
        )]
    );
}

// ----------------------------------------------------------------------------- breakages

/// Applies `breakage` to a conformant copy and asserts that the profile schema rejects it with
/// an error at `path` that contains `needle`, and that `validate` rejects it too.
#[track_caller]
fn assert_rejected(
    profile: &str,
    what: &str,
    breakage: impl FnOnce(&mut Value),
    path: &str,
    needle: &str,
) {
    let mut resource = sample_for(profile);
    add_claim(&mut resource, claimed(profile).url);
    assert_breakage_rejected(profile, resource, what, breakage, path, needle);
}

#[track_caller]
fn assert_accepted(profile: &str, what: &str, change: impl FnOnce(&mut Value)) {
    let mut resource = sample_for(profile);
    change(&mut resource);
    if let Err(errors) = validate(&resource) {
        panic!(
            "{profile} (or another layer) rejects {what}:{}",
            show(&errors)
        );
    }
}

#[test]
fn bundle_eu_eps_rejects_broken_copies() {
    let p = "bundle-eu-eps";
    let doc = eps_document();
    let allergy = entry_of(&doc, "AllergyIntolerance");
    let medication = entry_of(&doc, "Medication");
    let statement = entry_of(&doc, "MedicationStatement");
    let condition = entry_of(&doc, "Condition");
    assert_rejected(
        p,
        "an entry without fullUrl",
        |r| {
            remove(&mut r["entry"][2], "fullUrl");
        },
        "/entry/2",
        "\"fullUrl\" is a required property",
    );
    for (element, rule) in [
        ("search", json!({"mode": "match"})),
        ("request", json!({"method": "GET", "url": "Practitioner/x"})),
        ("response", json!({"status": "200 OK"})),
    ] {
        assert_rejected(
            p,
            &format!("an entry with {element}"),
            |r| r["entry"][2][element] = rule,
            &format!("/entry/2/{element}"),
            &format!("Bundle.entry.{element} ..0"),
        );
    }
    assert_rejected(
        p,
        "two Patient entries",
        |r| {
            let mut twin = r["entry"][1].clone();
            twin["fullUrl"] = json!("urn:uuid:7a0c2f8e-5d4b-4b0e-8f3a-3c2d1e0f9a8b");
            r["entry"].as_array_mut().unwrap().push(twin);
        },
        "/entry",
        "Bundle.entry:patient 1..1",
    );
    assert_rejected(
        p,
        "two Composition entries",
        |r| {
            let mut twin = r["entry"][0].clone();
            twin["fullUrl"] = json!("urn:uuid:6b1d3a9f-4c5e-4d2a-9b7c-2e1f0a9b8c7d");
            r["entry"].as_array_mut().unwrap().push(twin);
        },
        "/entry",
        "Bundle.entry:composition 1..1",
    );
    assert_rejected(
        p,
        "a searchset",
        |r| r["type"] = json!("searchset"),
        "/type",
        "ImposeProfile($Bundle-uv-ips)",
    );
    assert_rejected(
        p,
        "an AllergyIntolerance without patient.reference",
        |r| r["entry"][allergy]["resource"]["patient"] = json!({"display": "Martha DeLarosa"}),
        &format!("/entry/{allergy}/resource/patient"),
        "eps-bundle-patient-ref",
    );
    assert_rejected(
        p,
        "an AllergyIntolerance with patient.reference only as _reference",
        |r| {
            r["entry"][allergy]["resource"]["patient"] = json!({
                "_reference": {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
            })
        },
        &format!("/entry/{allergy}/resource/patient"),
        "eps-bundle-patient-ref",
    );
    assert_rejected(
        p,
        "an Immunization without patient",
        |r| {
            r["entry"].as_array_mut().unwrap().push(json!({
                "fullUrl": "urn:uuid:1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                "resource": {
                    "resourceType": "Immunization", "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    "status": "completed", "vaccineCode": {"text": "MMR"},
                    "occurrenceDateTime": "1973-06-01", "patient": {"display": "Martha DeLarosa"}
                }
            }));
        },
        "/entry/8/resource/patient",
        "eps-bundle-patient-ref",
    );
    assert_rejected(
        p,
        "a Medication without code",
        |r| {
            remove(&mut r["entry"][medication]["resource"], "code");
        },
        &format!("/entry/{medication}/resource"),
        "eps-bundle-resource-code",
    );
    assert_rejected(
        p,
        "a Medication with an empty code",
        |r| r["entry"][medication]["resource"]["code"] = json!({"coding": []}),
        &format!("/entry/{medication}/resource/code"),
        "ele-1",
    );
    assert_rejected(
        p,
        "a MedicationStatement whose subject has no reference",
        |r| r["entry"][statement]["resource"]["subject"] = json!({"display": "Martha DeLarosa"}),
        &format!("/entry/{statement}/resource/subject"),
        "eps-bundle-subject-ref",
    );
    assert_rejected(
        p,
        "a Condition without subject",
        |r| {
            remove(&mut r["entry"][condition]["resource"], "subject");
        },
        &format!("/entry/{condition}/resource"),
        "eps-bundle-subject-ref",
    );
    assert_rejected(
        p,
        "an Observation whose subject is an identifier",
        |r| {
            r["entry"].as_array_mut().unwrap().push(json!({
                "fullUrl": "urn:uuid:2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
                "resource": {
                    "resourceType": "Observation", "id": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
                    "status": "final", "code": {"text": "Body weight"},
                    "subject": {"identifier": {"system": "urn:oid:2.16.840.1.113883.2.4.6.3", "value": "574687583"}},
                    "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
                }
            }));
        },
        "/entry/8/resource/subject",
        "eps-bundle-subject-ref",
    );
}

#[test]
fn composition_eu_eps_rejects_broken_copies() {
    let p = "composition-eu-eps";
    let composition = sample_for(p);
    let procedures = section_index(&composition, PROCEDURES);
    let devices = section_index(&composition, MEDICAL_DEVICES);
    let problems = section_index(&composition, "11450-4");
    let drop_section = |code: &'static str| {
        move |r: &mut Value| {
            let i = section_index(r, code);
            r["section"].as_array_mut().unwrap().remove(i);
        }
    };
    assert_rejected(
        p,
        "no History of Procedures section",
        drop_section(PROCEDURES),
        "/section",
        "Composition.section:sectionProceduresHx 1..1",
    );
    assert_rejected(
        p,
        "no Medical Devices section",
        drop_section(MEDICAL_DEVICES),
        "/section",
        "Composition.section:sectionMedicalDevices 1..1",
    );
    assert_rejected(
        p,
        "no Problems section",
        drop_section("11450-4"),
        "/section",
        "Composition.section:sectionProblems 1..1",
    );
    assert_rejected(
        p,
        "two Medical Devices sections",
        |r| {
            let twin = r["section"][devices].clone();
            r["section"].as_array_mut().unwrap().push(twin);
        },
        "/section",
        "Composition.section:sectionMedicalDevices 1..1",
    );
    assert_rejected(
        p,
        "two Travel History sections (an EPS-only slice)",
        |r| {
            let travel = unavailable_section(
                "Travel History",
                "10182-4",
                "History of Travel Narrative",
                "No travel history.",
            );
            r["section"]
                .as_array_mut()
                .unwrap()
                .extend([travel.clone(), travel]);
        },
        "/section",
        "Composition.section:sectionTravelHx 0..1",
    );
    assert_rejected(
        p,
        "a section with neither entry nor emptyReason (ips-comp-1)",
        |r| {
            remove(&mut r["section"][procedures], "emptyReason");
        },
        &format!("/section/{procedures}"),
        "ips-comp-1",
    );
    assert_rejected(
        p,
        "a section whose entries have no reference (ips-comp-1)",
        |r| r["section"][problems]["entry"] = json!([{"display": "Menopausal flushing"}]),
        &format!("/section/{problems}"),
        "ips-comp-1",
    );
    assert_rejected(
        p,
        "a narrative-only Patient History section (ips-comp-1 is on every section)",
        |r| {
            r["section"].as_array_mut().unwrap().push(json!({
                "title": "Patient History",
                "code": {"coding": [{"system": LOINC, "code": "11329-0"}]},
                "text": narrative("Grew up on a farm; moved to Dordrecht in 1995.")
            }));
        },
        "/section/5",
        "ips-comp-1",
    );
    assert_rejected(
        p,
        "a sub-section",
        |r| {
            r["section"][devices]["section"] = json!([unavailable_section(
                "Implants",
                "46264-8",
                "History of medical device use",
                "None."
            )])
        },
        &format!("/section/{devices}/section"),
        "Composition.section.section ..0",
    );
    for element in ["title", "code", "text"] {
        assert_rejected(
            p,
            &format!("a section without {element}"),
            |r| {
                remove(&mut r["section"][devices], element);
            },
            &format!("/section/{devices}"),
            &format!("\"{element}\" is a required property"),
        );
    }
    assert_rejected(
        p,
        "a subject without reference",
        |r| r["subject"] = json!({"display": "Martha DeLarosa"}),
        "/subject",
        "Composition.subject.reference 1..1",
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
        "two version extensions",
        |r| {
            r["extension"] = json!([
                {"url": COMPOSITION_VERSION, "valueString": "1"},
                {"url": COMPOSITION_VERSION, "valueString": "2"}
            ]);
        },
        "/extension",
        "Composition.extension:version 0..1",
    );
    assert_rejected(
        p,
        "a version extension with an integer",
        |r| r["extension"] = json!([{"url": COMPOSITION_VERSION, "valueInteger": 1}]),
        "/extension/0",
        "valueString",
    );
    assert_accepted(p, "a version extension", |r| {
        r["extension"] = json!([{"url": COMPOSITION_VERSION, "valueString": "1.0"}]);
    });
    assert_accepted(p, "an emptyReason instead of entries", |r| {
        let section = r["section"][problems].as_object_mut().unwrap();
        section.remove("entry");
        section.insert(
            "emptyReason".into(),
            json!({"coding": [{"system": LIST_EMPTY_REASON, "code": "nilknown"}]}),
        );
    });
}

#[test]
fn patient_eu_eps_rejects_broken_copies() {
    let p = "patient-eu-eps";
    assert_rejected(
        p,
        "a name with only a use",
        |r| r["name"] = json!([{"use": "official"}]),
        "/name/0",
        "ips-pat-1",
    );
    assert_rejected(
        p,
        "a name whose family is only an extension",
        |r| r["name"] = json!([{"_family": {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "masked"}]}}]),
        "/name/0",
        "ips-pat-1",
    );
    assert_rejected(
        p,
        "a second name with nothing in it",
        |r| {
            r["name"]
                .as_array_mut()
                .unwrap()
                .push(json!({"period": {"start": "2020"}}))
        },
        "/name/1",
        "ips-pat-1",
    );
    assert_accepted(p, "a name with only a text", |r| {
        r["name"] = json!([{"text": "Martha DeLarosa"}]);
    });
}

#[test]
fn medication_statement_eu_eps_rejects_broken_copies() {
    let p = "MedicationStatement-eu-eps";
    assert_rejected(
        p,
        "no medication[x]",
        |r| {
            remove(r, "medicationReference");
        },
        "(root)",
        "MedicationStatement.medication[x] 1..",
    );
    assert_rejected(
        p,
        "an empty medicationCodeableConcept instead",
        |r| {
            remove(r, "medicationReference");
            r["medicationCodeableConcept"] = json!({});
        },
        "/medicationCodeableConcept",
        "ele-1",
    );
    assert_rejected(
        p,
        "no effective[x]",
        |r| {
            remove(r, "effectivePeriod");
        },
        "(root)",
        "MedicationStatement.effective[x] 1..",
    );
    assert_rejected(
        p,
        "effectiveDateTime only as _effectiveDateTime",
        |r| {
            remove(r, "effectivePeriod");
            r["_effectiveDateTime"] =
                json!({"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]});
        },
        "(root)",
        "MedicationStatement.effective[x] 1..",
    );
    assert_rejected(
        p,
        "two effective[x]",
        |r| r["effectiveDateTime"] = json!("2015-03"),
        "(root)",
        "MedicationStatement.effective[x] 1..",
    );
    assert_rejected(
        p,
        "a subject without reference",
        |r| r["subject"] = json!({"display": "Martha DeLarosa"}),
        "/subject",
        "MedicationStatement.subject.reference 1..",
    );
}

#[test]
fn medication_request_eu_mpd_rejects_broken_copies() {
    let p = "MedicationRequest-eu-mpd";
    assert_rejected(
        p,
        "no requester",
        |r| {
            remove(r, "requester");
        },
        "(root)",
        "\"requester\" is a required property",
    );
    assert_rejected(
        p,
        "an empty requester",
        |r| r["requester"] = json!({"id": "x"}),
        "/requester",
        "ele-1",
    );
    assert_rejected(
        p,
        "no authoredOn",
        |r| {
            remove(r, "authoredOn");
        },
        "(root)",
        "\"authoredOn\" is a required property",
    );
    assert_rejected(
        p,
        "authoredOn only as _authoredOn",
        |r| only_extension(r, "authoredOn"),
        "(root)",
        "\"authoredOn\" is a required property",
    );
    assert_rejected(
        p,
        "no medication[x]",
        |r| {
            remove(r, "medicationCodeableConcept");
        },
        "(root)",
        "MedicationRequest.medication[x] 1..1",
    );
    for (url, slice) in [
        (OFF_LABEL, "offLabelUse"),
        (EFFECTIVE_DOSE_PERIOD, "effectiveDosePeriod"),
        (REQUEST_RENDERED_DOSAGE, "renderedDosageInstruction"),
    ] {
        assert_rejected(
            p,
            &format!("two {slice} extensions"),
            |r| r["extension"] = json!([{"url": url}, {"url": url}]),
            "/extension",
            &format!("MedicationRequest.extension:{slice} 0..1"),
        );
    }
    assert_rejected(
        p,
        "an effectiveDosePeriod with a string",
        |r| r["extension"] = json!([{"url": EFFECTIVE_DOSE_PERIOD, "valueString": "a week"}]),
        "/extension/0",
        "valuePeriod",
    );
    assert_rejected(
        p,
        "a rendered dosage instruction with a string",
        |r| r["extension"] = json!([{"url": REQUEST_RENDERED_DOSAGE, "valueString": "1 daily"}]),
        "/extension/0",
        "valueMarkdown",
    );
    assert_rejected(
        p,
        "two prescribed quantities",
        |r| {
            r["dispenseRequest"]["extension"] = json!([
                {"url": PRESCRIBED_QUANTITY, "valueQuantity": {"value": 1}},
                {"url": PRESCRIBED_QUANTITY, "valueQuantity": {"value": 2}}
            ])
        },
        "/dispenseRequest/extension",
        "MedicationRequest.dispenseRequest.extension:prescribedQuantity 0..1",
    );
    assert_accepted(p, "one of each extension", |r| {
        r["extension"] = json!([
            {"url": EFFECTIVE_DOSE_PERIOD, "valuePeriod": {"start": "2024-10-15", "end": "2025-10-14"}},
            {"url": REQUEST_RENDERED_DOSAGE, "valueMarkdown": "1 tablett daglig"}
        ]);
        r["dispenseRequest"]["extension"] =
            json!([{"url": PRESCRIBED_QUANTITY, "valueQuantity": {"value": 3, "unit": "pakning"}}]);
    });
}

#[test]
fn medication_dispense_eu_mpd_rejects_broken_copies() {
    let p = "MedicationDispense-eu-mpd";
    assert_rejected(
        p,
        "no quantity",
        |r| {
            remove(r, "quantity");
        },
        "(root)",
        "\"quantity\" is a required property",
    );
    assert_rejected(
        p,
        "an empty quantity",
        |r| r["quantity"] = json!({}),
        "/quantity",
        "ele-1",
    );
    assert_rejected(
        p,
        "no extension at all",
        |r| {
            remove(r, "extension");
        },
        "(root)",
        "\"extension\" is a required property",
    );
    assert_rejected(
        p,
        "another extension instead of recorded",
        |r| r["extension"][0] = json!({"url": DISPENSE_RENDERED_DOSAGE, "valueMarkdown": "1 drop"}),
        "/extension",
        "MedicationDispense.extension:recorded 1..1",
    );
    assert_rejected(
        p,
        "two recorded extensions",
        |r| {
            let twin = r["extension"][0].clone();
            r["extension"].as_array_mut().unwrap().push(twin);
        },
        "/extension",
        "MedicationDispense.extension:recorded 1..1",
    );
    assert_rejected(
        p,
        "recorded with a string",
        |r| r["extension"][0] = json!({"url": RECORDED, "valueString": "2026-06-30"}),
        "/extension/0",
        "valueDateTime",
    );
    assert_rejected(
        p,
        "recorded only as _valueDateTime",
        |r| {
            r["extension"][0] = json!({
                "url": RECORDED,
                "_valueDateTime": {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
            })
        },
        "/extension/0",
        "\"valueDateTime\" is a required property",
    );
    assert_rejected(
        p,
        "a performer without actor",
        |r| {
            r["performer"] = json!([{"function": {"text": "Dispenser"}}]);
        },
        "/performer/0",
        "\"actor\" is a required property",
    );
    assert_rejected(
        p,
        "a performer with an empty actor",
        |r| r["performer"][0]["actor"] = json!({}),
        "/performer/0/actor",
        "ele-1",
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
        "no medication[x]",
        |r| {
            remove(r, "medicationCodeableConcept");
        },
        "(root)",
        "MedicationDispense.medication[x] 1..1",
    );
    assert_rejected(
        p,
        "two medication[x]",
        |r| r["medicationReference"] = json!({"reference": "Medication/timosan"}),
        "(root)",
        "MedicationDispense.medication[x] 1..1",
    );
    assert_rejected(
        p,
        "two rendered dosage instructions",
        |r| {
            r["extension"].as_array_mut().unwrap().extend([
                json!({"url": DISPENSE_RENDERED_DOSAGE, "valueMarkdown": "1 drop"}),
                json!({"url": DISPENSE_RENDERED_DOSAGE, "valueMarkdown": "2 drops"}),
            ]);
        },
        "/extension",
        "MedicationDispense.extension:renderedDosageInstruction 0..1",
    );
    assert_accepted(p, "recorded with an extension on its value", |r| {
        r["extension"][0]["_valueDateTime"] = json!({"extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/originalText",
            "valueString": "30.06.2026"
        }]});
    });
    assert_accepted(p, "no performer", |r| {
        remove(r, "performer");
    });
}

// ------------------------------------------------------------ the IPS examples under the EPS

/// What the EPS adds to the IPS, seen on the IPS 2.0.0 package's own documents given the EPS
/// claims: the minimal document lacks the two sections the EPS requires and nothing else, and
/// the document with every section fails only at its Consent entry: eps-bundle-subject-ref
/// asks every Consent entry for `subject.reference`, which an R4 Consent does not have (it has
/// `patient`), so that as the FSH states it no EPS document can hold a Consent.
#[test]
fn ips_example_documents_under_the_eps_claims() {
    let eps_errors = |file: &str| {
        let mut doc = example(file);
        add_claim(&mut doc, EPS_BUNDLE);
        add_claim(&mut doc["entry"][0]["resource"], EPS_COMPOSITION);
        validate(&doc).err().unwrap_or_default()
    };
    let errors = eps_errors("Bundle-bundle-minimal.json");
    assert_eq!(errors.len(), 2, "{}", show(&errors));
    for (error, slice) in errors
        .iter()
        .zip(["sectionProceduresHx", "sectionMedicalDevices"])
    {
        assert!(
            error.starts_with("/entry/0/resource/section: ")
                && error.contains(&format!("Composition.section:{slice} 1..1")),
            "{}",
            show(&errors)
        );
    }

    let all_sections = example("Bundle-bundle-ips-all-sections.json");
    let consent = entry_of(&all_sections, "Consent");
    let errors = eps_errors("Bundle-bundle-ips-all-sections.json");
    assert!(!errors.is_empty());
    for error in &errors {
        assert!(
            error.starts_with(&format!("/entry/{consent}/resource: "))
                && error.contains("eps-bundle-subject-ref")
                && error.contains("(bundle-eu-eps at "),
            "{}",
            show(&errors)
        );
    }
    let mut without_consent = all_sections.clone();
    without_consent["entry"]
        .as_array_mut()
        .unwrap()
        .remove(consent);
    add_claim(&mut without_consent, EPS_BUNDLE);
    assert!(
        validate_profile("bundle-eu-eps", &without_consent).is_ok(),
        "the rest of the all-sections document meets bundle-eu-eps"
    );
}

// ----------------------------------------------------------------- against the FSH sources

/// Removes FSH comments: `//` to the end of the line and `/* ... */`, where they start a token
/// (FSH reads `http://...` as one token), outside strings. A backslash outside a string escapes
/// the next character (`\"`, `\,` and `\)` in rule set arguments). Line breaks inside strings
/// become spaces, so that every rule is on one line (a `contains` list or the arguments of an
/// `insert` may still span lines).
fn strip_fsh_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let token_start = i == 0 || chars[i - 1].is_whitespace();
        if c == '\\' && next.is_some_and(|n| n != '\n') {
            out.push(c);
            out.extend(next);
            i += 2;
        } else if in_string {
            if c == '"' {
                in_string = false;
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

/// The FSH sources of one guide under `tests/fixtures/hl7/`.
struct Guide {
    dir: &'static str,
    /// The files its profiles are read from, relative to `dir`.
    profiles: &'static [&'static str],
    /// The files of its aliases, rule sets and invariants.
    support: &'static [&'static str],
}

const EPS_GUIDE: Guide = Guide {
    dir: EPS_FSH_DIR,
    profiles: &[
        "input/fsh/profiles/bundle-eu-eps.fsh",
        "input/fsh/profiles/composition-eu-eps.fsh",
        "input/fsh/profiles/patient-eps.fsh",
        "input/fsh/profiles/medicationStatement-eps.fsh",
    ],
    support: &[
        "input/fsh/alias-extensions.fsh",
        "input/fsh/alias-ig.fsh",
        "input/fsh/alias-systems.fsh",
        "input/fsh/rulesSet/rulesSet-common.fsh",
        "input/fsh/invariants/ips-pat-1.fsh",
    ],
};

const MPD_GUIDE: Guide = Guide {
    dir: MPD_FSH_DIR,
    profiles: &[
        "input/fsh/profiles/medicationRequest.fsh",
        "input/fsh/profiles/medicationDispense.fsh",
        "input/fsh/profiles/dosage.fsh",
    ],
    support: &["input/fsh/alias-extensions.fsh", "input/fsh/alias.fsh"],
};

impl Guide {
    fn read(&self, relative: &str) -> String {
        let path = format!("{}/{relative}", self.dir);
        strip_fsh_comments(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}")),
        )
    }

    fn texts(&self) -> Vec<String> {
        self.profiles
            .iter()
            .chain(self.support)
            .map(|f| self.read(f))
            .collect()
    }

    fn setting(&self, key: &str) -> String {
        let config = std::fs::read_to_string(format!("{}/sushi-config.yaml", self.dir))
            .expect("sushi-config.yaml");
        config
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key}:")))
            .map(|v| v.split(" #").next().unwrap_or(v).trim().to_owned())
            .unwrap_or_else(|| panic!("no {key} in sushi-config.yaml"))
    }

    /// `Alias: $x = url` of all its files, without a `|version`.
    fn aliases(&self) -> BTreeMap<String, String> {
        self.texts()
            .iter()
            .flat_map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())
            .filter_map(|line| {
                let (name, url) = line.strip_prefix("Alias:")?.split_once('=')?;
                let url = url.trim();
                Some((
                    name.trim().to_owned(),
                    url.split_once('|').map_or(url, |(u, _)| u).to_owned(),
                ))
            })
            .collect()
    }

    fn rule_sets(&self) -> BTreeMap<String, RuleSet> {
        let mut sets = BTreeMap::new();
        for text in self.texts() {
            for (header, body) in fsh_items(&text) {
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

    /// The FHIRPath expression of each `Invariant:`, whitespace collapsed.
    fn invariants(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for text in self.texts() {
            for (header, body) in fsh_items(&text) {
                let Some(key) = header.strip_prefix("Invariant:") else {
                    continue;
                };
                let expression = body
                    .iter()
                    .find_map(|line| {
                        let line = line.trim();
                        line.strip_prefix("Expression:")
                            .or_else(|| line.strip_prefix("* expression ="))
                    })
                    .unwrap_or_else(|| panic!("invariant {key} has no expression"));
                let expression = expression.trim().trim_matches('"');
                out.insert(
                    key.trim().to_owned(),
                    expression.split_whitespace().collect::<Vec<_>>().join(" "),
                );
            }
        }
        out
    }

    /// The profile with `Id: id`: its `Parent:` and its rules.
    fn profile(&self, id: &str) -> (String, Vec<(String, String)>) {
        let rule_sets = self.rule_sets();
        for file in self.profiles {
            let text = self.read(file);
            for (header, body) in fsh_items(&text) {
                if header.starts_with("Profile:") && fsh_metadata(&body, "Id") == Some(id) {
                    let parent = fsh_metadata(&body, "Parent")
                        .expect("a profile has a parent")
                        .to_owned();
                    return (parent, fsh_rules(&body, &rule_sets, ""));
                }
            }
        }
        panic!("no profile with Id {id} in {}", self.dir)
    }
}

struct RuleSet {
    params: Vec<String>,
    body: Vec<String>,
}

/// The position of the first `)` not escaped by a backslash at or after `from`.
fn closing_paren(text: &str, from: usize) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text[from..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ')' => return Some(from + i),
            _ => {}
        }
    }
    None
}

/// The lines of an item with the arguments of an `insert` that span several lines joined onto
/// the line of the `insert` (FSH ends them at the first unescaped `)`).
fn logical_lines(body: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in body {
        if open {
            let last = out.last_mut().expect("an open insert");
            last.push(' ');
            last.push_str(line.trim());
            let start = last.find('(').expect("an open insert has a (");
            open = closing_paren(last, start).is_none();
            continue;
        }
        out.push(line.clone());
        let trimmed = line.trim_start();
        if trimmed.starts_with('*')
            && let Some(at) = trimmed.find(" insert ")
            && let Some(paren) = trimmed[at..].find('(')
        {
            open = closing_paren(trimmed, at + paren).is_none();
        }
    }
    out
}

/// The arguments of a rule set call: split at unescaped commas, escapes resolved, trimmed.
fn split_args(args: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = args.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.last_mut().unwrap().extend(chars.next()),
            ',' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out.iter().map(|a| a.trim().to_owned()).collect()
}

/// The rules of an item as `(path, rest)`: indentation resolved into paths
/// (`section.title`, "1..1"), `insert`ed rule sets expanded with their arguments (also
/// `path insert R`, relative to the path), `contains` lists continued over several lines joined.
/// Rules without a path (`obeys`, `^x`) get the path of their context ("" at the top).
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
    for line in logical_lines(body) {
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
        let (first, rest) = rule.split_once(char::is_whitespace).unwrap_or((rule, ""));
        let (call, at) = if first == "insert" {
            (Some(rest.trim()), here.clone())
        } else if let Some(call) = rest.trim().strip_prefix("insert ") {
            (Some(call.trim()), join(&here, first))
        } else {
            (None, here.clone())
        };
        if let Some(call) = call {
            let (name, args) = match call.split_once('(') {
                Some((name, args)) => {
                    let end = closing_paren(args, 0).unwrap_or(args.len());
                    (name.trim(), split_args(&args[..end]))
                }
                None => (call, Vec::new()),
            };
            stack.push((indent, at.clone()));
            let Some(set) = rule_sets.get(name) else {
                continue; // obligation rule sets, defined in files the tests do not read
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
            rules.extend(fsh_rules(&body, rule_sets, &at));
            continue;
        }
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

/// Whether `facet` enforces at least `min` and at most `max` matching items.
fn enforces(facet: &Value, min: u64, max: Option<u64>) -> bool {
    let min_contains = facet
        .get("minContains")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    let max_contains = facet.get("maxContains").and_then(Value::as_u64);
    min_contains >= min && max.is_none_or(|max| max_contains.is_some_and(|m| m <= max))
}

/// Whether the `contains` of `facet` (with the root's `$defs`) accepts `instance`.
fn contains_matches(root: &Value, facet: &Value, instance: &Value) -> bool {
    let mut schema = facet["contains"].clone();
    schema["$defs"] = root["$defs"].clone();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap_or_else(|e| panic!("a contains does not compile: {e}"))
        .is_valid(instance)
}

/// The element types an `only` rule allows: `$CodeableConcept-uv-ips or Reference(X or Y)` →
/// CodeableConcept, Reference (a profile of a data type, named by alias, stands for its type).
fn only_types(rest: &str, aliases: &BTreeMap<String, String>) -> BTreeSet<String> {
    let list = rest.strip_prefix("only").expect("an only rule").trim();
    let mut types = BTreeSet::new();
    let mut depth = 0;
    let mut current = String::new();
    let mut tokens = Vec::new();
    for word in list.split_whitespace() {
        if depth == 0 && word == "or" {
            tokens.push(std::mem::take(&mut current));
            continue;
        }
        depth += word.matches('(').count() as i32 - word.matches(')').count() as i32;
        current.push_str(word);
    }
    tokens.push(current);
    for token in tokens {
        let name = token.split('(').next().unwrap_or("").trim().to_owned();
        let name = match name.strip_prefix('$') {
            Some(_) => {
                let url = aliases
                    .get(&name)
                    .unwrap_or_else(|| panic!("{name} is not an alias"));
                let last = url.rsplit('/').next().unwrap_or("");
                last.split('-').next().unwrap_or("").to_owned()
            }
            None => name,
        };
        types.insert(name);
    }
    types
}

/// `medication[x]` with types CodeableConcept and Reference → medicationCodeableConcept,
/// medicationReference.
fn variants_of(stem: &str, types: &BTreeSet<String>) -> BTreeSet<String> {
    types
        .iter()
        .map(|t| {
            let mut chars = t.chars();
            let first = chars.next().expect("a type name").to_ascii_uppercase();
            format!("{stem}{first}{}", chars.as_str())
        })
        .collect()
}

/// The R4 types of a choice element, from an IPS 2.0.0 StructureDefinition snapshot of the
/// same resource type (the IPS keeps them).
fn r4_choice_types(resource_type: &str, path: &str) -> Option<BTreeSet<String>> {
    let file = format!("{IPS_2_DIR}/StructureDefinition-{resource_type}-uv-ips.json");
    if !std::path::Path::new(&file).is_file() {
        return None;
    }
    let sd = read_json(file);
    let id = format!("{resource_type}.{path}");
    let element = sd["snapshot"]["element"]
        .as_array()?
        .iter()
        .find(|e| e["id"] == id.as_str())?;
    Some(
        element["type"]
            .as_array()?
            .iter()
            .filter_map(|t| t["code"].as_str().map(str::to_owned))
            .collect(),
    )
}

/// Removes the element at a dotted path from every item along it (`section.title` from every
/// section; `medication[x]` all its variants). Returns whether anything was removed.
fn remove_at(value: &mut Value, path: &[&str], variants: &BTreeSet<String>) -> bool {
    match value {
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| remove_at(item, path, variants) | any),
        Value::Object(map) => match path {
            [] => false,
            [last] if last.ends_with("[x]") => variants
                .iter()
                .fold(false, |any, v| map.remove(v).is_some() | any),
            [last] => map.remove(*last).is_some(),
            [first, rest @ ..] => map
                .get_mut(*first)
                .is_some_and(|child| remove_at(child, rest, variants)),
        },
        _ => false,
    }
}

/// The EU schemas follow their FSH sources. For each profile: its canonical URL is the guide's
/// `canonical` + `/StructureDefinition/` + its `Id` and its version the guide's; every
/// cardinality rule (its own and those of the rule sets it inserts) with min ≥ 1 is `required`
/// (with `minItems` for a list, a `oneOf` over the allowed types for a choice element) and is
/// rejected when removed from a conformant sample, every `..0` is a forbidden element; every
/// slice (`contains`) whose cardinality is not 0..* is a `contains` with
/// `minContains`/`maxContains`, pinned to the extension's url or to the section's LOINC code;
/// every invariant it `obeys` is described by a rule at that element, and its expression is the
/// one the schema was written from; every `only` on a choice element is the set of variants of
/// its `oneOf`; every imposed IPS profile is one the validator applies by type; the Dosage
/// profile the MPD profiles use adds no rule.
#[test]
fn eps_and_mpd_schemas_follow_the_fsh_sources() {
    // The expressions the schemas encode; a change of the source must be looked at.
    let known_expressions: BTreeMap<&str, &str> = BTreeMap::from([
        (
            "ips-comp-1",
            "(entry.reference.exists() or emptyReason.exists())",
        ),
        (
            "ips-pat-1",
            "family.exists() or given.exists() or text.exists()",
        ),
    ]);
    let mut checked = BTreeSet::new();
    let mut missing = Vec::new();
    for (guide, profiles) in [
        (&EPS_GUIDE, &EPS_PROFILES[..]),
        (&MPD_GUIDE, &MPD_PROFILES[..]),
    ] {
        let canonical = guide.setting("canonical");
        let version = guide.setting("version");
        let aliases = guide.aliases();
        let invariants = guide.invariants();
        for &profile in profiles {
            let (_parent, rules) = guide.profile(profile);
            let url = format!("{canonical}/StructureDefinition/{profile}");
            assert_eq!(claimed(profile).url, url);
            let root = profile_schema(profile);
            assert_eq!(root["x-structure-definition"]["url"], url.as_str());
            assert_eq!(root["x-structure-definition"]["version"], version.as_str());
            let resource_type = claimed(profile).resource_type;
            let sample = sample_for(profile);

            for (path, rest) in &rules {
                let label = format!("{profile}: {path} {rest}");
                let segments: Vec<&str> = if path.is_empty() {
                    Vec::new()
                } else {
                    path.split('.').collect()
                };

                // Cardinality rules.
                if let Some((min, max)) = cardinality(rest) {
                    if path.contains('[') && !path.ends_with("[x]") {
                        continue; // a slice, defined with its `contains` rule
                    }
                    if min == 0 && max != Some(0) {
                        continue;
                    }
                    checked.insert(label.clone());
                    let (last, parents) = segments.split_last().expect("an element path");
                    let Some(parent) = node_at(root, parents) else {
                        missing.push(format!("{label} (no schema for its parent)"));
                        continue;
                    };
                    let mut variants = BTreeSet::new();
                    if min >= 1 {
                        let ok = if let Some(stem) = last.strip_suffix("[x]") {
                            let types = rules
                                .iter()
                                .find(|(p, r)| p == path && r.starts_with("only "))
                                .map(|(_, r)| only_types(r, &aliases))
                                .or_else(|| r4_choice_types(resource_type, path))
                                .unwrap_or_else(|| panic!("{label}: no types for {path}"));
                            variants = variants_of(stem, &types);
                            requires_exactly_one_of(root, parent, &variants)
                        } else {
                            let list = facets(root, parent)
                                .into_iter()
                                .find_map(|f| f.get("properties")?.get(*last));
                            requires(root, parent, last)
                                && list
                                    .filter(|l| l.get("type") == Some(&json!("array")))
                                    .is_none_or(|l| {
                                        l.get("minItems").and_then(Value::as_u64) >= Some(min)
                                    })
                        };
                        if !ok {
                            missing.push(label.clone());
                        }
                        // By behaviour: without it, the sample is rejected.
                        let mut without = sample.clone();
                        assert!(
                            remove_at(&mut without, &segments, &variants),
                            "{label}: the sample has no {path}"
                        );
                        if validate_profile(profile, &without).is_ok() {
                            missing.push(format!("{label} (accepted without it)"));
                        }
                    }
                    if max == Some(0) {
                        let forbidden = facets(root, parent)
                            .into_iter()
                            .filter_map(|f| f.get("properties")?.get(*last))
                            .any(|s| s.get("not") == Some(&json!({})));
                        if !forbidden {
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
                        let found = contains_facets(root, parent, last);
                        let ok = match words.as_slice() {
                            [target, "named", name, card] => {
                                let url = aliases.get(*target).unwrap_or_else(|| {
                                    panic!("{label}: {target} is not an alias of the guide")
                                });
                                checked.insert(format!("{profile}: {path}:{name} {card} {url}"));
                                found.iter().any(|f| {
                                    contains_url(root, f) == Some(url.as_str())
                                        && enforces(f, min, max)
                                })
                            }
                            [name, card] => {
                                let rule = format!("{resource_type}.{path}:{name} {card}");
                                checked.insert(format!("{profile}: {path}:{name} {card}"));
                                found.iter().any(|f| {
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

                // A slice told apart by a pattern on its code: `section[x].code = system#code`.
                if let Some((slice_path, child)) = path.rsplit_once("].")
                    && let Some(pattern) = rest.strip_prefix("= ")
                {
                    let (sliced, slice) = slice_path.split_once('[').expect("a slice");
                    let (system, code) = pattern
                        .trim()
                        .split_once('#')
                        .unwrap_or_else(|| panic!("{label}: not a code"));
                    let system = aliases.get(system).map_or(system, String::as_str);
                    checked.insert(format!(
                        "{profile}: {sliced}[{slice}].{child} = {system}#{code}"
                    ));
                    let member =
                        json!({child: {"coding": [{"system": system, "code": code.trim()}]}});
                    let described = format!("{resource_type}.{sliced}:{slice} ");
                    let sliced_segments: Vec<&str> = sliced.split('.').collect();
                    let (last, parents) = sliced_segments.split_last().unwrap();
                    let ok = node_at(root, parents).is_some_and(|parent| {
                        contains_facets(root, parent, last).iter().any(|f| {
                            f.get("description")
                                .and_then(Value::as_str)
                                .is_some_and(|d| d.starts_with(&described))
                                && contains_matches(root, f, &member)
                                && !contains_matches(root, f, &json!({}))
                        })
                    });
                    if !ok {
                        missing.push(label.clone());
                    }
                    continue;
                }

                // Invariants.
                if let Some(key) = rest.strip_prefix("obeys ") {
                    let key = key.trim();
                    checked.insert(format!("{profile}: {path} obeys {key}"));
                    let Some(node) = node_at(root, &segments) else {
                        missing.push(format!("{label} (no schema for {path})"));
                        continue;
                    };
                    let mut at_element = Vec::new();
                    descriptions(node, &mut at_element);
                    if !at_element.iter().any(|d| d.starts_with(key)) {
                        missing.push(label.clone());
                    }
                    let expression = invariants
                        .get(key)
                        .unwrap_or_else(|| panic!("{label}: no Invariant: {key}"));
                    match known_expressions.get(key) {
                        Some(known) => {
                            if expression != known {
                                missing
                                    .push(format!("{label}: the expression is now {expression:?}"));
                            }
                        }
                        None => {
                            if let Some(problem) = bundle_invariant_problem(root, key, expression) {
                                missing.push(format!("{label}: {problem}"));
                            }
                        }
                    }
                    continue;
                }

                // The types of a choice element.
                if let Some(stem) = path.strip_suffix("[x]")
                    && rest.starts_with("only ")
                {
                    let types = only_types(rest, &aliases);
                    let variants = variants_of(stem.rsplit('.').next().unwrap(), &types);
                    checked.insert(format!(
                        "{profile}: {path} only {}",
                        types.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                    let parent = node_at(root, &segments[..segments.len() - 1]);
                    if !parent.is_some_and(|p| requires_exactly_one_of(root, p, &variants)) {
                        missing.push(label.clone());
                    }
                    continue;
                }

                // Imposed profiles.
                if let Some(assignment) = rest.strip_prefix(
                    "^extension[http://hl7.org/fhir/StructureDefinition/structuredefinition-imposeProfile]",
                ) {
                    let target = assignment.rsplit('=').next().unwrap().trim();
                    let target = aliases.get(target).map_or(target, String::as_str);
                    checked.insert(format!("{profile}: imposes {target}"));
                    let by_type = IpsVersion::DEFAULT
                        .profile_for(resource_type)
                        .map(|p| format!("{IPS_STRUCTURE_DEFINITION}{p}"));
                    if by_type.as_deref() != Some(target) {
                        missing.push(format!(
                            "{label}: {target} is not the by-type profile of {resource_type}"
                        ));
                    }
                    continue;
                }

                // A Dosage profile: the one the MPD profiles use adds obligations only.
                if rest == "only DosageEuMpd" {
                    checked.insert(format!("{profile}: {path} only DosageEuMpd"));
                    let (parent, dosage_rules) = MPD_GUIDE.profile("Dosage-eu-mpd");
                    assert_eq!(parent, "Dosage");
                    for (p, r) in dosage_rules {
                        if cardinality(&r).is_some()
                            || r.starts_with("obeys")
                            || r.starts_with("contains")
                            || r.starts_with("only")
                            || r.starts_with("= ")
                            || r.starts_with("from")
                        {
                            missing.push(format!("Dosage-eu-mpd: {p} {r} (not encoded)"));
                        }
                    }
                }
            }
        }
    }
    // What the rules above must have found; if the FSH reader stopped finding them, this test
    // would check less.
    for expected in [
        "bundle-eu-eps: entry.fullUrl 1..",
        "bundle-eu-eps: entry.search ..0",
        "bundle-eu-eps: entry.request ..0",
        "bundle-eu-eps: entry.response ..0",
        "bundle-eu-eps: entry.resource 1..",
        "bundle-eu-eps: entry:composition 1..1",
        "bundle-eu-eps: entry:patient 1..1",
        "bundle-eu-eps:  obeys eps-bundle-patient-ref",
        "bundle-eu-eps:  obeys eps-bundle-subject-ref",
        "bundle-eu-eps:  obeys eps-bundle-resource-code",
        "bundle-eu-eps: imposes http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips",
        "composition-eu-eps: subject 1..1",
        "composition-eu-eps: subject.reference 1..1",
        "composition-eu-eps: section.title 1..1",
        "composition-eu-eps: section.code 1..1",
        "composition-eu-eps: section.text 1..",
        "composition-eu-eps: section.section ..0",
        "composition-eu-eps: section obeys ips-comp-1",
        "composition-eu-eps: extension:version 0..1 http://hl7.org/fhir/5.0/StructureDefinition/extension-Composition.version",
        "composition-eu-eps: section:sectionProblems 1..1",
        "composition-eu-eps: section:sectionAllergies 1..1",
        "composition-eu-eps: section:sectionMedications 1..1",
        "composition-eu-eps: section:sectionProceduresHx 1..1",
        "composition-eu-eps: section:sectionMedicalDevices 1..1",
        "composition-eu-eps: section:sectionImmunizations 0..1",
        "composition-eu-eps: section:sectionPatientHx 0..1",
        "composition-eu-eps: section[sectionProceduresHx].code = http://loinc.org#47519-4",
        "composition-eu-eps: section[sectionMedicalDevices].code = http://loinc.org#46264-8",
        "composition-eu-eps: section[sectionAdvanceDirectives].code = http://loinc.org#42348-3",
        "composition-eu-eps: section[sectionTravelHx].code = http://loinc.org#10182-4",
        "composition-eu-eps: imposes http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips",
        "patient-eu-eps: name obeys ips-pat-1",
        "patient-eu-eps: imposes http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips",
        "MedicationStatement-eu-eps: medication[x] 1..",
        "MedicationStatement-eu-eps: medication[x] only CodeableConcept, Reference",
        "MedicationStatement-eu-eps: subject.reference 1..",
        "MedicationStatement-eu-eps: effective[x] 1..",
        "MedicationStatement-eu-eps: imposes http://hl7.org/fhir/uv/ips/StructureDefinition/MedicationStatement-uv-ips",
        "MedicationRequest-eu-mpd: authoredOn 1..",
        "MedicationRequest-eu-mpd: requester 1..",
        "MedicationRequest-eu-mpd: medication[x] only CodeableConcept, Reference",
        "MedicationRequest-eu-mpd: dosageInstruction only DosageEuMpd",
        "MedicationRequest-eu-mpd: extension:offLabelUse 0..1 https://profiles.ihe.net/PHARM/MPD/StructureDefinition/ihe-ext-offLabel",
        "MedicationRequest-eu-mpd: extension:effectiveDosePeriod 0..1 http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationRequest.effectiveDosePeriod",
        "MedicationRequest-eu-mpd: extension:renderedDosageInstruction 0..1 http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationRequest.renderedDosageInstruction",
        "MedicationRequest-eu-mpd: dispenseRequest.extension:prescribedQuantity 0..1 https://profiles.ihe.net/PHARM/MPD/StructureDefinition/ihe-ext-medicationrequest-prescribedQuantity",
        "MedicationDispense-eu-mpd: performer.actor 1..1",
        "MedicationDispense-eu-mpd: quantity 1..1",
        "MedicationDispense-eu-mpd: extension:recorded 1..1 http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationDispense.recorded",
        "MedicationDispense-eu-mpd: extension:renderedDosageInstruction 0..1 http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationDispense.renderedDosageInstruction",
        "MedicationDispense-eu-mpd: dosageInstruction only DosageEuMpd",
    ] {
        assert!(
            checked.contains(expected),
            "not found in the FSH: {expected}; checked:{}",
            show(&checked.iter().cloned().collect::<Vec<_>>())
        );
    }
    // The seventeen section slices, each with its code.
    assert_eq!(
        checked
            .iter()
            .filter(|c| c.starts_with("composition-eu-eps: section[") && c.contains("].code = "))
            .count(),
        17
    );
    assert!(
        missing.is_empty(),
        "FSH rules the schemas do not enforce:{}",
        show(&missing)
    );
}

/// For the Bundle invariants of the form `entry.where(<types>).empty() or
/// entry.where(<types>).all(resource.<a>.<b>.exists())`: the schema's rule described with the
/// key applies to entries whose resource is of exactly those types and requires exactly that
/// path. `None` if it does; what differs otherwise.
fn bundle_invariant_problem(root: &Value, key: &str, expression: &str) -> Option<String> {
    let (first, second) = expression.split_once(".empty() or ")?;
    let types = |text: &str| -> BTreeSet<String> {
        text.match_indices("resource.is(")
            .map(|(i, m)| {
                let rest = &text[i + m.len()..];
                rest[..rest.find(')').unwrap()].trim().to_owned()
            })
            .collect()
    };
    let fsh_types = types(first);
    if types(second) != fsh_types {
        return Some("its two lists of types differ".to_owned());
    }
    let required = second
        .rsplit_once(".all(")?
        .1
        .strip_suffix(".exists())")?
        .split('.')
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let items = &root["properties"]["entry"]["items"];
    let Some(rule) = items["allOf"].as_array().and_then(|rules| {
        rules.iter().find(|r| {
            r["description"]
                .as_str()
                .is_some_and(|d| d.starts_with(key))
        })
    }) else {
        return Some("no rule on Bundle.entry describes it".to_owned());
    };
    let on = &rule["if"]["properties"]["resource"]["properties"]["resourceType"];
    let schema_types: BTreeSet<String> = match (on.get("const"), on.get("enum")) {
        (Some(c), _) => c.as_str().into_iter().map(str::to_owned).collect(),
        (_, Some(Value::Array(e))) => e
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => BTreeSet::new(),
    };
    if schema_types != fsh_types {
        return Some(format!(
            "the schema applies it to {schema_types:?}, the FSH to {fsh_types:?}"
        ));
    }
    let mut node = &rule["then"];
    for name in &required {
        let holds = node["properties"][name.as_str()].is_object()
            && (name == "resource"
                || node["required"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|n| n == name.as_str())));
        if !holds {
            return Some(format!(
                "the schema does not require {}",
                required.join(".")
            ));
        }
        node = &node["properties"][name.as_str()];
    }
    None
}

// --------------------------------------------------------------------------- the claims table

/// The EU rows of the table of profiles applied on a claim: each names its schema, whose
/// `x-structure-definition` is the canonical URL claimed, whose `resourceType` is the row's and
/// whose file is where the row says; a resource of that type that claims it gets it beside the
/// IPS profile of its type, if any.
#[test]
fn eu_claimed_profiles_table_matches_the_schemas() {
    let eu: Vec<&ClaimedProfile> = CLAIMED_PROFILES
        .iter()
        .filter(|p| p.dir == "eps" || p.dir == "mpd")
        .collect();
    let mut names: Vec<&str> = eu.iter().map(|p| p.name).collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = EPS_PROFILES.into_iter().chain(MPD_PROFILES).collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for (profile, url) in [
        ("bundle-eu-eps", EPS_BUNDLE),
        ("composition-eu-eps", EPS_COMPOSITION),
        ("patient-eu-eps", EPS_PATIENT),
        ("MedicationStatement-eu-eps", EPS_MEDICATION_STATEMENT),
        ("MedicationRequest-eu-mpd", MPD_MEDICATION_REQUEST),
        ("MedicationDispense-eu-mpd", MPD_MEDICATION_DISPENSE),
    ] {
        assert_eq!(claimed(profile).url, url);
    }
    for profile in eu {
        let schema = profile_schema(profile.name);
        assert_eq!(schema["x-structure-definition"]["url"], profile.url);
        assert_eq!(
            schema["properties"]["resourceType"]["const"],
            profile.resource_type
        );
        assert!(
            profile_schema_file(profile.name).is_file(),
            "{}",
            profile.name
        );
        assert!(
            profile_schema_file(profile.name)
                .ends_with(format!("{}/{}.schema.json", profile.dir, profile.name))
        );
        let mut resource = json!({"resourceType": profile.resource_type, "id": "x"});
        if profile.resource_type == "Bundle" {
            resource["type"] = json!("document");
        }
        add_claim(&mut resource, profile.url);
        let by_type = profile_of(&resource);
        assert_eq!(
            profiles_applied(&resource),
            by_type
                .into_iter()
                .chain([profile.name])
                .collect::<Vec<_>>()
        );
    }
    // The profiles imposed on entries are applied-on-claim profiles of their type.
    for imposed in ENTRY_PROFILES {
        assert_eq!(claimed(imposed.name).resource_type, imposed.resource_type);
        assert_eq!(imposed.bundle, EPS_BUNDLE);
    }
}
