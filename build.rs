//! Records the commit tokscope is built from, for `--version`: `TOKSCOPE_COMMIT` is HEAD's short
//! hash, or `unknown` outside a git checkout (a source tarball, a copied folder) or without git.
//! Uncommitted edits are not tracked: that would rerun this script on every change of any file.

#![allow(
    clippy::disallowed_macros,
    reason = "a build script talks to cargo on stdout; tokscope's print layer is not linked here"
)]

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Rebuild when HEAD moves: HEAD itself, the branch it points at, and packed refs. Only files
/// that exist are named, since cargo reruns a build script every time for a missing one.
fn watch_head() {
    let mut paths = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        paths.push(branch);
    }
    for p in paths {
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &p]) {
            if PathBuf::from(&path).is_file() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
}

/// The minor version of the rustc building this, e.g. 95 for 1.95.0.
fn rustc_minor() -> Option<u32> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-V").output().ok()?;
    let version = String::from_utf8(out.stdout).ok()?;
    version
        .split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}

/// Identical code folding for the release binary: functions with the same machine code (generic
/// instances, drop glue) are kept once, about 110 KB. Only where the linker is known to take the
/// flag: rust-lld, which rustc links x86_64 Linux with from 1.90 on, and only when the builder
/// names no linker of its own (cargo-zigbuild's zig refuses the flag, GNU ld does not know it).
fn fold_identical_code() {
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let release = var("PROFILE") == "release";
    let target = var("TARGET") == "x86_64-unknown-linux-gnu";
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let own_linker = !var("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_empty()
        || flags.contains("fuse-ld")
        || flags.contains("linker");
    if release && target && !own_linker && rustc_minor().is_some_and(|m| m >= 90) {
        println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    fold_identical_code();
    println!("cargo:rerun-if-env-changed=TOKSCOPE_COMMIT");
    let commit = match std::env::var("TOKSCOPE_COMMIT") {
        // A packager building outside git can say which commit the sources are.
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => match git(&["rev-parse", "--short=12", "HEAD"]) {
            Some(hash) => {
                watch_head();
                hash
            }
            None => "unknown".to_string(),
        },
    };
    println!("cargo:rustc-env=TOKSCOPE_COMMIT={commit}");
}
