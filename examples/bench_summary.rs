//! The server's own work for one `$summary`, timed in-process: the patient's record through
//! the access rules (scopes, compartment, release rules, mapping), the IPS document, and its
//! JSON. No network, no HTTP, no token verification (a verified token is cached and costs a
//! hash lookup); `scripts/bench-summary.sh` measures the same over HTTP.
//!
//! Usage: bench_summary [patient id, default se.p-se-011] [iterations, default 5000]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ehds_gateway::access::{DataAccess, Wanted};
use ehds_gateway::auth::principal::Principal;
use ehds_gateway::auth::scopes::ScopeSet;
use ehds_gateway::auth::verifier::VerifiedToken;
use ehds_gateway::fhir::ips::{self, DocumentContext};
use ehds_gateway::fhir::search::SearchLimits;
use ehds_gateway::fhir::{Resource, uuid};
use ehds_gateway::portal::embedded::EmbeddedSource;
use ehds_gateway::portal::{PortalSource, Portals};

const FHIR_BASE: &str = "http://127.0.0.1:8080/fhir";

async fn one_summary(access: &DataAccess, principal: &Principal, patient: &str) -> usize {
    let record = access
        .patient_record(principal, patient, Wanted::All)
        .await
        .expect("the patient's record");
    let document_id = uuid::random();
    let document = ips::summary(
        &record.summary_data(),
        &DocumentContext {
            fhir_base: FHIR_BASE,
            timestamp: time::OffsetDateTime::now_utc(),
            document_id: &document_id,
            software_version: env!("CARGO_PKG_VERSION"),
            profile: ips::SummaryProfile::default(),
        },
    );
    serde_json::to_vec(&Resource::Bundle(document))
        .expect("serialises")
        .len()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let patient = args.next().unwrap_or_else(|| "se.p-se-011".into());
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5000);
    let sources: Vec<Arc<dyn PortalSource>> = EmbeddedSource::load_all()
        .expect("the embedded data set")
        .into_iter()
        .map(|s| Arc::new(s) as Arc<dyn PortalSource>)
        .collect();
    // The citizens' Consents are read on every request: a real store, in a temp file.
    let mut database = ehds_gateway::config::Settings::defaults().database;
    let dir = std::env::temp_dir().join(format!("ehds-bench-summary-{}", std::process::id()));
    database.url = format!("sqlite://{}", dir.join("gateway.db").display());
    let store = ehds_gateway::store::Store::open(&database)
        .await
        .expect("a temp store");
    let access = DataAccess::new(
        Portals::new(sources),
        store.consents(),
        FHIR_BASE.into(),
        SearchLimits {
            default_count: 50,
            max_count: 500,
            max_params: 40,
            max_patients: 20,
        },
    );
    let principal = Principal {
        token: Arc::new(VerifiedToken {
            issuer: "bench".into(),
            subject: "bench".into(),
            client_id: Some("bench".into()),
            scopes: ScopeSet::parse("patient/*.rs"),
            patient: Some(patient.clone()),
            fhir_user: Some(format!("Patient/{patient}")),
            national_id: None,
            expires_at: i64::MAX,
            issued_at: None,
            jwt_id: None,
            claims: Default::default(),
        }),
        patient: Some(patient.clone()),
        is_subject: true,
        actor: Some(patient.clone()),
        professional_id: None,
        organization: None,
        emergency: false,
        professional: None,
    };
    let bytes = one_summary(&access, &principal, &patient).await;
    for _ in 0..iterations / 10 {
        one_summary(&access, &principal, &patient).await;
    }
    let mut times: Vec<Duration> = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        std::hint::black_box(one_summary(&access, &principal, &patient).await);
        times.push(start.elapsed());
    }
    times.sort_unstable();
    let mean = times.iter().sum::<Duration>() / iterations as u32;
    let at = |q: f64| times[((iterations as f64 * q) as usize).min(iterations - 1)];
    println!(
        "$summary of {patient} ({bytes} bytes), {iterations} documents in-process: \
         mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        mean.as_secs_f64() * 1e6,
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        times[iterations - 1].as_secs_f64() * 1e6,
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
