//! What each claim means, and time claims in every human form.

use chrono::{DateTime, Local, TimeZone, Utc};
use serde_json::{Map, Value};
use std::sync::OnceLock;

use super::jwt::Jwt;

/// Largest epoch second (either sign) tokscope accepts from outside, beyond any real date.
/// Bounding values where they are parsed keeps every later subtraction from overflowing.
pub const MAX_EPOCH: i64 = 10_000_000_000_000;

pub fn plausible_epoch(n: i64) -> Option<i64> {
    (-MAX_EPOCH..=MAX_EPOCH).contains(&n).then_some(n)
}

/// The whole part of a number sent as a float (`1700000000.0`), when it is finite and within
/// [`MAX_EPOCH`]; anything else is no number tokscope uses.
pub fn whole(f: f64) -> Option<i64> {
    if !f.is_finite() || f.abs() > MAX_EPOCH as f64 {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "finite and bounded just above, so only the fraction is dropped"
    )]
    Some(f.trunc() as i64)
}

/// How far Entra back-dates `iat` and `nbf` before the moment it issues a token, so that a
/// resource whose clock runs a little behind still accepts it.
pub const ISSUE_BACKDATE_SECS: i64 = 300;

/// When a token was really issued: `nbf`, else `iat`, plus the back-dating above.
///
/// Without the correction a fresh two-minute token reads as seven minutes long and mostly
/// used. The result never passes `exp - 1`: a token minted without back-dating (or with a
/// lifetime under five minutes) would otherwise start after it ends, and every "share of
/// lifetime used" would divide by zero or a negative number.
pub fn lifetime_start(jwt: &Jwt) -> Option<i64> {
    let stamped = jwt.claim_i64("nbf").or_else(|| jwt.claim_i64("iat"))?;
    let start = stamped.saturating_add(ISSUE_BACKDATE_SECS);
    Some(match jwt.claim_i64("exp") {
        // A token already inside out keeps its stamped start; the caller reports it.
        Some(exp) if stamped >= exp => stamped,
        Some(exp) => start.min(exp - 1),
        None => start,
    })
}

/// Claims that hold seconds since the epoch.
pub const TIME_CLAIMS: &[&str] = &["exp", "nbf", "iat", "auth_time", "xms_tcdt"];

struct Catalog {
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let v: Value =
            serde_json::from_str(include_str!("../../assets/claims.json")).unwrap_or(Value::Null);
        let section = |k: &str| {
            v.get(k)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        Catalog {
            header: section("header"),
            claims: section("claims"),
        }
    })
}

/// One line on what a claim means, if it is a known Entra claim.
pub fn explain_claim(name: &str) -> Option<&'static str> {
    catalog().claims.get(name).and_then(Value::as_str)
}

pub fn explain_header(name: &str) -> Option<&'static str> {
    catalog().header.get(name).and_then(Value::as_str)
}

/// A moment in every form a person might want it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TimeForms {
    pub epoch: i64,
    pub utc: String,
    pub local: String,
    pub relative: String,
}

pub fn time_forms(epoch: i64, now: i64) -> TimeForms {
    TimeForms {
        epoch,
        utc: utc_string(epoch),
        local: Local
            .timestamp_opt(epoch, 0)
            .single()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S %:z").to_string())
            .unwrap_or_else(|| "out of range".into()),
        relative: relative(epoch.saturating_sub(now)),
    }
}

/// RFC 3339 in UTC, or a note when the number is not a representable time.
pub fn utc_string(epoch: i64) -> String {
    DateTime::<Utc>::from_timestamp(epoch, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "out of range".into())
}

/// "in 59m 12s", "3h 2m ago", "now".
pub fn relative(delta: i64) -> String {
    match delta {
        0 => "now".into(),
        d if d > 0 => format!("in {}", duration(d)),
        d => format!("{} ago", duration(d.saturating_neg())),
    }
}

/// A duration in its two largest units: "2d 3h", "1h 5m", "4m 10s", "7s".
pub fn duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let sign = if secs < 0 { "-" } else { "" };
    if d > 0 {
        format!("{sign}{d}d {h}h")
    } else if h > 0 {
        format!("{sign}{h}h {m}m")
    } else if m > 0 {
        format!("{sign}{m}m {sec}s")
    } else {
        format!("{sign}{sec}s")
    }
}

/// `https://x/`, `https://X` and `https://x/.default` are one audience.
pub fn same_audience(a: &str, b: &str) -> bool {
    normalise_audience(a) == normalise_audience(b)
}

/// `https://management.azure.com/`, `https://Management.azure.com` and `…/.default` are one audience.
pub fn normalise_audience(resource: &str) -> String {
    resource
        .trim()
        .trim_end_matches("/.default")
        .trim_end_matches('/')
        .to_ascii_lowercase()
}

/// The `aud` claim as a list: a string, or an array of strings.
pub fn audiences(jwt: &Jwt) -> Vec<String> {
    match jwt.claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every time claim the token carries, in every form.
pub fn time_claims(jwt: &Jwt, now: i64) -> Vec<(&'static str, TimeForms)> {
    TIME_CLAIMS
        .iter()
        .filter_map(|&name| jwt.claim_i64(name).map(|e| (name, time_forms(e, now))))
        .collect()
}

pub fn times_json(jwt: &Jwt, now: i64) -> Value {
    let mut m = Map::new();
    for (name, t) in time_claims(jwt, now) {
        m.insert(name.into(), serde_json::to_value(t).unwrap_or(Value::Null));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_loads_and_explains_core_claims() {
        for c in [
            "aud",
            "iss",
            "exp",
            "oid",
            "tid",
            "xms_mirid",
            "appid",
            "idtyp",
        ] {
            assert!(explain_claim(c).is_some(), "{c} has no explanation");
        }
        for h in ["alg", "kid", "x5t", "typ"] {
            assert!(explain_header(h).is_some(), "{h} has no explanation");
        }
    }

    fn jwt_with(claims: Value) -> Jwt {
        use base64::Engine;
        let b64 = |v: Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        let raw = format!(
            "{}.{}.c2ln",
            b64(serde_json::json!({"alg": "RS256", "typ": "JWT"})),
            b64(claims)
        );
        crate::token::decode(&raw).unwrap()
    }

    #[test]
    fn lifetime_starts_when_the_token_was_really_issued() {
        use serde_json::json;
        // Entra's shape: nbf = iat = issue time - 300.
        let fresh = jwt_with(json!({"iat": 1000, "nbf": 1000, "exp": 1420}));
        assert_eq!(lifetime_start(&fresh), Some(1300));
        let day = jwt_with(json!({"iat": 1000, "nbf": 1000, "exp": 1000 + 86_700}));
        assert_eq!(lifetime_start(&day), Some(1300));
        // iat alone counts too.
        let iat_only = jwt_with(json!({"iat": 1000, "exp": 5000}));
        assert_eq!(lifetime_start(&iat_only), Some(1300));
        // Not back-dated and short: the start stays before exp.
        let short = jwt_with(json!({"nbf": 1000, "exp": 1100}));
        assert_eq!(lifetime_start(&short), Some(1099));
        // Already inside out: left as stamped.
        let odd = jwt_with(json!({"nbf": 2000, "exp": 1000}));
        assert_eq!(lifetime_start(&odd), Some(2000));
        assert_eq!(lifetime_start(&jwt_with(json!({"exp": 1000}))), None);
    }

    #[test]
    fn relative_forms() {
        assert_eq!(relative(0), "now");
        assert_eq!(relative(3552), "in 59m 12s");
        assert_eq!(relative(-(3 * 3600 + 120)), "3h 2m ago");
        assert_eq!(duration(90_000), "1d 1h");
        assert_eq!(utc_string(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_string(i64::MAX), "out of range");
    }
}
