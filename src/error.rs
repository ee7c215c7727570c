//! One error value for every failure: what kind, what the service said, and what to do next.

use serde::Serialize;
use std::fmt;

use crate::sanitize::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Flags or environment do not describe a usable endpoint.
    Config,
    /// Nothing answered: connection refused, unreachable, DNS.
    Connect,
    /// The endpoint did not answer in time.
    Timeout,
    /// The endpoint answered with an error status.
    Endpoint,
    /// The endpoint answered 2xx but the body is not a usable token response.
    BadResponse,
    /// The token (or what was given as one) cannot be decoded.
    InvalidToken,
    /// ARM answered with an error.
    Arm,
    /// A local file or process failed.
    Io,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Endpoint => "endpoint",
            ErrorKind::BadResponse => "bad_response",
            ErrorKind::InvalidToken => "invalid_token",
            ErrorKind::Arm => "arm",
            ErrorKind::Io => "io",
        }
    }
}

/// A failure with its cause and the next step. `code` is the service's own code, verbatim.
///
/// Its serde form is the `error` of every command's JSON failure, `{"ok":false,"error":{…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Ids that support teams ask for (correlationId, x-ms-request-id …), by header or field name.
    #[serde(skip_serializing_if = "RequestIds::is_empty")]
    pub request_ids: RequestIds,
    /// The well-known cause, read once where the answer is parsed, so that nothing later
    /// matches the message's words again.
    #[serde(skip)]
    pub cause: Option<Cause>,
    /// Findings that explain the failure as data, for scripts (e.g. workload identity's
    /// federated credentials against the presented token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Box<serde_json::Value>>,
}

/// Causes of a refused token request that tokscope recognises and advises on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// An HTML page answered: a proxy or Docker Desktop's network, not the endpoint.
    HtmlPage,
    /// The resource is not on the endpoint's allow-list (Cloud Shell's AudienceNotSupported).
    AudienceNotSupported,
    /// The tenant knows no such resource (invalid_resource, AADSTS500011).
    UnknownResource,
    /// No managed identity matches the request.
    NoIdentity,
    /// The request arrived without `Metadata: true`.
    MetadataHeaderMissing,
    /// The platform's secret header was refused.
    SecretRefused,
    /// Docker Desktop's proxy answered for an unreachable network.
    DockerProxy,
}

/// Request ids by header or field name, in the order they were found. Serialises as a map
/// (`{"x-ms-request-id": "…"}`), the one shape errors, requests and reports use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestIds(Vec<(String, String)>);

impl RequestIds {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, id: (String, String)) {
        self.0.push(id);
    }

    /// The same ids with `prefix` before each name (`arm x-ms-request-id`).
    pub fn labelled(&self, prefix: &str) -> Self {
        self.0
            .iter()
            .map(|(k, v)| (format!("{prefix}{k}"), v.clone()))
            .collect()
    }

    /// `name value, name value`.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::ops::Deref for RequestIds {
    type Target = [(String, String)];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl From<Vec<(String, String)>> for RequestIds {
    fn from(ids: Vec<(String, String)>) -> Self {
        Self(ids)
    }
}

impl FromIterator<(String, String)> for RequestIds {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl Extend<(String, String)> for RequestIds {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for RequestIds {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a RequestIds {
    type Item = &'a (String, String);
    type IntoIter = std::slice::Iter<'a, (String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl PartialEq<Vec<(String, String)>> for RequestIds {
    fn eq(&self, other: &Vec<(String, String)>) -> bool {
        &self.0 == other
    }
}

impl Serialize for RequestIds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            code: None,
            message: message.into(),
            hint: hint.into(),
            request_ids: RequestIds::default(),
            cause: None,
            detail: None,
        }
    }

    pub fn config(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message, hint)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_code(mut self, code: Option<String>) -> Self {
        self.code = code;
        self
    }

    /// One line: kind, HTTP status, the service's code and the message, e.g.
    /// `endpoint (HTTP 400) invalid_resource: AADSTS500011: …`. Line breaks and controls
    /// from the service are made visible, so the line stays one line.
    pub fn headline(&self) -> String {
        let mut out = self.kind.as_str().to_string();
        if let Some(s) = self.status {
            out.push_str(&format!(" (HTTP {s})"));
        }
        if let Some(c) = &self.code {
            out.push_str(&format!(" {}", sanitize(c)));
        }
        out.push_str(&format!(": {}", sanitize(&self.message)));
        out
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        for (k, v) in &self.request_ids {
            write!(f, "\n  {}: {}", sanitize(k), sanitize(v))?;
        }
        write!(f, "\n  hint: {}", sanitize(&self.hint))
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
