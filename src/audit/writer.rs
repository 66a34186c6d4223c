//! Group commit: one writer appends the records of many requests in one transaction.
//!
//! Each request hands its record over a bounded channel with a oneshot for the answer and
//! waits. The writer takes the first record, then whatever else is already queued; while
//! the log is busy (more than one record was queued, or the last batch had more than one)
//! it also takes what arrives within `batch_wait`, up to `batch_max`. It appends the batch in
//! one transaction and answers every waiter only after the commit returned. If the commit
//! fails (or, on PostgreSQL, takes longer than `commit_timeout`), every waiter of the batch
//! gets the error, and their requests fail closed.
//!
//! Why wait at all: a commit costs about the same for one record as for twenty (the sync,
//! the pages every commit rewrites: the chain's head, the ends of the tables), and under
//! load the writer is otherwise quick enough to commit batches of a few records, paying
//! that cost again and again. Why only while busy: a lone record, at an idle moment, waits
//! for nothing but its own commit.
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
    let mut busy = false;
    while runtime.block_on(next_batch(&mut queue, &settings, busy, &mut batch)) {
        let (rows, acks) = split(&mut batch);
        busy = rows.len() > 1;
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
    let mut busy = false;
    while next_batch(&mut queue, &settings, busy, &mut batch).await {
        let (rows, acks) = split(&mut batch);
        busy = rows.len() > 1;
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
/// and, if the log is busy (`busy`: the last batch had more than one record), waits up to
/// `batch_wait` for more. False once every sender is gone.
async fn next_batch(
    queue: &mut mpsc::Receiver<Pending>,
    settings: &WriterSettings,
    busy: bool,
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
    let busy = busy || batch.len() > 1;
    if busy && batch.len() < settings.batch_max && !settings.batch_wait.is_zero() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(n: usize) -> Pending {
        let (ack, _answer) = oneshot::channel();
        Pending {
            row: NewAuditRow {
                id: format!("r-{n}"),
                recorded_ms: 0,
                patients: Vec::new(),
                resource: "{}".into(),
            },
            ack,
        }
    }

    fn settings(batch_wait: Duration) -> WriterSettings {
        WriterSettings {
            batch_max: 16,
            batch_wait,
            commit_timeout: Duration::from_secs(5),
        }
    }

    /// The clock is paused: a wait would show as time passed, without taking it.
    #[tokio::test(start_paused = true)]
    async fn a_lone_record_at_an_idle_moment_is_not_held_back() {
        let (queue, mut receiver) = mpsc::channel(8);
        queue.send(pending(0)).await.unwrap();
        let start = Instant::now();
        let mut batch = Vec::new();
        let settings = settings(Duration::from_secs(3600));
        assert!(next_batch(&mut receiver, &settings, false, &mut batch).await);
        assert_eq!(batch.len(), 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_writer_waits_for_more_up_to_batch_wait() {
        let wait = Duration::from_millis(10);
        let (queue, mut receiver) = mpsc::channel(8);
        // Two queued at once: busy. A third arrives within the wait, a fourth after it.
        queue.send(pending(0)).await.unwrap();
        queue.send(pending(1)).await.unwrap();
        let late = queue.clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait / 2).await;
            late.send(pending(2)).await.unwrap();
            tokio::time::sleep(wait).await;
            late.send(pending(3)).await.unwrap();
        });
        let start = Instant::now();
        let mut batch = Vec::new();
        assert!(next_batch(&mut receiver, &settings(wait), false, &mut batch).await);
        assert_eq!(batch.len(), 3);
        assert_eq!(start.elapsed(), wait);
        // One record, but the last batch had several: still busy, so it waits too.
        batch.clear();
        assert!(next_batch(&mut receiver, &settings(wait), true, &mut batch).await);
        assert_eq!(batch.len(), 1);
        drop(queue);
        batch.clear();
        assert!(!next_batch(&mut receiver, &settings(wait), true, &mut batch).await);
    }
}
