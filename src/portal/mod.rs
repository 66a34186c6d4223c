//! National portal data: the record model, the `PortalSource` trait, and the sources.

pub mod embedded;
pub mod model;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::national_id::{Country, NationalId};
use model::{Allergy, ConditionRecord, Person, PowerOfAttorney, Prescription, Vaccination};

/// Everything the portal holds about one person's health.
#[derive(Debug, Clone, Default)]
pub struct PersonRecords {
    pub prescriptions: Vec<Prescription>,
    pub vaccinations: Vec<Vaccination>,
    pub allergies: Vec<Allergy>,
    pub conditions: Vec<ConditionRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("the national source is unavailable")]
    Unavailable,
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
    pub kind: &'static str,
    pub ready: bool,
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

    pub async fn health(&self) -> Vec<SourceHealth> {
        let mut out = Vec::new();
        for source in self.all() {
            out.push(source.health().await);
        }
        out
    }
}
