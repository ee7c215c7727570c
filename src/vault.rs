//! The secrets of this run, kept so that no output ever shows one, whatever a server echoes back.
//!
//! Every secret tokscope reads, sends or receives is registered here: header secrets
//! (IDENTITY_HEADER, MSI_SECRET, `--secret`, Arc's key, a password or key inside an endpoint
//! URL) and tokens with their signatures (access tokens, service-account tokens sent as
//! assertions). [`redact_known`], which every output passes through (`sanitize::TerminalText`,
//! the clipboard) and every error field from outside too, replaces them all.
//!
//! A secret stays registered for the life of the process. The only ones ever dropped, to keep
//! memory bounded through a long watch, are tokens that have expired and that nothing in the
//! process holds any more; a header secret is never dropped. Secrets too short to be told from
//! ordinary text by a substring search are still redacted, as whole words.
//!
//! This module uses nothing of the crate, so anything (errors, the sanitiser, the network layer)
//! may use it without a cycle.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// What a registered secret is: tokens can be revealed on request, header secrets never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Token,
    Header,
}

/// A secret shorter than this is replaced only where it stands as a whole word: a substring
/// search for two or three characters would also hit ordinary words.
const WHOLE_WORD_BELOW: usize = 6;
/// A token, or a part of one, shorter than this is not kept: no bearer token or signature is
/// that short, and keeping what a broken or hostile endpoint sent as one (`"x.y.1"`) would only
/// mask ordinary words and digits in every output.
const TOKEN_MIN_CHARS: usize = 16;
/// How many secrets may be kept before the first sweep for expired, unheld tokens.
const FIRST_SWEEP: usize = 256;
/// A token counts as expired this long after its expiry, for clocks that disagree.
const EXPIRY_GRACE_SECS: i64 = 300;

struct Entry {
    kind: SecretKind,
    value: String,
    /// Unix seconds after which the secret is no longer valid; `None` for never (header
    /// secrets, tokens without a known expiry).
    expires_at: Option<i64>,
    /// Every live registration's handle: while any value holding the secret lives, it is in use
    /// (the same cached token comes back on every poll, each time with a handle of its own).
    holders: Vec<Weak<()>>,
    /// Whether any [`PIECE_CHARS`] characters of it tell it apart from ordinary text: true for
    /// header secrets and a token's signature (random), false for a whole token, whose header
    /// and claims start like every other JWT's (`eyJ0eXAi…`).
    pieces_tell: bool,
}

impl Entry {
    fn evictable(&self, now: i64) -> bool {
        self.kind == SecretKind::Token
            && self
                .expires_at
                .is_some_and(|at| at.saturating_add(EXPIRY_GRACE_SECS) < now)
            && !self.holders.is_empty()
            && self.holders.iter().all(|h| h.strong_count() == 0)
    }
}

struct Vault {
    /// Longest first, so a whole token is replaced before its signature is.
    entries: Vec<Entry>,
    sweep_at: usize,
}

static VAULT: Mutex<Vault> = Mutex::new(Vault {
    entries: Vec::new(),
    sweep_at: FIRST_SWEEP,
});
/// Set when the user asked to see the token (`get --show-token`); the UI reveals through
/// `ClipboardText::revealed_token` instead.
static TOKENS_REVEALED: AtomicBool = AtomicBool::new(false);

/// Keeps the token secrets registered with it in use: while one clone of it lives, the vault
/// never drops them, expired or not.
#[derive(Debug, Clone)]
pub struct InUse(#[allow(dead_code, reason = "held for its strong count only")] Arc<()>);

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn insert(vault: &mut Vault, entry: Entry) {
    if entry.value.is_empty() {
        return;
    }
    if let Some(old) = vault.entries.iter_mut().find(|e| e.value == entry.value) {
        // Seen again: the strongest claim wins (a header secret stays one; every live holder
        // and the later expiry keep the token).
        if entry.kind == SecretKind::Header {
            old.kind = SecretKind::Header;
        }
        old.expires_at = match (old.expires_at, entry.expires_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        old.holders.retain(|h| h.strong_count() > 0);
        old.holders.extend(entry.holders);
        return;
    }
    if vault.entries.len() >= vault.sweep_at {
        let now = now_secs();
        vault.entries.retain(|e| !e.evictable(now));
        // What is left is all in use: sweep again only once as many more have come.
        vault.sweep_at = (vault.entries.len().saturating_mul(2)).max(FIRST_SWEEP);
    }
    let at = vault
        .entries
        .partition_point(|e| e.value.len() >= entry.value.len());
    vault.entries.insert(at, entry);
}

/// The forms in which a server that echoes a secret commonly writes it, besides the secret
/// itself: with its whitespace runs folded (as outside text is shown), percent-encoded (as a
/// URL or a form carries it, with upper- or lower-case hex, a space as `+` or `%20`) and
/// escaped inside a JSON string (with `/` escaped or not, non-ASCII
/// as `\uXXXX` or not), and inside base64 of something longer (see [`base64_cores`]).
fn encoded_forms(raw: &str) -> Vec<String> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let percent = |upper: bool, plus: bool| {
        raw.bytes().fold(String::new(), |mut out, b| {
            match b {
                b if unreserved(b) => out.push(char::from(b)),
                b' ' if plus => out.push('+'),
                b if upper => out.push_str(&format!("%{b:02X}")),
                b => out.push_str(&format!("%{b:02x}")),
            }
            out
        })
    };
    let json = |slash: bool, ascii: bool| {
        raw.chars().fold(String::new(), |mut out, c| {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' if slash => out.push_str("\\/"),
                c if u32::from(c) < 0x20 || (ascii && !c.is_ascii()) => {
                    for unit in c.encode_utf16(&mut [0; 2]) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
            out
        })
    };
    let mut forms = vec![
        // Outside text is shown with whitespace runs folded to one space (`net::body`).
        raw.split_whitespace().collect::<Vec<_>>().join(" "),
        percent(true, false),
        percent(false, false),
        percent(true, true),
        json(false, false),
        json(true, false),
        json(false, true),
        json(true, true),
    ];
    forms.extend(base64_cores(raw.as_bytes()));
    forms.sort();
    forms.dedup();
    forms.retain(|f| f != raw);
    forms
}

/// The characters of a base64 text that `secret` alone decides, wherever it sits in the bytes
/// encoded: a server that echoes a whole request head, or a `Basic` credential, as base64 puts
/// the secret at one of three offsets within a 3-byte group, and the characters at its two ends
/// also carry bits of its neighbours. For each offset and both alphabets (standard and URL-safe),
/// the run of characters whose 6 bits all come from the secret. Runs shorter than
/// [`PIECE_CHARS`] are left out: that few characters of base64 turn up by chance.
fn base64_cores(secret: &[u8]) -> Vec<String> {
    use base64::Engine as _;
    let engines = [
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut cores = Vec::new();
    for offset in 0..3usize {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(secret);
        // Character i holds bits [6i, 6i + 6): keep those wholly inside the secret's bits.
        let first = (8 * offset).div_ceil(6);
        let end = 8 * (offset + secret.len()) / 6;
        for engine in &engines {
            let encoded = engine.encode(&bytes);
            if let Some(core) = encoded.get(first..end) {
                if core.len() >= PIECE_CHARS {
                    cores.push(core.to_string());
                }
            }
        }
    }
    cores
}

/// Register a header secret (or any credential that is not a token) for the life of the
/// process, with the forms a server's echo may give it.
pub fn keep_header(raw: &str) {
    let mut vault = VAULT.lock().unwrap_or_else(PoisonError::into_inner);
    for value in std::iter::once(raw.to_string()).chain(encoded_forms(raw)) {
        insert(
            &mut vault,
            Entry {
                kind: SecretKind::Header,
                value,
                expires_at: None,
                holders: Vec::new(),
                pieces_tell: true,
            },
        );
    }
}

/// Register a token and the parts of it that are secrets too (its signature). They stay
/// registered while the returned [`InUse`] (or a clone) lives, and after that until they expire.
pub fn keep_token(raw: &str, parts: &[&str], expires_at: Option<i64>) -> InUse {
    let handle = Arc::new(());
    let mut vault = VAULT.lock().unwrap_or_else(PoisonError::into_inner);
    for value in std::iter::once(raw).chain(parts.iter().copied()) {
        if value.chars().count() < TOKEN_MIN_CHARS {
            continue;
        }
        insert(
            &mut vault,
            Entry {
                kind: SecretKind::Token,
                value: value.to_string(),
                expires_at,
                holders: vec![Arc::downgrade(&handle)],
                pieces_tell: value != raw,
            },
        );
    }
    InUse(handle)
}

/// How many secrets are registered (for tests of the bound).
pub fn len() -> usize {
    VAULT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entries
        .len()
}

/// The user asked to see the token: outputs stop replacing tokens (header secrets stay hidden).
pub fn reveal_tokens() {
    TOKENS_REVEALED.store(true, Ordering::SeqCst);
}

/// A character that continues a word: a short secret next to one is part of something longer.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Replace `secret` in `text` where it stands as a whole word.
fn replace_whole_words(text: &str, secret: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // The character of `text` just before `rest`.
    let mut prev: Option<char> = None;
    while let Some(i) = rest.find(secret) {
        let (before, tail) = rest.split_at(i);
        let after = tail.get(secret.len()..).unwrap_or("");
        let left = before.chars().next_back().or(prev);
        let whole = left.is_none_or(|c| !is_word_char(c))
            && after.chars().next().is_none_or(|c| !is_word_char(c));
        out.push_str(before);
        out.push_str(if whole { with } else { secret });
        prev = secret.chars().next_back();
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Where in `s` (byte ranges, possibly overlapping) a secret this run holds appears, by the
/// same rules as [`redact_known`]; tokens are left out when the user asked to see them or
/// `tokens_shown` says the caller shows one on request. For outputs that cannot be rewritten as
/// text, only masked in place (the terminal UI's cell grid).
pub fn known_spans(s: &str, tokens_shown: bool) -> Vec<(usize, usize)> {
    let vault = VAULT.lock().unwrap_or_else(PoisonError::into_inner);
    let skip_tokens = tokens_shown || TOKENS_REVEALED.load(Ordering::SeqCst);
    let mut spans = Vec::new();
    for entry in &vault.entries {
        if entry.kind == SecretKind::Token && skip_tokens {
            continue;
        }
        let secret = entry.value.as_str();
        let short = secret.chars().count() < WHOLE_WORD_BELOW;
        if entry.kind == SecretKind::Header && !short {
            spans.extend(loose_matches(s, secret));
            continue;
        }
        for (at, _) in s.match_indices(secret) {
            let end = at + secret.len();
            let whole = !short
                || (s
                    .get(..at)
                    .and_then(|b| b.chars().next_back())
                    .is_none_or(|c| !is_word_char(c))
                    && s.get(end..)
                        .and_then(|a| a.chars().next())
                        .is_none_or(|c| !is_word_char(c)));
            if whole {
                spans.push((at, end));
            }
        }
    }
    spans
}

/// Every run of [`PIECE_CHARS`] characters of a secret whose pieces tell (header secrets and
/// token signatures; tokens left out when `tokens_shown` or the user revealed them): for outputs
/// that may clip or wrap a value mid-secret (the terminal UI's cells), which mask every such piece.
pub fn telling_pieces(tokens_shown: bool) -> HashSet<String> {
    let vault = VAULT.lock().unwrap_or_else(PoisonError::into_inner);
    let skip_tokens = tokens_shown || TOKENS_REVEALED.load(Ordering::SeqCst);
    let mut pieces = HashSet::new();
    for entry in &vault.entries {
        if !entry.pieces_tell || (entry.kind == SecretKind::Token && skip_tokens) {
            continue;
        }
        let chars: Vec<char> = entry.value.chars().collect();
        pieces.extend(
            chars
                .windows(PIECE_CHARS)
                .map(|w| w.iter().collect::<String>()),
        );
    }
    pieces
}

/// How many characters of a secret count as a piece of it (see [`telling_pieces`]).
pub const PIECE_CHARS: usize = 8;

/// Where `secret` (a header secret) appears in `text` the way a server's echo may give it back
/// besides verbatim: its ASCII letters in the other case (a server that upper-cases what it
/// logs) and whitespace between any two of its characters (a body wrapped at a fixed width).
/// Byte ranges in `text`, in order, not overlapping.
fn loose_matches(text: &str, secret: &str) -> Vec<(usize, usize)> {
    let wanted: Vec<char> = secret.chars().filter(|c| !c.is_whitespace()).collect();
    let mut found = Vec::new();
    let Some(&first) = wanted.first() else {
        return found;
    };
    let mut resume = 0;
    for (at, c) in text.char_indices() {
        if at < resume || !c.eq_ignore_ascii_case(&first) {
            continue;
        }
        let mut want = wanted.iter().skip(1).peekable();
        let mut end = at + c.len_utf8();
        for (i, t) in text.get(end..).unwrap_or("").char_indices() {
            let Some(w) = want.peek() else { break };
            if t.eq_ignore_ascii_case(w) {
                want.next();
                end = at + c.len_utf8() + i + t.len_utf8();
            } else if !t.is_whitespace() {
                break;
            }
        }
        if want.peek().is_none() {
            found.push((at, end));
            resume = end;
        }
    }
    found
}

/// `text` with every range of `spans` (in order, not overlapping) replaced by `with`.
fn replace_spans(text: &str, spans: &[(usize, usize)], with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for &(start, end) in spans {
        out.push_str(text.get(from..start).unwrap_or(""));
        out.push_str(with);
        from = end;
    }
    out.push_str(text.get(from..).unwrap_or(""));
    out
}

/// Replace every secret this run holds wherever it appears in `s`.
pub fn redact_known(s: &str) -> String {
    let vault = VAULT.lock().unwrap_or_else(PoisonError::into_inner);
    let reveal = TOKENS_REVEALED.load(Ordering::SeqCst);
    let mut out = s.to_string();
    for entry in &vault.entries {
        let with = match entry.kind {
            SecretKind::Token if reveal => continue,
            SecretKind::Token => "<token removed>",
            SecretKind::Header => "<secret removed>",
        };
        let short = entry.value.chars().count() < WHOLE_WORD_BELOW;
        if entry.kind == SecretKind::Header && !short {
            let spans = loose_matches(&out, &entry.value);
            if !spans.is_empty() {
                out = replace_spans(&out, &spans, with);
            }
            continue;
        }
        if !out.contains(entry.value.as_str()) {
            continue;
        }
        out = if short {
            replace_whole_words(&out, &entry.value, with)
        } else {
            out.replace(entry.value.as_str(), with)
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_secrets_are_replaced_anywhere() {
        keep_header("hdr-secret-8c1f2a");
        assert_eq!(
            redact_known("echo: xhdr-secret-8c1f2ay"),
            "echo: x<secret removed>y"
        );
    }

    #[test]
    fn a_header_secret_echoed_encoded_is_replaced() {
        keep_header("s3cr/et+K\"é y");
        for echo in [
            "s3cr%2Fet%2BK%22%C3%A9%20y",
            "s3cr%2fet%2bK%22%c3%a9%20y",
            "s3cr%2Fet%2BK%22%C3%A9+y",
            "s3cr\\/et+K\\\"\\u00e9 y",
            "s3cr/et+K\\\"é y",
        ] {
            assert_eq!(
                redact_known(&format!("got {echo}!")),
                "got <secret removed>!",
                "{echo}"
            );
        }
    }

    #[test]
    fn a_header_secret_inside_base64_of_a_longer_text_is_replaced() {
        use base64::Engine as _;
        let secret = "b64-s3cret-Value+/x";
        keep_header(secret);
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
        ];
        // Three prefixes put the secret at each offset within a 3-byte group.
        for prefix in ["", "a", "ab"] {
            let head = format!("GET / HTTP/1.1\r\nX-Identity-Header: {prefix}{secret}\r\n\r\n");
            for engine in &engines {
                let echo = engine.encode(&head);
                let shown = redact_known(&echo);
                assert!(shown.contains("<secret removed>"), "{prefix:?}: {shown}");
                for core in base64_cores(secret.as_bytes()) {
                    assert!(!shown.contains(&core), "{prefix:?}: {shown}");
                }
                // Wrapped at 76 columns, as MIME writes it.
                let wrapped: Vec<String> = echo
                    .as_bytes()
                    .chunks(76)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                let shown = redact_known(&wrapped.join("\r\n"));
                assert!(shown.contains("<secret removed>"), "{prefix:?}: {shown}");
            }
        }
    }

    #[test]
    fn a_token_too_short_to_be_one_is_not_kept() {
        let _held = keep_token("a.b.7", &["7"], None);
        assert_eq!(redact_known("7 passed"), "7 passed");
    }

    #[test]
    fn spans_follow_the_redaction_rules() {
        keep_header("Sp4n-secret-1");
        keep_header("k9Q");
        let s = "a Sp4n-secret-1 k9Q xk9Q";
        let mut spans = known_spans(s, false);
        spans.sort_unstable();
        assert_eq!(spans, vec![(2, 15), (16, 19)]);
    }

    #[test]
    fn a_header_secret_echoed_in_the_other_case_or_wrapped_is_replaced() {
        keep_header("Wr4pped/Secret+Val");
        for echo in [
            "x WR4PPED/SECRET+VAL y",
            "x wr4pped/secret+val y",
            "x Wr4pped/Se\ncret+Val y",
            "x Wr4pped/Se\r\n  cret+Val y",
        ] {
            let shown = redact_known(echo);
            assert_eq!(shown, "x <secret removed> y", "{echo:?}");
            assert_eq!(known_spans(echo, false).len(), 1, "{echo:?}");
        }
        assert_eq!(redact_known("Wr4pped/Se-cret+Val"), "Wr4pped/Se-cret+Val");
    }

    #[test]
    fn short_secrets_are_replaced_as_whole_words() {
        keep_header("q7Z");
        assert_eq!(
            redact_known("q7Z, \"q7Z\" q7Z=1 xq7Z q7Zx a-q7Z"),
            "<secret removed>, \"<secret removed>\" <secret removed>=1 xq7Z q7Zx a-q7Z"
        );
    }

    #[test]
    fn expired_unheld_tokens_go_held_and_header_secrets_stay() {
        keep_header("never-forgotten-header");
        let held = keep_token("kept-expired-token-value", &[], Some(1));
        let expiring = "gone-expired-token-value";
        drop(keep_token(expiring, &[], Some(1)));
        let valid = "unheld-valid-token-value";
        drop(keep_token(valid, &[], Some(i64::MAX / 2)));
        for i in 0..FIRST_SWEEP * 3 {
            drop(keep_token(&format!("filler-token-{i:06}"), &[], Some(1)));
        }
        let shown = redact_known(&format!(
            "never-forgotten-header kept-expired-token-value {expiring} {valid}"
        ));
        assert_eq!(
            shown,
            format!("<secret removed> <token removed> {expiring} <token removed>")
        );
        assert!(len() < FIRST_SWEEP * 3, "the vault grew to {}", len());
        drop(held);
    }

    /// The same cached token comes back poll after poll: the first registration's holder keeps
    /// it however many later ones have come and gone.
    #[test]
    fn an_earlier_holder_keeps_a_token_registered_again() {
        let first = keep_token("re-registered-token-value", &[], Some(1));
        drop(keep_token("re-registered-token-value", &[], Some(1)));
        for i in 0..FIRST_SWEEP * 3 {
            drop(keep_token(&format!("other-filler-{i:06}"), &[], Some(1)));
        }
        assert_eq!(redact_known("re-registered-token-value"), "<token removed>");
        drop(first);
    }

    /// A secret with a quote or a backslash reads differently inside JSON text.
    #[test]
    fn a_secret_is_removed_from_json_text_too() {
        keep_header("pa\"ss\\word-1");
        let json = serde_json::json!({"message": "echo pa\"ss\\word-1 back"}).to_string();
        assert_eq!(
            redact_known(&json),
            r#"{"message":"echo <secret removed> back"}"#
        );
    }
}
