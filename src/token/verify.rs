//! RS256 signature verification against the issuer's published keys (a JWKS).
//!
//! The keys are found the way every Entra client finds them: the tenant's
//! `.well-known/openid-configuration` names a `jwks_uri`, whose `keys` hold the RSA modulus and
//! exponent of each signing key, named by `kid` (and `x5t` in v1 tokens).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::Value;
use sha2::Sha256;

use super::Jwt;
use crate::endpoint::http::{read_capped, BodyEnd, SMALL_BODY_CAP};
use crate::endpoint::is_loopback_url;
use crate::error::{Error, ErrorKind, Result};

/// Where Entra publishes each tenant's OpenID configuration.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

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

/// Check the token's signature with the matching key of `jwks` (`{"keys":[…]}`).
pub fn verify(jwt: &Jwt, jwks: &Value) -> Verification {
    if jwt.header.contains_key("nonce") {
        return Verification::NotVerifiableByDesign;
    }
    let alg = jwt.header_str("alg").unwrap_or("(none)");
    if alg != "RS256" {
        return Verification::Unsupported(alg.to_string());
    }
    let Some(jwk) = find_key(jwt, jwks) else {
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
    let Ok(signature) = Signature::try_from(jwt.signature()) else {
        return Verification::Failed("the signature is not an RSA signature".into());
    };
    match VerifyingKey::<Sha256>::new(key).verify(jwt.signing_input().as_bytes(), &signature) {
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

fn public_key(jwk: &Value) -> std::result::Result<RsaPublicKey, String> {
    if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
        return Err("the matching key is not an RSA key".into());
    }
    let number = |field: &str| {
        jwk.get(field)
            .and_then(Value::as_str)
            .and_then(|s| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok())
            .map(|b| BigUint::from_bytes_be(&b))
            .ok_or_else(|| format!("the matching key's `{field}` is missing or not base64url"))
    };
    RsaPublicKey::new(number("n")?, number("e")?)
        .map_err(|e| format!("the matching key is not a usable RSA public key: {e}"))
}

/// The OpenID configuration URL for a tenant. `authority` is either a host
/// (`https://login.microsoftonline.com`, `http://127.0.0.1:50342`) or a full configuration URL.
pub fn openid_configuration_url(authority: Option<&str>, tenant: &str) -> String {
    let a = authority.unwrap_or(DEFAULT_AUTHORITY).trim();
    if a.contains("/.well-known/openid-configuration") {
        return a.to_string();
    }
    format!(
        "{}/{tenant}/.well-known/openid-configuration",
        a.trim_end_matches('/')
    )
}

/// A JWKS and where it came from.
#[derive(Debug, Clone)]
pub struct KeySet {
    pub jwks_uri: String,
    pub jwks: Value,
}

/// Follow the OpenID configuration to its `jwks_uri` and fetch the keys.
pub async fn fetch_keys(openid_url: &str, timeout: Duration) -> Result<KeySet> {
    let config = get_json(openid_url, timeout).await?;
    let jwks_uri = config
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::BadResponse,
                format!("{openid_url} names no jwks_uri"),
                "check --authority: it should be the tenant's issuer host",
            )
        })?
        .to_string();
    let jwks = get_json(&jwks_uri, timeout).await?;
    Ok(KeySet { jwks_uri, jwks })
}

async fn get_json(url: &str, timeout: Duration) -> Result<Value> {
    let mut builder = reqwest::Client::builder()
        // Keys come from the URL the user (or the configuration) named, nowhere else.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout);
    // Loopback (the emulator) never goes through a proxy; the real issuer may need one.
    if is_loopback_url(url) {
        builder = builder.no_proxy();
    }
    builder = crate::endpoint::trust::apply(builder);
    let unreachable = |why: String| {
        Error::new(
            ErrorKind::Connect,
            format!("cannot fetch {url}: {why}"),
            "this machine may be offline or behind a proxy; the signature can be checked elsewhere",
        )
    };
    let http = builder.build().map_err(|e| unreachable(e.to_string()))?;
    let resp = http
        .get(url)
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let answer = read_capped(resp, SMALL_BODY_CAP).await;
    let status = answer.status;
    if !(200..300).contains(&status) {
        return Err(unreachable(format!("HTTP {status}")).with_status(status));
    }
    match answer.ending {
        BodyEnd::Complete => {}
        BodyEnd::TooLarge => {
            return Err(Error::new(
                ErrorKind::BadResponse,
                format!("{url} answered more than 1 MiB"),
                "check --authority: it should be the tenant's issuer host",
            ))
        }
        BodyEnd::Cut(e) => return Err(unreachable(format!("the answer broke off: {e}"))),
    }
    serde_json::from_slice::<Value>(&answer.body).map_err(|e| {
        Error::new(
            ErrorKind::BadResponse,
            format!("{url} did not answer JSON: {e}"),
            "check --authority: it should be the tenant's issuer host",
        )
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
        let jwks = json!({"keys": []});
        let g = token_with_header(json!({"alg":"RS256","kid":"k","nonce":"abc"}));
        assert_eq!(verify(&g, &jwks), Verification::NotVerifiableByDesign);
        let h = token_with_header(json!({"alg":"HS256"}));
        assert_eq!(verify(&h, &jwks), Verification::Unsupported("HS256".into()));
        let k = token_with_header(json!({"alg":"RS256","kid":"k"}));
        assert_eq!(verify(&k, &jwks), Verification::KeyNotFound);
    }

    #[test]
    fn openid_url_from_host_or_full_url() {
        assert_eq!(
            openid_configuration_url(None, "t"),
            "https://login.microsoftonline.com/t/.well-known/openid-configuration"
        );
        assert_eq!(
            openid_configuration_url(Some("http://127.0.0.1:9/"), "t"),
            "http://127.0.0.1:9/t/.well-known/openid-configuration"
        );
        let full = "http://127.0.0.1:9/x/.well-known/openid-configuration";
        assert_eq!(openid_configuration_url(Some(full), "t"), full);
    }
}
