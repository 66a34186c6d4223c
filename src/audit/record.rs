//! One access-log record, as the code that produces it describes it, and its AuditEvent
//! (IHE BALP: PatientRead / PatientQuery for data, DICOM user authentication for logins).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::fhir::datatypes::{CodeableConcept, Coding, Identifier, Meta, Reference};
use crate::fhir::resources::{AuditAgent, AuditEntity, AuditEntityDetail, AuditEvent, AuditSource};

pub const AUDIT_EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
pub const RESTFUL_INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
pub const DICOM: &str = "http://dicom.nema.org/resources/ontology/DCM";
/// The gateway's own codes for security events DICOM has no code for.
pub const SECURITY_EVENT: &str = "urn:ehds-gateway:security-event";
pub const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
pub const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
pub const BALP_ENTITY_TYPE: &str =
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    /// A read of one resource (BALP PatientRead).
    Read,
    /// A search (BALP PatientQuery).
    Search,
    /// An operation on a patient's record as a whole: `$summary`, `$everything`.
    Operation(&'static str),
    Create,
    Update,
    Delete,
    /// A citizen logged in at the authorization server.
    Login,
    Logout,
    /// An access token (and refresh token) was issued to an app.
    TokenIssued,
    /// A token was revoked.
    TokenRevoked,
    /// The citizen withdrew an app's grant.
    GrantRevoked,
}

impl AuditKind {
    fn type_and_subtype(self) -> (Coding, Coding) {
        let rest = || Coding::new(AUDIT_EVENT_TYPE, "rest", "Restful Operation");
        let interaction = |code: &str| Coding::new(RESTFUL_INTERACTION, code, "");
        let authentication = || Coding::new(DICOM, "110114", "User Authentication");
        match self {
            AuditKind::Read => (rest(), interaction("read")),
            AuditKind::Search => (rest(), interaction("search-type")),
            AuditKind::Operation(name) => (
                rest(),
                Coding {
                    display: Some(format!("${name}")),
                    ..interaction("operation")
                },
            ),
            AuditKind::Create => (rest(), interaction("create")),
            AuditKind::Update => (rest(), interaction("update")),
            AuditKind::Delete => (rest(), interaction("delete")),
            AuditKind::Login => (authentication(), Coding::new(DICOM, "110122", "Login")),
            AuditKind::Logout => (authentication(), Coding::new(DICOM, "110123", "Logout")),
            AuditKind::TokenIssued => (
                authentication(),
                Coding::new(SECURITY_EVENT, "token-issued", "Token issued"),
            ),
            AuditKind::TokenRevoked => (
                authentication(),
                Coding::new(SECURITY_EVENT, "token-revoked", "Token revoked"),
            ),
            AuditKind::GrantRevoked => (
                authentication(),
                Coding::new(SECURITY_EVENT, "grant-revoked", "App grant revoked"),
            ),
        }
    }

    /// The R4 action code.
    fn action(self) -> &'static str {
        match self {
            AuditKind::Read | AuditKind::Search => "R",
            AuditKind::Create => "C",
            AuditKind::Update => "U",
            AuditKind::Delete => "D",
            _ => "E",
        }
    }
}

/// How it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Refused, not found, invalid: the request's fault (HTTP 4xx).
    Refused(String),
    /// The server's fault (HTTP 5xx).
    Failed(String),
}

impl Outcome {
    /// The outcome of an HTTP status.
    pub fn of_status(status: u16) -> Outcome {
        let text = || {
            let reason = actix_web::http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            format!("{status} {reason}").trim().to_owned()
        };
        match status {
            0..=399 => Outcome::Success,
            400..=499 => Outcome::Refused(text()),
            _ => Outcome::Failed(text()),
        }
    }

    fn code_and_text(&self) -> (&'static str, Option<String>) {
        match self {
            Outcome::Success => ("0", None),
            Outcome::Refused(t) => ("4", Some(t.clone())),
            Outcome::Failed(t) => ("8", Some(t.clone())),
        }
    }
}

/// One record, before it is stored. Build data accesses with [`AuditRecord::access`] and
/// security events with [`AuditRecord::security`].
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub kind: AuditKind,
    pub recorded: OffsetDateTime,
    pub outcome: Outcome,
    /// Who took part: built by [`super::agents::agents`].
    pub agents: Vec<AuditAgent>,
    pub purpose: Vec<CodeableConcept>,
    /// The patients whose data the record is about (Patient ids, never national ids).
    pub patients: Vec<String>,
    /// The resource type the request named, if any.
    pub resource_type: Option<String>,
    /// `Type/id` of disclosed resources (bounded) and how many there were in all.
    pub disclosed: Vec<String>,
    pub disclosed_total: usize,
    /// How many resources were disclosed per (patient, resource type).
    pub disclosed_counts: BTreeMap<(String, String), usize>,
    /// Patients the request named in its criteria (its query), bounded.
    pub named: Vec<String>,
    /// Patients touched beyond the bound of one record.
    pub patients_left_out: usize,
    pub request_id: Option<String>,
}

/// The detail of a Query entity that counts one patient's disclosed resources of one type:
/// `disclosed Patient/<id> <Type>`.
pub const DISCLOSED_DETAIL: &str = "disclosed";
/// The detail of a Query entity with the patients the request named.
pub const CRITERIA_DETAIL: &str = "patient criteria";
/// The detail of a Query entity with the count of patients left out of the record.
pub const LEFT_OUT_DETAIL: &str = "patients left out";

impl AuditRecord {
    /// A record of an access to patient data (or of an attempt).
    pub fn access(kind: AuditKind, agents: Vec<AuditAgent>, outcome: Outcome) -> AuditRecord {
        AuditRecord {
            kind,
            recorded: OffsetDateTime::now_utc(),
            outcome,
            purpose: agents
                .iter()
                .flat_map(|a| a.purpose_of_use.iter().cloned())
                .collect(),
            agents,
            patients: Vec::new(),
            resource_type: None,
            disclosed: Vec::new(),
            disclosed_total: 0,
            disclosed_counts: BTreeMap::new(),
            named: Vec::new(),
            patients_left_out: 0,
            request_id: crate::request_context::request_id(),
        }
    }

    /// A security event of the authorization server: a login, logout, token issue or
    /// revocation, or a withdrawn app grant. `patient_id` is the citizen (the person logged
    /// in, or whose grant it is), `client_id` the app, if one is concerned.
    pub fn security(
        kind: AuditKind,
        patient_id: Option<&str>,
        client_id: Option<&str>,
        outcome: Outcome,
    ) -> AuditRecord {
        let mut agents = Vec::new();
        if let Some(patient) = patient_id {
            agents.push(super::agents::citizen(patient));
        }
        if let Some(client) = client_id {
            agents.push(super::agents::app(client, None));
        }
        let mut record = AuditRecord::access(kind, agents, outcome);
        record.patients = patient_id.into_iter().map(str::to_owned).collect();
        record
    }

    /// The AuditEvent of this record, with the given id.
    pub fn to_event(&self, id: String, site: &str) -> AuditEvent {
        let (type_, subtype) = self.kind.type_and_subtype();
        let (outcome, outcome_desc) = self.outcome.code_and_text();
        let recorded = instant_ms(self.recorded);
        let mut entity: Vec<AuditEntity> = self
            .patients
            .iter()
            .map(|p| AuditEntity {
                what: Some(Reference {
                    reference: Some(format!("Patient/{p}")),
                    ..Default::default()
                }),
                type_: Some(Coding::new(ENTITY_TYPE, "1", "Person")),
                role: Some(Coding::new(OBJECT_ROLE, "1", "Patient")),
                ..Default::default()
            })
            .collect();
        entity.extend(self.disclosed.iter().map(|reference| AuditEntity {
            what: Some(Reference {
                reference: Some(reference.clone()),
                ..Default::default()
            }),
            type_: Some(Coding::new(ENTITY_TYPE, "2", "System Object")),
            role: Some(Coding::new(OBJECT_ROLE, "4", "Domain Resource")),
            description: origin(reference),
            ..Default::default()
        }));
        if self.disclosed_total > self.disclosed.len()
            || !self.named.is_empty()
            || self.patients_left_out > 0
            || matches!(self.kind, AuditKind::Search | AuditKind::Operation(_))
        {
            // A query's result as a whole: how many resources it disclosed, of which the
            // first ones are listed above.
            entity.push(AuditEntity {
                type_: Some(Coding::new(ENTITY_TYPE, "2", "System Object")),
                role: Some(Coding::new(OBJECT_ROLE, "24", "Query")),
                description: Some(format!(
                    "{} resources disclosed{}",
                    self.disclosed_total,
                    self.resource_type
                        .as_deref()
                        .map(|t| format!(" by a {t} request"))
                        .unwrap_or_default()
                )),
                detail: self.query_details(),
                ..Default::default()
            });
        }
        if let Some(request_id) = &self.request_id {
            entity.push(AuditEntity {
                what: Some(Reference {
                    identifier: Some(Identifier {
                        value: Some(request_id.clone()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                type_: Some(Coding::new(BALP_ENTITY_TYPE, "XrequestId", "X-Request-Id")),
                ..Default::default()
            });
        }
        AuditEvent {
            id,
            meta: Meta {
                last_updated: Some(recorded.clone()),
                ..Default::default()
            },
            type_,
            subtype: vec![subtype],
            action: Some(self.kind.action().into()),
            recorded,
            outcome: Some(outcome.into()),
            outcome_desc,
            purpose_of_event: self.purpose.clone(),
            agent: self.agents.clone(),
            source: AuditSource {
                site: Some(site.to_owned()),
                observer: Reference {
                    display: Some("ehds-gateway".into()),
                    ..Default::default()
                },
                type_: vec![Coding::new(
                    "http://terminology.hl7.org/CodeSystem/security-source-type",
                    "4",
                    "Application Server",
                )],
            },
            entity,
        }
    }
}

impl AuditRecord {
    /// The details of the record's Query entity: the total, then the count per patient and
    /// type (from which each patient's view takes its own), the patients the request named,
    /// and how many patients the record left out.
    fn query_details(&self) -> Vec<AuditEntityDetail> {
        let mut details = vec![AuditEntityDetail {
            type_: "total".into(),
            value_string: self.disclosed_total.to_string(),
        }];
        details.extend(
            self.disclosed_counts
                .iter()
                .map(|((patient, type_name), count)| AuditEntityDetail {
                    type_: disclosed_detail(patient, type_name),
                    value_string: count.to_string(),
                }),
        );
        if !self.named.is_empty() {
            details.push(AuditEntityDetail {
                type_: CRITERIA_DETAIL.into(),
                value_string: self
                    .named
                    .iter()
                    .map(|p| format!("Patient/{p}"))
                    .collect::<Vec<_>>()
                    .join(","),
            });
        }
        if self.patients_left_out > 0 {
            details.push(AuditEntityDetail {
                type_: LEFT_OUT_DETAIL.into(),
                value_string: self.patients_left_out.to_string(),
            });
        }
        details
    }
}

/// The detail type that counts `patient`'s resources of `type_name` (no patient: `-`).
pub fn disclosed_detail(patient: &str, type_name: &str) -> String {
    let patient = if patient.is_empty() {
        "-".to_owned()
    } else {
        format!("Patient/{patient}")
    };
    format!("{DISCLOSED_DETAIL} {patient} {type_name}")
}

/// Where a disclosed resource came from: the national portal of the country its id names
/// (ids are `<country>.<person>[.<record>]`), or the gateway's own store for Consents.
fn origin(reference: &str) -> Option<String> {
    let (type_name, id) = reference.split_once('/')?;
    if type_name == "Consent" {
        return Some("the gateway's Consent store".into());
    }
    let country = id.split('.').next()?.to_ascii_uppercase();
    Some(format!("national portal {country}"))
}

/// An instant to the millisecond, always with three digits (FHIR `instant`), so that
/// records sort as they happened, as text too.
fn instant_ms(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let seconds = crate::mapping::instant(at);
    let whole = seconds.strip_suffix('Z').unwrap_or(&seconds);
    format!("{whole}.{:03}Z", at.millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_instants_have_three_fraction_digits() {
        let at = time::macros::datetime!(2026-11-23 04:31:22.900 UTC);
        assert_eq!(instant_ms(at), "2026-11-23T04:31:22.900Z");
        let at = time::macros::datetime!(2026-11-23 04:31:22.004 +01:00);
        assert_eq!(instant_ms(at), "2026-11-23T03:31:22.004Z");
    }
}
