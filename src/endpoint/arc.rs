//! Azure Arc's challenge: a 401 names a key file, whose contents prove the caller can read it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::files::{self, ReadError, ReadRule};
use crate::sanitize::sanitize;

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

fn cannot_read(realm: &str, why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot read the Arc key file {}: {why}", sanitize(realm)),
        "the key file is readable by root and the himds group only: run tokscope with sudo, or add your user to the himds group",
    )
}

/// The realm path as written must be `<key folder>/<name>.key`: checked on the string alone,
/// before anything on disk is touched (no component is resolved, so no FIFO, device or
/// symlink along the way is ever opened).
fn check_realm(realm: &str, key_dir: &Path) -> bool {
    let path = Path::new(realm);
    let Some(name) = path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| n.len() > ".key".len() && n.ends_with(".key"))
    else {
        return false;
    };
    // Exactly `<folder>/<name>` as a string: no `.`, `..`, doubled slash or subfolder can pass.
    let exact = |dir: &Path| path.is_absolute() && dir.join(name).as_os_str() == path.as_os_str();
    // The folder as configured, or as it resolves (our own setting, so resolving it is safe).
    exact(key_dir) || std::fs::canonicalize(key_dir).is_ok_and(|d| exact(&d))
}

/// Read through the file gate, without following a link: a FIFO opens at once and is refused,
/// as is anything but a regular file of at most 4096 bytes.
fn read_key_file(realm: &str) -> Result<String> {
    let raw = files::read(Path::new(realm), ReadRule::no_links(MAX_KEY_BYTES)).map_err(|e| match e {
        ReadError::Symlink => arc_error(
            format!("the Arc key file {} is a symbolic link", sanitize(realm)),
            "refused for safety: the agent writes real key files; check that IDENTITY_ENDPOINT is the Arc agent",
        ),
        ReadError::NotRegular(_) => arc_error(
            format!("the Arc key file {} is not a regular file", sanitize(realm)),
            "refused for safety: a FIFO, device or folder is never read; check that IDENTITY_ENDPOINT is the Arc agent",
        ),
        ReadError::TooLarge(max) => arc_error(
            format!(
                "the Arc key file {} is larger than {max} bytes",
                sanitize(realm)
            ),
            "refused for safety: a real key file is small; check the Arc agent",
        ),
        other => cannot_read(realm, other),
    })?;
    let key = String::from_utf8(raw)
        .map_err(|_| cannot_read(realm, "it is not text"))?
        .trim()
        .to_string();
    // The key is a secret of this run from now on: never printed, even if a server echoes it.
    crate::secret::HeaderSecret::new(key.clone());
    Ok(key)
}

/// Read the key named by `WWW-Authenticate: Basic realm=<path>`, checking it the way the SDKs do
/// (inside the agent's token folder, a `.key` file, at most 4096 bytes) and more strictly: see
/// [`check_realm`] and [`read_key_file`]. All of it within `timeout`.
pub async fn read_challenge_key(
    www_authenticate: Option<&str>,
    key_dir: &Path,
    timeout: Duration,
) -> Result<String> {
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
                format!("the Arc challenge has no realm: {:?}", sanitize(header)),
                "expected `Basic realm=<path to a .key file>`",
            )
        })?
        .to_string();
    if !check_realm(&realm, key_dir) {
        return Err(arc_error(
            format!(
                "the Arc challenge points at {}, outside the agent's token folder {} (only a .key file directly in it is read)",
                sanitize(&realm),
                key_dir.display()
            ),
            "refused for safety: only a .key file in the agent's token folder is read; check that IDENTITY_ENDPOINT is the Arc agent",
        ));
    }
    let slow = || {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "reading the Arc key file {} took longer than {} s",
                sanitize(&realm),
                timeout.as_secs()
            ),
            "the key folder is slow to read (a network file system?); check the Arc agent, or raise --timeout",
        )
    };
    let path = realm.clone();
    let read = tokio::task::spawn_blocking(move || read_key_file(&path));
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(cannot_read(&realm, "the read stopped")),
        Err(_) => Err(slow()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_checks_use_the_path_string_only() {
        let dir = Path::new("/var/opt/azcmagent/tokens");
        assert!(check_realm("/var/opt/azcmagent/tokens/abc.key", dir));
        assert!(!check_realm(
            "/var/opt/azcmagent/tokens/../tokens/abc.key",
            dir
        ));
        assert!(!check_realm("/var/opt/azcmagent/tokens/./abc.key", dir));
        assert!(!check_realm("/var/opt/azcmagent/tokens/sub/abc.key", dir));
        assert!(!check_realm("/var/opt/azcmagent/tokens/abc.txt", dir));
        assert!(!check_realm("/var/opt/azcmagent/tokens/.key", dir));
        assert!(!check_realm("tokens/abc.key", Path::new("tokens")));
        assert!(!check_realm("/etc/shadow.key", dir));
    }
}
