//! Everything drawn over or instead of the main panes: help, the profile
//! form, the delete question, the first-run welcome and the too-small note.

use ratatui::Frame;
use ratatui::layout::{Alignment, Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::text::{fit, pad, width, wrap};
use crate::model::{ApiVersion, SecretSource};
use crate::tui::app::{App, HELP, ProfileRow};
use crate::tui::form::{FormField, ProfileForm};
use crate::tui::layout::{MIN_HEIGHT, MIN_WIDTH};
use crate::tui::theme::Theme;

/// A `width`×`height` rectangle centred in `area`, shrunk to fit it.
pub(super) fn centered(area: Rect, width: usize, height: usize) -> Rect {
    let width = u16::try_from(width).unwrap_or(u16::MAX).min(area.width);
    let height = u16::try_from(height).unwrap_or(u16::MAX).min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

pub(super) fn overlay_block(title: &str, theme: Theme) -> Block<'static> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.focus())
        .title(Line::styled(format!(" {title} "), theme.title()))
}

// --- help ---

/// Spaces between a key and what it does, and between the two columns.
const KEY_GAP: usize = 2;
const COLUMN_GAP: u16 = 2;

fn help_column(groups: &[(&str, &[(&str, &str)])], key_width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (n, (title, keys)) in groups.iter().enumerate() {
        if n > 0 {
            lines.push(Line::default());
        }
        lines.push(Line::styled(title.to_string(), theme.title()));
        for (key, what) in keys.iter() {
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", pad(key, key_width + KEY_GAP)), theme.key()),
                Span::raw(what.to_string()),
            ]));
        }
    }
    lines
}

pub fn help(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let entries = || HELP.iter().flat_map(|(_, keys)| keys.iter());
    let key_width = entries().map(|(key, _)| width(key)).max().unwrap_or(0);
    let what_width = entries().map(|(_, what)| width(what)).max().unwrap_or(0);
    let column = 2 + key_width + KEY_GAP + what_width;
    let (left, right) = HELP.split_at(HELP.len().min(3));
    let left = help_column(left, key_width, theme);
    let right = help_column(right, key_width, theme);
    let block = overlay_block("Keys", theme);

    // Two columns when they fit: borders, a space each side and the gap.
    let two_wide = 2 * column + usize::from(COLUMN_GAP) + 4;
    let two_high = left.len().max(right.len()) + 2;
    if two_wide <= usize::from(area.width) && two_high <= usize::from(area.height) {
        let rect = centered(area, two_wide, two_high);
        let inner = block.inner(rect);
        frame.render_widget(Clear, rect);
        frame.render_widget(
            block.title_bottom(Line::styled(" Esc closes ", theme.dim()).right_aligned()),
            rect,
        );
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        let left_rect = Rect {
            x: inner.x.saturating_add(1),
            width: column.min(inner.width.saturating_sub(1)),
            ..inner
        };
        let right_x = left_rect.right().saturating_add(COLUMN_GAP);
        let right_rect = Rect {
            x: right_x,
            width: inner.right().saturating_sub(right_x),
            ..inner
        };
        frame.render_widget(Paragraph::new(left), left_rect);
        frame.render_widget(Paragraph::new(right), right_rect);
        return;
    }

    // Otherwise one column that scrolls when the screen is short.
    let mut lines = left;
    lines.push(Line::default());
    lines.extend(right);
    let rect = centered(area, column + 4, lines.len() + 2);
    let inner = block.inner(rect);
    let visible = usize::from(inner.height);
    let scroll = app.help_scroll().min(lines.len().saturating_sub(visible));
    let hint = if lines.len() > visible {
        " ↑↓ scroll · Esc closes "
    } else {
        " Esc closes "
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        block.title_bottom(Line::styled(hint, theme.dim()).right_aligned()),
        rect,
    );
    let body = Rect {
        x: inner.x.saturating_add(1),
        width: inner.width.saturating_sub(1),
        ..inner
    };
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Paragraph::new(shown), body);
}

// --- the config file's problems ---

/// Every problem of the config file, wrapped whole (the status line shows
/// only the start of the first), scrolling when the screen is short.
pub fn problems(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let outer = usize::from(area.width).saturating_sub(4).clamp(20, 100);
    // Borders and the overlay's left margin take three columns.
    let room = outer.saturating_sub(3);
    let mut lines: Vec<Line> = Vec::new();
    for (n, problem) in app.config_problems().iter().enumerate() {
        if n > 0 {
            lines.push(Line::default());
        }
        lines.extend(wrap(problem, room).into_iter().map(Line::from));
    }
    let rect = centered(area, outer, lines.len() + 2);
    let visible = usize::from(rect.height.saturating_sub(2));
    let scroll = app.problems_scroll().min(lines.len().saturating_sub(visible));
    let hint = if lines.len() > visible {
        " ↑↓ scroll · Esc closes "
    } else {
        " Esc closes "
    };
    let block = overlay_block("Config file problems", theme)
        .title_bottom(Line::styled(hint, theme.dim()).right_aligned());
    let body = open_overlay(frame, rect, block);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Paragraph::new(shown), body);
}

// --- the profile form ---

/// Label column: focus mark and label.
const FORM_LABEL: usize = 17;

pub fn form(frame: &mut Frame, area: Rect, form: &ProfileForm, theme: Theme) {
    let title = match form.editing() {
        Some(name) => format!("Edit {name}"),
        None => "Add a profile".to_owned(),
    };
    let width = usize::from(area.width).min(76);
    let value_width = width.saturating_sub(FORM_LABEL + 4).max(1);
    let mut lines = Vec::new();
    let mut cursor = None;
    for field in FormField::ALL {
        let focused = form.focus() == field;
        let label_style = if focused { theme.focus() } else { theme.label() };
        let mark = if focused { "› " } else { "  " };
        let (value, column) = field_value(form, field, focused, value_width, theme);
        if focused {
            cursor = column.map(|c| (lines.len(), c));
        }
        let mut spans = vec![Span::styled(
            pad(&format!("{mark}{}", field.label()), FORM_LABEL),
            label_style,
        )];
        spans.extend(value);
        lines.push(Line::from(spans));
        if let Some(error) = form.error(field) {
            for part in wrap(&format!("✕ {error}"), value_width) {
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(FORM_LABEL)),
                    Span::styled(part, theme.error()),
                ]));
            }
        }
    }
    lines.push(Line::default());
    if let Some(notice) = form.notice() {
        for part in wrap(&format!("! {notice}"), width.saturating_sub(4)) {
            lines.push(Line::styled(
                part,
                theme.indicator(crate::tui::Indicator::Expiring),
            ));
        }
    }
    if let Some(error) = form.save_error() {
        let style = theme.error().add_modifier(Modifier::BOLD);
        for part in wrap(&format!("✕ could not save: {error}"), width.saturating_sub(4)) {
            lines.push(Line::styled(part, style));
        }
    }
    let footer = if form.is_saving() {
        " saving… "
    } else {
        " Ctrl-S saves · Esc cancels "
    };
    let rect = centered(area, width, lines.len() + 2);
    let block = overlay_block(&title, theme).title_bottom(Line::styled(footer, theme.dim()).right_aligned());
    let body = open_overlay(frame, rect, block);
    // On a screen too short for every field, the focused one stays in view.
    let scroll = cursor.map_or(0, |(line, _)| (line + 1).saturating_sub(usize::from(body.height)));
    let shown: Vec<Line> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(Paragraph::new(shown), body);
    if let Some((line, column)) = cursor {
        let x = usize::from(body.x) + FORM_LABEL + column;
        let y = usize::from(body.y) + line - scroll;
        if x < usize::from(body.right()) && y < usize::from(body.bottom()) {
            // Both fit in u16: they are inside `body`.
            frame.set_cursor_position(Position::new(x as u16, y as u16));
        }
    }
}

/// The spans for a field's value, and the cursor's column within it when
/// the field takes typing.
fn field_value(
    form: &ProfileForm,
    field: FormField,
    focused: bool,
    room: usize,
    theme: Theme,
) -> (Vec<Span<'static>>, Option<usize>) {
    let choice = |text: &str| {
        if focused {
            vec![Span::styled(format!("◂ {text} ▸"), theme.focus())]
        } else {
            vec![Span::raw(text.to_owned())]
        }
    };
    match field {
        FormField::ApiVersion => {
            let note = match form.api_version() {
                ApiVersion::V2026_01_01 => "",
                ApiVersion::V2022_01_01 => "  legacy",
            };
            let mut spans = choice(form.api_version().as_str());
            spans.push(Span::styled(note, theme.dim()));
            (spans, None)
        }
        FormField::ClientAuth => (choice(form.client_auth().as_str()), None),
        FormField::Secret => {
            let count = form.secret().char_count();
            if count == 0 {
                let hint = match (form.editing(), form.secret_store()) {
                    (Some(_), _) => "empty keeps the stored secret",
                    (None, SecretSource::Memory) => "typed hidden, kept in memory (demo)",
                    (None, _) => "typed hidden, stored in the keyring",
                };
                return (vec![Span::styled(fit(hint, room), theme.dim())], Some(0));
            }
            let dots = count.min(room.saturating_sub(1));
            (vec![Span::raw("•".repeat(dots))], Some(dots))
        }
        _ => {
            let Some(input) = form.input(field) else {
                return (Vec::new(), None);
            };
            if input.text().is_empty() {
                let placeholder = match field {
                    FormField::Scope => "optional, space-separated",
                    FormField::Endpoint => "us, eu, apac or a token URL",
                    FormField::BaseUrl => "optional, another host for the region",
                    FormField::GrantExpires => "optional, YYYY-MM-DD",
                    _ => "",
                };
                return (vec![Span::styled(fit(placeholder, room), theme.dim())], Some(0));
            }
            // Scroll long text so the cursor stays in view.
            let chars: Vec<char> = input.text().chars().collect();
            let cursor = input.cursor().min(chars.len());
            let start = cursor.saturating_sub(room.saturating_sub(1));
            let shown: String = chars[start..].iter().collect();
            let shown = fit(&shown, room);
            let before: String = chars[start..cursor].iter().collect();
            (vec![Span::raw(shown)], Some(width(&before)))
        }
    }
}

// --- delete question ---

/// Asks before deleting, saying what cannot be undone (the words of
/// `wktui profile remove`: `profile_changes::removal_warning`).
pub fn confirm_delete(frame: &mut Frame, area: Rect, name: &str, warning: Option<&str>, theme: Theme) {
    // Borders and the overlay's left margin take three columns.
    let outer = (width(name) + 28).clamp(60, 64).min(usize::from(area.width));
    let room = outer.saturating_sub(3);
    let mut lines = vec![
        Line::from(vec![
            Span::raw("Delete the profile "),
            Span::styled(name.to_owned(), theme.title()),
            Span::raw("?"),
        ]),
        Line::default(),
    ];
    if let Some(warning) = warning {
        lines.extend(wrap(warning, room).into_iter().map(Line::from));
        lines.push(Line::default());
    }
    lines.push(Line::from(vec![
        Span::styled("y", theme.key()),
        Span::raw(" delete    "),
        Span::styled("n", theme.key()),
        Span::raw(" keep it"),
    ]));
    let rect = centered(area, outer, lines.len() + 2);
    let block = overlay_block("Delete", theme);
    let body = open_overlay(frame, rect, block);
    frame.render_widget(Paragraph::new(lines), body);
}

// --- first run ---

pub fn welcome(frame: &mut Frame, area: Rect, theme: Theme) {
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(Line::styled(" Welcome to wktui ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let room = usize::from(inner.width.saturating_sub(4));
    // The whole text where it fits; on a small screen, what to do next first:
    // how to add a profile and how to try wktui, then the keys.
    let rows = usize::from(inner.height);
    let lines = [Welcome::Full, Welcome::NoIntro, Welcome::Compact]
        .into_iter()
        .map(|size| welcome_lines(size, room, theme))
        .find(|lines| wrapped_height(lines, room) <= rows)
        .unwrap_or_else(|| welcome_lines(Welcome::Compact, room, theme));
    // Centre the block of text by its widest line.
    let widest = lines.iter().map(Line::width).max().unwrap_or(0);
    let text_width = u16::try_from(widest.min(room)).unwrap_or(0);
    let text_height = u16::try_from(wrapped_height(&lines, room)).unwrap_or(u16::MAX);
    let top = inner.height.saturating_sub(text_height) / 2;
    let body = Rect {
        x: inner.x + (inner.width - text_width) / 2,
        y: inner.y + top,
        width: text_width,
        height: inner.height - top,
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Welcome {
    Full,
    NoIntro,
    Compact,
}

fn welcome_lines(size: Welcome, room: usize, theme: Theme) -> Vec<Line<'static>> {
    const COMMAND: &str = "wktui profile add NAME --client-id ID [--region us|eu|apac]";
    let key = |k: &'static str| Span::styled(k, theme.key());
    if size == Welcome::Compact {
        return vec![
            Line::styled("No profiles yet. To add one:", theme.title()),
            Line::from(vec![Span::raw("  press "), key("a"), Span::raw(", or run")]),
            Line::styled("  wktui profile add NAME", theme.focus()),
            Line::styled("    --client-id ID", theme.focus()),
            Line::from(vec![
                Span::raw("Try it first: "),
                Span::styled("wktui demo", theme.focus()),
            ]),
            Line::from(vec![
                key("?"),
                Span::raw(" keys, "),
                key("q"),
                Span::raw(" quits"),
            ]),
        ];
    }
    let mut lines = Vec::new();
    if size == Welcome::Full {
        lines.extend([
            Line::raw("wktui keeps OAuth2 bearer tokens for the Workiva APIs at hand:"),
            Line::raw("fetch them, watch them count down, copy and verify them."),
            Line::default(),
        ]);
    }
    lines.push(Line::styled(
        "There are no profiles yet. To add one:",
        theme.title(),
    ));
    lines.push(Line::default());
    lines.extend([
        Line::from(vec![
            Span::raw("  • press "),
            key("a"),
            Span::raw(" to fill in a form here, or"),
        ]),
        Line::raw("  • run in a shell:"),
    ]);
    // The command on one line when it fits, else broken before its option.
    if COMMAND.len() + 4 <= room {
        lines.push(Line::styled(format!("    {COMMAND}"), theme.focus()));
    } else {
        lines.push(Line::styled(
            "    wktui profile add NAME --client-id ID",
            theme.focus(),
        ));
        lines.push(Line::styled("      [--region us|eu|apac]", theme.focus()));
    }
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::raw("No Workiva account at hand? "),
        Span::styled("wktui demo", theme.focus()),
        Span::raw(" tries it all"),
    ]));
    lines.push(Line::raw("against sample profiles and a local token server."));
    lines.push(Line::default());
    lines.push(Line::from(vec![
        key("?"),
        Span::raw(" shows every key, "),
        key("q"),
        Span::raw(" quits."),
    ]));
    lines
}

/// Rows `lines` take once word-wrapped to `width`.
fn wrapped_height(lines: &[Line], width: usize) -> usize {
    lines
        .iter()
        .map(|line| {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            wrap(&text, width).len()
        })
        .sum()
}

// --- too small ---

pub fn too_small(frame: &mut Frame, area: Rect, theme: Theme) {
    let lines = too_small_lines(area.width, area.height);
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).min(area.height);
    let rect = Rect {
        y: area.y + (area.height - height) / 2,
        height,
        ..area
    };
    let lines: Vec<Line> = lines
        .into_iter()
        .enumerate()
        .map(|(n, text)| Line::styled(text, if n == 0 { theme.title() } else { theme.dim() }))
        .collect();
    frame.render_widget(Paragraph::new(lines).alignment(Alignment::Center), rect);
}

/// The note in as many words as the screen holds: the whole of it when it
/// fits, wrapped when it is narrow, then shorter, and at least the size needed.
fn too_small_lines(screen_width: u16, screen_height: u16) -> Vec<String> {
    let (columns, rows) = (usize::from(screen_width), usize::from(screen_height));
    let needs = format!("needs {MIN_WIDTH}×{MIN_HEIGHT}");
    let candidates = [
        vec![
            "Terminal too small".to_owned(),
            format!("{screen_width}×{screen_height}, {needs}"),
        ],
        vec!["Too small:".to_owned(), needs.clone()],
        vec![needs.clone()],
        vec![format!("{MIN_WIDTH}×{MIN_HEIGHT}")],
    ];
    for candidate in &candidates {
        let wrapped: Vec<String> = candidate.iter().flat_map(|line| wrap(line, columns)).collect();
        if wrapped.len() <= rows && wrapped.iter().all(|l| width(l) <= columns) {
            return wrapped;
        }
    }
    vec![fit(&needs, columns)]
}

// --- the whole token ---

/// Where the shown token's characters go: full-width rows, so that the
/// terminal can wrap it as one line for selecting, between a title rule and
/// a hint rule, centred in `area`. `None` when it does not fit.
pub fn token_rows(area: Rect, token_chars: usize) -> Option<Rect> {
    if area.width == 0 {
        return None;
    }
    let rows = token_chars.div_ceil(usize::from(area.width)).max(1);
    let rows = u16::try_from(rows).ok()?;
    if rows.saturating_add(2) > area.height {
        return None;
    }
    let top = area.y + (area.height - rows - 2) / 2;
    Some(Rect {
        x: area.x,
        y: top + 1,
        width: area.width,
        height: rows,
    })
}

/// The selected profile's whole token over the panes, cut at characters only
/// (never at `-` or `_`), or, when it does not fit, a note to copy it.
pub fn token(frame: &mut Frame, area: Rect, row: &ProfileRow, theme: Theme) {
    let Some(token) = &row.token else {
        return;
    };
    let text = token.access_token.expose();
    let chars: Vec<char> = text.chars().collect();
    let name = row.name();
    let Some(rows) = token_rows(area, chars.len()) else {
        let note = format!(
            "{name}'s token is too long to show on this screen ({} characters): press c to copy it",
            chars.len()
        );
        let box_width = usize::from(area.width).min(44);
        let lines: Vec<Line> = wrap(&note, box_width.saturating_sub(3))
            .into_iter()
            .map(Line::raw)
            .collect();
        let rect = centered(area, box_width, lines.len() + 2);
        let body = open_overlay(frame, rect, overlay_block("Token", theme));
        frame.render_widget(Paragraph::new(lines), body);
        return;
    };
    let band = Rect {
        y: rows.y - 1,
        height: rows.height + 2,
        ..rows
    };
    frame.render_widget(Clear, band);
    let columns = usize::from(area.width);
    let rule = |text: String, style| {
        let text = fit(&text, columns);
        let fill = columns.saturating_sub(width(&text));
        Line::from(vec![
            Span::styled(text, style),
            Span::styled("─".repeat(fill), theme.border()),
        ])
    };
    let mut lines = vec![rule(
        format!("── {name} · access token · {} characters ", chars.len()),
        theme.title(),
    )];
    lines.extend(
        chars
            .chunks(columns)
            .map(|chunk| Line::raw(chunk.iter().collect::<String>())),
    );
    lines.push(rule(
        "── Shift-drag selects it · c copies · s or Esc hides ".to_owned(),
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(lines), band);
}

/// Clears `rect`, draws the overlay's frame, and returns the area inside it
/// with a column of padding on the left.
pub(super) fn open_overlay(frame: &mut Frame, rect: Rect, block: Block) -> Rect {
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    Rect {
        x: inner.x.saturating_add(1),
        width: inner.width.saturating_sub(1),
        ..inner
    }
}
