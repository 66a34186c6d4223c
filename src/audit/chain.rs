//! The hash chain: each record's hash covers the hash before it, so that editing,
//! deleting or reordering stored records breaks a link that `verify` finds.
//!
//! One chain per store, not per patient: a single writer (the group-commit writer, and
//! across gateway instances the guarded update and lock of the chain's head row, see
//! `store::audit`) appends in commit order, so a global chain costs nothing extra; it also
//! covers records that concern no patient (logins without a patient, refused requests
//! naming none) and makes deleting a whole patient's history visible, which separate
//! per-patient chains would not. A patient's view is served from an index beside the
//! chain.

use sha2::{Digest, Sha256};

/// The hash before the first record (and the anchor's before any pruning).
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of one link: SHA-256 over the previous hash, the position, the recorded
/// instant, the patients and the AuditEvent JSON, each field length-prefixed so that no
/// two different records hash the same input.
pub fn link_hash(
    prev_hash: &str,
    seq: i64,
    recorded_ms: i64,
    patients: &str,
    json: &str,
) -> String {
    let mut hasher = Sha256::new();
    for field in [
        prev_hash.as_bytes(),
        seq.to_string().as_bytes(),
        recorded_ms.to_string().as_bytes(),
        patients.as_bytes(),
        json.as_bytes(),
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field);
    }
    // Lower-case hex, without a `format!` per byte: this runs for every record.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in hasher.finalize() {
        hex.push(HEX[usize::from(b >> 4)] as char);
        hex.push(HEX[usize::from(b & 0x0f)] as char);
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_covered_and_fields_cannot_trade_bytes() {
        let base = link_hash(GENESIS, 1, 10, "no.p-1", "{}");
        assert_eq!(base.len(), 64);
        // SHA-256 of the length-prefixed fields, in lower-case hex, as stored since the
        // first record: a change of encoding would break every existing chain.
        assert_eq!(
            link_hash(GENESIS, 1, 10, "no.p-1", "{}"),
            "e64efa8409391a6f001efc3aa4d4800274b8c7c94fdd4630e7c8b1542bf0e287"
        );
        assert_eq!(base, link_hash(GENESIS, 1, 10, "no.p-1", "{}"));
        assert_ne!(base, link_hash(&base, 1, 10, "no.p-1", "{}"));
        assert_ne!(base, link_hash(GENESIS, 2, 10, "no.p-1", "{}"));
        assert_ne!(base, link_hash(GENESIS, 1, 11, "no.p-1", "{}"));
        assert_ne!(base, link_hash(GENESIS, 1, 10, "no.p-2", "{}"));
        assert_ne!(base, link_hash(GENESIS, 1, 10, "no.p-1", "{ }"));
        assert_ne!(
            link_hash(GENESIS, 1, 10, "ab", "c"),
            link_hash(GENESIS, 1, 10, "a", "bc")
        );
    }
}
