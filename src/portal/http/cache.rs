//! The per-patient cache in front of an upstream (moka): a person's demographics, records
//! and powers of attorney, each kept for the TTL and never served after it (moka checks
//! expiry on every read), within a bound on the number of entries.
//!
//! Invalidation (`invalidate`) is the hook for a national system's change notices. A fetch
//! that was under way when its person was invalidated must not put the old answer back, so
//! every fetch notes the cache's epoch before it starts and stores only if no invalidation
//! happened meanwhile. Identifier lookups are not cached by identifier: a lookup's person is
//! cached by key, so national identifiers are never cache keys.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;

use crate::portal::PersonRecords;
use crate::portal::model::{Person, PowerOfAttorney};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Person,
    Records,
    PowersOfAttorney,
}

impl Part {
    const ALL: [Part; 3] = [Part::Person, Part::Records, Part::PowersOfAttorney];
}

#[derive(Debug, Clone)]
pub enum Cached {
    Person(Arc<Person>),
    Records(Arc<PersonRecords>),
    PowersOfAttorney(Arc<Vec<PowerOfAttorney>>),
}

pub struct RecordCache {
    /// `None` when the cache is off.
    entries: Option<Cache<(String, Part), Cached>>,
    epoch: AtomicU64,
    country: &'static str,
}

impl RecordCache {
    pub fn new(ttl: Duration, capacity: u64, country: &'static str) -> RecordCache {
        let entries = (!ttl.is_zero() && capacity > 0).then(|| {
            Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build()
        });
        RecordCache {
            entries,
            epoch: AtomicU64::new(0),
            country,
        }
    }

    /// The cached value, counting a hit or a miss (when the cache is on).
    pub fn get(&self, key: &str, part: Part) -> Option<Cached> {
        let entries = self.entries.as_ref()?;
        let found = entries.get(&(key.to_owned(), part));
        let counter = if found.is_some() {
            "ehds_portal_cache_hits_total"
        } else {
            "ehds_portal_cache_misses_total"
        };
        metrics::counter!(counter, "country" => self.country).increment(1);
        found
    }

    /// The epoch to give back to `insert`, taken before fetching.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Stores a fetched value unless an invalidation happened since `epoch`.
    pub fn insert(&self, epoch: u64, key: &str, part: Part, value: Cached) {
        if let Some(entries) = &self.entries
            && self.epoch() == epoch
        {
            entries.insert((key.to_owned(), part), value);
        }
    }

    pub fn invalidate(&self, key: &str) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(entries) = &self.entries {
            for part in Part::ALL {
                entries.invalidate(&(key.to_owned(), part));
            }
        }
    }

    pub fn invalidate_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> Cached {
        Cached::Records(Arc::new(PersonRecords::default()))
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = RecordCache::new(Duration::from_millis(30), 10, "NO");
        let inserted = std::time::Instant::now();
        cache.insert(cache.epoch(), "p-1", Part::Records, records());
        assert!(cache.get("p-1", Part::Records).is_some());
        assert!(cache.get("p-1", Part::Person).is_none());
        // moka keeps its own time: wait for the entry to go, within a bound.
        while cache.get("p-1", Part::Records).is_some() {
            assert!(
                inserted.elapsed() < Duration::from_secs(10),
                "never expired"
            );
            std::thread::yield_now();
        }
        assert!(
            inserted.elapsed() >= Duration::from_millis(30),
            "not before the TTL"
        );
    }

    #[test]
    fn invalidation_forgets_a_person_and_stops_fetches_under_way() {
        let cache = RecordCache::new(Duration::from_secs(60), 10, "NO");
        cache.insert(cache.epoch(), "p-1", Part::Records, records());
        cache.insert(cache.epoch(), "p-2", Part::Records, records());
        let under_way = cache.epoch();
        cache.invalidate("p-1");
        assert!(cache.get("p-1", Part::Records).is_none());
        assert!(cache.get("p-2", Part::Records).is_some());
        cache.insert(under_way, "p-1", Part::Records, records());
        assert!(
            cache.get("p-1", Part::Records).is_none(),
            "stale fetch not stored"
        );
        cache.invalidate_all();
        assert!(cache.get("p-2", Part::Records).is_none());
    }

    #[test]
    fn a_zero_ttl_or_capacity_turns_the_cache_off() {
        for cache in [
            RecordCache::new(Duration::ZERO, 10, "NO"),
            RecordCache::new(Duration::from_secs(1), 0, "NO"),
        ] {
            cache.insert(cache.epoch(), "p-1", Part::Records, records());
            assert!(cache.get("p-1", Part::Records).is_none());
        }
    }
}
