//! Each reader's view of a record (R36, F2). A record is stored once, as the request
//! produced it, and may be about several patients (a professional's search naming two).
//! Each patient reads their own part of it: their own Patient entity, their own records and
//! their own count, never another patient's ids or counts. Someone reading the log for the
//! patient (a parent with access-log rights) also loses the entities of the categories they
//! may not read, and the counts of those.

use crate::consent::category_of;
use crate::consent::policy::Categories;
use crate::fhir::resources::{AuditEntity, AuditEvent};
use crate::mapping::ids;

use super::record::{DISCLOSED_DETAIL, disclosed_detail};

/// Who reads a patient's log, and what of the patient's data they may see.
#[derive(Debug, Clone)]
pub struct LogReader {
    pub patient: String,
    /// `None`: the patient themself, who sees everything of theirs.
    pub shown: Option<Categories>,
}

impl LogReader {
    fn shows_type(&self, type_name: &str) -> bool {
        match self.shown {
            None => true,
            Some(shown) => category_of(type_name).is_some_and(|c| shown.contains(c)),
        }
    }

    fn owns(&self, id: &str) -> bool {
        let Some(own) = ids::parse(&self.patient) else {
            return false;
        };
        ids::parse(id).is_some_and(|r| r.country == own.country && r.person == own.person)
    }
}

const PATIENT_ROLE: &str = "1";
const DOMAIN_RESOURCE_ROLE: &str = "4";
const QUERY_ROLE: &str = "24";

/// `event` as `reader` may see it.
pub fn view(mut event: AuditEvent, reader: &LogReader) -> AuditEvent {
    let own = format!("Patient/{}", reader.patient);
    // A record about this patient alone (a Consent write, the patient's own read).
    let theirs_alone = event
        .entity
        .iter()
        .filter(|e| role(e) == Some(PATIENT_ROLE))
        .all(|e| reference(e) == Some(own.as_str()));
    event.entity = std::mem::take(&mut event.entity)
        .into_iter()
        .filter_map(|entity| match role(&entity) {
            Some(PATIENT_ROLE) => (reference(&entity) == Some(own.as_str())).then_some(entity),
            Some(DOMAIN_RESOURCE_ROLE) => {
                let (type_name, id) = reference(&entity)?.split_once('/')?;
                let shown = if type_name == "Consent" {
                    // Consent ids do not carry their patient; a Consent is the patient's own
                    // business (R32).
                    theirs_alone && reader.shown.is_none()
                } else {
                    reader.owns(id) && reader.shows_type(type_name)
                };
                shown.then_some(entity)
            }
            Some(QUERY_ROLE) => query_view(entity, reader, theirs_alone),
            _ => Some(entity),
        })
        .collect();
    event
}

/// The Query entity with this reader's own count; without per-patient counts (a record
/// written before they were kept), the count is shown only to a patient it is all about.
fn query_view(
    mut entity: AuditEntity,
    reader: &LogReader,
    theirs_alone: bool,
) -> Option<AuditEntity> {
    let per_patient = entity
        .detail
        .iter()
        .any(|d| d.type_.starts_with(DISCLOSED_DETAIL));
    if !per_patient {
        return (theirs_alone && reader.shown.is_none()).then_some(entity);
    }
    // Only this reader's own counts, of the types they may see: the total, the other
    // patients' counts, the criteria naming them and the count left out are all about
    // other people.
    let own_prefix = disclosed_detail(&reader.patient, "");
    let kept: Vec<_> = std::mem::take(&mut entity.detail)
        .into_iter()
        .filter(|d| {
            d.type_
                .strip_prefix(own_prefix.as_str())
                .is_some_and(|type_name| reader.shows_type(type_name))
        })
        .collect();
    let total: usize = kept
        .iter()
        .map(|d| d.value_string.parse::<usize>().unwrap_or(0))
        .sum();
    let request = entity
        .description
        .as_deref()
        .and_then(|d| d.split_once(" resources disclosed"))
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default();
    entity.description = Some(format!("{total} resources disclosed{request}"));
    entity.detail = vec![crate::fhir::resources::AuditEntityDetail {
        type_: "total".into(),
        value_string: total.to_string(),
    }];
    entity.detail.extend(kept);
    Some(entity)
}

fn role(entity: &AuditEntity) -> Option<&str> {
    entity.role.as_ref().and_then(|r| r.code.as_deref())
}

fn reference(entity: &AuditEntity) -> Option<&str> {
    entity.what.as_ref().and_then(|w| w.reference.as_deref())
}
