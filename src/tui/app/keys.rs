//! Keys and mouse: what each one does in each mode, and the help text that
//! describes them (kept here so the two cannot drift apart).

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::{App, Mode, REVEAL_FOR, Reveal, StateFilter};
use crate::model::TokenState;
use crate::profile_changes::ProfileError;
use crate::tui::action::{CopyAs, Effect};
use crate::tui::form::{FormOutcome, ProfileForm};
use crate::tui::secret_prompt::{PromptOutcome, SecretPrompt};

/// Every key, grouped, for the help overlay. The first three groups form
/// the left column when the help is shown in two.
pub const HELP: &[(&str, &[(&str, &str)])] = &[
    (
        "Move",
        &[
            ("↑ ↓  k j", "previous / next profile"),
            ("PgUp PgDn", "a page up / down"),
            ("g  Home", "first profile"),
            ("G  End", "last profile"),
            ("click", "select a profile"),
            ("wheel", "scroll the list"),
        ],
    ),
    (
        "Filter and order",
        &[
            ("/", "filter by name"),
            ("Enter", "keep the filter"),
            ("Esc", "clear the filter"),
            ("f", "filter by state (cycles)"),
            ("o", "order: by name / time left"),
        ],
    ),
    (
        "Profiles",
        &[
            ("a", "add a profile"),
            ("e", "edit the profile"),
            ("d", "delete (asks first)"),
            ("S", "set a new client secret"),
        ],
    ),
    (
        "Tokens",
        &[
            ("r", "refresh the token"),
            ("R", "refresh all that need it"),
            ("c  y", "copy (renews if expired)"),
            ("H", "copy as Authorization header"),
            ("v", "verify against the API"),
            ("s", "show the token for 10 s"),
        ],
    ),
    (
        "Form",
        &[
            ("Tab  ↓", "next field"),
            ("S-Tab  ↑", "previous field"),
            ("← → Spc", "change a choice"),
            ("Ctrl-S", "save (Enter on the last)"),
            ("Esc", "cancel"),
        ],
    ),
    (
        "General",
        &[
            ("?", "this help"),
            ("!", "config file problems, whole"),
            ("Esc", "close or clear; never quits"),
            ("q  Ctrl-C", "quit"),
        ],
    ),
];

/// Lines the help takes in one column: a title and a blank line per group.
pub fn help_line_count() -> usize {
    HELP.iter().map(|(_, keys)| keys.len() + 2).sum()
}

/// A key and what it does, for the status bar.
pub type Hint = (&'static str, &'static str);

/// The status bar's key hints for the current mode, most useful first; the
/// last two are kept when the bar is too narrow for all.
pub fn hints(app: &App) -> &'static [Hint] {
    match app.mode() {
        Mode::Normal if app.rows().is_empty() => &[("a", "add profile"), ("?", "help"), ("q", "quit")],
        Mode::Normal => &[
            ("↑↓", "move"),
            ("r", "refresh"),
            ("c", "copy"),
            ("/", "filter"),
            ("s", "show"),
            ("v", "verify"),
            ("H", "copy header"),
            ("o", "sort"),
            ("f", "state"),
            ("R", "refresh stale"),
            ("a", "add"),
            ("e", "edit"),
            ("d", "delete"),
            ("?", "help"),
            ("q", "quit"),
        ],
        Mode::Filter => &[
            ("type", "to narrow"),
            ("↑↓", "move"),
            ("Enter", "keep filter"),
            ("Esc", "clear"),
        ],
        Mode::Help => &[("↑↓", "scroll"), ("Esc", "close help")],
        Mode::Problems => &[("↑↓", "scroll"), ("Esc", "close")],
        Mode::Form(_) => &[
            ("Tab", "next field"),
            ("←→", "choose"),
            ("Ctrl-S", "save"),
            ("Esc", "cancel"),
        ],
        Mode::ConfirmDelete(_) => &[("y", "delete"), ("n", "keep")],
        Mode::SetSecret(_) => &[
            ("type", "the secret (hidden)"),
            ("Enter", "store"),
            ("Esc", "cancel"),
        ],
    }
}

fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// A scrolling overlay's answer to a key: its new offset (at most `last`),
/// or `None` to close it (Esc, Enter, q, or the key that opened it).
fn overlay_scroll(key: &KeyEvent, scroll: usize, own_key: char, last: usize) -> Option<usize> {
    let next = match (key.code, typed_char(key)) {
        (KeyCode::Esc | KeyCode::Enter, _) | (_, Some('q')) => return None,
        (_, Some(c)) if c == own_key => return None,
        (KeyCode::Down, _) | (_, Some('j')) => scroll + 1,
        (KeyCode::Up, _) | (_, Some('k')) => scroll.saturating_sub(1),
        (KeyCode::PageDown, _) => scroll + 10,
        (KeyCode::PageUp, _) => scroll.saturating_sub(10),
        (KeyCode::Home, _) | (_, Some('g')) => 0,
        (KeyCode::End, _) | (_, Some('G')) => last,
        _ => scroll,
    };
    Some(next.min(last))
}

/// A plain character, typed without Ctrl or Alt (Shift is part of the char).
fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // Some terminals report releases too; act on presses (and repeats) only.
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if is_ctrl(&key, 'c') {
            return self.interrupt();
        }
        match &mut self.mode {
            Mode::Normal => self.normal_key(key),
            Mode::Filter => {
                self.filter_key(key);
                Vec::new()
            }
            Mode::Help => {
                self.help_key(key);
                Vec::new()
            }
            Mode::Problems => {
                self.problems_key(key);
                Vec::new()
            }
            Mode::Form(form) => match form.handle_key(key) {
                FormOutcome::Continue => Vec::new(),
                FormOutcome::Cancel => {
                    self.mode = Mode::Normal;
                    Vec::new()
                }
                FormOutcome::Submit => self.submit_form(),
            },
            Mode::ConfirmDelete(name) => {
                let name = name.clone();
                self.confirm_delete_key(key, name)
            }
            Mode::SetSecret(prompt) => match prompt.handle_key(key) {
                PromptOutcome::Continue => Vec::new(),
                PromptOutcome::Cancel => {
                    let text = format!("kept {}'s secret as it was", prompt.name());
                    self.mode = Mode::Normal;
                    self.info(text);
                    Vec::new()
                }
                PromptOutcome::Submit => {
                    let name = prompt.name().to_owned();
                    let secret = prompt.submit();
                    self.info(format!("storing the secret of {name}…"));
                    vec![Effect::SetSecret { name, secret }]
                }
            },
        }
    }

    fn normal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let page = self.list.page() as isize;
        match key.code {
            KeyCode::Up => self.move_selection(-1),
            KeyCode::Down => self.move_selection(1),
            KeyCode::PageUp => self.move_selection(-page),
            KeyCode::PageDown => self.move_selection(page),
            KeyCode::Home => self.select_position(0),
            KeyCode::End => self.select_position(usize::MAX),
            // Esc closes what is open (a shown token, a filter by name,
            // then one by state) and never quits: pressed once too often,
            // it must not end the session.
            KeyCode::Esc if self.revealed().is_some() => self.hide_reveal(),
            KeyCode::Esc if !self.list.filter().is_empty() => self.set_filter(String::new()),
            KeyCode::Esc if self.state_filter != StateFilter::All => self.show_every_state(),
            KeyCode::Esc => self.info("nothing to close; q quits".into()),
            _ => {}
        }
        let Some(c) = typed_char(&key) else {
            return Vec::new();
        };
        match c {
            'k' => self.move_selection(-1),
            'j' => self.move_selection(1),
            'g' => self.select_position(0),
            'G' => self.select_position(usize::MAX),
            '/' => self.mode = Mode::Filter,
            '?' => self.mode = Mode::Help,
            '!' if self.config_problems().is_empty() => self.info("the config file has no problems".into()),
            '!' => self.mode = Mode::Problems,
            'q' => return self.quit(),
            'r' => return self.refresh_selected(),
            'R' => return self.refresh_stale(),
            'c' | 'y' => return self.copy_selected(CopyAs::Token),
            'H' => return self.copy_selected(CopyAs::AuthorizationHeader),
            'o' => self.cycle_order(),
            'f' => self.cycle_state_filter(),
            'S' => self.open_secret_prompt(),
            'v' => return self.verify_selected(),
            's' => self.toggle_reveal(),
            'a' => {
                let form = ProfileForm::add().keeping_secrets_in(self.secret_store.clone());
                self.mode = Mode::Form(Box::new(form));
            }
            'e' => match self
                .selected()
                .map(|r| ProfileForm::edit(&r.profile).keeping_secrets_in(self.secret_store.clone()))
            {
                Some(form) => self.mode = Mode::Form(Box::new(form)),
                None => self.info("no profile selected to edit".into()),
            },
            'd' => match self.selected().map(|r| r.profile.name.clone()) {
                Some(name) => self.mode = Mode::ConfirmDelete(name),
                None => self.info("no profile selected to delete".into()),
            },
            _ => {}
        }
        Vec::new()
    }

    fn help_key(&mut self, key: KeyEvent) {
        match overlay_scroll(&key, self.help_scroll, '?', help_line_count()) {
            Some(scroll) => self.help_scroll = scroll,
            None => {
                self.mode = Mode::Normal;
                self.help_scroll = 0;
            }
        }
    }

    /// Scrolls the problems overlay by lines; the view keeps the last
    /// line from scrolling off (it alone knows how long the wrapped text is).
    fn problems_key(&mut self, key: KeyEvent) {
        // More than the wrapped text can have at any usable width (20).
        let last = self.config_problems().iter().map(|p| p.len() / 20 + 2).sum();
        match overlay_scroll(&key, self.problems_scroll, '!', last) {
            Some(scroll) => self.problems_scroll = scroll,
            None => {
                self.mode = Mode::Normal;
                self.problems_scroll = 0;
            }
        }
    }

    fn filter_key(&mut self, key: KeyEvent) {
        let page = self.list.page() as isize;
        match key.code {
            KeyCode::Esc => {
                self.set_filter(String::new());
                self.mode = Mode::Normal;
            }
            KeyCode::Enter => self.mode = Mode::Normal,
            KeyCode::Backspace => {
                let mut filter = self.list.filter().to_owned();
                filter.pop();
                self.set_filter(filter);
            }
            KeyCode::Up => self.move_selection(-1),
            KeyCode::Down => self.move_selection(1),
            KeyCode::PageUp => self.move_selection(-page),
            KeyCode::PageDown => self.move_selection(page),
            _ if is_ctrl(&key, 'u') => self.set_filter(String::new()),
            _ => {
                if let Some(c) = typed_char(&key) {
                    let filter = format!("{}{c}", self.list.filter());
                    self.set_filter(filter);
                }
            }
        }
    }

    fn confirm_delete_key(&mut self, key: KeyEvent, name: String) -> Vec<Effect> {
        match (key.code, typed_char(&key)) {
            (_, Some('y' | 'Y')) => {
                self.mode = Mode::Normal;
                self.info(format!("deleting {name}…"));
                let Some(i) = self.row_index(&name) else {
                    self.info(format!("{name} is gone already"));
                    return Vec::new();
                };
                self.pending_deletes.push(name.clone());
                vec![Effect::DeleteProfile(std::sync::Arc::clone(
                    &self.rows[i].profile,
                ))]
            }
            (KeyCode::Esc, _) | (_, Some('n' | 'N' | 'q')) => {
                self.mode = Mode::Normal;
                self.info(format!("kept {name}"));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        if !matches!(self.mode, Mode::Normal | Mode::Filter) {
            return Vec::new();
        }
        match mouse.kind {
            MouseEventKind::ScrollUp => self.move_selection(-1),
            MouseEventKind::ScrollDown => self.move_selection(1),
            MouseEventKind::Down(MouseButton::Left) => {
                let hit = self
                    .list_rows_area()
                    .filter(|area| area.contains(ratatui::layout::Position::new(mouse.column, mouse.row)));
                if let Some(area) = hit {
                    let position = self.list.offset() + usize::from(mouse.row - area.y);
                    if position < self.list.visible().len() {
                        self.select_position(position);
                    }
                }
            }
            _ => {}
        }
        Vec::new()
    }

    // --- what the keys do ---

    fn move_selection(&mut self, delta: isize) {
        self.list.move_by(delta);
        self.hidden_selection = None;
        self.hide_reveal_of_others();
    }

    fn select_position(&mut self, position: usize) {
        self.list.select_position(position);
        self.hidden_selection = None;
        self.hide_reveal_of_others();
    }

    /// A revealed token hides as soon as another profile is selected.
    pub(super) fn hide_reveal_of_others(&mut self) {
        let still_selected = match (&self.reveal, self.selected()) {
            (Some(reveal), Some(row)) => reveal.name == row.profile.name,
            _ => false,
        };
        if !still_selected {
            self.hide_reveal();
        }
    }

    fn set_filter(&mut self, filter: String) {
        self.list.set_filter(filter);
        self.rebuild_keeping_selection();
        self.hide_reveal_of_others();
    }

    fn refresh_selected(&mut self) -> Vec<Effect> {
        let Some(row) = self.selected() else {
            self.info("no profile selected to refresh".into());
            return Vec::new();
        };
        let name = row.profile.name.clone();
        if row.is_refreshing() {
            self.info(format!("{name} is already refreshing"));
            return Vec::new();
        }
        self.start_refresh(vec![name])
    }

    pub(super) fn refresh_stale(&mut self) -> Vec<Effect> {
        // Tokens of rows off screen may still be on their way from the
        // cache: without them every such row would look as if it had none.
        if self.tokens_pending {
            self.refresh_when_loaded = true;
            self.info("reading the cached tokens first; then refreshing what needs it…".into());
            return Vec::new();
        }
        let (now, margin) = (self.now, self.settings.refresh_margin);
        let names: Vec<String> = self
            .rows
            .iter()
            .filter(|r| !r.is_refreshing() && r.state(now, margin).needs_refresh())
            .map(|r| r.profile.name.clone())
            .collect();
        match names.len() {
            0 if self.rows.is_empty() => {
                self.info("no profiles yet: press a to add one".into());
                Vec::new()
            }
            0 => {
                self.info("every token is valid; nothing to refresh".into());
                Vec::new()
            }
            1 => {
                self.info(format!("refreshing {}…", names[0]));
                self.start_refresh_all(names)
            }
            n => {
                self.info(format!("refreshing {n} profiles…"));
                self.start_refresh_all(names)
            }
        }
    }

    fn copy_selected(&mut self, what: CopyAs) -> Vec<Effect> {
        let (now, margin) = (self.now, self.settings.refresh_margin);
        let Some(i) = self.list.selected_row() else {
            self.info("no profile selected to copy".into());
            return Vec::new();
        };
        let row = &mut self.rows[i];
        let name = row.profile.name.clone();
        let state = row.state(now, margin);
        let usable = row
            .token
            .as_ref()
            .filter(|_| matches!(state, TokenState::Valid | TokenState::Expiring));
        match usable {
            Some(token) => {
                let token = token.access_token.clone();
                vec![Effect::Copy { name, token, what }]
            }
            None => {
                // Nothing usable to copy: fetch one and copy it when it
                // arrives; the copy's message will say both.
                let (why, done) = if state == TokenState::Expired {
                    ("has expired", "had expired: renewed it and copied the new token")
                } else {
                    ("has no token yet", "had no token: fetched one and copied it")
                };
                row.copy_when_refreshed = Some((done, what));
                let refreshing = row.is_refreshing();
                self.info(format!(
                    "{name} {why}: refreshing, will copy when the new token arrives"
                ));
                if refreshing {
                    Vec::new()
                } else {
                    self.start_refresh(vec![name])
                }
            }
        }
    }

    /// `S`: a prompt for a new client secret, for a profile whose secret
    /// wktui stores; one read from elsewhere is changed there, and the words
    /// for that are those of `wktui profile set-secret`.
    fn open_secret_prompt(&mut self) {
        let Some(row) = self.selected() else {
            self.info("no profile selected to set a secret for".into());
            return;
        };
        let profile = &row.profile;
        if profile.secret_source.is_stored() {
            let prompt = SecretPrompt::new(profile.name.clone(), self.secret_store.clone());
            self.mode = Mode::SetSecret(Box::new(prompt));
        } else {
            let refusal = ProfileError::SecretNotStored {
                name: profile.name.clone(),
                from: profile.secret_source.to_string(),
            };
            self.error(refusal.to_string());
        }
    }

    fn verify_selected(&mut self) -> Vec<Effect> {
        let (now, margin) = (self.now, self.settings.refresh_margin);
        let Some(i) = self.list.selected_row() else {
            self.info("no profile selected to verify".into());
            return Vec::new();
        };
        let row = &mut self.rows[i];
        let name = row.profile.name.clone();
        match (row.state(now, margin), &row.token) {
            (TokenState::Valid | TokenState::Expiring, Some(token)) => {
                let token = token.access_token.clone();
                row.verification = Some(super::VerifyState::Checking);
                let profile = std::sync::Arc::clone(&row.profile);
                self.info(format!("verifying {name}…"));
                vec![Effect::Verify { profile, token }]
            }
            (TokenState::Expired, _) => {
                self.info(format!("{name}'s token has expired; press r to refresh it"));
                Vec::new()
            }
            _ => {
                self.info(format!("{name} has no token yet; press r to get one"));
                Vec::new()
            }
        }
    }

    fn toggle_reveal(&mut self) {
        let Some(row) = self.selected() else {
            self.info("no profile selected to show".into());
            return;
        };
        let name = row.profile.name.clone();
        if row.token.is_none() {
            self.info(format!("{name} has no token to show; press r to get one"));
        } else if self.is_revealed(&name) {
            self.hide_reveal();
        } else {
            let said = format!("showing {name}'s token for {} s", REVEAL_FOR.as_secs());
            self.reveal = Some(Reveal {
                until: self.now.plus(REVEAL_FOR),
                name,
                said: said.clone(),
            });
            self.info(said);
        }
    }
}
