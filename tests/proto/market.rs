use crate::strategies::*;
use dhan_feed::proto::market::*;
use dhan_feed::proto::market_encode::*;
use dhan_feed::proto::{DecodeError, DisconnectCode, ExchangeSegment, InstrumentId};
use proptest::prelude::*;

/// The Full packet hex dump of DhanHQ-py #90 (docs/protocol.md §3.1):
/// `08 a2 00 02 f4 d9 00 00 cd 4c 18 43 4b 00 …`, 162 bytes.
#[test]
fn golden_full_packet_from_issue_90() {
    let mut b = vec![0u8; 162];
    b[..14].copy_from_slice(&[
        0x08, 0xa2, 0x00, 0x02, 0xf4, 0xd9, 0x00, 0x00, 0xcd, 0x4c, 0x18, 0x43, 0x4b, 0x00,
    ]);
    let (p, n) = decode_packet(&b).unwrap();
    assert_eq!(n, 162);
    let MarketPacket::Full(f) = p else {
        panic!("expected full, got {p:?}")
    };
    assert_eq!(f.id, InstrumentId::new(ExchangeSegment::NseFno, 55796));
    assert_eq!(format!("{:.2}", f.ltp), "152.30");
    assert_eq!(f.ltq, 75);
    assert_eq!(packet_bytes(&p), b, "re-encoding gives the same bytes");
}

/// The third-party ticker vector `02 10 00 01 35 05 00 00` (code 2, length 16,
/// NSE_EQ, id 1333) with an LTP and LTT appended.
#[test]
fn golden_ticker_header() {
    let mut b = vec![0x02, 0x10, 0x00, 0x01, 0x35, 0x05, 0x00, 0x00];
    b.extend_from_slice(&1298.4f32.to_le_bytes());
    b.extend_from_slice(&1_795_770_900u32.to_le_bytes());
    let (p, n) = decode_packet(&b).unwrap();
    assert_eq!(n, 16);
    assert_eq!(
        p,
        MarketPacket::Ticker(Ticker {
            id: InstrumentId::new(ExchangeSegment::NseEq, 1333),
            ltp: 1298.4,
            ltt: Ltt(1_795_770_900),
        })
    );
    // IST wall clock as epoch: 09:15:00 IST on 2026-11-27 is 03:45:00 UTC.
    assert_eq!(Ltt(1_795_770_900).utc_epoch_secs(), 1_795_751_100);
    assert_eq!(Ltt(1_795_770_900).ist_seconds_of_day(), 9 * 3600 + 15 * 60);
}

#[test]
fn disconnect_reason_is_little_endian_u16() {
    // 805 arrives as 25 03 (the Ruby gem reads it big-endian as 9475).
    let b = [50, 10, 0, 0, 0, 0, 0, 0, 0x25, 0x03];
    let (p, _) = decode_packet(&b).unwrap();
    assert_eq!(
        p,
        MarketPacket::Disconnect(Disconnect {
            id: InstrumentId::new(ExchangeSegment::IdxI, 0),
            reason: DisconnectCode(805)
        })
    );
    assert!(DisconnectCode(805).needs_cool_off());
    assert!(DisconnectCode(807).is_credential_failure());
}

#[test]
fn a_longer_disconnect_packet_keeps_its_reason_and_a_shorter_one_is_an_error() {
    // 14 bytes (as depth's disconnect is): the reason still at [8..10), the extra
    // bytes skipped, and the ticker after it decoded.
    let mut msg = vec![50, 14, 0, 0, 0, 0, 0, 0, 0x25, 0x03, 0xEE, 0xEE, 0xEE, 0xEE];
    let t = ticker(InstrumentId::new(ExchangeSegment::IdxI, 13), 1.5, Ltt(9));
    encode_packet(&t, &mut msg);
    let got: Vec<_> = packets(&msg).collect::<Result<_, _>>().unwrap();
    assert_eq!(
        got,
        [
            MarketPacket::Disconnect(Disconnect {
                id: InstrumentId::new(ExchangeSegment::IdxI, 0),
                reason: DisconnectCode(805)
            }),
            t
        ]
    );
    assert_eq!(
        decode_packet(&[50, 9, 0, 0, 0, 0, 0, 0, 0x25]),
        Err(DecodeError::BadLength {
            offset: 0,
            code: 50,
            declared: 9,
            expected: "at least 10"
        })
    );
    assert!(matches!(
        decode_packet(&[50, 14, 0, 0, 0, 0, 0, 0, 0x25, 0x03, 0]),
        Err(DecodeError::Truncated {
            needed: 14,
            available: 11,
            ..
        })
    ));
}

#[test]
fn unknown_codes_are_skipped_by_length_and_reported() {
    let mut msg = Vec::new();
    // code 1 (index) and code 3 (v1 depth, 112 bytes), then a real ticker.
    for (code, len) in [(1u8, 20u16), (3, 112)] {
        let mut p = vec![0u8; len as usize];
        p[0] = code;
        p[1..3].copy_from_slice(&len.to_le_bytes());
        p[3] = 1;
        p[4..8].copy_from_slice(&77u32.to_le_bytes());
        p[9] = 0xAB; // payload garbage must not matter
        msg.extend_from_slice(&p);
    }
    let t = ticker(InstrumentId::new(ExchangeSegment::IdxI, 13), 1.5, Ltt(9));
    encode_packet(&t, &mut msg);
    let got: Vec<_> = packets(&msg).collect::<Result<_, _>>().unwrap();
    assert_eq!(got.len(), 3);
    assert!(matches!(
        got[0],
        MarketPacket::Unknown(UnknownPacket {
            code: 1,
            len: 20,
            ..
        })
    ));
    assert!(matches!(
        got[1],
        MarketPacket::Unknown(UnknownPacket {
            code: 3,
            len: 112,
            ..
        })
    ));
    assert_eq!(got[2], t);
}

/// Code 0 (a heartbeat or acknowledgement on the live feed) is never an error:
/// a bare header declaring less than 8 bytes (0, as seen) is taken as 8 bytes,
/// and the walk goes on to the packets after it; a code-0 packet that declares
/// its length is skipped by it. A length below a header ends the walk for any
/// other code.
#[test]
fn code_zero_packets_are_skipped_and_never_an_error() {
    let t = ticker(InstrumentId::new(ExchangeSegment::IdxI, 13), 1.5, Ltt(9));
    for declared in [0u16, 1, 7, 8, 12] {
        let mut msg = vec![0u8; declared.max(8) as usize];
        msg[1..3].copy_from_slice(&declared.to_le_bytes());
        encode_packet(&t, &mut msg);
        let mut it = packets(&msg);
        let got: Vec<_> = it.by_ref().collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2, "declared {declared}");
        assert!(
            matches!(got[0], MarketPacket::Unknown(UnknownPacket { code: 0, len, .. }) if len == declared.max(8)),
            "{:?}",
            got[0]
        );
        assert_eq!(got[1], t);
        assert_eq!(it.consumed(), msg.len());
        assert!(it.error().is_none() && !it.ended_early());
    }
    // Code 1 with length 0 is still malformed (and ends the walk).
    let mut msg = vec![1u8, 0, 0, 0, 0, 0, 0, 0];
    encode_packet(&t, &mut msg);
    let mut it = packets(&msg);
    assert!(matches!(
        it.next(),
        Some(Err(DecodeError::BadLength { .. }))
    ));
    assert!(it.next().is_none() && it.ended_early());
}

/// A packet longer than its kind (Dhan added a field) decodes its known fields
/// and the walk goes on; a shorter one is an error for that packet only; only a
/// length below a header (which cannot be walked past) ends the walk.
#[test]
fn lengthened_shortened_and_untrustworthy_lengths() {
    let t = ticker(InstrumentId::new(ExchangeSegment::IdxI, 13), 1.5, Ltt(9));
    let after = ticker(InstrumentId::new(ExchangeSegment::IdxI, 25), 2.5, Ltt(9));
    // Lengthened by 4 bytes, then a normal packet.
    let mut msg = packet_bytes(&t);
    msg[1] = 20;
    msg.extend_from_slice(&[0xAA; 4]);
    msg.extend_from_slice(&packet_bytes(&after));
    let mut it = packets(&msg);
    let got: Vec<_> = it.by_ref().collect();
    assert_eq!(got, [Ok(t), Ok(after)]);
    assert_eq!(it.extended(), 1);
    assert_eq!(it.consumed(), msg.len());
    // The single-packet decoder agrees.
    assert_eq!(decode_packet(&msg), Ok((t, 20)));
    // Shortened (declares 12 of a ticker's 16, and 12 bytes are there): an error
    // at its offset, and the packet after it still arrives.
    let mut msg = packet_bytes(&t);
    let mut short = packet_bytes(&t);
    short[1] = 12;
    short.truncate(12);
    msg.extend_from_slice(&short);
    msg.extend_from_slice(&packet_bytes(&after));
    let mut it = packets(&msg);
    let got: Vec<_> = it.by_ref().collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], Ok(t));
    assert_eq!(
        got[1],
        Err(DecodeError::BadLength {
            offset: 16,
            code: 2,
            declared: 12,
            expected: "16"
        })
    );
    assert_eq!(got[2], Ok(after), "the walk went on");
    assert_eq!((it.skipped(), it.ended_early()), (1, false));
    // A length smaller than a header would loop forever if trusted: it ends the
    // walk, and what came before stands.
    let mut msg = packet_bytes(&t);
    msg.extend_from_slice(&[9u8, 0, 0, 0, 0, 0, 0, 0]);
    msg.extend_from_slice(&packet_bytes(&after));
    let mut it = packets(&msg);
    let got: Vec<_> = it.by_ref().collect();
    assert_eq!(got.len(), 2);
    assert!(matches!(
        got[1],
        Err(DecodeError::BadLength {
            declared: 0,
            offset: 16,
            ..
        })
    ));
    assert!(it.ended_early());
    let zero = [9u8, 0, 0, 0, 0, 0, 0, 0];
    assert!(matches!(
        decode_packet(&zero),
        Err(DecodeError::BadLength { declared: 0, .. })
    ));
    // Lengthened past the end of the message: truncated, the walk ends.
    let mut msg = packet_bytes(&t);
    msg[1] = 40;
    let got: Vec<_> = packets(&msg).collect();
    assert!(
        matches!(got[..], [Err(DecodeError::Truncated { needed: 40, .. })]),
        "{got:?}"
    );
}

#[test]
fn every_truncation_of_every_kind_is_an_error_at_the_right_offset() {
    let runner_packets: Vec<MarketPacket> = dhan_feed::internals::sample::market_packets();
    let lead = packet_bytes(&runner_packets[0]);
    for p in &runner_packets {
        let full = packet_bytes(p);
        for cut in 0..full.len() {
            let mut msg = lead.clone();
            msg.extend_from_slice(&full[..cut]);
            let got: Vec<_> = packets(&msg).collect();
            if cut == 0 {
                assert_eq!(got.len(), 1);
                continue;
            }
            assert_eq!(got.len(), 2, "{p:?} cut at {cut}");
            assert_eq!(got[0], Ok(runner_packets[0]), "earlier packet stands");
            match got[1] {
                Err(DecodeError::Truncated {
                    offset,
                    needed,
                    available,
                }) => {
                    assert_eq!(offset, lead.len());
                    assert_eq!(available, cut);
                    assert!(needed > cut);
                }
                other => panic!("{p:?} cut at {cut}: {other:?}"),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_packet_round_trips(p in market_packet()) {
        let bytes = packet_bytes(&p);
        prop_assert_eq!(bytes.len(), encoded_len(&p));
        let (q, n) = decode_packet(&bytes).unwrap();
        prop_assert_eq!(n, bytes.len());
        // Byte equality of the re-encoding covers NaN payloads, which `==` cannot.
        prop_assert_eq!(packet_bytes(&q), bytes);
    }

    #[test]
    /// Every packet Dhan may lengthen (a new field) still decodes, as do the
    /// packets after it; the walk counts each lengthened one.
    fn lengthened_packets_decode_and_the_walk_goes_on(
        ps in prop::collection::vec((market_packet(), 0usize..24), 0..12)
    ) {
        let mut msg = Vec::new();
        let mut want_extended = 0;
        for (p, extra) in &ps {
            let start = msg.len();
            encode_packet(p, &mut msg);
            let fixed = !matches!(
                p,
                MarketPacket::Disconnect(_) | MarketPacket::MarketStatus(_) | MarketPacket::Unknown(_)
            );
            if fixed && *extra > 0 {
                let n = msg.len() - start + extra;
                msg[start + 1..start + 3].copy_from_slice(&u16::try_from(n).unwrap().to_le_bytes());
                msg.extend(std::iter::repeat_n(0xEE, *extra));
                want_extended += 1;
            }
        }
        let mut it = packets(&msg);
        let got: Vec<_> = it.by_ref().collect();
        prop_assert_eq!(got.len(), ps.len());
        for (g, (p, _)) in got.iter().zip(&ps) {
            let g = g.as_ref().unwrap();
            // Compare as re-encoded (a NaN price compares unequal to itself).
            prop_assert_eq!(packet_bytes(g), packet_bytes(p));
        }
        prop_assert_eq!(it.extended(), want_extended);
        prop_assert_eq!(it.consumed(), msg.len());
    }

    #[test]
    fn stacked_packets_are_all_decoded(ps in prop::collection::vec(market_packet(), 0..12)) {
        let mut msg = Vec::new();
        for p in &ps {
            encode_packet(p, &mut msg);
        }
        let mut it = packets(&msg);
        let mut got = Vec::new();
        for p in it.by_ref() {
            got.push(p.unwrap());
        }
        prop_assert_eq!(it.consumed(), msg.len());
        prop_assert_eq!(got.len(), ps.len());
        for (a, b) in got.iter().zip(&ps) {
            prop_assert_eq!(packet_bytes(a), packet_bytes(b));
        }
    }

    #[test]
    fn random_bytes_never_panic_and_consumed_is_consistent(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut it = packets(&bytes);
        let mut sum = 0usize;
        let mut ended = false;
        let mut extended = 0u32;
        while let Some(r) = it.next() {
            prop_assert!(!ended, "nothing after the walk ended");
            match r {
                Ok(p) => {
                    let n = it.consumed() - sum;
                    // The decoded fields re-encode to the bytes they came from, but
                    // for the length field, which declares what was consumed
                    // (header-only kinds: the header; a disconnect: its first 10
                    // bytes; every other kind: its own length, any more skipped).
                    let mut re = packet_bytes(&p);
                    re[1..3].copy_from_slice(&u16::try_from(n).unwrap().to_le_bytes());
                    let cmp = match p {
                        MarketPacket::MarketStatus(_) | MarketPacket::Unknown(_) => 8,
                        MarketPacket::Disconnect(_) => 10,
                        _ => {
                            prop_assert!(n >= encoded_len(&p));
                            extended += u32::from(n > encoded_len(&p));
                            encoded_len(&p)
                        }
                    };
                    prop_assert!(n >= cmp);
                    prop_assert_eq!(&re[..cmp], &bytes[sum..sum + cmp]);
                    sum += n;
                }
                Err(e) => {
                    prop_assert_eq!(e.offset(), sum);
                    // Skipped by its trusted length, or the end of the walk.
                    let skipped = it.consumed() - sum;
                    if skipped == 0 {
                        ended = true;
                        prop_assert!(it.ended_early());
                    } else {
                        prop_assert!(skipped >= 8);
                        sum += skipped;
                    }
                }
            }
        }
        prop_assert_eq!(it.consumed(), sum);
        prop_assert_eq!(it.extended(), extended);
        prop_assert!(ended || sum == bytes.len());
        // The slot-writing walker sees exactly what the iterator sees.
        let by_value: Vec<_> = packets(&bytes).collect();
        let mut walker = packets(&bytes);
        let mut slot = MarketPacket::Oi(OpenInterest { id: InstrumentId::new(ExchangeSegment::IdxI, 0), oi: 0 });
        let mut into = Vec::new();
        while let Some(r) = walker.next_into(&mut slot) {
            into.push(r.map(|()| slot));
        }
        prop_assert_eq!(into.len(), by_value.len());
        for (a, b) in into.iter().zip(&by_value) {
            match (a, b) {
                (Ok(a), Ok(b)) => prop_assert_eq!(packet_bytes(a), packet_bytes(b)),
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                _ => prop_assert!(false, "walkers disagree"),
            }
        }
    }
}
