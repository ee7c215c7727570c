//! Which URLs point at this machine: the only places a secret may travel over plain HTTP. Pure
//! (no I/O), so that decoding a token can judge an issuer's address without the network layer.

use std::net::IpAddr;

/// Loopback, counting IPv4 loopback seen through an IPv6 socket (`::ffff:127.0.0.1`).
pub fn is_loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// True for 127.0.0.0/8, ::1 (also as `::ffff:127.0.0.1`) and localhost.
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => is_loopback_ip(ip.into()),
        Some(url::Host::Ipv6(ip)) => is_loopback_ip(ip.into()),
        None => false,
    }
}
