//! The README shows real output: the terminal UI's first screen is `tokscope --demo` in tmux,
//! the `get`, `doctor` and `watch` examples come from runs against the emulator, and its
//! exit-code table is checked against the commands.
//!
//! `TOKSCOPE_UPDATE_ASSETS=1 cargo test --test integration readme::` rewrites the generated blocks.

use crate::common::*;

use std::path::PathBuf;

use clap::CommandFactory;
use tokscope::flavour::Flavour;

/// The tests that rewrite README.md take turns.
static README: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn readme_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

fn update_assets() -> bool {
    std::env::var_os("TOKSCOPE_UPDATE_ASSETS").is_some_and(|v| !v.is_empty())
}

/// The text between `<!-- NAME -->` and `<!-- /NAME -->`, and where it sits.
fn block(readme: &str, name: &str) -> (usize, usize) {
    let open = format!("<!-- {name} -->\n");
    let close = format!("<!-- /{name} -->");
    let start = readme
        .find(&open)
        .unwrap_or_else(|| panic!("README.md has no {open:?}"))
        + open.len();
    let end = start
        + readme[start..]
            .find(&close)
            .unwrap_or_else(|| panic!("README.md has no {close:?}"));
    (start, end)
}

fn fenced(body: &str) -> String {
    format!("```text\n{}\n```\n", body.trim_end_matches('\n'))
}

/// Replace a block's contents; true when they changed.
fn set_block(readme: &mut String, name: &str, body: &str) -> bool {
    let (start, end) = block(readme, name);
    let new = fenced(body);
    let changed = readme[start..end] != new;
    readme.replace_range(start..end, &new);
    changed
}

fn block_body(readme: &str, name: &str) -> String {
    let (start, end) = block(readme, name);
    readme[start..end]
        .trim_end()
        .strip_prefix("```text\n")
        .and_then(|b| b.strip_suffix("```"))
        .unwrap_or_else(|| panic!("the {name} block is not a ```text block"))
        .trim_end_matches('\n')
        .to_string()
}

/// The first screen of the real `tokscope --demo` at 80×24 (NO_COLOR, so the lifetime bar is
/// characters), as tmux shows it once the first token is on the card.
fn demo_screen() -> Option<String> {
    use crate::tui_tmux::{quote, tmux_ready, Session};
    if !tmux_ready("the README's demo screen") {
        return None;
    }
    let s = Session::start("readme", &format!("{} --demo; sleep 60", quote(BIN)));
    let screen = s.wait_for("the first token on the card", |sc| {
        sc.contains("expires in") && sc.contains("token     sha256:") && sc.contains("CLAIMS")
    });
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    Some(lines.join("\n").trim_end_matches('\n').to_string())
}

/// A screen with what changes from run to run taken out: numbers (ports, times, durations,
/// percentages, fingerprints), the lifetime bar's fill, spaces (a shorter number leaves more),
/// and whatever a line shows after an ellipsis (where it is cut depends on those numbers).
fn screen_shape(screen: &str) -> Vec<String> {
    screen
        .lines()
        .map(|line| {
            let line = line.split('…').next().unwrap_or("");
            let line = line
                .split_once("sha256:")
                .map_or(line.to_string(), |(a, b)| {
                    format!(
                        "{a}sha256:{}",
                        b.trim_start_matches(|c: char| c.is_ascii_hexdigit())
                    )
                });
            let mut out = String::new();
            for c in line.chars() {
                let c = match c {
                    '0'..='9' => '0',
                    '#' => '.',
                    ' ' => continue,
                    c => c,
                };
                if !(c == '0' && out.ends_with('0')) {
                    out.push(c);
                }
            }
            for unit in ["0h0m", "0m0s", "0ms", "0h", "0m", "0s"] {
                out = out.replace(unit, "0");
            }
            // A token fetched this second is "now", one second later "1s ago"; the header's
            // share used is shown only when the countdown leaves room for it.
            out.replace("·now·", "·0ago·")
                .replace("·0%oflifetimeused", "")
                .replace("·0%used", "")
        })
        .collect()
}

#[test]
fn readme_shows_the_first_screen_of_the_real_demo() {
    let Some(screen) = demo_screen() else {
        return;
    };
    assert_eq!(screen.lines().count(), 24, "{screen}");
    let _turn = README.lock().unwrap_or_else(|e| e.into_inner());
    let path = readme_path();
    let mut readme = std::fs::read_to_string(&path).unwrap();
    if update_assets() {
        if set_block(&mut readme, "demo-screen", &screen) {
            std::fs::write(&path, &readme).unwrap();
        }
        return;
    }
    let shown = block_body(&readme, "demo-screen");
    assert_eq!(
        screen_shape(&shown),
        screen_shape(&screen),
        "README.md's first screen is not what `tokscope --demo` shows:\n{screen}\nrun TOKSCOPE_UPDATE_ASSETS=1 cargo test --test integration readme::"
    );
    // Right under the two commands at the top.
    let top = readme.find("./scripts/test.sh").unwrap();
    let (start, _) = block(&readme, "demo-screen");
    assert!(start > top && !readme[top..start].contains("\n## "));
}

/// What stays the same from run to run in a line: its label, a doctor check's status and name,
/// or a watch event's kind. Continuation lines (indented) say nothing about the shape.
fn shape(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = words.first() else {
            out.push(String::new());
            continue;
        };
        let status = ["PASS", "WARN", "FAIL", "SKIP"].contains(first);
        if line.starts_with("  ") && status {
            out.push(format!("{first} {}", words.get(1).unwrap_or(&"")));
        } else if line.starts_with(' ') {
            continue;
        } else if first.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(format!("#{}", words.get(1).unwrap_or(&"")));
        } else {
            out.push(first.to_string());
        }
    }
    out
}

/// Run one README example against the built-in emulator; `keep` cuts it to what the README shows.
fn example(args: &[&str], keep: fn(&str) -> String) -> String {
    // --demo ignores the environment, but the IMDS host points at loopback all the same.
    let (code, out, err) = tokscope(
        args,
        &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")],
    );
    assert_eq!(code, 0, "{args:?}: {err}");
    assert!(!contains_jwt(&out));
    keep(&out)
}

/// `get`'s card, up to the decoded header and claims.
fn card(out: &str) -> String {
    let card: Vec<&str> = out.lines().take_while(|l| !l.is_empty()).collect();
    format!(
        "{}\n\nheader …  claims …  (each with what it means)",
        card.join("\n")
    )
}

/// What of a command's output a README example shows.
type Keep = fn(&str) -> String;

fn all(out: &str) -> String {
    out.trim_end().to_string()
}

/// README's detection table, made from the flavour table's rows in the order detection tries them.
fn detection_table() -> String {
    let mut rows: Vec<(&str, &tokscope::flavour::Detect)> = Flavour::ALL
        .iter()
        .filter_map(|f| f.spec().detect.as_ref().map(|d| (f.name(), d)))
        .collect();
    rows.sort_by_key(|(_, d)| d.rank);
    let mut out = String::from("| env vars | flavour |\n|---|---|\n");
    let mut orphan_said = false;
    for (name, d) in rows {
        if !orphan_said && !d.vars.contains(&"IDENTITY_ENDPOINT") {
            out.push_str(
                "| IDENTITY_ENDPOINT alone | an error that says which variable is missing |\n",
            );
            orphan_said = true;
        }
        let mut vars = d.vars.join(" + ");
        for also in d.also {
            vars.push_str(&format!(" (+ {also})"));
        }
        out.push_str(&format!("| {vars} | {name} — {} |\n", d.note));
    }
    out.push_str("| none | imds at `http://169.254.169.254` |\n");
    out
}

#[test]
fn readme_names_every_flavour_as_detection_does() {
    let _turn = README.lock().unwrap_or_else(|e| e.into_inner());
    let path = readme_path();
    let mut readme = std::fs::read_to_string(&path).unwrap();
    let table = detection_table();
    let (start, end) = block(&readme, "detection");
    if update_assets() {
        if readme[start..end] != table {
            readme.replace_range(start..end, &table);
            std::fs::write(&path, &readme).unwrap();
        }
    } else {
        assert!(
            readme[start..end] == table,
            "README.md's detection table differs from the flavour table; run TOKSCOPE_UPDATE_ASSETS=1 cargo test --test integration readme::"
        );
    }
    let names: Vec<&str> = Flavour::ALL.iter().map(|f| f.name()).collect();
    let flag = format!("`--flavour {}`", names.join("|"));
    assert!(readme.contains(&flag), "README.md should list {flag}");
}

#[test]
fn readme_examples_match_real_runs() {
    let examples: [(&str, Vec<&str>, Keep); 3] = [
        ("example-get", vec!["--demo", "get"], card),
        ("example-doctor", vec!["--demo", "doctor"], all),
        (
            "example-watch",
            vec!["--demo", "watch", "--interval", "1s", "--count", "3"],
            all,
        ),
    ];
    let _turn = README.lock().unwrap_or_else(|e| e.into_inner());
    let path = readme_path();
    let mut readme = std::fs::read_to_string(&path).unwrap();
    let mut changed = false;
    for (name, args, keep) in examples {
        let real = example(&args, keep);
        let shown_cmd = format!("$ tokscope {}\n", args.join(" "));
        if update_assets() {
            changed |= set_block(&mut readme, name, &format!("{shown_cmd}{real}"));
            continue;
        }
        let shown = block_body(&readme, name);
        let shown = shown
            .strip_prefix(&shown_cmd)
            .unwrap_or_else(|| panic!("{name} should start with {shown_cmd:?}"));
        assert_eq!(
            shape(shown),
            shape(&real),
            "README.md's {name} no longer looks like the real output; run TOKSCOPE_UPDATE_ASSETS=1 cargo test --test integration readme::\n{real}"
        );
    }
    if changed {
        std::fs::write(&path, &readme).unwrap();
    }
}

/// The exit-code table: one row per command, and the codes it promises are the ones returned.
#[tokio::test(flavor = "multi_thread")]
async fn exit_code_table_holds() {
    let readme = std::fs::read_to_string(readme_path()).unwrap();
    let (start, end) = block(&readme, "exit-codes");
    let table = &readme[start..end];
    let mut cmd = tokscope::cli::Cli::command();
    cmd.build();
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        assert!(
            table.contains(&format!("`tokscope {}", sub.get_name())),
            "the exit-code table has no row for {}",
            sub.get_name()
        );
    }
    let healthy = emulator().await;
    let failing = emulator_with(tokscope::emulator::Config {
        faults: vec![tokscope::emulator::Fault::parse("500").unwrap()],
        ..Default::default()
    })
    .await;
    let unusable = emulator_with(tokscope::emulator::Config {
        faults: vec![tokscope::emulator::Fault::parse("wrong-aud").unwrap()],
        ..Default::default()
    })
    .await;
    let (good, bad, wrong) = (healthy.base_url(), failing.base_url(), unusable.base_url());
    let cases = tokio::task::spawn_blocking(move || {
        let imds = |h: &str| {
            vec![(
                "AZURE_POD_IDENTITY_AUTHORITY_HOST".to_string(),
                h.to_string(),
            )]
        };
        let run = |args: &[&str], env: Vec<(String, String)>| {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            tokscope(args, &env).0
        };
        let quick = ["--retry-max", "0", "--timeout", "5"];
        let with = |cmd: &[&str], auth: &str| {
            let mut a: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
            a.extend(quick.iter().map(|s| s.to_string()));
            if cmd[0] == "doctor" {
                a.extend(["--authority".to_string(), auth.to_string()]);
            }
            a
        };
        let case = |label: &'static str, args: Vec<String>, host: &str| {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            (label, run(&a, imds(host)))
        };
        vec![
            case("get ok", with(&["get"], &good), &good),
            case("get fails", with(&["get"], &bad), &bad),
            case("get unusable", with(&["get"], &wrong), &wrong),
            case("doctor passes", with(&["doctor"], &good), &good),
            case("doctor fails", with(&["doctor"], &bad), &bad),
            case(
                "decode garbage",
                vec!["decode".into(), "not-a-token".into()],
                &good,
            ),
            case(
                "summarize missing",
                vec!["doctor".into(), "--summarize".into(), "/nonexistent".into()],
                &good,
            ),
            case("usage", vec!["get".into(), "--no-such-flag".into()], &good),
            case(
                "completions",
                vec!["completions".into(), "bash".into()],
                &good,
            ),
        ]
    })
    .await
    .unwrap();
    let want = [
        ("get ok", 0),
        ("get fails", 1),
        ("get unusable", 2),
        ("doctor passes", 0),
        ("doctor fails", 2),
        ("decode garbage", 1),
        ("summarize missing", 3),
        ("usage", 2),
        ("completions", 0),
    ];
    for ((label, got), (_, expected)) in cases.iter().zip(want) {
        assert_eq!(*got, expected, "{label}");
    }
    // The table says the same.
    for row in [
        "| `tokscope get` | 0 token fetched · 1 ",
        " · 2 a token the verdict finds unusable ",
        "| `tokscope doctor` | 0 every check passed (skips count as passes) · 1 warnings · 2 failures · 3 ",
        "| `tokscope doctor --summarize` | 0 every machine passed · 1 warnings · 2 ",
        "| `tokscope decode` | 0 decoded · 1 ",
        "| `tokscope completions` | 0 |",
        "| any, with a usage error | 2 ",
    ] {
        assert!(table.contains(row), "the exit-code table lost {row:?}:\n{table}");
    }
}
