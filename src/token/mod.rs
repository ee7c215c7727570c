//! Decoding and explaining JWT access tokens.

pub mod claims;
pub mod federation;
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

/// [`jwt_json`]'s shape, borrowed from the token: serialised straight into an output without
/// first copying every claim into a new `Value`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct JwtParts<'a> {
    pub header: &'a serde_json::Map<String, serde_json::Value>,
    pub claims: &'a serde_json::Map<String, serde_json::Value>,
}

impl<'a> From<&'a Jwt> for JwtParts<'a> {
    fn from(jwt: &'a Jwt) -> Self {
        Self {
            header: &jwt.header,
            claims: &jwt.claims,
        }
    }
}
