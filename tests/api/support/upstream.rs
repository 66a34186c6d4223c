//! A real upstream portal for tests: an HTTP server that serves the upstream contract v1
//! (`docs/portal-upstream-contract.md`) for all four countries from the embedded data set,
//! each country under its own base URL (`{base}/no`, `{base}/se`, ...), and can be told to
//! be slow, fail, break connections or answer garbage. It counts what it is asked and
//! remembers the request ids it saw.
//!
//! Like the test IdP it runs its own actix system on its own thread, so any test can use
//! it. `examples/bench_upstream.rs` runs the same server for the benchmarks.

// Each binary that includes this file uses only some of its helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use ehds_gateway::config::{Settings, SourceSettings};
use ehds_gateway::national_id::{Country, NationalId};
use ehds_gateway::portal::PortalSource;
use ehds_gateway::portal::embedded::EmbeddedSource;
use ehds_gateway::portal::http::config::{HttpSourceSettings, OAuthSettings, Secret};
use serde_json::{Value, json};

/// What the upstream does instead of answering well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Waits this long, then answers well.
    Slow(Duration),
    /// Answers with this status (and a small JSON error body).
    Status(u16),
    /// Starts a 200 answer and breaks the connection in the middle of the body.
    Reset,
    /// 200 `application/json` that is not JSON.
    Garbage,
    /// 200 `text/html`, as a proxy's error page would be.
    Html,
    /// Well-formed JSON about someone else than the person asked for.
    WrongPerson,
    /// The right answer with one field that the contract does not have.
    UnknownField,
}

/// The OAuth client the upstream's token endpoint accepts.
pub const OAUTH_CLIENT_ID: &str = "gateway-test";
pub const OAUTH_CLIENT_SECRET: &str = "s3cret:with+odd chars";

pub struct TestUpstream {
    base_url: String,
    state: Arc<State>,
    server: actix_web::dev::ServerHandle,
}

struct State {
    sources: HashMap<String, EmbeddedSource>,
    /// The fault of every answer (data, health)...
    fault: Mutex<Fault>,
    /// ...unless the next `n` data answers get another one.
    next: Mutex<(usize, Fault)>,
    token_fault: Mutex<Fault>,
    listing: AtomicBool,
    require_token: AtomicBool,
    data_requests: AtomicUsize,
    health_checks: AtomicUsize,
    token_requests: AtomicUsize,
    issued: Mutex<Vec<String>>,
    request_ids: Mutex<Vec<String>>,
    paths: Mutex<Vec<String>>,
}

impl TestUpstream {
    /// On a free port of 127.0.0.1, with one worker.
    pub fn start() -> TestUpstream {
        TestUpstream::start_on("127.0.0.1:0", 1)
    }

    pub fn start_on(address: &str, workers: usize) -> TestUpstream {
        let sources = EmbeddedSource::load_all()
            .expect("the embedded data set loads")
            .into_iter()
            .map(|s| (s.country().code().to_ascii_lowercase(), s))
            .collect();
        let state = Arc::new(State {
            sources,
            fault: Mutex::new(Fault::None),
            next: Mutex::new((0, Fault::None)),
            token_fault: Mutex::new(Fault::None),
            listing: AtomicBool::new(true),
            require_token: AtomicBool::new(false),
            data_requests: AtomicUsize::new(0),
            health_checks: AtomicUsize::new(0),
            token_requests: AtomicUsize::new(0),
            issued: Mutex::new(Vec::new()),
            request_ids: Mutex::new(Vec::new()),
            paths: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind(address).expect("bind the test upstream");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let server_state = state.clone();
        std::thread::Builder::new()
            .name("test-upstream".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(web::Data::new(server_state.clone()))
                            .route("/oauth/token", web::post().to(token))
                            .route("/{cc}/v1/health", web::get().to(health))
                            .route("/{cc}/v1/persons", web::get().to(persons))
                            .route("/{cc}/v1/persons/_lookup", web::post().to(lookup))
                            .route("/{cc}/v1/persons/{key}", web::get().to(person))
                            .route("/{cc}/v1/persons/{key}/records", web::get().to(records))
                            .route(
                                "/{cc}/v1/persons/{key}/powers-of-attorney",
                                web::get().to(powers_of_attorney),
                            )
                    })
                    .workers(workers)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .listen(listener)
                    .expect("listen")
                    .run();
                    handle_tx.send(server.handle()).expect("send the handle");
                    let _ = server.await;
                });
            })
            .expect("spawn the test upstream thread");
        let server = handle_rx.recv().expect("the test upstream failed to start");
        TestUpstream {
            base_url,
            state,
            server,
        }
    }

    /// The base URL of one country's upstream.
    pub fn base_url(&self, country: Country) -> String {
        format!("{}/{}", self.base_url, country.code().to_ascii_lowercase())
    }

    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }

    /// Settings of an HTTP source for `country` against this upstream: the defaults, with
    /// listing on and short pauses between retries.
    pub fn source(&self, country: Country) -> HttpSourceSettings {
        HttpSourceSettings {
            base_url: self.base_url(country),
            listing: true,
            retry_backoff_ms: 5,
            retry_backoff_max_ms: 20,
            ..HttpSourceSettings::default()
        }
    }

    /// Serves every country of `settings` from this upstream, each source adjusted by `adjust`.
    pub fn serve_all(&self, settings: &mut Settings, adjust: impl Fn(&mut HttpSourceSettings)) {
        for country in Country::ALL {
            let mut source = self.source(country);
            adjust(&mut source);
            settings.portal.sources.insert(
                country.code().to_ascii_lowercase(),
                SourceSettings::Http(Box::new(source)),
            );
        }
    }

    /// OAuth settings for this upstream's token endpoint.
    pub fn oauth(&self) -> OAuthSettings {
        OAuthSettings {
            token_url: self.token_url(),
            client_id: OAUTH_CLIENT_ID.into(),
            client_secret: Secret(OAUTH_CLIENT_SECRET.into()),
            scope: "portal.read".into(),
        }
    }

    /// The fault of every answer from now on (`Fault::None` to heal).
    pub fn set_fault(&self, fault: Fault) {
        *self.state.fault.lock().unwrap() = fault;
    }

    /// The next `n` data answers get `fault`, then the standing fault applies again.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        *self.state.next.lock().unwrap() = (n, fault);
    }

    pub fn set_token_fault(&self, fault: Fault) {
        *self.state.token_fault.lock().unwrap() = fault;
    }

    /// Whether `GET /v1/persons` is offered.
    pub fn set_listing(&self, on: bool) {
        self.state.listing.store(on, Ordering::SeqCst);
    }

    /// Whether data and health need a bearer token from `/oauth/token`.
    pub fn set_require_token(&self, on: bool) {
        self.state.require_token.store(on, Ordering::SeqCst);
    }

    /// Refuses every token issued so far (as after a key rotation).
    pub fn revoke_tokens(&self) {
        self.state.issued.lock().unwrap().clear();
    }

    /// Data requests received (everything but health and token), failed ones included.
    pub fn requests(&self) -> usize {
        self.state.data_requests.load(Ordering::SeqCst)
    }

    pub fn health_checks(&self) -> usize {
        self.state.health_checks.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> usize {
        self.state.token_requests.load(Ordering::SeqCst)
    }

    /// The path of every data request, in order.
    pub fn paths(&self) -> Vec<String> {
        self.state.paths.lock().unwrap().clone()
    }

    /// The `X-Request-Id` of every data request, in order.
    pub fn request_ids(&self) -> Vec<String> {
        self.state.request_ids.lock().unwrap().clone()
    }
}

impl Drop for TestUpstream {
    fn drop(&mut self) {
        drop(self.server.stop(false));
    }
}

impl State {
    fn source(&self, cc: &str) -> Option<&EmbeddedSource> {
        self.sources.get(cc)
    }

    /// Counts a data request and picks its fault.
    fn data_fault(&self, req: &HttpRequest) -> Fault {
        self.data_requests.fetch_add(1, Ordering::SeqCst);
        self.paths.lock().unwrap().push(req.path().to_owned());
        if let Some(id) = req.headers().get("x-request-id") {
            let id = id.to_str().unwrap_or_default().to_owned();
            self.request_ids.lock().unwrap().push(id);
        }
        let mut next = self.next.lock().unwrap();
        if next.0 > 0 {
            next.0 -= 1;
            return next.1;
        }
        *self.fault.lock().unwrap()
    }

    fn authorized(&self, req: &HttpRequest) -> bool {
        if !self.require_token.load(Ordering::SeqCst) {
            return true;
        }
        let token = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        token.is_some_and(|t| self.issued.lock().unwrap().iter().any(|i| i == t))
    }
}

type Path1 = web::Path<String>;
type Path2 = web::Path<(String, String)>;

async fn health(state: web::Data<Arc<State>>, req: HttpRequest, cc: Path1) -> HttpResponse {
    state.health_checks.fetch_add(1, Ordering::SeqCst);
    if state.source(&cc).is_none() {
        return HttpResponse::NotFound().finish();
    }
    if !state.authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    let fault = *state.fault.lock().unwrap();
    answer(fault, Some(json!({"status": "ok"}))).await
}

async fn persons(state: web::Data<Arc<State>>, req: HttpRequest, cc: Path1) -> HttpResponse {
    let fault = state.data_fault(&req);
    let Some(source) = state.source(&cc) else {
        return HttpResponse::NotFound().finish();
    };
    if !state.authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    if !state.listing.load(Ordering::SeqCst) {
        return answer(fault, None).await;
    }
    let all = source.persons().await.expect("embedded");
    let list: Vec<Value> = all
        .iter()
        .map(|p| serde_json::to_value(&**p).unwrap())
        .collect();
    answer(fault, Some(json!({ "persons": list }))).await
}

async fn lookup(
    state: web::Data<Arc<State>>,
    req: HttpRequest,
    cc: Path1,
    body: Bytes,
) -> HttpResponse {
    let fault = state.data_fault(&req);
    let Some(source) = state.source(&cc) else {
        return HttpResponse::NotFound().finish();
    };
    if !state.authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().finish();
    };
    let id = &request["national_id"];
    let parsed = match (id["system"].as_str(), id["value"].as_str()) {
        (Some(system), Some(value)) => NationalId::parse(system, value).ok(),
        _ => None,
    };
    let Some(id) = parsed else {
        return HttpResponse::BadRequest().finish();
    };
    let person = source.person_by_national_id(&id).await.expect("embedded");
    answer(fault, person.map(|p| serde_json::to_value(&*p).unwrap())).await
}

async fn person(state: web::Data<Arc<State>>, req: HttpRequest, path: Path2) -> HttpResponse {
    let fault = state.data_fault(&req);
    let (cc, key) = path.into_inner();
    let Some(source) = state.source(&cc) else {
        return HttpResponse::NotFound().finish();
    };
    if !state.authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    let person = source.person(&key).await.expect("embedded");
    answer(fault, person.map(|p| serde_json::to_value(&*p).unwrap())).await
}

async fn records(state: web::Data<Arc<State>>, req: HttpRequest, path: Path2) -> HttpResponse {
    let fault = state.data_fault(&req);
    let (cc, key) = path.into_inner();
    let Some(source) = state.source(&cc) else {
        return HttpResponse::NotFound().finish();
    };
    if !state.authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    if source.person(&key).await.expect("embedded").is_none() {
        return answer(fault, None).await;
    }
    let r = source.records(&key).await.expect("embedded");
    let body = json!({
        "person": key,
        "prescriptions": r.prescriptions,
        "vaccinations": r.vaccinations,
        "allergies": r.allergies,
        "conditions": r.conditions,
        "lab_reports": r.lab_reports,
    });
    answer(fault, Some(body)).await
}

async fn powers_of_attorney(
    state: web::Data<Arc<State>>,
    req: HttpRequest,
    path: Path2,
) -> HttpResponse {
    let fault = state.data_fault(&req);
    let (cc, key) = path.into_inner();
    let Some(source) = state.source(&cc) else {
        return HttpResponse::NotFound().finish();
    };
    if !state.authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    if source.person(&key).await.expect("embedded").is_none() {
        return answer(fault, None).await;
    }
    let list = source.powers_of_attorney(&key).await.expect("embedded");
    answer(fault, Some(json!({ "powers_of_attorney": list }))).await
}

/// The client credentials grant: Basic authentication of the one known client.
async fn token(state: web::Data<Arc<State>>, req: HttpRequest, body: Bytes) -> HttpResponse {
    state.token_requests.fetch_add(1, Ordering::SeqCst);
    let fault = *state.token_fault.lock().unwrap();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            OAUTH_CLIENT_ID,
            form_encode(OAUTH_CLIENT_SECRET)
        ))
    );
    let authenticated = req
        .headers()
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == expected.as_bytes());
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let grant = form
        .iter()
        .any(|(k, v)| k == "grant_type" && v == "client_credentials");
    if !authenticated || !grant {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let token = {
        let mut issued = state.issued.lock().unwrap();
        let token = format!("tok-{}", state.token_requests.load(Ordering::SeqCst));
        issued.push(token.clone());
        token
    };
    answer(
        fault,
        Some(json!({"access_token": token, "token_type": "Bearer", "expires_in": 300})),
    )
    .await
}

fn form_encode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .unwrap()
        .trim_start_matches('=')
        .to_owned()
}

/// The answer `value` (404 when `None`) as `fault` makes it.
async fn answer(fault: Fault, value: Option<Value>) -> HttpResponse {
    let json_ok = |v: Value| {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(v.to_string())
    };
    match fault {
        Fault::None => match value {
            Some(v) => json_ok(v),
            None => HttpResponse::NotFound().json(json!({"error": "not found"})),
        },
        Fault::Slow(pause) => {
            actix_web::rt::time::sleep(pause).await;
            Box::pin(answer(Fault::None, value)).await
        }
        Fault::Status(status) => {
            HttpResponse::build(StatusCode::from_u16(status).expect("a status"))
                .json(json!({"error": "induced"}))
        }
        Fault::Reset => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"persons\": [")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "induced reset",
                )),
            ];
            HttpResponse::Ok()
                .content_type("application/json")
                .streaming(futures_util::stream::iter(chunks))
        }
        Fault::Garbage => HttpResponse::Ok()
            .content_type("application/json")
            .body("{\"key\": \"p-no-001\", \"family\": [1, 2"),
        Fault::Html => HttpResponse::Ok()
            .content_type("text/html")
            .body("<html><body>Bad gateway</body></html>"),
        Fault::WrongPerson => match value {
            Some(v) => json_ok(someone_else(v)),
            None => HttpResponse::NotFound().finish(),
        },
        Fault::UnknownField => match value {
            Some(mut v) => {
                v["unexpected"] = json!(true);
                json_ok(v)
            }
            None => HttpResponse::NotFound().finish(),
        },
    }
}

/// The same answer, about another person.
fn someone_else(mut v: Value) -> Value {
    let other = json!("p-someone-else");
    if v.get("person").is_some() {
        v["person"] = other;
    } else if v.get("key").is_some() {
        v["key"] = other;
    } else if let Some(list) = v
        .get_mut("powers_of_attorney")
        .and_then(Value::as_array_mut)
    {
        for p in list {
            p["grantor"] = other.clone();
            p["holder"] = other.clone();
        }
    } else if let Some(list) = v.get_mut("persons").and_then(Value::as_array_mut) {
        let first = list.first().cloned();
        list.extend(first);
    } else if v.get("status").is_some() {
        v["status"] = json!("degraded");
    }
    v
}
