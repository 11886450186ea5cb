//! Depth messages (first byte picks 20- or 200-level): every packet decodes or
//! fails at the right offset, the walk goes on after a bad packet exactly when
//! its length can be trusted, levels stay within the feed's maximum, and a
//! levels packet re-encodes to the bytes it came from (a lengthened one: its
//! levels' bytes).
#![no_main]

use dhan_feed::proto::depth::{DepthKind, DepthPacket, depth_packets};
use dhan_feed::proto::depth_encode::encode_levels;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, msg)) = data.split_first() else {
        return;
    };
    let kind = if sel & 1 == 0 {
        DepthKind::Twenty
    } else {
        DepthKind::TwoHundred
    };
    let mut it = depth_packets(kind, msg);
    let mut start = 0usize;
    let mut levels = Vec::new();
    while let Some(r) = it.next() {
        match r {
            Ok(p) => {
                let end = it.consumed();
                assert!(end > start && end <= msg.len());
                if let DepthPacket::Levels(l) = p {
                    assert!(l.len() <= kind.max_levels());
                    levels.clear();
                    levels.extend(l.iter());
                    let mut re = Vec::new();
                    let n = encode_levels(kind, l.side, l.id, l.seq_or_rows, &levels, &mut re);
                    // A 200-level packet may carry more room than rows; compare what the rows cover.
                    let src = &msg[start..end];
                    assert_eq!(&re[2..n], &src[2..n], "round trip");
                }
                start = end;
            }
            Err(e) => {
                assert_eq!(e.offset(), start);
                // Skipped by its trusted length (at least a header), or the end.
                let end = it.consumed();
                assert!(end == start || end >= start + 12);
                start = end;
            }
        }
    }
    assert_eq!(it.consumed(), start);
    assert!(it.ended_early() || start == msg.len());
});
