//! R38 for the people others act for: a grantor of a power of attorney, and a child old
//! enough to use apps alone, see on their account page the app grants their attorney or
//! guardian made on their data, with who made them, and revoke them like their own (the
//! tokens die with the grant). A child below that age does not see them, and nobody sees
//! or revokes grants on someone else's data.

use reqwest::StatusCode;
use serde_json::Value;

use crate::authz_flow::{Eid, SCOPE, TEST_APP, exchange, gateway_with_eid, login};
use crate::support::app::{TestApp, assert_outcome};
use crate::support::authz::{assert_oauth_error, post};
use crate::support::data;
use crate::support::oidc_op::browser_like_client;

/// Arne Johansen (NO, 85) gave Trine Johansen Dahl a power of attorney for prescriptions
/// and vaccinations.
const ARNE: &str = data::NO_POLYPHARMACY;
const TRINE: &str = "no.p-no-009";
/// Laura Korhonen (FI) and her son Eetu, 12: Finns use apps alone from 10, and guardians
/// keep (limited) access until 18.
const EETU: &str = "fi.p-fi-004";
const LAURA: &str = "fi.p-fi-001";
/// Emma Haugen (NO, 5), Kristin Haugen's daughter.
const EMMA: &str = "no.p-no-003";

/// The eID user `hint` acts for `patient` through the test app: its tokens.
async fn approve_for(eid: &Eid, hint: &str, patient: &str) -> Value {
    let app = &eid.app;
    let login = login(app, TEST_APP, SCOPE, hint);
    let code = login.code_for(app, patient).await;
    let (status, _, body) = post(
        app,
        "/auth/token",
        &exchange(TEST_APP, &code, &login.verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    body
}

/// A browser in which the eID user `hint` logged in to their account page.
async fn account_login(app: &TestApp, hint: &str) -> reqwest::Client {
    let client = browser_like_client();
    let mut url = reqwest::Url::parse(&format!(
        "{}/auth/account/login?login_hint={hint}",
        app.base_url
    ))
    .unwrap();
    for _ in 0..20 {
        let response = client.get(url.clone()).send().await.unwrap();
        match response.headers().get("location") {
            Some(next) => url = url.join(next.to_str().unwrap()).unwrap(),
            None => {
                let status = response.status();
                let page = response.text().await.unwrap();
                assert_eq!(status, StatusCode::OK, "{hint}: {page}");
                assert!(page.contains("Your apps and logins"), "{hint}: {page}");
                return client;
            }
        }
    }
    panic!("more than 20 redirects logging {hint} in");
}

async fn grants(app: &TestApp, browser: &reqwest::Client) -> Vec<Value> {
    let response = browser
        .get(format!("{}/auth/account/grants", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["grants"].as_array().unwrap().clone()
}

async fn revoke(app: &TestApp, browser: &reqwest::Client, id: &str) -> (StatusCode, Value) {
    let response = browser
        .delete(format!("{}/auth/account/grants/{id}", app.base_url))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

fn assert_not_found((status, body): &(StatusCode, Value)) {
    assert_eq!(*status, StatusCode::NOT_FOUND, "{body:#}");
    assert_eq!(body["error"], "not_found", "{body:#}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
}

/// The grant's tokens are dead: the access token gets 401, the refresh token invalid_grant.
async fn assert_tokens_revoked(app: &TestApp, tokens: &Value, read: &str) {
    let access = tokens["access_token"].as_str().unwrap();
    let (status, body) = app.get_json(read, Some(access)).await;
    assert_outcome(status, &body, 401, "login");
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form: Vec<(String, String)> = [
        ("grant_type", "refresh_token"),
        ("client_id", TEST_APP),
        ("refresh_token", refresh),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let (status, headers, body) = post(app, "/auth/token", &form).await;
    assert_oauth_error("refresh", status, &headers, &body, 400, "invalid_grant");
}

#[actix_web::test]
async fn a_grantor_sees_and_revokes_the_grant_their_attorney_made() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let tokens = approve_for(&eid, "trine", ARNE).await;
    let read = format!("/MedicationRequest?patient={ARNE}&_count=1");
    app.fhir_ok(&read, tokens["access_token"].as_str().unwrap())
        .await;

    let arne = account_login(app, "arne").await;
    let listed = grants(app, &arne).await;
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(
        (
            listed[0]["client_id"].as_str(),
            listed[0]["patient"].as_str(),
            listed[0]["approved_by"].as_str(),
            listed[0]["approved_by_name"].as_str(),
            listed[0]["own"].as_bool(),
        ),
        (
            Some(TEST_APP),
            Some(ARNE),
            Some(TRINE),
            Some("Trine Johansen Dahl"),
            Some(false)
        )
    );
    let page = arne
        .get(format!("{}/auth/account", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("approved by Trine Johansen Dahl") && page.contains("Revoke Test app"),
        "{page}"
    );
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    // The attorney lists it as her own.
    let trine = account_login(app, "trine").await;
    let hers = grants(app, &trine).await;
    assert_eq!(hers.len(), 1);
    assert_eq!(
        (hers[0]["own"].as_bool(), hers[0]["id"].as_str()),
        (Some(true), Some(id.as_str()))
    );
    // Someone else can neither see nor revoke it.
    let kristin = account_login(app, "kristin").await;
    assert!(grants(app, &kristin).await.is_empty());
    assert_not_found(&revoke(app, &kristin, &id).await);
    app.fhir_ok(&read, tokens["access_token"].as_str().unwrap())
        .await;

    let (status, body) = revoke(app, &arne, &id).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body:#}");
    assert_tokens_revoked(app, &tokens, &read).await;
    assert!(grants(app, &arne).await.is_empty());
    assert!(grants(app, &trine).await.is_empty());
    assert_not_found(&revoke(app, &arne, &id).await);
}

#[actix_web::test]
async fn a_child_old_enough_for_apps_sees_and_revokes_a_guardians_grant() {
    let eid = gateway_with_eid(|settings, _| {
        settings.auth.eid[0].country = ehds_gateway::national_id::Country::Fi;
    })
    .await;
    let app = &eid.app;
    let tokens = approve_for(&eid, "laura", EETU).await;
    let read = format!("/Immunization?patient={EETU}&_count=1");
    app.fhir_ok(&read, tokens["access_token"].as_str().unwrap())
        .await;

    let eetu = account_login(app, "eetu").await;
    let listed = grants(app, &eetu).await;
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(
        (
            listed[0]["patient"].as_str(),
            listed[0]["approved_by"].as_str(),
            listed[0]["approved_by_name"].as_str(),
            listed[0]["own"].as_bool()
        ),
        (
            Some(EETU),
            Some(LAURA),
            Some("Laura Maria Korhonen"),
            Some(false)
        )
    );
    // The revoke form of the account page works as the JSON endpoint does.
    let page = eetu
        .get(format!("{}/auth/account", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("approved by Laura Maria Korhonen"), "{page}");
    let csrf = {
        let start = page.find("name=\"csrf\" value=\"").expect("a revoke form") + 19;
        page[start..].split('"').next().unwrap().to_owned()
    };
    let id = listed[0]["id"].as_str().unwrap();
    let response = eetu
        .post(format!("{}/auth/account/grants/{id}/revoke", app.base_url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_tokens_revoked(app, &tokens, &read).await;
    assert_eq!(grants(app, &eetu).await, Vec::<Value>::new());
}

#[actix_web::test]
async fn a_child_below_the_own_use_age_neither_sees_nor_revokes_a_guardians_grant() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let tokens = approve_for(&eid, "kristin", EMMA).await;
    let kristin = account_login(app, "kristin").await;
    let id = grants(app, &kristin).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let emma = account_login(app, "emma").await;
    assert_eq!(grants(app, &emma).await, Vec::<Value>::new());
    assert_not_found(&revoke(app, &emma, &id).await);
    let read = format!("/Immunization?patient={EMMA}&_count=1");
    app.fhir_ok(&read, tokens["access_token"].as_str().unwrap())
        .await;
}
