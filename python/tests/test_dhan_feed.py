"""dhan_feed from Python against the in-process simulator: market, depth and
order feeds, reconnection, errors, the GIL and Ctrl-C."""

import os
import signal
import threading
import time
from typing import Any, Iterator, List

import pytest

import dhan_feed


@pytest.fixture
def sim() -> Iterator[dhan_feed.Simulator]:
    with dhan_feed.Simulator(rate=500.0, depth_rate=20.0, order_interval=0.05) as s:
        yield s


@pytest.fixture
def client(sim: dhan_feed.Simulator) -> Iterator[dhan_feed.Client]:
    with dhan_feed.Client(
        sim.client_id, sim.access_token, url=sim.url, rest_url=sim.rest_url, ca_file=sim.ca_file
    ) as c:
        yield c


def collect(feed: "dhan_feed.MarketFeed", kind: str, n: int, within: float = 10.0) -> List[dhan_feed.MarketEvent]:
    """The first n events of `kind`, or fail after `within` seconds."""
    got: List[dhan_feed.MarketEvent] = []
    deadline = time.monotonic() + within
    while len(got) < n and time.monotonic() < deadline:
        got.extend(e for e in feed.events(timeout=0.5, limit=1000) if e.kind == kind)
    assert len(got) >= n, f"{len(got)} {kind} events in {within} s"
    return got[:n]


def test_quotes_of_the_subscribed_instruments_only(client: dhan_feed.Client) -> None:
    feed = client.market_feed("quote")
    assert feed.mode == "quote"
    feed.subscribe(["NSE_EQ:2885", "IDX_I:13"])
    assert sorted(feed.subscriptions()) == ["IDX_I:13", "NSE_EQ:2885"]
    quotes = collect(feed, "quote", 50)
    assert {q.instrument for q in quotes} <= {"NSE_EQ:2885", "IDX_I:13"}
    for q in quotes:
        assert q.segment in ("NSE_EQ", "IDX_I")
        assert q.ltp is not None and q.ltp > 0
        assert q.high is not None and q.low is not None and q.low <= q.high
        assert q.volume is not None and q.ltq is not None
        # A quote carries no depth and no open interest.
        assert q.depth is None and q.oi is None
        # Prices keep the feed's own decimal form (an f32 widened exactly would not).
        assert len(repr(q.ltp)) <= 12, q.ltp
        assert q.recv_ns is not None and q.publish_ns is not None and q.publish_ns >= q.recv_ns
    stats = feed.stats()
    assert stats["received"] >= 50 and stats["dropped"] == 0
    health = feed.health()
    assert health["live"] == 1 and health["stopped"] is None


def test_full_packets_carry_five_levels(client: dhan_feed.Client) -> None:
    feed = client.market_feed("full")
    feed.subscribe(["NSE_FNO:49081"])
    fulls = collect(feed, "full", 5)
    for f in fulls:
        assert f.depth is not None and len(f.depth) == 5
        bid_price, bid_qty, bid_orders, ask_price, ask_qty, ask_orders = f.depth[0]
        assert bid_price < ask_price and bid_qty > 0 and ask_qty > 0
        assert f.oi is not None


def test_bad_instruments_raise_value_error_and_subscribe_nothing(client: dhan_feed.Client) -> None:
    feed = client.market_feed("ticker")
    for bad in ["NSE_EQ:abc", "2885", "NOPE:1", ""]:
        with pytest.raises(ValueError) as e:
            feed.subscribe(["IDX_I:13", bad])
        assert isinstance(e.value, dhan_feed.InstrumentError)
        assert isinstance(e.value, dhan_feed.DhanFeedError)
    assert feed.subscriptions() == []
    with pytest.raises(ValueError):
        client.market_feed("fast")
    with pytest.raises(ValueError):
        client.depth(30)
    with pytest.raises(ValueError):
        feed.recv(timeout=-1.0)
    with pytest.raises(TypeError):
        feed.subscribe("IDX_I:13")  # type: ignore[arg-type]


def test_depth_books_rebuild_from_the_updates(client: dhan_feed.Client) -> None:
    depth = client.depth(20)
    assert depth.levels == 20
    depth.subscribe(["NSE_EQ:2885"])
    deadline = time.monotonic() + 10
    sides = set()
    snapshot = None
    while snapshot is None and time.monotonic() < deadline:
        e = depth.recv(timeout=0.5)
        if e is None:
            continue
        if e.kind == "update":
            assert e.instrument == "NSE_EQ:2885" and e.side in ("bid", "ask")
            sides.add(e.side)
        elif e.kind == "snapshot":
            snapshot = e
    assert snapshot is not None and sides == {"bid", "ask"}
    book = depth.book("NSE_EQ:2885")
    assert book is not None and book.complete
    assert len(book.bids) == 20 and len(book.asks) == 20
    bids = [p for p, _, _ in book.bids]
    asks = [p for p, _, _ in book.asks]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert book.best_bid == book.bids[0] and book.best_ask == book.asks[0]
    assert book.spread is not None and book.spread > 0
    assert depth.book("NSE_EQ:1333") is None


def test_order_updates_and_the_trackers_events(client: dhan_feed.Client, sim: dhan_feed.Simulator) -> None:
    orders = client.order_feed()
    kinds: List[str] = []
    updates = 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not ({"open", "status_change"} <= set(kinds) and updates >= 5):
        for e in orders.events(timeout=0.5):
            kinds.append(e.kind)
            if e.kind == "update":
                updates += 1
                u = e.update
                assert u is not None and u["order_no"] == e.order_no
                # The client id is a credential: never in an update's dict.
                assert "client_id" not in u and sim.client_id not in str(u)
            if e.kind == "status_change":
                assert e.statuses is not None and e.statuses[0] != e.statuses[1]
                assert e.order_no is not None
                tracked = orders.order(e.order_no)
                assert tracked is not None and tracked["order_no"] == e.order_no
    assert kinds[0] == "open", kinds[:3]
    assert updates >= 5 and "status_change" in kinds, kinds
    assert orders.connected


def test_a_reset_connection_comes_back(client: dhan_feed.Client, sim: dhan_feed.Simulator) -> None:
    feed = client.market_feed("ticker")
    feed.subscribe(["IDX_I:13"])
    collect(feed, "ticker", 5)
    assert sim.inject("reset") >= 1
    events: List[str] = []
    deadline = time.monotonic() + 15
    ticks_after = 0
    while time.monotonic() < deadline and ticks_after < 5:
        for e in feed.events(timeout=0.5):
            if e.kind == "connection":
                assert e.detail is not None
                events.append(e.detail)
            elif e.kind == "ticker" and any("reconnect" in d or "connected" in d for d in events):
                ticks_after += 1
    assert any("connected" in d for d in events), events
    assert ticks_after >= 5, events
    reconnects = feed.health()["reconnects"]
    assert isinstance(reconnects, int) and reconnects >= 1


def test_a_closed_client_raises_and_its_handles_end(client: dhan_feed.Client) -> None:
    feed = client.market_feed("ticker")
    feed.subscribe(["IDX_I:13"])
    collect(feed, "ticker", 1)
    client.close()
    client.close()  # twice is harmless
    with pytest.raises(dhan_feed.ClientClosedError):
        client.market_feed("ticker")
    # The handle drains what is left, then says the engine stopped; iteration ends there.
    kinds = [e.kind for e in feed]
    assert kinds[-1] == "stopped"
    feed.close()
    with pytest.raises(dhan_feed.ClientClosedError):
        feed.recv(timeout=0)


def test_waiting_releases_the_gil(client: dhan_feed.Client) -> None:
    feed = client.market_feed("ticker")  # nothing subscribed: nothing comes
    counter = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counter[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        before = counter[0]
        assert feed.recv(timeout=0.5) is None
        during = counter[0] - before
    finally:
        stop.set()
        t.join()
    # A held GIL would have let the other thread run only at the switch interval.
    assert during > 100_000, during


def test_ctrl_c_interrupts_a_wait(client: dhan_feed.Client) -> None:
    feed = client.market_feed("ticker")  # nothing subscribed: the wait would be forever
    main = threading.get_ident()
    timer = threading.Timer(0.3, lambda: signal.pthread_kill(main, signal.SIGINT))
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        feed.recv(timeout=None)
    assert time.monotonic() - t0 < 5


def test_credentials_stay_out_of_reprs_and_errors(sim: dhan_feed.Simulator) -> None:
    token = "secret-token-" + "x" * 20
    with dhan_feed.Client(sim.client_id, token, url=sim.url, ca_file=sim.ca_file) as c:
        assert token not in repr(c)
        feed = c.market_feed("ticker")
        feed.subscribe(["IDX_I:13"])
        seen: List[dhan_feed.MarketEvent] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not seen:
            seen = [e for e in feed.events(timeout=0.5) if e.kind == "connection"]
        assert seen, "no connection event for a refused token"
        for e in seen:
            assert token not in (e.detail or "") and token not in repr(e)


def test_bad_settings_are_config_errors(sim: dhan_feed.Simulator) -> None:
    with pytest.raises(ValueError):
        dhan_feed.Client(sim.client_id, sim.access_token, url=sim.url, ring_capacity=0)
    missing = os.path.join(os.path.dirname(sim.ca_file or "."), "no-such-file.pem")
    with pytest.raises(dhan_feed.ConfigError):
        dhan_feed.Client(sim.client_id, sim.access_token, url=sim.url, ca_file=missing)
    with pytest.raises(ValueError):
        dhan_feed.Simulator(rate=-1.0)
    with pytest.raises(ValueError):
        sim.inject("no-such-fault")


def test_batch_returns_the_packets_as_one_array_and_the_rest_as_events(client: dhan_feed.Client) -> None:
    np = pytest.importorskip("numpy") if os.environ.get("CI") != "true" else __import__("numpy")
    feed = client.market_feed("quote")
    feed.subscribe(["NSE_EQ:2885", "IDX_I:13"])
    rows_seen = 0
    others: List[str] = []
    quotes = None
    prev_close_ltps: List[float] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and rows_seen < 100:
        rows, rest = feed.batch(timeout=0.5, limit=50)
        assert len(rows) + len(rest) <= 50
        assert rows.dtype == np.dtype(dhan_feed.BATCH_DTYPE)
        others.extend(e.kind for e in rest)
        rows_seen += len(rows)
        q = rows[rows["kind"] == b"quote"]
        quotes = q if quotes is None else np.concatenate([quotes, q])
        prev_close_ltps.extend(rows[rows["kind"] == b"prev_close"]["ltp"].tolist())
    assert rows_seen >= 100 and quotes is not None and len(quotes) > 0
    # The connection event is not lost: it comes back beside the array.
    assert "connection" in others
    assert set(quotes["segment"]) <= {b"NSE_EQ", b"IDX_I"}
    assert set(quotes["security_id"]) <= {2885, 13}
    assert (quotes["ltp"] > 0).all() and (quotes["low"] <= quotes["high"]).all()
    assert (quotes["recv_ns"] > 0).all()
    # A quote has no open interest; previous-close rows have no ltp.
    assert (quotes["oi"] == 0).all()
    assert prev_close_ltps and all(x != x for x in prev_close_ltps)
    # Same counts as the handle's own counter: nothing went missing.
    assert feed.stats()["dropped"] == 0


def test_instrument_lookup_gives_what_subscribe_takes(tmp_path: Any) -> None:
    master = dhan_feed.InstrumentMaster.from_csv(dhan_feed.EXAMPLE_CSV)
    assert len(master) > 0
    reliance = master.find("RELIANCE", "NSE_EQ")
    assert reliance is not None
    assert reliance.instrument == "NSE_EQ:2885" and reliance.security_id == 2885
    assert reliance.symbol_name == "RELIANCE INDUSTRIES LTD"
    nifty = master.find("NIFTY")
    assert nifty is not None and nifty.instrument == "IDX_I:13"
    assert master.find("RELIANCE INDUSTRIES LTD", "NSE_EQ", exact=True) is not None
    assert master.find("reliance industries ltd", "NSE_EQ", exact=True, case_sensitive=True) is None
    got = master.get("NSE_EQ:2885")
    assert got is not None and got.symbol_name == reliance.symbol_name
    assert master.get("NSE_EQ:1") is None
    assert [i.instrument for i in master.find_all("RELIANCE", "NSE_EQ")][:1] == ["NSE_EQ:2885"]
    with pytest.raises(ValueError):
        master.find("X", "NOT_A_SEGMENT")
    # From a file, and a file that is not an instrument master.
    path = tmp_path / "master.csv"
    path.write_text(dhan_feed.EXAMPLE_CSV)
    assert len(dhan_feed.InstrumentMaster.from_path(str(path))) == len(master)
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,master\n1,2,3\n")
    with pytest.raises(dhan_feed.DhanFeedError):
        dhan_feed.InstrumentMaster.from_path(str(bad))
    with pytest.raises(dhan_feed.DhanFeedError):
        dhan_feed.InstrumentMaster.from_path(str(tmp_path / "missing.csv"))


def test_every_public_class_method_and_property_has_a_docstring() -> None:
    missing = []
    for name in dhan_feed.__all__:
        obj = getattr(dhan_feed, name)
        if isinstance(obj, type):
            if not (obj.__doc__ or "").strip():
                missing.append(name)
            for attr, value in vars(obj).items():
                if attr.startswith("_") or not hasattr(value, "__doc__"):
                    continue
                if not (value.__doc__ or "").strip():
                    missing.append(f"{name}.{attr}")
        elif callable(obj) and not (obj.__doc__ or "").strip():
            missing.append(name)
    assert not missing, missing


def test_a_recorded_session_replays_into_the_same_handles(sim: dhan_feed.Simulator, tmp_path: Any) -> None:
    path = str(tmp_path / "day.arrows")
    live: List[Any] = []
    with dhan_feed.Client(sim.client_id, sim.access_token, url=sim.url, ca_file=sim.ca_file, record=path) as c:
        feed = c.market_feed("quote")
        feed.subscribe(["NSE_EQ:2885", "IDX_I:13"])
        deadline = time.monotonic() + 10
        while len(live) < 200 and time.monotonic() < deadline:
            live.extend(
                (e.instrument, e.ltp, e.volume, e.recv_ns) for e in feed.events(timeout=0.5) if e.kind == "quote"
            )
        c.close()
        stats = c.journal_stats()
        assert stats is not None and stats["records"] and stats["missed"] == 0
        # What the handle still held when the client stopped was recorded too.
        live.extend((e.instrument, e.ltp, e.volume, e.recv_ns) for e in feed if e.kind == "quote")
    assert len(live) >= 200
    with dhan_feed.Replay(path) as replay:
        again = replay.market_feed("quote")
        again.subscribe(["NSE_EQ:2885", "IDX_I:13"])
        replay.start()
        replayed = [(e.instrument, e.ltp, e.volume, e.recv_ns) for e in again if e.kind == "quote"]
    # The same quotes, with the same receive stamps, in the same order.
    assert replayed == live
    with pytest.raises(ValueError):
        dhan_feed.Replay(path, speed=0.0)
    not_a_journal = tmp_path / "x.arrows"
    not_a_journal.write_bytes(b"not a journal at all")
    with pytest.raises(dhan_feed.DhanFeedError):
        dhan_feed.Replay(str(not_a_journal))
