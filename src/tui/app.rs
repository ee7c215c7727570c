//! The UI's state and the one function that changes it. `App` routes; each tab keeps its own
//! state (`TokenPanel`, `WatchPanel`, `ArmPanel`, `LogPanel`) with its own scroll. No I/O here:
//! work that needs the outside world (fetching, copying, suspending) is queued as an `Effect`.

use std::collections::{HashMap, VecDeque};

use chrono::FixedOffset;

use super::action::{Action, FetchKind};
use super::editor::LineEditor;
use super::keys::Edit;
use crate::arm::listing::Outcome;
use crate::arm::RequestRecord;
use crate::assets::Preset;
use crate::display_url::DisplayUrl;
use crate::endpoint::{Endpoint, Fetched, Flavour};
use crate::error::Error;
use crate::sanitize::{ClipboardText, Copied};
use crate::token::{self, claims, Jwt};
use crate::watch::Timeline;

pub const TAB_NAMES: [&str; 4] = ["Token", "Watch", "ARM", "Log"];
pub const DEFAULT_INTERVAL: u64 = 5;
pub const MIN_INTERVAL: u64 = 1;
pub const MAX_INTERVAL: u64 = 300;
const LOG_CAPACITY: usize = 1000;
/// Resources whose watch history is kept when another one is watched.
const HISTORIES: usize = 16;
/// Recovered polls remembered for their mark in the Watch tab.
const RECOVERED_KEPT: usize = 500;
const NOTE_SECONDS: i64 = 4;
const LONG_NOTE_SECONDS: i64 = 30;
/// How long `s` shows the token before hiding it again.
pub const REVEAL_SECONDS: i64 = 30;
/// What a copy did: asked the terminal, which may or may not pass it to the clipboard.
const OSC52_SENT: &str = "sent to the terminal's clipboard via OSC 52 (in tmux: set-clipboard on)";
/// What a copy says when the clipboard gate changed the value.
const MADE_INERT: &str =
    "held line breaks, control characters or a secret of this run: copied as one line, with them written as \\u{…} and the secret removed,";

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
    /// Stop the running user fetch (its retries too).
    CancelFetch,
    /// Put this text on the clipboard through OSC 52 (only gated text: see `ClipboardText`).
    Copy(ClipboardText),
    /// Write the token to a new file only the user can read.
    WriteTokenFile,
    /// List the VMs through ARM, with a token for ARM (fetched for it when `resource` is not).
    ListVms {
        resource: String,
    },
    /// Run the doctor for `resource` and write the support report, with what the session saw.
    WriteReport {
        resource: String,
        session: String,
    },
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
}

impl Current {
    pub fn new(resource: String, fetched: Fetched) -> Self {
        let jwt = fetched.token.jwt.clone();
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
    /// The last retry announced: status and seconds to wait.
    pub last_retry: Option<(Option<u16>, f64)>,
}

/// How far a panel is scrolled, bounded by what the last frame measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    pub offset: u16,
    /// The largest offset, as of the last frame; None before the panel is drawn.
    pub max: Option<u16>,
    /// Rows in a page, as of the last frame.
    pub page: u16,
    /// Keep to the end as lines are added (the log).
    pub follow_end: bool,
}

impl Scroll {
    fn to(&mut self, to: u16) {
        self.offset = to.min(self.max.unwrap_or(u16::MAX));
        if let Some(max) = self.max {
            self.follow_end = self.offset >= max;
        }
    }

    fn by(&mut self, delta: i32) {
        let to = step(usize::from(self.offset), delta);
        self.to(u16::try_from(to).unwrap_or(u16::MAX));
        if delta < 0 {
            self.follow_end = false;
        }
    }

    fn page_size(&self) -> i32 {
        i32::from(self.page.max(2) - 1)
    }

    fn top(&mut self) {
        self.offset = 0;
        self.follow_end = false;
    }

    fn bottom(&mut self) {
        self.offset = self.max.unwrap_or(u16::MAX);
        self.follow_end = true;
    }

    fn measured(&mut self, max: u16, page: u16) {
        self.max = Some(max);
        self.page = page;
        self.offset = if self.follow_end {
            max
        } else {
            self.offset.min(max)
        };
    }

    fn reset(&mut self) {
        *self = Scroll::default();
    }
}

/// The Token tab: a selected claim (or header field) and the scroll that keeps it in view.
#[derive(Debug, Clone, Default)]
pub struct TokenPanel {
    pub scroll: Scroll,
    /// Index into the claims, then the header fields.
    pub field: usize,
    first_field: Option<u16>,
}

/// An index moved by a signed number of rows, stopping at zero (the caller caps the top).
fn step(index: usize, delta: i32) -> usize {
    let by = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
    if delta < 0 {
        index.saturating_sub(by)
    } else {
        index.saturating_add(by)
    }
}

impl TokenPanel {
    /// Move the selection, scrolling so that it stays on screen.
    fn select(&mut self, field: usize, count: usize) {
        self.field = field.min(count.saturating_sub(1));
        let Some(first) = self.first_field else {
            return;
        };
        let line = first.saturating_add(u16::try_from(self.field).unwrap_or(u16::MAX));
        let page = self.scroll.page.max(2) - 1;
        if line < self.scroll.offset {
            self.scroll.to(line);
        } else if line >= self.scroll.offset + page {
            self.scroll.to(line + 1 - page);
        }
    }
}

/// Retries of the running poll, as they happen.
#[derive(Debug, Clone, PartialEq)]
pub struct PollRetry {
    pub retry: u32,
    pub status: Option<u16>,
    pub wait_s: f64,
    /// Epoch seconds when the retry was announced.
    pub at: i64,
}

impl PollRetry {
    /// "retry 2 after HTTP 503, next in 3 s", counted down from `now`.
    pub fn describe(&self, now: i64) -> String {
        let status = self
            .status
            .map_or("no answer".to_string(), |s| format!("HTTP {s}"));
        let next = (self.at as f64 + self.wait_s - now as f64).max(0.0);
        format!("retry {} after {status}, next in {next:.0} s", self.retry)
    }
}

#[derive(Debug, Clone)]
pub struct WatchPanel {
    pub on: bool,
    pub interval: u64,
    pub next_at: i64,
    pub in_flight: bool,
    pub timeline: Timeline,
    /// The resource the timeline is about.
    pub resource: String,
    /// The running poll's retries, shown as they happen.
    pub retrying: Option<PollRetry>,
    /// Retries across all polls of this resource, counted apart from their latency.
    pub retries: u64,
    /// Polls that succeeded only after retrying.
    pub recovered: u64,
    /// When each recovered poll finished and after how many retries (bounded like the timeline).
    recovered_at: VecDeque<(i64, u32)>,
    /// Other resources' timelines, restored when the user comes back to one.
    histories: HashMap<String, (Timeline, u64, u64)>,
    pub scroll: Scroll,
}

impl WatchPanel {
    /// The interval in seconds as a time offset (saturating: a huge interval is "never").
    fn interval_s(&self) -> i64 {
        i64::try_from(self.interval).unwrap_or(i64::MAX)
    }

    fn new(resource: &str, now: i64) -> Self {
        Self {
            on: false,
            interval: DEFAULT_INTERVAL,
            next_at: now,
            in_flight: false,
            timeline: Timeline::default(),
            resource: resource.to_string(),
            retrying: None,
            retries: 0,
            recovered: 0,
            recovered_at: VecDeque::new(),
            histories: HashMap::new(),
            scroll: Scroll::default(),
        }
    }

    /// The retries of the poll that finished at `at`, when it needed any.
    pub fn retries_at(&self, at: i64) -> Option<u32> {
        self.recovered_at
            .iter()
            .find(|(t, _)| *t == at)
            .map(|(_, n)| *n)
    }

    fn note_recovered(&mut self, at: i64, retries: u32) {
        if self.recovered_at.len() >= RECOVERED_KEPT {
            self.recovered_at.pop_front();
        }
        self.recovered_at.push_back((at, retries));
        self.recovered += 1;
    }

    /// Keep this resource's history and bring back `resource`'s, if it was watched before.
    fn switch(&mut self, resource: &str) -> bool {
        let old = std::mem::take(&mut self.timeline);
        if old.events().len() > 0 {
            if self.histories.len() >= HISTORIES {
                if let Some(k) = self.histories.keys().next().cloned() {
                    self.histories.remove(&k);
                }
            }
            self.histories.insert(
                claims::normalise_audience(&self.resource),
                (old, self.retries, self.recovered),
            );
        }
        let back = self.histories.remove(&claims::normalise_audience(resource));
        let restored = back.is_some();
        let (t, retries, recovered) = back.unwrap_or_default();
        self.timeline = t;
        self.retries = retries;
        self.recovered = recovered;
        self.resource = resource.to_string();
        self.retrying = None;
        self.recovered_at.clear();
        self.scroll.reset();
        restored
    }
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
    pub scroll: Scroll,
}

/// The Log tab: oldest first, following the newest unless scrolled back.
#[derive(Debug, Clone)]
pub struct LogPanel {
    pub lines: VecDeque<LogLine>,
    pub scroll: Scroll,
}

impl Default for LogPanel {
    fn default() -> Self {
        Self {
            lines: VecDeque::new(),
            scroll: Scroll {
                follow_end: true,
                ..Scroll::default()
            },
        }
    }
}

impl LogPanel {
    pub fn iter(&self) -> impl Iterator<Item = &LogLine> {
        self.lines.iter()
    }
}

/// A modal state that takes the keys before the normal bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// The help overlay, scrolled this far.
    Help(u16),
    Input(LineEditor),
    ConfirmCopyToken,
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
    pub endpoint_url: DisplayUrl,
    /// What chose the endpoint (env vars, flags), as `get` says it.
    pub detected_from: Vec<String>,
    pub endpoint_notes: Vec<String>,
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
    /// The cloud whose ARM the ARM tab calls (`--cloud`).
    pub arm_cloud: crate::arm::Cloud,
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
            utc: true,
            no_color: false,
            ascii: false,
            flavour: endpoint.flavour,
            endpoint_url: endpoint.url.display().clone(),
            detected_from: endpoint.detected_from.clone(),
            endpoint_notes: endpoint.notes.clone(),
            identity: crate::inspect::identity_label(endpoint, None),
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
            arm_cloud: crate::arm::Cloud::Public,
            note: None,
            quit: false,
            effects: Vec::new(),
        }
    }

    pub fn log(&mut self, level: LogLevel, text: impl Into<String>) {
        if self.log.lines.len() == LOG_CAPACITY {
            self.log.lines.pop_front();
        }
        self.log.lines.push_back(LogLine {
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

    pub fn revealed(&self) -> bool {
        self.current.is_some() && self.reveal_until.is_some_and(|u| self.now < u)
    }

    /// The warnings for the token shown, as `get` prints them.
    pub fn warnings(&self) -> Vec<String> {
        self.current
            .as_ref()
            .map(|c| c.warnings(&self.endpoint_notes, self.now))
            .unwrap_or_default()
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

    fn scroll_mut(&mut self) -> &mut Scroll {
        match self.tab {
            Tab::Token => &mut self.token.scroll,
            Tab::Watch => &mut self.watch.scroll,
            Tab::Arm => &mut self.arm.scroll,
            Tab::Log => &mut self.log.scroll,
        }
    }

    /// The current tab's scroll.
    pub fn scroll(&self) -> &Scroll {
        match self.tab {
            Tab::Token => &self.token.scroll,
            Tab::Watch => &self.watch.scroll,
            Tab::Arm => &self.arm.scroll,
            Tab::Log => &self.log.scroll,
        }
    }

    /// Start a user fetch of `resource`, unless one is already running.
    fn start_fetch(&mut self, resource: String) {
        if let Some(f) = &self.in_flight {
            let msg = format!(
                "a fetch of {} is in flight ({} s); Esc cancels it",
                f.resource,
                self.now - f.started
            );
            self.note(msg);
            return;
        }
        self.pasted = None;
        if !same_resource(&resource, &self.resource) {
            self.switch_resource(&resource);
        }
        self.log(LogLevel::Info, format!("fetching a token for {resource}"));
        self.in_flight = Some(InFlight {
            resource: resource.clone(),
            started: self.now,
            retries: 0,
            last_retry: None,
        });
        self.effects.push(Effect::Fetch {
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
            FetchKind::User => {
                // An answer to a fetch the user cancelled: it is no longer wanted.
                if self.in_flight.is_none() {
                    return;
                }
                self.in_flight = None;
                self.last_fetch = Some((
                    at,
                    result
                        .as_ref()
                        .map(|f| f.token.access_token.fingerprint())
                        .map_err(Clone::clone),
                ));
            }
            FetchKind::Poll => {
                self.watch.in_flight = false;
                self.watch.retrying = None;
            }
        }
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
        if kind == FetchKind::Poll && ours {
            if let Ok(f) = &result {
                if f.retries > 0 {
                    self.watch.note_recovered(at, f.retries);
                }
            }
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
                    for w in cur.warnings(&self.endpoint_notes, at) {
                        self.log(LogLevel::Warn, w);
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
        self.arm.scroll.reset();
    }

    /// A poll result worth logging: a different token than the one shown.
    fn is_news(&self, f: &Fetched) -> bool {
        self.current
            .as_ref()
            .is_none_or(|c| c.fetched.token.access_token != f.token.access_token)
    }

    fn claims_json(&self) -> Option<ClipboardText> {
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
                        format!("pasted token {fingerprint} decoded (not fetched; Esc closes it)"),
                    );
                    self.pasted = Some(Pasted {
                        jwt,
                        fingerprint,
                        chars: text.chars().count(),
                    });
                    self.token = TokenPanel::default();
                    self.tab = Tab::Token;
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

    fn move_by(&mut self, delta: i32) {
        if self.focus == Focus::Resources && self.tab != Tab::Arm && self.list_shown {
            let last = self.resources.len().saturating_sub(1);
            self.selected = step(self.selected, delta).min(last);
            return;
        }
        if self.tab == Tab::Token {
            let count = self.fields().len();
            let to = step(self.token.field, delta);
            self.token.select(to, count);
            return;
        }
        self.scroll_mut().by(delta);
    }

    fn page(&mut self, up: bool) {
        if let Mode::Help(s) = &mut self.mode {
            *s = if up {
                s.saturating_sub(10)
            } else {
                s.saturating_add(10).min(self.help_max)
            };
            return;
        }
        let scroll = self.scroll_mut();
        let n = scroll.page_size();
        scroll.by(if up { -n } else { n });
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

/// Apply one action. The only place the state changes.
pub fn update(app: &mut App, action: Action) {
    match action {
        Action::Tick(now) => {
            app.now = now;
            if app.reveal_until.is_some_and(|u| now >= u) {
                app.reveal_until = None;
                app.log(LogLevel::Info, "token hidden again");
            }
            if app.watch.on && !app.watch.in_flight && now >= app.watch.next_at {
                app.watch.in_flight = true;
                app.watch.next_at = now.saturating_add(app.watch.interval_s());
                app.effects.push(Effect::Fetch {
                    kind: FetchKind::Poll,
                    resource: app.resource.clone(),
                });
            }
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
            if app.mode == Mode::ConfirmCopyToken {
                app.note("token not copied");
            }
            app.mode = Mode::Normal;
        }
        Action::Cancel => match app.mode {
            Mode::Normal => app.cancel(),
            _ => app.mode = Mode::Normal,
        },
        Action::NextTab => go_tab(app, (app.tab.index() + 1) % Tab::ALL.len()),
        Action::PrevTab => go_tab(app, (app.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()),
        Action::GoTab(i) => go_tab(app, i.min(Tab::ALL.len() - 1)),
        Action::Up => match &mut app.mode {
            Mode::Help(s) => *s = s.saturating_sub(1),
            _ => app.move_by(-1),
        },
        Action::Down => match &mut app.mode {
            Mode::Help(s) => *s = s.saturating_add(1).min(app.help_max),
            _ => app.move_by(1),
        },
        Action::FocusResources => {
            if app.list_shown {
                app.focus = Focus::Resources;
            }
        }
        Action::FocusPanel => app.focus = Focus::Panel,
        Action::PageUp => app.page(true),
        Action::PageDown => app.page(false),
        Action::ScrollTop => match &mut app.mode {
            Mode::Help(s) => *s = 0,
            _ if app.tab == Tab::Token && app.focus == Focus::Panel => {
                app.token.select(0, app.fields().len());
                app.token.scroll.top();
            }
            _ => app.scroll_mut().top(),
        },
        Action::ScrollBottom => match &mut app.mode {
            Mode::Help(s) => *s = app.help_max,
            _ if app.tab == Tab::Token && app.focus == Focus::Panel => {
                let n = app.fields().len();
                app.token.select(n, n);
                app.token.scroll.bottom();
            }
            _ => app.scroll_mut().bottom(),
        },
        Action::Drawn(d) => {
            app.list_shown = d.list_shown;
            app.help_max = d.help_max;
            if let Mode::Help(s) = &mut app.mode {
                *s = (*s).min(d.help_max);
            }
            if app.tab == Tab::Token {
                app.token.first_field = d.first_field;
            }
            app.scroll_mut().measured(d.max_scroll, d.page);
            // A hidden list cannot have the keys.
            if !d.list_shown && app.focus == Focus::Resources {
                app.focus = Focus::Panel;
            }
        }
        Action::FetchSelected => {
            let r = if app.focus == Focus::Resources || app.tab == Tab::Arm {
                app.resources.get(app.selected).map(|p| p.resource.clone())
            } else {
                // From the panel, Enter fetches what the panel shows.
                Some(app.resource.clone())
            };
            if let Some(r) = r {
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
            app.watch.next_at = app
                .watch
                .next_at
                .min(app.now.saturating_add(app.watch.interval_s()));
            app.note(format!("watch interval {} s", app.watch.interval));
        }
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
        Action::ToggleReveal => {
            if app.current.is_none() {
                app.note("no token to reveal yet");
            } else if app.revealed() {
                app.reveal_until = None;
                app.log(LogLevel::Warn, "token hidden");
            } else {
                app.reveal_until = Some(app.now + REVEAL_SECONDS);
                app.pasted = None;
                app.log(LogLevel::Warn, "token revealed on screen");
                app.tab = Tab::Token;
            }
        }
        Action::CopyClaim => {
            let fields = app.fields();
            match fields.get(app.token.field) {
                Some((name, v)) => {
                    let text = match v {
                        serde_json::Value::String(s) => ClipboardText::value(s),
                        other => ClipboardText::json(other),
                    };
                    let msg = match text.copied() {
                        Copied::AsIs => format!("{name} {OSC52_SENT}"),
                        Copied::MadeInert => format!("{name} {MADE_INERT} {OSC52_SENT}"),
                    };
                    app.effects.push(Effect::Copy(text));
                    app.log(LogLevel::Info, msg.clone());
                    app.note(msg);
                }
                None => app.note("no claim to copy"),
            }
        }
        Action::CopyClaims => match app.claims_json() {
            Some(j) => {
                app.effects.push(Effect::Copy(j));
                // OSC 52 is a request to the terminal; nothing reports whether it obeyed.
                let msg = format!("claims, as one line of JSON, {OSC52_SENT}");
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
                let text = ClipboardText::revealed_token(c.fetched.token.access_token.expose());
                app.effects.push(Effect::Copy(text));
                app.log(LogLevel::Warn, format!("token {OSC52_SENT}"));
                app.long_note(format!(
                    "token {OSC52_SENT}: a secret, clear it after use; nothing arrived? y then f writes a file"
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
        Action::Retrying(n) => {
            let status = n
                .status
                .map(|s| format!("HTTP {s}"))
                .unwrap_or_else(|| "no answer".into());
            let wait = n.wait.as_secs_f64();
            // The client's observer does not say which fetch retries: the user's, when one
            // runs, else the watch poll.
            if let Some(f) = &mut app.in_flight {
                f.retries = n.retry;
                f.last_retry = Some((n.status, wait));
            } else if app.watch.in_flight {
                app.watch.retries += 1;
                app.watch.retrying = Some(PollRetry {
                    retry: n.retry,
                    status: n.status,
                    wait_s: wait,
                    at: app.now,
                });
            }
            app.log(
                LogLevel::Warn,
                format!("retry {} after {status}, next in {wait:.1} s", n.retry),
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
            let session = super::report::session_story(app);
            app.effects.push(Effect::WriteReport {
                resource: app.resource.clone(),
                session,
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

pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn go_tab(app: &mut App, i: usize) {
    let Some(&tab) = Tab::ALL.get(i) else {
        return;
    };
    app.tab = tab;
    // Each tab keeps its own place; the log opens on its newest lines.
    if app.tab == Tab::Log {
        app.log.scroll.bottom();
    }
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
