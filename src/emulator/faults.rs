//! Faults the emulator can inject into token answers, to show how clients cope.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::mint::Twist;

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
    /// A token with a minute left of a full lifetime, as a stale cache hands out.
    NearlyExpired,
    /// A token minted for another audience than the one asked for.
    WrongAud,
    /// A token with `alg: none` and no signature, as a forged or broken issuer would send.
    Unsigned,
    /// The 400 IMDS gives when the `Metadata` header did not arrive (a proxy stripped it).
    NoMetadata,
    /// A legacy agent: a user-assigned request answered with the system identity's token,
    /// the selector not echoed.
    IgnoreSelector,
    /// The Guest Proxy Agent in Enforce mode refusing this process: 403, empty body,
    /// `Connection: close`, no `Server: IMDS/…`.
    GpaDeny,
    /// A forward proxy that caught the request: its 400 "Fail to directly connect" page.
    ProxyIntercept,
    /// A good answer without IMDS's `Server` header, as a local listener or NMI gives.
    NoServerHeader,
    /// A host without IMDS v2: 404 on `getplatformmetadata`; token paths are untouched.
    V1Only,
}

/// The `Server` header real IMDS sends (a build seen in the wild).
pub const IMDS_SERVER: &str = "IMDS/150.870.65.1556";

/// Marks an answer that did not come from the emulated service itself (a proxy's, the Guest
/// Proxy Agent's), so the service's own `Server` header is not added to it.
#[derive(Debug, Clone, Copy)]
pub struct Foreign;

/// The body of a proxy that could not reach 169.254.169.254 directly (azure-sdk-for-python #24458).
pub const PROXY_PAGE: &str = "<html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1><p>Fail to directly connect to 169.254.169.254:80 (the proxy refuses link-local destinations).</p></body></html>";

/// What an injected fault does to one request, on either surface (token endpoints, ARM).
pub enum Outcome {
    /// Answer with this instead of the real thing.
    Respond(Response),
    /// Answer normally, with a token minted differently.
    Twist(Twist),
    /// No fault for this request (or only a delay, already served).
    Pass,
    /// Answer with the system identity, whatever the request selected, and echo nothing.
    IgnoreSelector,
    /// Answer normally, without the service's `Server` header.
    Anonymous,
}

/// How one surface words the faults whose bodies differ: its error shape for a status, and a
/// good answer's first bytes to cut short.
pub struct Surface<'a> {
    /// The error answer for a status fault, in the surface's shape; Retry-After is added here.
    pub status: &'a (dyn Fn(u16, Option<u32>) -> Response + Sync),
    /// The first bytes of a good body, after which the connection is reset.
    pub reset_prefix: &'static [u8],
    /// A good body cut short.
    pub truncated: &'static str,
    /// The surface's answer to a request whose `Metadata` header was stripped, if it checks one.
    pub no_metadata: Option<&'a (dyn Fn() -> Response + Sync)>,
    /// Whether the surface mints tokens, so that the token twists apply to it.
    pub mints: bool,
}

/// The one fault picker: the first fault in `faults` that hits this request, as `surface`
/// answers it.
pub async fn apply(faults: &Mutex<Vec<Fault>>, surface: &Surface<'_>) -> Outcome {
    let Some((kind, retry_after)) = next_hit(faults) else {
        return Outcome::Pass;
    };
    match kind {
        FaultKind::Status(s) => {
            let mut r = (surface.status)(s, retry_after);
            if let Some(v) = retry_after.and_then(|ra| HeaderValue::from_str(&ra.to_string()).ok())
            {
                r.headers_mut().insert("retry-after", v);
            }
            Outcome::Respond(r)
        }
        FaultKind::Latency(d) => {
            tokio::time::sleep(d).await;
            Outcome::Pass
        }
        FaultKind::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Outcome::Respond(StatusCode::GATEWAY_TIMEOUT.into_response())
        }
        FaultKind::Reset => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(surface.reset_prefix)),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "emulated reset",
                )),
            ];
            let body = Body::from_stream(futures_util::stream::iter(chunks));
            Outcome::Respond((StatusCode::OK, body).into_response())
        }
        FaultKind::Truncated => Outcome::Respond(
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                surface.truncated,
            )
                .into_response(),
        ),
        FaultKind::Html => Outcome::Respond(
            (
                StatusCode::OK,
                [("content-type", "text/html")],
                "<!DOCTYPE html><html><head><title>Proxy login required</title></head><body>Sign in to continue</body></html>",
            )
                .into_response(),
        ),
        FaultKind::Empty => Outcome::Respond(StatusCode::OK.into_response()),
        FaultKind::Expired if surface.mints => Outcome::Twist(Twist::Expired),
        FaultKind::NearlyExpired if surface.mints => Outcome::Twist(Twist::NearlyExpired),
        FaultKind::WrongAud if surface.mints => Outcome::Twist(Twist::WrongAud),
        FaultKind::Unsigned if surface.mints => Outcome::Twist(Twist::Unsigned),
        FaultKind::Expired
        | FaultKind::NearlyExpired
        | FaultKind::WrongAud
        | FaultKind::Unsigned => Outcome::Pass,
        FaultKind::NoMetadata => surface
            .no_metadata
            .map_or(Outcome::Pass, |answer| Outcome::Respond(answer())),
        FaultKind::IgnoreSelector if surface.mints => Outcome::IgnoreSelector,
        FaultKind::IgnoreSelector | FaultKind::V1Only => Outcome::Pass,
        FaultKind::NoServerHeader => Outcome::Anonymous,
        FaultKind::GpaDeny => {
            let mut r = (StatusCode::FORBIDDEN, [("connection", "close")]).into_response();
            r.extensions_mut().insert(Foreign);
            Outcome::Respond(r)
        }
        FaultKind::ProxyIntercept => {
            let mut r = (
                StatusCode::BAD_REQUEST,
                [("content-type", "text/html"), ("via", "1.1 proxy")],
                PROXY_PAGE,
            )
                .into_response();
            r.extensions_mut().insert(Foreign);
            Outcome::Respond(r)
        }
    }
}

/// Whether a fault of this kind is configured, without counting a hit: for the paths a fault
/// changes without being a request it counts (the v2 probe of a v1-only host).
pub fn present(faults: &Mutex<Vec<Fault>>, kind: &FaultKind) -> bool {
    let faults = match faults.lock() {
        Ok(f) => f,
        Err(p) => p.into_inner(),
    };
    faults.iter().any(|f| &f.kind == kind)
}

/// The first fault that hits this request, as (kind, Retry-After); spent faults are dropped.
fn next_hit(faults: &Mutex<Vec<Fault>>) -> Option<(FaultKind, Option<u32>)> {
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
    /// `hang`, `reset`, `truncated`, `html`, `empty`, `expired`, `nearly-expired`,
    /// `wrong-aud`, `unsigned`, `no-metadata`, `ignore-selector`, `gpa-deny`,
    /// `proxy-intercept`, `no-server-header`, `v1-only`.
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
            "nearly-expired" => FaultKind::NearlyExpired,
            "wrong-aud" => FaultKind::WrongAud,
            "unsigned" => FaultKind::Unsigned,
            "no-metadata" => FaultKind::NoMetadata,
            "ignore-selector" => FaultKind::IgnoreSelector,
            "gpa-deny" => FaultKind::GpaDeny,
            "proxy-intercept" => FaultKind::ProxyIntercept,
            "no-server-header" => FaultKind::NoServerHeader,
            "v1-only" => FaultKind::V1Only,
            h if h.starts_with("latency=") => FaultKind::Latency(parse_duration(&h[8..])?),
            h => match h.parse::<u16>() {
                Ok(s) if (400..600).contains(&s) => FaultKind::Status(s),
                _ => return Err(format!("unknown fault {h:?}: use a status (410, 429, 500, 503), latency=500ms, hang, reset, truncated, html, empty, expired, nearly-expired, wrong-aud, unsigned, no-metadata, ignore-selector, gpa-deny, proxy-intercept, no-server-header or v1-only")),
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
