//! What a row holds, database aside: the table an event goes to, its columns in
//! schema order, and its values as [`Cell`]s. The SQLite writer binds them, the
//! PostgreSQL writer formats them for `COPY`; both schemas name the same columns.

use super::batch::{Batch, CandleRow, DepthRow, GapRow, TOP_LEVELS};
use crate::event::MarketEvent;
use crate::proto::InstrumentId;
use crate::proto::market::MarketPacket;
use crate::proto::order::{FieldValue, OrderUpdate};
use std::borrow::Cow;

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell<'a> {
    Text(Cow<'a, str>),
    Int(i64),
    Real(f64),
    /// No value (a depth level the side did not have; a bar without volume).
    Null,
}

/// The tables rows go to, each with its columns in schema order.
pub(crate) fn columns(table: &str) -> Vec<String> {
    let quote = [
        "segment",
        "security_id",
        "ltp",
        "ltq",
        "ltt",
        "atp",
        "volume",
        "total_sell_qty",
        "total_buy_qty",
    ];
    let ohlc = ["open", "close", "high", "low"];
    let mut c: Vec<String> = match table {
        "ticks" => ["segment", "security_id", "ltp", "ltt"]
            .map(String::from)
            .to_vec(),
        "quotes" => quote.iter().chain(&ohlc).map(|s| (*s).to_owned()).collect(),
        "fulls" => {
            let mut c: Vec<String> = quote
                .iter()
                .chain(&["oi", "oi_day_high", "oi_day_low"])
                .chain(&ohlc)
                .map(|s| (*s).to_owned())
                .collect();
            for i in 1..=5 {
                for f in [
                    "bid_price",
                    "bid_qty",
                    "bid_orders",
                    "ask_price",
                    "ask_qty",
                    "ask_orders",
                ] {
                    c.push(format!("{f}_{i}"));
                }
            }
            c
        }
        "oi" => ["segment", "security_id", "oi"].map(String::from).to_vec(),
        "prev_close" => ["segment", "security_id", "prev_close", "prev_oi"]
            .map(String::from)
            .to_vec(),
        "order_updates" => {
            let mut c = Vec::new();
            OrderUpdate::default().for_each_field(|name, _| {
                if name != "client_id" {
                    c.push(name.to_owned());
                }
            });
            c.push("reconciled".into());
            c
        }
        "gaps" => ["feed", "missed", "reason"].map(String::from).to_vec(),
        "depth_top" => {
            let mut c: Vec<String> = ["segment", "security_id", "depth", "side", "levels"]
                .map(String::from)
                .to_vec();
            for i in 1..=TOP_LEVELS {
                for f in ["price", "qty", "orders"] {
                    c.push(format!("{f}_{i}"));
                }
            }
            c
        }
        "candles" => [
            "segment",
            "security_id",
            "start",
            "interval_secs",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "packets",
            "closed",
        ]
        .map(String::from)
        .to_vec(),
        _ => Vec::new(),
    };
    c.push("recv_ns".into());
    c
}

/// Every table; a row's table is its index here.
pub(crate) const TABLES: [&str; 9] = [
    "ticks",
    "quotes",
    "fulls",
    "oi",
    "prev_close",
    "order_updates",
    "gaps",
    "depth_top",
    "candles",
];

/// Every row of `batch`, in order of kind: its table (an index in [`TABLES`])
/// and its cells, stamped in wall-clock nanoseconds (`recv_ns + wall_offset_ns`).
pub(crate) fn for_each_row<E>(
    batch: &Batch,
    wall_offset_ns: i64,
    mut f: impl FnMut(usize, &[Cell<'static>]) -> Result<(), E>,
) -> Result<(), E> {
    let wall = |recv_ns: u64| recv_ns as i64 + wall_offset_ns;
    let mut cells: Vec<Cell<'static>> = Vec::with_capacity(48);
    for m in &batch.market {
        if let Some(t) = market_row(m, wall(m.recv_ns), &mut cells) {
            f(t, &cells)?;
        }
    }
    for (u, recv_ns) in &batch.orders {
        order_row(u, wall(*recv_ns), &mut cells);
        f(ORDERS, &cells)?;
    }
    for d in &batch.depth {
        depth_row(d, wall(d.recv_ns), &mut cells);
        f(DEPTH, &cells)?;
    }
    for c in &batch.candles {
        candle_row(c, wall(c.recv_ns), &mut cells);
        f(CANDLES, &cells)?;
    }
    for g in &batch.gaps {
        gap_row(g, wall(g.recv_ns), &mut cells);
        f(GAPS, &cells)?;
    }
    Ok(())
}

/// A segment's name (its number when unknown), borrowed when known.
fn seg(id: InstrumentId) -> Cell<'static> {
    Cell::Text(match id.segment.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(id.segment.as_u8().to_string()),
    })
}

fn real(x: f32) -> Cell<'static> {
    Cell::Real(f64::from(x))
}

fn int(x: impl Into<i64>) -> Cell<'static> {
    Cell::Int(x.into())
}

/// The table of a market event (its index in [`TABLES`]) and its cells (into
/// `out`, cleared first); `None` for a packet kind without a table.
fn market_row(m: &MarketEvent, recv_wall_ns: i64, out: &mut Vec<Cell<'static>>) -> Option<usize> {
    out.clear();
    let table = match &m.packet {
        MarketPacket::Ticker(t) => {
            out.extend([
                seg(t.id),
                int(t.id.security_id),
                real(t.ltp),
                int(t.ltt.raw()),
            ]);
            0
        }
        MarketPacket::Quote(q) => {
            out.extend([
                seg(q.id),
                int(q.id.security_id),
                real(q.ltp),
                int(q.ltq),
                int(q.ltt.raw()),
                real(q.atp),
                int(q.volume),
                int(q.total_sell_qty),
                int(q.total_buy_qty),
                real(q.open),
                real(q.close),
                real(q.high),
                real(q.low),
            ]);
            1
        }
        MarketPacket::Full(f) => {
            out.extend([
                seg(f.id),
                int(f.id.security_id),
                real(f.ltp),
                int(f.ltq),
                int(f.ltt.raw()),
                real(f.atp),
                int(f.volume),
                int(f.total_sell_qty),
                int(f.total_buy_qty),
                int(f.oi),
                int(f.oi_day_high),
                int(f.oi_day_low),
                real(f.open),
                real(f.close),
                real(f.high),
                real(f.low),
            ]);
            for l in &f.depth {
                out.extend([
                    real(l.bid_price),
                    int(l.bid_qty),
                    int(l.bid_orders),
                    real(l.ask_price),
                    int(l.ask_qty),
                    int(l.ask_orders),
                ]);
            }
            2
        }
        MarketPacket::Oi(o) => {
            out.extend([seg(o.id), int(o.id.security_id), int(o.oi)]);
            3
        }
        MarketPacket::PrevClose(p) => {
            out.extend([
                seg(p.id),
                int(p.id.security_id),
                real(p.prev_close),
                int(p.prev_oi),
            ]);
            4
        }
        _ => return None,
    };
    out.push(Cell::Int(recv_wall_ns));
    Some(table)
}

/// An order update's cells: every field but the client id, `reconciled`, the
/// stamp (its text copied: order updates are few).
fn order_row(u: &OrderUpdate, recv_wall_ns: i64, out: &mut Vec<Cell<'static>>) {
    out.clear();
    u.for_each_field(|name, f| {
        if name == "client_id" {
            return;
        }
        out.push(match f {
            FieldValue::Text(t) => Cell::Text(Cow::Owned(t.to_owned())),
            FieldValue::Int(i) => Cell::Int(i),
            FieldValue::Float(x) => Cell::Real(x),
        });
    });
    out.push(Cell::Int(i64::from(u.reconciled)));
    out.push(Cell::Int(recv_wall_ns));
}

/// A depth side's cells: its best levels, `NULL` past the levels it had.
fn depth_row(d: &DepthRow, recv_wall_ns: i64, out: &mut Vec<Cell<'static>>) {
    out.clear();
    out.extend([
        seg(d.id),
        int(d.id.security_id),
        int(d.depth),
        Cell::Text(Cow::Borrowed(match d.side {
            crate::proto::DepthSide::Bid => "bid",
            crate::proto::DepthSide::Ask => "ask",
        })),
        int(d.levels),
    ]);
    for l in &d.top {
        match l {
            Some(l) => out.extend([Cell::Real(l.price), int(l.qty), int(l.orders)]),
            None => out.extend([Cell::Null, Cell::Null, Cell::Null]),
        }
    }
    out.push(Cell::Int(recv_wall_ns));
}

/// A bar's cells.
fn candle_row(c: &CandleRow, recv_wall_ns: i64, out: &mut Vec<Cell<'static>>) {
    let b = &c.bar;
    out.clear();
    out.extend([
        seg(b.id),
        int(b.id.security_id),
        int(b.start),
        int(b.interval),
        real(b.open),
        real(b.high),
        real(b.low),
        real(b.close),
        b.volume.map_or(Cell::Null, |v| Cell::Int(v as i64)),
        int(b.packets),
        int(c.closed),
        Cell::Int(recv_wall_ns),
    ]);
}

/// A gap's cells.
fn gap_row(g: &GapRow, recv_wall_ns: i64, out: &mut Vec<Cell<'static>>) {
    out.clear();
    out.extend([
        Cell::Text(Cow::Borrowed(g.feed)),
        Cell::Int(g.missed as i64),
        Cell::Text(Cow::Borrowed(g.reason)),
        Cell::Int(recv_wall_ns),
    ]);
}

/// `INSERT INTO table (cols) VALUES (?1, …)`.
#[cfg(feature = "sqlite")]
pub(crate) fn insert_sql(table: &str) -> String {
    let cols = columns(table);
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        cols.join(", "),
        marks.join(", ")
    )
}

/// Index of `order_updates` in [`TABLES`].
const ORDERS: usize = 5;
/// Index of `gaps` in [`TABLES`].
const GAPS: usize = 6;
/// Index of `depth_top` in [`TABLES`].
const DEPTH: usize = 7;
/// Index of `candles` in [`TABLES`].
const CANDLES: usize = 8;
