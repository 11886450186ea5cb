-- dhan-feed's PostgreSQL schema, version 1 (the dhan_feed_schema table holds it).
--
-- Column names are those of `dhan-feed watch --json` and of the SQLite schema.
-- Prices are DOUBLE PRECISION, in rupees: the feed's 32-bit floats widened exactly
-- (25681.15 on the wire is 25681.150390625 here; compare with a tolerance or round to
-- the tick); quantities and counts BIGINT. `ltt` is the feed's last-trade time as
-- Dhan encodes it (IST wall clock counted as Unix seconds). `recv_ns` is when
-- the client's I/O thread read the message: wall-clock nanoseconds since the Unix
-- epoch (with TimescaleDB installed in the database, `ticks` is a hypertable on it).
-- `segment` is the exchange segment's name (NSE_EQ, IDX_I, ...; its number
-- when unknown). No table has an index: rows go in as fast as possible; add the
-- indexes your queries need.

CREATE TABLE ticks (
    segment TEXT NOT NULL,
    security_id BIGINT NOT NULL,
    ltp DOUBLE PRECISION NOT NULL,
    ltt BIGINT NOT NULL,
    recv_ns BIGINT NOT NULL
);

CREATE TABLE quotes (
    segment TEXT NOT NULL,
    security_id BIGINT NOT NULL,
    ltp DOUBLE PRECISION NOT NULL,
    ltq BIGINT NOT NULL,
    ltt BIGINT NOT NULL,
    atp DOUBLE PRECISION NOT NULL,
    volume BIGINT NOT NULL,
    total_sell_qty BIGINT NOT NULL,
    total_buy_qty BIGINT NOT NULL,
    open DOUBLE PRECISION NOT NULL,
    close DOUBLE PRECISION NOT NULL,
    high DOUBLE PRECISION NOT NULL,
    low DOUBLE PRECISION NOT NULL,
    recv_ns BIGINT NOT NULL
);

-- Full packets: a quote with open interest and five depth levels a side.
CREATE TABLE fulls (
    segment TEXT NOT NULL,
    security_id BIGINT NOT NULL,
    ltp DOUBLE PRECISION NOT NULL,
    ltq BIGINT NOT NULL,
    ltt BIGINT NOT NULL,
    atp DOUBLE PRECISION NOT NULL,
    volume BIGINT NOT NULL,
    total_sell_qty BIGINT NOT NULL,
    total_buy_qty BIGINT NOT NULL,
    oi BIGINT NOT NULL,
    oi_day_high BIGINT NOT NULL,
    oi_day_low BIGINT NOT NULL,
    open DOUBLE PRECISION NOT NULL,
    close DOUBLE PRECISION NOT NULL,
    high DOUBLE PRECISION NOT NULL,
    low DOUBLE PRECISION NOT NULL,
    bid_price_1 DOUBLE PRECISION NOT NULL,
    bid_qty_1 BIGINT NOT NULL,
    bid_orders_1 BIGINT NOT NULL,
    ask_price_1 DOUBLE PRECISION NOT NULL,
    ask_qty_1 BIGINT NOT NULL,
    ask_orders_1 BIGINT NOT NULL,
    bid_price_2 DOUBLE PRECISION NOT NULL,
    bid_qty_2 BIGINT NOT NULL,
    bid_orders_2 BIGINT NOT NULL,
    ask_price_2 DOUBLE PRECISION NOT NULL,
    ask_qty_2 BIGINT NOT NULL,
    ask_orders_2 BIGINT NOT NULL,
    bid_price_3 DOUBLE PRECISION NOT NULL,
    bid_qty_3 BIGINT NOT NULL,
    bid_orders_3 BIGINT NOT NULL,
    ask_price_3 DOUBLE PRECISION NOT NULL,
    ask_qty_3 BIGINT NOT NULL,
    ask_orders_3 BIGINT NOT NULL,
    bid_price_4 DOUBLE PRECISION NOT NULL,
    bid_qty_4 BIGINT NOT NULL,
    bid_orders_4 BIGINT NOT NULL,
    ask_price_4 DOUBLE PRECISION NOT NULL,
    ask_qty_4 BIGINT NOT NULL,
    ask_orders_4 BIGINT NOT NULL,
    bid_price_5 DOUBLE PRECISION NOT NULL,
    bid_qty_5 BIGINT NOT NULL,
    bid_orders_5 BIGINT NOT NULL,
    ask_price_5 DOUBLE PRECISION NOT NULL,
    ask_qty_5 BIGINT NOT NULL,
    ask_orders_5 BIGINT NOT NULL,
    recv_ns BIGINT NOT NULL
);

CREATE TABLE oi (
    segment TEXT NOT NULL,
    security_id BIGINT NOT NULL,
    oi BIGINT NOT NULL,
    recv_ns BIGINT NOT NULL
);

CREATE TABLE prev_close (
    segment TEXT NOT NULL,
    security_id BIGINT NOT NULL,
    prev_close DOUBLE PRECISION NOT NULL,
    prev_oi BIGINT NOT NULL,
    recv_ns BIGINT NOT NULL
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
    disc_quantity BIGINT NOT NULL,
    disc_qty_rem BIGINT NOT NULL,
    remaining_quantity BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    traded_qty BIGINT NOT NULL,
    lot_size BIGINT NOT NULL,
    leg_no BIGINT NOT NULL,
    multiplier BIGINT NOT NULL,
    price DOUBLE PRECISION NOT NULL,
    trigger_price DOUBLE PRECISION NOT NULL,
    traded_price DOUBLE PRECISION NOT NULL,
    avg_traded_price DOUBLE PRECISION NOT NULL,
    ref_ltp DOUBLE PRECISION NOT NULL,
    tick_size DOUBLE PRECISION NOT NULL,
    strike_price DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    reconciled BIGINT NOT NULL,
    recv_ns BIGINT NOT NULL
);

-- What did not reach the database: `feed` is market or orders, `missed` how many
-- events, `reason` why (ring_full: the sink fell behind and its ring dropped them;
-- spill_full, outage: the order feed's own gaps), `recv_ns` when it was seen.
CREATE TABLE gaps (
    feed TEXT NOT NULL,
    missed BIGINT NOT NULL,
    reason TEXT NOT NULL,
    recv_ns BIGINT NOT NULL
);

CREATE TABLE dhan_feed_schema (
    version INTEGER NOT NULL
);
INSERT INTO dhan_feed_schema (version) VALUES (1);
