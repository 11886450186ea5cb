//! Global Stocks messages: every packet decodes or fails at the right offset, the
//! walk goes on after a malformed packet exactly when its length can be trusted,
//! the consumed length is the sum of the packets' (and skipped packets') lengths,
//! and each decoded packet re-encodes to the bytes it came from (a packet longer
//! than its kind: its kind's bytes; an unknown code: its header; the standalone
//! error form: the whole 10-byte message but its unread length field).
#![no_main]

use dhan_feed::proto::global::{GlobalData, default_len, global_packets, size};
use dhan_feed::proto::global_encode::global_packet_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut it = global_packets(data);
    let mut sum = 0usize;
    let mut ended = false;
    let mut extended = 0u32;
    while let Some(r) = it.next() {
        assert!(!ended, "nothing after the walk ended");
        match r {
            Ok(p) => {
                let n = it.consumed() - sum;
                let re = global_packet_bytes(&p);
                let cmp = if usize::from(p.declared_len) == size::ERROR_STANDALONE
                    && matches!(p.data, GlobalData::Error { .. })
                {
                    // The standalone form is a whole message of its own.
                    assert_eq!((sum, n, data.len()), (0, 10, 10));
                    // Its u16 length field is not read (the SDK does not either).
                    assert_eq!((re[0], &re[3..]), (data[0], &data[3..10]));
                    0
                } else {
                    let want = default_len(p.code()).unwrap_or(size::HEADER);
                    // The length byte says what the packet took; 0 stands for
                    // the code's size.
                    let declared = usize::from(data[sum + 9]);
                    assert_eq!(n, if declared == 0 { want } else { declared }, "{p:?}");
                    if default_len(p.code()).is_some() {
                        extended += u32::from(n > want);
                    }
                    want
                };
                assert_eq!(&re[..cmp], &data[sum..sum + cmp], "round trip of {p:?}");
                sum += n;
            }
            Err(e) => {
                assert_eq!(e.offset(), sum);
                let skipped = it.consumed() - sum;
                if skipped == 0 {
                    ended = true;
                    assert!(it.ended_early());
                } else {
                    assert!(skipped >= size::HEADER);
                    sum += skipped;
                }
            }
        }
        assert_eq!(it.consumed(), sum);
    }
    assert_eq!(it.extended(), extended);
    assert!(ended || sum == data.len());
});
