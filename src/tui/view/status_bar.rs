//! The bottom line: a transient message, or key hints for the current mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::details::pause_text;
use super::text::{fit, width};
use crate::tui::app::{App, Hint, Indicator, StatusKind, hints};
use crate::tui::theme::{self, Theme};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let available = usize::from(area.width);
    // A message first; then, while the config file does not load, why
    // (it stays until fixed); otherwise the keys.
    // A host asking wktui to wait comes after those: it passes by itself.
    let problems = app.config_problems();
    let line = match (app.status(), problems.first()) {
        (Some(message), _) => Line::from(Span::styled(
            fit(&format!(" {}", message.text), available),
            theme.status(message.kind),
        )),
        (None, Some(first)) => Line::from(Span::styled(
            fit(&problem_line(first, problems.len(), available), available),
            theme.status(StatusKind::Error),
        )),
        (None, None) => match pause_summary(app) {
            Some(text) => Line::from(Span::styled(
                fit(
                    &format!(" {} {text}", theme::marker(Indicator::Waiting, app.now())),
                    available,
                ),
                theme.indicator(Indicator::Waiting),
            )),
            None => hint_line(app, theme, available),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The first problem of the config file, whole when it fits and is the
/// only one; else led by the key that shows them all, which a cut-off end
/// could not show.
fn problem_line(first: &str, count: usize, available: usize) -> String {
    let whole = format!(" {first}");
    if count == 1 && width(&whole) <= available {
        return whole;
    }
    if count == 1 {
        format!(" ! shows it whole · {first}")
    } else {
        format!(" ! shows all {count} · {first}")
    }
}

/// The first paused host in words, and how many others there are.
fn pause_summary(app: &App) -> Option<String> {
    let mut paused = app.paused_hosts();
    let (host, until) = paused.next()?;
    let text = pause_text(host, until, app.now());
    Some(match paused.count() {
        0 => text,
        1 => format!("{text} (and 1 more host)"),
        more => format!("{text} (and {more} more hosts)"),
    })
}

/// As many hints as fit, in order of usefulness; the last two (help and
/// quit, or how to leave the current mode) are always kept.
fn hint_line(app: &App, theme: Theme, available: usize) -> Line<'static> {
    let all = hints(app);
    let (first, kept) = all.split_at(all.len().saturating_sub(2));
    let cost = |(key, what): &Hint| 1 + width(key) + 1 + width(what) + 1;
    let mut room = available.saturating_sub(kept.iter().map(cost).sum());
    let mut shown: Vec<&Hint> = Vec::new();
    for hint in first {
        if cost(hint) > room {
            break;
        }
        room -= cost(hint);
        shown.push(hint);
    }
    shown.extend(kept);
    let mut spans = Vec::new();
    for (key, what) in shown {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::styled(format!(" {what} "), theme.dim()));
    }
    Line::from(spans)
}
