//! Paging (`_count`, sealed `next` links), `_summary`, `_elements` (R18, R40).

use std::collections::BTreeSet;

use crate::support::app::{
    IDP, assert_outcome, ids, link, matches, spawn_app, spawn_with, test_settings, user_token,
};
use crate::support::data;

#[actix_web::test]
async fn paging_walks_to_the_end_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let everyone = app.fhir_ok("/Patient?_count=500", &token).await;
    let total = everyone["total"].as_u64().unwrap() as usize;
    assert!(total >= 44);
    for count in [1, 7, 10, total] {
        let pages = app
            .all_pages(&format!("/Patient?_count={count}"), &token)
            .await;
        assert_eq!(pages.len(), total.div_ceil(count), "_count={count}");
        let mut seen = Vec::new();
        for page in &pages {
            assert_eq!(page["total"].as_u64().unwrap() as usize, total);
            assert!(matches(page).len() <= count);
            seen.extend(ids(page));
        }
        assert_eq!(
            seen,
            ids(&everyone),
            "_count={count}: same order, no gaps, no repeats"
        );
        let last_page = pages.last().unwrap();
        assert!(link(last_page, "next").is_none());
        let last = app.fhir_ok(&link(last_page, "last").unwrap(), &token).await;
        assert_eq!(ids(&last), ids(last_page), "last leads to the last page");
        if pages.len() > 1 {
            assert!(link(&pages[1], "previous").is_some());
            let previous = app
                .fhir_ok(&link(&pages[1], "previous").unwrap(), &token)
                .await;
            assert_eq!(ids(&previous), ids(&pages[0]));
        }
    }
}

#[actix_web::test]
async fn page_links_do_not_carry_national_identifiers_r40() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let (_, system, value) = data::ADULTS[0];
    let bundle = app
        .fhir_ok(
            &format!("/Patient?identifier={system}|{value}&_count=1"),
            &token,
        )
        .await;
    for l in bundle["link"].as_array().unwrap() {
        let url = l["url"].as_str().unwrap();
        assert!(!url.contains(value), "{url}");
        assert!(url.starts_with(&format!("{}/Patient?_page=", app.fhir_base)));
        let again = app.fhir_ok(url, &token).await;
        assert_eq!(ids(&again), vec![data::NO_ADULT.to_owned()]);
    }
}

#[actix_web::test]
async fn page_links_cannot_be_forged_or_moved_to_another_type() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let bundle = app.fhir_ok("/Patient?_count=2", &token).await;
    let next = link(&bundle, "next").unwrap();
    let token_part = next.split("_page=").nth(1).unwrap();
    let mut forged = token_part.to_owned();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    app.assert_each_refused(
        [
            format!("/Patient?_page={forged}"),
            format!("/MedicationRequest?_page={token_part}"),
            format!("/Patient?_page={token_part}&family=x"),
        ],
        &token,
        400,
        "invalid",
    )
    .await;
}

#[actix_web::test]
async fn a_page_link_is_rechecked_against_the_token_that_follows_it() {
    let app = spawn_app().await;
    let professional = user_token("user/*.rs");
    let bundle = app
        .fhir_ok(
            &format!(
                "/MedicationRequest?patient={}&_count=2",
                data::NO_POLYPHARMACY
            ),
            &professional,
        )
        .await;
    let next = link(&bundle, "next").unwrap();
    let other_patient = crate::support::app::patient_token(data::NO_ADULT, "patient/*.rs");
    let (status, body) = app.get_json(&next, Some(&other_patient)).await;
    assert_outcome(status, &body, 403, "forbidden");
}

#[actix_web::test]
async fn count_caps_and_zero() {
    // A cap below the number of patients, so that an uncapped page would show.
    let mut settings = test_settings(&IDP);
    settings.fhir.default_count = 5;
    settings.fhir.max_count = 10;
    let app = spawn_with(settings).await;
    let token = user_token("user/*.rs");
    let capped = app.fhir_ok("/Patient?_count=100000", &token).await;
    let total = capped["total"].as_u64().unwrap() as usize;
    assert!(total > 10, "more patients than the cap: {total}");
    assert_eq!(matches(&capped).len(), 10, "the page holds max_count");
    assert!(link(&capped, "next").is_some(), "the rest is a page away");
    let zero = app.fhir_ok("/Patient?_count=0", &token).await;
    assert_eq!(zero["total"].as_u64().unwrap() as usize, total);
    assert!(zero.get("entry").is_none());
    assert!(link(&zero, "next").is_none());
}

#[actix_web::test]
async fn summary_count_gives_only_the_total() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let p = data::NO_POLYPHARMACY;
    let full = app
        .fhir_ok(&format!("/MedicationRequest?patient={p}"), &token)
        .await;
    let count = app
        .fhir_ok(
            &format!("/MedicationRequest?patient={p}&_summary=count"),
            &token,
        )
        .await;
    assert_eq!(count["total"], full["total"]);
    assert!(count.get("entry").is_none());
}

#[actix_web::test]
async fn summary_and_elements_cut_resources_and_mark_them() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let p = data::NO_POLYPHARMACY;
    let summary = app
        .fhir_ok(
            &format!("/MedicationRequest?patient={p}&_summary=true"),
            &token,
        )
        .await;
    assert!(
        !matches(&summary).is_empty(),
        "there are prescriptions to cut"
    );
    for r in matches(&summary) {
        assert!(r.get("dosageInstruction").is_none());
        assert!(r["authoredOn"].is_string());
        assert_eq!(r["meta"]["tag"][0]["code"], "SUBSETTED");
    }
    let elements = app
        .fhir_ok(
            &format!("/MedicationRequest?patient={p}&_elements=dosageInstruction"),
            &token,
        )
        .await;
    assert!(!matches(&elements).is_empty());
    for r in matches(&elements) {
        let keys: BTreeSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(keys.contains("dosageInstruction"));
        assert!(
            keys.contains("status") && keys.contains("subject"),
            "mandatory elements stay: {keys:?}"
        );
        // Nothing else: what IPS and MPD require stays, the rest goes.
        let allowed: BTreeSet<&str> = [
            "resourceType",
            "id",
            "meta",
            "status",
            "intent",
            "medicationCodeableConcept",
            "subject",
            "authoredOn",
            "requester",
            "dosageInstruction",
        ]
        .into();
        assert!(keys.is_subset(&allowed), "{keys:?}");
        assert!(keys.contains("authoredOn") && keys.contains("requester"));
        assert_eq!(r["meta"]["tag"][0]["code"], "SUBSETTED");
    }
    let patients = app
        .fhir_ok("/Patient?family=haugen&_elements=gender", &token)
        .await;
    assert!(!matches(&patients).is_empty(), "the Haugens are found");
    for r in matches(&patients) {
        assert!(r["gender"].is_string());
        assert!(r.get("address").is_none());
    }
    // The next link keeps the cut.
    let paged = app
        .fhir_ok(
            &format!("/MedicationRequest?patient={p}&_elements=dosageInstruction&_count=5"),
            &token,
        )
        .await;
    let next = app.fhir_ok(&link(&paged, "next").unwrap(), &token).await;
    assert!(
        !matches(&next).is_empty(),
        "the second page has prescriptions"
    );
    for r in matches(&next) {
        assert!(r.get("dispenseRequest").is_none());
        assert_eq!(r["meta"]["tag"][0]["code"], "SUBSETTED");
    }
}
