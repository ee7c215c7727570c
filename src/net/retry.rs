//! The one retry engine: a schedule (`RetryPolicy`) and a retryable-status predicate, shared
//! by the token endpoints, Entra's exchange and ARM. Callers keep their own request and error
//! reading; the engine only says whether, and how long, to wait.

use std::time::{Duration, Instant};

use super::retry_after::parse_retry_after;

/// Which answers may be tried again: a status predicate, one per endpoint kind.
pub type Retryable = fn(u16) -> bool;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Total time retries may take. IMDS answers 410 for up to about 70 s while it updates.
    pub budget: Duration,
    /// Retries for statuses other than 410, which is retried until the budget is spent.
    pub max_retries: u32,
    /// First wait; doubles each time (MSAL and the IMDS docs start at 1 s).
    pub base: Duration,
    /// Longest single wait computed by backing off.
    pub cap: Duration,
    /// Shortest wait, even when Retry-After says 0: a 410 is retried for the whole budget,
    /// and without a floor that would hammer an endpoint that throttles at 20 requests/s.
    pub min_wait: Duration,
    /// A wait (Retry-After included) longer than this ends the retries, so that the error
    /// can say how long to wait instead of tokscope sitting silent.
    pub longest_wait: Duration,
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
            longest_wait: Duration::MAX,
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

    /// ARM's: three retries from one second, and a Retry-After over 30 s is reported, not waited.
    pub fn arm() -> Self {
        Self {
            budget: Duration::from_secs(120),
            max_retries: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            min_wait: Duration::ZERO,
            longest_wait: Duration::from_secs(30),
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
        if wait > self.longest_wait {
            return None;
        }
        elapsed
            .checked_add(wait)
            .is_some_and(|t| t <= self.budget)
            .then_some(wait)
    }
}

/// One request's retries: started when the first try goes out.
pub struct Retries<'a> {
    policy: &'a RetryPolicy,
    retryable: Retryable,
    started: Instant,
    done: u32,
}

impl<'a> Retries<'a> {
    pub fn new(policy: &'a RetryPolicy, retryable: Retryable) -> Self {
        Self {
            policy,
            retryable,
            started: Instant::now(),
            done: 0,
        }
    }

    /// Retries made so far.
    pub fn count(&self) -> u32 {
        self.done
    }

    /// After an answer with `status` (and its Retry-After header, if any): how long to wait
    /// before the next try, or None to give up and report this answer.
    pub fn after(&mut self, status: u16, retry_after: Option<&str>) -> Option<Duration> {
        if !(self.retryable)(status) {
            return None;
        }
        let asked = retry_after.and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        let wait = self
            .policy
            .next_delay(status, self.done, self.started.elapsed(), asked)?;
        self.done += 1;
        Some(wait)
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
    }

    #[test]
    fn a_long_retry_after_ends_arm_retries() {
        let p = RetryPolicy::arm();
        assert_eq!(
            p.next_delay(429, 0, Duration::ZERO, None),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            p.next_delay(429, 0, Duration::ZERO, Some(Duration::from_secs(31))),
            None
        );
        assert_eq!(p.next_delay(503, 3, Duration::ZERO, None), None);
    }

    #[test]
    fn the_predicate_decides_first() {
        let p = RetryPolicy::default();
        let mut r = Retries::new(&p, |s| s == 429);
        assert_eq!(r.after(400, None), None);
        assert_eq!(r.after(429, Some("2")), Some(Duration::from_secs(2)));
        assert_eq!(r.count(), 1);
    }
}
