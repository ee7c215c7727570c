//! The Watch tab: polling the endpoint on an interval, the timeline of polls per resource, and
//! the retries of the running poll as they happen.

mod draw;

use std::collections::{HashMap, VecDeque};

use super::{Scroll, TabModule};
use crate::endpoint::{Fetched, RetryNote};
use crate::error::Error;
use crate::token::claims;
use crate::tui::action::{FetchId, FetchKind};
use crate::tui::app::{App, Effect, LogLevel};
use crate::watch::Timeline;

pub const DEFAULT_INTERVAL: u64 = 5;
pub const MIN_INTERVAL: u64 = 1;
pub const MAX_INTERVAL: u64 = 300;
/// Resources whose watch history is kept when another one is watched.
const HISTORIES: usize = 16;
/// Recovered polls remembered for their mark in the Watch tab.
const RECOVERED_KEPT: usize = 500;

pub static TAB: TabModule = TabModule {
    name: "Watch",
    list_min_width: crate::tui::ui::LIST_MIN_WIDTH,
    list_takes_keys: true,
    draw: draw::draw,
    moved: |app, m| app.watch.scroll.apply(m),
    measured: |app, d| app.watch.scroll.measured(d.max_scroll, d.page),
    entered: super::stay,
    hint: super::scroll_hint,
    scroll: |app| &app.watch.scroll,
};

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
    /// The poll running, if any.
    pub polling: Option<FetchId>,
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

    pub fn new(resource: &str, now: i64) -> Self {
        Self {
            on: false,
            interval: DEFAULT_INTERVAL,
            next_at: now,
            polling: None,
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
    pub fn switch(&mut self, resource: &str) -> bool {
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

/// `w`: watch on or off.
pub fn toggle(app: &mut App) {
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
        tick(app);
    } else {
        app.log(LogLevel::Info, "watch off");
        app.note("watch off");
    }
}

/// `+` / `-`: the interval a step longer or shorter.
pub fn change_interval(app: &mut App, longer: bool) {
    let i = app.watch.interval;
    let next = if longer { step_up(i) } else { step_down(i) };
    app.watch.interval = next.clamp(MIN_INTERVAL, MAX_INTERVAL);
    // Bring the next poll in line with the new interval.
    app.watch.next_at = app
        .watch
        .next_at
        .min(app.now.saturating_add(app.watch.interval_s()));
    app.note(format!("watch interval {} s", app.watch.interval));
}

/// The clock moved: start a poll when one is due.
pub fn tick(app: &mut App) {
    let w = &app.watch;
    if w.on && w.polling.is_none() && app.now >= w.next_at {
        let id = app.new_fetch_id();
        app.watch.polling = Some(id);
        app.watch.next_at = app.now.saturating_add(app.watch.interval_s());
        app.effects.push(Effect::Fetch {
            id,
            kind: FetchKind::Poll,
            resource: app.resource.clone(),
        });
    }
}

/// A retry inside the running poll.
pub fn retrying(app: &mut App, note: &RetryNote) {
    app.watch.retries += 1;
    app.watch.retrying = Some(PollRetry {
        retry: note.retry,
        status: note.status,
        wait_s: note.wait.as_secs_f64(),
        at: app.now,
    });
}

/// The poll's answer: the timeline records it when it is about the watched resource.
pub fn polled(
    app: &mut App,
    ours: bool,
    at: i64,
    latency: std::time::Duration,
    result: &Result<Fetched, Error>,
) {
    app.watch.polling = None;
    app.watch.retrying = None;
    if !ours {
        return;
    }
    if let Ok(f) = result {
        if f.retries > 0 {
            app.watch.note_recovered(at, f.retries);
        }
    }
    let ev = app.watch.timeline.record(at, latency, result).clone();
    if let Some(before) = ev.refreshed_before_expiry_s {
        app.log(
            LogLevel::Info,
            format!("the endpoint refreshed the token {before} s before expiry"),
        );
    }
    for w in &ev.warnings {
        app.log(LogLevel::Warn, w.clone());
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
