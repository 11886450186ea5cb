//! Integration tests of the instrument master: both CSV shapes, every quirk of the
//! docs/protocol.md §8, every lookup option, malformed input, the
//! cached download against a loopback HTTP server, and the command line.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime};

use dhan_feed::instrument::{
    BuySellIndicator, Date, Download, Exchange, ExpiryFlag, FindOptions, Flag, InstrumentError,
    InstrumentKind, InstrumentMaster, LoadOptions, MasterFormat, MasterKind, OnMalformed,
    OptionType, Origin, RowProblem, SegmentCode,
};
use dhan_feed::internals::synthetic;

mod common;
use common::temp_dir;
use dhan_feed::proto::{ExchangeSegment, InstrumentId};

use ExchangeSegment::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/instrument")
        .join(name)
}

fn live() -> InstrumentMaster {
    InstrumentMaster::from_path(data("detailed_live.csv"), &LoadOptions::strict())
        .expect("live fixture loads")
}

fn parse(csv: &str) -> InstrumentMaster {
    InstrumentMaster::from_reader(csv.as_bytes(), &LoadOptions::strict()).expect("csv loads")
}

const ANY: FindOptions = FindOptions::new();

// ---------------------------------------------------------------- detailed (live)

#[test]
fn live_detailed_file_loads_every_mappable_row() {
    let m = live();
    let r = m.report();
    assert_eq!(m.format(), MasterFormat::Detailed);
    assert_eq!(m.len(), 14, "15 data rows, one (NSE,M) set aside");
    assert_eq!(r.loaded, 14);
    assert!(r.skipped.is_empty());
    assert_eq!(r.blank_lines, 1);
    assert!(
        r.missing_columns.contains(&"SELL_CO_MIN_MARGIN_PER"),
        "{:?}",
        r.missing_columns
    );
    assert!(!r.missing_columns.contains(&"MTF_LEVERAGE"));
    assert_eq!(r.unmapped.len(), 1);
    let u = &r.unmapped[0];
    assert_eq!(
        (
            u.line,
            u.exchange.as_str(),
            u.segment.as_str(),
            u.security_id
        ),
        (13, "NSE", "M", 777)
    );
    assert_eq!(r.duplicate_ids.len(), 1);
    let d = &r.duplicate_ids[0];
    assert_eq!(
        (d.line, d.first_line, d.id),
        (15, 4, InstrumentId::new(NseEq, 2885))
    );
}

#[test]
fn equity_row_has_every_seed_field_typed() {
    let m = live();
    let r = m.find(NseEq, "RELIANCE", ANY).expect("RELIANCE");
    assert_eq!(r.security_id(), 2885);
    assert_eq!(r.id(), InstrumentId::new(NseEq, 2885));
    assert_eq!(r.exchange(), Exchange::Nse);
    assert_eq!(r.segment(), SegmentCode::Equity);
    assert_eq!(r.exchange_segment(), NseEq);
    assert_eq!(r.symbol_name(), "RELIANCE INDUSTRIES LTD");
    assert_eq!(r.underlying_symbol(), Some("RELIANCE"));
    assert_eq!(r.underlying_security_id(), None);
    assert_eq!(r.display_name(), Some("Reliance Industries"));
    assert_eq!(r.isin(), Some("INE002A01018"));
    assert_eq!(r.instrument(), Some(InstrumentKind::Equity));
    assert_eq!(r.instrument_type(), Some("ES"));
    assert_eq!(r.series(), Some("EQ"));
    assert_eq!(r.lot_size(), Some(1.0));
    assert_eq!(r.tick_size(), Some(10.0));
    assert_eq!(r.expiry_flag(), None, "NA");
    assert_eq!(r.expiry_date(), None, "0001-01-01");
    assert_eq!(r.strike_price(), None, "-0.01");
    assert_eq!(r.option_type(), None, "XX");
    assert_eq!(r.bracket_flag(), Some(Flag::Yes));
    assert_eq!(r.cover_flag(), Some(Flag::No));
    assert_eq!(r.asm_gsm_flag(), Some(Flag::No));
    assert_eq!(r.asm_gsm_category(), None, "NA");
    assert_eq!(r.buy_sell_indicator(), Some(BuySellIndicator::Allowed));
    assert_eq!(r.buy_co_min_margin_per(), Some(20.0));
    assert_eq!(
        r.sell_co_min_margin_per(),
        None,
        "column absent from the live file"
    );
    assert_eq!(r.mtf_leverage(), Some(4.545455));
    assert_eq!(r.upper_limit(), Some(1543.2));
    assert_eq!(r.lower_limit(), Some(1262.6));
    assert_eq!(r.freeze_quantity(), Some(0.0));
    assert_eq!(r.line(), 4);
    assert!(
        r.is_tradable() && r.bracket_allowed() && !r.cover_allowed() && !r.under_surveillance()
    );
    assert!(!r.has_expiry());
    assert_eq!(r.to_string(), "NSE_EQ:2885 RELIANCE INDUSTRIES LTD");
    let dbg = format!("{r:?}");
    assert!(
        dbg.contains("mtf_leverage: Some(4.545455)") && dbg.contains("NSE_EQ:2885"),
        "{dbg}"
    );
}

#[test]
fn surveillance_row() {
    let m = live();
    let pp = m.by_security_id(NseEq, 500).unwrap();
    assert_eq!(pp.asm_gsm_flag(), Some(Flag::Yes));
    assert_eq!(pp.asm_gsm_category(), Some("ASM Stage 2"));
    assert!(pp.under_surveillance() && pp.cover_allowed() && !pp.bracket_allowed());
    assert_eq!(pp.mtf_leverage(), Some(0.0));
}

#[test]
fn derivative_rows_and_sentinels() {
    let m = live();
    let call = m.by_security_id(NseFno, 35070).unwrap();
    assert_eq!(call.instrument(), Some(InstrumentKind::OptIdx));
    assert_eq!(
        call.underlying_security_id(),
        Some(26000),
        "NIFTY options point at 26000, not 13"
    );
    assert_eq!(call.strike_price(), Some(18950.0));
    assert_eq!(call.option_type(), Some(OptionType::Call));
    assert_eq!(call.expiry_date(), Date::new(2026, 11, 23));
    assert_eq!(call.expiry_flag(), Some(ExpiryFlag::Monthly));
    assert_eq!(call.isin(), None, "NA");
    assert_eq!(call.series(), None, "NA");
    assert_eq!(call.lot_size(), Some(65.0));
    assert_eq!(call.freeze_quantity(), Some(1756.0));
    assert!(call.has_expiry());

    let put = m.by_security_id(NseFno, 70001).unwrap();
    assert_eq!(put.option_type(), Some(OptionType::Put));
    assert_eq!(put.expiry_flag(), Some(ExpiryFlag::Weekly));

    // Truncated after EXPIRY_FLAG: the missing trailing fields read as absent.
    let fut = m.by_security_id(NseFno, 68407).unwrap();
    assert_eq!(fut.instrument(), Some(InstrumentKind::FutIdx));
    assert_eq!(fut.strike_price(), None, "-0.01 on futures");
    assert_eq!(fut.option_type(), None);
    assert_eq!(fut.expiry_flag(), Some(ExpiryFlag::Monthly));
    assert_eq!(fut.bracket_flag(), None);
    assert_eq!(fut.buy_sell_indicator(), None);
    assert_eq!(fut.mtf_leverage(), None);
    assert!(!fut.is_tradable(), "no indicator, not known to be tradable");

    let crude = m.by_security_id(McxComm, 565899).unwrap();
    assert_eq!(crude.exchange(), Exchange::Mcx);
    assert_eq!(crude.segment(), SegmentCode::Commodity);
    assert_eq!(crude.strike_price(), None, "0 strike on commodity futures");
    assert_eq!(crude.series(), Some("2"));
    assert_eq!(crude.instrument(), Some(InstrumentKind::FutCom));

    let usd = m.by_security_id(NseCurrency, 10093).unwrap();
    assert_eq!(
        usd.expiry_date(),
        Date::new(2026, 9, 28),
        "a time after the date is ignored"
    );
    assert_eq!(usd.tick_size(), Some(0.25));
    // Tradable rows carry paise, index rows rupees.
    assert_eq!(usd.tick_size_rupees(), Some(0.0025), "USDINR ticks ₹0.0025");
    assert_eq!(crude.tick_size(), Some(100.0));
    assert_eq!(crude.tick_size_rupees(), Some(1.0), "CRUDEOIL ticks ₹1");
    assert_eq!(
        m.find(NseEq, "RELIANCE", ANY).unwrap().tick_size_rupees(),
        Some(0.1)
    );
    let nifty = m.find(IdxI, "NIFTY", ANY).unwrap();
    assert_eq!(
        nifty.tick_size_rupees(),
        Some(0.05),
        "index rows are rupees"
    );
}

#[test]
fn index_rows_map_to_idx_i_from_both_exchanges() {
    let m = live();
    let nifty = m.find(IdxI, "NIFTY", ANY).unwrap();
    assert_eq!(nifty.id(), InstrumentId::new(IdxI, 13));
    assert_eq!(nifty.segment(), SegmentCode::Index);
    assert_eq!(nifty.tick_size(), Some(0.05));
    assert_eq!(nifty.strike_price(), None, "empty strike");
    assert_eq!(nifty.expiry_flag(), Some(ExpiryFlag::No));
    let sensex = m.find(IdxI, "SENSEX", ANY).unwrap();
    assert_eq!(
        (sensex.exchange(), sensex.id()),
        (Exchange::Bse, InstrumentId::new(IdxI, 51))
    );
    let ids: Vec<u32> = m.by_segment(IdxI).map(|i| i.security_id()).collect();
    assert_eq!(ids, [13, 51]);
}

#[test]
fn quoted_field_with_a_comma() {
    let m = live();
    let sbi = m.by_security_id(NseEq, 3045).unwrap();
    assert_eq!(sbi.symbol_name(), "STATE BANK OF INDIA, LTD");
    assert_eq!(
        sbi.display_name(),
        Some("State Bank"),
        "columns after the quoted field stay aligned"
    );
    assert_eq!(sbi.mtf_leverage(), Some(5.0));
    assert_eq!(
        m.find(
            NseEq,
            "state bank of india, ltd",
            FindOptions::new().exact()
        )
        .unwrap(),
        sbi
    );
}

// ---------------------------------------------------------------- other shapes

#[test]
fn doc_shape_with_sell_columns_in_another_order() {
    let m = InstrumentMaster::from_path(data("detailed_doc.csv"), &LoadOptions::strict()).unwrap();
    assert_eq!(m.format(), MasterFormat::Detailed);
    assert!(
        !m.report()
            .missing_columns
            .contains(&"SELL_CO_MIN_MARGIN_PER")
    );
    assert!(m.report().missing_columns.contains(&"SM_FREEZE_QTY"));
    let r = m.find(NseEq, "RELIANCE", ANY).unwrap();
    assert_eq!(r.security_id(), 2885);
    assert_eq!(
        r.symbol_name(),
        "RELIANCE INDUSTRIES LTD",
        "header names match case-insensitively"
    );
    assert_eq!(r.buy_co_min_margin_per(), Some(20.0));
    assert_eq!(r.sell_co_min_margin_per(), Some(22.5));
    assert_eq!(r.mtf_leverage(), Some(4.545455));
    assert_eq!(r.freeze_quantity(), None);
    assert!(r.bracket_allowed() && r.cover_allowed());
    assert_eq!(m.find(IdxI, "nifty", ANY).unwrap().security_id(), 13);
}

#[test]
fn compact_file() {
    let m = InstrumentMaster::from_path(data("compact.csv"), &LoadOptions::strict()).unwrap();
    assert_eq!(m.format(), MasterFormat::Compact);
    assert_eq!(m.len(), 4);
    let r = m.find(NseEq, "RELIANCE", ANY).unwrap();
    assert_eq!(r.security_id(), 2885);
    assert_eq!(r.symbol_name(), "RELIANCE INDUSTRIES LTD");
    assert_eq!(
        r.underlying_symbol(),
        Some("RELIANCE"),
        "from SEM_TRADING_SYMBOL"
    );
    assert_eq!(
        r.display_name(),
        Some("Reliance Industries"),
        "from SEM_CUSTOM_SYMBOL"
    );
    assert_eq!(r.isin(), None);
    assert_eq!(r.bracket_flag(), None);
    assert_eq!(r.mtf_leverage(), None);
    assert_eq!(m.find(IdxI, "NIFTY", ANY).unwrap().security_id(), 13);
    assert_eq!(m.find(IdxI, "india vix", ANY).unwrap().security_id(), 21);
    let opt = m.by_security_id(NseFno, 35070).unwrap();
    assert_eq!(
        opt.expiry_date(),
        Date::new(2026, 11, 23),
        "2026-11-23 14:30:00"
    );
    assert_eq!(opt.strike_price(), Some(18950.0));
    assert_eq!(opt.option_type(), Some(OptionType::Call));
    assert_eq!(opt.expiry_flag(), Some(ExpiryFlag::Monthly));
    assert_eq!(opt.series(), None);
    assert!(m.report().missing_columns.contains(&"ISIN"));
}

#[test]
fn bom_crlf_blank_lines_and_missing_optional_columns() {
    let csv =
        "\u{feff}EXCH_ID,SEGMENT,SECURITY_ID,SYMBOL_NAME\r\n\r\nNSE,E,1,ONE\r\n  \r\nBSE,E,2,TWO";
    let m = parse(csv);
    assert_eq!(m.len(), 2);
    assert_eq!(m.report().blank_lines, 2);
    let one = m.find(NseEq, "ONE", ANY).unwrap();
    assert_eq!(one.lot_size(), None);
    assert_eq!(one.underlying_symbol(), None);
    assert_eq!(one.instrument(), None);
    assert_eq!(
        m.find(BseEq, "two", ANY).unwrap().security_id(),
        2,
        "last line without newline"
    );
}

#[test]
fn header_problems_are_errors() {
    let e = InstrumentMaster::from_reader("".as_bytes(), &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, InstrumentError::Empty), "{e}");
    let e = InstrumentMaster::from_reader("\n\n".as_bytes(), &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, InstrumentError::Empty), "{e}");
    let e = InstrumentMaster::from_reader(
        "EXCH_ID,SEGMENT,SYMBOL_NAME\nNSE,E,X\n".as_bytes(),
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            InstrumentError::MissingColumn {
                column: "SECURITY_ID",
                ..
            }
        ),
        "{e}"
    );
    let e =
        InstrumentMaster::from_path(data("no-such-file.csv"), &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(e, InstrumentError::File { .. }) && e.to_string().contains("no-such-file.csv"),
        "{e}"
    );
    let m = parse("EXCH_ID,SEGMENT,SECURITY_ID,SYMBOL_NAME,\n");
    assert!(m.is_empty());
    assert_eq!(m.find(NseEq, "X", ANY), None);
}

// ---------------------------------------------------------------- malformed rows

#[test]
fn malformed_rows_are_reported_by_line_and_skipped() {
    let m = InstrumentMaster::from_path(data("malformed.csv"), &LoadOptions::default()).unwrap();
    let ids: Vec<u32> = m.iter().map(|i| i.security_id()).collect();
    assert_eq!(ids, [1, 5, 10], "every good row survives");
    let got: Vec<(u64, Option<&str>, RowProblem)> = m
        .report()
        .skipped
        .iter()
        .map(|e| (e.line, e.column.as_deref(), e.problem))
        .collect();
    assert_eq!(
        got,
        [
            (3, Some("SECURITY_ID"), RowProblem::BadSecurityId),
            (4, Some("LOT_SIZE"), RowProblem::BadNumber),
            (5, Some("SM_EXPIRY_DATE"), RowProblem::BadDate),
            (6, None, RowProblem::UnterminatedQuote),
            (8, None, RowProblem::TooManyFields),
            (9, None, RowProblem::NotUtf8),
            (10, Some("SEGMENT"), RowProblem::Missing),
            (11, Some("BUY_CO_MIN_MARGIN_PER"), RowProblem::BadNumber),
        ]
    );
    assert_eq!(m.report().skipped[0].value, "12x");
    assert_eq!(
        m.report().skipped[1].to_string(),
        r#"line 4: column LOT_SIZE: not a number ("one")"#
    );
}

#[test]
fn malformed_row_rejected_on_request() {
    let opts = LoadOptions {
        on_malformed: OnMalformed::Reject,
        ..LoadOptions::default()
    };
    let e = InstrumentMaster::from_path(data("malformed.csv"), &opts).unwrap_err();
    match e {
        InstrumentError::Malformed(row) => {
            assert_eq!((row.line, row.problem), (3, RowProblem::BadSecurityId));
        }
        other => panic!("expected Malformed, got {other}"),
    }
}

#[test]
fn unterminated_quote_spoils_only_its_line() {
    let csv = "EXCH_ID,SEGMENT,SECURITY_ID,SYMBOL_NAME\nNSE,E,1,\"OPEN\nNSE,E,2,TWO\nNSE,E,3,\"THREE, LTD\"\n";
    let m = InstrumentMaster::from_reader(csv.as_bytes(), &LoadOptions::default()).unwrap();
    let ids: Vec<u32> = m.iter().map(|i| i.security_id()).collect();
    assert_eq!(ids, [2, 3]);
    assert_eq!(m.report().skipped[0].line, 2);
}

// ---------------------------------------------------------------- lookups

#[test]
fn find_prefers_underlying_then_symbol_name() {
    let m = live();
    // Underlying RELIANCE beats RELIANCEPP (a substring match) and the duplicate
    // row (later in the file).
    assert_eq!(m.find(NseEq, "RELIANCE", ANY).unwrap().line(), 4);
    // Full symbol name, exact.
    let exact = FindOptions::new().exact();
    assert_eq!(
        m.find(NseEq, "RELIANCE INDUSTRIES LTD", exact)
            .unwrap()
            .security_id(),
        2885
    );
    assert_eq!(
        m.find(NseEq, "TATA CONSULTANCY SERV LT", exact)
            .unwrap()
            .security_id(),
        11536
    );
    // In F&O, NIFTY's underlying matches its contracts, first in file order.
    assert_eq!(m.find(NseFno, "NIFTY", ANY).unwrap().security_id(), 35070);
    assert_eq!(
        m.find(NseFno, "NIFTY-Sep2026-FUT", exact)
            .unwrap()
            .security_id(),
        68407
    );
    // Segment is respected.
    assert_eq!(
        m.find(BseEq, "RELIANCE", ANY).unwrap().security_id(),
        500325
    );
    assert_eq!(m.find(NseCurrency, "RELIANCE", ANY), None);
    assert_eq!(
        m.find(BseFno, "NIFTY", ANY),
        None,
        "no rows in that segment"
    );
    // Whitespace around the query is ignored; an empty query finds nothing.
    assert_eq!(m.find(NseEq, "  TCS ", ANY).unwrap().security_id(), 11536);
    assert_eq!(m.find(NseEq, "   ", ANY), None);
}

#[test]
fn exact_match_and_substring_fallback() {
    let m = live();
    let exact = FindOptions::new().exact();
    assert_eq!(m.find(NseEq, "RELIAN", exact), None);
    assert_eq!(
        m.find(NseEq, "RELIAN", ANY).unwrap().security_id(),
        2885,
        "underlying contains, first in file"
    );
    assert_eq!(
        m.find(NseEq, "PARTLY", ANY).unwrap().security_id(),
        500,
        "symbol name contains"
    );
    assert_eq!(
        m.find(NseEq, "consultancy", ANY).unwrap().security_id(),
        11536,
        "any case"
    );
    assert_eq!(
        m.find(NseEq, "Tata Consult", ANY).unwrap().security_id(),
        11536
    );
    assert_eq!(
        m.find(NseEq, "State Bank", ANY).unwrap().security_id(),
        3045
    );
    assert_eq!(m.find(NseEq, "ZZZ", ANY), None);
}

#[test]
fn case_sensitivity() {
    let m = live();
    let cs = FindOptions::new().case_sensitive();
    assert_eq!(m.find(NseEq, "reliance", ANY).unwrap().security_id(), 2885);
    assert_eq!(m.find(NseEq, "reliance", cs), None);
    assert_eq!(m.find(NseEq, "reliance industries ltd", cs.exact()), None);
    assert_eq!(
        m.find(NseEq, "RELIANCE INDUSTRIES LTD", cs.exact())
            .unwrap()
            .security_id(),
        2885
    );
    assert_eq!(
        m.find(NseEq, "Reliance Ind", cs).unwrap().security_id(),
        2885,
        "display name, case kept"
    );
    assert_eq!(m.find(NseEq, "reliance ind", cs), None);
}

#[test]
fn find_all_ranks_matches() {
    let m = live();
    let ids = |v: Vec<dhan_feed::instrument::Instrument<'_>>| {
        v.iter().map(|i| i.line()).collect::<Vec<_>>()
    };
    // Rank 1 (underlying == RELIANCE): lines 4 and 15; rank 3 (underlying contains): line 5.
    assert_eq!(ids(m.find_all(NseEq, "reliance", ANY)), [4, 15, 5]);
    assert_eq!(
        ids(m.find_all(NseEq, "reliance", FindOptions::new().exact())),
        [4, 15]
    );
    assert_eq!(ids(m.find_all(NseFno, "NIFTY", ANY)), [8, 9, 10]);
    assert!(m.find_all(NseEq, "", ANY).is_empty());
}

#[test]
fn find_anywhere_orders_segments_and_prefers_exact() {
    let m = live();
    let r = m.find_anywhere("RELIANCE", &[], ANY).unwrap();
    assert_eq!(
        r.id(),
        InstrumentId::new(NseEq, 2885),
        "NSE_EQ is searched first"
    );
    let r = m.find_anywhere("RELIANCE", &[BseEq, NseEq], ANY).unwrap();
    assert_eq!(
        r.id(),
        InstrumentId::new(BseEq, 500325),
        "given order is kept"
    );
    // NIFTY: an exact match in IDX_I beats substring matches in earlier segments.
    let r = m.find_anywhere("NIFTY", &[], ANY).unwrap();
    assert_eq!(r.id(), InstrumentId::new(IdxI, 13));
    // Substring fallback only when no segment has an exact match.
    let r = m.find_anywhere("CRUDE", &[], ANY).unwrap();
    assert_eq!(r.id(), InstrumentId::new(McxComm, 565899));
    assert_eq!(
        m.find_anywhere("CRUDE", &[], FindOptions::new().exact()),
        None
    );
    assert_eq!(m.find_anywhere("USDINR", &[NseEq, BseEq], ANY), None);
}

#[test]
fn by_segment_and_by_security_id() {
    let m = live();
    let nse: Vec<u32> = m.by_segment(NseEq).map(|i| i.security_id()).collect();
    assert_eq!(
        nse,
        [2885, 500, 11536, 3045, 2885],
        "file order, duplicates kept"
    );
    assert_eq!(m.by_segment(BseFno).count(), 0);
    let segs: Vec<ExchangeSegment> = m.segments().collect();
    assert_eq!(segs, [NseEq, BseEq, IdxI, NseFno, NseCurrency, McxComm]);
    assert_eq!(
        m.by_security_id(NseEq, 2885).unwrap().line(),
        4,
        "the first of duplicates"
    );
    assert_eq!(m.by_security_id(BseEq, 2885), None, "id is per segment");
    assert_eq!(m.by_security_id(NseEq, 999_999), None);
    assert_eq!(
        m.get("MCX_COMM:565899".parse().unwrap())
            .unwrap()
            .symbol_name(),
        "CRUDEOIL"
    );
    assert_eq!(m.iter().len(), 14);
}

// ---------------------------------------------------------------- synthetic

#[test]
fn synthetic_masters_load_cleanly_in_both_shapes() {
    let d = parse(&synthetic::detailed_string(20_000, 1));
    assert_eq!(d.len(), 20_000);
    assert!(
        d.report().skipped.is_empty()
            && d.report().unmapped.is_empty()
            && d.report().duplicate_ids.is_empty()
    );
    assert_eq!(d.find(NseEq, "RELIANCE", ANY).unwrap().security_id(), 2885);
    assert_eq!(d.find(NseEq, "TCS", ANY).unwrap().security_id(), 11536);
    assert_eq!(d.find(IdxI, "NIFTY", ANY).unwrap().security_id(), 13);
    assert_eq!(
        d.by_security_id(NseEq, 3045).unwrap().symbol_name(),
        "STATE BANK OF INDIA, LTD"
    );
    assert!(d.by_segment(NseFno).count() > 15_000);
    assert!(
        d.by_segment(NseFno)
            .all(|i| i.expiry_date().is_some() && i.underlying_security_id().is_some())
    );
    let c = parse(&synthetic::compact_string(20_000, 1));
    assert_eq!(c.len(), 20_000);
    assert_eq!(c.format(), MasterFormat::Compact);
    assert!(c.report().skipped.is_empty());
    assert_eq!(c.find(NseEq, "RELIANCE", ANY).unwrap().security_id(), 2885);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn quote(s: &str) -> String {
        format!("\"{}\"", s.replace('"', "\"\""))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any symbol name without a line break survives quoting, and finding it
        /// exactly returns its row.
        #[test]
        fn quoted_names_round_trip(names in proptest::collection::vec("[^\r\n]{1,24}", 1..20)) {
            let mut csv = String::from("EXCH_ID,SEGMENT,SECURITY_ID,SYMBOL_NAME,\n");
            for (i, n) in names.iter().enumerate() {
                csv.push_str(&format!("NSE,E,{i},{},\n", quote(n)));
            }
            let m = parse(&csv);
            prop_assert_eq!(m.len(), names.len());
            for (i, (inst, n)) in m.iter().zip(&names).enumerate() {
                prop_assert_eq!(inst.symbol_name(), n.trim_ascii());
                prop_assert_eq!(inst.security_id(), i as u32);
            }
            for n in &names {
                if n.trim_ascii().is_empty() { continue; }
                let hit = m.find(NseEq, n, FindOptions::new().exact().case_sensitive());
                prop_assert!(hit.is_some_and(|h| h.symbol_name() == n.trim_ascii()), "{:?}", n);
            }
        }

        /// Arbitrary bytes never panic the loader, and every line is either loaded,
        /// set aside, skipped or blank.
        #[test]
        fn arbitrary_rows_are_accounted_for(body in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let mut input = b"EXCH_ID,SEGMENT,SECURITY_ID,SYMBOL_NAME\n".to_vec();
            input.extend_from_slice(&body);
            let m = InstrumentMaster::from_reader(&input[..], &LoadOptions::default()).unwrap();
            let r = m.report();
            let pieces = body.split(|&b| b == b'\n').count();
            let lines = if body.is_empty() { 0 } else if body.ends_with(b"\n") { pieces - 1 } else { pieces };
            prop_assert_eq!(r.loaded + r.unmapped.len() + r.skipped.len() + r.blank_lines, lines);
        }
    }
}

// ---------------------------------------------------------------- download

/// A one-shot-per-response HTTP server on 127.0.0.1:0. Each connection gets the
/// next canned response; the request line of each is sent back on the channel.
fn serve(responses: Vec<Vec<u8>>) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for response in responses {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
            let Ok(clone) = stream.try_clone() else {
                return;
            };
            let mut reader = BufReader::new(clone);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
            }
            let _ = tx.send(first.trim_end().to_owned());
            let _ = stream.write_all(&response);
        }
    });
    (format!("http://{addr}"), rx)
}

fn http(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn age_file(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

const TWO_ROWS: &str = "EXCH_ID,SEGMENT,SECURITY_ID,SYMBOL_NAME,UNDERLYING_SYMBOL,\nNSE,E,2885,RELIANCE INDUSTRIES LTD,RELIANCE,\nNSE,I,13,NIFTY,NIFTY,\n";
const ONE_ROW: &str = "EXCH_ID,SEGMENT,SECURITY_ID,SYMBOL_NAME,\nNSE,E,11536,TCS,\n";

fn downloader(base: &str, dir: &Path) -> Download {
    Download::with_cache_dir(MasterKind::Detailed, dir)
        .url(format!("{base}/api-data/api-scrip-master-detailed.csv"))
        .timeout(Duration::from_secs(5))
        .max_age(Duration::from_secs(3600))
}

#[test]
fn download_then_cache_then_refresh_when_stale() {
    let dir = temp_dir("cycle");
    let (base, requests) = serve(vec![http("200 OK", TWO_ROWS), http("200 OK", ONE_ROW)]);
    let d = downloader(&base, &dir);
    let mut seen = Vec::new();
    let f = d.fetch(&mut |p| seen.push(p)).unwrap();
    assert_eq!(
        f.origin,
        Origin::Downloaded {
            bytes: TWO_ROWS.len() as u64
        }
    );
    assert_eq!(f.path, dir.join("api-scrip-master-detailed.csv"));
    assert_eq!(
        requests.recv_timeout(Duration::from_secs(5)).unwrap(),
        "GET /api-data/api-scrip-master-detailed.csv HTTP/1.1"
    );
    let last = seen.last().unwrap();
    assert_eq!(
        (last.downloaded, last.total),
        (TWO_ROWS.len() as u64, Some(TWO_ROWS.len() as u64))
    );

    // Fresh: served from the cache without a request.
    let (master, f) = d.load(&LoadOptions::strict(), &mut |_| {}).unwrap();
    assert!(matches!(f.origin, Origin::Cache { .. }), "{:?}", f.origin);
    assert_eq!(
        master.find(NseEq, "RELIANCE", ANY).unwrap().security_id(),
        2885
    );
    assert!(requests.try_recv().is_err());

    // Older than the maximum age: downloaded again.
    age_file(&f.path, 7200);
    let (master, f) = d.load(&LoadOptions::strict(), &mut |_| {}).unwrap();
    assert_eq!(
        f.origin,
        Origin::Downloaded {
            bytes: ONE_ROW.len() as u64
        }
    );
    assert_eq!(master.len(), 1);
    assert_eq!(master.find(NseEq, "TCS", ANY).unwrap().security_id(), 11536);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no partial files left: {leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failed_download_falls_back_to_stale_cache_untouched() {
    let dir = temp_dir("stale");
    let (base, _requests) = serve(vec![
        http("404 Not Found", "gone"),
        http("200 OK", "<html>maintenance</html>"),
        truncated(),
    ]);
    let d = downloader(&base, &dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(d.cache_path(), TWO_ROWS).unwrap();
    age_file(&d.cache_path(), 3 * 86_400);
    for expect in ["404", "not an instrument master", "disconnected"] {
        let f = d.fetch(&mut |_| {}).unwrap();
        match &f.origin {
            Origin::StaleCache { age, error } => {
                assert!(age.as_secs() >= 3 * 86_400 - 5, "{age:?}");
                assert!(error.contains(expect), "{error}");
            }
            other => panic!("expected StaleCache, got {other:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(&f.path).unwrap(),
            TWO_ROWS,
            "cache untouched"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn truncated() -> Vec<u8> {
    let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n".to_vec();
    r.extend_from_slice(TWO_ROWS.as_bytes());
    r
}

#[test]
fn failed_download_without_cache_is_an_error() {
    let dir = temp_dir("nocache");
    let (base, _requests) = serve(vec![http("500 Internal Server Error", "")]);
    let e = downloader(&base, &dir).fetch(&mut |_| {}).unwrap_err();
    assert!(
        matches!(e, InstrumentError::Download { .. }) && e.to_string().contains("500"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing cached"
    );
    // Nobody listening at all.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = downloader(&format!("http://127.0.0.1:{port}"), &dir)
        .fetch(&mut |_| {})
        .unwrap_err();
    assert!(matches!(e, InstrumentError::Download { .. }), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- command line

/// The `dhan-feed instruments` command, run as a process.
#[cfg(feature = "cli")]
mod command_line {
    use super::*;

    /// Runs `dhan-feed instruments ARGS…`: its standard output, or the message of its
    /// `error: …` line on failure.
    fn cli(args: &[&str]) -> Result<String, String> {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dhan-feed"))
            .arg("instruments")
            .args(args)
            .output()
            .expect("dhan-feed runs");
        if out.status.success() {
            Ok(String::from_utf8(out.stdout).unwrap())
        } else {
            let err = String::from_utf8(out.stderr).unwrap();
            let line = err.lines().find_map(|l| l.strip_prefix("error: "));
            Err(line.unwrap_or(&err).to_owned())
        }
    }

    #[test]
    fn cli_find_from_file() {
        let file = data("detailed_live.csv");
        let file = file.to_str().unwrap();
        let out = cli(&["find", "RELIANCE", "--file", file]).unwrap();
        assert!(
            out.contains("id                      NSE_EQ:2885\n"),
            "{out}"
        );
        assert!(out.contains("mtf_leverage            4.545455\n"), "{out}");
        assert!(out.contains("sell_co_min_margin_per  -\n"), "{out}");
        let out = cli(&["find", "reliance", "--segment", "bse_eq", "--file", file]).unwrap();
        assert!(out.contains("BSE_EQ:500325"), "{out}");
        // Several segments, searched in the order given (the seed's
        // find_anywhere(segments: [...])): commas or a repeated flag.
        let out = cli(&[
            "find",
            "reliance",
            "--segment",
            "bse_eq,nse_eq",
            "--file",
            file,
        ])
        .unwrap();
        assert!(
            out.contains("id                      BSE_EQ:500325\n"),
            "{out}"
        );
        let out = cli(&[
            "find",
            "reliance",
            "--segment",
            "nse_eq",
            "--segment",
            "bse_eq",
            "--file",
            file,
        ])
        .unwrap();
        assert!(
            out.contains("id                      NSE_EQ:2885\n"),
            "{out}"
        );
        let out = cli(&[
            "find",
            "reliance",
            "--all",
            "--segment",
            "bse_eq,nse_eq",
            "--file",
            file,
        ])
        .unwrap();
        let ids: Vec<&str> = out
            .lines()
            .skip(1)
            .filter_map(|l| l.split(' ').next())
            .collect();
        assert_eq!(ids[..2], ["BSE_EQ:500325", "NSE_EQ:2885"], "{out}");
        let e = cli(&[
            "find",
            "NOSUCH",
            "--exact",
            "--segment",
            "nse_eq,bse_eq",
            "--file",
            file,
        ])
        .unwrap_err();
        assert_eq!(e, r#"no instrument matches "NOSUCH" in NSE_EQ, BSE_EQ"#);
        let out = cli(&[
            "find",
            "nifty",
            "--all",
            "--segment",
            "NSE_FNO",
            "--file",
            file,
        ])
        .unwrap();
        assert_eq!(out.lines().count(), 4, "{out}");
        assert!(
            out.lines().nth(1).unwrap().starts_with("NSE_FNO:35070"),
            "{out}"
        );
        let out = cli(&["find", "NIFTY", "--all", "--limit", "1", "--file", file]).unwrap();
        assert!(
            out.contains("IDX_I:13") && out.contains("more (raise --limit)"),
            "{out}"
        );
        let e = cli(&[
            "find",
            "reliance",
            "--exact",
            "--case-sensitive",
            "--file",
            file,
        ])
        .unwrap_err();
        assert!(e.starts_with("no instrument matches"), "{e}");
        assert!(cli(&["find", "RELIAN", "--exact", "--file", file]).is_err());
        assert!(
            cli(&["find", "RELIAN", "--file", file])
                .unwrap()
                .contains("NSE_EQ:2885")
        );
    }

    #[test]
    fn cli_download_and_find_from_cache() {
        let dir = temp_dir("cli");
        let (base, _requests) = serve(vec![http("200 OK", TWO_ROWS)]);
        let url = format!("{base}/master.csv");
        let dir_s = dir.to_str().unwrap();
        let out = cli(&["download", "--url", &url, "--cache-dir", dir_s]).unwrap();
        assert!(
            out.starts_with("downloaded ") && out.contains("master.csv"),
            "{out}"
        );
        // Fresh now: no second request is needed (the server has no more responses).
        let out = cli(&[
            "find",
            "NIFTY",
            "--segment",
            "IDX_I",
            "--url",
            &url,
            "--cache-dir",
            dir_s,
        ])
        .unwrap();
        assert!(out.contains("IDX_I:13"), "{out}");
        let out = cli(&[
            "download",
            "--url",
            &url,
            "--cache-dir",
            dir_s,
            "--max-age",
            "1d",
        ])
        .unwrap();
        assert!(out.contains("is fresh"), "{out}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The master download had no size cap: a server that sends too much (or says
/// it will) is refused, with or without a Content-Length, and nothing is left in
/// the cache directory.
#[test]
fn a_body_over_the_size_limit_is_refused_and_nothing_is_cached() {
    let dir = temp_dir("toolarge");
    let big = format!("{TWO_ROWS}{}", "NSE,E,1,X,X,\n".repeat(50));
    let unannounced = format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{big}").into_bytes();
    let (base, _requests) = serve(vec![http("200 OK", &big), unannounced]);
    let d = downloader(&base, &dir).max_bytes(200);
    for _ in 0..2 {
        let e = d.refresh(&mut |_| {}).unwrap_err();
        assert!(
            matches!(e, InstrumentError::Download { .. })
                && e.to_string().contains("200 byte limit"),
            "{e}"
        );
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no cache file, no partial file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
