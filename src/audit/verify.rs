//! `ehds-gateway audit verify`: walks the chain from its anchor to its head and reports the
//! first broken link (a record changed, missing, out of order, or an index entry that does
//! not match its record).

use crate::audit::chain::link_hash;
use crate::store::{AuditRow, AuditStore, StoreError};

/// Records read per query while walking.
const PAGE: i64 = 1000;

/// What a walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Records whose links were checked (up to the first broken one).
    pub checked: u64,
    pub broken: Option<BrokenLink>,
}

/// The first link that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The position in the chain where it breaks.
    pub seq: i64,
    /// The id of the record found there, if any.
    pub id: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "record {} (AuditEvent/{id}): {}", self.seq, self.reason),
            None => write!(f, "record {}: {}", self.seq, self.reason),
        }
    }
}

pub async fn verify(store: &AuditStore) -> Result<Verification, StoreError> {
    let state = store.chain_state().await?;
    let mut expected_seq = state.anchor_seq + 1;
    let mut expected_prev = state.anchor_hash.clone();
    let mut checked = 0u64;
    let broken = |seq: i64, row: Option<&AuditRow>, reason: String| {
        Some(BrokenLink {
            seq,
            id: row.map(|r| r.id.clone()),
            reason,
        })
    };
    loop {
        let rows = store.rows_after(expected_seq - 1, PAGE).await?;
        let Some(last) = rows.last() else { break };
        let index = store.index_between(rows[0].seq, last.seq).await?;
        for row in &rows {
            let found = if row.seq != expected_seq {
                broken(
                    expected_seq,
                    None,
                    format!("missing (the next record found is at {})", row.seq),
                )
            } else if row.prev_hash != expected_prev {
                broken(
                    row.seq,
                    Some(row),
                    "does not follow the record before it (its previous hash differs)".into(),
                )
            } else if link_hash(
                &row.prev_hash,
                row.seq,
                row.recorded_ms,
                &row.patients,
                &row.resource,
            ) != row.hash
            {
                broken(
                    row.seq,
                    Some(row),
                    "changed after it was written (its hash differs)".into(),
                )
            } else if !id_matches(row) {
                broken(
                    row.seq,
                    Some(row),
                    "its id differs from the AuditEvent's".into(),
                )
            } else if !index_matches(row, &index) {
                broken(
                    row.seq,
                    Some(row),
                    "the patient index does not match the record".into(),
                )
            } else {
                None
            };
            if found.is_some() {
                return Ok(Verification {
                    checked,
                    broken: found,
                });
            }
            checked += 1;
            expected_prev = row.hash.clone();
            expected_seq += 1;
        }
    }
    let last_seq = expected_seq - 1;
    let broken = if last_seq < state.head_seq {
        broken(
            last_seq + 1,
            None,
            format!("missing: the chain's head is at {}", state.head_seq),
        )
    } else if last_seq > state.head_seq || expected_prev != state.head_hash {
        broken(
            last_seq,
            None,
            "the chain's head does not name this record".into(),
        )
    } else {
        None
    };
    Ok(Verification { checked, broken })
}

fn id_matches(row: &AuditRow) -> bool {
    serde_json::from_str::<serde_json::Value>(&row.resource)
        .ok()
        .is_some_and(|v| v["id"].as_str() == Some(row.id.as_str()))
}

fn index_matches(row: &AuditRow, index: &[(i64, String)]) -> bool {
    let mut indexed: Vec<&str> = index
        .iter()
        .filter(|(seq, _)| *seq == row.seq)
        .map(|(_, p)| p.as_str())
        .collect();
    let mut recorded: Vec<&str> = row.patients.split(',').filter(|p| !p.is_empty()).collect();
    indexed.sort_unstable();
    recorded.sort_unstable();
    indexed == recorded
}
