//! The schema of each backend, embedded in the binary and brought up to date at start-up.
//!
//! `migrations/sqlite/` and `migrations/postgres/` hold the same tables in each dialect,
//! with the same version numbers. PostgreSQL migrations take an advisory lock, so gateways
//! starting together migrate once.

use sqlx::migrate::Migrator;

use crate::store::{Backend, Store, StoreError};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

pub async fn run(store: &Store) -> Result<(), StoreError> {
    match store.backend() {
        Backend::Sqlite(pool) => SQLITE.run(pool).await?,
        Backend::Postgres(pool) => POSTGRES.run(pool).await?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migrations() {
        let versions = |m: &Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(versions(&SQLITE), versions(&POSTGRES));
        assert!(!versions(&SQLITE).is_empty());
    }
}
