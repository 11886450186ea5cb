//! The order parser's fast path against simd-json's tape (its reference): the
//! same result and the same update for every object, in the shapes Dhan sends
//! and in every shape the fast path must hand back to the tape.

use dhan_feed::internals::json::split_values;
use dhan_feed::internals::sample;
use dhan_feed::proto::OrderStatus;
use dhan_feed::proto::order::{
    KeyCase, OrderError, OrderMessageKind, OrderUpdate, OrderUpdateParser, encode_order_update,
};

type Seen = Vec<(Result<OrderMessageKind, OrderError>, OrderUpdate)>;

/// A frame through `parse_frame` (the fast path where it applies) and through
/// the reference (every value split out, each through the tape).
fn frame_both(frame: &str) -> (Seen, Seen) {
    let frame = frame.as_bytes();
    let mut slot = OrderUpdate::EMPTY;
    let mut fast = Seen::new();
    OrderUpdateParser::new().parse_frame(frame, &mut slot, |r| {
        fast.push(match r {
            Ok((k, u)) => (Ok(k), *u),
            Err(e) => (Err(e), OrderUpdate::EMPTY),
        })
    });
    let mut tape = Seen::new();
    let mut p = OrderUpdateParser::new();
    for range in split_values(frame) {
        match range {
            Ok(r) => {
                let res = p.parse_object_tape(&frame[r.clone()], r.start, &mut slot);
                let partial = matches!(res, Err(OrderError::BadField { .. }));
                tape.push((res, if partial { OrderUpdate::EMPTY } else { slot }));
                if partial {
                    tape.push((Ok(OrderMessageKind::Update), slot));
                }
            }
            Err(e) => tape.push((Err(OrderError::Split(e)), OrderUpdate::EMPTY)),
        }
    }
    // An error's update is not handed out: compare only the updates delivered.
    for s in [&mut fast, &mut tape] {
        for (r, u) in s.iter_mut() {
            if r.is_err() {
                *u = OrderUpdate::EMPTY;
            }
        }
    }
    (fast, tape)
}

/// A parser that has parsed Dhan's sample update in `case` (twice), so the fast
/// path predicts its key order; a fresh one when `case` is `None`.
fn parser_after(case: Option<KeyCase>) -> OrderUpdateParser {
    let mut p = OrderUpdateParser::new();
    if let Some(case) = case {
        let mut msg = Vec::new();
        let u = sample::order_update("52260111", OrderStatus::Pending, 0);
        encode_order_update(&u, case, &mut msg);
        let mut slot = OrderUpdate::EMPTY;
        for _ in 0..2 {
            assert_eq!(
                p.parse_object(&msg, 0, &mut slot),
                Ok(OrderMessageKind::Update)
            );
            assert_eq!(slot, u);
        }
    }
    p
}

/// Both paths on `json`: results and updates equal, for a fresh fast path and
/// for one that learned the sample's key order (PascalCase and camelCase).
fn same(json: &str) {
    for warm in [None, Some(KeyCase::Pascal), Some(KeyCase::Camel)] {
        same_after(json, parser_after(warm));
    }
}

fn same_after(json: &str, mut fast: OrderUpdateParser) {
    let mut tape = OrderUpdateParser::new();
    let (mut a, mut b) = (OrderUpdate::EMPTY, OrderUpdate::EMPTY);
    // Leftovers of an earlier message must not leak into either.
    a.quantity = 7;
    b.quantity = 7;
    let ra = fast.parse_object(json.as_bytes(), 3, &mut a);
    let rb = tape.parse_object_tape(json.as_bytes(), 3, &mut b);
    assert_eq!(ra, rb, "{json}");
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    encode_order_update(&a, KeyCase::Pascal, &mut ea);
    encode_order_update(&b, KeyCase::Pascal, &mut eb);
    assert_eq!(
        String::from_utf8_lossy(&ea),
        String::from_utf8_lossy(&eb),
        "{json}"
    );
    assert_eq!(a.status, b.status, "{json}");
}

#[test]
fn every_key_case_and_status_of_the_samples() {
    let mut buf = Vec::new();
    for status in [
        OrderStatus::Transit,
        OrderStatus::Pending,
        OrderStatus::PartTraded,
        OrderStatus::Traded,
        OrderStatus::Rejected,
    ] {
        let u = sample::order_update("52260111", status, 40);
        for case in [
            KeyCase::Pascal,
            KeyCase::Camel,
            KeyCase::Lower,
            KeyCase::Snake,
        ] {
            encode_order_update(&u, case, &mut buf);
            let json = String::from_utf8(buf.clone()).unwrap();
            same(&json);
            // The fast path took it: the same update back.
            let mut out = OrderUpdate::EMPTY;
            let k = OrderUpdateParser::new()
                .parse_object(json.as_bytes(), 0, &mut out)
                .unwrap();
            assert_eq!(k, OrderMessageKind::Update);
            assert_eq!(out, u);
            assert!(dhan_feed::internals::order_fast_path_takes(json.as_bytes()));
        }
    }
}

#[test]
fn shapes_at_the_edge_of_the_fast_path() {
    let d = |fields: &str| format!(r#"{{"Data":{{{fields}}},"Type":"order_alert"}}"#);
    for json in [
        // Spacing, key order, Type first, literals, numbers as strings.
        r#" { "Type" : "order_alert" , "Data" : { "OrderNo" : "1" , "Quantity" : "25" , "Price" : 10.5 } } "#.to_owned(),
        d(r#""OrderNo":"1","Quantity":25,"Price":1e2,"TriggerPrice":-0.5e-1,"Status":"Pending""#),
        d(r#""OrderNo":"1","Quantity":null,"Price":null,"Status":null,"Remarks":null"#),
        d(r#""OrderNo":1234567890123,"SecurityId":2885,"Price":"  7.25 ""#),
        // Wrong types: BadField with the rest filled.
        d(r#""OrderNo":"1","Quantity":true,"Price":"n/a","Status":"Traded""#),
        d(r#""OrderNo":false"#),
        // Integers at and past 18 digits, -0, floats for int fields.
        d(r#""Quantity":999999999999999999"#),
        d(r#""Quantity":9223372036854775807,"TradedQty":18446744073709551615"#),
        d(r#""Quantity":-0,"Price":-0"#),
        d(r#""Quantity":2.0,"TradedQty":2.5"#),
        d(r#""Price":1e400"#),
        // Found by the order_serde fuzz target: a number for a text field whose
        // decimal text is longer than 40 bytes was a bad value; it is cut to
        // the field like a string.
        d(r#""AlgoOrdNo":1e40,"OrderNo":-5e-324,"Remarks":1.7976931348623157e308"#),
        // Found by the order_json fuzz target: an exponent of 19 digits or more
        // wrapped, and negating it overflowed.
        d(r#""Price":1e-9223372036854775808,"TickSize":1E+99999999999999999999"#),
        d(r#""Price":0.5e-00000000000000000001,"TickSize":2e0000"#),
        d(r#""TickSize":-0.0,"Price":-0e0,"TriggerPrice":-0.000"#),
        r#"{"Data":{"":"0","TickSize":-0.0},"Type":"order_alert"}"#.to_owned(),
        d(r#""Price":0.1,"TriggerPrice":123456.789012345678,"AvgTradedPrice":5e-324"#),
        // Escapes, nested values, unknown keys, duplicates, long keys, unicode.
        d(r#""OrderNo":"a\"b","Remarks":"tab\there""#),
        d(r#""OrderNo":"1","Legs":[1,2],"Extra":{"a":1}"#),
        d(r#""orderNo":"1","OrderNo":"2","order_no":"3","UnknownKeyThatIsLongerThanThirtyTwoBytes":"x""#),
        d(r#""Remarks":"नमस्ते ✓","Exchange":"NSE""#),
        r#"{"Data":{"OrderNo":"1"},"Type":"order_alert","Data":{"OrderNo":"2"}}"#.to_owned(),
        r#"{"Data":{"OrderNo":"1"},"Type":"order_alert","Data":5}"#.to_owned(),
        r#"{"Data":5,"Type":"order_alert","Data":{"OrderNo":"2"}}"#.to_owned(),
        // Other types, missing pieces, empty objects.
        r#"{"Type":"heartbeat","Data":{"OrderNo":"1"}}"#.to_owned(),
        r#"{"Type":5,"Data":{}}"#.to_owned(),
        r#"{"Data":{"OrderNo":"1"}}"#.to_owned(),
        r#"{"Type":"order_alert"}"#.to_owned(),
        r#"{"Type":"order_alert","Data":{}}"#.to_owned(),
        r#"{"type":"ORDER_ALERT","data":{"orderno":"9"}}"#.to_owned(),
        r#"{}"#.to_owned(),
        // Not valid JSON: the tape's error either way.
        d(r#""OrderNo":"1","#),
        d(r#""Quantity":01"#),
        d(r#""Quantity":1."#),
        d(r#""Quantity":+1"#),
        d(r#""Quantity":tru"#),
        r#"{"Type":"order_alert","Data":{"OrderNo":"1"}} x"#.to_owned(),
        "{\"Type\":\"order_alert\",\"Data\":{\"OrderNo\":\"a\u{1}b\"}}".to_owned(),
        r#"[1]"#.to_owned(),
        r#""#.to_owned(),
    ] {
        same(&json);
    }
    // What the tape decides: escapes, nested values, numbers past 18 digits.
    for json in [
        d(r#""OrderNo":"a"b""#),
        d(r#""Legs":[1]"#),
        d(r#""Quantity":9223372036854775807"#),
        d(r#""Quantity":-0"#),
    ] {
        assert!(
            !dhan_feed::internals::order_fast_path_takes(json.as_bytes()),
            "{json}"
        );
    }
    assert!(dhan_feed::internals::order_fast_path_takes(
        d(r#""Quantity":5"#).as_bytes()
    ));
}

/// A change made to a message's text.
type Edit = Box<dyn Fn(&str) -> String>;

/// Variants of the sample itself, so that the learned key order is followed
/// part of the way and then broken: a bad value, a missing or extra or repeated
/// field, spaces, other key cases, a truncated tail.
#[test]
fn a_parser_that_learned_the_key_order_agrees_on_variants_of_it() {
    let u = sample::order_update("52260111", OrderStatus::PartTraded, 40);
    let mut msg = Vec::new();
    encode_order_update(&u, KeyCase::Pascal, &mut msg);
    let base = String::from_utf8(msg).unwrap();
    let edits: Vec<Edit> = vec![
        Box::new(|s| s.to_owned()),
        Box::new(|s| s.replacen("\"Quantity\":100", "\"Quantity\":true", 1)),
        Box::new(|s| s.replacen("\"Price\":1298.4", "\"Price\":\"n/a\"", 1)),
        Box::new(|s| s.replacen("\"Segment\":\"E\",", "", 1)),
        Box::new(|s| s.replacen("\"Exchange\":\"NSE\",", "", 1)),
        Box::new(|s| {
            s.replacen(
                "\"Status\":\"PART_TRADED\"",
                "\"Status\":\"Traded\",\"Extra\":1",
                1,
            )
        }),
        Box::new(|s| s.replacen("\"Source\":\"P\",", "\"Source\":\"P\",\"Source\":\"Q\",", 1)),
        Box::new(|s| {
            s.replacen(
                "\"Quantity\":100,",
                "\"Quantity\":100,\"Quantity\":false,",
                1,
            )
        }),
        Box::new(|s| {
            s.replacen("\"Quantity\":true", "x", 1).replacen(
                "\"Quantity\":100",
                "\"Quantity\":true,\"Quantity\":5",
                1,
            )
        }),
        Box::new(|s| s.replace("\":", "\": ").replace(",\"", ", \"")),
        Box::new(|s| {
            s.replacen("\"OrderNo\"", "\"ORDERNO\"", 1)
                .replacen("\"Symbol\"", "\"symbol\"", 1)
        }),
        Box::new(|s| s.replacen("\"OrderNo\"", "\"order_no\"", 1)),
        Box::new(|s| s.replacen("\"TxnType\"", "\"TxnTyp\"", 1)),
        Box::new(|s| s.replacen("\"Remarks\":\"NA\"", "\"Remarks\":\"a\\\"b\"", 1)),
        Box::new(|s| s.replacen("\"Remarks\":\"NA\"", "\"Remarks\":\"नमस्ते\"", 1)),
        Box::new(|s| s[..s.len() - 40].to_owned()),
        Box::new(|s| s.replacen(",\"Type\":\"order_alert\"", "", 1)),
        Box::new(|s| s.replacen("{\"Data\":{", "{\"Data\":{\"Zzz\":1,", 1)),
        // Not JSON: a member without its comma (a space, or nothing, in its place).
        Box::new(|s| s.replacen(",\"Segment\"", " \"Segment\"", 1)),
        Box::new(|s| s.replacen(",\"Segment\"", "\"Segment\"", 1)),
        Box::new(|s| s.replacen(",\"Quantity\"", "}\"Quantity\"", 1)),
        Box::new(|s| s.replacen("\"Quantity\":", "\"Quantity\" ", 1)),
    ];
    for (i, edit) in edits.iter().enumerate() {
        let json = edit(&base);
        for case in [KeyCase::Pascal, KeyCase::Camel, KeyCase::Snake] {
            same_after(&json, parser_after(Some(case)));
        }
        assert_eq!(i == 0, json == base);
    }
    // Each variant after the others, on one parser that keeps learning.
    let mut p = parser_after(Some(KeyCase::Pascal));
    let mut tape = OrderUpdateParser::new();
    for edit in edits.iter().chain(edits.iter().rev()) {
        let json = edit(&base);
        let (mut a, mut b) = (OrderUpdate::EMPTY, OrderUpdate::EMPTY);
        let ra = p.parse_object(json.as_bytes(), 0, &mut a);
        let rb = tape.parse_object_tape(json.as_bytes(), 0, &mut b);
        assert_eq!(ra, rb, "{json}");
        if ra.is_ok() || matches!(ra, Err(OrderError::BadField { .. })) {
            assert_eq!(a, b, "{json}");
        }
    }
}

#[test]
fn a_long_number_in_a_text_field_is_its_text_cut_to_the_field() {
    let json = r#"{"Data":{"AlgoOrdNo":1e40,"Remarks":-5e-324},"Type":"order_alert"}"#;
    let mut u = OrderUpdate::EMPTY;
    let k = OrderUpdateParser::new().parse_object(json.as_bytes(), 0, &mut u);
    assert_eq!(k, Ok(OrderMessageKind::Update));
    let forty = 1e40f64.to_string();
    assert_eq!(u.algo_ord_no.as_str(), &forty[..32]);
    assert!(u.algo_ord_no.is_truncated());
    let tiny = (-5e-324f64).to_string();
    assert_eq!(u.remarks.as_str(), &tiny[..64]);
    assert!(u.remarks.is_truncated());
}

#[test]
fn frames_of_several_objects_match_the_reference() {
    let good = r#"{"Data":{"OrderNo":"1","Quantity":5,"Status":"Pending"},"Type":"order_alert"}"#;
    let other = r#"{"Type":"heartbeat"}"#;
    let bad_type = r#"{"Data":{"OrderNo":"2","Quantity":true},"Type":"order_alert"}"#;
    let escaped = r#"{"Data":{"OrderNo":"3\"x"},"Type":"order_alert"}"#;
    for frame in [
        format!("{good}{good}"),
        format!("  {good}   {other} {bad_type}  "),
        format!("{good}{escaped}{good}"),
        format!("{good}\n{good}"),
        format!("{good} x {good}"),
        format!("{good}{{\"Type\":\"order_alert\",\"Data\":{{"),
        format!("{good}]"),
        format!("{good}{good}{good}").replacen("Pending", "P\u{e9}nding", 1),
        String::new(),
        "   ".to_owned(),
    ] {
        let (fast, tape) = frame_both(&frame);
        assert_eq!(fast, tape, "{frame}");
    }
}
