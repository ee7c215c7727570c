//! The support report from the terminal UI: the doctor's checks for the current resource as
//! markdown, written to a new file in the current directory, or in the temp directory when
//! the current one does not take it. `report::build` keeps the token out of it.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::doctor;
use crate::endpoint::{EnvSnapshot, Overrides, TokenClient};
use crate::error::{Error, ErrorKind, Result};
use crate::report::{self, Format};
use crate::session::Session;

/// What the doctor needs, owned, so the report can be made on a task of its own.
#[derive(Clone)]
pub struct ReportInputs {
    pub env: EnvSnapshot,
    pub overrides: Overrides,
    pub client: TokenClient,
    pub demo: bool,
    /// Where the signing keys come from: the demo emulator, or Entra's when None.
    pub authority: Option<String>,
}

impl ReportInputs {
    pub fn from_setup(setup: &Session) -> Self {
        Self {
            env: setup.env.clone(),
            overrides: setup.overrides.clone(),
            client: setup.client.clone(),
            demo: setup.demo_url.is_some(),
            authority: setup.demo_url.clone(),
        }
    }
}

/// The markdown report for `resource`, as `tokscope report` makes it.
pub async fn markdown(inputs: &ReportInputs, resource: &str) -> String {
    let opts = doctor::Options {
        resource: resource.to_string(),
        authority: inputs.authority.clone(),
        // No ARM check in this report: the ARM tab shows that side.
        arm: Default::default(),
        demo: inputs.demo,
    };
    let d = doctor::diagnose(&inputs.env, &inputs.overrides, &inputs.client, &opts).await;
    report::build(&d, Format::Md)
}

/// `tokscope-report-20261125T165730Z.md`.
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("tokscope-report-{}.md", at.format("%Y%m%dT%H%M%SZ"))
}

/// Where reports go, in order: the current directory, then the temp directory.
pub fn default_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd);
    }
    dirs.push(std::env::temp_dir());
    dirs
}

/// Create `name` (or `name-2` … when taken: nothing is overwritten) in `dir`.
fn create_in(dir: &Path, name: &str, text: &str) -> std::io::Result<PathBuf> {
    let stem = name.trim_end_matches(".md");
    let mut last = None;
    for n in 1..=9 {
        let file = if n == 1 {
            name.to_string()
        } else {
            format!("{stem}-{n}.md")
        };
        let path = dir.join(file);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free file name")))
}

/// Write the report into the first of `dirs` that takes it; the path written.
pub fn write_first(dirs: &[PathBuf], name: &str, text: &str) -> Result<PathBuf> {
    let mut why = Vec::new();
    for dir in dirs {
        match create_in(dir, name, text) {
            Ok(p) => return Ok(p),
            Err(e) => why.push(format!("{}: {e}", dir.display())),
        }
    }
    Err(Error::new(
        ErrorKind::Io,
        format!("cannot write the report ({})", why.join("; ")),
        "run tokscope from a writable directory, or use `tokscope report -o FILE`",
    ))
}

/// Make the report and write it; the path written.
pub async fn save(inputs: &ReportInputs, resource: &str, dirs: &[PathBuf]) -> Result<PathBuf> {
    let text = markdown(inputs, resource).await;
    let name = file_name(Utc::now());
    let dirs = dirs.to_vec();
    tokio::task::spawn_blocking(move || write_first(&dirs, &name, &text))
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("writing the report stopped: {e}"),
                "try again",
            )
        })?
}
