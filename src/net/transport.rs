//! One mapping from a failed request (no HTTP answer) to an error: timed out, cut off,
//! refused for its certificate, or nothing listening. The caller names the peer and gives
//! the advice for each case; the wording of the message is the same everywhere.

use crate::error::{Error, ErrorKind};

use super::http::root_cause;

/// What a caller tells a user to do for each kind of transport failure.
pub struct Advice<'a> {
    pub timeout: &'a str,
    /// The connection was made but broke before a complete answer.
    pub broken: &'a str,
    /// TLS refused the server's certificate.
    pub certificate: &'a str,
    /// Nothing answered (refused, unresolvable, unroutable).
    pub unreachable: &'a str,
}

impl<'a> Advice<'a> {
    /// The same advice for every failure but a timeout.
    pub fn plain(timeout: &'a str, otherwise: &'a str) -> Self {
        Self {
            timeout,
            broken: otherwise,
            certificate: otherwise,
            unreachable: otherwise,
        }
    }
}

/// The error for `e`, a request to `peer` (a URL or a name with one; never a secret) that got
/// no answer.
pub fn error(peer: &str, e: &reqwest::Error, advice: &Advice) -> Error {
    let cause = root_cause(e);
    if e.is_timeout() {
        return Error::new(
            ErrorKind::Timeout,
            format!("{peer} did not answer in time"),
            advice.timeout,
        );
    }
    if !e.is_connect() {
        return Error::new(
            ErrorKind::Connect,
            format!("the connection to {peer} broke before a complete answer ({cause})"),
            advice.broken,
        );
    }
    if cause.contains("certificate") {
        return Error::new(
            ErrorKind::Connect,
            format!("{peer} refused: its TLS certificate is not trusted ({cause})"),
            advice.certificate,
        );
    }
    Error::new(
        ErrorKind::Connect,
        format!("cannot reach {peer} ({cause})"),
        advice.unreachable,
    )
}
