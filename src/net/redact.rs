//! The secrets of this run, remembered so that no output ever shows one, whatever a server
//! echoes back: the one redaction every error field and every output goes through.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Every secret this run has held: tokens it received (and their signatures) and header secrets
/// (IDENTITY_HEADER, MSI_SECRET, `--secret`, the Arc key). Whatever a server echoes back, these
/// exact strings are replaced in every output by [`redact_known`], which every output passes through (`sanitize::TerminalText`) and every
/// outside error field too ([`redact_outside`]). Bounded, since a long watch or
/// the emulator sees many tokens: the most recent ones are the ones that can still be echoed.
static KNOWN: Mutex<VecDeque<(SecretKind, String)>> = Mutex::new(VecDeque::new());
const KNOWN_MAX: usize = 64;
/// Shorter strings would match ordinary text; no real token, signature or key is this short.
const KNOWN_MIN_LEN: usize = 6;
/// Set when the user asked to see the token (`--show-token`, the TUI's confirmed copy).
static TOKENS_REVEALED: AtomicBool = AtomicBool::new(false);

/// What a remembered secret is: tokens can be revealed on request, header secrets never.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Token,
    Header,
}

/// Remember a secret of this run (`secret::AccessToken` and `HeaderSecret` do it on creation).
pub fn remember(kind: SecretKind, raw: &str) {
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
    let mut by_len: Vec<&(SecretKind, String)> = known.iter().collect();
    by_len.sort_by_key(|(_, k)| std::cmp::Reverse(k.len()));
    for (kind, secret) in by_len {
        match kind {
            SecretKind::Token if reveal => {}
            SecretKind::Token => out = out.replace(secret.as_str(), "<token removed>"),
            SecretKind::Header => out = out.replace(secret.as_str(), "<secret removed>"),
        }
    }
    out
}

/// Text from outside (an error field, a body), ready for any output: known secrets and anything
/// shaped like a JWT removed, whitespace runs folded, cut to `max` characters.
pub fn redact_outside(s: &str, max: usize) -> String {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = super::body::redact_tokens(&redact_known(&folded));
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_are_replaced_anywhere() {
        remember(SecretKind::Header, "hdr-secret-8c1f2a");
        assert_eq!(
            redact_known("echo: xhdr-secret-8c1f2ay"),
            "echo: x<secret removed>y"
        );
        assert_eq!(
            redact_outside(
                "a\n b   hdr-secret-8c1f2a eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.c2ln",
                60
            ),
            "a b <secret removed> <token removed>"
        );
        assert_eq!(redact_outside("abcdef", 3), "abc…");
    }
}
