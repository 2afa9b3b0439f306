//! The profile list: a marker, name, region and countdown per profile.
//! Only the rows on screen are built, so drawing costs the same for ten
//! profiles or ten thousand.

use ratatui::Frame;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::details::token_indicator;
use super::text::{pad, pad_left};
use crate::model::{Endpoint, TokenState, format_countdown};
use crate::tui::app::{App, Mode, ProfileRow};
use crate::tui::layout::Panes;
use crate::tui::list::window_start;
use crate::tui::theme::{self, Theme};

/// Columns besides the name: selection 2, marker 2, gaps 2, region, countdown.
const REGION: usize = 6;
const COUNTDOWN: usize = 7;
const FIXED: usize = 2 + 2 + 1 + REGION + 1 + COUNTDOWN;

pub fn render(frame: &mut Frame, panes: &Panes, app: &App, theme: Theme) {
    let list = app.list();
    let shown = list.visible().len();
    let count = if list.filter().is_empty() {
        format!(" {shown} ")
    } else {
        format!(" {shown} of {} ", app.rows().len())
    };
    let mut block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(Line::styled(" Profiles ", theme.title()))
        .title(Line::styled(count, theme.dim()).right_aligned());
    let typing = matches!(app.mode(), Mode::Filter);
    if typing || !list.filter().is_empty() {
        let cursor = if typing { "▏" } else { "" };
        let style = if typing { theme.focus() } else { theme.dim() };
        block = block.title_bottom(Line::styled(format!(" /{}{cursor} ", list.filter()), style));
    }
    frame.render_widget(block, panes.list);

    let width = usize::from(panes.list_rows.width);
    let name_width = width.saturating_sub(FIXED).max(1);
    let header = format!(
        "    {} {} {}",
        pad("NAME", name_width),
        pad("REGION", REGION),
        pad_left("EXPIRES", COUNTDOWN)
    );
    frame.render_widget(
        Paragraph::new(Line::styled(header, theme.dim())),
        panes.list_header,
    );

    let height = usize::from(panes.list_rows.height);
    if shown == 0 {
        let note = if list.filter().is_empty() {
            String::new()
        } else {
            format!("  no profile matches “{}”", list.filter())
        };
        frame.render_widget(Paragraph::new(Line::styled(note, theme.dim())), panes.list_rows);
        return;
    }
    let selected = list.selected_position();
    let start = window_start(list.offset(), selected, height, shown);
    let end = start.saturating_add(height).min(shown);
    let lines: Vec<Line> = list.visible()[start..end]
        .iter()
        .enumerate()
        .filter_map(|(n, &index)| {
            let row = app.rows().get(index)?;
            Some(row_line(row, app, theme, name_width, start + n == selected))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), panes.list_rows);
}

fn row_line(row: &ProfileRow, app: &App, theme: Theme, name_width: usize, selected: bool) -> Line<'static> {
    let now = app.now();
    let margin = app.settings().refresh_margin;
    let indicator = row.indicator(now, margin);
    let state = row.state(now, margin);
    let region = match &row.profile.endpoint {
        Endpoint::Region(region) => region.as_str(),
        Endpoint::TokenUrl(_) => "url",
    };
    let countdown = match (&row.token, state) {
        (_, TokenState::Expired) => "expired".to_owned(),
        (Some(token), _) => format_countdown(token.seconds_left(now)),
        (None, _) => "—".to_owned(),
    };
    let countdown_style = match state {
        TokenState::Valid => ratatui::style::Style::new(),
        other => theme.indicator(token_indicator(other)),
    };
    let mut name_style = ratatui::style::Style::new();
    if selected {
        name_style = name_style.add_modifier(Modifier::BOLD);
    }
    let line = Line::from(vec![
        Span::raw(if selected { "▸ " } else { "  " }),
        Span::styled(theme::marker(indicator, now), theme.indicator(indicator)),
        Span::raw(" "),
        Span::styled(pad(row.name(), name_width), name_style),
        Span::raw(" "),
        Span::styled(pad(region, REGION), theme.dim()),
        Span::raw(" "),
        Span::styled(pad_left(&countdown, COUNTDOWN), countdown_style),
    ]);
    if selected {
        line.style(theme.selected())
    } else {
        line
    }
}
