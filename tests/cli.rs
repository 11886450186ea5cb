//! The command-line tool, run as a process: `decode` on the bundled samples and on
//! damaged captures; `watch` against the built-in and an external simulator, its
//! argument checks, refused credentials and a closed stderr; `bench`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dhan-feed"))
}

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bundled_samples_match_the_encoders() {
    // The files in samples/ are what the README shows; they must not drift from code.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    for (name, bytes) in [
        ("market.cap", dhan_feed::internals::sample::market_capture()),
        (
            "depth20.cap",
            dhan_feed::internals::sample::depth20_capture(),
        ),
        ("orders.cap", dhan_feed::internals::sample::orders_capture()),
    ] {
        let path = format!("{dir}/{name}");
        if std::env::var_os("UPDATE_SAMPLES").is_some() {
            std::fs::write(&path, &bytes).unwrap();
        }
        let on_disk = std::fs::read(&path).unwrap();
        assert!(
            on_disk == bytes,
            "{name} is stale: run UPDATE_SAMPLES=1 cargo test --test cli"
        );
    }
}

#[test]
fn decode_market_sample() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/market.cap");
    let o = bin()
        .args(["decode", "--feed", "market", path])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let l = lines(&o);
    assert_eq!(l.len(), 10);
    assert_eq!(
        l[1],
        r#"{"kind":"ticker","segment":"IDX_I","security_id":13,"ltp":24150.25,"ltt":1795770900}"#
    );
    assert!(l[3].starts_with(
        r#"{"kind":"quote","segment":"NSE_EQ","security_id":2885,"ltp":1298.4,"ltq":12,"#
    ));
    let full = &l[5];
    for key in [
        "\"kind\":\"full\"",
        "\"segment\":\"NSE_FNO\"",
        "\"oi\":1250250",
        "\"oi_day_high\":1300000",
        "\"depth\":[{\"bid_qty\":75,\"ask_qty\":150,\"bid_orders\":1,\"ask_orders\":2,\"bid_price\":152.25,\"ask_price\":152.35}",
    ] {
        assert!(full.contains(key), "{key} missing in {full}");
    }
}

#[test]
fn decode_depth_and_orders_samples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    let o = bin()
        .args(["decode", "--feed", "depth20", &format!("{dir}/depth20.cap")])
        .output()
        .unwrap();
    assert!(o.status.success());
    let l = lines(&o);
    assert_eq!(l.len(), 4);
    assert!(l[0].starts_with(r#"{"kind":"bid","segment":"NSE_EQ","security_id":2885,"levels":[{"price":1298.4,"qty":10,"orders":1},"#));
    assert!(l[3].starts_with(r#"{"kind":"ask","segment":"NSE_EQ","security_id":11536,"#));

    let o = bin()
        .args(["decode", "--feed", "orders", &format!("{dir}/orders.cap")])
        .output()
        .unwrap();
    assert!(o.status.success());
    let l = lines(&o);
    assert_eq!(l.len(), 5, "two objects in the last frame are both printed");
    assert!(l[0].starts_with(r#"{"kind":"order_update","exchange":"NSE","#));
    // The sample's ClientId (1000000001) is a credential: never printed.
    assert!(l.iter().all(|x| !x.contains("1000000001")), "{l:?}");
    assert!(l[0].contains(r#""client_id":"***""#), "{}", l[0]);
    assert!(l[2].contains(r#""order_no":"52260111""#) && l[2].contains(r#""traded_qty":40"#));
    assert!(l[2].contains(r#""status":"PART_TRADED""#));
    assert!(l[4].contains(r#""order_no":"52260112""#) && l[4].contains(r#""status":"REJECTED""#));
}

/// A bad packet is reported with its record and offsets, everything else is
/// printed (the rest of its message, later records), and the exit status says a
/// record was bad; a packet longer than its kind is not bad.
#[test]
fn a_bad_record_is_reported_and_everything_else_printed() {
    let mut cap = dhan_feed::internals::sample::market_capture();
    let t = dhan_feed::proto::market_encode::ticker(
        "IDX_I:13".parse().unwrap(),
        1.0,
        dhan_feed::proto::Ltt(0),
    );
    let ticker = dhan_feed::proto::market_encode::packet_bytes(&t);
    // Record 11: a good ticker, one that declares 12 of its 16 bytes (bad,
    // skipped by its length), and a good one after it.
    let mut msg = ticker.clone();
    let mut short = ticker.clone();
    short[1] = 12;
    short.truncate(12);
    msg.extend_from_slice(&short);
    msg.extend_from_slice(&ticker);
    let record_offset = cap.len();
    dhan_feed::proto::capture::write_record(&mut cap, &msg).unwrap();
    // Record 12: a ticker lengthened by a 4-byte field Dhan might add: not bad.
    let mut long = ticker.clone();
    long[1] = 20;
    long.extend_from_slice(&[0; 4]);
    dhan_feed::proto::capture::write_record(&mut cap, &long).unwrap();

    let o = run_with_stdin(&["decode", "--feed", "market", "-"], &cap);
    assert!(!o.status.success(), "a record was bad");
    let l = lines(&o);
    assert_eq!(
        l.len(),
        13,
        "10 sample packets, 2 good packets of record 11, the lengthened one: {l:?}"
    );
    assert!(l[12].contains(r#""kind":"ticker""#), "{}", l[12]);
    let err = String::from_utf8_lossy(&o.stderr);
    let packet_offset = record_offset + 4 + 16;
    assert!(
        err.contains(&format!("record 11 (file offset {record_offset})")),
        "{err}"
    );
    assert!(
        err.contains(&format!("(file offset {packet_offset})")),
        "{err}"
    );
    assert!(err.contains("declares 12 bytes"), "{err}");
    assert!(
        err.contains("1 bad packet(s) or object(s) in 1 record(s)"),
        "{err}"
    );
    assert!(
        !err.contains("record 12"),
        "a lengthened packet is not bad: {err}"
    );
    // Alone, the lengthened record decodes cleanly.
    let mut only = Vec::new();
    dhan_feed::proto::capture::write_record(&mut only, &long).unwrap();
    let o = run_with_stdin(&["decode", "--feed", "market", "-"], &only);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn truncated_capture_file_is_reported() {
    let cap = dhan_feed::internals::sample::market_capture();
    let cut = &cap[..cap.len() - 3];
    let o = run_with_stdin(&["decode", "--feed", "market"], cut);
    assert!(!o.status.success());
    assert_eq!(lines(&o).len(), 9);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("record 10") && err.contains("truncated"),
        "{err}"
    );
}

#[test]
fn bad_order_json_is_reported_with_offsets() {
    let mut cap = dhan_feed::internals::sample::orders_capture();
    dhan_feed::proto::capture::write_record(
        &mut cap,
        br#"{"Type":"order_alert","Data":{"OrderNo":"1"}} {"Type":"order_alert","Data":"#,
    )
    .unwrap();
    let o = run_with_stdin(&["decode", "--feed", "orders"], &cap);
    assert!(!o.status.success());
    assert_eq!(lines(&o).len(), 6);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("record 5") && err.contains("not terminated"),
        "{err}"
    );
}

#[test]
fn watch_prints_events_and_a_summary() {
    let o = bin()
        .args(["watch", "--json", "--count", "3"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let l = lines(&o);
    assert_eq!(l.len(), 3);
    assert!(l.iter().all(|x| x.starts_with("{\"kind\":")));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("events=3"), "{err}");
    // A clean exit: the client leaves before the built-in simulator, so nothing
    // is logged as dropped.
    assert!(!err.contains("[WARN") && !err.contains("[ERROR"), "{err}");
}

fn offline() -> Command {
    let mut c = bin();
    without_credentials(&mut c);
    c
}

/// `c` without any Dhan credential from the environment.
fn without_credentials(c: &mut Command) {
    for v in [
        "DHAN_CLIENT_ID",
        "CLIENT_ID",
        "DHAN_ACCESS_TOKEN",
        "ACCESS_TOKEN",
        "DHAN_ACCESS_TOKEN_FILE",
    ] {
        c.env_remove(v);
    }
}

/// Runs the offline binary with `args`; it must succeed (its stderr shown if not).
fn offline_ok(args: &[&str]) -> Output {
    let o = offline().args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

#[test]
fn watch_orders_prints_tracked_events() {
    let o = offline_ok(&["watch", "--orders", "--json", "--count", "8"]);
    let l = lines(&o);
    assert_eq!(l.len(), 8);
    assert_eq!(l[0], "{\"kind\":\"order_event\",\"event\":\"open\"}");
    assert!(
        l.iter()
            .any(|x| x.starts_with("{\"kind\":\"order_update\""))
    );
    assert!(
        l.iter()
            .any(|x| x.contains("\"event\":\"status_change\"")
                && x.contains("\"previous\":\"TRANSIT\"")),
        "{l:?}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("events=8"), "{err}");
    assert!(!err.contains("[WARN") && !err.contains("[ERROR"), "{err}");
}

#[test]
fn watch_depth_prints_books_with_labels() {
    let o = offline_ok(&["watch", "--depth", "20", "--json", "--count", "4"]);
    let l = lines(&o);
    assert_eq!(l.len(), 4);
    assert!(
        l.iter()
            .all(|x| x.starts_with("{\"kind\":\"depth_book\"") && x.contains("\"bid_rows\":20"))
    );
    assert!(l.iter().any(|x| x.contains("\"label\":\"RELIANCE\"")));
    assert!(l.iter().any(|x| x.contains("\"label\":\"TCS\"")));
}

/// An empty cache directory, so that a master cached on this machine is not used.
fn no_cache(c: &mut Command, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dhan-feed-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    c.env("XDG_CACHE_HOME", &dir);
    dir
}

const LIVE_MASTER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/instrument/detailed_live.csv"
);

#[test]
fn watch_names_instruments_from_an_instrument_master() {
    // An explicit master: stocks and indices by symbol, contracts by display name.
    let mut c = offline();
    let dir = no_cache(&mut c, "names");
    let o = c
        .args(["watch", "--instruments-file", LIVE_MASTER, "--count", "12"])
        .args(["NSE_EQ:500", "MCX_COMM:565899", "IDX_I:13"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    for name in ["RELIANCEPP", "CRUDEOIL SEP FUT", "NIFTY"] {
        assert!(out.contains(name), "{name} in {out}");
    }
    assert!(!out.contains("NSE_EQ:500"), "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("names of 3 of 3 instruments"), "{err}");
    // The master `instruments download` caches is used when present.
    let cached = dir.join("dhan-feed");
    std::fs::create_dir_all(&cached).unwrap();
    std::fs::copy(LIVE_MASTER, cached.join("api-scrip-master-detailed.csv")).unwrap();
    let mut c = offline();
    c.env("XDG_CACHE_HOME", &dir);
    let o = c
        .args(["watch", "--count", "3", "NSE_EQ:500"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("RELIANCEPP"));
    // Without one: the simulator's table, else the id.
    let mut c = offline();
    no_cache(&mut c, "names-none");
    let o = c
        .args(["watch", "--count", "6", "NSE_EQ:500", "NSE_EQ:2885"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("NSE_EQ:500") && out.contains("RELIANCE"),
        "{out}"
    );
    // A named file that cannot be read is an error, said plainly.
    let o = offline()
        .args([
            "watch",
            "--instruments-file",
            "/no/such/master.csv",
            "--count",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--instruments-file") && err.contains("/no/such/master.csv"),
        "{err}"
    );
}

#[test]
fn watch_global_prints_global_stocks_packets() {
    let o = offline_ok(&["watch", "--global", "--json", "--count", "6"]);
    let l = lines(&o);
    assert_eq!(l.len(), 6);
    assert!(
        l.iter()
            .all(|x| x.starts_with("{\"feed\":\"global\"") && x.contains("\"segment\":\"INX_EQ\"")),
        "{l:?}"
    );
    assert!(l[0].contains("\"kind\":\"prev_close\"") && l[0].contains("\"security_id\":1234"));
    assert!(l.iter().any(|x| x.contains("\"kind\":\"trade\"")), "{l:?}");
    let o = offline_ok(&[
        "watch",
        "--global",
        "INX_EQ:42",
        "--global-mode",
        "ohlc",
        "--count",
        "5",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("INX_EQ:42") && out.contains("ohlc"), "{out}");
    let o = offline()
        .args(["watch", "--global", "AAPL", "--count", "1"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected a security id"));
}

#[test]
fn watch_depth_refuses_other_segments_clearly() {
    let o = offline()
        .args(["watch", "--depth", "200", "BSE_EQ:500325", "--count", "1"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("BSE_EQ:500325") && err.contains("NSE_EQ and NSE_FNO only"),
        "{err}"
    );
}

#[test]
fn bench_second_consumer_receives_events() {
    // Full packets on the wire for the first consumer, quotes (converted, with
    // OI split off) for the second: the engine's general publish path.
    let o = offline_ok(&[
        "bench",
        "--seconds",
        "0.3",
        "--instruments",
        "10",
        "--mode",
        "full",
        "--second-consumer",
        "quote",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("second consumer (Quote):"))
        .unwrap_or_else(|| panic!("no second-consumer line in {err}"));
    let received: u64 = line
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .expect("a count");
    assert!(received > 0, "{line}");
}

#[test]
fn bench_ends_with_a_result_line_carrying_every_figure() {
    // A short run (about 5 s): the figures are meaningless at this length, but
    // every one must be there, measured, and consistent with the others.
    let o = offline_ok(&["bench", "--seconds", "0.3", "--instruments", "10"]);
    let l = lines(&o);
    let result = l.last().expect("a RESULT line");
    let kv: std::collections::HashMap<&str, f64> = result
        .strip_prefix("RESULT ")
        .expect("the last line starts with RESULT")
        .split(' ')
        .map(|f| {
            let (k, v) = f.split_once('=').expect("key=value");
            (k, v.parse().unwrap_or_else(|_| panic!("{f}: not a number")))
        })
        .collect();
    for k in [
        "msgs_per_s",
        "p50_ns",
        "p99_ns",
        "p999_ns",
        "floor_p50_ns",
        "floor_p99_ns",
        "tungstenite_msgs_per_s",
        "allocs_per_msg",
        "io_allocs_per_msg",
    ] {
        assert!(kv.contains_key(k), "{k} missing from {result}");
    }
    for k in [
        "msgs_per_s",
        "tungstenite_msgs_per_s",
        "p50_ns",
        "floor_p50_ns",
    ] {
        assert!(kv[k] > 0.0, "{k} = {} in {result}", kv[k]);
    }
    assert!(kv["p50_ns"] <= kv["p99_ns"] && kv["p99_ns"] <= kv["p999_ns"]);
    assert!(kv["floor_p50_ns"] <= kv["floor_p99_ns"]);
    assert!(kv["handoff_floor_p50_ns"] <= kv["handoff_floor_p99_ns"]);
    let ratio = kv["msgs_per_s"] / kv["tungstenite_msgs_per_s"];
    assert!(
        (ratio - kv["ratio_vs_tungstenite"]).abs() < 0.01 + ratio * 0.001,
        "{result}"
    );
    assert!(kv["allocs_per_msg"] >= 0.0 && kv["steal_ms"] >= 0.0);
    assert!(kv["io_allocs_per_msg"] >= 0.0 && kv["io_allocs_per_msg"] <= kv["allocs_per_msg"]);
    assert!(kv.contains_key("round_gap_p50_ns"), "{result}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        stderr.matches("  round ").count(),
        8,
        "eight latency rounds by default:\n{stderr}"
    );
}

/// An external plain simulator that accepts only `token`.
fn external_sim(token: &str) -> dhan_feed::sim::Simulator {
    dhan_feed::sim::Simulator::start(dhan_feed::sim::SimConfig {
        tls: false,
        access_token: token.into(),
        order_interval: None,
        ..dhan_feed::sim::SimConfig::default()
    })
    .unwrap()
}

#[test]
fn watch_url_uses_the_simulators_credentials_and_never_prints_a_pasted_token() {
    let sim = external_sim(dhan_feed::sim::DEFAULT_ACCESS_TOKEN);
    // A pasted Dhan-style URL: its query is ignored, its credentials never shown.
    let url = format!(
        "{}/?version=2&token=tok-PASTED-9f&clientId=CID-PASTED-7&authType=2",
        sim.url()
    );
    // Dhan credentials in the environment are not sent to another URL by default.
    let o = offline()
        .env("DHAN_CLIENT_ID", "CID-ENV-5")
        .env("DHAN_ACCESS_TOKEN", "tok-ENV-3")
        .args(["watch", "--url", &url, "--json", "--count", "2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(lines(&o).len(), 2);
    for secret in ["tok-PASTED-9f", "CID-PASTED-7", "tok-ENV-3", "CID-ENV-5"] {
        assert!(!err.contains(secret), "{secret} in: {err}");
    }
    assert!(err.contains("token=***"), "{err}");
}

#[test]
fn watch_global_on_an_external_simulator_needs_its_global_url() {
    let sim = external_sim(dhan_feed::sim::DEFAULT_ACCESS_TOKEN);
    let o = offline()
        .args(["watch", "--url", &sim.url(), "--global", "--count", "2"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--global-url"), "{err}");
    let global = sim.global_url();
    let o = offline()
        .args(["watch", "--url", &sim.url(), "--global-url", &global])
        .args(["--global", "77", "--json", "--count", "3"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let l = lines(&o);
    assert_eq!(l.len(), 3);
    assert!(l.iter().all(|x| x.contains("\"security_id\":77")), "{l:?}");
}

/// `DHAN_ACCESS_TOKEN_FILE` counts as credentials: without a client id it is an
/// error naming `DHAN_CLIENT_ID`, never a silent fallback to the simulator; with
/// one, `--token-file` reads the token from the file (never printing it).
#[test]
fn a_token_file_means_dhan_and_its_token_is_read_from_the_file() {
    let dir = std::env::temp_dir().join(format!("dhan-feed-cli-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, "tok-FROM-FILE-42\n").unwrap();
    let o = offline()
        .env("DHAN_ACCESS_TOKEN_FILE", &file)
        .args(["watch", "--count", "1", "--seconds", "10"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("DHAN_CLIENT_ID"), "{err}");
    assert!(!err.contains("built-in simulator"), "{err}");
    // --token-file with --url: the simulator accepts the file's token.
    let sim = external_sim("tok-FROM-FILE-42");
    let o = offline()
        .args([
            "watch",
            "--url",
            &sim.url(),
            "--json",
            "--count",
            "2",
            "--seconds",
            "20",
        ])
        .arg("--token-file")
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(lines(&o).len(), 2);
    assert!(!err.contains("tok-FROM-FILE-42"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn watch_stops_with_an_error_when_the_credentials_are_refused() {
    let sim = external_sim("only-this-token");
    for feed in [&[][..], &["--orders"], &["--depth", "20"]] {
        let o = offline()
            // --seconds: a regression fails the test instead of hanging it.
            .args([
                "watch",
                "--url",
                &sim.url(),
                "--count",
                "5",
                "--seconds",
                "20",
            ])
            .args(feed)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{feed:?}: {err}");
        assert!(
            err.contains("error: credentials refused"),
            "{feed:?}: {err}"
        );
    }
    // With --env-credentials the environment's token is sent, and accepted.
    let o = offline()
        .env("DHAN_CLIENT_ID", dhan_feed::sim::DEFAULT_CLIENT_ID)
        .env("DHAN_ACCESS_TOKEN", "only-this-token")
        .args([
            "watch",
            "--url",
            &sim.url(),
            "--env-credentials",
            "--count",
            "1",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn watch_rejects_bad_arguments_before_connecting() {
    for (args, says) in [
        (&["--url", "notaurl"][..], "expected ws://host[:port]"),
        (&["--url", "wss://h:99999"], "expected ws://host[:port]"),
        // A mistyped pasted URL: refused without repeating its credentials.
        (
            &[
                "--url",
                "https://api-feed.dhan.co?version=2&token=tok-TYPO-1&clientId=CID-TYPO-2",
            ],
            "token=***&clientId=***",
        ),
        (&["--ca-file", "sim.pem"], "--url"),
        (&["--env-credentials"], "--url"),
        (&["--orders", "--mode", "full"], "cannot be used with"),
        (&["--orders", "IDX_I:13"], "cannot be used with"),
        (&["--depth", "20", "--mode", "full"], "cannot be used with"),
    ] {
        let o = offline().arg("watch").args(args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("TYPO"), "{err}");
    }
    let o = offline()
        .args([
            "watch",
            "--url",
            "wss://127.0.0.1:1",
            "--ca-file",
            "/no/such/sim.pem",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot read --ca-file /no/such/sim.pem"),
        "{err}"
    );
}

#[test]
fn watch_survives_a_closed_stderr() {
    let mut child = offline()
        .args(["watch", "--count", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// `watch --candles` prints OHLCV bars as JSON lines whose prices are bounded by
/// high and low; a bad length is refused before connecting.
#[test]
fn watch_candles_prints_bars() {
    let o = offline_ok(&[
        "watch",
        "--candles",
        "1s",
        "--count",
        "3",
        "--seconds",
        "30",
    ]);
    let bars = lines(&o);
    assert!(bars.len() >= 3, "{bars:?}");
    for b in &bars {
        assert!(b.starts_with("{\"kind\":\"candle\""), "{b}");
        let num = |k: &str| -> f64 {
            let at = b.find(&format!("\"{k}\":")).unwrap() + k.len() + 3;
            b[at..].split([',', '}']).next().unwrap().parse().unwrap()
        };
        assert!(num("high") >= num("open").max(num("close")), "{b}");
        assert!(num("low") <= num("open").min(num("close")), "{b}");
        assert_eq!(num("interval"), 1.0);
    }
    let o = offline()
        .args(["watch", "--candles", "5x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unit must be s, m or h"));
}

/// `watch --sink sqlite:PATH` fills the file (created with its schema) with what
/// the watch printed, and says so; a second run appends; a sink it cannot open
/// or a PostgreSQL URL is a clear error before anything runs.
#[test]
fn watch_sink_fills_a_sqlite_file_and_appends() {
    let dir = std::env::temp_dir().join(format!("dhan-feed-cli-sink-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("ticks.db");
    let arg = format!("sqlite:{}", db.display());
    let quotes = || -> i64 {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.query_row("SELECT count(*) FROM quotes", [], |r| r.get(0))
            .unwrap()
    };
    let o = offline_ok(&[
        "watch", "--mode", "quote", "--json", "--count", "20", "--sink", &arg,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("sink {arg}:")), "{err}");
    let first = quotes();
    assert!(first > 0, "{err}");
    let printed = lines(&o)
        .iter()
        .filter(|l| l.starts_with("{\"kind\":\"quote\""))
        .count() as i64;
    // The sink subscribed first and stops after the watch: it has at least
    // what the watch printed.
    assert!(first >= printed, "{first} rows, {printed} printed");
    offline_ok(&[
        "watch", "--mode", "quote", "--count", "5", "--quiet", "--sink", &arg,
    ]);
    assert!(quotes() > first, "a second run appends");

    let o = offline()
        .args([
            "watch",
            "--sink",
            "sqlite:/no/such/dir/x.db",
            "--count",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("/no/such/dir/x.db"), "{err}");
    // A value it cannot use is refused, and a password in it is never shown.
    for bad in [
        "postgres://u:hunter2@localhost/x",
        "postgress://u:hunter2@h/x",
    ] {
        let o = offline()
            .args(["watch", "--sink", bad, "--count", "1"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        if bad.starts_with("postgres:") && cfg!(feature = "postgres") {
            // Nothing listens there: refused when connecting.
            assert!(!o.status.success(), "{err}");
        } else {
            assert!(!o.status.success());
            assert!(err.contains("sqlite:PATH"), "{err}");
        }
        assert!(!err.contains("hunter2"), "{err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `--sink` stores what the mode shows: the books' sides with `--depth`, the
/// order updates with `--orders` (on the one order connection the watch also
/// reads), the order updates beside the market feed while `--http` shows them;
/// a 200-level watch that would need more connections than Dhan allows is
/// refused before it starts.
#[test]
fn watch_sink_stores_depth_and_order_updates_in_every_mode() {
    let dir = std::env::temp_dir().join(format!("dhan-feed-cli-sink-modes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let count = |db: &std::path::Path, table: &str| -> i64 {
        let c = rusqlite::Connection::open(db).unwrap();
        c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let depth = dir.join("depth.db");
    let arg = format!("sqlite:{}", depth.display());
    offline_ok(&[
        "watch", "--depth", "20", "--count", "10", "--quiet", "--sink", &arg,
    ]);
    let sides = count(&depth, "depth_top");
    assert!(sides >= 20, "{sides} depth rows for 10 snapshots");

    let orders = dir.join("orders.db");
    let arg = format!("sqlite:{}", orders.display());
    let o = offline_ok(&[
        "watch", "--orders", "--json", "--count", "12", "--sink", &arg,
    ]);
    let printed = lines(&o)
        .iter()
        .filter(|l| l.starts_with("{\"kind\":\"order_update\""))
        .count() as i64;
    assert!(printed > 0);
    assert!(count(&orders, "order_updates") >= printed);

    let both = dir.join("both.db");
    let arg = format!("sqlite:{}", both.display());
    let o = offline_ok(&[
        "watch",
        "--http",
        "127.0.0.1:0",
        "--seconds",
        "4",
        "--quiet",
        "--sink",
        &arg,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(count(&both, "order_updates") > 0, "{err}");
    assert!(count(&both, "ticks") + count(&both, "quotes") > 0, "{err}");

    let o = offline()
        .args([
            "watch",
            "--depth",
            "200",
            "--count",
            "1",
            "--sink",
            &arg,
            "NSE_EQ:2885",
            "NSE_EQ:11536",
            "NSE_EQ:1333",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("needs 6 200-level connections"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A disk that fills while `watch` stores (here a file-size limit on the process,
/// which makes SQLite's writes fail as a full disk does): the failure is logged
/// when it starts, the watch goes on printing every event, the rows committed
/// before stay readable, and the exit says how many rows were not stored.
#[test]
fn a_full_disk_under_watch_sink_is_a_clear_error_and_the_feed_goes_on() {
    let dir = std::env::temp_dir().join(format!("dhan-feed-cli-full-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("full.db");
    let arg = format!("sqlite:{}", db.display());
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .rate(3_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let url = sim.url();
    let instruments: Vec<String> = (0..20).map(|i| format!("NSE_EQ:{}", 5000 + i)).collect();
    // 2048 blocks: 1 MiB in dash's 512-byte blocks, 2 MiB in bash's. A process
    // that ignores SIGXFSZ gets EFBIG from the write instead of dying.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("trap '' XFSZ; ulimit -f 2048; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_dhan-feed"))
        .args(["watch", "--url", &url, "--mode", "full", "--json"])
        .args(["--seconds", "4", "--sink", &arg])
        .args(&instruments);
    without_credentials(&mut cmd);
    let o = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    // Told when it began failing, and at the end how much was not stored.
    assert!(
        err.contains("failed") && err.contains("kept, trying again"),
        "{err}"
    );
    assert!(err.contains("rows not committed"), "{err}");
    assert!(err.contains("the disk may be full"), "{err}");
    // The feed went on: every event printed, none dropped.
    let printed = lines(&o)
        .iter()
        .filter(|l| l.starts_with("{\"kind\":\"full\""))
        .count() as i64;
    assert!(err.contains("drops=0"), "{err}");
    let c = rusqlite::Connection::open(&db).unwrap();
    let stored: i64 = c
        .query_row("SELECT count(*) FROM fulls", [], |r| r.get(0))
        .unwrap();
    assert!(
        stored > 0,
        "nothing committed before the disk filled: {err}"
    );
    assert!(printed > stored * 2, "{printed} printed, {stored} stored");
    let _ = std::fs::remove_dir_all(dir);
}

/// `watch --sink` killed with SIGKILL mid-stream: every batch it committed is in
/// the file, which is intact, and the next `watch` on it appends.
#[test]
fn a_sink_killed_mid_stream_leaves_its_commits_intact_and_the_next_run_appends() {
    let dir = std::env::temp_dir().join(format!("dhan-feed-cli-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("killed.db");
    let arg = format!("sqlite:{}", db.display());
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .rate(2_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let url = sim.url();
    let mut child = offline()
        .args([
            "watch", "--url", &url, "--mode", "quote", "--quiet", "--sink", &arg,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let quotes = || -> i64 {
        let Ok(c) = rusqlite::Connection::open(&db) else {
            return 0;
        };
        let _ = c.busy_timeout(std::time::Duration::from_secs(2));
        c.query_row("SELECT count(*) FROM quotes", [], |r| r.get(0))
            .unwrap_or(0)
    };
    // Two commits at least (one a second), then the kill.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = 0;
    while std::time::Instant::now() < deadline {
        let n = quotes();
        if seen > 0 && n > seen {
            break;
        }
        if n > 0 && seen == 0 {
            seen = n;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(seen > 0, "nothing committed in 20 s");
    child.kill().unwrap();
    child.wait().unwrap();
    let c = rusqlite::Connection::open(&db).unwrap();
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(c);
    let after_kill = quotes();
    assert!(
        after_kill > seen,
        "{after_kill} rows, {seen} seen committed"
    );
    let o = offline()
        .args([
            "watch", "--url", &url, "--mode", "quote", "--count", "50", "--quiet",
        ])
        .args(["--sink", &arg])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(quotes() > after_kill);
    let _ = std::fs::remove_dir_all(dir);
}

/// `watch --record PATH`: the journal holds every quote the watch printed (and
/// more: the requests, the events), `replay` prints the same lines from it,
/// `record` records without printing, and a watch killed with SIGKILL leaves a
/// journal that reads back up to its last complete batch.
#[test]
fn watch_record_writes_a_journal_that_survives_a_kill() {
    use dhan_feed::journal::{JournalReader, RecordKind};
    let dir = std::env::temp_dir().join(format!("dhan-feed-cli-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .rate(2_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let url = sim.url();
    let path = dir.join("day.arrows");
    let p = path.display().to_string();
    let o = offline_ok(&[
        "watch", "--url", &url, "--mode", "quote", "--json", "--count", "300", "--record", &p,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("journal") && err.contains("0 missed"), "{err}");
    let printed = lines(&o)
        .iter()
        .filter(|l| l.starts_with("{\"kind\":\"quote\""))
        .count();
    let mut quotes = 0;
    let mut r = JournalReader::open(&path).unwrap();
    for rec in r.by_ref() {
        if rec.kind == RecordKind::Binary {
            quotes += dhan_feed::proto::market::packets(&rec.payload)
                .filter(|p| matches!(p, Ok(dhan_feed::proto::market::MarketPacket::Quote(_))))
                .count();
        }
    }
    assert!(r.damage().is_none() && r.unfinished().is_empty());
    assert!(
        quotes >= printed && printed > 0,
        "{quotes} recorded, {printed} printed"
    );
    // Replayed, it prints what the watch printed (and then what arrived after
    // the watch's count was reached, before it stopped).
    let replayed = offline_ok(&["replay", &p, "--max", "--mode", "quote", "--json"]);
    let (live, again) = (lines(&o), lines(&replayed));
    assert!(
        again.len() >= live.len(),
        "{} of {}",
        again.len(),
        live.len()
    );
    assert_eq!(again[..live.len()], live[..]);
    // `record` is `watch --quiet --record`.
    let quiet = dir.join("quiet.arrows");
    let q = quiet.display().to_string();
    let o = offline_ok(&[
        "record", &q, "--url", &url, "--mode", "quote", "--count", "50",
    ]);
    assert!(o.stdout.is_empty());
    assert!(JournalReader::open(&quiet).unwrap().count() >= 50);

    // Killed mid-stream.
    let killed = dir.join("killed.arrows");
    let k = killed.display().to_string();
    let mut child = offline()
        .args([
            "watch", "--url", &url, "--mode", "quote", "--quiet", "--record", &k,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let count = || JournalReader::open(&killed).map_or(0, |r| r.count());
    while count() < 500 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut r = JournalReader::open(&killed).unwrap();
    let n = r.by_ref().count();
    assert!(n >= 500, "{n} records");
    // No end-of-stream marker: the file is reported unfinished, or its last
    // batch was cut by the kill (damage at the end).
    assert!(
        r.unfinished() == [killed.clone()] || r.damage().is_some_and(|d| d.records == n as u64),
        "{:?} {:?}",
        r.unfinished(),
        r.damage()
    );
    // The killed journal replays: every quote it holds is printed, then the
    // replay ends by itself.
    let held: usize = JournalReader::open(&killed)
        .unwrap()
        .filter(|rec| rec.kind == RecordKind::Binary)
        .map(|rec| {
            dhan_feed::proto::market::packets(&rec.payload)
                .filter(|p| matches!(p, Ok(dhan_feed::proto::market::MarketPacket::Quote(_))))
                .count()
        })
        .sum();
    let replayed = offline_ok(&["replay", &k, "--max", "--mode", "quote", "--json"]);
    let printed = lines(&replayed)
        .iter()
        .filter(|l| l.starts_with("{\"kind\":\"quote\""))
        .count();
    assert!(held > 100, "{held} quotes held");
    assert_eq!(
        printed, held,
        "quotes printed by the replay of the killed journal"
    );
    let _ = std::fs::remove_dir_all(dir);
}
