//! `tokscope doctor --summarize FILE…`: many machines' `doctor --json` results as one table of
//! machine × check, then each distinct problem once with the machines that have it and its hint.
//!
//! Input is what `doctor --json` prints (schema 1), one document per file or one per line
//! (NDJSON), as `scripts/fleet-doctor.sh` gathers them. A record names its machine by a
//! `machine` field (the fleet script adds it), else by `host` (the doctor's own), else by the
//! file's name. A record that is not a doctor result, or a doctor that could not run
//! (`{"ok":false,"error":…}`), is a row of its own rather than a reason to stop.
//!
//! Everything read here is outside text: it is sanitised when printed, like any other.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use super::Status;
use crate::sanitize::one_line;
use crate::verdict::Level;

/// The `schema` this version writes and reads.
pub const SCHEMA: u64 = 1;

/// One machine's result as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub name: String,
    /// Check name → (status, evidence, hint), in the doctor's order.
    pub checks: Vec<(String, Status, String, String)>,
    /// Why there are no checks: the doctor could not run, or the record was unreadable.
    pub error: Option<String>,
    /// The machine's verdict on its token, as its doctor computed it (absent from older
    /// doctors' results).
    pub verdict: Option<Level>,
}

impl Machine {
    /// The worst status; a machine without checks counts as failed.
    pub fn worst(&self) -> Status {
        if self.error.is_some() {
            return Status::Fail;
        }
        self.checks
            .iter()
            .map(|c| c.1)
            .filter(|s| *s != Status::Skip)
            .max()
            .unwrap_or(Status::Pass)
    }

    fn status_of(&self, check: &str) -> Option<Status> {
        self.checks.iter().find(|c| c.0 == check).map(|c| c.1)
    }
}

fn status_from(s: &str) -> Option<Status> {
    match s {
        "pass" => Some(Status::Pass),
        "warn" => Some(Status::Warn),
        "fail" => Some(Status::Fail),
        "skip" => Some(Status::Skip),
        _ => None,
    }
}

/// The longest field taken from a machine's result; the rest is cut, so one machine cannot
/// widen every row of the table.
const FIELD_MAX_CHARS: usize = 400;

/// A machine's answer is hostile input: every field read from it comes through here, as one
/// line (line breaks and controls shown as `\u{…}`, so no field can add a row, a summary line
/// or a hint) and of bounded length.
fn field(s: &str) -> String {
    let line = one_line(s);
    match line.char_indices().nth(FIELD_MAX_CHARS) {
        Some((i, _)) => format!("{}…", line.get(..i).unwrap_or_default()),
        None => line,
    }
}

fn text_of(v: &Value, key: &str) -> String {
    field(v.get(key).and_then(Value::as_str).unwrap_or_default())
}

/// A machine's name tells its row from the others': shown the way values compared for
/// security are ([`crate::sanitize::exact`]), so that `web-1` followed by a no-break space or a
/// joiner cannot pass for `web-1`.
fn name_of(v: &Value, key: &str) -> String {
    field(&crate::sanitize::exact(
        v.get(key).and_then(Value::as_str).unwrap_or_default(),
    ))
}

/// One record (a parsed JSON value) as a machine; `fallback` names it when the record does not.
pub fn machine_from(v: &Value, fallback: &str) -> Machine {
    let name = ["machine", "host"]
        .iter()
        .map(|k| name_of(v, k))
        .find(|n| !n.trim().is_empty())
        .unwrap_or_else(|| field(&crate::sanitize::exact(fallback)));
    let unreadable = |why: String| Machine {
        name: name.clone(),
        checks: Vec::new(),
        error: Some(why),
        verdict: None,
    };
    if let Some(schema) = v.get("schema").and_then(Value::as_u64) {
        if schema > SCHEMA {
            return unreadable(format!(
                "doctor JSON schema {schema}; this tokscope reads schema {SCHEMA}: summarize with a newer tokscope"
            ));
        }
    }
    if let Some(e) = v.get("error") {
        let message = text_of(e, "message");
        let hint = text_of(e, "hint");
        let mut why = format!("the doctor could not run: {message}");
        if !hint.is_empty() {
            why.push_str(&format!(" (hint: {hint})"));
        }
        return unreadable(why);
    }
    let Some(list) = v.get("checks").and_then(Value::as_array) else {
        return unreadable("not a tokscope doctor --json result (no \"checks\")".to_string());
    };
    let mut checks = Vec::new();
    for c in list {
        let name = text_of(c, "name");
        let Some(status) = c
            .get("status")
            .and_then(Value::as_str)
            .and_then(status_from)
        else {
            return unreadable(format!("check {name:?} has no known status"));
        };
        checks.push((name, status, text_of(c, "evidence"), text_of(c, "hint")));
    }
    let verdict = match v
        .get("verdict")
        .and_then(|v| v.get("level"))
        .and_then(Value::as_str)
    {
        Some("ok") => Some(Level::Ok),
        Some("warn") => Some(Level::Warn),
        Some("fail") => Some(Level::Fail),
        _ => None,
    };
    Machine {
        name,
        checks,
        error: None,
        verdict,
    }
}

/// Every record in one file's text: a single JSON document, or one per line.
pub fn parse(text: &str, source: &str) -> Vec<Machine> {
    let stem = source
        .rsplit('/')
        .next()
        .unwrap_or(source)
        .trim_end_matches(".ndjson")
        .trim_end_matches(".json");
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return vec![machine_from(&v, stem)];
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut machines = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let fallback = if lines.len() == 1 {
            stem.to_string()
        } else {
            format!("{stem}:{}", i + 1)
        };
        machines.push(match serde_json::from_str::<Value>(line) {
            Ok(v) => machine_from(&v, &fallback),
            Err(e) => Machine {
                name: field(&fallback),
                checks: Vec::new(),
                error: Some(format!("not JSON: {e}")),
                verdict: None,
            },
        });
    }
    if machines.is_empty() {
        machines.push(Machine {
            name: field(stem),
            checks: Vec::new(),
            error: Some("empty: the doctor printed nothing".to_string()),
            verdict: None,
        });
    }
    machines
}

/// One problem as it occurs across the fleet: same check, status and hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub check: String,
    pub status: Status,
    pub hint: String,
    /// The first machine's evidence, as an example.
    pub evidence: String,
    pub machines: Vec<String>,
}

/// The fleet: machines sorted by name, check names in the order the doctor runs them.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    pub machines: Vec<Machine>,
    pub checks: Vec<String>,
}

impl Fleet {
    pub fn new(mut machines: Vec<Machine>) -> Self {
        machines.sort_by(|a, b| a.name.cmp(&b.name));
        let mut checks: Vec<String> = Vec::new();
        for m in &machines {
            for c in &m.checks {
                if !checks.contains(&c.0) {
                    checks.push(c.0.clone());
                }
            }
        }
        Self { machines, checks }
    }

    pub fn worst(&self) -> Status {
        self.machines
            .iter()
            .map(Machine::worst)
            .max()
            .unwrap_or(Status::Pass)
    }

    /// 0 when every machine passed, 1 with warnings, 2 with failures (or unusable results).
    pub fn exit_code(&self) -> u8 {
        match self.worst() {
            Status::Pass | Status::Skip => 0,
            Status::Warn => 1,
            Status::Fail => 2,
        }
    }

    /// Failures first, then warnings; within each, the most widespread first.
    pub fn problems(&self) -> Vec<Problem> {
        let mut by_key: BTreeMap<(String, Status, String), Problem> = BTreeMap::new();
        for m in &self.machines {
            if let Some(e) = &m.error {
                let key = ("(doctor)".to_string(), Status::Fail, e.clone());
                by_key
                    .entry(key)
                    .or_insert_with(|| Problem {
                        check: "(doctor)".to_string(),
                        status: Status::Fail,
                        hint: String::new(),
                        evidence: e.clone(),
                        machines: Vec::new(),
                    })
                    .machines
                    .push(m.name.clone());
            }
            for (check, status, evidence, hint) in &m.checks {
                if !matches!(status, Status::Warn | Status::Fail) {
                    continue;
                }
                // One hint is one cause; evidence differs per machine (ports, times, ids).
                let key = (check.clone(), *status, hint.clone());
                by_key
                    .entry(key)
                    .or_insert_with(|| Problem {
                        check: check.clone(),
                        status: *status,
                        hint: hint.clone(),
                        evidence: evidence.clone(),
                        machines: Vec::new(),
                    })
                    .machines
                    .push(m.name.clone());
            }
        }
        let mut problems: Vec<Problem> = by_key.into_values().collect();
        problems.sort_by(|a, b| {
            b.status
                .cmp(&a.status)
                .then(b.machines.len().cmp(&a.machines.len()))
                .then(a.check.cmp(&b.check))
        });
        problems
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for m in &self.machines {
            match m.worst() {
                Status::Pass | Status::Skip => c.0 += 1,
                Status::Warn => c.1 += 1,
                Status::Fail => c.2 += 1,
            }
        }
        c
    }
}

fn cell(s: Option<Status>) -> &'static str {
    s.map_or("-", Status::label)
}

/// The table for people: one row per machine, one column per check, then the problems.
pub fn human(fleet: &Fleet) -> String {
    let mut out = String::new();
    let name_w = fleet
        .machines
        .iter()
        .map(|m| m.name.chars().count())
        .chain([7])
        .max()
        .unwrap_or(7);
    let widths: Vec<usize> = fleet.checks.iter().map(|c| c.len().max(4)).collect();
    let _ = write!(out, "{:name_w$}", "machine");
    for (c, w) in fleet.checks.iter().zip(&widths) {
        let _ = write!(out, "  {c:w$}");
    }
    let _ = writeln!(out, "  verdict  result");
    for m in &fleet.machines {
        let _ = write!(out, "{:name_w$}", m.name);
        for (c, w) in fleet.checks.iter().zip(&widths) {
            let _ = write!(out, "  {:w$}", cell(m.status_of(c)));
        }
        let _ = write!(out, "  {:7}", m.verdict.map_or("-", Level::label));
        let result = match (&m.error, m.worst()) {
            (Some(_), _) => "no result".to_string(),
            (None, Status::Fail) => "failed".to_string(),
            (None, Status::Warn) => "warnings".to_string(),
            _ => "ok".to_string(),
        };
        let _ = writeln!(out, "  {result}");
    }
    let problems = fleet.problems();
    if !problems.is_empty() {
        let _ = writeln!(
            out,
            "\nproblems (each once, with the machines that have it):"
        );
    }
    for p in &problems {
        let _ = writeln!(
            out,
            "\n  {}  {} on {} of {}: {}",
            p.status.label(),
            p.check,
            p.machines.len(),
            fleet.machines.len(),
            p.machines.join(", ")
        );
        let _ = writeln!(out, "        e.g. {}", p.evidence);
        if !p.hint.is_empty() {
            let _ = writeln!(out, "        hint: {}", p.hint);
        }
    }
    let (ok, warn, fail) = fleet.counts();
    let n = fleet.machines.len();
    let _ = writeln!(
        out,
        "\n{n} {} · {ok} ok · {warn} with warnings · {fail} failed",
        if n == 1 { "machine" } else { "machines" }
    );
    out
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Skip => "skip",
    }
}

/// The same for scripts.
pub fn json(fleet: &Fleet) -> Value {
    let machines: Vec<Value> = fleet
        .machines
        .iter()
        .map(|m| {
            let checks: serde_json::Map<String, Value> = m
                .checks
                .iter()
                .map(|c| (c.0.clone(), status_name(c.1).into()))
                .collect();
            let mut v = serde_json::Map::new();
            v.insert("machine".into(), m.name.clone().into());
            v.insert("worst".into(), status_name(m.worst()).into());
            v.insert("checks".into(), checks.into());
            if let Some(e) = &m.error {
                v.insert("error".into(), e.clone().into());
            }
            if let Some(level) = m.verdict {
                v.insert("verdict".into(), json!(level));
            }
            Value::Object(v)
        })
        .collect();
    let problems: Vec<Value> = fleet
        .problems()
        .iter()
        .map(|p| {
            json!({
                "check": p.check,
                "status": status_name(p.status),
                "hint": p.hint,
                "evidence": p.evidence,
                "machines": p.machines,
            })
        })
        .collect();
    let (ok, warn, fail) = fleet.counts();
    json!({
        "schema": SCHEMA,
        "checks": fleet.checks,
        "machines": machines,
        "problems": problems,
        "summary": {"machines": fleet.machines.len(), "ok": ok, "warn": warn, "fail": fail},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(host: &str, checks: &[(&str, &str, &str)]) -> String {
        let checks: Vec<Value> = checks
            .iter()
            .map(|(n, s, h)| json!({"name": n, "status": s, "evidence": "seen", "hint": h}))
            .collect();
        json!({"schema": 1, "host": host, "checks": checks}).to_string()
    }

    #[test]
    fn ndjson_and_documents_and_names() {
        let text = format!(
            "{}\n{}\n",
            doc("a", &[("endpoint", "pass", "")]),
            doc("", &[("endpoint", "fail", "fix it")])
        );
        let ms = parse(&text, "out/fleet.ndjson");
        assert_eq!(ms[0].name, "a");
        assert_eq!(ms[1].name, "fleet:2");
        let one = parse(&doc("", &[]), "dir/vm-9.json");
        assert_eq!(one[0].name, "vm-9");
    }

    #[test]
    fn problems_are_grouped_by_hint_and_sorted_worst_first() {
        let mut ms = Vec::new();
        for (h, s) in [("a", "fail"), ("b", "fail"), ("c", "warn"), ("d", "pass")] {
            ms.extend(parse(&doc(h, &[("token", s, "grant it")]), h));
        }
        ms.extend(parse(
            "{\"ok\":false,\"error\":{\"message\":\"no\",\"hint\":\"h\"}}",
            "e",
        ));
        ms.extend(parse("garbage", "f"));
        let fleet = Fleet::new(ms);
        let p = fleet.problems();
        assert_eq!(p[0].status, Status::Fail);
        assert_eq!(
            p.iter()
                .find(|p| p.check == "token" && p.status == Status::Fail)
                .map(|p| p.machines.clone()),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(fleet.exit_code(), 2);
        assert_eq!(fleet.counts(), (1, 1, 4));
    }

    #[test]
    fn a_newer_schema_is_refused_per_machine() {
        let m = machine_from(&json!({"schema": 2, "checks": []}), "x");
        assert!(m.error.unwrap().contains("schema 2"));
    }
}
