//! The `/` prompt's line: text with a cursor, the usual shell editing keys, pasted text, and
//! a view that scrolls sideways so the cursor stays on screen. Positions count characters.

use super::keys::Edit;

/// Longest input kept: a resource URI is short; a pasted token is a few kilobytes.
pub const MAX_CHARS: usize = 16 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    chars: Vec<char>,
    cursor: usize,
}

impl LineEditor {
    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Insert typed or pasted text at the cursor; control characters (a pasted newline) are
    /// dropped, since a resource or a token is one line.
    pub fn insert(&mut self, s: &str) {
        for c in s.chars().filter(|c| !c.is_control()) {
            if self.chars.len() >= MAX_CHARS {
                break;
            }
            self.chars.insert(self.cursor, c);
            self.cursor += 1;
        }
    }

    #[allow(
        clippy::indexing_slicing,
        reason = "indices stay within 0..=cursor, and the cursor within the line"
    )]
    pub fn apply(&mut self, edit: Edit) {
        match edit {
            Edit::Left => self.cursor = self.cursor.saturating_sub(1),
            Edit::Right => self.cursor = (self.cursor + 1).min(self.chars.len()),
            Edit::Home => self.cursor = 0,
            Edit::End => self.cursor = self.chars.len(),
            Edit::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    self.chars.remove(self.cursor);
                }
            }
            Edit::Delete => {
                if self.cursor < self.chars.len() {
                    self.chars.remove(self.cursor);
                }
            }
            Edit::KillToStart => {
                self.chars.drain(..self.cursor);
                self.cursor = 0;
            }
            Edit::KillWord => {
                let mut start = self.cursor;
                while start > 0 && self.chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !is_word_break(self.chars[start - 1]) {
                    start -= 1;
                }
                self.chars.drain(start..self.cursor);
                self.cursor = start;
            }
            Edit::Submit | Edit::Cancel => {}
        }
    }

    /// The part of the line that fits in `width` cells with the cursor in it, and the
    /// cursor's column within that part. Cut ends are marked with `…`.
    #[allow(
        clippy::indexing_slicing,
        reason = "start < end <= len, and the shown part is at least two cells"
    )]
    pub fn view(&self, width: usize) -> (String, usize) {
        let width = width.max(2);
        let n = self.chars.len();
        if n < width {
            return (self.text(), self.cursor);
        }
        // Keep the cursor a few cells from the right edge while typing at the end.
        let start = self.cursor.saturating_sub(width.saturating_sub(2));
        let end = (start + width).min(n);
        let mut shown: Vec<char> = self.chars[start..end].to_vec();
        if start > 0 {
            shown[0] = '…';
        }
        if end < n {
            if let Some(last) = shown.last_mut() {
                *last = '…';
            }
        }
        (shown.into_iter().collect(), self.cursor - start)
    }
}

/// Ctrl-W stops at these, as a shell does for paths: `https://x/` loses one segment at a time.
fn is_word_break(c: char) -> bool {
    c.is_whitespace() || c == '/'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(s: &str) -> LineEditor {
        let mut e = LineEditor::default();
        e.insert(s);
        e
    }

    #[test]
    fn moves_and_edits_in_the_middle() {
        let mut e = typed("api://x");
        e.apply(Edit::Home);
        e.insert("my");
        assert_eq!(e.text(), "myapi://x");
        e.apply(Edit::End);
        e.apply(Edit::Left);
        e.apply(Edit::Backspace);
        assert_eq!(e.text(), "myapi:/x");
        e.apply(Edit::Delete);
        assert_eq!(e.text(), "myapi:/");
    }

    #[test]
    fn ctrl_u_and_ctrl_w_delete_instead_of_typing() {
        let mut e = typed("https://vault.azure.net/keys");
        e.apply(Edit::KillWord);
        assert_eq!(e.text(), "https://vault.azure.net/");
        e.apply(Edit::KillToStart);
        assert!(e.is_empty());
    }

    #[test]
    fn a_pasted_newline_is_dropped() {
        assert_eq!(typed("a\nb\r").text(), "ab");
    }

    #[test]
    fn the_view_scrolls_to_keep_the_cursor() {
        let e = typed("abcdefghijklmnopqrstuvwxyz");
        let (shown, col) = e.view(10);
        assert_eq!(shown.chars().count(), 8);
        assert!(shown.starts_with('…'));
        assert_eq!(col, 8);
        let mut e = e;
        e.apply(Edit::Home);
        let (shown, col) = e.view(10);
        assert!(shown.starts_with("abc") && shown.ends_with('…'), "{shown}");
        assert_eq!(col, 0);
    }
}
