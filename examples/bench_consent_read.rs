//! The per-request Consent read of the policy engine, alone: `active_for_patient` against a
//! SQLite store, N times, alternating two patients. Run under callgrind for an instruction
//! count that does not depend on what else the machine does (see BENCHMARKS.md):
//!
//! ```sh
//! cargo build --release --example bench_consent_read
//! valgrind --tool=callgrind target/release/examples/bench_consent_read /tmp/ehds-bench 2000
//! valgrind --tool=callgrind target/release/examples/bench_consent_read /tmp/ehds-bench 0
//! ```
//!
//! The difference of the two totals divided by N is the cost of one read.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "/tmp/ehds-bench-consent-read".into());
    let reads: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    std::fs::create_dir_all(&dir).expect("the store's folder");
    let mut database = ehds_gateway::config::Settings::defaults().database;
    database.url = format!("sqlite://{dir}/gateway.db");
    let store = ehds_gateway::store::Store::open(&database)
        .await
        .expect("a store");
    let consents = store.consents();
    for i in 0..reads {
        let patient = if i % 2 == 0 {
            "no.p-no-001"
        } else {
            "se.p-se-001"
        };
        consents
            .active_for_patient(patient)
            .await
            .expect("a Consent read");
    }
}
