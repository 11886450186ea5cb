//! The five WebSocket endpoints and how their URLs route (docs/protocol.md
//! §1). Pure: the client builds URLs with it, the simulator routes with it.

use crate::secret::Secret;
use std::fmt;

/// Which Dhan WebSocket a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FeedKind {
    /// Live market feed (binary).
    MarketFeed,
    /// 20-level market depth (binary).
    Depth20,
    /// 200-level market depth (binary).
    Depth200,
    /// Live order updates (JSON).
    OrderUpdate,
    /// Global Stocks (US) feed (JSON requests, binary packets).
    GlobalStocks,
}

impl FeedKind {
    /// All five kinds.
    pub const ALL: [FeedKind; 5] = [
        Self::MarketFeed,
        Self::Depth20,
        Self::Depth200,
        Self::OrderUpdate,
        Self::GlobalStocks,
    ];

    /// A short name: `market`, `depth20`, `depth200`, `orders`, `global`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::MarketFeed => "market",
            Self::Depth20 => "depth20",
            Self::Depth200 => "depth200",
            Self::OrderUpdate => "orders",
            Self::GlobalStocks => "global",
        }
    }

    /// The feed's name in messages and log lines: "market feed", "20-level
    /// depth", "200-level depth", "order updates", "global stocks feed".
    pub const fn label(self) -> &'static str {
        match self {
            Self::MarketFeed => "market feed",
            Self::Depth20 => "20-level depth",
            Self::Depth200 => "200-level depth",
            Self::OrderUpdate => "order updates",
            Self::GlobalStocks => "global stocks feed",
        }
    }

    /// Dhan's production base URL for this feed.
    pub const fn production_base(self) -> &'static str {
        match self {
            Self::MarketFeed => "wss://api-feed.dhan.co",
            Self::Depth20 => "wss://depth-api-feed.dhan.co",
            Self::Depth200 => "wss://full-depth-api.dhan.co",
            Self::OrderUpdate => "wss://api-order-update.dhan.co",
            Self::GlobalStocks => "wss://global-stocks-api-feed.dhan.co",
        }
    }
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The request target (`/path?query`) for a feed, with credentials in the query
/// for the binary feeds (in the documented parameter order; the Global Stocks
/// feed's in the official SDK's) and none for the order feed, whose credentials
/// go in the login message.
///
/// Each credential is percent-encoded (every byte but `A–Z a–z 0–9 - . _ ~`), so a
/// Dhan token (base64url and dots) goes on the wire as it is, and a value with a
/// space, `&` or a line break cannot change the request line or its headers.
///
/// The result contains secrets: log [`redacted_target`] instead.
pub fn request_target(kind: FeedKind, token: &Secret, client_id: &Secret) -> String {
    let creds = format!(
        "token={}&clientId={}&authType=2",
        percent_encode(token.expose()),
        percent_encode(client_id.expose())
    );
    match kind {
        FeedKind::MarketFeed => format!("/?version=2&{creds}"),
        FeedKind::Depth20 => format!("/twentydepth?{creds}"),
        FeedKind::Depth200 => format!("/twohundreddepth?{creds}"),
        FeedKind::OrderUpdate => "/".to_owned(),
        FeedKind::GlobalStocks => format!(
            "/?clientId={}&token={}&authType=2&version=2",
            percent_encode(client_id.expose()),
            percent_encode(token.expose())
        ),
    }
}

/// A request target (or a whole URL) with every credential value replaced by
/// `***`, for logs: the values of credential-like query keys, and any
/// `user:password@` before the host.
pub fn redacted_target(target: &str) -> String {
    let target = &redacted_userinfo(target);
    let Some((path, query)) = target.split_once('?') else {
        return target.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if is_secret_key(k) => format!("{k}=***"),
            Some((k, v)) => format!("{k}={v}"),
            None => kv.to_owned(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// `scheme://***@host…` for a URL with user information in its authority.
fn redacted_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Whether a query key names a credential: any key containing `token`, `secret`,
/// `client` or `partner` (case-insensitive), so `accessToken`, `client-id` and
/// `partner_secret` are covered as well as Dhan's own `token` and `clientId`.
fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    ["token", "secret", "client", "partner"]
        .iter()
        .any(|s| k.contains(s))
}

/// A routed request: which feed and the credentials the URL carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The feed.
    pub kind: FeedKind,
    /// `token`, if present.
    pub token: Option<Secret>,
    /// `clientId`, if present.
    pub client_id: Option<Secret>,
    /// `authType`, if present.
    pub auth_type: Option<String>,
}

/// Why a request target does not route.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no Dhan endpoint at path {path:?}")]
pub struct RouteError {
    /// The path that did not match.
    pub path: String,
}

/// `s` with every byte outside RFC 3986's unreserved set written as `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%')
            .then(|| s.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let Some(v) = hex {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Routes a request target the way Dhan's hosts do:
/// `/?version=2&…` → market feed; `/twentydepth?…` → 20-level depth;
/// `/twohundreddepth?…` and `/?token=…` without `version` → 200-level depth;
/// `/` with no query → order updates.
///
/// The Global Stocks feed's target has the market feed's shape (it only lives
/// on another host), so it routes as the market feed here: a server for both
/// tells them apart by listener (see [`route_global`]).
pub fn route(target: &str) -> Result<Route, RouteError> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut version = None;
    let mut token = None;
    let mut client_id = None;
    let mut auth_type = None;
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let v = percent_decode(v);
        match k {
            "version" => version = Some(v),
            "token" => token = Some(Secret::new(v)),
            "clientId" => client_id = Some(Secret::new(v)),
            "authType" => auth_type = Some(v),
            _ => {}
        }
    }
    let kind = match path {
        "" | "/" if version.is_some() => FeedKind::MarketFeed,
        "" | "/" if query.is_empty() => FeedKind::OrderUpdate,
        "" | "/" => FeedKind::Depth200,
        "/twentydepth" => FeedKind::Depth20,
        "/twohundreddepth" => FeedKind::Depth200,
        other => {
            return Err(RouteError {
                path: other.to_owned(),
            });
        }
    };
    Ok(Route {
        kind,
        token,
        client_id,
        auth_type,
    })
}

/// Routes a request target that arrived on a Global Stocks host: the root path,
/// credentials as [`route`] reads them.
pub fn route_global(target: &str) -> Result<Route, RouteError> {
    let mut r = route(target)?;
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    if !matches!(path, "" | "/") {
        return Err(RouteError {
            path: path.to_owned(),
        });
    }
    r.kind = FeedKind::GlobalStocks;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_route_back_to_their_feed() {
        let t = Secret::new("tok");
        let c = Secret::new("1000000001");
        for kind in FeedKind::ALL {
            let target = request_target(kind, &t, &c);
            let r = if kind == FeedKind::GlobalStocks {
                // Same shape as the market feed's: it routes by host.
                assert_eq!(route(&target).unwrap().kind, FeedKind::MarketFeed);
                route_global(&target).unwrap()
            } else {
                route(&target).unwrap()
            };
            assert_eq!(r.kind, kind, "{}", redacted_target(&target));
            if kind != FeedKind::OrderUpdate {
                assert_eq!(r.token.as_ref().unwrap().expose(), "tok");
                assert_eq!(r.client_id.as_ref().unwrap().expose(), "1000000001");
                assert_eq!(r.auth_type.as_deref(), Some("2"));
            }
        }
    }

    #[test]
    fn python_sdk_paths() {
        // The Python SDK's market feed URL has no '/' before '?'.
        assert_eq!(
            route("?version=2&token=a&clientId=b&authType=2")
                .unwrap()
                .kind,
            FeedKind::MarketFeed
        );
        // Its 200-level depth uses the root path.
        assert_eq!(
            route("/?token=a&clientId=b&authType=2").unwrap().kind,
            FeedKind::Depth200
        );
        assert_eq!(route("/").unwrap().kind, FeedKind::OrderUpdate);
        assert!(route("/nope?token=a").is_err());
        assert_eq!(
            route("/?version=2&token=a%2Bb")
                .unwrap()
                .token
                .unwrap()
                .expose(),
            "a+b"
        );
    }

    #[test]
    fn credentials_are_percent_encoded_and_round_trip() {
        let token = "eyJhbGciOiJIUzUxMiJ9.a-b_c~d";
        let odd = "a b&c=d+e\r\nX-Injected: 1%";
        let target = request_target(FeedKind::MarketFeed, &Secret::new(token), &Secret::new(odd));
        // A JWT-shaped token goes on the wire unchanged.
        assert!(target.contains(&format!("token={token}&")), "{target}");
        assert!(!target.contains([' ', '\r', '\n', '+']), "{target}");
        assert_eq!(target.matches('&').count(), 3, "{target}");
        let r = route(&target).unwrap();
        assert_eq!(r.token.unwrap().expose(), token);
        assert_eq!(r.client_id.unwrap().expose(), odd);
    }

    #[test]
    fn redaction_hides_user_information() {
        assert_eq!(
            redacted_target("wss://user:tok-SECRET@api-feed.dhan.co:443/x?version=2"),
            "wss://***@api-feed.dhan.co:443/x?version=2"
        );
        assert_eq!(
            redacted_target("ws://tok-SECRET@h?token=T"),
            "ws://***@h?token=***"
        );
        // An @ in the query is not user information.
        assert_eq!(redacted_target("wss://h/?x=a@b"), "wss://h/?x=a@b");
    }

    #[test]
    fn redaction_covers_credential_like_keys() {
        let r = redacted_target("wss://h/?accessToken=A1&client-id=B2&partner_secret=C3&version=2");
        assert!(
            !r.contains("A1") && !r.contains("B2") && !r.contains("C3"),
            "{r}"
        );
        assert!(r.contains("version=2"), "{r}");
    }

    #[test]
    fn redaction_hides_every_credential() {
        let target = request_target(
            FeedKind::MarketFeed,
            &Secret::new("SECRET-T"),
            &Secret::new("CID-123"),
        );
        let r = redacted_target(&target);
        assert!(!r.contains("SECRET-T") && !r.contains("CID-123"), "{r}");
        assert!(r.contains("version=2") && r.contains("token=***") && r.contains("clientId=***"));
    }
}
