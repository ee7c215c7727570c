//! The UI's whole state and the one function that changes it. No I/O here: work that needs
//! the outside world (fetching, copying, quitting) is queued as an `Effect` for the runner.

use std::collections::VecDeque;

use chrono::FixedOffset;

use super::action::{Action, FetchKind};
use crate::arm::listing::Outcome;
use crate::arm::RequestRecord;
use crate::assets::Preset;
use crate::endpoint::{Endpoint, Fetched, Flavour};
use crate::error::Error;
use crate::token::{self, claims, Jwt};
use crate::watch::Timeline;

pub const TAB_NAMES: [&str; 4] = ["Token", "Watch", "ARM", "Log"];
pub const DEFAULT_INTERVAL: u64 = 5;
pub const MIN_INTERVAL: u64 = 1;
pub const MAX_INTERVAL: u64 = 300;
const LOG_CAPACITY: usize = 1000;
const NOTE_SECONDS: i64 = 4;
const LONG_NOTE_SECONDS: i64 = 30;
/// What a copy did: asked the terminal, which may or may not pass it to the clipboard.
const OSC52_SENT: &str = "sent to the terminal's clipboard via OSC 52 (in tmux: set-clipboard on)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Token,
    Watch,
    Arm,
    Log,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Token, Tab::Watch, Tab::Arm, Tab::Log];

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Resources,
    Panel,
}

/// What the runner must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Fetch {
        kind: FetchKind,
        resource: String,
    },
    /// Put this text on the clipboard through OSC 52.
    Copy(String),
    /// List the VMs through ARM, with a token for ARM (fetched for it when `resource` is not).
    ListVms {
        resource: String,
    },
    /// Run the doctor for `resource` and write the support report to a file.
    WriteReport {
        resource: String,
    },
}

/// The latest answer for the current resource, decoded once.
#[derive(Debug, Clone)]
pub struct Current {
    pub resource: String,
    pub fetched: Fetched,
    pub jwt: Result<Jwt, token::JwtError>,
}

impl Current {
    pub fn new(resource: String, fetched: Fetched) -> Self {
        let jwt = token::decode(fetched.token.access_token.expose());
        Self {
            resource,
            fetched,
            jwt,
        }
    }

    pub fn exp(&self) -> i64 {
        self.fetched.token.expires_on
    }

    /// Where the lifetime starts: nbf, else iat, else the endpoint's not_before.
    pub fn start(&self) -> Option<i64> {
        self.jwt
            .as_ref()
            .ok()
            .and_then(claims::lifetime_start)
            .or(self.fetched.token.not_before)
    }

    /// Disagreements worth a note: the answer's own warnings (expires_on against exp among
    /// them), and a token that does not decode.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = self.fetched.token.warnings.clone();
        if let Err(e) = &self.jwt {
            w.push(format!("the access token is not a readable JWT: {e}"));
        }
        w
    }

    /// Endpoint clock minus local clock, from the Date header.
    pub fn skew(&self) -> Option<i64> {
        self.fetched
            .server_date
            .map(|d| d - self.fetched.received_at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone)]
pub struct LogLine {
    pub at: i64,
    pub level: LogLevel,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct InFlight {
    pub resource: String,
    pub started: i64,
    pub retries: u32,
}

#[derive(Debug, Clone)]
pub struct WatchState {
    pub on: bool,
    pub interval: u64,
    pub next_at: i64,
    pub in_flight: bool,
    pub timeline: Timeline,
    /// The resource the timeline is about.
    pub resource: String,
}

/// One answer of the ARM listing, with every request it sent (also when it failed).
#[derive(Debug, Clone)]
pub struct ArmAnswer {
    /// Epoch seconds at completion.
    pub at: i64,
    pub token_note: Option<String>,
    pub requests: Vec<RequestRecord>,
    pub result: Result<Outcome, Error>,
}

/// What the ARM tab holds: the listing running, if any, and the last answer.
#[derive(Debug, Clone, Default)]
pub struct ArmPanel {
    /// Epoch seconds when the running listing started.
    pub listing_since: Option<i64>,
    pub last: Option<ArmAnswer>,
}

/// A modal state that takes the keys before the normal bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Help,
    Input(String),
    ConfirmCopyToken,
}

pub struct App {
    /// Epoch seconds, set by Tick: drawing reads the clock only from here.
    pub now: i64,
    /// The zone "local" times are shown in; None means the system's.
    pub local_offset: Option<FixedOffset>,
    pub no_color: bool,
    pub flavour: Flavour,
    pub endpoint_url: String,
    pub identity: String,
    pub demo: bool,
    pub resources: Vec<Preset>,
    pub selected: usize,
    pub resource: String,
    pub tab: Tab,
    pub focus: Focus,
    pub mode: Mode,
    pub current: Option<Current>,
    /// The last fetch of the current resource failed.
    pub error: Option<Error>,
    pub in_flight: Option<InFlight>,
    pub watch: WatchState,
    pub arm: ArmPanel,
    /// A support report is being written.
    pub report_in_flight: bool,
    pub log: VecDeque<LogLine>,
    pub reveal: bool,
    pub scroll: u16,
    /// How far the panel can scroll, as of the last frame; None before it is drawn.
    pub max_scroll: Option<u16>,
    pub note: Option<(String, i64)>,
    pub quit: bool,
    pub effects: Vec<Effect>,
}

impl App {
    pub fn new(endpoint: &Endpoint, resource: &str, presets: Vec<Preset>, now: i64) -> Self {
        let mut resources = presets;
        let selected = match resources
            .iter()
            .position(|p| same_resource(&p.resource, resource))
        {
            Some(i) => i,
            None => {
                resources.push(custom(resource));
                resources.len() - 1
            }
        };
        Self {
            now,
            local_offset: None,
            no_color: false,
            flavour: endpoint.flavour,
            endpoint_url: endpoint.url.clone(),
            identity: endpoint.identity.to_string(),
            demo: endpoint.detected_from.iter().any(|d| d == "--demo"),
            resources,
            selected,
            resource: resource.to_string(),
            tab: Tab::Token,
            focus: Focus::Resources,
            mode: Mode::Normal,
            current: None,
            error: None,
            in_flight: None,
            watch: WatchState {
                on: false,
                interval: DEFAULT_INTERVAL,
                next_at: now,
                in_flight: false,
                timeline: Timeline::default(),
                resource: resource.to_string(),
            },
            arm: ArmPanel::default(),
            report_in_flight: false,
            log: VecDeque::new(),
            reveal: false,
            scroll: 0,
            max_scroll: None,
            note: None,
            quit: false,
            effects: Vec::new(),
        }
    }

    pub fn log(&mut self, level: LogLevel, text: impl Into<String>) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogLine {
            at: self.now,
            level,
            text: text.into(),
        });
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.note = Some((text.into(), self.now + NOTE_SECONDS));
    }

    /// A note that stays long enough to be read out or copied (a file path).
    fn long_note(&mut self, text: impl Into<String>) {
        self.note = Some((text.into(), self.now + LONG_NOTE_SECONDS));
    }

    /// The note to show now, if it has not timed out.
    pub fn active_note(&self) -> Option<&str> {
        self.note
            .as_ref()
            .filter(|(_, until)| self.now < *until)
            .map(|(t, _)| t.as_str())
    }

    /// Start a user fetch of `resource`, unless one is already running.
    fn start_fetch(&mut self, resource: String) {
        if let Some(f) = &self.in_flight {
            let msg = format!(
                "a fetch of {} is already in flight ({} s); wait for it",
                f.resource,
                self.now - f.started
            );
            self.note(msg);
            return;
        }
        if !same_resource(&resource, &self.resource) {
            self.switch_resource(&resource);
        }
        self.log(LogLevel::Info, format!("fetching a token for {resource}"));
        self.in_flight = Some(InFlight {
            resource: resource.clone(),
            started: self.now,
            retries: 0,
        });
        self.effects.push(Effect::Fetch {
            kind: FetchKind::User,
            resource,
        });
    }

    fn switch_resource(&mut self, resource: &str) {
        self.resource = resource.to_string();
        self.current = None;
        self.error = None;
        self.reveal = false;
        self.scroll = 0;
        if self.watch.on {
            self.log(
                LogLevel::Info,
                format!("watch restarted for {resource} (timeline reset)"),
            );
        } else if self.watch.timeline.events().len() > 0 {
            self.log(
                LogLevel::Info,
                format!("watch timeline reset for {resource}"),
            );
        }
        self.watch.timeline = Timeline::default();
        self.watch.resource = resource.to_string();
        self.watch.next_at = self.now;
    }

    fn on_fetched(
        &mut self,
        kind: FetchKind,
        resource: String,
        at: i64,
        latency: std::time::Duration,
        result: Result<Fetched, Error>,
    ) {
        let ms = latency.as_millis();
        let what = match kind {
            FetchKind::User => "fetch",
            FetchKind::Poll => "poll",
        };
        match kind {
            FetchKind::User => self.in_flight = None,
            FetchKind::Poll => self.watch.in_flight = false,
        }
        let ours = same_resource(&resource, &self.resource);
        if kind == FetchKind::Poll && ours {
            let ev = self.watch.timeline.record(at, latency, &result).clone();
            if let Some(before) = ev.refreshed_before_expiry_s {
                self.log(
                    LogLevel::Info,
                    format!("the endpoint refreshed the token {before} s before expiry"),
                );
            }
            for w in &ev.warnings {
                self.log(LogLevel::Warn, w.clone());
            }
        }
        match result {
            // A poll that changes nothing is in the Watch tab; the log keeps what matters.
            Ok(f) if kind == FetchKind::Poll && !self.is_news(&f) => {
                if ours {
                    self.current = Some(Current::new(resource, f));
                    self.error = None;
                }
            }
            Ok(f) => {
                let retries = if f.retries > 0 {
                    format!(" after {} retries", f.retries)
                } else {
                    String::new()
                };
                self.log(
                    LogLevel::Info,
                    format!(
                        "{what} {resource}: {} in {ms} ms{retries}, expires {}",
                        f.token.access_token.fingerprint(),
                        claims::relative(f.token.expires_on - at)
                    ),
                );
                if ours {
                    let cur = Current::new(resource, f);
                    for w in cur.warnings() {
                        self.log(LogLevel::Warn, w);
                    }
                    let same = self.current.as_ref().is_some_and(|c| {
                        c.fetched.token.access_token == cur.fetched.token.access_token
                    });
                    if !same {
                        self.reveal = false;
                    }
                    self.current = Some(cur);
                    self.error = None;
                }
            }
            Err(e) => {
                self.log(
                    LogLevel::Error,
                    format!("{what} {resource} failed after {ms} ms: {e}"),
                );
                if ours {
                    self.error = Some(e);
                }
            }
        }
    }

    fn on_vms_listed(&mut self, answer: ArmAnswer) {
        self.arm.listing_since = None;
        if let Some(n) = &answer.token_note {
            self.log(LogLevel::Info, n.clone());
        }
        match &answer.result {
            Ok(o) => {
                let n = o.list.vms.len();
                self.log(
                    LogLevel::Info,
                    format!(
                        "ARM: {n} VM{} in {} page{} of subscription {} (from {})",
                        plural(n),
                        o.list.pages,
                        plural(o.list.pages as usize),
                        o.subscription.id,
                        o.subscription.source.describe()
                    ),
                );
                for note in &o.subscription.notes {
                    self.log(LogLevel::Info, note.clone());
                }
            }
            Err(e) => self.log(LogLevel::Error, format!("listing VMs failed: {e}")),
        }
        for r in &answer.requests {
            self.log(LogLevel::Info, format!("request {}", r.line()));
        }
        self.arm.last = Some(answer);
        if self.tab == Tab::Arm {
            self.scroll = 0;
        }
    }

    /// A poll result worth logging: a different token than the one shown.
    fn is_news(&self, f: &Fetched) -> bool {
        self.current
            .as_ref()
            .is_none_or(|c| c.fetched.token.access_token != f.token.access_token)
    }

    fn claims_json(&self) -> Option<String> {
        let jwt = self.current.as_ref()?.jwt.as_ref().ok()?;
        serde_json::to_string_pretty(&token::jwt_json(jwt)).ok()
    }

    /// Lifetime used, 0.0 to 1.0, and seconds left.
    pub fn expiry(&self) -> Option<(f64, i64)> {
        let c = self.current.as_ref()?;
        let exp = c.exp();
        let left = exp - self.now;
        let used = match c.start() {
            Some(s) if exp > s => ((self.now - s) as f64 / (exp - s) as f64).clamp(0.0, 1.0),
            _ => {
                if left > 0 {
                    0.0
                } else {
                    1.0
                }
            }
        };
        Some((used, left))
    }

    /// The line printed to the terminal's scrollback when the UI closes.
    pub fn exit_line(&self) -> String {
        match &self.current {
            Some(c) => format!(
                "tokscope: {} {} expires {} ({})",
                c.resource,
                c.fetched.token.access_token.fingerprint(),
                claims::utc_string(c.exp()),
                claims::relative(c.exp() - self.now)
            ),
            None => match &self.error {
                Some(e) => format!("tokscope: {} fetch failed: {}", self.resource, e.headline()),
                None => format!("tokscope: {} no token fetched", self.resource),
            },
        }
    }
}

fn custom(resource: &str) -> Preset {
    Preset {
        name: "Custom".into(),
        resource: resource.to_string(),
    }
}

/// Resources match with or without a trailing slash, as Entra treats them.
pub fn same_resource(a: &str, b: &str) -> bool {
    crate::token::claims::same_audience(a, b)
}

/// Apply one action. The only place the state changes.
pub fn update(app: &mut App, action: Action) {
    match action {
        Action::Tick(now) => {
            app.now = now;
            if app.watch.on && !app.watch.in_flight && now >= app.watch.next_at {
                app.watch.in_flight = true;
                app.watch.next_at = now + app.watch.interval as i64;
                app.effects.push(Effect::Fetch {
                    kind: FetchKind::Poll,
                    resource: app.resource.clone(),
                });
            }
        }
        Action::Resize => {}
        Action::Quit => app.quit = true,
        Action::ToggleHelp => {
            app.mode = if app.mode == Mode::Help {
                Mode::Normal
            } else {
                Mode::Help
            }
        }
        Action::Close | Action::CancelConfirm => {
            if app.mode == Mode::ConfirmCopyToken {
                app.note("token not copied");
            }
            app.mode = Mode::Normal;
        }
        Action::NextTab => go_tab(app, (app.tab.index() + 1) % Tab::ALL.len()),
        Action::PrevTab => go_tab(app, (app.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()),
        Action::GoTab(i) => go_tab(app, i.min(Tab::ALL.len() - 1)),
        // The ARM tab has its own table to move in; the resource list plays no part there.
        Action::Up if app.tab == Tab::Arm => app.scroll = app.scroll.saturating_sub(1),
        Action::Down if app.tab == Tab::Arm => scroll_to(app, app.scroll.saturating_add(1)),
        Action::Up => match app.focus {
            Focus::Resources => app.selected = app.selected.saturating_sub(1),
            Focus::Panel => app.scroll = app.scroll.saturating_sub(1),
        },
        Action::Down => match app.focus {
            Focus::Resources => {
                app.selected = (app.selected + 1).min(app.resources.len().saturating_sub(1))
            }
            Focus::Panel => scroll_to(app, app.scroll.saturating_add(1)),
        },
        Action::FocusResources => app.focus = Focus::Resources,
        Action::FocusPanel => app.focus = Focus::Panel,
        Action::PageUp => app.scroll = app.scroll.saturating_sub(10),
        Action::PageDown => scroll_to(app, app.scroll.saturating_add(10)),
        Action::ScrollTop => app.scroll = 0,
        Action::ScrollBottom => scroll_to(app, app.max_scroll.unwrap_or(u16::MAX)),
        Action::Drawn { max_scroll } => {
            app.max_scroll = Some(max_scroll);
            scroll_to(app, app.scroll);
        }
        Action::FetchSelected => {
            if let Some(p) = app.resources.get(app.selected) {
                let r = p.resource.clone();
                app.start_fetch(r);
            }
        }
        Action::Refetch => {
            let r = app.resource.clone();
            app.start_fetch(r);
        }
        Action::ToggleWatch => {
            app.watch.on = !app.watch.on;
            if app.watch.on {
                app.watch.next_at = app.now;
                app.log(
                    LogLevel::Info,
                    format!(
                        "watch on: polling {} every {} s",
                        app.resource, app.watch.interval
                    ),
                );
                app.note(format!("watch on, every {} s", app.watch.interval));
                update(app, Action::Tick(app.now));
            } else {
                app.log(LogLevel::Info, "watch off");
                app.note("watch off");
            }
        }
        Action::IntervalLonger | Action::IntervalShorter => {
            let i = app.watch.interval;
            let next = if matches!(action, Action::IntervalLonger) {
                step_up(i)
            } else {
                step_down(i)
            };
            app.watch.interval = next.clamp(MIN_INTERVAL, MAX_INTERVAL);
            // Bring the next poll in line with the new interval.
            app.watch.next_at = app.watch.next_at.min(app.now + app.watch.interval as i64);
            app.note(format!("watch interval {} s", app.watch.interval));
        }
        Action::StartInput => app.mode = Mode::Input(String::new()),
        Action::InputChar(c) => {
            if let Mode::Input(s) = &mut app.mode {
                if !c.is_control() && s.len() < 512 {
                    s.push(c);
                }
            }
        }
        Action::InputBackspace => {
            if let Mode::Input(s) = &mut app.mode {
                s.pop();
            }
        }
        Action::InputCancel => app.mode = Mode::Normal,
        Action::InputSubmit => {
            let text = match &app.mode {
                Mode::Input(s) => s.trim().to_string(),
                _ => return,
            };
            app.mode = Mode::Normal;
            if text.is_empty() {
                return;
            }
            let i = match app
                .resources
                .iter()
                .position(|p| same_resource(&p.resource, &text))
            {
                Some(i) => i,
                None => {
                    app.resources.push(custom(&text));
                    app.resources.len() - 1
                }
            };
            app.selected = i;
            app.start_fetch(text);
        }
        Action::ToggleReveal => {
            if app.current.is_some() {
                app.reveal = !app.reveal;
                app.log(
                    LogLevel::Warn,
                    if app.reveal {
                        "token revealed on screen"
                    } else {
                        "token hidden"
                    },
                );
                if app.reveal {
                    app.tab = Tab::Token;
                }
            } else {
                app.note("no token to reveal yet");
            }
        }
        Action::CopyClaims => match app.claims_json() {
            Some(j) => {
                app.effects.push(Effect::Copy(j));
                // OSC 52 is a request to the terminal; nothing reports whether it obeyed.
                let msg = format!("claims {OSC52_SENT}");
                app.log(LogLevel::Info, msg.clone());
                app.note(msg);
            }
            None => app.note("no decoded claims to copy"),
        },
        Action::AskCopyToken => {
            if app.current.is_some() {
                app.mode = Mode::ConfirmCopyToken;
            } else {
                app.note("no token to copy yet");
            }
        }
        Action::ConfirmCopyToken => {
            app.mode = Mode::Normal;
            if let Some(c) = &app.current {
                let raw = c.fetched.token.access_token.expose().to_string();
                app.effects.push(Effect::Copy(raw));
                app.log(LogLevel::Warn, format!("token {OSC52_SENT}"));
                app.long_note(format!(
                    "token {OSC52_SENT}: it is a secret, clear the clipboard after use"
                ));
            }
        }
        Action::Retrying(n) => {
            if let Some(f) = &mut app.in_flight {
                f.retries = n.retry;
            }
            let status = n.status.map(|s| format!("HTTP {s}")).unwrap_or_default();
            app.log(
                LogLevel::Warn,
                format!(
                    "{status}: retry {} in {:.1} s",
                    n.retry,
                    n.wait.as_secs_f64()
                ),
            );
        }
        Action::Fetched {
            kind,
            resource,
            at,
            latency,
            result,
        } => app.on_fetched(kind, resource, at, latency, *result),
        Action::ListVms => {
            if app.tab != Tab::Arm {
                go_tab(app, Tab::Arm.index());
            }
            if let Some(since) = app.arm.listing_since {
                let msg = format!("VMs are being listed ({} s); wait for it", app.now - since);
                app.note(msg);
                return;
            }
            app.arm.listing_since = Some(app.now);
            app.log(LogLevel::Info, "listing VMs through ARM");
            app.effects.push(Effect::ListVms {
                resource: app.resource.clone(),
            });
        }
        Action::VmsListed(answer) => app.on_vms_listed(*answer),
        Action::WriteReport => {
            if app.report_in_flight {
                app.note("a report is being written; wait for it");
                return;
            }
            app.report_in_flight = true;
            app.log(
                LogLevel::Info,
                format!("writing a support report for {}", app.resource),
            );
            app.note("writing the support report…");
            app.effects.push(Effect::WriteReport {
                resource: app.resource.clone(),
            });
        }
        Action::ReportWritten(result) => {
            app.report_in_flight = false;
            match result {
                Ok(path) => {
                    app.log(LogLevel::Info, format!("report written to {path}"));
                    app.long_note(format!("report written to {path}"));
                }
                Err(e) => {
                    app.log(LogLevel::Error, format!("the report was not written: {e}"));
                    app.long_note(format!("report not written: {}", e.message));
                }
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn go_tab(app: &mut App, i: usize) {
    app.tab = Tab::ALL[i];
    app.scroll = 0;
    app.max_scroll = None;
}

/// Scroll to `to`, but not past the last line the last frame had.
fn scroll_to(app: &mut App, to: u16) {
    app.scroll = to.min(app.max_scroll.unwrap_or(u16::MAX));
}

/// Interval steps: by 1 s up to 10, by 5 up to 60, by 30 beyond.
fn step_up(i: u64) -> u64 {
    match i {
        0..=9 => i + 1,
        10..=59 => i + 5,
        _ => i + 30,
    }
}

fn step_down(i: u64) -> u64 {
    match i {
        0..=10 => i.saturating_sub(1),
        11..=60 => i - 5,
        _ => i - 30,
    }
}
