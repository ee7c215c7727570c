use std::process::ExitCode;

use tokscope::cli::{Cli, Command};
use tokscope::color::{self, Layout};
use tokscope::commands::{completions, decode, doctor, emulate, get, report, setup, vms, watch};
use tokscope::error::Error;
use tokscope::output::{self, TerminalText};

/// A command's output on stdout, sanitised as JSON or as text. A closed pipe (`| head`) is the
/// reader's choice; any other write failure is an error (see `output`).
fn emit(text: &str, json: bool) -> Result<(), Error> {
    emit_as(text, json, Layout::Plain)
}

/// `emit`, with text coloured for its layout when `--color` and the terminal say so.
fn emit_as(text: &str, json: bool, layout: Layout) -> Result<(), Error> {
    let text = text.trim_end();
    output::stdout_line(&if json {
        TerminalText::json(text)
    } else {
        color::for_stdout(text, layout)
    })
}

fn print_error(e: &Error, json: bool) {
    if json {
        // When stdout itself is what failed, say so on stderr instead.
        if emit(
            &serde_json::json!({"ok": false, "error": e}).to_string(),
            true,
        )
        .is_ok()
        {
            return;
        }
    }
    output::stderr_line(&TerminalText::text(&format!("error: {e}")));
}

/// Commands that need neither the network nor an async runtime, run without starting either:
/// `decode` is a whole process, so its start-up is most of its time. None for other commands.
fn run_offline(command: Option<&Command>) -> Option<Result<(), (Error, bool)>> {
    Some(match command? {
        Command::Decode(a) => decode::run(a)
            .map_err(|e| (e, a.json))
            .and_then(|out| emit(&out, a.json).map_err(|e| (e, false))),
        Command::Completions(a) => emit(&completions::run(a), false).map_err(|e| (e, false)),
        _ => return None,
    })
}

async fn run(cli: Cli) -> Result<(), (Error, bool)> {
    match &cli.command {
        // Run before the runtime starts: see `run_offline`.
        Some(Command::Decode(_) | Command::Completions(_)) => {}
        Some(Command::Emulate(a)) => emulate::run(a).await.map_err(|e| (e, false))?,
        // Doctor and report set their own exit codes: see `diagnose`.
        Some(Command::Doctor(_) | Command::Report(_)) => {}
        Some(Command::Vms(a)) => {
            let s = setup::setup(&cli.endpoint, cli.demo, setup::demo_config)
                .await
                .map_err(|e| (e, a.json))?;
            let out = vms::run(&s.session, &cli.resource, a)
                .await
                .map_err(|e| (e, a.json))?;
            emit(&out, a.json).map_err(|e| (e, false))?;
        }
        Some(Command::Watch(a)) => {
            let s = setup::setup(&cli.endpoint, cli.demo, setup::demo_config)
                .await
                .map_err(|e| (e, a.json))?;
            watch::run(&s.session, &cli.resource, a)
                .await
                .map_err(|e| (e, a.json))?
        }
        Some(Command::Get(a)) => {
            let s = setup::setup(&cli.endpoint, cli.demo, setup::demo_config)
                .await
                .map_err(|e| (e, a.json))?;
            let out = get::run(&s.session, &cli.resource, a)
                .await
                .map_err(|e| (e, a.json))?;
            emit(&out, a.json).map_err(|e| (e, false))?;
        }
        None => {
            // The UI takes the terminal and draws before the setup (with --demo, making the
            // emulator's key) finishes.
            let start = setup::setup(&cli.endpoint, cli.demo, setup::demo_config);
            let arm = tokscope::arm::listing::Request {
                cloud: cli.cloud,
                arm_url: cli.arm_url.clone(),
                // "running" or "deallocated" is what people mean by a VM's state.
                power_state: true,
                ..Default::default()
            };
            let line = tokscope::tui::run(start, &cli.resource, arm)
                .await
                .map_err(|e| (e, false))?;
            output::stdout_line(&TerminalText::line(&line)).map_err(|e| (e, false))?;
        }
    }
    Ok(())
}

/// `doctor` and `report`, whose exit codes say how the checks went. None for other commands.
async fn diagnose(cli: &Cli) -> Option<ExitCode> {
    let (outcome, json) = match &cli.command {
        Some(Command::Doctor(a)) => (
            doctor::run(&cli.endpoint, cli.demo, &cli.resource, a)
                .await
                .map(|(text, code)| (Some(text), code)),
            a.json,
        ),
        Some(Command::Report(a)) => (
            report::run(&cli.endpoint, cli.demo, &cli.resource, a)
                .await
                .map(|text| (text, 0)),
            a.format == tokscope::report::Format::Json,
        ),
        _ => return None,
    };
    let outcome = outcome.and_then(|(text, code)| match text {
        Some(t) => emit_as(&t, json, Layout::Doctor).map(|()| code),
        None => Ok(code),
    });
    Some(match outcome.map_err(|e| (e, json)) {
        Ok(code) => ExitCode::from(code),
        Err((e, json)) => {
            print_error(&e, json);
            // Doctor uses 1 and 2 for warnings and failures; being unable to run at all is 3.
            ExitCode::from(3)
        }
    })
}

fn main() -> ExitCode {
    let cli = tokscope::cli::parse();
    color::set(cli.color);
    if let Some(outcome) = run_offline(cli.command.as_ref()) {
        return match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err((e, json)) => {
                print_error(&e, json);
                ExitCode::FAILURE
            }
        };
    }
    // Before any client exists: every HTTPS client adds these roots to the system's.
    if let Err(e) = tokscope::net::trust::install(cli.endpoint.ca_file.as_deref()) {
        print_error(&e, false);
        return ExitCode::FAILURE;
    }
    // One-shot commands make a request or a few, one after another: one thread is enough and
    // starts faster. The UI, watch and the emulator serve or poll while the user waits.
    let one_shot = matches!(
        cli.command,
        Some(Command::Get(_) | Command::Vms(_) | Command::Doctor(_) | Command::Report(_))
    );
    let mut builder = if one_shot {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            output::note(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    if let Some(code) = rt.block_on(diagnose(&cli)) {
        return code;
    }
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err((e, json)) => {
            print_error(&e, json);
            ExitCode::FAILURE
        }
    }
}
