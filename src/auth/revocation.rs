//! Revoked access tokens, by `jti`, checked on every use (R9, R10).
//!
//! The set lives in memory so that the check costs a hash lookup, cache hit or not. The
//! authorization server adds a token here the moment it revokes it (so this instance
//! refuses it at once) and a poller adds what other instances revoked, read from the
//! store every few seconds (`auth.server.revocation_poll_seconds`): that is the window
//! in which another instance may still accept a token revoked elsewhere. Entries leave
//! once the token has expired anyway.

use std::collections::HashMap;
use std::sync::RwLock;

#[derive(Debug, Default)]
pub struct RevokedTokens {
    /// jti → Unix second at which the token expires.
    entries: RwLock<HashMap<String, i64>>,
}

impl RevokedTokens {
    pub fn new() -> RevokedTokens {
        RevokedTokens::default()
    }

    pub fn insert(&self, jti: &str, expires_at: i64) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.insert(jti.to_owned(), expires_at);
    }

    pub fn contains(&self, jti: &str) -> bool {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.contains_key(jti)
    }

    /// Forgets tokens expired before `now`: they are refused for their `exp` already.
    pub fn purge(&self, now: i64) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, expires_at| *expires_at > now);
    }

    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoked_until_expired() {
        let set = RevokedTokens::new();
        set.insert("a", 100);
        set.insert("b", 200);
        assert!(set.contains("a") && set.contains("b") && !set.contains("c"));
        set.purge(150);
        assert!(!set.contains("a") && set.contains("b"));
        assert_eq!(set.len(), 1);
    }
}
