"""dhan_feed: DhanHQ v2 live market feed, 20/200-level depth and order updates
for Python strategies, on dhan-feed's Rust engine (its own I/O thread, its
decoders, its reconnects; the GIL is released while a call waits).

    import dhan_feed
    with dhan_feed.Simulator() as sim:
        client = dhan_feed.Client(sim.client_id, sim.access_token,
                                  url=sim.url, ca_file=sim.ca_file)
        feed = client.market_feed("quote")
        feed.subscribe(["NSE_EQ:2885", "IDX_I:13"])
        for ev in feed:                   # each event waited for; ends after "stopped"
            print(ev.kind, ev.instrument, ev.ltp)
"""

from ._errors import (
    ClientClosedError,
    ClientStoppedError,
    ConfigError,
    DhanFeedError,
    FeedIOError,
    InstrumentError,
    SimulatorError,
    SubscribeError,
)
from ._native import (
    BATCH_DTYPE,
    Client,
    DepthBook,
    DepthEvent,
    DepthFeed,
    EXAMPLE_CSV,
    Instrument,
    InstrumentMaster,
    MarketEvent,
    MarketFeed,
    OrderEvent,
    OrderFeed,
    Replay,
    Simulator,
    __version__,
    now_ns,
)

__all__ = [
    "BATCH_DTYPE",
    "Client",
    "ClientClosedError",
    "ClientStoppedError",
    "ConfigError",
    "DepthBook",
    "DepthEvent",
    "DepthFeed",
    "DhanFeedError",
    "EXAMPLE_CSV",
    "FeedIOError",
    "Instrument",
    "InstrumentError",
    "InstrumentMaster",
    "MarketEvent",
    "MarketFeed",
    "OrderEvent",
    "OrderFeed",
    "Replay",
    "Simulator",
    "SimulatorError",
    "SubscribeError",
    "__version__",
    "now_ns",
]
