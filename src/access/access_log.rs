//! Where a disclosure of a patient's record as a whole is to be written to the access log.
//!
//! EHDS Art. 9 and R35 want an AuditEvent (IHE BALP PatientRead of a document or an export:
//! who, on whose behalf, which patient, what was disclosed, the outcome, the request id) for
//! every such access, stored before the response leaves. The audit store does not exist yet.
//! Until it does, [`record_disclosure`] is the one place the `$summary` and `$everything`
//! operations report to, and it records nothing.

use crate::auth::principal::Principal;

/// The operations that disclose a patient's record as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WholeRecord {
    /// `$summary`: the patient summary document.
    Summary,
    /// `$everything`: the searchset pages or the NDJSON export.
    Everything,
}

/// One disclosure, as the access log will need it.
#[derive(Debug)]
pub struct Disclosure<'a> {
    pub operation: WholeRecord,
    pub principal: &'a Principal,
    pub patient_id: &'a str,
}

/// The call site of the access-log record for [`WholeRecord`] operations. Not yet written:
/// the audit store that will make it durable does not exist.
pub fn record_disclosure(_disclosure: &Disclosure<'_>) {}
