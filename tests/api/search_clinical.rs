//! MedicationRequest, Immunization, AllergyIntolerance and Condition searches (R18, R19).

use serde_json::Value;

use crate::support::app::{assert_outcome, ids, matches, spawn_app, user_token};
use crate::support::data;

fn total(bundle: &Value) -> u64 {
    bundle["total"].as_u64().unwrap()
}

#[actix_web::test]
async fn the_three_forms_of_a_patient_reference_are_the_same() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let p = data::NO_POLYPHARMACY;
    let plain = app
        .fhir_ok(
            &format!("/MedicationRequest?patient={p}&_count=100"),
            &token,
        )
        .await;
    let typed = app
        .fhir_ok(
            &format!("/MedicationRequest?patient=Patient/{p}&_count=100"),
            &token,
        )
        .await;
    let absolute = app
        .fhir_ok(
            &format!(
                "/MedicationRequest?patient={}/Patient/{p}&_count=100",
                app.fhir_base
            ),
            &token,
        )
        .await;
    let subject = app
        .fhir_ok(
            &format!("/MedicationRequest?subject={p}&_count=100"),
            &token,
        )
        .await;
    assert_eq!(total(&plain), 22);
    for other in [&typed, &absolute, &subject] {
        assert_eq!(ids(&plain), ids(other));
    }
    let two = app
        .fhir_ok(
            &format!(
                "/MedicationRequest?patient={p},{}&_count=100",
                data::NO_ODEGARD
            ),
            &token,
        )
        .await;
    // Silje Ødegård has three prescriptions, one of them locked: a professional does not see it.
    assert_eq!(total(&two), 22 + 2, "OR over patients");
    let unknown = app
        .fhir_ok("/MedicationRequest?patient=no.p-no-999", &token)
        .await;
    assert_eq!(total(&unknown), 0);
}

#[actix_web::test]
async fn status_intent_and_dates_filter_prescriptions() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let p = data::NO_POLYPHARMACY;
    let count = |bundle: Value| total(&bundle);
    let active = count(
        app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&status=active"),
            &token,
        )
        .await,
    );
    let others = count(
        app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&status=on-hold,stopped,completed,cancelled"),
            &token,
        )
        .await,
    );
    assert_eq!(active, 15);
    assert_eq!(active + others, 22);
    let not_active = count(
        app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&status:not=active"),
            &token,
        )
        .await,
    );
    assert_eq!(not_active, 7);
    let with_system = count(
        app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&status=http://hl7.org/fhir/CodeSystem/medicationrequest-status|active"),
            &token,
        )
        .await,
    );
    assert_eq!(with_system, active);
    assert_eq!(
        count(
            app.fhir_ok(
                &format!("/MedicationRequest?patient={p}&intent=order"),
                &token
            )
            .await
        ),
        22
    );
    assert_eq!(
        count(
            app.fhir_ok(
                &format!("/MedicationRequest?patient={p}&intent=plan"),
                &token
            )
            .await
        ),
        0
    );

    let all = matches(
        &app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&_count=100"),
            &token,
        )
        .await,
    );
    let mut dates: Vec<String> = all
        .iter()
        .map(|r| r["authoredOn"].as_str().unwrap()[..10].to_owned())
        .collect();
    dates.sort();
    let pivot = &dates[dates.len() / 2];
    let before = count(
        app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&authoredon=lt{pivot}"),
            &token,
        )
        .await,
    );
    let from = count(
        app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&authoredon=ge{pivot}"),
            &token,
        )
        .await,
    );
    assert_eq!(before + from, 22);
    assert_eq!(
        before as usize,
        dates.iter().filter(|d| d.as_str() < pivot.as_str()).count()
    );
    let on_day = count(
        app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&authoredon={pivot}"),
            &token,
        )
        .await,
    );
    assert_eq!(
        on_day as usize,
        dates.iter().filter(|d| *d == pivot).count()
    );
}

#[actix_web::test]
async fn medication_codes_match_by_atc_and_by_national_product_code() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    for (patient, _, _) in data::ADULTS
        .iter()
        .copied()
        .chain([(data::NO_POLYPHARMACY, "", "")])
    {
        let all = matches(
            &app.fhir_ok(&format!("/MedicationRequest?patient={patient}"), &token)
                .await,
        );
        let first = &all[0];
        let atc = &first["medicationCodeableConcept"]["coding"][0];
        let product = &first["medicationCodeableConcept"]["coding"][1];
        for (system, code) in [
            (
                atc["system"].as_str().unwrap(),
                atc["code"].as_str().unwrap(),
            ),
            (
                product["system"].as_str().unwrap(),
                product["code"].as_str().unwrap(),
            ),
        ] {
            let found = matches(
                &app.fhir_ok(
                    &format!("/MedicationRequest?patient={patient}&code={system}|{code}"),
                    &token,
                )
                .await,
            );
            assert!(
                found.iter().any(|r| r["id"] == first["id"]),
                "{patient} {system}|{code}"
            );
            for r in &found {
                let codes: Vec<&str> = r["medicationCodeableConcept"]["coding"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["code"].as_str().unwrap())
                    .collect();
                assert!(codes.contains(&code));
            }
            let any_system = total(
                &app.fhir_ok(
                    &format!("/MedicationRequest?patient={patient}&code={code}"),
                    &token,
                )
                .await,
            );
            assert_eq!(any_system as usize, found.len());
        }
        let wrong = app
            .fhir_ok(
                &format!(
                    "/MedicationRequest?patient={patient}&code=urn:other|{}",
                    atc["code"].as_str().unwrap()
                ),
                &token,
            )
            .await;
        assert_eq!(total(&wrong), 0);
    }
}

#[actix_web::test]
async fn include_adds_the_patient_once() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let p = data::NO_POLYPHARMACY;
    for type_name in ["MedicationRequest", "Immunization"] {
        let bundle = app
            .fhir_ok(
                &format!("/{type_name}?patient={p}&_include={type_name}:patient&_count=5"),
                &token,
            )
            .await;
        let entries = bundle["entry"].as_array().unwrap();
        let included: Vec<&Value> = entries
            .iter()
            .filter(|e| e["search"]["mode"] == "include")
            .collect();
        assert_eq!(included.len(), 1, "{type_name}");
        assert_eq!(included[0]["resource"]["resourceType"], "Patient");
        assert_eq!(included[0]["resource"]["id"], p);
        // The total counts the matches of the same search without the include.
        let plain = total(
            &app.fhir_ok(&format!("/{type_name}?patient={p}&_count=0"), &token)
                .await,
        );
        assert!(plain > 0, "{type_name}: the patient has some");
        assert_eq!(total(&bundle), plain, "{type_name}");
        if type_name == "MedicationRequest" {
            assert_eq!(plain, 22, "the data set's polypharmacy patient");
        }
        assert!(
            matches(&bundle).len() <= 5,
            "includes do not count against the page"
        );
    }
}

#[actix_web::test]
async fn immunizations_search_by_date_status_and_vaccine_code() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    for patient in data::VACCINATED_CHILDREN {
        let all = matches(
            &app.fhir_ok(
                &format!("/Immunization?patient={patient}&_count=100"),
                &token,
            )
            .await,
        );
        assert!(!all.is_empty(), "{patient}");
        let first = &all[0];
        let date = first["occurrenceDateTime"].as_str().unwrap();
        let on = ids(&app
            .fhir_ok(
                &format!("/Immunization?patient={patient}&date={date}"),
                &token,
            )
            .await);
        assert!(on.contains(&first["id"].as_str().unwrap().to_owned()));
        let year = &date[..4];
        let in_year = total(
            &app.fhir_ok(
                &format!("/Immunization?patient={patient}&date={year}"),
                &token,
            )
            .await,
        );
        let outside = total(
            &app.fhir_ok(
                &format!("/Immunization?patient={patient}&date=ne{year}"),
                &token,
            )
            .await,
        );
        assert_eq!((in_year + outside) as usize, all.len());
        let status = first["status"].as_str().unwrap();
        let same_status = matches(
            &app.fhir_ok(
                &format!("/Immunization?patient={patient}&status={status}"),
                &token,
            )
            .await,
        );
        assert!(
            same_status.iter().any(|r| r["id"] == first["id"]),
            "the first one has its own status"
        );
        assert!(same_status.iter().all(|r| r["status"] == status));
        for coding in first["vaccineCode"]["coding"].as_array().unwrap() {
            let (system, code) = (
                coding["system"].as_str().unwrap(),
                coding["code"].as_str().unwrap(),
            );
            let found = ids(&app
                .fhir_ok(
                    &format!("/Immunization?patient={patient}&vaccine-code={system}|{code}"),
                    &token,
                )
                .await);
            assert!(
                found.contains(&first["id"].as_str().unwrap().to_owned()),
                "{system}|{code}"
            );
        }
    }
}

#[actix_web::test]
async fn allergies_and_conditions_search_by_code_and_status() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let mut seen_allergies = 0;
    let mut seen_conditions = 0;
    for (patient, _, _) in data::ADULTS
        .iter()
        .copied()
        .chain([("no.p-no-003", "", "")])
    {
        let allergies = matches(
            &app.fhir_ok(&format!("/AllergyIntolerance?patient={patient}"), &token)
                .await,
        );
        for allergy in &allergies {
            let code = allergy["code"]["coding"][0]["code"].as_str().unwrap();
            let found = ids(&app
                .fhir_ok(
                    &format!(
                        "/AllergyIntolerance?patient={patient}&code=http://snomed.info/sct|{code}"
                    ),
                    &token,
                )
                .await);
            assert!(found.contains(&allergy["id"].as_str().unwrap().to_owned()));
            seen_allergies += 1;
        }
        let conditions = matches(
            &app.fhir_ok(&format!("/Condition?patient={patient}&_count=100"), &token)
                .await,
        );
        let active = total(
            &app.fhir_ok(
                &format!("/Condition?patient={patient}&clinical-status=active"),
                &token,
            )
            .await,
        );
        let resolved = total(
            &app.fhir_ok(
                &format!("/Condition?patient={patient}&clinical-status=resolved"),
                &token,
            )
            .await,
        );
        assert_eq!((active + resolved) as usize, conditions.len(), "{patient}");
        for condition in &conditions {
            // The national ICD-10 coding, and the WHO notation beside it.
            let codings = condition["code"]["coding"].as_array().unwrap();
            let who = codings
                .iter()
                .find(|c| c["system"] == "http://hl7.org/fhir/sid/icd-10")
                .expect("WHO ICD-10 coding");
            let code = who["code"].as_str().unwrap();
            assert!(
                code.len() >= 3 && (code.len() == 3 || code.as_bytes()[3] == b'.'),
                "{code}"
            );
            let found = ids(&app
                .fhir_ok(
                    &format!(
                        "/Condition?patient={patient}&code=http://hl7.org/fhir/sid/icd-10|{code}"
                    ),
                    &token,
                )
                .await);
            assert!(found.contains(&condition["id"].as_str().unwrap().to_owned()));
            seen_conditions += 1;
        }
    }
    assert!(seen_allergies >= 2);
    assert!(
        seen_conditions >= 2,
        "the codes of {seen_conditions} conditions checked"
    );
}

#[actix_web::test]
async fn a_clinical_search_without_a_patient_is_400_r19() {
    let app = spawn_app().await;
    let token = user_token("system/*.rs");
    for type_name in [
        "MedicationRequest",
        "Immunization",
        "AllergyIntolerance",
        "Condition",
    ] {
        for query in ["", "?status=active", "?_count=1"] {
            let (status, body) = app
                .get_json(&format!("/{type_name}{query}"), Some(&token))
                .await;
            assert_outcome(status, &body, 400, "invalid");
        }
    }
}

#[actix_web::test]
async fn sort_orders_results() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let p = data::NO_POLYPHARMACY;
    let newest_first = matches(
        &app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&_count=100"),
            &token,
        )
        .await,
    );
    let dates: Vec<&str> = newest_first
        .iter()
        .map(|r| r["authoredOn"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "default order: newest first");
    let oldest_first = matches(
        &app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&_count=100&_sort=authoredon"),
            &token,
        )
        .await,
    );
    let ascending: Vec<&str> = oldest_first
        .iter()
        .map(|r| r["authoredOn"].as_str().unwrap())
        .collect();
    sorted.reverse();
    assert_eq!(ascending, sorted);
    let by_family = matches(
        &app.fhir_ok(
            "/Patient?family=haugen,lindberg&_sort=-family,given",
            &token,
        )
        .await,
    );
    let families: Vec<&str> = by_family
        .iter()
        .map(|r| r["name"][0]["family"].as_str().unwrap())
        .collect();
    assert_eq!(families.first(), Some(&"Lindberg"));
    assert_eq!(families.last(), Some(&"Haugen"));
}

#[actix_web::test]
async fn a_patient_without_records_has_empty_searchsets() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    for type_name in [
        "MedicationRequest",
        "Immunization",
        "AllergyIntolerance",
        "Condition",
    ] {
        let bundle = app
            .fhir_ok(&format!("/{type_name}?patient={}", data::NO_EMPTY), &token)
            .await;
        assert_eq!(bundle["total"], 0, "{type_name}");
        assert!(bundle.get("entry").is_none());
    }
    app.fhir_ok(&format!("/Patient/{}", data::NO_EMPTY), &token)
        .await;
}

/// Each remaining parameter of the tables, checked against what the resources say: a value
/// taken from one resource finds it, and the complement finds the rest.
#[actix_web::test]
async fn allergy_and_condition_parameters_match_their_elements() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let patients = [
        "no.p-no-003",
        "se.p-se-001",
        "dk.p-dk-011",
        "fi.p-fi-001",
        data::NO_POLYPHARMACY,
    ];
    let mut checked = 0;
    for patient in patients {
        let allergies = matches(
            &app.fhir_ok(&format!("/AllergyIntolerance?patient={patient}"), &token)
                .await,
        );
        for allergy in &allergies {
            let id = allergy["id"].as_str().unwrap().to_owned();
            for (param, value) in [
                (
                    "criticality",
                    allergy["criticality"].as_str().unwrap().to_owned(),
                ),
                ("type", allergy["type"].as_str().unwrap().to_owned()),
                ("date", allergy["recordedDate"].as_str().unwrap().to_owned()),
                (
                    "clinical-status",
                    allergy["clinicalStatus"]["coding"][0]["code"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                ),
            ] {
                let path = format!("/AllergyIntolerance?patient={patient}&{param}={value}");
                let found = matches(&app.fhir_ok(&path, &token).await);
                assert!(found.iter().any(|r| r["id"] == id.as_str()), "{path}");
                if param == "date" {
                    let path = format!("/AllergyIntolerance?patient={patient}&date=ne{value}");
                    let not = total(&app.fhir_ok(&path, &token).await);
                    assert_eq!(found.len() as u64 + not, allergies.len() as u64, "{path}");
                }
                checked += 1;
            }
        }
        let conditions = matches(
            &app.fhir_ok(&format!("/Condition?patient={patient}&_count=100"), &token)
                .await,
        );
        for condition in &conditions {
            let id = condition["id"].as_str().unwrap().to_owned();
            let onset = condition["onsetDateTime"].as_str().unwrap();
            let on = ids(&app
                .fhir_ok(
                    &format!("/Condition?patient={patient}&onset-date={onset}"),
                    &token,
                )
                .await);
            assert!(on.contains(&id));
            let after = ids(&app
                .fhir_ok(
                    &format!("/Condition?patient={patient}&onset-date=gt{onset}"),
                    &token,
                )
                .await);
            assert!(!after.contains(&id));
            let listed = ids(&app
                .fhir_ok(
                    &format!("/Condition?patient={patient}&category=problem-list-item&_count=100"),
                    &token,
                )
                .await);
            assert!(listed.contains(&id));
            checked += 1;
        }
        let none = app
            .fhir_ok(
                &format!("/Condition?patient={patient}&category=encounter-diagnosis"),
                &token,
            )
            .await;
        assert_eq!(total(&none), 0);
    }
    assert!(checked >= 20, "{checked} checks");
}

#[actix_web::test]
async fn last_updated_and_missing_work_on_every_type() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let p = data::NO_POLYPHARMACY;
    for type_name in [
        "MedicationRequest",
        "Immunization",
        "AllergyIntolerance",
        "Condition",
    ] {
        let all = total(
            &app.fhir_ok(&format!("/{type_name}?patient={p}"), &token)
                .await,
        );
        let old = total(
            &app.fhir_ok(
                &format!("/{type_name}?patient={p}&_lastUpdated=lt2025-06-01"),
                &token,
            )
            .await,
        );
        let new = total(
            &app.fhir_ok(
                &format!("/{type_name}?patient={p}&_lastUpdated=ge2025-06-01"),
                &token,
            )
            .await,
        );
        assert_eq!(old + new, all, "{type_name}");
        let present = total(
            &app.fhir_ok(
                &format!("/{type_name}?patient={p}&_id:missing=false"),
                &token,
            )
            .await,
        );
        assert_eq!(present, all);
        let absent = total(
            &app.fhir_ok(
                &format!("/{type_name}?patient={p}&_id:missing=true"),
                &token,
            )
            .await,
        );
        assert_eq!(absent, 0);
    }
}
