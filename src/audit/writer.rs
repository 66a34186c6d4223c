//! Group commit: one writer appends the records of many requests in one transaction.
//!
//! Each request hands its record over a bounded channel with a oneshot for the answer and
//! waits. The writer takes the first record, then whatever else is already queued, then
//! (if the batch is not full and `batch_wait` is not zero) what arrives within
//! `batch_wait`, up to `batch_max`; it appends the batch in one transaction and answers
//! every waiter only after the commit returned. If the commit fails (or, on PostgreSQL,
//! takes longer than `commit_timeout`), every waiter of the batch gets the error, and their
//! requests fail closed. While one batch commits, the next one queues, so under load a
//! commit is shared by many requests; when idle, a record waits for nothing but its own
//! commit.
//!
//! On SQLite the writer is a thread of its own holding the one connection it writes
//! through: a batch costs two wake-ups (the writer's, then each waiter's) however many
//! statements it runs. On PostgreSQL it is a task, and a batch is one statement.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::store::{AuditAppender, NewAuditRow, PgAppender, SqliteAppender, StoreError};

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

/// Starts the writer of `appender`'s backend. If it cannot start, the queue is dropped and
/// every record is refused (the requests fail closed).
pub(super) fn start(
    appender: AuditAppender,
    queue: mpsc::Receiver<Pending>,
    settings: WriterSettings,
) {
    match appender {
        AuditAppender::Sqlite(appender) => {
            let started = std::thread::Builder::new()
                .name("audit-writer".into())
                .spawn(move || run_on_thread(appender, queue, settings));
            if let Err(e) = started {
                tracing::error!(error = %e, "the access log writer did not start");
            }
        }
        AuditAppender::Postgres(appender) => {
            tokio::spawn(run_as_task(appender, queue, settings));
        }
    }
}

/// SQLite: the writer's calls block, so it has a thread, and on it a small runtime of its
/// own for waiting on the queue (and `batch_wait`'s timer).
fn run_on_thread(
    mut appender: SqliteAppender,
    mut queue: mpsc::Receiver<Pending>,
    settings: WriterSettings,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "the access log writer did not start");
            return;
        }
    };
    let mut batch = Vec::with_capacity(settings.batch_max);
    while runtime.block_on(next_batch(&mut queue, &settings, &mut batch)) {
        let (rows, acks) = split(&mut batch);
        // No timeout here: a blocking call cannot be abandoned. The waiters bound their own
        // wait (`AuditLog::record`), and SQLite's busy timeout bounds a wait for a lock.
        let appended = appender.append(&rows);
        answer(acks, rows.len(), appended);
    }
}

/// PostgreSQL: a task on the runtime that started the log.
async fn run_as_task(
    mut appender: PgAppender,
    mut queue: mpsc::Receiver<Pending>,
    settings: WriterSettings,
) {
    let mut batch = Vec::with_capacity(settings.batch_max);
    while next_batch(&mut queue, &settings, &mut batch).await {
        let (rows, acks) = split(&mut batch);
        let appended =
            match tokio::time::timeout(settings.commit_timeout, appender.append(&rows)).await {
                Ok(appended) => appended,
                Err(_) => {
                    appender.forget();
                    Err(StoreError::Unavailable(
                        "the audit commit did not finish in time".into(),
                    ))
                }
            };
        answer(acks, rows.len(), appended);
    }
}

/// Fills `batch` with the next records: waits for the first, takes what else is queued,
/// and waits up to `batch_wait` for more. False once every sender is gone.
async fn next_batch(
    queue: &mut mpsc::Receiver<Pending>,
    settings: &WriterSettings,
    batch: &mut Vec<Pending>,
) -> bool {
    let Some(first) = queue.recv().await else {
        return false;
    };
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
    true
}

type Ack = oneshot::Sender<Result<(), String>>;

fn split(batch: &mut Vec<Pending>) -> (Vec<NewAuditRow>, Vec<Ack>) {
    batch.drain(..).map(|p| (p.row, p.ack)).unzip()
}

/// Answers every waiter of a batch with its outcome.
fn answer(acks: Vec<Ack>, records: usize, appended: Result<(), StoreError>) {
    metrics::histogram!("ehds_audit_batch_size").record(records as f64);
    let outcome = match appended {
        Ok(()) => {
            metrics::counter!("ehds_audit_records_total").increment(records as u64);
            Ok(())
        }
        Err(e) => {
            metrics::counter!("ehds_audit_commit_failures_total").increment(1);
            tracing::error!(error = %e, records, "audit batch not committed");
            Err(e.to_string())
        }
    };
    for ack in acks {
        // A waiter that went away (client gone) needs no answer.
        let _ = ack.send(outcome.clone());
    }
}
