//! AKS workload identity: the pod's service-account token, read from AZURE_FEDERATED_TOKEN_FILE
//! on every fetch, exchanged at Entra's v2 token endpoint the way azure-identity sends it.

use crate::display_url::DisplayUrl;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{entra, response, Fetched, Flavour, TokenClient};
use crate::error::{Error, ErrorKind, Result};
use crate::files::{self, ReadError, ReadRule};
use crate::net as http;
use crate::net::{transport, Retries};
use crate::secret::AccessToken;
use crate::token::service_account::ServiceAccountToken;

/// The public cloud's authority, as the webhook writes it (with the trailing slash).
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/";
/// Service-account tokens are 1–2 KB; anything much larger is not one.
pub const TOKEN_FILE_CAP: u64 = 64 * 1024;
pub use crate::token::service_account::CLIENT_ASSERTION_TYPE;

/// The four inputs the webhook injects, wherever each came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadInputs {
    pub token_file: PathBuf,
    pub tenant: String,
    pub client_id: String,
    /// Scheme and host, no trailing slash: `https://login.microsoftonline.com`.
    pub authority: String,
}

impl WorkloadInputs {
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority, self.tenant)
    }
}

/// AZURE_AUTHORITY_HOST as the SDKs read it: `https://` added when no scheme, trailing `/` dropped.
pub fn normalise_authority(raw: &str) -> String {
    let t = raw.trim().trim_end_matches('/');
    if t.contains("://") {
        t.to_string()
    } else {
        format!("https://{t}")
    }
}

/// `<resource>/.default`, the one scope the SDKs send for a resource.
pub fn scope_for(resource: &str) -> String {
    let r = resource.trim();
    if r.ends_with("/.default") {
        r.to_string()
    } else {
        format!("{}/.default", r.trim_end_matches('/'))
    }
}

/// The token file as read: where it really lives, its mode, and its contents (a secret).
#[derive(Debug, Clone)]
pub struct TokenFile {
    pub path: PathBuf,
    /// The path after symlinks: kubelet publishes projected tokens through `..data` links.
    pub resolved: PathBuf,
    pub mode: Option<u32>,
    pub len: u64,
    pub modified: Option<i64>,
    pub contents: AccessToken,
    /// The contents, decoded.
    pub token: ServiceAccountToken,
}

/// The service-account token next to the access token it was exchanged for.
#[derive(Debug, Clone)]
pub struct Federated {
    pub file: TokenFile,
    pub inputs: WorkloadInputs,
    /// Entra's `ext_expires_in`, kept because the normalised response has no place for it.
    pub ext_expires_in: Option<i64>,
}

fn file_error(path: &Path, what: impl std::fmt::Display, hint: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("AZURE_FEDERATED_TOKEN_FILE {}: {what}", path.display()),
        hint,
    )
}

/// Read the token file. Symlinks are followed on purpose: kubelet's atomic writer publishes a
/// projected token as `token → ..data/token` and swaps `..data` on every rotation, so refusing
/// links would refuse every real pod. What keeps this safe instead: the file gate opens it
/// without blocking and reads it only if the opened file is a regular one within the cap, all
/// under the caller's timeout, and its contents must decode as a JWT before anything is sent —
/// a variable pointed at another file never puts that file on the wire.
fn read_blocking(path: &Path) -> Result<TokenFile> {
    use std::os::unix::fs::MetadataExt;
    let not_found_hint = "the workload-identity webhook mounts the token only into pods labelled azure.workload.identity/use: \"true\" (and not into containers listed in azure.workload.identity/skip-containers); read the path from AZURE_FEDERATED_TOKEN_FILE, never a hard-coded one: it moved to /var/run/secrets/azure/wi/token/azure-identity-token in webhook v1.6";
    let wrong_file =
        "point AZURE_FEDERATED_TOKEN_FILE (or --token-file) at the projected service-account token file";
    let (raw, opened) = files::read_with_metadata(path, ReadRule::new(TOKEN_FILE_CAP)).map_err(
        |e| match e.io_kind() {
            Some(std::io::ErrorKind::NotFound) => file_error(path, "no such file", not_found_hint),
            Some(std::io::ErrorKind::PermissionDenied) => file_error(
                path,
                "permission denied",
                "the file is not readable by this user (Kubernetes 1.18 wrote it 0600): run as its owner or set the pod's securityContext.fsGroup (e.g. 65534)",
            ),
            _ => match e {
                ReadError::NotRegular(kind) => {
                    file_error(path, format!("is {kind}, not a regular file"), wrong_file)
                }
                ReadError::TooLarge(max) => file_error(
                    path,
                    format!("is larger than {max} bytes, more than a service-account token"),
                    wrong_file,
                ),
                other => file_error(path, other, "check the path and the volume mount"),
            },
        },
    )?;
    let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let text = String::from_utf8(raw).map_err(|_| {
        file_error(
            path,
            "is not text",
            "point AZURE_FEDERATED_TOKEN_FILE at the projected service-account token file",
        )
    })?;
    let contents = text.trim();
    if contents.is_empty() {
        return Err(file_error(
            path,
            "is empty",
            "kubelet has not written the token yet, or the volume is wrong: wait a moment and check the pod's projected volume",
        ));
    }
    // Checked before sending: only a JWT leaves this machine, never some other file's contents.
    let Ok(jwt) = crate::token::decode(contents) else {
        return Err(file_error(
            path,
            "does not hold a JWT",
            "AZURE_FEDERATED_TOKEN_FILE must name the projected service-account token (three base64url parts)",
        ));
    };
    Ok(TokenFile {
        path: path.to_path_buf(),
        resolved,
        mode: Some(opened.mode() & 0o7777),
        len: opened.len(),
        modified: opened
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(crate::duration::secs_i64),
        contents: AccessToken::new(contents),
        token: ServiceAccountToken::from_jwt(&jwt),
    })
}

/// Read the token file off the async threads, within `timeout` (a stuck network volume).
pub async fn read_token_file(path: &Path, timeout: Duration) -> Result<TokenFile> {
    let p = path.to_path_buf();
    let job = tokio::task::spawn_blocking(move || read_blocking(&p));
    match tokio::time::timeout(timeout, job).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err(file_error(path, "the read failed", "try again")),
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "AZURE_FEDERATED_TOKEN_FILE {} could not be read in time",
                path.display()
            ),
            "the volume holding the token is not answering: check the pod's mounts",
        )),
    }
}

/// Plain http only to loopback: the assertion is a credential as much as a client secret is.
fn check_authority(inputs: &WorkloadInputs) -> Result<()> {
    let url = inputs.token_url();
    let parsed = reqwest::Url::parse(&url).map_err(|e| {
        Error::config(
            format!("the authority {} is not a valid URL: {e}", inputs.authority),
            "set AZURE_AUTHORITY_HOST (or --authority-host) to e.g. https://login.microsoftonline.com/",
        )
    })?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if super::is_loopback_url(&url) => Ok(()),
        _ => Err(Error::config(
            format!("the authority {} is not https", inputs.authority),
            "Entra is reached over https only (the SDKs refuse anything else); plain http is allowed only to a loopback emulator",
        )),
    }
}

/// Entra across the network may need the environment's proxy; a loopback emulator never does.
fn client_for(tc: &TokenClient, inputs: &WorkloadInputs) -> Result<reqwest::Client> {
    let url = inputs.token_url();
    if super::is_loopback_url(&url) {
        return tc.local_for(&url);
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(tc.timeout)
        .build()
        .map_err(|e| {
            Error::config(
                format!("cannot build the HTTP client: {e}"),
                "report this as a bug",
            )
        })
}

pub async fn fetch(tc: &TokenClient, inputs: &WorkloadInputs, resource: &str) -> Result<Fetched> {
    let started = Instant::now();
    check_authority(inputs)?;
    let file = read_token_file(&inputs.token_file, tc.timeout).await?;
    let x = exchange(
        tc,
        inputs,
        &file.contents,
        Some(&file.token),
        None,
        resource,
    )
    .await?;
    Ok(Fetched {
        token: x.token,
        latency: started.elapsed(),
        retries: x.retries,
        server_date: x.server_date,
        received_at: x.received_at,
        federated: Some(Box::new(Federated {
            file,
            inputs: inputs.clone(),
            ext_expires_in: x.ext_expires_in,
        })),
    })
}

/// Entra's answer to a client-credentials request with an assertion.
pub struct Exchanged {
    pub token: response::TokenResponse,
    pub retries: u32,
    pub server_date: Option<i64>,
    pub received_at: i64,
    pub ext_expires_in: Option<i64>,
}

/// `POST {authority}/{tenant}/oauth2/v2.0/token` as `inputs.client_id` with `assertion` (a
/// service-account token, or a managed identity's token for the exchange audience), as the SDKs
/// send it; Entra's refusal explained with what `sa` presented.
pub async fn exchange(
    tc: &TokenClient,
    inputs: &WorkloadInputs,
    assertion: &AccessToken,
    sa: Option<&ServiceAccountToken>,
    managed: Option<&crate::token::federation::Presented>,
    resource: &str,
) -> Result<Exchanged> {
    check_authority(inputs)?;
    let http = client_for(tc, inputs)?;
    let url = inputs.token_url();
    let form = [
        ("client_id", inputs.client_id.clone()),
        ("scope", scope_for(resource)),
        ("grant_type", "client_credentials".to_string()),
        ("client_assertion_type", CLIENT_ASSERTION_TYPE.to_string()),
        ("client_assertion", assertion.expose().to_string()),
    ];
    let mut retries = Retries::new(&tc.retry, super::retry::retryable(Flavour::Workload));
    loop {
        let resp = http
            .post(&url)
            .form(&form)
            .send()
            .await
            .map_err(|e| transport_error(&url, &e))?;
        let answer = http::read_capped(resp, http::SMALL_BODY_CAP).await;
        if let http::BodyEnd::TooLarge = answer.ending {
            return Err(Error::new(
                ErrorKind::BadResponse,
                "Entra's answer is larger than 1 MiB",
                "this is no token endpoint: check AZURE_AUTHORITY_HOST",
            ));
        }
        let received_at = chrono::Utc::now().timestamp();
        if (200..300).contains(&answer.status) {
            let mut token = response::parse_success(&answer.body, received_at)?;
            // Entra v2 answers expires_in and never expires_on: that is its form, not a fallback.
            token
                .warnings
                .retain(|w| !w.starts_with("no expires_on in the answer"));
            let ext_expires_in = serde_json::from_slice::<serde_json::Value>(&answer.body)
                .ok()
                .and_then(|v| v.get("ext_expires_in").and_then(serde_json::Value::as_i64));
            return Ok(Exchanged {
                token,
                retries: retries.count(),
                server_date: super::server_date(&answer),
                received_at,
                ext_expires_in,
            });
        }
        match retries.after(answer.status, answer.header("retry-after")) {
            Some(wait) => tc.retry_after(retries.count(), answer.status, wait).await,
            None => {
                let now = chrono::Utc::now().timestamp();
                return Err(entra::parse_error(
                    answer.status,
                    &answer.headers,
                    &answer.body,
                    &entra::Context {
                        inputs,
                        token: sa,
                        managed,
                        now,
                    },
                ));
            }
        }
    }
}

fn transport_error(url: &str, e: &reqwest::Error) -> Error {
    transport::error(
        &format!("Entra at {}", DisplayUrl::of(url)),
        e,
        &transport::Advice::plain(
            "raise --timeout, or check the pod's egress to the authority host",
            "the pod cannot reach the authority host: check AZURE_AUTHORITY_HOST, egress rules (login.microsoftonline.com:443) and HTTPS_PROXY/NO_PROXY",
        ),
    )
}
