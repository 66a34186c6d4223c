//! Acting for someone else (R32, R33), the Helsenorge consent levels (R30), own-use ages (R44),
//! blocked professionals and locked prescriptions (R25), break-the-glass (R26): the rules the
//! portals' own data carries, checked over HTTP.

use serde_json::Value;

use crate::support::app::{
    TestApp, acting_token as acting, assert_outcome, ids, professional_token as professional,
    spawn_app, user_token,
};

async fn total(app: &TestApp, path: &str, token: &str) -> u64 {
    app.fhir_ok(path, token).await["total"].as_u64().unwrap()
}

async fn refused(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.get_json(path, Some(token)).await;
    assert_outcome(status, &body, 403, "forbidden");
    body
}

const NO_MOTHER: &str = "12848801265"; // Kristin Haugen, consent level full
const NO_FATHER: &str = "03898604127"; // Jonas Haugen, consent level basic-plus

#[actix_web::test]
async fn norwegian_parents_by_the_child_s_age() {
    let app = spawn_app().await;
    // Emma, 5: everything the mother's level allows.
    let emma = acting(NO_MOTHER, "no.p-no-003");
    app.fhir_ok("/Patient/no.p-no-003", &emma).await;
    assert!(total(&app, "/Immunization", &emma).await > 0);
    assert!(
        total(&app, "/AllergyIntolerance", &emma).await > 0,
        "peanut allergy"
    );
    // Lukas, 13: limited, no patient record; left out silently, not refused.
    let lukas = acting(NO_MOTHER, "no.p-no-004");
    assert!(total(&app, "/Immunization", &lukas).await > 0);
    let professional_view = total(
        &app,
        "/Condition?patient=no.p-no-004",
        &user_token("user/*.rs"),
    )
    .await
        + total(
            &app,
            "/AllergyIntolerance?patient=no.p-no-004",
            &user_token("user/*.rs"),
        )
        .await;
    assert!(professional_view > 0, "there is a record to hide");
    assert_eq!(total(&app, "/Condition", &lukas).await, 0);
    assert_eq!(total(&app, "/AllergyIntolerance", &lukas).await, 0);
    // Nora, 17: no parental access at all.
    let nora = acting(NO_MOTHER, "no.p-no-005");
    let body = refused(&app, "/Patient/no.p-no-005", &nora).await;
    assert!(
        body["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("guardians")
    );
    refused(&app, "/MedicationRequest", &nora).await;
}

#[actix_web::test]
async fn the_parent_s_own_consent_level_bounds_what_they_see() {
    let app = spawn_app().await;
    // The father has basic-plus: no vaccinations or prescriptions, the patient record yes.
    let father = acting(NO_FATHER, "no.p-no-003");
    assert_eq!(total(&app, "/Immunization", &father).await, 0);
    assert!(total(&app, "/AllergyIntolerance", &father).await > 0);
}

#[actix_web::test]
async fn a_protected_address_ends_norwegian_proxy_access() {
    let app = spawn_app().await;
    // Camilla is Sofie's guardian, but Sofie has a strictly confidential address.
    let token = acting("30919021051", "no.p-no-006");
    refused(&app, "/Patient/no.p-no-006", &token).await;
}

#[actix_web::test]
async fn guardians_in_sweden_denmark_and_finland() {
    let app = spawn_app().await;
    let se_parent = "198403149803";
    assert!(
        total(&app, "/Immunization", &acting(se_parent, "se.p-se-003")).await > 0,
        "SE, 9"
    );
    refused(
        &app,
        "/Patient/se.p-se-005",
        &acting(se_parent, "se.p-se-005"),
    )
    .await; // 14
    refused(
        &app,
        "/Patient/se.p-se-006",
        &acting(se_parent, "se.p-se-006"),
    )
    .await; // 17

    let dk_parent = "1902850204";
    let magnus = acting(dk_parent, "dk.p-dk-004"); // 14: medicines, vaccinations, access log
    assert!(total(&app, "/Immunization", &magnus).await > 0);
    assert_eq!(total(&app, "/Condition", &magnus).await, 0);
    assert_eq!(total(&app, "/AllergyIntolerance", &magnus).await, 0);
    refused(
        &app,
        "/Patient/dk.p-dk-005",
        &acting(dk_parent, "dk.p-dk-005"),
    )
    .await; // 16

    let fi_parent = "060587-900C";
    assert!(
        total(&app, "/Immunization", &acting(fi_parent, "fi.p-fi-003")).await > 0,
        "FI, 7"
    );
    assert!(
        total(&app, "/Immunization", &acting(fi_parent, "fi.p-fi-004")).await > 0,
        "FI, 12"
    );
}

#[actix_web::test]
async fn nobody_acts_for_a_stranger() {
    let app = spawn_app().await;
    // Kristin Haugen is nobody's guardian in Sweden.
    let token = acting(NO_MOTHER, "se.p-se-003");
    refused(&app, "/Patient/se.p-se-003", &token).await;
    refused(&app, "/Immunization", &token).await;
}

#[actix_web::test]
async fn a_power_of_attorney_covers_its_service_areas() {
    let app = spawn_app().await;
    // Karin Holm Sjöberg holds a power of attorney from Birgitta Holm: prescriptions,
    // vaccinations and the patient record, open-ended.
    let karin = acting("196506039806", "se.p-se-009");
    app.fhir_ok("/Patient/se.p-se-009", &karin).await;
    assert!(total(&app, "/MedicationRequest", &karin).await > 0);
    assert!(total(&app, "/Immunization", &karin).await > 0);
    // Trine Johansen Dahl holds one from Arne Johansen for prescriptions and vaccinations, but
    // her own Helsenorge level is basic: the level bounds what the power gives.
    let trine = acting("25826830673", "no.p-no-008");
    app.fhir_ok("/Patient/no.p-no-008", &trine).await;
    assert_eq!(total(&app, "/MedicationRequest", &trine).await, 0);
    // The patient record is outside the power (R32): refused, not empty.
    refused(&app, "/Condition", &trine).await;
    // Silje Ødegård's power from Ingrid Moen ended in 2024.
    refused(
        &app,
        "/Patient/no.p-no-012",
        &acting("29858342463", "no.p-no-012"),
    )
    .await;
}

#[actix_web::test]
async fn helsenorge_levels_and_own_use_age() {
    let app = spawn_app().await;
    // Eirik Lunde withdrew his consent to use the portal: no app access at all.
    let eirik = acting("14927216974", "no.p-no-013");
    refused(&app, "/Patient/no.p-no-013", &eirik).await;
    // Trine (basic): her own demographics, but no prescriptions.
    let trine = acting("25826830673", "no.p-no-009");
    app.fhir_ok("/Patient/no.p-no-009", &trine).await;
    assert_eq!(total(&app, "/MedicationRequest", &trine).await, 0);
    assert!(
        total(
            &app,
            "/MedicationRequest?patient=no.p-no-009",
            &user_token("user/*.rs")
        )
        .await
            > 0
    );
    // Emma, 5, cannot use the portal herself.
    let emma = acting("15862161243", "no.p-no-003");
    let body = refused(&app, "/Patient/no.p-no-003", &emma).await;
    assert!(
        body["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("minimum age")
    );
}

#[actix_web::test]
async fn a_blocked_professional_sees_nothing_and_is_not_told() {
    let app = spawn_app().await;
    let patient = "no.p-no-014";
    let blocked = professional("9171348", None);
    for type_name in [
        "MedicationRequest",
        "Immunization",
        "Condition",
        "AllergyIntolerance",
    ] {
        let bundle = app
            .fhir_ok(&format!("/{type_name}?patient={patient}"), &blocked)
            .await;
        assert_eq!(bundle["total"], 0, "{type_name}");
        let count = app
            .fhir_ok(
                &format!("/{type_name}?patient={patient}&_summary=count"),
                &blocked,
            )
            .await;
        assert_eq!(count["total"], 0, "{type_name} count");
    }
    let (status, body) = app
        .get_json(&format!("/Patient/{patient}"), Some(&blocked))
        .await;
    assert_outcome(status, &body, 404, "not-found");
    let (status, body) = app
        .get_json(
            &format!("/MedicationRequest/{patient}.rx-no-0036"),
            Some(&blocked),
        )
        .await;
    assert_outcome(status, &body, 404, "not-found");
    // Another professional sees her prescriptions, except the locked one.
    let other = professional("1234567", None);
    let seen = ids(&app
        .fhir_ok(&format!("/MedicationRequest?patient={patient}"), &other)
        .await);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(!seen.contains(&format!("{patient}.rx-no-0038")));
    // She sees all three herself.
    let own = acting("29858342463", patient);
    assert_eq!(total(&app, "/MedicationRequest", &own).await, 3);
}

#[actix_web::test]
async fn break_the_glass_overrides_blocks_and_locks() {
    let app = spawn_app().await;
    let patient = "no.p-no-014";
    let emergency = professional("9171348", Some("EMERGENCY"));
    assert_eq!(
        total(
            &app,
            &format!("/MedicationRequest?patient={patient}"),
            &emergency
        )
        .await,
        3
    );
    let coded = professional(
        "9171348",
        Some("http://terminology.hl7.org/CodeSystem/v3-ActReason|BTG"),
    );
    assert_eq!(
        total(
            &app,
            &format!("/MedicationRequest?patient={patient}"),
            &coded
        )
        .await,
        3
    );
    let treatment = professional("9171348", Some("TREATMENT"));
    assert_eq!(
        total(
            &app,
            &format!("/MedicationRequest?patient={patient}"),
            &treatment
        )
        .await,
        0
    );
}

/// R44: Denmark's and Finland's own-use ages are settings; a child below it is refused on
/// their own token (403), at or above it served.
#[actix_web::test]
async fn denmark_s_and_finland_s_own_use_ages_are_configurable() {
    use crate::support::app::{IDP, patient_token, spawn_with, test_settings};
    // dk.p-dk-004 is 14 and fi.p-fi-004 is 12 on the scenarios' date.
    let (dk_child, fi_child) = ("dk.p-dk-004", "fi.p-fi-004");
    let read = |p: &str| format!("/Patient/{p}");
    let by_default = crate::support::app::spawn_app().await;
    refused(
        &by_default,
        &read(dk_child),
        &patient_token(dk_child, "patient/*.rs"),
    )
    .await;
    by_default
        .fhir_ok(&read(fi_child), &patient_token(fi_child, "patient/*.rs"))
        .await;
    let mut settings = test_settings(&IDP);
    settings.consent.own_use_minimum_age.dk = 14;
    settings.consent.own_use_minimum_age.fi = 13;
    let configured = spawn_with(settings).await;
    configured
        .fhir_ok(&read(dk_child), &patient_token(dk_child, "patient/*.rs"))
        .await;
    refused(
        &configured,
        &read(fi_child),
        &patient_token(fi_child, "patient/*.rs"),
    )
    .await;
}

/// R33/R44 for Sweden: guardians until 13; from 13 to 15 neither the guardian nor the child
/// reads the record; from 16 the child does.
#[actix_web::test]
async fn sweden_from_thirteen_to_fifteen_neither_guardian_nor_child_reads_the_record() {
    use crate::support::app::patient_token;
    let app = crate::support::app::spawn_app().await;
    let mother = "198403149803";
    // se.p-se-004 is 12: the guardian reads, the child does not.
    app.fhir_ok("/Patient/se.p-se-004", &acting(mother, "se.p-se-004"))
        .await;
    refused(
        &app,
        "/Patient/se.p-se-004",
        &patient_token("se.p-se-004", "patient/*.rs"),
    )
    .await;
    // se.p-se-005 is 14: neither.
    let body = refused(&app, "/Patient/se.p-se-005", &acting(mother, "se.p-se-005")).await;
    assert!(!body.to_string().contains("198403149803"));
    refused(
        &app,
        "/Patient/se.p-se-005",
        &patient_token("se.p-se-005", "patient/*.rs"),
    )
    .await;
    refused(
        &app,
        "/MedicationRequest",
        &patient_token("se.p-se-005", "patient/*.rs"),
    )
    .await;
    // se.p-se-006 is 17: the child reads, the guardian does not.
    app.fhir_ok(
        "/Patient/se.p-se-006",
        &patient_token("se.p-se-006", "patient/*.rs"),
    )
    .await;
    refused(&app, "/Patient/se.p-se-006", &acting(mother, "se.p-se-006")).await;
}

/// R32: the holder of a power of attorney reads within the service areas it grants; asking
/// for anything else is 403 (the mandate is the holder's own and hides nothing of the
/// patient's), and the holder neither changes nor withdraws the patient's Consents.
#[actix_web::test]
async fn an_attorney_outside_the_granted_areas_is_refused() {
    use reqwest::Method;
    use serde_json::json;

    use crate::consent_write::send;
    use crate::support::app::{AUDIENCE, IDP, read_fhir};
    let app = crate::support::app::spawn_app().await;
    // poa-dk-001: Søren (dk.p-dk-011) gave Hanne (2801700300) prescriptions and the access log.
    let hanne = acting("2801700300", "dk.p-dk-011");
    assert!(total(&app, "/MedicationRequest", &hanne).await > 0);
    app.fhir_ok("/Patient/dk.p-dk-011", &hanne).await;
    for outside in ["/Immunization", "/Condition", "/AllergyIntolerance"] {
        let body = refused(&app, outside, &hanne).await;
        assert_eq!(
            body["issue"][0]["diagnostics"],
            "the power of attorney does not cover this kind of data",
            "{outside}"
        );
    }

    // Birgitta (se.p-se-009) restricts her data herself; Karin, her attorney, may not change
    // or withdraw it.
    let writer = |pid: &str| {
        let mut claims =
            IDP.standard_claims(AUDIENCE, "patient/Consent.cruds", Some("se.p-se-009"));
        claims["pid"] = json!(pid);
        IDP.token(claims)
    };
    let restriction = json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": "Patient/se.p-se-009"},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Immunization"}]}
    });
    let (status, created) = read_fhir(
        send(
            &app,
            Method::POST,
            "/Consent",
            &writer("193801299805"),
            Some(&restriction),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created:#}");
    let path = format!("/Consent/{}", created["id"].as_str().unwrap());
    let karin = writer("196506039806");
    let mut changed = created.clone();
    changed["provision"]["class"][0]["code"] = json!("Condition");
    for (method, body) in [(Method::PUT, Some(&changed)), (Method::DELETE, None)] {
        let (status, outcome) =
            read_fhir(send(&app, method, &path, &karin, body, Some("W/\"1\"")).await).await;
        assert_outcome(status, &outcome, 403, "forbidden");
    }
    // Unchanged: still version 1, still active.
    let stored = app.fhir_ok(&path, &writer("193801299805")).await;
    assert_eq!(stored["meta"]["versionId"], "1");
    assert_eq!(stored["status"], "active");
}

/// R33 for Finland: from 10, MyKanta's per-visit restriction codes hold. Eetu (12) asked at
/// a visit that his guardians not see a prescription: his mother's list leaves it out
/// silently, he sees it himself, and of professionals only its prescriber does.
#[actix_web::test]
async fn finland_a_per_visit_restriction_hides_a_record_from_the_guardians() {
    use crate::support::app::{ids, patient_token};
    let app = crate::support::app::spawn_app().await;
    let restricted = "fi.p-fi-004.rx-fi-0021";
    let listed = |bundle: &Value| ids(bundle).iter().any(|id| id == restricted);
    let mother = acting("060587-900C", "fi.p-fi-004");
    let hers = app.fhir_ok("/MedicationRequest?_count=100", &mother).await;
    assert!(!ids(&hers).is_empty(), "his other prescriptions are there");
    assert!(!listed(&hers));
    let (status, body) = app
        .get_json(&format!("/MedicationRequest/{restricted}"), Some(&mother))
        .await;
    assert_outcome(status, &body, 404, "not-found");
    let his = patient_token("fi.p-fi-004", "patient/*.rs");
    assert!(listed(
        &app.fhir_ok("/MedicationRequest?_count=100", &his).await
    ));
    let search = "/MedicationRequest?patient=fi.p-fi-004&_count=100";
    assert!(listed(
        &app.fhir_ok(search, &professional("10100621478", None))
            .await
    ));
    assert!(!listed(
        &app.fhir_ok(search, &professional("10100999999", None))
            .await
    ));
}
