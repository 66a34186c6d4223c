//! Persistence: the gateway's own state (Consent resources, proxies, app grants, refresh
//! tokens, sessions) through sqlx, in SQLite by default or PostgreSQL when `database.url`
//! says so (DESIGN §4, §8).
//!
//! One module per job: `connect` turns settings into a pool, `migrate` brings the schema up
//! to date at start-up, `sql` runs statements on whichever backend there is, `consents`
//! keeps Consent resources with their version history, `consent_index` and
//! `consent_search` derive and query the columns searches need, `audit` keeps the access
//! log's hash chain (appended through a connection of its own: `audit::append_sqlite`,
//! `audit::append_postgres`), `error` says what failed.
//!
//! Durability (R42): every write is one transaction, and a write is acknowledged only after
//! its commit returned. SQLite runs in WAL mode with `synchronous=FULL` (the WAL is synced
//! on every commit); PostgreSQL keeps its default `synchronous_commit=on`.
//!
//! Fail closed (R31): any error reaching the store is a `StoreError`, which the HTTP layer
//! answers with 503 and an OperationOutcome; nothing is served from a store it cannot read.

mod active_consents;
mod audit;
pub mod authz;
mod connect;
mod consent_changes;
mod consent_index;
mod consent_search;
mod consents;
mod error;
mod migrate;
mod sql;
#[cfg(test)]
pub(crate) mod tests;

use std::time::Duration;

use sqlx::{PgPool, SqlitePool};

pub use active_consents::{ActiveConsentLimits, ActiveConsents};
pub use audit::{
    AuditAppender, AuditRow, AuditStore, ChainState, NewAuditRow, PgAppender, SqliteAppender,
};
pub use authz::AuthzStore;
pub use connect::DatabaseUrl;
pub(crate) use connect::SqliteFile;
pub use consent_changes::listener_name as consent_listener_name;
pub use consent_search::{CodeFilter, ConsentQuery, DateWindow};
pub use consents::{ConsentStore, StoredConsent};
pub use error::StoreError;

/// The pool of one of the two backends.
///
/// An enum rather than a trait object: the set of backends is closed and known at compile
/// time, and the SQL is written once (both accept `$n` placeholders), so each store method
/// is one body that `with_pool!` instantiates for both pools. No boxing or `async-trait`
/// per call, and the tests run the same bodies against either backend by building a
/// `Store` of that kind. The fail-closed tests stop a real database rather than use a
/// double, so a trait for test doubles is not needed.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool, and `$begin` to the statement that
/// opens a write transaction there. SQLite's writers start with `BEGIN IMMEDIATE`: it takes
/// the write lock at once, so a waiting writer goes through the busy timeout instead of
/// failing on a stale read snapshot (SQLITE_BUSY_SNAPSHOT) half-way through.
macro_rules! with_pool {
    ($backend:expr, |$pool:ident, $begin:ident| $body:expr) => {
        match $backend {
            $crate::store::Backend::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $begin = "BEGIN IMMEDIATE";
                $body
            }
            $crate::store::Backend::Postgres($pool) => {
                #[allow(unused_variables)]
                let $begin = "BEGIN";
                $body
            }
        }
    };
}
pub(crate) use with_pool;

/// A handle on the database: cheap to clone (the pools are shared).
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    /// SQLite only: the file, for connections made outside the pool (the access log's
    /// writer).
    sqlite_file: Option<SqliteFile>,
    /// How long a health check waits for the database.
    ping_timeout: Duration,
    /// PostgreSQL only: the schema of the tables ("" for the default search path), which
    /// Consent change notices name.
    schema: String,
    /// The patients' Consents in force, shared by every handle on this store.
    active_consents: ActiveConsents,
}

impl Store {
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub(crate) fn sqlite_file(&self) -> Option<&SqliteFile> {
        self.sqlite_file.as_ref()
    }

    /// `"sqlite"` or `"postgres"`, for logs and `/readyz`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers a query now (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let query = async {
            with_pool!(&self.backend, |pool, _begin| {
                sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
            })
        };
        match tokio::time::timeout(self.ping_timeout, query).await {
            Ok(result) => result.map_err(StoreError::from),
            Err(_) => Err(StoreError::Unavailable(
                "the database did not answer in time".into(),
            )),
        }
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(pool) => pool.close().await,
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// PostgreSQL: the schema that Consent change notices name. None on SQLite.
    pub(crate) fn notice_schema(&self) -> Option<&str> {
        matches!(self.backend, Backend::Postgres(_)).then_some(self.schema.as_str())
    }

    /// The cache of Consents in force, for its state in `/readyz` and in tests.
    pub fn active_consents(&self) -> &ActiveConsents {
        &self.active_consents
    }

    /// On PostgreSQL, starts listening for the Consent changes of other gateways on this
    /// database (`consent_changes`); until it listens, every request reads the store. On
    /// SQLite there is nothing to hear: the file is this process's alone.
    pub fn listen_for_consent_changes(&self) {
        if let Backend::Postgres(pool) = &self.backend {
            tokio::spawn(consent_changes::listen(
                pool.clone(),
                self.schema.clone(),
                self.active_consents.clone(),
            ));
        }
    }

    pub fn consents(&self) -> ConsentStore {
        ConsentStore::new(self.clone())
    }

    /// The access log's rows.
    pub fn audit(&self) -> AuditStore {
        AuditStore::new(self.clone())
    }

    /// The authorization server's state (grants, sessions, codes, token families).
    pub fn authz(&self) -> AuthzStore {
        AuthzStore::new(self.clone())
    }
}
