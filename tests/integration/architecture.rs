//! The layering ARCHITECTURE.md draws, checked on the source: every `crate::<module>` path in
//! `src/` is an arrow from the file's top-level module to another, and some arrows must never
//! exist. A new import that breaks one fails here with the file and the rule.

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
                "arm",
                "assets",
                "authz",
                "charset",
                "color",
                "display_url",
                "doctor",
                "duration",
                "emulator",
                "endpoint",
                "error",
                "files",
                "flavour",
                "identity_check",
                "inspect",
                "loopback",
                "net",
                "output",
                "report",
                "sanitize",
                "secret",
                "session",
                "sources",
                "text",
                "token",
                "vault",
                "verdict",
                "watch",
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
            from: &["authz"],
            never: &[
                "arm", "doctor", "emulator", "endpoint", "net", "report", "session", "watch",
            ],
            why: "deciding why a call is refused is pure: `arm::why` gathers the facts",
        },
        Rule {
            from: &["verdict"],
            never: &[
                "arm", "doctor", "emulator", "endpoint", "net", "report", "session", "watch",
                "inspect",
            ],
            why: "the verdict is a pure judgement of facts the callers gather",
        },
        Rule {
            from: &[
                "arm", "authz", "doctor", "endpoint", "net", "report", "session", "token", "tui",
                "watch",
            ],
            never: &["emulator"],
            why: "the client never uses the emulator: only the binary and `emulate` start it",
        },
        Rule {
            from: &["output"],
            never: &["net", "endpoint", "arm", "doctor", "token"],
            why: "the print layer sits under the network layer, not over it",
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

/// The layers at the bottom, written as what they may use rather than what they may not: a
/// module added to the crate later is then kept out of them without editing a list.
const FOUNDATIONS: &[(&str, &[&str], &str)] = &[
    (
        "vault",
        &[],
        "the vault is under everything that prints or fails, so it uses nothing",
    ),
    (
        "loopback",
        &[],
        "which addresses are this machine is a pure fact",
    ),
    (
        "files",
        &["error"],
        "the file gate sits under every caller and knows none",
    ),
    (
        "sanitize",
        &["vault"],
        "the output gate knows only the secrets it removes",
    ),
    (
        "display_url",
        &["vault"],
        "a URL's display form knows only the secrets it removes",
    ),
    (
        "error",
        &["sanitize", "vault"],
        "errors sit under every layer that fails",
    ),
    (
        "net",
        &["error", "vault", "loopback", "files"],
        "net is the neutral HTTP layer under every caller",
    ),
];

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

/// How many modules deep a file sits below the crate root: `src/report.rs` and
/// `src/token/mod.rs` are 1, `src/token/service_account.rs` is 2. A chain of that many
/// `super::` reaches the root.
fn depth(src: &Path, file: &Path) -> usize {
    let rel = file.strip_prefix(src).unwrap();
    let parts = rel.components().count();
    if rel.file_name().is_some_and(|n| n == "mod.rs") {
        parts - 1
    } else {
        parts
    }
}

/// The top-level modules a file reaches: every `crate::<name>` path, and every `super::` chain
/// that climbs to the crate root. The file is read as Rust tokens, not lines, so a string or a
/// comment (`"https://…"`, `/* crate::tui */`, a raw string) is never taken for code, and a
/// `use crate::{…}` group counts each name whatever its layout.
fn crate_paths(text: &str, depth: usize) -> BTreeSet<String> {
    let tokens: proc_macro2::TokenStream = text.parse().unwrap();
    let mut found = BTreeSet::new();
    walk(tokens, depth, &mut found);
    found
}

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

fn is_ident(t: Option<&TokenTree>, name: &str) -> bool {
    matches!(t, Some(TokenTree::Ident(i)) if i == name)
}

/// `::` is two `:` puncts, the first joint to the second.
fn is_path_sep(tokens: &[TokenTree], at: usize) -> bool {
    matches!(
        (tokens.get(at), tokens.get(at + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

fn walk(stream: TokenStream, depth: usize, found: &mut BTreeSet<String>) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(g) => {
                // `mod name { … }` is one level deeper for the `super::` inside it.
                let inline_mod = g.delimiter() == Delimiter::Brace
                    && i >= 2
                    && is_ident(tokens.get(i - 2), "mod")
                    && matches!(tokens.get(i - 1), Some(TokenTree::Ident(_)));
                walk(g.stream(), depth + usize::from(inline_mod), found);
            }
            TokenTree::Ident(id)
                if (id == "crate" || id == "super") && !(i >= 2 && is_path_sep(&tokens, i - 2)) =>
            {
                // Climb: `crate::` is the root at once; each `super::` one level up.
                let mut at = i;
                let mut level = depth;
                loop {
                    let step = match tokens.get(at) {
                        Some(TokenTree::Ident(x)) if x == "crate" => Some(0),
                        Some(TokenTree::Ident(x)) if x == "super" => Some(1),
                        _ => None,
                    };
                    let Some(step) = step else { break };
                    if !is_path_sep(&tokens, at + 1) {
                        break;
                    }
                    if step == 0 {
                        level = 0;
                    } else {
                        level = level.saturating_sub(1);
                    }
                    at += 3;
                }
                if level > 0 || at == i {
                    continue;
                }
                match tokens.get(at) {
                    Some(TokenTree::Ident(name)) => {
                        found.insert(name.to_string());
                    }
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                        group_heads(g.stream(), found);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// The first name of each comma-separated entry of a `use` group: `{net, error::Error}`.
fn group_heads(stream: TokenStream, found: &mut BTreeSet<String>) {
    let mut at_head = true;
    for token in stream {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => at_head = true,
            TokenTree::Ident(name) if at_head => {
                if name != "self" {
                    found.insert(name.to_string());
                }
                at_head = false;
            }
            _ => at_head = false,
        }
    }
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
        for dep in crate_paths(&text, depth(&src, file)) {
            for rule in &rules {
                if rule.from.contains(&module.as_str()) && rule.never.contains(&dep.as_str()) {
                    broken.push(format!(
                        "{} uses crate::{dep}: {}",
                        file.strip_prefix(&src).unwrap().display(),
                        rule.why
                    ));
                }
            }
            for (from, may, why) in FOUNDATIONS {
                if module == *from && dep != module && !may.contains(&dep.as_str()) {
                    broken.push(format!(
                        "{} uses crate::{dep}: {why}",
                        file.strip_prefix(&src).unwrap().display()
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
            let text = std::fs::read_to_string(f).unwrap();
            mentions_ident(text.parse().unwrap(), "clap")
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
        "modules missing from the rules in tests/integration/architecture.rs: {unplaced:?}"
    );
}

/// Whether a name occurs as code (not in a string or a comment) anywhere in the tokens.
fn mentions_ident(stream: TokenStream, name: &str) -> bool {
    stream.into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => mentions_ident(g.stream(), name),
        _ => false,
    })
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_scanner_sees_every_form_of_path() {
    let found = crate_paths(
        "use crate::endpoint::x;\nfn f() { let a = crate::token::decode(t); } // crate::tui in a comment\nuse crate::{net, error::Error};\nuse mycrate::x;",
        1,
    );
    assert_eq!(found, names(&["endpoint", "token", "net", "error"]));
}

/// The traps a line-based reader falls into: a URL's `//` taken for a comment, a `use` group
/// over several lines, paths inside macros, `super::` chains to the root.
#[test]
fn the_scanner_is_not_fooled() {
    let url_before_path =
        r#"fn f(u: &str) -> bool { u.starts_with("https://") && !crate::net::is_loopback_url(u) }"#;
    assert_eq!(crate_paths(url_before_path, 2), names(&["net"]));

    let multi_line_group = "use crate::{\n    net::{self, Answer},\n    arm,\n};";
    assert_eq!(crate_paths(multi_line_group, 1), names(&["net", "arm"]));

    let inside_macro = r#"fn f() { let s = format!("{}", crate::watch::poll()); }"#;
    assert_eq!(crate_paths(inside_macro, 1), names(&["watch"]));

    // From src/token/service_account.rs, `super::super::` is the crate root, `super::` is token.
    let climbing = "use super::super::net::x;\nuse super::claims;";
    assert_eq!(crate_paths(climbing, 2), names(&["net"]));
    // An inline `mod tests` is one level deeper again.
    let in_tests = "mod tests { use super::super::claims; use super::super::super::emulator; }";
    assert_eq!(crate_paths(in_tests, 2), names(&["emulator"]));

    let only_text = concat!(
        "/* crate::tui */ const A: &str = r##\"crate::net \" crate::arm\"##;\n",
        "/// crate::doctor in a doc comment\n",
        "const B: &str = \"// crate::watch\"; pub(crate) fn g() {}",
    );
    assert!(crate_paths(only_text, 1).is_empty());

    assert!(mentions_ident(
        "#[derive(clap::ValueEnum)] enum A {}".parse().unwrap(),
        "clap"
    ));
    assert!(!mentions_ident(
        r#"const H: &str = "see clap::Parser"; // clap"#.parse().unwrap(),
        "clap"
    ));
}

/// ARCHITECTURE.md is the map a newcomer reads first: every file under `src/` is in it, in
/// backquotes, by its path below `src/` (a folder's `mod.rs` as the folder: `token/`).
#[test]
fn the_map_names_every_room() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let missing: Vec<String> = files
        .iter()
        .map(|f| {
            let rel = f
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            match rel.strip_suffix("mod.rs") {
                Some(folder) => folder.to_string(),
                None => rel,
            }
        })
        .filter(|name| !map.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name {missing:?}: add each to the Rooms tables"
    );
}
