//! The details pane: everything about the selected profile and its token,
//! with a large countdown and a gauge of the lifetime left.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::bigtext;
use super::text::{pad, width, wrap};
use crate::fetcher::Verification;
use crate::model::{
    Endpoint, GrantState, Timestamp, Token, TokenState, format_ago, format_countdown, format_duration,
};
use crate::presence::Kind;
use crate::tui::app::{App, Indicator, ProfileRow, VerifyState, format_latency};
use crate::tui::theme::{self, Theme};

/// Width of the label column.
const LABEL: usize = 13;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border());
    let Some(row) = app.selected() else {
        let empty = Paragraph::new(Line::styled(" No profile selected", theme.dim()))
            .block(block.title(Line::styled(" Details ", theme.title())));
        frame.render_widget(empty, area);
        return;
    };
    // The state is the pane's first line, so the title only names the profile.
    let block = block.title(Line::styled(format!(" {} ", row.name()), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // One column of breathing room on each side.
    let body = Rect {
        x: inner.x.saturating_add(1),
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let lines = Details {
        app,
        row,
        theme,
        width: usize::from(body.width),
    }
    .lines(usize::from(body.height));
    frame.render_widget(Paragraph::new(lines), body);
}

/// Builds the pane's lines for one profile.
struct Details<'a> {
    app: &'a App,
    row: &'a ProfileRow,
    theme: Theme,
    width: usize,
}

impl Details<'_> {
    fn lines(&self, height: usize) -> Vec<Line<'static>> {
        let mut rest = Vec::new();
        if self.pause_lines(&mut rest) {
            rest.push(Line::default());
        }
        if let Some(error) = &self.row.last_error {
            self.error_lines(error, &mut rest);
            rest.push(Line::default());
        }
        if let Some(token) = &self.row.token {
            self.token_lines(token, &mut rest);
            rest.push(Line::default());
        }
        self.profile_lines(&mut rest);
        // The big digits take three lines; use them when everything else fits too.
        let big = rest.len() + 6 <= height;
        let mut lines = self.hero(big);
        lines.push(Line::default());
        lines.extend(rest);
        lines
    }

    fn now(&self) -> Timestamp {
        self.app.now()
    }

    fn state(&self) -> TokenState {
        self.row.state(self.now(), self.app.settings().refresh_margin)
    }

    /// State line, countdown and gauge: what matters at a glance.
    fn hero(&self, big: bool) -> Vec<Line<'static>> {
        let theme = self.theme;
        let now = self.now();
        let indicator = self.app.indicator(self.row);
        let state = self.state();
        let state_style = theme.indicator(token_indicator(state));
        let mut status = vec![
            Span::styled(theme::marker(indicator, now), theme.indicator(indicator)),
            Span::raw(" "),
            Span::styled(theme::word(indicator), theme.indicator(indicator)),
        ];
        if let crate::tui::app::Activity::Refreshing { started } = self.row.activity {
            let secs = started.millis_until(now).max(0) / 1000;
            status.push(Span::styled(format!(" {secs} s"), theme.dim()));
        }
        // While refreshing or after an error, also say what the kept token is worth.
        if matches!(
            indicator,
            Indicator::Refreshing | Indicator::Waiting | Indicator::Error
        ) && state != TokenState::None
        {
            status.push(Span::styled(" · token ", theme.dim()));
            status.push(Span::styled(token_word(state), state_style));
        }
        let Some(token) = &self.row.token else {
            let hint = if matches!(indicator, Indicator::Refreshing | Indicator::Waiting) {
                "Fetching the first token…"
            } else if self.row.last_error.is_some() {
                // Pressing r again would fail the same way: the error below says what to fix.
                "No token: the last try failed, as said below."
            } else {
                "No token yet. Press r to fetch one."
            };
            return vec![
                Line::from(status),
                Line::default(),
                Line::styled(hint, theme.dim()),
            ];
        };
        let left = token.seconds_left(now);
        let mut lines = Vec::new();
        let countdown = format_countdown(left.max(0));
        let big_lines = (big && state != TokenState::Expired)
            .then(|| bigtext::render(&countdown))
            .flatten()
            .filter(|_| bigtext::width(&countdown) <= self.width);
        if state == TokenState::Expired {
            status.push(Span::styled(
                format!("  {} ago", format_ago((-left).max(0).unsigned_abs())),
                state_style,
            ));
            lines.push(Line::from(status));
        } else if let Some(digits) = big_lines {
            lines.push(Line::from(status));
            lines.push(Line::default());
            let bold = state_style.add_modifier(Modifier::BOLD);
            lines.extend(digits.into_iter().map(|l| Line::styled(l, bold)));
        } else {
            status.push(Span::styled(
                format!("  {} left", format_duration(left.max(0).unsigned_abs())),
                state_style.add_modifier(Modifier::BOLD),
            ));
            lines.push(Line::from(status));
        }
        lines.push(self.gauge(token, state_style));
        if state == TokenState::Expired && !self.row.is_refreshing() {
            let hint = "Press r to refresh it, or c to refresh and copy.";
            lines.extend(
                wrap(hint, self.width)
                    .into_iter()
                    .map(|part| Line::styled(part, theme.dim())),
            );
        }
        lines
    }

    /// A line gauge of the lifetime left, with the share in words.
    fn gauge(&self, token: &Token, style: Style) -> Line<'static> {
        let fraction = token.fraction_left(self.now());
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let label = format!(
            " {:>3}% of {}",
            (fraction * 100.0).floor() as u32,
            format_duration(token.lifetime.as_secs())
        );
        let bar = self.width.saturating_sub(width(&label));
        let filled = ((bar as f64) * fraction).round() as usize;
        let filled = filled.min(bar);
        Line::from(vec![
            Span::styled("━".repeat(filled), style.add_modifier(Modifier::BOLD)),
            Span::styled("─".repeat(bar - filled), self.theme.dim()),
            Span::styled(label, self.theme.dim()),
        ])
    }

    fn error_lines(&self, error: &str, out: &mut Vec<Line<'static>>) {
        let style = self.theme.error();
        out.push(Line::styled(
            "! Last refresh failed",
            style.add_modifier(Modifier::BOLD),
        ));
        for line in wrap(error, self.width.saturating_sub(2)) {
            out.push(Line::styled(format!("  {line}"), style));
        }
    }

    fn token_lines(&self, token: &Token, out: &mut Vec<Line<'static>>) {
        let theme = self.theme;
        let name = self.row.name();
        // The whole token is shown over the panes (see overlays::token), never here.
        let shown = token.access_token.masked();
        let hint = (!self.app.is_revealed(name)).then_some("  s shows it");
        let mut token_line = self.field("Token", &shown, Style::new());
        if let (Some(hint), Some(first)) = (hint, token_line.first_mut()) {
            first.push_span(Span::styled(hint, theme.dim()));
        }
        out.extend(token_line);
        out.extend(self.field("Type", &token.token_type, Style::new()));
        let scopes: Vec<&str> = token.scopes.iter().collect();
        if scopes.is_empty() {
            out.extend(self.field("Scope", "—", theme.dim()));
        }
        for (n, scope) in scopes.iter().enumerate() {
            let label = if n == 0 { "Scope" } else { "" };
            out.extend(self.field(label, scope, Style::new()));
        }
        if !token.scope_stated {
            out.extend(self.field(
                "",
                "not stated by the server; assumed to be the scope requested",
                theme.dim(),
            ));
        }
        let offset = self.app.utc_offset_secs;
        out.extend(self.field(
            "Obtained",
            &local_time(token.obtained_at, offset, self.now()),
            Style::new(),
        ));
        out.extend(self.field(
            "Expires",
            &local_time(token.expires_at(), offset, self.now()),
            Style::new(),
        ));
        if let Some(latency) = self.row.last_latency {
            out.extend(self.field("Latency", &format_latency(latency), Style::new()));
        }
        if let Some(verification) = &self.row.verification {
            let (text, style) = match verification {
                VerifyState::Checking => ("checking with the API…".to_owned(), theme.dim()),
                VerifyState::Answered(Verification::Accepted) => {
                    ("✓ accepted by the API".to_owned(), theme.success())
                }
                VerifyState::Answered(Verification::Refused(why)) => {
                    (format!("✕ refused by the API: {why}"), theme.error())
                }
                VerifyState::Answered(Verification::Forbidden) => (
                    "genuine, but may not read /permissions (verifying needs file:read)".to_owned(),
                    theme.dim(),
                ),
                VerifyState::Failed(error) => (format!("could not ask: {error}"), theme.error()),
            };
            out.extend(self.field("Verified", &text, style));
        }
    }

    /// `api.app.wdesk.com is limiting requests; asking again in 12s`, while
    /// the profile's token host asked to wait; whether there was one.
    fn pause_lines(&self, out: &mut Vec<Line<'static>>) -> bool {
        let Some((host, until)) = self.app.pause_of(&self.row.profile) else {
            return false;
        };
        let style = self.theme.indicator(Indicator::Waiting);
        let text = pause_text(host, until, self.now());
        out.extend(
            wrap(&text, self.width)
                .into_iter()
                .map(|l| Line::styled(l, style)),
        );
        true
    }

    fn profile_lines(&self, out: &mut Vec<Line<'static>>) {
        let profile = &self.row.profile;
        for active in self.app.active_for(self.row.name()) {
            let (label, text) = match (active.kind, &active.url) {
                (Kind::Serve, Some(url)) => {
                    ("Served by", format!("wktui serve (pid {}) at {url}", active.pid))
                }
                (Kind::Serve, None) => ("Served by", format!("wktui serve (pid {})", active.pid)),
                (Kind::Exec, _) => ("In use by", format!("wktui exec (pid {})", active.pid)),
            };
            out.extend(self.field(label, &text, self.theme.focus()));
        }
        if self.app.active_for(self.row.name()).next().is_some() {
            out.push(Line::default());
        }
        let region = match &profile.endpoint {
            Endpoint::Region(region) => region.as_str(),
            Endpoint::TokenUrl(_) => "custom token URL",
        };
        out.extend(self.field("Region", region, Style::new()));
        out.extend(self.field("Token URL", &profile.token_url(), Style::new()));
        out.extend(self.field("Client id", &profile.client_id, Style::new()));
        // Beside the client id it is about, high enough to be seen on a small screen.
        if let Some(expires) = profile.grant_expires {
            let state = expires.state(self.app.today());
            let style = match state {
                GrantState::Fine { .. } => Style::new(),
                GrantState::Expiring { .. } => self.theme.indicator(Indicator::Expiring),
                GrantState::Expired { .. } => self.theme.error(),
            };
            let text = format!("{} ({expires})", state.describe());
            out.extend(self.field("Grant", &text, style));
        }
        out.extend(self.field("API version", profile.api_version.as_str(), Style::new()));
        out.extend(self.field("Client auth", profile.client_auth.as_str(), Style::new()));
        out.extend(self.field("Secret", &profile.secret_source.to_string(), Style::new()));
        if let Some(ca) = &profile.ca_file {
            out.extend(self.field("CA file", &ca.display().to_string(), Style::new()));
        }
    }

    /// A label and its value, the value wrapped under itself.
    fn field(&self, label: &str, value: &str, style: Style) -> Vec<Line<'static>> {
        let value_width = self.width.saturating_sub(LABEL).max(1);
        wrap(value, value_width)
            .into_iter()
            .enumerate()
            .map(|(n, part)| {
                let label = if n == 0 { label } else { "" };
                Line::from(vec![
                    Span::styled(pad(label, LABEL), self.theme.label()),
                    Span::styled(part, style),
                ])
            })
            .collect()
    }
}

/// `HOST is limiting requests; asking again in 12s`; the port of https
/// (every Workiva host's) is left out.
pub fn pause_text(host: &str, until: Timestamp, now: Timestamp) -> String {
    let host = host.strip_suffix(":443").unwrap_or(host);
    let secs = now.millis_until(until).max(0).unsigned_abs().div_ceil(1000);
    format!(
        "{host} is limiting requests; asking again in {}",
        format_duration(secs)
    )
}

/// The indicator for a token state alone, for colouring countdowns.
pub fn token_indicator(state: TokenState) -> Indicator {
    match state {
        TokenState::Valid => Indicator::Valid,
        TokenState::Expiring => Indicator::Expiring,
        TokenState::Expired => Indicator::Expired,
        TokenState::None => Indicator::NoToken,
    }
}

fn token_word(state: TokenState) -> &'static str {
    theme::word(token_indicator(state))
}

/// `HH:MM:SS` in the App's time zone, with the date when it is not today.
pub fn local_time(at: Timestamp, utc_offset_secs: i32, now: Timestamp) -> String {
    let zone = FixedOffset::east_opt(utc_offset_secs).unwrap_or(Utc.fix());
    let local = |t: Timestamp| {
        i64::try_from(t.as_millis())
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .map(|d| d.with_timezone(&zone))
    };
    match (local(at), local(now)) {
        (Some(t), Some(n)) if t.date_naive() == n.date_naive() => t.format("%H:%M:%S").to_string(),
        (Some(t), _) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        (None, _) => "—".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_uses_the_offset_and_adds_the_date_when_not_today() {
        let now = Timestamp::from_secs(1_700_000_000); // 2023-11-14 22:13:20 UTC
        assert_eq!(local_time(now, 0, now), "22:13:20");
        assert_eq!(local_time(now, 3600, now), "23:13:20");
        let yesterday = Timestamp::from_secs(1_700_000_000 - 86_400);
        assert_eq!(local_time(yesterday, 0, now), "2023-11-13 22:13:20");
        // Out-of-range offsets fall back to UTC; absurd times say so.
        assert_eq!(local_time(now, i32::MAX, now), "22:13:20");
        assert_eq!(local_time(Timestamp(u64::MAX), 0, now), "—");
    }
}
