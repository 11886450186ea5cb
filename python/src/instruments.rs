//! `InstrumentMaster` and `Instrument`: Dhan's instrument master (its CSV,
//! compact or detailed) loaded once and searched, for the ``"SEGMENT:ID"``
//! strings the handles subscribe.

use crate::errors::{bad_value, to_py};
use crate::wait::parse_instruments;
use dhan_feed::ExchangeSegment;
use dhan_feed::instrument::{FindOptions, LoadOptions};
use pyo3::prelude::*;

/// Dhan's instrument master, loaded and indexed (about 180 bytes a row).
/// ``dhan-feed instruments download`` fetches the file; ``EXAMPLE_CSV`` is a
/// small one for tests.
#[pyclass(module = "dhan_feed", frozen)]
pub struct InstrumentMaster(dhan_feed::instrument::InstrumentMaster);

fn segment(s: &str) -> PyResult<ExchangeSegment> {
    s.parse()
        .map_err(|e| bad_value(format!("segment {s:?}: {e}")))
}

fn options(exact: bool, case_sensitive: bool) -> FindOptions {
    let mut o = FindOptions::new();
    if exact {
        o = o.exact();
    }
    if case_sensitive {
        o = o.case_sensitive();
    }
    o
}

#[pymethods]
impl InstrumentMaster {
    /// Loads the CSV file at ``path`` (a malformed row is skipped and counted in
    /// ``skipped``; a file that is not an instrument master raises
    /// ``InstrumentError``).
    #[staticmethod]
    fn from_path(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        py.detach(|| {
            dhan_feed::instrument::InstrumentMaster::from_path(&path, &LoadOptions::default())
        })
        .map(Self)
        .map_err(|e| to_py(py, e.into()))
    }

    /// Loads the CSV text ``csv``.
    #[staticmethod]
    fn from_csv(py: Python<'_>, csv: &str) -> PyResult<Self> {
        dhan_feed::instrument::InstrumentMaster::from_reader(
            csv.as_bytes(),
            &LoadOptions::default(),
        )
        .map(Self)
        .map_err(|e| to_py(py, e.into()))
    }

    /// The best match for ``symbol`` (trading symbol, symbol name or underlying;
    /// a substring unless ``exact``), in ``segment`` (``"NSE_EQ"``…) or, without
    /// one, in every segment in Dhan's usual order; ``None`` if nothing matches.
    #[pyo3(signature = (symbol, segment=None, *, exact=false, case_sensitive=false))]
    fn find(
        &self,
        symbol: &str,
        segment: Option<&str>,
        exact: bool,
        case_sensitive: bool,
    ) -> PyResult<Option<Instrument>> {
        let o = options(exact, case_sensitive);
        Ok(match segment {
            Some(s) => self.0.find(self::segment(s)?, symbol, o),
            None => self.0.find_anywhere(symbol, &[], o),
        }
        .map(|i| Instrument::of(&i)))
    }

    /// Every match for ``symbol`` in ``segment``, best first, at most ``limit``.
    #[pyo3(signature = (symbol, segment, *, exact=false, case_sensitive=false, limit=100))]
    fn find_all(
        &self,
        symbol: &str,
        segment: &str,
        exact: bool,
        case_sensitive: bool,
        limit: usize,
    ) -> PyResult<Vec<Instrument>> {
        Ok(self
            .0
            .find_all(
                self::segment(segment)?,
                symbol,
                options(exact, case_sensitive),
            )
            .iter()
            .take(limit)
            .map(Instrument::of)
            .collect())
    }

    /// The instrument ``"SEGMENT:ID"``, or ``None``.
    fn get(&self, py: Python<'_>, instrument: String) -> PyResult<Option<Instrument>> {
        let id = parse_instruments(py, std::slice::from_ref(&instrument))?[0];
        Ok(self.0.get(id).map(|i| Instrument::of(&i)))
    }

    /// Rows the load skipped as malformed.
    #[getter]
    fn skipped(&self) -> usize {
        self.0.report().skipped.len()
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __repr__(&self) -> String {
        format!("<InstrumentMaster {} instruments>", self.0.len())
    }
}

/// One row of the instrument master (a copy: it outlives the master).
/// ``instrument`` is what ``subscribe`` takes.
#[pyclass(module = "dhan_feed", frozen, get_all)]
pub struct Instrument {
    /// ``"SEGMENT:ID"``.
    instrument: String,
    /// The exchange segment (``"NSE_EQ"``…).
    segment: String,
    /// The security id.
    security_id: u32,
    /// The symbol name (``"RELIANCE INDUSTRIES LTD"``).
    symbol_name: String,
    /// The display name, if the file has it.
    display_name: Option<String>,
    /// The underlying symbol (``"RELIANCE"``), if any.
    underlying_symbol: Option<String>,
    /// The ISIN, if any.
    isin: Option<String>,
    /// The instrument type (``"EQUITY"``, ``"OPTIDX"``…), if any.
    instrument_type: Option<String>,
    /// The series, if any.
    series: Option<String>,
    /// The lot size, if any.
    lot_size: Option<f64>,
    /// The tick size in rupees, if any.
    tick_size: Option<f64>,
    /// The expiry date (``"YYYY-MM-DD"``), if any.
    expiry_date: Option<String>,
    /// The strike price, if any.
    strike_price: Option<f64>,
    /// ``"CE"`` or ``"PE"`` for an option.
    option_type: Option<String>,
    /// The day's price band, if the file has it.
    lower_limit: Option<f64>,
    /// See ``lower_limit``.
    upper_limit: Option<f64>,
    /// The freeze quantity, if the file has it.
    freeze_quantity: Option<f64>,
    /// Whether it can be traded (not blocked by its buy/sell indicator).
    tradable: bool,
}

impl Instrument {
    fn of(i: &dhan_feed::instrument::Instrument<'_>) -> Self {
        let s = |x: Option<&str>| x.map(str::to_owned);
        Self {
            instrument: i.id().to_string(),
            segment: i.exchange_segment().to_string(),
            security_id: i.security_id(),
            symbol_name: i.symbol_name().to_owned(),
            display_name: s(i.display_name()),
            underlying_symbol: s(i.underlying_symbol()),
            isin: s(i.isin()),
            instrument_type: s(i.instrument_type()),
            series: s(i.series()),
            lot_size: i.lot_size(),
            tick_size: i.tick_size_rupees(),
            expiry_date: i.expiry_date().map(|d| d.to_string()),
            strike_price: i.strike_price(),
            option_type: i.option_type().map(|o| o.as_str().to_owned()),
            lower_limit: i.lower_limit(),
            upper_limit: i.upper_limit(),
            freeze_quantity: i.freeze_quantity(),
            tradable: i.is_tradable(),
        }
    }
}

#[pymethods]
impl Instrument {
    fn __repr__(&self) -> String {
        format!("<Instrument {} {:?}>", self.instrument, self.symbol_name)
    }
}
