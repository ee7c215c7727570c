//! The doctor's findings as aligned text for people and as JSON for scripts.

use std::fmt::Write;

use serde_json::{json, Value};

use super::{Check, Diagnosis};
use crate::sanitize::one_line;
use crate::text::{wrap_words, LongWords};

/// Width of the wrapped evidence and hint column.
const TEXT_WIDTH: usize = 84;

pub fn summary_line(d: &Diagnosis) -> String {
    let s = d.summary();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{} · {} · {} · {}",
        plural(s.pass, "passed", "passed"),
        plural(s.warn, "warning", "warnings"),
        plural(s.fail, "failed", "failed"),
        plural(s.skip, "skipped", "skipped")
    )
}

/// One check per block: `STATUS  name  evidence`, hint beneath, all text wrapped in one column.
/// Evidence and hints quote what endpoints answered: each is made one line before it is
/// wrapped, so a line break in it cannot forge a check or a hint.
pub fn checks_text(checks: &[Check]) -> String {
    let name_width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let indent = " ".repeat(2 + 4 + 2 + name_width + 2);
    let mut out = String::new();
    for c in checks {
        let mut first = true;
        for line in wrap_words(&one_line(&c.evidence), TEXT_WIDTH, LongWords::Keep) {
            if first {
                let _ = writeln!(
                    out,
                    "  {}  {:name_width$}  {line}",
                    c.status.label(),
                    one_line(&c.name)
                );
                first = false;
            } else {
                let _ = writeln!(out, "{indent}{line}");
            }
        }
        if !c.hint.is_empty() {
            for (i, line) in wrap_words(&one_line(&c.hint), TEXT_WIDTH - 6, LongWords::Keep)
                .into_iter()
                .enumerate()
            {
                let lead = if i == 0 { "hint: " } else { "      " };
                let _ = writeln!(out, "{indent}{lead}{line}");
            }
        }
    }
    out
}

pub fn human(d: &Diagnosis) -> String {
    let mut out = String::new();
    let _ = write!(out, "tokscope doctor · resource {}", one_line(&d.resource));
    if let Some(ep) = &d.endpoint {
        let _ = write!(
            out,
            " · {} at {}",
            ep.flavour.name(),
            one_line(ep.url.display())
        );
    }
    let _ = writeln!(out, "\n");
    out.push_str(&checks_text(&d.checks));
    let _ = writeln!(out);
    out.push_str(&crate::verdict::text(&d.verdict));
    let _ = writeln!(out, "\n{}", summary_line(d));
    out
}

/// This machine's name as the kernel has it (a pod's name in Kubernetes), for fleet summaries.
pub fn host_name() -> Option<String> {
    // A host name is at most 64 bytes; the gate reads /proc's size-0 file up to the cap.
    crate::files::read_text(
        std::path::Path::new("/proc/sys/kernel/hostname"),
        crate::files::ReadRule::new(256),
    )
    .ok()
    .map(|h| h.trim().to_string())
    .filter(|h| !h.is_empty())
}

/// `doctor --json`, a versioned contract: `schema` changes only when a field is removed or
/// changes meaning; new fields may appear within a schema.
pub fn json(d: &Diagnosis) -> Value {
    let mut v = json!({
        "schema": super::fleet::SCHEMA,
        "host": host_name(),
        "tokscope": env!("CARGO_PKG_VERSION"),
        "ok": d.ok(),
        "checks": d.checks,
        "warnings": d.warnings,
        "verdict": d.verdict.to_json(),
        "summary": d.summary(),
    });
    if let (Some(f), Some(m)) = (&d.federation, v.as_object_mut()) {
        m.insert("federation".into(), f.clone());
    }
    v
}
