use std::process::ExitCode;

use futures_util::FutureExt as _;

use tokscope::cli::{Cli, Command};
use tokscope::color::{self, Layout};
use tokscope::commands::{
    completions, decode, doctor, emulate, get, report, setup, sources, vms, watch, why,
};
use tokscope::error::{Error, ErrorKind};
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

/// Whether the command was asked for JSON: its failure is then a JSON document on stdout too.
fn wants_json(cli: &Cli) -> bool {
    match &cli.command {
        Some(Command::Decode(a)) => a.json,
        Some(Command::Get(a)) => a.json,
        Some(Command::Sources(a)) => a.json,
        Some(Command::Vms(a)) => a.json,
        Some(Command::Why(a)) => a.json,
        Some(Command::Watch(a)) => a.json,
        Some(Command::Doctor(a)) => a.json,
        Some(Command::Report(a)) => a.format == tokscope::report::Format::Json,
        Some(Command::Emulate(_) | Command::Completions(_)) | None => false,
    }
}

/// The exit code of a command that could not run. Doctor and report use 1 and 2 for warnings
/// and failures found, so being unable to run at all is 3 for them.
fn failure_code(cli: &Cli) -> ExitCode {
    match cli.command {
        Some(Command::Doctor(_) | Command::Report(_)) => ExitCode::from(3),
        _ => ExitCode::FAILURE,
    }
}

/// Commands that touch neither the network nor a server, and await nothing: they run without
/// an async runtime or the trust store. `decode` is a whole process, so start-up is most of it.
fn offline(cli: &Cli) -> bool {
    matches!(
        cli.command,
        Some(Command::Decode(_) | Command::Completions(_) | Command::Sources(_))
    )
}

/// The one dispatch: each command runs, prints what it made and says how to exit.
async fn run(cli: &Cli) -> Result<ExitCode, Error> {
    if !offline(cli) {
        // Before any client exists: every HTTPS client adds these roots to the system's.
        tokscope::net::trust::install(cli.endpoint.ca_file.as_deref())?;
    }
    let setup = || setup::setup(&cli.endpoint, cli.demo, setup::demo_config);
    match &cli.command {
        Some(Command::Decode(a)) => {
            let (text, code) = decode::run(a)?;
            emit(&text, a.json)?;
            return Ok(ExitCode::from(code));
        }
        Some(Command::Emulate(a)) => emulate::run(a).await?,
        Some(Command::Completions(a)) => emit(&completions::run(a), false)?,
        Some(Command::Sources(a)) => emit(&sources::run(&cli.endpoint, a), a.json)?,
        Some(Command::Doctor(a)) => {
            let (text, code) = doctor::run(&cli.endpoint, cli.demo, &cli.resource, a).await?;
            emit_as(&text, a.json, Layout::Doctor)?;
            return Ok(ExitCode::from(code));
        }
        Some(Command::Report(a)) => {
            if let Some(text) = report::run(&cli.endpoint, cli.demo, &cli.resource, a).await? {
                emit_as(&text, wants_json(cli), Layout::Doctor)?;
            }
        }
        Some(Command::Vms(a)) => {
            let s = setup().await?;
            emit(&vms::run(&s.session, &cli.resource, a).await?, a.json)?;
        }
        Some(Command::Why(a)) => {
            let s = setup().await?;
            let (text, code) = why::run(&s.session, &cli.resource, a).await?;
            emit(&text, a.json)?;
            return Ok(ExitCode::from(code));
        }
        Some(Command::Watch(a)) => {
            // Listening from before the setup: a signal while the --demo emulator starts (and
            // writes its files) ends the command cleanly too.
            let mut stop = Box::pin(tokscope::shutdown_signal());
            let s = tokio::select! {
                s = setup() => s?,
                () = &mut stop => return Ok(ExitCode::SUCCESS),
            };
            watch::run(&s.session, &cli.resource, a, stop).await?;
        }
        Some(Command::Get(a)) => {
            let s = setup().await?;
            let got = get::run(&s.session, &cli.resource, a).await?;
            emit(&got.text, a.json)?;
            return Ok(ExitCode::from(got.code));
        }
        None => {
            // The UI takes the terminal and draws before the setup (with --demo, making the
            // emulator's key) finishes.
            let arm = tokscope::arm::listing::Request {
                cloud: cli.cloud,
                arm_url: cli.arm_url.clone(),
                // "running" or "deallocated" is what people mean by a VM's state.
                power_state: true,
                ..Default::default()
            };
            let line = tokscope::tui::run(setup(), &cli.resource, arm).await?;
            output::stdout_line(&TerminalText::line(&line))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a one-shot command starts the demo emulator, whose files must go when a signal
/// stops it. The UI, watch and the emulator stop on a signal by themselves; the others keep the
/// default (a blocking read of stdin, as `decode` and `--summarize -` do, must stay
/// interruptible).
fn demo_one_shot(cli: &Cli) -> bool {
    cli.demo
        && match &cli.command {
            Some(Command::Get(_) | Command::Vms(_) | Command::Why(_) | Command::Report(_)) => true,
            Some(Command::Doctor(a)) => a.summarize.is_empty(),
            _ => false,
        }
}

/// Run `work` to its end; with `on_signal`, drop it instead when Ctrl-C, SIGTERM or SIGHUP
/// comes (None), so that a --demo emulator removes its files then too.
fn until_stopped<T>(
    rt: &tokio::runtime::Runtime,
    on_signal: bool,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    if !on_signal {
        return Some(rt.block_on(work));
    }
    rt.block_on(async {
        let signal = tokscope::shutdown_signal();
        tokio::select! {
            out = work => Some(out),
            () = signal => None,
        }
    })
}

fn stopped() -> ExitCode {
    output::note("error: stopped by a signal before the command finished");
    ExitCode::from(130)
}

/// The runtime a command needs: none offline, one thread for one-shot commands (a request or
/// a few, one after another, start faster), threads for the UI, watch and the emulator, which
/// serve or poll while the user waits.
fn runtime(cli: &Cli) -> std::io::Result<Option<tokio::runtime::Runtime>> {
    let mut builder = match cli.command {
        Some(Command::Decode(_) | Command::Completions(_) | Command::Sources(_)) => {
            return Ok(None)
        }
        Some(
            Command::Get(_)
            | Command::Vms(_)
            | Command::Why(_)
            | Command::Doctor(_)
            | Command::Report(_),
        ) => tokio::runtime::Builder::new_current_thread(),
        Some(Command::Watch(_) | Command::Emulate(_)) | None => {
            tokio::runtime::Builder::new_multi_thread()
        }
    };
    builder.enable_all().build().map(Some)
}

fn main() -> ExitCode {
    let cli = tokscope::cli::parse();
    color::set(cli.color);
    let outcome = match runtime(&cli) {
        // An offline command awaits nothing, so its future is done at the first poll.
        Ok(None) => run(&cli).now_or_never().unwrap_or_else(|| {
            Err(Error::new(
                ErrorKind::Io,
                "an offline command waited for something",
                "report this as a bug in tokscope",
            ))
        }),
        Ok(Some(rt)) => match until_stopped(&rt, demo_one_shot(&cli), run(&cli)) {
            Some(outcome) => outcome,
            None => return stopped(),
        },
        Err(e) => Err(Error::new(
            ErrorKind::Io,
            format!("cannot start the async runtime: {e}"),
            "the system refused threads or file descriptors; check ulimit -n and -u",
        )),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            print_error(&e, wants_json(&cli));
            failure_code(&cli)
        }
    }
}
