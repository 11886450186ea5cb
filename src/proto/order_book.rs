//! Dhan's order book (`GET /v2/orders` on the REST host): every order of the
//! day in its latest state, as the REST API spells it (`orderId`,
//! `orderStatus`, `filledQty`, `averageTradedPrice`, …), read into the order
//! feed's [`OrderUpdate`]s so a handle can reconcile what it missed; and the
//! inverse, for the simulator.

use super::json::{TapeParser, array_items, object_entries, push_f64, push_i64, push_str, scalar};
use super::order_update::{OrderUpdate, normalise_key};

/// REST keys (normalised: lower case, no `_`) and the order-feed field each
/// one fills (normalised as `OrderUpdate`'s parser knows it). Keys not here
/// are ignored.
const KEYS: &[(&[u8], &[u8])] = &[
    (b"dhanclientid", b"clientid"),
    (b"orderid", b"orderno"),
    (b"exchangeorderid", b"exchorderno"),
    (b"correlationid", b"correlationid"),
    (b"orderstatus", b"status"),
    (b"transactiontype", b"txntype"),
    (b"exchangesegment", b"exchange"),
    (b"producttype", b"product"),
    (b"ordertype", b"ordertype"),
    (b"validity", b"validity"),
    (b"tradingsymbol", b"symbol"),
    (b"securityid", b"securityid"),
    (b"quantity", b"quantity"),
    (b"disclosedquantity", b"discquantity"),
    (b"price", b"price"),
    (b"triggerprice", b"triggerprice"),
    (b"remainingquantity", b"remainingquantity"),
    (b"averagetradedprice", b"avgtradedprice"),
    (b"filledqty", b"tradedqty"),
    (b"createtime", b"orderdatetime"),
    (b"updatetime", b"lastupdatedtime"),
    (b"exchangetime", b"exchordertime"),
    (b"omserrordescription", b"reasondescription"),
    (b"algoid", b"algoid"),
    (b"drvexpirydate", b"expirydate"),
    (b"drvoptiontype", b"opttype"),
];

/// Why an order book could not be read. Nothing of it is applied then.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderBookError {
    /// Not JSON (the parser's message, with its position).
    #[error("order book: not JSON: {0}")]
    Json(String),
    /// JSON, but not an array of orders (nor `{"data": [...]}`).
    #[error("order book: expected an array of orders")]
    NotAnArray,
    /// Element `index` (from 0) is not an object.
    #[error("order book: order {index} is not an object")]
    NotAnObject {
        /// Which element.
        index: usize,
    },
    /// Element `index` has a field of the wrong type.
    #[error("order book: order {index}: field {field} has the wrong type")]
    BadField {
        /// Which element.
        index: usize,
        /// The order-feed field it would fill.
        field: &'static str,
    },
}

/// Reads Dhan's order book (`[{...}, ...]`, or `{"data": [...]}`) into updates,
/// in the book's order.
pub fn parse_order_book(json: &[u8]) -> Result<Vec<OrderUpdate>, OrderBookError> {
    let mut tape = TapeParser::new();
    let r = tape.parse(json, |nodes| {
        let mut list = nodes;
        if matches!(nodes.first(), Some(simd_json::Node::Object { .. })) {
            list = object_entries(nodes)
                .find(|(k, _)| k.eq_ignore_ascii_case("data"))
                .map(|(_, v)| v)
                .ok_or(OrderBookError::NotAnArray)?;
        }
        if !matches!(list.first(), Some(simd_json::Node::Array { .. })) {
            return Err(OrderBookError::NotAnArray);
        }
        let mut out = Vec::new();
        let mut kbuf = [0u8; 32];
        for (index, item) in array_items(list).enumerate() {
            if !matches!(item.first(), Some(simd_json::Node::Object { .. })) {
                return Err(OrderBookError::NotAnObject { index });
            }
            let mut u = OrderUpdate::EMPTY;
            for (k, v) in object_entries(item) {
                let Some(n) = normalise_key(k, &mut kbuf) else {
                    continue;
                };
                let Some(&(_, field)) = KEYS.iter().find(|(rest, _)| *rest == &kbuf[..n]) else {
                    continue;
                };
                u.set_field(field, scalar(v))
                    .map_err(|field| OrderBookError::BadField { index, field })?;
            }
            out.push(u);
        }
        Ok(out)
    });
    match r {
        Ok(inner) => inner,
        Err(e) => Err(OrderBookError::Json(e.to_string())),
    }
}

/// Writes `book` as Dhan's REST API does (`[{"orderId": …}, …]`), replacing
/// the contents of `out`.
pub fn encode_order_book(book: &[OrderUpdate], out: &mut Vec<u8>) {
    out.clear();
    out.push(b'[');
    for (i, u) in book.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let texts = [
            ("dhanClientId", u.client_id.as_str()),
            ("orderId", u.order_no.as_str()),
            ("exchangeOrderId", u.exch_order_no.as_str()),
            ("correlationId", u.correlation_id.as_str()),
            ("orderStatus", u.status.as_str()),
            ("transactionType", u.txn_type.as_str()),
            ("exchangeSegment", u.exchange.as_str()),
            ("productType", u.product.as_str()),
            ("orderType", u.order_type.as_str()),
            ("validity", u.validity.as_str()),
            ("tradingSymbol", u.symbol.as_str()),
            ("securityId", u.security_id.as_str()),
            ("createTime", u.order_date_time.as_str()),
            ("updateTime", u.last_updated_time.as_str()),
            ("exchangeTime", u.exch_order_time.as_str()),
            ("omsErrorDescription", u.reason_description.as_str()),
            ("algoId", u.algo_id.as_str()),
        ];
        out.push(b'{');
        for (j, (k, v)) in texts.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            push_str(out, k);
            out.push(b':');
            push_str(out, v);
        }
        for (k, v) in [
            ("quantity", u.quantity),
            ("disclosedQuantity", u.disc_quantity),
            ("remainingQuantity", u.remaining_quantity),
            ("filledQty", u.traded_qty),
        ] {
            out.push(b',');
            push_str(out, k);
            out.push(b':');
            push_i64(out, v);
        }
        for (k, v) in [
            ("price", u.price),
            ("triggerPrice", u.trigger_price),
            ("averageTradedPrice", u.avg_traded_price),
        ] {
            out.push(b',');
            push_str(out, k);
            out.push(b':');
            push_f64(out, v);
        }
        out.push(b'}');
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::order_status::OrderStatus;
    use crate::proto::sample::order_update;

    #[test]
    fn a_book_round_trips_through_dhans_rest_spelling() {
        let mut a = order_update("52260111", OrderStatus::Traded, 100);
        a.avg_traded_price = 1403.55;
        a.reason_description = crate::proto::text::Text::new("");
        let b = order_update("52260112", OrderStatus::Rejected, 0);
        let mut json = Vec::new();
        encode_order_book(&[a, b], &mut json);
        let text = std::str::from_utf8(&json).unwrap();
        assert!(text.contains("\"orderId\":\"52260111\""), "{text}");
        assert!(text.contains("\"orderStatus\":\"TRADED\""), "{text}");
        assert!(text.contains("\"filledQty\":100"), "{text}");
        let got = parse_order_book(&json).unwrap();
        assert_eq!(got.len(), 2);
        for (g, w) in got.iter().zip([a, b]) {
            assert_eq!(g.order_no, w.order_no);
            assert_eq!(g.status, w.status);
            assert_eq!(g.traded_qty, w.traded_qty);
            assert_eq!(g.quantity, w.quantity);
            assert_eq!(g.avg_traded_price, w.avg_traded_price);
            assert_eq!(g.exch_order_no, w.exch_order_no);
            assert!(!g.reconciled);
        }
        // Wrapped in {"data": [...]} too; unknown keys ignored; any case.
        let wrapped = br#"{"status":"success","data":[{"ORDERID":"7","orderStatus":"PART_TRADED","filledQty":"25","newKey":[1,2]}]}"#;
        let got = parse_order_book(wrapped).unwrap();
        assert_eq!(got[0].order_no.as_str(), "7");
        assert_eq!(got[0].status, OrderStatus::PartTraded);
        assert_eq!(got[0].traded_qty, 25);
    }

    #[test]
    fn a_malformed_book_is_an_error_that_says_where() {
        assert_eq!(parse_order_book(b"[]").unwrap().len(), 0);
        assert!(matches!(
            parse_order_book(b"[{\"orderId\":"),
            Err(OrderBookError::Json(_))
        ));
        assert_eq!(
            parse_order_book(b"{\"orders\":[]}"),
            Err(OrderBookError::NotAnArray)
        );
        assert_eq!(parse_order_book(b"42"), Err(OrderBookError::NotAnArray));
        assert_eq!(
            parse_order_book(br#"[{"orderId":"1"},7]"#),
            Err(OrderBookError::NotAnObject { index: 1 })
        );
        let e =
            parse_order_book(br#"[{"orderId":"1"},{"orderId":"2","filledQty":true}]"#).unwrap_err();
        assert_eq!(
            e,
            OrderBookError::BadField {
                index: 1,
                field: "traded_qty"
            }
        );
        assert!(e.to_string().contains("order 1"), "{e}");
    }
}
