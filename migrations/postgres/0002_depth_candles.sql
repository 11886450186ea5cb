-- dhan-feed's PostgreSQL schema, version 2: depth and candles.
--
-- Units as in version 1: prices in rupees (DOUBLE PRECISION), quantities BIGINT,
-- `recv_ns` wall-clock nanoseconds since the Unix epoch.

-- One side of a 20- or 200-level book after an update: its best five levels
-- (`price_1` is the best bid or ask). `depth` is 20 or 200, `side` bid or ask,
-- `levels` how many levels the side had; the level columns of levels it did not
-- have are NULL.
CREATE TABLE depth_top (
    segment TEXT NOT NULL,
    security_id BIGINT NOT NULL,
    depth BIGINT NOT NULL,
    side TEXT NOT NULL,
    levels BIGINT NOT NULL,
    price_1 DOUBLE PRECISION,
    qty_1 BIGINT,
    orders_1 BIGINT,
    price_2 DOUBLE PRECISION,
    qty_2 BIGINT,
    orders_2 BIGINT,
    price_3 DOUBLE PRECISION,
    qty_3 BIGINT,
    orders_3 BIGINT,
    price_4 DOUBLE PRECISION,
    qty_4 BIGINT,
    orders_4 BIGINT,
    price_5 DOUBLE PRECISION,
    qty_5 BIGINT,
    orders_5 BIGINT,
    recv_ns BIGINT NOT NULL
);

-- OHLCV bars built by the sink from the market feed's trades (the same rules as
-- `dhan-feed watch --candles`): `start` is the bar's first second on exchange time,
-- counted as the feed's `ltt` (IST wall clock as Unix seconds), `interval_secs` its
-- length; `volume` is the change of the day's cumulative volume over the bar (NULL
-- when only tickers, which carry no volume, made it); `packets` how many packets
-- it holds. `closed` is 1 when a later packet closed the bar and 0 when the sink
-- stopped during it (the bar may be partial; a sink started again on the same
-- database begins that bar anew). `recv_ns` is when the closing packet (or the stop)
-- was read.
CREATE TABLE candles (
    segment TEXT NOT NULL,
    security_id BIGINT NOT NULL,
    start BIGINT NOT NULL,
    interval_secs BIGINT NOT NULL,
    open DOUBLE PRECISION NOT NULL,
    high DOUBLE PRECISION NOT NULL,
    low DOUBLE PRECISION NOT NULL,
    close DOUBLE PRECISION NOT NULL,
    volume BIGINT,
    packets BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    recv_ns BIGINT NOT NULL
);

-- `gaps.feed` is now also depth20 or depth200 (the sink's depth rings).

INSERT INTO dhan_feed_schema (version) VALUES (2);
