//! Faults the emulator can inject into token answers, to show how clients cope.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status (410, 429, 500, 503 …) and the flavour's usual error body.
    Status(u16),
    /// Answer correctly, after this delay.
    Latency(Duration),
    /// Never answer (until the client gives up).
    Hang,
    /// Cut the connection in the middle of the answer.
    Reset,
    /// A 200 whose JSON stops half way.
    Truncated,
    /// A 200 with an HTML page, as a captive proxy sends.
    Html,
    /// A 200 with no body.
    Empty,
    /// A token that has already expired.
    Expired,
    /// A token minted for another audience than the one asked for.
    WrongAud,
    /// The 400 IMDS gives when the `Metadata` header did not arrive (a proxy stripped it).
    NoMetadata,
}

/// The first fault that hits this request, as (kind, Retry-After); spent faults are dropped.
pub fn next_hit(faults: &std::sync::Mutex<Vec<Fault>>) -> Option<(FaultKind, Option<u32>)> {
    let mut faults = match faults.lock() {
        Ok(f) => f,
        Err(p) => p.into_inner(),
    };
    let hit = faults
        .iter_mut()
        .find_map(|f| f.strikes().then(|| (f.kind.clone(), f.retry_after)));
    faults.retain(|f| !f.spent());
    hit
}

/// Which requests a fault hits.
#[derive(Debug, Clone, PartialEq)]
pub enum Reach {
    Always,
    /// The next N token requests.
    First(u32),
    /// This share of requests (0.0 to 1.0), spread evenly.
    Share(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub reach: Reach,
    /// Retry-After, in seconds, on status faults.
    pub retry_after: Option<u32>,
    seen: u64,
}

impl Fault {
    pub fn new(kind: FaultKind, reach: Reach) -> Self {
        Self {
            kind,
            reach,
            retry_after: None,
            seen: 0,
        }
    }

    /// `KIND[:count=N][:share=P][:retry-after=S]`, KIND one of a status code, `latency=500ms`,
    /// `hang`, `reset`, `truncated`, `html`, `empty`, `expired`, `wrong-aud`, `no-metadata`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut parts = spec.trim().split(':');
        let head = parts.next().unwrap_or("").trim();
        let kind = match head {
            "hang" => FaultKind::Hang,
            "reset" => FaultKind::Reset,
            "truncated" => FaultKind::Truncated,
            "html" => FaultKind::Html,
            "empty" => FaultKind::Empty,
            "expired" => FaultKind::Expired,
            "wrong-aud" => FaultKind::WrongAud,
            "no-metadata" => FaultKind::NoMetadata,
            h if h.starts_with("latency=") => FaultKind::Latency(parse_duration(&h[8..])?),
            h => match h.parse::<u16>() {
                Ok(s) if (400..600).contains(&s) => FaultKind::Status(s),
                _ => return Err(format!("unknown fault {h:?}: use a status (410, 429, 500, 503), latency=500ms, hang, reset, truncated, html, empty, expired, wrong-aud or no-metadata")),
            },
        };
        let mut fault = Fault::new(kind, Reach::Always);
        for p in parts {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("fault option {p:?} needs a value, e.g. count=2"))?;
            match k.trim() {
                "count" => {
                    fault.reach = Reach::First(
                        v.trim()
                            .parse()
                            .map_err(|_| format!("count={v} is not a whole number"))?,
                    )
                }
                "share" => {
                    let share: f64 = v
                        .trim()
                        .parse()
                        .map_err(|_| format!("share={v} is not a number"))?;
                    if !(0.0..=1.0).contains(&share) {
                        return Err(format!("share={v} must lie between 0 and 1"));
                    }
                    fault.reach = Reach::Share(share);
                }
                "retry-after" => {
                    fault.retry_after = Some(
                        v.trim()
                            .parse()
                            .map_err(|_| format!("retry-after={v} is not whole seconds"))?,
                    )
                }
                other => {
                    return Err(format!(
                        "unknown fault option {other:?}: use count, share or retry-after"
                    ))
                }
            }
        }
        Ok(fault)
    }

    /// Whether this request is hit; counts it either way.
    pub fn strikes(&mut self) -> bool {
        self.seen += 1;
        match self.reach {
            Reach::Always => true,
            Reach::First(n) => self.seen <= n as u64,
            Reach::Share(p) => {
                ((self.seen as f64) * p).floor() > (((self.seen - 1) as f64) * p).floor()
            }
        }
    }

    pub fn spent(&self) -> bool {
        matches!(self.reach, Reach::First(n) if self.seen >= n as u64)
    }
}

pub use crate::duration::parse_duration;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let f = Fault::parse("410:count=2:retry-after=0").unwrap();
        assert_eq!(
            (f.kind.clone(), f.reach.clone(), f.retry_after),
            (FaultKind::Status(410), Reach::First(2), Some(0))
        );
        assert_eq!(
            Fault::parse("latency=250ms").unwrap().kind,
            FaultKind::Latency(Duration::from_millis(250))
        );
        assert!(Fault::parse("teapot").is_err());
        assert!(Fault::parse("500:share=2").is_err());
    }

    #[test]
    fn share_spreads_evenly() {
        let mut f = Fault::parse("500:share=0.25").unwrap();
        let hits = (0..100).filter(|_| f.strikes()).count();
        assert_eq!(hits, 25);
    }
}
