//! Market-feed messages: every packet decodes or fails at the right offset, the
//! consumed length is the sum of the packets' lengths, and each decoded packet
//! re-encodes to the bytes it came from.
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
                let n = encoded_len(&p);
                let re = packet_bytes(&p);
                let cmp = match p {
                    MarketPacket::MarketStatus(_) | MarketPacket::Unknown(_) => 8,
                    _ => n,
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
