//! From terminal events to actions, with the modal states (help, typing, confirming) first.
//! Also the input thread: it blocks on the terminal, so an idle UI costs no CPU.

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

/// Read terminal events on a plain thread and forward them. The thread ends when the UI does
/// (the channel closes) or the terminal goes away.
pub fn spawn_input_thread(tx: UnboundedSender<Event>) {
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(ev).is_err() {
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
