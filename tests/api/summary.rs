//! `Patient/{id}/$summary` and `Patient/$summary?identifier=` (R14, R15): the International
//! Patient Summary document, through the same access rules as reads and searches (R25).
//!
//! Every body is validated by the test client against the R4 schema and the project's IPS
//! profiles (Bundle-uv-ips, Composition-uv-ips, MedicationStatement-uv-ips, and the profile of
//! each entry); the checks here are those a schema cannot make.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::app::{
    TestApp, assert_outcome, ids, matches, patient_token, read_fhir, spawn_app, user_token,
};
use crate::support::data;
use crate::support::xhtml::assert_xhtml_div;

const LOINC: &str = "http://loinc.org";
const IPS_BUNDLE: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips";
const IPS_COMPOSITION: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips";
const EPS_BUNDLE: &str = "http://hl7.eu/fhir/eps/StructureDefinition/bundle-eu-eps";
const EPS_COMPOSITION: &str = "http://hl7.eu/fhir/eps/StructureDefinition/composition-eu-eps";
const ABSENT_UNKNOWN: &str = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips";
const PROBLEMS: &str = "11450-4";
const ALLERGIES: &str = "48765-2";
const MEDICATIONS: &str = "10160-0";
const IMMUNIZATIONS: &str = "11369-6";
const PAST_ILLNESS: &str = "11348-0";

fn entries(doc: &Value) -> &Vec<Value> {
    doc["entry"].as_array().expect("entries")
}

fn composition(doc: &Value) -> &Value {
    &doc["entry"][0]["resource"]
}

fn section<'a>(doc: &'a Value, loinc: &str) -> Option<&'a Value> {
    composition(doc)["section"]
        .as_array()?
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == loinc)
}

/// The resources a section lists, resolved through the entries' fullUrls.
fn listed<'a>(doc: &'a Value, loinc: &str) -> Vec<&'a Value> {
    section(doc, loinc)
        .and_then(|s| s["entry"].as_array())
        .map(|refs| refs.iter().map(|r| resolve(doc, r)).collect())
        .unwrap_or_default()
}

fn resolve<'a>(doc: &'a Value, reference: &Value) -> &'a Value {
    let url = reference["reference"]
        .as_str()
        .expect("a literal reference");
    &entries(doc)
        .iter()
        .find(|e| e["fullUrl"] == url)
        .unwrap_or_else(|| panic!("{url} does not resolve to an entry of the document"))["resource"]
}

fn count_of(doc: &Value, resource_type: &str) -> usize {
    entries(doc)
        .iter()
        .filter(|e| e["resource"]["resourceType"] == resource_type)
        .count()
}

/// What every patient summary must be, beyond the schemas: one Composition first, one
/// Patient (the one asked for), unique fullUrls, every reference resolvable inside the
/// document, the required sections, well-formed escaped narratives.
fn assert_ips_document(doc: &Value, patient_id: &str, fhir_base: &str) {
    assert_eq!(doc["resourceType"], "Bundle");
    assert_eq!(doc["type"], "document");
    assert!(doc["identifier"]["system"].is_string() && doc["identifier"]["value"].is_string());
    assert!(doc["timestamp"].is_string());
    let c = composition(doc);
    assert_eq!(c["resourceType"], "Composition");
    assert_eq!(c["type"]["coding"][0]["system"], LOINC);
    assert_eq!(c["type"]["coding"][0]["code"], "60591-5");
    assert!(c["title"].is_string() && c["date"].is_string());
    assert!(matches!(c["confidentiality"].as_str(), Some("N" | "R")));
    assert_eq!(count_of(doc, "Composition"), 1);
    assert_eq!(count_of(doc, "Patient"), 1);
    let patient = resolve(doc, &c["subject"]);
    assert_eq!(patient["resourceType"], "Patient");
    assert_eq!(patient["id"], patient_id);
    let author = resolve(doc, &c["author"][0]);
    assert_eq!(author["resourceType"], "Device");
    assert_eq!(author["deviceName"][0]["name"], "ehds-gateway");
    let urls: BTreeSet<&str> = entries(doc)
        .iter()
        .map(|e| e["fullUrl"].as_str().expect("fullUrl"))
        .collect();
    assert_eq!(urls.len(), entries(doc).len(), "fullUrls are unique");
    for e in entries(doc) {
        let url = e["fullUrl"].as_str().unwrap();
        let r = &e["resource"];
        let (ty, id) = (
            r["resourceType"].as_str().unwrap(),
            r["id"].as_str().unwrap(),
        );
        assert!(
            url == format!("{fhir_base}/{ty}/{id}") || url == format!("urn:uuid:{id}"),
            "{url} is neither the RESTful URL nor the urn:uuid of {ty}/{id}"
        );
        // A resource in a urn:uuid entry points to the Patient absolutely; a served one
        // relatively, resolved against its own RESTful fullUrl.
        let subject = r.get("subject").or_else(|| r.get("patient"));
        if let Some(subject) = subject.filter(|_| ty != "Composition") {
            let reference = subject["reference"].as_str().unwrap();
            let absolute = if reference.starts_with("urn:") || reference.starts_with("http") {
                reference.to_owned()
            } else {
                assert!(
                    url.starts_with(fhir_base),
                    "{url}: relative reference {reference}"
                );
                format!("{fhir_base}/{reference}")
            };
            assert_eq!(
                absolute,
                format!("{fhir_base}/Patient/{patient_id}"),
                "{url}"
            );
        }
    }
    for code in [PROBLEMS, ALLERGIES, MEDICATIONS] {
        let s = section(doc, code).unwrap_or_else(|| panic!("required section {code}"));
        let has_entries = s["entry"].as_array().is_some_and(|e| !e.is_empty());
        assert!(
            has_entries != s.get("emptyReason").is_some(),
            "{code}: entries or an emptyReason, not both and not neither"
        );
    }
    let mut codes = BTreeSet::new();
    for s in c["section"].as_array().unwrap() {
        assert!(s["title"].is_string());
        assert!(codes.insert(s["code"]["coding"][0]["code"].as_str().unwrap()));
        assert_eq!(s["text"]["status"], "generated");
        assert_xhtml_div(s["text"]["div"].as_str().unwrap());
        for r in s["entry"].as_array().into_iter().flatten() {
            resolve(doc, r);
        }
    }
}

async fn summary(app: &TestApp, patient: &str, token: &str) -> Value {
    let doc = app
        .fhir_ok(&format!("/Patient/{patient}/$summary"), token)
        .await;
    assert_ips_document(&doc, patient, &app.fhir_base);
    doc
}

/// Every match of a search of `type_name` for the patient, with the same token.
async fn searched(app: &TestApp, type_name: &str, patient: &str, token: &str) -> Vec<Value> {
    matches(
        &app.fhir_ok(&format!("/{type_name}?patient={patient}&_count=500"), token)
            .await,
    )
}

fn ids_of(resources: &[&Value]) -> BTreeSet<String> {
    resources
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn one_person_of_each_country_gets_a_complete_ips_document() {
    let app = spawn_app().await;
    for (patient, _, _) in data::ADULTS {
        let token = patient_token(patient, "patient/*.rs");
        let doc = summary(&app, patient, &token).await;
        assert_eq!(doc["meta"]["profile"][0], IPS_BUNDLE, "{patient}");
        // The sections list what a search by patient finds, split as the summary splits it.
        let allergies = searched(&app, "AllergyIntolerance", patient, &token).await;
        let listed_allergies = listed(&doc, ALLERGIES);
        if allergies.is_empty() {
            assert!(listed_allergies.is_empty());
            assert_eq!(
                section(&doc, ALLERGIES).unwrap()["emptyReason"]["coding"][0]["code"],
                "unavailable"
            );
        } else {
            assert_eq!(
                ids_of(&listed_allergies),
                ids_of(&allergies.iter().collect::<Vec<_>>())
            );
        }
        let conditions = searched(&app, "Condition", patient, &token).await;
        let (past, current): (Vec<&Value>, Vec<&Value>) = conditions
            .iter()
            .partition(|c| c["clinicalStatus"]["coding"][0]["code"] == "resolved");
        if !current.is_empty() {
            assert_eq!(
                ids_of(&listed(&doc, PROBLEMS)),
                ids_of(&current),
                "{patient}"
            );
        }
        assert_eq!(
            ids_of(&listed(&doc, PAST_ILLNESS)),
            ids_of(&past),
            "{patient}"
        );
        let immunizations = searched(&app, "Immunization", patient, &token).await;
        let shown: Vec<&Value> = immunizations
            .iter()
            .filter(|i| i["status"] != "entered-in-error")
            .collect();
        assert_eq!(
            ids_of(&listed(&doc, IMMUNIZATIONS)),
            ids_of(&shown),
            "{patient}"
        );
        assert_eq!(section(&doc, IMMUNIZATIONS).is_some(), !shown.is_empty());
    }
}

#[actix_web::test]
async fn the_medication_summary_restates_the_current_prescriptions_with_their_codes() {
    let app = spawn_app().await;
    let p = data::NO_POLYPHARMACY;
    let token = patient_token(p, "patient/*.rs");
    let doc = summary(&app, p, &token).await;
    let current = matches(
        &app.fhir_ok(
            &format!("/MedicationRequest?patient={p}&status=active,on-hold&_count=100"),
            &token,
        )
        .await,
    );
    let statements = listed(&doc, MEDICATIONS);
    assert!(statements.len() >= 15);
    assert_eq!(
        statements.len(),
        current.len(),
        "one statement per current prescription"
    );
    let mut by_codes: BTreeMap<String, usize> = BTreeMap::new();
    for request in &current {
        *by_codes
            .entry(request["medicationCodeableConcept"].to_string())
            .or_default() += 1;
    }
    for statement in &statements {
        assert_eq!(statement["resourceType"], "MedicationStatement");
        assert!(matches!(
            statement["status"].as_str(),
            Some("active" | "on-hold")
        ));
        let codings = statement["medicationCodeableConcept"]["coding"]
            .as_array()
            .unwrap();
        assert_eq!(codings[0]["system"], "http://www.whocc.no/atc");
        assert!(codings.len() >= 2, "the national product code beside ATC");
        assert!(statement["dosage"][0]["text"].is_string());
        assert!(statement["effectivePeriod"]["start"].is_string());
        let key = statement["medicationCodeableConcept"].to_string();
        let left = by_codes
            .get_mut(&key)
            .expect("a statement of a current prescription");
        *left -= 1;
    }
    assert!(by_codes.values().all(|n| *n == 0));
    let text = assert_xhtml_div(
        section(&doc, MEDICATIONS).unwrap()["text"]["div"]
            .as_str()
            .unwrap(),
    );
    assert!(
        text.contains(
            statements[0]["medicationCodeableConcept"]["coding"][0]["code"]
                .as_str()
                .unwrap()
        )
    );
}

#[actix_web::test]
async fn a_person_with_no_records_gets_sections_that_say_so_not_silence() {
    let app = spawn_app().await;
    let token = patient_token(data::NO_EMPTY, "patient/*.rs");
    // IPS 2.0 (the default): an emptyReason, and the narrative says it in words.
    let doc = summary(&app, data::NO_EMPTY, &token).await;
    assert_eq!(doc["meta"]["profile"][0], IPS_BUNDLE);
    for code in [PROBLEMS, ALLERGIES, MEDICATIONS] {
        let s = section(&doc, code).unwrap();
        assert_eq!(
            s["emptyReason"]["coding"][0]["code"], "unavailable",
            "{code}"
        );
        assert!(s.get("entry").is_none(), "{code}");
        let text = assert_xhtml_div(s["text"]["div"].as_str().unwrap());
        assert!(text.contains("No information about"), "{text}");
    }
    assert!(section(&doc, IMMUNIZATIONS).is_none());
    assert!(section(&doc, PAST_ILLNESS).is_none());
    assert_eq!(entries(&doc).len(), 3, "Composition, Patient and Device");

    // IPS 1.1.0 on request: a "no information about ..." resource in each.
    let path = format!(
        "/Patient/{}/$summary?profile={IPS_COMPOSITION}|1.1.0",
        data::NO_EMPTY
    );
    let doc = app.fhir_ok(&path, &token).await;
    assert_eq!(doc["meta"]["profile"][0], format!("{IPS_BUNDLE}|1.1.0"));
    for (code, absent) in [
        (PROBLEMS, "no-problem-info"),
        (ALLERGIES, "no-allergy-info"),
        (MEDICATIONS, "no-medication-info"),
    ] {
        let s = section(&doc, code).unwrap();
        assert!(s.get("emptyReason").is_none(), "{code}");
        let resources = listed(&doc, code);
        assert_eq!(resources.len(), 1, "{code}");
        let concept = resources[0]
            .get("code")
            .unwrap_or(&resources[0]["medicationCodeableConcept"]);
        assert_eq!(concept["coding"][0]["system"], ABSENT_UNKNOWN, "{code}");
        assert_eq!(concept["coding"][0]["code"], absent, "{code}");
    }
    assert_eq!(
        entries(&doc).len(),
        6,
        "Composition, Patient, Device and three 'no information'"
    );
}

#[actix_web::test]
async fn the_summary_by_identifier_is_the_summary_of_that_person() {
    let app = spawn_app().await;
    let professional = user_token("user/*.rs");
    for (patient, system, value) in data::ADULTS {
        let by_id = summary(&app, patient, &professional).await;
        let by_identifier = app
            .fhir_ok(
                &format!("/Patient/$summary?identifier={system}|{value}"),
                &professional,
            )
            .await;
        assert_ips_document(&by_identifier, patient, &app.fhir_base);
        // Two documents, the same content.
        assert_ne!(by_id["identifier"], by_identifier["identifier"]);
        let urls = |doc: &Value| -> BTreeSet<String> {
            entries(doc)[1..]
                .iter()
                .map(|e| e["fullUrl"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(urls(&by_id), urls(&by_identifier), "{patient}");
    }
    // The IPS 1.1.0 OperationDefinition spells the parameter `identifer`; it works too.
    let (patient, system, value) = data::ADULTS[1];
    let doc = app
        .fhir_ok(
            &format!("/Patient/$summary?identifer={system}|{value}"),
            &professional,
        )
        .await;
    assert_ips_document(&doc, patient, &app.fhir_base);
    // A patient token finds its own patient by identifier.
    let own = patient_token(data::NO_ADULT, "patient/*.rs");
    let doc = app
        .fhir_ok(
            &format!(
                "/Patient/$summary?identifier=urn:oid:2.16.578.1.12.4.1.4.1|{}",
                data::NO_ADULT_FNR
            ),
            &own,
        )
        .await;
    assert_ips_document(&doc, data::NO_ADULT, &app.fhir_base);
}

#[actix_web::test]
async fn identifier_errors_are_those_of_a_patient_search() {
    let app = spawn_app().await;
    let professional = user_token("user/*.rs");
    let no = "urn:oid:2.16.578.1.12.4.1.4.1";
    for (query, status, code) in [
        ("", 400, "invalid"),
        ("?identifier=", 400, "invalid"),
        (
            &format!("?identifier={}", data::NO_ADULT_FNR) as &str,
            400,
            "invalid",
        ),
        (&format!("?identifier={no}|"), 400, "invalid"),
        ("?identifier=urn:oid:1.2.3|123", 404, "not-found"),
        (&format!("?identifier={no}|17854110129"), 400, "invalid"),
        (
            &format!("?identifier={no}|{}", data::NO_UNKNOWN_FNR),
            404,
            "not-found",
        ),
        (
            &format!(
                "?identifier={no}|{}&identifier={no}|{}",
                data::NO_ADULT_FNR,
                data::NO_ADULT_FNR
            ),
            400,
            "invalid",
        ),
    ] {
        let (got, body) = app
            .get_json(&format!("/Patient/$summary{query}"), Some(&professional))
            .await;
        assert_outcome(got, &body, status, code);
        let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(
            !diagnostics.contains("1785411012"),
            "no number echoed: {diagnostics}"
        );
    }
}

#[actix_web::test]
async fn other_patients_and_unknown_ids_are_404_as_for_reads() {
    let app = spawn_app().await;
    let own = patient_token(data::NO_ADULT, "patient/*.rs");
    let professional = user_token("user/*.rs");
    for (path, token) in [
        (format!("/Patient/{}/$summary", data::SE_ADULT), &own),
        (format!("/Patient/{}/$summary", data::NO_POLYPHARMACY), &own),
        ("/Patient/no.p-no-999/$summary".to_owned(), &professional),
        ("/Patient/not-an-id/$summary".to_owned(), &professional),
        (
            format!("/Patient/{}/$summary", data::SE_ADULT_PRESCRIPTION),
            &professional,
        ),
        (
            format!(
                "/Patient/$summary?identifier={}|{}",
                data::SE_ADULT_IDENTIFIER.0,
                data::SE_ADULT_IDENTIFIER.1
            ),
            &own,
        ),
    ] {
        let (status, body) = app.get_json(&path, Some(token)).await;
        assert_outcome(status, &body, 404, "not-found");
        // The same answer as a read of that patient with the same token.
        if let Some(id) = path
            .strip_prefix("/Patient/")
            .and_then(|p| p.strip_suffix("/$summary"))
        {
            let (read, _) = app.get_json(&format!("/Patient/{id}"), Some(token)).await;
            assert_eq!(read, 404, "{path}");
        }
    }
}

#[actix_web::test]
async fn a_record_the_patient_may_not_see_yet_is_absent_without_a_hint() {
    let app = spawn_app().await;
    let p = data::FI_RELEASE_DELAY;
    let own = patient_token(p, "patient/*.rs");
    let professional = user_token("user/*.rs");
    let mut hidden = Vec::new();
    for type_name in ["MedicationRequest", "Immunization", "Condition"] {
        let all = ids(&app
            .fhir_ok(
                &format!("/{type_name}?patient={p}&_count=100"),
                &professional,
            )
            .await);
        let visible = ids(&app.fhir_ok(&format!("/{type_name}?_count=100"), &own).await);
        hidden.extend(all.into_iter().filter(|id| !visible.contains(id)));
    }
    assert_eq!(hidden.len(), 3, "one hidden record per type: {hidden:?}");
    let for_patient = summary(&app, p, &own).await;
    let for_professional = summary(&app, p, &professional).await;
    let text = for_patient.to_string();
    for id in &hidden {
        assert!(
            !text.contains(id.as_str()),
            "{id} leaks into the patient's summary"
        );
    }
    // The professional's document holds the patient's entries and, beside them, exactly
    // hidden records; the patient's carries nothing that says something was left out.
    // The clinical entries, by id (the Composition is each document's own).
    let ids_of = |doc: &Value| -> std::collections::BTreeSet<String> {
        entries(doc)
            .iter()
            .filter(|e| e["resource"]["resourceType"] != "Composition")
            .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (professional_ids, patient_ids) = (ids_of(&for_professional), ids_of(&for_patient));
    assert!(patient_ids.is_subset(&professional_ids));
    let extra: Vec<&String> = professional_ids.difference(&patient_ids).collect();
    assert_eq!(
        entries(&for_professional).len() - entries(&for_patient).len(),
        extra.len()
    );
    // Of the extra entries, those that are national records (beside what the IPS derives
    // from them, such as a Medication) are hidden ones.
    let extra_records: Vec<&&String> = extra
        .iter()
        .filter(|id| id.starts_with(&format!("{p}.")))
        .collect();
    assert!(
        !extra_records.is_empty(),
        "the professional sees a hidden record"
    );
    assert!(
        extra_records.iter().all(|id| hidden.contains(**id)),
        "only hidden records are extra: {extra:?}"
    );
    for s in composition(&for_patient)["section"].as_array().unwrap() {
        assert!(s.get("emptyReason").is_none());
    }
    // Nor does a hidden record's name reach the patient's narratives.
    let mut names_checked = 0;
    for resource in entries(&for_professional).iter().map(|e| &e["resource"]) {
        let id = resource["id"].as_str().unwrap();
        if hidden.iter().any(|h| h == id) {
            let display = resource["code"]
                .get("text")
                .or(resource["vaccineCode"].get("text"))
                .and_then(Value::as_str);
            let shown_elsewhere = entries(&for_patient).iter().any(|e| {
                e["resource"]["code"]["text"].as_str() == display
                    || e["resource"]["vaccineCode"]["text"].as_str() == display
            });
            if let (Some(display), false) = (display, shown_elsewhere) {
                assert!(!text.contains(display), "{display} leaks into a narrative");
                names_checked += 1;
            }
        }
    }
    assert!(
        names_checked > 0,
        "some hidden record has a name of its own"
    );
}

#[actix_web::test]
async fn a_type_the_token_may_not_read_is_withheld_not_silently_empty() {
    let app = spawn_app().await;
    let p = data::NO_POLYPHARMACY;
    let token = patient_token(p, "patient/Patient.rs patient/MedicationRequest.rs");
    let doc = summary(&app, p, &token).await;
    for code in [PROBLEMS, ALLERGIES, IMMUNIZATIONS] {
        let s = section(&doc, code).unwrap_or_else(|| panic!("section {code} is there"));
        assert_eq!(
            s["emptyReason"]["coding"][0]["system"],
            "http://terminology.hl7.org/CodeSystem/list-empty-reason"
        );
        assert_eq!(s["emptyReason"]["coding"][0]["code"], "withheld", "{code}");
        assert!(s.get("entry").is_none());
        let text = assert_xhtml_div(s["text"]["div"].as_str().unwrap());
        assert!(text.contains("Withheld"), "{text}");
    }
    assert!(!listed(&doc, MEDICATIONS).is_empty());
    for ty in ["AllergyIntolerance", "Condition", "Immunization"] {
        assert_eq!(count_of(&doc, ty), 0, "{ty} is not in the document");
    }
    // IPS 2.0 allows this on every section: the document still claims the profiles. An
    // IPS 1.1.0 document cannot say it, so it departs from 1.1.0 and claims neither.
    assert_eq!(doc["meta"]["profile"][0], IPS_BUNDLE);
    assert_eq!(composition(&doc)["meta"]["profile"][0], IPS_COMPOSITION);
    let v1 = app
        .fhir_ok(
            &format!("/Patient/{p}/$summary?profile={IPS_BUNDLE}|1.1.0"),
            &token,
        )
        .await;
    assert_eq!(
        section(&v1, PROBLEMS).unwrap()["emptyReason"]["coding"][0]["code"],
        "withheld"
    );
    assert!(v1["meta"].get("profile").is_none());
    assert!(composition(&v1)["meta"].get("profile").is_none());

    // v2 query scopes narrow a section as they narrow a search.
    let narrowed = patient_token(
        p,
        "patient/Patient.rs patient/Condition.rs patient/AllergyIntolerance.rs \
         patient/Immunization.rs patient/MedicationRequest.rs?status=on-hold",
    );
    let on_hold = searched(&app, "MedicationRequest", p, &narrowed).await;
    assert!(!on_hold.is_empty());
    assert!(on_hold.iter().all(|r| r["status"] == "on-hold"));
    let doc = summary(&app, p, &narrowed).await;
    let statements = listed(&doc, MEDICATIONS);
    assert_eq!(statements.len(), on_hold.len());
    assert!(statements.iter().all(|s| s["status"] == "on-hold"));
    // Without Patient read there is no document to make.
    let no_patient = patient_token(p, "patient/Condition.rs patient/AllergyIntolerance.rs");
    let (status, body) = app
        .get_json(&format!("/Patient/{p}/$summary"), Some(&no_patient))
        .await;
    assert_outcome(status, &body, 403, "forbidden");
}

#[actix_web::test]
async fn a_protected_person_s_address_stays_out_of_the_document() {
    let app = spawn_app().await;
    let professional = user_token("user/*.rs");
    let doc = summary(&app, data::NO_PROTECTED, &professional).await;
    let patient = resolve(&doc, &composition(&doc)["subject"]);
    assert!(patient.get("address").is_none() && patient.get("telecom").is_none());
    assert_eq!(composition(&doc)["confidentiality"], "R");
    let ordinary = summary(&app, data::NO_ADULT, &professional).await;
    assert!(resolve(&ordinary, &composition(&ordinary)["subject"])["address"].is_array());
}

#[actix_web::test]
async fn summary_errors_are_operation_outcomes() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let path = format!("/Patient/{}/$summary", data::NO_ADULT);
    // No token.
    let (status, body) = app.get_json(&path, None).await;
    assert_outcome(status, &body, 401, "login");
    // Writes of any kind.
    for (method, path) in [
        (reqwest::Method::POST, path.clone()),
        (reqwest::Method::PUT, path.clone()),
        (reqwest::Method::DELETE, path.clone()),
        (reqwest::Method::POST, "/Patient/$summary".to_owned()),
    ] {
        let response = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(&token)
            .header("Content-Type", "application/fhir+json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], "GET");
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 405, "not-supported");
    }
    // XML, NDJSON.
    app.assert_each_refused(
        ["?_format=xml", "?_format=ndjson"].map(|q| format!("{path}{q}")),
        &token,
        406,
        "not-supported",
    )
    .await;
    let response = app
        .client
        .get(app.url(&path))
        .bearer_auth(&token)
        .header("Accept", "application/fhir+xml")
        .send()
        .await
        .unwrap();
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 406, "not-supported");
    // Parameters the operation does not have, or values it does not support.
    app.assert_each_refused(
        [
            "?graph=http://example.org/g",
            "?profile=http://example.org/StructureDefinition/other",
            "?profile=http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips|9.9.9",
            "?profile=http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips",
            // One document, one profile.
            "?profile=http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips&profile=http://hl7.eu/fhir/eps/StructureDefinition/bundle-eu-eps",
            "?identifier=urn:oid:2.16.578.1.12.4.1.4.1|12848801265",
            "?_pretty=maybe",
        ]
        .map(|q| format!("{path}{q}")),
        &token,
        400,
        "invalid",
    )
    .await;
    // An unsupported profile is refused with the list of those that are.
    let (status, body) = app
        .get_json(
            &format!("{path}?profile=http://hl7.eu/fhir/eps/StructureDefinition/patient-eu-eps"),
            Some(&token),
        )
        .await;
    assert_outcome(status, &body, 400, "invalid");
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    for supported in [
        "Composition-uv-ips|1.1.0",
        "bundle-eu-eps",
        "composition-eu-eps",
    ] {
        assert!(diagnostics.contains(supported), "{diagnostics}");
    }
    // The IPS profiles may be asked for explicitly, by Bundle or (as IPS 2.0.0's
    // OperationDefinition has it) Composition, with or without the version.
    for (profile, claim) in [
        (IPS_BUNDLE.to_owned(), IPS_BUNDLE.to_owned()),
        (IPS_COMPOSITION.to_owned(), IPS_BUNDLE.to_owned()),
        (format!("{IPS_COMPOSITION}|2.0.0"), IPS_BUNDLE.to_owned()),
        (
            format!("{IPS_COMPOSITION}|1.1.0"),
            format!("{IPS_BUNDLE}|1.1.0"),
        ),
        (format!("{IPS_BUNDLE}|1.1.0"), format!("{IPS_BUNDLE}|1.1.0")),
        (EPS_BUNDLE.to_owned(), EPS_BUNDLE.to_owned()),
        (EPS_COMPOSITION.to_owned(), EPS_BUNDLE.to_owned()),
    ] {
        let doc = app
            .fhir_ok(&format!("{path}?profile={profile}&_pretty=true"), &token)
            .await;
        assert_eq!(doc["meta"]["profile"][0], claim.as_str(), "{profile}");
    }
    // Another operation or type: not here.
    let (status, body) = app
        .get_json(
            &format!("/Condition/{}/$summary", data::NO_ADULT),
            Some(&token),
        )
        .await;
    assert_outcome(status, &body, 404, "not-found");
}

/// IPS 2.0's Alerts section carries the portals' critical information: a Flag for each
/// active allergy of high criticality, pointing to the allergy listed under Allergies.
#[actix_web::test]
async fn critical_allergies_are_alerts() {
    let app = spawn_app().await;
    let patient = "no.p-no-003";
    let token = crate::support::app::professional_token("1234567", None);
    let critical: BTreeSet<String> = searched(&app, "AllergyIntolerance", patient, &token)
        .await
        .iter()
        .filter(|a| {
            a["criticality"] == "high" && a["clinicalStatus"]["coding"][0]["code"] == "active"
        })
        .map(|a| {
            format!(
                "{}/AllergyIntolerance/{}",
                app.fhir_base,
                a["id"].as_str().unwrap()
            )
        })
        .collect();
    assert!(!critical.is_empty(), "{patient} has a critical allergy");
    let doc = summary(&app, patient, &token).await;
    let flags = listed(&doc, "104605-1");
    let pointed: BTreeSet<String> = flags
        .iter()
        .map(|f| {
            assert_eq!(f["resourceType"], "Flag");
            f["extension"][0]["valueReference"]["reference"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(pointed, critical);
    let v1 = app
        .fhir_ok(
            &format!("/Patient/{patient}/$summary?profile={IPS_BUNDLE}|1.1.0"),
            &token,
        )
        .await;
    assert!(
        section(&v1, "104605-1").is_none(),
        "no Alerts section in IPS 1.1.0"
    );
}

/// The HL7 Europe Patient Summary on request, by patient and by identifier: an IPS 2.0
/// document with the EPS's required sections and claims, listing what the IPS lists.
#[actix_web::test]
async fn the_eu_patient_summary_on_request() {
    let app = spawn_app().await;
    let patient = data::NO_POLYPHARMACY;
    let token = patient_token(patient, "patient/*.rs");
    let ips = summary(&app, patient, &token).await;
    for path in [
        format!("/Patient/{patient}/$summary?profile={EPS_BUNDLE}"),
        format!(
            "/Patient/$summary?identifier=urn:oid:2.16.578.1.12.4.1.4.1|{}&profile={EPS_COMPOSITION}",
            data::NO_POLYPHARMACY_FNR
        ),
    ] {
        let eps = app.fhir_ok(&path, &token).await;
        assert_eq!(
            eps["meta"]["profile"],
            serde_json::json!([EPS_BUNDLE, IPS_BUNDLE]),
            "{path}"
        );
        for code in ["47519-4", "46264-8"] {
            let s = section(&eps, code).unwrap_or_else(|| panic!("section {code}"));
            assert_eq!(s["emptyReason"]["coding"][0]["code"], "unavailable");
        }
        // The same data as the IPS document: every section of the IPS is there with the
        // same entries.
        for s in composition(&ips)["section"].as_array().unwrap() {
            let code = s["code"]["coding"][0]["code"].as_str().unwrap();
            let same = section(&eps, code).unwrap_or_else(|| panic!("section {code}"));
            assert_eq!(
                same["entry"].as_array().map(Vec::len),
                s["entry"].as_array().map(Vec::len),
                "{code}"
            );
        }
    }
}
