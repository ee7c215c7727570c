//! The support report from the terminal UI: what the session saw (the token held, the last
//! fetch, the ARM answer with its request ids, the watch timeline), then the doctor's checks
//! for the current resource, as markdown written to a new file in the current directory, or
//! in the temp directory when the current one does not take it. Neither part carries the
//! token: fingerprints only.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::doctor;
use crate::endpoint::{EnvSnapshot, Overrides, TokenClient};
use crate::error::{Error, ErrorKind, Result};
use crate::files::{self, Access, WriteError};
use crate::report::{self, Format};
use crate::session::Session;
use crate::token::claims;
use crate::tui::app::App;

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

/// The markdown report for `resource`: the session's story first, then the report
/// `tokscope report` makes.
pub async fn markdown(inputs: &ReportInputs, resource: &str, session: &str) -> String {
    let opts = doctor::Options {
        resource: resource.to_string(),
        authority: inputs.authority.clone(),
        // No ARM check in this report: the ARM tab shows that side.
        arm: Default::default(),
        demo: inputs.demo,
        federation: None,
    };
    let d = doctor::diagnose(&inputs.env, &inputs.overrides, &inputs.client, &opts).await;
    let doctor = report::build(&d, Format::Md);
    // The session's story goes right under the title, before the checks run for the report.
    match doctor.find("## ") {
        Some(i) => format!(
            "{}{session}\n_The sections below come from checks run again as the report was written._\n\n{}",
            &doctor[..i],
            &doctor[i..]
        ),
        None => format!("{doctor}\n{session}"),
    }
}

/// One line of the report: it quotes what endpoints and ARM answered, so everything after the
/// line's own heading or list marker goes through the markdown gate: a line break in it is
/// made visible rather than starting a line of its own, and HTML, links and code spans in it
/// stay text.
fn line(out: &mut String, text: impl AsRef<str>) {
    let text = text.as_ref();
    let body = text.trim_start_matches(' ');
    let indent = text.len() - body.len();
    let (marker, rest) = ["## ", "- "]
        .iter()
        .find_map(|m| body.strip_prefix(m).map(|rest| (*m, rest)))
        .unwrap_or(("", body));
    out.push_str(&" ".repeat(indent));
    out.push_str(marker);
    out.push_str(&crate::sanitize::markdown_inline(rest));
    out.push('\n');
}

/// What this UI session saw, as a markdown section: the token held, the last fetch and its
/// error, the ARM result or failure with every request id, and the watch timeline. Never the
/// token itself.
pub fn session_story(app: &App) -> String {
    let mut out = String::new();
    line(&mut out, "## What this session saw");
    line(&mut out, "");
    let from = if app.detected_from.is_empty() {
        "the IMDS default".to_string()
    } else {
        app.detected_from.join(", ")
    };
    line(
        &mut out,
        format!(
            "- endpoint: {} at {} (from {from}), identity {}",
            app.flavour.name(),
            app.endpoint_url,
            app.identity
        ),
    );
    line(&mut out, format!("- resource: {}", app.resource));
    match &app.current {
        Some(c) => {
            let t = &c.fetched.token;
            line(
                &mut out,
                format!(
                    "- token held: {} ({} chars), fetched {} UTC in {} ms{}, expires {} UTC ({})",
                    t.access_token.fingerprint(),
                    t.access_token.len(),
                    claims::utc_string(c.fetched.received_at),
                    c.fetched.latency.as_millis(),
                    if c.fetched.retries > 0 {
                        format!(" after {} retries", c.fetched.retries)
                    } else {
                        String::new()
                    },
                    claims::utc_string(c.exp()),
                    claims::relative(c.exp() - app.now)
                ),
            );
            if let Ok(jwt) = &c.jwt {
                let f = crate::token::identity::facts(jwt);
                line(
                    &mut out,
                    format!(
                        "- identity in the token: {} · client id {} · object id {} · tenant {}",
                        f.kind.describe(),
                        f.client_id.as_deref().unwrap_or("-"),
                        f.object_id.as_deref().unwrap_or("-"),
                        f.tenant.as_deref().unwrap_or("-")
                    ),
                );
                if let Some(o) = &f.owner {
                    line(&mut out, format!("- owning resource: {}", o.id));
                }
            }
            for w in app.warnings() {
                line(&mut out, format!("- warning: {w}"));
            }
        }
        None => line(&mut out, "- token held: none"),
    }
    if let Some(f) = &app.in_flight {
        line(
            &mut out,
            format!(
                "- a fetch of {} was still running ({} s, {} retries)",
                f.resource,
                app.now - f.started,
                f.retries
            ),
        );
    }
    match &app.last_fetch {
        Some((at, Ok(fp))) => line(
            &mut out,
            format!("- last fetch: {} UTC, got {fp}", claims::utc_string(*at)),
        ),
        Some((at, Err(e))) => {
            line(
                &mut out,
                format!("- last fetch: {} UTC, failed: {e}", claims::utc_string(*at)),
            );
            for (k, v) in &e.request_ids {
                line(&mut out, format!("  - {k}: {v}"));
            }
        }
        None => line(&mut out, "- last fetch: none finished"),
    }
    if let Some(e) = &app.error {
        line(
            &mut out,
            format!(
                "- the shown resource's last answer was an error: {}",
                e.headline()
            ),
        );
    }
    arm_story(app, &mut out);
    watch_story(app, &mut out);
    out
}

fn arm_story(app: &App, out: &mut String) {
    let Some(a) = &app.arm.last else {
        line(out, "- ARM: not asked in this session");
        return;
    };
    match &a.result {
        Ok(o) => line(
            out,
            format!(
                "- ARM at {} UTC: {} VMs in {} pages of subscription {} (from {})",
                claims::utc_string(a.at),
                o.list.vms.len(),
                o.list.pages,
                o.subscription.id,
                o.subscription.source.describe()
            ),
        ),
        Err(e) => {
            line(
                out,
                format!("- ARM at {} UTC failed: {e}", claims::utc_string(a.at)),
            );
            line(out, format!("  - what to do: {}", e.hint));
            for (k, v) in &e.request_ids {
                line(out, format!("  - {k}: {v}"));
            }
        }
    }
    if let Some(n) = &a.token_note {
        line(out, format!("  - token: {n}"));
    }
    if !a.requests.is_empty() {
        line(out, "  - requests, with their ids:");
        for r in &a.requests {
            line(out, format!("    - {}", r.line()));
        }
    }
}

fn watch_story(app: &App, out: &mut String) {
    let w = &app.watch;
    let s = w.timeline.summary();
    if s.polls == 0 {
        line(out, "- watch: no polls");
        return;
    }
    line(
        out,
        format!(
            "- watch of {}{}: {} polls, {} refreshes, {} errors, {} retries ({} polls recovered), latency p50 {} ms, p95 {} ms, max {} ms",
            w.resource,
            if w.on { " (running)" } else { "" },
            s.polls,
            s.refreshes,
            s.errors,
            w.retries,
            w.recovered,
            s.latency_p50_ms,
            s.latency_p95_ms,
            s.latency_max_ms
        ),
    );
    for e in w.timeline.events() {
        if let Some(before) = e.refreshed_before_expiry_s {
            line(
                out,
                format!(
                    "  - the cache renewed the token at {} UTC, {} before the old one expired",
                    claims::utc_string(e.at),
                    claims::duration(before)
                ),
            );
        }
        if let Some(err) = &e.error {
            line(
                out,
                format!(
                    "  - poll at {} UTC failed: {}",
                    claims::utc_string(e.at),
                    err.headline()
                ),
            );
        }
    }
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
fn create_in(dir: &Path, name: &str, text: &str) -> std::result::Result<PathBuf, WriteError> {
    let stem = name.trim_end_matches(".md");
    let mut last = None;
    for n in 1..=9 {
        let file = if n == 1 {
            name.to_string()
        } else {
            format!("{stem}-{n}.md")
        };
        let path = dir.join(file);
        match crate::output::write_new_file(&path, &crate::output::TerminalText::text(text)) {
            Ok(()) => return Ok(path),
            Err(WriteError::Io(e)) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                last = Some(WriteError::Io(e))
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| WriteError::Io(std::io::Error::other("no free file name"))))
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
pub async fn save(
    inputs: &ReportInputs,
    resource: &str,
    session: &str,
    dirs: &[PathBuf],
) -> Result<PathBuf> {
    let text = markdown(inputs, resource, session).await;
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

/// Write the token to a new file only its owner can read, in a new folder only its owner can
/// enter (under `dir`), for terminals that ignore OSC 52. Both stay for the user to read.
pub fn write_secret_file(dir: &Path, raw: &str) -> Result<PathBuf> {
    let hint =
        "copy it with y in a terminal that supports OSC 52, or use `tokscope get --show-token`";
    let folder = files::TempFolder::new_in(dir, "tokscope-token")
        .map_err(|e| files::WriteError::Io(e).to_error("the token file's folder in", dir, hint))?;
    let name = format!("tokscope-token-{}.txt", Utc::now().format("%Y%m%dT%H%M%SZ"));
    let path = folder.path().join(name);
    match files::create_new(&path, raw.as_bytes(), Access::Private) {
        Ok(()) => {
            let _ = folder.into_path();
            Ok(path)
        }
        Err(e) => Err(e.to_error("the token file", &path, hint)),
    }
}
