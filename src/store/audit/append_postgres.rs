//! The access log's appends on PostgreSQL: a batch is one statement, prepared once, whatever
//! its size (`UNNEST` over one array per column), on a connection the writer keeps.
//!
//! Several gateways may share the database and so the chain. The writer keeps the head it
//! left and the statement moves the stored head only from there (the `UPDATE` of the head
//! row waits for any other writer's lock and re-checks its condition after it): while this
//! gateway is the only writer, a batch is one round trip and one implicit transaction. If
//! another gateway appended meanwhile, nothing is written and the batch goes again in a
//! transaction that locks the head row (`FOR UPDATE`) and reads it first, as every batch did
//! before: correct with any number of writers, cheap with one.

use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, PgPool, Postgres, Row};

use super::linked::{ChainHead, Linked};
use crate::store::{NewAuditRow, StoreError};

/// `$1, $2`: the new head; `$3, $4`: the head the batch was chained after; then the columns
/// of the records and of the patient index. Data-modifying CTEs all run, whether the main
/// query reads them or not; the inserts are empty unless the head moved.
const APPEND: &str = "\
WITH head AS (
    UPDATE audit_chain SET head_seq = $1, head_hash = $2
    WHERE id = 1 AND head_seq = $3 AND head_hash = $4
    RETURNING 1
), events AS (
    INSERT INTO audit_events (seq, id, recorded_ms, patients, resource, prev_hash, hash)
    SELECT * FROM UNNEST($5::bigint[], $6::text[], $7::bigint[], $8::text[], $9::text[],
                         $10::text[], $11::text[])
    WHERE EXISTS (SELECT 1 FROM head)
), indexed AS (
    INSERT INTO audit_event_patients (patient_id, seq)
    SELECT * FROM UNNEST($12::text[], $13::bigint[])
    WHERE EXISTS (SELECT 1 FROM head)
)
SELECT count(*) FROM head";

const LOCK_AND_READ_HEAD: &str =
    "SELECT head_seq, head_hash FROM audit_chain WHERE id = 1 FOR UPDATE";

/// Appends batches to the chain; runs as one task.
pub struct PgAppender {
    pool: PgPool,
    connection: Option<PoolConnection<Postgres>>,
    /// The head after this writer's last commit; `None` when unknown.
    head: Option<ChainHead>,
}

impl PgAppender {
    pub(crate) fn new(pool: PgPool) -> PgAppender {
        PgAppender {
            pool,
            connection: None,
            head: None,
        }
    }

    /// Appends `rows` in one transaction; returns once it is committed.
    pub async fn append(&mut self, rows: &[NewAuditRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let appended = self.try_append(rows).await;
        if appended.is_err() {
            self.forget();
        }
        appended
    }

    /// Drops the connection and the head: after a failure, or a call given up half-way,
    /// whether the last statement committed is unknown.
    pub fn forget(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            connection.close_on_drop();
        }
        self.head = None;
    }

    async fn try_append(&mut self, rows: &[NewAuditRow]) -> Result<(), StoreError> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => self.connection.insert(self.pool.acquire().await?),
        };
        if let Some(head) = self.head.take()
            && let Some(new_head) = append_after(connection, &head, rows).await?
        {
            self.head = Some(new_head);
            return Ok(());
        }
        let mut tx = connection.begin().await?;
        let row = sqlx::query(LOCK_AND_READ_HEAD).fetch_one(&mut *tx).await?;
        let head = ChainHead {
            seq: row.try_get(0)?,
            hash: row.try_get(1)?,
        };
        let new_head = append_after(&mut tx, &head, rows).await?.ok_or_else(|| {
            StoreError::Corrupt("the access log's chain head moved under its lock".into())
        })?;
        tx.commit().await?;
        self.head = Some(new_head);
        Ok(())
    }
}

/// Runs [`APPEND`] for `rows` chained after `head`: the new head, or `None` if the stored
/// head was elsewhere (nothing written).
async fn append_after(
    connection: &mut PgConnection,
    head: &ChainHead,
    rows: &[NewAuditRow],
) -> Result<Option<ChainHead>, StoreError> {
    let linked = Linked::after(head, rows);
    let new_head = linked.head();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let recorded: Vec<i64> = rows.iter().map(|r| r.recorded_ms).collect();
    let resources: Vec<&str> = rows.iter().map(|r| r.resource.as_str()).collect();
    let (index_patients, index_seqs): (Vec<&str>, Vec<i64>) = linked.index().unzip();
    let moved: i64 = sqlx::query_scalar(APPEND)
        .bind(new_head.seq)
        .bind(&new_head.hash)
        .bind(head.seq)
        .bind(&head.hash)
        .bind(&linked.seqs)
        .bind(&ids)
        .bind(&recorded)
        .bind(&linked.patients)
        .bind(&resources)
        .bind(&linked.prev_hashes)
        .bind(&linked.hashes)
        .bind(&index_patients)
        .bind(&index_seqs)
        .fetch_one(connection)
        .await?;
    Ok((moved == 1).then_some(new_head))
}
