//! Retry-After, the one header every local endpoint and ARM use to pace a client.

use std::time::Duration;

/// Retry-After as seconds or as an HTTP date.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    // A day is far beyond any budget; larger values only risk overflow.
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(86_400)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = u64::try_from(when.timestamp().saturating_sub(now.timestamp())).unwrap_or(0);
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = chrono::DateTime::parse_from_rfc2822("Wed, 25 Nov 2026 10:00:00 GMT")
            .unwrap()
            .to_utc();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 10:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
