//! The Token tab: the identity card and the claims, one selected; copying a claim or all of
//! them. The token itself (fetched or pasted) is the app's; the selection and scroll are here.

mod draw;

pub use draw::error_lines;

use super::{Move, Scroll, TabModule};
use crate::sanitize::{ClipboardText, Copied};
use crate::tui::action::{Action, Drawn};
use crate::tui::app::{App, Focus, LogLevel, OSC52_SENT};
use crate::tui::keys::{key, pair};

/// What a copy says when the clipboard gate changed the value.
const MADE_INERT: &str =
    "held line breaks, control characters or a secret of this run: copied as one line, with them written as \\u{…} and the secret removed,";

pub static TAB: TabModule = TabModule {
    name: "Token",
    list_min_width: crate::tui::ui::LIST_MIN_WIDTH,
    list_takes_keys: true,
    draw: draw::draw,
    moved,
    measured,
    entered: super::stay,
    hint,
    scroll: |app| &app.token.scroll,
};

/// The Token tab: a selected claim (or header field) and the scroll that keeps it in view.
#[derive(Debug, Clone, Default)]
pub struct TokenPanel {
    pub scroll: Scroll,
    /// Index into the claims, then the header fields.
    pub field: usize,
    first_field: Option<u16>,
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

/// ↑/↓ choose a claim; a page scrolls; top and bottom choose the first or last claim when the
/// panel has the focus.
fn moved(app: &mut App, m: Move) {
    let count = app.fields().len();
    let panel = app.focus == Focus::Panel;
    let t = &mut app.token;
    match m {
        Move::Up => t.select(super::step(t.field, -1), count),
        Move::Down => t.select(super::step(t.field, 1), count),
        Move::Top if panel => {
            t.select(0, count);
            t.scroll.top();
        }
        Move::Bottom if panel => {
            t.select(count, count);
            t.scroll.bottom();
        }
        other => t.scroll.apply(other),
    }
}

fn measured(app: &mut App, d: &Drawn) {
    app.token.first_field = d.first_field;
    app.token.scroll.measured(d.max_scroll, d.page);
}

fn hint(app: &App) -> String {
    if app.focus == Focus::Panel {
        format!(
            " {} choose a claim · {} copies its value · {} the resources · {} zooms",
            pair(&Action::Down, &Action::Up),
            key(&Action::CopyClaim),
            key(&Action::FocusResources),
            key(&Action::ToggleZoom),
        )
    } else {
        super::resources_hint()
    }
}

/// `c`: the selected claim's value to the clipboard.
pub fn copy_claim(app: &mut App) {
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
            app.effects.push(crate::tui::app::Effect::Copy(text));
            app.log(LogLevel::Info, msg.clone());
            app.note(msg);
        }
        None => app.note("no claim to copy"),
    }
}

/// `C`: every decoded claim, as one line of JSON.
pub fn copy_claims(app: &mut App) {
    match app.claims_json() {
        Some(j) => {
            app.effects.push(crate::tui::app::Effect::Copy(j));
            // OSC 52 is a request to the terminal; nothing reports whether it obeyed.
            let msg = format!("claims, as one line of JSON, {OSC52_SENT}");
            app.log(LogLevel::Info, msg.clone());
            app.note(msg);
        }
        None => app.note("no decoded claims to copy"),
    }
}
