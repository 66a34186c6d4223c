//! The access log (EHDS Art. 9; R35-R38, R42): an AuditEvent for every access to a
//! patient's data and every refusal, durable before the response leaves, chained by hash,
//! kept for at least three years, and the patient's to read.
//!
//! `record` (the record model and its AuditEvent), `agents` (who took part, from the
//! `Principal`), `note` (what one request did, noted while it is served), `chain` (the
//! hash of a link), `writer` (the group commit: a thread on SQLite, a task on PostgreSQL),
//! `verify` (the walk of the chain).
//! The rows live in `store::audit`; the HTTP side is `http::audited` (one record per
//! request) and `http::audit_event` (the patient's search).

pub mod agents;
pub mod chain;
pub mod note;
pub mod record;
pub mod verify;
pub mod view;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use crate::fhir::FhirError;
use crate::store::{AuditStore, NewAuditRow, Store, StoreError};

pub use record::{AuditKind, AuditRecord, Outcome};
pub use verify::{BrokenLink, Verification, verify};
pub use writer::WriterSettings;

/// Three years and a leap day: retention may be longer, never shorter (R36).
pub const MIN_RETENTION_DAYS: u32 = 3 * 365 + 1;
/// Bounds of the group commit.
pub const MAX_BATCH: usize = 10_000;
pub const MAX_BATCH_WAIT_MS: u64 = 100;

/// `[audit]` in the configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditSettings {
    /// Off only for benchmarks: the production profile refuses to start without the log.
    pub enabled: bool,
    /// Most records in one commit.
    pub batch_max: usize,
    /// How long the writer waits for more records once it has one, while busy (0: only
    /// those queued). A lone record at an idle moment never waits.
    pub batch_wait_ms: u64,
    /// How long a commit may take before its requests fail closed.
    pub commit_timeout_ms: u64,
    /// Records older than this are pruned; at least [`MIN_RETENTION_DAYS`].
    pub retention_days: u32,
    /// How often pruning runs.
    pub prune_interval_minutes: u64,
}

impl AuditSettings {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_BATCH).contains(&self.batch_max) {
            return Err(format!("audit.batch_max must be 1 to {MAX_BATCH}"));
        }
        if self.batch_wait_ms > MAX_BATCH_WAIT_MS {
            return Err(format!(
                "audit.batch_wait_ms must be at most {MAX_BATCH_WAIT_MS}"
            ));
        }
        if self.commit_timeout_ms == 0 || self.prune_interval_minutes == 0 {
            return Err(
                "audit.commit_timeout_ms and audit.prune_interval_minutes must be positive".into(),
            );
        }
        if self.retention_days < MIN_RETENTION_DAYS {
            return Err(format!(
                "audit.retention_days must be at least {MIN_RETENTION_DAYS} (three years)"
            ));
        }
        Ok(())
    }
}

/// The access log could not be written: the request fails closed (R31).
#[derive(Debug, thiserror::Error)]
#[error("the access log cannot be written: {0}")]
pub struct AuditError(String);

impl From<AuditError> for FhirError {
    fn from(e: AuditError) -> FhirError {
        // The detail is for operators only.
        tracing::error!(error = %e, "access log unavailable; failing closed");
        FhirError::Unavailable {
            message: "the service is temporarily unavailable; retry later".into(),
            retry_after_seconds: Some(5),
        }
    }
}

/// The handle every request records through; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    queue: mpsc::Sender<writer::Pending>,
    /// How long a request waits for its record's commit, queueing included.
    wait_limit: Duration,
    store: AuditStore,
    /// `source.site` of every record: this gateway's public base URL.
    site: String,
}

impl AuditLog {
    /// Starts the writer and the pruning task on the current tokio runtime.
    pub fn start(store: &Store, settings: &AuditSettings, site: &str) -> AuditLog {
        if !settings.enabled {
            tracing::warn!("the access log is off; never in production");
            return AuditLog { inner: None };
        }
        let audit_store = store.audit();
        let (queue, receiver) = mpsc::channel(settings.batch_max.saturating_mul(4).max(64));
        let commit_timeout = Duration::from_millis(settings.commit_timeout_ms);
        match audit_store.appender() {
            Ok(appender) => writer::start(
                appender,
                receiver,
                WriterSettings {
                    batch_max: settings.batch_max,
                    batch_wait: Duration::from_millis(settings.batch_wait_ms),
                    commit_timeout,
                },
            ),
            // The receiver is dropped: every record is refused, and its request fails closed.
            Err(e) => tracing::error!(error = %e, "the access log writer did not start"),
        }
        tokio::spawn(prune_periodically(
            audit_store.clone(),
            settings.retention_days,
            Duration::from_secs(settings.prune_interval_minutes * 60),
        ));
        AuditLog {
            inner: Some(Arc::new(Inner {
                queue,
                // The batch ahead of this record's and its own: beyond that the writer is
                // stuck (a commit that cannot be abandoned, say), and the request fails
                // closed rather than wait for it.
                wait_limit: commit_timeout.saturating_mul(2),
                store: audit_store,
                site: site.to_owned(),
            })),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// The rows, for the patient's search; `None` when the log is off.
    pub fn store(&self) -> Option<&AuditStore> {
        self.inner.as_ref().map(|i| &i.store)
    }

    /// Stores `record` and returns the id of its AuditEvent once it is committed. With the
    /// log off (benchmarks only) it returns at once.
    pub async fn record(&self, record: AuditRecord) -> Result<String, AuditError> {
        let recorded_ms = (record.recorded.unix_timestamp_nanos() / 1_000_000) as i64;
        // Time-ordered: each new id goes at the end of the id index, not onto a random page
        // of it that the commit would have to write out again. `recorded` shows the same
        // instant anyway.
        let id = crate::fhir::uuid::time_ordered(recorded_ms.max(0) as u64);
        let Some(inner) = &self.inner else {
            return Ok(id);
        };
        let event = record.to_event(id.clone(), &inner.site);
        let resource = serde_json::to_string(&crate::fhir::Resource::AuditEvent(event))
            .map_err(|e| AuditError(e.to_string()))?;
        let (ack, answer) = oneshot::channel();
        let pending = writer::Pending {
            row: NewAuditRow {
                id: id.clone(),
                recorded_ms,
                patients: record.patients,
                resource,
            },
            ack,
        };
        let committed = async {
            inner
                .queue
                .send(pending)
                .await
                .map_err(|_| AuditError("the writer has stopped".into()))?;
            match answer.await {
                Ok(Ok(())) => Ok(id),
                Ok(Err(e)) => Err(AuditError(e)),
                Err(_) => Err(AuditError("the writer has stopped".into())),
            }
        };
        tokio::time::timeout(inner.wait_limit, committed)
            .await
            .unwrap_or_else(|_| Err(AuditError("the audit commit did not finish in time".into())))
    }
}

/// Removes records past the retention period, now and then every `interval`.
async fn prune_periodically(store: AuditStore, retention_days: u32, interval: Duration) {
    let retention_days = retention_days.max(MIN_RETENTION_DAYS);
    let mut ticks = tokio::time::interval(interval);
    loop {
        ticks.tick().await;
        let cutoff = time::OffsetDateTime::now_utc() - time::Duration::days(retention_days.into());
        let cutoff_ms = (cutoff.unix_timestamp_nanos() / 1_000_000) as i64;
        match store.prune_before(cutoff_ms).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "audit records past retention pruned"),
            Err(e) => tracing::warn!(error = %e, "audit pruning failed; will retry"),
        }
    }
}

impl From<StoreError> for AuditError {
    fn from(e: StoreError) -> AuditError {
        AuditError(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Profile, Settings};

    use super::*;

    #[test]
    fn retention_has_a_floor_of_three_years_and_batches_are_bounded() {
        let mut s = Settings::defaults();
        s.validate().unwrap();
        assert!(s.audit.enabled);
        assert_eq!(s.audit.retention_days, MIN_RETENTION_DAYS);
        s.audit.retention_days = MIN_RETENTION_DAYS - 1;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("retention_days")
        );
        s.audit.retention_days = 3650;
        s.audit.batch_max = 0;
        assert!(s.validate().unwrap_err().to_string().contains("batch_max"));
        s.audit.batch_max = MAX_BATCH + 1;
        assert!(s.validate().is_err());
        s.audit.batch_max = 64;
        s.audit.batch_wait_ms = MAX_BATCH_WAIT_MS + 1;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("batch_wait_ms")
        );
        s.audit.batch_wait_ms = 2;
        s.validate().unwrap();
    }

    #[test]
    fn production_refuses_to_run_without_the_access_log() {
        let mut s = Settings::production_for_tests();
        s.validate().unwrap();
        s.audit.enabled = false;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("audit.enabled")
        );
        s.profile = Profile::Dev;
        s.validate().unwrap();
    }

    #[test]
    fn a_status_is_an_outcome() {
        assert_eq!(Outcome::of_status(200), Outcome::Success);
        assert_eq!(Outcome::of_status(304), Outcome::Success);
        assert_eq!(
            Outcome::of_status(403),
            Outcome::Refused("403 Forbidden".into())
        );
        assert!(matches!(Outcome::of_status(503), Outcome::Failed(_)));
    }

    /// Many requests at once share commits, every one is answered after its commit, and
    /// the chain they form verifies.
    #[tokio::test]
    async fn concurrent_records_are_committed_in_batches_and_chained() {
        let dir = crate::test_dir::TestDir::new("audit-writer");
        let mut settings = Settings::defaults();
        settings.database.url = format!("sqlite://{}", dir.join("gateway.db").display());
        settings.audit.batch_max = 16;
        settings.audit.batch_wait_ms = 5;
        let store = Store::open(&settings.database).await.unwrap();
        let log = AuditLog::start(&store, &settings.audit, "https://gateway.test");
        let records = (0..100).map(|i| {
            let log = log.clone();
            async move {
                let patient = format!("no.p-{}", i % 3);
                log.record(AuditRecord::security(
                    AuditKind::Login,
                    Some(&patient),
                    None,
                    Outcome::Success,
                ))
                .await
            }
        });
        let ids = futures_util::future::join_all(records).await;
        assert!(ids.iter().all(Result::is_ok));
        let audit = store.audit();
        // Answered means committed: every id is there.
        for id in ids.into_iter().map(Result::unwrap) {
            assert!(audit.by_id(&id).await.unwrap().is_some());
        }
        let verification = verify(&audit).await.unwrap();
        assert_eq!((verification.checked, verification.broken), (100, None));
        assert_eq!(
            audit.for_patient("no.p-1", None, None).await.unwrap().len(),
            33
        );
        store.close().await;
    }
}
