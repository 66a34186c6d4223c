//! A batch placed on the chain: each record's position, the hash before it and its own,
//! computed from the head the writer holds before any SQL runs, so that appending is
//! writing only.

use crate::audit::chain::link_hash;
use crate::store::NewAuditRow;

/// The chain's last link: its position and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// `rows` as the links after a head, column by column: the form PostgreSQL binds as
/// arrays, and SQLite walks row by row.
pub(crate) struct Linked<'a> {
    pub rows: &'a [NewAuditRow],
    pub seqs: Vec<i64>,
    /// Each record's patients, comma-separated, as stored and hashed.
    pub patients: Vec<String>,
    pub prev_hashes: Vec<String>,
    pub hashes: Vec<String>,
}

impl<'a> Linked<'a> {
    /// `rows` chained after `head`. `rows` is not empty.
    pub fn after(head: &ChainHead, rows: &'a [NewAuditRow]) -> Linked<'a> {
        let mut linked = Linked {
            rows,
            seqs: Vec::with_capacity(rows.len()),
            patients: Vec::with_capacity(rows.len()),
            prev_hashes: Vec::with_capacity(rows.len()),
            hashes: Vec::with_capacity(rows.len()),
        };
        let mut prev = head.hash.clone();
        for (i, row) in rows.iter().enumerate() {
            let seq = head.seq + 1 + i as i64;
            let patients = row.patients.join(",");
            let hash = link_hash(&prev, seq, row.recorded_ms, &patients, &row.resource);
            linked.seqs.push(seq);
            linked.patients.push(patients);
            linked
                .prev_hashes
                .push(std::mem::replace(&mut prev, hash.clone()));
            linked.hashes.push(hash);
        }
        linked
    }

    /// The chain's head once the batch is appended.
    pub fn head(&self) -> ChainHead {
        ChainHead {
            seq: *self.seqs.last().expect("a batch is not empty"),
            hash: self.hashes.last().expect("a batch is not empty").clone(),
        }
    }

    /// The patient index entries of the batch, as `(patient, seq)`.
    pub fn index(&self) -> impl Iterator<Item = (&'a str, i64)> + '_ {
        self.rows
            .iter()
            .zip(&self.seqs)
            .flat_map(|(row, seq)| row.patients.iter().map(move |p| (p.as_str(), *seq)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::chain::GENESIS;

    fn row(id: &str, patients: &[&str]) -> NewAuditRow {
        NewAuditRow {
            id: id.into(),
            recorded_ms: 7,
            patients: patients.iter().map(|p| p.to_string()).collect(),
            resource: format!("{{\"id\":\"{id}\"}}"),
        }
    }

    #[test]
    fn each_link_covers_the_one_before_and_the_head_moves_to_the_last() {
        let rows = [
            row("a", &["no.p-1", "no.p-2"]),
            row("b", &[]),
            row("c", &["no.p-1"]),
        ];
        let head = ChainHead {
            seq: 41,
            hash: GENESIS.into(),
        };
        let linked = Linked::after(&head, &rows);
        assert_eq!(linked.seqs, [42, 43, 44]);
        assert_eq!(linked.patients, ["no.p-1,no.p-2", "", "no.p-1"]);
        assert_eq!(linked.prev_hashes[0], GENESIS);
        assert_eq!(linked.prev_hashes[1], linked.hashes[0]);
        assert_eq!(linked.prev_hashes[2], linked.hashes[1]);
        assert_eq!(
            linked.hashes[1],
            link_hash(&linked.hashes[0], 43, 7, "", "{\"id\":\"b\"}")
        );
        assert_eq!(
            linked.head(),
            ChainHead {
                seq: 44,
                hash: linked.hashes[2].clone()
            }
        );
        let index: Vec<_> = linked.index().collect();
        assert_eq!(index, [("no.p-1", 42), ("no.p-2", 42), ("no.p-1", 44)]);
    }
}
