//! The Log tab: what happened, oldest first, following the newest unless scrolled back.

mod draw;

use std::collections::VecDeque;

use super::{Scroll, TabModule};

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

    pub fn push(&mut self, at: i64, level: LogLevel, text: String) {
        if self.lines.len() == LOG_CAPACITY {
            self.lines.pop_front();
        }
        self.lines.push_back(LogLine { at, level, text });
    }
}
