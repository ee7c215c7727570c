//! RS256 signature verification against the issuer's published keys (a JWKS).
//!
//! Pure: the keys are handed in. Finding them (the tenant's OpenID configuration and its
//! `jwks_uri`) is network work and lives with doctor, in `doctor::keys`. A JWKS's `keys` hold
//! the RSA modulus and exponent of each signing key, named by `kid` (and `x5t` in v1 tokens).

use aws_lc_rs::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use super::Jwt;

/// An issuer's published key set, `{"keys":[…]}` as it was served.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwks(pub Value);

/// What checking a token's signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The signature matches the key named by the token's header.
    Verified { kid: String },
    /// A key was found but the signature does not match it (or the key is unusable).
    Failed(String),
    /// No key in the set has the token's `kid` or `x5t`.
    KeyNotFound,
    /// Microsoft Graph tokens carry a `nonce` in the header and are signed over a hashed nonce:
    /// only Graph can verify them.
    NotVerifiableByDesign,
    /// An algorithm other than RS256.
    Unsupported(String),
}

/// Check the token's signature with the matching key of `jwks`.
pub fn verify(jwt: &Jwt, jwks: &Jwks) -> Verification {
    if jwt.header.contains_key("nonce") {
        return Verification::NotVerifiableByDesign;
    }
    let alg = jwt.header_str("alg").unwrap_or("(none)");
    if alg != "RS256" {
        return Verification::Unsupported(alg.to_string());
    }
    let Some(jwk) = find_key(jwt, &jwks.0) else {
        return Verification::KeyNotFound;
    };
    let kid = jwk
        .get("kid")
        .or_else(|| jwk.get("x5t"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let key = match public_key(jwk) {
        Ok(k) => k,
        Err(why) => return Verification::Failed(why),
    };
    let checked = key.verify(
        &RSA_PKCS1_2048_8192_SHA256,
        jwt.signing_input().as_bytes(),
        jwt.signature(),
    );
    match checked {
        Ok(()) => Verification::Verified { kid },
        Err(_) => Verification::Failed(format!(
            "the signature does not match key {kid}: the header or claims were changed after signing, or another key signed it"
        )),
    }
}

/// The JWK named by the header's `kid`, else by its `x5t`.
fn find_key<'a>(jwt: &Jwt, jwks: &'a Value) -> Option<&'a Value> {
    let keys = jwks.get("keys")?.as_array()?;
    let field_is =
        |k: &Value, field: &str, want: &str| k.get(field).and_then(Value::as_str) == Some(want);
    if let Some(kid) = jwt.header_str("kid") {
        if let Some(k) = keys.iter().find(|k| field_is(k, "kid", kid)) {
            return Some(k);
        }
    }
    let x5t = jwt.header_str("x5t")?;
    keys.iter()
        .find(|k| field_is(k, "x5t", x5t) || field_is(k, "kid", x5t))
}

/// The key's big-endian modulus and exponent; aws-lc-rs checks their sizes when verifying.
fn public_key(jwk: &Value) -> Result<RsaPublicKeyComponents<Vec<u8>>, String> {
    if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
        return Err("the matching key is not an RSA key".into());
    }
    let number = |field: &str| {
        jwk.get(field)
            .and_then(Value::as_str)
            .and_then(|s| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok())
            .filter(|b| !b.is_empty())
            .ok_or_else(|| format!("the matching key's `{field}` is missing or not base64url"))
    };
    Ok(RsaPublicKeyComponents {
        n: number("n")?,
        e: number("e")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::decode;
    use crate::token::jwt::encode_part;
    use serde_json::json;

    fn token_with_header(h: Value) -> Jwt {
        decode(&format!(
            "{}.{}.c2ln",
            encode_part(&h),
            encode_part(&json!({"a":1}))
        ))
        .unwrap()
    }

    #[test]
    fn graph_nonce_and_other_algorithms_are_named() {
        let jwks = Jwks(json!({"keys": []}));
        let g = token_with_header(json!({"alg":"RS256","kid":"k","nonce":"abc"}));
        assert_eq!(verify(&g, &jwks), Verification::NotVerifiableByDesign);
        let h = token_with_header(json!({"alg":"HS256"}));
        assert_eq!(verify(&h, &jwks), Verification::Unsupported("HS256".into()));
        let k = token_with_header(json!({"alg":"RS256","kid":"k"}));
        assert_eq!(verify(&k, &jwks), Verification::KeyNotFound);
    }
}
