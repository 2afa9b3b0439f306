//! The view: pure functions from `&App` to a frame. Nothing here changes
//! the App; the layout comes from `layout::panes`, which the App uses too.

mod bigtext;
mod details;
mod list;
mod overlays;
mod secret_prompt;
mod status_bar;
mod text;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::app::{App, Mode};
use super::layout;
use super::theme::Theme;

pub use overlays::token_rows;

/// The area overlays cover: everything but the status bar.
pub fn body_area(area: Rect) -> Rect {
    Rect {
        height: area.height.saturating_sub(1),
        ..area
    }
}

/// Draws the whole screen for `app`. Never panics, at any size.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let theme = Theme::new(app.no_color);
    let Some(panes) = layout::panes(area) else {
        overlays::too_small(frame, area, theme);
        return;
    };
    if app.rows().is_empty() {
        overlays::welcome(frame, panes.list.union(panes.details), theme);
    } else {
        list::render(frame, &panes, app, theme);
        details::render(frame, panes.details, app, theme);
    }
    status_bar::render(frame, panes.status, app, theme);
    let body = body_area(area);
    match app.mode() {
        Mode::Normal | Mode::Filter => {
            if let Some(row) = app.revealed() {
                overlays::token(frame, body, row, theme);
            }
        }
        Mode::Help => overlays::help(frame, body, app, theme),
        Mode::Problems => overlays::problems(frame, body, app, theme),
        Mode::Form(form) => overlays::form(frame, body, form, theme),
        Mode::ConfirmDelete(name) => {
            let warning = app
                .row(name)
                .map(|row| crate::profile_changes::removal_warning(&row.profile));
            overlays::confirm_delete(frame, body, name, warning.as_deref(), theme);
        }
        Mode::SetSecret(prompt) => secret_prompt::render(frame, body, prompt, theme),
    }
}
