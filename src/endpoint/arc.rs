//! Azure Arc's challenge: a 401 names a key file, whose contents prove the caller can read it.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// Where the Arc agent writes its key files; the SDKs refuse a realm anywhere else.
pub fn default_key_dir() -> PathBuf {
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
        PathBuf::from(base)
            .join("AzureConnectedMachineAgent")
            .join("Tokens")
    } else {
        PathBuf::from("/var/opt/azcmagent/tokens")
    }
}

const MAX_KEY_BYTES: u64 = 4096;

fn arc_error(message: String, hint: &str) -> Error {
    Error::new(ErrorKind::Endpoint, message, hint).with_status(401)
}

/// Read the key named by `WWW-Authenticate: Basic realm=<path>`, checking it the way the SDKs do:
/// inside the agent's token folder, a `.key` file, at most 4096 bytes.
pub fn read_challenge_key(www_authenticate: Option<&str>, key_dir: &Path) -> Result<String> {
    let header = www_authenticate.ok_or_else(|| {
        arc_error(
            "the Arc endpoint answered 401 without a WWW-Authenticate challenge".into(),
            "expected `WWW-Authenticate: Basic realm=<key file>`; check that IDENTITY_ENDPOINT points at the Arc agent (himds)",
        )
    })?;
    let realm = header
        .split_once('=')
        .map(|(_, r)| r.trim().trim_matches('"'))
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            arc_error(
                format!("the Arc challenge has no realm: {header:?}"),
                "expected `Basic realm=<path to a .key file>`",
            )
        })?;
    let path = Path::new(realm);
    let outside = || {
        arc_error(
            format!("the Arc challenge points at {realm}, outside the agent's token folder {}", key_dir.display()),
            "refused for safety: only a .key file in the agent's token folder is read; check that IDENTITY_ENDPOINT is the Arc agent",
        )
    };
    if path.extension().and_then(|e| e.to_str()) != Some("key") {
        return Err(outside());
    }
    let dir = std::fs::canonicalize(key_dir).map_err(|_| outside())?;
    let file = std::fs::canonicalize(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read the Arc key file {realm}: {e}"),
            "the key file is readable by root and the himds group only: run tokscope with sudo, or add your user to the himds group",
        )
    })?;
    if file.parent() != Some(dir.as_path()) {
        return Err(outside());
    }
    let meta = std::fs::metadata(&file).map_err(|_| outside())?;
    if meta.len() > MAX_KEY_BYTES {
        return Err(arc_error(
            format!(
                "the Arc key file {realm} is {} bytes, more than 4096",
                meta.len()
            ),
            "refused for safety: a real key file is small; check the Arc agent",
        ));
    }
    std::fs::read_to_string(&file)
        .map(|s| s.trim().to_string())
        .map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read the Arc key file {realm}: {e}"),
                "run tokscope with sudo, or add your user to the himds group",
            )
        })
}
