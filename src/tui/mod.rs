//! The terminal UI: state (`app`), what can happen (`action`), keys (`keys`, `event`), the
//! tabs (`tabs`, one module each), pure drawing (`ui`), and the terminal guard. `run` wires them
//! to the terminal and to tokio tasks.

pub mod action;
pub mod app;
pub mod editor;
pub mod event;
pub mod keys;
pub mod report;
pub mod tabs;
pub mod terminal;
pub mod ui;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc::{self, UnboundedSender};

use crate::arm::listing::{self, Request};
use crate::endpoint::{Endpoint, RetryNote, TokenClient};
use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use action::{Action, FetchId, FetchKind, Job};
use app::{update, App, ArmAnswer, Effect, LogLevel, WhyAnswer};

/// Set to 1 to make the UI panic right after its first frame: proves the terminal is restored.
pub const TEST_PANIC_ENV: &str = "TOKSCOPE_TEST_PANIC";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Time left until the next whole second, when the countdown must be redrawn.
fn until_next_second() -> Duration {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_millis())
        .unwrap_or(0);
    Duration::from_millis(u64::from(1000 - ms.min(999)))
}

fn io_error(e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("the terminal failed: {e}"),
        "run tokscope in an interactive terminal, or use `tokscope get` for plain output",
    )
}

/// The app as it starts for this endpoint, with its first fetch queued.
pub fn initial_app(endpoint: &Endpoint, resource: &str) -> App {
    let mut app = App::new(endpoint, resource, crate::assets::resource_presets(), now());
    app.no_color = crate::color::tui_no_color();
    let term = std::env::var("TERM").ok();
    let locale = crate::charset::locale_from_env();
    app.ascii = ui::theme::wants_ascii(term.as_deref(), locale.as_deref());
    app.log(
        LogLevel::Info,
        format!(
            "endpoint {} ({}), identity {}",
            endpoint.url,
            endpoint.flavour.name(),
            endpoint.identity
        ),
    );
    for n in &endpoint.notes {
        app.log(LogLevel::Warn, n.clone());
    }
    update(&mut app, Action::Refetch);
    app
}

/// A terminal that cannot move the cursor (`TERM=dumb`: Emacs' shell buffer, a build log, some
/// serial consoles) would show the full-screen UI as a stream of escape sequences: refuse it and
/// name the plain commands, which print lines.
pub fn refuse_dumb_terminal(term: Option<&str>) -> Result<()> {
    if term.is_some_and(|t| t.trim().eq_ignore_ascii_case("dumb")) {
        return Err(Error::new(
            ErrorKind::Config,
            "TERM=dumb: this terminal cannot move the cursor, so the full-screen UI does not start",
            "use the plain commands, which print lines: `tokscope get` (the token, explained), \
             `tokscope watch`, `tokscope doctor`; or set TERM to the terminal's type (xterm-256color)",
        ));
    }
    Ok(())
}

/// Run the UI until the user quits; returns the line to leave in the scrollback. The terminal
/// is taken and a first frame drawn before `start` (which may be making the demo emulator's
/// signing key) is awaited, so the screen answers at once.
pub async fn run<S>(
    start: impl std::future::Future<Output = Result<S>>,
    resource: &str,
    arm: Request,
) -> Result<String>
where
    S: std::ops::Deref<Target = Session>,
{
    refuse_dumb_terminal(std::env::var("TERM").ok().as_deref())?;
    // Installed first, so that a signal while the session starts (with --demo, while the
    // emulator writes its files) also ends the UI through the guard and the drops.
    let mut shutdown = Box::pin(crate::shutdown_signal());
    let mut guard = terminal::TerminalGuard::enter().map_err(io_error)?;
    guard.terminal.draw(ui::draw_starting).map_err(io_error)?;
    // On an error the guard drops here, before the error is printed.
    let started = tokio::select! {
        started = start => started?,
        () = &mut shutdown => return Ok("stopped before the session started".to_string()),
    };
    run_in(guard, &started, resource, arm, shutdown).await
}

async fn run_in(
    mut guard: terminal::TerminalGuard,
    setup: &Session,
    resource: &str,
    arm: Request,
    mut shutdown: std::pin::Pin<Box<impl std::future::Future<Output = ()>>>,
) -> Result<String> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let client = setup.client.clone();
    let endpoint = setup.endpoint.clone();
    let mut app = initial_app(&endpoint, resource);
    app.arm_cloud = arm.cloud;
    let test_panic = std::env::var(TEST_PANIC_ENV).is_ok_and(|v| v == "1");

    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    event::spawn_input_thread(ev_tx);
    let mut typing = event::Typing::default();
    let mut dirty = true;
    let mut fetch_task: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        for effect in std::mem::take(&mut app.effects) {
            match effect {
                Effect::Repaint => {
                    guard.repaint().map_err(io_error)?;
                    dirty = true;
                }
                Effect::Suspend => {
                    guard.suspend().map_err(io_error)?;
                    dirty = true;
                }
                Effect::CancelFetch => {
                    if let Some(t) = fetch_task.take() {
                        t.abort();
                    }
                }
                Effect::Fetch {
                    id,
                    kind: FetchKind::User,
                    resource,
                } => {
                    fetch_task = Some(spawn_fetch(&client, &endpoint, id, resource, &tx));
                }
                other => run_effect(&mut app, other, setup, &arm, &client, &endpoint, &tx),
            }
        }
        if app.quit {
            break;
        }
        if dirty {
            let mut drawn = action::Drawn::default();
            guard
                .terminal
                .draw(|f| drawn = ui::draw(&app, f))
                .map_err(io_error)?;
            update(&mut app, Action::Drawn(drawn));
            dirty = false;
            #[allow(
                clippy::panic,
                reason = "a test hook that checks the terminal is restored after a panic"
            )]
            if test_panic {
                panic!("{TEST_PANIC_ENV}=1: panicking after the first frame, as asked");
            }
        }
        let held_until = typing.due().map(tokio::time::Instant::from_std);
        tokio::select! {
            // Keys first: a burst's keys queued behind one another must not look like a pause.
            biased;
            Some((at, ev)) = ev_rx.recv() => {
                match ev {
                    ratatui::crossterm::event::Event::Key(k) => {
                        for typed in typing.key(&app.mode, k, at) {
                            act_on(&mut app, typed);
                        }
                    }
                    other => {
                        for typed in typing.flush() {
                            act_on(&mut app, typed);
                        }
                        if let Some(a) = event::event_action(&app.mode, other) {
                            update(&mut app, a);
                        }
                    }
                }
                dirty = true;
            }
            () = tokio::time::sleep_until(held_until.unwrap_or_else(tokio::time::Instant::now)), if held_until.is_some() => {
                for typed in typing.flush() {
                    act_on(&mut app, typed);
                    dirty = true;
                }
            }
            Some(a) = rx.recv() => {
                update(&mut app, a);
                dirty = true;
            }
            _ = tokio::time::sleep(until_next_second()) => {}
            _ = shutdown.as_mut() => update(&mut app, Action::Quit),
        }
        let n = now();
        if n != app.now {
            update(&mut app, Action::Tick(n));
            dirty = true;
        }
    }
    drop(guard);
    Ok(app.exit_line())
}

/// Act on keys the burst check let through, or on a burst as the paste it is.
fn act_on(app: &mut App, typed: event::Typed) {
    match typed {
        event::Typed::Keys(keys) => {
            for k in keys {
                if let Some(a) = event::key_action(&app.mode, k) {
                    update(app, a);
                }
            }
        }
        event::Typed::Paste(text) => update(app, Action::Paste(text)),
    }
}

/// Start the ARM listing on a task; its answer comes back as `VmsListed`.
fn spawn_list_vms(
    setup: &Session,
    arm: &Request,
    client: &TokenClient,
    endpoint: &Endpoint,
    resource: &str,
    tx: &UnboundedSender<Action>,
) {
    let tx = tx.clone();
    let plan = match listing::plan(setup, arm, resource) {
        Ok(p) => p,
        Err(e) => {
            let _ = tx.send(Action::VmsListed(Box::new(ArmAnswer {
                at: now(),
                token_note: None,
                requests: Vec::new(),
                result: Err(e),
            })));
            return;
        }
    };
    let client = reporting_retries(client, Job::ArmListing, &tx);
    let endpoint = endpoint.clone();
    tokio::spawn(async move {
        let result = listing::list(&plan, &client, &endpoint).await;
        let _ = tx.send(Action::VmsListed(Box::new(ArmAnswer {
            at: now(),
            token_note: plan.token_note.clone(),
            requests: plan.client.history(),
            result,
        })));
    });
}

/// Ask why the listing was refused, with the same identity and ARM; the verdict comes back as
/// `WhyAnswered`.
fn spawn_why(
    setup: &Session,
    arm: &Request,
    client: &TokenClient,
    endpoint: &Endpoint,
    resource: String,
    tx: &UnboundedSender<Action>,
) {
    let mut session = setup.clone();
    session.client = client.clone();
    session.endpoint = endpoint.clone();
    let request = crate::arm::why::Request {
        method: "GET".into(),
        subscription: arm.subscription.clone(),
        cloud: arm.cloud,
        arm_url: arm.arm_url.clone(),
        ..Default::default()
    };
    let tx = tx.clone();
    tokio::spawn(async move {
        let result = crate::arm::why::diagnose(&session, &request, &resource).await;
        let _ = tx.send(Action::WhyAnswered(Box::new(WhyAnswer {
            at: now(),
            result,
        })));
    });
}

/// The client for one job, telling the UI of each retry as it starts, tagged with the job.
fn reporting_retries(client: &TokenClient, job: Job, tx: &UnboundedSender<Action>) -> TokenClient {
    let tx = tx.clone();
    client
        .clone()
        .with_observer(Arc::new(move |note: &RetryNote| {
            let _ = tx.send(Action::Retrying {
                job,
                note: note.clone(),
            });
        }))
}

/// Start one fetch on a task; its retries and its answer come back tagged with its id.
fn spawn_fetch(
    client: &TokenClient,
    endpoint: &Endpoint,
    id: FetchId,
    resource: String,
    tx: &UnboundedSender<Action>,
) -> tokio::task::JoinHandle<()> {
    let client = reporting_retries(client, Job::Fetch(id), tx);
    let endpoint = endpoint.clone();
    let tx = tx.clone();
    tokio::spawn(async move {
        let (at, latency, result) = crate::watch::poll(&client, &endpoint, &resource).await;
        let _ = tx.send(Action::Fetched {
            id,
            resource,
            at,
            latency,
            result: Box::new(result),
        });
    })
}

/// Start what `update` asked for: polls, the ARM listing, the report and the token file as
/// tokio tasks reporting back over `tx`; copies.
fn run_effect(
    app: &mut App,
    effect: Effect,
    setup: &Session,
    arm: &Request,
    client: &TokenClient,
    endpoint: &Endpoint,
    tx: &UnboundedSender<Action>,
) {
    match effect {
        Effect::Fetch { id, resource, .. } => {
            spawn_fetch(client, endpoint, id, resource, tx);
        }
        Effect::ListVms { resource } => {
            spawn_list_vms(setup, arm, client, endpoint, &resource, tx);
        }
        Effect::Why { resource } => {
            spawn_why(setup, arm, client, endpoint, resource, tx);
        }
        Effect::WriteReport { resource, session } => {
            let inputs = report::ReportInputs::from_setup(setup);
            let tx = tx.clone();
            tokio::spawn(async move {
                let result =
                    report::save(&inputs, &resource, &session, &report::default_dirs()).await;
                let _ = tx.send(Action::ReportWritten(
                    result.map(|p| p.display().to_string()),
                ));
            });
        }
        Effect::WriteTokenFile => {
            if let Some(c) = &app.current {
                let raw = c.fetched.token.access_token.expose().to_string();
                let tx = tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = report::write_secret_file(&std::env::temp_dir(), &raw);
                    let _ = tx.send(Action::TokenFileWritten(
                        result.map(|p| p.display().to_string()),
                    ));
                });
            }
        }
        Effect::Copy(text) => {
            if let Err(e) = crate::output::clipboard(&text) {
                app.log(LogLevel::Error, format!("copy failed: {e}"));
            }
        }
        // The runner's own: they need the terminal or the task handle.
        Effect::Repaint | Effect::Suspend | Effect::CancelFetch => {}
    }
}
