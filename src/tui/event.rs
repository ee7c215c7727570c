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
        Mode::Input(_) => Some(match key.code {
            KeyCode::Esc => Action::InputCancel,
            KeyCode::Enter => Action::InputSubmit,
            KeyCode::Backspace => Action::InputBackspace,
            KeyCode::Char(c) => Action::InputChar(c),
            _ => return None,
        }),
        Mode::ConfirmCopyToken => Some(match key.code {
            // Only `y`: Enter fetches elsewhere, and a reflex Enter must not send a secret.
            KeyCode::Char('y') => Action::ConfirmCopyToken,
            _ => Action::CancelConfirm,
        }),
        Mode::Help => match key.code {
            KeyCode::Esc | KeyCode::Char('?') => Some(Action::ToggleHelp),
            KeyCode::Char('q') => Some(Action::Quit),
            _ => None,
        },
        Mode::Normal => keys::command_for(key).map(keys::Command::action),
    }
}

pub fn event_action(mode: &Mode, ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => key_action(mode, k),
        Event::Resize(_, _) => Some(Action::Resize),
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

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn modes_take_keys_first() {
        let typing = Mode::Input("x".into());
        assert!(matches!(
            key_action(&typing, k(KeyCode::Char('q'))),
            Some(Action::InputChar('q'))
        ));
        assert!(matches!(
            key_action(&Mode::ConfirmCopyToken, k(KeyCode::Char('n'))),
            Some(Action::CancelConfirm)
        ));
        assert!(matches!(
            key_action(&Mode::ConfirmCopyToken, k(KeyCode::Enter)),
            Some(Action::CancelConfirm)
        ));
        assert!(matches!(
            key_action(&Mode::ConfirmCopyToken, k(KeyCode::Char('y'))),
            Some(Action::ConfirmCopyToken)
        ));
        assert!(matches!(
            key_action(
                &Mode::Normal,
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        ));
        assert!(key_action(&Mode::Help, k(KeyCode::Char('r'))).is_none());
    }
}
