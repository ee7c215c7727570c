//! Proxy variables against the endpoint: tokscope itself never sends a token request to a
//! proxy, but the SDKs, the Azure CLI and curl do, unless NO_PROXY covers the endpoint's host.
//! That gap is the classic "tokscope works but my app does not"; detection notes it, so every
//! verdict of the run carries it.

use std::net::Ipv4Addr;

use super::EnvSnapshot;

/// The proxy variables clients read.
pub const PROXY_SETTINGS: &[&str] = &["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"];
/// The hosts local token endpoints live on.
pub const MUST_BYPASS: &[&str] = &["169.254.169.254", "localhost", "127.0.0.1"];

/// Whether one NO_PROXY entry covers a host: `*`, the host itself, a domain suffix, or a CIDR.
fn entry_covers(entry: &str, host: &str) -> bool {
    let entry = entry
        .trim()
        .trim_start_matches("*.")
        .trim_start_matches('.');
    if entry.is_empty() {
        return false;
    }
    if entry == "*" {
        return true;
    }
    // `host:port` entries: the port does not matter for this question.
    let entry = match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => entry,
    };
    if entry.eq_ignore_ascii_case(host) {
        return true;
    }
    if let (Some((net, bits)), Ok(ip)) = (entry.split_once('/'), host.parse::<Ipv4Addr>()) {
        if let (Ok(net), Ok(bits)) = (net.parse::<Ipv4Addr>(), bits.parse::<u32>()) {
            if bits <= 32 {
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                return u32::from(net) & mask == u32::from(ip) & mask;
            }
        }
    }
    let h = host.to_ascii_lowercase();
    host.parse::<Ipv4Addr>().is_err() && h.ends_with(&format!(".{}", entry.to_ascii_lowercase()))
}

/// Whether the NO_PROXY list (comma-separated) covers a host.
pub fn no_proxy_covers(list: &str, host: &str) -> bool {
    list.split(',').any(|e| entry_covers(e, host))
}

/// The host of a URL (brackets stripped from IPv6), for matching against NO_PROXY.
pub fn url_host(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url).ok()?;
    let host = u.host_str()?.trim_start_matches('[').trim_end_matches(']');
    Some(host.to_ascii_lowercase())
}

/// The proxy variables set, in [`PROXY_SETTINGS`]' order.
pub fn proxies_set(env: &EnvSnapshot) -> Vec<&'static str> {
    PROXY_SETTINGS
        .iter()
        .copied()
        .filter(|k| env.has(k))
        .collect()
}

/// NO_PROXY and no_proxy together, as one comma-separated list.
pub fn no_proxy(env: &EnvSnapshot) -> String {
    [env.get("NO_PROXY"), env.get("no_proxy")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(",")
}

/// The note for an endpoint at `url` when a proxy variable is set and NO_PROXY (or no_proxy)
/// does not cover its host; None when no proxy is set or the host is covered.
pub fn gap(env: &EnvSnapshot, url: &str) -> Option<String> {
    let set = proxies_set(env);
    if set.is_empty() {
        return None;
    }
    let host = url_host(url)?;
    if no_proxy_covers(&no_proxy(env), &host) {
        return None;
    }
    Some(format!(
        "{} set and NO_PROXY does not cover {host}: tokscope bypasses proxies for token endpoints, but azure-identity, the Azure CLI and curl send this endpoint's requests to the proxy (an HTML page or a stripped Metadata header back); add {host} to NO_PROXY and no_proxy",
        set.join(", ")
    ))
}
