//! The access token as a secret: it prints as a fingerprint, never as itself.

use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Every secret this run has held: tokens it received (and their signatures) and header secrets
/// (IDENTITY_HEADER, MSI_SECRET, `--secret`, the Arc key). Whatever a server echoes back, these
/// exact strings are replaced in every output by [`redact_known`]. Bounded, since a long watch or
/// the emulator sees many tokens: the most recent ones are the ones that can still be echoed.
static KNOWN: Mutex<VecDeque<(Kind, String)>> = Mutex::new(VecDeque::new());
const KNOWN_MAX: usize = 64;
/// Shorter strings would match ordinary text; no real token, signature or key is this short.
const KNOWN_MIN_LEN: usize = 6;
/// Set when the user asked to see the token (`--show-token`, the TUI's confirmed copy).
static TOKENS_REVEALED: AtomicBool = AtomicBool::new(false);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Token,
    Header,
}

fn remember(kind: Kind, raw: &str) {
    if raw.len() < KNOWN_MIN_LEN {
        return;
    }
    let Ok(mut known) = KNOWN.lock() else {
        return;
    };
    if known.iter().any(|(_, k)| k == raw) {
        return;
    }
    if known.len() == KNOWN_MAX {
        known.pop_front();
    }
    known.push_back((kind, raw.to_string()));
}

/// The user asked to see the token: outputs stop replacing tokens (header secrets stay hidden).
pub fn reveal_tokens() {
    TOKENS_REVEALED.store(true, Ordering::SeqCst);
}

/// Replace every secret this run knows wherever it appears in `s`.
pub fn redact_known(s: &str) -> String {
    let Ok(known) = KNOWN.lock() else {
        return s.to_string();
    };
    let reveal = TOKENS_REVEALED.load(Ordering::SeqCst);
    let mut out = s.to_string();
    // Longest first, so a whole token goes before its signature does.
    let mut by_len: Vec<&(Kind, String)> = known.iter().collect();
    by_len.sort_by_key(|(_, k)| std::cmp::Reverse(k.len()));
    for (kind, secret) in by_len {
        match kind {
            Kind::Token if reveal => {}
            Kind::Token => out = out.replace(secret.as_str(), "<token removed>"),
            Kind::Header => out = out.replace(secret.as_str(), "<secret removed>"),
        }
    }
    out
}

/// Text from outside (an error field, a body), ready for any output: known secrets and anything
/// shaped like a JWT removed, whitespace runs folded, cut to `max` characters.
pub fn redact_outside(s: &str, max: usize) -> String {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = crate::endpoint::response::redact_tokens(&redact_known(&folded));
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// A bearer token. `Debug` and `Display` show only `sha256:` and 12 hex digits of its hash,
/// so a token that ends up in a log line, a panic message or a report stays a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        remember(Kind::Token, &raw);
        if let Some(sig) = raw.rsplit('.').next().filter(|s| s.len() < raw.len()) {
            remember(Kind::Token, sig);
        }
        Self(raw)
    }

    /// `sha256:` and the first 12 hex digits of the token's SHA-256.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.0)
    }

    /// The raw token. Call only where the user asked to see or send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The fingerprint of any string, for places that hold a token before it is wrapped.
pub fn fingerprint_of(raw: &str) -> String {
    let digest = Sha256::digest(raw.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessToken({})", self.fingerprint())
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_token() {
        let t = AccessToken::new("eyJsecret.payload.signature");
        let shown = format!("{t} {t:?}");
        assert!(!shown.contains("secret"));
        assert!(t.fingerprint().starts_with("sha256:"));
        assert_eq!(t.fingerprint().len(), "sha256:".len() + 12);
    }
}

/// A shared secret sent as a header (IDENTITY_HEADER, MSI_SECRET, Arc's key). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderSecret(String);

impl HeaderSecret {
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        remember(Kind::Header, &raw);
        Self(raw)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for HeaderSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeaderSecret(*** {} chars)", self.0.len())
    }
}
