//! When to try again, following what the official SDKs agree on.

use std::time::Duration;

use super::Flavour;

/// Retries the SDKs allow App Service, Cloud Shell, Azure ML, Arc and Service Fabric.
pub const NON_IMDS_RETRIES: u32 = 3;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Total time retries may take. IMDS answers 410 for up to about 70 s while it updates.
    pub budget: Duration,
    /// Retries for statuses other than 410, which is retried until the budget is spent.
    pub max_retries: u32,
    /// First wait; doubles each time (MSAL and the IMDS docs start at 1 s).
    pub base: Duration,
    /// Longest single wait.
    pub cap: Duration,
    /// Shortest wait, even when Retry-After says 0: a 410 is retried for the whole budget,
    /// and without a floor that would hammer an endpoint that throttles at 20 requests/s.
    pub min_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            budget: Duration::from_secs(75),
            max_retries: 5,
            // MSAL waits 1 s before its first IMDS retry, as the IMDS docs ask.
            base: Duration::from_secs(1),
            cap: Duration::from_secs(20),
            min_wait: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    pub fn none() -> Self {
        Self {
            budget: Duration::ZERO,
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The policy for one flavour: IMDS keeps `max_retries`; the other local endpoints get at
    /// most [`NON_IMDS_RETRIES`], as the SDKs' default retry policy gives them.
    pub fn for_flavour(&self, flavour: Flavour) -> Self {
        let max_retries = match flavour {
            Flavour::Imds => self.max_retries,
            _ => self.max_retries.min(NON_IMDS_RETRIES),
        };
        Self {
            max_retries,
            ..self.clone()
        }
    }

    /// Never 400, 401 or 403. IMDS: 404, 410, 429, 5xx. Service Fabric: 429 only (its docs).
    pub fn retryable(flavour: Flavour, status: u16) -> bool {
        match flavour {
            Flavour::Servicefabric => status == 429,
            Flavour::Imds | Flavour::Arc => matches!(status, 404 | 410 | 429 | 500..=599),
            _ => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        }
    }

    /// The wait before retry number `retry` (0-based), or None when the policy says stop.
    pub fn next_delay(
        &self,
        status: u16,
        retry: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if status != 410 && retry >= self.max_retries {
            return None;
        }
        let backoff = self
            .base
            .saturating_mul(2u32.saturating_pow(retry.min(16)))
            .min(self.cap);
        let wait = retry_after.unwrap_or(backoff).max(self.min_wait);
        elapsed
            .checked_add(wait)
            .is_some_and(|t| t <= self.budget)
            .then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_and_budget() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.next_delay(500, 0, Duration::ZERO, None),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            p.next_delay(500, 2, Duration::ZERO, None),
            Some(Duration::from_secs(4))
        );
        assert_eq!(p.next_delay(500, 5, Duration::ZERO, None), None);
        assert!(p
            .next_delay(410, 9, Duration::from_secs(40), None)
            .is_some());
        assert_eq!(p.next_delay(410, 9, Duration::from_secs(74), None), None);
        assert_eq!(
            p.next_delay(429, 0, Duration::ZERO, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert!(!RetryPolicy::retryable(Flavour::Imds, 400));
        let app = p.for_flavour(Flavour::Appservice);
        assert!(app.next_delay(500, 2, Duration::ZERO, None).is_some());
        assert_eq!(app.next_delay(500, 3, Duration::ZERO, None), None);
        let imds = p.for_flavour(Flavour::Imds);
        assert!(imds.next_delay(500, 4, Duration::ZERO, None).is_some());
        assert!(imds.next_delay(500, 0, Duration::ZERO, None) >= Some(Duration::from_secs(1)));
        assert!(!RetryPolicy::retryable(Flavour::Servicefabric, 404));
    }
}
