//! What keeps the emulator, which mints real-looking tokens on a laptop next to a browser, to
//! the callers it is meant for: loopback binds unless asked otherwise, a Host check against DNS
//! rebinding, and the admin path's token and Origin check.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Shared, ADMIN_TOKEN_HEADER};

pub use crate::net::is_loopback_ip as is_loopback;

/// Why a bind address is refused, if it is.
pub fn check_bind(bind: SocketAddr, allow_remote: bool) -> Result<(), String> {
    if is_loopback(bind.ip()) || allow_remote {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {}, beyond loopback, without --allow-remote: anyone who can \
         reach that address could mint tokens for every flavour and call the emulated ARM, \
         and clients' tokens and secrets would cross the network in plain HTTP \
         (the admin path stays loopback-only either way)",
        bind.ip()
    ))
}

/// The host part of a Host header or URI authority: `[::1]:80` → `::1`, `a:80` → `a`.
fn host_part(authority: &str) -> &str {
    let a = authority.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match a.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => a,
    }
}

/// A name a page on the user's browser cannot rebind: localhost, a loopback IP, the bound IP,
/// and, when bound to every address (only with allow_remote), any IP literal, since rebinding
/// needs a DNS name.
fn host_allowed(authority: &str, bound: SocketAddr) -> bool {
    let host = host_part(authority);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let Ok(ip) = host.parse::<IpAddr>() else {
        return false;
    };
    is_loopback(ip) || ip == bound.ip() || bound.ip().is_unspecified()
}

/// Middleware on every route: refuse a request whose Host (or absolute target) is another name.
pub async fn host_check(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let bound = s.bound;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let target = req.uri().authority().map(|a| a.as_str());
    let ok = host.is_some_and(|h| host_allowed(h, bound))
        && target.is_none_or(|t| host_allowed(t, bound));
    if !ok {
        return (
            StatusCode::FORBIDDEN,
            "the emulator answers only requests addressed to localhost or a loopback address \
             (Host header), as a guard against DNS rebinding\n",
        )
            .into_response();
    }
    next.run(req).await
}

/// Compares without stopping at the first differing byte, so timing does not leak a secret.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether an `Origin` names the emulator itself (same host rules, same port).
fn own_origin(origin: &str, bound: SocketAddr) -> bool {
    let Ok(u) = url::Url::parse(origin) else {
        return false;
    };
    let host = match u.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        None => return false,
    };
    u.port_or_known_default() == Some(bound.port()) && host_allowed(&host, bound)
}

/// Why an `/admin/*` request is refused, if it is: not from loopback, carrying a foreign
/// `Origin` (a web page in the user's browser), or without this run's admin token.
pub fn admin_refusal(s: &Shared, peer: SocketAddr, headers: &HeaderMap) -> Option<Response> {
    if !is_loopback(peer.ip()) {
        return Some(refuse(
            StatusCode::FORBIDDEN,
            "the admin path answers loopback callers only",
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = origin.to_str().is_ok_and(|o| own_origin(o, s.bound));
        if !own {
            return Some(refuse(
                StatusCode::FORBIDDEN,
                "the admin path refuses requests from web pages (foreign Origin)",
            ));
        }
    }
    let offered = headers.get(ADMIN_TOKEN_HEADER).map(|v| v.as_bytes());
    if !offered.is_some_and(|t| same_secret(t, s.config.admin_token.as_bytes())) {
        return Some(refuse(
            StatusCode::UNAUTHORIZED,
            "the admin path needs this run's admin token in the x-tokscope-admin-token header; \
             tokscope emulate prints it at start",
        ));
    }
    None
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, format!("{why}\n")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_parts() {
        assert_eq!(host_part("[::1]:8080"), "::1");
        assert_eq!(host_part("[::1]"), "::1");
        assert_eq!(host_part("localhost:1"), "localhost");
        assert_eq!(host_part("127.0.0.1"), "127.0.0.1");
    }

    #[test]
    fn mapped_ipv4_loopback_is_loopback() {
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!is_loopback("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!is_loopback("::".parse().unwrap()));
    }
}
