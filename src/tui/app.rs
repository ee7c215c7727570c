//! The UI's state and the one function that changes it. `App` holds what the session knows
//! (the endpoint, the token shown, the fetch running) and routes: each tab's own state and
//! actions live in its module under `tabs/`, reached through `Tab::module`. No I/O here: work
//! that needs the outside world (fetching, copying, suspending) is queued as an `Effect`.

use chrono::FixedOffset;

use super::action::{Action, FetchId, FetchKind, Job};
use super::editor::LineEditor;
use super::keys::{Confirm, Edit};
use crate::assets::Preset;
use crate::display_url::DisplayUrl;
use crate::endpoint::{Endpoint, Fetched, Flavour};
use crate::error::Error;
use crate::sanitize::ClipboardText;
use crate::token::{self, claims, Jwt};

pub use super::tabs::arm::{ArmAnswer, ArmPanel, WhyAnswer};
pub use super::tabs::log::{LogLevel, LogLine, LogPanel};
pub use super::tabs::token::TokenPanel;
pub use super::tabs::watch::{PollRetry, WatchPanel, DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL};
pub use super::tabs::{Move, Scroll, Tab};

const NOTE_SECONDS: i64 = 4;
const LONG_NOTE_SECONDS: i64 = 30;
/// How long `s` shows the token before hiding it again.
pub const REVEAL_SECONDS: i64 = 30;
/// What a copy did: asked the terminal, which may or may not pass it to the clipboard.
pub const OSC52_SENT: &str =
    "sent to the terminal's clipboard via OSC 52 (in tmux: set-clipboard on)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Resources,
    Panel,
}

/// What the runner must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Fetch {
        id: FetchId,
        kind: FetchKind,
        resource: String,
    },
    /// Stop the running user fetch (its retries too).
    CancelFetch,
    /// Put this text on the clipboard through OSC 52 (only gated text: see `ClipboardText`).
    Copy(ClipboardText),
    /// Write the token to a new file only the user can read.
    WriteTokenFile,
    /// List the VMs through ARM, with a token for ARM (fetched for it when `resource` is not).
    ListVms { resource: String },
    /// Ask why the VM listing was refused (`tokscope why` on the same request).
    Why { resource: String },
    /// Run the doctor for `resource` and write the support report, with what the session saw.
    WriteReport { resource: String, session: String },
    /// Clear the terminal and draw everything again.
    Repaint,
    /// Give the terminal back, stop until resumed, take it again.
    Suspend,
}

/// The latest answer for the current resource, decoded once.
#[derive(Debug, Clone)]
pub struct Current {
    pub resource: String,
    pub fetched: Fetched,
    pub jwt: Result<Jwt, token::JwtError>,
    /// Whether the identity that answered is the one asked for; set by [`Current::checked`].
    pub identity_check: Option<crate::identity_check::IdentityCheck>,
}

impl Current {
    pub fn new(resource: String, fetched: Fetched) -> Self {
        let jwt = fetched.token.jwt.clone();
        Self {
            resource,
            fetched,
            jwt,
            identity_check: None,
        }
    }

    /// With the identity check against what the session asked for.
    pub fn checked(mut self, flavour: Flavour, asked: &crate::endpoint::Identity) -> Self {
        self.identity_check = Some(crate::identity_check::check_for(
            flavour,
            asked,
            &self.fetched.token,
        ));
        self
    }

    /// The identity check, when another identity answered than the one asked for.
    pub fn mismatch(&self) -> Option<&crate::identity_check::IdentityCheck> {
        self.identity_check.as_ref().filter(|c| c.mismatch())
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

    /// Every warning `tokscope get` prints for this answer, in its order: the parser's notes
    /// on the answer, the endpoint's notes, what the token itself shows, and a token that does
    /// not decode.
    pub fn warnings(&self, endpoint_notes: &[String], now: i64) -> Vec<String> {
        crate::inspect::inspect(endpoint_notes, &self.resource, &self.fetched, now).warnings
    }

    /// Endpoint clock minus local clock, from the Date header.
    pub fn skew(&self) -> Option<i64> {
        self.fetched
            .server_date
            .map(|d| d - self.fetched.received_at)
    }
}

/// A token pasted into the prompt, decoded for inspection; never fetched, never shown raw.
#[derive(Debug, Clone)]
pub struct Pasted {
    pub jwt: Jwt,
    pub fingerprint: String,
    pub chars: usize,
}

#[derive(Debug, Clone)]
pub struct InFlight {
    pub id: FetchId,
    pub resource: String,
    pub started: i64,
    pub retries: u32,
    /// The last retry announced: status and seconds to wait.
    pub last_retry: Option<(Option<u16>, f64)>,
}

/// A modal state that takes the keys before the normal bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// The help overlay, scrolled this far.
    Help(u16),
    Input(LineEditor),
    /// A question before something that shows or copies the token; only its yes keys say yes.
    Confirm(Confirm),
}

#[derive(Clone)]
pub struct App {
    /// Epoch seconds, set by Tick: drawing reads the clock only from here.
    pub now: i64,
    /// The zone "local" times are shown in; None means the system's.
    pub local_offset: Option<FixedOffset>,
    /// Times in UTC (the default) or in the local zone; `t` switches.
    pub utc: bool,
    pub no_color: bool,
    /// Plain ASCII glyphs, for terminals and locales without them.
    pub ascii: bool,
    pub flavour: Flavour,
    /// The endpoint, for the verdict's identity check.
    pub endpoint: Endpoint,
    pub endpoint_url: DisplayUrl,
    /// What chose the endpoint (env vars, flags), as `get` says it.
    pub detected_from: Vec<String>,
    pub endpoint_notes: Vec<String>,
    pub identity: String,
    /// The identity the session asks for, which each answer is checked against.
    pub asked: crate::endpoint::Identity,
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
    /// The last user fetch: when it ended and whether it failed, for the report.
    pub last_fetch: Option<(i64, Result<String, Error>)>,
    pub pasted: Option<Pasted>,
    pub token: TokenPanel,
    pub watch: WatchPanel,
    pub arm: ArmPanel,
    pub log: LogPanel,
    /// A support report is being written.
    pub report_in_flight: bool,
    /// The token is on screen until this epoch second.
    pub reveal_until: Option<i64>,
    pub zoom: bool,
    /// Whether the last frame had room for the resource list.
    pub list_shown: bool,
    pub help_max: u16,
    /// Rows of help on screen, as of the last frame.
    pub help_page: u16,
    /// The cloud whose ARM the ARM tab calls (`--cloud`).
    pub arm_cloud: crate::arm::Cloud,
    pub note: Option<(String, i64)>,
    /// The note is about work running, and goes when that work ends.
    note_job: bool,
    pub quit: bool,
    pub effects: Vec<Effect>,
    /// The last fetch id given out.
    last_fetch_id: u64,
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
            utc: true,
            no_color: false,
            ascii: false,
            flavour: endpoint.flavour,
            endpoint: endpoint.clone(),
            endpoint_url: endpoint.url.display().clone(),
            detected_from: endpoint.detected_from.clone(),
            endpoint_notes: endpoint.notes.clone(),
            identity: crate::inspect::identity_label(endpoint, None),
            asked: endpoint.identity.clone(),
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
            last_fetch: None,
            pasted: None,
            token: TokenPanel::default(),
            watch: WatchPanel::new(resource, now),
            arm: ArmPanel::default(),
            log: LogPanel::default(),
            report_in_flight: false,
            reveal_until: None,
            zoom: false,
            list_shown: true,
            help_max: 0,
            help_page: 0,
            arm_cloud: crate::arm::Cloud::Public,
            note: None,
            note_job: false,
            quit: false,
            effects: Vec::new(),
            last_fetch_id: 0,
        }
    }

    /// A new id for a fetch about to start.
    pub fn new_fetch_id(&mut self) -> FetchId {
        self.last_fetch_id += 1;
        FetchId(self.last_fetch_id)
    }

    /// Bring `tab` on screen.
    pub fn go_tab(&mut self, tab: Tab) {
        self.tab = tab;
        // Each tab keeps its own place, unless it says otherwise on coming back.
        (tab.module().entered)(self);
    }

    pub fn log(&mut self, level: LogLevel, text: impl Into<String>) {
        self.log.push(self.now, level, text.into());
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.note = Some((text.into(), self.now + NOTE_SECONDS));
        self.note_job = false;
    }

    /// A note about work running ("a fetch is in flight"): gone as soon as work ends, so
    /// it never outlives what it describes.
    pub fn job_note(&mut self, text: impl Into<String>) {
        self.note(text);
        self.note_job = true;
    }

    /// Some work ended: a note about work running is stale now.
    pub fn job_done(&mut self) {
        if self.note_job {
            self.note = None;
            self.note_job = false;
        }
    }

    /// A note that stays long enough to be read out or copied (a file path).
    pub fn long_note(&mut self, text: impl Into<String>) {
        self.note = Some((text.into(), self.now + LONG_NOTE_SECONDS));
        self.note_job = false;
    }

    /// The note to show now, if it has not timed out.
    pub fn active_note(&self) -> Option<&str> {
        self.note
            .as_ref()
            .filter(|(_, until)| self.now < *until)
            .map(|(t, _)| t.as_str())
    }

    pub fn revealed(&self) -> bool {
        self.current.is_some() && self.reveal_until.is_some_and(|u| self.now < u)
    }

    /// The warnings for the fetched token, as `get` prints them.
    pub fn warnings(&self) -> Vec<String> {
        self.current
            .as_ref()
            .map(|c| {
                crate::inspect::inspect_at(&self.endpoint, &c.resource, &c.fetched, self.now)
                    .warnings
            })
            .unwrap_or_default()
    }

    /// The core's verdict on the token on screen: a pasted one while it is shown (judged as
    /// `decode` judges it), else the fetched one (as `get` judges it).
    pub fn verdict(&self) -> Option<crate::verdict::Verdict> {
        match (&self.pasted, &self.current) {
            (Some(p), _) => Some(crate::verdict::token(
                &crate::verdict::TokenInput {
                    jwt: Some(Ok(&p.jwt)),
                    ..Default::default()
                },
                self.now,
            )),
            (None, Some(c)) => Some(
                crate::inspect::inspect_at(&self.endpoint, &c.resource, &c.fetched, self.now)
                    .verdict,
            ),
            (None, None) => None,
        }
    }

    /// The claims then header fields of the token shown, in the Token tab's order.
    pub fn fields(&self) -> Vec<(String, serde_json::Value)> {
        let jwt = match (&self.pasted, &self.current) {
            (Some(p), _) => Some(&p.jwt),
            (None, Some(c)) => c.jwt.as_ref().ok(),
            _ => None,
        };
        let Some(jwt) = jwt else {
            return Vec::new();
        };
        jwt.claims
            .iter()
            .chain(jwt.header.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The current tab's scroll.
    pub fn scroll(&self) -> &Scroll {
        (self.tab.module().scroll)(self)
    }

    /// Start a user fetch of `resource`, unless one is already running.
    fn start_fetch(&mut self, resource: String) {
        if let Some(f) = &self.in_flight {
            let msg = format!(
                "a fetch of {} is in flight ({} s); {} cancels it",
                f.resource,
                self.now - f.started,
                super::keys::key(&Action::Cancel)
            );
            self.job_note(msg);
            return;
        }
        self.pasted = None;
        if !same_resource(&resource, &self.resource) {
            self.switch_resource(&resource);
        }
        self.log(LogLevel::Info, format!("fetching a token for {resource}"));
        let id = self.new_fetch_id();
        self.in_flight = Some(InFlight {
            id,
            resource: resource.clone(),
            started: self.now,
            retries: 0,
            last_retry: None,
        });
        self.effects.push(Effect::Fetch {
            id,
            kind: FetchKind::User,
            resource,
        });
    }

    fn cancel(&mut self) {
        if let Some(f) = self.in_flight.take() {
            self.effects.push(Effect::CancelFetch);
            let msg = format!(
                "fetch of {} cancelled after {} s",
                f.resource,
                self.now - f.started
            );
            self.log(LogLevel::Info, msg.clone());
            self.note(msg);
        } else if self.revealed() {
            self.reveal_until = None;
            self.log(LogLevel::Warn, "token hidden");
        } else if self.pasted.take().is_some() {
            self.note("pasted token closed");
        } else if self.zoom {
            self.zoom = false;
        }
    }

    fn switch_resource(&mut self, resource: &str) {
        self.resource = resource.to_string();
        self.current = None;
        self.error = None;
        self.reveal_until = None;
        self.token = TokenPanel::default();
        let restored = self.watch.switch(resource);
        if self.watch.on {
            self.log(LogLevel::Info, format!("watch restarted for {resource}"));
        }
        if restored {
            self.log(
                LogLevel::Info,
                format!("watch history of {resource} restored"),
            );
        }
        self.watch.next_at = self.now;
    }

    /// Which fetch an answer or a retry belongs to: the user's, the watch's poll, or one no
    /// longer awaited (cancelled), whose reports are dropped.
    fn fetch_kind(&self, id: FetchId) -> Option<FetchKind> {
        if self.in_flight.as_ref().is_some_and(|f| f.id == id) {
            Some(FetchKind::User)
        } else if self.watch.polling == Some(id) {
            Some(FetchKind::Poll)
        } else {
            None
        }
    }

    fn on_retrying(&mut self, job: Job, n: &crate::endpoint::RetryNote) {
        let status = n
            .status
            .map(|s| format!("HTTP {s}"))
            .unwrap_or_else(|| "no answer".into());
        let wait = n.wait.as_secs_f64();
        let what = match job {
            Job::Fetch(id) => match self.fetch_kind(id) {
                Some(FetchKind::User) => {
                    if let Some(f) = &mut self.in_flight {
                        f.retries = n.retry;
                        f.last_retry = Some((n.status, wait));
                    }
                    "fetch"
                }
                Some(FetchKind::Poll) => {
                    super::tabs::watch::retrying(self, n);
                    "poll"
                }
                None => return,
            },
            Job::ArmListing => "ARM token fetch",
        };
        self.log(
            LogLevel::Warn,
            format!(
                "{what}: retry {} after {status}, next in {wait:.1} s",
                n.retry
            ),
        );
    }

    fn on_fetched(
        &mut self,
        id: FetchId,
        resource: String,
        at: i64,
        latency: std::time::Duration,
        result: Result<Fetched, Error>,
    ) {
        let Some(kind) = self.fetch_kind(id) else {
            // An answer to a fetch the user cancelled: it is no longer wanted.
            return;
        };
        self.job_done();
        let ms = latency.as_millis();
        let what = match kind {
            FetchKind::User => "fetch",
            FetchKind::Poll => "poll",
        };
        let ours = same_resource(&resource, &self.resource);
        // A user's token names its holder: the header says whose it is, not what was asked.
        if let Some(user @ crate::inspect::IdentityKind::User { .. }) = result
            .as_ref()
            .ok()
            .and_then(|f| f.token.jwt.as_ref().ok())
            .map(crate::inspect::identity_kind)
        {
            self.identity = user.to_string();
        }
        match kind {
            FetchKind::User => {
                self.in_flight = None;
                self.last_fetch = Some((
                    at,
                    result
                        .as_ref()
                        .map(|f| f.token.access_token.fingerprint())
                        .map_err(Clone::clone),
                ));
            }
            FetchKind::Poll => super::tabs::watch::polled(self, ours, at, latency, &result),
        }
        match result {
            // A poll that changes nothing is in the Watch tab; the log keeps what matters.
            Ok(f) if kind == FetchKind::Poll && !self.is_news(&f) => {
                if ours {
                    self.current =
                        Some(Current::new(resource, f).checked(self.flavour, &self.asked));
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
                    let cur = Current::new(resource, f).checked(self.flavour, &self.asked);
                    for w in cur.warnings(&self.endpoint_notes, at) {
                        self.log(LogLevel::Warn, w);
                    }
                    if let Some(m) = cur.mismatch() {
                        let cause = m.cause.clone().unwrap_or_default();
                        self.log(LogLevel::Error, format!("{} — {cause}", m.summary()));
                    }
                    let same = self.current.as_ref().is_some_and(|c| {
                        c.fetched.token.access_token == cur.fetched.token.access_token
                    });
                    if !same {
                        self.reveal_until = None;
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

    /// A poll result worth logging: a different token than the one shown.
    fn is_news(&self, f: &Fetched) -> bool {
        self.current
            .as_ref()
            .is_none_or(|c| c.fetched.token.access_token != f.token.access_token)
    }

    pub fn claims_json(&self) -> Option<ClipboardText> {
        let jwt = match &self.pasted {
            Some(p) => &p.jwt,
            None => self.current.as_ref()?.jwt.as_ref().ok()?,
        };
        Some(ClipboardText::json(&token::jwt_json(jwt)))
    }

    /// Lifetime used, 0.0 to 1.0, and seconds left, on the endpoint's clock when its Date
    /// header says the two clocks disagree.
    pub fn expiry(&self) -> Option<(f64, i64)> {
        let c = self.current.as_ref()?;
        let exp = c.exp();
        let now = self.now + c.skew().unwrap_or(0);
        let left = exp - now;
        let used = match c.start() {
            Some(s) if exp > s => ((now - s) as f64 / (exp - s) as f64).clamp(0.0, 1.0),
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
                "tokscope: {} {} expires {} UTC ({})",
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

    fn submit_input(&mut self, editor: LineEditor) {
        let text = editor.text();
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if looks_like_jwt(text) {
            match token::decode(text) {
                Ok(jwt) => {
                    let fingerprint = crate::secret::fingerprint_of(token::jwt::clean(text));
                    self.log(
                        LogLevel::Info,
                        format!(
                            "pasted token {fingerprint} decoded (not fetched; {} closes it)",
                            super::keys::key(&Action::Cancel)
                        ),
                    );
                    self.pasted = Some(Pasted {
                        jwt,
                        fingerprint,
                        chars: text.chars().count(),
                    });
                    self.token = TokenPanel::default();
                    self.go_tab(Tab::Token);
                }
                Err(e) => self.long_note(format!("the pasted text is not a readable JWT: {e}")),
            }
            return;
        }
        let i = match self
            .resources
            .iter()
            .position(|p| same_resource(&p.resource, text))
        {
            Some(i) => i,
            None => {
                self.resources.push(custom(text));
                self.resources.len() - 1
            }
        };
        self.selected = i;
        self.start_fetch(text.to_string());
    }

    /// A move key: help scrolls while it is open, the resource list moves while it has the
    /// keys, else the tab on screen decides.
    fn moved(&mut self, m: Move) {
        if let Mode::Help(s) = &mut self.mode {
            let page = self.help_page.max(2) - 1;
            *s = match m {
                Move::Up => s.saturating_sub(1),
                Move::Down => s.saturating_add(1),
                Move::PageUp => s.saturating_sub(page),
                Move::PageDown => s.saturating_add(page),
                Move::Top => 0,
                Move::Bottom => self.help_max,
            }
            .min(self.help_max);
            return;
        }
        let list =
            self.focus == Focus::Resources && self.list_shown && self.tab.module().list_takes_keys;
        let delta = match m {
            Move::Up => -1,
            Move::Down => 1,
            _ => 0,
        };
        if list && delta != 0 {
            let last = self.resources.len().saturating_sub(1);
            self.selected = super::tabs::step(self.selected, delta).min(last);
            return;
        }
        (self.tab.module().moved)(self, m);
    }

    /// `s`: hide the token shown, or ask before showing it.
    fn toggle_reveal(&mut self) {
        if self.current.is_none() {
            self.note("no token to reveal yet");
        } else if self.revealed() {
            self.reveal_until = None;
            self.log(LogLevel::Warn, "token hidden");
        } else {
            self.mode = Mode::Confirm(Confirm::Reveal);
        }
    }

    fn reveal(&mut self) {
        self.mode = Mode::Normal;
        if self.current.is_some() {
            self.reveal_until = Some(self.now + REVEAL_SECONDS);
            self.pasted = None;
            self.log(LogLevel::Warn, "token revealed on screen");
            self.go_tab(Tab::Token);
        }
    }
}

/// Whether typed or pasted text is a JWT rather than a resource: never to be echoed.
pub fn looks_like_jwt(text: &str) -> bool {
    let t = token::jwt::clean(text);
    t.starts_with("eyJ") && t.split('.').count() >= 2 && !t.contains('/')
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

/// Apply one action. The only place the state changes: what is the session's here, what is a
/// tab's in its module.
pub fn update(app: &mut App, action: Action) {
    use super::tabs::{arm, token, watch};
    match action {
        Action::Tick(now) => {
            app.now = now;
            if app.reveal_until.is_some_and(|u| now >= u) {
                app.reveal_until = None;
                app.log(LogLevel::Info, "token hidden again");
            }
            watch::tick(app);
        }
        Action::Resize => {}
        Action::Quit => app.quit = true,
        Action::ToggleHelp => {
            app.mode = if matches!(app.mode, Mode::Help(_)) {
                Mode::Normal
            } else {
                Mode::Help(0)
            }
        }
        Action::CancelConfirm => {
            match app.mode {
                Mode::Confirm(Confirm::CopyToken) => app.note("token not copied"),
                Mode::Confirm(Confirm::Reveal) => app.note("token not shown"),
                _ => {}
            }
            app.mode = Mode::Normal;
        }
        Action::Cancel => match app.mode {
            Mode::Normal => app.cancel(),
            _ => app.mode = Mode::Normal,
        },
        Action::NextTab => go_tab_index(app, (app.tab.index() + 1) % Tab::ALL.len()),
        Action::PrevTab => {
            go_tab_index(app, (app.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len())
        }
        Action::GoTab(i) => go_tab_index(app, i.min(Tab::ALL.len() - 1)),
        Action::Up => app.moved(Move::Up),
        Action::Down => app.moved(Move::Down),
        Action::PageUp => app.moved(Move::PageUp),
        Action::PageDown => app.moved(Move::PageDown),
        Action::ScrollTop => app.moved(Move::Top),
        Action::ScrollBottom => app.moved(Move::Bottom),
        Action::FocusResources => {
            if app.list_shown {
                app.focus = Focus::Resources;
            }
        }
        Action::FocusPanel => app.focus = Focus::Panel,
        Action::Drawn(d) => {
            app.list_shown = d.list_shown;
            app.help_max = d.help_max;
            app.help_page = d.help_page;
            if let Mode::Help(s) = &mut app.mode {
                *s = (*s).min(d.help_max);
            }
            (app.tab.module().measured)(app, &d);
            // A hidden list cannot have the keys.
            if !d.list_shown && app.focus == Focus::Resources {
                app.focus = Focus::Panel;
            }
        }
        Action::FetchSelected => {
            // The highlighted resource (▸), from either pane: help says so, and the panel has
            // `r` for the one shown.
            if let Some(r) = app.resources.get(app.selected).map(|p| p.resource.clone()) {
                app.start_fetch(r);
            }
        }
        Action::Refetch => {
            let r = app.resource.clone();
            app.start_fetch(r);
        }
        Action::ToggleWatch => watch::toggle(app),
        Action::IntervalLonger => watch::change_interval(app, true),
        Action::IntervalShorter => watch::change_interval(app, false),
        Action::StartInput => app.mode = Mode::Input(LineEditor::default()),
        Action::Paste(text) => {
            if !matches!(app.mode, Mode::Input(_)) {
                app.mode = Mode::Input(LineEditor::default());
            }
            update(app, Action::InputText(text));
        }
        Action::InputText(text) => {
            if let Mode::Input(e) = &mut app.mode {
                e.insert(&text);
            }
        }
        Action::InputEdit(edit) => {
            let Mode::Input(editor) = &mut app.mode else {
                return;
            };
            match edit {
                Edit::Cancel => app.mode = Mode::Normal,
                Edit::Submit => {
                    let editor = std::mem::take(editor);
                    app.mode = Mode::Normal;
                    app.submit_input(editor);
                }
                other => editor.apply(other),
            }
        }
        Action::ToggleReveal => app.toggle_reveal(),
        Action::Reveal => app.reveal(),
        Action::CopyClaim => token::copy_claim(app),
        Action::CopyClaims => token::copy_claims(app),
        Action::AskCopyToken => {
            if app.current.is_some() {
                app.mode = Mode::Confirm(Confirm::CopyToken);
            } else {
                app.note("no token to copy yet");
            }
        }
        Action::ConfirmCopyToken => {
            app.mode = Mode::Normal;
            if let Some(c) = &app.current {
                let text = ClipboardText::revealed_token(c.fetched.token.access_token.expose());
                app.effects.push(Effect::Copy(text));
                app.log(LogLevel::Warn, format!("token {OSC52_SENT}"));
                app.long_note(format!(
                    "token {OSC52_SENT}: a secret, clear it after use; nothing arrived? {} then {} writes a file",
                    super::keys::key(&Action::AskCopyToken),
                    super::keys::key(&Action::WriteTokenFile),
                ));
            }
        }
        Action::WriteTokenFile => {
            app.mode = Mode::Normal;
            if app.current.is_some() {
                app.effects.push(Effect::WriteTokenFile);
            }
        }
        Action::TokenFileWritten(result) => match result {
            Ok(path) => {
                app.log(
                    LogLevel::Warn,
                    format!("token written to {path} (mode 0600)"),
                );
                app.long_note(format!(
                    "token written to {path} (0600): delete it after use"
                ));
            }
            Err(e) => {
                app.log(
                    LogLevel::Error,
                    format!("the token file was not written: {e}"),
                );
                app.long_note(format!("token file not written: {}", e.message));
            }
        },
        Action::ToggleZone => {
            app.utc = !app.utc;
            app.note(if app.utc {
                "times in UTC"
            } else {
                "times in the local zone"
            });
        }
        Action::ToggleZoom => app.zoom = !app.zoom,
        Action::Repaint => app.effects.push(Effect::Repaint),
        Action::Suspend => app.effects.push(Effect::Suspend),
        Action::Retrying { job, note } => app.on_retrying(job, &note),
        Action::Fetched {
            id,
            resource,
            at,
            latency,
            result,
        } => app.on_fetched(id, resource, at, latency, *result),
        Action::ListVms => arm::list_vms(app),
        Action::LogFilter => super::tabs::log::next_filter(app),
        Action::VmsListed(answer) => arm::listed(app, *answer),
        Action::WhyAnswered(answer) => arm::answered(app, *answer),
        Action::WriteReport => {
            if app.report_in_flight {
                app.job_note("a report is being written; wait for it");
                return;
            }
            app.report_in_flight = true;
            app.log(
                LogLevel::Info,
                format!("writing a support report for {}", app.resource),
            );
            app.job_note("writing the support report…");
            let session = super::report::session_story(app);
            app.effects.push(Effect::WriteReport {
                resource: app.resource.clone(),
                session,
            });
        }
        Action::ReportWritten(result) => {
            app.report_in_flight = false;
            app.job_done();
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

pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn go_tab_index(app: &mut App, i: usize) {
    if let Some(&tab) = Tab::ALL.get(i) {
        app.go_tab(tab);
    }
}
