//! Extra certificate authorities tokscope trusts because the user said so: `--ca-file`, or the
//! variables that make the other clients trust one (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE,
//! NODE_EXTRA_CA_CERTS), as `tokscope emulate --tls` prints them. Nothing is trusted silently:
//! without one of these, only the system's roots are.
//!
//! The files are named before clients are built and read when the first HTTPS client is
//! (a plain-http loopback endpoint never needs them), and every HTTPS client (token endpoints,
//! ARM, the issuer's keys) adds them to the system's.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use crate::error::{Error, Result};
use crate::files::{self, ReadRule};

/// The variables read, in order, when `--ca-file` is not given.
pub const CA_VARS: &[&str] = &[
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
];

/// Certificates to trust beyond the system's, and where they came from.
#[derive(Clone)]
pub struct ExtraRoots {
    /// `--ca-file` or the variable's name, and the file: for messages and the doctor.
    pub source: String,
    pub path: PathBuf,
    certs: Vec<reqwest::Certificate>,
}

impl std::fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtraRoots")
            .field("source", &self.source)
            .field("path", &self.path)
            .field("certificates", &self.certs.len())
            .finish()
    }
}

/// Every set of roots installed in this process, oldest first.
static EXTRA: RwLock<Vec<ExtraRoots>> = RwLock::new(Vec::new());

/// Files named by `install`, not read yet.
static PENDING: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());

/// Which files the user named: `--ca-file` alone when given, else every variable that is set
/// and not empty (each one told some client to trust its file, so tokscope trusts them all).
pub fn chosen(flag: Option<&Path>, var: impl Fn(&str) -> Option<String>) -> Vec<(String, PathBuf)> {
    if let Some(p) = flag {
        return vec![("--ca-file".into(), p.to_path_buf())];
    }
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for name in CA_VARS {
        if let Some(v) = var(name).filter(|v| !v.trim().is_empty()) {
            let path = PathBuf::from(v);
            if !out.iter().any(|(_, p)| *p == path) {
                out.push((name.to_string(), path));
            }
        }
    }
    out
}

/// Largest CA bundle read: a distribution's whole bundle is about 220 KB.
pub const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Read a PEM bundle of one or more CA certificates, through the file gate: a FIFO or device
/// (`/dev/zero`) is refused at once, a file above [`MAX_CA_FILE_BYTES`] too.
pub fn load(source: &str, path: &Path) -> Result<ExtraRoots> {
    let hint = format!("{source} must name a readable PEM file of CA certificates");
    let pem = files::read(path, ReadRule::new(MAX_CA_FILE_BYTES)).map_err(|e| {
        Error::config(
            format!("cannot read the CA file {} ({source}): {e}", path.display()),
            hint.clone(),
        )
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        Error::config(
            format!(
                "{} ({source}) is not a PEM certificate bundle: {e}",
                path.display()
            ),
            hint.clone(),
        )
    })?;
    if certs.is_empty() {
        return Err(Error::config(
            format!("{} ({source}) holds no certificate", path.display()),
            hint,
        ));
    }
    Ok(ExtraRoots {
        source: source.into(),
        path: path.to_path_buf(),
        certs,
    })
}

/// Trust the CA files named by `--ca-file` or the environment, if any. Call before any client
/// is built: clients built earlier keep the roots they had. A file that is not there, or not a
/// regular file, is an error now (the type only: nothing is opened, so a FIFO cannot block);
/// its contents are read through the file gate with the first HTTPS client (see [`apply`]).
pub fn install(flag: Option<&Path>) -> Result<()> {
    let named = chosen(flag, |k| std::env::var(k).ok());
    for (source, path) in &named {
        let hint = format!("{source} must name a readable PEM file of CA certificates");
        let meta = std::fs::metadata(path).map_err(|e| {
            Error::config(
                format!("cannot read the CA file {} ({source}): {e}", path.display()),
                hint.clone(),
            )
        })?;
        if !meta.is_file() {
            return Err(Error::config(
                format!(
                    "cannot read the CA file {} ({source}): it is not a regular file (a FIFO, device or folder is never read)",
                    path.display()
                ),
                hint,
            ));
        }
    }
    PENDING
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .extend(named);
    Ok(())
}

/// Read the files `install` named, once.
fn load_pending() -> Result<()> {
    let mut pending = PENDING.lock().unwrap_or_else(|p| p.into_inner());
    while let Some((source, path)) = pending.first().cloned() {
        add(load(&source, &path)?);
        pending.remove(0);
    }
    Ok(())
}

/// Trust these roots too, in every client built from now on (programs and tests embedding
/// tokscope call this where the binary reads `--ca-file`).
pub fn add(roots: ExtraRoots) {
    EXTRA.write().unwrap_or_else(|p| p.into_inner()).push(roots);
}

/// The roots in force, oldest first (a file that cannot be read is left out; building a
/// client reports it).
pub fn installed() -> Vec<ExtraRoots> {
    let _ = load_pending();
    EXTRA.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// A client builder that also trusts the installed roots.
pub fn apply(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    load_pending()?;
    let certs: Vec<reqwest::Certificate> = EXTRA
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .flat_map(|r| r.certs.iter().cloned())
        .collect();
    Ok(if certs.is_empty() {
        builder
    } else {
        builder.tls_certs_merge(certs)
    })
}

#[cfg(test)]
#[allow(
    clippy::disallowed_methods,
    reason = "tests write their fixtures directly"
)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_else_every_variable_set() {
        let env = |k: &str| match k {
            "CURL_CA_BUNDLE" => Some("/curl.pem".to_string()),
            "NODE_EXTRA_CA_CERTS" => Some("/node.pem".to_string()),
            "REQUESTS_CA_BUNDLE" => Some(" ".to_string()),
            _ => None,
        };
        let flag = chosen(Some(Path::new("/flag.pem")), env);
        assert_eq!(flag, [("--ca-file".into(), PathBuf::from("/flag.pem"))]);
        assert_eq!(
            chosen(None, env),
            [
                ("CURL_CA_BUNDLE".into(), PathBuf::from("/curl.pem")),
                ("NODE_EXTRA_CA_CERTS".into(), PathBuf::from("/node.pem"))
            ]
        );
        assert!(chosen(None, |_| None).is_empty());
    }

    #[test]
    fn a_file_without_certificates_is_an_error_that_names_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("empty.pem");
        std::fs::write(&p, "not a certificate").unwrap();
        let e = load("REQUESTS_CA_BUNDLE", &p).unwrap_err();
        assert!(e.to_string().contains("REQUESTS_CA_BUNDLE"), "{e}");
        let e = load("--ca-file", &dir.path().join("missing.pem")).unwrap_err();
        assert!(e.to_string().contains("--ca-file"), "{e}");
    }
}
