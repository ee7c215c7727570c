//! Splitting and decoding a compact JWS. Never panics on any input.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use crate::token::claims::whole;
use std::fmt;

/// Larger than any real Entra token (about 1.5 to 4 KB), small enough to refuse garbage early.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Header,
    Claims,
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Claims => "claims",
            Part::Signature => "signature",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is empty")]
    Empty,
    #[error("the token is {0} bytes, more than the 64 KiB limit")]
    Oversize(usize),
    #[error("this is an encrypted token (JWE, 5 parts): its claims cannot be read without the recipient's key")]
    Jwe,
    #[error("a JWT has 3 parts separated by '.', this has {0}")]
    WrongParts(usize),
    #[error("the {0} part is not valid base64url")]
    Base64(Part),
    #[error("the {0} part is not UTF-8 text")]
    NotUtf8(Part),
    #[error("the {0} part is not JSON: {1}")]
    NotJson(Part, String),
    #[error("the {0} part is JSON but not an object")]
    NotObject(Part),
}

/// What an inspector says of an `alg: none` token, which it still shows, as jwt.io does.
pub const UNSIGNED_WARNING: &str = "UNSIGNED: the header says alg \"none\", so nothing vouches for these claims; no Azure service accepts such a token: treat it as forged and fetch a fresh one from the endpoint";

impl JwtError {
    pub fn hint(&self) -> &'static str {
        match self {
            JwtError::Empty => "pass the token as an argument or on stdin (tokscope get --json --show-token | tokscope decode -)",
            JwtError::Oversize(_) => "check that only the token was passed, not a whole response or file",
            JwtError::Jwe => "encrypted tokens are for the resource that holds the key; ask the endpoint for an access token instead",
            JwtError::WrongParts(_) => "pass only the access_token value, without quotes; a JWT looks like eyJ….eyJ….sig",
            _ => "the token was probably cut or altered when it was copied; copy it again in one piece",
        }
    }
}

/// A decoded token. The signature's bytes are kept for verification but never printed.
#[derive(Clone, PartialEq)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .field("signature_len", &self.signature.len())
            .finish()
    }
}

impl Jwt {
    pub fn signature_len(&self) -> usize {
        self.signature.len()
    }

    /// `header.claims` as sent, the bytes the signature covers.
    pub fn signing_input(&self) -> &str {
        &self.signing_input
    }

    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// `alg: none`: claims that nothing signs.
    pub fn is_unsigned(&self) -> bool {
        self.header_str("alg")
            .is_some_and(|a| a.eq_ignore_ascii_case("none"))
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A numeric claim, also when it was sent as a string of digits.
    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        let n = match self.claims.get(name)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(whole)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        n.and_then(super::claims::plausible_epoch)
    }
}

/// Trim whitespace, quotes and a `Bearer ` prefix, the way tokens arrive from a paste.
pub fn clean(input: &str) -> &str {
    let mut s = input.trim();
    if s.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
    {
        s = s.get(7..).unwrap_or("").trim_start();
    }
    s.trim_matches('"').trim()
}

pub fn decode(input: &str) -> Result<Jwt, JwtError> {
    if input.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::Oversize(input.len()));
    }
    let token = clean(input);
    if token.is_empty() {
        return Err(JwtError::Empty);
    }
    let parts: Vec<&str> = token.split('.').collect();
    let (head, body, sig) = match *parts.as_slice() {
        [h, c, s] => (h, c, s),
        [_, _, _, _, _] => return Err(JwtError::Jwe),
        ref other => return Err(JwtError::WrongParts(other.len())),
    };
    // An unsigned token (alg none) is decoded and shown under a loud warning, never trusted:
    // see `Jwt::is_unsigned`.
    let header = json_part(head, Part::Header)?;
    let claims = json_part(body, Part::Claims)?;
    let signature = b64(sig, Part::Signature)?;
    Ok(Jwt {
        header,
        claims,
        signing_input: format!("{head}.{body}"),
        signature,
    })
}

fn b64(s: &str, part: Part) -> Result<Vec<u8>, JwtError> {
    // Some encoders pad; base64url in JWS must not, so accept and drop the padding.
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| JwtError::Base64(part))
}

fn json_part(s: &str, part: Part) -> Result<Map<String, Value>, JwtError> {
    let bytes = b64(s, part)?;
    let text = String::from_utf8(bytes).map_err(|_| JwtError::NotUtf8(part))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(JwtError::NotObject(part)),
        Err(e) => Err(JwtError::NotJson(part, e.to_string())),
    }
}

/// Encode a JSON object as a JWT part (used by the emulator, and by tests to build bad tokens).
pub fn encode_part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tok(h: Value, c: Value) -> String {
        format!("{}.{}.c2ln", encode_part(&h), encode_part(&c))
    }

    #[test]
    fn decodes_in_claim_order_and_trims_bearer() {
        let t = tok(json!({"alg":"RS256","typ":"JWT"}), json!({"z":1,"a":2}));
        let j = decode(&format!("  Bearer {t}\n")).unwrap();
        let keys: Vec<_> = j.claims.keys().cloned().collect();
        assert_eq!(keys, ["z", "a"]);
        assert_eq!(j.signature_len(), 3);
    }

    #[test]
    fn each_bad_token_has_its_own_error() {
        let good_h = encode_part(&json!({"alg":"RS256"}));
        let good_c = encode_part(&json!({"a":1}));
        assert_eq!(decode(""), Err(JwtError::Empty));
        assert_eq!(decode("a.b.c.d.e"), Err(JwtError::Jwe));
        assert_eq!(decode("a.b"), Err(JwtError::WrongParts(2)));
        assert_eq!(decode(&"a".repeat(70_000)), Err(JwtError::Oversize(70_000)));
        assert_eq!(
            decode(&format!("!!.{good_c}.x")),
            Err(JwtError::Base64(Part::Header))
        );
        let not_utf8 = URL_SAFE_NO_PAD.encode([0xff, 0xfe]);
        assert_eq!(
            decode(&format!("{not_utf8}.{good_c}.x")),
            Err(JwtError::NotUtf8(Part::Header))
        );
        let not_json = URL_SAFE_NO_PAD.encode("hello");
        assert!(matches!(
            decode(&format!("{good_h}.{not_json}.x")),
            Err(JwtError::NotJson(Part::Claims, _))
        ));
        let arr = encode_part(&json!([1]));
        assert_eq!(
            decode(&format!("{good_h}.{arr}.x")),
            Err(JwtError::NotObject(Part::Claims))
        );
        let none = encode_part(&json!({"alg":"none"}));
        let unsigned = decode(&format!("{none}.{good_c}.")).unwrap();
        assert!(unsigned.is_unsigned());
        assert!(unsigned.signature.is_empty());
    }
}
