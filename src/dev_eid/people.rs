//! The synthetic people of the embedded data set, as the login page lists them.

use std::collections::HashMap;

use time::Date;

use crate::mapping::ids::patient_id;
use crate::national_id::{Country, NationalId};
use crate::portal::PortalSource;
use crate::portal::embedded::EmbeddedSource;

/// Someone who can log in: a person of the data set, or anyone with a valid typed number.
#[derive(Debug, Clone)]
pub struct Person {
    pub national_id: NationalId,
    /// From the data set; a typed number that is not in it has no name.
    pub name: Option<Name>,
}

#[derive(Debug, Clone)]
pub struct Name {
    pub given: String,
    pub family: String,
}

/// One line of the login page.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The Patient id (`no.p-001`): the form's value and the `login_hint` that preselects.
    pub key: String,
    pub country: Country,
    pub birth_date: Date,
    pub person: Person,
}

pub struct People {
    listed: Vec<Listed>,
    by_key: HashMap<String, usize>,
    by_national_id: HashMap<NationalId, usize>,
}

impl People {
    /// Everyone in the embedded data set of every country.
    pub fn embedded() -> anyhow::Result<People> {
        let mut listed = Vec::new();
        for source in EmbeddedSource::load_all()? {
            for p in source.people() {
                listed.push(Listed {
                    key: patient_id(source.country(), &p.key),
                    country: source.country(),
                    birth_date: p.birth_date,
                    person: Person {
                        national_id: p.national_id.clone(),
                        name: Some(Name {
                            given: p.given.join(" "),
                            family: p.family.clone(),
                        }),
                    },
                });
            }
        }
        let by_key = listed
            .iter()
            .enumerate()
            .map(|(i, l)| (l.key.clone(), i))
            .collect();
        let by_national_id = listed
            .iter()
            .enumerate()
            .map(|(i, l)| (l.person.national_id.clone(), i))
            .collect();
        Ok(People {
            listed,
            by_key,
            by_national_id,
        })
    }

    pub fn all(&self) -> &[Listed] {
        &self.listed
    }

    pub fn by_key(&self, key: &str) -> Option<&Listed> {
        self.by_key.get(key).map(|&i| &self.listed[i])
    }

    /// A typed number: the person of the data set who holds it, or a nameless person (the
    /// relying party then meets a national ID it does not know, as it can in real life).
    pub fn by_national_id(&self, id: NationalId) -> Person {
        match self.by_national_id.get(&id) {
            Some(&i) => self.listed[i].person.clone(),
            None => Person {
                national_id: id,
                name: None,
            },
        }
    }
}
