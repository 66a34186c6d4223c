//! Laboratory results: `Observation` and `DiagnosticReport` from every country's data set,
//! their search parameters with R4 semantics, `_include=DiagnosticReport:result`, the release
//! delay and guardian rules, a Consent that denies the laboratory category, and the results
//! in `$summary` and `$everything`. Every body is validated against R4 and the profiles it
//! claims (`support::profiles`).

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::macros::date;

use crate::support::app::{
    IDP, TestApp, acting_token, assert_outcome, ids, matches, patient_token, professional_token,
    spawn_app, spawn_with, test_settings, user_token,
};

const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";
const IPS_OBSERVATION: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Observation-results-laboratory-pathology-uv-ips";
const EU_OBSERVATION: &str =
    "http://hl7.eu/fhir/laboratory/StructureDefinition/Observation-resultslab-eu-lab";
const IPS_REPORT: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/DiagnosticReport-uv-ips";
const EU_REPORT: &str = "http://hl7.eu/fhir/laboratory/StructureDefinition/DiagnosticReport-eu-lab";

/// One person per country with laboratory reports, and the system of the nation's own
/// laboratory codes (`docs/national-code-systems.md`).
const WITH_RESULTS: [(&str, &str); 4] = [
    ("no.p-no-008", "urn:oid:2.16.578.1.12.4.1.1.7280"),
    ("se.p-se-001", "http://npu-terminology.org"),
    ("dk.p-dk-011", "http://npu-terminology.org"),
    ("fi.p-fi-001", "urn:oid:1.2.246.537.6.3"),
];

/// Laura Korhonen's haematology report, released to her on 2027-03-01 (Kanta's
/// ReleaseDateForPatientViewing).
const FI_DELAYED_REPORT: &str = "fi.p-fi-001.lab-fi-0003";
const FI_DELAYED_RESULT: &str = "fi.p-fi-001.lab-fi-0003-hb";

const NO_MOTHER_FNR: &str = "12848801265";
const DK_MOTHER_CPR: &str = "1902850204";

fn profiles(resource: &Value) -> Vec<&str> {
    resource["meta"]["profile"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn codings<'a>(concept: &'a Value, system: &str) -> Vec<&'a str> {
    concept["coding"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|c| c["system"] == system)
                .filter_map(|c| c["code"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn reference_ids(list: &Value, prefix: &str) -> Vec<String> {
    list.as_array()
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r["reference"].as_str())
                .filter_map(|r| r.strip_prefix(prefix))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn id_set(resources: &[Value]) -> BTreeSet<String> {
    resources
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn all_observations(app: &TestApp, patient: &str, token: &str) -> Vec<Value> {
    let bundle = app
        .fhir_ok(&format!("/Observation?patient={patient}&_count=500"), token)
        .await;
    assert_eq!(
        bundle["total"].as_u64().unwrap() as usize,
        matches(&bundle).len()
    );
    matches(&bundle)
}

#[actix_web::test]
async fn every_country_has_laboratory_results_readable_over_http() {
    let app = spawn_app().await;
    for (patient, national_system) in WITH_RESULTS {
        let token = patient_token(patient, "patient/*.rs");
        let reports = matches(
            &app.fhir_ok(&format!("/DiagnosticReport?patient={patient}"), &token)
                .await,
        );
        assert!(!reports.is_empty(), "{patient} has laboratory reports");
        let mut national_codes = 0;
        for report in &reports {
            let id = report["id"].as_str().unwrap();
            assert_eq!(
                &app.fhir_ok(&format!("/DiagnosticReport/{id}"), &token)
                    .await,
                report,
                "a read returns what the search returned"
            );
            assert_eq!(profiles(report), [IPS_REPORT, EU_REPORT]);
            assert_eq!(codings(&report["code"], LOINC), ["11502-2"]);
            assert_eq!(report["subject"]["reference"], format!("Patient/{patient}"));
            let results = reference_ids(&report["result"], "Observation/");
            assert!(!results.is_empty(), "{id} lists its results");
            for result in results {
                let observation = app.fhir_ok(&format!("/Observation/{result}"), &token).await;
                assert_eq!(profiles(&observation), [IPS_OBSERVATION, EU_OBSERVATION]);
                assert!(
                    codings(
                        &observation["category"][0],
                        "http://terminology.hl7.org/CodeSystem/observation-category"
                    ) == ["laboratory"]
                );
                assert_eq!(codings(&observation["code"], LOINC).len(), 1, "{result}");
                national_codes += codings(&observation["code"], national_system).len();
                assert_eq!(observation["subject"], report["subject"]);
                assert_eq!(
                    observation["effectiveDateTime"],
                    report["effectiveDateTime"]
                );
                assert_eq!(
                    observation["contained"][0]["type"], report["contained"][0]["type"],
                    "the result was measured on the report's specimen"
                );
                for member in reference_ids(&observation["hasMember"], "Observation/") {
                    let susceptibility =
                        app.fhir_ok(&format!("/Observation/{member}"), &token).await;
                    assert!(
                        susceptibility["interpretation"][0]["coding"][0]["code"]
                            .as_str()
                            .is_some_and(|c| ["S", "I", "R"].contains(&c))
                    );
                }
            }
        }
        assert!(
            national_codes > 0,
            "{patient}: results carry national codes"
        );
        // The quantities are in UCUM, with reference ranges and flags.
        let observations = all_observations(&app, patient, &token).await;
        let quantities: Vec<&Value> = observations
            .iter()
            .filter(|o| o["valueQuantity"].is_object())
            .collect();
        assert!(!quantities.is_empty(), "{patient} has measured results");
        for o in &quantities {
            assert_eq!(o["valueQuantity"]["system"], UCUM);
            assert_eq!(o["valueQuantity"]["code"], o["valueQuantity"]["unit"]);
        }
        assert!(quantities.iter().any(|o| o["referenceRange"].is_array()));
        assert!(quantities.iter().any(|o| o["interpretation"].is_array()));
    }
}

#[actix_web::test]
async fn a_culture_holds_its_susceptibilities_as_members() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let cultures = matches(
        &app.fhir_ok(
            &format!("/Observation?patient=no.p-no-008&code={LOINC}|630-4"),
            &token,
        )
        .await,
    );
    assert_eq!(cultures.len(), 1, "one urine culture");
    let culture = &cultures[0];
    assert_eq!(
        culture["valueCodeableConcept"]["coding"][0]["system"],
        "http://snomed.info/sct"
    );
    let members = reference_ids(&culture["hasMember"], "Observation/");
    assert!(members.len() >= 3, "susceptibilities: {members:?}");
    let microbiology = matches(
        &app.fhir_ok(
            &format!("/Observation?patient=no.p-no-008&category={LOINC}|18725-2&_count=100"),
            &token,
        )
        .await,
    );
    let found = id_set(&microbiology);
    assert!(found.contains(culture["id"].as_str().unwrap()));
    for member in &members {
        assert!(
            found.contains(member),
            "{member} is a microbiology result too"
        );
    }
}

#[actix_web::test]
async fn observation_search_parameters_have_r4_semantics() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let patient = "no.p-no-008";
    let all = all_observations(&app, patient, &token).await;
    assert!(all.len() >= 10, "{} results", all.len());
    let search = |query: String| {
        let app = &app;
        let token = &token;
        async move {
            let bundle = app
                .fhir_ok(
                    &format!("/Observation?patient={patient}&{query}&_count=500"),
                    token,
                )
                .await;
            id_set(&matches(&bundle))
        }
    };
    let expect = |keep: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
        id_set(&all.iter().filter(|o| keep(o)).cloned().collect::<Vec<_>>())
    };

    // category: the laboratory slice, and the study types.
    assert_eq!(search("category=laboratory".into()).await, id_set(&all));
    let haematology = search(format!("category={LOINC}|18723-7")).await;
    assert!(!haematology.is_empty());
    assert_eq!(
        haematology,
        expect(&|o| codings(&o["category"][1], LOINC) == ["18723-7"])
    );

    // code: LOINC or the national code, with or without the system.
    let sample = all
        .iter()
        .find(|o| o["valueQuantity"].is_object() && o["code"]["coding"][1].is_object())
        .expect("a measured result with a national code");
    let loinc = sample["code"]["coding"][0]["code"].as_str().unwrap();
    let national = &sample["code"]["coding"][1];
    let by_loinc = search(format!("code={LOINC}|{loinc}")).await;
    assert!(by_loinc.contains(sample["id"].as_str().unwrap()));
    assert_eq!(
        by_loinc,
        expect(&|o| codings(&o["code"], LOINC).contains(&loinc))
    );
    assert_eq!(
        search(format!(
            "code={}|{}",
            national["system"].as_str().unwrap(),
            national["code"].as_str().unwrap()
        ))
        .await,
        by_loinc
    );

    // value-quantity: the precision of the number, comparisons, and the unit.
    let value = sample["valueQuantity"]["value"].as_f64().unwrap();
    let unit = sample["valueQuantity"]["code"].as_str().unwrap();
    let same_unit = |o: &Value| o["valueQuantity"]["code"] == unit;
    let number = |o: &Value| o["valueQuantity"]["value"].as_f64();
    let exact = search(format!("value-quantity={value}|{UCUM}|{unit}")).await;
    assert!(exact.contains(sample["id"].as_str().unwrap()));
    assert_eq!(
        exact,
        expect(&|o| same_unit(o) && number(o).is_some_and(|v| (v - value).abs() < 1e-9))
    );
    assert_eq!(
        search(format!("value-quantity=gt{value}||{unit}")).await,
        expect(&|o| same_unit(o) && number(o).is_some_and(|v| v > value))
    );
    assert_eq!(
        search(format!("value-quantity=le{value}")).await,
        expect(&|o| number(o).is_some_and(|v| v <= value))
    );
    assert!(
        search(format!("value-quantity={value}|{UCUM}|no-such-unit"))
            .await
            .is_empty()
    );

    // status and date.
    assert_eq!(
        search("status=final".into()).await,
        expect(&|o| o["status"] == "final")
    );
    let taken = sample["effectiveDateTime"].as_str().unwrap();
    let day = &taken[..10];
    let on_the_day = search(format!("date={day}")).await;
    assert!(on_the_day.contains(sample["id"].as_str().unwrap()));
    assert_eq!(
        on_the_day,
        expect(&|o| o["effectiveDateTime"]
            .as_str()
            .is_some_and(|t| t.starts_with(day)))
    );
    assert_eq!(
        search(format!("date=gt{day}")).await,
        expect(&|o| o["effectiveDateTime"]
            .as_str()
            .is_some_and(|t| &t[..10] > day))
    );
}

#[actix_web::test]
async fn diagnostic_reports_search_and_include_their_results() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    for (patient, _) in WITH_RESULTS {
        let bundle = app
            .fhir_ok(
                &format!("/DiagnosticReport?patient={patient}&_include=DiagnosticReport:result"),
                &token,
            )
            .await;
        let reports = matches(&bundle);
        assert!(!reports.is_empty());
        let referenced: BTreeSet<String> = reports
            .iter()
            .flat_map(|r| reference_ids(&r["result"], "Observation/"))
            .collect();
        let included: BTreeSet<String> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["search"]["mode"] == "include")
            .map(|e| {
                assert_eq!(e["resource"]["resourceType"], "Observation");
                let id = e["resource"]["id"].as_str().unwrap();
                assert!(
                    e["fullUrl"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!("/Observation/{id}"))
                );
                id.to_owned()
            })
            .collect();
        assert_eq!(included, referenced, "{patient}");
        // Without the include, only the reports.
        let plain = app
            .fhir_ok(&format!("/DiagnosticReport?patient={patient}"), &token)
            .await;
        assert_eq!(plain["entry"].as_array().unwrap().len(), reports.len());

        let category = |code: &str| format!("/DiagnosticReport?patient={patient}&category={code}");
        let all_ids = ids(&bundle);
        assert_eq!(ids(&app.fhir_ok(&category("LAB"), &token).await), all_ids);
        assert_eq!(
            ids(&app
                .fhir_ok(
                    &format!("/DiagnosticReport?patient={patient}&code={LOINC}|11502-2"),
                    &token
                )
                .await),
            all_ids
        );
        let finals: Vec<String> = reports
            .iter()
            .filter(|r| r["status"] == "final")
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            ids(&app
                .fhir_ok(
                    &format!("/DiagnosticReport?patient={patient}&status=final"),
                    &token
                )
                .await),
            finals
        );
        let first_day = &reports[0]["effectiveDateTime"].as_str().unwrap()[..10];
        let same_day: Vec<String> = reports
            .iter()
            .filter(|r| {
                r["effectiveDateTime"]
                    .as_str()
                    .unwrap()
                    .starts_with(first_day)
            })
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            ids(&app
                .fhir_ok(
                    &format!("/DiagnosticReport?patient={patient}&date={first_day}"),
                    &token
                )
                .await),
            same_day
        );
    }
}

#[actix_web::test]
async fn bad_laboratory_searches_get_400_and_unknown_ids_404() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    app.assert_each_refused(
        [
            "/Observation?patient=no.p-no-008&value-quantity=abc",
            "/Observation?patient=no.p-no-008&value-quantity=5.4|mg",
            "/Observation?patient=no.p-no-008&value-quantity=5.",
            "/Observation?patient=no.p-no-008&date=2026-13-01",
            "/Observation?patient=no.p-no-008&value-quantity:exact=5",
            "/DiagnosticReport?patient=no.p-no-008&_include=DiagnosticReport:performer",
            "/DiagnosticReport?patient=no.p-no-008&result=not a reference",
            // R19: clinical data is searched for a patient.
            "/Observation?category=laboratory",
            "/DiagnosticReport?status=final",
        ],
        &token,
        400,
        "invalid",
    )
    .await;
    app.assert_each_refused(
        [
            "/Observation/no.p-no-008.lab-no-0001-nothing",
            "/DiagnosticReport/no.p-no-008.lab-no-0009",
            // A report's key is not a result's, nor the other way round.
            "/Observation/no.p-no-008.lab-no-0001",
            "/DiagnosticReport/no.p-no-008.lab-no-0001-na",
        ],
        &token,
        404,
        "not-found",
    )
    .await;
    // Someone else's result, for a patient token: as if it did not exist.
    let own = patient_token("no.p-no-001", "patient/*.rs");
    app.assert_each_refused(
        ["/Observation/no.p-no-008.lab-no-0001-na"],
        &own,
        404,
        "not-found",
    )
    .await;
    // A token without laboratory scopes.
    let medications = patient_token("no.p-no-008", "patient/MedicationRequest.rs");
    app.assert_each_refused(
        [
            "/Observation/no.p-no-008.lab-no-0001-na",
            "/DiagnosticReport?patient=no.p-no-008",
        ],
        &medications,
        403,
        "forbidden",
    )
    .await;
}

#[actix_web::test]
async fn a_scope_narrowed_to_the_laboratory_category_reads_the_results() {
    let app = spawn_app().await;
    let token = patient_token("no.p-no-008", "patient/Observation.rs?category=laboratory");
    let all = all_observations(&app, "no.p-no-008", &token).await;
    assert!(!all.is_empty());
}

#[actix_web::test]
async fn finnish_results_wait_for_their_release_date_before_the_patient_sees_them() {
    let before = {
        let mut settings = test_settings(&IDP);
        settings.clock.fixed_today = Some(date!(2027 - 02 - 28));
        spawn_with(settings).await
    };
    let own = patient_token("fi.p-fi-001", "patient/*.rs");
    let reports = ids(&before
        .fhir_ok("/DiagnosticReport?patient=fi.p-fi-001", &own)
        .await);
    assert!(!reports.is_empty(), "her other reports are released");
    assert!(!reports.contains(&FI_DELAYED_REPORT.to_owned()));
    before
        .assert_each_refused(
            [
                format!("/DiagnosticReport/{FI_DELAYED_REPORT}"),
                format!("/Observation/{FI_DELAYED_RESULT}"),
            ],
            &own,
            404,
            "not-found",
        )
        .await;
    // Professionals see results before the patient does.
    let doctor = professional_token("1234567", None);
    before
        .fhir_ok(&format!("/Observation/{FI_DELAYED_RESULT}"), &doctor)
        .await;

    let on_the_day = {
        let mut settings = test_settings(&IDP);
        settings.clock.fixed_today = Some(date!(2027 - 03 - 01));
        spawn_with(settings).await
    };
    on_the_day
        .fhir_ok(&format!("/DiagnosticReport/{FI_DELAYED_REPORT}"), &own)
        .await;
    on_the_day
        .fhir_ok(&format!("/Observation/{FI_DELAYED_RESULT}"), &own)
        .await;
}

#[actix_web::test]
async fn guardians_see_a_young_childs_results_and_not_a_teenagers() {
    let app = spawn_app().await;
    // Emma, 5: her mother sees everything.
    let emma = acting_token(NO_MOTHER_FNR, "no.p-no-003");
    assert!(
        !all_observations(&app, "no.p-no-003", &emma)
            .await
            .is_empty()
    );
    // Lukas, 13: limited access leaves his test results out, silently (R25).
    let lukas = acting_token(NO_MOTHER_FNR, "no.p-no-004");
    assert!(
        all_observations(&app, "no.p-no-004", &lukas)
            .await
            .is_empty()
    );
    assert!(
        matches(
            &app.fhir_ok("/DiagnosticReport?patient=no.p-no-004", &lukas)
                .await
        )
        .is_empty()
    );
    // ...which he sees himself is not the question here; that they exist is: his doctor
    // sees them.
    let doctor = professional_token("1234567", None);
    assert!(
        !all_observations(&app, "no.p-no-004", &doctor)
            .await
            .is_empty()
    );
    // Denmark: parents of a child under 15 see medicines and vaccinations, not results.
    let ida = acting_token(DK_MOTHER_CPR, "dk.p-dk-003");
    assert!(all_observations(&app, "dk.p-dk-003", &ida).await.is_empty());
    assert!(
        !all_observations(&app, "dk.p-dk-003", &doctor)
            .await
            .is_empty()
    );
}

#[actix_web::test]
async fn a_consent_denying_the_laboratory_category_hides_results_and_reports() {
    let app = spawn_app().await;
    let patient = "no.p-no-008";
    let own = patient_token(patient, "patient/*.rs patient/Consent.cruds");
    let doctor = professional_token("1234567", None);
    assert!(!all_observations(&app, patient, &doctor).await.is_empty());
    let consent = json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{patient}")},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {
            "type": "deny",
            "class": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]
        }
    });
    let response = app
        .client
        .post(app.url("/Consent"))
        .bearer_auth(&own)
        .header("Content-Type", "application/fhir+json")
        .body(consent.to_string())
        .send()
        .await
        .unwrap();
    let (status, body) = crate::support::app::read_fhir(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body:#}");
    assert!(all_observations(&app, patient, &doctor).await.is_empty());
    assert!(
        matches(
            &app.fhir_ok(&format!("/DiagnosticReport?patient={patient}"), &doctor)
                .await
        )
        .is_empty()
    );
    let (status, body) = app
        .get_json(
            &format!("/Observation/{patient}.lab-no-0001-na"),
            Some(&doctor),
        )
        .await;
    assert_outcome(status, &body, 404, "not-found");
    // The patient's own access is not bound by their restriction of others.
    assert!(!all_observations(&app, patient, &own).await.is_empty());
    // Other data stays visible to the doctor.
    assert!(
        !matches(
            &app.fhir_ok(&format!("/MedicationRequest?patient={patient}"), &doctor)
                .await
        )
        .is_empty()
    );
}

#[actix_web::test]
async fn results_are_in_the_summary_and_in_everything() {
    let app = spawn_app().await;
    let patient = "dk.p-dk-011";
    let token = patient_token(patient, "patient/*.rs");
    let observations = id_set(&all_observations(&app, patient, &token).await);
    let reports = id_set(&matches(
        &app.fhir_ok(&format!("/DiagnosticReport?patient={patient}"), &token)
            .await,
    ));
    assert!(!observations.is_empty() && !reports.is_empty());

    let summary = app
        .fhir_ok(&format!("/Patient/{patient}/$summary"), &token)
        .await;
    let composition = &summary["entry"][0]["resource"];
    let section = composition["section"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == "30954-2")
        .expect("a Results section");
    let listed: BTreeSet<String> = section["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["reference"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: BTreeSet<String> = observations.union(&reports).cloned().collect();
    assert_eq!(listed, expected);
    let in_document: BTreeSet<String> = summary["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            matches!(
                e["resource"]["resourceType"].as_str(),
                Some("Observation" | "DiagnosticReport")
            )
        })
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        in_document, expected,
        "every listed result is in the document"
    );
    let narrative = section["text"]["div"].as_str().unwrap();
    assert!(narrative.contains("<table>"));

    let everything = app
        .all_pages(&format!("/Patient/{patient}/$everything?_count=50"), &token)
        .await;
    let found: BTreeSet<String> = everything
        .iter()
        .flat_map(matches)
        .filter(|r| {
            matches!(
                r["resourceType"].as_str(),
                Some("Observation" | "DiagnosticReport")
            )
        })
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(found, expected);
    // `_type` names the new types.
    let only_reports = app
        .all_pages(
            &format!("/Patient/{patient}/$everything?_type=DiagnosticReport"),
            &token,
        )
        .await;
    let types: BTreeSet<String> = only_reports
        .iter()
        .flat_map(matches)
        .map(|r| r["resourceType"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, BTreeSet::from(["DiagnosticReport".to_owned()]));
}

#[actix_web::test]
async fn a_token_without_result_scopes_gets_the_results_section_withheld() {
    let app = spawn_app().await;
    let patient = "dk.p-dk-011";
    let token = patient_token(
        patient,
        "patient/Patient.r patient/MedicationRequest.rs patient/AllergyIntolerance.rs patient/Condition.rs patient/Immunization.rs",
    );
    let summary = app
        .fhir_ok(&format!("/Patient/{patient}/$summary"), &token)
        .await;
    let section = summary["entry"][0]["resource"]["section"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == "30954-2")
        .cloned()
        .expect("the Results section says why it is empty");
    assert_eq!(section["emptyReason"]["coding"][0]["code"], "withheld");
    assert!(section.get("entry").is_none());
    assert!(
        !summary["entry"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["resource"]["resourceType"] == "Observation")
    );
}

#[actix_web::test]
async fn the_access_log_names_the_reports_and_results_disclosed() {
    let app = spawn_app().await;
    let patient = "no.p-no-008";
    let doctor = professional_token("1234567", None);
    let bundle = app
        .fhir_ok(
            &format!(
                "/DiagnosticReport?patient={patient}&_include=DiagnosticReport:result&_count=1"
            ),
            &doctor,
        )
        .await;
    let report = matches(&bundle)[0]["id"].as_str().unwrap().to_owned();
    let included: Vec<String> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["search"]["mode"] == "include")
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!included.is_empty());

    let own = patient_token(patient, "patient/*.rs");
    let log = app
        .all_pages(&format!("/AuditEvent?patient={patient}&_count=50"), &own)
        .await;
    let events: Vec<Value> = log.iter().flat_map(matches).collect();
    let search = events
        .iter()
        .find(|e| {
            e["entity"].as_array().is_some_and(|list| {
                list.iter()
                    .any(|x| x["what"]["reference"] == format!("DiagnosticReport/{report}"))
            })
        })
        .expect("the search is on the patient's log, naming the report it disclosed");
    assert_eq!(search["subtype"][0]["code"], "search-type");
    let named: BTreeSet<String> = search["entity"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["what"]["reference"].as_str())
        .map(str::to_owned)
        .collect();
    for id in &included {
        assert!(
            named.contains(&format!("Observation/{id}")),
            "the included result {id} is named: {named:?}"
        );
    }
}
