//! The one table of key bindings: the key bar and the help overlay are both drawn from it,
//! and `event.rs` maps keys through it, so the three can never disagree.

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
    ToggleWatch,
    Faster,
    Slower,
    TypeResource,
    Reveal,
    CopyClaims,
    CopyToken,
    ListVms,
    Report,
    Tab(usize),
}

pub struct Binding {
    /// How the key is written in the key bar and help.
    pub keys: &'static str,
    pub what: &'static str,
    /// Its short label in the one-line key bar; None: only in help.
    pub bar: Option<&'static str>,
    pub command: Command,
    /// The tab whose key bar shows it (first, since it is what that tab is for); None: every tab.
    pub tab: Option<Tab>,
}

const fn b(
    keys: &'static str,
    what: &'static str,
    bar: Option<&'static str>,
    command: Command,
) -> Binding {
    Binding {
        keys,
        what,
        bar,
        command,
        tab: None,
    }
}

/// A binding the key bar shows only on `tab` (the key works everywhere).
const fn on(
    tab: Tab,
    keys: &'static str,
    what: &'static str,
    bar: &'static str,
    command: Command,
) -> Binding {
    Binding {
        keys,
        what,
        bar: Some(bar),
        command,
        tab: Some(tab),
    }
}

/// The bindings for the key bar on `tab`: that tab's own first, then the common ones.
pub fn bar_for(tab: Tab) -> impl Iterator<Item = &'static Binding> {
    let own = BINDINGS.iter().filter(move |b| b.tab == Some(tab));
    let common = BINDINGS.iter().filter(|b| b.tab.is_none());
    own.chain(common).filter(|b| b.bar.is_some())
}

/// Every binding, in the order help lists them. The key bar shows those with a `bar` label.
pub const BINDINGS: &[Binding] = &[
    b("q", "quit", Some("quit"), Command::Quit),
    b("?", "this help", Some("help"), Command::Help),
    b(
        "Enter",
        "fetch the selected resource",
        Some("fetch"),
        Command::Fetch,
    ),
    b(
        "r",
        "fetch the current resource again",
        Some("refetch"),
        Command::Refetch,
    ),
    b(
        "w",
        "watch on/off: poll the endpoint",
        Some("watch"),
        Command::ToggleWatch,
    ),
    b(
        "/",
        "type a resource (Enter fetches, Esc cancels)",
        Some("type"),
        Command::TypeResource,
    ),
    b(
        "s",
        "reveal/hide the token (mind screen sharing)",
        Some("reveal"),
        Command::Reveal,
    ),
    b(
        "c",
        "copy the decoded claims as JSON (OSC 52)",
        Some("copy"),
        Command::CopyClaims,
    ),
    on(
        Tab::Arm,
        "v",
        "list the VMs through ARM (ARM tab)",
        "list VMs",
        Command::ListVms,
    ),
    b(
        "p",
        "write a support report (markdown) to a file",
        Some("report"),
        Command::Report,
    ),
    b("Tab", "next tab", Some("tab"), Command::NextTab),
    b("Shift-Tab", "previous tab", None, Command::PrevTab),
    b("1-4", "go to tab", None, Command::Tab(0)),
    b(
        "↑/↓",
        "move in the list / scroll the panel",
        None,
        Command::Down,
    ),
    b(
        "←/→",
        "focus the resource list / the panel",
        None,
        Command::FocusPanel,
    ),
    b(
        "PgUp/PgDn",
        "scroll the panel by a page",
        None,
        Command::PageDown,
    ),
    b(
        "Home/End",
        "scroll the panel to the top / bottom",
        None,
        Command::Bottom,
    ),
    b(
        "+/-",
        "watch interval longer / shorter",
        None,
        Command::Slower,
    ),
    b("y", "copy the token (asks first)", None, Command::CopyToken),
    b("Ctrl-C", "quit", None, Command::Quit),
    b("Esc", "close help, cancel typing", None, Command::Help),
];

/// The command a key press means in normal mode.
pub fn command_for(key: KeyEvent) -> Option<Command> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c')).then_some(Command::Quit);
    }
    Some(match key.code {
        KeyCode::Char('q') => Command::Quit,
        KeyCode::Char('?') => Command::Help,
        KeyCode::Enter => Command::Fetch,
        KeyCode::Char('r') => Command::Refetch,
        KeyCode::Char('w') => Command::ToggleWatch,
        KeyCode::Char('/') => Command::TypeResource,
        KeyCode::Char('s') => Command::Reveal,
        KeyCode::Char('c') => Command::CopyClaims,
        KeyCode::Char('y') => Command::CopyToken,
        KeyCode::Char('v') => Command::ListVms,
        KeyCode::Char('p') => Command::Report,
        KeyCode::Tab => Command::NextTab,
        KeyCode::BackTab => Command::PrevTab,
        KeyCode::Up | KeyCode::Char('k') => Command::Up,
        KeyCode::Down | KeyCode::Char('j') => Command::Down,
        KeyCode::Left | KeyCode::Char('h') => Command::FocusResources,
        KeyCode::Right | KeyCode::Char('l') => Command::FocusPanel,
        KeyCode::PageUp => Command::PageUp,
        KeyCode::PageDown => Command::PageDown,
        KeyCode::Home => Command::Top,
        KeyCode::End => Command::Bottom,
        KeyCode::Char('+') | KeyCode::Char('=') => Command::Slower,
        KeyCode::Char('-') => Command::Faster,
        KeyCode::Char(c @ '1'..='4') => Command::Tab(c as usize - '1' as usize),
        _ => return None,
    })
}

impl Command {
    pub fn action(self) -> Action {
        match self {
            Command::Quit => Action::Quit,
            Command::Help => Action::ToggleHelp,
            Command::NextTab => Action::NextTab,
            Command::PrevTab => Action::PrevTab,
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
            Command::ToggleWatch => Action::ToggleWatch,
            Command::Faster => Action::IntervalShorter,
            Command::Slower => Action::IntervalLonger,
            Command::TypeResource => Action::StartInput,
            Command::Reveal => Action::ToggleReveal,
            Command::CopyClaims => Action::CopyClaims,
            Command::CopyToken => Action::AskCopyToken,
            Command::ListVms => Action::ListVms,
            Command::Report => Action::WriteReport,
            Command::Tab(i) => Action::GoTab(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bar_key_is_mapped() {
        for bnd in BINDINGS.iter().filter(|b| b.bar.is_some()) {
            let code = match bnd.keys {
                "Enter" => KeyCode::Enter,
                "Tab" => KeyCode::Tab,
                k => KeyCode::Char(k.chars().next().unwrap()),
            };
            assert_eq!(
                command_for(KeyEvent::new(code, KeyModifiers::NONE)),
                Some(bnd.command),
                "{}",
                bnd.keys
            );
        }
    }
}
