//! `dhan-feed bench`'s latency histograms as files: HdrHistogram's percentile
//! distribution (`--hgrm DIR`, the text `HistogramLogProcessor` and the online
//! HdrHistogram plotter read) and one SVG chart of the percentile curves on a
//! log scale (`--plot FILE.svg`).

use hdrhistogram::Histogram;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// Writes `h` (nanoseconds) as a percentile distribution in microseconds.
pub fn write_hgrm(h: &Histogram<u64>, path: &Path) -> io::Result<()> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let mut total = 0u64;
    for v in h.iter_quantiles(5) {
        total += v.count_since_last_iteration();
        let q = v.quantile_iterated_to();
        let us = v.value_iterated_to() as f64 / 1e3;
        if q < 1.0 {
            let _ = writeln!(
                out,
                "{us:>12.3} {q:>14.12} {total:>10} {:>14.2}",
                1.0 / (1.0 - q)
            );
        } else {
            let _ = writeln!(out, "{us:>12.3} {q:>14.12} {total:>10}");
        }
    }
    let _ = writeln!(
        out,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
        h.mean() / 1e3,
        h.stdev() / 1e3
    );
    let _ = writeln!(
        out,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        h.max() as f64 / 1e3,
        h.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        h.buckets(),
        sub_buckets(h.sigfig())
    );
    std::fs::write(path, out)
}

/// The percentile curves of `series` (name, histogram in ns) on one chart:
/// x is `1/(1-percentile)` on a log scale (50 %, 90 %, 99 % … 99.999 %), y the
/// latency in µs on a log scale.
pub fn write_svg(title: &str, series: &[(&str, &Histogram<u64>)], path: &Path) -> io::Result<()> {
    const W: f64 = 800.0;
    const H: f64 = 480.0;
    const L: f64 = 70.0;
    const R: f64 = 170.0;
    const T: f64 = 40.0;
    const B: f64 = 50.0;
    const COLOURS: [&str; 4] = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"];
    // x: log10(1/(1-q)) from 0 (q = 0) to 5 (99.999 %).
    let x_max = 5.0f64;
    let points: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|(_, h)| {
            h.iter_quantiles(5)
                .filter(|v| v.quantile_iterated_to() < 0.999_99 && v.value_iterated_to() > 0)
                .map(|v| {
                    let q = v.quantile_iterated_to();
                    (
                        (1.0 / (1.0 - q)).log10(),
                        v.value_iterated_to() as f64 / 1e3,
                    )
                })
                .collect()
        })
        .collect();
    let (mut lo, mut hi) = (f64::MAX, 0.0f64);
    for &(_, y) in points.iter().flatten() {
        lo = lo.min(y);
        hi = hi.max(y);
    }
    if hi <= 0.0 {
        lo = 1.0;
        hi = 10.0;
    }
    let (y_lo, y_hi) = (
        lo.log10().floor(),
        hi.log10().ceil().max(lo.log10().floor() + 1.0),
    );
    let px = |x: f64| L + (x / x_max) * (W - L - R);
    let py = |y: f64| T + (1.0 - (y.log10() - y_lo) / (y_hi - y_lo)) * (H - T - B);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="14">{}</text>"#,
        (L + W - R) / 2.0,
        escape(title)
    );
    for (i, label) in ["50%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
        .iter()
        .enumerate()
    {
        let x = px(i as f64 * x_max / 5.0 + if i == 0 { 0.301 } else { 0.0 });
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{T}" x2="{x:.1}" y2="{}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle">{label}</text>"##,
            H - B,
            H - B + 16.0
        );
    }
    let mut e = y_lo;
    while e <= y_hi + 1e-9 {
        let y = py(10f64.powf(e));
        let _ = writeln!(
            s,
            r##"<line x1="{L}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - R,
            L - 6.0,
            y + 4.0,
            format_us(10f64.powf(e))
        );
        e += 1.0;
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">percentile</text><text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">latency (µs)</text>"#,
        (L + W - R) / 2.0,
        H - 12.0,
        (T + H - B) / 2.0,
        (T + H - B) / 2.0
    );
    for (i, ((name, h), pts)) in series.iter().zip(&points).enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        let ly = T + 20.0 + i as f64 * 20.0;
        let _ = writeln!(
            s,
            r#"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{} (p50 {})</text>"#,
            W - R + 10.0,
            W - R + 30.0,
            W - R + 36.0,
            ly + 4.0,
            escape(name),
            format_us(h.value_at_quantile(0.5) as f64 / 1e3)
        );
    }
    s.push_str("</svg>\n");
    std::fs::write(path, s)
}

/// HdrHistogram's sub-bucket count for `sigfig` significant digits: the power
/// of two that holds `2 × 10^sigfig` values at unit resolution.
fn sub_buckets(sigfig: u8) -> u64 {
    (2 * 10u64.pow(u32::from(sigfig))).next_power_of_two()
}

fn format_us(us: f64) -> String {
    if us >= 1_000.0 {
        format!("{:.0} ms", us / 1e3)
    } else if us >= 1.0 {
        format!("{us:.0} µs")
    } else {
        format!("{:.0} ns", us * 1e3)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Histogram<u64> {
        let mut h = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).unwrap();
        for us in 1..=1_000u64 {
            h.record(us * 1_000).unwrap();
        }
        h
    }

    #[test]
    fn percentile_distribution_is_hdrhistograms_text_form() {
        let dir = std::env::temp_dir().join(format!("dhan-feed-hgrm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.hgrm");
        write_hgrm(&sample(), &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let rows: Vec<Vec<f64>> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.contains("Value"))
            .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
            .collect();
        assert!(rows.len() > 20, "{text}");
        assert!(
            rows.windows(2)
                .all(|w| w[0][0] <= w[1][0] && w[0][1] <= w[1][1] && w[0][2] <= w[1][2])
        );
        let last = rows.last().unwrap();
        assert_eq!((last[1], last[2]), (1.0, 1_000.0), "{text}");
        // The median of 1..=1000 µs, in µs, at HdrHistogram's precision.
        let median = rows.iter().find(|r| r[1] >= 0.5).unwrap()[0];
        assert!((499.0..=502.0).contains(&median), "{median}");
        assert!(text.contains("Total count    =         1000"), "{text}");
        assert!(text.contains("SubBuckets     =         2048"), "{text}");
    }

    #[test]
    fn the_chart_has_a_curve_per_series_inside_its_frame() {
        let dir = std::env::temp_dir().join(format!("dhan-feed-svg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.svg");
        let (a, mut b) = (sample(), sample());
        b.record(50_000_000).unwrap();
        write_svg("a <title>", &[("one", &a), ("two", &b)], &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("a &lt;title&gt;"));
        let curves: Vec<&str> = svg.lines().filter(|l| l.starts_with("<polyline")).collect();
        assert_eq!(curves.len(), 2);
        for c in curves {
            let pts = c
                .split("points=\"")
                .nth(1)
                .unwrap()
                .trim_end_matches("\"/>");
            for p in pts.split(' ') {
                let (x, y) = p.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!(
                    (70.0..=630.0).contains(&x) && (40.0..=430.0).contains(&y),
                    "{p}"
                );
            }
        }
        assert!(
            svg.contains("one (p50 501 µs)") || svg.contains("one (p50 500 µs)"),
            "{svg}"
        );
        assert!(svg.contains("ms<"), "a 50 ms sample puts the axis in ms");
    }
}
