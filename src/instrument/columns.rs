//! The master's columns: which header names mean what, in the compact
//! (`SEM_*`) and the detailed file, and the mapping of one header row.

/// A logical column of the master.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Col {
    Exchange,
    Segment,
    SecurityId,
    Isin,
    Instrument,
    UnderlyingSecurityId,
    UnderlyingSymbol,
    SymbolName,
    DisplayName,
    InstrumentType,
    Series,
    LotSize,
    ExpiryDate,
    StrikePrice,
    OptionType,
    TickSize,
    ExpiryFlag,
    BracketFlag,
    CoverFlag,
    AsmGsmFlag,
    AsmGsmCategory,
    BuySellIndicator,
    BuyCoMinMarginPer,
    SellCoMinMarginPer,
    MtfLeverage,
    UpperLimit,
    LowerLimit,
    FreezeQty,
}

/// Every logical column with its accepted header names (detailed first, then
/// compact) and whether a row is unusable without it.
pub(crate) const COLUMNS: [(Col, &[&str], bool); 28] = [
    (Col::Exchange, &["EXCH_ID", "SEM_EXM_EXCH_ID"], true),
    (Col::Segment, &["SEGMENT", "SEM_SEGMENT"], true),
    (
        Col::SecurityId,
        &["SECURITY_ID", "SEM_SMST_SECURITY_ID"],
        true,
    ),
    (Col::Isin, &["ISIN"], false),
    (
        Col::Instrument,
        &["INSTRUMENT", "SEM_INSTRUMENT_NAME"],
        false,
    ),
    (
        Col::UnderlyingSecurityId,
        &["UNDERLYING_SECURITY_ID"],
        false,
    ),
    (
        Col::UnderlyingSymbol,
        &["UNDERLYING_SYMBOL", "SEM_TRADING_SYMBOL"],
        false,
    ),
    (Col::SymbolName, &["SYMBOL_NAME", "SM_SYMBOL_NAME"], true),
    (
        Col::DisplayName,
        &["DISPLAY_NAME", "SEM_CUSTOM_SYMBOL"],
        false,
    ),
    (
        Col::InstrumentType,
        &["INSTRUMENT_TYPE", "SEM_EXCH_INSTRUMENT_TYPE"],
        false,
    ),
    (Col::Series, &["SERIES", "SEM_SERIES"], false),
    (Col::LotSize, &["LOT_SIZE", "SEM_LOT_UNITS"], false),
    (
        Col::ExpiryDate,
        &["SM_EXPIRY_DATE", "SEM_EXPIRY_DATE", "EXPIRY_DATE"],
        false,
    ),
    (
        Col::StrikePrice,
        &["STRIKE_PRICE", "SEM_STRIKE_PRICE"],
        false,
    ),
    (Col::OptionType, &["OPTION_TYPE", "SEM_OPTION_TYPE"], false),
    (Col::TickSize, &["TICK_SIZE", "SEM_TICK_SIZE"], false),
    (Col::ExpiryFlag, &["EXPIRY_FLAG", "SEM_EXPIRY_FLAG"], false),
    (Col::BracketFlag, &["BRACKET_FLAG"], false),
    (Col::CoverFlag, &["COVER_FLAG"], false),
    (Col::AsmGsmFlag, &["ASM_GSM_FLAG"], false),
    (Col::AsmGsmCategory, &["ASM_GSM_CATEGORY"], false),
    (Col::BuySellIndicator, &["BUY_SELL_INDICATOR"], false),
    (Col::BuyCoMinMarginPer, &["BUY_CO_MIN_MARGIN_PER"], false),
    (Col::SellCoMinMarginPer, &["SELL_CO_MIN_MARGIN_PER"], false),
    (Col::MtfLeverage, &["MTF_LEVERAGE"], false),
    (Col::UpperLimit, &["SM_UPPER_LIMIT"], false),
    (Col::LowerLimit, &["SM_LOWER_LIMIT"], false),
    (Col::FreezeQty, &["SM_FREEZE_QTY"], false),
];

/// Which of Dhan's two CSV shapes a header belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MasterFormat {
    /// `api-scrip-master.csv`: 16 `SEM_*`/`SM_*` columns.
    Compact,
    /// `api-scrip-master-detailed.csv` (and the per-segment API): plain names with
    /// trading fields.
    Detailed,
}

/// The position of each logical column in one file's header.
#[derive(Clone, Debug)]
pub(crate) struct ColumnMap {
    /// Indexed by `Col as usize`.
    pos: [Option<usize>; COLUMNS.len()],
    /// The header name actually used for each column (for error messages).
    names: [&'static str; COLUMNS.len()],
    /// Number of named columns (unnamed trailing ones, e.g. after the trailing
    /// comma, are not counted).
    pub(crate) width: usize,
    pub(crate) format: MasterFormat,
}

impl ColumnMap {
    /// Maps a header row by name (trimmed, case-insensitive, BOM-tolerant); the
    /// first occurrence of a duplicated name wins. Fails on a missing required
    /// column.
    pub(crate) fn from_header<'h>(
        header: impl IntoIterator<Item = &'h str>,
    ) -> Result<Self, super::InstrumentError> {
        let mut pos = [None; COLUMNS.len()];
        let mut names = [""; COLUMNS.len()];
        let mut width = 0;
        let mut compact = false;
        for (i, raw) in header.into_iter().enumerate() {
            let name = raw.trim_start_matches('\u{feff}').trim();
            if name.is_empty() {
                continue;
            }
            width = i + 1;
            for (c, (_, accepted, _)) in COLUMNS.iter().enumerate() {
                if pos[c].is_some() {
                    continue;
                }
                if let Some(&n) = accepted.iter().find(|a| a.eq_ignore_ascii_case(name)) {
                    pos[c] = Some(i);
                    names[c] = n;
                    compact |= n.starts_with("SEM_") || n.starts_with("SM_SYMBOL");
                }
            }
        }
        for (c, (_, accepted, required)) in COLUMNS.iter().enumerate() {
            if *required && pos[c].is_none() {
                return Err(super::InstrumentError::MissingColumn {
                    column: accepted[0],
                    accepted,
                });
            }
        }
        let format = if compact {
            MasterFormat::Compact
        } else {
            MasterFormat::Detailed
        };
        Ok(Self {
            pos,
            names,
            width,
            format,
        })
    }

    /// The field index of a column, if the header has it.
    #[inline]
    pub(crate) fn pos(&self, col: Col) -> Option<usize> {
        self.pos[col as usize]
    }

    /// The header name used for a column (its canonical name if absent).
    pub(crate) fn name(&self, col: Col) -> &'static str {
        match self.names[col as usize] {
            "" => COLUMNS[col as usize].1[0],
            n => n,
        }
    }

    /// Canonical names of the optional columns this header lacks.
    pub(crate) fn missing_optional(&self) -> Vec<&'static str> {
        COLUMNS
            .iter()
            .enumerate()
            .filter(|(c, (_, _, required))| !required && self.pos[*c].is_none())
            .map(|(_, (_, accepted, _))| accepted[0])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_table_is_in_enum_order() {
        for (i, (col, _, _)) in COLUMNS.iter().enumerate() {
            assert_eq!(*col as usize, i);
        }
    }

    #[test]
    fn maps_detailed_header_with_trailing_comma_and_bom() {
        let header = "\u{feff}EXCH_ID,SEGMENT,SECURITY_ID,SYMBOL_NAME,mtf_leverage,";
        let map = ColumnMap::from_header(header.split(',')).unwrap();
        assert_eq!(map.format, MasterFormat::Detailed);
        assert_eq!(map.pos(Col::Exchange), Some(0));
        assert_eq!(map.pos(Col::MtfLeverage), Some(4));
        assert_eq!(map.name(Col::MtfLeverage), "MTF_LEVERAGE");
        assert_eq!(map.pos(Col::SellCoMinMarginPer), None);
        assert_eq!(map.width, 5);
        assert!(map.missing_optional().contains(&"SELL_CO_MIN_MARGIN_PER"));
    }

    #[test]
    fn maps_compact_header_and_reports_missing_required() {
        let header =
            "SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_TRADING_SYMBOL,SM_SYMBOL_NAME";
        let map = ColumnMap::from_header(header.split(',')).unwrap();
        assert_eq!(map.format, MasterFormat::Compact);
        assert_eq!(map.pos(Col::UnderlyingSymbol), Some(3));
        assert_eq!(map.name(Col::SecurityId), "SEM_SMST_SECURITY_ID");
        let err = ColumnMap::from_header("EXCH_ID,SEGMENT,SYMBOL_NAME".split(',')).unwrap_err();
        assert!(err.to_string().contains("SECURITY_ID"), "{err}");
    }
}
