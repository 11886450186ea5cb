//! `dhan-feed watch --sink sqlite:PATH`: the market feed (and the order updates)
//! stored in a database by a sink thread of its own (`dhan_feed::sink`).

use crate::stderr::note;
use crate::watch_args::{SinkSpec, WatchArgs, WatchError};
use dhan_feed::proto::segment::InstrumentId;
use dhan_feed::sink::{Sink, SinkConfig, SinkFeeds};
use dhan_feed::{Client, FeedMode};

/// Opens every `--sink`, each on a market feed of its own in `mode`; the order
/// feed goes to the first when `orders` (nothing else takes it).
pub fn start(
    args: &WatchArgs,
    client: &Client,
    mode: FeedMode,
    instruments: &[InstrumentId],
    orders: bool,
) -> Result<Vec<(SinkSpec, Sink)>, WatchError> {
    let mut sinks = Vec::new();
    for (i, spec) in args.sink.iter().enumerate() {
        let mut feed = client.market_feed(mode);
        feed.subscribe(instruments)?;
        let mut feeds = SinkFeeds::new().market(feed);
        if orders && i == 0 {
            feeds = feeds.orders(client.order_updates());
        }
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

/// Commits what waits and says what each sink stored.
pub fn stop(sinks: Vec<(SinkSpec, Sink)>) {
    for (spec, sink) in sinks {
        match sink.stop() {
            Ok(s) => note!(
                "sink {spec}: {} rows in {} commits; {} events missed (in the gaps table)",
                s.rows,
                s.commits,
                s.missed
            ),
            Err(e) => note!("sink {spec}: {e}"),
        }
    }
}
