//! National portal data: the record model, the `PortalSource` trait, and the sources: the
//! embedded synthetic data set (`embedded`) and the national systems over HTTP (`http`).

pub mod embedded;
pub mod http;
pub mod model;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::national_id::{Country, NationalId};
use model::{
    Allergy, ConditionRecord, LabReport, Person, PowerOfAttorney, Prescription, Vaccination,
};

/// Everything the portal holds about one person's health.
#[derive(Debug, Clone, Default)]
pub struct PersonRecords {
    pub prescriptions: Vec<Prescription>,
    pub vaccinations: Vec<Vaccination>,
    pub allergies: Vec<Allergy>,
    pub conditions: Vec<ConditionRecord>,
    pub lab_reports: Vec<LabReport>,
}

/// Why a source could not answer. The messages are what a client may be told: they say
/// nothing about the upstream's address, its answer or the person asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortalError {
    /// The upstream is down, refuses, or its circuit is open; worth trying again after
    /// `retry_after_seconds`.
    #[error("the national source is unavailable")]
    Unavailable { retry_after_seconds: u64 },
    #[error("the national source did not answer in time")]
    Timeout,
    #[error("the national source answered with data that cannot be used")]
    BadData,
    #[error("the national source cannot list persons; search by identifier")]
    ListingNotSupported,
}

/// The state of a source for `/readyz`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceHealth {
    pub country: Country,
    /// `embedded` or `http`.
    pub kind: &'static str,
    pub ready: bool,
    /// The circuit breaker in front of an upstream: `closed`, `open` or `half-open`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker: Option<&'static str>,
    /// The kind of the last failure seen from an upstream (`timeout`, `connect`,
    /// `status`, `bad-data`, ...), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<&'static str>,
}

impl SourceHealth {
    /// A source that holds its data in the process and is always ready.
    pub fn always_ready(country: Country, kind: &'static str) -> SourceHealth {
        SourceHealth {
            country,
            kind,
            ready: true,
            breaker: None,
            last_error: None,
        }
    }
}

/// Portal keys become part of FHIR ids (`no.p-001.rx-0001`) and of upstream URLs: letters,
/// digits and `-` only, at most 24 characters.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 24
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// One country's portal data, wherever it comes from.
#[async_trait]
pub trait PortalSource: Send + Sync {
    fn country(&self) -> Country;

    async fn person(&self, key: &str) -> Result<Option<Arc<Person>>, PortalError>;

    async fn person_by_national_id(
        &self,
        id: &NationalId,
    ) -> Result<Option<Arc<Person>>, PortalError>;

    /// All persons, for searches by demographics. Sources that front a national register
    /// may refuse (`ListingNotSupported`).
    async fn persons(&self) -> Result<Vec<Arc<Person>>, PortalError>;

    async fn records(&self, person_key: &str) -> Result<Arc<PersonRecords>, PortalError>;

    /// Powers of attorney where the person is grantor or holder.
    async fn powers_of_attorney(
        &self,
        person_key: &str,
    ) -> Result<Vec<PowerOfAttorney>, PortalError>;

    async fn health(&self) -> SourceHealth;

    /// Forgets whatever is cached about this person, so that the next request reads the
    /// national system again (e.g. when the national system announces a change). Sources
    /// without a cache have nothing to forget.
    fn invalidate(&self, _person_key: &str) {}

    /// Forgets everything cached.
    fn invalidate_all(&self) {}
}

/// The sources of all configured countries.
#[derive(Clone, Default)]
pub struct Portals {
    sources: HashMap<Country, Arc<dyn PortalSource>>,
}

impl Portals {
    pub fn new(sources: Vec<Arc<dyn PortalSource>>) -> Portals {
        Portals {
            sources: sources.into_iter().map(|s| (s.country(), s)).collect(),
        }
    }

    pub fn get(&self, country: Country) -> Option<&Arc<dyn PortalSource>> {
        self.sources.get(&country)
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn PortalSource>> {
        Country::ALL
            .into_iter()
            .filter_map(|c| self.sources.get(&c))
    }

    /// The health of every source, asked concurrently so that one slow upstream does not
    /// delay the others' answers.
    pub async fn health(&self) -> Vec<SourceHealth> {
        futures_util::future::join_all(self.all().map(|s| s.health())).await
    }

    /// The invalidation hook: forgets what is cached about one person of one country.
    pub fn invalidate(&self, country: Country, person_key: &str) {
        if let Some(source) = self.get(country) {
            source.invalidate(person_key);
        }
    }
}
