//! The HTTP portal source against a real upstream (`support/upstream.rs`) that misbehaves on
//! request: error mapping (504, 503 + Retry-After, 502), retries of idempotent calls only,
//! the circuit breaker, the per-patient cache, OAuth, request ids and `/readyz`.
//!
//! No test measures time: a slow upstream is slower than the gateway's budget by far, and
//! the client waits a generous bound that a gateway which did not keep its budget would
//! overrun; pauses only let a TTL or an open circuit's time run out.

use std::time::Duration;

use ehds_gateway::national_id::Country;
use ehds_gateway::portal::http::config::HttpSourceSettings;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::app::{
    IDP, TestApp, assert_outcome, ids, professional_token, read_fhir, spawn_with, test_settings,
    user_token,
};
use crate::support::data;
use crate::support::upstream::{Fault, TestUpstream};

/// Far longer than any budget configured here, far shorter than a slow upstream's pause.
const GENEROUS: Duration = Duration::from_secs(15);
const SLOW: Duration = Duration::from_secs(60);

const PATIENT: &str = data::NO_ADULT;
const PATIENT_KEY: &str = "p-no-001";

async fn gateway(upstream: &TestUpstream, adjust: impl Fn(&mut HttpSourceSettings)) -> TestApp {
    let mut settings = test_settings(&IDP);
    upstream.serve_all(&mut settings, adjust);
    spawn_with(settings).await
}

struct Answer {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
    request_id: String,
}

/// GET as the patient, waiting at most `GENEROUS`.
/// A read by a professional, whose token names no citizen: the upstream's requests are the
/// reads alone (a citizen's token adds the lookup of its national identifier).
async fn get(app: &TestApp, path: &str) -> Answer {
    get_as(app, path, &professional_token("1234567", None)).await
}

async fn get_as(app: &TestApp, path: &str, token: &str) -> Answer {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .timeout(GENEROUS)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: no answer within {GENEROUS:?}: {e}"));
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after").map(|v| v.parse().expect("Retry-After in seconds"));
    let request_id = header("x-request-id").expect("a request id");
    let (status, body) = read_fhir(response).await;
    Answer {
        status,
        body,
        retry_after,
        request_id,
    }
}

fn read_path() -> String {
    format!("/Patient/{PATIENT}")
}

fn search_path() -> String {
    format!("/MedicationRequest?patient={PATIENT}")
}

/// An error outcome that tells nothing of the upstream.
fn assert_error(answer: &Answer, status: u16, code: &str, upstream: &TestUpstream) {
    assert_outcome(answer.status, &answer.body, status, code);
    let text = answer.body.to_string();
    for secret in [
        upstream.base_url(Country::No),
        "127.0.0.1".into(),
        "induced".into(),
        "p-someone-else".into(),
        "unexpected".into(),
        "html".into(),
    ] {
        assert!(!text.contains(&secret), "'{secret}' leaked: {text}");
    }
}

async fn readyz(app: &TestApp) -> (StatusCode, Value) {
    let response = app.get_plain("/readyz").await;
    (response.status(), response.json().await.unwrap())
}

fn source<'a>(readyz: &'a Value, country: &str) -> &'a Value {
    readyz["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["country"] == country)
        .unwrap_or_else(|| panic!("{country} in {readyz:#}"))
}

#[actix_web::test]
async fn a_slow_upstream_is_a_504_within_the_budget_and_not_retried() {
    let upstream = TestUpstream::start();
    upstream.set_fault(Fault::Slow(SLOW));
    let app = gateway(&upstream, |s| {
        s.timeout_ms = 300;
        s.retries = 3;
    })
    .await;
    let answer = get(&app, &read_path()).await;
    assert_error(&answer, 504, "timeout", &upstream);
    assert_eq!(upstream.requests(), 1, "no time left for a retry");
}

#[actix_web::test]
async fn the_budget_is_per_gateway_request_not_per_upstream_call() {
    // Each call alone fits in the budget; the two calls of a search do not.
    let upstream = TestUpstream::start();
    upstream.set_fault(Fault::Slow(Duration::from_millis(1500)));
    let app = gateway(&upstream, |s| {
        s.timeout_ms = 2500;
        s.retries = 0;
    })
    .await;
    let answer = get(&app, &search_path()).await;
    assert_error(&answer, 504, "timeout", &upstream);
    assert!(upstream.requests() <= 2);
}

#[actix_web::test]
async fn a_failing_upstream_is_a_503_with_retry_after_after_bounded_retries() {
    let upstream = TestUpstream::start();
    upstream.set_fault(Fault::Status(500));
    let app = gateway(&upstream, |s| {
        s.retries = 2;
        s.breaker.failures = 100;
        s.breaker.open_seconds = 7;
    })
    .await;
    let answer = get(&app, &read_path()).await;
    assert_error(&answer, 503, "transient", &upstream);
    assert_eq!(answer.retry_after, Some(7), "the breaker's open time");
    assert_eq!(upstream.requests(), 3, "one call and two retries");
}

#[actix_web::test]
async fn transient_failures_are_retried_until_an_attempt_succeeds() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |s| {
        s.retries = 2;
        s.cache_ttl_seconds = 0;
    })
    .await;
    upstream.fail_next(2, Fault::Status(503));
    let answer = get(&app, &read_path()).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(upstream.requests(), 3);

    upstream.fail_next(1, Fault::Reset);
    let answer = get(&app, &read_path()).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(
        upstream.requests(),
        5,
        "a broken connection is retried once"
    );
}

#[actix_web::test]
async fn a_broken_connection_or_an_unreachable_upstream_is_a_503() {
    let upstream = TestUpstream::start();
    upstream.set_fault(Fault::Reset);
    let app = gateway(&upstream, |s| s.retries = 0).await;
    let answer = get(&app, &read_path()).await;
    assert_error(&answer, 503, "transient", &upstream);
    assert!(answer.retry_after.is_some());
    assert_eq!(upstream.requests(), 1);

    // A port where nobody listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}/no", closed.local_addr().unwrap());
    drop(closed);
    let app = gateway(&upstream, |s| {
        s.base_url = nobody.clone();
        s.retries = 1;
    })
    .await;
    let answer = get(&app, &read_path()).await;
    assert_error(&answer, 503, "transient", &upstream);
}

#[actix_web::test]
async fn malformed_answers_are_a_502_and_never_retried() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |s| {
        s.retries = 2;
        s.cache_ttl_seconds = 0;
    })
    .await;
    let mut expected = 0;
    for fault in [
        Fault::Garbage,
        Fault::Html,
        Fault::WrongPerson,
        Fault::UnknownField,
        Fault::Status(400),
    ] {
        upstream.set_fault(fault);
        for path in [read_path(), search_path()] {
            let answer = get(&app, &path).await;
            assert_error(&answer, 502, "exception", &upstream);
            expected += 1;
            assert_eq!(
                upstream.requests(),
                expected,
                "{fault:?} {path}: not retried"
            );
        }
    }
}

#[actix_web::test]
async fn records_of_another_person_are_refused_whole() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |s| s.retries = 0).await;
    // Warm the person, so that the next search's only upstream call is the records one.
    assert_eq!(get(&app, &read_path()).await.status, 200);
    upstream.set_fault(Fault::WrongPerson);
    let answer = get(&app, &search_path()).await;
    assert_error(&answer, 502, "exception", &upstream);
    assert_eq!(upstream.requests(), 2);
}

#[actix_web::test]
async fn the_circuit_opens_after_n_failures_and_a_good_probe_closes_it() {
    let upstream = TestUpstream::start();
    upstream.set_fault(Fault::Status(500));
    let app = gateway(&upstream, |s| {
        s.retries = 0;
        s.breaker.failures = 3;
        s.breaker.window_seconds = 600;
        s.breaker.open_seconds = 1;
    })
    .await;
    for n in 1..=3 {
        let answer = get(&app, &read_path()).await;
        assert_error(&answer, 503, "transient", &upstream);
        assert_eq!(upstream.requests(), n);
    }
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 503, "{body:#}");
    assert_eq!(source(&body, "NO")["breaker"], "open", "{body:#}");
    assert_eq!(source(&body, "NO")["ready"], false);

    // Open: refused at once, the upstream is left alone.
    let answer = get(&app, &read_path()).await;
    assert_error(&answer, 503, "transient", &upstream);
    assert_eq!(answer.retry_after, Some(1));
    assert_eq!(upstream.requests(), 3, "no call while open");

    upstream.set_fault(Fault::None);
    // The open second passes.
    assert!(app.clock.advance(Duration::from_millis(1100)));
    let answer = get(&app, &read_path()).await;
    assert_eq!(answer.status, 200, "the probe succeeds: {:#}", answer.body);
    assert_eq!(upstream.requests(), 4);
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(source(&body, "NO")["breaker"], "closed");
}

#[actix_web::test]
async fn a_failed_probe_opens_the_circuit_again() {
    let upstream = TestUpstream::start();
    upstream.set_fault(Fault::Status(503));
    let app = gateway(&upstream, |s| {
        s.retries = 0;
        s.breaker.failures = 1;
        s.breaker.open_seconds = 1;
    })
    .await;
    assert_error(&get(&app, &read_path()).await, 503, "transient", &upstream);
    assert_eq!(upstream.requests(), 1);
    assert!(app.clock.advance(Duration::from_millis(1100)));
    assert_error(&get(&app, &read_path()).await, 503, "transient", &upstream);
    assert_eq!(upstream.requests(), 2, "one probe");
    assert_error(&get(&app, &read_path()).await, 503, "transient", &upstream);
    assert_eq!(upstream.requests(), 2, "open again after the failed probe");
}

#[actix_web::test]
async fn the_token_request_is_never_retried_while_reads_are() {
    let upstream = TestUpstream::start();
    upstream.set_require_token(true);
    upstream.set_token_fault(Fault::Status(500));
    let oauth = upstream.oauth();
    let app = gateway(&upstream, |s| {
        s.oauth = oauth.clone();
        s.retries = 2;
        s.cache_ttl_seconds = 0;
        s.breaker.failures = 100;
    })
    .await;
    let answer = get(&app, &read_path()).await;
    assert_error(&answer, 503, "transient", &upstream);
    assert_eq!(
        upstream.token_requests(),
        1,
        "the token request is not idempotent"
    );
    assert_eq!(upstream.requests(), 0);

    upstream.set_token_fault(Fault::None);
    for _ in 0..3 {
        assert_eq!(get(&app, &read_path()).await.status, 200);
    }
    assert_eq!(
        upstream.token_requests(),
        2,
        "one token, cached for every read"
    );
    assert_eq!(upstream.requests(), 3);

    // A refused token is replaced once, and the read goes through.
    upstream.revoke_tokens();
    assert_eq!(get(&app, &read_path()).await.status, 200);
    assert_eq!(upstream.token_requests(), 3);
    assert_eq!(upstream.requests(), 5, "refused once, then served");

    // Data calls are retried with the token they hold.
    upstream.fail_next(1, Fault::Status(502));
    assert_eq!(get(&app, &read_path()).await.status, 200);
    assert_eq!(upstream.requests(), 7);
    assert_eq!(upstream.token_requests(), 3);
}

#[actix_web::test]
async fn an_upstream_that_refuses_the_gateway_is_a_502_not_a_loop() {
    let upstream = TestUpstream::start();
    upstream.set_require_token(true);
    // No OAuth configured: every call is refused with 401.
    let app = gateway(&upstream, |s| s.retries = 2).await;
    let answer = get(&app, &read_path()).await;
    assert_error(&answer, 502, "exception", &upstream);
    assert_eq!(upstream.requests(), 1);
}

#[actix_web::test]
async fn the_request_id_reaches_the_upstream() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |_| {}).await;
    let answer = get(&app, &search_path()).await;
    assert_eq!(answer.status, 200);
    let seen = upstream.request_ids();
    assert_eq!(seen.len(), 2, "person and records");
    assert!(
        seen.iter().all(|id| *id == answer.request_id),
        "{seen:?} vs {}",
        answer.request_id
    );
}

#[actix_web::test]
async fn identifier_lookups_keep_the_identifier_out_of_urls_and_are_retried() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |s| s.retries = 1).await;
    upstream.fail_next(1, Fault::Status(503));
    let token = user_token("user/*.rs");
    let answer = get_as(
        &app,
        &format!(
            "/Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|{}",
            data::NO_ADULT_FNR
        ),
        &token,
    )
    .await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(ids(&answer.body), [PATIENT]);
    assert_eq!(
        upstream.requests(),
        2,
        "the failed lookup, its retry; the person then comes from the cache"
    );
    assert!(
        upstream
            .paths()
            .iter()
            .all(|p| !p.contains(data::NO_ADULT_FNR)),
        "{:?}",
        upstream.paths()
    );
    assert!(
        upstream
            .paths()
            .iter()
            .all(|p| p == "/no/v1/persons/_lookup")
    );
}

#[actix_web::test]
async fn a_cache_hit_spares_the_upstream_and_invalidation_fetches_again() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |_| {}).await;
    assert_eq!(get(&app, &read_path()).await.status, 200);
    assert_eq!(get(&app, &read_path()).await.status, 200);
    assert_eq!(
        upstream.requests(),
        1,
        "the second read is served from the cache"
    );
    assert_eq!(get(&app, &search_path()).await.status, 200);
    assert_eq!(
        upstream.requests(),
        2,
        "the person is cached, the records are not yet"
    );
    assert_eq!(get(&app, &search_path()).await.status, 200);
    assert_eq!(upstream.requests(), 2);

    app.portals.invalidate(Country::No, PATIENT_KEY);
    assert_eq!(get(&app, &search_path()).await.status, 200);
    assert_eq!(upstream.requests(), 4, "person and records fetched again");
    // Another person's entries were not touched by the invalidation.
    app.portals.invalidate(Country::No, "p-no-002");
    assert_eq!(get(&app, &search_path()).await.status, 200);
    assert_eq!(upstream.requests(), 4);
}

#[actix_web::test]
async fn cached_records_are_not_served_past_their_ttl() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |s| s.cache_ttl_seconds = 1).await;
    assert_eq!(get(&app, &read_path()).await.status, 200);
    assert_eq!(upstream.requests(), 1);
    // The cache keeps its own time: ask until the record is fetched again.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while upstream.requests() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the record never expired"
        );
        assert_eq!(get(&app, &read_path()).await.status, 200);
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(upstream.requests(), 2, "expired, fetched again once");
}

#[actix_web::test]
async fn without_a_cache_every_read_asks_the_upstream() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |s| s.cache_ttl_seconds = 0).await;
    for _ in 0..3 {
        assert_eq!(get(&app, &read_path()).await.status, 200);
    }
    assert_eq!(upstream.requests(), 3);
}

#[actix_web::test]
async fn cache_and_upstream_metrics_are_published_without_identifiers() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |_| {}).await;
    for _ in 0..2 {
        assert_eq!(get(&app, &read_path()).await.status, 200);
    }
    let text = app.get_plain("/metrics").await.text().await.unwrap();
    for expected in [
        "ehds_portal_cache_hits_total{country=\"NO\"}",
        "ehds_portal_cache_misses_total{country=\"NO\"}",
        "ehds_upstream_breaker_state{country=\"NO\"}",
        "ehds_upstream_requests_total{",
        "outcome=\"ok\"",
        "operation=\"person\"",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(!text.contains(PATIENT_KEY) && !text.contains(data::NO_ADULT_FNR));
}

#[actix_web::test]
async fn readyz_reports_each_upstreams_state() {
    let upstream = TestUpstream::start();
    let app = gateway(&upstream, |s| s.breaker.failures = 100).await;
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 200, "{body:#}");
    for country in ["NO", "SE", "DK", "FI"] {
        let s = source(&body, country);
        assert_eq!(s["kind"], "http");
        assert_eq!(s["ready"], true);
        assert_eq!(s["breaker"], "closed");
    }
    assert!(upstream.health_checks() >= 4);

    upstream.set_fault(Fault::Status(503));
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 503, "{body:#}");
    assert_eq!(body["status"], "not ready");
    let no = source(&body, "NO");
    assert_eq!(no["ready"], false);
    assert_eq!(
        no["breaker"], "closed",
        "health probes do not trip the breaker"
    );
    assert_eq!(no["last_error"], "status-5xx");

    upstream.set_fault(Fault::None);
    let (status, _) = readyz(&app).await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn without_listing_a_demographic_search_is_too_costly() {
    let upstream = TestUpstream::start();
    let token = user_token("user/*.rs");
    let app = gateway(&upstream, |s| s.listing = false).await;
    let answer = get_as(&app, "/Patient?family=Haugen", &token).await;
    assert_error(&answer, 400, "too-costly", &upstream);
    assert_eq!(upstream.requests(), 0, "not even asked");

    // Configured to list, but the upstream does not offer it (404).
    upstream.set_listing(false);
    let app = gateway(&upstream, |s| s.listing = true).await;
    let answer = get_as(&app, "/Patient?family=Haugen", &token).await;
    assert_error(&answer, 400, "too-costly", &upstream);

    upstream.set_listing(true);
    let answer = get_as(&app, "/Patient?family=Haugen", &token).await;
    assert_eq!(answer.status, 200);
    assert!(!ids(&answer.body).is_empty());
}

/// `conformance/portal-upstream-v1.openapi.json` is what national teams implement: the paths
/// the gateway calls are in it, and the test upstream's answers (the embedded data set as
/// the contract carries it) are valid against its schemas.
#[actix_web::test]
async fn the_contract_document_describes_what_the_gateway_calls_and_reads() {
    use ehds_gateway::portal::http::contract;
    use jsonschema::{Draft, Validator};
    use serde_json::json;

    let document: Value = serde_json::from_str(include_str!(
        "../../conformance/portal-upstream-v1.openapi.json"
    ))
    .expect("the OpenAPI document is JSON");
    for (path, method) in [
        (contract::HEALTH.to_owned(), "get"),
        (contract::PERSONS.to_owned(), "get"),
        (contract::LOOKUP.to_owned(), "post"),
        (contract::person_path("{key}"), "get"),
        (contract::records_path("{key}"), "get"),
        (contract::powers_of_attorney_path("{key}"), "get"),
    ] {
        assert!(
            document["paths"][&path][method].is_object(),
            "{method} {path} is in the document"
        );
    }
    let validator = |schema: &str| -> Validator {
        let mut root = document.clone();
        root["$ref"] = json!(format!("#/components/schemas/{schema}"));
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema {schema}: {e}"))
    };
    let check = |validator: &Validator, what: &str, value: &Value| {
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:?}");
    };
    let (health, list, person, records, powers, lookup) = (
        validator("Health"),
        validator("PersonList"),
        validator("Person"),
        validator("Records"),
        validator("PowersOfAttorney"),
        validator("LookupRequest"),
    );
    // The schemas are strict: what the model refuses, they refuse.
    assert!(!person.is_valid(&json!({"key": "p-1"})));
    assert!(!health.is_valid(&json!({"status": "ok", "extra": 1})));

    let upstream = TestUpstream::start();
    let client = reqwest::Client::new();
    let fetch = |url: String, body: Option<Value>| {
        let request = match body {
            Some(body) => client.post(url).json(&body),
            None => client.get(url),
        };
        async move {
            let response = request.send().await.expect("the test upstream answers");
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("JSON")
        }
    };
    let mut people = 0;
    for country in Country::ALL {
        let base = upstream.base_url(country);
        check(
            &health,
            "health",
            &fetch(format!("{base}{}", contract::HEALTH), None).await,
        );
        let all = fetch(format!("{base}{}", contract::PERSONS), None).await;
        check(&list, "persons", &all);
        for p in all["persons"].as_array().unwrap() {
            let key = p["key"].as_str().unwrap();
            let one = fetch(format!("{base}{}", contract::person_path(key)), None).await;
            check(&person, key, &one);
            let r = fetch(format!("{base}{}", contract::records_path(key)), None).await;
            check(&records, key, &r);
            let poa = fetch(
                format!("{base}{}", contract::powers_of_attorney_path(key)),
                None,
            )
            .await;
            check(&powers, key, &poa);
            let question = json!({"national_id": p["national_id"]});
            check(&lookup, "lookup request", &question);
            let found = fetch(format!("{base}{}", contract::LOOKUP), Some(question)).await;
            assert_eq!(found["key"], key);
            people += 1;
        }
    }
    assert!(people >= 40);
}

/// Mutual TLS towards an upstream that requires a client certificate from its CA, and whose
/// own certificate is from a CA the gateway trusts only through `tls.ca_file`.
#[actix_web::test]
async fn mutual_tls_towards_the_upstream() {
    use crate::support::app::assert_outcome;
    use crate::support::tls_upstream::{TlsUpstream, fixture};
    use ehds_gateway::config::SourceSettings;

    let upstream = TlsUpstream::start();
    let spawn = |identity: bool, ca: bool| {
        let mut source = HttpSourceSettings {
            base_url: upstream.base_url(),
            retries: 0,
            ..HttpSourceSettings::default()
        };
        if identity {
            source.tls.client_cert_file = fixture("client-cert.pem");
            source.tls.client_key_file = fixture("client-key.pem");
        }
        if ca {
            source.tls.ca_file = fixture("ca.pem");
        }
        let mut settings = test_settings(&IDP);
        settings.portal.countries = vec![Country::No];
        settings
            .portal
            .sources
            .insert("no".into(), SourceSettings::Http(Box::new(source)));
        spawn_with(settings)
    };

    let app = spawn(true, true).await;
    let answer = get(&app, &read_path()).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(answer.body["id"], PATIENT);
    assert_eq!(upstream.served(), 1);
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 200, "{body:#}");

    // Without a client certificate the upstream refuses the handshake.
    let app = spawn(false, true).await;
    let answer = get(&app, &read_path()).await;
    assert_outcome(answer.status, &answer.body, 503, "transient");
    assert!(upstream.refused() >= 1);

    // Without the upstream's CA the gateway refuses the upstream.
    let app = spawn(true, false).await;
    let answer = get(&app, &read_path()).await;
    assert_outcome(answer.status, &answer.body, 503, "transient");
    assert_eq!(
        upstream.served(),
        2,
        "only the health probe of the first gateway"
    );
}
