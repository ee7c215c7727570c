//! The verdict: OK, WARN or FAIL with its causes, for one token and for a whole run of fetches,
//! polls and ARM calls. Computed here once; `get`, `decode`, `watch`, doctor, the reports, the
//! fleet summary and the terminal UI only render it, so the same token gets the same word
//! everywhere and the same exit code from `get` and `decode`.
//!
//! ```text
//! let v = verdict::token(&verdict::TokenInput { jwt, resource: Some(r), fetch: Some(ctx), .. }, now);
//! v.level            // Level::Fail
//! v.causes           // [Cause::WrongAudience { .. }, Cause::Clock { .. }]
//! v.to_json()        // {"level":"fail","causes":[{"code":"wrong_audience","level":"fail","message":"…"}]}
//! ```
//!
//! A new kind of finding is a new [`Cause`] variant: the compiler then asks for its code, its
//! level and its words, in the three matches below, and nowhere else.

use std::fmt;

use serde::Serialize;
use serde_json::{json, Value};

use crate::token::claims::{self, duration, utc_string};
use crate::token::Jwt;

/// Beyond this many seconds between this machine's clock and the endpoint's, token times are
/// judged differently here and there: warned about.
pub const SKEW_WARN: i64 = 120;

/// A token handed out with less than this left is "nearly expired": the SDKs renew five
/// minutes before expiry, so an endpoint serving such a token from its cache makes every
/// client on the machine ask again at once. A short-lived token (the demo's lives minutes) is
/// judged by a tenth of its lifetime instead, so a fresh one never counts as stale.
pub const NEAR_EXPIRY: i64 = 300;

/// The share of a token's lifetime below which a short-lived token counts as nearly expired.
const NEAR_EXPIRY_SHARE: i64 = 10;

/// How bad: the order is the severity, so the worst of several is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Ok,
    Warn,
    Fail,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What kind of request a failure belongs to, in a session's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Activity {
    /// A token fetch the user asked for.
    Fetch,
    /// One poll of `watch` or the UI's Watch tab.
    Poll,
    /// A call to Azure Resource Manager.
    Arm,
}

impl Activity {
    fn words(self, n: u64) -> &'static str {
        match (self, n) {
            (Activity::Fetch, 1) => "token fetch",
            (Activity::Fetch, _) => "token fetches",
            (Activity::Poll, 1) => "poll",
            (Activity::Poll, _) => "polls",
            (Activity::Arm, 1) => "ARM call",
            (Activity::Arm, _) => "ARM calls",
        }
    }
}

/// By this machine's clock, what the token cannot be used for yet or any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockRefusal {
    /// It looks expired here (at this time), though by the endpoint's clock it is not.
    Expired { at: i64 },
    /// It is not valid until this time here, though by the endpoint's clock it is.
    NotYetValid { until: i64 },
}

/// One reason for a verdict. Every variant is a finding a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The token has expired, `ago_s` before the verdict, and nothing says when it was fetched
    /// (a pasted token).
    Expired { at: i64, ago_s: i64 },
    /// The token was valid when it arrived and has run out since: fetch again.
    ExpiredSinceFetch { at: i64, fetched_at: i64 },
    /// The endpoint handed out a token that had already expired: a stale cache there.
    ServedExpired { at: i64, received_at: i64 },
    /// The endpoint handed out a token with less than [`NEAR_EXPIRY`] left.
    ServedNearlyExpired { at: i64, left_s: i64 },
    /// This machine's clock and the endpoint's disagree by `skew_s` (the endpoint's minus
    /// this machine's), and, when `refusal` is set, enough that software here would refuse
    /// the token.
    Clock {
        skew_s: i64,
        refusal: Option<ClockRefusal>,
    },
    /// `nbf` lies ahead and no measured skew explains it.
    NotYetValid { until: i64 },
    /// `aud` is not the resource asked for.
    WrongAudience { audiences: String, asked: String },
    /// `alg: none` or an empty signature.
    Unsigned,
    /// Another identity answered than the one the request named (`identity_check`): the
    /// one-line summary, and the likely cause with what to do.
    IdentityMismatch {
        summary: String,
        cause: Option<String>,
    },
    /// The access token does not decode as a JWT (some endpoints hand out opaque ones).
    NotJwt { why: String },
    /// A note on the answer or the endpoint (a fallback, a disagreement, a proxy in the way).
    Note { text: String },
    /// `expires_on` went backwards between two polls.
    ExpiryWentBackwards { by_s: i64 },
    /// Requests of one kind failed `count` times, the last with `last`; `recovered` when a
    /// later one of the same kind succeeded.
    Failed {
        activity: Activity,
        count: u64,
        last: String,
        recovered: bool,
    },
}

impl Cause {
    /// The stable name of the cause in JSON.
    pub fn code(&self) -> &'static str {
        match self {
            Cause::Expired { .. } => "expired",
            Cause::ExpiredSinceFetch { .. } => "expired_since_fetch",
            Cause::ServedExpired { .. } => "served_expired",
            Cause::ServedNearlyExpired { .. } => "served_nearly_expired",
            Cause::Clock { .. } => "clock_skew",
            Cause::NotYetValid { .. } => "not_yet_valid",
            Cause::WrongAudience { .. } => "wrong_audience",
            Cause::Unsigned => "unsigned",
            Cause::IdentityMismatch { .. } => "identity_mismatch",
            Cause::NotJwt { .. } => "not_a_jwt",
            Cause::Note { .. } => "note",
            Cause::ExpiryWentBackwards { .. } => "expiry_went_backwards",
            Cause::Failed { activity, .. } => match activity {
                Activity::Fetch => "fetch_failed",
                Activity::Poll => "poll_failed",
                Activity::Arm => "arm_failed",
            },
        }
    }

    /// FAIL when the token cannot be used (here or by the service) or the work failed; WARN
    /// when it can, but something will bite.
    pub fn level(&self) -> Level {
        match self {
            Cause::Expired { .. }
            | Cause::ExpiredSinceFetch { .. }
            | Cause::ServedExpired { .. }
            | Cause::NotYetValid { .. }
            | Cause::WrongAudience { .. }
            | Cause::Unsigned
            | Cause::IdentityMismatch { .. } => Level::Fail,
            Cause::Clock { refusal, .. } => {
                if refusal.is_some() {
                    Level::Fail
                } else {
                    Level::Warn
                }
            }
            Cause::Failed { recovered, .. } => {
                if *recovered {
                    Level::Warn
                } else {
                    Level::Fail
                }
            }
            Cause::ServedNearlyExpired { .. }
            | Cause::NotJwt { .. }
            | Cause::Note { .. }
            | Cause::ExpiryWentBackwards { .. } => Level::Warn,
        }
    }

    /// The cause in words, with what to do. Outside text in it (audiences, notes, errors) is
    /// raw: every front end passes it through its output gate.
    pub fn message(&self) -> String {
        match self {
            Cause::Expired { at, ago_s } => format!(
                "the token expired {} ago ({} UTC): services refuse it (ARM: 401 ExpiredAuthenticationToken); fetch a new one",
                duration(*ago_s),
                utc_string(*at)
            ),
            Cause::ExpiredSinceFetch { at, fetched_at } => format!(
                "the token expired {} UTC; it was valid when fetched at {} UTC and has run out since: fetch again (the endpoint hands out a new one)",
                utc_string(*at),
                utc_string(*fetched_at)
            ),
            Cause::ServedExpired { at, received_at } => format!(
                "the endpoint served a token that had already expired ({} before it arrived, at {} UTC): a stale cache at the endpoint; services refuse it (ARM: 401 ExpiredAuthenticationToken); fetching again returns the same token until the endpoint renews it (restart its identity service, or report it)",
                duration(received_at.saturating_sub(*at)),
                utc_string(*at)
            ),
            Cause::ServedNearlyExpired { at, left_s } => format!(
                "the endpoint served a token with only {} left (expires {} UTC): a stale cache at the endpoint; clients renew within 5 minutes of expiry, so they will ask again at once",
                duration(*left_s),
                utc_string(*at)
            ),
            Cause::Clock { skew_s, refusal } => clock_message(*skew_s, *refusal),
            Cause::NotYetValid { until } => format!(
                "the token is not valid before {} UTC: this machine's clock is behind the issuer's, so software on this machine would refuse it until then; sync the clock (timedatectl status)",
                utc_string(*until)
            ),
            Cause::WrongAudience { audiences, asked } => format!(
                "the token's aud is {audiences}, not the resource asked for ({asked}): services refuse it (ARM: 401 InvalidAuthenticationTokenAudience); check the resource's spelling, else the endpoint is at fault"
            ),
            Cause::Unsigned => crate::token::jwt::UNSIGNED_WARNING.to_string(),
            Cause::IdentityMismatch { summary, cause } => match cause {
                Some(c) => format!("another identity answered than the one asked for ({summary}): {c}"),
                None => format!("another identity answered than the one asked for ({summary})"),
            },
            Cause::NotJwt { why } => format!("the access token is not a readable JWT: {why}"),
            Cause::Note { text } => text.clone(),
            Cause::ExpiryWentBackwards { by_s } => {
                format!("expires_on went backwards by {}", duration(*by_s))
            }
            Cause::Failed {
                activity,
                count,
                last,
                recovered,
            } => format!(
                "{count} {} failed{}; the last: {last}",
                activity.words(*count),
                if *recovered {
                    ", and a later one succeeded"
                } else {
                    ""
                }
            ),
        }
    }

    /// `{"code","level","message"}`, the form every `--json` output carries.
    pub fn to_json(&self) -> Value {
        json!({"code": self.code(), "level": self.level(), "message": self.message()})
    }
}

fn clock_message(skew_s: i64, refusal: Option<ClockRefusal>) -> String {
    let way = if skew_s > 0 { "ahead of" } else { "behind" };
    let head = format!(
        "the endpoint's clock is {} {way} this machine's",
        duration(skew_s.saturating_abs())
    );
    match refusal {
        None => format!(
            "{head}: software on this machine judges token times by its own clock, so it sees tokens expire that much {} than they do; services judge by theirs; sync the clock (timedatectl status)",
            if skew_s > 0 { "later" } else { "earlier" }
        ),
        Some(ClockRefusal::Expired { at }) => format!(
            "{head}: by this machine's clock the token expired at {} UTC, though by the endpoint's it is still valid, so software on this machine would refuse it; sync the clock (timedatectl status)",
            utc_string(at)
        ),
        Some(ClockRefusal::NotYetValid { until }) => format!(
            "{head}: by this machine's clock the token is not valid before {} UTC, so software on this machine would refuse it until then; sync the clock (timedatectl status)",
            utc_string(until)
        ),
    }
}

/// The verdict: the worst level among the causes, and the causes in the order found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    pub level: Level,
    pub causes: Vec<Cause>,
}

impl Verdict {
    pub fn from_causes(causes: Vec<Cause>) -> Self {
        let level = causes.iter().map(Cause::level).max().unwrap_or(Level::Ok);
        Self { level, causes }
    }

    pub fn is_fail(&self) -> bool {
        self.level == Level::Fail
    }

    /// Every cause in words, in order: the `warnings` list of the JSON outputs.
    pub fn messages(&self) -> Vec<String> {
        self.causes.iter().map(Cause::message).collect()
    }

    /// `{"level":"ok"|"warn"|"fail","causes":[{"code","level","message"}]}`.
    pub fn to_json(&self) -> Value {
        json!({
            "level": self.level,
            "causes": self.causes.iter().map(Cause::to_json).collect::<Vec<_>>(),
        })
    }

    /// `OK`, or `FAIL: <first cause>` with `(+N more)`: one line for a header or a summary.
    pub fn headline(&self) -> String {
        match self.causes.iter().max_by_key(|c| c.level()) {
            None => self.level.label().to_string(),
            Some(worst) => {
                let more = self.causes.len().saturating_sub(1);
                let tail = if more == 0 {
                    String::new()
                } else {
                    format!(" (+{more} more)")
                };
                format!("{}: {}{tail}", self.level.label(), worst.message())
            }
        }
    }
}

/// The verdict as plain text, for the plain commands and the doctor: a `verdict` line with
/// the level, then one line per cause with its own level. Outside text in the causes is made
/// one line here; the caller's print gate does the rest.
pub fn text(v: &Verdict) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "verdict   {}", v.level.label());
    for c in &v.causes {
        let _ = writeln!(
            out,
            "  {:<6}  {}",
            c.level().label(),
            crate::sanitize::one_line(&c.message())
        );
    }
    out
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// How a token arrived, when it was fetched rather than pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// This machine's clock when the answer arrived.
    pub received_at: i64,
    /// The endpoint's clock minus this machine's, from its Date header.
    pub skew_s: Option<i64>,
}

/// Everything a token's verdict is made of.
#[derive(Debug, Clone, Default)]
pub struct TokenInput<'a> {
    /// The decoded token, or why it does not decode.
    pub jwt: Option<Result<&'a Jwt, String>>,
    /// The expiry the endpoint gave (`expires_on`), when fetched.
    pub expires_on: Option<i64>,
    /// The resource asked for; None checks no audience (a pasted token).
    pub resource: Option<&'a str>,
    /// When and how it arrived; None for a pasted token.
    pub arrival: Option<Arrival>,
    /// Notes on the answer and the endpoint, first in the list, in their order.
    pub notes: Vec<String>,
}

/// The verdict on one token at `now` (this machine's clock).
pub fn token(input: &TokenInput<'_>, now: i64) -> Verdict {
    let mut causes: Vec<Cause> = input
        .notes
        .iter()
        .map(|n| Cause::Note { text: n.clone() })
        .collect();
    let jwt = input.jwt.as_ref().and_then(|j| j.as_ref().ok().copied());
    let exp = match (jwt.and_then(|j| j.claim_i64("exp")), input.expires_on) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let skew = input
        .arrival
        .and_then(|a| a.skew_s)
        .filter(|s| s.saturating_abs() > SKEW_WARN);
    let mut clock_refusal = None;
    if let Some(exp) = exp.filter(|e| *e <= now) {
        match (input.arrival, skew) {
            // By the endpoint's clock it has not run out: the clocks disagree.
            (Some(_), Some(s)) if exp > now.saturating_add(s) => {
                clock_refusal = Some(ClockRefusal::Expired { at: exp });
            }
            (Some(a), _) if exp <= a.received_at => causes.push(Cause::ServedExpired {
                at: exp,
                received_at: a.received_at,
            }),
            (Some(a), _) => causes.push(Cause::ExpiredSinceFetch {
                at: exp,
                fetched_at: a.received_at,
            }),
            (None, _) => causes.push(Cause::Expired {
                at: exp,
                ago_s: now.saturating_sub(exp),
            }),
        }
    } else if let (Some(exp), Some(a)) = (exp, input.arrival) {
        let left = exp.saturating_sub(a.received_at);
        let near = jwt
            .and_then(claims::lifetime_start)
            .map_or(NEAR_EXPIRY, |start| {
                NEAR_EXPIRY.min(exp.saturating_sub(start) / NEAR_EXPIRY_SHARE)
            });
        if left < near {
            causes.push(Cause::ServedNearlyExpired {
                at: exp,
                left_s: left,
            });
        }
    }
    if let Some(nbf) = jwt
        .and_then(|j| j.claim_i64("nbf"))
        .filter(|nbf| *nbf > now.saturating_add(SKEW_WARN))
    {
        match skew {
            Some(s) if nbf <= now.saturating_add(s).saturating_add(SKEW_WARN) => {
                clock_refusal.get_or_insert(ClockRefusal::NotYetValid { until: nbf });
            }
            _ => causes.push(Cause::NotYetValid { until: nbf }),
        }
    }
    if jwt.is_some_and(Jwt::is_unsigned) {
        causes.push(Cause::Unsigned);
    }
    if let (Some(j), Some(resource)) = (jwt, input.resource) {
        let auds = claims::audiences(j);
        if !auds.is_empty() && !auds.iter().any(|a| claims::same_audience(a, resource)) {
            causes.push(Cause::WrongAudience {
                audiences: crate::sanitize::exact(&auds.join(", ")),
                asked: crate::sanitize::exact(resource),
            });
        }
    }
    if let Some(s) = skew {
        causes.push(Cause::Clock {
            skew_s: s,
            refusal: clock_refusal,
        });
    }
    if let Some(Err(why)) = &input.jwt {
        causes.push(Cause::NotJwt { why: why.clone() });
    }
    Verdict::from_causes(causes)
}

/// One request of a session, as the session verdict counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub activity: Activity,
    /// None when it succeeded; else the failure's one-line headline.
    pub failure: Option<String>,
}

impl Attempt {
    pub fn ok(activity: Activity) -> Self {
        Self {
            activity,
            failure: None,
        }
    }

    pub fn failed(activity: Activity, headline: impl Into<String>) -> Self {
        Self {
            activity,
            failure: Some(headline.into()),
        }
    }
}

/// How many requests of each kind there were and how many failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub fetches: u64,
    pub fetch_failures: u64,
    pub polls: u64,
    pub poll_failures: u64,
    pub arm_calls: u64,
    pub arm_failures: u64,
}

impl Tally {
    pub fn of(attempts: &[Attempt]) -> Self {
        let mut t = Self::default();
        for a in attempts {
            let (all, failed) = match a.activity {
                Activity::Fetch => (&mut t.fetches, &mut t.fetch_failures),
                Activity::Poll => (&mut t.polls, &mut t.poll_failures),
                Activity::Arm => (&mut t.arm_calls, &mut t.arm_failures),
            };
            *all += 1;
            if a.failure.is_some() {
                *failed += 1;
            }
        }
        t
    }

    pub fn failures(&self) -> u64 {
        self.fetch_failures + self.poll_failures + self.arm_failures
    }
}

/// The verdict on a session: the current token's causes, then one cause per kind of request
/// that failed (counted, with the last failure's words, and whether a later one recovered).
pub fn session(token: Option<&Verdict>, attempts: &[Attempt]) -> Verdict {
    let mut causes: Vec<Cause> = token.map(|v| v.causes.clone()).unwrap_or_default();
    for activity in [Activity::Fetch, Activity::Poll, Activity::Arm] {
        let of_kind: Vec<&Attempt> = attempts.iter().filter(|a| a.activity == activity).collect();
        let failed: Vec<&str> = of_kind
            .iter()
            .filter_map(|a| a.failure.as_deref())
            .collect();
        let Some(last) = failed.last() else { continue };
        let recovered = of_kind
            .iter()
            .rposition(|a| a.failure.is_some())
            .is_some_and(|i| i + 1 < of_kind.len());
        causes.push(Cause::Failed {
            activity,
            count: failed.len() as u64,
            last: (*last).to_string(),
            recovered,
        });
    }
    Verdict::from_causes(causes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovered_failure_warns_and_a_standing_one_fails() {
        let polls = [
            Attempt::ok(Activity::Poll),
            Attempt::failed(Activity::Poll, "HTTP 503"),
            Attempt::ok(Activity::Poll),
        ];
        let v = session(None, &polls);
        assert_eq!(v.level, Level::Warn);
        let arm = [Attempt::failed(
            Activity::Arm,
            "HTTP 403 AuthorizationFailed",
        )];
        let v = session(None, &arm);
        assert_eq!(v.level, Level::Fail);
        assert_eq!(Tally::of(&arm).arm_failures, 1);
        assert!(
            v.headline().starts_with("FAIL: 1 ARM call failed"),
            "{}",
            v.headline()
        );
    }

    #[test]
    fn expiry_causes_are_told_apart() {
        let arrival = |received_at, skew_s| Arrival {
            received_at,
            skew_s,
        };
        let at = |expires_on, arrival, now| {
            token(
                &TokenInput {
                    expires_on: Some(expires_on),
                    arrival,
                    ..TokenInput::default()
                },
                now,
            )
            .causes
        };
        // Valid when fetched, run out since.
        assert!(matches!(
            at(1_000, Some(arrival(900, None)), 1_100)[..],
            [Cause::ExpiredSinceFetch { .. }]
        ));
        // Already expired on arrival.
        assert!(matches!(
            at(1_000, Some(arrival(1_100, None)), 1_100)[..],
            [Cause::ServedExpired { .. }]
        ));
        // Nearly expired on arrival.
        assert!(matches!(
            at(1_060, Some(arrival(1_000, None)), 1_000)[..],
            [Cause::ServedNearlyExpired { left_s: 60, .. }]
        ));
        // This machine is an hour ahead: expired here, not at the endpoint.
        assert!(matches!(
            at(5_000, Some(arrival(6_000, Some(-3_600))), 6_000)[..],
            [Cause::Clock {
                refusal: Some(ClockRefusal::Expired { .. }),
                ..
            }]
        ));
        // Pasted: no arrival to judge by.
        assert!(matches!(
            at(1_000, None, 1_100)[..],
            [Cause::Expired { .. }]
        ));
        assert!(at(10_000, Some(arrival(1_000, Some(5))), 1_000).is_empty());
    }
}
