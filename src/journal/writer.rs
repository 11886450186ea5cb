//! The recorder thread: drains the tap's ring into Arrow record batches, writes
//! each as a message of an IPC stream and hands it to the OS at once (a killed
//! process loses at most the batch being built), rotating files by size.

use super::config::{JournalConfig, JournalStats, nth_file};
use super::schema::schema;
use crate::tap::TapReader;
use arrow_array::builder::{
    BinaryBuilder, Int64Builder, UInt8Builder, UInt16Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_ipc::writer::StreamWriter;
use std::fs::File;
use std::io::BufWriter;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The columns being filled.
struct Builders {
    mono: UInt64Builder,
    wall: Int64Builder,
    conn: UInt16Builder,
    feed: UInt8Builder,
    kind: UInt8Builder,
    payload: BinaryBuilder,
    rows: usize,
    bytes: usize,
}

impl Builders {
    fn new(rows: usize) -> Self {
        Self {
            mono: UInt64Builder::with_capacity(rows),
            wall: Int64Builder::with_capacity(rows),
            conn: UInt16Builder::with_capacity(rows),
            feed: UInt8Builder::with_capacity(rows),
            kind: UInt8Builder::with_capacity(rows),
            payload: BinaryBuilder::with_capacity(rows, rows * 64),
            rows: 0,
            bytes: 0,
        }
    }

    /// The rows so far as a batch; the builders start again empty.
    fn finish(&mut self) -> Result<RecordBatch, arrow_schema::ArrowError> {
        self.rows = 0;
        self.bytes = 0;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.mono.finish()),
            Arc::new(self.wall.finish()),
            Arc::new(self.conn.finish()),
            Arc::new(self.feed.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.payload.finish()),
        ];
        RecordBatch::try_new(schema(), cols)
    }
}

/// The file being written.
pub(crate) struct Out {
    writer: StreamWriter<BufWriter<File>>,
    /// Bytes written into this file (batch payloads and headers, roughly).
    bytes: u64,
    opened: Instant,
}

/// What the recorder thread shares with [`super::Recorder`].
#[derive(Default)]
pub(crate) struct Shared {
    pub stop: AtomicBool,
    pub stats: Mutex<JournalStats>,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut JournalStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Opens file `n` of the journal, its schema written.
fn open(cfg: &JournalConfig, n: u32) -> Result<Out, String> {
    let path = nth_file(&cfg.path, n);
    let file = File::create(&path).map_err(|e| format!("journal {}: {e}", path.display()))?;
    let mut writer = StreamWriter::try_new(BufWriter::new(file), &schema())
        .map_err(|e| format!("journal {}: {e}", path.display()))?;
    writer
        .flush()
        .map_err(|e| format!("journal {}: {e}", path.display()))?;
    Ok(Out {
        writer,
        bytes: 0,
        opened: Instant::now(),
    })
}

/// The recorder thread's body: runs until a stop is asked and the ring is
/// empty, or the client's I/O thread is gone and the ring is empty.
pub(crate) fn run(mut tap: TapReader, cfg: JournalConfig, mut out: Option<Out>, shared: &Shared) {
    let mut b = Builders::new(cfg.batch_rows);
    let mut last_write = Instant::now();
    let mut file_no = 0u32;
    let mut failing = false;
    loop {
        let stopping = shared.stop.load(Ordering::Acquire) || tap.abandoned();
        let mut took = 0usize;
        while b.rows < cfg.batch_rows {
            // About a batch's worth of records at a time, one ring commit each.
            let n = tap.drain(1 << 20, |rec, payload| {
                b.mono.append_value(rec.recv_mono_ns);
                b.wall.append_value(rec.recv_wall_ns);
                b.conn.append_value(rec.conn);
                b.feed.append_value(rec.feed);
                b.kind.append_value(rec.kind as u8);
                b.payload.append_value(payload);
                b.rows += 1;
                b.bytes += payload.len() + 24;
            });
            took += n;
            if n == 0 {
                break;
            }
        }
        let due = b.rows >= cfg.batch_rows
            || (b.rows > 0 && (stopping || last_write.elapsed() >= cfg.flush_every));
        if due {
            let rows = b.rows as u64;
            let bytes = b.bytes as u64;
            let result = b.finish().map_err(|e| e.to_string()).and_then(|batch| {
                // Rotate before a batch that would make the file too large or old.
                let rotate = out.as_ref().is_some_and(|o| {
                    (cfg.rotate_bytes > 0 && o.bytes + bytes > cfg.rotate_bytes && o.bytes > 0)
                        || cfg.rotate_every.is_some_and(|d| o.opened.elapsed() >= d)
                });
                if rotate && let Some(mut o) = out.take() {
                    let _ = o.writer.finish();
                    file_no += 1;
                }
                if out.is_none() {
                    out = Some(open(&cfg, file_no)?);
                    shared.update(|s| s.files += 1);
                }
                let o = out.as_mut().expect("opened above");
                o.writer
                    .write(&batch)
                    .and_then(|()| o.writer.flush())
                    .map_err(|e| {
                        format!("journal {}: {e}", nth_file(&cfg.path, file_no).display())
                    })?;
                o.bytes += bytes;
                Ok(())
            });
            last_write = Instant::now();
            match result {
                Ok(()) => {
                    if failing {
                        log::info!("dhan-feed journal: writing again");
                        failing = false;
                    }
                    shared.update(|s| {
                        s.records += rows;
                        s.batches += 1;
                        s.bytes += bytes;
                        s.missed = tap.missed();
                    });
                }
                Err(e) => {
                    if !failing {
                        log::error!("dhan-feed journal: {e}; {rows} records lost (counted)");
                        failing = true;
                    }
                    // A stream cut by a failed write cannot go on: the next
                    // batch starts the next file.
                    if out.take().is_some() {
                        file_no += 1;
                    }
                    shared.update(|s| {
                        s.lost += rows;
                        s.last_error = Some(e);
                    });
                }
            }
        }
        if stopping && took == 0 && b.rows == 0 {
            if let Some(mut o) = out.take() {
                let _ = o.writer.finish();
            }
            shared.update(|s| s.missed = tap.missed());
            return;
        }
        if took == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Opens the first file now, so that a bad path fails where the recording is
/// asked for.
pub(crate) fn first(cfg: &JournalConfig) -> Result<Out, String> {
    open(cfg, 0)
}

/// `records` as a journal's bytes, in batches of `batch_rows`, ended with the
/// end-of-stream marker (what a recorder writes; for the fuzz target).
pub(crate) fn to_bytes(records: &[super::Record], batch_rows: usize) -> Vec<u8> {
    let mut w = StreamWriter::try_new(Vec::new(), &schema()).expect("a Vec takes the schema");
    let mut b = Builders::new(batch_rows.max(1));
    for chunk in records.chunks(batch_rows.max(1)) {
        for r in chunk {
            b.mono.append_value(r.recv_mono_ns);
            b.wall.append_value(r.recv_wall_ns);
            b.conn.append_value(r.conn);
            b.feed.append_value(r.feed);
            b.kind.append_value(r.kind as u8);
            b.payload.append_value(&r.payload);
        }
        let batch = b.finish().expect("the schema's columns");
        w.write(&batch).expect("a Vec takes a batch");
    }
    w.finish().expect("a Vec takes the end marker");
    w.into_inner().expect("finished")
}
