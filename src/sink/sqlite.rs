//! The SQLite side of a sink: the file opened in WAL mode, its schema created or
//! checked (`PRAGMA user_version`, migrations in `migrations/sqlite/`), and a
//! batch of rows written in one transaction with prepared statements.

use super::batch::{Batch, GapRow};
use crate::proto::market::MarketPacket;
use crate::proto::order::{FieldValue, OrderUpdate};
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::Duration;

/// The migrations, in order: migration `i` takes the schema from version `i` to
/// `i + 1`.
const MIGRATIONS: [&str; 1] = [include_str!("../../migrations/sqlite/0001_init.sql")];

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
        Ok(Self { conn })
    }

    /// Writes `batch` in one transaction; on an error nothing of it is written
    /// (the caller keeps it and tries again).
    pub(crate) fn write(&mut self, batch: &Batch, wall_offset_ns: i64) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        let wall = |recv_ns: u64| recv_ns as i64 + wall_offset_ns;
        {
            let mut tick = tx.prepare_cached(
                "INSERT INTO ticks (segment, security_id, ltp, ltt, recv_ns) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut quote = tx.prepare_cached(
                "INSERT INTO quotes (segment, security_id, ltp, ltq, ltt, atp, volume, total_sell_qty, \
                 total_buy_qty, open, close, high, low, recv_ns) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            let mut full = tx.prepare_cached(&full_insert())?;
            let mut oi = tx.prepare_cached(
                "INSERT INTO oi (segment, security_id, oi, recv_ns) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut prev = tx.prepare_cached(
                "INSERT INTO prev_close (segment, security_id, prev_close, prev_oi, recv_ns) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for m in &batch.market {
                let at = wall(m.recv_ns);
                match &m.packet {
                    MarketPacket::Ticker(t) => {
                        tick.execute(params![
                            seg(t.id),
                            t.id.security_id,
                            f64::from(t.ltp),
                            t.ltt.raw(),
                            at
                        ])?;
                    }
                    MarketPacket::Quote(q) => {
                        quote.execute(params![
                            seg(q.id),
                            q.id.security_id,
                            f64::from(q.ltp),
                            q.ltq,
                            q.ltt.raw(),
                            f64::from(q.atp),
                            q.volume,
                            q.total_sell_qty,
                            q.total_buy_qty,
                            f64::from(q.open),
                            f64::from(q.close),
                            f64::from(q.high),
                            f64::from(q.low),
                            at
                        ])?;
                    }
                    MarketPacket::Full(f) => {
                        let mut v: Vec<rusqlite::types::Value> = vec![
                            rusqlite::types::Value::Text(seg(f.id).into_owned()),
                            i64::from(f.id.security_id).into(),
                            f64::from(f.ltp).into(),
                            i64::from(f.ltq).into(),
                            i64::from(f.ltt.raw()).into(),
                            f64::from(f.atp).into(),
                            i64::from(f.volume).into(),
                            i64::from(f.total_sell_qty).into(),
                            i64::from(f.total_buy_qty).into(),
                            i64::from(f.oi).into(),
                            i64::from(f.oi_day_high).into(),
                            i64::from(f.oi_day_low).into(),
                            f64::from(f.open).into(),
                            f64::from(f.close).into(),
                            f64::from(f.high).into(),
                            f64::from(f.low).into(),
                        ];
                        for l in &f.depth {
                            v.extend([
                                f64::from(l.bid_price).into(),
                                i64::from(l.bid_qty).into(),
                                i64::from(l.bid_orders).into(),
                                f64::from(l.ask_price).into(),
                                i64::from(l.ask_qty).into(),
                                i64::from(l.ask_orders).into(),
                            ]);
                        }
                        v.push(at.into());
                        full.execute(rusqlite::params_from_iter(v))?;
                    }
                    MarketPacket::Oi(o) => {
                        oi.execute(params![seg(o.id), o.id.security_id, o.oi, at])?;
                    }
                    MarketPacket::PrevClose(p) => {
                        prev.execute(params![
                            seg(p.id),
                            p.id.security_id,
                            f64::from(p.prev_close),
                            p.prev_oi,
                            at
                        ])?;
                    }
                    _ => {}
                }
            }
            if !batch.orders.is_empty() {
                let mut order = tx.prepare_cached(&order_insert())?;
                for (u, recv_ns) in &batch.orders {
                    order.execute(rusqlite::params_from_iter(order_values(u, wall(*recv_ns))))?;
                }
            }
            let mut gap = tx.prepare_cached(
                "INSERT INTO gaps (feed, missed, reason, recv_ns) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for GapRow {
                feed,
                missed,
                reason,
                recv_ns,
            } in &batch.gaps
            {
                gap.execute(params![feed, *missed as i64, reason, wall(*recv_ns)])?;
            }
        }
        tx.commit()
    }
}

/// A segment's name (its number when unknown), borrowed when known: no
/// allocation per row.
fn seg(id: crate::proto::InstrumentId) -> std::borrow::Cow<'static, str> {
    match id.segment.as_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(id.segment.as_u8().to_string()),
    }
}

/// The full-packet insert: 16 quote and OI columns, 30 depth columns, the stamp.
fn full_insert() -> String {
    let mut cols: Vec<String> = [
        "segment",
        "security_id",
        "ltp",
        "ltq",
        "ltt",
        "atp",
        "volume",
        "total_sell_qty",
        "total_buy_qty",
        "oi",
        "oi_day_high",
        "oi_day_low",
        "open",
        "close",
        "high",
        "low",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for i in 1..=5 {
        for c in [
            "bid_price",
            "bid_qty",
            "bid_orders",
            "ask_price",
            "ask_qty",
            "ask_orders",
        ] {
            cols.push(format!("{c}_{i}"));
        }
    }
    cols.push("recv_ns".into());
    insert("fulls", &cols)
}

/// The order-update insert: every field but the client id, `reconciled`, the stamp.
fn order_insert() -> String {
    let mut cols = Vec::new();
    OrderUpdate::default().for_each_field(|name, _| {
        if name != "client_id" {
            cols.push(name.to_owned());
        }
    });
    cols.push("reconciled".into());
    cols.push("recv_ns".into());
    insert("order_updates", &cols)
}

fn order_values(u: &OrderUpdate, recv_ns: i64) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value;
    let mut v = Vec::with_capacity(48);
    u.for_each_field(|name, f| {
        if name == "client_id" {
            return;
        }
        v.push(match f {
            FieldValue::Text(t) => Value::Text(t.to_owned()),
            FieldValue::Int(i) => Value::Integer(i),
            FieldValue::Float(x) => Value::Real(x),
        });
    });
    v.push(Value::Integer(i64::from(u.reconciled)));
    v.push(Value::Integer(recv_ns));
    v
}

fn insert(table: &str, cols: &[String]) -> String {
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        cols.join(", "),
        marks.join(", ")
    )
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
        for (table, sql) in [("fulls", full_insert()), ("order_updates", order_insert())] {
            let listed = sql.split('(').nth(1).unwrap().split(')').next().unwrap();
            let want: Vec<String> = listed.split(", ").map(str::to_owned).collect();
            assert_eq!(columns(table), want, "{table}");
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
}
