//! From terminal events to actions, with the modal states (help, typing, confirming) first;
//! keys faster than a person types taken as a paste (`Typing`). Also the input thread: it
//! blocks on the terminal, so an idle UI costs no CPU.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::app::Mode;
use super::keys;

/// What a key means in the current mode; None when it means nothing.
pub fn key_action(mode: &Mode, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl_c =
        key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c'));
    if ctrl_c {
        return Some(Action::Quit);
    }
    match mode {
        Mode::Input(_) => match keys::edit_for(key) {
            Some(edit) => Some(Action::InputEdit(edit)),
            None => match key.code {
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    Some(Action::InputText(c.to_string()))
                }
                _ => None,
            },
        },
        Mode::Confirm(c) => Some(c.answer(key)),
        Mode::Help(_) => match keys::action_for(key)? {
            // q and Esc close help before anything quits.
            Action::ToggleHelp | Action::Quit | Action::Cancel => Some(Action::ToggleHelp),
            a @ (Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::ScrollTop
            | Action::ScrollBottom
            | Action::Repaint) => Some(a),
            _ => None,
        },
        Mode::Normal => keys::action_for(key),
    }
}

pub fn event_action(mode: &Mode, ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => key_action(mode, k),
        Event::Resize(_, _) => Some(Action::Resize),
        // Bracketed paste: the text arrives whole, so a pasted token never runs as keys.
        Event::Paste(text) => Some(Action::Paste(text)),
        _ => None,
    }
}

/// Keys that arrive closer together than this were not typed one by one: a terminal without
/// bracketed paste (a web or serial console, `tmux send-keys -l`) delivers a paste as keys
/// microseconds apart, while a person's fastest keys, even rolled over, come tens of
/// milliseconds apart.
pub const BURST_GAP: Duration = Duration::from_millis(10);

/// A run of this many printable keys, each within `BURST_GAP` of the one before, is a paste:
/// offered to the prompt (a token there is hidden and decodes on Enter), never run as keys.
/// Three, so that two keys rolled over by a fast typist still act, while any pasted word
/// (a token is a thousand characters) does not.
pub const BURST_KEYS: usize = 3;

/// What held keys turn out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// Keys to act on one by one, each in the mode the one before leaves.
    Keys(Vec<KeyEvent>),
    /// A burst: text for the prompt.
    Paste(String),
}

/// Printable keys outside the prompt, held for `BURST_GAP` until it is clear whether a person
/// typed them or a terminal pasted them. Pure: the caller says when each key arrived.
#[derive(Debug, Default)]
pub struct Typing {
    held: Vec<KeyEvent>,
    last: Option<Instant>,
}

impl Typing {
    /// A key arrived at `at`: what to act on now (held keys whose run has ended first).
    pub fn key(&mut self, mode: &Mode, key: KeyEvent, at: Instant) -> Vec<Typed> {
        let mut out = Vec::new();
        if key.kind == KeyEventKind::Release {
            return out;
        }
        if self
            .last
            .is_some_and(|last| at.saturating_duration_since(last) > BURST_GAP)
        {
            out.extend(self.flush());
        }
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let pastable = !matches!(mode, Mode::Input(_))
            && plain
            && match key.code {
                KeyCode::Char(_) => true,
                // A line break inside a run is part of the paste.
                KeyCode::Enter | KeyCode::Tab => !self.held.is_empty(),
                _ => false,
            };
        if pastable {
            self.held.push(key);
            self.last = Some(at);
        } else {
            out.extend(self.flush());
            out.push(Typed::Keys(vec![key]));
        }
        out
    }

    /// When the held keys' run ends unless another key comes.
    pub fn due(&self) -> Option<Instant> {
        self.last.map(|l| l + BURST_GAP)
    }

    /// The run has ended: the held keys, as keys or as a paste. A run that starts with the
    /// key that opens the prompt (`/` then a quick paste) opens it and pastes the rest there.
    pub fn flush(&mut self) -> Vec<Typed> {
        self.last = None;
        let mut held = std::mem::take(&mut self.held);
        if held.is_empty() {
            return Vec::new();
        }
        if held.len() < BURST_KEYS {
            return vec![Typed::Keys(held)];
        }
        let mut out = Vec::new();
        let opens_prompt = held
            .first()
            .and_then(|k| keys::action_for(*k))
            .is_some_and(|a| matches!(a, Action::StartInput));
        if opens_prompt {
            out.push(Typed::Keys(held.drain(..1).collect()));
        }
        let text = held
            .iter()
            .filter_map(|k| match k.code {
                KeyCode::Char(c) => Some(c),
                KeyCode::Enter => Some('\n'),
                KeyCode::Tab => Some('\t'),
                _ => None,
            })
            .collect();
        out.push(Typed::Paste(text));
        out
    }
}

/// Read terminal events on a plain thread and forward them with when they arrived. The thread
/// ends when the UI does (the channel closes) or the terminal goes away.
pub fn spawn_input_thread(tx: UnboundedSender<(Instant, Event)>) {
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send((Instant::now(), ev)).is_err() {
                break;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::editor::LineEditor;
    use crate::tui::keys::Edit;

    fn typed(keys: &[(char, u64)]) -> Vec<Typed> {
        let t0 = Instant::now();
        let mut typing = Typing::default();
        let mut out = Vec::new();
        for (c, ms) in keys {
            let at = t0 + Duration::from_millis(*ms);
            out.extend(typing.key(&Mode::Normal, k(KeyCode::Char(*c)), at));
        }
        out.extend(typing.flush());
        out
    }

    #[test]
    fn a_burst_of_keys_is_a_paste_and_typing_is_typing() {
        // A token pasted without bracketed paste: microseconds apart.
        let burst: Vec<(char, u64)> = "eyJszpwq".chars().map(|c| (c, 0)).collect();
        assert_eq!(typed(&burst), [Typed::Paste("eyJszpwq".into())]);
        // A person, even a fast one: keys tens of milliseconds apart.
        let person = [('s', 0), ('z', 60), ('q', 130)];
        assert_eq!(
            typed(&person),
            [
                Typed::Keys(vec![k(KeyCode::Char('s'))]),
                Typed::Keys(vec![k(KeyCode::Char('z'))]),
                Typed::Keys(vec![k(KeyCode::Char('q'))]),
            ]
        );
        // Two keys rolled over still act as keys.
        let rolled = [('j', 0), ('j', 3)];
        assert_eq!(
            typed(&rolled),
            [Typed::Keys(vec![
                k(KeyCode::Char('j')),
                k(KeyCode::Char('j'))
            ])]
        );
    }

    #[test]
    fn the_prompt_and_control_keys_are_never_held() {
        let t0 = Instant::now();
        let mut typing = Typing::default();
        let typing_mode = Mode::Input(LineEditor::default());
        assert_eq!(
            typing.key(&typing_mode, k(KeyCode::Char('a')), t0),
            [Typed::Keys(vec![k(KeyCode::Char('a'))])]
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            typing.key(&Mode::Normal, ctrl_c, t0),
            [Typed::Keys(vec![ctrl_c])]
        );
        assert_eq!(typing.due(), None);
    }

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn modes_take_keys_first() {
        let typing = Mode::Input(LineEditor::default());
        let copy = Mode::Confirm(crate::tui::keys::Confirm::CopyToken);
        assert!(matches!(
            key_action(&typing, k(KeyCode::Char('q'))),
            Some(Action::InputText(t)) if t == "q"
        ));
        assert!(matches!(
            key_action(
                &typing,
                KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)
            ),
            Some(Action::InputEdit(Edit::KillToStart))
        ));
        assert!(matches!(
            key_action(&copy, k(KeyCode::Char('n'))),
            Some(Action::CancelConfirm)
        ));
        assert!(matches!(
            key_action(&copy, k(KeyCode::Enter)),
            Some(Action::CancelConfirm)
        ));
        assert!(matches!(
            key_action(&copy, k(KeyCode::Char('y'))),
            Some(Action::ConfirmCopyToken)
        ));
        assert!(matches!(
            key_action(
                &Mode::Normal,
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        ));
        assert!(key_action(&Mode::Help(0), k(KeyCode::Char('r'))).is_none());
        assert!(matches!(
            key_action(&Mode::Help(0), k(KeyCode::Char('q'))),
            Some(Action::ToggleHelp)
        ));
    }
}
