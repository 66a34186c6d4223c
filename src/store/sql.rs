//! Running SQL on either backend: statements are data (SQL text with `$n` placeholders and
//! the values to bind), so that the consent code is written once and only these few
//! functions know which pool they talk to.

use sqlx::{AssertSqlSafe, Row};

use crate::store::{Store, StoreError, with_pool};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

/// One statement of a write transaction.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Built by the store's own code; every value is bound, never spliced in.
    pub sql: String,
    pub binds: Vec<Bind>,
    /// A guard: the transaction goes on only if this statement changed exactly one row.
    pub must_change_one_row: bool,
}

impl Statement {
    pub fn new(sql: impl Into<String>, binds: Vec<Bind>) -> Statement {
        Statement {
            sql: sql.into(),
            binds,
            must_change_one_row: false,
        }
    }

    pub fn guarded(sql: impl Into<String>, binds: Vec<Bind>) -> Statement {
        Statement {
            must_change_one_row: true,
            ..Statement::new(sql, binds)
        }
    }
}

/// How a write transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Committed: durable once this is returned.
    Committed,
    /// A guard matched no row; nothing was written.
    GuardFailed,
}

/// A Consent row as stored.
#[derive(Debug, Clone)]
pub struct ResourceRow {
    pub id: String,
    pub version: i64,
    pub last_updated_ms: i64,
    pub resource: String,
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                Bind::Text(v) => query.bind(v),
                Bind::OptText(v) => query.bind(v),
                Bind::Int(v) => query.bind(v),
                Bind::OptInt(v) => query.bind(v),
            };
        }
        query
    }};
}

impl Store {
    /// Runs `statements` in one transaction and commits. The commit has returned (and so,
    /// with the durability settings of `connect`, the write is on disk) before this does.
    pub(crate) async fn write(&self, statements: Vec<Statement>) -> Result<Written, StoreError> {
        with_pool!(self.backend(), |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            for statement in statements {
                let guarded = statement.must_change_one_row;
                let done = bind_all!(sqlx::query(AssertSqlSafe(statement.sql)), statement.binds)
                    .execute(&mut *tx)
                    .await?;
                if guarded && done.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(Written::GuardFailed);
                }
            }
            tx.commit().await?;
            Ok(Written::Committed)
        })
    }

    /// Rows of `id, version, last_updated_ms, resource`.
    pub(crate) async fn fetch_resources(
        &self,
        sql: String,
        binds: Vec<Bind>,
    ) -> Result<Vec<ResourceRow>, StoreError> {
        with_pool!(self.backend(), |pool, _begin| {
            let rows = bind_all!(sqlx::query(AssertSqlSafe(sql)), binds)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(ResourceRow {
                        id: row.try_get("id")?,
                        version: row.try_get("version")?,
                        last_updated_ms: row.try_get("last_updated_ms")?,
                        resource: row.try_get("resource")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    /// The first column of the first row, as an integer (`COUNT(*)`, a version).
    pub(crate) async fn fetch_integer(
        &self,
        sql: String,
        binds: Vec<Bind>,
    ) -> Result<Option<i64>, StoreError> {
        with_pool!(self.backend(), |pool, _begin| {
            let row = bind_all!(sqlx::query(AssertSqlSafe(sql)), binds)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Ok(Some(row.try_get::<i64, _>(0)?)),
                None => Ok(None),
            }
        })
    }
}
