//! The access log's appends on SQLite: one plain `rusqlite` connection owned by the writer's
//! thread. A batch is a handful of calls into SQLite on that thread (one transaction,
//! cached prepared statements) instead of a message to sqlx's per-connection worker thread,
//! and a wake-up back, for every statement.
//!
//! Same file, same durability as the pool's connections (`connect::SQLITE_SYNCHRONOUS`, WAL),
//! and the same SQLite library: rusqlite and sqlx link the one `libsqlite3-sys`, so the two
//! kinds of connection share SQLite's in-process file locks.

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::linked::{ChainHead, Linked};
use crate::store::connect::{SQLITE_SYNCHRONOUS, SqliteFile};
use crate::store::{NewAuditRow, StoreError};

const READ_HEAD: &str = "SELECT head_seq, head_hash FROM audit_chain WHERE id = 1";
/// Moves the head only from where this writer believes it is: no row changed means that
/// another writer appended meanwhile.
const ADVANCE_HEAD: &str = "UPDATE audit_chain SET head_seq = ?1, head_hash = ?2 \
                            WHERE id = 1 AND head_seq = ?3 AND head_hash = ?4";
const INSERT_EVENT: &str = "INSERT INTO audit_events \
                            (seq, id, recorded_ms, patients, resource, prev_hash, hash) \
                            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const INSERT_INDEX: &str = "INSERT INTO audit_event_patients (patient_id, seq) VALUES (?1, ?2)";

/// Appends batches to the chain; lives on the writer's thread (its calls block).
pub struct SqliteAppender {
    file: SqliteFile,
    connection: Option<Connection>,
    /// The head after this writer's last commit; read from the store when unknown.
    head: Option<ChainHead>,
}

impl SqliteAppender {
    pub(crate) fn new(file: SqliteFile) -> SqliteAppender {
        SqliteAppender {
            file,
            connection: None,
            head: None,
        }
    }

    /// Appends `rows` in one transaction; returns once it is committed.
    pub fn append(&mut self, rows: &[NewAuditRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let appended = self.try_append(rows);
        if appended.is_err() {
            // Whatever failed (a full disk, a lock not obtained in time, a damaged file),
            // the next batch starts from a fresh connection and the stored head.
            self.connection = None;
            self.head = None;
        }
        appended
    }

    fn try_append(&mut self, rows: &[NewAuditRow]) -> Result<(), StoreError> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => self.connection.insert(open(&self.file)?),
        };
        // IMMEDIATE: the write lock from the start, so no other writer moves the head while
        // this transaction decides where the batch goes.
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut head = match self.head.take() {
            Some(head) => head,
            None => read_head(&tx)?,
        };
        let mut linked = Linked::after(&head, rows);
        let mut advanced = advance(&tx, &head, &linked)?;
        if !advanced {
            // Another writer on this file (a second process, or a second log of this one)
            // appended since: go on from the stored head, which the lock now holds still.
            head = read_head(&tx)?;
            linked = Linked::after(&head, rows);
            advanced = advance(&tx, &head, &linked)?;
        }
        if !advanced {
            return Err(StoreError::Corrupt(
                "the access log's chain head cannot be moved".into(),
            ));
        }
        {
            let mut insert = tx.prepare_cached(INSERT_EVENT)?;
            for (i, row) in rows.iter().enumerate() {
                insert.execute(params![
                    linked.seqs[i],
                    row.id,
                    row.recorded_ms,
                    linked.patients[i],
                    row.resource,
                    linked.prev_hashes[i],
                    linked.hashes[i],
                ])?;
            }
            let mut index = tx.prepare_cached(INSERT_INDEX)?;
            for (patient, seq) in linked.index() {
                index.execute(params![patient, seq])?;
            }
        }
        let new_head = linked.head();
        tx.commit()?;
        self.head = Some(new_head);
        Ok(())
    }
}

/// Opens the store's file (made and migrated by `Store::open` already; never created here,
/// so its modes stay those `connect` gave it) with the pool's durability settings.
fn open(file: &SqliteFile) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(
        &file.path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(file.busy_timeout)?;
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!(
            "the access log's connection is in journal mode {mode}, not WAL"
        )));
    }
    connection.pragma_update(None, "synchronous", SQLITE_SYNCHRONOUS)?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    Ok(connection)
}

fn read_head(tx: &Connection) -> Result<ChainHead, StoreError> {
    tx.prepare_cached(READ_HEAD)?
        .query_row([], |row| {
            Ok(ChainHead {
                seq: row.get(0)?,
                hash: row.get(1)?,
            })
        })
        .optional()?
        .ok_or_else(|| StoreError::Corrupt("the access log's chain head row is missing".into()))
}

/// Moves the stored head from `head` to the end of `linked`; false if it was not at `head`.
fn advance(tx: &Connection, head: &ChainHead, linked: &Linked<'_>) -> Result<bool, StoreError> {
    let new_head = linked.head();
    let changed = tx.prepare_cached(ADVANCE_HEAD)?.execute(params![
        new_head.seq,
        new_head.hash,
        head.seq,
        head.hash
    ])?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Backend;
    use crate::store::tests::{TestDb, run};

    /// The writer's connection syncs and journals as the pool's do: an access-log record is
    /// as durable as every other write.
    #[tokio::test]
    async fn the_writer_s_connection_is_as_durable_as_the_pool_s() {
        run(TestDb::sqlite(), |store| async move {
            let Backend::Sqlite(pool) = store.backend() else {
                panic!("a SQLite store")
            };
            let pool_synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(pool)
                .await
                .unwrap();
            let pool_journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(pool)
                .await
                .unwrap();
            let connection = open(store.sqlite_file().unwrap()).unwrap();
            let synchronous: i64 = connection
                .query_row("PRAGMA synchronous", [], |row| row.get(0))
                .unwrap();
            let journal: String = connection
                .query_row("PRAGMA journal_mode", [], |row| row.get(0))
                .unwrap();
            assert_eq!((synchronous, journal.as_str()), (2, "wal"), "FULL, WAL");
            assert_eq!((pool_synchronous, pool_journal.as_str()), (2, "wal"));
        })
        .await;
    }
}
