//! Consent resources with their version history (R24, R29), and what the policy engine
//! reads on every request.
//!
//! Every write is a new version: `consents` holds the current one with its search columns,
//! `consent_versions` every one. Writers name the version they read (`expected_version`);
//! a write against a version that is no longer current is a conflict, so two clients
//! cannot silently overwrite each other's changes. Nothing is ever hard-deleted: a
//! withdrawal is a version with status `inactive`.

use time::OffsetDateTime;

use crate::fhir::Resource;
use crate::fhir::resources::Consent;
use crate::store::active_consents::Active;
use crate::store::consent_changes;
use crate::store::consent_index::{ConsentIndex, instant_text, now_ms};
use crate::store::consent_search::{self, ConsentQuery, Select};
use crate::store::sql::{Bind, ResourceRow, Statement, Written};
use crate::store::{Store, StoreError};

/// One version of a Consent as stored: `consent` carries `id`, `meta.versionId` and
/// `meta.lastUpdated` matching the other fields.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConsent {
    pub id: String,
    pub version: i64,
    pub last_updated: OffsetDateTime,
    pub consent: Consent,
}

/// The status a withdrawal gives a Consent.
pub const WITHDRAWN_STATUS: &str = "inactive";

#[derive(Debug, Clone)]
pub struct ConsentStore {
    store: Store,
}

const INSERT_CONSENT: &str = "INSERT INTO consents \
    (id, version, patient_id, status, scope_system, scope_code, date_start_ms, date_end_ms, last_updated_ms, resource) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Moves the current version forward only from the version the writer read.
const UPDATE_CONSENT: &str = "UPDATE consents SET version = $3, patient_id = $4, status = $5, \
    scope_system = $6, scope_code = $7, date_start_ms = $8, date_end_ms = $9, \
    last_updated_ms = $10, resource = $11 WHERE id = $1 AND version = $2";

const INSERT_VERSION: &str = "INSERT INTO consent_versions \
    (consent_id, version, status, last_updated_ms, resource) VALUES ($1, $2, $3, $4, $5)";

const DELETE_CATEGORIES: &str = "DELETE FROM consent_categories WHERE consent_id = $1";

const INSERT_CATEGORY: &str =
    "INSERT INTO consent_categories (consent_id, system, code) VALUES ($1, $2, $3)";

impl ConsentStore {
    pub fn new(store: Store) -> ConsentStore {
        ConsentStore { store }
    }

    /// Stores a new Consent as version 1 under a new id. Whatever `id` and `meta` the
    /// resource carries are replaced.
    pub async fn create(&self, consent: Consent) -> Result<StoredConsent, StoreError> {
        let index = ConsentIndex::of(&consent)?;
        let stored = StoredConsent::stamp(consent, new_id(), 1, now_ms());
        let json = stored.json()?;
        let ms = stored.last_updated_ms();
        let mut statements = vec![Statement::new(
            INSERT_CONSENT,
            [
                vec![Bind::Text(stored.id.clone()), Bind::Int(stored.version)],
                indexed_columns(&index, ms, &json),
            ]
            .concat(),
        )];
        statements.extend(history_and_categories(&stored, &index, json, false));
        match self.write_for(&index.patient_id, statements).await? {
            Written::Committed => Ok(stored),
            Written::GuardFailed => Err(StoreError::Corrupt("an unguarded insert failed".into())),
        }
    }

    /// The current version.
    pub async fn read(&self, id: &str) -> Result<StoredConsent, StoreError> {
        let rows = self
            .store
            .fetch_resources(
                "SELECT id, version, last_updated_ms, resource FROM consents WHERE id = $1".into(),
                vec![Bind::Text(id.to_owned())],
            )
            .await?;
        rows.into_iter()
            .next()
            .ok_or(StoreError::NotFound)
            .and_then(StoredConsent::from_row)
    }

    /// Every version, newest first.
    pub async fn history(&self, id: &str) -> Result<Vec<StoredConsent>, StoreError> {
        let rows = self
            .store
            .fetch_resources(
                "SELECT consent_id AS id, version, last_updated_ms, resource FROM consent_versions \
                 WHERE consent_id = $1 ORDER BY version DESC"
                    .into(),
                vec![Bind::Text(id.to_owned())],
            )
            .await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound);
        }
        rows.into_iter().map(StoredConsent::from_row).collect()
    }

    /// Replaces the current version, which must be `expected_version`; the result is
    /// `expected_version + 1`.
    pub async fn update(
        &self,
        id: &str,
        expected_version: i64,
        consent: Consent,
    ) -> Result<StoredConsent, StoreError> {
        let index = ConsentIndex::of(&consent)?;
        let stored = StoredConsent::stamp(consent, id.to_owned(), expected_version + 1, now_ms());
        let json = stored.json()?;
        let ms = stored.last_updated_ms();
        let mut statements = vec![Statement::guarded(
            UPDATE_CONSENT,
            [
                vec![
                    Bind::Text(stored.id.clone()),
                    Bind::Int(expected_version),
                    Bind::Int(stored.version),
                ],
                indexed_columns(&index, ms, &json),
            ]
            .concat(),
        )];
        statements.extend(history_and_categories(&stored, &index, json, true));
        match self.write_for(&index.patient_id, statements).await? {
            Written::Committed => Ok(stored),
            Written::GuardFailed => Err(self.why_not_current(id).await?),
        }
    }

    /// Withdraws the Consent: a new version with status `inactive`; earlier versions stay in
    /// the history.
    pub async fn withdraw(
        &self,
        id: &str,
        expected_version: i64,
    ) -> Result<StoredConsent, StoreError> {
        let current = self.read(id).await?;
        if current.version != expected_version {
            return Err(StoreError::Conflict {
                current_version: current.version,
            });
        }
        let mut consent = current.consent;
        consent.status = WITHDRAWN_STATUS.to_owned();
        // The update is guarded by the version too, so a change between the read and this
        // write is still a conflict.
        self.update(id, expected_version, consent).await
    }

    /// Current versions matching the query, newest first.
    pub async fn search(&self, query: &ConsentQuery) -> Result<Vec<StoredConsent>, StoreError> {
        let (sql, binds) = consent_search::sql(query, Select::Rows);
        let rows = self.store.fetch_resources(sql, binds).await?;
        rows.into_iter().map(StoredConsent::from_row).collect()
    }

    /// How many current versions match the query (its `limit` and `offset` are ignored).
    pub async fn count(&self, query: &ConsentQuery) -> Result<u64, StoreError> {
        let (sql, binds) = consent_search::sql(query, Select::Count);
        let count = self.store.fetch_integer(sql, binds).await?.unwrap_or(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The patient's Consents in force (status `active`), whatever their scope: what the
    /// policy engine applies to every request about this patient. Kept in memory between
    /// requests while every change to them is heard (`ActiveConsents`).
    pub async fn active_for_patient(&self, patient_id: &str) -> Result<Active, StoreError> {
        let cache = self.store.active_consents();
        if let Some(active) = cache.get(patient_id) {
            return Ok(active);
        }
        let ticket = cache.ticket();
        let active: Active = self
            .search(&ConsentQuery {
                patient: Some(patient_id.to_owned()),
                status: vec!["active".into()],
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(|stored| stored.consent)
            .collect();
        cache.fill(patient_id, active.clone(), ticket);
        Ok(active)
    }

    /// A write of one of `patient_id`'s Consents: on PostgreSQL the transaction also tells
    /// the other gateways of the database (at its commit); once committed, this process's
    /// cache forgets the patient before the write is acknowledged. A write whose outcome is
    /// unknown (an error at commit) forgets the patient too.
    async fn write_for(
        &self,
        patient_id: &str,
        mut statements: Vec<Statement>,
    ) -> Result<Written, StoreError> {
        if let Some(schema) = self.store.notice_schema() {
            statements.push(consent_changes::notify(schema, patient_id));
        }
        let written = self.store.write(statements).await;
        self.store.active_consents().changed(patient_id);
        written
    }

    /// After a guarded update matched nothing: the resource is gone or has moved on.
    async fn why_not_current(&self, id: &str) -> Result<StoreError, StoreError> {
        let current = self
            .store
            .fetch_integer(
                "SELECT version FROM consents WHERE id = $1".into(),
                vec![Bind::Text(id.to_owned())],
            )
            .await?;
        Ok(match current {
            Some(current_version) => StoreError::Conflict { current_version },
            None => StoreError::NotFound,
        })
    }
}

/// The history row, and the category rows of the new current version.
fn history_and_categories(
    stored: &StoredConsent,
    index: &ConsentIndex,
    json: String,
    replace_categories: bool,
) -> Vec<Statement> {
    let mut statements = vec![Statement::new(
        INSERT_VERSION,
        vec![
            Bind::Text(stored.id.clone()),
            Bind::Int(stored.version),
            Bind::Text(index.status.clone()),
            Bind::Int(stored.last_updated_ms()),
            Bind::Text(json),
        ],
    )];
    if replace_categories {
        statements.push(Statement::new(
            DELETE_CATEGORIES,
            vec![Bind::Text(stored.id.clone())],
        ));
    }
    statements.extend(index.categories.iter().map(|(system, code)| {
        Statement::new(
            INSERT_CATEGORY,
            vec![
                Bind::Text(stored.id.clone()),
                Bind::Text(system.clone()),
                Bind::Text(code.clone()),
            ],
        )
    }));
    statements
}

impl StoredConsent {
    /// Gives the resource its id, version and time of this write.
    fn stamp(mut consent: Consent, id: String, version: i64, ms: i64) -> StoredConsent {
        consent.id = id.clone();
        consent.meta.version_id = Some(version.to_string());
        consent.meta.last_updated = Some(instant_text(ms));
        StoredConsent {
            id,
            version,
            last_updated: from_ms(ms),
            consent,
        }
    }

    fn last_updated_ms(&self) -> i64 {
        (self.last_updated.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// The FHIR JSON, `resourceType` first, as it will be served.
    fn json(&self) -> Result<String, StoreError> {
        serde_json::to_string(&Resource::Consent(self.consent.clone()))
            .map_err(|e| StoreError::Invalid(format!("the Consent cannot be serialised: {e}")))
    }

    fn from_row(row: ResourceRow) -> Result<StoredConsent, StoreError> {
        let consent = match serde_json::from_str::<Resource>(&row.resource) {
            Ok(Resource::Consent(consent)) => consent,
            Ok(_) => return Err(StoreError::Corrupt(format!("{} is not a Consent", row.id))),
            Err(e) => return Err(StoreError::Corrupt(format!("{}: {e}", row.id))),
        };
        if consent.id != row.id || consent.meta.version_id != Some(row.version.to_string()) {
            return Err(StoreError::Corrupt(format!(
                "{} version {}: the JSON disagrees with its row",
                row.id, row.version
            )));
        }
        Ok(StoredConsent {
            id: row.id,
            version: row.version,
            last_updated: from_ms(row.last_updated_ms),
            consent,
        })
    }
}

fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A new Consent id: 128 random bits in lower-case hex. Opaque on purpose: it says nothing
/// about the patient (R40) and cannot be guessed.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The columns a new Consent and a new version both write, in the order of INSERT_CONSENT and
/// UPDATE_CONSENT after their leading id/version binds.
fn indexed_columns(index: &ConsentIndex, ms: i64, json: &str) -> Vec<Bind> {
    vec![
        Bind::Text(index.patient_id.clone()),
        Bind::Text(index.status.clone()),
        Bind::OptText(index.scope_system.clone()),
        Bind::OptText(index.scope_code.clone()),
        Bind::OptInt(index.date.map(|d| d.low)),
        Bind::OptInt(index.date.map(|d| d.high)),
        Bind::Int(ms),
        Bind::Text(json.to_owned()),
    ]
}
