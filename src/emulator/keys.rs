//! The emulator's signing key: RSA-2048, made once per process, published as a JWKS.

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::sync::{Arc, OnceLock};

use crate::token::jwt::encode_part;

pub struct Keys {
    pair: KeyPair,
    pub kid: String,
    n: String,
    e: String,
}

impl Keys {
    fn generate() -> Result<Self, String> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| "the RSA key generator failed".to_string())?;
        let public = pair.public_key();
        let n = public.modulus().big_endian_without_leading_zero().to_vec();
        let e = public.exponent().big_endian_without_leading_zero().to_vec();
        // Entra's kid and x5t are a certificate thumbprint; a hash of the modulus serves the same purpose.
        let hash = digest(&SHA256, &n);
        let kid = URL_SAFE_NO_PAD.encode(hash.as_ref().get(..20).unwrap_or_default());
        Ok(Self {
            pair,
            kid,
            n: URL_SAFE_NO_PAD.encode(n),
            e: URL_SAFE_NO_PAD.encode(e),
        })
    }

    /// One key per process: generating RSA keys is slow, and every emulator in a process may share it.
    pub fn shared() -> Result<Arc<Keys>, String> {
        static KEYS: OnceLock<Result<Arc<Keys>, String>> = OnceLock::new();
        KEYS.get_or_init(|| {
            Keys::generate()
                .map(Arc::new)
                .map_err(|e| format!("cannot generate the emulator's RSA key: {e}"))
        })
        .clone()
    }

    /// A compact RS256 JWS with `typ`, `alg`, `x5t` and `kid`, as Entra's v1 tokens have.
    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        let header = json!({"typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid});
        self.sign_with_header(header, claims)
    }

    /// A compact RS256 JWS with the given header (service-account tokens carry only alg and kid).
    pub fn sign_with_header(&self, header: Value, claims: &Map<String, Value>) -> String {
        let input = format!(
            "{}.{}",
            encode_part(&header),
            encode_part(&Value::Object(claims.clone()))
        );
        let mut sig = vec![0; self.pair.public_modulus_len()];
        // PKCS#1 v1.5 with a key made here fails only on a wrongly sized buffer, which the
        // line above rules out; an empty signature would be refused by every verifier.
        if self
            .pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .is_err()
        {
            sig.clear();
        }
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// True when `token` is an RS256 JWS signed with this key, as ARM checks a token's signature.
    pub fn verify(&self, token: &str) -> bool {
        let Ok(jwt) = crate::token::decode(token) else {
            return false;
        };
        if jwt.header_str("alg") != Some("RS256") {
            return false;
        }
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, self.pair.public_key().as_ref())
            .verify(jwt.signing_input().as_bytes(), jwt.signature())
            .is_ok()
    }

    pub fn jwks(&self, issuer: &str) -> Value {
        json!({"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid,
            "n": self.n, "e": self.e, "issuer": issuer,
        }]})
    }
}

/// A token with `alg: none` and an empty signature: what the `unsigned` fault hands out, so
/// clients can be seen refusing it.
pub fn unsigned(claims: &Map<String, Value>) -> String {
    let header = json!({"typ": "JWT", "alg": "none"});
    format!(
        "{}.{}.",
        encode_part(&header),
        encode_part(&Value::Object(claims.clone()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_its_own_signatures_only() {
        let keys = Keys::shared().unwrap();
        let mut claims = Map::new();
        claims.insert("aud".into(), json!("https://management.azure.com"));
        let token = keys.sign(&claims);
        assert!(keys.verify(&token));
        let (input, sig) = token.rsplit_once('.').unwrap();
        let mut other = claims.clone();
        other.insert("aud".into(), json!("https://graph.microsoft.com"));
        let forged = format!(
            "{}.{}.{sig}",
            input.split('.').next().unwrap(),
            encode_part(&Value::Object(other))
        );
        assert!(!keys.verify(&forged));
        assert!(!keys.verify("not-a-token"));
    }
}
