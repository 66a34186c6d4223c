//! The document builder on people of the embedded data set, mapped as the gateway maps them.

use std::collections::BTreeSet;

use serde_json::Value;
use time::macros::datetime;

use super::*;
use crate::mapping::{self, MappedRecords};
use crate::national_id::Country;
use crate::portal::PersonRecords;
use crate::portal::model::CountryDataSet;

const BASE: &str = "https://gw.example/fhir";
const DOCUMENT_ID: &str = "0b5a3a4e-3f65-4d0e-9d5c-2a8f6c1e7b10";

/// The Patient and mapped records of one person of the Norwegian data set.
fn person(key: &str) -> (Patient, MappedRecords) {
    let data: CountryDataSet =
        serde_json::from_str(include_str!("../../portal/embedded/no.json")).unwrap();
    let person = data.persons.iter().find(|p| p.key == key).unwrap();
    let records = PersonRecords {
        prescriptions: data
            .prescriptions
            .iter()
            .filter(|r| r.person == key)
            .cloned()
            .collect(),
        vaccinations: data
            .vaccinations
            .iter()
            .filter(|r| r.person == key)
            .cloned()
            .collect(),
        allergies: data
            .allergies
            .iter()
            .filter(|r| r.person == key)
            .cloned()
            .collect(),
        conditions: data
            .conditions
            .iter()
            .filter(|r| r.person == key)
            .cloned()
            .collect(),
        lab_reports: data
            .lab_reports
            .iter()
            .filter(|r| r.person == key)
            .cloned()
            .collect(),
    };
    (
        mapping::patient(Country::No, person),
        mapping::records(Country::No, person, &records),
    )
}

fn shown<'a>(patient: &'a Patient, records: &'a MappedRecords) -> PatientData<'a> {
    PatientData {
        patient,
        conditions: Some(&records.conditions),
        allergy_intolerances: Some(&records.allergy_intolerances),
        medication_requests: Some(&records.medication_requests),
        immunizations: Some(&records.immunizations),
        diagnostic_reports: Some(&records.diagnostic_reports),
        observations: Some(&records.observations),
    }
}

/// An IPS 2.0 document, the default.
fn build(data: &PatientData<'_>) -> Value {
    build_as(data, SummaryProfile::Ips2_0)
}

fn build_as(data: &PatientData<'_>, profile: SummaryProfile) -> Value {
    let bundle = summary(
        data,
        &DocumentContext {
            fhir_base: BASE,
            timestamp: datetime!(2026-11-23 10:00:00 UTC),
            document_id: DOCUMENT_ID,
            software_version: "0.1.0",
            profile,
        },
    );
    serde_json::to_value(Resource::Bundle(bundle)).unwrap()
}

fn entries(doc: &Value) -> &Vec<Value> {
    doc["entry"].as_array().unwrap()
}

fn composition(doc: &Value) -> &Value {
    &doc["entry"][0]["resource"]
}

fn section<'a>(doc: &'a Value, loinc: &str) -> Option<&'a Value> {
    composition(doc)["section"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == loinc)
}

/// The resource an entry reference points to, found by fullUrl.
fn resolve<'a>(doc: &'a Value, reference: &Value) -> &'a Value {
    let url = reference["reference"].as_str().unwrap();
    &entries(doc)
        .iter()
        .find(|e| e["fullUrl"] == url)
        .unwrap_or_else(|| panic!("{url} is not an entry of the document"))["resource"]
}

#[test]
fn the_document_is_a_bundle_with_the_composition_first_and_one_patient() {
    let (patient, records) = person("p-no-008");
    let doc = build(&shown(&patient, &records));
    assert_eq!(doc["type"], "document");
    assert_eq!(doc["timestamp"], "2026-11-23T10:00:00Z");
    assert_eq!(doc["identifier"]["system"], "urn:ietf:rfc:3986");
    assert_eq!(
        doc["identifier"]["value"],
        format!("urn:uuid:{DOCUMENT_ID}")
    );
    assert_eq!(doc["meta"]["profile"][0], IPS_BUNDLE);
    assert!(doc.get("total").is_none() && doc.get("link").is_none());
    let c = composition(&doc);
    assert_eq!(c["resourceType"], "Composition");
    assert_eq!(c["meta"]["profile"][0], IPS_COMPOSITION);
    assert_eq!(c["type"]["coding"][0]["system"], LOINC);
    assert_eq!(c["type"]["coding"][0]["code"], PATIENT_SUMMARY);
    assert_eq!(c["status"], "final");
    assert_eq!(c["confidentiality"], "N");
    assert_eq!(c["date"], doc["timestamp"]);
    let types: Vec<&str> = entries(&doc)
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(types.iter().filter(|t| **t == "Composition").count(), 1);
    assert_eq!(types.iter().filter(|t| **t == "Patient").count(), 1);
    // Full URLs are unique, and every reference of the Composition resolves to an entry.
    let urls: BTreeSet<&str> = entries(&doc)
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), entries(&doc).len());
    assert_eq!(resolve(&doc, &c["subject"])["id"], "no.p-no-008");
    assert_eq!(resolve(&doc, &c["author"][0])["resourceType"], "Device");
    for s in c["section"].as_array().unwrap() {
        assert!(s["title"].is_string() && s["text"]["div"].is_string());
        for e in s["entry"].as_array().unwrap() {
            resolve(&doc, e);
        }
    }
    // Served resources are under their RESTful URL; the others under urn:uuid.
    for e in entries(&doc) {
        let url = e["fullUrl"].as_str().unwrap();
        let r = &e["resource"];
        match r["resourceType"].as_str().unwrap() {
            "Composition" | "Device" | "MedicationStatement" => {
                assert_eq!(url, format!("urn:uuid:{}", r["id"].as_str().unwrap()));
            }
            t => assert_eq!(url, format!("{BASE}/{t}/{}", r["id"].as_str().unwrap())),
        }
    }
}

#[test]
fn medications_are_statements_of_the_current_prescriptions_with_their_codes() {
    let (patient, records) = person("p-no-008");
    let doc = build(&shown(&patient, &records));
    let current: Vec<&MedicationRequest> = records
        .medication_requests
        .iter()
        .filter(|r| r.status == "active" || r.status == "on-hold")
        .collect();
    assert!(current.len() < records.medication_requests.len());
    let meds = section(&doc, "10160-0").unwrap();
    let listed = meds["entry"].as_array().unwrap();
    assert_eq!(listed.len(), current.len());
    for (reference, request) in listed.iter().zip(&current) {
        let statement = resolve(&doc, reference);
        assert_eq!(statement["resourceType"], "MedicationStatement");
        assert_eq!(
            statement["medicationCodeableConcept"],
            serde_json::to_value(&request.medication_codeable_concept).unwrap(),
            "ATC and national product code kept"
        );
        assert_eq!(
            statement["subject"]["reference"],
            format!("{BASE}/Patient/no.p-no-008")
        );
    }
}

#[test]
fn resolved_conditions_are_past_illness_and_current_ones_problems() {
    let (patient, mut records) = person("p-no-008");
    let mut resolved = records.conditions[0].clone();
    resolved.id = "no.p-no-008.cd-resolved".into();
    resolved.clinical_status = Some(CodeableConcept::coded(
        systems::CONDITION_CLINICAL,
        "resolved",
        "Resolved",
    ));
    resolved.abatement_date_time = Some("2020-01-01".into());
    records.conditions.push(resolved);
    let doc = build(&shown(&patient, &records));
    let problems: Vec<&Value> = section(&doc, "11450-4").unwrap()["entry"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let past = section(&doc, "11348-0").expect("a past illness section");
    assert!(
        past["entry"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| resolve(&doc, e)["id"] == "no.p-no-008.cd-resolved")
    );
    assert!(
        problems
            .iter()
            .all(|e| resolve(&doc, e)["id"] != "no.p-no-008.cd-resolved")
    );
}

#[test]
fn a_person_with_nothing_gets_unavailable_sections_in_ips_2_and_no_immunization_section() {
    let (patient, records) = person("p-no-011");
    assert!(records.conditions.is_empty() && records.medication_requests.is_empty());
    let doc = build(&shown(&patient, &records));
    for loinc in ["11450-4", "48765-2", "10160-0"] {
        let s = section(&doc, loinc).unwrap();
        assert_eq!(s["emptyReason"]["coding"][0]["system"], LIST_EMPTY_REASON);
        assert_eq!(s["emptyReason"]["coding"][0]["code"], "unavailable");
        assert!(s.get("entry").is_none(), "{loinc}");
        assert!(
            s["text"]["div"]
                .as_str()
                .unwrap()
                .contains("No information about")
        );
    }
    // Nothing but the Composition, the Patient and the author.
    let types: Vec<&str> = entries(&doc)
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Composition", "Patient", "Device"]);
    assert!(section(&doc, "11369-6").is_none());
    assert!(section(&doc, "11348-0").is_none());
    assert!(section(&doc, "104605-1").is_none());
    assert_eq!(doc["meta"]["profile"][0], IPS_BUNDLE);
    assert_eq!(composition(&doc)["meta"]["profile"][0], IPS_COMPOSITION);
}

#[test]
fn in_ips_1_1_a_person_with_nothing_gets_the_no_information_resources() {
    let (patient, records) = person("p-no-011");
    let doc = build_as(&shown(&patient, &records), SummaryProfile::Ips1_1);
    for (loinc, code) in [
        ("11450-4", "no-problem-info"),
        ("48765-2", "no-allergy-info"),
        ("10160-0", "no-medication-info"),
    ] {
        let s = section(&doc, loinc).unwrap();
        assert!(s.get("emptyReason").is_none());
        let listed = s["entry"].as_array().unwrap();
        assert_eq!(listed.len(), 1, "{loinc}");
        let resource = resolve(&doc, &listed[0]);
        let coding = if resource["resourceType"] == "MedicationStatement" {
            &resource["medicationCodeableConcept"]["coding"][0]
        } else {
            &resource["code"]["coding"][0]
        };
        assert_eq!(coding["system"], ABSENT_UNKNOWN);
        assert_eq!(coding["code"], code);
    }
    assert_eq!(doc["meta"]["profile"][0], format!("{IPS_BUNDLE}|1.1.0"));
    assert_eq!(
        composition(&doc)["meta"]["profile"][0],
        format!("{IPS_COMPOSITION}|1.1.0")
    );
}

#[test]
fn critical_allergies_are_alerts_in_ips_2_only() {
    let (patient, records) = person("p-no-003");
    let critical: Vec<&str> = records
        .allergy_intolerances
        .iter()
        .filter(|a| a.criticality.as_deref() == Some("high"))
        .map(|a| a.id.as_str())
        .collect();
    assert!(
        !critical.is_empty(),
        "p-no-003 has a high-criticality allergy"
    );
    let doc = build(&shown(&patient, &records));
    let alerts = section(&doc, "104605-1").expect("an Alerts section");
    assert_eq!(alerts["title"], "Alerts");
    let listed = alerts["entry"].as_array().unwrap();
    assert_eq!(listed.len(), critical.len());
    for (reference, allergy_id) in listed.iter().zip(&critical) {
        let flag = resolve(&doc, reference);
        assert_eq!(flag["resourceType"], "Flag");
        assert_eq!(flag["meta"]["profile"][0], super::sections::FLAG_ALERT);
        assert_eq!(flag["status"], "active");
        let detail = flag["extension"][0]["valueReference"]["reference"]
            .as_str()
            .unwrap();
        assert_eq!(detail, format!("{BASE}/AllergyIntolerance/{allergy_id}"));
        assert_eq!(
            flag["subject"]["reference"],
            format!("{BASE}/Patient/no.p-no-003")
        );
    }
    // The allergy is in the document once, under the Allergies section.
    let full_urls: Vec<&str> = entries(&doc)
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    let distinct: BTreeSet<&&str> = full_urls.iter().collect();
    assert_eq!(distinct.len(), full_urls.len(), "no entry twice");
    let v1 = build_as(&shown(&patient, &records), SummaryProfile::Ips1_1);
    assert!(section(&v1, "104605-1").is_none());
    assert!(
        !entries(&v1)
            .iter()
            .any(|e| e["resource"]["resourceType"] == "Flag")
    );
}

#[test]
fn the_past_problems_section_is_named_by_its_edition() {
    let (patient, mut records) = person("p-no-008");
    let condition = records
        .conditions
        .first_mut()
        .expect("p-no-008 has conditions");
    condition.clinical_status = Some(crate::fhir::datatypes::CodeableConcept::coded(
        systems::CONDITION_CLINICAL,
        "resolved",
        "Resolved",
    ));
    condition.abatement_date_time = Some("2025-01-01".into());
    let v2 = build(&shown(&patient, &records));
    assert_eq!(
        section(&v2, "11348-0").unwrap()["title"],
        "History of Past Problems"
    );
    let v1 = build_as(&shown(&patient, &records), SummaryProfile::Ips1_1);
    assert_eq!(
        section(&v1, "11348-0").unwrap()["title"],
        "History of Past Illness"
    );
}

#[test]
fn types_the_caller_may_not_read_are_withheld_and_only_an_ips_1_1_document_drops_its_claims() {
    let (patient, records) = person("p-no-008");
    let data = PatientData {
        patient: &patient,
        conditions: None,
        allergy_intolerances: None,
        medication_requests: Some(&records.medication_requests),
        immunizations: None,
        diagnostic_reports: None,
        observations: None,
    };
    let doc = build(&data);
    for loinc in ["11450-4", "48765-2", "11369-6", "30954-2"] {
        let s = section(&doc, loinc).unwrap();
        assert_eq!(s["emptyReason"]["coding"][0]["system"], LIST_EMPTY_REASON);
        assert_eq!(s["emptyReason"]["coding"][0]["code"], "withheld");
        assert!(s.get("entry").is_none(), "{loinc}");
        assert!(s["text"]["div"].as_str().unwrap().contains("Withheld"));
    }
    assert!(section(&doc, "10160-0").unwrap()["entry"].is_array());
    for e in entries(&doc) {
        let t = e["resource"]["resourceType"].as_str().unwrap();
        assert!(
            !matches!(t, "Condition" | "AllergyIntolerance" | "Immunization"),
            "no {t} in a document that withholds it"
        );
    }
    // IPS 2.0 allows an emptyReason on every section: the document still conforms.
    assert_eq!(doc["meta"]["profile"][0], IPS_BUNDLE);
    assert_eq!(composition(&doc)["meta"]["profile"][0], IPS_COMPOSITION);
    // IPS 1.1.0 does not: such a document claims neither profile.
    let v1 = build_as(&data, SummaryProfile::Ips1_1);
    assert_eq!(
        section(&v1, "11450-4").unwrap()["emptyReason"]["coding"][0]["code"],
        "withheld"
    );
    assert!(v1["meta"].get("profile").is_none());
    assert!(composition(&v1)["meta"].get("profile").is_none());
}

#[test]
fn narratives_escape_what_the_registers_say() {
    let (patient, mut records) = person("p-no-008");
    let request = records
        .medication_requests
        .iter_mut()
        .find(|r| r.status == "active")
        .unwrap();
    request.medication_codeable_concept.text = Some("Paracet <500 mg> & co".into());
    request.medication_codeable_concept.coding[1].code = Some("<b>1&2</b>".into());
    request.dosage_instruction[0].text = Some("1 x 3 \"ved behov\"".into());
    records.allergy_intolerances.push({
        let mut a = records
            .allergy_intolerances
            .first()
            .cloned()
            .unwrap_or_else(|| person("p-no-003").1.allergy_intolerances[0].clone());
        a.id = "no.p-no-008.al-x".into();
        a.patient = Reference::to("Patient", "no.p-no-008");
        a.code.coding[0].display = Some("Nøtter & <skalldyr>".into());
        a
    });
    let doc = build(&shown(&patient, &records));
    let meds = section(&doc, "10160-0").unwrap()["text"]["div"]
        .as_str()
        .unwrap();
    assert!(meds.contains("Paracet &lt;500 mg&gt; &amp; co"), "{meds}");
    assert!(meds.contains("&lt;b&gt;1&amp;2&lt;/b&gt;"), "{meds}");
    assert!(meds.contains("1 x 3 &quot;ved behov&quot;"), "{meds}");
    assert!(!meds.contains("<b>") && !meds.contains("<500"));
    let allergies = section(&doc, "48765-2").unwrap()["text"]["div"]
        .as_str()
        .unwrap();
    assert!(
        allergies.contains("Nøtter &amp; &lt;skalldyr&gt;"),
        "{allergies}"
    );
}

#[test]
fn a_restricted_entry_makes_the_document_restricted() {
    let (patient, mut records) = person("p-no-008");
    let active = records
        .medication_requests
        .iter_mut()
        .find(|r| r.status == "active")
        .unwrap();
    active
        .meta
        .security
        .push(crate::fhir::datatypes::Coding::new(
            systems::CONFIDENTIALITY,
            "R",
            "restricted",
        ));
    let doc = build(&shown(&patient, &records));
    assert_eq!(composition(&doc)["confidentiality"], "R");
}

#[test]
fn statement_and_no_known_ids_are_stable_across_documents() {
    let (patient, records) = person("p-no-011");
    let ids = |doc: &Value| -> Vec<String> {
        entries(doc)
            .iter()
            .filter(|e| e["resource"]["resourceType"] != "Composition")
            .map(|e| e["fullUrl"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = build_as(&shown(&patient, &records), SummaryProfile::Ips1_1);
    let second = summary(
        &shown(&patient, &records),
        &DocumentContext {
            fhir_base: BASE,
            timestamp: datetime!(2026-11-24 10:00:00 UTC),
            document_id: "5c1b0e51-0d5b-4f0e-8a36-3d0f6d2a9c11",
            software_version: "0.1.0",
            profile: SummaryProfile::Ips1_1,
        },
    );
    let second = serde_json::to_value(Resource::Bundle(second)).unwrap();
    assert_eq!(ids(&first), ids(&second));
    assert_ne!(composition(&first)["id"], composition(&second)["id"]);
}

#[test]
fn the_eu_patient_summary_is_an_ips_2_document_with_the_eps_sections_and_claims() {
    let (patient, records) = person("p-no-008");
    let doc = build_as(&shown(&patient, &records), SummaryProfile::EuEps);
    assert_eq!(
        doc["meta"]["profile"],
        serde_json::json!([EPS_BUNDLE, IPS_BUNDLE])
    );
    assert_eq!(
        composition(&doc)["meta"]["profile"],
        serde_json::json!([EPS_COMPOSITION, IPS_COMPOSITION])
    );
    // The EPS requires the History of Procedures and Medical Devices sections.
    for loinc in ["47519-4", "46264-8"] {
        let s = section(&doc, loinc).unwrap_or_else(|| panic!("section {loinc}"));
        assert_eq!(s["emptyReason"]["coding"][0]["code"], "unavailable");
        assert!(s["title"].is_string());
    }
    let patient_entry = entries(&doc)
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .unwrap();
    assert_eq!(patient_entry["resource"]["meta"]["profile"][0], EPS_PATIENT);
    let statements: Vec<&Value> = entries(&doc)
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "MedicationStatement")
        .collect();
    assert!(!statements.is_empty());
    for s in statements {
        let claims = s["resource"]["meta"]["profile"].as_array().unwrap();
        assert!(claims.iter().any(|c| c == EPS_MEDICATION_STATEMENT));
    }
    // An IPS document has neither.
    let ips = build(&shown(&patient, &records));
    assert!(section(&ips, "47519-4").is_none());
    assert_eq!(ips["meta"]["profile"], serde_json::json!([IPS_BUNDLE]));
}

#[test]
fn profile_parameters_name_the_documents() {
    let cases = [
        (IPS_BUNDLE.to_owned(), Some(SummaryProfile::Ips2_0)),
        (IPS_COMPOSITION.to_owned(), Some(SummaryProfile::Ips2_0)),
        (
            format!("{IPS_COMPOSITION}|2.0.0"),
            Some(SummaryProfile::Ips2_0),
        ),
        (format!("{IPS_BUNDLE}|1.1.0"), Some(SummaryProfile::Ips1_1)),
        (EPS_BUNDLE.to_owned(), Some(SummaryProfile::EuEps)),
        (EPS_COMPOSITION.to_owned(), Some(SummaryProfile::EuEps)),
        (format!("{IPS_BUNDLE}|3.0.0"), None),
        (EPS_PATIENT.to_owned(), None),
        (String::new(), None),
    ];
    for (canonical, expected) in cases {
        assert_eq!(
            SummaryProfile::of_profile(&canonical),
            expected,
            "{canonical}"
        );
    }
}
