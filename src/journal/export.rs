//! A journal to Parquet (`parquet` feature): one zstd-compressed file per event
//! kind — `ticks`, `quotes`, `fulls` (five depth levels a side as columns),
//! `oi`, `prev_close`, `depth_levels` (one row per level of every 20/200-level
//! side), `order_updates` — with the database sinks' column names. Prices are
//! doubles in rupees (the feed's f32 widened exactly), counts and quantities
//! 64-bit integers, `ltt` the feed's last-trade time (IST wall clock counted as
//! Unix seconds), `recv_ns` the receive time in Unix nanoseconds; each field's
//! unit is in its metadata (`unit`). A kind the journal holds none of gets no
//! file.

use super::{JournalError, JournalReader, RecordKind};
use crate::proto::depth::{DepthKind, DepthPacket, DepthSide, depth_packets};
use crate::proto::endpoint::FeedKind;
use crate::proto::market::{MarketPacket, packets};
use crate::proto::order::{FieldValue, OrderUpdate, OrderUpdateParser};
use crate::proto::segment::InstrumentId;
use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

/// Rows a table gathers before it writes them as a row group.
const ROWS: usize = 65_536;

/// One value of a row.
enum V<'a> {
    I(i64),
    F(f64),
    S(&'a str),
}

enum Col {
    I(Int64Builder),
    F(Float64Builder),
    S(StringBuilder),
}

/// One output file: its columns (typed by the first row) and its writer.
struct Table {
    name: &'static str,
    names: Vec<String>,
    cols: Vec<Col>,
    schema: Option<Arc<Schema>>,
    writer: Option<ArrowWriter<std::fs::File>>,
    rows: usize,
    written: u64,
}

/// The unit of a column, by its name.
fn unit(name: &str) -> &'static str {
    match name {
        "recv_ns" => "ns since the Unix epoch",
        "ltt" => "s: IST wall clock counted as Unix seconds",
        n if n.contains("price")
            || matches!(
                n,
                "ltp"
                    | "atp"
                    | "open"
                    | "close"
                    | "high"
                    | "low"
                    | "prev_close"
                    | "ref_ltp"
                    | "tick_size"
                    | "avg_traded_price"
            ) =>
        {
            "rupees"
        }
        n if n.contains("qty") || n == "volume" || n.starts_with("oi") || n == "prev_oi" => {
            "shares or contracts"
        }
        n if n.contains("orders") => "orders",
        _ => "",
    }
}

impl Table {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            names: Vec::new(),
            cols: Vec::new(),
            schema: None,
            writer: None,
            rows: 0,
            written: 0,
        }
    }

    /// Appends a row; the first row names and types the columns.
    fn push(&mut self, row: &[(&str, V<'_>)]) {
        if self.cols.is_empty() {
            for (n, v) in row {
                self.names.push((*n).to_owned());
                self.cols.push(match v {
                    V::I(_) => Col::I(Int64Builder::new()),
                    V::F(_) => Col::F(Float64Builder::new()),
                    V::S(_) => Col::S(StringBuilder::new()),
                });
            }
        }
        for (c, (_, v)) in self.cols.iter_mut().zip(row) {
            match (c, v) {
                (Col::I(b), V::I(x)) => b.append_value(*x),
                (Col::F(b), V::F(x)) => b.append_value(*x),
                (Col::S(b), V::S(x)) => b.append_value(x),
                (Col::I(b), _) => b.append_null(),
                (Col::F(b), _) => b.append_null(),
                (Col::S(b), _) => b.append_null(),
            }
        }
        self.rows += 1;
    }

    /// Writes the gathered rows as a row group (the file made at the first).
    fn flush(&mut self, dir: &Path) -> Result<(), String> {
        if self.rows == 0 {
            return Ok(());
        }
        let schema = self
            .schema
            .get_or_insert_with(|| {
                let fields: Vec<Field> = self
                    .names
                    .iter()
                    .zip(&self.cols)
                    .map(|(n, c)| {
                        let t = match c {
                            Col::I(_) => DataType::Int64,
                            Col::F(_) => DataType::Float64,
                            Col::S(_) => DataType::Utf8,
                        };
                        let f = Field::new(n, t, true);
                        match unit(n) {
                            "" => f,
                            u => f.with_metadata(HashMap::from([("unit".into(), u.into())])),
                        }
                    })
                    .collect();
                Arc::new(Schema::new(fields))
            })
            .clone();
        let path = dir.join(format!("{}.parquet", self.name));
        if self.writer.is_none() {
            let file =
                std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .build();
            self.writer = Some(
                ArrowWriter::try_new(file, schema.clone(), Some(props))
                    .map_err(|e| format!("{}: {e}", path.display()))?,
            );
        }
        let cols: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Col::I(b) => Arc::new(b.finish()),
                    Col::F(b) => Arc::new(b.finish()),
                    Col::S(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        let batch = RecordBatch::try_new(schema, cols).map_err(|e| e.to_string())?;
        let w = self.writer.as_mut().expect("made above");
        w.write(&batch)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        self.written += self.rows as u64;
        self.rows = 0;
        Ok(())
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Each file written and its rows.
    pub files: Vec<(PathBuf, u64)>,
    /// Journal records read.
    pub records: u64,
    /// Where the journal was damaged, if it was (everything before was exported).
    pub damage: Option<String>,
}

fn seg(id: InstrumentId) -> Cow<'static, str> {
    match id.segment.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(id.segment.to_string()),
    }
}

/// The full packet's depth columns, level by level (named once, not per row).
static DEPTH_NAMES: LazyLock<Vec<[String; 6]>> = LazyLock::new(|| {
    (1..=5)
        .map(|k| {
            [
                "bid_price",
                "bid_qty",
                "bid_orders",
                "ask_price",
                "ask_qty",
                "ask_orders",
            ]
            .map(|c| format!("{c}_{k}"))
        })
        .collect()
});

fn f(x: f32) -> V<'static> {
    V::F(f64::from(x))
}

fn i(x: impl Into<i64>) -> V<'static> {
    V::I(x.into())
}

/// Exports the journal at `journal` into `dir` (created if missing).
pub fn export_parquet(journal: &Path, dir: &Path) -> Result<ExportStats, JournalError> {
    let io = |e: std::io::Error| JournalError::Io {
        file: dir.to_path_buf(),
        source: e,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut reader = JournalReader::open(journal)?;
    let mut t: Vec<Table> = [
        "ticks",
        "quotes",
        "fulls",
        "oi",
        "prev_close",
        "depth_levels",
        "order_updates",
    ]
    .into_iter()
    .map(Table::new)
    .collect();
    let mut parser = OrderUpdateParser::new();
    let mut slot = OrderUpdate::default();
    let mut stats = ExportStats::default();
    let fail = JournalError::Export;
    while let Some(rec) = reader.next_ref() {
        stats.records += 1;
        match (rec.feed_kind(), rec.kind) {
            (Some(FeedKind::MarketFeed), RecordKind::Binary) => {
                for p in packets(rec.payload).flatten() {
                    market_row(&p, rec.recv_wall_ns, &mut t);
                }
            }
            (Some(k @ (FeedKind::Depth20 | FeedKind::Depth200)), RecordKind::Binary) => {
                let (kind, n) = if k == FeedKind::Depth20 {
                    (DepthKind::Twenty, 20)
                } else {
                    (DepthKind::TwoHundred, 200)
                };
                for p in depth_packets(kind, rec.payload).flatten() {
                    if let DepthPacket::Levels(l) = p {
                        let s = seg(l.id);
                        let side = match l.side {
                            DepthSide::Bid => "bid",
                            DepthSide::Ask => "ask",
                        };
                        for (level, lv) in l.iter().enumerate() {
                            t[5].push(&[
                                ("segment", V::S(&s)),
                                ("security_id", i(l.id.security_id)),
                                ("depth", i(n)),
                                ("side", V::S(side)),
                                ("level", i(level as i64 + 1)),
                                ("price", V::F(lv.price)),
                                ("qty", i(lv.qty)),
                                ("orders", i(lv.orders)),
                                ("recv_ns", i(rec.recv_wall_ns)),
                            ]);
                        }
                    }
                }
            }
            (Some(FeedKind::OrderUpdate), RecordKind::Text) => {
                let t6 = &mut t[6];
                parser.parse_frame(rec.payload, &mut slot, |r| {
                    if let Ok((crate::proto::order::OrderMessageKind::Update, u)) = r {
                        // Text copied out: the update's fields lend it per call.
                        let mut texts: Vec<(&'static str, String)> = Vec::new();
                        let mut nums: Vec<(&'static str, V<'static>)> = Vec::new();
                        let mut order: Vec<(&'static str, bool)> = Vec::with_capacity(48);
                        u.for_each_field(|name, v| {
                            if name == "client_id" {
                                return;
                            }
                            match v {
                                FieldValue::Text(s) => {
                                    texts.push((name, s.to_owned()));
                                    order.push((name, true));
                                }
                                FieldValue::Int(x) => {
                                    nums.push((name, V::I(x)));
                                    order.push((name, false));
                                }
                                FieldValue::Float(x) => {
                                    nums.push((name, V::F(x)));
                                    order.push((name, false));
                                }
                            }
                        });
                        let (mut ti, mut ni) = (0, 0);
                        let mut row: Vec<(&str, V<'_>)> = Vec::with_capacity(order.len() + 2);
                        for (name, text) in order {
                            if text {
                                row.push((name, V::S(&texts[ti].1)));
                                ti += 1;
                            } else {
                                row.push((name, nums[ni].1.copy()));
                                ni += 1;
                            }
                        }
                        row.push(("reconciled", i(i64::from(u.reconciled))));
                        row.push(("recv_ns", V::I(rec.recv_wall_ns)));
                        t6.push(&row);
                    }
                });
            }
            _ => {}
        }
        for table in t.iter_mut().filter(|x| x.rows >= ROWS) {
            table.flush(dir).map_err(fail)?;
        }
    }
    stats.damage = reader.damage().map(ToString::to_string);
    for table in &mut t {
        table.flush(dir).map_err(fail)?;
        if let Some(w) = table.writer.take() {
            w.close().map_err(|e| fail(e.to_string()))?;
            stats
                .files
                .push((dir.join(format!("{}.parquet", table.name)), table.written));
        }
    }
    Ok(stats)
}

/// A market packet's row, into its table.
fn market_row(p: &MarketPacket, recv_ns: i64, t: &mut [Table]) {
    let recv = ("recv_ns", V::I(recv_ns));
    match p {
        MarketPacket::Ticker(x) => {
            let s = seg(x.id);
            t[0].push(&[
                ("segment", V::S(&s)),
                ("security_id", i(x.id.security_id)),
                ("ltp", f(x.ltp)),
                ("ltt", i(x.ltt.raw())),
                recv,
            ]);
        }
        MarketPacket::Quote(q) => {
            let s = seg(q.id);
            t[1].push(&[
                ("segment", V::S(&s)),
                ("security_id", i(q.id.security_id)),
                ("ltp", f(q.ltp)),
                ("ltq", i(q.ltq)),
                ("ltt", i(q.ltt.raw())),
                ("atp", f(q.atp)),
                ("volume", i(q.volume)),
                ("total_sell_qty", i(q.total_sell_qty)),
                ("total_buy_qty", i(q.total_buy_qty)),
                ("open", f(q.open)),
                ("close", f(q.close)),
                ("high", f(q.high)),
                ("low", f(q.low)),
                recv,
            ]);
        }
        MarketPacket::Full(x) => {
            let s = seg(x.id);
            let mut row: Vec<(&str, V<'_>)> = Vec::with_capacity(17 + 6 * x.depth.len());
            row.extend([
                ("segment", V::S(&s)),
                ("security_id", i(x.id.security_id)),
                ("ltp", f(x.ltp)),
                ("ltq", i(x.ltq)),
                ("ltt", i(x.ltt.raw())),
                ("atp", f(x.atp)),
                ("volume", i(x.volume)),
                ("total_sell_qty", i(x.total_sell_qty)),
                ("total_buy_qty", i(x.total_buy_qty)),
                ("oi", i(x.oi)),
                ("oi_day_high", i(x.oi_day_high)),
                ("oi_day_low", i(x.oi_day_low)),
                ("open", f(x.open)),
                ("close", f(x.close)),
                ("high", f(x.high)),
                ("low", f(x.low)),
            ]);
            for (l, n) in x.depth.iter().zip(DEPTH_NAMES.iter()) {
                row.extend([
                    (n[0].as_str(), f(l.bid_price)),
                    (n[1].as_str(), i(l.bid_qty)),
                    (n[2].as_str(), i(l.bid_orders)),
                    (n[3].as_str(), f(l.ask_price)),
                    (n[4].as_str(), i(l.ask_qty)),
                    (n[5].as_str(), i(l.ask_orders)),
                ]);
            }
            row.push(("recv_ns", V::I(recv_ns)));
            t[2].push(&row);
        }
        MarketPacket::Oi(o) => {
            let s = seg(o.id);
            t[3].push(&[
                ("segment", V::S(&s)),
                ("security_id", i(o.id.security_id)),
                ("oi", i(o.oi)),
                recv,
            ]);
        }
        MarketPacket::PrevClose(p) => {
            let s = seg(p.id);
            t[4].push(&[
                ("segment", V::S(&s)),
                ("security_id", i(p.id.security_id)),
                ("prev_close", f(p.prev_close)),
                ("prev_oi", i(p.prev_oi)),
                recv,
            ]);
        }
        _ => {}
    }
}

impl V<'_> {
    fn copy(&self) -> V<'_> {
        match self {
            V::I(x) => V::I(*x),
            V::F(x) => V::F(*x),
            V::S(s) => V::S(s),
        }
    }
}
