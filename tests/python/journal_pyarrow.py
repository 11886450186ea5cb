"""A journal recorded by `dhan-feed record`, read by pyarrow: the documented
columns and types, the format version in the schema's metadata, market
messages that are whole packets, and no credential anywhere. The journal and
its Parquet export are read by polars and DuckDB too when they are installed
(`--require-all`: they must be).

Usage: journal_pyarrow.py path/to/dhan-feed [--require-all]
"""
import os
import struct
import subprocess
import sys
import tempfile

import pyarrow as pa

exe = sys.argv[1]
require_all = "--require-all" in sys.argv[2:]


def optional(name):
    """The module, or None when it is not installed (an error with --require-all)."""
    try:
        return __import__(name)
    except ImportError:
        if require_all:
            raise
        print(f"{name} is not installed: its check skipped")
        return None

env = {k: v for k, v in os.environ.items() if "DHAN" not in k and k not in ("CLIENT_ID", "ACCESS_TOKEN")}
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "day.arrows")
    subprocess.run([exe, "record", path, "--mode", "full", "--count", "80"], check=True, env=env, timeout=120)
    with pa.ipc.open_stream(path) as r:
        table = r.read_all()
        meta = r.schema.metadata
    expected = [
        ("recv_mono_ns", pa.uint64()),
        ("recv_wall_ns", pa.int64()),
        ("conn", pa.uint16()),
        ("feed", pa.uint8()),
        ("kind", pa.uint8()),
        ("payload", pa.binary()),
    ]
    got = [(f.name, f.type) for f in table.schema]
    assert got == expected, got
    assert meta[b"dhan_feed.journal.version"] == b"1", meta
    kinds = table.column("kind").to_pylist()
    feeds = table.column("feed").to_pylist()
    payloads = table.column("payload").to_pylist()
    market = [p for k, f, p in zip(kinds, feeds, payloads) if k == 0 and f == 0]
    assert len(market) >= 10, len(market)
    # Each market message is whole packets: code, u16 length covering the packet.
    for m in market:
        at = 0
        while at < len(m):
            (length,) = struct.unpack_from("<H", m, at + 1)
            assert length >= 8, (length, m[:16])
            at += length
        assert at == len(m), (at, len(m))
    assert 3 in kinds, "no connection event"
    assert 2 in kinds, "no request sent"
    # The simulator's credentials (dhan_feed::sim::DEFAULT_CLIENT_ID and
    # DEFAULT_ACCESS_TOKEN) are masked wherever they were sent or received.
    for secret in (b"1000000001", b"sim-access-token"):
        assert not any(secret in p for p in payloads), secret
    mono = table.column("recv_mono_ns").to_pylist()
    assert mono == sorted(mono), "records out of order"
    print(f"pyarrow {pa.__version__}: {table.num_rows} records, {len(market)} market messages: ok")
    pl = optional("polars")
    if pl is not None:
        frame = pl.read_ipc_stream(path)
        assert frame.columns == [n for n, _ in expected], frame.columns
        assert frame.height == table.num_rows, (frame.height, table.num_rows)
        assert frame["payload"].to_list() == payloads
        print(f"polars {pl.__version__}: the journal's {frame.height} records: ok")

    # Exported to Parquet (a build with the `parquet` feature; 2: a build without).
    out = os.path.join(d, "parquet")
    rc = subprocess.run([exe, "export", path, "--parquet", out], env=env, timeout=120).returncode
    if rc == 2:
        print("this dhan-feed has no Parquet export: skipped")
        sys.exit(0)
    assert rc == 0, rc
    import pyarrow.parquet as pq

    fulls = pq.read_table(os.path.join(out, "fulls.parquet"))
    names = fulls.schema.names
    assert "bid_price_5" in names and "recv_ns" in names, names
    assert fulls.schema.field("ltp").metadata[b"unit"] == b"rupees"
    assert fulls.num_rows > 0
    count = 0
    for m in market:
        at = 0
        while at < len(m):
            (length,) = struct.unpack_from("<H", m, at + 1)
            count += m[at] == 8
            at += length
    assert fulls.num_rows == count, (fulls.num_rows, count)
    print(f"pyarrow: fulls.parquet has the {count} full packets: ok")
    files = sorted(f for f in os.listdir(out) if f.endswith(".parquet"))
    expected_files = ["depth_levels", "fulls", "oi", "order_updates", "prev_close", "quotes", "ticks"]
    # One file per kind that has rows.
    assert set(f[: -len(".parquet")] for f in files) <= set(expected_files), files
    assert "fulls.parquet" in files, files
    rows = {f: pq.read_metadata(os.path.join(out, f)).num_rows for f in files}
    if pl is not None:
        for f in files:
            frame = pl.read_parquet(os.path.join(out, f))
            assert frame.height == rows[f], (f, frame.height, rows[f])
        frame = pl.read_parquet(os.path.join(out, "fulls.parquet"))
        assert frame["ltp"].to_list() == fulls.column("ltp").to_pylist()
        assert frame["bid_price_5"].to_list() == fulls.column("bid_price_5").to_pylist()
        print(f"polars: the {len(files)} Parquet files, their rows and the full packets' values: ok")
    duckdb = optional("duckdb")
    if duckdb is not None:
        con = duckdb.connect()
        for f in files:
            (n,) = con.execute("select count(*) from read_parquet(?)", [os.path.join(out, f)]).fetchone()
            assert n == rows[f], (f, n, rows[f])
        got = con.execute(
            "select ltp, bid_price_5 from read_parquet(?)", [os.path.join(out, "fulls.parquet")]
        ).fetchall()
        want = list(zip(fulls.column("ltp").to_pylist(), fulls.column("bid_price_5").to_pylist()))
        assert got == want, (got[:3], want[:3])
        print(f"duckdb {duckdb.__version__}: the {len(files)} Parquet files, their rows and the full packets' values: ok")
