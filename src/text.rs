//! Plain-text wrapping shared by the terminal UI and the CLI reports.

/// What to do with a word longer than a whole line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongWords {
    /// Leave it whole and overlong, so a URL printed to a terminal stays one copyable piece.
    Keep,
    /// Cut it into line-sized pieces, for panes that must not overflow.
    Cut,
}

/// Split into chunks of at most `width` characters (for tokens, ids and URLs without spaces).
pub fn wrap_chars(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(width).map(|c| c.iter().collect()).collect()
}

/// Wrap at spaces into lines of at most `width` characters (words longer than that aside).
/// Always at least one line, empty for empty text.
pub fn wrap_words(s: &str, width: usize, long: LongWords) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let needed = usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && line.chars().count() + needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if long == LongWords::Cut && word.chars().count() > width {
            for chunk in wrap_chars(word, width) {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                line = chunk;
            }
            continue;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_keeping_long_words() {
        let wrap = |s, w| wrap_words(s, w, LongWords::Keep);
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("abcdefgh", 3), ["abcdefgh"]);
    }

    #[test]
    fn wraps_at_spaces_cutting_long_words() {
        let wrap = |s, w| wrap_words(s, w, LongWords::Cut);
        assert_eq!(wrap_chars("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij x", 4), ["abcd", "efgh", "ij x"]);
    }
}
