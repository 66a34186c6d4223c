//! What one request did, noted while it is served, for its access-log record.
//!
//! The audit middleware (`http::audited`) opens a note around every FHIR request; the
//! `Caller` extractor notes who called, and the `access` room notes whose data the request
//! touched and which resources it disclosed. When the handler has answered, the middleware
//! turns the note into exactly one [`AuditRecord`](super::AuditRecord) and waits for its
//! commit before the response leaves. A task-local, like `request_context`, so that the
//! access code does not carry an audit parameter through every call: actix-web serves a
//! request on one task. Outside a request (tests of the access code, start-up) noting is a
//! no-op.

use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::auth::principal::Principal;

/// How many disclosed resources a record lists by reference; beyond that it gives the count.
pub const MAX_LISTED: usize = 20;
/// How many patients one record names at most. Requests are refused long before (a search
/// names at most `fhir.max_patients_per_search`; a page holds at most `fhir.max_count`), so
/// this only keeps a record's size bounded whatever a caller tries.
pub const MAX_PATIENTS: usize = 1_000;
/// How many of a request's named patient criteria a record keeps as its query.
pub const MAX_CRITERIA: usize = 100;

/// In what relation a person acted for the patient, when not as the patient themself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Guardian,
    Attorney,
}

#[derive(Debug, Default)]
pub struct Note {
    pub principal: Option<Principal>,
    /// Patient ids whose data the request read, named or was refused, in first-seen order.
    pub patients: Vec<String>,
    /// More patients than [`MAX_PATIENTS`] were touched; these were left out.
    pub patients_left_out: usize,
    /// The patients a request named in its criteria, whether or not they exist or may be
    /// reached: the request's query, not patients whose logs get the entry (bounded).
    pub named: Vec<String>,
    /// `Type/id` of disclosed resources, the first [`MAX_LISTED`].
    pub disclosed: Vec<String>,
    /// How many resources were disclosed in all.
    pub disclosed_total: usize,
    /// How many were disclosed per patient and resource type, so that each patient's view
    /// of the record counts their own data only (F2).
    pub disclosed_counts: std::collections::BTreeMap<(String, String), usize>,
    pub relation: Option<Relation>,
    /// The request is not to be recorded (a read of the access log itself).
    pub unrecorded: bool,
}

tokio::task_local! {
    static CURRENT: Arc<Mutex<Note>>;
}

/// Runs `future` with `note` as the current request's note.
pub async fn scope<F: Future>(note: Arc<Mutex<Note>>, future: F) -> F::Output {
    CURRENT.scope(note, future).await
}

/// Runs `f` with `note` as the current request's note (the synchronous part of a call).
pub fn sync_scope<R>(note: Arc<Mutex<Note>>, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(note, f)
}

fn with(f: impl FnOnce(&mut Note)) {
    let _ = CURRENT.try_with(|note| {
        if let Ok(mut note) = note.lock() {
            f(&mut note);
        }
    });
}

/// The caller, once its token is verified.
pub fn principal(principal: &Principal) {
    with(|n| n.principal = Some(principal.clone()));
}

/// A patient whose data the request touches (or tried to): a person the portals know, whom
/// the request reached far enough for a decision.
pub fn patient(patient_id: &str) {
    with(|n| n.add_patient(patient_id));
}

/// A patient the request names in its criteria: kept as the request's query only.
pub fn named(patient_id: &str) {
    with(|n| {
        if n.named.len() < MAX_CRITERIA && !n.named.iter().any(|p| p == patient_id) {
            n.named.push(patient_id.to_owned());
        }
    });
}

impl Note {
    fn add_patient(&mut self, patient_id: &str) {
        if self.patients.iter().any(|p| p == patient_id) {
            return;
        }
        if self.patients.len() < MAX_PATIENTS {
            self.patients.push(patient_id.to_owned());
        } else {
            self.patients_left_out += 1;
        }
    }
}

/// Resources the response discloses, as `(type, id, patient id)`.
pub fn disclosed<'a>(resources: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>) {
    with(|n| {
        for (type_name, id, patient_id) in resources {
            n.disclosed_total += 1;
            if n.disclosed.len() < MAX_LISTED {
                n.disclosed.push(format!("{type_name}/{id}"));
            }
            let owner = patient_id.unwrap_or_default().to_owned();
            *n.disclosed_counts
                .entry((owner, type_name.to_owned()))
                .or_default() += 1;
            if let Some(p) = patient_id {
                n.add_patient(p);
            }
        }
    });
}

/// The relation in which the caller acted for the patient.
pub fn relation(relation: Relation) {
    with(|n| n.relation = Some(relation));
}

/// This request is not recorded (see `http::audit_event` for why).
pub fn unrecorded() {
    with(|n| n.unrecorded = true);
}
