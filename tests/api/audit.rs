//! The access log (R35-R38): one AuditEvent per request, committed before the response,
//! readable at once by the patient and by proxies with access-log rights, immutable,
//! chained by hash, and failing closed. Against SQLite (each gateway's own file) and
//! PostgreSQL (the shared server, a schema of the test's own; a throwaway cluster for the
//! outage).

use std::collections::BTreeMap;

use ehds_gateway::audit::{AuditKind, AuditLog, AuditRecord, Outcome, verify};
use ehds_gateway::config::Settings;
use ehds_gateway::store::Store;
use serde_json::Value;

use crate::support::app::{
    IDP, TestApp, acting_token as acting, assert_outcome, matches, patient_token,
    professional_token as professional, read_fhir, spawn_with, test_settings,
    test_settings_on_sqlite,
};
use crate::support::data;
use crate::support::db::{TestCluster, fresh_path, use_shared_postgres};

const DK_PARENT_CPR: &str = "1902850204"; // dk.p-dk-001
const DK_CHILD_14: &str = "dk.p-dk-004";

/// GETs `path` and returns the status and the request id the gateway gave it.
async fn request(app: &TestApp, path: &str, token: &str) -> (u16, String) {
    let response = app.get(path, Some(token)).await;
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let status = response.status().as_u16();
    let _ = response.bytes().await.unwrap();
    (status, id)
}

/// The patient's whole log, every page, newest first, as the patient reads it.
async fn log_of(app: &TestApp, patient: &str, token: &str, filter: &str) -> Vec<Value> {
    let pages = app
        .all_pages(
            &format!("/AuditEvent?patient={patient}{filter}&_count=50"),
            token,
        )
        .await;
    pages.iter().flat_map(matches).collect()
}

/// The events of a log by their request id.
fn by_request(events: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut map: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for event in events {
        let id = request_id(event).expect("every record names its request");
        map.entry(id).or_default().push(event.clone());
    }
    map
}

fn request_id(event: &Value) -> Option<String> {
    event["entity"]
        .as_array()?
        .iter()
        .find(|e| e["type"]["code"] == "XrequestId")
        .and_then(|e| e["what"]["identifier"]["value"].as_str())
        .map(str::to_owned)
}

fn entity_refs(event: &Value) -> Vec<String> {
    event["entity"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["what"]["reference"].as_str())
        .map(str::to_owned)
        .collect()
}

fn user_agent(event: &Value) -> &Value {
    event["agent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["requestor"] == true)
        .expect("a requestor")
}

fn purpose_codes(event: &Value) -> Vec<String> {
    event["purposeOfEvent"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["coding"].as_array().unwrap().iter())
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The one event of a request, which must exist exactly once.
fn the_event<'a>(log: &'a BTreeMap<String, Vec<Value>>, request: &str) -> &'a Value {
    let events = log.get(request).map(Vec::as_slice).unwrap_or_default();
    assert_eq!(
        events.len(),
        1,
        "one record of request {request}: {events:#?}"
    );
    &events[0]
}

/// Every kind of access and refusal is one AuditEvent with the right agents, purpose and
/// entities, in the patient's log at once; reading the log adds nothing to it.
async fn each_access_is_one_record(settings: Settings) {
    let app = spawn_with(settings).await;
    let p = data::NO_ADULT;
    let own = patient_token(p, "patient/*.rs");
    let mut expected = Vec::new();
    let (status, read) = request(&app, &format!("/Patient/{p}"), &own).await;
    assert_eq!(status, 200);
    expected.push(read.clone());
    let (status, search) = request(&app, &format!("/MedicationRequest?patient={p}"), &own).await;
    assert_eq!(status, 200);
    expected.push(search.clone());
    let (status, summary) = request(&app, &format!("/Patient/{p}/$summary"), &own).await;
    assert_eq!(status, 200);
    expected.push(summary.clone());
    let (status, everything) = request(&app, &format!("/Patient/{p}/$everything"), &own).await;
    assert_eq!(status, 200);
    expected.push(everything.clone());
    let (status, consents) = request(&app, "/Consent", &own).await;
    assert_eq!(status, 200);
    expected.push(consents.clone());
    // A professional, and one breaking the glass.
    let doctor = professional("9144900", None);
    let (status, by_doctor) = request(&app, &format!("/Condition?patient={p}"), &doctor).await;
    assert_eq!(status, 200);
    expected.push(by_doctor.clone());
    let emergency = professional("9144900", Some("EMERGENCY"));
    let (status, btg) = request(&app, &format!("/Patient/{p}"), &emergency).await;
    assert_eq!(status, 200);
    expected.push(btg.clone());
    // A token without the scope: refused, and recorded.
    let narrow = patient_token(p, "patient/Immunization.rs");
    let (status, no_scope) = request(&app, &format!("/Condition?patient={p}"), &narrow).await;
    assert_eq!(status, 403);
    expected.push(no_scope.clone());
    // Someone else's patient token probing this patient: refused, and on this patient's log.
    let stranger = patient_token(data::SE_ADULT, "patient/*.rs");
    let (status, probe_read) = request(&app, &format!("/Patient/{p}"), &stranger).await;
    assert_eq!(status, 404);
    expected.push(probe_read.clone());
    let (status, probe_search) =
        request(&app, &format!("/Immunization?patient={p}"), &stranger).await;
    assert_eq!(status, 403);
    expected.push(probe_search.clone());

    let events = log_of(&app, p, &own, "").await;
    let log = by_request(&events);
    let missing: Vec<usize> = expected
        .iter()
        .enumerate()
        .filter(|(_, id)| !log.contains_key(*id))
        .map(|(i, _)| i)
        .collect();
    assert!(missing.is_empty(), "requests not on record: {missing:?}");
    assert_eq!(
        events.len(),
        expected.len(),
        "one record per request, and none of reading the log: {log:#?}"
    );
    // Newest first: the last request comes first.
    assert_eq!(
        request_id(&events[0]).as_deref(),
        Some(probe_search.as_str())
    );
    let recorded: Vec<&str> = events
        .iter()
        .map(|e| e["recorded"].as_str().unwrap())
        .collect();
    assert!(recorded.windows(2).all(|w| w[0] >= w[1]), "{recorded:?}");

    let event = the_event(&log, &read);
    assert_eq!(event["type"]["code"], "rest");
    assert_eq!(event["subtype"][0]["code"], "read");
    assert_eq!(event["action"], "R");
    assert_eq!(event["outcome"], "0");
    assert_eq!(
        user_agent(event)["who"]["reference"],
        format!("Patient/{p}")
    );
    assert_eq!(user_agent(event)["role"][0]["coding"][0]["code"], "ONESELF");
    assert_eq!(purpose_codes(event), ["PATRQT"]);
    let app_agent = event["agent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["type"]["coding"][0]["code"] == "110150")
        .expect("the client app is an agent");
    assert_eq!(app_agent["who"]["identifier"]["value"], "test-client");
    assert_eq!(event["source"]["observer"]["display"], "ehds-gateway");
    let refs = entity_refs(event);
    assert!(refs.contains(&format!("Patient/{p}")), "{refs:?}");

    let event = the_event(&log, &search);
    assert_eq!(event["subtype"][0]["code"], "search-type");
    let refs = entity_refs(event);
    let listed = refs
        .iter()
        .filter(|r| r.starts_with("MedicationRequest/"))
        .count();
    assert!(listed > 0 && listed <= 20, "bounded list: {refs:?}");
    let total = event["entity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["role"]["code"] == "24")
        .expect("a query entity with the count");
    assert!(
        total["detail"][0]["valueString"]
            .as_str()
            .unwrap()
            .parse::<usize>()
            .unwrap()
            >= listed
    );

    for (id, name) in [(&summary, "$summary"), (&everything, "$everything")] {
        let event = the_event(&log, id);
        assert_eq!(event["subtype"][0]["code"], "operation");
        assert_eq!(event["subtype"][0]["display"], name);
        assert!(
            entity_refs(event)
                .iter()
                .any(|r| r.starts_with("MedicationRequest/"))
        );
    }
    assert_eq!(
        the_event(&log, &consents)["subtype"][0]["code"],
        "search-type"
    );

    let event = the_event(&log, &by_doctor);
    let user = user_agent(event);
    assert_eq!(user["who"]["identifier"]["value"], "9144900");
    assert_eq!(user["role"][0]["coding"][0]["code"], "PROV");
    assert_eq!(purpose_codes(event), ["TREAT"]);
    let event = the_event(&log, &btg);
    assert_eq!(purpose_codes(event), ["ETREAT", "BTG"]);

    for refused in [&no_scope, &probe_search] {
        let event = the_event(&log, refused);
        assert_eq!(event["outcome"], "4");
        assert!(event["outcomeDesc"].as_str().unwrap().starts_with("403"));
    }
    let event = the_event(&log, &probe_read);
    assert_eq!(event["outcome"], "4");
    assert_eq!(
        user_agent(event)["who"]["reference"],
        format!("Patient/{}", data::SE_ADULT)
    );
    // Nothing about this patient is in the stranger's own log but its own requests.
    let theirs = log_of(
        &app,
        data::SE_ADULT,
        &patient_token(data::SE_ADULT, "patient/*.rs"),
        "",
    )
    .await;
    assert!(theirs.is_empty(), "{theirs:#?}");

    // Batch sizes are exposed for the benchmarks.
    let metrics = app.get_plain("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("ehds_audit_batch_size"), "{metrics}");
}

#[actix_web::test]
async fn each_access_and_refusal_is_one_audit_event_on_sqlite() {
    each_access_is_one_record(test_settings(&IDP)).await;
}

#[actix_web::test]
async fn each_access_and_refusal_is_one_audit_event_on_postgres() {
    let mut settings = test_settings(&IDP);
    use_shared_postgres(&mut settings);
    each_access_is_one_record(settings).await;
}

#[actix_web::test]
async fn the_log_is_searched_by_date_agent_type_and_paged() {
    let app = spawn_app_with_reads(5).await;
    let p = data::NO_ADULT;
    let own = patient_token(p, "patient/*.rs");
    let all = log_of(&app, p, &own, "").await;
    assert_eq!(all.len(), 6, "five reads and a search");
    let today = &all[0]["recorded"].as_str().unwrap()[..10];
    assert_eq!(
        log_of(&app, p, &own, &format!("&date=ge{today}"))
            .await
            .len(),
        6
    );
    assert_eq!(log_of(&app, p, &own, "&date=lt2000-01-01").await.len(), 0);
    for filter in [
        format!("&date={today}"),
        format!("&date=le{today}&date=ge2000"),
    ] {
        assert_eq!(log_of(&app, p, &own, &filter).await.len(), 6, "{filter}");
    }
    assert_eq!(log_of(&app, p, &own, "&date=gt2999-01-01").await.len(), 0);
    assert_eq!(log_of(&app, p, &own, "&subtype=read").await.len(), 5);
    assert_eq!(log_of(&app, p, &own, "&subtype=search-type").await.len(), 1);
    assert_eq!(log_of(&app, p, &own, "&type=rest").await.len(), 6);
    assert_eq!(log_of(&app, p, &own, "&type=110114").await.len(), 0);
    assert_eq!(
        log_of(&app, p, &own, &format!("&agent=Patient/{p}"))
            .await
            .len(),
        6
    );
    assert_eq!(
        log_of(&app, p, &own, "&agent=Patient/no.p-no-008")
            .await
            .len(),
        0
    );
    assert_eq!(log_of(&app, p, &own, "&outcome=0").await.len(), 6);
    // Pages of two, newest first across pages, the same records as one page.
    let pages = app
        .all_pages(&format!("/AuditEvent?patient={p}&_count=2"), &own)
        .await;
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0]["total"], 6);
    let paged: Vec<Value> = pages.iter().flat_map(matches).collect();
    assert_eq!(paged, all);
    // The same search as a POST form.
    let (status, posted) = app
        .post_form(
            "/AuditEvent/_search",
            &own,
            &format!("patient={p}&subtype=read&_count=50"),
        )
        .await;
    assert_eq!(status, 200, "{posted:#}");
    assert_eq!(
        matches(&posted),
        log_of(&app, p, &own, "&subtype=read").await
    );
    // One event by id.
    let id = all[0]["id"].as_str().unwrap();
    let one = app.fhir_ok(&format!("/AuditEvent/{id}"), &own).await;
    assert_eq!(one, all[0]);
}

/// A gateway on which the patient NO_ADULT was read `reads` times and searched once.
async fn spawn_app_with_reads(reads: usize) -> TestApp {
    let app = spawn_with(test_settings(&IDP)).await;
    let p = data::NO_ADULT;
    let own = patient_token(p, "patient/*.rs");
    for _ in 0..reads {
        assert_eq!(request(&app, &format!("/Patient/{p}"), &own).await.0, 200);
    }
    assert_eq!(request(&app, "/Immunization", &own).await.0, 200);
    app
}

#[actix_web::test]
async fn the_patient_and_proxies_with_access_log_rights_read_it_and_nobody_else() {
    let app = spawn_app_with_reads(1).await;
    let p = data::NO_ADULT;
    let own = patient_token(p, "patient/*.rs");
    // A DK parent of a 14-year-old sees medicines, vaccinations and the access log.
    let parent = acting(DK_PARENT_CPR, DK_CHILD_14);
    let (status, read) = request(&app, "/Immunization", &parent).await;
    assert_eq!(status, 200);
    let child_log = log_of(&app, DK_CHILD_14, &parent, "").await;
    assert_eq!(child_log.len(), 1);
    assert_eq!(request_id(&child_log[0]).as_deref(), Some(read.as_str()));
    let user = user_agent(&child_log[0]);
    assert_eq!(user["who"]["reference"], "Patient/dk.p-dk-001");
    assert_eq!(user["role"][0]["coding"][0]["code"], "GUARD");
    assert_eq!(purpose_codes(&child_log[0]), ["FAMRQT"]);
    assert!(entity_refs(&child_log[0]).contains(&format!("Patient/{DK_CHILD_14}")));

    for (path, token) in [
        // Another patient's log.
        (
            format!("/AuditEvent?patient={p}"),
            patient_token(data::SE_ADULT, "patient/*.rs"),
        ),
        // A professional or a system: the log is the citizen's.
        (
            format!("/AuditEvent?patient={p}"),
            professional("9144900", None),
        ),
        (
            format!("/AuditEvent?patient={p}"),
            crate::support::app::user_token("system/*.rs"),
        ),
        // The parent, for the child's log, when the child is 16 (no rights at all).
        (
            "/AuditEvent?patient=dk.p-dk-005".to_owned(),
            acting(DK_PARENT_CPR, "dk.p-dk-005"),
        ),
    ] {
        let (status, body) = app.get_json(&path, Some(&token)).await;
        assert_outcome(status, &body, 403, "forbidden");
    }
    // Without the scope.
    let (status, body) = app
        .get_json(
            &format!("/AuditEvent?patient={p}"),
            Some(&patient_token(p, "patient/Immunization.rs")),
        )
        .await;
    assert_outcome(status, &body, 403, "forbidden");
    // Without a patient, or with two.
    for path in [
        "/AuditEvent".to_owned(),
        format!("/AuditEvent?patient={p}&patient={}", data::SE_ADULT),
        format!("/AuditEvent?patient={p}&unknown=1"),
    ] {
        let (status, body) = app.get_json(&path, Some(&own)).await;
        assert_outcome(status, &body, 400, "invalid");
    }
    // Someone else's event by id is not there for them.
    let id = log_of(&app, p, &own, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = app
        .get_json(
            &format!("/AuditEvent/{id}"),
            Some(&patient_token(data::SE_ADULT, "patient/*.rs")),
        )
        .await;
    assert_outcome(status, &body, 404, "not-found");
    // None of these refusals to read a log became a record of its own.
    assert_eq!(log_of(&app, p, &own, "").await.len(), 2);
}

#[actix_web::test]
async fn audit_events_are_immutable() {
    let app = spawn_app_with_reads(1).await;
    let own = patient_token(data::NO_ADULT, "patient/*.rs");
    let id = log_of(&app, data::NO_ADULT, &own, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let instance = app.url(&format!("/AuditEvent/{id}"));
    let collection = app.url("/AuditEvent");
    for (method, url) in [
        (reqwest::Method::PUT, &instance),
        (reqwest::Method::PATCH, &instance),
        (reqwest::Method::DELETE, &instance),
        (reqwest::Method::POST, &collection),
        (reqwest::Method::DELETE, &collection),
    ] {
        let response = app
            .client
            .request(method.clone(), url)
            .bearer_auth(&own)
            .header("Content-Type", "application/fhir+json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 405, "not-supported");
    }
    assert_eq!(log_of(&app, data::NO_ADULT, &own, "").await.len(), 2);
}

/// R31: when the log cannot be written, the request fails with 503 and nothing is served.
#[actix_web::test]
async fn when_the_log_cannot_be_written_nothing_is_served() {
    let settings = test_settings_on_sqlite(&IDP);
    let url = settings.database.url.clone();
    let app = spawn_with(settings).await;
    let p = data::NO_ADULT;
    let own = patient_token(p, "patient/*.rs");
    assert_eq!(request(&app, &format!("/Patient/{p}"), &own).await.0, 200);
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
         BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    .execute(&pool)
    .await
    .unwrap();
    for path in [
        format!("/Patient/{p}"),
        format!("/MedicationRequest?patient={p}"),
        format!("/Patient/{p}/$summary"),
        format!("/Patient/{p}/$everything?_format=ndjson"),
    ] {
        let response = app.get(&path, Some(&own)).await;
        assert!(response.headers().get("retry-after").is_some());
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 503, "transient");
        let text = body.to_string();
        assert!(!text.contains("Bundle") && !text.contains(p), "{text}");
        assert!(
            !text.contains("disk full") && !text.contains("audit_events"),
            "{text}"
        );
    }
    sqlx::query("DROP TRIGGER refuse_audit")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(request(&app, &format!("/Patient/{p}"), &own).await.0, 200);
    // Only what was served is on record.
    let log = log_of(&app, p, &own, "").await;
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| e["outcome"] == "0"));
}

/// R31 against a real PostgreSQL stopped under the running gateway: 503, nothing served,
/// and the log works again when the database is back.
#[actix_web::test]
async fn with_the_audit_database_stopped_nothing_is_served() {
    let cluster = TestCluster::start();
    let mut settings = test_settings(&IDP);
    settings.database.url = cluster.url();
    settings.database.schema = "gateway".into();
    settings.database.acquire_timeout_seconds = 1;
    settings.audit.commit_timeout_ms = 2000;
    let app = spawn_with(settings).await;
    let p = data::NO_ADULT;
    let own = patient_token(p, "patient/*.rs");
    assert_eq!(request(&app, &format!("/Patient/{p}"), &own).await.0, 200);
    cluster.stop();
    for path in [format!("/Patient/{p}"), format!("/AuditEvent?patient={p}")] {
        let (status, body) = app.get_json(&path, Some(&own)).await;
        assert_outcome(status, &body, 503, "transient");
        assert!(!body.to_string().contains(p));
    }
    cluster.start_again();
    let mut back = false;
    for _ in 0..100 {
        if request(&app, &format!("/Patient/{p}"), &own).await.0 == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(back, "the log is written again once the database is back");
    let log = log_of(&app, p, &own, "").await;
    assert!(log.iter().all(|e| e["outcome"] == "0"), "{log:#?}");
    assert!(log.len() >= 2);
}

/// The authorization server's events (R38) go through the same log and show in the
/// citizen's log.
/// How a test tampers with stored records, with the database's own guard removed first.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    Edit,
    Delete,
    Reorder,
}

impl Tamper {
    fn statements(self, postgres: bool) -> Vec<&'static str> {
        let unguard = if postgres {
            "DROP TRIGGER audit_events_are_immutable ON audit_events"
        } else {
            "DROP TRIGGER audit_events_are_immutable"
        };
        let change = match self {
            Tamper::Edit => vec![
                "UPDATE audit_events SET resource = replace(resource, '\"outcome\":\"0\"', '\"outcome\":\"4\"') WHERE seq = 3",
            ],
            Tamper::Delete => vec![
                "DELETE FROM audit_event_patients WHERE seq = 3",
                "DELETE FROM audit_events WHERE seq = 3",
            ],
            // Two records trade places: their contents keep their hashes, the positions do not.
            Tamper::Reorder => vec![
                "UPDATE audit_events SET seq = -3 WHERE seq = 3",
                "UPDATE audit_events SET seq = 3 WHERE seq = 4",
                "UPDATE audit_events SET seq = 4 WHERE seq = -3",
            ],
        };
        [vec![unguard], change].concat()
    }
}

/// Six login records, then `tamper`; `verify` must name record 3.
async fn verify_finds(settings: &Settings, tamper: Tamper) {
    let store = Store::open(&settings.database).await.unwrap();
    let log = AuditLog::start(&store, &settings.audit, "https://gateway.test");
    for _ in 0..6 {
        log.record(AuditRecord::security(
            AuditKind::Login,
            Some(data::NO_ADULT),
            Some("app"),
            Outcome::Success,
        ))
        .await
        .unwrap();
    }
    let intact = verify(&store.audit()).await.unwrap();
    assert_eq!((intact.checked, intact.broken), (6, None));
    let postgres = settings.database.url.starts_with("postgres");
    for statement in tamper.statements(postgres) {
        execute(settings, statement).await;
    }
    let found = verify(&store.audit()).await.unwrap();
    let broken = found
        .broken
        .unwrap_or_else(|| panic!("{tamper:?} not found"));
    assert_eq!(broken.seq, 3, "{tamper:?}: {broken}");
    assert_eq!(found.checked, 2);
}

async fn execute(settings: &Settings, statement: &str) {
    if settings.database.url.starts_with("postgres") {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .after_connect({
                let schema = settings.database.schema.clone();
                move |conn, _| {
                    let schema = schema.clone();
                    Box::pin(async move {
                        sqlx::query(sqlx::AssertSqlSafe(format!("SET search_path TO {schema}")))
                            .execute(conn)
                            .await
                            .map(|_| ())
                    })
                }
            })
            .connect(&settings.database.url)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&pool)
            .await
            .unwrap();
    } else {
        let pool = sqlx::SqlitePool::connect(&settings.database.url)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&pool)
            .await
            .unwrap();
    }
}

#[actix_web::test]
async fn verify_finds_an_edited_a_deleted_and_a_reordered_record_on_sqlite() {
    for tamper in [Tamper::Edit, Tamper::Delete, Tamper::Reorder] {
        verify_finds(&test_settings(&IDP), tamper).await;
    }
}

#[actix_web::test]
async fn verify_finds_an_edited_a_deleted_and_a_reordered_record_on_postgres() {
    for tamper in [Tamper::Edit, Tamper::Delete, Tamper::Reorder] {
        let mut settings = test_settings(&IDP);
        use_shared_postgres(&mut settings);
        verify_finds(&settings, tamper).await;
    }
}

/// `ehds-gateway audit verify`: exit 0 on an intact log, 1 naming the first broken record.
#[actix_web::test]
async fn the_verify_command_exits_non_zero_on_a_broken_chain() {
    let settings = test_settings_on_sqlite(&IDP);
    let app = spawn_with(settings.clone()).await;
    let own = patient_token(data::NO_ADULT, "patient/*.rs");
    for _ in 0..4 {
        request(&app, &format!("/Patient/{}", data::NO_ADULT), &own).await;
    }
    let config = fresh_path("verify.toml");
    std::fs::write(
        &config,
        format!("[database]\nurl = \"{}\"\n", settings.database.url),
    )
    .unwrap();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ehds-gateway"))
            .args(["audit", "verify", "--config"])
            .arg(&config)
            .output()
            .unwrap()
    };
    let ok = run();
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("4 records verified"));
    for statement in Tamper::Edit.statements(false) {
        execute(&settings, statement).await;
    }
    let broken = run();
    assert_eq!(broken.status.code(), Some(1), "{broken:?}");
    let message = String::from_utf8_lossy(&broken.stderr);
    assert!(message.contains("record 3 (AuditEvent/"), "{message}");
}

/// Pruning removes the oldest records and leaves a chain that still verifies.
#[actix_web::test]
async fn pruning_keeps_the_chain_verifiable() {
    let settings = test_settings(&IDP);
    let store = Store::open(&settings.database).await.unwrap();
    let log = AuditLog::start(&store, &settings.audit, "https://gateway.test");
    let mut ids = Vec::new();
    // Records a millisecond apart, dated by the test rather than by sleeping.
    let start = time::OffsetDateTime::now_utc();
    for n in 0..5 {
        let mut record = AuditRecord::security(
            AuditKind::Login,
            Some(data::NO_ADULT),
            None,
            Outcome::Success,
        );
        record.recorded = start + time::Duration::milliseconds(n);
        ids.push(log.record(record).await.unwrap());
    }
    let audit = store.audit();
    let rows = audit.rows_after(0, 10).await.unwrap();
    assert!(rows[1].recorded_ms < rows[2].recorded_ms);
    let cutoff_ms = rows[2].recorded_ms;
    assert_eq!(audit.prune_before(cutoff_ms).await.unwrap(), 2);
    assert_eq!(audit.prune_before(cutoff_ms).await.unwrap(), 0);
    assert!(audit.by_id(&ids[1]).await.unwrap().is_none());
    let state = audit.chain_state().await.unwrap();
    assert_eq!((state.anchor_seq, state.head_seq), (2, 5));
    let checked = verify(&audit).await.unwrap();
    assert_eq!((checked.checked, checked.broken), (3, None));
    // And new records go on from the head.
    log.record(AuditRecord::security(
        AuditKind::Logout,
        None,
        None,
        Outcome::Success,
    ))
    .await
    .unwrap();
    assert_eq!(verify(&audit).await.unwrap().checked, 4);
}

/// R35 in full: the data's national source on each disclosed entity, the domestic
/// professional's organisation as an agent of its own, and a representative's acting on
/// behalf of the patient (`auditevent-OnBehalfOf`).
#[actix_web::test]
async fn origin_organisation_and_on_behalf_of_are_on_record() {
    let app = spawn_with(test_settings(&IDP)).await;
    // Birgitta (SE), who gave her daughter Karin a power of attorney (poa-se-001).
    let grantor = "se.p-se-009";
    let attorney = acting("196506039806", grantor);
    let (status, attorney_request) = request(&app, "/MedicationRequest?_count=3", &attorney).await;
    assert_eq!(status, 200);
    let mut claims = IDP.standard_claims(crate::support::app::AUDIENCE, "user/*.rs", None);
    claims["fhirUser"] = serde_json::json!("Practitioner/9144889");
    claims["organization"] = serde_json::json!("urn:oid:1.2.752.29.4.19|SE2321000016-15CQ");
    let doctor = IDP.token(claims);
    let (status, doctor_request) = request(&app, &format!("/Patient/{grantor}"), &doctor).await;
    assert_eq!(status, 200);

    let own = patient_token(grantor, "patient/*.rs");
    let events = by_request(&log_of(&app, grantor, &own, "").await);
    let by_attorney = &events[&attorney_request][0];
    let user = user_agent(by_attorney);
    assert_eq!(user["who"]["reference"], "Patient/se.p-se-010");
    assert_eq!(user["role"][0]["coding"][0]["code"], "POWATT");
    assert_eq!(
        user["extension"][0]["url"],
        "http://hl7.org/fhir/StructureDefinition/auditevent-OnBehalfOf"
    );
    assert_eq!(
        user["extension"][0]["valueReference"]["reference"],
        format!("Patient/{grantor}")
    );
    let disclosed: Vec<&Value> = by_attorney["entity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["what"]["reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("MedicationRequest/"))
        })
        .collect();
    assert_eq!(disclosed.len(), 3, "{by_attorney:#}");
    assert!(
        disclosed
            .iter()
            .all(|e| e["description"] == "national portal SE")
    );

    let by_doctor = &events[&doctor_request][0];
    let agents = by_doctor["agent"].as_array().unwrap();
    let organisation = agents
        .iter()
        .find(|a| a["who"]["identifier"]["value"] == "SE2321000016-15CQ")
        .unwrap_or_else(|| panic!("the organisation is an agent: {by_doctor:#}"));
    assert_eq!(
        organisation["who"]["identifier"]["system"],
        "urn:oid:1.2.752.29.4.19"
    );
    assert_eq!(
        user_agent(by_doctor)["role"][0]["coding"][0]["code"],
        "PROV"
    );
    assert!(
        user_agent(by_doctor).get("extension").is_none(),
        "a professional acts for nobody"
    );
    // The patient's own reads name no one they acted for either.
    let (_, own_request) = request(&app, "/Patient", &own).await;
    let events = by_request(&log_of(&app, grantor, &own, "").await);
    assert!(
        user_agent(&events[&own_request][0])
            .get("extension")
            .is_none()
    );
}
