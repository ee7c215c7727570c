//! Who answered: the endpoint's raw answer (status, `Server` header, timings) read for what
//! stands in the endpoint's place: the VM's Guest Proxy Agent refusing this process, a proxy
//! that caught the request, a local listener without IMDS's `Server` header, IMDS updating or
//! throttling, nothing listening at all. For IMDS also the probes the SDKs send (v1 without
//! `Metadata`, v2's `getplatformmetadata`) and `/metadata/identity/info`, each timed.

use std::path::Path;
use std::time::{Duration, Instant};

use super::Check;
use crate::endpoint::{Endpoint, EnvSnapshot, Flavour, TokenClient};
use crate::error::ErrorKind;
use crate::files::{self, ReadRule};
use crate::net::http::Answer;

pub const WHO_ANSWERED: &str = "who-answered";
pub const IMDS_PROBES: &str = "imds-probes";

/// Where the Guest Proxy Agent writes its state on Linux.
pub const GPA_STATUS_FILE: &str = "/var/log/azure-proxy-agent/status.json";
const GPA_STATUS_MAX: u64 = 256 * 1024;

/// IMDS's error statuses with their meaning, as the docs' table gives them.
fn imds_status_meaning(status: u16) -> Option<&'static str> {
    match status {
        404 => Some("IMDS is updating (404): retry with backoff"),
        410 => Some("IMDS is updating (410): it answers again within 70 s, so clients must keep retrying at least that long"),
        429 => Some("IMDS is throttling (429): it allows 20 identity requests per second and 5 at once per VM; poll less, cache tokens, honour Retry-After"),
        500..=599 => Some("IMDS failed (5xx): retry up to 3 times"),
        _ => None,
    }
}

/// What an answer's head and body show of its sender.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seen {
    pub status: u16,
    pub server: Option<String>,
    pub connection_close: bool,
    pub body_len: usize,
    pub html: bool,
    /// The body says "Fail to directly connect", a forward proxy's words.
    pub proxy_page: bool,
    pub retry_after: Option<String>,
}

impl Seen {
    pub fn of(a: &Answer) -> Self {
        let text = String::from_utf8_lossy(&a.body);
        let lower = text.to_ascii_lowercase();
        Self {
            status: a.status,
            server: a.header("server").map(str::to_string),
            connection_close: a
                .header("connection")
                .is_some_and(|c| c.eq_ignore_ascii_case("close")),
            body_len: a.body.len(),
            html: a
                .header("content-type")
                .is_some_and(|c| c.to_ascii_lowercase().contains("html"))
                || lower.trim_start().starts_with("<!doctype html")
                || lower.trim_start().starts_with("<html"),
            proxy_page: lower.contains("fail to directly connect"),
            retry_after: a.header("retry-after").map(str::to_string),
        }
    }

    fn imds_server(&self) -> bool {
        self.server
            .as_deref()
            .is_some_and(|s| s.to_ascii_uppercase().contains("IMDS"))
    }
}

/// The verdict on an answer: status, the cause in one line, and the next step.
pub fn classify(
    flavour: Flavour,
    seen: &Seen,
    proxy: Option<&str>,
) -> (super::Status, String, String) {
    use super::Status::{Fail, Pass, Warn};
    let imds = flavour == Flavour::Imds;
    if seen.status == 403 && seen.body_len == 0 && seen.connection_close && !seen.imds_server() {
        return (
            Fail,
            "the Guest Proxy Agent (Metadata Security Protocol, Enforce mode) refused this process: 403 with an empty body, Connection: close and no Server: IMDS header".into(),
            format!("the VM's proxyAgentSettings put IMDS in Enforce mode and this process is not allowed by its rules: add it to the authorization rules (see {}'s folder: AuthorizationRules_*.json, ProxyAgent.Connection.log) or set the mode to Audit", GPA_STATUS_FILE),
        );
    }
    if seen.proxy_page || (seen.html && matches!(seen.status, 400 | 403 | 407 | 502 | 504)) {
        let via = proxy.map_or_else(
            || {
                "no proxy variable is set here, so a transparent proxy or a local listener"
                    .to_string()
            },
            |p| format!("{p}, so"),
        );
        return (
            Fail,
            format!("a proxy answered, not the endpoint: HTTP {} with an HTML page{}", seen.status, if seen.proxy_page { " saying \"Fail to directly connect\"" } else { "" }),
            format!("{via} caught the request: token endpoints must be reached directly; add 169.254.169.254,localhost,127.0.0.1 to NO_PROXY (and no_proxy)"),
        );
    }
    if imds {
        if let Some(meaning) = imds_status_meaning(seen.status) {
            let ra = seen
                .retry_after
                .as_deref()
                .map_or(String::new(), |r| format!(" (Retry-After {r})"));
            return (
                Warn,
                format!("{meaning}{ra}"),
                "wait and try again: it is transient".into(),
            );
        }
        if !seen.imds_server() {
            return (
                Warn,
                "no Server: IMDS/… header: something other than IMDS answered (aad-pod-identity's NMI, a local listener or emulator, a proxy)".into(),
                "if this machine should reach IMDS itself, find what listens in its place (AZURE_POD_IDENTITY_AUTHORITY_HOST, a VPN client, a proxy); MSAL's IMDS v2 refuses an answer without that header".into(),
            );
        }
    }
    (
        Pass,
        format!(
            "HTTP {} from {}",
            seen.status,
            seen.server.as_deref().map_or(
                "a server that does not name itself".to_string(),
                |s| format!("Server: {s}")
            )
        ),
        String::new(),
    )
}

/// The proxy variable that would carry a request to `url` in clients that honour proxies, or
/// None when none is set or NO_PROXY covers the host.
pub fn proxy_for(env: &EnvSnapshot, url: &str) -> Option<String> {
    let host = reqwest::Url::parse(url)
        .ok()?
        .host_str()?
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let var = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]
        .into_iter()
        .find(|v| env.has(v))?;
    let no_proxy = [env.get("NO_PROXY"), env.get("no_proxy")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(",");
    (!crate::endpoint::proxy::no_proxy_covers(&no_proxy, &host))
        .then(|| format!("{var} is set and NO_PROXY does not cover {host}"))
}

/// The Guest Proxy Agent's status file, when this process may read it: its top-level fields.
pub fn gpa_status(path: &Path) -> Option<String> {
    let text = files::read_text(path, ReadRule::new(GPA_STATUS_MAX)).ok()?;
    let fields = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| format!("{k}={s}")))
            .take(6)
            .collect::<Vec<_>>()
            .join(", "),
        _ => "not JSON".into(),
    };
    Some(format!("{} ({fields})", path.display()))
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// The who-answered check: one raw request as a fetch sends it, read for its sender.
pub async fn who_answered(
    ep: &Endpoint,
    client: &TokenClient,
    env: &EnvSnapshot,
    resource: &str,
) -> Check {
    if ep.flavour == Flavour::Azcli || ep.flavour == Flavour::Workload {
        return Check::skip(
            WHO_ANSWERED,
            "no local endpoint: the token comes from the Azure CLI or Entra",
        );
    }
    let url = ep.url.expose();
    let proxy = proxy_for(env, url);
    let mut context = Vec::new();
    if let Some(p) = &proxy {
        context.push(p.clone());
    }
    if let Some(h) = env
        .get("AZURE_POD_IDENTITY_AUTHORITY_HOST")
        .filter(|_| ep.flavour == Flavour::Imds)
    {
        context.push(format!(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST sends IMDS calls to {}",
            crate::display_url::DisplayUrl::of(h)
        ));
    }
    if let Some(g) = gpa_status(Path::new(GPA_STATUS_FILE)) {
        context.push(format!("Guest Proxy Agent status: {g}"));
    }
    let connect = super::token::connect(url).await;
    let connected = match &connect {
        Ok(c) => c.clone(),
        Err(check) => {
            let imds_hint = if ep.flavour == Flavour::Imds {
                "; from a pod of an AKS cluster with IMDS restricted (podLinkLocalAccess: None) IMDS cannot be reached at all: use workload identity"
            } else {
                ""
            };
            return Check::fail(
                WHO_ANSWERED,
                format!(
                    "nobody answered: {}{}",
                    check.evidence,
                    join_context(&context)
                ),
                format!("{}{imds_hint}", check.hint),
            );
        }
    };
    let (answer, took) = match client.probe(ep, resource).await {
        Ok(a) => a,
        Err(e) => {
            let what = if e.kind == ErrorKind::Timeout {
                "the connection opened but no answer came in time"
            } else {
                "the request got no answer"
            };
            return Check::fail(
                WHO_ANSWERED,
                format!(
                    "{what}: {}; {connected}{}",
                    e.message,
                    join_context(&context)
                ),
                e.hint,
            );
        }
    };
    let seen = Seen::of(&answer);
    let (status, cause, hint) = classify(ep.flavour, &seen, proxy.as_deref());
    let evidence = format!(
        "{cause}; HTTP {}, Server {}, {connected}, first byte within {} ms{}",
        seen.status,
        seen.server.as_deref().unwrap_or("(none)"),
        ms(took),
        join_context(&context)
    );
    Check {
        name: WHO_ANSWERED.into(),
        status,
        evidence,
        hint,
    }
}

fn join_context(context: &[String]) -> String {
    if context.is_empty() {
        String::new()
    } else {
        format!("; {}", context.join("; "))
    }
}

/// One timed GET to an IMDS path: (status, body, milliseconds) or what went wrong.
async fn probe_path(
    client: &TokenClient,
    url: &str,
    metadata: bool,
) -> Result<(u16, Vec<u8>, u128), String> {
    let http = client.local_for(url).map_err(|e| e.message)?;
    let mut req = http.get(url);
    if metadata {
        req = req.header("Metadata", "true");
    }
    let started = Instant::now();
    let resp = req.send().await.map_err(|e| {
        if e.is_timeout() {
            format!("timed out after {} ms", ms(started.elapsed()))
        } else if e.is_connect() {
            "connection refused or unreachable".to_string()
        } else {
            "no answer".to_string()
        }
    })?;
    let took = ms(started.elapsed());
    let a = crate::net::http::read_capped(resp, 64 * 1024).await;
    Ok((a.status, a.body, took))
}

/// IMDS's probes, as the SDKs send them: v1 (the token path without `Metadata`, 400 means
/// IMDS), v2 (`getplatformmetadata` without `Metadata`: 400 means v2, 404 a v1-only host)
/// and `/metadata/identity/info` (the tenant). Only to the configured IMDS host.
pub async fn imds_probes(ep: &Endpoint, client: &TokenClient) -> Check {
    if ep.flavour != Flavour::Imds {
        return Check::skip(
            IMDS_PROBES,
            format!("the endpoint is {}, not IMDS", ep.flavour.name()),
        );
    }
    let Ok(mut base) = reqwest::Url::parse(ep.url.expose()) else {
        return Check::skip(IMDS_PROBES, "the IMDS URL does not parse");
    };
    base.set_path("");
    base.set_query(None);
    let host = base.as_str().trim_end_matches('/').to_string();
    let mut lines = Vec::new();
    let mut status = super::Status::Pass;
    let mut hint = String::new();
    match probe_path(
        client,
        &format!("{host}/metadata/identity/oauth2/token?api-version=2018-02-01"),
        false,
    )
    .await
    {
        Ok((400, _, t)) => lines.push(format!("v1 probe: 400 in {t} ms (IMDS v1 answers)")),
        Ok((s, _, t)) => {
            status = super::Status::Warn;
            hint = "IMDS answers a request without Metadata: true with 400; anything else means something else answered, and DefaultAzureCredential's probe will misjudge this machine".into();
            lines.push(format!("v1 probe: {s} in {t} ms, not the 400 IMDS gives"));
        }
        Err(e) => {
            status = super::Status::Warn;
            hint = "DefaultAzureCredential's IMDS probe fails here the same way: set AZURE_TOKEN_CREDENTIALS=dev off Azure to skip it".into();
            lines.push(format!("v1 probe: {e}"));
        }
    }
    match probe_path(client, &format!("{host}/metadata/identity/getplatformmetadata?cred-api-version=2.0"), false).await {
        Ok((400, _, t)) => lines.push(format!("v2 probe: 400 in {t} ms (IMDS v2: MI v2 / mTLS PoP possible)")),
        Ok((404, _, t)) => lines.push(format!("v2 probe: 404 in {t} ms (v1-only host: bearer tokens only, MSAL's mTLS PoP is unavailable here)")),
        Ok((s, _, t)) => lines.push(format!("v2 probe: {s} in {t} ms (neither 400 nor 404)")),
        Err(e) => lines.push(format!("v2 probe: {e}")),
    }
    match probe_path(
        client,
        &format!("{host}/metadata/identity/info?api-version=2018-02-01"),
        true,
    )
    .await
    {
        Ok((200, body, t)) => {
            let tenant = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("tenantId")
                        .and_then(|t| t.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "(no tenantId)".into());
            lines.push(format!("identity/info: tenant {tenant} in {t} ms"));
        }
        Ok((s, _, t)) => lines.push(format!("identity/info: {s} in {t} ms")),
        Err(e) => lines.push(format!("identity/info: {e}")),
    }
    Check {
        name: IMDS_PROBES.into(),
        status,
        evidence: lines.join("; "),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn the_gpa_fingerprint_is_named() {
        let seen = Seen {
            status: 403,
            connection_close: true,
            ..Seen::default()
        };
        let (s, cause, _) = classify(Flavour::Imds, &seen, None);
        assert_eq!(s, Status::Fail);
        assert!(cause.contains("Guest Proxy Agent"));
        // The same 403 from IMDS itself (it names itself) is not the agent.
        let imds = Seen {
            server: Some("IMDS/150.870.65.1556".into()),
            ..seen
        };
        assert!(!classify(Flavour::Imds, &imds, None)
            .1
            .contains("Guest Proxy Agent"));
    }

    #[test]
    fn a_proxy_env_is_named_when_no_proxy_misses_the_host() {
        let env =
            EnvSnapshot::from_pairs([("HTTPS_PROXY", "http://p:3128"), ("NO_PROXY", "localhost")]);
        assert!(proxy_for(&env, "http://169.254.169.254/x")
            .unwrap()
            .contains("HTTPS_PROXY"));
        assert!(proxy_for(&env, "http://localhost:1/x").is_none());
    }
}
