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
/// Valid tokens that nothing in the process holds any more are kept, to be found if a server
/// echoes one later; past this many entries of them, the oldest go first. A real endpoint hands
/// out a new token hours apart, so only one that mints a new token on every poll comes near
/// it, and memory stays bounded through a long watch of such an endpoint too.
const UNHELD_TOKENS_KEPT: usize = 1024;

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
    /// The value as secrets are compared (see [`fold`]).
    folded: String,
    /// When it was registered, in registrations: the oldest unheld tokens go first.
    seq: u64,
}

impl Entry {
    fn new(kind: SecretKind, value: String, expires_at: Option<i64>, pieces_tell: bool) -> Self {
        Entry {
            kind,
            folded: fold(&value),
            value,
            expires_at,
            holders: Vec::new(),
            pieces_tell,
            seq: 0,
        }
    }

    fn unheld(&self) -> bool {
        !self.holders.is_empty() && self.holders.iter().all(|h| h.strong_count() == 0)
    }

    fn evictable(&self, now: i64) -> bool {
        self.kind == SecretKind::Token
            && self
                .expires_at
                .is_some_and(|at| at.saturating_add(EXPIRY_GRACE_SECS) < now)
            && self.unheld()
    }
}

struct Vault {
    /// Longest first, so a whole token is replaced before its signature is.
    entries: Vec<Entry>,
    sweep_at: usize,
    /// Counts every change to `entries`, so that `pieces` is made again only after one.
    generation: u64,
    pieces: Option<PieceIndex>,
}

static VAULT: Mutex<Vault> = Mutex::new(Vault {
    entries: Vec::new(),
    sweep_at: FIRST_SWEEP,
    generation: 0,
    pieces: None,
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

fn insert(vault: &mut Vault, mut entry: Entry) {
    if entry.value.is_empty() {
        return;
    }
    vault.generation += 1;
    if let Some(old) = vault.entries.iter_mut().find(|e| e.value == entry.value) {
        // Seen again: the strongest claim wins (a header secret stays one; every live holder
        // and the later expiry keep the token).
        if entry.kind == SecretKind::Header {
            old.kind = SecretKind::Header;
        }
        old.pieces_tell |= entry.pieces_tell;
        old.expires_at = match (old.expires_at, entry.expires_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        old.holders.retain(|h| h.strong_count() > 0);
        old.holders.extend(entry.holders);
        old.seq = vault.generation;
        return;
    }
    if vault.entries.len() >= vault.sweep_at {
        sweep(vault);
    }
    entry.seq = vault.generation;
    let at = vault
        .entries
        .partition_point(|e| e.value.len() >= entry.value.len());
    vault.entries.insert(at, entry);
}

/// Drop the tokens that expired and that nothing holds, then, past [`UNHELD_TOKENS_KEPT`], the
/// oldest valid ones nothing holds. Header secrets and held tokens always stay.
fn sweep(vault: &mut Vault) {
    let now = now_secs();
    vault.entries.retain(|e| !e.evictable(now));
    let mut unheld: Vec<u64> = (vault.entries.iter())
        .filter(|e| e.kind == SecretKind::Token && e.unheld())
        .map(|e| e.seq)
        .collect();
    if unheld.len() > UNHELD_TOKENS_KEPT {
        unheld.sort_unstable();
        let keep_from = unheld
            .get(unheld.len() - UNHELD_TOKENS_KEPT)
            .copied()
            .unwrap_or(0);
        vault
            .entries
            .retain(|e| !(e.kind == SecretKind::Token && e.unheld() && e.seq < keep_from));
    }
    // What is left is mostly in use: sweep again only once as many more have come.
    vault.sweep_at = (vault.entries.len().saturating_mul(2)).max(FIRST_SWEEP);
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
    // As hex, byte by byte (a hex dump of the request; separators fold away).
    forms.push(raw.bytes().map(|b| format!("{b:02x}")).collect());
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
            Entry::new(SecretKind::Header, value, None, true),
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
        let mut entry = Entry::new(
            SecretKind::Token,
            value.to_string(),
            expires_at,
            value != raw,
        );
        entry.holders.push(Arc::downgrade(&handle));
        insert(&mut vault, entry);
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

/// A character a server may put between two characters of a secret it echoes without the
/// reader losing the secret: anything but a letter or a digit (whitespace from a body wrapped
/// at a fixed width, punctuation grouping or escaping the text, `·` or `–` between groups,
/// control characters, and what shows as nothing: joiners, variation selectors, soft hyphens).
/// Secrets are compared with these left out, on both sides.
fn is_filler(c: char) -> bool {
    !c.is_alphanumeric()
}

/// `s` as secrets are compared: fillers left out, ASCII letters in lower case (a server may
/// upper-case what it logs).
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !is_filler(*c))
        .map(fold_char)
        .collect()
}

/// One character as secrets are compared: the fullwidth forms of ASCII (`Ｚｑ８`) as ASCII, and
/// ASCII letters in lower case.
fn fold_char(c: char) -> char {
    let ascii = match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c),
        c => c,
    };
    ascii.to_ascii_lowercase()
}

/// `text` folded, with the byte range in `text` of each folded character.
struct Folded {
    text: String,
    /// For each byte of `text` (the folded one), the original range of its character.
    origin: Vec<(usize, usize)>,
}

impl Folded {
    fn new(text: &str) -> Self {
        let mut folded = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len());
        for (at, c) in text.char_indices() {
            if is_filler(c) {
                continue;
            }
            let end = at + c.len_utf8();
            let c = fold_char(c);
            folded.push(c);
            origin.extend(std::iter::repeat_n((at, end), c.len_utf8()));
        }
        Folded {
            text: folded,
            origin,
        }
    }

    /// The original range from the character at folded byte `from` to the one ending at `to`.
    fn span(&self, from: usize, to: usize) -> Option<(usize, usize)> {
        let (start, _) = *self.origin.get(from)?;
        let (_, end) = *self.origin.get(to.checked_sub(1)?)?;
        Some((start, end))
    }
}

/// A secret found in a text: where, and whether it is a token (which the user may reveal).
#[derive(Debug, Clone, Copy)]
struct Found {
    start: usize,
    end: usize,
    token: bool,
}

/// A piece of a secret: [`PIECE_CHARS`] folded characters in a row.
type Piece = [char; PIECE_CHARS];

fn pieces_of(folded: &str) -> impl Iterator<Item = Piece> + '_ {
    let chars: Vec<char> = folded.chars().collect();
    let count = chars.len().saturating_sub(PIECE_CHARS - 1);
    (0..count).filter_map(move |i| chars.get(i..i + PIECE_CHARS)?.try_into().ok())
}

/// The pieces of every secret whose pieces tell, by kind; made again only when the vault
/// changed.
#[derive(Default)]
struct PieceIndex {
    generation: u64,
    header: HashSet<Piece>,
    token: HashSet<Piece>,
    /// One bit per [`start_key`] of every piece: most windows of ordinary text start no piece
    /// and are passed over without being hashed.
    starts: Vec<u64>,
}

/// Bits in [`PieceIndex::starts`].
const START_BITS: usize = 1 << 16;

/// A window's first three characters, folded into an index of [`PieceIndex::starts`].
fn start_key(a: char, b: char, c: char) -> usize {
    let key = (u32::from(a).wrapping_mul(961))
        .wrapping_add(u32::from(b).wrapping_mul(31))
        .wrapping_add(u32::from(c));
    usize::try_from(key).unwrap_or(0) % START_BITS
}

impl PieceIndex {
    fn may_start(&self, key: usize) -> bool {
        self.starts
            .get(key / 64)
            .is_some_and(|word| word & (1 << (key % 64)) != 0)
    }

    fn add_start(&mut self, piece: &Piece) {
        if self.starts.is_empty() {
            self.starts = vec![0; START_BITS / 64];
        }
        let key = start_key(piece[0], piece[1], piece[2]);
        if let Some(word) = self.starts.get_mut(key / 64) {
            *word |= 1 << (key % 64);
        }
    }
}

impl Vault {
    fn pieces(&mut self) -> &PieceIndex {
        let generation = self.generation;
        if self
            .pieces
            .as_ref()
            .is_none_or(|p| p.generation != generation)
        {
            let mut index = PieceIndex {
                generation,
                ..PieceIndex::default()
            };
            for e in self.entries.iter().filter(|e| e.pieces_tell) {
                for piece in pieces_of(&e.folded) {
                    index.add_start(&piece);
                    match e.kind {
                        SecretKind::Header => index.header.insert(piece),
                        SecretKind::Token => index.token.insert(piece),
                    };
                }
            }
            self.pieces = Some(index);
        }
        self.pieces.get_or_insert_with(PieceIndex::default)
    }
}

/// Every secret of this run in `text`, by the rules of [`redact_known`]: byte ranges, sorted,
/// overlapping ones merged (a token's range within a header secret's counts as the header's).
fn find_secrets(vault: &mut Vault, text: &str, skip_tokens: bool) -> Vec<Found> {
    let mut found = Vec::new();
    let folded = Folded::new(text);
    for entry in &vault.entries {
        let token = entry.kind == SecretKind::Token;
        if token && skip_tokens {
            continue;
        }
        if entry.folded.chars().count() < WHOLE_WORD_BELOW {
            found.extend(whole_words(text, &entry.value).map(|(start, end)| Found {
                start,
                end,
                token,
            }));
            continue;
        }
        for (at, m) in folded.text.match_indices(entry.folded.as_str()) {
            if let Some((start, end)) = folded.span(at, at + m.len()) {
                found.push(Found { start, end, token });
            }
        }
    }
    // Pieces: a secret cut short, split across fields or wrapped mid-way shows no whole match.
    let index = vault.pieces();
    let chars: Vec<(usize, char)> = folded.text.char_indices().collect();
    for (i, window) in chars.windows(PIECE_CHARS).enumerate() {
        if let [(_, a), (_, b), (_, c), ..] = window {
            if !index.may_start(start_key(*a, *b, *c)) {
                continue;
            }
        }
        let piece: Piece = std::array::from_fn(|k| window.get(k).map_or('\0', |w| w.1));
        let token = if index.header.contains(&piece) {
            false
        } else if !skip_tokens && index.token.contains(&piece) {
            true
        } else {
            continue;
        };
        let (Some(&(from, _)), Some(&(last, c))) = (chars.get(i), window.last()) else {
            continue;
        };
        if let Some((start, end)) = folded.span(from, last + c.len_utf8()) {
            found.push(Found { start, end, token });
        }
    }
    merge(found)
}

/// Sorted, with overlapping or touching ranges made one (a header secret's kind wins).
fn merge(mut found: Vec<Found>) -> Vec<Found> {
    found.sort_by_key(|f| (f.start, f.end));
    let mut merged: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        match merged.last_mut() {
            Some(last) if f.start <= last.end => {
                last.end = last.end.max(f.end);
                last.token &= f.token;
            }
            _ => merged.push(f),
        }
    }
    merged
}

/// A character that continues a word: a short secret next to one is part of something longer.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Where `secret` stands in `text` as a whole word.
fn whole_words<'a>(text: &'a str, secret: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    text.match_indices(secret).filter_map(move |(at, m)| {
        let end = at + m.len();
        let before = text.get(..at).and_then(|b| b.chars().next_back());
        let after = text.get(end..).and_then(|a| a.chars().next());
        (before.is_none_or(|c| !is_word_char(c)) && after.is_none_or(|c| !is_word_char(c)))
            .then_some((at, end))
    })
}

/// Where in `s` (byte ranges, sorted, not overlapping) a secret this run holds appears, by the
/// same rules as [`redact_known`]; tokens are left out when the user asked to see them or
/// `tokens_shown` says the caller shows one on request. For outputs that cannot be rewritten as
/// text, only masked in place (the terminal UI's cell grid).
pub fn known_spans(s: &str, tokens_shown: bool) -> Vec<(usize, usize)> {
    let mut vault = VAULT.lock().unwrap_or_else(PoisonError::into_inner);
    let skip_tokens = tokens_shown || TOKENS_REVEALED.load(Ordering::SeqCst);
    find_secrets(&mut vault, s, skip_tokens)
        .into_iter()
        .map(|f| (f.start, f.end))
        .collect()
}

/// How many characters of a secret in a row count as a piece of it: enough that a piece of a
/// random secret does not turn up in ordinary text by chance.
pub const PIECE_CHARS: usize = 8;

/// Replace every secret this run holds wherever it appears in `s`: as it was registered, in
/// the other case, with whitespace, punctuation or invisible characters between its
/// characters, and any [`PIECE_CHARS`] characters of a header secret or a token's signature in
/// a row (a secret cut short or split in two). Secrets too short to tell from ordinary text
/// are replaced only where they stand as whole words.
pub fn redact_known(s: &str) -> String {
    let mut vault = VAULT.lock().unwrap_or_else(PoisonError::into_inner);
    let skip_tokens = TOKENS_REVEALED.load(Ordering::SeqCst);
    let found = find_secrets(&mut vault, s, skip_tokens);
    if found.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut from = 0;
    for f in found {
        out.push_str(s.get(from..f.start).unwrap_or(""));
        out.push_str(if f.token {
            "<token removed>"
        } else {
            "<secret removed>"
        });
        from = f.end;
    }
    out.push_str(s.get(from..).unwrap_or(""));
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
        // Split by punctuation, or cut short: still found.
        assert_eq!(redact_known("Wr4p-pedS-ecre-t+Val"), "<secret removed>");
        assert_eq!(redact_known("x Wr4pped/Secret+V"), "x <secret removed>");
        // Seven characters in a row are not yet a piece of it.
        assert_eq!(redact_known("x Wr4pped y"), "x Wr4pped y");
    }

    #[test]
    fn a_secret_with_invisible_characters_between_its_own_is_replaced() {
        keep_header("Jn8vSecretHdr42xy");
        for joiner in [
            '\u{200d}', '\u{200c}', '\u{34f}', '\u{fe0f}', '\u{ad}', '\u{2063}',
        ] {
            let echo: String = "Jn8vSecretHdr42xy"
                .chars()
                .flat_map(|c| [c, joiner])
                .collect();
            let shown = redact_known(&format!("x {echo}y"));
            assert!(
                shown.starts_with("x <secret removed>"),
                "{joiner:?}: {shown:?}"
            );
            assert!(
                !shown.contains("Jn8v") && !shown.contains("42xy"),
                "{shown:?}"
            );
        }
    }

    #[test]
    fn a_secret_grouped_by_any_separator_in_hex_or_fullwidth_is_replaced() {
        keep_header("Gq8vSecretHd4xyW9");
        for echo in [
            "Gq8v\u{b7}Secr\u{b7}etHd\u{b7}4xyW\u{b7}9",
            "Gq8v\u{2013}Secr\u{2013}etHd\u{2013}4xyW\u{2013}9",
            "Gq8vSec\u{1}retHd4x\u{0}yW9",
            "\u{ff27}\u{ff51}\u{ff18}\u{ff56}SecretHd4xyW9",
            "47 71 38 76 53 65 63 72 65 74 48 64 34 78 79 57 39",
        ] {
            let shown = redact_known(&format!("echo={echo} end"));
            assert!(
                shown.starts_with("echo=<secret removed>"),
                "{echo:?}: {shown:?}"
            );
            assert!(shown.ends_with(" end"), "{shown:?}");
        }
    }

    #[test]
    fn a_signature_split_cut_short_or_re_encoded_is_replaced() {
        let signature = "RravfPLzT0kq9-Vb_3xYw7uN2cHd8sGmJ4pQe6aZ1fKl5oXi";
        let token = format!("eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.{signature}");
        let _held = keep_token(&token, &[signature], None);
        let (first, rest) = signature.split_at(20);
        for echo in [
            format!("id: {first} message: {rest}"),
            format!("{first}\n{rest}"),
            signature.replace('-', "+").replace('_', "/"),
            signature[..30].to_string(),
            signature.to_uppercase(),
        ] {
            let shown = redact_known(&echo);
            assert!(shown.contains("<token removed>"), "{echo}: {shown}");
            for piece in signature.as_bytes().windows(PIECE_CHARS) {
                let piece = std::str::from_utf8(piece).unwrap_or_default();
                assert!(!shown.contains(piece), "{echo}: {piece} in {shown}");
            }
        }
    }

    #[test]
    fn the_tokens_nothing_holds_are_bounded() {
        for i in 0..3000 {
            let signature = format!("SigBound{i:08}xxxxxxxxxxxxxxxx");
            let token = format!("eyJhbGciOiJSUzI1NiJ9.eyJub25jZSI6{i:08}.{signature}");
            drop(keep_token(&token, &[&signature], Some(now_secs() + 3600)));
        }
        // Every one of these was dropped unheld: the vault sweeps once it doubles, so it never
        // holds more than twice the unheld bound and what other tests keep.
        assert!(
            len() < 2 * (UNHELD_TOKENS_KEPT + FIRST_SWEEP) + 200,
            "{}",
            len()
        );
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
        // Valid unheld tokens other tests leave may be kept, up to their bound.
        assert!(
            len() < UNHELD_TOKENS_KEPT + FIRST_SWEEP * 3,
            "the vault grew to {}",
            len()
        );
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
