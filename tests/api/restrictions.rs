//! The citizen's own restrictions (R24, R25): deny provisions of active `patient-privacy`
//! Consents, applied to every other caller, silently, before counting and paging. Every
//! restriction here is written as the citizen writes it, `POST /fhir/Consent`, so that
//! validation and enforcement are tested together.

use reqwest::Method;
use serde_json::{Value, json};

use crate::consent_write::send;

use crate::support::app::{
    AUDIENCE, IDP, TestApp, assert_outcome, ids, professional_token as professional, spawn_with,
    test_settings, user_token,
};

const PATIENT: &str = "no.p-no-008";
const PATIENT_FNR: &str = "17854110128";

async fn app() -> TestApp {
    spawn_with(test_settings(&IDP)).await
}

/// The patient restricts access with `provision`: the Consent's id.
async fn restrict(app: &TestApp, provision: Value) -> String {
    let consent = json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{PATIENT}")},
        "dateTime": "2026-11-01T10:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": provision
    });
    let writer = writer_token();
    let response = send(app, Method::POST, "/Consent", &writer, Some(&consent), None).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body:#}");
    body["id"].as_str().unwrap().to_owned()
}

fn writer_token() -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/Consent.cud", Some(PATIENT));
    claims["pid"] = json!(PATIENT_FNR);
    IDP.token(claims)
}

fn own_token() -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/*.rs", Some(PATIENT));
    claims["pid"] = json!(PATIENT_FNR);
    IDP.token(claims)
}

async fn total(app: &TestApp, path: &str, token: &str) -> u64 {
    app.fhir_ok(path, token).await["total"].as_u64().unwrap()
}

#[actix_web::test]
async fn a_type_restriction_hides_that_type_from_everyone_else_and_nothing_says_so() {
    let app = app().await;
    let doctor = user_token("user/*.rs");
    let before = ids(&app
        .fhir_ok(
            &format!("/MedicationRequest?patient={PATIENT}&_count=100"),
            &doctor,
        )
        .await);
    assert_eq!(before.len(), 22);
    restrict(&app, json!({"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]})).await;
    let bundle = app
        .fhir_ok(&format!("/MedicationRequest?patient={PATIENT}"), &doctor)
        .await;
    assert_eq!(bundle["total"], 0);
    assert!(bundle.get("entry").is_none());
    assert_eq!(
        total(
            &app,
            &format!("/MedicationRequest?patient={PATIENT}&_summary=count"),
            &doctor
        )
        .await,
        0
    );
    let (status, body) = app
        .get_json(&format!("/MedicationRequest/{}", before[0]), Some(&doctor))
        .await;
    assert_outcome(status, &body, 404, "not-found");
    // Other types are untouched, and the patient still sees everything.
    assert!(total(&app, &format!("/Immunization?patient={PATIENT}"), &doctor).await > 0);
    assert_eq!(total(&app, "/MedicationRequest", &own_token()).await, 22);
}

#[actix_web::test]
async fn a_single_resource_restriction_changes_totals_and_pages_as_if_it_never_existed() {
    let app = app().await;
    let doctor = user_token("user/*.rs");
    let before = ids(&app
        .fhir_ok(
            &format!("/MedicationRequest?patient={PATIENT}&_count=100"),
            &doctor,
        )
        .await);
    let hidden = before[3].clone();
    restrict(&app, json!({"type": "deny", "data": [{"meaning": "instance", "reference": {"reference": format!("MedicationRequest/{hidden}")}}]})).await;
    let pages = app
        .all_pages(
            &format!("/MedicationRequest?patient={PATIENT}&_count=5"),
            &doctor,
        )
        .await;
    let seen: Vec<String> = pages.iter().flat_map(ids).collect();
    let expected: Vec<String> = before.iter().filter(|id| **id != hidden).cloned().collect();
    assert_eq!(seen, expected);
    for page in &pages {
        assert_eq!(page["total"], 21);
    }
    assert_eq!(pages.len(), 5, "21 results in pages of 5");
}

#[actix_web::test]
async fn an_actor_restriction_binds_only_the_named_professional() {
    let app = app().await;
    restrict(&app, json!({"type": "deny", "actor": [{"role": {"text": "restricted"}, "reference": {"reference": "Practitioner/5550001"}}]})).await;
    let named = professional("5550001", None);
    let other = professional("5550002", None);
    for type_name in ["MedicationRequest", "Immunization", "Condition"] {
        assert_eq!(
            total(&app, &format!("/{type_name}?patient={PATIENT}"), &named).await,
            0,
            "{type_name}"
        );
        assert!(
            total(&app, &format!("/{type_name}?patient={PATIENT}"), &other).await > 0,
            "{type_name}"
        );
    }
    let (status, body) = app
        .get_json(&format!("/Patient/{PATIENT}"), Some(&named))
        .await;
    assert_outcome(status, &body, 404, "not-found");
    // Break-the-glass overrides the restriction.
    let emergency = professional("5550001", Some("EMERGENCY"));
    assert_eq!(
        total(
            &app,
            &format!("/MedicationRequest?patient={PATIENT}"),
            &emergency
        )
        .await,
        22
    );
}

#[actix_web::test]
async fn withdrawn_ended_and_purpose_bound_restrictions_do_not_apply_here() {
    let app = app().await;
    let doctor = user_token("user/*.rs");
    let id = restrict(&app, json!({"type": "deny"})).await;
    assert_eq!(
        total(&app, &format!("/Immunization?patient={PATIENT}"), &doctor).await,
        0
    );
    let withdrawn = send(
        &app,
        Method::DELETE,
        &format!("/Consent/{id}"),
        &writer_token(),
        None,
        Some("W/\"1\""),
    )
    .await;
    assert_eq!(withdrawn.status(), 204);
    assert!(
        total(&app, &format!("/Immunization?patient={PATIENT}"), &doctor).await > 0,
        "withdrawal applies at once"
    );
    restrict(
        &app,
        json!({"type": "deny", "period": {"start": "2020-01-01", "end": "2021-01-01"}}),
    )
    .await;
    restrict(&app, json!({"type": "deny", "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HRESCH"}]})).await;
    assert!(total(&app, &format!("/Immunization?patient={PATIENT}"), &doctor).await > 0);
}

#[actix_web::test]
async fn summary_and_everything_leave_restricted_data_out_without_a_hint() {
    let app = app().await;
    let doctor = user_token("user/*.rs");
    let everything = format!("/Patient/{PATIENT}/$everything?_count=500");
    let before = app.fhir_ok(&everything, &doctor).await;
    let count = |bundle: &Value, type_name: &str| {
        bundle["entry"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter(|e| e["resource"]["resourceType"] == type_name)
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(count(&before, "MedicationRequest"), 22);
    let dispensations = count(&before, "MedicationDispense");
    assert!(dispensations > 0);
    restrict(&app, json!({"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]})).await;
    let after = app.fhir_ok(&everything, &doctor).await;
    // The prescriptions' dispensations go with them: they tell what was prescribed.
    assert_eq!(count(&after, "MedicationRequest"), 0);
    assert_eq!(count(&after, "MedicationDispense"), 0);
    assert_eq!(
        after["total"].as_u64().unwrap(),
        before["total"].as_u64().unwrap() - 22 - dispensations as u64
    );
    let summary = app
        .fhir_ok(&format!("/Patient/{PATIENT}/$summary"), &doctor)
        .await;
    let text = summary.to_string();
    assert!(
        !text.contains("MedicationRequest/"),
        "no trace of the prescriptions"
    );
    assert!(
        text.contains("\"unavailable\"") && text.contains("No information about medications"),
        "the section says it has no information"
    );
    assert!(
        !text.contains("withheld"),
        "and does not say something was held back"
    );
    // The patient's own summary still lists them.
    let own = app
        .fhir_ok(&format!("/Patient/{PATIENT}/$summary"), &own_token())
        .await;
    let own_statements = own["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "MedicationStatement")
        .count();
    assert!(own_statements > 0);
    assert!(!own.to_string().contains("No information about medications"));
}

/// R25 and `_include`: a restricted resource does not come back as an include either. With
/// the Patient resource restricted, a doctor's prescription search with
/// `_include=MedicationRequest:patient` returns the prescriptions and no Patient, and nothing
/// says that one was left out.
#[actix_web::test]
async fn an_include_does_not_bring_back_a_restricted_resource() {
    let app = app().await;
    let doctor = user_token("user/*.rs");
    let path =
        format!("/MedicationRequest?patient={PATIENT}&_include=MedicationRequest:patient&_count=5");
    let included = |bundle: &Value| {
        bundle["entry"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["search"]["mode"] == "include")
                    .count()
            })
            .unwrap_or(0)
    };
    let before = app.fhir_ok(&path, &doctor).await;
    assert_eq!(included(&before), 1, "the Patient is included");
    restrict(
        &app,
        json!({"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Patient"}]}),
    )
    .await;
    let after = app.fhir_ok(&path, &doctor).await;
    assert_eq!(included(&after), 0, "{after:#}");
    assert_eq!(after["total"], before["total"], "the matches are untouched");
    assert!(!after.to_string().contains("OperationOutcome"));
    // The patient still sees themself in the same search.
    assert_eq!(
        included(
            &app.fhir_ok(
                &path.replace(&format!("patient={PATIENT}&"), ""),
                &own_token()
            )
            .await
        ),
        1
    );
}

/// R24 by category: a deny with the securityLabel `PSY` (HL7 v3 ActCode) hides every
/// mental-health record, recognised by its ICD-10 chapter F or ATC N05/N06 code, from
/// everyone else, in searches and in the summary alike; a label the gateway cannot
/// recognise, or a provision code, is refused (422) and nothing is stored.
#[actix_web::test]
async fn a_deny_by_sensitivity_hides_the_mental_health_records() {
    let app = app().await;
    let patient = "fi.p-fi-007";
    let writer = {
        let mut claims = IDP.standard_claims(AUDIENCE, "patient/Consent.cruds", Some(patient));
        claims["pid"] = json!("301079-900U");
        IDP.token(claims)
    };
    let doctor = user_token("user/*.rs");
    let conditions = format!("/Condition?patient={patient}&_count=100");
    let prescriptions = format!("/MedicationRequest?patient={patient}&_count=100");
    let before_conditions = ids(&app.fhir_ok(&conditions, &doctor).await);
    let before_prescriptions = ids(&app.fhir_ok(&prescriptions, &doctor).await);
    assert!(before_conditions.iter().any(|id| id.ends_with("cd-fi-008")));
    assert!(
        before_prescriptions
            .iter()
            .any(|id| id.ends_with("rx-fi-0010"))
    );
    let summary_path = format!("/Patient/{patient}/$summary");
    let summary_before = app.fhir_ok(&summary_path, &doctor).await.to_string();
    let in_summary: Vec<&str> = ["cd-fi-008", "cd-fi-009", "rx-fi-0010", "rx-fi-0011"]
        .into_iter()
        .filter(|id| summary_before.contains(id))
        .collect();
    assert!(
        !in_summary.is_empty(),
        "the summary shows some of them before"
    );
    let consent = |provision: Value| {
        json!({
            "resourceType": "Consent",
            "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": {"reference": format!("Patient/{patient}")},
            "dateTime": "2026-11-23T09:00:00Z",
            "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
            "provision": provision
        })
    };
    for refused in [
        json!({"type": "deny", "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "HIV"}]}),
        json!({"type": "deny", "code": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "F41.1"}]}]}),
    ] {
        let response = send(
            &app,
            Method::POST,
            "/Consent",
            &writer,
            Some(&consent(refused)),
            None,
        )
        .await;
        let (status, body) = crate::support::app::read_fhir(response).await;
        assert_outcome(status, &body, 422, "processing");
    }
    let own_consents = app.fhir_ok("/Consent", &writer).await;
    assert_eq!(own_consents["total"], 0, "nothing was stored");

    let psy = json!({"type": "deny", "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}]});
    let response = send(
        &app,
        Method::POST,
        "/Consent",
        &writer,
        Some(&consent(psy)),
        None,
    )
    .await;
    assert_eq!(response.status(), 201);
    let after_conditions = ids(&app.fhir_ok(&conditions, &doctor).await);
    let after_prescriptions = ids(&app.fhir_ok(&prescriptions, &doctor).await);
    for hidden in ["cd-fi-008", "cd-fi-009"] {
        assert!(
            !after_conditions.iter().any(|id| id.ends_with(hidden)),
            "{hidden}"
        );
    }
    for hidden in ["rx-fi-0010", "rx-fi-0011"] {
        assert!(
            !after_prescriptions.iter().any(|id| id.ends_with(hidden)),
            "{hidden}"
        );
    }
    // What is not mental health stays.
    assert!(
        after_prescriptions
            .iter()
            .any(|id| id.ends_with("rx-fi-0012"))
    );
    assert_eq!(
        before_prescriptions.len() - after_prescriptions.len(),
        2,
        "exactly the two psychiatric prescriptions"
    );
    // The summary leaves them out too, without a hint.
    let summary = app.fhir_ok(&summary_path, &doctor).await.to_string();
    for hidden in in_summary {
        assert!(!summary.contains(hidden), "{hidden} in the summary");
    }
}
