//! The way of a data request through the house: scopes and compartment, the national source,
//! the release rules, the mapping, the search. HTTP handlers call this and only shape the
//! answer. `patient_record.rs` takes a patient's record as a whole for `$summary` and
//! `$everything`.

mod consents;
mod cross_border;
mod loadable;
mod log_rights;
mod patient_record;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::sync::Arc;

use time::Date;

use crate::audit::note::{self, Relation};
use crate::auth::principal::{Principal, Reach};
use crate::auth::scopes::Action;
use crate::clock::Clock;
use crate::consent::policy::{self, Actor, Categories, Decision, DenyReason};
use crate::consent::provisions::{self, Requester, Restrictions};
use crate::consent::settings::{BreakTheGlass, OwnUseAges};
use crate::consent::{self, RecordView};
use crate::fhir::resources::{MedicationRequest, Observation, Patient};
use crate::fhir::search::IndexValue;
use crate::fhir::search::matching::{default_sort_keys, matches_all, sort};
use crate::fhir::search::request::TokenSystem;
use crate::fhir::search::{
    Criterion, Modifier, SearchLimits, SearchRequest, SearchValue, Searchable,
};
use crate::fhir::{FhirError, Resource};
use crate::mapping::ids;
use crate::national_id::NationalId;
use crate::portal::Portals;
use crate::portal::model::Person;
use crate::store::ConsentStore;

pub use consents::ConsentAccess;
pub use loadable::Loadable;
pub use patient_record::{PatientRecord, Visible, Wanted, no_patient_with_identifier};

/// One page of a search, with the total that matched and the resources `_include` adds.
#[derive(Debug)]
pub struct SearchPage<R> {
    pub total: usize,
    pub matches: Vec<R>,
    pub included: Vec<Resource>,
}

#[derive(Clone)]
pub struct DataAccess {
    portals: Portals,
    /// The citizens' own Consents, read for every patient a request touches.
    consents: ConsentStore,
    base_url: String,
    limits: SearchLimits,
    /// Where national policy allows break-the-glass (R26).
    break_the_glass: BreakTheGlass,
    /// The date of every decision: ages, release dates, powers of attorney, Consent periods.
    clock: Clock,
    /// Denmark's and Finland's own-use ages, as configured (R44).
    own_use_ages: OwnUseAges,
}

/// What one caller may see of one patient.
struct Gate {
    categories: Categories,
    hide_locked: bool,
    restrictions: Restrictions,
    /// An attorney's mandate (R32): what lies outside it is refused, not left out.
    mandate: Option<Categories>,
}

/// The restrictions of v2 query scopes, parsed for one resource type.
type ScopeFilters = Option<Vec<Vec<Criterion>>>;

impl DataAccess {
    pub fn new(
        portals: Portals,
        consents: ConsentStore,
        fhir_base_url: String,
        limits: SearchLimits,
    ) -> DataAccess {
        DataAccess {
            portals,
            consents,
            base_url: fhir_base_url,
            limits,
            break_the_glass: BreakTheGlass::default(),
            own_use_ages: OwnUseAges::default(),
            clock: Clock::system(),
        }
    }

    /// Decides on `clock`'s date (the system's by default).
    pub fn with_clock(mut self, clock: Clock) -> DataAccess {
        self.clock = clock;
        self
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Allows break-the-glass for patients of these countries (none by default).
    pub fn with_break_the_glass(mut self, countries: BreakTheGlass) -> DataAccess {
        self.break_the_glass = countries;
        self
    }

    pub fn with_own_use_ages(mut self, ages: OwnUseAges) -> DataAccess {
        self.own_use_ages = ages;
        self
    }

    pub fn own_use_ages(&self) -> OwnUseAges {
        self.own_use_ages
    }

    pub fn break_the_glass(&self) -> &BreakTheGlass {
        &self.break_the_glass
    }

    pub fn portals(&self) -> &Portals {
        &self.portals
    }

    /// The Patient id of the person with this national identifier, if the portal knows them.
    pub async fn patient_id_of(
        &self,
        national_id: &NationalId,
    ) -> Result<Option<String>, FhirError> {
        let Some(source) = self.portals.get(national_id.country()) else {
            return Ok(None);
        };
        Ok(source
            .person_by_national_id(national_id)
            .await?
            .map(|p| ids::patient_id(national_id.country(), &p.key)))
    }

    pub async fn read<R: Loadable>(&self, principal: &Principal, id: &str) -> Result<R, FhirError> {
        let not_found = || FhirError::NotFound(format!("{}/{id} is not known", R::TYPE.as_str()));
        // Whose data this is, even if the read is refused.
        if let Some(parsed) = ids::parse(id) {
            note::patient(&ids::patient_id(parsed.country, parsed.person));
        }
        let (reach, filters) = self.authorize::<R>(principal, Action::Read)?;
        let parsed = ids::parse(id).ok_or_else(not_found)?;
        if parsed.record.is_some() != R::IS_RECORD {
            return Err(not_found());
        }
        let patient_id = ids::patient_id(parsed.country, parsed.person);
        // Outside the token's compartment a read answers as if nothing were there, so
        // that a patient token cannot probe which ids exist.
        if let Reach::Compartment(own) = &reach
            && *own != patient_id
        {
            return Err(not_found());
        }
        let resources = self
            .load::<R>(principal, &patient_id, parsed.record)
            .await?;
        let resource = resources
            .into_iter()
            .find(|r| r.id() == id)
            .ok_or_else(not_found)?;
        if !passes(&resource, &filters, self.clock.now_ms()) {
            return Err(not_found());
        }
        note_disclosed(std::slice::from_ref(&resource));
        Ok(resource)
    }

    pub async fn search<R: Loadable>(
        &self,
        principal: &Principal,
        request: &SearchRequest,
    ) -> Result<SearchPage<R>, FhirError> {
        note_named_patients(request);
        self.check_patient_bound(request)?;
        let reached = match self.authorize::<R>(principal, Action::Search) {
            Ok((reach, filters)) if R::IS_RECORD => self
                .record_candidates(request, &reach)
                .map(|candidates| (reach, filters, candidates)),
            Ok((reach, filters)) => self
                .patient_candidates(request, &reach)
                .await
                .map(|candidates| (reach, filters, candidates)),
            Err(e) => Err(e),
        };
        let (reach, filters, candidates) = match reached {
            Ok(reached) => reached,
            Err(refusal) => {
                // A refused attempt on people who exist is on their record (R35); names of
                // nobody stay the request's query.
                self.note_existing(request).await;
                return Err(refusal);
            }
        };
        // A search of clinical data is about the patients it names (or the token's own)
        // who exist: `load` notes them once found, whatever the search finds. A Patient
        // search is about those it finds, and a patient token's about its own patient.
        if let (false, Reach::Compartment(own)) = (R::IS_RECORD, &reach) {
            note::patient(own);
        }
        let now_ms = self.clock.now_ms();
        let mut found: Vec<R> = Vec::new();
        for patient_id in &candidates {
            for resource in self.load::<R>(principal, patient_id, None).await? {
                if matches_all(&resource, &request.criteria, now_ms)
                    && passes(&resource, &filters, now_ms)
                {
                    found.push(resource);
                }
            }
        }
        let keys = if request.sort.is_empty() {
            default_sort_keys::<R>()
        } else {
            request.sort.clone()
        };
        sort(&mut found, &keys);
        let total = found.len();
        let page: Vec<R> = found
            .into_iter()
            .skip(request.offset)
            .take(request.count)
            .collect();
        note_disclosed(&page);
        let included = self.included(principal, &page, &request.includes).await?;
        Ok(SearchPage {
            total,
            matches: page,
            included,
        })
    }

    /// Notes the patients a refused search named who exist, as patients of the record.
    async fn note_existing(&self, request: &SearchRequest) {
        for criterion in request
            .criteria
            .iter()
            .filter(|c| PATIENT_CRITERIA.contains(&c.name))
        {
            for value in &criterion.values {
                if let SearchValue::Reference(r) = value
                    && let Some(patient) = r.strip_prefix("Patient/")
                    && matches!(self.person(patient).await, Ok(Some(_)))
                {
                    note::patient(patient);
                }
            }
        }
    }

    /// One search names at most `fhir.max_patients_per_search` patients (by reference,
    /// `_id` or identifier), so that no request can make the server look up, decide for and
    /// log an unbounded list of people (400 beyond it).
    fn check_patient_bound(&self, request: &SearchRequest) -> Result<(), FhirError> {
        let named = request
            .criteria
            .iter()
            .filter(|c| {
                PATIENT_CRITERIA.contains(&c.name) || c.name == "identifier" || c.name == "_id"
            })
            .map(|c| c.values.len())
            .sum::<usize>();
        if named > self.limits.max_patients {
            return Err(FhirError::Invalid(format!(
                "a search names at most {} patients; this one names {named}",
                self.limits.max_patients
            )));
        }
        Ok(())
    }

    /// The scopes' reach for this type and action, and their query restrictions parsed.
    fn authorize<R: Loadable>(
        &self,
        principal: &Principal,
        action: Action,
    ) -> Result<(Reach, ScopeFilters), FhirError> {
        let (reach, queries) = principal.reach(R::TYPE.as_str(), action).ok_or_else(|| {
            FhirError::InsufficientScope(format!(
                "the token's scopes do not allow {} of {}",
                match action {
                    Action::Read => "read",
                    Action::Search => "search",
                    _ => "this interaction",
                },
                R::TYPE.as_str()
            ))
        })?;
        let filters = queries.map(|queries| {
            queries
                .iter()
                // A scope whose query this server cannot evaluate grants nothing.
                .filter_map(|q| {
                    SearchRequest::parse::<R>(q, self.limits, false, &self.base_url).ok()
                })
                .map(|r| r.criteria)
                .collect()
        });
        Ok((reach, filters))
    }

    /// The patients a clinical search is about: those named in `patient`/`subject`, or the
    /// token's own patient. A search without a patient is refused (R19).
    fn record_candidates(
        &self,
        request: &SearchRequest,
        reach: &Reach,
    ) -> Result<Vec<String>, FhirError> {
        let mut candidates: Option<BTreeSet<String>> = None;
        for criterion in request
            .criteria
            .iter()
            .filter(|c| c.name == "patient" || c.name == "subject")
        {
            if criterion.modifier != Modifier::None {
                continue;
            }
            let named: BTreeSet<String> = criterion
                .values
                .iter()
                .filter_map(|v| match v {
                    SearchValue::Reference(r) => r.strip_prefix("Patient/").map(str::to_owned),
                    _ => None,
                })
                .collect();
            candidates = Some(match candidates {
                None => named,
                Some(previous) => previous.intersection(&named).cloned().collect(),
            });
        }
        match (candidates, reach) {
            (Some(named), Reach::Compartment(own)) => {
                // Someone else's data is out of reach: the names stay the request's query
                // (noted above), not entries in those people's logs.
                if named.iter().any(|p| p != own) {
                    return Err(FhirError::Forbidden(
                        "a patient-context token can only search its own patient's data".into(),
                    ));
                }
                Ok(named.into_iter().collect())
            }
            (Some(named), Reach::AnyPatient) => Ok(named.into_iter().collect()),
            (None, Reach::Compartment(own)) => Ok(vec![own.clone()]),
            (None, Reach::AnyPatient) => Err(FhirError::Invalid(
                "a search of clinical data must name the patient (patient=...)".into(),
            )),
        }
    }

    /// The Patients a Patient search looks at: by `_id`, by national identifier (checked,
    /// R3; an unknown system is a 404, R11), or all the portals list.
    async fn patient_candidates(
        &self,
        request: &SearchRequest,
        reach: &Reach,
    ) -> Result<Vec<String>, FhirError> {
        let mut by_identifier: Option<BTreeSet<String>> = None;
        for criterion in request.criteria_on("identifier") {
            let mut found = BTreeSet::new();
            for value in &criterion.values {
                let SearchValue::Token {
                    system: TokenSystem::Is(system),
                    code,
                } = value
                else {
                    continue;
                };
                if crate::national_id::IdKind::from_system(system).is_none() {
                    return Err(FhirError::NotFound(format!(
                        "identifier system '{system}' is not known"
                    )));
                }
                let Some(code) = code else { continue };
                let id = NationalId::parse(system, code)
                    .map_err(|e| FhirError::Invalid(e.to_string()))?;
                if criterion.modifier == Modifier::None
                    && let Some(patient) = self.patient_id_of(&id).await?
                {
                    found.insert(patient);
                }
            }
            if criterion.modifier == Modifier::None
                && criterion.values.iter().all(|v| {
                    matches!(
                        v,
                        SearchValue::Token {
                            system: TokenSystem::Is(_),
                            code: Some(_)
                        }
                    )
                })
            {
                by_identifier = Some(match by_identifier {
                    None => found,
                    Some(previous) => previous.intersection(&found).cloned().collect(),
                });
            }
        }
        if let Reach::Compartment(own) = reach {
            // A patient token only ever finds its own patient; the criteria decide whether it
            // matches. Nothing about anyone else is looked up.
            return Ok(match by_identifier {
                Some(set) if !set.contains(own) => Vec::new(),
                _ => vec![own.clone()],
            });
        }
        if let Some(set) = by_identifier {
            return Ok(set.into_iter().collect());
        }
        let by_id: Vec<String> = request
            .criteria_on("_id")
            .filter(|c| c.modifier == Modifier::None)
            .flat_map(|c| c.values.iter())
            .filter_map(|v| match v {
                SearchValue::Token {
                    code: Some(code), ..
                } => Some(code.clone()),
                _ => None,
            })
            .collect();
        if !by_id.is_empty() {
            return Ok(by_id);
        }
        let mut all = Vec::new();
        for source in self.portals.all() {
            for person in source.persons().await? {
                all.push(ids::patient_id(source.country(), &person.key));
            }
        }
        Ok(all)
    }

    /// The resources of type `R` of one patient, as this principal may see them.
    /// `only` limits mapping to one record key (reads).
    async fn load<R: Loadable>(
        &self,
        principal: &Principal,
        patient_id: &str,
        only: Option<&str>,
    ) -> Result<Vec<R>, FhirError> {
        let Some(parsed) = ids::parse(patient_id).filter(|p| p.record.is_none()) else {
            return Ok(Vec::new());
        };
        let Some(source) = self.portals.get(parsed.country) else {
            return Ok(Vec::new());
        };
        let Some(person) = source.person(parsed.person).await? else {
            return Ok(Vec::new());
        };
        if R::IS_RECORD {
            // A person the portals know, whose data the request reaches for: an entry in
            // their log, whatever the decision below.
            note::patient(patient_id);
        }
        let today = self.clock.today();
        let Gate {
            categories,
            hide_locked,
            restrictions,
            mandate,
        } = self.gate(principal, patient_id, &person, today).await?;
        if mandate.is_some_and(|m| !m.contains(R::CATEGORY)) {
            return Err(FhirError::Forbidden(
                "the power of attorney does not cover this kind of data".into(),
            ));
        }
        if !categories.contains(R::CATEGORY) || restrictions.hides_type(R::TYPE.as_str()) {
            // Left out silently: the caller learns nothing of what is there (R25).
            return Ok(Vec::new());
        }
        let view = RecordView {
            viewer: principal.viewer_of(patient_id),
            categories,
            hide_locked,
            professional_id: principal.professional_id.as_deref(),
        };
        let records = if R::IS_RECORD {
            consent::visible_records(source.records(&person.key).await?, &view, today)
        } else {
            Default::default()
        };
        let mut resources = R::load(parsed.country, &person, &records, view.viewer, only);
        if !restrictions.is_empty() {
            resources.retain(|r| !restrictions.hides_resource(r));
        }
        Ok(resources)
    }

    /// What this caller may see of this patient: the policy decision (a refusal is a 403) and
    /// the patient's own restrictions. The Consents are read on every request, whoever asks:
    /// if the store cannot be read, nothing is served (R31, fail closed).
    async fn gate(
        &self,
        principal: &Principal,
        patient_id: &str,
        person: &Person,
        today: Date,
    ) -> Result<Gate, FhirError> {
        let (categories, hide_locked, emergency_override, mandate) =
            match self.decide(principal, patient_id, person, today).await? {
                Decision::Permit {
                    categories,
                    hide_locked,
                    emergency_override,
                    mandate,
                } => (categories, hide_locked, emergency_override, mandate),
                Decision::Deny(reason) => {
                    note::patient(patient_id);
                    return Err(FhirError::Forbidden(reason.message().to_owned()));
                }
            };
        let consents = self.consents.active_for_patient(patient_id).await?;
        // The patient's own restrictions bind others, not the patient's side; break-the-glass
        // overrides them where national policy allows (the decision says so).
        let patient_side = principal.acts_for(patient_id);
        // An NCP's request is made for its asserted purpose of use; provisions that name
        // another purpose do not bind it.
        let purposes: Vec<&str> = principal
            .professional
            .iter()
            .map(|p| p.purpose_of_use.code())
            .collect();
        let restrictions = if patient_side || emergency_override {
            Restrictions::default()
        } else {
            provisions::restrictions(
                &consents,
                &Requester {
                    professional_id: principal.professional_id.as_deref(),
                    organization: principal.organization.as_deref(),
                    purposes: &purposes,
                },
                today,
            )
        };
        Ok(Gate {
            categories,
            hide_locked,
            restrictions,
            mandate,
        })
    }

    /// The policy decision for this principal and patient: who acts, in what relation.
    async fn decide(
        &self,
        principal: &Principal,
        patient_id: &str,
        patient: &Person,
        today: Date,
    ) -> Result<Decision, FhirError> {
        let Some(actor_id) = principal
            .actor
            .as_deref()
            .filter(|_| principal.acts_for(patient_id))
        else {
            // Not the patient's side: a professional (by a user token, a patient-context
            // token of an EHR launch, or asserted by a National Contact Point), or a system.
            let actor = if principal.is_system() {
                Actor::System
            } else {
                Actor::Professional {
                    id: principal.professional_id.as_deref(),
                    emergency: principal.emergency
                        && self.break_the_glass.allows(patient.national_id.country()),
                }
            };
            return Ok(policy::decide_with(
                &self.own_use_ages,
                patient,
                actor,
                today,
            ));
        };
        // A citizen's token, identified by national identifier or the gateway's own login.
        if actor_id == patient_id {
            return Ok(policy::decide_with(
                &self.own_use_ages,
                patient,
                Actor::Subject,
                today,
            ));
        }
        let Some(actor) = self.person(actor_id).await? else {
            return Ok(Decision::Deny(DenyReason::NoRelation));
        };
        let same_country = actor.national_id.country() == patient.national_id.country();
        if same_country && patient.guardians.iter().any(|g| *g == actor.key) {
            note::relation(Relation::Guardian);
            return Ok(policy::decide_with(
                &self.own_use_ages,
                patient,
                Actor::Guardian(&actor),
                today,
            ));
        }
        let country = patient.national_id.country();
        let powers = match self.portals.get(country) {
            Some(source) if same_country => source.powers_of_attorney(&patient.key).await?,
            _ => Vec::new(),
        };
        note::relation(Relation::Attorney);
        let mut given: Vec<_> = powers
            .iter()
            .filter(|p| p.grantor == patient.key && p.holder == actor.key)
            .map(|power| {
                policy::decide_with(
                    &self.own_use_ages,
                    patient,
                    Actor::Attorney {
                        holder: &actor,
                        power,
                    },
                    today,
                )
            })
            .collect();
        // Of several powers, one in force decides; otherwise the refusal of the first.
        given.sort_by_key(|d| matches!(d, Decision::Deny(_)));
        Ok(given
            .into_iter()
            .next()
            .unwrap_or(Decision::Deny(DenyReason::NoRelation)))
    }

    async fn person(&self, patient_id: &str) -> Result<Option<Arc<Person>>, FhirError> {
        let Some(parsed) = ids::parse(patient_id).filter(|p| p.record.is_none()) else {
            return Ok(None);
        };
        match self.portals.get(parsed.country) {
            Some(source) => Ok(source.person(parsed.person).await?),
            None => Ok(None),
        }
    }

    /// What the page's `_include`s add: the resources its reference parameters point to
    /// (`MedicationRequest:patient`, `DiagnosticReport:result`), each through the checks a
    /// read of it would pass; those the caller may not read are left out, unannounced.
    async fn included<R: Loadable>(
        &self,
        principal: &Principal,
        page: &[R],
        includes: &[String],
    ) -> Result<Vec<Resource>, FhirError> {
        let mut targets: BTreeSet<&str> = BTreeSet::new();
        for include in includes {
            let Some(def) = include.split_once(':').and_then(|(_, p)| R::param(p)) else {
                continue;
            };
            for resource in page {
                for value in (def.extract)(resource) {
                    if let IndexValue::Reference(target) = value {
                        targets.insert(target);
                    }
                }
            }
        }
        let mut included: Vec<Resource> = Vec::new();
        let patients = targets.iter().filter_map(|t| t.strip_prefix("Patient/"));
        if principal.reach("Patient", Action::Read).is_some() {
            for id in patients {
                if let Ok(patient) = self.read::<Patient>(principal, id).await {
                    included.push(patient.into());
                }
            }
        }
        included.extend(
            self.included_records::<Observation>(principal, &targets)
                .await?,
        );
        included.extend(
            self.included_records::<MedicationRequest>(principal, &targets)
                .await?,
        );
        Ok(included)
    }

    /// The records of type `R` among the include targets (`Type/id`) that the caller may read.
    async fn included_records<R: Loadable>(
        &self,
        principal: &Principal,
        targets: &BTreeSet<&str>,
    ) -> Result<Vec<Resource>, FhirError> {
        let prefix = format!("{}/", R::TYPE.as_str());
        let wanted: BTreeSet<&str> = targets
            .iter()
            .filter_map(|t| t.strip_prefix(prefix.as_str()))
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.read_many::<R>(principal, &wanted).await?;
        Ok(found.into_iter().map(Into::into).collect())
    }

    /// The resources of type `R` with these ids that the caller may read, loading each
    /// patient's records once; the others are left out.
    async fn read_many<R: Loadable>(
        &self,
        principal: &Principal,
        ids_wanted: &BTreeSet<&str>,
    ) -> Result<Vec<R>, FhirError> {
        let Ok((reach, filters)) = self.authorize::<R>(principal, Action::Read) else {
            return Ok(Vec::new());
        };
        let patients: BTreeSet<String> = ids_wanted
            .iter()
            .filter_map(|id| ids::parse(id))
            .filter(|p| p.record.is_some())
            .map(|p| ids::patient_id(p.country, p.person))
            .filter(|patient| match &reach {
                Reach::Compartment(own) => own == patient,
                Reach::AnyPatient => true,
            })
            .collect();
        let now_ms = self.clock.now_ms();
        let mut found = Vec::new();
        for patient in &patients {
            match self.load::<R>(principal, patient, None).await {
                Ok(list) => found.extend(
                    list.into_iter()
                        .filter(|r| ids_wanted.contains(r.id()) && passes(r, &filters, now_ms)),
                ),
                Err(FhirError::Forbidden(_)) => {}
                Err(other) => return Err(other),
            }
        }
        note_disclosed(&found);
        Ok(found)
    }
}

/// Notes the patients a search names in its criteria, before anything may refuse it, as
/// the request's query: whether they exist and may be reached is decided later, and only
/// then are they patients whose logs get the entry (`load`, `gate`).
fn note_named_patients(request: &SearchRequest) {
    for value in request
        .criteria
        .iter()
        .filter(|c| PATIENT_CRITERIA.contains(&c.name))
        .flat_map(|c| c.values.iter())
    {
        if let SearchValue::Reference(r) = value
            && let Some(patient) = r.strip_prefix("Patient/")
        {
            note::named(patient);
        }
    }
}

/// The criteria whose values name patients.
const PATIENT_CRITERIA: [&str; 2] = ["patient", "subject"];

/// Notes the resources a response discloses, for the access log.
fn note_disclosed<R: Searchable>(resources: &[R]) {
    note::disclosed(
        resources
            .iter()
            .map(|r| (R::TYPE.as_str(), r.id(), r.patient_id())),
    );
}

fn passes<R: Searchable>(resource: &R, filters: &ScopeFilters, now_ms: i64) -> bool {
    match filters {
        None => true,
        Some(alternatives) => alternatives
            .iter()
            .any(|criteria| matches_all(resource, criteria, now_ms)),
    }
}
