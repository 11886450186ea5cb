//! proptest strategies for every packet and message.

use dhan_feed::proto::depth::DepthLevel;
use dhan_feed::proto::market::*;
use dhan_feed::proto::{DisconnectCode, ExchangeSegment, InstrumentId, Ltt};
use proptest::prelude::*;

pub fn f32_any() -> impl Strategy<Value = f32> {
    any::<u32>().prop_map(f32::from_bits)
}

pub fn id_any() -> impl Strategy<Value = InstrumentId> {
    (any::<u8>(), any::<u32>()).prop_map(|(s, i)| InstrumentId::new(ExchangeSegment::from_u8(s), i))
}

pub fn id_known() -> impl Strategy<Value = InstrumentId> {
    (0..8usize, any::<u32>()).prop_map(|(s, i)| InstrumentId::new(ExchangeSegment::ALL[s], i))
}

fn level() -> impl Strategy<Value = FullDepthLevel> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u16>(),
        any::<u16>(),
        f32_any(),
        f32_any(),
    )
        .prop_map(
            |(bid_qty, ask_qty, bid_orders, ask_orders, bid_price, ask_price)| FullDepthLevel {
                bid_qty,
                ask_qty,
                bid_orders,
                ask_orders,
                bid_price,
                ask_price,
            },
        )
}

pub fn market_packet() -> impl Strategy<Value = MarketPacket> {
    prop_oneof![
        (id_any(), f32_any(), any::<u32>()).prop_map(|(id, ltp, t)| MarketPacket::Ticker(Ticker {
            id,
            ltp,
            ltt: Ltt(t)
        })),
        (
            id_any(),
            (f32_any(), any::<u16>(), any::<u32>(), f32_any()),
            (any::<u32>(), any::<u32>(), any::<u32>()),
            (f32_any(), f32_any(), f32_any(), f32_any())
        )
            .prop_map(
                |(id, (ltp, ltq, t, atp), (volume, s, b), (open, close, high, low))| {
                    MarketPacket::Quote(Quote {
                        id,
                        ltp,
                        ltq,
                        ltt: Ltt(t),
                        atp,
                        volume,
                        total_sell_qty: s,
                        total_buy_qty: b,
                        open,
                        close,
                        high,
                        low,
                    })
                }
            ),
        (id_any(), any::<u32>()).prop_map(|(id, oi)| MarketPacket::Oi(OpenInterest { id, oi })),
        (id_any(), f32_any(), any::<u32>()).prop_map(|(id, prev_close, prev_oi)| {
            MarketPacket::PrevClose(PrevClose {
                id,
                prev_close,
                prev_oi,
            })
        }),
        (
            id_any(),
            (f32_any(), any::<u16>(), any::<u32>(), f32_any()),
            (any::<u32>(), any::<u32>(), any::<u32>()),
            (any::<u32>(), any::<u32>(), any::<u32>()),
            (f32_any(), f32_any(), f32_any(), f32_any()),
            [level(), level(), level(), level(), level()]
        )
            .prop_map(
                |(
                    id,
                    (ltp, ltq, t, atp),
                    (volume, s, b),
                    (oi, oh, ol),
                    (open, close, high, low),
                    depth,
                )| {
                    MarketPacket::Full(Full {
                        id,
                        ltp,
                        ltq,
                        ltt: Ltt(t),
                        atp,
                        volume,
                        total_sell_qty: s,
                        total_buy_qty: b,
                        oi,
                        oi_day_high: oh,
                        oi_day_low: ol,
                        open,
                        close,
                        high,
                        low,
                        depth,
                    })
                }
            ),
        (id_any(), any::<u16>()).prop_map(|(id, r)| MarketPacket::Disconnect(Disconnect {
            id,
            reason: DisconnectCode(r)
        })),
        (id_any(), 8u16..64)
            .prop_map(|(id, len)| MarketPacket::MarketStatus(MarketStatus { id, len })),
        (
            any::<u8>().prop_filter("unknown code", |c| ![2, 4, 5, 6, 7, 8, 50].contains(c)),
            id_any(),
            8u16..300
        )
            .prop_map(|(code, id, len)| MarketPacket::Unknown(UnknownPacket {
                code,
                id,
                len
            })),
    ]
}

pub fn depth_level() -> impl Strategy<Value = DepthLevel> {
    (any::<u64>(), any::<u32>(), any::<u32>()).prop_map(|(p, qty, orders)| DepthLevel {
        price: f64::from_bits(p),
        qty,
        orders,
    })
}
