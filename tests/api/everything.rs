//! `Patient/{id}/$everything` (R22): every resource of the patient the token may see, paged
//! as a searchset and downloadable as NDJSON, through the same access rules as searches (R25).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::app::{
    TestApp, assert_outcome, link, matches, patient_token, read_fhir, spawn_app, user_token,
};
use crate::support::data;
use crate::support::profiles::assert_valid;

const RECORD_TYPES: [&str; 7] = [
    "AllergyIntolerance",
    "Condition",
    "DiagnosticReport",
    "Immunization",
    "MedicationDispense",
    "MedicationRequest",
    "Observation",
];

fn key(resource: &Value) -> String {
    format!(
        "{}/{}",
        resource["resourceType"].as_str().unwrap(),
        resource["id"].as_str().unwrap()
    )
}

/// The NDJSON download: its headers checked, every line a valid resource.
async fn download(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let response = app.get(path, Some(token)).await;
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/fhir+ndjson");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename="),
        "{disposition}"
    );
    assert!(disposition.ends_with(".ndjson\""), "{disposition}");
    assert_eq!(headers["cache-control"], "no-store");
    let text = response.text().await.unwrap();
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|line| {
            assert!(!line.is_empty(), "no blank lines");
            let resource: Value = serde_json::from_str(line).expect("each line is JSON");
            assert_valid(&resource);
            resource
        })
        .collect()
}

/// Every page of `$everything`, followed to the end; returns the matches in order.
async fn paged(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let pages = app.all_pages(path, token).await;
    let total = pages[0]["total"].as_u64().unwrap() as usize;
    let mut all = Vec::new();
    for page in &pages {
        assert_eq!(page["type"], "searchset");
        assert_eq!(
            page["total"].as_u64().unwrap() as usize,
            total,
            "stable total"
        );
        for entry in page["entry"].as_array().into_iter().flatten() {
            assert_eq!(entry["search"]["mode"], "match");
            assert_eq!(
                entry["fullUrl"],
                format!("{}/{}", app.fhir_base, key(&entry["resource"]))
            );
        }
        all.extend(matches(page));
    }
    assert_eq!(all.len(), total, "the pages hold the total");
    all
}

/// What the searches find for the patient, type by type, with the same token.
async fn searched(app: &TestApp, patient: &str, token: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    found.insert(format!("Patient/{patient}"));
    for ty in RECORD_TYPES {
        let bundle = app
            .fhir_ok(&format!("/{ty}?patient={patient}&_count=500"), token)
            .await;
        found.extend(matches(&bundle).iter().map(key));
    }
    found
}

#[actix_web::test]
async fn everything_pages_to_the_end_and_the_download_is_the_union_of_the_pages() {
    let app = spawn_app().await;
    let p = data::NO_POLYPHARMACY;
    let token = patient_token(p, "patient/*.rs");
    let base = format!("/Patient/{p}/$everything");
    let all = paged(&app, &format!("{base}?_count=7"), &token).await;
    let keys: Vec<String> = all.iter().map(key).collect();
    let distinct: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(distinct.len(), keys.len(), "no resource twice");
    assert_eq!(keys[0], format!("Patient/{p}"), "the Patient comes first");
    assert_eq!(distinct, searched(&app, p, &token).await);
    assert!(
        keys.len() >= 23,
        "the Patient and 22 prescriptions at least"
    );

    let lines = download(&app, &format!("{base}?_format=ndjson"), &token).await;
    assert_eq!(
        lines, all,
        "NDJSON lines = the resources of the pages, in order"
    );
    // Other page sizes walk the same list; without _count the server's page size applies.
    for count in [1, 50] {
        let again = paged(&app, &format!("{base}?_count={count}"), &token).await;
        assert_eq!(
            again.iter().map(key).collect::<Vec<_>>(),
            keys,
            "_count={count}"
        );
    }
    let one_page = app.fhir_ok(&base, &token).await;
    assert_eq!(one_page["total"].as_u64().unwrap() as usize, keys.len());
    // The filename names the opaque id, never the national identifier.
    let response = app
        .get(&format!("{base}?_format=ndjson"), Some(&token))
        .await;
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains(p) && !disposition.contains("17854110128"),
        "{disposition}"
    );
}

#[actix_web::test]
async fn one_person_of_each_country_gets_everything_the_searches_find() {
    let app = spawn_app().await;
    for (patient, _, _) in data::ADULTS
        .iter()
        .copied()
        .chain([(data::NO_EMPTY, "", "")])
    {
        let token = patient_token(patient, "patient/*.rs");
        let all = paged(
            &app,
            &format!("/Patient/{patient}/$everything?_count=10"),
            &token,
        )
        .await;
        let keys: BTreeSet<String> = all.iter().map(key).collect();
        assert_eq!(keys, searched(&app, patient, &token).await, "{patient}");
        let lines = download(
            &app,
            &format!("/Patient/{patient}/$everything?_format=application/fhir%2Bndjson"),
            &token,
        )
        .await;
        assert_eq!(lines, all, "{patient}");
    }
    // The NO person with no records: the Patient alone.
    let token = patient_token(data::NO_EMPTY, "patient/*.rs");
    let bundle = app
        .fhir_ok(&format!("/Patient/{}/$everything", data::NO_EMPTY), &token)
        .await;
    assert_eq!(bundle["total"], 1);
}

#[actix_web::test]
async fn an_accept_header_asks_for_the_download_too() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let response = app
        .client
        .get(app.url(&format!("/Patient/{}/$everything", data::SE_ADULT)))
        .bearer_auth(&token)
        .header("Accept", "application/fhir+ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/fhir+ndjson"
    );
    let text = response.text().await.unwrap();
    assert!(text.lines().count() > 1);
}

#[actix_web::test]
async fn type_selects_the_resource_types() {
    let app = spawn_app().await;
    let p = data::NO_POLYPHARMACY;
    let token = user_token("user/*.rs");
    let all = paged(
        &app,
        &format!("/Patient/{p}/$everything?_count=100"),
        &token,
    )
    .await;
    let count_by_type = |resources: &[Value]| -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for r in resources {
            *counts
                .entry(r["resourceType"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        counts
    };
    let everything = count_by_type(&all);
    for (query, expected) in [
        (
            "_type=Condition,Immunization",
            vec!["Condition", "Immunization"],
        ),
        (
            "_type=Condition&_type=Immunization",
            vec!["Condition", "Immunization"],
        ),
        ("_type=Patient", vec!["Patient"]),
        (
            "_type=MedicationRequest,Patient",
            vec!["MedicationRequest", "Patient"],
        ),
        (
            "_type=Observation,DiagnosticReport",
            vec!["DiagnosticReport", "Observation"],
        ),
    ] {
        let selected = paged(
            &app,
            &format!("/Patient/{p}/$everything?{query}&_count=5"),
            &token,
        )
        .await;
        let counts = count_by_type(&selected);
        let expected: BTreeMap<String, usize> = expected
            .into_iter()
            .filter(|t| everything.contains_key(*t))
            .map(|t| (t.to_owned(), everything[t]))
            .collect();
        assert_eq!(counts, expected, "{query}");
        let lines = download(
            &app,
            &format!("/Patient/{p}/$everything?{query}&_format=ndjson"),
            &token,
        )
        .await;
        assert_eq!(lines, selected, "{query}");
    }
    for query in ["_type=Encounter", "_type=Foo", "_type=Condition,", "_type="] {
        let (status, body) = app
            .get_json(&format!("/Patient/{p}/$everything?{query}"), Some(&token))
            .await;
        assert_outcome(status, &body, 400, "invalid");
    }
}

#[actix_web::test]
async fn since_selects_by_last_update() {
    let app = spawn_app().await;
    let p = data::NO_POLYPHARMACY;
    let token = patient_token(p, "patient/*.rs");
    let all = paged(
        &app,
        &format!("/Patient/{p}/$everything?_count=100"),
        &token,
    )
    .await;
    let mut updated: Vec<&str> = all
        .iter()
        .map(|r| r["meta"]["lastUpdated"].as_str().unwrap())
        .collect();
    updated.sort_unstable();
    let pivot = updated[updated.len() / 2];
    let expected: Vec<String> = all
        .iter()
        .filter(|r| r["meta"]["lastUpdated"].as_str().unwrap() >= pivot)
        .map(key)
        .collect();
    assert!(!expected.is_empty() && expected.len() < all.len());
    let since = pivot.replace('+', "%2B");
    let selected = paged(
        &app,
        &format!("/Patient/{p}/$everything?_since={since}&_count=4"),
        &token,
    )
    .await;
    assert_eq!(selected.iter().map(key).collect::<Vec<_>>(), expected);
    let lines = download(
        &app,
        &format!("/Patient/{p}/$everything?_since={since}&_format=ndjson"),
        &token,
    )
    .await;
    assert_eq!(lines, selected);
    let future = app
        .fhir_ok(
            &format!("/Patient/{p}/$everything?_since=2999-01-01T00:00:00Z"),
            &token,
        )
        .await;
    assert_eq!(future["total"], 0);
    for bad in ["2024-01-01", "yesterday", "2024-13-01T00:00:00Z"] {
        let (status, body) = app
            .get_json(
                &format!("/Patient/{p}/$everything?_since={bad}"),
                Some(&token),
            )
            .await;
        assert_outcome(status, &body, 400, "invalid");
    }
}

#[actix_web::test]
async fn a_record_the_patient_may_not_see_yet_is_absent_from_pages_totals_and_download() {
    let app = spawn_app().await;
    let p = data::FI_RELEASE_DELAY;
    let own = patient_token(p, "patient/*.rs");
    let professional = user_token("user/*.rs");
    let seen_by_professional: BTreeSet<String> = paged(
        &app,
        &format!("/Patient/{p}/$everything?_count=3"),
        &professional,
    )
    .await
    .iter()
    .map(key)
    .collect();
    let own_pages = paged(&app, &format!("/Patient/{p}/$everything?_count=3"), &own).await;
    let seen_by_patient: BTreeSet<String> = own_pages.iter().map(key).collect();
    let hidden: Vec<&String> = seen_by_professional.difference(&seen_by_patient).collect();
    // The delayed prescription takes its dispensation with it.
    assert_eq!(
        hidden.len(),
        4,
        "one hidden record of each delayed type, and the dispensation: {hidden:?}"
    );
    assert!(hidden.iter().any(|k| k.starts_with("MedicationDispense/")));
    assert!(seen_by_patient.is_subset(&seen_by_professional));
    assert_eq!(seen_by_patient, searched(&app, p, &own).await);
    let first = app
        .fhir_ok(&format!("/Patient/{p}/$everything"), &own)
        .await;
    assert_eq!(
        first["total"].as_u64().unwrap() as usize,
        seen_by_patient.len()
    );
    let lines = download(
        &app,
        &format!("/Patient/{p}/$everything?_format=ndjson"),
        &own,
    )
    .await;
    let text = serde_json::to_string(&lines).unwrap();
    for key in hidden {
        let id = key.split('/').nth(1).unwrap();
        assert!(!text.contains(id), "{id} leaks into the download");
    }
    assert_eq!(lines, own_pages);
}

#[actix_web::test]
async fn compartments_and_scopes_apply_as_for_searches() {
    let app = spawn_app().await;
    let own = patient_token(data::NO_ADULT, "patient/*.rs");
    app.assert_each_refused(
        [
            format!("/Patient/{}/$everything", data::SE_ADULT),
            format!(
                "/Patient/{}/$everything?_format=ndjson",
                data::NO_POLYPHARMACY
            ),
            "/Patient/no.p-no-999/$everything".to_owned(),
        ],
        &own,
        404,
        "not-found",
    )
    .await;
    let professional = user_token("user/*.rs");
    let (status, body) = app
        .get_json("/Patient/no.p-no-999/$everything", Some(&professional))
        .await;
    assert_outcome(status, &body, 404, "not-found");
    // A token without some types gets the others; asking for one it lacks is refused.
    let p = data::NO_POLYPHARMACY;
    let narrow = patient_token(p, "patient/Patient.rs patient/Immunization.rs");
    let all = paged(&app, &format!("/Patient/{p}/$everything"), &narrow).await;
    let types: BTreeSet<&str> = all
        .iter()
        .map(|r| r["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(types, BTreeSet::from(["Immunization", "Patient"]));
    let (status, body) = app
        .get_json(
            &format!("/Patient/{p}/$everything?_type=MedicationRequest"),
            Some(&narrow),
        )
        .await;
    assert_outcome(status, &body, 403, "forbidden");
    // Without Patient read, no $everything.
    let no_patient = patient_token(p, "patient/Immunization.rs");
    let (status, body) = app
        .get_json(&format!("/Patient/{p}/$everything"), Some(&no_patient))
        .await;
    assert_outcome(status, &body, 403, "forbidden");
}

#[actix_web::test]
async fn page_links_are_sealed_and_bound_to_the_patient() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let first = app
        .fhir_ok(
            &format!(
                "/Patient/{}/$everything?_count=2&_type=MedicationRequest",
                data::NO_POLYPHARMACY
            ),
            &token,
        )
        .await;
    let next = link(&first, "next").unwrap();
    assert!(
        !next.contains("_type") && !next.contains("_count"),
        "{next}"
    );
    let token_part = next.split("_page=").nth(1).unwrap();
    app.assert_each_refused(
        [
            format!("/Patient/{}/$everything?_page={token_part}", data::NO_ADULT),
            format!("/Patient?_page={token_part}"),
            format!(
                "/Patient/{}/$everything?_page={token_part}&_count=3",
                data::NO_POLYPHARMACY
            ),
            format!(
                "/Patient/{}/$everything?_page=garbage",
                data::NO_POLYPHARMACY
            ),
        ],
        &token,
        400,
        "invalid",
    )
    .await;
}

#[actix_web::test]
async fn everything_errors_are_operation_outcomes() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let path = format!("/Patient/{}/$everything", data::NO_ADULT);
    let (status, body) = app.get_json(&path, None).await;
    assert_outcome(status, &body, 401, "login");
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let response = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], "GET");
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 405, "not-supported");
    }
    app.assert_each_refused(
        ["?_format=xml", "?_format=text/csv"].map(|q| format!("{path}{q}")),
        &token,
        406,
        "not-supported",
    )
    .await;
    app.assert_each_refused(
        [
            "?_format=ndjson&_count=5",
            "?start=2024-01-01",
            "?end=2024-01-01",
            "?_count=many",
            "?_since=2024-01-01T00:00:00Z&_since=2024-02-01T00:00:00Z",
            "?status=active",
        ]
        .map(|q| format!("{path}{q}")),
        &token,
        400,
        "invalid",
    )
    .await;
}
