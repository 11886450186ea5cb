//! The raw-frame trace for support tickets: each inbound message's first 256
//! bytes as hex, logged at `trace` under [`FRAME_LOG_TARGET`], with every
//! credential masked first. Off by default; when off a message pays one
//! pointer test.

/// The log target of the frame trace.
pub const FRAME_LOG_TARGET: &str = "dhan_feed::frames";

/// Bytes of each message traced.
const TRACED: usize = 256;

/// A connection's frame trace: its name and the credentials to mask (which its
/// `Debug` never shows).
#[derive(Clone)]
pub(crate) struct FrameTrace {
    label: &'static str,
    secrets: Vec<Vec<u8>>,
}

impl FrameTrace {
    /// A trace for connections of `label` masking each of `secrets` (empty
    /// ones are skipped).
    pub fn new(label: &'static str, secrets: impl IntoIterator<Item = Vec<u8>>) -> Self {
        Self {
            label,
            secrets: secrets.into_iter().filter(|s| !s.is_empty()).collect(),
        }
    }

    /// How many credentials it masks (for `Debug`).
    fn masks(&self) -> usize {
        self.secrets.len()
    }

    /// Logs `msg` (its first 256 bytes, credentials masked with `*`).
    #[cold]
    #[inline(never)]
    pub fn log(&self, kind: &str, msg: &[u8]) {
        if !log::log_enabled!(target: FRAME_LOG_TARGET, log::Level::Trace) {
            return;
        }
        log::trace!(
            target: FRAME_LOG_TARGET,
            "{} {kind} {} bytes: {}",
            self.label,
            msg.len(),
            self.hex(msg)
        );
    }

    /// The masked hex of `msg`'s first bytes. A credential is masked wherever it
    /// starts within the traced part (even when it runs past it).
    pub fn hex(&self, msg: &[u8]) -> String {
        let mut head = [0u8; TRACED];
        let n = msg.len().min(TRACED);
        head[..n].copy_from_slice(&msg[..n]);
        for s in &self.secrets {
            let mut i = 0;
            while i < n {
                let rest = &msg[i..];
                let whole = rest.len() >= s.len() && rest[..s.len()] == s[..];
                if whole {
                    let end = (i + s.len()).min(n);
                    head[i..end].fill(b'*');
                    i += s.len();
                } else {
                    i += 1;
                }
            }
        }
        let mut out = String::with_capacity(n * 2 + 3);
        for b in &head[..n] {
            out.push_str(&format!("{b:02x}"));
        }
        if msg.len() > n {
            out.push('…');
        }
        out
    }
}

impl std::fmt::Debug for FrameTrace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameTrace")
            .field("label", &self.label)
            .field("masks", &self.masks())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_before_the_hex() {
        let t = FrameTrace::new(
            "order updates",
            [b"1000000001".to_vec(), b"tok-SECRET".to_vec(), Vec::new()],
        );
        let msg =
            br#"{"Data":{"ClientId":"1000000001","Token":"tok-SECRET"},"Type":"order_alert"}"#;
        let hex = t.hex(msg);
        let hex_of = |s: &[u8]| s.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert!(!hex.contains(&hex_of(b"1000000001")), "{hex}");
        assert!(!hex.contains(&hex_of(b"tok-SECRET")), "{hex}");
        assert!(hex.contains(&hex_of(b"ClientId")), "{hex}");
        assert!(hex.contains(&hex_of(b"**********")), "{hex}");
        // Only the first 256 bytes; a secret cut by the limit is masked too.
        let mut long = vec![b'x'; 250];
        long.extend_from_slice(b"tok-SECRET and more");
        let hex = t.hex(&long);
        assert!(hex.ends_with('…'));
        assert_eq!(hex.chars().count(), 256 * 2 + 1);
        assert!(!hex.contains(&hex_of(b"tok-SE")), "{hex}");
        // Its Debug names what it masks, not the values.
        let dbg = format!("{t:?}");
        assert!(
            !dbg.contains("tok-SECRET") && !dbg.contains("1000000001"),
            "{dbg}"
        );
        assert!(dbg.contains("masks: 2"), "{dbg}");
    }
}
