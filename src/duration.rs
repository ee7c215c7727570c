//! Durations as people type them: `500ms`, `2s`, `1.5s`, `2m`, `1h`.

use std::time::Duration;

/// `500ms`, `2s`, `1.5s` or a bare number of milliseconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("{s:?} is not a duration: use e.g. 500ms, 2s or 1m");
    let (num, unit) = s
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or((s, "ms"), |i| (&s[..i], &s[i..]));
    let n: f64 = num.trim().parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || !(0.0..=86_400.0 * 365.0).contains(&secs) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A polling interval: like [`parse_duration`] but the unit is required (a bare `30` is
/// ambiguous). Zero is accepted here: it means back to back, which `watch` allows only for a
/// loopback endpoint, a fact the parser cannot see.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    if !s.trim().ends_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!(
            "{:?} needs a unit: e.g. 30s, 500ms or 2m",
            s.trim()
        ));
    }
    parse_duration(s)
}

/// Whole milliseconds, saturating (a `u128` of milliseconds overflows `u64` only after
/// half a billion years).
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Whole seconds as a signed count, saturating.
pub fn secs_i64(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("3 days").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn intervals_need_a_unit_and_may_be_zero() {
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("1s"), Ok(Duration::from_secs(1)));
        assert!(parse_interval("30").is_err());
        assert_eq!(parse_interval("0ms"), Ok(Duration::ZERO));
    }
}
