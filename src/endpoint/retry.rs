//! Which answers each endpoint flavour retries, and how often, following what the official
//! SDKs agree on. The schedule and the loop's bookkeeping are the shared engine in `net::retry`.

use super::Flavour;
use crate::net::retry::{RetryPolicy, Retryable};

/// The statuses this flavour retries (its row's rule).
pub fn retryable(flavour: Flavour) -> Retryable {
    flavour.spec().retry.retryable
}

/// The policy for one flavour: IMDS keeps `max_retries`; the other local endpoints get at most
/// what their row allows, as the SDKs' default retry policy gives them.
pub fn for_flavour(policy: &RetryPolicy, flavour: Flavour) -> RetryPolicy {
    let max_retries = match flavour.spec().retry.max_retries {
        Some(cap) => policy.max_retries.min(cap),
        None => policy.max_retries,
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
