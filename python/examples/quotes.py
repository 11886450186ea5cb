"""Quotes of two instruments for a few seconds, with the last price of each:
on the built-in simulator, or on Dhan when DHAN_CLIENT_ID and DHAN_ACCESS_TOKEN
are set.

    python3 python/examples/quotes.py [seconds]
"""

import os
import sys
import time
from contextlib import ExitStack
from typing import Dict

import dhan_feed


def main(seconds: float) -> int:
    with ExitStack() as stack:
        if os.environ.get("DHAN_CLIENT_ID") and os.environ.get("DHAN_ACCESS_TOKEN"):
            client = stack.enter_context(dhan_feed.Client.from_env())
        else:
            sim = stack.enter_context(dhan_feed.Simulator(rate=200.0))
            client = stack.enter_context(
                dhan_feed.Client(sim.client_id, sim.access_token, url=sim.url, ca_file=sim.ca_file)
            )
        feed = stack.enter_context(client.market_feed("quote"))
        feed.subscribe(["NSE_EQ:2885", "IDX_I:13"])
        last: Dict[str, float] = {}
        count = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for ev in feed.events(timeout=0.5, limit=1000):
                if ev.kind == "quote" and ev.instrument is not None and ev.ltp is not None:
                    last[ev.instrument] = ev.ltp
                    count += 1
                elif ev.kind in ("connection", "refused", "stopped"):
                    print(f"{ev.kind}: {ev.detail}")
        for instrument, ltp in sorted(last.items()):
            print(f"{instrument}: last {ltp}")
        stats = feed.stats()
        print(f"{count} quotes, {stats['dropped']} dropped")
        return 0 if count > 0 else 1


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0))
