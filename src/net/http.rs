//! The HTTP pieces shared by every call: how a local client is built and how an answer is read.

use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// A client for endpoints on this machine or its link-local network: never through a proxy
/// (Microsoft requires IMDS to be reached directly) and never following a redirect, which could
/// carry a secret header somewhere the URL checks never saw. `tls` pins a server certificate.
pub fn local_client(
    connect: Duration,
    total: Duration,
    tls: Option<rustls::ClientConfig>,
) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect)
        .timeout(total);
    match tls {
        Some(tls) => builder = builder.tls_backend_preconfigured(tls),
        None => builder = super::trust::apply(builder)?,
    }
    builder.build().map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("cannot build the HTTP client: {e}"),
            "report this as a bug",
        )
    })
}

/// A local client for plain-http endpoints only (it follows no redirect, so it never meets
/// TLS): its TLS configuration trusts no root, so building it reads no certificate store,
/// which is most of a one-shot command's start-up.
pub fn loopback_plain_client(connect: Duration, total: Duration) -> Result<reqwest::Client> {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot set up TLS: {e}"),
                "report this as a bug",
            )
        })?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    local_client(connect, total, Some(tls))
}

/// Largest body read from a local endpoint or an issuer; real answers are a few KB.
pub const SMALL_BODY_CAP: usize = 1 << 20;

/// An HTTP answer as read: status, headers (names lower-case) and as much body as was allowed.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub ending: BodyEnd,
}

/// How reading the body ended.
#[derive(Debug)]
pub enum BodyEnd {
    Complete,
    /// More than the cap arrived; `body` holds the first part.
    TooLarge,
    /// The connection broke (or timed out) mid-body; `body` holds what arrived.
    Cut(reqwest::Error),
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Read an answer, stopping once the body passes `cap` bytes so a wrong URL cannot fill memory.
pub async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    let mut body = Vec::new();
    let ending = loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                body.extend_from_slice(&c);
                if body.len() > cap {
                    break BodyEnd::TooLarge;
                }
            }
            Ok(None) => break BodyEnd::Complete,
            Err(e) => break BodyEnd::Cut(e),
        }
    };
    Answer {
        status,
        headers,
        body,
        ending,
    }
}

/// The innermost cause ("Connection refused (os error 111)"), which says more than reqwest's wrapper.
pub fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
