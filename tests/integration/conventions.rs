//! What command-line users expect of a tool: `--version` with the commit, an example in every
//! `--help`, shell completions, man pages that match the parser, and `--color`.
//!
//! The man pages in assets/man/ are generated from the clap definitions; this test fails when
//! they are stale and rewrites them with `TOKSCOPE_UPDATE_ASSETS=1 cargo test --test integration conventions::`.

use crate::common::*;

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use tokscope::cli::Cli;

fn update_assets() -> bool {
    std::env::var_os("TOKSCOPE_UPDATE_ASSETS").is_some_and(|v| !v.is_empty())
}

/// Every page: `tokscope.1` and one `tokscope-<command>.1` per subcommand, global options
/// included. The version is the package's alone, so a new commit does not make them stale.
fn man_pages() -> Vec<(String, String)> {
    let mut cmd = Cli::command().version(env!("CARGO_PKG_VERSION"));
    cmd.build();
    let mut pages = Vec::new();
    let mut render = |name: String, cmd: clap::Command| {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .title(name.to_uppercase())
            .source(format!("tokscope {}", env!("CARGO_PKG_VERSION")))
            .manual("tokscope manual")
            .render(&mut out)
            .unwrap();
        pages.push((format!("{name}.1"), String::from_utf8(out).unwrap()));
    };
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("tokscope-{}", sub.get_name());
        // clap names are `&'static str` without its `string` feature; a test may leak a few.
        let page = sub
            .clone()
            .name(&*Box::leak(name.clone().into_boxed_str()))
            .version(env!("CARGO_PKG_VERSION"));
        render(name, page);
    }
    render("tokscope".to_string(), cmd);
    pages.sort();
    pages
}

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/man")
}

#[test]
fn man_pages_match_the_parser() {
    let dir = man_dir();
    let pages = man_pages();
    if update_assets() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "1") {
                std::fs::remove_file(path).unwrap();
            }
        }
        for (name, text) in &pages {
            std::fs::write(dir.join(name), text).unwrap();
        }
        return;
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run TOKSCOPE_UPDATE_ASSETS=1 cargo test --test integration conventions::",
                dir.display()
            )
        })
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".1"))
        .collect();
    on_disk.sort();
    let expected: Vec<String> = pages.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(
        on_disk, expected,
        "assets/man/ has other pages than the commands; run TOKSCOPE_UPDATE_ASSETS=1 cargo test --test integration conventions::"
    );
    for (name, text) in &pages {
        let current = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(
            current == *text,
            "assets/man/{name} is stale; run TOKSCOPE_UPDATE_ASSETS=1 cargo test --test integration conventions::"
        );
    }
}

#[test]
fn man_pages_say_what_each_command_does() {
    let pages = man_pages();
    let page = |n: &str| &pages.iter().find(|(name, _)| name == n).unwrap().1;
    assert!(page("tokscope.1").contains("tokscope\\-doctor(1)"));
    let doctor = page("tokscope-doctor.1");
    assert!(doctor.contains("\\-\\-json"), "{doctor}");
    // Global options reach every command's page.
    assert!(doctor.contains("\\-\\-endpoint"), "{doctor}");
    assert!(doctor.contains("Example"), "{doctor}");
}

/// Every command, and the top level, shows at least one example invocation in `--help`.
#[test]
fn every_help_has_an_example() {
    let mut cmd = Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    let mut check = |c: &clap::Command| {
        let after = c
            .get_after_help()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let example = after
            .lines()
            .any(|l| l.trim_start().starts_with("tokscope ") || l.contains("| tokscope "));
        if !after.starts_with("Example") || !example {
            missing.push(c.get_name().to_string());
        }
    };
    check(&cmd);
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        check(sub);
    }
    assert!(missing.is_empty(), "no example in --help of: {missing:?}");
}

#[test]
fn help_output_shows_the_example() {
    let (code, out, _) = tokscope(&["watch", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("Example"), "{out}");
    assert!(
        out.contains("tokscope watch --interval 5s --count 12"),
        "{out}"
    );
}

#[test]
fn version_names_the_commit() {
    let (code, out, _) = tokscope(&["--version"], &[]);
    assert_eq!(code, 0);
    let line = out.trim();
    let rest = line
        .strip_prefix(&format!("tokscope {} (commit ", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        rest == "unknown" || (rest.len() >= 7 && rest.chars().all(|c| c.is_ascii_hexdigit())),
        "{line}"
    );
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _tokscope"),
        ("zsh", "#compdef tokscope"),
        ("fish", "complete -c tokscope"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let (code, out, err) = tokscope(&["completions", shell], &[]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}: {out}");
        // The subcommands and their options come from the same definitions as the parser.
        assert!(out.contains("doctor") && out.contains("json"), "{shell}");
    }
    let (code, _, err) = tokscope(&["completions", "tcsh"], &[]);
    assert_eq!(code, 2, "{err}");
}

/// A mistyped flag names the one that was meant.
#[test]
fn a_mistyped_flag_gets_a_suggestion() {
    let (code, _, err) = tokscope(&["get", "--client_id", "x"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a similar argument exists: '--client-id'"),
        "{err}"
    );
}

#[test]
fn bash_accepts_the_bash_completions() {
    let (_, script, _) = tokscope(&["completions", "bash"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokscope.bash");
    std::fs::write(&file, script).unwrap();
    let ok = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status()
        .unwrap();
    assert!(ok.success());
}

/// `--color` and NO_COLOR on a plain command whose output is a pipe, as in a test.
#[tokio::test(flavor = "multi_thread")]
async fn color_follows_the_switch_and_no_color() {
    let run = emulator().await;
    let host = run.base_url();
    let esc = |s: &str| s.contains('\x1b');
    let results = tokio::task::spawn_blocking(move || {
        let env = [("AZURE_POD_IDENTITY_AUTHORITY_HOST", host.as_str())];
        let no_color = [env[0], ("NO_COLOR", "1")];
        vec![
            ("auto into a pipe", tokscope(&["doctor"], &env), false),
            (
                "always",
                tokscope(&["doctor", "--color", "always"], &env),
                true,
            ),
            (
                "always beats NO_COLOR",
                tokscope(&["--color=always", "doctor"], &no_color),
                true,
            ),
            (
                "never",
                tokscope(&["doctor", "--color", "never"], &env),
                false,
            ),
            (
                "json is never coloured",
                tokscope(&["doctor", "--json", "--color", "always"], &env),
                false,
            ),
            (
                "watch always",
                tokscope(
                    &[
                        "watch",
                        "--count",
                        "1",
                        "--interval",
                        "1s",
                        "--color",
                        "always",
                    ],
                    &env,
                ),
                true,
            ),
        ]
    })
    .await
    .unwrap();
    for (what, (code, out, err), coloured) in results {
        assert!(code <= 1, "{what}: {code} {err}");
        assert_eq!(esc(&out), coloured, "{what}: {out:?}");
    }
}

/// Every test runs tokscope with IMDS pointed at loopback (`common::tokscope_command`); a test
/// that takes the variable away again would let a run fall back to 169.254.169.254.
#[test]
fn no_test_unpoints_imds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration");
    let needle = concat!("env_remove(\"AZURE_POD_IDENTITY", "_AUTHORITY_HOST\")");
    let offenders: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter(|p| std::fs::read_to_string(p).unwrap().contains(needle))
        .map(|p| p.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "{offenders:?}");
}
