//! The one table of key bindings, each naming the `Action` it sends. `action_for` maps keys
//! by reading it; the key bar, the help overlay, the status line's hints (`key`, `letter`) and
//! README's key list are all built from it, so none can name a key the code does not map.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::tabs::Tab;

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

pub struct Binding<A: 'static> {
    /// The keys that trigger it, the first being the one the bar shows.
    pub keys: &'static [Key],
    /// How the keys are written in help and README.
    pub shown: &'static str,
    pub what: &'static str,
    pub bar: Bar,
    pub action: A,
}

impl<A> Binding<A> {
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
    action: Action,
) -> Binding<Action> {
    Binding {
        keys,
        shown,
        what,
        bar,
        action,
    }
}

/// The digit keys of the tabs, one per tab.
const TAB_KEYS: [Key; Tab::ALL.len()] = {
    let mut keys = [ch('1'); Tab::ALL.len()];
    let mut i = 0;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::indexing_slicing,
        reason = "fewer than ten tabs: the index is a single digit, and within the array"
    )]
    while i < keys.len() {
        keys[i] = ch((b'1' + i as u8) as char);
        i += 1;
    }
    keys
};

/// Every normal-mode binding, in the order help lists them.
pub const BINDINGS: &[Binding<Action>] = &[
    b(
        &[ch('q')],
        "q",
        "quit (closes help first)",
        Bar::All("quit"),
        Action::Quit,
    ),
    b(
        &[ch('?')],
        "?",
        "this help",
        Bar::All("help"),
        Action::ToggleHelp,
    ),
    b(
        &[code(KeyCode::Enter)],
        "Enter",
        "fetch the highlighted resource (▸), from either pane",
        Bar::All("fetch"),
        Action::FetchSelected,
    ),
    b(
        &[ch('r')],
        "r",
        "fetch the current resource again",
        Bar::All("refetch"),
        Action::Refetch,
    ),
    b(
        &[code(KeyCode::Esc)],
        "Esc",
        "cancel the running fetch; hide a revealed token",
        Bar::No,
        Action::Cancel,
    ),
    b(
        &[ch('w')],
        "w",
        "watch on/off: poll the endpoint",
        Bar::All("watch"),
        Action::ToggleWatch,
    ),
    b(
        &[ch('+'), ch('=')],
        "+/-",
        "watch interval longer / shorter",
        Bar::No,
        Action::IntervalLonger,
    ),
    b(&[ch('-')], "-", "", Bar::No, Action::IntervalShorter),
    b(
        &[ch('/')],
        "/",
        "type a resource, or paste a token to decode it",
        Bar::All("type"),
        Action::StartInput,
    ),
    b(
        &[ch('v')],
        "v",
        "list the VMs through ARM (ARM tab)",
        Bar::On(Tab::Arm, "list VMs"),
        Action::ListVms,
    ),
    b(
        &[ch('e')],
        "e",
        "Log: all lines, then warnings and errors, then errors only",
        Bar::On(Tab::Log, "errors"),
        Action::LogFilter,
    ),
    b(
        &[ch('p')],
        "p",
        "write a support report (markdown) to a file",
        Bar::All("report"),
        Action::WriteReport,
    ),
    b(
        &[ch('s')],
        "s",
        "reveal the whole token for 30 s (asks first; mind screen sharing)",
        Bar::All("reveal"),
        Action::ToggleReveal,
    ),
    b(
        &[ch('c')],
        "c",
        "copy the selected claim's value (OSC 52)",
        Bar::On(Tab::Token, "copy claim"),
        Action::CopyClaim,
    ),
    b(
        &[ch('C')],
        "C",
        "copy all decoded claims as JSON (OSC 52)",
        Bar::No,
        Action::CopyClaims,
    ),
    b(
        &[ch('y')],
        "y",
        "copy the token (asks; offers a 0600 file)",
        Bar::No,
        Action::AskCopyToken,
    ),
    b(
        &[ch('t')],
        "t",
        "times in UTC / local",
        Bar::No,
        Action::ToggleZone,
    ),
    b(
        &[ch('z')],
        "z",
        "zoom the panel, borderless (for mouse selection)",
        Bar::No,
        Action::ToggleZoom,
    ),
    b(
        &[code(KeyCode::Tab)],
        "Tab",
        "next tab",
        Bar::All("tab"),
        Action::NextTab,
    ),
    b(
        &[code(KeyCode::BackTab)],
        "Shift-Tab",
        "previous tab",
        Bar::No,
        Action::PrevTab,
    ),
    b(&TAB_KEYS, "1-4", "go to tab", Bar::No, Action::GoTab(0)),
    b(
        &[code(KeyCode::Up), ch('k')],
        "↑/k",
        "up: the resource list, a claim, or scroll",
        Bar::No,
        Action::Up,
    ),
    b(
        &[code(KeyCode::Down), ch('j')],
        "↓/j",
        "down: the resource list, a claim, or scroll",
        Bar::No,
        Action::Down,
    ),
    b(
        &[code(KeyCode::Left), ch('h')],
        "←/h",
        "focus the resource list",
        Bar::No,
        Action::FocusResources,
    ),
    b(
        &[code(KeyCode::Right), ch('l')],
        "→/l",
        "focus the panel",
        Bar::No,
        Action::FocusPanel,
    ),
    b(
        &[code(KeyCode::PageUp), ctrl('u')],
        "PgUp/Ctrl-U",
        "scroll up by a page",
        Bar::No,
        Action::PageUp,
    ),
    b(
        &[code(KeyCode::PageDown), ctrl('d'), ch(' ')],
        "PgDn/Ctrl-D/Space",
        "scroll down by a page",
        Bar::No,
        Action::PageDown,
    ),
    b(
        &[code(KeyCode::Home), ch('g')],
        "Home/g",
        "to the top",
        Bar::No,
        Action::ScrollTop,
    ),
    b(
        &[code(KeyCode::End), ch('G')],
        "End/G",
        "to the bottom",
        Bar::No,
        Action::ScrollBottom,
    ),
    b(
        &[ctrl('l')],
        "Ctrl-L",
        "repaint the screen",
        Bar::No,
        Action::Repaint,
    ),
    b(
        &[ctrl('z')],
        "Ctrl-Z",
        "suspend (fg resumes)",
        Bar::No,
        Action::Suspend,
    ),
    b(&[ctrl('c')], "Ctrl-C", "quit", Bar::No, Action::Quit),
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
        action: c,
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

fn find<A>(table: &'static [Binding<A>], key: Key) -> Option<&'static Binding<A>> {
    table.iter().find(|b| b.keys.contains(&key))
}

/// The action a key press means in normal mode, read from `BINDINGS`.
pub fn action_for(ev: KeyEvent) -> Option<Action> {
    let key = Key::of(ev)?;
    let b = find(BINDINGS, key)?;
    Some(match (&b.action, key.code) {
        // One binding for every tab's digit: the digit says which.
        (Action::GoTab(_), KeyCode::Char(c)) => {
            Action::GoTab(c.to_digit(10).map_or(0, |d| d.saturating_sub(1) as usize))
        }
        (a, _) => a.clone(),
    })
}

/// What a key means in the prompt; None for a key the editor leaves to text entry.
pub fn edit_for(ev: KeyEvent) -> Option<Edit> {
    find(EDITOR, Key::of(ev)?).map(|b| b.action)
}

/// The key a hint names for an edit in the prompt.
pub fn edit_key(edit: Edit) -> String {
    EDITOR
        .iter()
        .find(|b| b.action == edit)
        .and_then(|b| b.keys.first())
        .map_or_else(|| "?".to_string(), |k| k.label())
}

/// The bindings for the key bar on `tab`: that tab's own first, then the common ones.
pub fn bar_for(tab: Tab) -> impl Iterator<Item = (&'static Binding<Action>, &'static str)> {
    let own = BINDINGS
        .iter()
        .filter(move |b| matches!(b.bar, Bar::On(t, _) if t == tab));
    let common = BINDINGS.iter().filter(|b| matches!(b.bar, Bar::All(_)));
    own.chain(common)
        .filter_map(move |b| b.bar_label(tab).map(|l| (b, l)))
}

impl Key {
    /// How a hint writes the key: `r`, `Enter`, `PgUp`, `←`, `Ctrl-L`.
    pub fn label(self) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.ctrl => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Delete".into(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{name}")
        } else {
            name
        }
    }

    fn is_letter(self) -> bool {
        !self.ctrl && matches!(self.code, KeyCode::Char(c) if c.is_ascii_alphanumeric())
    }
}

/// The normal-mode binding that sends `action` (the variant: `GoTab(_)` finds the digits).
pub fn binding(action: &Action) -> Option<&'static Binding<Action>> {
    let want = std::mem::discriminant(action);
    BINDINGS
        .iter()
        .find(|b| std::mem::discriminant(&b.action) == want)
}

/// The key a hint names for `action`: the binding's first, as the key bar shows it.
pub fn key(action: &Action) -> String {
    binding(action)
        .and_then(|b| b.keys.first())
        .map_or_else(|| "?".to_string(), |k| k.label())
}

/// The letter a hint names for `action` (`j` rather than ↓), else its first key.
pub fn letter(action: &Action) -> String {
    binding(action)
        .and_then(|b| b.keys.iter().find(|k| k.is_letter()))
        .map_or_else(|| key(action), |k| k.label())
}

/// `j/k`: two actions' letters, as hints pair them.
pub fn pair(first: &Action, second: &Action) -> String {
    format!("{}/{}", letter(first), letter(second))
}

/// What a confirmation asks, and the keys that say yes to it; any other key says no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// `y`: send the raw token to the clipboard, or write it to a file.
    CopyToken,
    /// `s`: show the raw token on screen.
    Reveal,
}

const CONFIRM_COPY: &[Binding<Action>] = &[
    b(
        &[ch('y')],
        "y",
        "via OSC 52",
        Bar::No,
        Action::ConfirmCopyToken,
    ),
    b(
        &[ch('f')],
        "f",
        "to a 0600 file",
        Bar::No,
        Action::WriteTokenFile,
    ),
];

const CONFIRM_REVEAL: &[Binding<Action>] = &[b(
    &[ch('y')],
    "y",
    "show it for 30 s",
    Bar::No,
    Action::Reveal,
)];

impl Confirm {
    pub fn question(self) -> &'static str {
        match self {
            Confirm::CopyToken => "Copy the raw token?",
            Confirm::Reveal => "Show the raw token on screen (mind screen sharing)?",
        }
    }

    /// The key that asked, for help's heading.
    pub fn asked_by(self) -> String {
        match self {
            Confirm::CopyToken => key(&Action::AskCopyToken),
            Confirm::Reveal => key(&Action::ToggleReveal),
        }
    }

    pub fn keys(self) -> &'static [Binding<Action>] {
        match self {
            Confirm::CopyToken => CONFIRM_COPY,
            Confirm::Reveal => CONFIRM_REVEAL,
        }
    }

    /// What a key means while this confirmation is asked: a yes from its table, else no.
    /// Enter is never a yes: it fetches elsewhere, and a reflex Enter must not show a secret.
    pub fn answer(self, ev: KeyEvent) -> Action {
        Key::of(ev)
            .and_then(|k| find(self.keys(), k))
            .map_or(Action::CancelConfirm, |b| b.action.clone())
    }

    /// The status line while it asks: ` Copy the raw token? y: via OSC 52 · f: … · any other key: no `.
    pub fn prompt(self) -> String {
        let yes: Vec<String> = self
            .keys()
            .iter()
            .map(|b| format!("{}: {}", b.shown, b.what))
            .collect();
        format!(
            " {} {} · any other key: no ",
            self.question(),
            yes.join(" · ")
        )
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
                let got =
                    action_for(KeyEvent::new(k.code, mods)).map(|a| std::mem::discriminant(&a));
                assert_eq!(
                    got,
                    Some(std::mem::discriminant(&bnd.action)),
                    "{}",
                    bnd.shown
                );
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

    #[test]
    fn every_tab_has_its_digit() {
        let tabs = binding(&Action::GoTab(0)).unwrap();
        assert_eq!(tabs.shown, format!("1-{}", Tab::ALL.len()));
        for (i, _) in Tab::ALL.iter().enumerate() {
            let digit = char::from_digit(u32::try_from(i + 1).unwrap(), 10).unwrap();
            let ev = KeyEvent::new(KeyCode::Char(digit), KeyModifiers::NONE);
            assert!(matches!(action_for(ev), Some(Action::GoTab(n)) if n == i));
        }
    }

    #[test]
    fn hints_name_the_keys_of_the_table() {
        assert_eq!(letter(&Action::Down), "j");
        assert_eq!(key(&Action::PageDown), "PgDn");
        assert_eq!(key(&Action::FocusResources), "←");
        assert_eq!(key(&Action::Cancel), "Esc");
        assert_eq!(key(&Action::Repaint), "Ctrl-L");
    }
}
