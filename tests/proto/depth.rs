use crate::strategies::*;
use dhan_feed::proto::depth::*;
use dhan_feed::proto::depth_encode::*;
use dhan_feed::proto::{DecodeError, DisconnectCode, ExchangeSegment, InstrumentId};
use proptest::prelude::*;

fn reliance() -> InstrumentId {
    InstrumentId::new(ExchangeSegment::NseEq, 2885)
}

#[test]
fn two_instrument_depth20_message_decodes_in_order() {
    let file = dhan_feed::internals::sample::depth20_capture();
    let msg = &file[4..];
    let got: Vec<_> = depth_packets(DepthKind::Twenty, msg)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got.len(), 4);
    let sides: Vec<_> = got
        .iter()
        .map(|p| match p {
            DepthPacket::Levels(l) => (l.id.security_id, l.side, l.len()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sides,
        vec![
            (2885, DepthSide::Bid, 20),
            (2885, DepthSide::Ask, 20),
            (11536, DepthSide::Bid, 20),
            (11536, DepthSide::Ask, 20)
        ]
    );
    let DepthPacket::Levels(bid) = got[0] else {
        unreachable!()
    };
    assert_eq!(bid.get(0).unwrap().price, 1298.4);
    assert_eq!(bid.get(19).unwrap().qty, 200);
    assert_eq!(bid.get(20), None);
    assert_eq!(bid.seq_or_rows, 7);
}

#[test]
fn header_is_length_first_and_little_endian() {
    let mut msg = Vec::new();
    encode_levels(
        DepthKind::Twenty,
        DepthSide::Ask,
        reliance(),
        0,
        &[],
        &mut msg,
    );
    assert_eq!(&msg[..8], &[0x4c, 0x01, 51, 1, 0x45, 0x0b, 0, 0]);
    assert_eq!(msg.len(), DEPTH20_PACKET_LEN);
}

#[test]
fn depth200_with_fewer_rows_than_200() {
    let levels: Vec<_> = (0..37)
        .map(|i| DepthLevel {
            price: 100.0 + i as f64,
            qty: i,
            orders: 1,
        })
        .collect();
    let mut msg = Vec::new();
    let n = encode_levels(
        DepthKind::TwoHundred,
        DepthSide::Bid,
        reliance(),
        0,
        &levels,
        &mut msg,
    );
    assert_eq!(n, 12 + 16 * 37);
    let (p, used) = decode_depth_packet(DepthKind::TwoHundred, &msg).unwrap();
    assert_eq!(used, n);
    let DepthPacket::Levels(l) = p else { panic!() };
    assert_eq!(l.seq_or_rows, 37);
    assert_eq!(l.iter().collect::<Vec<_>>(), levels);
    // Read as a 20-level packet it is a lengthened one: its first 20 levels,
    // the rest skipped.
    let (p, used) = decode_depth_packet(DepthKind::Twenty, &msg).unwrap();
    assert_eq!(used, 604);
    let DepthPacket::Levels(l) = p else { panic!() };
    assert_eq!(l.iter().collect::<Vec<_>>(), levels[..20]);
}

/// A 20-level packet longer than 332 bytes (a field Dhan added) yields its 20
/// levels and the walk goes on; a shorter one is skipped by its length and the
/// walk goes on; a length below a header ends the walk.
#[test]
fn lengthened_and_shortened_depth_packets() {
    let levels: Vec<_> = (0..20)
        .map(|i| DepthLevel {
            price: 200.0 + i as f64,
            qty: i,
            orders: 2,
        })
        .collect();
    let mut good = Vec::new();
    encode_levels(
        DepthKind::Twenty,
        DepthSide::Ask,
        reliance(),
        0,
        &levels,
        &mut good,
    );
    let mut long = good.clone();
    long[..2].copy_from_slice(&340u16.to_le_bytes());
    long.extend_from_slice(&[0xEE; 8]);
    let mut short = good[..100].to_vec();
    short[..2].copy_from_slice(&100u16.to_le_bytes());
    let mut msg = long.clone();
    msg.extend_from_slice(&short);
    msg.extend_from_slice(&good);
    let mut it = depth_packets(DepthKind::Twenty, &msg);
    let got: Vec<_> = it.by_ref().collect();
    assert_eq!(got.len(), 3, "{got:?}");
    let DepthPacket::Levels(l) = got[0].as_ref().unwrap() else {
        panic!()
    };
    assert_eq!(l.iter().collect::<Vec<_>>(), levels);
    assert!(matches!(
        got[1],
        Err(DecodeError::BadLength {
            declared: 100,
            offset: 340,
            ..
        })
    ));
    assert!(
        matches!(got[2], Ok(DepthPacket::Levels(_))),
        "the walk went on"
    );
    assert_eq!(
        (it.extended(), it.ended_early(), it.consumed()),
        (1, false, msg.len())
    );
    // A length below the header cannot be walked past.
    let mut msg = good.clone();
    msg.extend_from_slice(&[4, 0, 41, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    msg.extend_from_slice(&good);
    let mut it = depth_packets(DepthKind::Twenty, &msg);
    assert_eq!(it.by_ref().count(), 2);
    assert!(it.ended_early());
}

#[test]
fn depth200_rows_beyond_the_bytes_is_an_error() {
    let mut msg = Vec::new();
    encode_levels(
        DepthKind::TwoHundred,
        DepthSide::Bid,
        reliance(),
        0,
        &[DepthLevel::default(); 3],
        &mut msg,
    );
    msg[8] = 4; // claims 4 rows, carries 3
    assert_eq!(
        decode_depth_packet(DepthKind::TwoHundred, &msg).unwrap_err(),
        DecodeError::BadRowCount {
            offset: 0,
            rows: 4,
            room: 3
        }
    );
    // A full-size packet with fewer rows declared is accepted: rows bound the levels.
    let mut msg = Vec::new();
    encode_levels(
        DepthKind::TwoHundred,
        DepthSide::Bid,
        reliance(),
        0,
        &[DepthLevel::default(); 200],
        &mut msg,
    );
    msg[8] = 5;
    let (DepthPacket::Levels(l), n) = decode_depth_packet(DepthKind::TwoHundred, &msg).unwrap()
    else {
        panic!()
    };
    assert_eq!((l.len(), n), (5, 3212));
}

#[test]
fn disconnect_reason_follows_the_docs_and_simulator_writes_both_fields() {
    let mut msg = Vec::new();
    encode_disconnect(reliance(), DisconnectCode(807), &mut msg);
    assert_eq!(msg.len(), 14);
    assert_eq!(u32::from_le_bytes(msg[8..12].try_into().unwrap()), 807);
    assert_eq!(i16::from_le_bytes(msg[12..14].try_into().unwrap()), 807);
    let (p, _) = decode_depth_packet(DepthKind::Twenty, &msg).unwrap();
    assert_eq!(
        p,
        DepthPacket::Disconnect(DepthDisconnect {
            id: reliance(),
            reason: DisconnectCode(807)
        })
    );
    // A 12-byte disconnect (the Python SDK's reading) takes the u32 at [8..12).
    let mut short = msg[..12].to_vec();
    short[0] = 12;
    let (p, n) = decode_depth_packet(DepthKind::TwoHundred, &short).unwrap();
    assert_eq!(n, 12);
    assert_eq!(
        p,
        DepthPacket::Disconnect(DepthDisconnect {
            id: reliance(),
            reason: DisconnectCode(807)
        })
    );
}

#[test]
fn unknown_depth_code_skipped_then_levels_decoded() {
    let mut msg = Vec::new();
    encode_unknown(99, reliance(), 30, &mut msg);
    encode_levels(
        DepthKind::Twenty,
        DepthSide::Bid,
        reliance(),
        1,
        &[],
        &mut msg,
    );
    let got: Vec<_> = depth_packets(DepthKind::Twenty, &msg)
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(matches!(
        got[0],
        DepthPacket::Unknown(DepthUnknown {
            code: 99,
            len: 30,
            ..
        })
    ));
    assert!(matches!(got[1], DepthPacket::Levels(_)));
}

#[test]
fn every_truncation_is_an_error_and_earlier_packets_stand() {
    let mut first = Vec::new();
    encode_levels(
        DepthKind::Twenty,
        DepthSide::Bid,
        reliance(),
        1,
        &[],
        &mut first,
    );
    let mut pkts = Vec::new();
    let mut p = Vec::new();
    encode_levels(
        DepthKind::Twenty,
        DepthSide::Ask,
        reliance(),
        1,
        &[],
        &mut p,
    );
    pkts.push((DepthKind::Twenty, p));
    let mut p = Vec::new();
    encode_levels(
        DepthKind::TwoHundred,
        DepthSide::Ask,
        reliance(),
        1,
        &[DepthLevel::default(); 9],
        &mut p,
    );
    pkts.push((DepthKind::TwoHundred, p));
    let mut p = Vec::new();
    encode_disconnect(reliance(), DisconnectCode(805), &mut p);
    pkts.push((DepthKind::Twenty, p));
    for (kind, full) in pkts {
        let lead = if kind == DepthKind::Twenty {
            first.clone()
        } else {
            Vec::new()
        };
        for cut in 1..full.len() {
            let mut msg = lead.clone();
            msg.extend_from_slice(&full[..cut]);
            let got: Vec<_> = depth_packets(kind, &msg).collect();
            assert_eq!(got.len(), 1 + usize::from(!lead.is_empty()));
            match got.last().unwrap() {
                Err(DecodeError::Truncated {
                    offset, available, ..
                }) => {
                    assert_eq!((*offset, *available), (lead.len(), cut));
                }
                other => panic!("cut {cut}: {other:?}"),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn levels_round_trip(
        id in id_any(),
        bid in any::<bool>(),
        seq in any::<u32>(),
        levels in prop::collection::vec(depth_level(), 0..=200),
        twenty in any::<bool>(),
    ) {
        let kind = if twenty { DepthKind::Twenty } else { DepthKind::TwoHundred };
        let side = if bid { DepthSide::Bid } else { DepthSide::Ask };
        let mut msg = Vec::new();
        let n = encode_levels(kind, side, id, seq, &levels, &mut msg);
        let (p, used) = decode_depth_packet(kind, &msg).unwrap();
        prop_assert_eq!(used, n);
        let DepthPacket::Levels(l) = p else { panic!() };
        prop_assert_eq!(l.side, side);
        prop_assert_eq!(l.id, id);
        let want = levels.len().min(kind.max_levels());
        prop_assert_eq!(l.len(), if twenty { 20 } else { want });
        for (i, got) in l.iter().enumerate() {
            let exp = levels.get(i).copied().unwrap_or_default();
            prop_assert_eq!(got.price.to_bits(), exp.price.to_bits());
            prop_assert_eq!((got.qty, got.orders), (exp.qty, exp.orders));
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..800), twenty in any::<bool>()) {
        let kind = if twenty { DepthKind::Twenty } else { DepthKind::TwoHundred };
        let mut it = depth_packets(kind, &bytes);
        let mut last_ok = 0;
        while let Some(r) = it.next() {
            match r {
                Ok(p) => {
                    if let DepthPacket::Levels(l) = p {
                        prop_assert!(l.len() <= kind.max_levels());
                    }
                }
                Err(e) => prop_assert_eq!(e.offset(), last_ok),
            }
            last_ok = it.consumed();
        }
        prop_assert!(it.consumed() <= bytes.len());
    }
}
