//! R42: an acknowledged write survives a crash at any moment.
//!
//! This binary is both sides. Run by `cargo test`, it starts itself again as a writer child
//! (`EHDS_CRASH_WRITER` set) that creates Consents in a loop and prints
//! `acknowledged <id>` after each create returned, i.e. after the commit. The parent kills
//! the child with SIGKILL at a random moment after a random number of acknowledgements,
//! possibly in the middle of a transaction, then opens the store itself and checks that
//! every acknowledged id is there and (SQLite) that the file passes its integrity check.
//! 20 rounds per backend: SQLite (a temp file; the WAL left by the killed writer is
//! recovered by the next opener) and PostgreSQL (`EHDS_TEST_PG_URL`, by default
//! 127.0.0.1:5432/test; a fresh schema).
//!
//! SIGKILL ends the process, not the machine: what this shows is that nothing is
//! acknowledged before its commit. That a commit survives a power cut rests on
//! `synchronous=FULL` (SQLite syncs the WAL on every commit) and PostgreSQL's
//! `synchronous_commit=on`.
//!
//! The access log gets the same treatment with the real gateway: the child
//! (`EHDS_CRASH_GATEWAY` set) serves on a random port, the parent sends a load of Patient
//! reads from several connections, kills the gateway with SIGKILL after a random number of
//! responses and starts it again, 20 times per backend; then every response it received
//! must have its AuditEvent (found by the `X-Request-Id` the response carried), and the
//! hash chain must verify.
//!
//! The authorization server's state gets the write treatment (`EHDS_CRASH_AUTHZ_WRITER`):
//! grants, login sessions, refresh-token rotations and token revocations, each acknowledged
//! after its commit, must all be there after the kills.
//!
//! `EHDS_CRASH_SEED` replays a run; the seed is printed.
//!
//! The six cases are `crash::sqlite`, `crash::sqlite_audit`, `crash::sqlite_authz` and the
//! same three for `postgres`. Like a libtest binary, it takes name filters (`cargo test --test
//! crash sqlite` runs the two SQLite cases), `--exact`, `--skip` and `--list`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ehds_gateway::auth::dev_issuer::DevIssuer;
use ehds_gateway::config::{DatabaseSettings, Settings};
use ehds_gateway::fhir::resources::Consent;
use ehds_gateway::portal::embedded::EmbeddedSource;
use ehds_gateway::startup::Application;
use ehds_gateway::store::{Backend, Store};
use serde_json::json;

const WRITER_ENV: &str = "EHDS_CRASH_WRITER";
const GATEWAY_ENV: &str = "EHDS_CRASH_GATEWAY";
const AUTHZ_WRITER_ENV: &str = "EHDS_CRASH_AUTHZ_WRITER";
/// Most responses waited for before a kill of the gateway.
const MAX_RESPONSES_BEFORE_KILL: u64 = 150;
/// Concurrent connections reading from the gateway.
const READERS: usize = 8;
/// Whose record the load reads.
const PATIENT: &str = "no.p-no-001";
/// The gateway's public base URL in the audit rounds (the dev issuer's tokens name it).
const CRASH_BASE_URL: &str = "http://crash.test";
const ROUNDS: usize = 20;
/// Most acknowledgements waited for before a kill; bounds each round.
const MAX_ACKS_BEFORE_KILL: u64 = 40;
/// A child that prints nothing for this long is hung (it would otherwise write many
/// consents per second).
const HANG_GUARD: Duration = Duration::from_secs(60);

fn main() {
    if std::env::var_os(WRITER_ENV).is_some() {
        writer();
        return;
    }
    if std::env::var_os(GATEWAY_ENV).is_some() {
        gateway();
        return;
    }
    if std::env::var_os(AUTHZ_WRITER_ENV).is_some() {
        authz_writer();
        return;
    }
    let seed = std::env::var("EHDS_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let selection = Selection::from_args(std::env::args().skip(1));
    let cases: Vec<String> = ["sqlite", "postgres"]
        .iter()
        .flat_map(|backend| {
            [
                format!("crash::{backend}"),
                format!("crash::{backend}_audit"),
                format!("crash::{backend}_authz"),
            ]
        })
        .collect();
    if selection.list {
        let selected = cases.iter().filter(|name| selection.selects(name));
        for name in selected.clone() {
            println!("{name}: test");
        }
        println!("\n{} tests, 0 benchmarks", selected.count());
        return;
    }
    let filtered_out = cases.iter().filter(|name| !selection.selects(name)).count();
    println!("crash: seed {seed} (EHDS_CRASH_SEED replays it)");
    let mut random = XorShift(seed);
    let mut passed = 0;
    let mut failed = 0;
    let targets: [fn() -> Target; 2] = [Target::sqlite, Target::postgres];
    for target in targets {
        let target = target();
        let writes = format!("crash::{}", target.name);
        let reads = format!("crash::{}_audit", target.name);
        let authz = format!("crash::{}_authz", target.name);
        if ![&writes, &reads, &authz]
            .iter()
            .any(|name| selection.selects(name))
        {
            continue;
        }
        let mut outcome = |name: &str, case: &dyn Fn(&Target, &mut XorShift)| {
            if !selection.selects(name) {
                return;
            }
            print!("test {name} ... ");
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                case(&target, &mut random)
            }));
            if result.is_ok() {
                println!("ok");
                passed += 1;
            } else {
                println!("FAILED");
                failed += 1;
            }
        };
        outcome(&writes, &acknowledged_writes_survive_sigkill);
        outcome(&reads, &every_answered_read_is_on_record_after_sigkill);
        outcome(&authz, &authorization_state_survives_sigkill);
        target.remove();
    }
    println!("\ncrash: {passed} passed, {failed} failed, {filtered_out} filtered out");
    if failed > 0 {
        std::process::exit(101);
    }
}

/// Which cases the command line selects, read as libtest reads its own: a case runs if its
/// name contains one of the filters (equals one, with `--exact`), or if there is no filter,
/// and contains none of the `--skip` filters. Options of libtest that do not select (e.g.
/// `--nocapture`, `--test-threads 2`) are accepted and ignored; `--ignored` selects nothing,
/// as no case is ignored.
#[derive(Default)]
struct Selection {
    filters: Vec<String>,
    skips: Vec<String>,
    exact: bool,
    list: bool,
    ignored_only: bool,
}

impl Selection {
    fn from_args(mut args: impl Iterator<Item = String>) -> Selection {
        let mut selection = Selection::default();
        // libtest's options that take a value as the next argument.
        const WITH_VALUE: &[&str] = &[
            "--skip",
            "--test-threads",
            "--format",
            "--color",
            "--logfile",
            "-Z",
            "--shuffle-seed",
        ];
        while let Some(arg) = args.next() {
            let (option, inline) = match arg.split_once('=') {
                Some((option, value)) if arg.starts_with("--") => {
                    (option.to_owned(), Some(value.to_owned()))
                }
                _ => (arg.clone(), None),
            };
            let value = if WITH_VALUE.contains(&option.as_str()) {
                inline.or_else(|| args.next())
            } else {
                None
            };
            match option.as_str() {
                "--skip" => selection.skips.extend(value),
                "--exact" => selection.exact = true,
                "--list" => selection.list = true,
                "--ignored" => selection.ignored_only = true,
                _ if option.starts_with('-') => {}
                _ => selection.filters.push(arg),
            }
        }
        selection
    }

    fn selects(&self, name: &str) -> bool {
        let matches = |filter: &String| {
            if self.exact {
                name == filter
            } else {
                name.contains(filter.as_str())
            }
        };
        !self.ignored_only
            && (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skips.iter().any(matches)
    }
}

/// Where the writer writes: one database per backend for the whole run.
struct Target {
    name: &'static str,
    settings: DatabaseSettings,
    dir: Option<std::path::PathBuf>,
}

impl Target {
    fn sqlite() -> Target {
        let dir = std::env::temp_dir().join(format!("ehds-crash-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut settings = Settings::defaults().database;
        settings.url = format!("sqlite://{}", dir.join("gateway.db").display());
        Target {
            name: "sqlite",
            settings,
            dir: Some(dir),
        }
    }

    fn postgres() -> Target {
        let mut settings = Settings::defaults().database;
        settings.url = std::env::var("EHDS_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        settings.schema = format!("ehds_test_{}_crash", std::process::id());
        Target {
            name: "postgres",
            settings,
            dir: None,
        }
    }

    fn remove(&self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        } else {
            runtime().block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&self.settings.url).await {
                    let drop =
                        format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.settings.schema);
                    let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await;
                    pool.close().await;
                }
            });
        }
    }
}

/// Rounds of: start a child that writes (`child_env` set) and prints `acknowledged <what>`
/// after each commit, wait for a random number of acknowledgements, let it go on for a
/// random moment, SIGKILL it. Every acknowledgement it printed, and the time it spent
/// writing (for a rate).
fn acknowledgements_until_sigkill(
    target: &Target,
    random: &mut XorShift,
    child_env: &str,
) -> (Vec<String>, Duration, u64) {
    let mut acknowledged: Vec<String> = Vec::new();
    let mut writing = Duration::ZERO;
    let mut written_while_timed = 0u64;
    for round in 0..ROUNDS {
        let kill_after = 1 + random.below(MAX_ACKS_BEFORE_KILL);
        let delay = Duration::from_micros(random.below(3000));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(child_env, "1")
            .env("EHDS_CRASH_URL", &target.settings.url)
            .env("EHDS_CRASH_SCHEMA", &target.settings.schema)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the writer starts");
        let (lines, receive) = mpsc::channel::<String>();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut round_acks = 0u64;
        let mut started: Option<Instant> = None;
        while round_acks < kill_after {
            let line = receive
                .recv_timeout(HANG_GUARD)
                .unwrap_or_else(|_| panic!("round {round}: the writer stopped acknowledging"));
            if let Some(what) = line.strip_prefix("acknowledged ") {
                started.get_or_insert_with(Instant::now);
                acknowledged.push(what.to_owned());
                round_acks += 1;
            }
        }
        // Let the writer go on for a random moment, so that the kill falls anywhere:
        // between writes, inside a transaction, during a commit.
        std::thread::sleep(delay);
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        if let Some(started) = started {
            writing += started.elapsed();
            written_while_timed += round_acks - 1;
        }
        reader.join().unwrap();
        // Lines printed before the kill were acknowledged too.
        for line in receive.try_iter() {
            if let Some(what) = line.strip_prefix("acknowledged ") {
                acknowledged.push(what.to_owned());
            }
        }
    }
    (acknowledged, writing, written_while_timed)
}

/// Opens the store after the crashes, checks the SQLite file's integrity, and runs `check`.
fn after_the_crashes<T>(target: &Target, check: impl AsyncFnOnce(&Store) -> T) -> T {
    runtime().block_on(async {
        let store = Store::open(&target.settings)
            .await
            .expect("the store opens after the crashes");
        if let Backend::Sqlite(pool) = store.backend() {
            let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(integrity, "ok", "the SQLite file is intact");
        }
        let found = check(&store).await;
        store.close().await;
        found
    })
}

fn acknowledged_writes_survive_sigkill(target: &Target, random: &mut XorShift) {
    let (acknowledged, writing, written_while_timed) =
        acknowledgements_until_sigkill(target, random, WRITER_ENV);
    let missing = after_the_crashes(target, async |store: &Store| {
        let consents = store.consents();
        let mut missing = Vec::new();
        for id in &acknowledged {
            match consents.read(id).await {
                Ok(stored) => assert_eq!(&stored.id, id),
                Err(e) => missing.push(format!("{id}: {e}")),
            }
        }
        missing
    });
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let rate = written_while_timed as f64 / writing.as_secs_f64().max(f64::EPSILON);
    print!(
        "{} rounds, {} acknowledged writes all present (about {rate:.0} acknowledged writes/s, one writer) ... ",
        ROUNDS,
        acknowledged.len()
    );
}

/// R42 for the authorization server: grants, login sessions, refresh-token rotations and
/// token revocations acknowledged by the store are all there after SIGKILLs at any moment.
fn authorization_state_survives_sigkill(target: &Target, random: &mut XorShift) {
    let (acknowledged, _, _) = acknowledgements_until_sigkill(target, random, AUTHZ_WRITER_ENV);
    assert!(!acknowledged.is_empty());
    let missing = after_the_crashes(target, async |store: &Store| {
        let authz = store.authz();
        let now = now_ms();
        let revoked: std::collections::HashSet<String> = authz
            .revoked_since(0, now)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.jti)
            .collect();
        let mut missing = Vec::new();
        for line in &acknowledged {
            let (kind, tag) = line.split_once(' ').expect("<kind> <tag>");
            let present = match kind {
                "grant" => authz
                    .grant(&format!("grant-{tag}"))
                    .await
                    .unwrap()
                    .is_some_and(|g| g.revoked_ms.is_none()),
                "session" => authz
                    .session(&format!("session-{tag}"), now)
                    .await
                    .unwrap()
                    .is_some(),
                "rotation" => {
                    let old = authz
                        .refresh_token(&format!("refresh-{tag}-0"))
                        .await
                        .unwrap();
                    let new = authz
                        .refresh_token(&format!("refresh-{tag}-1"))
                        .await
                        .unwrap();
                    old.is_some_and(|o| {
                        o.replaced_by.as_deref() == Some(&format!("refresh-{tag}-1"))
                    }) && new.is_some_and(|n| n.replaced_by.is_none() && n.revoked_ms.is_none())
                }
                "revocation" => revoked.contains(&format!("jti-{tag}")),
                other => panic!("unknown acknowledgement {other}"),
            };
            if !present {
                missing.push(line.clone());
            }
        }
        missing
    });
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    print!(
        "{} rounds, {} acknowledged grants, sessions, rotations and revocations all present ... ",
        ROUNDS,
        acknowledged.len()
    );
}

fn now_ms() -> i64 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()) as i64
}

/// The child of the authorization case: per step a grant, a login session, a refresh token
/// and its rotation, and an access-token revocation, each acknowledged after its commit.
fn authz_writer() {
    use ehds_gateway::store::authz::{NewRefresh, Rotation};
    let mut settings = Settings::defaults().database;
    settings.url = std::env::var("EHDS_CRASH_URL").unwrap();
    settings.schema = std::env::var("EHDS_CRASH_SCHEMA").unwrap_or_default();
    const DAY_MS: i64 = 86_400_000;
    runtime().block_on(async {
        let store = Store::open(&settings)
            .await
            .expect("the writer opens the store");
        let authz = store.authz();
        let stdout = std::io::stdout();
        let acknowledge = |kind: &str, tag: &str| {
            let mut out = stdout.lock();
            writeln!(out, "acknowledged {kind} {tag}").unwrap();
            out.flush().unwrap();
        };
        let process = std::process::id();
        for n in 0u64.. {
            let tag = format!("{process}-{n}");
            let now = now_ms();
            let subject = format!("no.p-crash-{}", n % 7);
            let grant = authz
                .approve(
                    &format!("grant-{tag}"),
                    &format!("crash-app-{tag}"),
                    &subject,
                    &subject,
                    "patient/*.rs",
                    now,
                )
                .await
                .expect("the grant is written");
            assert_eq!(grant, format!("grant-{tag}"));
            acknowledge("grant", &tag);
            authz
                .insert_session(
                    &format!("session-{tag}"),
                    &subject,
                    Some("high"),
                    None,
                    "NO",
                    now,
                    now + DAY_MS,
                )
                .await
                .expect("the session is written");
            acknowledge("session", &tag);
            let first = NewRefresh {
                token_sha256: format!("refresh-{tag}-0"),
                grant_id: grant.clone(),
                scopes: "patient/*.rs".into(),
                family: format!("family-{tag}"),
                session_id: Some(format!("session-{tag}")),
                issued_ms: now,
                expires_ms: now + DAY_MS,
            };
            authz
                .insert_refresh(&first)
                .await
                .expect("the refresh token is written");
            let next = NewRefresh {
                token_sha256: format!("refresh-{tag}-1"),
                ..first.clone()
            };
            match authz.rotate_refresh(&first.token_sha256, &next, now).await {
                Ok(Rotation::Rotated(_)) => acknowledge("rotation", &tag),
                other => panic!("the rotation: {other:?}"),
            }
            authz
                .revoke_access_token(&format!("jti-{tag}"), now + DAY_MS, now)
                .await
                .expect("the revocation is written");
            acknowledge("revocation", &tag);
        }
    });
}

/// The child: write Consents until killed, acknowledging each after its commit.
fn writer() {
    let mut settings = Settings::defaults().database;
    settings.url = std::env::var("EHDS_CRASH_URL").unwrap();
    settings.schema = std::env::var("EHDS_CRASH_SCHEMA").unwrap_or_default();
    runtime().block_on(async {
        let store = Store::open(&settings)
            .await
            .expect("the writer opens the store");
        let consents = store.consents();
        let stdout = std::io::stdout();
        for n in 0u64.. {
            let stored = consents
                .create(consent(n))
                .await
                .expect("the writer's create succeeds");
            let mut out = stdout.lock();
            writeln!(out, "acknowledged {}", stored.id).unwrap();
            out.flush().unwrap();
        }
    });
}

fn consent(n: u64) -> Consent {
    serde_json::from_value(serde_json::json!({
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "research"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/no.p-crash-{}", n % 7)},
        "dateTime": "2025-03-01",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny"}
    }))
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A small deterministic generator: the run is replayable from its seed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const DEV_ISSUER_KEY: &str = "dev-issuer.pem";

/// The folder of the gateway children's key files (the dev issuer's, shared with the parent,
/// and the authorization server's), so that none is written into the working directory.
/// Removed when dropped: at the end of a case, whether it passed or panicked.
struct KeyFolder(std::path::PathBuf);

impl KeyFolder {
    fn new() -> KeyFolder {
        let dir = std::env::temp_dir().join(format!("ehds-crash-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        KeyFolder(dir)
    }

    fn dev_issuer(&self) -> std::path::PathBuf {
        self.0.join(DEV_ISSUER_KEY)
    }
}

impl Drop for KeyFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn every_answered_read_is_on_record_after_sigkill(target: &Target, random: &mut XorShift) {
    let keys = KeyFolder::new();
    let issuer =
        DevIssuer::load_or_create(&keys.dev_issuer(), CRASH_BASE_URL).expect("the dev key");
    let token = issuer.mint(
        "crash-user",
        "patient/*.rs",
        3600,
        // A citizen's token names the person as well as the patient context.
        json!({ "patient": PATIENT, "pid": EmbeddedSource::national_id_of(PATIENT)
            .expect("the crash patient is in the embedded data")
            .value(), "acr": "http://eidas.europa.eu/LoA/high" }),
    );
    let mut answered: Vec<String> = Vec::new();
    let mut batches_seen = 0u64;
    for round in 0..ROUNDS {
        let kill_after = 1 + random.below(MAX_RESPONSES_BEFORE_KILL);
        let delay = Duration::from_micros(random.below(3000));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(GATEWAY_ENV, "1")
            .env("EHDS_CRASH_URL", &target.settings.url)
            .env("EHDS_CRASH_SCHEMA", &target.settings.schema)
            .env("EHDS_CRASH_KEYS", &keys.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the gateway starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let port: u16 = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("round {round}: the gateway exited before listening"))
                .unwrap();
            if let Some(port) = line.strip_prefix("listening ") {
                break port.parse().unwrap();
            }
        };
        let url = format!("http://127.0.0.1:{port}/fhir/Patient/{PATIENT}");
        let received = runtime().block_on(load_until(&url, &token, kill_after, || {
            std::thread::sleep(delay);
            child.kill().expect("SIGKILL");
        }));
        child.wait().unwrap();
        assert!(
            received.len() as u64 >= kill_after,
            "round {round}: {} responses",
            received.len()
        );
        batches_seen += 1;
        answered.extend(received);
    }
    let (missing, checked) = runtime().block_on(async {
        let store = Store::open(&target.settings)
            .await
            .expect("the store opens after the crashes");
        let audit = store.audit();
        let verification = ehds_gateway::audit::verify(&audit).await.unwrap();
        assert_eq!(
            verification.broken, None,
            "the chain verifies after the crashes"
        );
        let mut recorded = std::collections::HashSet::new();
        let mut after = 0;
        loop {
            let rows = audit.rows_after(after, 1000).await.unwrap();
            let Some(last) = rows.last() else { break };
            after = last.seq;
            for row in &rows {
                let event: serde_json::Value = serde_json::from_str(&row.resource).unwrap();
                for entity in event["entity"].as_array().into_iter().flatten() {
                    if entity["type"]["code"] == "XrequestId" {
                        recorded.insert(
                            entity["what"]["identifier"]["value"]
                                .as_str()
                                .unwrap()
                                .to_owned(),
                        );
                    }
                }
            }
        }
        store.close().await;
        let missing: Vec<&String> = answered
            .iter()
            .filter(|id| !recorded.contains(*id))
            .collect();
        (missing.len(), verification.checked)
    });
    assert_eq!(missing, 0, "answered reads without a record");
    print!(
        "{batches_seen} gateways killed, {} answered reads all on record, chain of {checked} verified ... ",
        answered.len()
    );
}

/// Reads `url` from [`READERS`] connections until `kill_after` responses arrived, then
/// calls `kill` and returns the request ids of every 200 response received (before and
/// while the gateway died).
async fn load_until(url: &str, token: &str, kill_after: u64, kill: impl FnOnce()) -> Vec<String> {
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (enough, mut enough_rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut readers = Vec::new();
    for _ in 0..READERS {
        let client = reqwest::Client::new();
        let url = url.to_owned();
        let token = token.to_owned();
        let received = received.clone();
        let enough = enough.clone();
        readers.push(tokio::spawn(async move {
            // Bounded: the gateway is killed long before.
            for _ in 0..100_000 {
                let Ok(response) = client.get(&url).bearer_auth(&token).send().await else {
                    break;
                };
                assert_eq!(response.status().as_u16(), 200, "the read succeeds");
                let id = response.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let count = {
                    let mut received = received.lock().unwrap();
                    received.push(id);
                    received.len() as u64
                };
                if count >= kill_after {
                    let _ = enough.try_send(());
                }
            }
        }));
    }
    drop(enough);
    tokio::time::timeout(HANG_GUARD, enough_rx.recv())
        .await
        .expect("the gateway answers reads");
    kill();
    for reader in readers {
        reader.await.unwrap();
    }
    received.lock().unwrap().clone()
}

/// The child: the real gateway on a random port, until killed.
fn gateway() {
    let mut settings = Settings::defaults();
    settings.clock.fixed_today = Some(time::macros::date!(2026 - 11 - 23));
    settings.database.url = std::env::var("EHDS_CRASH_URL").unwrap();
    settings.database.schema = std::env::var("EHDS_CRASH_SCHEMA").unwrap_or_default();
    settings.server.port = 0;
    settings.server.host = "127.0.0.1".into();
    settings.server.workers = 2;
    settings.server.public_base_url = CRASH_BASE_URL.into();
    settings.auth.dev_issuer.enabled = true;
    let keys = std::path::PathBuf::from(std::env::var_os("EHDS_CRASH_KEYS").unwrap());
    settings.auth.dev_issuer.key_file = keys.join(DEV_ISSUER_KEY).display().to_string();
    settings.auth.server.key_file = keys.join("authz.pem").display().to_string();
    // One token drives the load: the rate limits are not what is tested here.
    settings.server.rate_limit_per_second = 0.0;
    settings.server.app_rate_limit_per_second = 0.0;
    settings.dev_eid.enabled = false;
    actix_web::rt::System::new().block_on(async {
        let app = Application::build(settings)
            .await
            .expect("the gateway starts");
        println!("listening {}", app.port());
        std::io::stdout().flush().unwrap();
        app.run_until_stopped().await.unwrap();
    });
}
