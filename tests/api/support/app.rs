//! A real gateway on a random loopback port, a real token issuer beside it, and an HTTP
//! client that validates every FHIR resource it receives.
//!
//! With `EHDS_TEST_PORTAL=http`, every gateway reads its portal data over HTTP from a real
//! upstream (`support/upstream.rs`, serving the same embedded data set) instead of the
//! embedded source, so that the whole suite runs against the HTTP source too.

use std::sync::LazyLock;

use ehds_gateway::auth::verifier::TrustedIssuer;
use ehds_gateway::config::Settings;
use ehds_gateway::portal::Portals;
use ehds_gateway::startup::Application;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::support::idp::TestIdp;
use crate::support::profiles;
use crate::support::upstream::TestUpstream;

/// One issuer for the whole test binary; tests that rotate keys start their own.
pub static IDP: LazyLock<TestIdp> = LazyLock::new(TestIdp::start);

/// The upstream of `EHDS_TEST_PORTAL=http` runs, shared and never faulty; fault tests start
/// their own.
pub static UPSTREAM: LazyLock<TestUpstream> = LazyLock::new(TestUpstream::start);

/// Whether this run reads portal data over HTTP (`EHDS_TEST_PORTAL=http`).
pub fn portal_over_http() -> bool {
    match std::env::var("EHDS_TEST_PORTAL").as_deref() {
        Ok("http") => true,
        Ok("embedded") | Err(_) => false,
        Ok(other) => panic!("EHDS_TEST_PORTAL is 'http' or 'embedded', not '{other}'"),
    }
}

/// `EHDS_TEST_STORE=postgres` puts every test gateway's state in the shared PostgreSQL (a
/// schema per gateway) instead of a SQLite file of its own, so that the HTTP tests of the
/// store's users (Consents, restrictions, the access log) run on both backends.
pub fn store_on_postgres() -> bool {
    match std::env::var("EHDS_TEST_STORE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("EHDS_TEST_STORE is 'postgres' or 'sqlite', not '{other}'"),
    }
}

pub struct TestApp {
    pub base_url: String,
    pub fhir_base: String,
    pub client: reqwest::Client,
    /// The application's sources, for invalidating cached records.
    pub portals: Portals,
    /// The gateway's clock: a test moves it on instead of sleeping.
    pub clock: ehds_gateway::clock::Clock,
}

/// Settings of a test gateway: defaults, a random port, a SQLite file of its own, the test
/// issuer trusted through its discovery document, and neither dev issuer nor dev eID.
/// The date the embedded data set's scenarios were written for.
pub const SCENARIO_DATE: time::Date = time::macros::date!(2026 - 11 - 23);

pub fn test_settings(idp: &TestIdp) -> Settings {
    let mut settings = Settings::defaults();
    if store_on_postgres() {
        crate::support::db::use_shared_postgres(&mut settings);
    } else {
        settings.database.url = crate::support::db::fresh_sqlite_url();
    }
    settings.server.port = 0;
    settings.server.workers = 1;
    // The data set's scenarios (ages, release dates, powers of attorney) are written for
    // this date; the gateway works on it whatever the machine's date.
    settings.clock.fixed_today = Some(SCENARIO_DATE);
    settings.auth.dev_issuer.enabled = false;
    settings.dev_eid.enabled = false;
    // The authorization server's key, created on first start: one for all the test gateways
    // of this process, in its run folder rather than `./data/` in the working tree.
    settings.auth.server.key_file = crate::support::db::run_file("authz-signing-key.pem")
        .display()
        .to_string();
    settings.auth.jwks_min_refresh_seconds = 0;
    settings.auth.trusted_issuers = vec![trusted(idp)];
    if portal_over_http() {
        UPSTREAM.serve_all(&mut settings, |_| {});
    }
    settings
}

/// `test_settings` on a SQLite file of the gateway's own whatever `EHDS_TEST_STORE` says, for
/// tests that reach into the SQLite file itself.
pub fn test_settings_on_sqlite(idp: &TestIdp) -> Settings {
    let mut settings = test_settings(idp);
    settings.database.url = crate::support::db::fresh_sqlite_url();
    settings.database.schema = String::new();
    settings
}

pub fn trusted(idp: &TestIdp) -> TrustedIssuer {
    serde_json::from_value(serde_json::json!({
        "issuer": idp.issuer(),
        // The audience is fixed before the port is known, so tests use this value in `aud`.
        "audiences": [AUDIENCE],
        "national_id_claim": "pid",
        "organization_claim": "organization",
        // Its professionals may break the glass; tests of other issuers say otherwise.
        "professional_issuer": true,
    }))
    .expect("a valid trusted issuer")
}

pub const AUDIENCE: &str = "https://ehds-gateway.test/fhir";

/// The pseudonym key of test gateways that configure one (the production profile needs
/// one). The key is process-wide, so every in-process gateway with a key uses this one.
pub const PSEUDONYM_KEY: &str = "dGVzdCBwc2V1ZG9ueW0ga2V5LCAzMiBieXRlcyEhISE=";

pub async fn spawn_app() -> TestApp {
    spawn_with(test_settings(&IDP)).await
}

pub async fn spawn_with(settings: Settings) -> TestApp {
    spawn_from(settings).await.0
}

/// Like `spawn_with`, and also the NCP listener's port and base URL when it is on.
pub async fn spawn_from(settings: Settings) -> (TestApp, Option<(u16, String)>) {
    init_test_tracing();
    let app = Application::build(settings)
        .await
        .expect("the gateway starts");
    let base_url = app.base_url().to_owned();
    let portals = app.portals();
    let clock = app.clock();
    let ncp = app.ncp().map(|(port, base)| (port, base.to_owned()));
    actix_web::rt::spawn(app.run_until_stopped());
    let app = TestApp {
        fhir_base: format!("{base_url}/fhir"),
        base_url,
        portals,
        clock,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    (app, ncp)
}

/// Logs go to the test output only when TEST_LOG is set.
fn init_test_tracing() {
    if std::env::var_os("TEST_LOG").is_some() {
        ehds_gateway::telemetry::init_tracing(&Settings::defaults().telemetry);
    }
}

/// The patient's own access token from the shared issuer: the patient context, and the
/// patient's national identifier as the user (`pid`), as a citizen's eID-backed token has.
pub fn patient_token(patient: &str, scope: &str) -> String {
    IDP.token(IDP.standard_claims(AUDIENCE, scope, Some(patient)))
}

/// A citizen's token: logged in as `actor_id` (national identifier, `pid`), acting for
/// `patient` (themself when it is their own Patient id).
pub fn acting_token(actor_id: &str, patient: &str) -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/*.rs", Some(patient));
    claims["pid"] = serde_json::json!(actor_id);
    IDP.token(claims)
}

/// A professional's token (`fhirUser` = `Practitioner/<hpr>`), with a purpose of use if given.
pub fn professional_token(hpr: &str, purpose: Option<&str>) -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, "user/*.rs", None);
    claims["fhirUser"] = serde_json::json!(format!("Practitioner/{hpr}"));
    if let Some(p) = purpose {
        claims["purpose_of_use"] = serde_json::json!(p);
    }
    IDP.token(claims)
}

/// A user (professional) or system token without patient context.
pub fn user_token(scope: &str) -> String {
    IDP.token(IDP.standard_claims(AUDIENCE, scope, None))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.fhir_base, path)
        }
    }

    /// GET of a path outside the FHIR base (`/readyz`, `/metrics`).
    pub async fn get_plain(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{}", self.base_url, path))
            .send()
            .await
            .expect("the gateway answers")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send().await.expect("the gateway answers")
    }

    /// GET, then the JSON body, validated against the R4 schema and the IPS profiles.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let response = self.get(path, token).await;
        read_fhir(response).await
    }

    /// GET that must succeed; returns the validated body.
    pub async fn fhir_ok(&self, path: &str, token: &str) -> Value {
        let (status, body) = self.get_json(path, Some(token)).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body:#}");
        body
    }

    pub async fn post_form(&self, path: &str, token: &str, form: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .await
            .unwrap();
        read_fhir(response).await
    }

    /// GETs each path with the token; each must be refused with `status` and an
    /// OperationOutcome whose issue code is `code`.
    pub async fn assert_each_refused<P: AsRef<str>>(
        &self,
        paths: impl IntoIterator<Item = P>,
        token: &str,
        status: u16,
        code: &str,
    ) {
        for path in paths {
            let (got, body) = self.get_json(path.as_ref(), Some(token)).await;
            assert_outcome(got, &body, status, code);
        }
    }

    /// Every page of a search, following `next` links to the end.
    pub async fn all_pages(&self, path: &str, token: &str) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut next = Some(self.url(path));
        while let Some(url) = next.take() {
            let page = self.fhir_ok(&url, token).await;
            next = link(&page, "next");
            pages.push(page);
            assert!(pages.len() < 1000, "paging does not end");
        }
        pages
    }
}

/// Reads a FHIR JSON response: checks the content type and validates the body.
pub async fn read_fhir(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    assert!(
        content_type.starts_with("application/fhir+json"),
        "status {status}: expected FHIR JSON, got '{content_type}': {text}"
    );
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    profiles::assert_valid(&body);
    (status, body)
}

/// Asserts an error: the status, an OperationOutcome, and its issue code.
pub fn assert_outcome(status: StatusCode, body: &Value, expected_status: u16, expected_code: &str) {
    assert_eq!(status.as_u16(), expected_status, "{body:#}");
    assert_eq!(body["resourceType"], "OperationOutcome", "{body:#}");
    assert_eq!(body["issue"][0]["code"], expected_code, "{body:#}");
    assert!(
        body["issue"][0]["diagnostics"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
}

pub fn link(bundle: &Value, relation: &str) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == relation)
        .and_then(|l| l["url"].as_str())
        .map(str::to_owned)
}

/// The resources of a searchset's entries with mode `match`.
pub fn matches(bundle: &Value) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["search"]["mode"] == "match")
                .map(|e| e["resource"].clone())
                .collect()
        })
        .unwrap_or_default()
}

pub fn ids(bundle: &Value) -> Vec<String> {
    matches(bundle)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}
