//! The access token as a secret: it prints as a fingerprint, never as itself.

use std::fmt;

use crate::net::redact::{remember, SecretKind};

/// A bearer token. `Debug` and `Display` show only `sha256:` and 12 hex digits of its hash,
/// so a token that ends up in a log line, a panic message or a report stays a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        remember(SecretKind::Token, &raw);
        if let Some(sig) = raw.rsplit('.').next().filter(|s| s.len() < raw.len()) {
            remember(SecretKind::Token, sig);
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
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, raw.as_bytes());
    let hex: String = digest
        .as_ref()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
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
        remember(SecretKind::Header, &raw);
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
