//! Finding an issuer's signing keys the way every Entra client does: the tenant's
//! `.well-known/openid-configuration` names a `jwks_uri`, which serves the JWKS.
//! The network half of signature checking; `token::verify` does the pure half.

use crate::display_url::DisplayUrl;
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{is_loopback_url, read_capped, BodyEnd, SMALL_BODY_CAP};
use crate::token::verify::Jwks;

/// Where Entra publishes each tenant's OpenID configuration.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

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
    pub jwks: Jwks,
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
                format!("{} names no jwks_uri", DisplayUrl::of(openid_url)),
                "check --authority: it should be the tenant's issuer host",
            )
        })?
        .to_string();
    let jwks = Jwks(get_json(&jwks_uri, timeout).await?);
    Ok(KeySet { jwks_uri, jwks })
}

async fn get_json(url: &str, timeout: Duration) -> Result<Value> {
    let shown = DisplayUrl::of(url);
    let mut builder = reqwest::Client::builder()
        // Keys come from the URL the user (or the configuration) named, nowhere else.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout);
    // Loopback (the emulator) never goes through a proxy; the real issuer may need one.
    if is_loopback_url(url) {
        builder = builder.no_proxy();
    }
    builder = crate::net::trust::apply(builder)?;
    let unreachable = |why: String| {
        Error::new(
            ErrorKind::Connect,
            format!("cannot fetch {shown}: {why}"),
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
                format!("{shown} answered more than 1 MiB"),
                "check --authority: it should be the tenant's issuer host",
            ))
        }
        BodyEnd::Cut(e) => return Err(unreachable(format!("the answer broke off: {e}"))),
    }
    serde_json::from_slice::<Value>(&answer.body).map_err(|e| {
        Error::new(
            ErrorKind::BadResponse,
            format!("{shown} did not answer JSON: {e}"),
            "check --authority: it should be the tenant's issuer host",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
