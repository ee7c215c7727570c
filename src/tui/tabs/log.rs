//! The Log tab: what happened, oldest first, following the newest unless scrolled back.

mod draw;

use std::collections::VecDeque;

use super::{Scroll, Tab, TabModule};
use crate::tui::app::App;

const LOG_CAPACITY: usize = 1000;

pub static TAB: TabModule = TabModule {
    name: "Log",
    list_min_width: crate::tui::ui::LIST_MIN_WIDTH,
    list_takes_keys: true,
    draw: draw::draw,
    moved: |app, m| app.log.scroll.apply(m),
    measured: |app, d| app.log.scroll.measured(d.max_scroll, d.page),
    // The log opens on its newest lines.
    entered: |app| app.log.scroll.bottom(),
    hint: super::scroll_hint,
    scroll: |app| &app.log.scroll,
};

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

/// Which lines the Log tab shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFilter {
    #[default]
    All,
    Problems,
    Errors,
}

impl LogFilter {
    pub fn shows(self, level: LogLevel) -> bool {
        match self {
            LogFilter::All => true,
            LogFilter::Problems => level != LogLevel::Info,
            LogFilter::Errors => level == LogLevel::Error,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            LogFilter::All => "every line",
            LogFilter::Problems => "warnings and errors only",
            LogFilter::Errors => "errors only",
        }
    }

    fn next(self) -> Self {
        match self {
            LogFilter::All => LogFilter::Problems,
            LogFilter::Problems => LogFilter::Errors,
            LogFilter::Errors => LogFilter::All,
        }
    }
}

/// The Log tab: oldest first, following the newest unless scrolled back.
#[derive(Debug, Clone)]
pub struct LogPanel {
    pub lines: VecDeque<LogLine>,
    pub scroll: Scroll,
    pub filter: LogFilter,
}

impl Default for LogPanel {
    fn default() -> Self {
        Self {
            lines: VecDeque::new(),
            filter: LogFilter::All,
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

    /// The lines the filter lets through.
    pub fn shown(&self) -> impl Iterator<Item = &LogLine> {
        self.lines.iter().filter(|l| self.filter.shows(l.level))
    }

    pub fn push(&mut self, at: i64, level: LogLevel, text: String) {
        if self.lines.len() == LOG_CAPACITY {
            self.lines.pop_front();
        }
        self.lines.push_back(LogLine { at, level, text });
    }
}

/// `e`: the next filter, on the Log tab, at the newest lines it shows.
pub fn next_filter(app: &mut App) {
    app.log.filter = app.log.filter.next();
    app.go_tab(Tab::Log);
    app.log.scroll.bottom();
    app.note(format!("log: {}", app.log.filter.describe()));
}
