//! Which answers each endpoint flavour retries, following what the official SDKs agree on.
//! The schedule and the loop's bookkeeping are the shared engine in `net::retry`.

use super::Flavour;
use crate::net::retry::Retryable;

/// Never 400, 401 or 403. IMDS and Arc: 404, 410, 429, 5xx. Service Fabric: 429 only (its docs).
pub fn retryable(flavour: Flavour) -> Retryable {
    match flavour {
        Flavour::Servicefabric => |s| s == 429,
        Flavour::Imds | Flavour::Arc => |s| matches!(s, 404 | 410 | 429 | 500..=599),
        _ => |s| matches!(s, 408 | 429 | 500 | 502 | 503 | 504),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_by_flavour() {
        assert!(!retryable(Flavour::Imds)(400));
        assert!(retryable(Flavour::Imds)(410));
        assert!(!retryable(Flavour::Servicefabric)(404));
        assert!(retryable(Flavour::Servicefabric)(429));
    }
}
