-- dhan-feed's SQLite schema, version 2 (PRAGMA user_version = 2): depth and candles.
--
-- Units as in version 1: prices in rupees (REAL), quantities INTEGER, `recv_ns` wall-clock
-- nanoseconds since the Unix epoch.

-- One side of a 20- or 200-level book after an update: its best five levels
-- (`price_1` is the best bid or ask). `depth` is 20 or 200, `side` bid or ask,
-- `levels` how many levels the side had; the level columns of levels it did not
-- have are NULL.
CREATE TABLE depth_top (
    segment TEXT NOT NULL,
    security_id INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    side TEXT NOT NULL,
    levels INTEGER NOT NULL,
    price_1 REAL,
    qty_1 INTEGER,
    orders_1 INTEGER,
    price_2 REAL,
    qty_2 INTEGER,
    orders_2 INTEGER,
    price_3 REAL,
    qty_3 INTEGER,
    orders_3 INTEGER,
    price_4 REAL,
    qty_4 INTEGER,
    orders_4 INTEGER,
    price_5 REAL,
    qty_5 INTEGER,
    orders_5 INTEGER,
    recv_ns INTEGER NOT NULL
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
    security_id INTEGER NOT NULL,
    start INTEGER NOT NULL,
    interval_secs INTEGER NOT NULL,
    open REAL NOT NULL,
    high REAL NOT NULL,
    low REAL NOT NULL,
    close REAL NOT NULL,
    volume INTEGER,
    packets INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    recv_ns INTEGER NOT NULL
);

-- `gaps.feed` is now also depth20 or depth200 (the sink's depth rings).
