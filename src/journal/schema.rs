//! The journal's Arrow schema: one row per record, its version in the schema's
//! metadata.

use arrow_schema::{DataType, Field, Schema};
use std::collections::HashMap;
use std::sync::Arc;

/// The journal format version this build writes and reads.
pub const JOURNAL_VERSION: u32 = 1;

/// The metadata key of the format version.
pub const VERSION_KEY: &str = "dhan_feed.journal.version";

/// The columns, in order.
pub const COLUMNS: [&str; 6] = [
    "recv_mono_ns",
    "recv_wall_ns",
    "conn",
    "feed",
    "kind",
    "payload",
];

/// The schema of every journal file, its metadata naming the format version,
/// the writing crate's version and the meaning of the codes.
pub(crate) fn schema() -> Arc<Schema> {
    let fields = vec![
        Field::new(COLUMNS[0], DataType::UInt64, false),
        Field::new(COLUMNS[1], DataType::Int64, false),
        Field::new(COLUMNS[2], DataType::UInt16, false),
        Field::new(COLUMNS[3], DataType::UInt8, false),
        Field::new(COLUMNS[4], DataType::UInt8, false),
        Field::new(COLUMNS[5], DataType::Binary, false),
    ];
    let meta = HashMap::from([
        (VERSION_KEY.to_owned(), JOURNAL_VERSION.to_string()),
        (
            "dhan_feed.crate_version".to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
        (
            "dhan_feed.feed_codes".to_owned(),
            "0=market_feed 1=depth20 2=depth200 3=order_update 4=global_stocks 255=every (gap)"
                .to_owned(),
        ),
        (
            "dhan_feed.kind_codes".to_owned(),
            "0=binary received 1=text received 2=text sent 3=connection event (tag byte: 0=connected 1=reconnected 2=disconnected 3=reconnecting 4=error; then text) 4=gap (u64 LE: records missed)"
                .to_owned(),
        ),
        (
            "dhan_feed.time".to_owned(),
            "recv_mono_ns: the client's monotonic clock (dhan_feed::now_ns); recv_wall_ns: Unix ns".to_owned(),
        ),
    ]);
    Arc::new(Schema::new_with_metadata(fields, meta))
}
