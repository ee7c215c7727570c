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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Error {
    pub kind: ErrorKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub message: String,
    pub hint: String,
    /// Ids that support teams ask for (correlationId, x-ms-request-id …), by header or field name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<(String, String)>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            code: None,
            message: message.into(),
            hint: hint.into(),
            request_ids: Vec::new(),
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

    /// The JSON failure shape of every command: `{"ok":false,"error":{…}}`.
    #[allow(
        clippy::indexing_slicing,
        reason = "indexes JSON objects built here: serde_json inserts or reads, it panics only on non-objects"
    )]
    pub fn to_json(&self) -> serde_json::Value {
        let mut e = serde_json::json!({
            "kind": self.kind.as_str(),
            "message": self.message,
            "hint": self.hint,
        });
        if let Some(s) = self.status {
            e["status"] = s.into();
        }
        if let Some(c) = &self.code {
            e["code"] = c.clone().into();
        }
        if !self.request_ids.is_empty() {
            let ids: serde_json::Map<String, serde_json::Value> = self
                .request_ids
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            e["request_ids"] = ids.into();
        }
        serde_json::json!({ "ok": false, "error": e })
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
