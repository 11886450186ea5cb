//! The names `watch` shows for instruments: trading symbols from an instrument
//! master (`--instruments-file`, else Dhan's master cached by `dhan-feed
//! instruments download` when present), else the simulator's table of
//! well-known instruments, else `SEGMENT:ID`.

use crate::stderr::note;
use crate::watch_args::{WatchArgs, WatchError};
use dhan_feed::instrument::{
    Download, InstrumentMaster as Master, LoadOptions, MasterKind, SegmentCode,
};
use dhan_feed::proto::segment::InstrumentId;
use std::collections::HashMap;
use std::path::PathBuf;

/// Names of the instruments `watch` subscribed.
#[derive(Debug, Default)]
pub struct Names {
    from_master: HashMap<InstrumentId, String>,
}

impl Names {
    /// Looks up `ids` in the master `args` points at (or the cached one).
    /// An explicit `--instruments-file` that cannot be read is an error; a
    /// cached master that cannot is said once and skipped.
    pub fn load(args: &WatchArgs, ids: &[InstrumentId]) -> Result<Names, WatchError> {
        if ids.is_empty() && args.instruments_file.is_none() {
            return Ok(Names::default());
        }
        let (path, explicit) = match &args.instruments_file {
            Some(p) => (p.clone(), true),
            None => match cached_master() {
                Some(p) => (p, false),
                None => return Ok(Names::default()),
            },
        };
        let master = match Master::from_path(&path, &LoadOptions::default()) {
            Ok(m) => m,
            Err(e) if explicit => return Err(WatchError::Instruments(e)),
            Err(e) => {
                note!(
                    "dhan-feed watch: the cached instrument master {} could not be read ({e}); showing ids",
                    path.display()
                );
                return Ok(Names::default());
            }
        };
        let from_master: HashMap<InstrumentId, String> = ids
            .iter()
            .filter_map(|&id| Some((id, trading_symbol(&master.get(id)?)?)))
            .collect();
        note!(
            "dhan-feed watch: names of {} of {} instruments from {}",
            from_master.len(),
            ids.len(),
            path.display()
        );
        Ok(Names { from_master })
    }

    /// The name to show for `id`.
    pub fn of(&self, id: InstrumentId) -> String {
        self.from_master
            .get(&id)
            .cloned()
            .or_else(|| dhan_feed::sim::symbol_of(id).map(str::to_owned))
            .unwrap_or_else(|| id.to_string())
    }
}

/// The detailed (else compact) master in the default cache directory, if any.
fn cached_master() -> Option<PathBuf> {
    [MasterKind::Detailed, MasterKind::Compact]
        .into_iter()
        .filter_map(|k| Download::new(k).ok())
        .map(|d| d.cache_path())
        .find(|p| p.is_file())
}

/// What a trader calls an instrument: the symbol of a stock or an index
/// (`RELIANCE`, `NIFTY`), the display name of a contract (`NIFTY 23 NOV 18950
/// CALL`).
fn trading_symbol(i: &dhan_feed::instrument::Instrument<'_>) -> Option<String> {
    let s = match i.segment() {
        SegmentCode::Equity | SegmentCode::Index => i.underlying_symbol(),
        _ => i.display_name(),
    };
    Some(s.unwrap_or(i.symbol_name()).to_owned()).filter(|s| !s.is_empty())
}
