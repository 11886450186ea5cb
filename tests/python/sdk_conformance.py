#!/usr/bin/env python3
"""Conformance of the simulator with Dhan's official Python SDK (pip: dhanhq).

The SDK runs unmodified: only its URLs are pointed at the simulator, and the
simulator's certificate is trusted through SSL_CERT_FILE. The script subscribes in
ticker, quote and full mode, checks every decoded value against what the
simulator recorded it sent (its capture, decoded by `dhan-feed decode`),
receives order updates, and runs the SDK's GlobalStocksFeed (trade and OHLC)
against the simulator's Global Stocks listener, checked the same way.

Usage: python3 tests/python/sdk_conformance.py [path/to/dhan-feed]
Exit status 0 when every check passes; the last line is "N passed, M failed".
"""

import asyncio
import glob
import json
import os
import subprocess
import sys
import tempfile

CLIENT_ID = "1000000001"
TOKEN = "sim-access-token"
checks = {"passed": 0, "failed": 0}


def check(cond, what):
    if cond:
        checks["passed"] += 1
    else:
        checks["failed"] += 1
        print(f"FAIL: {what}", file=sys.stderr)


def fmt2(x):
    return "{:.2f}".format(x)


def close(a, b):
    return abs(a - b) <= 1e-3 * max(1.0, abs(b))


def global_stocks(binary, ctx, url, cap_dir):
    """The SDK's GlobalStocksFeed, unmodified but for its URL, against the
    simulator's own Global Stocks listener."""
    from dhanhq import GlobalStocksFeed
    GlobalStocksFeed.global_feed_wss = url + "/"  # the only change to the SDK
    feed = GlobalStocksFeed(ctx, [
        (GlobalStocksFeed.INX_EQ, "1234"),
        (GlobalStocksFeed.INX_EQ, "5678", GlobalStocksFeed.SubscribeOHLC),
    ])
    feed.run_forever()
    received = []
    for _ in range(40):
        got = feed.get_data()
        received.extend(got if isinstance(got, list) else [got])
    feed.close_connection()
    caps = sorted(glob.glob(os.path.join(cap_dir, "*-global.cap")))
    check(len(caps) == 1, f"one global capture, found {caps}")
    decoded = subprocess.run([binary, "decode", "--feed", "global", caps[0]],
                             capture_output=True, text=True, check=True).stdout
    sent = [json.loads(line) for line in decoded.splitlines()]
    check(len(sent) >= len(received), f"{len(sent)} global sent >= {len(received)} received")
    names = {"trade": "Trade", "ohlc": "OHLC", "prev_close": "Previous Close",
             "circuit_limits": "Circuit Limit", "week52": "52 Week High Low",
             "market_status": "Market Status"}
    kinds = set()
    for got, want in zip(received, sent):
        k = want["kind"]
        kinds.add(k)
        check(got["type"] == names.get(k), f"type {got} vs {want}")
        check(got["security_id"] == want["security_id"], f"security id {got} vs {want}")
        # INX_EQ is byte 14 (the Ruby gem's constant); the SDK passes the byte through.
        check(got["exchange_segment"] == {"INX_EQ": 14}.get(want["segment"], want["segment"]),
              f"segment {got} vs {want}")
        if k == "trade":
            check(got["LTP"] == fmt2(want["ltp"]), f"LTP {got} vs {want}")
            check(got["volume"] == want["volume"], f"volume {got} vs {want}")
            hms = want["ltt"] % 86400
            check(got["LTT"] == "%02d:%02d:%02d" % (hms // 3600, hms // 60 % 60, hms % 60),
                  f"LTT {got} vs {want}")
        elif k == "ohlc":
            check(all(got[f] == fmt2(want[f]) for f in ("open", "close", "high", "low")),
                  f"OHLC {got} vs {want}")
        elif k == "prev_close":
            check(close(got["prev_close"], want["prev_close"]), f"prev close {got} vs {want}")
        elif k == "circuit_limits":
            check(close(got["upper_circuit"], want["upper"]) and close(got["lower_circuit"], want["lower"]),
                  f"circuit {got} vs {want}")
        elif k == "week52":
            check(close(got["week_high"], want["high"]) and close(got["week_low"], want["low"]),
                  f"52-week {got} vs {want}")
        elif k == "market_status":
            check(got["market_type"] == want["market_type"] and got["market_status"] == want["status"],
                  f"market status {got} vs {want}")
    check({"trade", "ohlc", "prev_close", "circuit_limits", "week52", "market_status"} <= kinds,
          f"global packet kinds seen: {kinds}")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join("target", "release", "dhan-feed")
    tmp = tempfile.mkdtemp(prefix="dhan-sdk-")
    cert = os.path.join(tmp, "cert.pem")
    cap_dir = os.path.join(tmp, "cap")
    sim = subprocess.Popen(
        [binary, "sim", "--cert-out", cert, "--capture-dir", cap_dir, "--rate", "200",
         "--order-interval", "0.2", "--seconds", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = sim.stdout.readline().strip()
        check(url.startswith("wss://127.0.0.1:"), f"simulator URL {url!r}")
        global_line = sim.stdout.readline().strip()
        check(global_line.startswith("global stocks feed: wss://127.0.0.1:"),
              f"global stocks line {global_line!r}")
        global_url = global_line.split(": ", 1)[1]
        os.environ["SSL_CERT_FILE"] = cert
        import dhanhq
        from dhanhq import marketfeed, orderupdate

        ctx = dhanhq.DhanContext(CLIENT_ID, TOKEN)
        marketfeed.MarketFeed.market_feed_wss = url  # the only change to the SDK
        feed = marketfeed.MarketFeed(ctx, [
            (marketfeed.MarketFeed.IDX, "13", marketfeed.MarketFeed.Ticker),
            (marketfeed.MarketFeed.NSE, "2885", marketfeed.MarketFeed.Quote),
            (marketfeed.MarketFeed.NSE_FNO, "55796", marketfeed.MarketFeed.Full),
        ], version="v2")
        feed.run_forever()
        received = [feed.get_data() for _ in range(60)]
        feed.close_connection()

        caps = sorted(glob.glob(os.path.join(cap_dir, "*-market.cap")))
        check(len(caps) == 1, f"one market capture, found {caps}")
        decoded = subprocess.run([binary, "decode", "--feed", "market", caps[0]],
                                 capture_output=True, text=True, check=True).stdout
        sent = [json.loads(line) for line in decoded.splitlines()]
        check(len(sent) >= len(received), f"{len(sent)} sent >= {len(received)} received")
        kinds = set()
        for got, want in zip(received, sent):
            kinds.add(want["kind"])
            check(got["security_id"] == want["security_id"], f"security id {got} vs {want}")
            check(got["exchange_segment"] == {"IDX_I": 0, "NSE_EQ": 1, "NSE_FNO": 2}[want["segment"]],
                  f"segment {got} vs {want}")
            k = want["kind"]
            if k in ("ticker", "quote", "full"):
                check(got["LTP"] == fmt2(want["ltp"]), f"LTP {got['LTP']} vs {want['ltp']}")
            if k in ("quote", "full"):
                check(got["volume"] == want["volume"], f"volume {got} vs {want}")
                check(got["open"] == fmt2(want["open"]) and got["low"] == fmt2(want["low"]),
                      f"OHLC {got} vs {want}")
            if k == "full":
                check(got["OI"] == want["oi"], f"OI {got} vs {want}")
                d0, w0 = got["depth"][0], want["depth"][0]
                check(d0["bid_quantity"] == w0["bid_qty"] and d0["ask_price"] == fmt2(w0["ask_price"]),
                      f"depth {d0} vs {w0}")
            if k == "oi":
                check(got["OI"] == want["oi"], f"OI packet {got} vs {want}")
            if k == "prev_close":
                check(got["prev_close"] == fmt2(want["prev_close"]), f"prev close {got} vs {want}")
        check({"ticker", "quote", "oi", "full", "prev_close"} <= kinds, f"packet kinds seen: {kinds}")

        updates = []
        ou = orderupdate.OrderUpdate(ctx)
        ou.order_feed_wss = url  # the only change to the SDK
        ou.on_update = updates.append

        async def listen():
            try:
                await asyncio.wait_for(ou.connect_order_update(), timeout=4)
            except asyncio.TimeoutError:
                pass

        asyncio.run(listen())
        check(len(updates) >= 4, f"{len(updates)} order updates received")
        statuses = [u["Data"]["Status"] for u in updates]
        # Orders go on while no socket is connected (as Dhan's do), so the SDK
        # may join mid-lifecycle: a whole filled lifecycle must follow somewhere.
        full = ["TRANSIT", "PENDING", "PART_TRADED", "TRADED"]
        check(any(statuses[i:i + 4] == full for i in range(len(statuses))), f"lifecycle {statuses}")
        check(all(u["Type"] == "order_alert" and u["Data"]["OrderNo"] for u in updates), "order_alert shape")

        global_stocks(binary, ctx, global_url, cap_dir)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    print(f"{checks['passed']} passed, {checks['failed']} failed")
    return 0 if checks["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
