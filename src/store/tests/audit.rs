//! The access log's appenders: a batch goes on from the head the writer keeps, another
//! writer's appends are noticed and never fork the chain, a failed batch leaves nothing
//! behind, and pruning between batches does not disturb the head.

use crate::audit::verify;
use crate::store::tests::on_both_backends;
use crate::store::{AuditAppender, NewAuditRow, Store, StoreError};

/// `n` records of one writer's batch, each for one of three patients.
fn batch(writer: &str, number: usize, n: usize, recorded_ms: i64) -> Vec<NewAuditRow> {
    (0..n)
        .map(|i| NewAuditRow {
            id: format!("{writer}-{number}-{i}"),
            recorded_ms,
            patients: vec![format!("no.p-{}", i % 3)],
            resource: format!(
                "{{\"resourceType\":\"AuditEvent\",\"id\":\"{writer}-{number}-{i}\"}}"
            ),
        })
        .collect()
}

async fn append(appender: &mut AuditAppender, rows: &[NewAuditRow]) -> Result<(), StoreError> {
    match appender {
        AuditAppender::Sqlite(appender) => appender.append(rows),
        AuditAppender::Postgres(appender) => appender.append(rows).await,
    }
}

async fn assert_chain(store: &Store, records: u64) {
    let verification = verify(&store.audit()).await.unwrap();
    assert_eq!((verification.checked, verification.broken), (records, None));
}

async fn two_writers_taking_turns_extend_one_chain(store: Store) {
    let audit = store.audit();
    let mut a = audit.appender().unwrap();
    let mut b = audit.appender().unwrap();
    let mut records = 0;
    for (turn, n) in [1, 3, 2, 1, 4, 2].into_iter().enumerate() {
        let writer = if turn % 3 == 1 { &mut b } else { &mut a };
        append(writer, &batch("w", turn, n, 1_000 + turn as i64))
            .await
            .unwrap();
        records += n as u64;
    }
    assert_chain(&store, records).await;
    assert_eq!(audit.chain_state().await.unwrap().head_seq, records as i64);
    assert_eq!(
        audit.for_patient("no.p-1", None, None).await.unwrap().len(),
        4
    );
}

async fn concurrent_writers_never_fork_the_chain(store: Store) {
    let audit = store.audit();
    let writers = ["a", "b", "c"].map(|name| {
        let appender = audit.appender().unwrap();
        match appender {
            AuditAppender::Sqlite(mut appender) => tokio::task::spawn_blocking(move || {
                for number in 0..15 {
                    appender.append(&batch(name, number, 3, 5)).unwrap();
                }
            }),
            AuditAppender::Postgres(mut appender) => tokio::spawn(async move {
                for number in 0..15 {
                    appender.append(&batch(name, number, 3, 5)).await.unwrap();
                }
            }),
        }
    });
    for writer in writers {
        writer.await.unwrap();
    }
    assert_chain(&store, 3 * 15 * 3).await;
}

async fn a_failed_batch_leaves_nothing_and_the_next_goes_on(store: Store) {
    let audit = store.audit();
    let mut appender = audit.appender().unwrap();
    append(&mut appender, &batch("w", 0, 2, 1)).await.unwrap();
    // The second record repeats an id: the whole batch is refused, the first record too.
    let mut refused = batch("w", 1, 1, 2);
    refused.extend(batch("w", 0, 1, 2));
    assert!(append(&mut appender, &refused).await.is_err());
    assert_eq!(audit.chain_state().await.unwrap().head_seq, 2);
    assert!(audit.by_id("w-1-0").await.unwrap().is_none());
    append(&mut appender, &batch("w", 2, 2, 3)).await.unwrap();
    assert_chain(&store, 4).await;
}

async fn pruning_between_batches_keeps_the_writer_s_head(store: Store) {
    let audit = store.audit();
    let mut appender = audit.appender().unwrap();
    for (number, recorded_ms) in [10, 20, 30].into_iter().enumerate() {
        append(&mut appender, &batch("w", number, 2, recorded_ms))
            .await
            .unwrap();
    }
    assert_eq!(audit.prune_before(30).await.unwrap(), 4);
    append(&mut appender, &batch("w", 3, 2, 40)).await.unwrap();
    let state = audit.chain_state().await.unwrap();
    assert_eq!((state.anchor_seq, state.head_seq), (4, 8));
    assert_chain(&store, 4).await;
}

on_both_backends!(
    two_writers_taking_turns_extend_one_chain,
    concurrent_writers_never_fork_the_chain,
    a_failed_batch_leaves_nothing_and_the_next_goes_on,
    pruning_between_batches_keeps_the_writer_s_head,
);
