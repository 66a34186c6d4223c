//! The store's tests. Every body runs against both backends: SQLite in a temp file, and
//! PostgreSQL at `EHDS_TEST_PG_URL` (by default `127.0.0.1:5432`, database `test`), in a
//! schema made for that one test and dropped after it. `audit` tests the access log's
//! writers, `consents` the Consent store.

mod active_consents;
mod audit;
mod consents;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::FutureExt;

use crate::config::{DatabaseSettings, Settings};
use crate::store::Store;

/// The PostgreSQL database of the tests when `EHDS_TEST_PG_URL` is not set; the API and crash
/// tests read the same variable with the same default.
const DEFAULT_TEST_DATABASE: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Prefix of the schemas the tests make; the pid of the test process follows it.
const SCHEMA_PREFIX: &str = "ehds_test_";

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn settings(url: String, schema: String) -> DatabaseSettings {
    DatabaseSettings {
        url,
        schema,
        ..Settings::defaults().database
    }
}

/// Where one test's data lives, and how it is removed afterwards: [`run`] drops a PostgreSQL
/// schema; a SQLite folder is removed on drop, also by the tests that open a store without
/// [`run`].
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!(
            "ehds-store-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        TestDb::Sqlite(dir)
    }

    pub fn postgres() -> TestDb {
        let url =
            std::env::var("EHDS_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE.to_owned());
        let schema = format!(
            "{SCHEMA_PREFIX}{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        TestDb::Postgres { url, schema }
    }

    pub fn settings(&self) -> DatabaseSettings {
        match self {
            TestDb::Sqlite(dir) => settings(
                format!("sqlite://{}", dir.join("gateway.db").display()),
                String::new(),
            ),
            TestDb::Postgres { url, schema } => settings(url.clone(), schema.clone()),
        }
    }

    pub async fn open(&self) -> Store {
        if let TestDb::Postgres { url, .. } = self {
            sweep_stale_schemas(url).await;
        }
        Store::open(&self.settings())
            .await
            .unwrap_or_else(|e| panic!("the test database opens ({}): {e}", self.label()))
    }

    fn label(&self) -> &'static str {
        match self {
            TestDb::Sqlite(_) => "sqlite",
            TestDb::Postgres { .. } => "postgres at EHDS_TEST_PG_URL or 127.0.0.1:5432/test",
        }
    }

    async fn remove(&self) {
        match self {
            TestDb::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres { url, schema } => drop_schema(url, schema).await,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Sqlite(dir) = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn drop_schema(url: &str, schema: &str) {
    if let Ok(pool) = sqlx::PgPool::connect(url).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
        )))
        .execute(&pool)
        .await;
        pool.close().await;
    }
}

/// Schemas left by test processes that died before dropping them.
async fn sweep_stale_schemas(url: &str) {
    let Ok(pool) = sqlx::PgPool::connect(url).await else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1")
            .bind(format!("{SCHEMA_PREFIX}%"))
            .fetch_all(&pool)
            .await
            .unwrap_or_default();
    pool.close().await;
    for name in names {
        let pid = name
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .unwrap_or_default();
        if !pid.is_empty() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            drop_schema(url, &name).await;
        }
    }
}

/// Runs `body` on a fresh store of `db`'s kind, then removes the data, whether the body
/// passed or panicked.
pub async fn run<F, Fut>(db: TestDb, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let store = db.open().await;
    let outcome = AssertUnwindSafe(body(store.clone())).catch_unwind().await;
    store.close().await;
    db.remove().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// One `#[tokio::test]` per backend for each listed body `async fn name(store: Store)`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::store::tests::run($crate::store::tests::TestDb::sqlite(), super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::store::tests::run($crate::store::tests::TestDb::postgres(), super::$name).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;
