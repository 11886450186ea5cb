//! The SQLite side of a sink: the file opened in WAL mode, its schema created or
//! checked (`PRAGMA user_version`, migrations in `migrations/sqlite/`), and a
//! batch of rows written in one transaction with prepared statements.

use super::batch::Batch;
use super::rows::{Cell, TABLES, for_each_row, insert_sql};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// The migrations, in order: migration `i` takes the schema from version `i` to
/// `i + 1`.
const MIGRATIONS: [&str; 2] = [
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_depth_candles.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Why a SQLite database cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// Opening or preparing the file failed (no such directory, not a database,
    /// no permission, locked past the timeout).
    #[error("SQLite database {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The file's schema is newer than this build knows.
    #[error(
        "SQLite database {path} has schema version {found}; this dhan-feed writes version {SCHEMA_VERSION}: use a newer dhan-feed or another file"
    )]
    NewerSchema {
        /// The file.
        path: String,
        /// Its `user_version`.
        found: u32,
    },
}

/// An open database with the current schema.
pub(crate) struct Db {
    conn: Connection,
    /// Each table's insert, in [`TABLES`] order.
    sql: Vec<String>,
}

impl Db {
    /// Opens (or creates) `path`, sets WAL mode, and brings its schema to
    /// [`SCHEMA_VERSION`] (each migration in its own transaction).
    pub(crate) fn open(path: &Path) -> Result<Self, SqliteError> {
        let name = path.display().to_string();
        let err = |source| SqliteError::Open {
            path: name.clone(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        // WAL: readers never block the sink and a crash keeps every committed
        // batch. NORMAL: a commit is durable at the next checkpoint (a power
        // loss can take the last batches; a process crash cannot).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        // A reader holding a lock makes a write wait this long, then fail (the
        // batch is kept and tried again).
        conn.busy_timeout(Duration::from_millis(100)).map_err(err)?;
        let found: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        if found > SCHEMA_VERSION {
            return Err(SqliteError::NewerSchema { path: name, found });
        }
        let mut conn = conn;
        for (v, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", v as u32 + 1)
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(Self {
            conn,
            sql: TABLES.iter().map(|t| insert_sql(t)).collect(),
        })
    }

    /// Writes `batch` in one transaction; on an error nothing of it is written
    /// (the caller keeps it and tries again).
    pub(crate) fn write(&mut self, batch: &Batch, wall_offset_ns: i64) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            // One statement per table, prepared once per connection (cached).
            let mut st = Vec::with_capacity(TABLES.len());
            for (i, t) in TABLES.iter().enumerate() {
                st.push(tx.prepare_cached(&self.sql[i])?);
                debug_assert!(self.sql[i].contains(t));
            }
            for_each_row(batch, wall_offset_ns, |t, cells| {
                st[t].execute(rusqlite::params_from_iter(cells)).map(drop)
            })?;
        }
        tx.commit()
    }
}

/// A write failure in words: SQLite's message, and for an I/O error on a
/// write (SQLite says only "disk I/O error") its usual causes.
pub(crate) fn describe(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::DiskFull) => format!(
            "{e} (writing the file failed: the disk may be full, or a file-size or quota limit reached)"
        ),
        _ => e.to_string(),
    }
}

impl rusqlite::ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Cell::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Cell::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Cell::Real(x) => ToSqlOutput::Borrowed(ValueRef::Real(*x)),
            Cell::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The migration's tables have exactly the columns the inserts name (a field
    /// added to `OrderUpdate` without a migration fails here).
    #[test]
    fn the_schema_has_every_column_the_inserts_write() {
        let dir = std::env::temp_dir().join(format!("dhan-feed-sqlite-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("schema.db");
        let db = Db::open(&path).unwrap();
        let columns = |table: &str| -> Vec<String> {
            let mut st = db
                .conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        for table in super::super::rows::TABLES {
            assert_eq!(
                columns(table),
                super::super::rows::columns(table),
                "{table}"
            );
        }
        assert!(!columns("order_updates").contains(&"client_id".to_owned()));
        let version: u32 = db
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        drop(db);
        // Opened again: nothing to migrate, the data kept.
        Db::open(&path).unwrap();
        // A newer schema is refused, with the versions in the message.
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        let e = Db::open(&path).err().expect("refused").to_string();
        assert!(e.contains("schema version 99"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A file of version 1 (no depth or candle tables) is brought to the
    /// current version, its rows kept.
    #[test]
    fn a_version_1_file_is_migrated_and_keeps_its_rows() {
        let dir = std::env::temp_dir().join(format!("dhan-feed-sqlite-v1-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v1.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute(
            "INSERT INTO ticks (segment, security_id, ltp, ltt, recv_ns) VALUES ('NSE_EQ', 2885, 1.5, 7, 9)",
            [],
        )
        .unwrap();
        drop(c);
        let db = Db::open(&path).unwrap();
        let version: u32 = db
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        const { assert!(SCHEMA_VERSION >= 2) };
        let n: i64 = db
            .conn
            .query_row("SELECT count(*) FROM ticks WHERE ltp = 1.5", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1);
        for t in ["depth_top", "candles"] {
            let n: i64 = db
                .conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{t}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
