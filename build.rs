//! Records the commit tokscope is built from, for `--version`: `TOKSCOPE_COMMIT` is HEAD's short
//! hash, or `unknown` outside a git checkout (a source tarball, a copied folder) or without git.
//! Uncommitted edits are not tracked: that would rerun this script on every change of any file.

// A build script talks to cargo on stdout; tokscope's print layer is not linked here.
#![allow(clippy::disallowed_macros)]

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

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
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
