//! The key of the pseudonyms that stand for national identifiers in logs and metrics.
//!
//! A pseudonym is HMAC-SHA256 under a secret key, never a plain hash: national identifiers
//! are few (a few hundred thousand per birth date at most, and the date is public for many
//! people), so anyone holding an unkeyed hash finds the number by trying them all in
//! seconds. Under a key they cannot, unless they hold the key too.
//!
//! The key is process-wide, installed once by start-up from the settings (`[telemetry]
//! pseudonym_key`, a `OnceLock`) and immutable afterwards. `NationalId::pseudonym` is called
//! from `Debug` implementations and log lines deep inside rooms that have no settings;
//! threading a key through each of them would make every signature carry a logging concern,
//! and a key that changed while running would make one process's pseudonyms unlinkable with
//! themselves. Until a key is installed (a command-line tool, the dev profile without a key,
//! a unit test), pseudonyms are made under a random key of the process: a pseudonym is never
//! unkeyed. That fallback is not the installed key, so a gateway with a key configured may
//! start in a process that pseudonymised before (tests start many gateways in one process).

use std::sync::OnceLock;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Length of a pseudonym key in bytes (that of the SHA-256 output, RFC 2104's advice).
pub const KEY_BYTES: usize = 32;

/// A pseudonym key: the HMAC key and a fingerprint to compare keys by.
pub struct PseudonymKey {
    key: hmac::Key,
    fingerprint: [u8; 32],
}

impl PseudonymKey {
    pub fn new(bytes: &[u8; KEY_BYTES]) -> PseudonymKey {
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(digest(&SHA256, bytes).as_ref());
        PseudonymKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, bytes),
            fingerprint,
        }
    }

    /// A fresh key from the system's random source.
    pub fn random() -> PseudonymKey {
        let mut bytes = [0u8; KEY_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random source works");
        PseudonymKey::new(&bytes)
    }

    /// The first 8 bytes of HMAC-SHA256 over `system|value`, in lower-case hex.
    pub(super) fn tag(&self, system: &str, value: &str) -> String {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(system.as_bytes());
        context.update(b"|");
        context.update(value.as_bytes());
        context.sign().as_ref()[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(***)")
    }
}

/// The installed key.
static KEY: OnceLock<PseudonymKey> = OnceLock::new();
/// The random key of a process that has none installed.
static FALLBACK: OnceLock<PseudonymKey> = OnceLock::new();

/// Another key pseudonymises in this process already.
#[derive(Debug, thiserror::Error)]
#[error(
    "another pseudonym key is installed in this process already; one process pseudonymises under one key"
)]
pub struct KeyInUse;

/// Installs the key of this process. Installing the installed key again is no error (tests
/// start many gateways in one process); another key is, since pseudonyms before and after
/// would not be linkable.
pub fn install(key: PseudonymKey) -> Result<(), KeyInUse> {
    install_into(&KEY, key)
}

fn install_into(slot: &OnceLock<PseudonymKey>, key: PseudonymKey) -> Result<(), KeyInUse> {
    match slot.set(key) {
        Ok(()) => Ok(()),
        Err(key) if slot.get().map(|k| k.fingerprint) == Some(key.fingerprint) => Ok(()),
        Err(_) => Err(KeyInUse),
    }
}

/// The key in use: the installed one, or else the process's random one.
pub(super) fn current() -> &'static PseudonymKey {
    KEY.get()
        .unwrap_or_else(|| FALLBACK.get_or_init(PseudonymKey::random))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_is_hmac_sha256_of_system_and_value() {
        // Against an independent computation with the one-shot API.
        let bytes = [7u8; KEY_BYTES];
        let key = PseudonymKey::new(&bytes);
        let expected = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &bytes),
            b"urn:oid:1.2.208.176.1.2|2110625629",
        );
        let expected: String = expected.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(key.tag("urn:oid:1.2.208.176.1.2", "2110625629"), expected);
    }

    #[test]
    fn random_keys_differ_and_never_print() {
        let (a, b) = (PseudonymKey::random(), PseudonymKey::random());
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_eq!(format!("{a:?}"), "PseudonymKey(***)");
    }

    #[test]
    fn the_key_in_use_may_be_installed_again_but_no_other() {
        let slot = OnceLock::new();
        install_into(&slot, PseudonymKey::new(&[1; KEY_BYTES])).unwrap();
        install_into(&slot, PseudonymKey::new(&[1; KEY_BYTES])).unwrap();
        assert!(install_into(&slot, PseudonymKey::new(&[2; KEY_BYTES])).is_err());
        let unchanged = PseudonymKey::new(&[1; KEY_BYTES]).fingerprint;
        assert_eq!(slot.get().unwrap().fingerprint, unchanged);
    }
}
