//! The emulator's signing key: RSA-2048, made once per process, published as a JWKS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

use crate::token::jwt::encode_part;

pub struct Keys {
    signer: SigningKey<Sha256>,
    pub kid: String,
    n: String,
    e: String,
}

impl Keys {
    fn generate() -> Result<Self, rsa::Error> {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
        let n = private.n().to_bytes_be();
        let e = private.e().to_bytes_be();
        // Entra's kid and x5t are a certificate thumbprint; a hash of the modulus serves the same purpose.
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(&n)[..20]);
        Ok(Self {
            signer: SigningKey::<Sha256>::new(private),
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
        let input = format!(
            "{}.{}",
            encode_part(&header),
            encode_part(&Value::Object(claims.clone()))
        );
        let sig = self.signer.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    pub fn jwks(&self, issuer: &str) -> Value {
        json!({"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid,
            "n": self.n, "e": self.e, "issuer": issuer,
        }]})
    }
}
