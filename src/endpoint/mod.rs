//! Local token endpoints: which one this machine has, and how to ask it for a token.

pub mod arc;
pub mod azcli;
pub mod detect;
pub mod entra;
pub mod mi_fic;
pub mod pinned_tls;
pub mod proxy;
pub mod request;
pub mod response;
pub mod retry;
pub mod revoke;
pub mod workload;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::flavour::Flavour;
use crate::flavour::{Secret, Wire};
pub use crate::net::RetryPolicy;
pub use detect::{detect, EnvSnapshot, Overrides};
pub use response::{ExpirySource, TokenResponse};

use crate::display_url::PrivateUrl;
use crate::error::{Error, ErrorKind, Result};
use crate::net as http;
pub use crate::net::is_loopback_url;
use crate::net::{transport, Retries};
use crate::secret::HeaderSecret;
use request::{Call, Method};

/// Which identity to ask for. User-assigned ones are named by one id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Identity {
    #[default]
    SystemAssigned,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::SystemAssigned => f.write_str("system-assigned"),
            Identity::ClientId(v) => write!(f, "user-assigned, client id {v}"),
            Identity::ObjectId(v) => write!(f, "user-assigned, object id {v}"),
            Identity::ResourceId(v) => write!(f, "user-assigned, resource id {v}"),
        }
    }
}

/// A detected (or chosen) endpoint. The secret is kept out of Debug.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub flavour: Flavour,
    /// Shown only in its display form (no userinfo, secret-like query values masked).
    pub url: PrivateUrl,
    pub secret: Option<HeaderSecret>,
    /// Service Fabric's server certificate thumbprint.
    pub thumbprint: Option<String>,
    /// The env vars or flags that chose this endpoint; empty means the IMDS default.
    pub detected_from: Vec<String>,
    pub identity: Identity,
    /// The client id the platform names the system-assigned identity by, for flavours that
    /// send one even then (Azure ML's DEFAULT_IDENTITY_CLIENT_ID).
    pub system_client_id: Option<String>,
    pub notes: Vec<String>,
    /// The webhook's four inputs, for the workload flavour.
    pub workload: Option<workload::WorkloadInputs>,
}

impl Endpoint {
    pub fn source_json(&self) -> serde_json::Value {
        serde_json::json!({
            "flavour": self.flavour.name(),
            "endpoint": self.url,
            "detected_from": self.detected_from,
        })
    }

    fn why(&self) -> String {
        if self.detected_from.is_empty() {
            "no managed-identity variable is set, so IMDS is the default".into()
        } else {
            format!("of {}", self.detected_from.join(", "))
        }
    }
}

/// A retry about to happen, so that a watching user sees it as it happens.
#[derive(Debug, Clone)]
pub struct RetryNote {
    pub retry: u32,
    pub status: Option<u16>,
    pub wait: Duration,
}

pub type RetryObserver = Arc<dyn Fn(&RetryNote) + Send + Sync>;

/// A token, with what it took to get it.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub token: TokenResponse,
    /// Wall time of the whole fetch, retries included.
    pub latency: Duration,
    pub retries: u32,
    /// The endpoint's Date header, for clock-skew checks.
    pub server_date: Option<i64>,
    pub received_at: i64,
    /// The service-account token exchanged for this one (workload identity only).
    pub federated: Option<Box<workload::Federated>>,
}

/// Talks to token endpoints: no proxy, no redirects, short connect timeout.
#[derive(Clone)]
pub struct TokenClient {
    /// Built on first use: the system's roots (plus any CA file) for https endpoints, and a
    /// client that loads no roots for plain-http ones.
    http: Lazy,
    plain: Lazy,
    pub retry: RetryPolicy,
    pub arc_key_dir: PathBuf,
    pub on_retry: Option<RetryObserver>,
    timeout: Duration,
    /// Service Fabric's pinned-certificate client, built once for the thumbprint it trusts.
    pinned: Arc<Mutex<Option<(String, reqwest::Client)>>>,
}

type Lazy = Arc<Mutex<Option<reqwest::Client>>>;

fn cached(cell: &Lazy, make: impl FnOnce() -> Result<reqwest::Client>) -> Result<reqwest::Client> {
    let mut slot = cell.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = slot.as_ref() {
        return Ok(c.clone());
    }
    let c = make()?;
    *slot = Some(c.clone());
    Ok(c)
}

/// Local endpoints answer a connection at once or not at all.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

pub struct ClientOptions {
    pub retry: RetryPolicy,
    pub timeout: Duration,
    pub arc_key_dir: PathBuf,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(15),
            arc_key_dir: arc::default_key_dir(),
        }
    }
}

impl TokenClient {
    /// Time allowed for each request (`--timeout`); ARM clients take the same.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn new(opts: ClientOptions) -> Result<Self> {
        Ok(Self {
            http: Lazy::default(),
            plain: Lazy::default(),
            retry: opts.retry,
            arc_key_dir: opts.arc_key_dir,
            on_retry: None,
            timeout: opts.timeout,
            pinned: Arc::default(),
        })
    }

    pub fn with_observer(mut self, observer: RetryObserver) -> Self {
        self.on_retry = Some(observer);
        self
    }

    /// Tell the observer (the UI, watch) about a retry as it starts, then wait it out.
    async fn retry_after(&self, retry: u32, status: u16, wait: Duration) {
        if let Some(obs) = &self.on_retry {
            obs(&RetryNote {
                retry,
                status: Some(status),
                wait,
            });
        }
        tokio::time::sleep(wait).await;
    }

    pub async fn fetch(&self, ep: &Endpoint, resource: &str) -> Result<Fetched> {
        self.fetch_replacing(ep, resource, None).await
    }

    /// Ask for a token to replace the one whose hex SHA-256 is `revoke` (the revocation
    /// protocol); refused before anything is sent where the flavour has no such protocol.
    pub async fn fetch_replacing(
        &self,
        ep: &Endpoint,
        resource: &str,
        revoke: Option<&str>,
    ) -> Result<Fetched> {
        if revoke.is_some()
            && matches!(
                ep.flavour.spec().revocation,
                crate::flavour::Revocation::Unsupported { .. }
            )
        {
            return Err(request::no_revocation(ep.flavour));
        }
        let started = Instant::now();
        match ep.flavour.spec().wire {
            Wire::AzCli => {
                let received_at = chrono::Utc::now().timestamp();
                let token = azcli::fetch(resource, received_at).await?;
                return Ok(Fetched {
                    token,
                    latency: started.elapsed(),
                    retries: 0,
                    server_date: None,
                    received_at,
                    federated: None,
                });
            }
            Wire::EntraExchange => {
                let inputs = ep.workload.as_ref().ok_or_else(|| {
                    Error::config(
                        "workload identity needs its token file, tenant and client id",
                        "this is a bug in tokscope: detection gives them",
                    )
                })?;
                return workload::fetch(self, inputs, resource).await;
            }
            Wire::Query { .. } | Wire::Form => {}
        }
        check_transport(ep)?;
        let call = request::build(ep, resource, revoke)?;
        let policy = retry::for_flavour(&self.retry, ep.flavour);
        let mut retries = Retries::new(&policy, retry::retryable(ep.flavour));
        let mut authorization: Option<String> = None;
        loop {
            let answer = self.send(ep, &call, authorization.as_deref()).await?;
            let received_at = chrono::Utc::now().timestamp();
            if (200..300).contains(&answer.status) {
                let token = response::parse_success(&answer.body, received_at)?;
                return Ok(Fetched {
                    token,
                    latency: started.elapsed(),
                    retries: retries.count(),
                    server_date: server_date(&answer),
                    received_at,
                    federated: None,
                });
            }
            if ep.flavour.spec().secret == Secret::ChallengeKey && authorization.is_none() {
                if answer.status != 401 {
                    let mut e = response::parse_error(
                        ep.flavour,
                        answer.status,
                        &answer.headers,
                        &answer.body,
                    );
                    e.hint = format!(
                        "the Arc agent should first answer 401 with a key-file challenge; {}",
                        e.hint
                    );
                    return Err(e);
                }
                let key = arc::read_challenge_key(
                    answer.header("www-authenticate"),
                    &self.arc_key_dir,
                    self.timeout,
                )
                .await?;
                authorization = Some(format!("Basic {key}"));
                continue;
            }
            match retries.after(answer.status, answer.header("retry-after")) {
                Some(wait) => self.retry_after(retries.count(), answer.status, wait).await,
                None => {
                    let mut e = response::parse_error(
                        ep.flavour,
                        answer.status,
                        &answer.headers,
                        &answer.body,
                    );
                    if retries.count() > 0 {
                        e.message = format!("{} (after {} retries)", e.message, retries.count());
                    }
                    return Err(e);
                }
            }
        }
    }

    /// One request exactly as a fetch sends it, with no retry and no challenge answered: the
    /// raw answer (status, headers, body) and the time until its head arrived, for the doctor
    /// to see who answered.
    pub async fn probe(&self, ep: &Endpoint, resource: &str) -> Result<(http::Answer, Duration)> {
        check_transport(ep)?;
        let call = request::build(ep, resource, None)?;
        let started = Instant::now();
        let answer = self.send(ep, &call, None).await?;
        Ok((answer, started.elapsed()))
    }

    /// The local client for `url`: for plain http (which follows no redirect, so never meets
    /// TLS) one that loads no roots; else one with the system's roots.
    pub(crate) fn local_for(&self, url: &str) -> Result<reqwest::Client> {
        if url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        {
            cached(&self.plain, || {
                http::loopback_plain_client(CONNECT_TIMEOUT, self.timeout)
            })
        } else {
            cached(&self.http, || {
                http::local_client(CONNECT_TIMEOUT, self.timeout, None)
            })
        }
    }

    /// Service Fabric over HTTPS: a client that trusts only the pinned certificate.
    fn client_for(&self, ep: &Endpoint) -> Result<reqwest::Client> {
        let Some(var) = ep.flavour.spec().thumbprint_var else {
            return self.local_for(ep.url.expose());
        };
        if !ep.url.expose().starts_with("https://") {
            return self.local_for(ep.url.expose());
        }
        let thumb = ep.thumbprint.as_deref().ok_or_else(|| {
            Error::config(
                format!(
                    "{} over HTTPS needs {var} to check the server's certificate",
                    ep.flavour.describe()
                ),
                format!("set {var} (the platform sets it for the application)"),
            )
        })?;
        let mut cache = self.pinned.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached, client)) = cache.as_ref() {
            if cached == thumb {
                return Ok(client.clone());
            }
        }
        let tls = pinned_tls::config(thumb).map_err(|e| {
            Error::config(
                format!("cannot set up TLS for Service Fabric: {e}"),
                "report this as a bug",
            )
        })?;
        let client = http::local_client(CONNECT_TIMEOUT, self.timeout, Some(tls))?;
        *cache = Some((thumb.to_string(), client.clone()));
        Ok(client)
    }

    async fn send(
        &self,
        ep: &Endpoint,
        call: &Call,
        authorization: Option<&str>,
    ) -> Result<http::Answer> {
        let http = self.client_for(ep)?;
        let mut req = match call.method {
            Method::Get => http.get(&call.url),
            Method::Post => http.post(&call.url).form(&call.form),
        };
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        for (k, v) in &call.headers {
            req = req.header(*k, v);
        }
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.map_err(|e| transport_error(ep, &e))?;
        let answer = http::read_capped(resp, http::SMALL_BODY_CAP).await;
        match &answer.ending {
            http::BodyEnd::Complete => {}
            http::BodyEnd::TooLarge => {
                return Err(Error::new(
                    ErrorKind::BadResponse,
                    "the endpoint's answer is larger than 1 MiB",
                    "this is no token endpoint: check the URL",
                ))
            }
            http::BodyEnd::Cut(e) if e.is_timeout() => return Err(transport_error(ep, e)),
            // A connection cut mid-body leaves what arrived: the parser names it truncated.
            http::BodyEnd::Cut(_) => {}
        }
        Ok(answer)
    }
}

/// The endpoint's Date header as Unix seconds, for clock-skew checks.
fn server_date(answer: &http::Answer) -> Option<i64> {
    answer
        .header("date")
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .map(|d| d.timestamp())
}

/// Secrets (the App Service header) travel over plain HTTP only to loopback.
fn check_transport(ep: &Endpoint) -> Result<()> {
    let url = reqwest::Url::parse(ep.url.expose()).map_err(|e| {
        Error::config(
            format!("{} is not a valid URL: {e}", ep.url),
            "pass a URL such as http://127.0.0.1:50342/oauth2/token",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(
            format!("{} is not an http(s) URL", ep.url),
            "pass an http:// or https:// URL",
        ));
    }
    // Arc's key, read after the challenge, is a secret as much as IDENTITY_HEADER is.
    let carries_secret = ep.secret.is_some() || ep.flavour.spec().secret != Secret::None;
    if carries_secret && url.scheme() == "http" && !is_loopback_url(ep.url.expose()) {
        return Err(Error::config(
            format!("{} would receive the identity secret over plain HTTP to a non-loopback host", ep.url),
            "refused: the platform's endpoints are on 127.0.0.1 or localhost; check IDENTITY_ENDPOINT",
        ));
    }
    Ok(())
}

fn transport_error(ep: &Endpoint, e: &reqwest::Error) -> Error {
    // The URL is ours and carries no secret; reqwest's message may repeat it.
    let timeout = format!(
        "the {} endpoint is slow or hanging; try again, or raise --timeout",
        ep.flavour.name()
    );
    let certificate = if let Some(var) = ep.flavour.spec().thumbprint_var {
        format!("{}'s certificate is trusted by {var} only: check it is the one the platform (or `tokscope emulate --tls`) printed", ep.flavour.describe())
    } else {
        let extra: Vec<String> = crate::net::trust::installed()
            .iter()
            .map(|r| format!("{} ({})", r.path.display(), r.source))
            .collect();
        let trusted = if extra.is_empty() {
            "no extra CA is trusted".to_string()
        } else {
            format!("the CAs in {} are trusted too", extra.join(", "))
        };
        format!("the server's certificate is not one this machine trusts ({trusted}); for `tokscope emulate --tls`, pass --ca-file with the CA file it printed, or export REQUESTS_CA_BUNDLE as it says")
    };
    let unreachable = format!(
        "tokscope expected {} because {}. On Azure, check that a managed identity is enabled for this resource; elsewhere try `tokscope --demo`, or run `tokscope emulate` and point --endpoint at it",
        ep.flavour.describe(),
        ep.why()
    );
    transport::error(
        ep.url.display().as_str(),
        e,
        &transport::Advice {
            timeout: &timeout,
            broken: "the endpoint, or something between it and tokscope, cut the connection: try again; if it repeats, run `tokscope doctor`",
            certificate: &certificate,
            unreachable: &unreachable,
        },
    )
}
