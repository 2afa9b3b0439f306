//! Colours, markers and words for each state. With `NO_COLOR` every style
//! keeps only modifiers (bold, dim, reversed), and no state relies on colour
//! alone: each has a marker and a word.

use ratatui::style::{Color, Modifier, Style};

use super::app::{Indicator, SPINNER_STEP_MS, StatusKind};
use crate::model::Timestamp;

/// Braille spinner frames, one per `SPINNER_STEP_MS`.
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The spinner frame for this instant, so every spinner on screen turns together.
pub fn spinner(now: Timestamp) -> &'static str {
    SPINNER[((now.as_millis() / SPINNER_STEP_MS) % SPINNER.len() as u64) as usize]
}

/// The marker shown before a profile's name.
pub fn marker(indicator: Indicator, now: Timestamp) -> &'static str {
    match indicator {
        Indicator::Valid => "●",
        Indicator::Expiring => "◐",
        Indicator::Expired => "✕",
        Indicator::NoToken => "○",
        Indicator::Error => "!",
        Indicator::Refreshing => spinner(now),
        Indicator::Waiting => "◷",
    }
}

/// The state in a word, for the details pane.
pub fn word(indicator: Indicator) -> &'static str {
    match indicator {
        Indicator::Valid => "valid",
        Indicator::Expiring => "expiring",
        Indicator::Expired => "expired",
        Indicator::NoToken => "no token",
        Indicator::Error => "error",
        Indicator::Refreshing => "refreshing",
        Indicator::Waiting => "waiting",
    }
}

/// Styles for one frame; built from the App's `no_color`.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Self {
        Theme { color: !no_color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn indicator(self, indicator: Indicator) -> Style {
        match indicator {
            Indicator::Valid => self.fg(Color::Green),
            Indicator::Expiring => self.fg(Color::Yellow),
            Indicator::Expired | Indicator::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Indicator::NoToken => self.dim(),
            Indicator::Refreshing => self.fg(Color::Cyan),
            Indicator::Waiting => self.fg(Color::Yellow),
        }
    }

    pub fn border(self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// Labels in the details pane and the form.
    pub fn label(self) -> Style {
        self.fg(Color::Gray)
    }

    /// A key in hints and help.
    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn selected(self) -> Style {
        if self.color {
            Style::new().bg(Color::Indexed(237)).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red)
    }

    pub fn success(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn status(self, kind: StatusKind) -> Style {
        match kind {
            StatusKind::Info => Style::new(),
            StatusKind::Success => self.success(),
            StatusKind::Error => self.error().add_modifier(Modifier::BOLD),
        }
    }

    /// The focused field or element.
    pub fn focus(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_styles_carry_no_colour() {
        let theme = Theme::new(true);
        let styles = [
            theme.indicator(Indicator::Valid),
            theme.indicator(Indicator::Expired),
            theme.indicator(Indicator::Refreshing),
            theme.border(),
            theme.dim(),
            theme.label(),
            theme.key(),
            theme.selected(),
            theme.status(StatusKind::Error),
            theme.focus(),
        ];
        for style in styles {
            assert_eq!((style.fg, style.bg), (None, None), "{style:?}");
        }
    }

    #[test]
    fn spinner_turns_every_step() {
        assert_eq!(spinner(Timestamp(0)), "⠋");
        assert_eq!(spinner(Timestamp(SPINNER_STEP_MS)), "⠙");
        assert_eq!(spinner(Timestamp(SPINNER_STEP_MS * 10)), "⠋");
    }
}
