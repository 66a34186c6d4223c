//! What can go wrong with the store, and how each case reaches a FHIR client.

use crate::fhir::FhirError;

/// Seconds a client is asked to wait before retrying while the store is unavailable.
const RETRY_AFTER_SECONDS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No resource with this id.
    #[error("not found")]
    NotFound,
    /// The write named a version that is no longer the current one (optimistic concurrency).
    #[error("version conflict: the current version is {current_version}")]
    Conflict { current_version: i64 },
    /// What was given cannot be stored as it is (e.g. a Consent without a patient).
    #[error("{0}")]
    Invalid(String),
    /// The database cannot be reached or refused the statement: nothing may be served on
    /// the strength of it (fail closed).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored row cannot be read back (a bug or tampering, never the client's doing).
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    /// `database.*` settings that cannot work.
    #[error("database configuration: {0}")]
    Config(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::Decode(_)
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
            sqlx::Error::Configuration(_) => StoreError::Config(e.to_string()),
            // I/O, TLS, protocol, pool timeouts, a closed pool, a crashed SQLite worker and
            // any error the database itself reports (a missing table, a full disk, a lock
            // not obtained within the busy timeout): the store cannot be used right now.
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

/// The access log writer's SQLite connection (`audit::append_sqlite`): read as sqlx's.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::InvalidColumnIndex(_)
            | rusqlite::Error::InvalidColumnName(_) => StoreError::Corrupt(e.to_string()),
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Unavailable(format!("migration: {e}"))
    }
}

impl From<StoreError> for FhirError {
    fn from(e: StoreError) -> FhirError {
        match e {
            StoreError::NotFound => FhirError::NotFound("the resource is not known".into()),
            StoreError::Conflict { current_version } => FhirError::Conflict(format!(
                "the resource has changed: its current version is {current_version}"
            )),
            StoreError::Invalid(message) => FhirError::Invalid(message),
            StoreError::Unavailable(detail) => {
                // The detail is for operators; the client learns only that it may retry.
                tracing::error!(%detail, "store unavailable; failing closed");
                FhirError::Unavailable {
                    message:
                        "the gateway's store is unavailable; no data is served until it is back"
                            .into(),
                    retry_after_seconds: Some(RETRY_AFTER_SECONDS),
                }
            }
            StoreError::Corrupt(detail) | StoreError::Config(detail) => {
                FhirError::Internal(format!("store: {detail}"))
            }
        }
    }
}
