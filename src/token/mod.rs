//! Decoding and explaining JWT access tokens.

pub mod claims;
pub mod identity;
pub mod jwt;
pub mod service_account;
pub mod verify;

pub use jwt::{decode, Jwt, JwtError};

use crate::error::{Error, ErrorKind};

impl From<JwtError> for Error {
    fn from(e: JwtError) -> Self {
        Error::new(ErrorKind::InvalidToken, e.to_string(), e.hint())
    }
}

/// The decoded token as the JSON contract shows it: `{"header":{…},"claims":{…}}`.
pub fn jwt_json(jwt: &Jwt) -> serde_json::Value {
    serde_json::json!({ "header": jwt.header, "claims": jwt.claims })
}
