//! `get --refresh`: ask an endpoint that supports the revocation protocol for a new token in
//! place of the one it holds, and prove whether one came back.
//!
//! The token the endpoint holds is fetched first (its cache hands it back); the second request
//! names it by the hex SHA-256 of the whole token (`token_sha256_to_refresh`, with
//! `xms_cc=cp1`). Only a token with another hash proves the endpoint replaced it; a later
//! `iat` shows it was issued afterwards.

use serde_json::{json, Value};

use super::{request, Endpoint, Fetched, TokenClient};
use crate::error::Result;
use crate::flavour::Revocation;

/// The token before and after, and what the comparison proves.
pub struct Refreshed {
    pub old: Fetched,
    pub new: Fetched,
    pub proof: Proof,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub old_sha256: String,
    pub new_sha256: String,
    pub old_iat: Option<i64>,
    pub new_iat: Option<i64>,
    /// The endpoint handed back another token.
    pub replaced: bool,
    /// The new token was issued after the old one.
    pub issued_later: bool,
}

impl Proof {
    pub fn to_json(&self) -> Value {
        json!({
            "supported": true,
            "old_sha256": self.old_sha256,
            "new_sha256": self.new_sha256,
            "old_iat": self.old_iat,
            "new_iat": self.new_iat,
            "replaced": self.replaced,
            "issued_later": self.issued_later,
        })
    }

    /// The proof in words.
    pub fn summary(&self) -> String {
        let iat = match (self.old_iat, self.new_iat) {
            (Some(o), Some(n)) => format!("iat {o} → {n}"),
            _ => "no iat to compare".into(),
        };
        if self.replaced {
            format!(
                "new token: sha256 {}… → {}…, {iat}{}",
                self.old_sha256.get(..12).unwrap_or_default(),
                self.new_sha256.get(..12).unwrap_or_default(),
                if self.issued_later {
                    " (issued later)"
                } else {
                    " (not issued later: a token minted earlier?)"
                }
            )
        } else {
            format!(
                "the same token came back (sha256 {}…): the endpoint did not honour the request",
                self.old_sha256.get(..12).unwrap_or_default()
            )
        }
    }
}

fn iat(f: &Fetched) -> Option<i64> {
    f.token.jwt.as_ref().ok().and_then(|j| j.claim_i64("iat"))
}

/// Fetch the held token, then ask for its replacement. Refused before anything is sent where
/// the flavour has no revocation protocol.
pub async fn refresh(client: &TokenClient, ep: &Endpoint, resource: &str) -> Result<Refreshed> {
    if let Revocation::Unsupported { .. } = ep.flavour.spec().revocation {
        return Err(request::no_revocation(ep.flavour));
    }
    let old = client.fetch(ep, resource).await?;
    let old_sha256 = old.token.access_token.sha256_hex();
    let new = client
        .fetch_replacing(ep, resource, Some(&old_sha256))
        .await?;
    let new_sha256 = new.token.access_token.sha256_hex();
    let (old_iat, new_iat) = (iat(&old), iat(&new));
    let proof = Proof {
        replaced: new_sha256 != old_sha256,
        issued_later: matches!((old_iat, new_iat), (Some(o), Some(n)) if n > o),
        old_sha256,
        new_sha256,
        old_iat,
        new_iat,
    };
    Ok(Refreshed { old, new, proof })
}
