//! The patients' Consents in force, kept in memory between requests (R24, R31).
//!
//! Every data request applies the patient's active Consents, so without a cache every request
//! is a store read: on SQLite a hand-off to a connection thread and back, on PostgreSQL a
//! round trip to a server that shares the machine. The cache takes that read off the path
//! without weakening the guarantee that a restriction binds the next request:
//!
//! - **filled on first use**, per patient, bounded in patients and in age;
//! - **emptied for a patient by every Consent write of this process**, after its commit and
//!   before the write is acknowledged (`changed`), so the writer's next request sees it;
//! - **emptied across processes** on PostgreSQL by `LISTEN/NOTIFY` (`consent_changes`): the
//!   write's transaction notifies, and every gateway listening drops the patient on receipt;
//! - **trusted only while that channel is up**: until a gateway on PostgreSQL listens, and
//!   from the moment its listening connection is lost until it listens again, nothing is
//!   kept and every request reads the store, so an outage fails closed (503) as before.
//!   On SQLite the file belongs to one gateway process (`SqliteFile::lock`), whose own
//!   writes are all there is to hear.
//!
//! A read that races a write must not put the old answer back after the write dropped it.
//! Every change moves `epoch` on before dropping entries; a reader notes the epoch before it
//! reads the store, and after filling its entry drops it again if the epoch has moved, so a
//! stale answer is either dropped by the write or by its own reader.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;

use crate::fhir::resources::Consent;

/// The Consents in force of one patient, as read from the store (their current versions).
pub type Active = Arc<[Consent]>;

/// How many patients and for how long, from `[database]`.
#[derive(Debug, Clone, Copy)]
pub struct ActiveConsentLimits {
    /// Patients kept at most; 0 turns the cache off (every request reads the store).
    pub patients: u64,
    /// An entry's longest life, a bound on what a lost notification could cost.
    pub max_age: Duration,
}

#[derive(Debug, Clone)]
pub struct ActiveConsents {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    entries: Option<Cache<String, Active>>,
    /// Moves on with every change heard; see the module's comment.
    epoch: AtomicU64,
    /// Whether changes made elsewhere are heard now (always, for a store of one process).
    trusted: AtomicBool,
    /// How often hearing them was lost (`/readyz`, and tests that wait for a reconnection).
    losses: AtomicU64,
    /// Notices heard from the database, this process's own writes included.
    notices: AtomicU64,
}

/// What a reader noted before it read the store.
#[derive(Debug, Clone, Copy)]
pub struct ReadTicket(u64);

impl ActiveConsents {
    /// `trusted`: whether every change is heard from the start (one process, SQLite), or
    /// only once a notification channel says so (`listening`).
    pub fn new(limits: ActiveConsentLimits, trusted: bool) -> ActiveConsents {
        let entries = (limits.patients > 0).then(|| {
            Cache::builder()
                .max_capacity(limits.patients)
                .time_to_live(limits.max_age)
                .build()
        });
        ActiveConsents {
            inner: Arc::new(Inner {
                entries,
                epoch: AtomicU64::new(0),
                trusted: AtomicBool::new(trusted),
                losses: AtomicU64::new(0),
                notices: AtomicU64::new(0),
            }),
        }
    }

    /// The patient's Consents in force, if kept and trustworthy now.
    pub fn get(&self, patient_id: &str) -> Option<Active> {
        if !self.inner.trusted.load(Ordering::SeqCst) {
            return None;
        }
        let found = self.inner.entries.as_ref()?.get(patient_id);
        let counter = if found.is_some() {
            "ehds_consent_cache_hits_total"
        } else {
            "ehds_consent_cache_misses_total"
        };
        metrics::counter!(counter).increment(1);
        found
    }

    /// Noted before reading the store, handed back to `fill`.
    pub fn ticket(&self) -> ReadTicket {
        ReadTicket(self.inner.epoch.load(Ordering::SeqCst))
    }

    /// Keeps what the store said, unless a change was heard since the ticket was taken.
    pub fn fill(&self, patient_id: &str, active: Active, ticket: ReadTicket) {
        let Some(entries) = &self.inner.entries else {
            return;
        };
        if !self.inner.trusted.load(Ordering::SeqCst) {
            return;
        }
        entries.insert(patient_id.to_owned(), active);
        if self.inner.epoch.load(Ordering::SeqCst) != ticket.0 {
            // A change came in while the store was read: the answer may predate it.
            entries.invalidate(patient_id);
        }
    }

    /// A Consent of the patient was written (here, or at another gateway).
    pub fn changed(&self, patient_id: &str) {
        self.inner.epoch.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.inner.entries {
            entries.invalidate(patient_id);
        }
    }

    /// The database announced a change of the patient's Consents (every write's notice
    /// reaches every listening gateway, the writer's included).
    pub fn noticed(&self, patient_id: &str) {
        self.changed(patient_id);
        self.inner.notices.fetch_add(1, Ordering::SeqCst);
        metrics::counter!("ehds_consent_changes_heard_total").increment(1);
    }

    /// How many notices were heard.
    pub fn notices(&self) -> u64 {
        self.inner.notices.load(Ordering::SeqCst)
    }

    /// Changes made elsewhere are not heard any more: keep nothing until they are.
    pub fn deafened(&self) {
        let was_trusted = self.inner.trusted.swap(false, Ordering::SeqCst);
        self.forget_all();
        if was_trusted {
            self.inner.losses.fetch_add(1, Ordering::SeqCst);
        }
        metrics::gauge!("ehds_consent_changes_listening").set(0.0);
    }

    /// Changes made elsewhere are heard from now on. What was kept before may have missed
    /// some, so it goes.
    pub fn listening(&self) {
        self.forget_all();
        self.inner.trusted.store(true, Ordering::SeqCst);
        metrics::gauge!("ehds_consent_changes_listening").set(1.0);
    }

    /// Whether entries are used now (tests and `/readyz`).
    pub fn is_trusted(&self) -> bool {
        self.inner.trusted.load(Ordering::SeqCst)
    }

    /// How often changes made elsewhere stopped being heard.
    pub fn losses(&self) -> u64 {
        self.inner.losses.load(Ordering::SeqCst)
    }

    fn forget_all(&self) {
        self.inner.epoch.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.inner.entries {
            entries.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ActiveConsentLimits {
        ActiveConsentLimits {
            patients: 100,
            max_age: Duration::from_secs(3600),
        }
    }

    fn empty() -> Active {
        Arc::from(Vec::new())
    }

    #[test]
    fn a_filled_patient_is_kept_until_a_change_of_theirs() {
        let cache = ActiveConsents::new(limits(), true);
        assert!(cache.get("no.p-1").is_none());
        cache.fill("no.p-1", empty(), cache.ticket());
        cache.fill("no.p-2", empty(), cache.ticket());
        assert!(cache.get("no.p-1").is_some());
        cache.changed("no.p-1");
        assert!(cache.get("no.p-1").is_none());
        assert!(cache.get("no.p-2").is_some(), "other patients stay");
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_kept() {
        let cache = ActiveConsents::new(limits(), true);
        let ticket = cache.ticket();
        // The store is read here; meanwhile a write commits and is heard.
        cache.changed("no.p-1");
        cache.fill("no.p-1", empty(), ticket);
        assert!(cache.get("no.p-1").is_none());
        // A read that starts after the change is kept.
        cache.fill("no.p-1", empty(), cache.ticket());
        assert!(cache.get("no.p-1").is_some());
    }

    #[test]
    fn nothing_is_kept_or_used_while_changes_are_not_heard() {
        let cache = ActiveConsents::new(limits(), false);
        cache.fill("no.p-1", empty(), cache.ticket());
        assert!(
            cache.get("no.p-1").is_none(),
            "not trusted before listening"
        );
        cache.listening();
        cache.fill("no.p-1", empty(), cache.ticket());
        assert!(cache.get("no.p-1").is_some());
        cache.deafened();
        assert!(!cache.is_trusted());
        assert_eq!(cache.losses(), 1);
        assert!(cache.get("no.p-1").is_none());
        // Listening again does not bring back what was kept before.
        cache.listening();
        assert!(cache.get("no.p-1").is_none());
    }

    #[test]
    fn a_read_that_spans_the_loss_of_the_channel_is_not_kept() {
        let cache = ActiveConsents::new(limits(), true);
        let ticket = cache.ticket();
        cache.deafened();
        cache.listening();
        cache.fill("no.p-1", empty(), ticket);
        assert!(cache.get("no.p-1").is_none());
    }

    #[test]
    fn zero_patients_turns_the_cache_off() {
        let cache = ActiveConsents::new(
            ActiveConsentLimits {
                patients: 0,
                max_age: Duration::from_secs(60),
            },
            true,
        );
        cache.fill("no.p-1", empty(), cache.ticket());
        assert!(cache.get("no.p-1").is_none());
    }
}
