//! One-JSON-object-per-line rendering of decoded packets and order updates: the
//! output format of `dhan-feed decode` and `dhan-feed watch --json`.
//!
//! Field names are fixed (they are the CLI's contract): market packets carry
//! `kind`, `segment` (name, or the number when unknown), `security_id` and their
//! fields (`ltp, ltq, ltt, atp, volume, total_sell_qty, total_buy_qty, oi,
//! oi_day_high, oi_day_low, open, close, high, low, prev_close, prev_oi, reason`,
//! `depth`); depth packets carry `kind` (`bid`, `ask`, `disconnect`, `unknown`),
//! `segment`, `security_id`, `levels` and `reason`; order updates carry
//! `kind: "order_update"` and every field in snake_case; Global Stocks packets
//! carry `feed: "global"`, `kind` (`trade`, `ohlc`, `market_status`,
//! `prev_close`, `circuit_limits`, `week52`, `error`, `unknown`), `segment`
//! (`"INX_EQ"`, or the header's byte as a number when unknown), `security_id`, `second_id` and their fields (`ltp,
//! volume, ltt, lut, open, close, high, low, market_type, status, prev_close,
//! upper, lower, code, len`; prices in US dollars, times in UTC epoch seconds).

use crate::proto::depth::DepthPacket;
use crate::proto::json::{push_f32, push_f64, push_i64, push_str, push_u64};
use crate::proto::market::MarketPacket;
use crate::proto::order::{FieldValue, OrderUpdate};
use crate::proto::segment::InstrumentId;

/// Appends `,"name":` (every field after an object's first).
pub(crate) fn field(out: &mut Vec<u8>, name: &str) {
    out.push(b',');
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn u(out: &mut Vec<u8>, name: &str, v: impl Into<u64>) {
    field(out, name);
    push_u64(out, v.into());
}

fn f(out: &mut Vec<u8>, name: &str, v: f32) {
    field(out, name);
    push_f32(out, v);
}

fn head(out: &mut Vec<u8>, kind: &str, id: InstrumentId) {
    out.extend_from_slice(b"{\"kind\":");
    push_str(out, kind);
    field(out, "segment");
    match id.segment.as_str() {
        Some(s) => push_str(out, s),
        None => push_u64(out, u64::from(id.segment.as_u8())),
    }
    u(out, "security_id", id.security_id);
}

/// Appends one market packet as a JSON object followed by `\n`.
pub fn market_packet(p: &MarketPacket, out: &mut Vec<u8>) {
    head(out, p.kind_name(), p.id());
    match p {
        MarketPacket::Ticker(t) => {
            f(out, "ltp", t.ltp);
            u(out, "ltt", t.ltt.raw());
        }
        MarketPacket::Quote(q) => {
            f(out, "ltp", q.ltp);
            u(out, "ltq", q.ltq);
            u(out, "ltt", q.ltt.raw());
            f(out, "atp", q.atp);
            u(out, "volume", q.volume);
            u(out, "total_sell_qty", q.total_sell_qty);
            u(out, "total_buy_qty", q.total_buy_qty);
            f(out, "open", q.open);
            f(out, "close", q.close);
            f(out, "high", q.high);
            f(out, "low", q.low);
        }
        MarketPacket::Oi(o) => u(out, "oi", o.oi),
        MarketPacket::PrevClose(pc) => {
            f(out, "prev_close", pc.prev_close);
            u(out, "prev_oi", pc.prev_oi);
        }
        MarketPacket::Full(x) => {
            f(out, "ltp", x.ltp);
            u(out, "ltq", x.ltq);
            u(out, "ltt", x.ltt.raw());
            f(out, "atp", x.atp);
            u(out, "volume", x.volume);
            u(out, "total_sell_qty", x.total_sell_qty);
            u(out, "total_buy_qty", x.total_buy_qty);
            u(out, "oi", x.oi);
            u(out, "oi_day_high", x.oi_day_high);
            u(out, "oi_day_low", x.oi_day_low);
            f(out, "open", x.open);
            f(out, "close", x.close);
            f(out, "high", x.high);
            f(out, "low", x.low);
            field(out, "depth");
            out.push(b'[');
            for (i, l) in x.depth.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"bid_qty\":");
                push_u64(out, l.bid_qty.into());
                u(out, "ask_qty", l.ask_qty);
                u(out, "bid_orders", l.bid_orders);
                u(out, "ask_orders", l.ask_orders);
                f(out, "bid_price", l.bid_price);
                f(out, "ask_price", l.ask_price);
                out.push(b'}');
            }
            out.push(b']');
        }
        MarketPacket::Disconnect(d) => u(out, "reason", d.reason.0),
        MarketPacket::MarketStatus(s) => u(out, "len", s.len),
        MarketPacket::Unknown(x) => {
            u(out, "code", x.code);
            u(out, "len", x.len);
        }
    }
    out.extend_from_slice(b"}\n");
}

/// Appends one Global Stocks packet as a JSON object followed by `\n`.
pub fn global_packet(p: &crate::proto::global::GlobalPacket, out: &mut Vec<u8>) {
    use crate::proto::global::GlobalData;
    out.extend_from_slice(b"{\"feed\":\"global\",\"kind\":");
    push_str(out, p.kind_name());
    field(out, "segment");
    match p.segment_name() {
        Some(s) => push_str(out, s),
        None => push_u64(out, u64::from(p.segment)),
    }
    u(out, "security_id", p.security_id);
    u(out, "second_id", p.second_id);
    match p.data {
        GlobalData::Trade {
            ltp,
            volume,
            ltt,
            lut,
        } => {
            f(out, "ltp", ltp);
            u(out, "volume", volume);
            u(out, "ltt", ltt);
            u(out, "lut", lut);
        }
        GlobalData::Ohlc {
            open,
            close,
            high,
            low,
        } => {
            f(out, "open", open);
            f(out, "close", close);
            f(out, "high", high);
            f(out, "low", low);
        }
        GlobalData::MarketStatus {
            market_type,
            status,
        } => {
            field(out, "market_type");
            let end = market_type.iter().position(|&b| b == 0).unwrap_or(3);
            push_str(out, &String::from_utf8_lossy(&market_type[..end]));
            field(out, "status");
            push_i64(out, i64::from(status));
        }
        GlobalData::PrevClose { prev_close } => f(out, "prev_close", prev_close),
        GlobalData::CircuitLimits { upper, lower } => {
            f(out, "upper", upper);
            f(out, "lower", lower);
        }
        GlobalData::Week52 { high, low } => {
            f(out, "high", high);
            f(out, "low", low);
        }
        GlobalData::Error { code } => u(out, "code", code.0),
        GlobalData::Unknown { code, len } => {
            u(out, "code", code);
            u(out, "len", len);
        }
    }
    out.extend_from_slice(b"}\n");
}

/// Appends one depth packet as a JSON object followed by `\n`.
pub fn depth_packet(p: &DepthPacket<'_>, out: &mut Vec<u8>) {
    head(out, p.kind_name(), p.id());
    match p {
        DepthPacket::Levels(l) => {
            field(out, "levels");
            out.push(b'[');
            for (i, lv) in l.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"price\":");
                push_f64(out, lv.price);
                u(out, "qty", lv.qty);
                u(out, "orders", lv.orders);
                out.push(b'}');
            }
            out.push(b']');
        }
        DepthPacket::Disconnect(d) => u(out, "reason", d.reason.0),
        DepthPacket::Unknown(x) => {
            u(out, "code", x.code);
            u(out, "len", x.len);
        }
    }
    out.extend_from_slice(b"}\n");
}

/// Appends one order update as a JSON object followed by `\n`. The client id is
/// written as `"***"`, as `OrderUpdate`'s `Debug` shows it: this output is made
/// to be logged and shared, and the client id is a credential.
pub fn order_update(upd: &OrderUpdate, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":\"order_update\"");
    upd.for_each_field(|name, v| {
        field(out, name);
        match v {
            FieldValue::Text(_) if name == "client_id" => push_str(out, "***"),
            FieldValue::Text(t) => push_str(out, t),
            FieldValue::Int(i) => push_i64(out, i),
            FieldValue::Float(x) => push_f64(out, x),
        }
    });
    // Taken from the order book after a gap, not the feed.
    if upd.reconciled {
        out.extend_from_slice(b",\"reconciled\":true");
    }
    out.extend_from_slice(b"}\n");
}

/// Appends a candle: instrument, start (IST wall-clock seconds, as the feed's
/// LTT), interval, OHLC, volume (`null` without volume data), packets.
pub fn candle(c: &crate::feed::Candle, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":\"candle\"");
    field(out, "id");
    push_str(out, &c.id.to_string());
    field(out, "start");
    push_u64(out, u64::from(c.start));
    field(out, "interval");
    push_u64(out, u64::from(c.interval));
    for (name, v) in [
        ("open", c.open),
        ("high", c.high),
        ("low", c.low),
        ("close", c.close),
    ] {
        field(out, name);
        push_f32(out, v);
    }
    field(out, "volume");
    match c.volume {
        Some(v) => push_u64(out, v),
        None => out.extend_from_slice(b"null"),
    }
    field(out, "packets");
    push_u64(out, u64::from(c.packets));
    out.extend_from_slice(b"}\n");
}

/// Appends a message of the order feed whose `Type` is not `order_alert`.
pub fn order_other(kind: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":\"order_message\",\"type\":");
    push_str(out, kind);
    out.extend_from_slice(b"}\n");
}

/// Appends an order-tracker event: `{"kind":"order_event","event":"status_change",…}`
/// (an `Update` carries the whole update, as [`order_update`] writes it).
pub fn order_event(ev: &crate::feed::OrderEvent, out: &mut Vec<u8>) {
    use crate::feed::OrderEvent as E;
    let head = |out: &mut Vec<u8>, name: &str| {
        out.extend_from_slice(b"{\"kind\":\"order_event\",\"event\":");
        push_str(out, name);
    };
    match ev {
        E::Update(u) => return order_update(u, out),
        E::StatusChange {
            order_no,
            previous,
            new,
            reconciled,
        } => {
            head(out, "status_change");
            field(out, "order_no");
            push_str(out, order_no.as_str());
            field(out, "previous");
            push_str(out, previous.as_str());
            field(out, "new");
            push_str(out, new.as_str());
            if *reconciled {
                out.extend_from_slice(b",\"reconciled\":true");
            }
        }
        E::Execution {
            order_no,
            previous_traded_qty,
            new_traded_qty,
            execution_percentage,
            reconciled,
        } => {
            head(out, "execution");
            field(out, "order_no");
            push_str(out, order_no.as_str());
            field(out, "previous_traded_qty");
            push_i64(out, *previous_traded_qty);
            field(out, "new_traded_qty");
            push_i64(out, *new_traded_qty);
            field(out, "execution_percentage");
            push_f64(out, *execution_percentage);
            if *reconciled {
                out.extend_from_slice(b",\"reconciled\":true");
            }
        }
        E::Traded(u) | E::Rejected(u) | E::Cancelled(u) | E::Expired(u) => {
            head(out, &u.status.as_str().to_ascii_lowercase());
            field(out, "order_no");
            push_str(out, u.order_no.as_str());
            field(out, "reason");
            push_str(out, u.reason_description.as_str());
        }
        E::Open => head(out, "open"),
        E::Close { code, reason } => {
            head(out, "close");
            field(out, "code");
            match code {
                Some(c) => push_u64(out, u64::from(*c)),
                None => out.extend_from_slice(b"null"),
            }
            field(out, "reason");
            push_str(out, reason.as_str());
        }
        E::Error(e) => {
            head(out, "error");
            field(out, "message");
            push_str(out, &e.to_string());
        }
        E::Reconciled { orders, changed } => {
            head(out, "reconciled");
            field(out, "orders");
            push_u64(out, u64::from(*orders));
            field(out, "changed");
            push_u64(out, u64::from(*changed));
        }
        E::Gap {
            reason,
            from_ns,
            to_ns,
        } => {
            head(out, "gap");
            field(out, "reason");
            match reason {
                crate::feed::GapReason::SpillFull { missed } => {
                    push_str(out, "spill_full");
                    field(out, "missed");
                    push_u64(out, *missed);
                }
                _ => push_str(out, "outage"),
            }
            field(out, "from_ns");
            push_u64(out, *from_ns);
            field(out, "to_ns");
            push_u64(out, *to_ns);
        }
        #[allow(unreachable_patterns)]
        _ => head(out, "other"),
    }
    out.extend_from_slice(b"}\n");
}

/// Appends a depth book summary: instrument, label, best bid/ask, spread, rows.
pub fn depth_book<const N: usize>(b: &crate::feed::depth_book::DepthBook<N>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":\"depth_book\"");
    field(out, "id");
    push_str(out, &b.id().to_string());
    field(out, "label");
    push_str(out, b.label().as_str());
    for (name, level) in [("best_bid", b.best_bid()), ("best_ask", b.best_ask())] {
        field(out, name);
        match level {
            Some(l) => push_f64(out, l.price),
            None => out.extend_from_slice(b"null"),
        }
    }
    field(out, "spread");
    match b.spread() {
        Some(s) => push_f64(out, s),
        None => out.extend_from_slice(b"null"),
    }
    field(out, "bid_rows");
    push_u64(out, b.bids().len() as u64);
    field(out, "ask_rows");
    push_u64(out, b.asks().len() as u64);
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::order_status::OrderStatus;

    #[test]
    fn a_reconciled_update_carries_its_mark_and_a_live_one_does_not() {
        let mut u = crate::proto::sample::order_update("77", OrderStatus::Traded, 100);
        let mut out = Vec::new();
        order_update(&u, &mut out);
        let live = String::from_utf8(out.clone()).unwrap();
        assert!(!live.contains("reconciled"), "{live}");
        u.reconciled = true;
        out.clear();
        order_update(&u, &mut out);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.ends_with(",\"reconciled\":true}\n"), "{text}");
        assert!(
            !text.contains("1000000001"),
            "the client id stays hidden: {text}"
        );
        out.clear();
        order_event(
            &crate::feed::OrderEvent::Reconciled {
                orders: 9,
                changed: 2,
            },
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"kind\":\"order_event\",\"event\":\"reconciled\",\"orders\":9,\"changed\":2}\n"
        );
    }
}
