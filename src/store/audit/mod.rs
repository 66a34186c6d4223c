//! The access log's rows: appending batches to the hash chain (`append_sqlite`,
//! `append_postgres`, with the links computed in `linked`), a patient's records newest
//! first, the chain in order for verification, and pruning.
//!
//! One writer per gateway appends (`audit::writer`), keeping the chain's head in memory;
//! the stored head row is moved only from where that writer left it, so another writer
//! (gateway instances sharing a PostgreSQL database, or a second log on one file) is noticed
//! and the batch is chained after the stored head instead, under the head row's lock. Pruning
//! locks the same row (`UPDATE audit_chain ... WHERE id = 1` first in its transaction; on
//! SQLite `BEGIN IMMEDIATE` already holds the write lock) and moves only the anchor.

mod append_postgres;
mod append_sqlite;
mod linked;

use sqlx::{AssertSqlSafe, Row};

use crate::store::{Backend, Store, StoreError, with_pool};

pub use append_postgres::PgAppender;
pub use append_sqlite::SqliteAppender;

/// A record ready to be appended: its id, instant, patients and AuditEvent JSON.
#[derive(Debug, Clone)]
pub struct NewAuditRow {
    pub id: String,
    pub recorded_ms: i64,
    pub patients: Vec<String>,
    pub resource: String,
}

/// A stored record, as the chain holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub id: String,
    pub recorded_ms: i64,
    /// Comma-separated Patient ids.
    pub patients: String,
    pub resource: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Where the chain stands: its last record, and the last pruned one it starts after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainState {
    pub head_seq: i64,
    pub head_hash: String,
    pub anchor_seq: i64,
    pub anchor_hash: String,
}

const LOCK_CHAIN: &str = "UPDATE audit_chain SET head_seq = head_seq WHERE id = 1";
const CHAIN_STATE: &str =
    "SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM audit_chain WHERE id = 1";
const ROW_COLUMNS: &str = "seq, id, recorded_ms, patients, resource, prev_hash, hash";

/// The writer of one backend: SQLite's blocks (it runs on a thread of its own),
/// PostgreSQL's is async (a task).
pub enum AuditAppender {
    Sqlite(SqliteAppender),
    Postgres(PgAppender),
}

#[derive(Debug, Clone)]
pub struct AuditStore {
    store: Store,
}

macro_rules! chain_state {
    ($row:expr) => {{
        let row = $row;
        ChainState {
            head_seq: row.try_get("head_seq")?,
            head_hash: row.try_get("head_hash")?,
            anchor_seq: row.try_get("anchor_seq")?,
            anchor_hash: row.try_get("anchor_hash")?,
        }
    }};
}

impl AuditStore {
    pub fn new(store: Store) -> AuditStore {
        AuditStore { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The writer of this store's access log. The log has one (`audit::writer`), which
    /// keeps the chain's head between batches.
    pub fn appender(&self) -> Result<AuditAppender, StoreError> {
        match self.store.backend() {
            Backend::Sqlite(_) => {
                let file = self.store.sqlite_file().ok_or_else(|| {
                    StoreError::Config("the SQLite store does not know its file".into())
                })?;
                Ok(AuditAppender::Sqlite(SqliteAppender::new(file.clone())))
            }
            Backend::Postgres(pool) => Ok(AuditAppender::Postgres(PgAppender::new(pool.clone()))),
        }
    }

    /// The AuditEvent JSON of a patient's records recorded in `[from_ms, before_ms)`,
    /// newest first.
    pub async fn for_patient(
        &self,
        patient_id: &str,
        from_ms: Option<i64>,
        before_ms: Option<i64>,
    ) -> Result<Vec<String>, StoreError> {
        with_pool!(self.store.backend(), |pool, _begin| {
            let rows = sqlx::query(
                "SELECT e.resource FROM audit_event_patients p \
                 JOIN audit_events e ON e.seq = p.seq \
                 WHERE p.patient_id = $1 AND e.recorded_ms >= $2 AND e.recorded_ms < $3 \
                 ORDER BY p.seq DESC",
            )
            .bind(patient_id)
            .bind(from_ms.unwrap_or(i64::MIN))
            .bind(before_ms.unwrap_or(i64::MAX))
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<Vec<_>, _>>()
                .map_err(StoreError::from)
        })
    }

    pub async fn chain_state(&self) -> Result<ChainState, StoreError> {
        with_pool!(self.store.backend(), |pool, _begin| {
            let row = sqlx::query(CHAIN_STATE).fetch_one(pool).await?;
            Ok(chain_state!(row))
        })
    }

    /// Up to `limit` records after position `after`, in chain order.
    pub async fn rows_after(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        with_pool!(self.store.backend(), |pool, _begin| {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {ROW_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
            )))
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditRow {
                        seq: r.try_get("seq")?,
                        id: r.try_get("id")?,
                        recorded_ms: r.try_get("recorded_ms")?,
                        patients: r.try_get("patients")?,
                        resource: r.try_get("resource")?,
                        prev_hash: r.try_get("prev_hash")?,
                        hash: r.try_get("hash")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    /// The patient index entries of the records in `[first, last]`, as `(seq, patient)`.
    pub async fn index_between(
        &self,
        first: i64,
        last: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        with_pool!(self.store.backend(), |pool, _begin| {
            let rows = sqlx::query(
                "SELECT seq, patient_id FROM audit_event_patients \
                 WHERE seq >= $1 AND seq <= $2 ORDER BY seq, patient_id",
            )
            .bind(first)
            .bind(last)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("seq")?, r.try_get("patient_id")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    /// Removes the oldest records, those before the first one recorded at or after
    /// `cutoff_ms`, and moves the chain's anchor to the last removed one, so that what is
    /// left still verifies. Returns how many were removed.
    pub async fn prune_before(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        with_pool!(self.store.backend(), |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query(LOCK_CHAIN).execute(&mut *tx).await?;
            let state = chain_state!(sqlx::query(CHAIN_STATE).fetch_one(&mut *tx).await?);
            let first_kept: Option<i64> =
                sqlx::query("SELECT MIN(seq) FROM audit_events WHERE recorded_ms >= $1")
                    .bind(cutoff_ms)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            let last_pruned = first_kept.map_or(state.head_seq, |s| s - 1);
            if last_pruned <= state.anchor_seq {
                tx.rollback().await?;
                return Ok(0);
            }
            let anchor_hash: String = sqlx::query("SELECT hash FROM audit_events WHERE seq = $1")
                .bind(last_pruned)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("audit record {last_pruned} is missing"))
                })?
                .try_get(0)?;
            sqlx::query("DELETE FROM audit_event_patients WHERE seq <= $1")
                .bind(last_pruned)
                .execute(&mut *tx)
                .await?;
            let removed = sqlx::query("DELETE FROM audit_events WHERE seq <= $1")
                .bind(last_pruned)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("UPDATE audit_chain SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1")
                .bind(last_pruned)
                .bind(&anchor_hash)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(removed)
        })
    }
}

impl AuditStore {
    /// The patients and AuditEvent JSON of the record with this id.
    pub async fn by_id(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        with_pool!(self.store.backend(), |pool, _begin| {
            let row = sqlx::query("SELECT patients, resource FROM audit_events WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Ok(Some((row.try_get(0)?, row.try_get(1)?))),
                None => Ok(None),
            }
        })
    }
}
