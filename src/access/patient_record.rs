//! A patient's record as a whole, as one principal may see it: what `$summary` and
//! `$everything` are made of.
//!
//! The same rules as reads and searches apply, unchanged: the Patient is read (Patient read
//! scope; outside the token's compartment the patient is "not known", 404), each record type
//! is taken as a search by patient would take it (that type's search scope, its v2 query
//! restrictions), and the release rules run on the national records before mapping, so what
//! is hidden is never mapped, counted or listed. A type the scopes do not cover is
//! [`Visible::Withheld`]: the summary says so, `$everything` leaves it out, and a request that
//! names it explicitly (`_type`) is refused like a search of it would be.

use crate::auth::principal::{Principal, Reach};
use crate::auth::scopes::Action;
use std::sync::Arc;

use crate::consent::policy::Category;
use crate::consent::provisions::Restrictions;
use crate::consent::{self, RecordView};
use crate::fhir::resources::{
    AllergyIntolerance, Condition, DiagnosticReport, Immunization, MedicationDispense,
    MedicationRequest, Observation, Patient,
};
use crate::fhir::search::matching::{default_sort_keys, sort};
use crate::fhir::{FhirError, Resource, ResourceType};
use crate::mapping::ids;
use crate::national_id::{IdKind, NationalId};
use crate::portal::PersonRecords;
use crate::portal::model::Person;

use super::{DataAccess, Loadable, ScopeFilters, passes};
use crate::audit::note;

/// What a principal may see of one resource type in a patient's record.
#[derive(Debug, Clone, PartialEq)]
pub enum Visible<R> {
    /// The resources the principal may see (possibly none), in the type's default order.
    Shown(Vec<R>),
    /// The principal's scopes do not cover this type.
    Withheld,
    /// The request did not ask for this type.
    NotAsked,
}

impl<R> Visible<R> {
    /// The resources to show; `None` when the type is withheld.
    pub fn shown(&self) -> Option<&[R]> {
        match self {
            Visible::Shown(list) => Some(list),
            Visible::NotAsked => Some(&[]),
            Visible::Withheld => None,
        }
    }

    /// Leaves out, silently, what the patient's restrictions hide from this caller (R25).
    fn without(self, restrictions: &Restrictions) -> Visible<R>
    where
        R: crate::fhir::DomainResource,
    {
        match self {
            Visible::Shown(mut list) if !restrictions.is_empty() => {
                list.retain(|r| !restrictions.hides_resource(r));
                Visible::Shown(list)
            }
            other => other,
        }
    }

    fn into_shown(self) -> Vec<R> {
        match self {
            Visible::Shown(list) => list,
            Visible::Withheld | Visible::NotAsked => Vec::new(),
        }
    }
}

/// Which resource types a request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted<'a> {
    /// Everything the principal may see; types it may not see are withheld.
    All,
    /// Only these types (`_type`); each must be one the principal may see.
    Only(&'a [ResourceType]),
}

impl Wanted<'_> {
    pub fn includes(&self, t: ResourceType) -> bool {
        match self {
            Wanted::All => true,
            Wanted::Only(types) => types.contains(&t),
        }
    }
}

/// One patient's record, as the principal may see it.
#[derive(Debug, Clone)]
pub struct PatientRecord {
    pub patient: Patient,
    pub allergy_intolerances: Visible<AllergyIntolerance>,
    pub conditions: Visible<Condition>,
    pub immunizations: Visible<Immunization>,
    pub medication_requests: Visible<MedicationRequest>,
    pub medication_dispenses: Visible<MedicationDispense>,
    pub diagnostic_reports: Visible<DiagnosticReport>,
    pub observations: Visible<Observation>,
}

impl PatientRecord {
    /// What the patient summary is made of: the Patient and each type as the caller may see
    /// it (`None` where the caller may not read it).
    pub fn summary_data(&self) -> crate::fhir::ips::PatientData<'_> {
        crate::fhir::ips::PatientData {
            patient: &self.patient,
            conditions: self.conditions.shown(),
            allergy_intolerances: self.allergy_intolerances.shown(),
            medication_requests: self.medication_requests.shown(),
            immunizations: self.immunizations.shown(),
            diagnostic_reports: self.diagnostic_reports.shown(),
            observations: self.observations.shown(),
        }
    }

    /// The wanted resources in a stable order: the Patient, then each type in
    /// `ResourceType::ALL` order, each in its default order.
    pub fn into_resources(self, wanted: Wanted<'_>) -> Vec<Resource> {
        let mut out: Vec<Resource> = Vec::new();
        if wanted.includes(ResourceType::Patient) {
            out.push(self.patient.into());
        }
        out.extend(
            self.allergy_intolerances
                .into_shown()
                .into_iter()
                .map(Into::into),
        );
        out.extend(self.conditions.into_shown().into_iter().map(Into::into));
        out.extend(
            self.diagnostic_reports
                .into_shown()
                .into_iter()
                .map(Into::into),
        );
        out.extend(self.immunizations.into_shown().into_iter().map(Into::into));
        out.extend(
            self.medication_dispenses
                .into_shown()
                .into_iter()
                .map(Into::into),
        );
        out.extend(
            self.medication_requests
                .into_shown()
                .into_iter()
                .map(Into::into),
        );
        out.extend(self.observations.into_shown().into_iter().map(Into::into));
        out
    }
}

/// What the scopes allow for one type of this patient's records, decided before anything is
/// fetched.
enum Grant {
    Granted(ScopeFilters),
    Withheld,
    NotAsked,
}

/// The national records of the patient, as far as the viewer may see them.
struct Source<'a> {
    country: crate::national_id::Country,
    person: &'a Person,
    records: &'a PersonRecords,
    viewer: consent::Viewer,
    /// Now on the gateway's clock, for scope filters with relative dates.
    now_ms: i64,
}

impl Grant {
    fn load<R: Loadable>(self, source: &Source<'_>) -> Visible<R> {
        match self {
            Grant::NotAsked => Visible::NotAsked,
            Grant::Withheld => Visible::Withheld,
            Grant::Granted(filters) => {
                let mut list = R::load(
                    source.country,
                    source.person,
                    source.records,
                    source.viewer,
                    None,
                );
                list.retain(|r| passes(r, &filters, source.now_ms));
                sort(&mut list, &default_sort_keys::<R>());
                Visible::Shown(list)
            }
        }
    }
}

/// The one answer to a look-up by identifier that finds nobody the caller may see: nobody
/// has it, or the person is hidden from the caller (F8). Neither tells the other apart.
pub fn no_patient_with_identifier() -> FhirError {
    FhirError::NotFound("no patient has this identifier".into())
}

impl DataAccess {
    /// The record of `patient_id` as `principal` may see it. The operation that shows it
    /// notes what it discloses for the access log (`audit::note`).
    pub async fn patient_record(
        &self,
        principal: &Principal,
        patient_id: &str,
        wanted: Wanted<'_>,
    ) -> Result<PatientRecord, FhirError> {
        let not_found = || FhirError::NotFound(format!("Patient/{patient_id} is not known"));
        note::patient(patient_id);
        let (reach, patient_filters) = self.authorize::<Patient>(principal, Action::Read)?;
        let parsed = ids::parse(patient_id)
            .filter(|p| p.record.is_none())
            .ok_or_else(not_found)?;
        // Outside the compartment the patient is not known, exactly as for a read.
        if let Reach::Compartment(own) = &reach
            && own != patient_id
        {
            return Err(not_found());
        }
        let allergies = self.grant::<AllergyIntolerance>(principal, patient_id, wanted)?;
        let conditions = self.grant::<Condition>(principal, patient_id, wanted)?;
        let immunizations = self.grant::<Immunization>(principal, patient_id, wanted)?;
        let medications = self.grant::<MedicationRequest>(principal, patient_id, wanted)?;
        let dispenses = self.grant::<MedicationDispense>(principal, patient_id, wanted)?;
        let reports = self.grant::<DiagnosticReport>(principal, patient_id, wanted)?;
        let observations = self.grant::<Observation>(principal, patient_id, wanted)?;

        let source = self.portals.get(parsed.country).ok_or_else(not_found)?;
        let person = source.person(parsed.person).await?.ok_or_else(not_found)?;
        let viewer = principal.viewer_of(patient_id);
        let today = self.clock.today();
        let gate = self.gate(principal, patient_id, &person, today).await?;
        if !gate.categories.contains(Category::Demographics) || gate.restrictions.all {
            // Someone the patient shut out entirely: as if there were no such patient.
            return Err(not_found());
        }
        let patient = Patient::load(
            parsed.country,
            &person,
            &PersonRecords::default(),
            viewer,
            None,
        )
        .pop()
        .filter(|p| passes(p, &patient_filters, self.clock.now_ms()))
        .ok_or_else(not_found)?;
        let granted = [
            &allergies,
            &conditions,
            &immunizations,
            &medications,
            &dispenses,
            &reports,
            &observations,
        ]
        .iter()
        .any(|g| matches!(g, Grant::Granted(_)));
        let records = if granted {
            let view = RecordView {
                viewer,
                categories: gate.categories,
                hide_locked: gate.hide_locked,
                professional_id: principal.professional_id.as_deref(),
            };
            consent::visible_records(source.records(&person.key).await?, &view, today)
        } else {
            Arc::new(PersonRecords::default())
        };
        let from = Source {
            country: parsed.country,
            person: &person,
            records: &records,
            viewer,
            now_ms: self.clock.now_ms(),
        };
        let hidden = &gate.restrictions;
        let record = PatientRecord {
            patient,
            allergy_intolerances: allergies.load(&from).without(hidden),
            conditions: conditions.load(&from).without(hidden),
            immunizations: immunizations.load(&from).without(hidden),
            medication_requests: medications.load(&from).without(hidden),
            medication_dispenses: dispenses.load(&from).without(hidden),
            diagnostic_reports: reports.load(&from).without(hidden),
            observations: observations.load(&from).without(hidden),
        };
        Ok(record)
    }

    /// The Patient id for `system|value`, with the checks of a Patient search by identifier:
    /// an unknown system is 404, a malformed number 400, no match 404. A patient-context
    /// token only ever matches its own patient; nobody else is looked up for it.
    pub async fn patient_by_identifier(
        &self,
        principal: &Principal,
        system: &str,
        value: &str,
    ) -> Result<String, FhirError> {
        let (reach, _) = self.authorize::<Patient>(principal, Action::Read)?;
        if IdKind::from_system(system).is_none() {
            return Err(FhirError::NotFound(format!(
                "identifier system '{system}' is not known"
            )));
        }
        let id = NationalId::parse(system, value).map_err(|e| FhirError::Invalid(e.to_string()))?;
        let not_found = no_patient_with_identifier;
        match reach {
            Reach::Compartment(own) => {
                let patient: Patient = self.read(principal, &own).await?;
                let matches = patient.identifier.iter().any(|i| {
                    i.system.as_deref() == Some(id.system())
                        && i.value.as_deref() == Some(id.value())
                });
                if matches { Ok(own) } else { Err(not_found()) }
            }
            Reach::AnyPatient => self.patient_id_of(&id).await?.ok_or_else(not_found),
        }
    }

    fn grant<R: Loadable>(
        &self,
        principal: &Principal,
        patient_id: &str,
        wanted: Wanted<'_>,
    ) -> Result<Grant, FhirError> {
        if !wanted.includes(R::TYPE) {
            return Ok(Grant::NotAsked);
        }
        let granted = match self.authorize::<R>(principal, Action::Search) {
            Ok((Reach::Compartment(own), _)) if own != patient_id => None,
            Ok((_, filters)) => Some(filters),
            Err(FhirError::InsufficientScope(message)) => {
                if let Wanted::Only(_) = wanted {
                    return Err(FhirError::InsufficientScope(message));
                }
                None
            }
            Err(other) => return Err(other),
        };
        match (granted, wanted) {
            (Some(filters), _) => Ok(Grant::Granted(filters)),
            (None, Wanted::All) => Ok(Grant::Withheld),
            (None, Wanted::Only(_)) => Err(FhirError::InsufficientScope(format!(
                "the token's scopes do not allow search of {} for this patient",
                R::TYPE.as_str()
            ))),
        }
    }
}
