//! Synthetic instrument masters with the shapes of Dhan's real files, for
//! benchmarks, tests and demos (there is no route to Dhan from CI).
//!
//! The output is deterministic for a given row count and seed. It starts with a few
//! well-known rows (NIFTY 13, BANKNIFTY 25, RELIANCE 2885, TCS 11536, a quoted name
//! with a comma), then fills the rest in the real file's proportions: about 78 %
//! NSE derivatives, 10 % BSE derivatives, 6 % cash equity, 4 % MCX, 2 % currency and
//! a few indices, all with the file's sentinels (`0001-01-01`, `XX`, `NA`, `-0.01`)
//! and the detailed file's trailing comma.

use std::fmt::Write as _;
use std::io::{self, Write};

/// The header of the live detailed file (32 names and a trailing comma).
pub const DETAILED_HEADER: &str = "EXCH_ID,SEGMENT,SECURITY_ID,ISIN,INSTRUMENT,UNDERLYING_SECURITY_ID,UNDERLYING_SYMBOL,SYMBOL_NAME,DISPLAY_NAME,INSTRUMENT_TYPE,SERIES,LOT_SIZE,SM_EXPIRY_DATE,STRIKE_PRICE,OPTION_TYPE,TICK_SIZE,EXPIRY_FLAG,BRACKET_FLAG,COVER_FLAG,ASM_GSM_FLAG,ASM_GSM_CATEGORY,BUY_SELL_INDICATOR,BUY_CO_MIN_MARGIN_PER,BUY_CO_SL_RANGE_MAX_PERC,BUY_CO_SL_RANGE_MIN_PERC,BUY_BO_MIN_MARGIN_PER,BUY_BO_PROFIT_RANGE_MAX_PERC,BUY_BO_PROFIT_RANGE_MIN_PERC,MTF_LEVERAGE,SM_UPPER_LIMIT,SM_LOWER_LIMIT,SM_FREEZE_QTY,";

/// The header of the compact file (16 `SEM_*`/`SM_*` names).
pub const COMPACT_HEADER: &str = "SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_EXPIRY_CODE,SEM_TRADING_SYMBOL,SEM_LOT_UNITS,SEM_CUSTOM_SYMBOL,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,SEM_OPTION_TYPE,SEM_TICK_SIZE,SEM_EXPIRY_FLAG,SEM_EXCH_INSTRUMENT_TYPE,SEM_SERIES,SM_SYMBOL_NAME";

/// One generated instrument, before formatting.
#[derive(Clone, Debug)]
struct Gen {
    exch: &'static str,
    seg: &'static str,
    id: u32,
    isin: String,
    instrument: &'static str,
    under_id: Option<u32>,
    under: String,
    symbol: String,
    display: String,
    itype: &'static str,
    series: &'static str,
    lot: u32,
    expiry: Option<(u16, u8, u8)>,
    strike: Option<u32>,
    opt: &'static str,
    tick: f64,
    eflag: &'static str,
    bracket: bool,
    cover: bool,
    asm: Option<&'static str>,
    buy_co: f64,
    mtf: f64,
    upper: f64,
    lower: f64,
    freeze: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const SYLLABLES: [&str; 20] = [
    "TA", "RE", "LI", "AN", "CE", "IN", "FO", "SY", "BA", "JA", "HI", "ND", "MA", "RU", "TI", "KO",
    "TE", "CH", "BH", "AR",
];

/// A deterministic xorshift64* generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A unique pronounceable symbol for `i` (three to five syllables).
fn stock_symbol(i: usize) -> String {
    let mut s = String::new();
    let mut n = i + 400; // at least three syllables
    while n > 0 {
        s.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    s
}

fn quote(field: &str, out: &mut String) {
    if field.contains(',') || field.contains('"') {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

impl Gen {
    fn equity(exch: &'static str, id: u32, under: &str, name: &str, rng: &mut Rng) -> Self {
        let price = 50 + rng.below(5000) as u32;
        let asm = match rng.below(40) {
            0 => Some("ASM"),
            1 => Some("GSM"),
            _ => None,
        };
        Self {
            exch,
            seg: "E",
            id,
            isin: format!("INE{:06}01{}", id % 1_000_000, id % 10),
            instrument: "EQUITY",
            under_id: None,
            under: under.to_owned(),
            symbol: name.to_owned(),
            display: {
                let mut d = String::new();
                for (k, w) in name.split(' ').enumerate() {
                    if k > 0 {
                        d.push(' ');
                    }
                    let mut cs = w.chars();
                    if let Some(c) = cs.next() {
                        d.push(c);
                        d.extend(cs.map(|c| c.to_ascii_lowercase()));
                    }
                }
                d
            },
            itype: "ES",
            series: "EQ",
            lot: 1,
            expiry: None,
            strike: None,
            opt: "XX",
            tick: 5.0,
            eflag: "NA",
            bracket: rng.below(3) == 0,
            cover: rng.below(2) == 0,
            asm,
            buy_co: [0.0, 20.0, 25.0][rng.below(3) as usize],
            mtf: [0.0, 0.0, 4.545455, 2.5, 6.666667][rng.below(5) as usize],
            upper: f64::from(price) * 1.1,
            lower: f64::from(price) * 0.9,
            freeze: 0,
        }
    }

    fn index(exch: &'static str, id: u32, symbol: &str, display: &str) -> Self {
        Self {
            exch,
            seg: "I",
            id,
            isin: String::new(),
            instrument: "INDEX",
            under_id: Some(id),
            under: symbol.to_owned(),
            symbol: symbol.to_owned(),
            display: display.to_owned(),
            itype: "INDEX",
            series: "NA",
            lot: 1,
            expiry: None,
            strike: None,
            opt: "XX",
            tick: 0.05,
            eflag: "N",
            bracket: false,
            cover: false,
            asm: None,
            buy_co: 0.0,
            mtf: 0.0,
            upper: 0.0,
            lower: 0.0,
            freeze: 0,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn derivative(
        exch: &'static str,
        seg: &'static str,
        id: u32,
        under: &str,
        under_id: u32,
        kind: &'static str,
        lot: u32,
        k: usize,
        rng: &mut Rng,
    ) -> Self {
        let future = k.is_multiple_of(25);
        let (y, m) = (2026 + (k / 7 % 2) as u16, 1 + (k / 3 % 12) as u8);
        let d = 20 + (k % 8) as u8;
        let base = 100 + (under_id % 500) * 50;
        let strike = base + (rng.below(80) as u32) * 50;
        let opt = if future {
            "XX"
        } else if k.is_multiple_of(2) {
            "CE"
        } else {
            "PE"
        };
        let mon = MONTHS[usize::from(m - 1)];
        let (instrument, itype, symbol, display) = if future {
            let inst = match kind {
                "IDX" => "FUTIDX",
                "STK" => "FUTSTK",
                "COM" => "FUTCOM",
                _ => "FUTCUR",
            };
            (
                inst,
                "FUT",
                format!("{under}-{mon}{y}-FUT"),
                format!("{under} {} FUT", mon.to_ascii_uppercase()),
            )
        } else {
            let inst = match kind {
                "IDX" => "OPTIDX",
                "STK" => "OPTSTK",
                "COM" => "OPTFUT",
                _ => "OPTCUR",
            };
            let word = if opt == "CE" { "CALL" } else { "PUT" };
            (
                inst,
                "OP",
                format!("{under}-{mon}{y}-{strike}-{opt}"),
                format!("{under} {d} {} {strike} {word}", mon.to_ascii_uppercase()),
            )
        };
        Self {
            exch,
            seg,
            id,
            isin: String::new(),
            instrument,
            under_id: Some(under_id),
            under: under.to_owned(),
            symbol,
            display,
            itype,
            series: if exch == "MCX" { "2" } else { "NA" },
            lot,
            expiry: Some((y, m, d)),
            strike: (!future).then_some(strike),
            opt,
            tick: 5.0,
            eflag: if k.is_multiple_of(4) { "W" } else { "M" },
            bracket: false,
            cover: false,
            asm: None,
            buy_co: 0.0,
            mtf: 0.0,
            upper: f64::from(strike) * 3.0,
            lower: 0.05,
            freeze: lot * 27,
        }
    }

    fn write_detailed(&self, out: &mut String) {
        out.clear();
        let _ = write!(out, "{},{},{},", self.exch, self.seg, self.id);
        out.push_str(if self.isin.is_empty() {
            "NA"
        } else {
            &self.isin
        });
        let _ = write!(out, ",{},", self.instrument);
        if let Some(u) = self.under_id {
            let _ = write!(out, "{u}");
        }
        out.push(',');
        quote(&self.under, out);
        out.push(',');
        quote(&self.symbol, out);
        out.push(',');
        quote(&self.display, out);
        let _ = write!(out, ",{},{},{}.0,", self.itype, self.series, self.lot);
        match self.expiry {
            Some((y, m, d)) => {
                let _ = write!(out, "{y:04}-{m:02}-{d:02}");
            }
            None => out.push_str("0001-01-01"),
        }
        match (self.strike, self.instrument) {
            (Some(s), _) => {
                let _ = write!(out, ",{s}.00000");
            }
            (None, "EQUITY" | "INDEX") => out.push(','),
            (None, _) => out.push_str(",-0.01000"),
        }
        let yn = |b: bool| if b { "Y" } else { "N" };
        let _ = write!(
            out,
            ",{},{:.4},{},{},{},{},{},A,{},0,0,0,0,0,{},{:.4},{:.4},{},",
            self.opt,
            self.tick,
            self.eflag,
            yn(self.bracket),
            yn(self.cover),
            yn(self.asm.is_some()),
            self.asm.unwrap_or("NA"),
            self.buy_co,
            self.mtf,
            self.upper,
            self.lower,
            self.freeze,
        );
    }

    fn write_compact(&self, out: &mut String) {
        out.clear();
        let _ = write!(
            out,
            "{},{},{},{},0,",
            self.exch, self.seg, self.id, self.instrument
        );
        let trading = if self.instrument == "EQUITY" || self.instrument == "INDEX" {
            &self.under
        } else {
            &self.symbol
        };
        quote(trading, out);
        let _ = write!(out, ",{}.0,", self.lot);
        quote(&self.display, out);
        out.push(',');
        match self.expiry {
            Some((y, m, d)) => {
                let _ = write!(out, "{y:04}-{m:02}-{d:02} 14:30:00");
            }
            None => out.push_str("0001-01-01"),
        }
        match self.strike {
            Some(s) => {
                let _ = write!(out, ",{s}.00000");
            }
            None => out.push_str(",-0.01000"),
        }
        let series = if self.series == "NA" {
            "X"
        } else {
            self.series
        };
        let _ = write!(
            out,
            ",{},{:.4},{},{},{},",
            self.opt, self.tick, self.eflag, self.itype, series
        );
        quote(
            if self.instrument == "EQUITY" || self.instrument == "INDEX" {
                &self.symbol
            } else {
                &self.under
            },
            out,
        );
    }
}

/// Generates `rows` instruments (at least the handful of well-known ones) and hands
/// each to `emit` in file order.
fn generate(
    rows: usize,
    seed: u64,
    mut emit: impl FnMut(&Gen) -> io::Result<()>,
) -> io::Result<()> {
    let mut rng = Rng(seed | 1);
    let fixed = [
        Gen::index("NSE", 13, "NIFTY", "Nifty 50"),
        Gen::index("NSE", 25, "BANKNIFTY", "Nifty Bank"),
        Gen::index("NSE", 21, "INDIA VIX", "India VIX"),
        Gen::index("BSE", 51, "SENSEX", "Sensex"),
        Gen::equity("NSE", 2885, "RELIANCE", "RELIANCE INDUSTRIES LTD", &mut rng),
        Gen::equity("NSE", 11536, "TCS", "TATA CONSULTANCY SERV LT", &mut rng),
        Gen::equity("NSE", 3045, "SBIN", "STATE BANK OF INDIA, LTD", &mut rng),
        Gen::equity(
            "BSE",
            500325,
            "RELIANCE",
            "RELIANCE INDUSTRIES LTD",
            &mut rng,
        ),
    ];
    for g in &fixed {
        emit(g)?;
    }
    let rest = rows.saturating_sub(fixed.len());
    // Shares of the remainder per block, in the real file's rough proportions.
    let n_idx = rest / 1000;
    let n_nse_eq = rest * 2 / 100;
    let n_bse_eq = rest * 4 / 100;
    let n_bse_d = rest / 10;
    let n_mcx = rest * 4 / 100;
    let n_cur = rest * 2 / 100;
    let n_nse_d = rest - n_idx - n_nse_eq - n_bse_eq - n_bse_d - n_mcx - n_cur;

    for i in 0..n_idx {
        let sym = format!("NIFTY {}", stock_symbol(i));
        emit(&Gen::index("NSE", 100 + i as u32, &sym, &sym))?;
    }
    let stocks = n_nse_eq.max(1);
    for i in 0..n_nse_eq {
        let sym = stock_symbol(i);
        emit(&Gen::equity(
            "NSE",
            100_000 + i as u32,
            &sym,
            &format!("{sym} LIMITED"),
            &mut rng,
        ))?;
    }
    for i in 0..n_bse_eq {
        let sym = stock_symbol(i);
        emit(&Gen::equity(
            "BSE",
            600_000 + i as u32,
            &sym,
            &format!("{sym} LTD"),
            &mut rng,
        ))?;
    }
    for k in 0..n_nse_d {
        let g = match k % 10 {
            0..=2 => Gen::derivative(
                "NSE",
                "D",
                1_000_000 + k as u32,
                "NIFTY",
                26000,
                "IDX",
                65,
                k,
                &mut rng,
            ),
            3..=4 => Gen::derivative(
                "NSE",
                "D",
                1_000_000 + k as u32,
                "BANKNIFTY",
                26009,
                "IDX",
                30,
                k,
                &mut rng,
            ),
            _ => {
                let s = k / 10 % stocks;
                let sym = stock_symbol(s);
                Gen::derivative(
                    "NSE",
                    "D",
                    1_000_000 + k as u32,
                    &sym,
                    100_000 + s as u32,
                    "STK",
                    250,
                    k,
                    &mut rng,
                )
            }
        };
        emit(&g)?;
    }
    for k in 0..n_bse_d {
        emit(&Gen::derivative(
            "BSE",
            "D",
            800_000 + k as u32,
            "SENSEX",
            1,
            "IDX",
            20,
            k,
            &mut rng,
        ))?;
    }
    const COMMODITIES: [(&str, u32); 4] = [
        ("CRUDEOIL", 294),
        ("GOLD", 114),
        ("SILVER", 217),
        ("NATURALGAS", 401),
    ];
    for k in 0..n_mcx {
        let (sym, uid) = COMMODITIES[k % COMMODITIES.len()];
        emit(&Gen::derivative(
            "MCX",
            "M",
            400_000 + k as u32,
            sym,
            uid,
            "COM",
            100,
            k,
            &mut rng,
        ))?;
    }
    for k in 0..n_cur {
        emit(&Gen::derivative(
            "NSE",
            "C",
            2_000_000 + k as u32,
            "USDINR",
            10093,
            "CUR",
            1000,
            k,
            &mut rng,
        ))?;
    }
    Ok(())
}

/// Writes a synthetic detailed master (header and `rows` rows, at least 8).
pub fn write_detailed(mut out: impl Write, rows: usize, seed: u64) -> io::Result<()> {
    writeln!(out, "{DETAILED_HEADER}")?;
    let mut line = String::with_capacity(256);
    generate(rows, seed, |g| {
        g.write_detailed(&mut line);
        line.push('\n');
        out.write_all(line.as_bytes())
    })?;
    out.flush()
}

/// Writes a synthetic compact master (header and `rows` rows, at least 8).
pub fn write_compact(mut out: impl Write, rows: usize, seed: u64) -> io::Result<()> {
    writeln!(out, "{COMPACT_HEADER}")?;
    let mut line = String::with_capacity(256);
    generate(rows, seed, |g| {
        g.write_compact(&mut line);
        line.push('\n');
        out.write_all(line.as_bytes())
    })?;
    out.flush()
}

/// A synthetic detailed master as a string (for tests and examples).
pub fn detailed_string(rows: usize, seed: u64) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_detailed(&mut buf, rows, seed);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A synthetic compact master as a string (for tests and examples).
pub fn compact_string(rows: usize, seed: u64) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_compact(&mut buf, rows, seed);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            assert!(seen.insert(stock_symbol(i)), "{i}");
        }
    }

    #[test]
    fn row_count_and_trailing_comma() {
        let s = detailed_string(1000, 7);
        assert_eq!(s.lines().count(), 1001);
        assert!(s.lines().all(|l| l.ends_with(',')));
        assert!(s.contains("\"STATE BANK OF INDIA, LTD\""));
        let c = compact_string(1000, 7);
        assert_eq!(c.lines().count(), 1001);
        assert_eq!(detailed_string(1000, 7), s, "deterministic");
    }
}
