//! The `S` prompt: a new client secret for one profile, drawn as dots only.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::overlays::{centered, open_overlay, overlay_block};
use super::text::{width, wrap};
use crate::model::SecretSource;
use crate::tui::secret_prompt::SecretPrompt;
use crate::tui::theme::Theme;

const WIDTH: usize = 60;
const LABEL: &str = "Secret  ";

pub fn render(frame: &mut Frame, area: Rect, prompt: &SecretPrompt, theme: Theme) {
    let box_width = usize::from(area.width).min(WIDTH);
    let room = box_width.saturating_sub(4);
    let goes_to = match prompt.store() {
        SecretSource::Memory => "kept in memory (demo)",
        _ => "stored in the keyring",
    };
    let mut lines: Vec<Line> = wrap(
        &format!(
            "A new client secret for {}, {goes_to}, replacing the one there.",
            prompt.name()
        ),
        room,
    )
    .into_iter()
    .map(Line::raw)
    .collect();
    lines.push(Line::default());
    let dots = prompt.typed().min(room.saturating_sub(width(LABEL) + 1));
    let field = if prompt.typed() == 0 {
        Span::styled("typed hidden", theme.dim())
    } else {
        Span::raw("•".repeat(dots))
    };
    let cursor_line = lines.len();
    lines.push(Line::from(vec![Span::styled(LABEL, theme.focus()), field]));
    if let Some(error) = prompt.error() {
        lines.push(Line::default());
        let style = theme.error().add_modifier(Modifier::BOLD);
        for part in wrap(&format!("✕ {error}"), room) {
            lines.push(Line::styled(part, style));
        }
    }
    let footer = if prompt.is_storing() {
        " storing… "
    } else {
        " Enter stores · Esc cancels "
    };
    let rect = centered(area, box_width, lines.len() + 2);
    let block =
        overlay_block("Set secret", theme).title_bottom(Line::styled(footer, theme.dim()).right_aligned());
    let body = open_overlay(frame, rect, block);
    frame.render_widget(Paragraph::new(lines), body);
    if !prompt.is_storing() {
        let x = usize::from(body.x) + width(LABEL) + dots;
        let y = usize::from(body.y) + cursor_line;
        if x < usize::from(body.right()) && y < usize::from(body.bottom()) {
            // Both fit in u16: they are inside `body`.
            frame.set_cursor_position(Position::new(x as u16, y as u16));
        }
    }
}
