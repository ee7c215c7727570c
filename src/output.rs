//! The print layer: the only place tokscope writes to stdout, stderr, a report file or the
//! clipboard, and it takes only [`TerminalText`] and [`ClipboardText`], so nothing unsanitised
//! reaches a terminal, a report or the clipboard.
//!
//! Write failures: a closed stdout pipe (`| head`) is the reader's choice and ends output quietly;
//! any other stdout failure (a full disk, `> /dev/full`) is an error, so the command fails rather
//! than exiting 0 with nothing written. stderr failures are ignored: there is nowhere left to say
//! anything, and panicking about it (as `eprintln!` does) would turn a message into exit 101.

#![allow(
    clippy::disallowed_methods,
    reason = "the one place allowed to touch the standard streams (see clippy.toml)"
)]

use std::io::{ErrorKind as IoKind, Write};
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};
use crate::files::{self, Access, WriteError};
pub use crate::sanitize::{ClipboardText, TerminalText};

fn stdout_failed(e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot write to standard output: {e}"),
        "send the output somewhere writable (a file on a disk with space, a pipe or the terminal)",
    )
}

/// The text as this terminal's character set takes it: unchanged under UTF-8, else in ASCII
/// (`crate::charset` decides once for the process).
fn for_terminal(text: &TerminalText) -> std::borrow::Cow<'_, str> {
    if !crate::charset::plain_ascii() {
        return std::borrow::Cow::Borrowed(text.as_str());
    }
    match text.form() {
        crate::sanitize::Form::Json => crate::charset::ascii_json(text.as_str()),
        crate::sanitize::Form::Words => crate::charset::ascii_text(text.as_str()),
    }
}

/// Write `text` and a line feed to stdout and flush.
pub fn stdout_line(text: &TerminalText) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{}", for_terminal(text)).and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == IoKind::BrokenPipe => Ok(()),
        Err(e) => Err(stdout_failed(&e)),
    }
}

/// Whether standard output is a terminal (for `--color auto`).
pub fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}

/// The OSC 52 escape that asks the terminal to put `text` on the clipboard. It takes only
/// [`ClipboardText`], so the payload has passed the clipboard gate.
pub fn osc52(text: &ClipboardText) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_str().as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

/// Ask the terminal to put `text` on the clipboard (the only raw escape tokscope writes).
pub fn clipboard(text: &ClipboardText) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(osc52(text).as_bytes())?;
    out.flush()
}

/// Write `text` and a line feed to stderr; failures are ignored (see the module comment).
pub fn stderr_line(text: &TerminalText) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", for_terminal(text));
    let _ = err.flush();
}

/// One line of tokscope's own wording with outside parts already in it, for stderr.
pub fn note(s: &str) {
    stderr_line(&TerminalText::text(s));
}

/// Write a report (or any text file the user asked for) through the same sanitiser, and the
/// file gate: a file already there is replaced only when it is the user's own (see
/// `files::replace`), never through a link.
pub fn write_file(path: &Path, text: &TerminalText) -> std::result::Result<(), WriteError> {
    files::replace(path, text.as_str().as_bytes(), Access::Shared)
}

/// Create-new variant for files that must not overwrite anything.
pub fn write_new_file(path: &Path, text: &TerminalText) -> std::result::Result<(), WriteError> {
    files::create_new(path, text.as_str().as_bytes(), Access::Shared)
}
