"""dhan_feed against Dhan's official Python SDK (dhanhq 2.3.0 MarketFeed), in one
run, on one simulator (in this process, real TLS): quote packets delivered to
Python per second with the simulator sending flat out, and wire-to-Python latency
at a paced rate (the simulator stamps its send time into each quote's volume; both
clients hand the volume over as a number).

    pip install ./python "dhanhq==2.3.0" numpy
    python3 python/bench/sdk_compare.py [--seconds 3] [--rounds 3] [--rate 1000]

The SDK runs unmodified but for its URL (a class attribute) and, through
SSL_CERT_FILE, the simulator's certificate. The last line is machine-readable.
"""

import argparse
import os
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

import dhan_feed

INSTRUMENTS = ["NSE_EQ:2885", "NSE_EQ:1333", "NSE_EQ:11536", "NSE_EQ:1594", "NSE_EQ:4963"]


def dhan_feed_objects(sim: dhan_feed.Simulator, seconds: float, on_quote: Callable[[Any], None]) -> int:
    """Quotes received as MarketEvent objects in `seconds`."""
    with dhan_feed.Client(sim.client_id, sim.access_token, url=sim.url, ca_file=sim.ca_file) as c:
        feed = c.market_feed("quote")
        feed.subscribe(INSTRUMENTS)
        feed.recv(timeout=5.0)  # connected
        n = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for ev in feed.events(timeout=0.1, limit=10000):
                if ev.kind == "quote":
                    on_quote(ev.volume)
                    n += 1
        return n


def dhan_feed_batch(sim: dhan_feed.Simulator, seconds: float) -> int:
    """Quotes received as rows of NumPy arrays (MarketFeed.batch) in `seconds`."""
    with dhan_feed.Client(sim.client_id, sim.access_token, url=sim.url, ca_file=sim.ca_file) as c:
        feed = c.market_feed("quote")
        feed.subscribe(INSTRUMENTS)
        feed.recv(timeout=5.0)
        n = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rows, _ = feed.batch(timeout=0.1, limit=65536)
            n += int((rows["kind"] == b"quote").sum())
        return n


def sdk(sim: dhan_feed.Simulator, seconds: float, on_quote: Callable[[Any], None]) -> int:
    """Quotes the official SDK's MarketFeed.get_data returned in `seconds`."""
    from dhanhq import DhanContext, marketfeed  # type: ignore[import-untyped]

    marketfeed.MarketFeed.market_feed_wss = sim.url  # the only change to the SDK
    segment = {"NSE_EQ": marketfeed.MarketFeed.NSE}
    subs = [(segment[i.split(":")[0]], i.split(":")[1], marketfeed.MarketFeed.Quote) for i in INSTRUMENTS]
    feed = marketfeed.MarketFeed(DhanContext(sim.client_id, sim.access_token), subs, version="v2")
    feed.run_forever()
    n = 0
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            d = feed.get_data()
            if isinstance(d, dict) and d.get("type") == "Quote Data":
                on_quote(d["volume"])
                n += 1
    finally:
        feed.close_connection()
    return n


def percentile(xs: List[int], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return float(s[min(len(s) - 1, int(q * len(s)))])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=float, default=1000.0, help="quotes a second in the latency runs")
    args = ap.parse_args()

    results: Dict[str, List[float]] = {"dhan_feed": [], "dhan_feed_batch": [], "sdk": []}
    with dhan_feed.Simulator(rate=0.0, order_interval=None) as sim:
        os.environ["SSL_CERT_FILE"] = sim.ca_file or ""
        for r in range(args.rounds):
            order = ["sdk", "dhan_feed", "dhan_feed_batch"]
            if r % 2:
                order.reverse()
            for name in order:
                if name == "sdk":
                    n = sdk(sim, args.seconds, lambda v: None)
                elif name == "dhan_feed":
                    n = dhan_feed_objects(sim, args.seconds, lambda v: None)
                else:
                    n = dhan_feed_batch(sim, args.seconds)
                results[name].append(n / args.seconds)
                print(f"round {r + 1}: {name:16s} {n / args.seconds:>12,.0f} quotes/s", file=sys.stderr)

    latency: Dict[str, List[int]] = {"dhan_feed": [], "sdk": []}
    with dhan_feed.Simulator(rate=args.rate, order_interval=None, stamp=True) as sim:
        os.environ["SSL_CERT_FILE"] = sim.ca_file or ""

        def recorder(name: str) -> Callable[[Any], None]:
            def on_quote(volume: Any) -> None:
                latency[name].append((dhan_feed.now_ns() - int(volume)) & 0xFFFFFFFF)

            return on_quote

        for name in ["sdk", "dhan_feed"]:
            if name == "sdk":
                sdk(sim, args.seconds, recorder(name))
            else:
                dhan_feed_objects(sim, args.seconds, recorder(name))
            # The first half second is connection set-up and warm-up.
            latency[name] = latency[name][int(args.rate * 0.5) :]

    med = {k: statistics.median(v) for k, v in results.items()}
    print("| client | quotes/s delivered to Python (median of rounds) | ratio to the SDK |")
    print("|---|---|---|")
    for k, v in med.items():
        print(f"| {k} | {v:,.0f} (range {min(results[k]):,.0f}–{max(results[k]):,.0f}) | {v / max(med['sdk'], 1):.1f} |")
    print("| client | wire→Python p50 µs | p99 µs | p99.9 µs | samples |")
    print("|---|---|---|---|---|")
    lat: Dict[str, Tuple[float, float, float]] = {}
    for k, xs in latency.items():
        lat[k] = (percentile(xs, 0.5) / 1e3, percentile(xs, 0.99) / 1e3, percentile(xs, 0.999) / 1e3)
        print(f"| {k} | {lat[k][0]:.1f} | {lat[k][1]:.1f} | {lat[k][2]:.1f} | {len(xs)} |")
    print(
        "RESULT "
        + " ".join(f"{k}_per_s={v:.0f}" for k, v in med.items())
        + f" ratio_objects={med['dhan_feed'] / max(med['sdk'], 1):.1f}"
        + f" ratio_batch={med['dhan_feed_batch'] / max(med['sdk'], 1):.1f}"
        + "".join(f" {k}_p50_us={v[0]:.1f} {k}_p99_us={v[1]:.1f}" for k, v in lat.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
