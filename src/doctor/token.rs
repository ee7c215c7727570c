//! Checks that talk to the endpoint and read its token: reachability, the token itself,
//! its claims, the clocks, and its signature.

use crate::display_url::DisplayUrl;
use std::time::{Duration, Instant};

use super::{Check, Options};
use crate::endpoint::{Endpoint, Fetched, Flavour, TokenClient};
use crate::error::{Cause, Error, ErrorKind};
use crate::identity_check::Verdict;
use crate::token::claims::{duration, relative, utc_string};
use crate::token::verify::{self, Verification};
use crate::token::Jwt;

pub const ENDPOINT: &str = "endpoint";
pub const TOKEN: &str = "token";
pub const IDENTITY: &str = "identity";
pub const JWT: &str = "jwt";
pub const CLOCK: &str = "clock";
pub const SIGNATURE: &str = "signature";

/// Entra back-dates `iat` and `nbf` by five minutes.
pub const IAT_BACKDATE: i64 = 300;
pub const SKEW_WARN: i64 = 120;
pub const SKEW_FAIL: i64 = 300;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const KEYS_TIMEOUT: Duration = Duration::from_secs(5);

/// What the endpoint checks found, besides the checks themselves.
#[derive(Debug, Default)]
pub struct Findings {
    pub checks: Vec<Check>,
    pub jwt: Option<Jwt>,
    pub fingerprint: Option<String>,
    pub request_ids: crate::error::RequestIds,
    pub received_at: Option<i64>,
    /// The token's warnings, as `tokscope get` and the terminal UI show them.
    pub warnings: Vec<String>,
    /// The token's verdict, as `tokscope get` and the terminal UI show it.
    pub verdict: Option<crate::verdict::Verdict>,
    /// The fetch, as the session verdict counts it.
    pub attempts: Vec<crate::verdict::Attempt>,
    /// The service's code when the endpoint refused (e.g. `AADSTS700213`).
    pub error_code: Option<String>,
}

/// Endpoint, token, jwt, clock and signature, in that order; later ones skip when earlier ones fail.
pub async fn run(ep: &Endpoint, client: &TokenClient, opts: &Options, f: &mut Findings) {
    // Workload identity's access token comes from the authority it was exchanged at.
    let workload_authority = ep.workload.as_ref().map(|w| w.authority.as_str());
    let connected = if ep.flavour == Flavour::Azcli {
        None
    } else {
        match connect(ep.url.expose()).await {
            Ok(c) => Some(c),
            Err(check) => {
                f.checks.push(check);
                skip_rest(
                    f,
                    "the endpoint is unreachable",
                    &[TOKEN, IDENTITY, JWT, CLOCK, SIGNATURE],
                );
                return;
            }
        }
    };
    let started = Instant::now();
    let result = client.fetch(ep, &opts.resource).await;
    let took = started.elapsed();
    f.checks
        .push(answered(ep, connected.as_deref(), &result, took));
    let fetched = match result {
        Ok(fetched) => fetched,
        Err(e) => {
            f.attempts.push(crate::verdict::Attempt::failed(
                crate::verdict::Activity::Fetch,
                e.headline(),
            ));
            f.request_ids.extend(e.request_ids.iter().cloned());
            f.error_code.clone_from(&e.code);
            if e.status.is_some() || e.kind == ErrorKind::BadResponse {
                f.checks.push(token_error(&opts.resource, &e));
            }
            skip_rest(f, "no token", &[IDENTITY, JWT]);
            // Entra's refusal still tells its time, which is what a 700024 turns on.
            let now = chrono::Utc::now().timestamp();
            f.checks.push(
                super::workload::entra_clock(&e, now)
                    .unwrap_or_else(|| Check::skip(CLOCK, "no token")),
            );
            skip_rest(f, "no token", &[SIGNATURE]);
            return;
        }
    };
    f.received_at = Some(fetched.received_at);
    f.fingerprint = Some(fetched.token.access_token.fingerprint());
    f.checks.push(token_ok(&opts.resource, &fetched));
    f.checks.push(identity(ep, &fetched));
    let seen = crate::inspect::inspect_at(ep, &opts.resource, &fetched, fetched.received_at);
    f.warnings = seen.warnings;
    f.verdict = Some(seen.verdict);
    f.attempts
        .push(crate::verdict::Attempt::ok(crate::verdict::Activity::Fetch));
    let jwt = match fetched.token.jwt.clone() {
        Ok(j) => j,
        Err(e) => {
            f.checks.push(Check::fail(
                JWT,
                format!("the access token is not a readable JWT: {e}"),
                "some endpoints hand out opaque tokens; if this one should not, report it with this output",
            ));
            skip_rest(f, "the token is not a JWT", &[CLOCK, SIGNATURE]);
            return;
        }
    };
    f.checks
        .push(claims(&jwt, &opts.resource, fetched.received_at));
    f.checks.push(clock(&jwt, &fetched));
    f.checks
        .push(signature(&jwt, opts.authority.as_deref().or(workload_authority)).await);
    f.jwt = Some(jwt);
}

fn skip_rest(f: &mut Findings, why: &str, names: &[&str]) {
    for n in names {
        f.checks.push(Check::skip(n, why));
    }
}

/// host:port of an endpoint URL, with the scheme's default port.
fn host_port(url: &str) -> Option<(String, u16)> {
    let u = reqwest::Url::parse(url).ok()?;
    let host = match u.host()? {
        url::Host::Ipv6(ip) => ip.to_string(),
        other => other.to_string(),
    };
    Some((host, u.port_or_known_default()?))
}

/// A TCP connection to the endpoint, timed. Ok holds a description for the endpoint check.
pub(super) async fn connect(url: &str) -> Result<String, Check> {
    let Some((host, port)) = host_port(url) else {
        return Err(Check::fail(
            ENDPOINT,
            format!("{} is not a URL with a host", DisplayUrl::of(url)),
            "check the endpoint variable or --endpoint",
        ));
    };
    let started = Instant::now();
    let attempt = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await;
    let ms = started.elapsed().as_millis();
    let target = format!("{host}:{port}");
    let why = match attempt {
        Ok(Ok(_stream)) => return Ok(format!("TCP connect to {target} in {ms} ms")),
        Ok(Err(e)) => format!("cannot connect to {target}: {e} (after {ms} ms)"),
        Err(_) => format!(
            "no TCP connection to {target} within {} s",
            CONNECT_TIMEOUT.as_secs()
        ),
    };
    let hint = if host == "169.254.169.254" {
        "IMDS answers only inside an Azure VM or scale set (and from pods allowed to reach it): if this machine is not on Azure, try `tokscope --demo doctor`; on Azure, check for a firewall or a route that hides 169.254.169.254"
    } else {
        "nothing listens there: check that the platform's identity service runs and that the endpoint variable (or --endpoint) is current"
    };
    Err(Check::fail(ENDPOINT, why, hint))
}

/// The endpoint check: the connection, then whether and how the endpoint answered.
fn answered(
    ep: &Endpoint,
    connected: Option<&str>,
    result: &Result<Fetched, Error>,
    took: Duration,
) -> Check {
    let tcp = connected.map_or(String::new(), |c| format!("{c}; "));
    let ms = took.as_millis();
    match result {
        Ok(f) => {
            let retries = if f.retries > 0 {
                format!(" after {} retries", f.retries)
            } else {
                String::new()
            };
            Check::pass(
                ENDPOINT,
                format!("{tcp}{} answered in {ms} ms{retries}", ep.url),
            )
        }
        Err(e) => match e.status {
            Some(s) => Check::pass(
                ENDPOINT,
                format!("{tcp}{} answered HTTP {s} in {ms} ms", ep.url),
            ),
            None if e.kind == ErrorKind::BadResponse => Check::pass(
                ENDPOINT,
                format!("{tcp}{} answered in {ms} ms, but not with a token", ep.url),
            ),
            None => Check::fail(ENDPOINT, format!("{tcp}{}", e.message), e.hint.clone()),
        },
    }
}

fn token_ok(resource: &str, f: &Fetched) -> Check {
    let t = &f.token;
    let holder = t
        .jwt
        .as_ref()
        .map(crate::inspect::identity_kind)
        .map_or(String::new(), |k| {
            format!(", {}", crate::sanitize::sanitize(&k.to_string()))
        });
    let evidence = format!(
        "{} ({} chars) for {resource}{holder}, expires {} ({})",
        t.access_token.fingerprint(),
        t.access_token.len(),
        utc_string(t.expires_on),
        relative(t.expires_on - f.received_at)
    );
    if t.warnings.is_empty() {
        Check::pass(TOKEN, evidence)
    } else {
        Check::warn(
            TOKEN,
            format!("{evidence}; {}", t.warnings.join("; ")),
            "the answer needed a fallback or disagrees with itself: clients that read only expires_on or expires_in may refresh at the wrong time",
        )
    }
}

/// Whether the identity that answered is the one asked for.
fn identity(ep: &Endpoint, f: &Fetched) -> Check {
    let c = crate::identity_check::check(ep, &f.token);
    let summary = c.summary();
    match c.verdict {
        Verdict::Match | Verdict::System => Check::pass(IDENTITY, summary),
        Verdict::Unverifiable => Check::warn(IDENTITY, summary, c.cause.unwrap_or_default()),
        Verdict::Mismatch => Check::fail(IDENTITY, summary, c.cause.unwrap_or_default()),
    }
}

/// The endpoint refused: name the cause when it is one of the well-known ones.
fn token_error(resource: &str, e: &Error) -> Check {
    let status = e.status.map_or(String::new(), |s| format!("HTTP {s} "));
    let code = e.code.as_deref().unwrap_or("");
    let evidence = format!(
        "{status}{code}{}{}",
        if code.is_empty() { "" } else { ": " },
        e.message
    );
    if matches!(
        e.cause,
        Some(Cause::AudienceNotSupported | Cause::UnknownResource)
    ) {
        return Check::fail(
            TOKEN,
            format!("the endpoint issues no token for {resource}: {evidence}"),
            e.hint.clone(),
        );
    }
    if e.cause == Some(Cause::MetadataHeaderMissing) {
        return Check::fail(
            TOKEN,
            evidence,
            "tokscope sends `Metadata: true`, yet the endpoint did not see it: something between here and the endpoint (a proxy, often a transparent one) strips the header; make the endpoint bypass it (NO_PROXY=169.254.169.254,localhost,127.0.0.1) or ask the network team",
        );
    }
    Check::fail(TOKEN, evidence, e.hint.clone())
}

use crate::token::claims::audiences;
pub use crate::token::claims::same_audience;

/// aud matches the resource, the token is within its validity, and how long it lives.
pub fn claims(jwt: &Jwt, resource: &str, now: i64) -> Check {
    let auds = audiences(jwt);
    if !auds.iter().any(|a| same_audience(a, resource)) {
        let got = if auds.is_empty() {
            "no aud claim".to_string()
        } else {
            format!("aud {}", auds.join(", "))
        };
        return Check::fail(
            JWT,
            format!("{got}, but the token was asked for {resource}"),
            "a service refuses a token for another audience (ARM: 401 InvalidAuthenticationTokenAudience): check the resource's spelling; if it is right, the endpoint is at fault: report it with this output",
        );
    }
    let Some(exp) = jwt.claim_i64("exp") else {
        return Check::fail(
            JWT,
            "the token has no exp claim",
            "no Azure service accepts a token without exp: report the endpoint",
        );
    };
    if exp <= now {
        return Check::fail(
            JWT,
            format!("expired {} ({} UTC)", relative(exp - now), utc_string(exp)),
            "the endpoint served an expired token: its cache is stale or a clock is wrong (see the clock check); wait a minute and fetch again",
        );
    }
    let start = crate::token::claims::lifetime_start(jwt);
    let lifetime = start.map_or(String::new(), |s| {
        format!(", lifetime {}", duration(exp - s))
    });
    let evidence = format!(
        "aud matches; valid until {} ({}){lifetime}",
        utc_string(exp),
        relative(exp - now)
    );
    if let Some(nbf) = jwt.claim_i64("nbf").filter(|nbf| *nbf > now) {
        let early = format!(
            "not valid before {} ({}): {evidence}",
            utc_string(nbf),
            relative(nbf - now)
        );
        let hint = "the token is not valid yet for this machine's clock: check the clock (see the clock check)";
        return if nbf - now > SKEW_FAIL {
            Check::fail(JWT, early, hint)
        } else {
            Check::warn(JWT, early, hint)
        };
    }
    // Only long-lived tokens: a short-lived one (as the demo mints) is meant to end soon.
    if exp - now < 300 && start.is_some_and(|s| exp - s >= 3600) {
        return Check::warn(
            JWT,
            evidence,
            "under 5 minutes left: MSAL-based clients treat it as expired and ask again; the endpoint should hand out a new one soon",
        );
    }
    Check::pass(JWT, evidence)
}

/// Seconds between this machine's clock and the endpoint's: positive when the endpoint is ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skew {
    /// From the HTTP Date header.
    pub date: Option<i64>,
    /// From the token's iat plus Entra's 5-minute back-dating; only an issuer ahead of us shows,
    /// since a cached token's iat lies in the past for hours.
    pub iat: Option<i64>,
}

impl Skew {
    pub fn measure(jwt: &Jwt, f: &Fetched) -> Self {
        Self {
            date: f.server_date.map(|d| d - f.received_at),
            iat: jwt
                .claim_i64("iat")
                .map(|iat| iat + IAT_BACKDATE - f.received_at)
                .filter(|s| *s > 0),
        }
    }

    /// The larger of the two measures.
    pub fn worst(&self) -> Option<i64> {
        [self.date, self.iat]
            .into_iter()
            .flatten()
            .max_by_key(|s| s.abs())
    }
}

fn ahead_or_behind(secs: i64) -> String {
    match secs {
        0 => "agrees with this machine".into(),
        s if s > 0 => format!("is {} ahead of this machine", duration(s)),
        s => format!("is {} behind this machine", duration(-s)),
    }
}

pub fn clock(jwt: &Jwt, f: &Fetched) -> Check {
    let skew = Skew::measure(jwt, f);
    let Some(worst) = skew.worst() else {
        return Check::skip(
            CLOCK,
            "the endpoint sent no Date header and the token's iat says nothing about the clock",
        );
    };
    let mut parts = Vec::new();
    if let Some(d) = skew.date {
        parts.push(format!("the endpoint's Date {}", ahead_or_behind(d)));
    }
    if let Some(i) = skew.iat {
        parts.push(format!("the token's iat (+5 min) {}", ahead_or_behind(i)));
    }
    let evidence = parts.join("; ");
    let hint = "a clock off by minutes makes tokens look expired or not yet valid: sync this machine's clock (timedatectl status, chronyc tracking) and compare with the endpoint host's";
    match worst.abs() {
        s if s > SKEW_FAIL => Check::fail(CLOCK, evidence, hint),
        s if s > SKEW_WARN => Check::warn(CLOCK, evidence, hint),
        _ => Check::pass(CLOCK, evidence),
    }
}

/// The signature against the issuer's keys, found through its OpenID configuration.
/// Being offline is no fault of the token: it skips.
pub async fn signature(jwt: &Jwt, authority: Option<&str>) -> Check {
    if jwt.header.contains_key("nonce") {
        return Check::skip(
            SIGNATURE,
            "a Microsoft Graph token (nonce in the header): not verifiable by design, only Graph can check it",
        );
    }
    let alg = jwt.header_str("alg").unwrap_or("(none)");
    if alg != "RS256" {
        return Check::skip(SIGNATURE, format!("alg {alg}: tokscope checks RS256 only"));
    }
    let tenant = jwt.claim_str("tid").map(str::to_string).or_else(|| {
        jwt.claim_str("iss").and_then(|i| {
            i.trim_end_matches('/')
                .split('/')
                .nth(3)
                .map(str::to_string)
        })
    });
    let Some(tenant) = tenant else {
        return Check::skip(
            SIGNATURE,
            "the token names no tenant (tid), so its keys cannot be found",
        );
    };
    let url = super::keys::openid_configuration_url(authority, &tenant);
    let keys = match super::keys::fetch_keys(&url, KEYS_TIMEOUT).await {
        Ok(k) => k,
        Err(e) => {
            return Check::skip(
                SIGNATURE,
                format!(
                    "the issuer's keys are out of reach ({}); not checked",
                    e.message
                ),
            )
        }
    };
    match verify::verify(jwt, &keys.jwks) {
        Verification::Verified { kid } => Check::pass(
            SIGNATURE,
            format!("RS256 signature matches key {kid} from {}", keys.jwks_uri),
        ),
        Verification::Failed(why) => Check::fail(
            SIGNATURE,
            why,
            "do not use this token: it was altered, or not issued by this tenant's Entra ID; fetch a fresh one and check what sits between this machine and the endpoint",
        ),
        Verification::KeyNotFound => Check::warn(
            SIGNATURE,
            format!(
                "no key {} at {}",
                jwt.header_str("kid").or(jwt.header_str("x5t")).unwrap_or("(unnamed)"),
                keys.jwks_uri
            ),
            "the token may come from another cloud (pass --authority, e.g. https://login.microsoftonline.us) or another tenant, or its key was just rotated",
        ),
        Verification::NotVerifiableByDesign => Check::skip(
            SIGNATURE,
            "a Microsoft Graph token: not verifiable by design",
        ),
        Verification::Unsupported(alg) => {
            Check::skip(SIGNATURE, format!("alg {alg}: tokscope checks RS256 only"))
        }
    }
}
