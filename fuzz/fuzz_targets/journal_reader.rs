//! The journal reader (`dhan_feed::journal::JournalReader`) on any bytes, and on
//! real journals cut anywhere: never a panic, and
//! * arbitrary bytes: every record returned is counted, and damage, when
//!   reported, counts exactly the records returned before it;
//! * a journal of records cut at any byte: what comes back is a prefix of those
//!   records made of whole batches, and all of them when nothing was cut.
#![no_main]

use dhan_feed::internals::journal_bytes;
use dhan_feed::journal::{JournalReader, Record, RecordKind};
use libfuzzer_sys::fuzz_target;

fn read(bytes: Vec<u8>) -> Option<(Vec<Record>, JournalReader)> {
    let mut r = JournalReader::from_reader(std::io::Cursor::new(bytes)).ok()?;
    let got: Vec<Record> = r.by_ref().collect();
    assert_eq!(r.records(), got.len() as u64);
    if let Some(d) = r.damage() {
        assert_eq!(d.records, got.len() as u64);
    }
    Some((got, r))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let _ = read(rest.to_vec());
        return;
    }
    // Records from the input: each takes a kind byte, a length byte and that
    // many payload bytes.
    let batch_rows = usize::from(mode >> 4) + 1;
    let (cut, mut rest) = match rest.split_first() {
        Some((&c, r)) => (c, r),
        None => return,
    };
    let mut records = Vec::new();
    while let [kind, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        records.push(Record {
            recv_mono_ns: records.len() as u64 * 1_000,
            recv_wall_ns: 1_700_000_000_000_000_000 + records.len() as i64,
            conn: u16::from(*kind),
            feed: kind % 5,
            kind: RecordKind::from_u8(kind % 5).expect("0 to 4 are kinds"),
            payload: tail[..n].to_vec(),
        });
        rest = &tail[n..];
    }
    let bytes = journal_bytes(&records, batch_rows);
    // `cut` of 255 keeps everything; else the bytes are cut at that fraction.
    let keep = if cut == u8::MAX {
        bytes.len()
    } else {
        bytes.len() * usize::from(cut) / 255
    };
    let whole = keep == bytes.len();
    let Some((got, r)) = read(bytes[..keep].to_vec()) else {
        // Only a cut inside the schema message makes it unreadable.
        assert!(!whole, "a whole journal refused");
        return;
    };
    assert_eq!(
        got[..],
        records[..got.len()],
        "not a prefix of what was written"
    );
    if whole {
        assert_eq!(got.len(), records.len());
        assert!(r.damage().is_none());
    } else if got.len() < records.len() {
        assert_eq!(got.len() % batch_rows, 0, "a partial batch came back");
    }
});
