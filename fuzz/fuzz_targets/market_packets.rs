//! Market-feed messages: every packet decodes or fails at the right offset, the
//! walk goes on after a malformed packet exactly when its length can be trusted,
//! the consumed length is the sum of the packets' (and skipped packets') lengths,
//! and each decoded packet re-encodes to the bytes it came from (a packet longer
//! than its kind: its kind's bytes; a disconnect: its first 10).
#![no_main]

use dhan_feed::proto::market::{MarketPacket, packets};
use dhan_feed::proto::market_encode::{encoded_len, packet_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut it = packets(data);
    let mut sum = 0usize;
    let mut ended = false;
    let mut extended = 0u32;
    while let Some(r) = it.next() {
        assert!(!ended, "nothing after the walk ended");
        match r {
            Ok(p) => {
                // What the packet took: its declared length.
                let n = it.consumed() - sum;
                let mut re = packet_bytes(&p);
                // The length field declares what was consumed.
                re[1..3].copy_from_slice(&(n as u16).to_le_bytes());
                let cmp = match p {
                    // A code-0 bare header may declare less than its 8 bytes.
                    MarketPacket::Unknown(u) if u.code == 0 && n == 8 => {
                        re[1..3].copy_from_slice(&data[sum + 1..sum + 3]);
                        8
                    }
                    MarketPacket::MarketStatus(_) | MarketPacket::Unknown(_) => 8,
                    // At least 10 bytes; only the first 10 carry fields.
                    MarketPacket::Disconnect(_) => {
                        assert!(n >= 10);
                        10
                    }
                    // A packet longer than its kind: its known fields, the rest
                    // skipped.
                    _ => {
                        assert!(n >= encoded_len(&p));
                        extended += u32::from(n > encoded_len(&p));
                        encoded_len(&p)
                    }
                };
                assert_eq!(&re[..cmp], &data[sum..sum + cmp], "round trip of {p:?}");
                sum += n;
            }
            Err(e) => {
                assert_eq!(e.offset(), sum);
                // Skipped by its trusted declared length, or the end of the walk.
                let skipped = it.consumed() - sum;
                if skipped == 0 {
                    ended = true;
                    assert!(it.ended_early());
                } else {
                    assert!(skipped >= 8);
                    sum += skipped;
                }
            }
        }
        assert_eq!(it.consumed(), sum);
    }
    assert_eq!(it.extended(), extended);
    assert!(ended || sum == data.len());
});
