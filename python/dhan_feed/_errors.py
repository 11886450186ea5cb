"""The exceptions of dhan_feed: every one is a DhanFeedError; those about bad
input are ValueErrors too, the I/O one an OSError too."""


class DhanFeedError(Exception):
    """Every error of dhan_feed."""


class ConfigError(DhanFeedError, ValueError):
    """A bad setting: credentials, URL, certificate file, ring size."""


class InstrumentError(DhanFeedError, ValueError):
    """An instrument that cannot be parsed (``"NSE_EQ:2885"`` is the form) or found."""


class SubscribeError(DhanFeedError):
    """A subscription the engine refused (Dhan's limits, a handle that is gone)."""


class ClientStoppedError(DhanFeedError):
    """The client's I/O thread no longer runs: it was stopped, or it died (the message says why)."""


class ClientClosedError(DhanFeedError):
    """A client or handle used after ``close()`` (or its ``with`` block)."""


class FeedIOError(DhanFeedError, OSError):
    """An I/O failure of the engine."""


class SimulatorError(DhanFeedError):
    """The simulator could not start or be driven."""
