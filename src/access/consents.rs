//! Reading the citizen's Consent resources from the gateway's store.
//!
//! Who may read them: the patient themself, through a patient-context token with Consent
//! scopes. A Consent tells what is restricted, and a restriction is invisible to the
//! restricted party (R25), so professionals and systems get 403, and so does someone acting
//! for the patient (R32). Outside the token's compartment, a read answers 404 like any read.
//!
//! One exception (R29): a health data access body, a system client named in
//! `consent.health_data_access_bodies`, searches and reads the secondary-use Consents (scope
//! `research`) of every patient, so that it can leave out of a data permit the people who
//! opted out. It never sees a Consent of another scope.
//!
//! A store that cannot be read is a 503 (fail closed, R31), never an empty answer.

use crate::access::SearchPage;
use crate::audit::note;
use crate::auth::principal::{Principal, Reach};
use crate::auth::scopes::Action;
use crate::clock::Clock;
use crate::consent::portal_opt_out;
use crate::consent::validation::{Enforceable, validate};
use crate::fhir::resources::Consent;
use crate::fhir::resources::consent::CONSENT_SCOPE_SYSTEM;
use crate::fhir::search::matching::{default_sort_keys, matches_all, sort};
use crate::fhir::search::{
    Criterion, Modifier, SearchLimits, SearchRequest, SearchValue, TokenSystem,
};
use crate::fhir::{DomainResource, FhirError};
use crate::portal::Portals;
use crate::store::{CodeFilter, ConsentQuery, ConsentStore, StoreError, StoredConsent};

/// The scope code of secondary-use Consents (EHDS art. 71).
const RESEARCH: &str = "research";

#[derive(Clone)]
pub struct ConsentAccess {
    consents: ConsentStore,
    base_url: String,
    limits: SearchLimits,
    /// Client ids with the health-data-access-body role (R29).
    access_bodies: Vec<String>,
    enforceable: Enforceable,
    /// The national portals, whose registers hold secondary-use opt-outs too (R29).
    portals: Option<Portals>,
    /// The gateway's clock, for searches with relative dates.
    clock: Clock,
}

/// Whose Consents a reader reaches.
enum Reader {
    /// The patient's own, through the token's patient context, within the v2 scope filters.
    Patient(String, ScopeFilters),
    /// Every patient's secondary-use Consents (R29).
    AccessBody,
}

impl ConsentAccess {
    pub fn new(
        consents: ConsentStore,
        fhir_base_url: String,
        limits: SearchLimits,
        access_bodies: Vec<String>,
    ) -> Self {
        ConsentAccess {
            consents,
            base_url: fhir_base_url,
            limits,
            access_bodies,
            enforceable: Enforceable::default(),
            portals: None,
            clock: Clock::default(),
        }
    }

    /// Lets a health data access body's reads include the opt-outs registered in these
    /// portals (R29).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_portals(mut self, portals: Portals) -> Self {
        self.portals = Some(portals);
        self
    }

    /// Every secondary-use opt-out registered in a national portal, as Consents.
    async fn portal_opt_outs(&self) -> Result<Vec<Consent>, FhirError> {
        let mut found = Vec::new();
        for source in self.portals.iter().flat_map(Portals::all) {
            for person in source.persons().await? {
                let patient_id = crate::mapping::ids::patient_id(source.country(), &person.key);
                found.extend(portal_opt_out::consent_of(&person, &patient_id));
            }
        }
        Ok(found)
    }

    /// The mirrored opt-out with this id, if it is one and the person still has it.
    async fn portal_opt_out(&self, id: &str) -> Result<Option<Consent>, FhirError> {
        let Some(patient_id) = portal_opt_out::patient_of(id) else {
            return Ok(None);
        };
        let Some(parsed) = crate::mapping::ids::parse(patient_id).filter(|p| p.record.is_none())
        else {
            return Ok(None);
        };
        let Some(source) = self.portals.as_ref().and_then(|p| p.get(parsed.country)) else {
            return Ok(None);
        };
        Ok(source
            .person(parsed.person)
            .await?
            .and_then(|person| portal_opt_out::consent_of(&person, patient_id)))
    }

    /// What provisions this gateway can apply, beyond the basics (see `Enforceable`).
    pub fn enforcing(mut self, enforceable: Enforceable) -> Self {
        self.enforceable = enforceable;
        self
    }

    pub async fn read(&self, principal: &Principal, id: &str) -> Result<Consent, FhirError> {
        let not_found = || FhirError::NotFound(format!("Consent/{id} is not known"));
        let reader = self.reader(principal, Action::Read)?;
        if let Reader::AccessBody = reader
            && let Some(mirrored) = self.portal_opt_out(id).await?
        {
            disclosed(std::slice::from_ref(&mirrored));
            return Ok(mirrored);
        }
        let stored = match self.consents.read(id).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        let consent = stored.consent;
        let visible = match &reader {
            Reader::Patient(own, filters) => {
                consent.patient_id() == Some(own.as_str())
                    && passes(&consent, filters, self.clock.now_ms())
            }
            Reader::AccessBody => is_research(&consent),
        };
        if !visible {
            return Err(not_found());
        }
        disclosed(std::slice::from_ref(&consent));
        Ok(consent)
    }

    pub async fn search(
        &self,
        principal: &Principal,
        request: &SearchRequest,
    ) -> Result<SearchPage<Consent>, FhirError> {
        let reader = self.reader(principal, Action::Search)?;
        let mirrored = match reader {
            // The portals' registers count as much as the gateway's own Consents (F3).
            Reader::AccessBody => self.portal_opt_outs().await?,
            Reader::Patient(..) => Vec::new(),
        };
        let (query, filters) = match reader {
            Reader::Patient(own, filters) => (Self::own_query(own, request)?, filters),
            Reader::AccessBody => (research_query(request)?, None),
        };
        let now_ms = self.clock.now_ms();
        let mut found: Vec<Consent> = self
            .consents
            .search(&query)
            .await?
            .into_iter()
            .map(|s| s.consent)
            .chain(mirrored)
            .filter(|c| matches_all(c, &request.criteria, now_ms) && passes(c, &filters, now_ms))
            .collect();
        let keys = if request.sort.is_empty() {
            default_sort_keys::<Consent>()
        } else {
            request.sort.clone()
        };
        sort(&mut found, &keys);
        let total = found.len();
        let matches: Vec<Consent> = found
            .into_iter()
            .skip(request.offset)
            .take(request.count)
            .collect();
        disclosed(&matches);
        Ok(SearchPage {
            total,
            matches,
            included: Vec::new(),
        })
    }

    /// The store query of a patient's search of their own Consents.
    fn own_query(own: String, request: &SearchRequest) -> Result<ConsentQuery, FhirError> {
        for criterion in request.criteria_on("patient") {
            let names_other = criterion.values.iter().any(|v| {
                !matches!(v, SearchValue::Reference(r) if r.strip_prefix("Patient/") == Some(own.as_str()))
            });
            if criterion.modifier == Modifier::None && names_other {
                return Err(FhirError::Forbidden(
                    "a patient-context token can only search its own patient's consents".into(),
                ));
            }
        }
        // The store narrows by the indexed columns; the criteria then decide with full R4
        // semantics (modifiers, OR lists, date prefixes).
        Ok(ConsentQuery {
            patient: Some(own),
            status: plain_codes(request.criteria_on("status")),
            ..Default::default()
        })
    }

    /// A new Consent of the token's own patient (R24). Nothing is stored unless it is valid.
    pub async fn create(
        &self,
        principal: &Principal,
        mut consent: Consent,
    ) -> Result<StoredConsent, FhirError> {
        let (own, _) = self.authorize(principal, Action::Create)?;
        validate(&consent, &own, self.enforceable)?;
        // The server names the resource (R4 create ignores a client's id).
        consent.id = String::new();
        let stored = self.consents.create(consent).await?;
        disclosed(std::slice::from_ref(&stored.consent));
        Ok(stored)
    }

    /// A new version of one of the patient's Consents; `expected_version` comes from
    /// `If-Match`, and a stale one changes nothing (412).
    pub async fn update(
        &self,
        principal: &Principal,
        id: &str,
        expected_version: i64,
        consent: Consent,
    ) -> Result<StoredConsent, FhirError> {
        let (own, _) = self.authorize(principal, Action::Update)?;
        if !consent.id.is_empty() && consent.id != id {
            return Err(FhirError::Invalid(format!(
                "the resource's id '{}' is not the id '{id}' of the URL",
                consent.id
            )));
        }
        self.owned(id, &own).await?;
        validate(&consent, &own, self.enforceable)?;
        let stored =
            stale_is_precondition(self.consents.update(id, expected_version, consent).await)?;
        disclosed(std::slice::from_ref(&stored.consent));
        Ok(stored)
    }

    /// Withdrawal: a new version with status `inactive`; the history stays (never deleted).
    pub async fn withdraw(
        &self,
        principal: &Principal,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<StoredConsent, FhirError> {
        let (own, _) = self.authorize(principal, Action::Delete)?;
        let current = self.owned(id, &own).await?;
        let version = expected_version.unwrap_or(current.version);
        let stored = stale_is_precondition(self.consents.withdraw(id, version).await)?;
        disclosed(std::slice::from_ref(&stored.consent));
        Ok(stored)
    }

    /// The stored Consent `id`, if it belongs to `own`; 404 otherwise, as for reads.
    async fn owned(&self, id: &str, own: &str) -> Result<StoredConsent, FhirError> {
        let not_found = || FhirError::NotFound(format!("Consent/{id} is not known"));
        match self.consents.read(id).await {
            Ok(stored) if stored.consent.patient_id() == Some(own) => Ok(stored),
            Ok(_) | Err(StoreError::NotFound) => Err(not_found()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whose Consents the principal reads: a health data access body reads the
    /// secondary-use Consents of all; anyone else is held to the patient rules.
    fn reader(&self, principal: &Principal, action: Action) -> Result<Reader, FhirError> {
        let is_access_body = principal.patient.is_none()
            && principal
                .token
                .client_id
                .as_ref()
                .is_some_and(|client| self.access_bodies.contains(client))
            && principal
                .reach("Consent", action)
                .is_some_and(|(reach, _)| reach == Reach::AnyPatient);
        if is_access_body {
            return Ok(Reader::AccessBody);
        }
        let (own, filters) = self.authorize(principal, action)?;
        Ok(Reader::Patient(own, filters))
    }

    /// The patient whose Consents the principal may read or change, and the v2 scope
    /// restrictions.
    fn authorize(
        &self,
        principal: &Principal,
        action: Action,
    ) -> Result<(String, ScopeFilters), FhirError> {
        // Whose Consents these are, even if the request is refused.
        if let Some(own) = &principal.patient {
            note::patient(own);
        }
        let (reach, queries) = principal.reach("Consent", action).ok_or_else(|| {
            FhirError::InsufficientScope(format!(
                "the token's scopes do not allow {} of Consent",
                match action {
                    Action::Read | Action::Search => "reading",
                    Action::Create => "creation",
                    Action::Update => "update",
                    Action::Delete => "withdrawal",
                }
            ))
        })?;
        let own = match reach {
            Reach::Compartment(own) => own,
            Reach::AnyPatient => {
                return Err(FhirError::Forbidden(
                    "Consent resources are shown to the patient they belong to only".into(),
                ));
            }
        };
        // Only the patient themself, identified as such (not by a `patient` claim alone):
        // someone acting for the patient (a guardian, the holder of a power of attorney)
        // neither sees nor changes the patient's Consents (R32), nor does a professional
        // whose token carries the patient's context.
        if !principal.is_patient(&own) {
            return Err(FhirError::Forbidden(
                "Consent resources are read and changed by the patient they belong to only".into(),
            ));
        }
        let filters = queries.map(|queries| {
            queries
                .iter()
                // A scope whose query this server cannot evaluate grants nothing.
                .filter_map(|q| {
                    SearchRequest::parse::<Consent>(q, self.limits, false, &self.base_url).ok()
                })
                .map(|r| r.criteria)
                .collect()
        });
        Ok((own, filters))
    }
}

type ScopeFilters = Option<Vec<Vec<Criterion>>>;

/// The store query of a health data access body's search: it must ask for the research
/// scope, so that a query can never reach a patient's privacy restrictions.
fn research_query(request: &SearchRequest) -> Result<ConsentQuery, FhirError> {
    let mut scope = request.criteria_on("scope");
    let asks_research = match (scope.next(), scope.next()) {
        (Some(only), None) => {
            only.modifier == Modifier::None
                && !only.values.is_empty()
                && only.values.iter().all(|v| {
                    matches!(v, SearchValue::Token { system, code: Some(code) }
                    if code == RESEARCH && match system {
                        TokenSystem::Any => true,
                        TokenSystem::Is(s) => s == CONSENT_SCOPE_SYSTEM,
                        TokenSystem::Absent => false,
                    })
                })
        }
        _ => false,
    };
    if !asks_research {
        return Err(FhirError::Forbidden(
            "a health data access body searches secondary-use Consents only: add scope=research"
                .into(),
        ));
    }
    Ok(ConsentQuery {
        scope: Some(CodeFilter::code(RESEARCH)),
        status: plain_codes(request.criteria_on("status")),
        ..Default::default()
    })
}

fn is_research(consent: &Consent) -> bool {
    consent.scope.coding.iter().any(|c| {
        c.system.as_deref() == Some(CONSENT_SCOPE_SYSTEM) && c.code.as_deref() == Some(RESEARCH)
    })
}

/// A write on a version that is no longer current: with `If-Match`, R4 says 412.
fn stale_is_precondition(
    result: Result<StoredConsent, StoreError>,
) -> Result<StoredConsent, FhirError> {
    match result {
        Err(StoreError::Conflict { current_version }) => Err(FhirError::PreconditionFailed(
            format!("the Consent has changed: its current version is {current_version}"),
        )),
        Err(StoreError::NotFound) => Err(FhirError::NotFound("the Consent is not known".into())),
        other => Ok(other?),
    }
}

fn passes(consent: &Consent, filters: &ScopeFilters, now_ms: i64) -> bool {
    match filters {
        None => true,
        Some(alternatives) => alternatives
            .iter()
            .any(|criteria| matches_all(consent, criteria, now_ms)),
    }
}

/// The codes of a token parameter given plainly (no modifier), if there is exactly one such
/// criterion; otherwise nothing to narrow by.
fn plain_codes<'a>(mut criteria: impl Iterator<Item = &'a Criterion>) -> Vec<String> {
    let (Some(only), None) = (criteria.next(), criteria.next()) else {
        return Vec::new();
    };
    if only.modifier != Modifier::None {
        return Vec::new();
    }
    let codes: Option<Vec<String>> = only
        .values
        .iter()
        .map(|v| match v {
            SearchValue::Token {
                code: Some(code), ..
            } => Some(code.clone()),
            _ => None,
        })
        .collect();
    codes.unwrap_or_default()
}

/// Notes the Consents a response discloses, for the access log.
fn disclosed(consents: &[Consent]) {
    note::disclosed(
        consents
            .iter()
            .map(|c| ("Consent", c.id.as_str(), c.patient_id())),
    );
}
