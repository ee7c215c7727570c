//! Styles in one place, so NO_COLOR can swap every colour for bold, reverse or plain text.
//! Only the eight basic colours are used, never palette colour 8 (the background in some
//! schemes), and nothing is said by colour alone: every state also has a word or a mark.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Self {
        Self { color: !no_color }
    }

    fn pick(&self, colored: Style, plain: Style) -> Style {
        if self.color {
            colored
        } else {
            plain
        }
    }

    pub fn ok(&self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    pub fn warn(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    pub fn danger(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// A banner that must not be missed.
    pub fn alarm(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        )
    }

    /// Secondary text: faint where the terminal can, never a colour that may vanish.
    pub fn dim(&self) -> Style {
        self.pick(Style::new().add_modifier(Modifier::DIM), Style::new())
    }

    pub fn label(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    pub fn heading(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn title_bar(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::Cyan),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn key(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::White),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    pub fn focus_border(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// Gauge colour for the share of lifetime left: green, yellow below 25 % or 5 min, red below 1 min.
    pub fn expiry(&self, used: f64, left: i64) -> Style {
        let color = if left < 60 {
            Color::Red
        } else if used > 0.75 || left < 300 {
            Color::Yellow
        } else {
            Color::Green
        };
        self.pick(Style::new().fg(color).bg(Color::Black), Style::new())
    }
}

pub use crate::charset::{ascii_glyph, wants_ascii};

/// Replace every glyph of a drawn frame by its ASCII stand-in.
pub fn asciify(buf: &mut ratatui::buffer::Buffer) {
    let area = buf.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            if let Some(cell) = buf.cell_mut((x, y)) {
                let sym = cell.symbol();
                if !sym.is_ascii() {
                    let c = sym.chars().next().map_or(' ', ascii_glyph);
                    cell.set_char(c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_terminals_and_non_utf8_locales_get_ascii() {
        assert!(wants_ascii(Some("linux"), Some("en_US.UTF-8")));
        assert!(wants_ascii(Some("dumb"), None));
        assert!(wants_ascii(Some("vt100"), None));
        assert!(wants_ascii(Some("xterm-256color"), Some("C")));
        assert!(!wants_ascii(Some("xterm-256color"), Some("en_US.UTF-8")));
        assert!(!wants_ascii(Some("tmux-256color"), None));
    }
}
