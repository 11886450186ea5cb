//! The PostgreSQL side of a sink: a connection (made again after any failure),
//! the schema created or checked (`dhan_feed_schema`, migrations in
//! `migrations/postgres/`; `ticks` a hypertable when TimescaleDB is installed in
//! the database), and a batch written as one `COPY … FROM STDIN` (text format)
//! per table, all in one transaction.
//!
//! The connection string can hold a password: it is kept only to connect, and
//! every message names the server by [`redacted`] instead.

use super::batch::Batch;
use super::redact::redacted;
use super::rows::{Cell, TABLES, columns, for_each_row};
use std::io::Write;

/// The migrations, in order: migration `i` takes the schema from version `i` to
/// `i + 1`.
const MIGRATIONS: [&str; 2] = [
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_depth_candles.sql"),
];

/// The schema version this build writes.
pub const PG_SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Why a PostgreSQL database cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// Connecting, or creating the schema, failed.
    #[error("PostgreSQL {target}: {message}")]
    Connect {
        /// The server, its password left out.
        target: String,
        /// What the server said (its message, not only "db error").
        message: String,
        /// What the server or the connection said.
        #[source]
        source: postgres::Error,
    },
    /// The database's schema is newer than this build knows.
    #[error(
        "PostgreSQL {target} has dhan-feed schema version {found}; this dhan-feed writes version {PG_SCHEMA_VERSION}"
    )]
    NewerSchema {
        /// The server, its password left out.
        target: String,
        /// The version found.
        found: u32,
    },
}

/// A PostgreSQL database with the current schema.
pub(crate) struct Pg {
    conn: String,
    target: String,
    client: Option<postgres::Client>,
    /// Each table's `COPY`, in [`TABLES`] order.
    copy: Vec<String>,
}

impl Pg {
    /// Connects and brings the schema to [`PG_SCHEMA_VERSION`].
    pub(crate) fn open(conn: &str) -> Result<Self, PostgresError> {
        let mut pg = Self {
            conn: conn.to_owned(),
            target: redacted(conn),
            client: None,
            copy: TABLES
                .iter()
                .map(|t| format!("COPY {t} ({}) FROM STDIN", columns(t).join(", ")))
                .collect(),
        };
        pg.connect()?;
        Ok(pg)
    }

    fn connect(&mut self) -> Result<&mut postgres::Client, PostgresError> {
        if self.client.is_none() {
            let err = |source: postgres::Error| PostgresError::Connect {
                target: self.target.clone(),
                message: message(&source),
                source,
            };
            let mut c = postgres::Client::connect(&self.conn, postgres::NoTls).map_err(err)?;
            let exists: bool = c
                .query_one("SELECT to_regclass('dhan_feed_schema') IS NOT NULL", &[])
                .map_err(err)?
                .get(0);
            let found: Option<i32> = if exists {
                c.query_opt("SELECT max(version) FROM dhan_feed_schema", &[])
                    .map_err(err)?
                    .and_then(|r| r.get(0))
            } else {
                None
            };
            let found = found.unwrap_or(0).max(0) as u32;
            if found > PG_SCHEMA_VERSION {
                return Err(PostgresError::NewerSchema {
                    target: self.target.clone(),
                    found,
                });
            }
            for sql in MIGRATIONS.iter().skip(found as usize) {
                let mut tx = c.transaction().map_err(err)?;
                tx.batch_execute(sql).map_err(err)?;
                tx.commit().map_err(err)?;
            }
            // TimescaleDB, when installed in this database (checked, not assumed).
            let timescale = c
                .query_opt(
                    "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'",
                    &[],
                )
                .map_err(err)?
                .is_some();
            if timescale {
                c.batch_execute(
                    "SELECT create_hypertable('ticks', 'recv_ns', chunk_time_interval => 86400000000000, if_not_exists => TRUE, migrate_data => TRUE)",
                )
                .map_err(err)?;
            }
            self.client = Some(c);
        }
        Ok(self.client.as_mut().expect("connected above"))
    }

    /// Writes `batch` in one transaction; on an error nothing of it is written,
    /// the connection is dropped (made again on the next try), and the caller
    /// keeps the batch.
    pub(crate) fn write(&mut self, batch: &Batch, wall_offset_ns: i64) -> Result<(), String> {
        let r = self.try_write(batch, wall_offset_ns);
        if r.is_err() {
            self.client = None;
        }
        r
    }

    fn try_write(&mut self, batch: &Batch, wall_offset_ns: i64) -> Result<(), String> {
        // Rows by table, as COPY text.
        let mut by_table: [Vec<u8>; TABLES.len()] = Default::default();
        let _ = for_each_row::<()>(batch, wall_offset_ns, |t, cells| {
            copy_line(cells, &mut by_table[t]);
            Ok(())
        });
        let target = self.target.clone();
        let fail = |e: &postgres::Error| format!("PostgreSQL {target}: {}", message(e));
        let copy = self.copy.clone();
        let client = self.connect().map_err(|e| e.to_string())?;
        let mut tx = client.transaction().map_err(|e| fail(&e))?;
        for (t, rows) in by_table.iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            let mut w = tx.copy_in(&copy[t]).map_err(|e| fail(&e))?;
            w.write_all(rows)
                .map_err(|e| format!("PostgreSQL {target}: {e}"))?;
            w.finish().map_err(|e| fail(&e))?;
        }
        tx.commit().map_err(|e| fail(&e))
    }
}

/// What went wrong, in words: the server's own message (and its detail) for a
/// database error, whose `Display` is only "db error"; the cause otherwise.
fn message(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut m = format!("{}: {}", db.severity(), db.message());
        if let Some(d) = db.detail() {
            m.push_str(&format!(" ({d})"));
        }
        return m;
    }
    let mut m = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        m.push_str(&format!(": {s}"));
        src = s.source();
    }
    m
}

/// One row in `COPY`'s text format: tab-separated, backslash escapes.
fn copy_line(cells: &[Cell<'_>], out: &mut Vec<u8>) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match c {
            Cell::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::Null => out.extend_from_slice(b"\\N"),
            Cell::Real(x) if x.is_nan() => out.extend_from_slice(b"NaN"),
            Cell::Real(x) if x.is_infinite() => {
                out.extend_from_slice(if *x > 0.0 { b"Infinity" } else { b"-Infinity" })
            }
            Cell::Real(x) => {
                let _ = write!(out, "{x:?}");
            }
            Cell::Text(t) => {
                for &b in t.as_bytes() {
                    match b {
                        b'\\' => out.extend_from_slice(b"\\\\"),
                        b'\t' => out.extend_from_slice(b"\\t"),
                        b'\n' => out.extend_from_slice(b"\\n"),
                        b'\r' => out.extend_from_slice(b"\\r"),
                        _ => out.push(b),
                    }
                }
            }
        }
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut out = Vec::new();
        copy_line(
            &[
                Cell::Text(Cow::Borrowed("a\tb\\c\nd'); DROP TABLE ticks; --")),
                Cell::Int(-5),
                Cell::Real(25681.150390625),
                Cell::Real(f64::NAN),
                Cell::Real(f64::NEG_INFINITY),
                Cell::Null,
            ],
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\\tb\\\\c\\nd'); DROP TABLE ticks; --\t-5\t25681.150390625\tNaN\t-Infinity\t\\N\n"
        );
    }
}
