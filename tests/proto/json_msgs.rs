use crate::strategies::id_known;
use dhan_feed::internals::json::TapeParser;
use dhan_feed::internals::json::parse_request;
use dhan_feed::internals::sample::order_update;
use dhan_feed::proto::order::*;
use dhan_feed::proto::request::*;
use dhan_feed::proto::{OrderStatus, Text};
use proptest::prelude::*;

fn parse_all(frame: &[u8]) -> Vec<Result<(OrderMessageKind, OrderUpdate), OrderError>> {
    let mut p = OrderUpdateParser::new();
    let mut slot = OrderUpdate::EMPTY;
    let mut out = Vec::new();
    p.parse_frame(frame, &mut slot, |r| out.push(r.map(|(k, u)| (k, *u))));
    out
}

/// The documented example message (section 6.2), PascalCase, numbers as numbers,
/// with the duplicate `Remarks` key it really has.
#[test]
fn documented_example_parses() {
    let json = br#"{"Data":{"Exchange":"NSE","Segment":"E","Source":"N","SecurityId":"14366","ClientId":"1000000002","ExchOrderNo":"1400000000404591","OrderNo":"1124091136546","Product":"C","TxnType":"B","OrderType":"LMT","Validity":"DAY","DiscQuantity":1,"DiscQtyRem":1,"RemainingQuantity":1,"Quantity":1,"TradedQty":0,"Price":13,"TriggerPrice":0,"TradedPrice":0,"AvgTradedPrice":0,"AlgoOrdNo":"","OffMktFlag":"0","OrderDateTime":"2024-09-11 14:39:29","ExchOrderTime":"2024-09-11 14:39:29","LastUpdatedTime":"2024-09-11 14:39:29","Remarks":"NR","MktType":"NL","ReasonDescription":"CONFIRMED","LegNo":1,"Instrument":"EQUITY","Symbol":"IDEA","ProductName":"CNC","Status":"Cancelled","LotSize":1,"StrikePrice":-0.01,"ExpiryDate":"0001-01-01 00:00:00","OptType":"XX","DisplayName":"Vodafone Idea","Isin":"INE669E01016","Series":"EQ","GoodTillDaysDate":"2024-09-11","RefLtp":13.58,"TickSize":0.01,"AlgoId":"0","Multiplier":1,"Remarks":"Super Order"},"Type":"order_alert"}"#;
    let got = parse_all(json);
    assert_eq!(got.len(), 1);
    let (kind, u) = got[0].clone().unwrap();
    assert_eq!(kind, OrderMessageKind::Update);
    assert_eq!(u.order_no, "1124091136546");
    assert_eq!(u.status, OrderStatus::Cancelled);
    assert_eq!(u.price, 13.0);
    assert_eq!(u.ref_ltp, 13.58);
    assert_eq!(u.strike_price, -0.01);
    assert_eq!(u.remarks, "Super Order", "the last duplicate wins");
    assert_eq!(u.symbol, "IDEA");
    assert!(
        !format!("{u:?}").contains("1000000002"),
        "Debug redacts client_id"
    );
}

#[test]
fn keys_any_case_numbers_as_strings() {
    let json = br#"{"type":"ORDER_ALERT","data":{"orderNo":"7","order_status":"x","STATUS":"part_traded","quantity":"25","tradedQty":" 10 ","price":"101.5","algoOrdNo":12345,"tick_size":0.05}}"#;
    let (k, u) = parse_all(json).remove(0).unwrap();
    assert_eq!(k, OrderMessageKind::Update);
    assert_eq!(u.order_no, "7");
    assert_eq!(u.status, OrderStatus::PartTraded);
    assert_eq!((u.quantity, u.traded_qty), (25, 10));
    assert_eq!(u.price, 101.5);
    assert_eq!(u.algo_ord_no, "12345");
    assert_eq!(u.tick_size, 0.05);
    assert_eq!(u.execution_percentage(), 40.0);
}

#[test]
fn several_objects_per_frame_and_errors_lose_nothing_else() {
    let mut a = Vec::new();
    encode_order_update(
        &order_update("1", OrderStatus::Pending, 0),
        KeyCase::Pascal,
        &mut a,
    );
    let mut frame = a.clone();
    frame.extend_from_slice(
        br#" {"Type":"order_alert","Data":{"Quantity":"lots","OrderNo":"2","Status":"REJECTED","Price":true}} "#,
    );
    frame.extend_from_slice(br#"{"Type":"heartbeat"}"#);
    frame.extend_from_slice(br#"{"Data":{}}"#);
    frame.extend_from_slice(br#"{"Type":"order_alert"}"#);
    frame.extend_from_slice(br#"{"Type":"order_alert","Data":{"Price":1,}}"#);
    frame.extend_from_slice(&a);
    frame.extend_from_slice(b" garbage");
    let got = parse_all(&frame);
    assert_eq!(got.len(), 9, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap().1.order_no, "1");
    // Two fields of the wrong type: the first is reported, then the update is
    // delivered with both empty and everything else kept.
    assert_eq!(
        got[1],
        Err(OrderError::BadField {
            offset: a.len() + 1,
            field: "quantity"
        })
    );
    let (kind, partial) = got[2].as_ref().unwrap();
    assert_eq!(*kind, OrderMessageKind::Update);
    assert_eq!(partial.order_no, "2");
    assert_eq!(partial.status, OrderStatus::Rejected);
    assert_eq!((partial.quantity, partial.price), (0, 0.0));
    assert_eq!(
        got[3].as_ref().unwrap().0,
        OrderMessageKind::Other(Text::new("heartbeat"))
    );
    assert!(matches!(got[4], Err(OrderError::MissingType { .. })));
    assert!(matches!(got[5], Err(OrderError::MissingData { .. })));
    assert!(matches!(got[6], Err(OrderError::Json { .. })));
    assert_eq!(got[7].as_ref().unwrap().1.order_no, "1");
    assert!(matches!(got[8], Err(OrderError::Split(_))));
}

#[test]
fn request_messages_are_exactly_the_documented_form() {
    let mut out = Vec::new();
    let ids = [
        "NSE_EQ:1333".parse().unwrap(),
        "BSE_EQ:532540".parse().unwrap(),
    ];
    encode_subscription(FeedMode::Ticker, true, &ids, &mut out).unwrap();
    assert_eq!(
        out,
        br#"{"RequestCode":15,"InstrumentCount":2,"InstrumentList":[{"ExchangeSegment":"NSE_EQ","SecurityId":"1333"},{"ExchangeSegment":"BSE_EQ","SecurityId":"532540"}]}"#
    );
    encode_subscription(FeedMode::Quote, false, &ids, &mut out).unwrap();
    assert!(out.starts_with(br#"{"RequestCode":18,"#));
    encode_subscription(FeedMode::Full, true, &ids, &mut out).unwrap();
    assert!(out.starts_with(br#"{"RequestCode":21,"#));
    encode_disconnect(&mut out);
    assert_eq!(out, br#"{"RequestCode":12}"#);
    let too_many = vec![ids[0]; 101];
    assert_eq!(
        encode_subscription(FeedMode::Full, true, &too_many, &mut out),
        Err(RequestError::TooMany {
            count: 101,
            max: 100
        })
    );
    assert!(out.is_empty());
    assert_eq!(
        encode_depth20_subscribe(&too_many[..51], &mut out),
        Err(RequestError::TooMany { count: 51, max: 50 })
    );
    let unknown = [dhan_feed::proto::InstrumentId::new(
        dhan_feed::proto::ExchangeSegment::Unknown(6),
        1,
    )];
    assert_eq!(
        encode_subscription(FeedMode::Full, true, &unknown, &mut out),
        Err(RequestError::UnknownSegment(6))
    );
}

#[test]
fn batches_split_at_100() {
    let ids: Vec<_> = (0..250u32)
        .map(|i| dhan_feed::proto::InstrumentId::new(dhan_feed::proto::ExchangeSegment::NseFno, i))
        .collect();
    let mut buf = Vec::new();
    let mut parser = TapeParser::new();
    let mut seen = Vec::new();
    for_each_batch::<()>(21, &ids, MAX_INSTRUMENTS_PER_MESSAGE, &mut buf, |m| {
        let r = parse_request(&mut parser, m).unwrap();
        assert_eq!(r.code, 21);
        assert_eq!(r.instrument_count, Some(r.instruments.len() as i64));
        seen.push(r.instruments.len());
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, vec![100, 100, 50]);
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[ -~é€\"\\\\\n\t]{{0,{max}}}"))
        .unwrap()
        .prop_filter("fits", move |s| s.len() <= max)
}

fn status() -> impl Strategy<Value = OrderStatus> {
    use OrderStatus::*;
    prop_oneof![
        Just(Transit),
        Just(Pending),
        Just(Rejected),
        Just(Cancelled),
        Just(Traded),
        Just(Expired),
        Just(PartTraded),
        Just(Triggered),
        Just(Closed),
        Just(Modified),
        Just(Missing),
        "[A-Z]{3,20}".prop_map(|s| OrderStatus::parse(&s)),
    ]
}

fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |f| f.is_finite())
}

prop_compose! {
    fn update()(
        order_no in text(32), symbol in text(48), reason in text(160), remarks in text(64),
        client in "[0-9]{10}", corr in text(30),
        ints in prop::array::uniform8(any::<i64>()),
        floats in prop::array::uniform7(finite()),
        status in status(),
    ) -> OrderUpdate {
        let mut u = order_update("0", OrderStatus::Pending, 0);
        u.order_no = Text::new(&order_no);
        u.symbol = Text::new(&symbol);
        u.reason_description = Text::new(&reason);
        u.remarks = Text::new(&remarks);
        u.client_id = Text::new(&client);
        u.correlation_id = Text::new(&corr);
        [u.disc_quantity, u.disc_qty_rem, u.remaining_quantity, u.quantity, u.traded_qty, u.lot_size, u.leg_no, u.multiplier] = ints;
        [u.price, u.trigger_price, u.traded_price, u.avg_traded_price, u.ref_ltp, u.tick_size, u.strike_price] = floats;
        u.status = status;
        u
    }
}

fn case() -> impl Strategy<Value = KeyCase> {
    prop_oneof![
        Just(KeyCase::Pascal),
        Just(KeyCase::Camel),
        Just(KeyCase::Lower),
        Just(KeyCase::Snake)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn order_updates_round_trip_in_every_key_case(us in prop::collection::vec((update(), case()), 1..4)) {
        let mut frame = Vec::new();
        let mut one = Vec::new();
        for (u, c) in &us {
            encode_order_update(u, *c, &mut one);
            frame.extend_from_slice(&one);
            frame.push(b'\n');
        }
        let got = parse_all(&frame);
        prop_assert_eq!(got.len(), us.len());
        for (g, (u, _)) in got.iter().zip(&us) {
            let (k, parsed) = g.as_ref().unwrap();
            prop_assert_eq!(k, &OrderMessageKind::Update);
            prop_assert_eq!(parsed, u);
        }
    }

    #[test]
    fn subscription_requests_round_trip(ids in prop::collection::vec(id_known(), 1..=100), mode in 0..3usize, sub in any::<bool>()) {
        let mode = FeedMode::ALL[mode];
        let mut out = Vec::new();
        encode_subscription(mode, sub, &ids, &mut out).unwrap();
        let r = parse_request(&mut TapeParser::new(), &out).unwrap();
        prop_assert_eq!(FeedMode::from_request_code(r.code as u8), Some((mode, sub)));
        prop_assert_eq!(r.instrument_count, Some(ids.len() as i64));
        prop_assert_eq!(r.instruments, ids);
    }

    #[test]
    fn garbage_json_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let got = parse_all(&bytes);
        // Every reported error points inside the frame.
        for g in got {
            if let Err(e) = g {
                prop_assert!(e.offset() <= bytes.len());
            }
        }
        let _ = parse_request(&mut TapeParser::new(), &bytes);
    }
}

/// What `split_values` yields, in the baseline's terms.
fn split_memchr(frame: &[u8]) -> Vec<Result<std::ops::Range<usize>, usize>> {
    use dhan_feed::internals::json::{SplitError, split_values};
    split_values(frame)
        .map(|r| {
            r.map_err(|e| match e {
                SplitError::NotAnObject { offset } | SplitError::Unterminated { offset } => offset,
                _ => usize::MAX,
            })
        })
        .collect()
}

#[test]
fn split_values_handles_escapes_and_brackets_in_strings() {
    for frame in [
        &br#"{"a":"x\"}"}{"b":[1,{"c":"]"}]}"#[..],
        br#"  {"a":"\\"} [ "\\\"" ] "#,
        br#"{"a":"unterminated\"}"#,
        br#"{"a":"ends in a backslash\"#,
        br#"{"a":1}x"#,
        b"",
        b"{\"\\",
    ] {
        assert_eq!(
            split_memchr(frame),
            dhan_feed::internals::baseline::split_values_bytewise(frame),
            "{:?}",
            String::from_utf8_lossy(frame)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The memchr splitter agrees with the byte-by-byte one on any bytes rich in
    /// JSON's structural characters.
    #[test]
    fn split_values_agrees_with_the_bytewise_scan(
        frame in prop::collection::vec(
            prop::sample::select(&b"{}[]\"\\ a,:1"[..]),
            0..64,
        )
    ) {
        prop_assert_eq!(
            split_memchr(&frame),
            dhan_feed::internals::baseline::split_values_bytewise(&frame)
        );
    }

    /// The CSV splitter's memchr scans agree with a byte-by-byte split on lines
    /// without quotes.
    #[test]
    fn csv_split_agrees_with_the_bytewise_scan(
        line in prop::collection::vec(prop::sample::select(&b",ab1 "[..]), 0..64)
    ) {
        let mut fields = dhan_feed::internals::csv::Fields::default();
        fields.split(&line).unwrap();
        let (mut buf, mut bounds) = (Vec::new(), Vec::new());
        let n = dhan_feed::internals::baseline::split_csv_bytewise(&line, &mut buf, &mut bounds)
            .unwrap();
        prop_assert_eq!(fields.len(), n);
        for (i, &(s, e)) in bounds.iter().enumerate() {
            prop_assert_eq!(fields.get(i), &line[s..e]);
        }
    }
}
