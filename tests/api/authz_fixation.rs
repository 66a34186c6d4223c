//! Login flow fixation: the flow id the browser holds before the eID login is replaced when
//! the login succeeds, so that an id planted in (or read from) the browser before the
//! login cannot continue the flow as the citizen after it; and the login cookies carry the
//! `__Host-` prefix (Secure, Path=/, no Domain), so that no sibling host can plant them.

use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;

use crate::authz_flow::{
    EMMA, SCOPE, TEST_APP, csrf, exchange, gateway_with_eid, login, page, submit,
};
use crate::support::authz::post;

const FLOW_COOKIE: &str = "__Host-ehds_flow";

/// One `Set-Cookie` header of the gateway: its name, value and attributes.
struct SetCookie {
    name: String,
    value: String,
    attributes: Vec<String>,
}

fn parse_set_cookie(header: &str) -> SetCookie {
    let mut parts = header.split(';').map(str::trim);
    let (name, value) = parts.next().unwrap().split_once('=').unwrap();
    SetCookie {
        name: name.to_owned(),
        value: value.to_owned(),
        attributes: parts.map(str::to_owned).collect(),
    }
}

/// GETs a page with only this flow cookie (a browser holding a known flow id).
async fn with_flow_id(url: &str, flow_id: &str) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .get(url)
        .header("Cookie", format!("{FLOW_COOKIE}={flow_id}"))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn post_with_flow_id(
    url: &str,
    flow_id: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("Cookie", format!("{FLOW_COOKIE}={flow_id}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

fn assert_login_expired(case: &str, (status, page): &(StatusCode, String)) {
    assert_eq!(*status, StatusCode::BAD_REQUEST, "{case}: {page}");
    assert!(
        page.contains("Login expired") && page.contains("This login has expired"),
        "{case}: {page}"
    );
}

#[actix_web::test]
async fn the_flow_id_is_replaced_at_the_eid_login_and_the_old_one_is_refused() {
    let eid = gateway_with_eid(|_, _| {}).await;
    let app = &eid.app;
    let login = login(app, TEST_APP, SCOPE, "kristin");
    // Through the eID like a browser, keeping every cookie the gateway sets on the way.
    let mut url = reqwest::Url::parse(&login.url).unwrap();
    let mut set_by_gateway = Vec::new();
    let choose = loop {
        let response = login.client.get(url.clone()).send().await.unwrap();
        if url.as_str().starts_with(&app.base_url) {
            for header in response.headers().get_all(SET_COOKIE) {
                set_by_gateway.push(parse_set_cookie(header.to_str().unwrap()));
            }
        }
        match response.headers().get("location") {
            Some(next) => url = url.join(next.to_str().unwrap()).unwrap(),
            None => break response.text().await.unwrap(),
        }
    };
    assert!(choose.contains("Whom do you act for?"), "{choose}");

    // Every cookie meets the __Host- rules.
    assert!(set_by_gateway.len() >= 3, "flow, flow again, session");
    for cookie in &set_by_gateway {
        let has = |attribute: &str| {
            cookie
                .attributes
                .iter()
                .any(|a| a.eq_ignore_ascii_case(attribute))
        };
        assert!(cookie.name.starts_with("__Host-"), "{}", cookie.name);
        assert!(
            has("Secure") && has("Path=/") && has("HttpOnly"),
            "{:?}",
            cookie.attributes
        );
        assert!(
            !cookie
                .attributes
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with("domain")),
            "{:?}",
            cookie.attributes
        );
    }
    assert!(
        set_by_gateway
            .iter()
            .any(|c| c.name == "__Host-ehds_session")
    );

    // The flow cookie before the login and the one after it differ.
    let flow_ids: Vec<&str> = set_by_gateway
        .iter()
        .filter(|c| c.name == FLOW_COOKIE)
        .map(|c| c.value.as_str())
        .collect();
    let (before, after) = (flow_ids[0], *flow_ids.last().unwrap());
    assert_eq!(flow_ids.len(), 2, "set at authorize and at the callback");
    assert_ne!(before, after, "a new flow id after the eID login");

    // The pre-login id is dead for every later page, with the page's own CSRF token too.
    let choose_url = format!("{}/auth/choose", app.base_url);
    let approve_url = format!("{}/auth/approve", app.base_url);
    let token = csrf(&choose);
    let form = [("patient", EMMA), ("csrf", token.as_str())];
    assert_login_expired("GET choose", &with_flow_id(&choose_url, before).await);
    assert_login_expired(
        "POST choose",
        &post_with_flow_id(&choose_url, before, &form).await,
    );
    assert_login_expired("GET approve", &with_flow_id(&approve_url, before).await);
    assert_login_expired(
        "POST approve",
        &post_with_flow_id(
            &approve_url,
            before,
            &[("decision", "approve"), ("csrf", &token)],
        )
        .await,
    );
    // The new id goes on, and the browser (its cookie store) finishes the flow.
    let (status, shown) = with_flow_id(&choose_url, after).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let response = submit(&login.client, &choose_url, &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, approve) = page(&login.client, &approve_url).await;
    assert_eq!(status, StatusCode::OK, "{approve}");
    let response = submit(
        &login.client,
        &approve_url,
        &[("decision", "approve"), ("csrf", &csrf(&approve))],
    )
    .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let code = crate::support::oidc_op::query_param(&location, "code").expect("a code");
    let (status, _, body) = post(
        app,
        "/auth/token",
        &exchange(TEST_APP, &code, &login.verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    // The flow ended with the approval: neither id works any more.
    assert_login_expired("after the code", &with_flow_id(&approve_url, after).await);
}
