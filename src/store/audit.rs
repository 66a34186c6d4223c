//! The access log's rows: appending a batch to the hash chain in one transaction, a
//! patient's records newest first, the chain in order for verification, and pruning.
//!
//! Appending locks the chain's head row (`UPDATE audit_chain ... WHERE id = 1` first in the
//! transaction; on SQLite `BEGIN IMMEDIATE` already holds the write lock), so that gateway
//! instances sharing a PostgreSQL database extend one chain without forking it.

use sqlx::{AssertSqlSafe, Row};

use crate::audit::chain::link_hash;
use crate::store::{Store, StoreError, with_pool};

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

/// Rows per INSERT statement (7 values each, far below either backend's bind limit).
const ROWS_PER_INSERT: usize = 100;

const LOCK_CHAIN: &str = "UPDATE audit_chain SET head_seq = head_seq WHERE id = 1";
const CHAIN_STATE: &str =
    "SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM audit_chain WHERE id = 1";
const ROW_COLUMNS: &str = "seq, id, recorded_ms, patients, resource, prev_hash, hash";

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

    /// Appends `rows` to the chain in one transaction and returns their positions once the
    /// commit has returned (durable: see `connect` for the backends' settings).
    pub async fn append(&self, rows: &[NewAuditRow]) -> Result<Vec<i64>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self.store.backend(), |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query(LOCK_CHAIN).execute(&mut *tx).await?;
            let state = chain_state!(sqlx::query(CHAIN_STATE).fetch_one(&mut *tx).await?);
            let mut prev = state.head_hash;
            let mut seqs = Vec::with_capacity(rows.len());
            let mut linked = Vec::with_capacity(rows.len());
            for (i, row) in rows.iter().enumerate() {
                let seq = state.head_seq + 1 + i as i64;
                let patients = row.patients.join(",");
                let hash = link_hash(&prev, seq, row.recorded_ms, &patients, &row.resource);
                linked.push((seq, row, patients, prev, hash.clone()));
                prev = hash;
                seqs.push(seq);
            }
            for chunk in linked.chunks(ROWS_PER_INSERT) {
                let mut sql = format!("INSERT INTO audit_events ({ROW_COLUMNS}) VALUES ");
                for i in 0..chunk.len() {
                    let b = i * 7;
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7
                    ));
                }
                let mut query = sqlx::query(AssertSqlSafe(sql));
                for (seq, row, patients, prev, hash) in chunk {
                    query = query
                        .bind(*seq)
                        .bind(&row.id)
                        .bind(row.recorded_ms)
                        .bind(patients)
                        .bind(&row.resource)
                        .bind(prev)
                        .bind(hash);
                }
                query.execute(&mut *tx).await?;
            }
            let index: Vec<(&str, i64)> = linked
                .iter()
                .flat_map(|(seq, row, ..)| row.patients.iter().map(move |p| (p.as_str(), *seq)))
                .collect();
            for chunk in index.chunks(ROWS_PER_INSERT) {
                let mut sql =
                    String::from("INSERT INTO audit_event_patients (patient_id, seq) VALUES ");
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("(${}, ${})", i * 2 + 1, i * 2 + 2));
                }
                let mut query = sqlx::query(AssertSqlSafe(sql));
                for (patient, seq) in chunk {
                    query = query.bind(*patient).bind(*seq);
                }
                query.execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE audit_chain SET head_seq = $1, head_hash = $2 WHERE id = 1")
                .bind(state.head_seq + rows.len() as i64)
                .bind(&prev)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(seqs)
        })
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
