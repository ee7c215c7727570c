//! The layering ARCHITECTURE.md draws, checked on the source: every `crate::<module>` path in
//! `src/` is an arrow from the file's top-level module to another, and some arrows must never
//! exist. A new import that breaks one fails here with the file and the rule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The front ends: they may use the core, the core never uses them.
const FRONT_ENDS: &[&str] = &["cli", "commands", "tui"];

/// What a module may not reach, and why (the sentence printed when it does).
struct Rule {
    from: &'static [&'static str],
    never: &'static [&'static str],
    why: &'static str,
}

fn rules() -> Vec<Rule> {
    // Every module that is not a front end is core.
    vec![
        Rule {
            from: &[
                "arm", "assets", "color", "doctor", "duration", "emulator", "endpoint", "error",
                "files", "flavour", "inspect", "net", "output", "report", "sanitize", "secret",
                "session", "text", "token", "watch",
            ],
            never: FRONT_ENDS,
            why: "the core never uses a front end",
        },
        Rule {
            from: &["tui"],
            never: &["cli", "commands"],
            why: "the two front ends are siblings over the core",
        },
        Rule {
            from: &["token"],
            never: &[
                "arm", "doctor", "emulator", "endpoint", "net", "report", "session", "watch",
            ],
            why: "decoding and verifying a token needs no network",
        },
        Rule {
            from: &["net"],
            never: &[
                "arm", "assets", "doctor", "emulator", "endpoint", "report", "secret", "session",
                "token", "watch",
            ],
            why: "net is the neutral layer under every caller",
        },
        Rule {
            from: &[
                "arm", "doctor", "endpoint", "net", "report", "session", "token", "tui", "watch",
            ],
            never: &["emulator"],
            why: "the client never uses the emulator: only the binary and `emulate` start it",
        },
        Rule {
            from: &["files"],
            never: &[
                "arm", "assets", "color", "doctor", "emulator", "endpoint", "flavour", "inspect",
                "net", "output", "report", "sanitize", "secret", "session", "token", "watch",
            ],
            why: "the file gate sits under every caller and knows none of them",
        },
        Rule {
            from: &["flavour"],
            never: &[
                "arm", "doctor", "emulator", "endpoint", "net", "report", "session", "token",
                "watch",
            ],
            why: "the flavour table is facts only, read by the client and the emulator alike",
        },
        Rule {
            from: &["emulator"],
            never: &["arm", "doctor", "endpoint", "report", "session", "watch"],
            why: "the emulator never uses the client: it stays an independent oracle",
        },
    ]
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/tui/ui/arm.rs` → `tui`; `src/report.rs` → `report`.
fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The modules a file names as `crate::<name>`, outside comments.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            // `tokscope::crate::` cannot occur; skip identifiers ending in `crate`, e.g. `mycrate::`.
            let before = code[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = code[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
        // `use crate::{a, b}` names several at once.
        if let Some(rest) = code.split("crate::{").nth(1) {
            for part in rest.split([',', '}']) {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        }
    }
    found
}

#[test]
fn no_import_breaks_a_layering_rule() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let rules = rules();
    let mut broken = Vec::new();
    for file in &files {
        let module = top_module(&src, file);
        if module == "main" || module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for dep in crate_paths(&text) {
            for rule in &rules {
                if rule.from.contains(&module.as_str()) && rule.never.contains(&dep.as_str()) {
                    broken.push(format!(
                        "{} uses crate::{dep}: {}",
                        file.strip_prefix(&src).unwrap().display(),
                        rule.why
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

/// clap belongs to the command line: the core's types get their names for it in `cli.rs`.
#[test]
fn the_core_knows_no_clap() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| {
            let m = top_module(&src, f);
            m != "main" && !FRONT_ENDS.contains(&m.as_str())
        })
        .filter(|f| {
            std::fs::read_to_string(f).unwrap().lines().any(|l| {
                let code = l.split("//").next().unwrap_or("");
                code.contains("clap::") || code.contains("use clap")
            })
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "clap outside the front ends: {offenders:?}"
    );
}

/// Every top-level module is named by the rules, so a new one cannot slip past them.
#[test]
fn every_module_is_placed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let placed: BTreeSet<&str> = rules()
        .iter()
        .flat_map(|r| r.from.iter().copied())
        .chain(FRONT_ENDS.iter().copied())
        .collect();
    let unplaced: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(&src, f))
        .filter(|m| m != "main" && m != "lib" && !placed.contains(m.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules missing from tests/architecture.rs: {unplaced:?}"
    );
}

#[test]
fn the_scanner_sees_every_form_of_path() {
    let found = crate_paths(
        "use crate::endpoint::x;\nlet a = crate::token::decode(t); // crate::tui in a comment\nuse crate::{net, error::Error};\nmycrate::x",
    );
    let want: BTreeSet<String> = ["endpoint", "token", "net", "error"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, want);
}
