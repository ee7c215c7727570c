//! Which answers each endpoint flavour retries, and how often, following what the official
//! SDKs agree on. The schedule and the loop's bookkeeping are the shared engine in `net::retry`.

use super::Flavour;
use crate::net::retry::{RetryPolicy, Retryable};

/// Retries the SDKs allow App Service, Cloud Shell, Azure ML, Arc and Service Fabric.
pub const NON_IMDS_RETRIES: u32 = 3;

/// Never 400, 401 or 403. IMDS and Arc: 404, 410, 429, 5xx. Service Fabric: 429 only (its docs).
pub fn retryable(flavour: Flavour) -> Retryable {
    match flavour {
        Flavour::Servicefabric => |s| s == 429,
        Flavour::Imds | Flavour::Arc => |s| matches!(s, 404 | 410 | 429 | 500..=599),
        _ => |s| matches!(s, 408 | 429 | 500 | 502 | 503 | 504),
    }
}

/// The policy for one flavour: IMDS keeps `max_retries`; the other local endpoints get at
/// most [`NON_IMDS_RETRIES`], as the SDKs' default retry policy gives them.
pub fn for_flavour(policy: &RetryPolicy, flavour: Flavour) -> RetryPolicy {
    let max_retries = match flavour {
        Flavour::Imds => policy.max_retries,
        _ => policy.max_retries.min(NON_IMDS_RETRIES),
    };
    RetryPolicy {
        max_retries,
        ..policy.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn statuses_and_retries_by_flavour() {
        let p = RetryPolicy::default();
        assert!(!retryable(Flavour::Imds)(400));
        assert!(retryable(Flavour::Imds)(410));
        let app = for_flavour(&p, Flavour::Appservice);
        assert!(app.next_delay(500, 2, Duration::ZERO, None).is_some());
        assert_eq!(app.next_delay(500, 3, Duration::ZERO, None), None);
        let imds = for_flavour(&p, Flavour::Imds);
        assert!(imds.next_delay(500, 4, Duration::ZERO, None).is_some());
        assert!(imds.next_delay(500, 0, Duration::ZERO, None) >= Some(Duration::from_secs(1)));
        assert!(!retryable(Flavour::Servicefabric)(404));
        assert!(retryable(Flavour::Servicefabric)(429));
    }
}
