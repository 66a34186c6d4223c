//! Who may see what. The rules every response passes through before it leaves.
//!
//! For now this room holds the rules that need no stored consent: release delays (R21) and
//! protected identities (R13). They run on national records before mapping, so that what is
//! hidden is never mapped, counted or paged.

use std::sync::Arc;

use time::Date;

use crate::portal::PersonRecords;
use crate::portal::model::Person;

/// How the caller relates to the person whose data is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The person themself, through their own app.
    Subject,
    /// A patient-context token for this person used by someone else (a proxy).
    Representative,
    /// A health professional or a system client.
    Professional,
}

/// Removes what the viewer must not see yet: records with a release date in the future are
/// hidden from the patient and their representatives until that date (R21, e.g. the Finnish
/// ReleaseDateForPatientViewing); professionals see them.
pub fn releasable(records: Arc<PersonRecords>, viewer: Viewer, today: Date) -> Arc<PersonRecords> {
    let released = |date: &Option<Date>| date.is_none_or(|d| d <= today);
    let all_released = records
        .prescriptions
        .iter()
        .all(|r| released(&r.release_date))
        && records
            .vaccinations
            .iter()
            .all(|r| released(&r.release_date))
        && records.conditions.iter().all(|r| released(&r.release_date));
    // The common case shares the source's records instead of copying them.
    if viewer == Viewer::Professional || all_released {
        return records;
    }
    Arc::new(PersonRecords {
        prescriptions: records
            .prescriptions
            .iter()
            .filter(|r| released(&r.release_date))
            .cloned()
            .collect(),
        vaccinations: records
            .vaccinations
            .iter()
            .filter(|r| released(&r.release_date))
            .cloned()
            .collect(),
        allergies: records.allergies.clone(),
        conditions: records
            .conditions
            .iter()
            .filter(|r| released(&r.release_date))
            .cloned()
            .collect(),
    })
}

/// Whether the viewer may see the person's address and contact details (R13): a protected
/// identity shows them to nobody but the person.
pub fn may_see_contact_details(person: &Person, viewer: Viewer) -> bool {
    person.protection.is_none() || viewer == Viewer::Subject
}
