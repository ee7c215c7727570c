//! The Azure CLI as a token source: `az account get-access-token`.

use std::time::Duration;

use super::response::{self, TokenResponse};
use crate::error::{Error, ErrorKind, Result};

pub async fn fetch(resource: &str, received_at: i64) -> Result<TokenResponse> {
    let run = tokio::process::Command::new("az")
        .args([
            "account",
            "get-access-token",
            "--resource",
            resource,
            "-o",
            "json",
        ])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(Duration::from_secs(60), run).await {
        Err(_) => {
            return Err(Error::new(
                ErrorKind::Timeout,
                "az account get-access-token did not finish within 60 s",
                "run it by hand to see whether it waits for a login prompt",
            ))
        }
        Ok(Err(e)) => {
            return Err(Error::new(
                ErrorKind::Connect,
                format!("cannot run az: {e}"),
                "install the Azure CLI and sign in (az login), or choose another --flavour",
            ))
        }
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(Error::new(
            ErrorKind::Endpoint,
            format!(
                "az account get-access-token failed: {}",
                crate::net::describe_body(first.as_bytes())
            ),
            "run `az login` (or `az login --identity` on a VM), then try again",
        ));
    }
    response::parse_success(&out.stdout, received_at)
}
