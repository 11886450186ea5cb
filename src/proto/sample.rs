//! Deterministic sample messages and captures built with the encoders: the files
//! under `samples/` (a test keeps them identical to what these functions produce),
//! the simulator's order updates, and the seeds of tests, benches and fuzz targets.

use crate::proto::capture::write_record;
use crate::proto::depth::{DepthKind, DepthLevel, DepthSide};
use crate::proto::depth_encode::encode_levels;
use crate::proto::market::{
    Full, FullDepthLevel, Ltt, MarketPacket, OpenInterest, PrevClose, Quote, Ticker,
};
use crate::proto::market_encode::encode_packet;
use crate::proto::order::{KeyCase, OrderUpdate, encode_order_update};
use crate::proto::order_status::OrderStatus;
use crate::proto::segment::{ExchangeSegment as S, InstrumentId};
use crate::proto::text::Text;

/// 2026-11-27 09:15:00 IST as the feed encodes it (UTC epoch + 19,800).
pub const SAMPLE_LTT: Ltt = Ltt::from_utc_epoch_secs(1_795_751_100);

/// The market-feed packets of the sample, one per message as Dhan sends them.
pub fn market_packets() -> Vec<MarketPacket> {
    let nifty = InstrumentId::new(S::IdxI, 13);
    let banknifty = InstrumentId::new(S::IdxI, 25);
    let reliance = InstrumentId::new(S::NseEq, 2885);
    let fut = InstrumentId::new(S::NseFno, 55796);
    let mut v = vec![
        MarketPacket::PrevClose(PrevClose {
            id: nifty,
            prev_close: 24_100.5,
            prev_oi: 0,
        }),
        MarketPacket::Ticker(Ticker {
            id: nifty,
            ltp: 24_150.25,
            ltt: SAMPLE_LTT,
        }),
        MarketPacket::Ticker(Ticker {
            id: banknifty,
            ltp: 52_310.8,
            ltt: SAMPLE_LTT,
        }),
        MarketPacket::Quote(Quote {
            id: reliance,
            ltp: 1_298.4,
            ltq: 12,
            ltt: SAMPLE_LTT,
            atp: 1_296.9,
            volume: 1_204_332,
            total_sell_qty: 301_200,
            total_buy_qty: 287_450,
            open: 1_290.0,
            close: 1_285.35,
            high: 1_301.2,
            low: 1_288.1,
        }),
        MarketPacket::Oi(OpenInterest {
            id: reliance,
            oi: 0,
        }),
    ];
    let mut depth = [FullDepthLevel::default(); 5];
    for (i, l) in depth.iter_mut().enumerate() {
        let i16_ = i as u16;
        *l = FullDepthLevel {
            bid_qty: 75 * (i as u32 + 1),
            ask_qty: 150 * (i as u32 + 1),
            bid_orders: 1 + i16_,
            ask_orders: 2 + i16_,
            bid_price: 152.25 - 0.05 * i as f32,
            ask_price: 152.35 + 0.05 * i as f32,
        };
    }
    v.push(MarketPacket::Full(Full {
        id: fut,
        ltp: 152.3,
        ltq: 75,
        ltt: SAMPLE_LTT,
        atp: 151.95,
        volume: 3_450_075,
        total_sell_qty: 120_000,
        total_buy_qty: 98_025,
        oi: 1_250_250,
        oi_day_high: 1_300_000,
        oi_day_low: 1_200_000,
        open: 150.0,
        close: 149.8,
        high: 153.1,
        low: 149.5,
        depth,
    }));
    for i in 1..=4u32 {
        v.push(MarketPacket::Ticker(Ticker {
            id: nifty,
            ltp: 24_150.25 + 0.05 * i as f32,
            ltt: Ltt(SAMPLE_LTT.raw() + i),
        }));
    }
    v
}

/// The sample market capture (`samples/market.cap`): one packet per record.
pub fn market_capture() -> Vec<u8> {
    let mut file = Vec::new();
    let mut msg = Vec::new();
    for p in market_packets() {
        msg.clear();
        encode_packet(&p, &mut msg);
        // Writing to a Vec cannot fail.
        let _ = write_record(&mut file, &msg);
    }
    file
}

/// Depth levels of the sample book for `side`, best first.
pub fn depth_levels(base: f64, side: DepthSide, n: usize) -> Vec<DepthLevel> {
    (0..n)
        .map(|i| {
            let step = 0.05 * i as f64;
            DepthLevel {
                price: match side {
                    DepthSide::Bid => base - step,
                    DepthSide::Ask => base + 0.05 + step,
                },
                qty: 10 * (i as u32 + 1),
                orders: 1 + i as u32 % 7,
            }
        })
        .collect()
}

/// The sample 20-level depth capture (`samples/depth20.cap`): one message with
/// RELIANCE bid, RELIANCE ask, TCS bid, TCS ask stacked.
pub fn depth20_capture() -> Vec<u8> {
    let mut msg = Vec::new();
    for (id, base) in [
        (InstrumentId::new(S::NseEq, 2885), 1_298.4),
        (InstrumentId::new(S::NseEq, 11536), 3_512.0),
    ] {
        for side in [DepthSide::Bid, DepthSide::Ask] {
            let levels = depth_levels(base, side, 20);
            encode_levels(DepthKind::Twenty, side, id, 7, &levels, &mut msg);
        }
    }
    let mut file = Vec::new();
    let _ = write_record(&mut file, &msg);
    file
}

/// A sample order update in state `status` with `traded` of 100 filled.
pub fn order_update(order_no: &str, status: OrderStatus, traded: i64) -> OrderUpdate {
    let mut u = OrderUpdate::EMPTY;
    u.exchange = Text::new("NSE");
    u.segment = Text::new("E");
    u.source = Text::new("P");
    u.security_id = Text::new("2885");
    u.client_id = Text::new("1000000001");
    u.exch_order_no = Text::new("1100000012345678");
    u.order_no = Text::new(order_no);
    u.product = Text::new("I");
    u.txn_type = Text::new("B");
    u.order_type = Text::new("LMT");
    u.validity = Text::new("DAY");
    u.off_mkt_flag = Text::new("0");
    u.order_date_time = Text::new("2026-11-27 09:15:02");
    u.exch_order_time = Text::new("2026-11-27 09:15:02");
    u.last_updated_time = Text::new("2026-11-27 09:15:03");
    u.remarks = Text::new("NA");
    u.mkt_type = Text::new("NL");
    u.instrument = Text::new("EQUITY");
    u.symbol = Text::new("RELIANCE");
    u.product_name = Text::new("INTRADAY");
    u.display_name = Text::new("Reliance Industries");
    u.isin = Text::new("INE002A01018");
    u.series = Text::new("EQ");
    u.expiry_date = Text::new("0001-01-01 00:00:00");
    u.opt_type = Text::new("XX");
    u.good_till_days_date = Text::new("2026-11-27");
    u.algo_id = Text::new("0");
    u.correlation_id = Text::new("strategy-42");
    u.quantity = 100;
    u.traded_qty = traded;
    u.remaining_quantity = 100 - traded;
    u.lot_size = 1;
    u.leg_no = 1;
    u.multiplier = 1;
    u.price = 1_298.4;
    u.traded_price = if traded > 0 { 1_298.4 } else { 0.0 };
    u.avg_traded_price = u.traded_price;
    u.ref_ltp = 1_298.35;
    u.tick_size = 0.1;
    u.status = status;
    u
}

/// The sample order-update capture (`samples/orders.cap`): a lifecycle in
/// Dhan's PascalCase, the last record holding two objects in one frame.
pub fn orders_capture() -> Vec<u8> {
    let mut file = Vec::new();
    let mut msg = Vec::new();
    let steps = [
        (OrderStatus::Transit, 0),
        (OrderStatus::Pending, 0),
        (OrderStatus::PartTraded, 40),
    ];
    for (status, traded) in steps {
        encode_order_update(
            &order_update("52260111", status, traded),
            KeyCase::Pascal,
            &mut msg,
        );
        let _ = write_record(&mut file, &msg);
    }
    let mut two = Vec::new();
    encode_order_update(
        &order_update("52260111", OrderStatus::Traded, 100),
        KeyCase::Pascal,
        &mut msg,
    );
    two.extend_from_slice(&msg);
    encode_order_update(
        &order_update("52260112", OrderStatus::Rejected, 0),
        KeyCase::Camel,
        &mut msg,
    );
    two.extend_from_slice(&msg);
    let _ = write_record(&mut file, &two);
    file
}
