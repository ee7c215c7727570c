//! The HTTP side of ARM: one base URL, bearer tokens only over HTTPS (or to loopback), bounded
//! retries of 429 and 5xx, and a record of every request for display.

use crate::display_url::DisplayUrl;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::errors::{self, ErrorContext};
use crate::error::{Error, ErrorKind, RequestIds, Result};
use crate::net::{
    describe_body, is_loopback_url, local_client, read_capped, transport, BodyEnd, Retries,
    RetryPolicy,
};
use crate::secret::AccessToken;

/// Largest ARM answer read; a page of VMs is well under this.
const MAX_BODY: usize = 32 << 20;

/// The headers ARM puts on every answer and support teams ask for.
pub const REQUEST_ID_HEADERS: &[&str] = &[
    "x-ms-request-id",
    "x-ms-correlation-request-id",
    "x-ms-routing-request-id",
];

/// ARM retries 429 and 5xx (on the schedule of `RetryPolicy::arm`).
fn retryable(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// One HTTP request as sent and answered, for the `request` lines and a TUI tab.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub method: &'static str,
    /// Full URL with api-version, in its display form (the token travels in a header; userinfo
    /// and key-like query values from `--arm-url` or a `nextLink` are not shown).
    pub url: DisplayUrl,
    /// None when nothing answered.
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub request_ids: RequestIds,
}

impl RequestRecord {
    /// `GET https://…?api-version=… → 200 · 41 ms · x-ms-request-id …`
    pub fn line(&self) -> String {
        let status = self
            .status
            .map_or_else(|| "no answer".to_string(), |s| s.to_string());
        let mut out = format!(
            "{} {} → {status} · {} ms",
            self.method, self.url, self.latency_ms
        );
        for (k, v) in &self.request_ids {
            out.push_str(&format!(" · {k} {v}"));
        }
        out
    }
}

/// Where records of one operation go, besides the client's own history.
pub(crate) type Recorder = Mutex<Vec<RequestRecord>>;

/// Time allowed for each ARM request when the caller names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// An ARM client bound to one base URL. Cheap to clone; clones share the request history.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// For IMDS instance metadata: never through a proxy, short timeouts.
    pub(crate) imds: reqwest::Client,
    base: reqwest::Url,
    pub retry: RetryPolicy,
    /// The resource to ask a token for to call this ARM (for hints).
    pub audience: String,
    history: Arc<Mutex<Vec<RequestRecord>>>,
}

fn build_error(e: reqwest::Error) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("cannot build the HTTP client: {e}"),
        "report this as a bug",
    )
}

impl Client {
    /// A client for `base` (e.g. `https://management.azure.com`). Plain `http://` is refused
    /// unless the host is loopback: the bearer token must not cross a network in clear text.
    pub fn new(base: &str) -> Result<Self> {
        Self::with_timeout(base, DEFAULT_TIMEOUT)
    }

    /// [`Client::new`], with `timeout` for each request from connecting to the answer's last
    /// byte (`--timeout`): an ARM (or a proxy) that never answers costs that long, no more.
    pub fn with_timeout(base: &str, timeout: Duration) -> Result<Self> {
        let base = parse_base(base)?;
        let total = timeout.max(Duration::from_secs(1));
        let connect = Duration::from_secs(10).min(total);
        // The emulator on loopback is reached directly; the real ARM may need the user's proxy.
        let http = if is_loopback_url(base.as_str()) {
            local_client(connect, total, None)?
        } else {
            let builder = reqwest::Client::builder()
                // A redirect could carry the request somewhere the base check never saw.
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(connect)
                .timeout(total);
            crate::net::trust::apply(builder)?
                .build()
                .map_err(build_error)?
        };
        let imds = local_client(
            Duration::from_secs(2).min(total),
            Duration::from_secs(5).min(total),
            None,
        )?;
        Ok(Self {
            http,
            imds,
            audience: audience_for(&base).to_string(),
            base,
            retry: RetryPolicy::arm(),
            history: Arc::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// Every request this client (and its clones) sent, oldest first.
    pub fn history(&self) -> Vec<RequestRecord> {
        match self.history.lock() {
            Ok(h) => h.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// `base` + path segments (each percent-encoded) + query.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> String {
        let mut u = self.base.clone();
        if let Ok(mut p) = u.path_segments_mut() {
            p.pop_if_empty();
            p.extend(segments);
        }
        if !query.is_empty() {
            u.query_pairs_mut().extend_pairs(query);
        }
        u.to_string()
    }

    /// Whether `url` is on this client's base (scheme, host and port), so the token may go there.
    pub fn same_origin(&self, url: &str) -> bool {
        reqwest::Url::parse(url).is_ok_and(|u| {
            u.scheme() == self.base.scheme()
                && u.host_str()
                    .zip(self.base.host_str())
                    .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
                && u.port_or_known_default() == self.base.port_or_known_default()
        })
    }

    pub(crate) fn record(&self, rec: RequestRecord, recorder: &Recorder) {
        for sink in [&*self.history, recorder] {
            match sink.lock() {
                Ok(mut v) => v.push(rec.clone()),
                Err(p) => p.into_inner().push(rec.clone()),
            }
        }
    }

    /// GET a JSON document from ARM with the token, retrying 429 and 5xx.
    pub(crate) async fn get_json(
        &self,
        url: &str,
        token: &AccessToken,
        ctx: &ErrorContext,
        recorder: &Recorder,
    ) -> Result<Value> {
        let too_large = || {
            Error::new(
                ErrorKind::BadResponse,
                "ARM's answer is larger than 32 MiB",
                "narrow the list with --resource-group",
            )
        };
        self.get_json_within(url, token, ctx, recorder, MAX_BODY, &too_large)
            .await
            .map(|(v, _)| v)
    }

    /// Like `get_json`, reading at most `max_body` bytes (`too_large` says what was exceeded);
    /// also returns the body's size, for callers that budget bytes across several answers.
    pub(crate) async fn get_json_within(
        &self,
        url: &str,
        token: &AccessToken,
        ctx: &ErrorContext,
        recorder: &Recorder,
        max_body: usize,
        too_large: &(dyn Fn() -> Error + Sync),
    ) -> Result<(Value, usize)> {
        let max_body = max_body.min(MAX_BODY);
        if !self.same_origin(url) {
            return Err(Error::new(
                ErrorKind::Arm,
                format!("refusing to send the token to {}: it is not on {}", DisplayUrl::of(url), DisplayUrl::of(self.base())),
                "ARM's nextLink should stay on the ARM host; report the answer that pointed elsewhere",
            ));
        }
        let mut retries = Retries::new(&self.retry, retryable);
        loop {
            let started = Instant::now();
            let sent = self
                .http
                .get(url)
                .bearer_auth(token.expose())
                .header("accept", "application/json")
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    self.record(
                        RequestRecord {
                            method: "GET",
                            url: DisplayUrl::of(url),
                            status: None,
                            latency_ms: crate::duration::millis(started.elapsed()),
                            request_ids: RequestIds::default(),
                        },
                        recorder,
                    );
                    return Err(transport_error(self.base(), &e));
                }
            };
            let answer = read_capped(resp, max_body).await;
            let (status, headers) = (answer.status, &answer.headers);
            let request_ids = errors::request_ids(headers);
            self.record(
                RequestRecord {
                    method: "GET",
                    url: DisplayUrl::of(url),
                    status: Some(status),
                    latency_ms: crate::duration::millis(started.elapsed()),
                    request_ids,
                },
                recorder,
            );
            let body = match &answer.ending {
                BodyEnd::Complete => &answer.body,
                BodyEnd::TooLarge => return Err(too_large()),
                BodyEnd::Cut(e) => {
                    return Err(Error::new(
                        ErrorKind::BadResponse,
                        format!("the answer from ARM broke off: {e}"),
                        "try again; a proxy may be cutting connections",
                    ))
                }
            };
            if (200..300).contains(&status) {
                return serde_json::from_slice(body).map(|v| (v, body.len())).map_err(|e| {
                    Error::new(
                        ErrorKind::BadResponse,
                        format!(
                            "ARM answered {status} with a body that is not JSON ({e}): {}",
                            describe_body(body)
                        ),
                        "a proxy or captive portal may sit between this machine and ARM; try again, or check HTTPS_PROXY",
                    )
                    .with_status(status)
                });
            }
            if let Some(wait) = retries.after(status, answer.header("retry-after")) {
                tokio::time::sleep(wait).await;
                continue;
            }
            let mut e = errors::from_answer(status, headers, body, ctx);
            if retries.count() > 0 {
                e.message = format!("{} (after {} retries)", e.message, retries.count());
            }
            return Err(e);
        }
    }
}

/// An answer kept whole, whatever its status, for a caller that reads refusals itself.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

/// Largest answer a probe reads: refusals are small.
const PROBE_BODY: usize = 1 << 20;

impl Client {
    /// Send one request with the token and keep the answer whatever its status: `tokscope why`
    /// reads refusals rather than failing on them. Once, no retries: the answer is the evidence.
    pub async fn probe(
        &self,
        method: &str,
        url: &str,
        token: &AccessToken,
        headers: &[(&str, &str)],
    ) -> Result<RawAnswer> {
        if !self.same_origin(url) {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "refusing to send the token to {}: it is not on {}",
                    DisplayUrl::of(url),
                    DisplayUrl::of(self.base())
                ),
                "report this as a bug",
            ));
        }
        let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| {
            Error::config(
                format!("{method:?} is not an HTTP method"),
                "use GET, HEAD, PUT, POST, PATCH or DELETE",
            )
        })?;
        let mut req = self
            .http
            .request(m, url)
            .bearer_auth(token.expose())
            .header("accept", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let started = Instant::now();
        let recorder = Recorder::default();
        let static_method: &'static str = match method {
            "HEAD" => "HEAD",
            "PUT" => "PUT",
            "POST" => "POST",
            "PATCH" => "PATCH",
            "DELETE" => "DELETE",
            _ => "GET",
        };
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                self.record(
                    RequestRecord {
                        method: static_method,
                        url: DisplayUrl::of(url),
                        status: None,
                        latency_ms: crate::duration::millis(started.elapsed()),
                        request_ids: RequestIds::default(),
                    },
                    &recorder,
                );
                return Err(transport_error(self.base(), &e));
            }
        };
        let answer = read_capped(resp, PROBE_BODY).await;
        self.record(
            RequestRecord {
                method: static_method,
                url: DisplayUrl::of(url),
                status: Some(answer.status),
                latency_ms: crate::duration::millis(started.elapsed()),
                request_ids: errors::request_ids(&answer.headers),
            },
            &recorder,
        );
        Ok(RawAnswer {
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
        })
    }
}

/// The cloud whose ARM host this is; anything else (an emulator) takes the public audience.
fn audience_for(base: &reqwest::Url) -> &'static str {
    let host = base.host_str().unwrap_or("");
    [super::Cloud::Usgov, super::Cloud::China]
        .into_iter()
        .find(|c| c.base_url().strip_prefix("https://") == Some(host))
        .unwrap_or(super::Cloud::Public)
        .audience()
}

fn parse_base(base: &str) -> Result<reqwest::Url> {
    // Only ever shown in its display form: an --arm-url may carry credentials.
    crate::display_url::keep_credentials(base);
    let shown = crate::display_url::DisplayUrl::of(base);
    let url = reqwest::Url::parse(base.trim()).map_err(|e| {
        Error::config(
            format!("{shown} is not a valid URL: {e}"),
            "pass an ARM URL such as https://management.azure.com",
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_url(url.as_str()) => {}
        "http" => {
            return Err(Error::config(
                format!("refusing to send a bearer token over plain HTTP to {shown}"),
                "use https://, or http:// only to a loopback address (127.0.0.1, ::1, localhost) such as the tokscope emulator",
            ))
        }
        other => {
            return Err(Error::config(
                format!("{shown} is a {other}: URL, not http(s)"),
                "pass an ARM URL such as https://management.azure.com",
            ))
        }
    }
    if url.query().is_some() || url.host_str().is_none() {
        return Err(Error::config(
            format!("{shown} should be a host with no query, like https://management.azure.com"),
            "drop the path's query part",
        ));
    }
    Ok(url)
}

pub(crate) fn transport_error(what: &str, e: &reqwest::Error) -> Error {
    transport::error(
        DisplayUrl::of(what).as_str(),
        e,
        &transport::Advice::plain(
            "try again; if it persists, check the network path (proxy, firewall) to it",
            "check DNS, firewall and HTTPS_PROXY for this host; --cloud picks another cloud's ARM",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Client::new("https://management.azure.com").is_ok());
        assert!(Client::new("http://127.0.0.1:8080").is_ok());
        assert!(Client::new("http://localhost:8080/").is_ok());
        let e = Client::new("http://example.invalid").err().unwrap();
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(Client::new("ftp://management.azure.com").is_err());
    }

    #[test]
    fn builds_urls_and_checks_origin() {
        let c = Client::new("https://management.azure.com/").unwrap();
        let u = c.url(&["subscriptions", "a b"], &[("api-version", "2021-07-01")]);
        assert_eq!(
            u,
            "https://management.azure.com/subscriptions/a%20b?api-version=2021-07-01"
        );
        assert!(c.same_origin("https://MANAGEMENT.azure.com:443/x?y"));
        assert!(!c.same_origin("https://evil.example.com/subscriptions"));
        assert!(!c.same_origin("http://management.azure.com/subscriptions"));
    }
}
