//! Tokens and header secrets as types: they print as a fingerprint or not at all, and creating
//! one registers it with `crate::vault`, so no output shows it even when a server echoes it.

use std::fmt;

use crate::vault::{self, InUse};

/// A bearer token (an access token, or a service-account token sent as an assertion). `Debug`
/// and `Display` show only `sha256:` and 12 hex digits of its hash, so a token that ends up in a
/// log line, a panic message or a report stays a secret.
#[derive(Clone)]
pub struct AccessToken {
    raw: String,
    /// Keeps the token and its signature registered while any clone of it lives.
    _in_use: InUse,
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Eq for AccessToken {}

impl AccessToken {
    /// Register `raw` (and its signature) for as long as it is held or valid; the expiry is
    /// the JWT's `exp`, if it is a JWT.
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let exp = crate::token::decode(&raw)
            .ok()
            .and_then(|jwt| jwt.claim_i64("exp"));
        Self::expiring(raw, exp)
    }

    /// Like [`AccessToken::new`], with the expiry the endpoint gave (for opaque tokens).
    pub fn expiring(raw: impl Into<String>, expires_at: Option<i64>) -> Self {
        let raw = raw.into();
        let signature = raw.rsplit('.').next().filter(|s| s.len() < raw.len());
        let in_use = vault::keep_token(&raw, signature.as_slice(), expires_at);
        Self {
            raw,
            _in_use: in_use,
        }
    }

    /// `sha256:` and the first 12 hex digits of the token's SHA-256.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.raw)
    }

    /// The hex SHA-256 of the whole token, which names it to a revoking endpoint.
    pub fn sha256_hex(&self) -> String {
        sha256_hex(&self.raw)
    }

    /// The raw token. Call only where the user asked to see or send it.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

/// The fingerprint of any string, for places that hold a token before it is wrapped.
pub fn fingerprint_of(raw: &str) -> String {
    let hex = sha256_hex(raw);
    format!("sha256:{}", hex.get(..12).unwrap_or(&hex))
}

/// Lower-case hex of SHA-256 over the UTF-8 string: the whole hash, as the revocation
/// protocol's `token_sha256_to_refresh` carries it. One-way, so it is no secret.
pub fn sha256_hex(raw: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, raw.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
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
    fn the_revocation_hash_matches_the_specs_test_vector() {
        assert_eq!(
            sha256_hex("test_token"),
            "cc0af97287543b65da2c7e1476426021826cab166f1e063ed012b855ff819656"
        );
    }

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
        vault::keep_header(&raw);
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
