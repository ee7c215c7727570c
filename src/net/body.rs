//! What an unexpected body was, said without echoing anything secret it may hold.

/// A short, safe description of a body that is not what was expected.
pub fn describe_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let t = text.trim();
    if t.is_empty() {
        return "an empty body".into();
    }
    if looks_like_html(t) {
        let title = t
            .to_ascii_lowercase()
            .find("<title>")
            .and_then(|i| t.get(i + 7..))
            .and_then(|rest| rest.split('<').next())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        return match title {
            Some(title) => format!("an HTML page titled \"{}\"", clip(&title, 80)),
            None => "an HTML page".into(),
        };
    }
    if t.starts_with('{') || t.starts_with('[') {
        // Not echoed: a body cut short may hold part of a token.
        return format!(
            "JSON that does not parse (cut short after {} bytes?)",
            body.len()
        );
    }
    format!("\"{}\"", clip(t, 200))
}

pub(crate) fn looks_like_html(t: &str) -> bool {
    let head = t.get(..t.len().min(200)).unwrap_or(t).to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<body")
        || head.contains("<head")
}

/// Replace every run that looks like (part of) a JWT, wherever it sits in the text.
pub fn redact_tokens(s: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("eyJ") {
        out.push_str(&rest[..i]);
        let run = rest[i..]
            .find(|c: char| !is_token_char(c))
            .unwrap_or(rest.len() - i);
        // A base64url JSON header alone is short; anything longer may carry claims or a signature.
        if run >= 16 {
            out.push_str("<token removed>");
        } else {
            out.push_str(&rest[i..i + run]);
        }
        rest = &rest[i + run.max(3)..];
    }
    out.push_str(rest);
    out
}

/// Cut at a character boundary, with known secrets and anything shaped like a JWT removed so
/// that no error leaks one.
pub(crate) fn clip(s: &str, max: usize) -> String {
    redact_outside(s, max)
}

/// Text from outside (an error field, a body), ready for any output: the run's secrets
/// (`crate::vault`) and anything shaped like a JWT removed, whitespace runs folded, cut to `max`
/// characters.
pub fn redact_outside(s: &str, max: usize) -> String {
    // Secrets go before whitespace is folded, so that one holding a run of spaces or a tab
    // still matches; the vault knows their folded forms too.
    let redacted = crate::vault::redact_known(s);
    let folded = redacted.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = redact_tokens(&crate::vault::redact_known(&folded));
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or_default()),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_loses_secrets_tokens_and_breaks() {
        crate::vault::keep_header("hdr-secret-5d0e7b");
        assert_eq!(
            redact_outside(
                "a\n b   hdr-secret-5d0e7b eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.c2ln",
                60
            ),
            "a b <secret removed> <token removed>"
        );
        assert_eq!(redact_outside("abcdef", 3), "abc…");
    }
}
