//! Per-connection logic, pure (no sockets, threads or clock reads; time comes in as
//! `now`): the reconnect state machine ([`lifecycle`]), jittered backoff
//! ([`backoff`]), the per-user connection budget ([`budget`]), subscription
//! planning ([`subs`]) and a property checker that drives them all ([`check`]).
//! The engine owns the sockets and drives these.

pub mod backoff;
pub mod budget;
pub mod check;
pub(crate) mod driver;
pub mod driver_check;
pub mod lifecycle;
pub mod subs;
pub(crate) mod trace;

pub use budget::{Budget, BudgetConfig};
pub(crate) use driver::Proto;
pub use lifecycle::{
    Cause, DnsFailure, Lifecycle, LifecycleConfig, SessionError, SessionEvent, TlsFailure,
};
