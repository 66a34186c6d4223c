//! R42: an acknowledged write survives a crash at any moment.
//!
//! This binary is both sides. Run by `cargo test`, it starts itself again as a writer child
//! (`EHDS_CRASH_WRITER` set) that creates Consents in a loop and prints
//! `acknowledged <id>` after each create returned, i.e. after the commit. The parent kills
//! the child with SIGKILL at a random moment after a random number of acknowledgements,
//! possibly in the middle of a transaction, then opens the store itself and checks that
//! every acknowledged id is there and (SQLite) that the file passes its integrity check.
//! 20 rounds per backend: SQLite (a temp file; the WAL left by the killed writer is
//! recovered by the next opener) and PostgreSQL (127.0.0.1:5432/test, a fresh schema).
//!
//! SIGKILL ends the process, not the machine: what this shows is that nothing is
//! acknowledged before its commit. That a commit survives a power cut rests on
//! `synchronous=FULL` (SQLite syncs the WAL on every commit) and PostgreSQL's
//! `synchronous_commit=on`.
//!
//! `EHDS_CRASH_SEED` replays a run; the seed is printed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ehds_gateway::config::{DatabaseSettings, Settings};
use ehds_gateway::fhir::resources::Consent;
use ehds_gateway::store::{Backend, Store};

const WRITER_ENV: &str = "EHDS_CRASH_WRITER";
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
    println!("crash: seed {seed} (EHDS_CRASH_SEED replays it)");
    let mut random = XorShift(seed);
    let mut passed = 0;
    let mut failed = 0;
    for target in [Target::sqlite(), Target::postgres()] {
        print!("test crash::{} ... ", target.name);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            acknowledged_writes_survive_sigkill(&target, &mut random)
        }));
        target.remove();
        match outcome {
            Ok(()) => {
                println!("ok");
                passed += 1;
            }
            Err(_) => {
                println!("FAILED");
                failed += 1;
            }
        }
    }
    println!("\ncrash: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(101);
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
        settings.url = std::env::var("EHDS_TEST_DATABASE_URL")
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

fn acknowledged_writes_survive_sigkill(target: &Target, random: &mut XorShift) {
    let mut acknowledged: Vec<String> = Vec::new();
    let mut writing = Duration::ZERO;
    let mut written_while_timed = 0u64;
    for round in 0..ROUNDS {
        let kill_after = 1 + random.below(MAX_ACKS_BEFORE_KILL);
        let delay = Duration::from_micros(random.below(3000));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(WRITER_ENV, "1")
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
            if let Some(id) = line.strip_prefix("acknowledged ") {
                started.get_or_insert_with(Instant::now);
                acknowledged.push(id.to_owned());
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
            if let Some(id) = line.strip_prefix("acknowledged ") {
                acknowledged.push(id.to_owned());
            }
        }
    }
    let missing = runtime().block_on(async {
        let store = Store::open(&target.settings)
            .await
            .expect("the store opens after the crashes");
        if let Backend::Sqlite(pool) = store.backend() {
            let check: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(check, "ok", "the SQLite file is intact");
        }
        let consents = store.consents();
        let mut missing = Vec::new();
        for id in &acknowledged {
            match consents.read(id).await {
                Ok(stored) => assert_eq!(&stored.id, id),
                Err(e) => missing.push(format!("{id}: {e}")),
            }
        }
        store.close().await;
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
