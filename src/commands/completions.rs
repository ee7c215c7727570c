//! `tokscope completions SHELL`: the completion script, made from the same clap definitions as
//! the parser and the man pages.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: &CompletionsArgs) -> String {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "tokscope", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}
