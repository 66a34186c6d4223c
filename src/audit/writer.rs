//! Group commit: one task appends the records of many requests in one transaction.
//!
//! Each request hands its record over a bounded channel with a oneshot for the answer and
//! waits. The writer takes the first record, then whatever else is already queued, then
//! (if the batch is not full) what arrives within `batch_wait`, up to `batch_max`; it
//! appends the batch in one transaction and answers every waiter only after the commit
//! returned. If the commit fails (or takes longer than `commit_timeout`), every waiter of
//! the batch gets the error, and their requests fail closed. While one batch commits, the
//! next one queues, so under load a commit is shared by many requests; at low load a
//! record waits for nothing but its own commit (and `batch_wait`, zero by default).

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::store::{AuditStore, NewAuditRow, StoreError};

/// One record waiting for its commit.
pub(super) struct Pending {
    pub row: NewAuditRow,
    pub ack: oneshot::Sender<Result<(), String>>,
}

#[derive(Debug, Clone, Copy)]
pub struct WriterSettings {
    pub batch_max: usize,
    pub batch_wait: Duration,
    pub commit_timeout: Duration,
}

pub(super) async fn run(
    store: AuditStore,
    mut queue: mpsc::Receiver<Pending>,
    settings: WriterSettings,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(settings.batch_max);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < settings.batch_max {
            match queue.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        if batch.len() < settings.batch_max && !settings.batch_wait.is_zero() {
            let deadline = Instant::now() + settings.batch_wait;
            while batch.len() < settings.batch_max {
                match tokio::time::timeout_at(deadline, queue.recv()).await {
                    Ok(Some(p)) => batch.push(p),
                    _ => break,
                }
            }
        }
        let (rows, acks): (Vec<NewAuditRow>, Vec<_>) =
            batch.drain(..).map(|p| (p.row, p.ack)).unzip();
        metrics::histogram!("ehds_audit_batch_size").record(rows.len() as f64);
        let result = match tokio::time::timeout(settings.commit_timeout, store.append(&rows)).await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StoreError::Unavailable(
                "the audit commit did not finish in time".into(),
            )),
        };
        match &result {
            Ok(()) => metrics::counter!("ehds_audit_records_total").increment(rows.len() as u64),
            Err(e) => {
                metrics::counter!("ehds_audit_commit_failures_total").increment(1);
                tracing::error!(error = %e, records = rows.len(), "audit batch not committed");
            }
        }
        for ack in acks {
            // A waiter that went away (client gone) needs no answer.
            let _ = ack.send(result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        }
    }
}
