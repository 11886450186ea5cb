-- dhan-feed's SQLite schema, version 1 (PRAGMA user_version = 1).
--
-- Column names are those of `dhan-feed watch --json`. Prices are REAL, in rupees: the
-- feed's 32-bit floats widened exactly (25681.15 on the wire is 25681.150390625 here;
-- compare with a tolerance or round to the tick); quantities and counts INTEGER. `ltt` is the feed's last-trade
-- time as Dhan encodes it (IST wall clock counted as Unix seconds). `recv_ns` is when
-- the client's I/O thread read the message: wall-clock nanoseconds since the Unix
-- epoch. `segment` is the exchange segment's name (NSE_EQ, IDX_I, ...; its number
-- when unknown). No table has an index: rows go in as fast as possible; add the
-- indexes your queries need.

CREATE TABLE ticks (
    segment TEXT NOT NULL,
    security_id INTEGER NOT NULL,
    ltp REAL NOT NULL,
    ltt INTEGER NOT NULL,
    recv_ns INTEGER NOT NULL
);

CREATE TABLE quotes (
    segment TEXT NOT NULL,
    security_id INTEGER NOT NULL,
    ltp REAL NOT NULL,
    ltq INTEGER NOT NULL,
    ltt INTEGER NOT NULL,
    atp REAL NOT NULL,
    volume INTEGER NOT NULL,
    total_sell_qty INTEGER NOT NULL,
    total_buy_qty INTEGER NOT NULL,
    open REAL NOT NULL,
    close REAL NOT NULL,
    high REAL NOT NULL,
    low REAL NOT NULL,
    recv_ns INTEGER NOT NULL
);

-- Full packets: a quote with open interest and five depth levels a side.
CREATE TABLE fulls (
    segment TEXT NOT NULL,
    security_id INTEGER NOT NULL,
    ltp REAL NOT NULL,
    ltq INTEGER NOT NULL,
    ltt INTEGER NOT NULL,
    atp REAL NOT NULL,
    volume INTEGER NOT NULL,
    total_sell_qty INTEGER NOT NULL,
    total_buy_qty INTEGER NOT NULL,
    oi INTEGER NOT NULL,
    oi_day_high INTEGER NOT NULL,
    oi_day_low INTEGER NOT NULL,
    open REAL NOT NULL,
    close REAL NOT NULL,
    high REAL NOT NULL,
    low REAL NOT NULL,
    bid_price_1 REAL NOT NULL,
    bid_qty_1 INTEGER NOT NULL,
    bid_orders_1 INTEGER NOT NULL,
    ask_price_1 REAL NOT NULL,
    ask_qty_1 INTEGER NOT NULL,
    ask_orders_1 INTEGER NOT NULL,
    bid_price_2 REAL NOT NULL,
    bid_qty_2 INTEGER NOT NULL,
    bid_orders_2 INTEGER NOT NULL,
    ask_price_2 REAL NOT NULL,
    ask_qty_2 INTEGER NOT NULL,
    ask_orders_2 INTEGER NOT NULL,
    bid_price_3 REAL NOT NULL,
    bid_qty_3 INTEGER NOT NULL,
    bid_orders_3 INTEGER NOT NULL,
    ask_price_3 REAL NOT NULL,
    ask_qty_3 INTEGER NOT NULL,
    ask_orders_3 INTEGER NOT NULL,
    bid_price_4 REAL NOT NULL,
    bid_qty_4 INTEGER NOT NULL,
    bid_orders_4 INTEGER NOT NULL,
    ask_price_4 REAL NOT NULL,
    ask_qty_4 INTEGER NOT NULL,
    ask_orders_4 INTEGER NOT NULL,
    bid_price_5 REAL NOT NULL,
    bid_qty_5 INTEGER NOT NULL,
    bid_orders_5 INTEGER NOT NULL,
    ask_price_5 REAL NOT NULL,
    ask_qty_5 INTEGER NOT NULL,
    ask_orders_5 INTEGER NOT NULL,
    recv_ns INTEGER NOT NULL
);

CREATE TABLE oi (
    segment TEXT NOT NULL,
    security_id INTEGER NOT NULL,
    oi INTEGER NOT NULL,
    recv_ns INTEGER NOT NULL
);

CREATE TABLE prev_close (
    segment TEXT NOT NULL,
    security_id INTEGER NOT NULL,
    prev_close REAL NOT NULL,
    prev_oi INTEGER NOT NULL,
    recv_ns INTEGER NOT NULL
);

-- Every field of an order update but the client id (a credential, never stored);
-- `reconciled` is 1 for an update taken from the order book after a gap.
CREATE TABLE order_updates (
    exchange TEXT NOT NULL,
    segment TEXT NOT NULL,
    source TEXT NOT NULL,
    security_id TEXT NOT NULL,
    exch_order_no TEXT NOT NULL,
    order_no TEXT NOT NULL,
    product TEXT NOT NULL,
    txn_type TEXT NOT NULL,
    order_type TEXT NOT NULL,
    validity TEXT NOT NULL,
    off_mkt_flag TEXT NOT NULL,
    order_date_time TEXT NOT NULL,
    exch_order_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL,
    remarks TEXT NOT NULL,
    mkt_type TEXT NOT NULL,
    reason_description TEXT NOT NULL,
    instrument TEXT NOT NULL,
    symbol TEXT NOT NULL,
    product_name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    isin TEXT NOT NULL,
    series TEXT NOT NULL,
    expiry_date TEXT NOT NULL,
    opt_type TEXT NOT NULL,
    good_till_days_date TEXT NOT NULL,
    algo_id TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    algo_ord_no TEXT NOT NULL,
    disc_quantity INTEGER NOT NULL,
    disc_qty_rem INTEGER NOT NULL,
    remaining_quantity INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    traded_qty INTEGER NOT NULL,
    lot_size INTEGER NOT NULL,
    leg_no INTEGER NOT NULL,
    multiplier INTEGER NOT NULL,
    price REAL NOT NULL,
    trigger_price REAL NOT NULL,
    traded_price REAL NOT NULL,
    avg_traded_price REAL NOT NULL,
    ref_ltp REAL NOT NULL,
    tick_size REAL NOT NULL,
    strike_price REAL NOT NULL,
    status TEXT NOT NULL,
    reconciled INTEGER NOT NULL,
    recv_ns INTEGER NOT NULL
);

-- What did not reach the database: `feed` is market or orders, `missed` how many
-- events, `reason` why (ring_full: the sink fell behind and its ring dropped them;
-- spill_full, outage: the order feed's own gaps), `recv_ns` when it was seen.
CREATE TABLE gaps (
    feed TEXT NOT NULL,
    missed INTEGER NOT NULL,
    reason TEXT NOT NULL,
    recv_ns INTEGER NOT NULL
);
