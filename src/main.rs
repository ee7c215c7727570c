use std::process::ExitCode;

use clap::Parser;

use tokscope::cli::{Cli, Command, GetArgs};
use tokscope::commands::{decode, emulate, get, setup, vms, watch};
use tokscope::error::Error;

fn print_error(e: &Error, json: bool) {
    if json {
        println!("{}", e.to_json());
    } else {
        eprintln!("error: {e}");
    }
}

async fn run(cli: Cli) -> Result<(), (Error, bool)> {
    match &cli.command {
        Some(Command::Decode(a)) => {
            let out = decode::run(a).map_err(|e| (e, a.json))?;
            println!("{}", out.trim_end());
        }
        Some(Command::Emulate(a)) => emulate::run(a).await.map_err(|e| (e, false))?,
        Some(Command::Vms(a)) => {
            let out = vms::run(&cli, a).await.map_err(|e| (e, a.json))?;
            println!("{}", out.trim_end());
        }
        Some(Command::Watch(a)) => watch::run(&cli, a).await.map_err(|e| (e, a.json))?,
        Some(Command::Get(a)) => {
            let s = setup::setup(&cli.endpoint, cli.demo, setup::demo_config())
                .await
                .map_err(|e| (e, a.json))?;
            let out = get::run(&s, &cli.resource, a)
                .await
                .map_err(|e| (e, a.json))?;
            println!("{}", out.trim_end());
        }
        None => {
            let a = GetArgs {
                json: false,
                show_token: false,
            };
            let s = setup::setup(&cli.endpoint, cli.demo, setup::demo_config())
                .await
                .map_err(|e| (e, false))?;
            let out = get::run(&s, &cli.resource, &a)
                .await
                .map_err(|e| (e, false))?;
            println!("{}", out.trim_end());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err((e, json)) => {
            print_error(&e, json);
            ExitCode::FAILURE
        }
    }
}
