//! The emulator's signing key: RSA-2048, made once per process, published as a JWKS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{Keypair, SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

use crate::token::jwt::encode_part;

pub struct Keys {
    signer: SigningKey<Sha256>,
    verifier: VerifyingKey<Sha256>,
    pub kid: String,
    n: String,
    e: String,
}

impl Keys {
    fn generate() -> Result<Self, String> {
        // aws-lc-rs makes the key several times faster than the rsa crate (it dominates the
        // time to the first frame of `--demo`); the rsa crate then signs and verifies with it.
        use aws_lc_rs::encoding::AsDer;
        use rsa::pkcs8::DecodePrivateKey;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(|_| "the RSA key generator failed".to_string())?;
        let der = pair
            .as_der()
            .map_err(|_| "cannot encode the RSA key".to_string())?;
        let private = RsaPrivateKey::from_pkcs8_der(der.as_ref()).map_err(|e| e.to_string())?;
        let n = private.n().to_bytes_be();
        let e = private.e().to_bytes_be();
        // Entra's kid and x5t are a certificate thumbprint; a hash of the modulus serves the same purpose.
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(&n).get(..20).unwrap_or_default());
        let signer = SigningKey::<Sha256>::new(private);
        Ok(Self {
            verifier: signer.verifying_key(),
            signer,
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
        let sig = self.signer.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// True when `token` is an RS256 JWS signed with this key, as ARM checks a token's signature.
    pub fn verify(&self, token: &str) -> bool {
        let Ok(jwt) = crate::token::decode(token) else {
            return false;
        };
        if jwt.header_str("alg") != Some("RS256") {
            return false;
        }
        let Ok(sig) = Signature::try_from(jwt.signature()) else {
            return false;
        };
        self.verifier
            .verify(jwt.signing_input().as_bytes(), &sig)
            .is_ok()
    }

    pub fn jwks(&self, issuer: &str) -> Value {
        json!({"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid,
            "n": self.n, "e": self.e, "issuer": issuer,
        }]})
    }
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
