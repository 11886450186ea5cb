//! Market-feed messages: every packet decodes or fails at the right offset, the
//! consumed length is the sum of the packets' lengths, and each decoded packet
//! re-encodes to the bytes it came from (a disconnect may be longer than 10 bytes:
//! its first 10).
#![no_main]

use dhan_feed::proto::market::{MarketPacket, packets};
use dhan_feed::proto::market_encode::{encoded_len, packet_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut it = packets(data);
    let mut sum = 0usize;
    let mut failed = false;
    while let Some(r) = it.next() {
        assert!(!failed, "no packet after an error");
        match r {
            Ok(p) => {
                // What the packet took: its declared length.
                let n = it.consumed() - sum;
                let mut re = packet_bytes(&p);
                let cmp = match p {
                    MarketPacket::MarketStatus(_) | MarketPacket::Unknown(_) => 8,
                    // At least 10 bytes; only the first 10 carry fields, and the
                    // length field declares what was consumed.
                    MarketPacket::Disconnect(_) => {
                        assert!(n >= 10);
                        re[1..3].copy_from_slice(&(n as u16).to_le_bytes());
                        10
                    }
                    _ => {
                        assert_eq!(n, encoded_len(&p));
                        n
                    }
                };
                assert_eq!(&re[..cmp], &data[sum..sum + cmp], "round trip of {p:?}");
                sum += n;
            }
            Err(e) => {
                assert_eq!(e.offset(), sum);
                failed = true;
            }
        }
        assert_eq!(it.consumed(), sum);
    }
    assert!(failed || sum == data.len());
});
