//! The one table of key bindings. `command_for` maps keys by reading it, the key bar and the
//! help overlay are drawn from it, and README's key list is checked against it, so the four
//! cannot disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::app::Tab;

/// What a binding does when pressed in normal mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    Help,
    NextTab,
    PrevTab,
    /// Go to the tab the digit names.
    Tab,
    Up,
    Down,
    FocusResources,
    FocusPanel,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Fetch,
    Refetch,
    Cancel,
    ToggleWatch,
    Faster,
    Slower,
    TypeResource,
    Reveal,
    CopyClaim,
    CopyClaims,
    CopyToken,
    ListVms,
    Report,
    ToggleZone,
    Zoom,
    Repaint,
    Suspend,
}

/// One key as it arrives: a code and the Control/Alt modifiers (Shift is part of the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

impl Key {
    /// The key a terminal event names, Shift folded into the character (`G`, `?`, BackTab).
    pub fn of(ev: KeyEvent) -> Option<Key> {
        if ev.modifiers.contains(KeyModifiers::ALT) {
            return None;
        }
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            c => c,
        };
        Some(Key { code, ctrl })
    }
}

/// Where a binding is shown besides the help overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    /// Help only.
    No,
    /// In the key bar of every tab, with this short label.
    All(&'static str),
    /// First in the key bar of this tab only (the key works everywhere).
    On(Tab, &'static str),
}

pub struct Binding<C: 'static> {
    /// The keys that trigger it, the first being the one the bar shows.
    pub keys: &'static [Key],
    /// How the keys are written in help and README.
    pub shown: &'static str,
    pub what: &'static str,
    pub bar: Bar,
    pub command: C,
}

impl<C> Binding<C> {
    pub fn bar_label(&self, tab: Tab) -> Option<&'static str> {
        match self.bar {
            Bar::No => None,
            Bar::All(l) => Some(l),
            Bar::On(t, l) => (t == tab).then_some(l),
        }
    }

    /// The key as the one-line bar writes it: the first of `shown`.
    pub fn bar_key(&self) -> &'static str {
        match self.shown.split(['/', ' ']).next() {
            Some(first) if !first.is_empty() => first,
            _ => self.shown,
        }
    }
}

const fn b(
    keys: &'static [Key],
    shown: &'static str,
    what: &'static str,
    bar: Bar,
    command: Command,
) -> Binding<Command> {
    Binding {
        keys,
        shown,
        what,
        bar,
        command,
    }
}

/// Every normal-mode binding, in the order help lists them.
pub const BINDINGS: &[Binding<Command>] = &[
    b(
        &[ch('q')],
        "q",
        "quit (closes help first)",
        Bar::All("quit"),
        Command::Quit,
    ),
    b(
        &[ch('?')],
        "?",
        "this help",
        Bar::All("help"),
        Command::Help,
    ),
    b(
        &[code(KeyCode::Enter)],
        "Enter",
        "fetch the selected resource (from either pane)",
        Bar::All("fetch"),
        Command::Fetch,
    ),
    b(
        &[ch('r')],
        "r",
        "fetch the current resource again",
        Bar::All("refetch"),
        Command::Refetch,
    ),
    b(
        &[code(KeyCode::Esc)],
        "Esc",
        "cancel the running fetch; hide a revealed token",
        Bar::No,
        Command::Cancel,
    ),
    b(
        &[ch('w')],
        "w",
        "watch on/off: poll the endpoint",
        Bar::All("watch"),
        Command::ToggleWatch,
    ),
    b(
        &[ch('+'), ch('=')],
        "+/-",
        "watch interval longer / shorter",
        Bar::No,
        Command::Slower,
    ),
    b(&[ch('-')], "-", "", Bar::No, Command::Faster),
    b(
        &[ch('/')],
        "/",
        "type a resource, or paste a token to decode it",
        Bar::All("type"),
        Command::TypeResource,
    ),
    b(
        &[ch('v')],
        "v",
        "list the VMs through ARM (ARM tab)",
        Bar::On(Tab::Arm, "list VMs"),
        Command::ListVms,
    ),
    b(
        &[ch('p')],
        "p",
        "write a support report (markdown) to a file",
        Bar::All("report"),
        Command::Report,
    ),
    b(
        &[ch('s')],
        "s",
        "reveal the whole token for 30 s (mind screen sharing)",
        Bar::All("reveal"),
        Command::Reveal,
    ),
    b(
        &[ch('c')],
        "c",
        "copy the selected claim's value (OSC 52)",
        Bar::On(Tab::Token, "copy claim"),
        Command::CopyClaim,
    ),
    b(
        &[ch('C')],
        "C",
        "copy all decoded claims as JSON (OSC 52)",
        Bar::No,
        Command::CopyClaims,
    ),
    b(
        &[ch('y')],
        "y",
        "copy the token (asks; offers a 0600 file)",
        Bar::No,
        Command::CopyToken,
    ),
    b(
        &[ch('t')],
        "t",
        "times in UTC / local",
        Bar::No,
        Command::ToggleZone,
    ),
    b(
        &[ch('z')],
        "z",
        "zoom the panel, borderless (for mouse selection)",
        Bar::No,
        Command::Zoom,
    ),
    b(
        &[code(KeyCode::Tab)],
        "Tab",
        "next tab",
        Bar::All("tab"),
        Command::NextTab,
    ),
    b(
        &[code(KeyCode::BackTab)],
        "Shift-Tab",
        "previous tab",
        Bar::No,
        Command::PrevTab,
    ),
    b(
        &[ch('1'), ch('2'), ch('3'), ch('4')],
        "1-4",
        "go to tab",
        Bar::No,
        Command::Tab,
    ),
    b(
        &[code(KeyCode::Up), ch('k')],
        "↑/k",
        "up: the resource list, a claim, or scroll",
        Bar::No,
        Command::Up,
    ),
    b(
        &[code(KeyCode::Down), ch('j')],
        "↓/j",
        "down: the resource list, a claim, or scroll",
        Bar::No,
        Command::Down,
    ),
    b(
        &[code(KeyCode::Left), ch('h')],
        "←/h",
        "focus the resource list",
        Bar::No,
        Command::FocusResources,
    ),
    b(
        &[code(KeyCode::Right), ch('l')],
        "→/l",
        "focus the panel",
        Bar::No,
        Command::FocusPanel,
    ),
    b(
        &[code(KeyCode::PageUp), ctrl('u')],
        "PgUp/Ctrl-U",
        "scroll up by a page",
        Bar::No,
        Command::PageUp,
    ),
    b(
        &[code(KeyCode::PageDown), ctrl('d'), ch(' ')],
        "PgDn/Ctrl-D/Space",
        "scroll down by a page",
        Bar::No,
        Command::PageDown,
    ),
    b(
        &[code(KeyCode::Home), ch('g')],
        "Home/g",
        "to the top",
        Bar::No,
        Command::Top,
    ),
    b(
        &[code(KeyCode::End), ch('G')],
        "End/G",
        "to the bottom",
        Bar::No,
        Command::Bottom,
    ),
    b(
        &[ctrl('l')],
        "Ctrl-L",
        "repaint the screen",
        Bar::No,
        Command::Repaint,
    ),
    b(
        &[ctrl('z')],
        "Ctrl-Z",
        "suspend (fg resumes)",
        Bar::No,
        Command::Suspend,
    ),
    b(&[ctrl('c')], "Ctrl-C", "quit", Bar::No, Command::Quit),
];

/// What the `/` prompt's keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Submit,
    Cancel,
    Left,
    Right,
    Home,
    End,
    Backspace,
    Delete,
    KillToStart,
    KillWord,
}

const fn e(
    keys: &'static [Key],
    shown: &'static str,
    what: &'static str,
    c: Edit,
) -> Binding<Edit> {
    Binding {
        keys,
        shown,
        what,
        bar: Bar::No,
        command: c,
    }
}

/// The prompt's line editor keys; help lists them under their own heading.
pub const EDITOR: &[Binding<Edit>] = &[
    e(
        &[code(KeyCode::Enter)],
        "Enter",
        "fetch the resource / decode the token",
        Edit::Submit,
    ),
    e(
        &[code(KeyCode::Esc)],
        "Esc",
        "leave the prompt",
        Edit::Cancel,
    ),
    e(
        &[code(KeyCode::Left), ctrl('b')],
        "←/Ctrl-B",
        "cursor left",
        Edit::Left,
    ),
    e(
        &[code(KeyCode::Right), ctrl('f')],
        "→/Ctrl-F",
        "cursor right",
        Edit::Right,
    ),
    e(
        &[code(KeyCode::Home), ctrl('a')],
        "Home/Ctrl-A",
        "start of line",
        Edit::Home,
    ),
    e(
        &[code(KeyCode::End), ctrl('e')],
        "End/Ctrl-E",
        "end of line",
        Edit::End,
    ),
    e(
        &[code(KeyCode::Backspace), ctrl('h')],
        "Backspace",
        "delete before the cursor",
        Edit::Backspace,
    ),
    e(
        &[code(KeyCode::Delete), ctrl('d')],
        "Delete/Ctrl-D",
        "delete at the cursor",
        Edit::Delete,
    ),
    e(
        &[ctrl('u')],
        "Ctrl-U",
        "delete to the start",
        Edit::KillToStart,
    ),
    e(
        &[ctrl('w')],
        "Ctrl-W",
        "delete the word before the cursor",
        Edit::KillWord,
    ),
];

fn find<C: Copy>(table: &'static [Binding<C>], key: Key) -> Option<(C, Key)> {
    table
        .iter()
        .find(|b| b.keys.contains(&key))
        .map(|b| (b.command, key))
}

/// The command a key press means in normal mode, read from `BINDINGS`.
pub fn command_for(ev: KeyEvent) -> Option<(Command, Key)> {
    find(BINDINGS, Key::of(ev)?)
}

/// What a key means in the prompt; None for a key the editor leaves to text entry.
pub fn edit_for(ev: KeyEvent) -> Option<Edit> {
    find(EDITOR, Key::of(ev)?).map(|(c, _)| c)
}

/// The bindings for the key bar on `tab`: that tab's own first, then the common ones.
pub fn bar_for(tab: Tab) -> impl Iterator<Item = (&'static Binding<Command>, &'static str)> {
    let own = BINDINGS
        .iter()
        .filter(move |b| matches!(b.bar, Bar::On(t, _) if t == tab));
    let common = BINDINGS.iter().filter(|b| matches!(b.bar, Bar::All(_)));
    own.chain(common)
        .filter_map(move |b| b.bar_label(tab).map(|l| (b, l)))
}

impl Command {
    pub fn action(self, key: Key) -> Action {
        match self {
            Command::Quit => Action::Quit,
            Command::Help => Action::ToggleHelp,
            Command::NextTab => Action::NextTab,
            Command::PrevTab => Action::PrevTab,
            Command::Tab => match key.code {
                KeyCode::Char(c) => {
                    Action::GoTab(c.to_digit(10).unwrap_or(1).saturating_sub(1) as usize)
                }
                _ => Action::GoTab(0),
            },
            Command::Up => Action::Up,
            Command::Down => Action::Down,
            Command::FocusResources => Action::FocusResources,
            Command::FocusPanel => Action::FocusPanel,
            Command::PageUp => Action::PageUp,
            Command::PageDown => Action::PageDown,
            Command::Top => Action::ScrollTop,
            Command::Bottom => Action::ScrollBottom,
            Command::Fetch => Action::FetchSelected,
            Command::Refetch => Action::Refetch,
            Command::Cancel => Action::Cancel,
            Command::ToggleWatch => Action::ToggleWatch,
            Command::Faster => Action::IntervalShorter,
            Command::Slower => Action::IntervalLonger,
            Command::TypeResource => Action::StartInput,
            Command::Reveal => Action::ToggleReveal,
            Command::CopyClaim => Action::CopyClaim,
            Command::CopyClaims => Action::CopyClaims,
            Command::CopyToken => Action::AskCopyToken,
            Command::ListVms => Action::ListVms,
            Command::Report => Action::WriteReport,
            Command::ToggleZone => Action::ToggleZone,
            Command::Zoom => Action::ToggleZoom,
            Command::Repaint => Action::Repaint,
            Command::Suspend => Action::Suspend,
        }
    }
}

/// The key table as README's markdown rows: normal keys, then the prompt's.
pub fn markdown_rows() -> String {
    fn rows<C>(table: &[Binding<C>], prefix: &str, out: &mut String) {
        for b in table.iter().filter(|b| !b.what.is_empty()) {
            let keys = b.shown.replace('|', "\\|");
            out.push_str(&format!("| {prefix}`{keys}` | {} |\n", b.what));
        }
    }
    let mut out = String::new();
    rows(BINDINGS, "", &mut out);
    rows(EDITOR, "in `/`: ", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_the_table_maps_to_its_binding() {
        for bnd in BINDINGS {
            for k in bnd.keys {
                let mods = if k.ctrl {
                    KeyModifiers::CONTROL
                } else {
                    KeyModifiers::NONE
                };
                let got = command_for(KeyEvent::new(k.code, mods)).map(|(c, _)| c);
                assert_eq!(got, Some(bnd.command), "{}", bnd.shown);
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for k in BINDINGS.iter().flat_map(|b| b.keys) {
            assert!(!seen.contains(k), "{k:?} is bound twice");
            seen.push(*k);
        }
    }
}
