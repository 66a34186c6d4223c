//! From `[database]` settings to a pool: which backend, its durability settings, pool sizes.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::config::DatabaseSettings;
use crate::store::{ActiveConsentLimits, ActiveConsents, Backend, Store, StoreError, migrate};

/// How often SQLite syncs: FULL syncs the WAL on every commit, so a commit that returned
/// survives a power cut too. Every connection to the file uses it, the pool's and the access
/// log writer's.
pub(crate) const SQLITE_SYNCHRONOUS: &str = "FULL";

/// The SQLite file of a store and how long its writers wait for each other's locks.
#[derive(Debug, Clone)]
pub(crate) struct SqliteFile {
    pub path: PathBuf,
    pub busy_timeout: Duration,
}

impl SqliteFile {
    /// Takes the file for this gateway, for as long as the returned handle is held: a second
    /// gateway with the Consent cache on refuses to start on the same file. Each gateway keeps the Consents in force in
    /// memory and hears only its own writes on SQLite, so two would not see each other's
    /// restrictions. The lock is an advisory `flock` on `<database>.lock` (0600), which the
    /// kernel releases when the process ends, however it ends; SQLite's own locks on the
    /// database file are POSIX locks, which a second descriptor of that file would disturb.
    pub fn lock_for_this_process(&self) -> Result<std::fs::File, StoreError> {
        let mut path = self.path.as_os_str().to_owned();
        path.push(".lock");
        let path = PathBuf::from(path);
        let failed =
            |e: std::io::Error| StoreError::Config(format!("cannot lock {}: {e}", path.display()));
        crate::private_fs::create_private_file(&path).map_err(failed)?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(failed)?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Config(format!(
                "{} is in use by another gateway; a gateway that keeps Consents in memory \
                 must be the only one on a SQLite file (share PostgreSQL, or set \
                 database.consent_cache_patients = 0 in every gateway of the file)",
                self.path.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(failed(e)),
        }
    }
}

/// A checked `database.url` (and `database.schema`), ready to connect.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    Sqlite {
        path: PathBuf,
        options: SqliteConnectOptions,
    },
    Postgres {
        options: PgConnectOptions,
        schema: Option<String>,
    },
}

impl DatabaseUrl {
    /// Checks the settings without connecting. Errors never repeat the URL, which may carry
    /// a password.
    pub fn parse(settings: &DatabaseSettings) -> Result<DatabaseUrl, StoreError> {
        let url = settings.url.trim();
        if url.starts_with("sqlite:") {
            if url.contains(":memory:") || url.contains("mode=memory") {
                return Err(StoreError::Config(
                    "database.url: an in-memory SQLite database would lose every write at exit"
                        .into(),
                ));
            }
            if !settings.schema.trim().is_empty() {
                return Err(StoreError::Config(
                    "database.schema applies to PostgreSQL only".into(),
                ));
            }
            let options = SqliteConnectOptions::from_str(url).map_err(|_| {
                StoreError::Config("database.url is not a valid sqlite:// URL".into())
            })?;
            let path = options.get_filename().to_path_buf();
            let options = options
                .create_if_missing(true)
                // WAL: readers do not block the writer.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(
                    SqliteSynchronous::from_str(SQLITE_SYNCHRONOUS)
                        .expect("a valid synchronous setting"),
                )
                .foreign_keys(true)
                .busy_timeout(Duration::from_millis(settings.busy_timeout_ms));
            return Ok(DatabaseUrl::Sqlite { path, options });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut options = PgConnectOptions::from_str(url)
                .map_err(|_| {
                    StoreError::Config("database.url is not a valid postgres:// URL".into())
                })?
                .application_name("ehds-gateway");
            let schema = settings.schema.trim();
            let schema = if schema.is_empty() {
                None
            } else {
                if !is_identifier(schema) {
                    return Err(StoreError::Config(
                        "database.schema must be letters, digits and _, not starting with a digit"
                            .into(),
                    ));
                }
                // Sent at connection start-up, so every pooled connection resolves the
                // unqualified table names of the queries and migrations in this schema.
                options = options.options([("search_path", schema)]);
                Some(schema.to_owned())
            };
            return Ok(DatabaseUrl::Postgres { options, schema });
        }
        Err(StoreError::Config(
            "database.url must start with sqlite:// or postgres://".into(),
        ))
    }
}

/// A PostgreSQL identifier that needs no quoting rules beyond double quotes.
pub(crate) fn is_identifier(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Store {
    /// Connects, creates what is missing (the SQLite file and its folder, the PostgreSQL
    /// schema) and runs the migrations. The gateway does not start without its store.
    pub async fn open(settings: &DatabaseSettings) -> Result<Store, StoreError> {
        let store = Store::connect(settings).await?;
        migrate::run(&store).await?;
        Ok(store)
    }

    /// Connects without migrating.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Store, StoreError> {
        let acquire_timeout = Duration::from_secs(settings.acquire_timeout_seconds);
        let mut sqlite_file = None;
        let mut schema_name = String::new();
        let backend = match DatabaseUrl::parse(settings)? {
            DatabaseUrl::Sqlite { path, options } => {
                prepare_sqlite_files(&path)?;
                let pool = SqlitePoolOptions::new()
                    .max_connections(settings.max_connections)
                    .min_connections(settings.min_connections)
                    .acquire_timeout(acquire_timeout)
                    .connect_with(options)
                    .await?;
                tracing::info!(path = %path.display(), synchronous = SQLITE_SYNCHRONOUS, "store: SQLite (WAL)");
                sqlite_file = Some(SqliteFile {
                    path,
                    busy_timeout: Duration::from_millis(settings.busy_timeout_ms),
                });
                Backend::Sqlite(pool)
            }
            DatabaseUrl::Postgres { options, schema } => {
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .min_connections(settings.min_connections)
                    .acquire_timeout(acquire_timeout)
                    .connect_with(options)
                    .await?;
                if let Some(schema) = &schema {
                    create_schema(&pool, schema).await?;
                    schema_name = schema.clone();
                }
                tracing::info!(
                    schema = schema.as_deref().unwrap_or("(default)"),
                    "store: PostgreSQL"
                );
                Backend::Postgres(pool)
            }
        };
        // On SQLite every change is this process's own and is heard at once; on PostgreSQL
        // only once `listen_for_consent_changes` listens.
        let trusted = matches!(backend, Backend::Sqlite(_));
        let active_consents = ActiveConsents::new(
            ActiveConsentLimits {
                patients: settings.consent_cache_patients,
                max_age: Duration::from_secs(settings.consent_cache_seconds),
            },
            trusted,
        );
        Ok(Store {
            backend,
            sqlite_file,
            ping_timeout: Duration::from_millis(settings.ping_timeout_ms),
            schema: schema_name,
            active_consents,
        })
    }
}

/// The SQLite files readable by the gateway's user only: the folder (when the gateway creates
/// it) 0700, the database and its `-wal`, `-shm` and `-journal` files 0600.
///
/// The database file is created here, 0600, before SQLite opens it, and an existing one is
/// made 0600. The others need no umask and no chmod after the fact: SQLite's unix VFS
/// creates a database's WAL, shared-memory and journal files with the permissions of the
/// database file itself (`findCreateFileMode`), and sets them with `fchmod`, so that the
/// umask cannot widen or narrow them. Changing the process's umask instead would touch every
/// file of the process, and a chmod after opening would leave a window in which the files
/// are readable. Sidecar files left by an earlier run (perhaps of an older version, 0644)
/// are made 0600 here, since SQLite reuses them as they are.
fn prepare_sqlite_files(path: &Path) -> Result<(), StoreError> {
    let failed = |what: &Path, e: std::io::Error| {
        StoreError::Config(format!("cannot prepare {}: {e}", what.display()))
    };
    crate::private_fs::create_parent(path).map_err(|e| failed(path, e))?;
    crate::private_fs::create_private_file(path).map_err(|e| failed(path, e))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut sidecar = path.as_os_str().to_owned();
        sidecar.push(suffix);
        let sidecar = PathBuf::from(sidecar);
        match crate::private_fs::restrict(&sidecar) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(failed(&sidecar, e)),
        }
    }
    Ok(())
}

async fn create_schema(pool: &sqlx::PgPool, schema: &str) -> Result<(), StoreError> {
    // The name was checked by `is_identifier`; identifiers cannot be bound as parameters.
    let created = sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
    )))
    .execute(pool)
    .await;
    if let Err(e) = created {
        // Two gateways starting together can race on IF NOT EXISTS; the loser sees a
        // duplicate and may go on when the schema is there.
        let exists = sqlx::query("SELECT 1 FROM pg_namespace WHERE nspname = $1")
            .bind(schema)
            .fetch_optional(pool)
            .await?
            .is_some();
        if !exists {
            return Err(e.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, schema: &str) -> DatabaseSettings {
        let mut s = crate::config::Settings::defaults().database;
        s.url = url.into();
        s.schema = schema.into();
        s
    }

    #[test]
    fn urls_choose_the_backend() {
        let sqlite = DatabaseUrl::parse(&settings("sqlite://./data/gateway.db", "")).unwrap();
        assert!(
            matches!(sqlite, DatabaseUrl::Sqlite { path, .. } if path == Path::new("./data/gateway.db"))
        );
        let pg =
            DatabaseUrl::parse(&settings("postgres://u:secret@127.0.0.1:5432/test", "gw")).unwrap();
        assert!(matches!(pg, DatabaseUrl::Postgres { schema: Some(s), .. } if s == "gw"));
    }

    #[test]
    fn unusable_settings_are_refused_without_echoing_the_url() {
        for (url, schema) in [
            ("sqlite::memory:", ""),
            ("sqlite://x.db?mode=memory", ""),
            ("sqlite://x.db", "gw"),
            ("mysql://u:secret@h/db", ""),
            ("postgres://u:secret@127.0.0.1/test", "Robert'); DROP"),
            ("postgres://u:secret@127.0.0.1/test", "1abc"),
        ] {
            let e = DatabaseUrl::parse(&settings(url, schema)).unwrap_err();
            assert!(matches!(e, StoreError::Config(_)), "{url}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }
}
