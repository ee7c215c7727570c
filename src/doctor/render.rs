//! The doctor's findings as aligned text for people and as JSON for scripts.

use std::fmt::Write;

use serde_json::{json, Value};

use super::{Check, Diagnosis};

/// Width of the wrapped evidence and hint column.
const TEXT_WIDTH: usize = 84;

/// Split text into lines of at most `width` characters, at spaces where possible.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + word.chars().count() + usize::from(!line.is_empty());
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

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
pub fn checks_text(checks: &[Check]) -> String {
    let name_width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let indent = " ".repeat(2 + 4 + 2 + name_width + 2);
    let mut out = String::new();
    for c in checks {
        let mut first = true;
        for line in wrap(&c.evidence, TEXT_WIDTH) {
            if first {
                let _ = writeln!(
                    out,
                    "  {}  {:name_width$}  {line}",
                    c.status.label(),
                    c.name
                );
                first = false;
            } else {
                let _ = writeln!(out, "{indent}{line}");
            }
        }
        if !c.hint.is_empty() {
            for (i, line) in wrap(&c.hint, TEXT_WIDTH - 6).into_iter().enumerate() {
                let lead = if i == 0 { "hint: " } else { "      " };
                let _ = writeln!(out, "{indent}{lead}{line}");
            }
        }
    }
    out
}

pub fn human(d: &Diagnosis) -> String {
    let mut out = String::new();
    let _ = write!(out, "tokscope doctor · resource {}", d.resource);
    if let Some(ep) = &d.endpoint {
        let _ = write!(out, " · {} at {}", ep.flavour.name(), ep.url);
    }
    let _ = writeln!(out, "\n");
    out.push_str(&checks_text(&d.checks));
    let _ = writeln!(out, "\n{}", summary_line(d));
    out
}

pub fn json(d: &Diagnosis) -> Value {
    json!({
        "ok": d.ok(),
        "checks": d.checks,
        "summary": d.summary(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("abcdefgh", 3), ["abcdefgh"]);
    }
}
