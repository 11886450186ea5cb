"""Order updates and what the tracker makes of them (fills, rejections, status
changes), on the built-in simulator.

    python3 python/examples/orders.py [events]
"""

import sys

import dhan_feed


def main(wanted: int) -> int:
    with dhan_feed.Simulator(order_interval=0.1) as sim:
        with dhan_feed.Client(
            sim.client_id, sim.access_token, url=sim.url, rest_url=sim.rest_url, ca_file=sim.ca_file
        ) as client:
            seen = 0
            with client.order_feed() as orders:
                for ev in orders:
                    if ev.kind == "update" and ev.update is not None:
                        u = ev.update
                        print(f"update {ev.order_no}: {u['status']} {u['txn_type']} {u['quantity']} {u['symbol']} @ {u['price']}")
                    elif ev.kind == "status_change" and ev.statuses is not None:
                        print(f"  {ev.order_no}: {ev.statuses[0]} -> {ev.statuses[1]}")
                    elif ev.kind == "execution" and ev.traded_qty is not None:
                        print(f"  {ev.order_no}: traded {ev.traded_qty[0]} -> {ev.traded_qty[1]}")
                    elif ev.kind in ("traded", "rejected", "cancelled", "expired"):
                        print(f"  {ev.order_no}: {ev.kind}")
                    else:
                        print(f"{ev.kind}: {ev.detail or ''}")
                    seen += 1
                    if seen >= wanted:
                        break
            return 0 if seen >= wanted else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
