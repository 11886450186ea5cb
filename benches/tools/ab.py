#!/usr/bin/env python3
"""Same-run A/B of two `dhan-feed` binaries with `dhan-feed bench`.

Usage: benches/tools/ab.py N BIN_A BIN_B [bench args...]   (default: --seconds 3)

Runs `BIN bench ...` N times for each binary, alternating A, B, B, A, A, B, ... so
that drift of a shared machine hits both alike, and prints per run, then as medians:
  gap       round_gap_p50_ns: median per round of engine p50 - raw TCP p50
  p99x      engine p99 / raw floor p99; handoffx: bare hand-off p99 / raw floor p99
  read      median over rounds of socket read -> consumer p50 (ns)
  ring      median over rounds of ring -> consumer p50 (ns)
  X         median over rounds of engine wire -> socket read p50 - raw TCP p50 (ns)
  io        messages per I/O-thread CPU-second in the throughput run
  tung      engine / tungstenite throughput
Copy the binaries somewhere first (target/release is overwritten by builds).
"""
import re
import statistics
import subprocess
import sys


def run(binary, extra):
    p = subprocess.run([binary, "bench"] + extra, capture_output=True, text=True)
    out = p.stderr + p.stdout
    result = [line for line in out.splitlines() if line.startswith("RESULT")]
    if p.returncode != 0 or not result:
        sys.exit(f"{binary} bench failed (exit {p.returncode}):\n{out[-2000:]}")
    res = dict(kv.split("=") for kv in result[-1].split()[1:])
    reads = [int(x) for x in re.findall(r"socket read→consumer p50 (\d+)", out)]
    rings = [int(x) for x in re.findall(r"ring→consumer p50 (\d+)", out)]
    xs = [int(a) - int(b) for a, b in
          re.findall(r"wire→socket read p50 (\d+).*?raw TCP p50 (\d+)", out)]
    floor99 = max(1, int(res["floor_p99_ns"]))
    return dict(
        gap=int(res["round_gap_p50_ns"]),
        p50=int(res["p50_ns"]),
        fp50=int(res["floor_p50_ns"]),
        p99r=int(res["p99_ns"]) / floor99,
        hr=int(res["handoff_floor_p99_ns"]) / floor99,
        read=int(statistics.median(reads)),
        ring=int(statistics.median(rings)),
        x=int(statistics.median(xs)) if xs else 0,
        iocpu=float(res["io_msgs_per_cpu_s"]) / 1e6,
        tung=float(res["ratio_vs_tungstenite"]),
        steal=float(res["steal_ms"]),
        allocs=res["allocs_per_msg"],
    )


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    n = int(sys.argv[1])
    bins = sys.argv[2:4]
    extra = sys.argv[4:] or ["--seconds", "3"]
    rows = {b: [] for b in bins}
    for i in range(n):
        for b in (bins if i % 2 == 0 else bins[::-1]):
            d = run(b, extra)
            rows[b].append(d)
            print(f"{i} {b.split('/')[-1]:>10} gap {d['gap']:5} p50 {d['p50']:5} "
                  f"floor {d['fp50']:5} p99x {d['p99r']:.2f} handoffx {d['hr']:.2f} "
                  f"read {d['read']:4} ring {d['ring']:4} X {d['x']:4} "
                  f"io {d['iocpu']:.1f}M tung {d['tung']:.2f} steal {d['steal']:.0f} "
                  f"allocs {d['allocs']}", flush=True)
    for b in bins:
        r = rows[b]
        med = lambda k: statistics.median(x[k] for x in r)  # noqa: E731
        print(f"== {b}: gap med {med('gap')} read med {med('read')} ring med {med('ring')} "
              f"X med {med('x')} io med {med('iocpu'):.1f} "
              f"p99x {[round(x['p99r'], 2) for x in r]}")


if __name__ == "__main__":
    main()
