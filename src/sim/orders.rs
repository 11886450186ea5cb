//! The order-update endpoint: the login message first, then order-update JSON
//! (PascalCase, one object per text frame) as the lifecycles produce them.

use super::config::SimConfig;
use super::flow::Flow;
use crate::proto::json::TapeParser;
use crate::proto::login::{Login, parse_login};
use crate::proto::order::{KeyCase, OrderUpdate, encode_order_update};
use crate::proto::order_status::OrderStatus;
use crate::proto::text::Text;

/// How a simulated order ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lifecycle {
    /// Transit → Pending → PartTraded → Traded.
    Traded,
    /// Transit → Rejected.
    Rejected,
    /// Transit → Pending → Cancelled.
    Cancelled,
    /// Transit → Pending → Expired.
    Expired,
}

impl Lifecycle {
    /// All lifecycles, in the order the periodic generator cycles through them.
    pub const ALL: [Lifecycle; 4] = [Self::Traded, Self::Rejected, Self::Cancelled, Self::Expired];

    /// The statuses and traded quantities (of 100) of each step.
    pub fn steps(self) -> &'static [(OrderStatus, i64)] {
        use OrderStatus::*;
        match self {
            Self::Traded => &[(Transit, 0), (Pending, 0), (PartTraded, 40), (Traded, 100)],
            Self::Rejected => &[(Transit, 0), (Rejected, 0)],
            Self::Cancelled => &[(Transit, 0), (Pending, 0), (Cancelled, 0)],
            Self::Expired => &[(Transit, 0), (Pending, 0), (Expired, 0)],
        }
    }
}

/// The update for step `status`/`traded` of order `order_no`, as the simulator sends it.
pub fn lifecycle_update(
    order_no: u64,
    status: OrderStatus,
    traded: i64,
    client_id: &str,
) -> OrderUpdate {
    let mut u = crate::proto::sample::order_update(&order_no.to_string(), status, traded);
    u.client_id = Text::new(client_id);
    // Each order its own exchange order number.
    u.exch_order_no = Text::new(&format!("11{order_no:014}"));
    if status == OrderStatus::Rejected {
        u.reason_description = Text::new("RMS: margin exceeds available funds");
    }
    u
}

/// Encodes an update in Dhan's PascalCase.
pub fn encode(u: &OrderUpdate) -> Vec<u8> {
    let mut out = Vec::with_capacity(1536);
    encode_order_update(u, KeyCase::Pascal, &mut out);
    out
}

pub(crate) struct OrderLogic {
    parser: TapeParser,
    pub logged_in: Option<String>,
    /// The access token of a SELF login.
    pub token: Option<crate::Secret>,
}

impl OrderLogic {
    pub fn new() -> Self {
        Self {
            parser: TapeParser::new(),
            logged_in: None,
            token: None,
        }
    }

    /// Handles a text message: the first must be a valid login.
    /// `token`: the access token accepted now.
    pub fn on_text(&mut self, text: &[u8], cfg: &SimConfig, valid: &crate::Secret) -> Flow {
        if self.logged_in.is_some() {
            return Flow::Continue;
        }
        match parse_login(&mut self.parser, text) {
            Ok(Login::SelfUser { client_id, token })
                if client_id == cfg.client_id && token == *valid =>
            {
                self.logged_in = Some(cfg.client_id.expose().to_owned());
                self.token = Some(token);
                Flow::LoggedIn
            }
            Ok(Login::Partner { partner_id, secret })
                if partner_id == cfg.partner_id && secret == cfg.partner_secret =>
            {
                self.logged_in = Some(cfg.partner_id.expose().to_owned());
                Flow::LoggedIn
            }
            Ok(_) => Flow::Refuse("login refused: bad credentials"),
            Err(e) => {
                log::debug!("sim orders: bad login: {e}");
                Flow::Refuse("login refused: malformed login message")
            }
        }
    }
}
