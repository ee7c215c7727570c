//! Taking over the terminal and always giving it back: on drop, on panic, on signals
//! (the runner turns SIGTERM, SIGHUP and Ctrl-C into a normal exit, which drops the guard), and for
//! a while on Ctrl-Z.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, event, execute, terminal};
use ratatui::Terminal;

/// Standard output for the terminal backend, which owns it while the UI runs; what it draws is
/// the cell buffer, which `ui::draw` has passed through the sanitiser.
#[allow(
    clippy::disallowed_methods,
    reason = "the UI's backend writes the sanitised cell buffer to the terminal"
)]
fn terminal_stdout() -> Stdout {
    io::stdout()
}

static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Leave the alternate screen and raw mode. Safe to call twice.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = terminal::disable_raw_mode();
        let _ = execute!(
            terminal_stdout(),
            event::DisableBracketedPaste,
            terminal::LeaveAlternateScreen,
            cursor::Show
        );
        let _ = terminal_stdout().flush();
    }
}

/// Raw mode, the alternate screen, no cursor, and pastes delivered whole.
fn take() -> io::Result<()> {
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    if let Err(e) = execute!(
        terminal_stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide,
        event::EnableBracketedPaste
    ) {
        restore();
        return Err(e);
    }
    Ok(())
}

pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                // Restore first, so the panic message lands on a usable screen.
                restore();
                previous(info);
            }));
        });
        take()?;
        match Terminal::new(CrosstermBackend::new(terminal_stdout())) {
            Ok(terminal) => Ok(Self { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// Ctrl-Z: give the shell its terminal, stop until `fg`, then take the terminal again.
    pub fn suspend(&mut self) -> io::Result<()> {
        restore();
        #[cfg(unix)]
        signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
        take()?;
        self.repaint()
    }

    /// Ctrl-L, and after a resume: clear the screen and draw every cell again on the next frame.
    /// Not `Terminal::clear`, which asks the terminal for the cursor position first: the input
    /// thread owns the event reader, so that answer never arrives and the UI would exit.
    pub fn repaint(&mut self) -> io::Result<()> {
        let area = self.terminal.size()?.into();
        self.terminal.resize(area)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
