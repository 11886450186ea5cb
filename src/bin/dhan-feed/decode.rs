//! `dhan-feed decode --feed market|depth20|depth200|orders|global [FILE|-]`: prints every
//! packet or update of a capture as one JSON object per line.

use dhan_feed::jsonl;
use dhan_feed::proto::capture::{CaptureError, CaptureReader};
use dhan_feed::proto::depth::{DepthKind, depth_packets};
use dhan_feed::proto::global::global_packets;
use dhan_feed::proto::market::packets;
use dhan_feed::proto::order::{OrderMessageKind, OrderUpdate, OrderUpdateParser};
use std::io::{self, Read, Write};

/// Which feed a capture holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FeedKind {
    /// Live market feed (binary).
    Market,
    /// 20-level depth (binary).
    Depth20,
    /// 200-level depth (binary).
    Depth200,
    /// Order updates (JSON text).
    Orders,
    /// Global Stocks (US) feed (binary).
    Global,
}

/// Why decoding stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeCliError {
    /// The capture file itself is malformed or unreadable.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// A record's payload could not be decoded.
    #[error("record {record} (file offset {record_offset}): {detail} (file offset {file_offset})")]
    Payload {
        /// Record number, from 1.
        record: u64,
        /// File offset of the record.
        record_offset: u64,
        /// File offset of the offending packet or object.
        file_offset: u64,
        /// What went wrong, with the offset within the message.
        detail: String,
    },
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Output(io::Error),
    /// Some records had bad packets or objects (each was reported; everything
    /// else was printed).
    #[error("{bad} bad packet(s) or object(s) in {records} record(s); everything else was printed")]
    Bad {
        /// Bad packets or objects.
        bad: u64,
        /// Records they were in.
        records: u64,
    },
}

/// Decodes every record of `input` and writes JSON lines to `out`. A bad packet
/// or object is handed to `report` (with its record and file offsets) and the
/// rest is decoded: the packets after it in its message when its length can be
/// trusted, and every later record. A packet longer than its kind is not bad.
/// The result is an error when anything was bad ([`DecodeCliError::Bad`]) or
/// when the capture's own framing is broken (then decoding stops there).
pub fn run(
    feed: FeedKind,
    input: impl Read,
    out: &mut impl Write,
    report: &mut dyn FnMut(&DecodeCliError),
) -> Result<u64, DecodeCliError> {
    let (mut bad, mut bad_records) = (0u64, 0u64);
    let mut reader = CaptureReader::new(io::BufReader::new(input));
    let mut line = Vec::with_capacity(4096);
    let mut orders = OrderUpdateParser::new();
    let mut slot = OrderUpdate::EMPTY;
    let mut printed = 0u64;
    let result = loop {
        let rec = match reader.next_record() {
            Ok(Some(r)) => r,
            Ok(None) if bad > 0 => {
                break Err(DecodeCliError::Bad {
                    bad,
                    records: bad_records,
                });
            }
            Ok(None) => break Ok(printed),
            Err(e) => break Err(e.into()),
        };
        let fail = |msg_offset: usize, detail: String| DecodeCliError::Payload {
            record: rec.number,
            record_offset: rec.offset,
            file_offset: rec.payload_offset() + msg_offset as u64,
            detail,
        };
        line.clear();
        let mut errs: Vec<DecodeCliError> = Vec::new();
        match feed {
            FeedKind::Market => {
                for p in packets(rec.payload) {
                    match p {
                        Ok(p) => {
                            jsonl::market_packet(&p, &mut line);
                            printed += 1;
                        }
                        Err(e) => errs.push(fail(e.offset(), e.to_string())),
                    }
                }
            }
            FeedKind::Depth20 | FeedKind::Depth200 => {
                let kind = if feed == FeedKind::Depth20 {
                    DepthKind::Twenty
                } else {
                    DepthKind::TwoHundred
                };
                for p in depth_packets(kind, rec.payload) {
                    match p {
                        Ok(p) => {
                            jsonl::depth_packet(&p, &mut line);
                            printed += 1;
                        }
                        Err(e) => errs.push(fail(e.offset(), e.to_string())),
                    }
                }
            }
            FeedKind::Global => {
                for p in global_packets(rec.payload) {
                    match p {
                        Ok(p) => {
                            jsonl::global_packet(&p, &mut line);
                            printed += 1;
                        }
                        Err(e) => errs.push(fail(e.offset(), e.to_string())),
                    }
                }
            }
            FeedKind::Orders => {
                orders.parse_frame(rec.payload, &mut slot, |r| match r {
                    Ok((OrderMessageKind::Update, u)) => {
                        jsonl::order_update(u, &mut line);
                        printed += 1;
                    }
                    Ok((OrderMessageKind::Other(t), _)) => {
                        jsonl::order_other(t.as_str(), &mut line);
                        printed += 1;
                    }
                    Err(e) => errs.push(fail(e.offset(), e.to_string())),
                });
            }
        }
        if let Err(e) = out.write_all(&line) {
            break Err(DecodeCliError::Output(e));
        }
        if !errs.is_empty() {
            // What was printed so far reaches the output before the report.
            if let Err(e) = out.flush() {
                break Err(DecodeCliError::Output(e));
            }
            bad += errs.len() as u64;
            bad_records += 1;
            errs.iter().for_each(&mut *report);
        }
    };
    out.flush().map_err(DecodeCliError::Output)?;
    result
}
