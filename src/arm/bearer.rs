//! What ARM calls need of a token: the secret to send, and its claims to explain a refusal
//! (`oid`) or to find the subscription (`xms_az_rid`, `xms_mirid`).

use std::borrow::Cow;

use crate::endpoint::TokenResponse;
use crate::secret::AccessToken;
use crate::token::Jwt;

pub trait Bearer: Sync {
    fn secret(&self) -> &AccessToken;
    /// The token's claims, when it decodes.
    fn jwt(&self) -> Option<Cow<'_, Jwt>>;
}

/// A fetched token: decoded already, by the endpoint's parser.
impl Bearer for TokenResponse {
    fn secret(&self) -> &AccessToken {
        &self.access_token
    }
    fn jwt(&self) -> Option<Cow<'_, Jwt>> {
        self.jwt.as_ref().ok().map(Cow::Borrowed)
    }
}

/// A bare token handed in by a library caller: decoded here, the one place that does.
impl Bearer for AccessToken {
    fn secret(&self) -> &AccessToken {
        self
    }
    fn jwt(&self) -> Option<Cow<'_, Jwt>> {
        crate::token::decode(self.expose()).ok().map(Cow::Owned)
    }
}
