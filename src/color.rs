//! `--color auto|always|never` and NO_COLOR, for the plain commands and the terminal UI.
//!
//! The plain commands colour only words of tokscope's own making at places it put them (the
//! doctor's status labels, `watch`'s event names, `warning` lines), and only after the text has
//! been sanitised, so an escape can come from nowhere but here. With `auto` they colour only
//! when standard output is a terminal, NO_COLOR is unset or empty, and TERM is not `dumb`; a
//! pipe or a file always gets plain text. `always` colours even a pipe and overrides NO_COLOR;
//! `never` never colours, the terminal UI included.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::sanitize::TerminalText;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always colour, even into a pipe; overrides NO_COLOR.
    Always,
    /// Never colour.
    Never,
}

static CHOICE: AtomicU8 = AtomicU8::new(0);

/// Set once at start from `--color`.
pub fn set(choice: ColorChoice) {
    CHOICE.store(choice as u8, Ordering::Relaxed);
}

pub fn choice() -> ColorChoice {
    match CHOICE.load(Ordering::Relaxed) {
        1 => ColorChoice::Always,
        2 => ColorChoice::Never,
        _ => ColorChoice::Auto,
    }
}

fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Whether `auto` colours, given the facts it looks at.
pub fn auto_colours(stdout_is_terminal: bool, no_color: bool, term: Option<&str>) -> bool {
    stdout_is_terminal && !no_color && term != Some("dumb")
}

/// Whether the plain commands colour what they write to standard output.
pub fn stdout_enabled() -> bool {
    match choice() {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto_colours(
            crate::output::stdout_is_terminal(),
            no_color_env(),
            std::env::var("TERM").ok().as_deref(),
        ),
    }
}

/// Whether the terminal UI draws without colour (it always owns a terminal).
pub fn tui_no_color() -> bool {
    match choice() {
        ColorChoice::Always => false,
        ColorChoice::Never => true,
        ColorChoice::Auto => no_color_env(),
    }
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[1;31m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Which of tokscope's outputs a text is, so the painter knows where its own words stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `tokscope doctor`: `  PASS  name  evidence`, `hint:` lines, `warning` lines.
    Doctor,
    /// `tokscope watch`: `<UTC time>  <event>  …`.
    Watch,
    /// `tokscope get` and `decode`: `warning` lines.
    Plain,
}

/// `text` sanitised, with colour added where `layout` puts tokscope's own words.
pub fn paint(text: &str, layout: Layout) -> TerminalText {
    let mut out = TerminalText::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_text("\n");
        }
        paint_line(&mut out, line, layout);
    }
    out
}

fn paint_line(out: &mut TerminalText, line: &str, layout: Layout) {
    if let Some(rest) = line.strip_prefix("warning") {
        return wrap(out, YELLOW, "warning", rest, "");
    }
    match layout {
        Layout::Doctor => {
            for (label, colour) in [
                ("PASS", GREEN),
                ("WARN", YELLOW),
                ("FAIL", RED),
                ("SKIP", DIM),
            ] {
                if let Some(rest) = line.strip_prefix("  ").and_then(|l| l.strip_prefix(label)) {
                    return wrap(out, colour, label, rest, "  ");
                }
            }
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix("hint:") {
                let indent = line.get(..line.len() - trimmed.len()).unwrap_or_default();
                return wrap(out, CYAN, "hint:", rest, indent);
            }
        }
        Layout::Watch => {
            // The time is 20 characters (`2026-11-25T16:40:01Z`), then two spaces.
            if let (Some(head), Some(tail)) = (line.get(..22), line.get(22..)) {
                for (kind, colour) in [("fetched", GREEN), ("refreshed", CYAN), ("error", RED)] {
                    if let Some(rest) = tail.strip_prefix(kind) {
                        return wrap(out, colour, kind, rest, head);
                    }
                }
            }
        }
        Layout::Plain => {}
    }
    out.push_text(line);
}

fn wrap(out: &mut TerminalText, colour: &'static str, word: &str, rest: &str, lead: &str) {
    out.push_text(lead);
    out.push_escape(colour);
    out.push_text(word);
    out.push_escape(RESET);
    out.push_text(rest);
}

/// `text` for standard output: painted when colour is on, else only sanitised.
pub fn for_stdout(text: &str, layout: Layout) -> TerminalText {
    if stdout_enabled() {
        paint(text, layout)
    } else {
        TerminalText::text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_needs_a_terminal_and_no_no_color() {
        assert!(auto_colours(true, false, Some("xterm-256color")));
        assert!(!auto_colours(false, false, Some("xterm")));
        assert!(!auto_colours(true, true, Some("xterm")));
        assert!(!auto_colours(true, false, Some("dumb")));
        assert!(auto_colours(true, false, None));
    }

    #[test]
    fn doctor_labels_and_hints_are_coloured_and_nothing_else_changes() {
        let text = "tokscope doctor\n\n  PASS  proxy  none\n  FAIL  token  HTTP 400\n         hint: grant it\n\n1 passed";
        let painted = paint(text, Layout::Doctor);
        let s = painted.as_str();
        assert!(s.contains("  \x1b[32mPASS\x1b[0m  proxy  none"), "{s:?}");
        assert!(s.contains("\x1b[1;31mFAIL\x1b[0m"), "{s:?}");
        assert!(
            s.contains("         \x1b[36mhint:\x1b[0m grant it"),
            "{s:?}"
        );
        let plain: String = s.replace(GREEN, "").replace(RED, "").replace(CYAN, "");
        assert_eq!(plain.replace(RESET, ""), text);
    }

    #[test]
    fn outside_escapes_stay_inert_when_painting() {
        let painted = paint("  WARN  x  \x1b]52;c;AAAA\x07", Layout::Doctor);
        assert!(painted.as_str().contains("\\u{1b}]52"), "{painted:?}");
        assert_eq!(painted.as_str().matches('\x1b').count(), 2);
    }

    #[test]
    fn watch_events_by_kind() {
        let line = "2026-11-25T16:40:01Z  refreshed  sha256:ab";
        let s = paint(line, Layout::Watch);
        assert_eq!(
            s.as_str(),
            "2026-11-25T16:40:01Z  \x1b[36mrefreshed\x1b[0m  sha256:ab"
        );
        let u = "2026-11-25T16:40:01Z  unchanged  sha256:ab";
        assert_eq!(paint(u, Layout::Watch).as_str(), u);
    }
}
