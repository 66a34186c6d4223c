//! FHIR logical ids of mapped records.
//!
//! An id is built from the portal's own keys, never from a national identifier:
//! `no.p-001` for a person, `no.p-001.rx-0001` for one of their records. Carrying the owner in
//! a record's id means a read knows whose compartment it is in before it fetches anything,
//! and the ids stay stable as long as the national keys are.

use crate::national_id::Country;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordId<'a> {
    pub country: Country,
    pub person: &'a str,
    /// `None` for the Patient itself.
    pub record: Option<&'a str>,
}

pub fn patient_id(country: Country, person_key: &str) -> String {
    let mut id = String::with_capacity(3 + person_key.len());
    id.push_str(prefix(country));
    id.push_str(person_key);
    id
}

pub fn record_id(country: Country, person_key: &str, record_key: &str) -> String {
    let mut id = String::with_capacity(4 + person_key.len() + record_key.len());
    id.push_str(prefix(country));
    id.push_str(person_key);
    id.push('.');
    id.push_str(record_key);
    id
}

/// Ids are built on every request; a fixed prefix avoids formatting machinery.
fn prefix(country: Country) -> &'static str {
    match country {
        Country::No => "no.",
        Country::Se => "se.",
        Country::Dk => "dk.",
        Country::Fi => "fi.",
    }
}

pub fn parse(id: &str) -> Option<RecordId<'_>> {
    let mut parts = id.split('.');
    let country = Country::parse(parts.next()?)?;
    let person = parts.next().filter(|p| !p.is_empty())?;
    let record = match parts.next() {
        Some(r) if !r.is_empty() => Some(r),
        Some(_) => return None,
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(RecordId {
        country,
        person,
        record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let p = patient_id(Country::Fi, "p-007");
        assert_eq!(p, "fi.p-007");
        assert_eq!(
            parse(&p),
            Some(RecordId {
                country: Country::Fi,
                person: "p-007",
                record: None
            })
        );
        let r = record_id(Country::No, "p-1", "rx-9");
        assert_eq!(parse(&r).unwrap().record, Some("rx-9"));
    }

    #[test]
    fn malformed_ids_do_not_parse() {
        for bad in [
            "",
            "xx.p-1",
            "no",
            "no.",
            "no.p-1.",
            "no.p-1.rx.extra",
            "p-1",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
