//! The HTTP pieces every local call shares: how the client is built.

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
    if let Some(tls) = tls {
        builder = builder.tls_backend_preconfigured(tls);
    }
    builder.build().map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("cannot build the HTTP client: {e}"),
            "report this as a bug",
        )
    })
}
