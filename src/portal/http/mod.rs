//! The national systems over HTTP: a `PortalSource` that reads one country's records from an
//! upstream that implements the contract (`docs/portal-upstream-contract.md`).
//!
//! A call goes: cache (`cache`) ▸ circuit breaker (`breaker`) ▸ one attempt (`client`) ▸
//! on a transient failure of an idempotent call, a jittered pause and another attempt
//! (`retry`), all within one deadline per gateway request (`request_context`) ▸ the answer
//! checked against the contract (`contract`) ▸ cached. Each job has its module; this one
//! only puts them together and counts what happens.

pub mod breaker;
pub mod cache;
pub mod client;
pub mod config;
pub mod contract;
pub mod oauth;
pub mod retry;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::national_id::{Country, NationalId};
use crate::portal::model::{Person, PowerOfAttorney};
use crate::portal::{PersonRecords, PortalError, PortalSource, SourceHealth, is_valid_key};
use crate::request_context;

use breaker::{Breaker, BreakerState};
use cache::{Cached, Part, RecordCache};
use client::{Answer, Call, Client, ClientError, Failure, Operation};
use config::HttpSourceSettings;
use retry::RetryPolicy;

pub struct HttpSource {
    country: Country,
    /// The country code, for metric labels.
    label: &'static str,
    timeout: Duration,
    listing: bool,
    client: Client,
    breaker: Breaker,
    retry: RetryPolicy,
    cache: RecordCache,
    last_error: Mutex<Option<&'static str>>,
}

impl HttpSource {
    pub fn new(
        country: Country,
        settings: &HttpSourceSettings,
        clock: crate::clock::Clock,
    ) -> Result<HttpSource, ClientError> {
        let label = country.code();
        Ok(HttpSource {
            country,
            label,
            timeout: settings.timeout(),
            listing: settings.listing,
            client: Client::new(settings, label)?,
            breaker: Breaker::new(&settings.breaker, label, clock),
            retry: RetryPolicy::new(settings),
            cache: RecordCache::new(
                Duration::from_secs(settings.cache_ttl_seconds),
                settings.cache_capacity,
                label,
            ),
            last_error: Mutex::new(None),
        })
    }

    /// The call with breaker and retries, within the current request's deadline.
    async fn call(&self, call: Call) -> Result<Answer, Failure> {
        let deadline = request_context::upstream_deadline(self.timeout);
        let mut retries = 0;
        loop {
            // An earlier call of this request used up the budget: nothing is sent, and the
            // upstream is not blamed for it.
            if Instant::now() >= deadline {
                return Err(Failure::Timeout);
            }
            let result = match self.breaker.acquire() {
                Err(rejected) => Err(Failure::Open {
                    retry_after_seconds: rejected.retry_after_seconds,
                }),
                Ok(permit) => {
                    let result = self.client.attempt(&call, deadline).await;
                    match &result {
                        Err(f) if f.counts_against_breaker() => permit.failure(),
                        _ => permit.success(),
                    }
                    result
                }
            };
            self.count(call.operation, &result);
            let failure = match result {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            if !self
                .retry
                .should_retry(call.operation.idempotency(), &failure, retries)
            {
                return Err(failure);
            }
            let pause = self.retry.backoff(retries);
            if Instant::now() + pause >= deadline {
                return Err(failure);
            }
            retries += 1;
            metrics::counter!("ehds_upstream_retries_total", "country" => self.label,
                "operation" => call.operation.label())
            .increment(1);
            tokio::time::sleep(pause).await;
        }
    }

    fn count(&self, operation: Operation, result: &Result<Answer, Failure>) {
        let outcome = match result {
            Ok(Answer::Found(_)) => "ok",
            Ok(Answer::NotFound) => "not-found",
            Err(f) => {
                self.note(f);
                f.kind()
            }
        };
        metrics::counter!(
            "ehds_upstream_requests_total",
            "country" => self.label,
            "operation" => operation.label(),
            "outcome" => outcome
        )
        .increment(1);
    }

    fn note(&self, failure: &Failure) {
        if !matches!(failure, Failure::Open { .. }) {
            *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(failure.kind());
        }
    }

    /// The gateway's view of a failed call; logged without anything of the answer.
    fn fail(&self, operation: Operation, failure: Failure) -> PortalError {
        match &failure {
            // Counted in the metrics; one line per refused request would flood the log.
            Failure::Open { .. } => {
                tracing::debug!(
                    country = self.label,
                    operation = operation.label(),
                    "upstream circuit open"
                );
            }
            Failure::BadData(reason) => {
                tracing::warn!(
                    country = self.label,
                    operation = operation.label(),
                    reason,
                    "upstream answer refused"
                );
            }
            other => {
                tracing::warn!(
                    country = self.label,
                    operation = operation.label(),
                    failure = other.kind(),
                    "upstream call failed"
                );
            }
        }
        failure.into_portal_error(self.breaker.open_seconds())
    }

    /// The outcome of a contract check: a refused answer is malformed data, logged and noted.
    fn checked<T>(
        &self,
        operation: Operation,
        result: Result<T, contract::Invalid>,
    ) -> Result<T, PortalError> {
        result.map_err(|contract::Invalid(reason)| {
            self.note(&Failure::BadData(reason));
            self.fail(operation, Failure::BadData(reason))
        })
    }

    async fn get(&self, operation: Operation, path: String) -> Result<Answer, PortalError> {
        self.call(Call {
            operation,
            path,
            body: None,
        })
        .await
        .map_err(|f| self.fail(operation, f))
    }

    async fn fetch_person(&self, key: &str) -> Result<Option<Arc<Person>>, PortalError> {
        let op = Operation::Person;
        match self.get(op, contract::person_path(key)).await? {
            Answer::NotFound => Ok(None),
            Answer::Found(body) => {
                let person = self.checked(op, contract::person(self.country, key, &body))?;
                Ok(Some(Arc::new(person)))
            }
        }
    }

    async fn fetch_records(&self, key: &str) -> Result<Arc<PersonRecords>, PortalError> {
        let op = Operation::Records;
        match self.get(op, contract::records_path(key)).await? {
            Answer::NotFound => Ok(Arc::default()),
            Answer::Found(body) => Ok(Arc::new(self.checked(op, contract::records(key, &body))?)),
        }
    }

    async fn fetch_powers(&self, key: &str) -> Result<Arc<Vec<PowerOfAttorney>>, PortalError> {
        let op = Operation::PowersOfAttorney;
        match self.get(op, contract::powers_of_attorney_path(key)).await? {
            Answer::NotFound => Ok(Arc::default()),
            Answer::Found(body) => Ok(Arc::new(
                self.checked(op, contract::powers_of_attorney(key, &body))?,
            )),
        }
    }

    /// One probe of `GET /v1/health`, outside the breaker and the request's deadline:
    /// readiness observes the upstream, it does not count as traffic.
    async fn probe(&self) -> Result<(), Failure> {
        let call = Call {
            operation: Operation::Health,
            path: contract::HEALTH.to_owned(),
            body: None,
        };
        let result = self
            .client
            .attempt(&call, Instant::now() + self.timeout)
            .await;
        self.count(Operation::Health, &result);
        match result? {
            Answer::Found(body) => contract::health(&body).map_err(|contract::Invalid(r)| {
                let failure = Failure::BadData(r);
                self.note(&failure);
                failure
            }),
            Answer::NotFound => {
                let failure = Failure::Status(404);
                self.note(&failure);
                Err(failure)
            }
        }
    }
}

#[async_trait]
impl PortalSource for HttpSource {
    fn country(&self) -> Country {
        self.country
    }

    async fn person(&self, key: &str) -> Result<Option<Arc<Person>>, PortalError> {
        // A key that cannot exist is not sent anywhere.
        if !is_valid_key(key) {
            return Ok(None);
        }
        if let Some(Cached::Person(p)) = self.cache.get(key, Part::Person) {
            return Ok(Some(p));
        }
        let epoch = self.cache.epoch();
        let person = self.fetch_person(key).await?;
        if let Some(p) = &person {
            self.cache
                .insert(epoch, key, Part::Person, Cached::Person(p.clone()));
        }
        Ok(person)
    }

    async fn person_by_national_id(
        &self,
        id: &NationalId,
    ) -> Result<Option<Arc<Person>>, PortalError> {
        if id.country() != self.country {
            return Ok(None);
        }
        let op = Operation::Lookup;
        let body = serde_json::to_vec(&contract::LookupRequest {
            national_id: id.clone(),
        })
        .map_err(|_| PortalError::BadData)?;
        let epoch = self.cache.epoch();
        let answer = self
            .call(Call {
                operation: op,
                path: contract::LOOKUP.to_owned(),
                body: Some(body),
            })
            .await
            .map_err(|f| self.fail(op, f))?;
        match answer {
            Answer::NotFound => Ok(None),
            Answer::Found(body) => {
                let person =
                    Arc::new(self.checked(op, contract::looked_up(self.country, id, &body))?);
                self.cache.insert(
                    epoch,
                    &person.key,
                    Part::Person,
                    Cached::Person(person.clone()),
                );
                Ok(Some(person))
            }
        }
    }

    async fn persons(&self) -> Result<Vec<Arc<Person>>, PortalError> {
        if !self.listing {
            return Err(PortalError::ListingNotSupported);
        }
        let op = Operation::Persons;
        let epoch = self.cache.epoch();
        match self.get(op, contract::PERSONS.to_owned()).await? {
            // The contract makes listing optional: an upstream without it answers 404.
            Answer::NotFound => Err(PortalError::ListingNotSupported),
            Answer::Found(body) => {
                let persons = self.checked(op, contract::persons(self.country, &body))?;
                for p in &persons {
                    self.cache
                        .insert(epoch, &p.key, Part::Person, Cached::Person(p.clone()));
                }
                Ok(persons)
            }
        }
    }

    async fn records(&self, person_key: &str) -> Result<Arc<PersonRecords>, PortalError> {
        if !is_valid_key(person_key) {
            return Ok(Arc::default());
        }
        if let Some(Cached::Records(r)) = self.cache.get(person_key, Part::Records) {
            return Ok(r);
        }
        let epoch = self.cache.epoch();
        let records = self.fetch_records(person_key).await?;
        self.cache.insert(
            epoch,
            person_key,
            Part::Records,
            Cached::Records(records.clone()),
        );
        Ok(records)
    }

    async fn powers_of_attorney(
        &self,
        person_key: &str,
    ) -> Result<Vec<PowerOfAttorney>, PortalError> {
        if !is_valid_key(person_key) {
            return Ok(Vec::new());
        }
        if let Some(Cached::PowersOfAttorney(p)) =
            self.cache.get(person_key, Part::PowersOfAttorney)
        {
            return Ok(p.to_vec());
        }
        let epoch = self.cache.epoch();
        let powers = self.fetch_powers(person_key).await?;
        self.cache.insert(
            epoch,
            person_key,
            Part::PowersOfAttorney,
            Cached::PowersOfAttorney(powers.clone()),
        );
        Ok(powers.to_vec())
    }

    async fn health(&self) -> SourceHealth {
        let state = self.breaker.state();
        // An open circuit is not ready, and is left alone until its time is up.
        let ready = state != BreakerState::Open && self.probe().await.is_ok();
        SourceHealth {
            country: self.country,
            kind: "http",
            ready,
            breaker: Some(state.label()),
            last_error: *self.last_error.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    fn invalidate(&self, person_key: &str) {
        self.cache.invalidate(person_key);
    }

    fn invalidate_all(&self) {
        self.cache.invalidate_all();
    }
}
