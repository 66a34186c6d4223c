//! UUIDs for the resources a document introduces (`urn:uuid:` fullUrls) and for document
//! identifiers.
//!
//! Three kinds: random ones (RFC 9562 version 4) for what is new each time, such as a
//! document's identifier; time-ordered ones (version 7: the millisecond, then random bits)
//! for records stored in the order they are made, such as AuditEvents, whose ids then fall at
//! the end of the id index instead of on a random page of it; and name-based ones (version 8,
//! from SHA-256 of a name) for resources that should keep their identity from one document to
//! the next, such as the MedicationStatement derived from a given prescription. A name-based
//! UUID does not reveal its name; a time-ordered one reveals its millisecond.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// A fresh random UUID, lower-case hex with hyphens.
pub fn random() -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    format_uuid(bytes, 4)
}

/// A fresh time-ordered UUID (version 7): `unix_ms` in the first 48 bits, random bits after.
pub fn time_ordered(unix_ms: u64) -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes[6..])
        .expect("the system random source works");
    bytes[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
    format_uuid(bytes, 7)
}

/// The same UUID for the same name, every time and on every instance.
pub fn from_name(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    format_uuid(bytes, 8)
}

/// `urn:uuid:<uuid>`, the form of a fullUrl or reference for a resource with no RESTful URL.
pub fn urn(uuid: &str) -> String {
    format!("urn:uuid:{uuid}")
}

fn format_uuid(mut bytes: [u8; 16], version: u8) -> String {
    bytes[6] = (bytes[6] & 0x0f) | (version << 4);
    // The RFC 9562 variant: the two top bits of octet 8 are 10.
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_uuid(text: &str, version: char) -> bool {
        let groups: Vec<&str> = text.split('-').collect();
        groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && text
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
            && groups[2].starts_with(version)
            && matches!(groups[3].chars().next(), Some('8' | '9' | 'a' | 'b'))
    }

    #[test]
    fn random_uuids_are_version_4_and_differ() {
        let (a, b) = (random(), random());
        assert!(is_uuid(&a, '4'), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn time_ordered_uuids_are_version_7_sort_by_their_millisecond_and_differ() {
        // 2026-11-23T00:00:00Z
        let ms = 1_795_392_000_000u64;
        let (a, b) = (time_ordered(ms), time_ordered(ms));
        assert!(is_uuid(&a, '7'), "{a}");
        assert_ne!(a, b);
        assert_eq!(&a[..13], format!("{:08x}-{:04x}", ms >> 16, ms & 0xffff));
        assert!(time_ordered(ms) < time_ordered(ms + 1));
        assert!(time_ordered(ms + 1) < time_ordered(ms + 256));
    }

    #[test]
    fn name_based_uuids_are_stable_version_8_and_distinct() {
        let a = from_name("MedicationStatement/no.p-no-008.rx-no-0001");
        assert!(is_uuid(&a, '8'), "{a}");
        assert_eq!(a, from_name("MedicationStatement/no.p-no-008.rx-no-0001"));
        assert_ne!(a, from_name("MedicationStatement/no.p-no-008.rx-no-0002"));
        assert_eq!(urn(&a), format!("urn:uuid:{a}"));
    }
}
