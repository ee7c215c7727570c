//! The panel's tabs. Each tab is one module that owns its state, the actions that are its own,
//! its drawing and its status hint. `Tab::module` is the one place that routes to them: a new
//! tab is a new module, a line in `tabs!` and the state's field in `App` (the compiler asks
//! for its initial value).

// Declared here, not by `tabs!`, so that rustfmt finds them.
pub mod arm;
pub mod log;
pub mod token;
pub mod watch;

use ratatui::layout::Rect;
use ratatui::Frame;

use super::action::Drawn;
use super::app::App;
use super::ui::theme::Theme;
use super::ui::PanelDrawn;

/// What a tab is to the rest of the UI: its name, how it shares the screen and the keys with
/// the resource list, and its functions.
pub struct TabModule {
    pub name: &'static str,
    /// Below this terminal width the resource list is hidden on this tab.
    pub list_min_width: u16,
    /// Whether ↑/↓ move in the resource list while it has the focus. When not, they act on the
    /// panel (the ARM table scrolls) and the list's highlight is what Enter fetches.
    pub list_takes_keys: bool,
    /// Draw the panel's inside; returns how far it scrolls.
    pub draw: fn(&App, &Theme, &mut Frame, Rect) -> PanelDrawn,
    /// ↑/↓, pages, top and bottom, when the panel has them.
    pub moved: fn(&mut App, Move),
    /// What the last frame measured, for the next move.
    pub measured: fn(&mut App, &Drawn),
    /// The tab was brought on screen.
    pub entered: fn(&mut App),
    /// The status line's hint while nothing more pressing is shown, keys read from the key table.
    pub hint: fn(&App) -> String,
    pub scroll: fn(&App) -> &Scroll,
}

/// The tabs in their order (the title, the digits), each with its module: the enum, `Tab::ALL`
/// and the one routing `match` are made from this list, so they cannot disagree.
macro_rules! tabs {
    ($($tab:ident => $module:ident),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Tab {
            $($tab),+
        }

        impl Tab {
            pub const ALL: [Tab; [$(Tab::$tab),+].len()] = [$(Tab::$tab),+];

            /// The one routing table.
            pub fn module(self) -> &'static TabModule {
                match self {
                    $(Tab::$tab => &$module::TAB),+
                }
            }
        }
    };
}

tabs! {
    Token => token,
    Watch => watch,
    Arm => arm,
    Log => log,
}

impl Tab {
    pub fn name(self) -> &'static str {
        self.module().name
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// A key that moves inside the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
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
    pub fn to(&mut self, to: u16) {
        self.offset = to.min(self.max.unwrap_or(u16::MAX));
        if let Some(max) = self.max {
            self.follow_end = self.offset >= max;
        }
    }

    pub fn by(&mut self, delta: i32) {
        let to = step(usize::from(self.offset), delta);
        self.to(u16::try_from(to).unwrap_or(u16::MAX));
        if delta < 0 {
            self.follow_end = false;
        }
    }

    /// A page's move: the rows shown but one, so one line stays for context.
    pub fn page_size(&self) -> i32 {
        i32::from(self.page.max(2) - 1)
    }

    pub fn top(&mut self) {
        self.offset = 0;
        self.follow_end = false;
    }

    pub fn bottom(&mut self) {
        self.offset = self.max.unwrap_or(u16::MAX);
        self.follow_end = true;
    }

    pub fn measured(&mut self, max: u16, page: u16) {
        self.max = Some(max);
        self.page = page;
        self.offset = if self.follow_end {
            max
        } else {
            self.offset.min(max)
        };
    }

    pub fn reset(&mut self) {
        *self = Scroll::default();
    }

    /// The move of a panel that only scrolls.
    pub fn apply(&mut self, m: Move) {
        match m {
            Move::Up => self.by(-1),
            Move::Down => self.by(1),
            Move::PageUp => self.by(-self.page_size()),
            Move::PageDown => self.by(self.page_size()),
            Move::Top => self.top(),
            Move::Bottom => self.bottom(),
        }
    }
}

/// An index moved by a signed number of rows, stopping at zero (the caller caps the top).
pub fn step(index: usize, delta: i32) -> usize {
    let by = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
    if delta < 0 {
        index.saturating_sub(by)
    } else {
        index.saturating_add(by)
    }
}

/// Nothing to do when a tab comes on screen.
pub fn stay(_: &mut App) {}

/// The hint of a panel that only scrolls: how to scroll it, and the way back.
pub fn scroll_hint(_: &App) -> String {
    use super::action::Action;
    use super::keys::key;
    format!(
        " {} scroll · {} back to the resources · {} refetches",
        scroll_keys(),
        key(&Action::FocusResources),
        key(&Action::Refetch),
    )
}

/// `j/k PgUp/PgDn`, as hints name the keys that scroll.
pub fn scroll_keys_short() -> String {
    use super::action::Action;
    use super::keys::pair;
    format!(
        "{} {}",
        pair(&Action::Down, &Action::Up),
        pair(&Action::PageUp, &Action::PageDown)
    )
}

/// `j/k PgUp/PgDn g/G`, as the position line of a scrolled body names them.
pub fn scroll_keys() -> String {
    use super::action::Action;
    use super::keys::pair;
    format!(
        "{} {}",
        scroll_keys_short(),
        pair(&Action::ScrollTop, &Action::ScrollBottom)
    )
}

/// The hint while the resource list has the keys.
pub fn resources_hint() -> String {
    use super::action::Action;
    use super::keys::{key, pair};
    format!(
        " {} choose a resource · {} fetches · {} types one · {} the panel",
        pair(&Action::Down, &Action::Up),
        key(&Action::FetchSelected),
        key(&Action::StartInput),
        key(&Action::FocusPanel),
    )
}
