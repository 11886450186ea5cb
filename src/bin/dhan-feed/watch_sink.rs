//! `dhan-feed watch --sink sqlite:PATH`: what `watch` shows (the market feed,
//! the depth books or the order updates; the order updates in every mode)
//! stored in a database by a sink thread of its own (`dhan_feed::sink`).

use crate::stderr::note;
use crate::watch_args::{SinkSpec, WatchArgs, WatchError};
use dhan_feed::proto::segment::InstrumentId;
use dhan_feed::sink::{Sink, SinkConfig, SinkFeeds};
use dhan_feed::{Client, FeedMode};

/// Opens every `--sink`, each on handles of its own that `feeds` makes (its own
/// rings; the order handles share the user's one order connection).
pub fn start(
    args: &WatchArgs,
    mut feeds: impl FnMut() -> Result<SinkFeeds, WatchError>,
) -> Result<Vec<(SinkSpec, Sink)>, WatchError> {
    let mut sinks = Vec::new();
    for spec in &args.sink {
        let feeds = feeds()?;
        let sink = match spec {
            SinkSpec::Sqlite(path) => Sink::sqlite(path, feeds, SinkConfig::default())
                .map_err(|e| WatchError::Sink(e.to_string()))?,
            #[cfg(feature = "postgres")]
            SinkSpec::Postgres(url) => Sink::postgres(url, feeds, SinkConfig::default())
                .map_err(|e| WatchError::Sink(e.to_string()))?,
            #[cfg(not(feature = "postgres"))]
            SinkSpec::Postgres(_) => {
                return Err(WatchError::Sink(format!(
                    "{spec}: this dhan-feed was built without PostgreSQL (build it with --features postgres), or use sqlite:PATH"
                )));
            }
            SinkSpec::Invalid(_) => {
                return Err(WatchError::Sink(format!(
                    "{spec}: expected sqlite:PATH or postgres://user@host/db"
                )));
            }
        };
        note!("dhan-feed watch: storing into {spec}");
        sinks.push((spec.clone(), sink));
    }
    Ok(sinks)
}

/// A sink's market feed in `mode` on `instruments`, and the order updates.
pub fn market(
    client: &Client,
    mode: FeedMode,
    instruments: &[InstrumentId],
) -> Result<SinkFeeds, WatchError> {
    let mut feed = client.market_feed(mode);
    feed.subscribe(instruments)?;
    Ok(SinkFeeds::new().market(feed).orders(client.order_updates()))
}

/// Commits what waits and says what each sink stored; an error when a sink
/// stopped with rows it could not commit (after every sink has stopped).
pub fn stop(sinks: Vec<(SinkSpec, Sink)>) -> Result<(), WatchError> {
    let mut failed = None;
    for (spec, sink) in sinks {
        match sink.stop() {
            Ok(s) => note!(
                "sink {spec}: {} rows in {} commits; {} events missed (in the gaps table)",
                s.rows,
                s.commits,
                s.missed
            ),
            Err(e) => {
                note!("sink {spec}: {e}");
                failed.get_or_insert(format!("{spec}: {e}"));
            }
        }
    }
    failed.map_or(Ok(()), |e| Err(WatchError::Sink(e)))
}
