//! The profile list: per profile a marker, the name, where its tokens come
//! from, the time left as words and as a small bar in the gauge's colours,
//! and the scope when there is room, so that a glance at the list tells
//! which tokens are about to go. Only the rows on screen are built, so
//! drawing costs the same for ten profiles or ten thousand.

use ratatui::Frame;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::details::token_indicator;
use super::text::{pad, pad_host, pad_left};
use crate::model::{GrantState, TokenState, format_duration};
use crate::presence::Kind;
use crate::tui::app::{App, Indicator, LabelWidths, Mode, ProfileRow, StateFilter};
use crate::tui::layout::Panes;
use crate::tui::list::window_start;
use crate::tui::theme::{self, Theme};

/// The selection mark and the state marker, each with its space.
const MARKS: usize = 4;
/// The time left: `9m 57s`, `59s`, `expired`.
const LEFT: usize = 7;
const BAR: usize = 6;
/// The bar narrows to this to keep the region column beside it.
const BAR_NARROW: usize = 4;
/// The name column is as wide as the longest name, from the heading's width
/// up to a cap; other columns are added only while it keeps that width.
const NAME_MIN: usize = 4;
const NAME_MAX: usize = 24;
/// A region name (`apac`) fits; hosts get up to the max.
const ENDPOINT_MIN: usize = 6;
/// Room for `127.0.0.1:40953 (eu)`: a host and the region it stands in for.
const ENDPOINT_MAX: usize = 22;
/// Room for one scope (`file:read`) before the column is worth showing.
const SCOPE_MIN: usize = 9;

/// The columns a row has room for, by width (0: not shown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Columns {
    name: usize,
    endpoint: usize,
    bar: usize,
    scope: usize,
}

impl Columns {
    /// Name and time left always; then the bar, the region, and the
    /// scope, each only while the names still fit whole (up to a cap). What
    /// is left widens the region column for hosts, then the scope; without
    /// a scope column, the name takes it.
    fn fit(width: usize, labels: LabelWidths) -> Columns {
        let mut room = width.saturating_sub(MARKS + LEFT + 1);
        let name_wanted = labels.name.clamp(NAME_MIN, NAME_MAX);
        let bar_wanted = [BAR, BAR_NARROW]
            .into_iter()
            .find(|&bar| room >= name_wanted + (bar + 1) + (ENDPOINT_MIN + 1))
            .unwrap_or(BAR);
        let mut take = |want: usize| {
            let fits = room >= name_wanted + 1 + want;
            if fits {
                room -= want + 1;
            }
            fits
        };
        let bar = if take(bar_wanted) { bar_wanted } else { 0 };
        let mut endpoint = if take(ENDPOINT_MIN) { ENDPOINT_MIN } else { 0 };
        let mut scope = if take(SCOPE_MIN) { SCOPE_MIN } else { 0 };
        if endpoint > 0 {
            let wanted = labels.endpoint.clamp(ENDPOINT_MIN, ENDPOINT_MAX);
            let grow = (wanted - endpoint).min(room.saturating_sub(name_wanted));
            endpoint += grow;
            room -= grow;
        }
        let name = if scope > 0 {
            scope += room - name_wanted;
            name_wanted
        } else {
            room.max(1)
        };
        Columns {
            name,
            endpoint,
            bar,
            scope,
        }
    }
}

pub fn render(frame: &mut Frame, panes: &Panes, app: &App, theme: Theme) {
    let list = app.list();
    let shown = list.visible().len();
    let count = if list.filter().is_empty() && app.state_filter() == StateFilter::All {
        format!(" {shown} ")
    } else {
        format!(" {shown} of {} ", app.rows().len())
    };
    let mut block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(title(app, theme))
        .title(Line::styled(count, theme.dim()).right_aligned());
    let typing = matches!(app.mode(), Mode::Filter);
    if typing || !list.filter().is_empty() {
        let cursor = if typing { "▏" } else { "" };
        let style = if typing { theme.focus() } else { theme.dim() };
        block = block.title_bottom(Line::styled(format!(" /{}{cursor} ", list.filter()), style));
    }
    frame.render_widget(block, panes.list);

    let columns = Columns::fit(usize::from(panes.list_rows.width), app.label_widths());
    frame.render_widget(
        Paragraph::new(Line::styled(header(columns), theme.dim())),
        panes.list_header,
    );

    let height = usize::from(panes.list_rows.height);
    if shown == 0 {
        let note = match (list.filter(), app.state_filter()) {
            ("", StateFilter::All) => String::new(),
            (text, StateFilter::All) => format!("  no profile matches “{text}”"),
            ("", state) => format!("  {}; f shows all", state.when_none()),
            (text, state) => format!("  {} matching “{text}”; f shows all", state.when_none()),
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
            Some(row_line(row, app, theme, columns, start + n == selected))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), panes.list_rows);
}

/// ` Profiles · by name `, ` Expired · by time left `: what the list
/// holds and in which order.
fn title(app: &App, theme: Theme) -> Line<'static> {
    let state = app.state_filter();
    let what = if state == StateFilter::All {
        theme.title()
    } else {
        theme.focus()
    };
    Line::from(vec![
        Span::styled(format!(" {} ", state.title()), what),
        Span::styled(format!("· {} ", app.order().label()), theme.dim()),
    ])
}

fn header(columns: Columns) -> String {
    let mut text = format!("{}{}", " ".repeat(MARKS), pad("NAME", columns.name));
    if columns.endpoint > 0 {
        text.push(' ');
        // `list`'s word where it fits; narrow, a shorter one that is not cut.
        let title = if columns.endpoint >= "ENDPOINT".len() {
            "ENDPOINT"
        } else {
            "HOST"
        };
        text.push_str(&pad(title, columns.endpoint));
    }
    text.push(' ');
    text.push_str(&pad_left("LEFT", LEFT));
    if columns.bar > 0 {
        text.push_str(&" ".repeat(columns.bar + 1));
    }
    if columns.scope > 0 {
        text.push(' ');
        text.push_str("SCOPE");
    }
    text.trim_end().to_owned()
}

fn row_line(row: &ProfileRow, app: &App, theme: Theme, columns: Columns, selected: bool) -> Line<'static> {
    let now = app.now();
    let margin = app.settings().refresh_margin;
    let indicator = app.indicator(row);
    let state = row.state(now, margin);
    let state_style = theme.indicator(token_indicator(state));
    let left = match (&row.token, state) {
        (_, TokenState::Expired) => "expired".to_owned(),
        (Some(token), _) => format_duration(token.seconds_left(now).max(0).unsigned_abs()),
        (None, _) => "—".to_owned(),
    };
    let left_style = match state {
        TokenState::Valid => Style::new(),
        _ => state_style,
    };
    let mut name_style = Style::new();
    if selected {
        name_style = name_style.add_modifier(Modifier::BOLD);
    }
    let mut spans = vec![
        Span::raw(if selected { "▸ " } else { "  " }),
        Span::styled(theme::marker(indicator, now), theme.indicator(indicator)),
        Span::raw(" "),
    ];
    // The name gives up its last columns to the markers, never the markers to the name.
    let presence = presence_marker(app, row.name());
    let grant = app.grant_warning(row).map(|state| match state {
        GrantState::Expired { .. } => (GRANT_EXPIRED, theme.error()),
        _ => (GRANT_EXPIRING, theme.indicator(Indicator::Expiring)),
    });
    let marks = usize::from(presence.is_some()) + usize::from(grant.is_some());
    if marks > 0 && columns.name > marks + 1 {
        spans.push(Span::styled(
            pad(row.name(), columns.name - marks - 1),
            name_style,
        ));
        spans.push(Span::raw(" "));
        if let Some(marker) = presence {
            spans.push(Span::styled(marker, theme.focus()));
        }
        if let Some((marker, style)) = grant {
            spans.push(Span::styled(marker, style));
        }
    } else {
        spans.push(Span::styled(pad(row.name(), columns.name), name_style));
    }
    if columns.endpoint > 0 {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            // Cut from the left: a host's end is its real domain.
            pad_host(&row.profile.endpoint_label(), columns.endpoint),
            theme.dim(),
        ));
    }
    spans.push(Span::raw(" "));
    spans.push(Span::styled(pad_left(&left, LEFT), left_style));
    if columns.bar > 0 {
        spans.push(Span::raw(" "));
        spans.extend(bar(row, app, columns.bar, state_style, theme));
    }
    if columns.scope > 0 {
        let scopes: Vec<String> = match (&row.token, &row.profile.scope) {
            (Some(token), _) => token.scopes.iter().map(str::to_owned).collect(),
            (None, Some(asked)) => asked.iter().map(str::to_owned).collect(),
            (None, None) => Vec::new(),
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            pad(&scope_text(&scopes, columns.scope), columns.scope),
            theme.dim(),
        ));
    }
    let line = Line::from(spans);
    if selected {
        line.style(theme.selected())
    } else {
        line
    }
}

/// `⇄` when a running `wktui serve` hands out the profile's tokens, `↪`
/// when a `wktui exec` runs with them; the details pane says which.
pub fn presence_marker(app: &App, name: &str) -> Option<&'static str> {
    let mut marker = None;
    for active in app.active_for(name) {
        match active.kind {
            Kind::Serve => return Some(SERVED),
            Kind::Exec => marker = Some(IN_USE),
        }
    }
    marker
}

pub const SERVED: &str = "⇄";
/// The grant expires within `WARN_DAYS`, or has (the details pane says when).
pub const GRANT_EXPIRING: &str = "!";
pub const GRANT_EXPIRED: &str = "✗";
pub const IN_USE: &str = "↪";

/// Whole scopes, as many as fit, then `+N` for the others: `file:read +1`.
fn scope_text(scopes: &[String], room: usize) -> String {
    let mut text = String::new();
    for (n, scope) in scopes.iter().enumerate() {
        let rest = scopes.len() - n - 1;
        let more = if rest > 0 {
            format!(" +{rest}")
        } else {
            String::new()
        };
        let sep = usize::from(!text.is_empty());
        let fits_with_more = text.len() + sep + scope.len() + more.len() <= room;
        let fits_as_last = rest == 0 && text.len() + sep + scope.len() <= room;
        if !(fits_with_more || fits_as_last) {
            let count = scopes.len() - n;
            return if text.is_empty() {
                format!("{scope}{more}") // cut by the column, visibly
            } else {
                format!("{text} +{count}")
            };
        }
        if sep == 1 {
            text.push(' ');
        }
        text.push_str(scope);
    }
    text
}

/// The share of the token's lifetime left, drawn like the details' gauge:
/// the filled part in the state's colour, the rest dim; blank without a token.
fn bar(row: &ProfileRow, app: &App, width: usize, style: Style, theme: Theme) -> Vec<Span<'static>> {
    let Some(token) = &row.token else {
        return vec![Span::raw(" ".repeat(width))];
    };
    let fraction = token.fraction_left(app.now());
    let fraction = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    // A token with any time left shows at least one cell.
    let filled = ((width as f64) * fraction).ceil() as usize;
    let filled = filled.min(width);
    vec![
        Span::styled("━".repeat(filled), style.add_modifier(Modifier::BOLD)),
        Span::styled("─".repeat(width - filled), theme.dim()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(name: usize, endpoint: usize) -> LabelWidths {
        LabelWidths { name, endpoint }
    }

    #[test]
    fn columns_appear_as_room_allows_and_always_fit() {
        // Narrow: name and time left only.
        let c = Columns::fit(20, labels(12, 4));
        assert_eq!((c.bar, c.endpoint, c.scope), (0, 0, 0));
        assert_eq!(c.name, 20 - MARKS - LEFT - 1);
        // 80 columns: the bar and the region.
        let c = Columns::fit(36, labels(10, 4));
        assert_eq!((c.bar, c.endpoint, c.scope), (BAR, ENDPOINT_MIN, 0));
        // The bar narrows to keep the region; names are not cut for either.
        let c = Columns::fit(36, labels(12, 4));
        assert_eq!(
            (c.name, c.bar, c.endpoint, c.scope),
            (12, BAR_NARROW, ENDPOINT_MIN, 0)
        );
        let c = Columns::fit(36, labels(14, 4));
        assert_eq!((c.name, c.bar, c.endpoint, c.scope), (17, BAR, 0, 0));
        // Wide: the host, then the scope get what the names leave.
        let c = Columns::fit(60, labels(12, 14));
        assert_eq!((c.name, c.endpoint, c.bar), (12, 14, BAR));
        assert_eq!(c.scope, 60 - MARKS - 12 - 1 - 14 - 1 - LEFT - 1 - BAR - 1);
        // A long host gets what is left, cut.
        let c = Columns::fit(40, labels(10, 30));
        assert_eq!((c.endpoint, c.scope), (10, 0));
        let c = Columns::fit(56, labels(14, 25));
        assert_eq!((c.name, c.endpoint, c.scope), (14, 12, SCOPE_MIN));
        // A very long name is capped so the other columns still show.
        let c = Columns::fit(60, labels(64, 4));
        assert_eq!((c.bar, c.endpoint), (BAR, ENDPOINT_MIN));
        let scopes = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            scope_text(&scopes(&["file:read", "file:write"]), 20),
            "file:read file:write"
        );
        assert_eq!(
            scope_text(&scopes(&["file:read", "file:write"]), 12),
            "file:read +1"
        );
        assert_eq!(scope_text(&scopes(&["a:b", "c:d", "e:f"]), 9), "a:b +2");
        assert_eq!(scope_text(&scopes(&["a:b", "c:d", "e:f"]), 10), "a:b c:d +1");
        assert_eq!(scope_text(&scopes(&["a:b", "c:d", "e:f"]), 11), "a:b c:d e:f");
        assert_eq!(scope_text(&scopes(&[]), 11), "");
        assert_eq!(
            scope_text(&scopes(&["file:read", "file:write"]), 9),
            "file:read +1"
        );
        for width in 0..200 {
            for name in [0, 5, 12, 64] {
                let c = Columns::fit(width, labels(name, 16));
                let used = MARKS
                    + c.name
                    + [c.endpoint, c.bar, c.scope]
                        .iter()
                        .map(|w| if *w > 0 { w + 1 } else { 0 })
                        .sum::<usize>()
                    + 1
                    + LEFT;
                assert!(used <= width.max(MARKS + 1 + 1 + LEFT), "{width} {name}: {c:?}");
                assert!(c.name >= 1);
            }
        }
    }
}
