//! The embedded synthetic data set: four countries' portal data compiled into the binary,
//! so that the gateway runs with no other system (DESIGN §2). See `embedded/README.md` for
//! the people and the scenarios they stand for.

use crate::mapping::medication_dispense::dispensation_key;
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::national_id::{Country, NationalId};
use crate::portal::model::{CountryDataSet, Person, PowerOfAttorney};
use crate::portal::{PersonRecords, PortalError, PortalSource, SourceHealth, is_valid_key};

const DATA: [(Country, &str); 4] = [
    (Country::No, include_str!("embedded/no.json")),
    (Country::Se, include_str!("embedded/se.json")),
    (Country::Dk, include_str!("embedded/dk.json")),
    (Country::Fi, include_str!("embedded/fi.json")),
];

/// One country's embedded data, indexed for the lookups the gateway makes.
pub struct EmbeddedSource {
    country: Country,
    persons: Vec<Arc<Person>>,
    by_key: HashMap<String, Arc<Person>>,
    by_national_id: HashMap<NationalId, Arc<Person>>,
    records: HashMap<String, Arc<PersonRecords>>,
    powers_of_attorney: Vec<PowerOfAttorney>,
}

#[derive(Debug, thiserror::Error)]
pub enum DataSetError {
    #[error("embedded data of {0:?} does not parse: {1}")]
    Parse(Country, serde_json::Error),
    #[error("embedded data of {0:?}: {1}")]
    Inconsistent(Country, String),
}

impl EmbeddedSource {
    /// The embedded sources of all four countries.
    pub fn load_all() -> Result<Vec<EmbeddedSource>, DataSetError> {
        DATA.iter()
            .map(|(country, json)| EmbeddedSource::from_json(*country, json))
            .collect()
    }

    /// The national identifier of a Patient id of the embedded data set (`no.p-no-001` →
    /// its person's identifier), for tools that mint a citizen's token from a Patient id;
    /// `None` for an id that names nobody.
    pub fn national_id_of(patient_id: &str) -> Option<NationalId> {
        let (code, key) = patient_id.split_once('.')?;
        let country = Country::parse(code)?;
        let (_, json) = DATA.iter().find(|(c, _)| *c == country)?;
        let source = EmbeddedSource::from_json(country, json).ok()?;
        source.by_key.get(key).map(|p| p.national_id.clone())
    }

    /// Everyone in this country's data set, in file order.
    pub fn people(&self) -> &[Arc<Person>] {
        &self.persons
    }

    pub fn from_json(country: Country, json: &str) -> Result<EmbeddedSource, DataSetError> {
        let data: CountryDataSet =
            serde_json::from_str(json).map_err(|e| DataSetError::Parse(country, e))?;
        EmbeddedSource::from_data(country, data)
    }

    pub fn from_data(
        country: Country,
        data: CountryDataSet,
    ) -> Result<EmbeddedSource, DataSetError> {
        let bad = |msg: String| DataSetError::Inconsistent(country, msg);
        if data.country.is_some_and(|c| c != country) {
            return Err(bad("the file names another country".into()));
        }
        let mut by_key = HashMap::new();
        let mut by_national_id = HashMap::new();
        let mut persons = Vec::new();
        for person in data.persons {
            check_key(&person.key).map_err(&bad)?;
            if person.national_id.country() != country {
                return Err(bad(format!(
                    "person {} has another country's identifier",
                    person.key
                )));
            }
            let person = Arc::new(person);
            if by_key.insert(person.key.clone(), person.clone()).is_some() {
                return Err(bad(format!("person key {} is used twice", person.key)));
            }
            if by_national_id
                .insert(person.national_id.clone(), person.clone())
                .is_some()
            {
                return Err(bad(format!(
                    "person {} shares a national identifier",
                    person.key
                )));
            }
            persons.push(person);
        }
        let mut records: HashMap<String, PersonRecords> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let mut owner = |kind: &str, key: &str, person: &str| -> Result<String, DataSetError> {
            check_key(key).map_err(&bad)?;
            if !by_key.contains_key(person) {
                return Err(bad(format!("{kind} {key} names an unknown person")));
            }
            if !seen.insert(key.to_owned()) {
                return Err(bad(format!("{kind} key {key} is used twice")));
            }
            Ok(person.to_owned())
        };
        for r in data.prescriptions {
            let p = owner("prescription", &r.key, &r.person)?;
            // A dispensation's id is made from its prescription's key; no record may have it.
            for i in 0..r.dispensations.len() {
                owner("dispensation", &dispensation_key(&r.key, i), &r.person)?;
            }
            records.entry(p).or_default().prescriptions.push(r);
        }
        for r in data.vaccinations {
            let p = owner("vaccination", &r.key, &r.person)?;
            records.entry(p).or_default().vaccinations.push(r);
        }
        for r in data.allergies {
            let p = owner("allergy", &r.key, &r.person)?;
            records.entry(p).or_default().allergies.push(r);
        }
        for r in data.conditions {
            let p = owner("condition", &r.key, &r.person)?;
            records.entry(p).or_default().conditions.push(r);
        }
        for r in data.lab_reports {
            let p = owner("laboratory report", &r.key, &r.person)?;
            // A result is read by its own id, so its key is a record key like any other.
            for result in crate::mapping::laboratory::all_results(&r) {
                owner("laboratory result", &result.key, &r.person)?;
            }
            records.entry(p).or_default().lab_reports.push(r);
        }
        for person in &persons {
            for guardian in &person.guardians {
                if !by_key.contains_key(guardian) {
                    return Err(bad(format!(
                        "person {} names an unknown guardian",
                        person.key
                    )));
                }
            }
        }
        for poa in &data.powers_of_attorney {
            if !by_key.contains_key(&poa.grantor) || !by_key.contains_key(&poa.holder) {
                return Err(bad(format!(
                    "power of attorney {} names an unknown person",
                    poa.key
                )));
            }
        }
        Ok(EmbeddedSource {
            country,
            persons,
            by_key,
            by_national_id,
            records: records.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
            powers_of_attorney: data.powers_of_attorney,
        })
    }
}

fn check_key(key: &str) -> Result<(), String> {
    if is_valid_key(key) {
        Ok(())
    } else {
        Err(format!(
            "record key '{key}' is not of the form [A-Za-z0-9-]{{1,24}}"
        ))
    }
}

#[async_trait]
impl PortalSource for EmbeddedSource {
    fn country(&self) -> Country {
        self.country
    }

    async fn person(&self, key: &str) -> Result<Option<Arc<Person>>, PortalError> {
        Ok(self.by_key.get(key).cloned())
    }

    async fn person_by_national_id(
        &self,
        id: &NationalId,
    ) -> Result<Option<Arc<Person>>, PortalError> {
        Ok(self.by_national_id.get(id).cloned())
    }

    async fn persons(&self) -> Result<Vec<Arc<Person>>, PortalError> {
        Ok(self.persons.clone())
    }

    async fn records(&self, person_key: &str) -> Result<Arc<PersonRecords>, PortalError> {
        Ok(self.records.get(person_key).cloned().unwrap_or_default())
    }

    async fn powers_of_attorney(
        &self,
        person_key: &str,
    ) -> Result<Vec<PowerOfAttorney>, PortalError> {
        Ok(self
            .powers_of_attorney
            .iter()
            .filter(|p| p.grantor == person_key || p.holder == person_key)
            .cloned()
            .collect())
    }

    async fn health(&self) -> SourceHealth {
        SourceHealth::always_ready(self.country, "embedded")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::model::{CrossBorderService, PortalConsentLevel, Protection};

    fn all() -> Vec<EmbeddedSource> {
        EmbeddedSource::load_all().expect("the embedded data set loads")
    }

    #[test]
    fn the_data_set_has_at_least_40_people_in_four_countries() {
        let sources = all();
        assert_eq!(sources.len(), 4);
        let people: usize = sources.iter().map(|s| s.persons.len()).sum();
        assert!(people >= 40, "{people} people");
        for source in &sources {
            assert!(source.persons.len() >= 10, "{:?}", source.country);
            assert!(
                source.persons.iter().any(|p| !p.guardians.is_empty()),
                "families in {:?}",
                source.country
            );
        }
    }

    #[test]
    fn identifiers_agree_with_birth_date_and_sex_and_no_fi_are_synthetic() {
        for source in all() {
            for person in &source.persons {
                let id = &person.national_id;
                assert_eq!(id.birth_date(), person.birth_date, "{}", person.key);
                let sex = match id.sex() {
                    crate::national_id::IdSex::Female => crate::portal::model::Sex::Female,
                    crate::national_id::IdSex::Male => crate::portal::model::Sex::Male,
                };
                assert_eq!(sex, person.sex, "{}", person.key);
                // Norway (month + 80) and Finland (900-999) mark test numbers in the number
                // itself; Sweden and Denmark have no such mark (see embedded/README.md).
                if matches!(source.country, Country::No | Country::Fi) {
                    assert!(id.is_synthetic(), "{} must be a test number", person.key);
                }
            }
        }
    }

    #[test]
    fn every_scenario_of_design_section_4_is_present() {
        let sources = all();
        let persons = || sources.iter().flat_map(|s| s.persons.iter());
        let records = || sources.iter().flat_map(|s| s.records.values());
        for level in [
            PortalConsentLevel::Withdrawn,
            PortalConsentLevel::Basic,
            PortalConsentLevel::BasicPlus,
            PortalConsentLevel::Full,
        ] {
            assert!(
                persons().any(|p| p.portal_consent == Some(level)),
                "{level:?}"
            );
        }
        for protection in [
            Protection::NoStrictlyConfidential,
            Protection::SeProtectedRegistration,
            Protection::FiNonDisclosure,
            Protection::DkAddressProtection,
        ] {
            assert!(
                persons().any(|p| p.protection == Some(protection)),
                "{protection:?}"
            );
        }
        for service in [
            CrossBorderService::PatientSummary,
            CrossBorderService::EPrescription,
        ] {
            assert!(
                persons().any(|p| p.choices.cross_border_opt_out.contains(&service)),
                "{service:?}"
            );
        }
        assert!(persons().any(|p| p.choices.secondary_use_opt_out));
        assert!(persons().any(|p| !p.choices.blocked_professionals.is_empty()));
        assert!(sources.iter().any(|s| !s.powers_of_attorney.is_empty()));
        assert!(records().any(|r| r.prescriptions.iter().any(|p| p.restricted)));
        assert!(
            records().any(|r| r.prescriptions.len() >= 20),
            "a patient with 20 prescriptions"
        );
        let future = time::macros::date!(2026 - 11 - 23);
        let fi = sources.iter().find(|s| s.country == Country::Fi).unwrap();
        assert!(
            fi.records.values().any(|r| r
                .conditions
                .iter()
                .any(|c| c.release_date.is_some_and(|d| d > future))),
            "a Finnish release delay"
        );
        for source in &sources {
            assert!(
                source.records.values().any(|r| !r.lab_reports.is_empty()),
                "{:?} has laboratory results",
                source.country
            );
        }
        assert!(
            fi.records.values().any(|r| r
                .lab_reports
                .iter()
                .any(|l| l.release_date.is_some_and(|d| d > future))),
            "a Finnish laboratory result with a release delay"
        );
        assert!(persons().any(|p| p.national_id.kind() == crate::national_id::IdKind::NoDNumber));
        assert!(
            persons()
                .any(|p| p.national_id.kind() == crate::national_id::IdKind::SeSamordningsnummer)
        );
    }

    #[test]
    fn inconsistent_data_is_refused() {
        let json = include_str!("embedded/no.json");
        let mut data: CountryDataSet = serde_json::from_str(json).unwrap();
        data.prescriptions[0].person = "p-nobody".into();
        assert!(EmbeddedSource::from_data(Country::No, data).is_err());
        let mut data: CountryDataSet = serde_json::from_str(json).unwrap();
        data.persons[1].key = data.persons[0].key.clone();
        assert!(EmbeddedSource::from_data(Country::No, data).is_err());
        let mut data: CountryDataSet = serde_json::from_str(json).unwrap();
        data.vaccinations[0].key = "has.dot".into();
        assert!(EmbeddedSource::from_data(Country::No, data).is_err());
        assert!(
            EmbeddedSource::from_json(Country::Se, json).is_err(),
            "Norwegian people are not Swedish"
        );
    }
}
