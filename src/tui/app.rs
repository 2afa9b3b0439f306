//! All of the TUI's state, and how actions change it.
//!
//! `App::update` is pure: it never does I/O and never reads the clock. Time
//! comes in through `Action::Tick`; work goes out as `Effect`s for the
//! runtime, whose results come back as actions.

mod arrange;
mod keys;
mod refresh_all;
mod reload;
/// Why the form's save failed, with what to do when the file changed under it.
fn save_failure_words(error: ProfileError) -> String {
    match error {
        ProfileError::Config(ConfigError::ChangedElsewhere(name)) => format!(
            "{name} was changed in the config file by another program while this form was open; nothing was saved. Esc, then e edits the version now in the file"
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ratatui::layout::Rect;

use super::action::{Action, CopyAs, Effect};
use super::cache_watch::CacheNews;
use super::form::{FormField, ProfileForm, Submission};
use super::layout;
use super::list::ProfileList;
use super::secret_prompt::SecretPrompt;
use crate::clipboard::{ClipboardError, Method};
use crate::config::default_profile::DefaultProfile;
use crate::config::{BrokenProfile, Config, ConfigError};
use crate::engine::{EngineError, Verdict};
use crate::fetcher::Verification;
use crate::model::{AccessToken, Profile, SecretSource, Settings, Timestamp, Token, TokenState};
use crate::presence::Active;
use crate::profile_changes::ProfileError;

pub use arrange::{Order, StateFilter};
pub use keys::{HELP, Hint, help_line_count, hints};
use refresh_all::RefreshAll;

/// How long `s` shows the whole token.
pub const REVEAL_FOR: Duration = Duration::from_secs(10);
/// How long a status message stays.
const MESSAGE_FOR: Duration = Duration::from_secs(5);
/// Errors stay longer: they take longer to read.
const ERROR_FOR: Duration = Duration::from_secs(10);
/// One frame of the refresh spinner.
pub const SPINNER_STEP_MS: u64 = 100;

/// What a profile is doing right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Idle,
    Refreshing { started: Timestamp },
}

/// Where the answer to `v` stands for the shown token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyState {
    Checking,
    /// The API's answer, in its own words where it gave some.
    Answered(Verification),
    /// The API could not be asked.
    Failed(String),
}

/// The one state a profile's marker shows, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indicator {
    /// Refreshing, but its token host asked to wait: not stuck, paused.
    Waiting,
    Refreshing,
    Error,
    Valid,
    Expiring,
    Expired,
    NoToken,
}

/// One profile and everything known about its token.
#[derive(Debug)]
pub struct ProfileRow {
    /// Shared with the runtime, which looks profiles up by name for the
    /// work it does: one copy of each, however many profiles there are.
    pub profile: Arc<Profile>,
    pub token: Option<Token>,
    pub activity: Activity,
    /// The last refresh's error in words; cleared by a successful refresh.
    pub last_error: Option<String>,
    pub last_latency: Option<Duration>,
    /// The answer to the last `v` for the current token.
    pub verification: Option<VerifyState>,
    /// Copy the token as soon as the refresh in flight brings it, and what to
    /// say then about why it was fetched first.
    copy_when_refreshed: Option<(&'static str, CopyAs)>,
    /// The copy in flight follows such a fetch: its message says both.
    copy_after_fetch: Option<&'static str>,
    /// auto_refresh already asked to replace the current token (once per token).
    auto_refresh_asked: bool,
}

impl ProfileRow {
    fn new(profile: Profile, token: Option<Token>) -> Self {
        ProfileRow {
            profile: Arc::new(profile),
            token,
            activity: Activity::Idle,
            last_error: None,
            last_latency: None,
            verification: None,
            copy_when_refreshed: None,
            copy_after_fetch: None,
            auto_refresh_asked: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.profile.name
    }

    pub fn state(&self, now: Timestamp, margin: Duration) -> TokenState {
        TokenState::of(self.token.as_ref(), now, margin)
    }

    pub fn is_refreshing(&self) -> bool {
        matches!(self.activity, Activity::Refreshing { .. })
    }

    /// Whether a copy is waiting for the refresh in flight.
    pub fn copy_pending(&self) -> bool {
        self.copy_when_refreshed.is_some()
    }

    pub fn indicator(&self, now: Timestamp, margin: Duration) -> Indicator {
        if self.is_refreshing() {
            return Indicator::Refreshing;
        }
        if self.last_error.is_some() {
            return Indicator::Error;
        }
        match self.state(now, margin) {
            TokenState::Valid => Indicator::Valid,
            TokenState::Expiring => Indicator::Expiring,
            TokenState::Expired => Indicator::Expired,
            TokenState::None => Indicator::NoToken,
        }
    }

    fn set_token(&mut self, token: Token) {
        self.token = Some(token);
        self.verification = None;
        self.auto_refresh_asked = false;
    }
}

/// Which screen has the keyboard.
#[derive(Debug)]
pub enum Mode {
    Normal,
    /// Typing a filter; the list narrows live.
    Filter,
    Help,
    Form(Box<ProfileForm>),
    /// Waiting for y/n before deleting this profile.
    ConfirmDelete(String),
    /// Typing a new client secret for a profile (`S`).
    SetSecret(Box<SecretPrompt>),
    /// The config file's problems, each whole (`!`): a status line cuts them.
    Problems,
}

impl Mode {
    pub fn is_normal(&self) -> bool {
        matches!(self, Mode::Normal)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Success,
    Error,
}

/// A transient message in the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusMessage {
    pub text: String,
    pub kind: StatusKind,
    pub until: Timestamp,
}

/// The token shown whole, until when.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Reveal {
    name: String,
    until: Timestamp,
    /// The status line that announced it, taken back when it hides.
    said: String,
}

/// A save sent to the runtime, to apply when its answer arrives.
#[derive(Debug)]
struct PendingSave {
    name: String,
    replacing: Option<String>,
}

/// The widest name and endpoint label among the profiles, in columns, so
/// the list's columns fit them without measuring every row at every frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LabelWidths {
    pub name: usize,
    pub endpoint: usize,
}

/// The TUI's whole state.
#[derive(Debug)]
pub struct App {
    /// Sorted by name, so a result finds its row by binary search.
    rows: Vec<ProfileRow>,
    settings: Settings,
    list: ProfileList,
    mode: Mode,
    status: Option<StatusMessage>,
    reveal: Option<Reveal>,
    pending_saves: Vec<PendingSave>,
    /// Deletes sent to the runtime and not answered yet.
    pending_deletes: Vec<String>,
    /// Why the config file, changed on disk, did not load; the list is the
    /// last good one meanwhile.
    config_error: Option<String>,
    /// The profiles of the file that cannot be used, each as a warning
    /// (`BrokenProfile::warning`); the others are listed and work.
    broken_profiles: Vec<String>,
    /// First line of the problems overlay shown, when it does not fit.
    problems_scroll: usize,
    /// The cached tokens of rows off screen are still being read.
    tokens_pending: bool,
    /// `R` was pressed while they were: refresh what needs it once they are in.
    refresh_when_loaded: bool,
    /// The refreshes `R` started, until the last one answers.
    refresh_all: Option<RefreshAll>,
    /// Token hosts that asked to wait, and until when.
    paused_hosts: Vec<(String, Timestamp)>,
    /// Running `wktui serve` and `exec` processes.
    active: Vec<Active>,
    /// How many rows are refreshing, and whether any row has a token: asked
    /// at every tick, kept up to date instead of counted over every row.
    refreshing: usize,
    any_token: bool,
    label_widths: LabelWidths,
    order: Order,
    state_filter: StateFilter,
    /// The profile that was selected when a filter left it out.
    hidden_selection: Option<String>,
    /// First help line shown, when the help does not fit the screen.
    help_scroll: usize,
    now: Timestamp,
    /// Terminal size, for paging and mouse hit-testing.
    size: (u16, u16),
    should_quit: bool,
    /// Quit by Ctrl-C, which exits as an interrupt (130) does.
    interrupted: bool,
    /// Where secrets typed in the form are kept; the runtime sets it (the
    /// demo keeps them in memory).
    pub secret_store: SecretSource,
    /// Draw without colours (`NO_COLOR`); the runtime decides.
    pub no_color: bool,
    /// The local time zone's offset from UTC in seconds, for the times shown;
    /// the runtime sets it (tests leave it at 0, UTC).
    pub utc_offset_secs: i32,
}

impl App {
    /// An App for these profiles, with the tokens cached for them by name.
    pub fn new(
        profiles: Vec<Profile>,
        settings: Settings,
        cached: Vec<(String, Token)>,
        now: Timestamp,
    ) -> Self {
        let mut rows: Vec<ProfileRow> = profiles.into_iter().map(|p| ProfileRow::new(p, None)).collect();
        rows.sort_by(|a, b| a.profile.name.cmp(&b.profile.name));
        let mut app = App {
            rows,
            settings,
            list: ProfileList::default(),
            mode: Mode::Normal,
            status: None,
            reveal: None,
            pending_saves: Vec::new(),
            pending_deletes: Vec::new(),
            config_error: None,
            broken_profiles: Vec::new(),
            problems_scroll: 0,
            tokens_pending: false,
            refresh_when_loaded: false,
            refresh_all: None,
            paused_hosts: Vec::new(),
            active: Vec::new(),
            refreshing: 0,
            any_token: false,
            label_widths: LabelWidths::default(),
            order: Order::default(),
            state_filter: StateFilter::default(),
            hidden_selection: None,
            help_scroll: 0,
            now,
            size: (80, 24),
            should_quit: false,
            interrupted: false,
            secret_store: SecretSource::Keyring,
            no_color: false,
            utc_offset_secs: 0,
        };
        for (name, token) in cached {
            if let Some(i) = app.row_index(&name) {
                app.rows[i].token = Some(token);
            }
        }
        app.list.set_height(layout::list_height(80, 24));
        app.rows_changed(None);
        app
    }

    /// Selects the default profile at start and says so, or says that it
    /// names no profile (the selection stays on the first row).
    pub fn select_default(&mut self, default: Option<&DefaultProfile>) {
        let Some(default) = default else { return };
        let name = crate::model::text::clean(&default.name, 64);
        match self.row_index(&default.name) {
            Some(i) => {
                self.rebuild_list(Some(i));
                self.info(format!("{name} is the default profile (from {})", default.source));
            }
            None => self.error(format!(
                "the default profile \"{name}\" (from {}) is not configured",
                default.source
            )),
        }
    }

    // --- reading the state (for the view and the runtime) ---

    pub fn rows(&self) -> &[ProfileRow] {
        &self.rows
    }

    pub fn row(&self, name: &str) -> Option<&ProfileRow> {
        self.row_index(name).map(|i| &self.rows[i])
    }

    pub fn list(&self) -> &ProfileList {
        &self.list
    }

    pub fn selected(&self) -> Option<&ProfileRow> {
        self.list.selected_row().and_then(|i| self.rows.get(i))
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The status message, while it has not expired.
    pub fn status(&self) -> Option<&StatusMessage> {
        self.status.as_ref().filter(|s| s.until > self.now)
    }

    /// How far the help is scrolled, in lines (the view clamps it).
    pub fn help_scroll(&self) -> usize {
        self.help_scroll
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Today on the user's calendar: `now` at the local offset (fixed in
    /// snapshots), for the dates people write (a grant's expiry).
    pub fn today(&self) -> chrono::NaiveDate {
        let secs = (self.now.as_secs() as i64).saturating_add(i64::from(self.utc_offset_secs));
        chrono::DateTime::from_timestamp(secs, 0)
            .unwrap_or_default()
            .date_naive()
    }

    /// Where `row`'s grant stands today, when its profile has a date and
    /// it is worth a warning.
    pub fn grant_warning(&self, row: &ProfileRow) -> Option<crate::model::GrantState> {
        let state = row.profile.grant_expires?.state(self.today());
        state.warns().then_some(state)
    }

    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    pub fn should_quit(&self) -> bool {
        self.should_quit
    }

    /// Whether the user quit with Ctrl-C (an interrupt, not a plain quit).
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Why the config file on disk does not load, while it does not.
    pub fn config_error(&self) -> Option<&str> {
        self.config_error.as_deref()
    }

    /// Every problem of the config file, most serious first: why it did not
    /// load (the list is the last good one), then each broken profile.
    pub fn config_problems(&self) -> Vec<String> {
        self.config_error
            .iter()
            .map(|e| format!("config not reloaded: {e}"))
            .chain(self.broken_profiles.iter().cloned())
            .collect()
    }

    pub fn problems_scroll(&self) -> usize {
        self.problems_scroll
    }

    /// Takes the config's broken profiles, to show until they are fixed.
    pub fn set_broken_profiles(&mut self, broken: &[BrokenProfile]) {
        self.broken_profiles = broken.iter().map(BrokenProfile::warning).collect();
    }

    pub fn label_widths(&self) -> LabelWidths {
        self.label_widths
    }

    pub fn order(&self) -> Order {
        self.order
    }

    pub fn state_filter(&self) -> StateFilter {
        self.state_filter
    }

    /// The rows the list shows now, top to bottom: whose cached tokens the
    /// runtime reads before the first frame.
    pub fn rows_on_screen(&self) -> impl Iterator<Item = &ProfileRow> {
        let list = &self.list;
        let start = super::list::window_start(
            list.offset(),
            list.selected_position(),
            list.page(),
            list.visible().len(),
        );
        list.visible()
            .iter()
            .skip(start)
            .take(list.page())
            .filter_map(|&i| self.rows.get(i))
    }

    /// Whether cached tokens of rows off screen are still being read.
    pub fn tokens_pending(&self) -> bool {
        self.tokens_pending
    }

    /// Token hosts that asked to wait, until when, while they wait.
    pub fn paused_hosts(&self) -> impl Iterator<Item = (&str, Timestamp)> {
        self.paused_hosts
            .iter()
            .filter(|(_, until)| *until > self.now)
            .map(|(host, until)| (host.as_str(), *until))
    }

    /// The host of this profile's tokens and until when it asked to wait,
    /// while it does.
    pub fn pause_of(&self, profile: &Profile) -> Option<(&str, Timestamp)> {
        let mut paused = self.paused_hosts().peekable();
        paused.peek()?;
        let host = crate::fetcher::host_key(&profile.token_url());
        paused.find(|(h, _)| *h == host)
    }

    /// Whether the runtime should ask the engine for paused hosts now: while
    /// something is refreshing (a refusal pauses a host mid-fetch) or a
    /// pause is shown.
    pub fn wants_pause_news(&self) -> bool {
        !self.paused_hosts.is_empty() || self.refreshing > 0
    }

    /// Whether a running `exec` or `serve` is known, so that the runtime
    /// looks again now and then for one that died without a word.
    pub fn has_active_processes(&self) -> bool {
        !self.active.is_empty()
    }

    /// The running `serve` and `exec` processes that hand out tokens of this
    /// profile, oldest first.
    pub fn active_for<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Active> + 'a {
        self.active
            .iter()
            .filter(move |a| a.profiles.iter().any(|p| p == name))
    }

    /// What a row's marker shows: as `ProfileRow::indicator`, except that a
    /// refresh held back by a paused host is waiting, not spinning.
    pub fn indicator(&self, row: &ProfileRow) -> Indicator {
        let indicator = row.indicator(self.now, self.settings.refresh_margin);
        if indicator == Indicator::Refreshing && self.pause_of(&row.profile).is_some() {
            Indicator::Waiting
        } else {
            indicator
        }
    }

    /// The profile whose token is shown whole right now, if any.
    pub fn revealed(&self) -> Option<&ProfileRow> {
        self.reveal
            .as_ref()
            .filter(|r| r.until > self.now)
            .and_then(|r| self.row(&r.name))
    }

    /// Whether this profile's token is shown whole right now.
    pub fn is_revealed(&self, name: &str) -> bool {
        self.reveal
            .as_ref()
            .is_some_and(|r| r.name == name && r.until > self.now)
    }

    /// The next instant the screen changes by itself: the next whole second
    /// while a countdown is shown, the next spinner frame, the end of the
    /// status message or of a reveal. `None` when nothing changes until
    /// the next input or result.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let now = self.now.as_millis();
        let after = |step: u64| Timestamp((now / step + 1) * step);
        let refreshing = self.refreshing > 0;
        let paused = self.paused_hosts().next().is_some();
        let counting = paused || self.any_token;
        [
            (counting || refreshing).then(|| after(1000)),
            refreshing.then(|| after(SPINNER_STEP_MS)),
            self.status.as_ref().map(|s| s.until),
            self.reveal.as_ref().map(|r| r.until),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // --- changing it ---

    /// Applies one action and returns the work it asks for.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Key(key) => self.on_key(key),
            Action::Mouse(mouse) => self.on_mouse(mouse),
            Action::Resize(width, height) => {
                self.size = (width, height);
                self.list.set_height(layout::list_height(width, height));
                Vec::new()
            }
            Action::Tick(now) => self.on_tick(now),
            Action::Refreshed { profile, result } => self.on_refreshed(&profile, result),
            Action::CacheChanged(news) => self.on_cache_changed(news),
            Action::TokenFromCache { name, token } => {
                self.on_token_from_cache(&name, token);
                self.tokens_changed();
                Vec::new()
            }
            Action::CachedTokens { tokens, rest_pending } => self.on_cached_tokens(tokens, rest_pending),
            Action::HostsPaused(hosts) => {
                self.paused_hosts = hosts;
                Vec::new()
            }
            Action::ActiveProcesses(active) => {
                self.active = active;
                Vec::new()
            }
            Action::Copied { name, what, result } => {
                self.on_copied(&name, what, result);
                Vec::new()
            }
            Action::Verified { name, token, result } => {
                self.on_verified(&name, &token, result);
                Vec::new()
            }
            Action::ProfileSaved { profile, result } => {
                self.on_saved(profile, result);
                Vec::new()
            }
            Action::ProfileDeleted { name, result } => {
                self.on_deleted(&name, result);
                Vec::new()
            }
            Action::SecretStored { name, result } => {
                self.on_secret_stored(&name, result);
                Vec::new()
            }
            Action::ConfigReloaded { result, cached } => {
                self.on_config_reloaded(result, cached);
                Vec::new()
            }
        }
    }

    fn on_tick(&mut self, now: Timestamp) -> Vec<Effect> {
        self.now = now;
        if self.status.as_ref().is_some_and(|s| s.until <= now) {
            self.status = None;
        }
        if self.reveal.as_ref().is_some_and(|r| r.until <= now) {
            self.hide_reveal();
        }
        self.paused_hosts.retain(|(_, until)| *until > now);
        // A token that crossed into expiring or expired joins its filter.
        if self.state_filter != StateFilter::All {
            self.tokens_changed();
        }
        if !self.settings.auto_refresh {
            return Vec::new();
        }
        let margin = self.settings.refresh_margin;
        let mut due = Vec::new();
        for row in &mut self.rows {
            let reached_margin = matches!(row.state(now, margin), TokenState::Expiring | TokenState::Expired);
            if reached_margin && !row.is_refreshing() && !row.auto_refresh_asked {
                row.auto_refresh_asked = true;
                row.activity = Activity::Refreshing { started: now };
                self.refreshing += 1;
                due.push(Arc::clone(&row.profile));
            }
        }
        if due.is_empty() {
            Vec::new()
        } else {
            vec![Effect::Refresh(due)]
        }
    }

    /// A newer token from the shared cache replaces the shown one, quietly;
    /// a refresh in flight will bring its own.
    fn on_token_from_cache(&mut self, name: &str, token: Token) {
        let Some(i) = self.row_index(name) else {
            return;
        };
        let row = &mut self.rows[i];
        let newer = row
            .token
            .as_ref()
            .is_none_or(|t| token.obtained_at > t.obtained_at);
        if newer && !row.is_refreshing() {
            row.set_token(token);
            self.any_token = true;
        }
    }

    /// A batch of cached tokens; the last of the start-up ones may let a
    /// deferred `R` go.
    fn on_cached_tokens(&mut self, tokens: Vec<(String, Token)>, rest_pending: bool) -> Vec<Effect> {
        for (name, token) in tokens {
            self.on_token_from_cache(&name, token);
        }
        self.tokens_changed();
        self.tokens_pending = rest_pending;
        if !rest_pending && std::mem::take(&mut self.refresh_when_loaded) {
            return self.refresh_stale();
        }
        Vec::new()
    }

    fn on_refreshed(
        &mut self,
        asked: &Profile,
        result: Result<(Token, Duration), EngineError>,
    ) -> Vec<Effect> {
        let name = asked.name.as_str();
        let result = match result {
            Err(error) => Err(self.failure_words(asked, &error)),
            // A token asked for before an edit (another grant, URL or scope)
            // is not the edited profile's.
            Ok(_)
                if self
                    .row_index(name)
                    .is_some_and(|i| self.rows[i].profile.fingerprint() != asked.fingerprint()) =>
            {
                Err("the profile changed while its token was on the way; refresh it again".to_owned())
            }
            Ok(fetched) => Ok(fetched),
        };
        // A profile deleted meanwhile is left out of `R`'s summary.
        let ok = self.row_index(name).map(|_| result.is_ok());
        let effects = self.apply_refreshed(name, result);
        self.tokens_changed();
        self.count_for_refresh_all(name, ok);
        effects
    }

    /// Counts one answer of those `R` waits for (`ok` is `None` for a
    /// profile that went away meanwhile), and says the summary after the last.
    fn count_for_refresh_all(&mut self, name: &str, ok: Option<bool>) {
        if let Some(all) = &mut self.refresh_all
            && all.answered(name, ok)
        {
            self.finish_refresh_all_if_done();
        }
    }

    fn finish_refresh_all_if_done(&mut self) {
        if !self.refresh_all.as_ref().is_some_and(RefreshAll::is_done) {
            return;
        }
        let Some(all) = self.refresh_all.take() else {
            return;
        };
        if !all.has_news() {
            return;
        }
        if all.any_failed() {
            self.error(all.summary());
        } else {
            self.success(all.summary());
        }
    }

    fn apply_refreshed(&mut self, name: &str, result: Result<(Token, Duration), String>) -> Vec<Effect> {
        // The profile may have been deleted while its token was on the way.
        let Some(i) = self.row_index(name) else {
            return Vec::new();
        };
        let row = &mut self.rows[i];
        if row.is_refreshing() {
            self.refreshing = self.refreshing.saturating_sub(1);
        }
        row.activity = Activity::Idle;
        let copy = row.copy_when_refreshed.take();
        match result {
            Ok((token, latency)) => {
                row.last_latency = Some(latency);
                row.last_error = None;
                row.copy_after_fetch = copy.map(|(why, _)| why);
                let copy_effect = copy.map(|(_, what)| Effect::Copy {
                    name: name.to_owned(),
                    token: token.access_token.clone(),
                    what,
                });
                row.set_token(token);
                self.any_token = true;
                match copy_effect {
                    Some(effect) => {
                        self.info(format!("refreshed {name}; copying it…"));
                        vec![effect]
                    }
                    None => {
                        self.success(format!("refreshed {name} in {}", format_latency(latency)));
                        Vec::new()
                    }
                }
            }
            Err(error) => {
                // Keep the previous token: it may still be usable.
                let nothing_copied = if copy.is_some() { "; nothing copied" } else { "" };
                self.error(format!("{name}: refresh failed: {error}{nothing_copied}"));
                self.rows[i].last_error = Some(error);
                Vec::new()
            }
        }
    }

    fn on_copied(&mut self, name: &str, what: CopyAs, result: Result<Method, ClipboardError>) {
        let after_fetch = self
            .row_index(name)
            .and_then(|i| self.rows[i].copy_after_fetch.take());
        match result {
            Ok(method) => {
                // Only the desktop clipboard is cleared later; an OSC 52 copy
                // lives in the terminal, out of wktui's reach.
                let clears = self.settings.clipboard_clear_after.as_secs();
                let how = match method {
                    Method::System if clears > 0 => format!(", clears in {clears} s"),
                    Method::System => String::new(),
                    Method::Osc52 => " via OSC 52".to_owned(),
                };
                let done = match after_fetch {
                    Some(why) => format!("{name} {why}"),
                    None => format!("copied {name}"),
                };
                self.success(format!("{done}{}{how}", what.suffix()));
            }
            Err(error) => self.error(format!("could not copy {name}: {error}")),
        }
    }

    /// The API's answer to `v`. A refused token is no longer shown as
    /// valid: it is dropped from the row (the engine dropped it from the
    /// cache), and the row says why until a new one comes.
    fn on_verified(&mut self, name: &str, token: &AccessToken, result: Result<Verdict, EngineError>) {
        let Some(i) = self.row_index(name) else {
            return;
        };
        let still_shown = self.rows[i]
            .token
            .as_ref()
            .is_some_and(|t| t.access_token.expose() == token.expose());
        if !still_shown {
            // A newer token arrived meanwhile: the answer is not about it.
            return;
        }
        let verdict = match result {
            Ok(verdict) => verdict,
            Err(error) => {
                let words = self.failure_words(&Arc::clone(&self.rows[i].profile), &error);
                self.rows[i].verification = Some(VerifyState::Failed(words.clone()));
                self.error(format!("could not verify {name}: {words}"));
                return;
            }
        };
        let row = &mut self.rows[i];
        row.verification = Some(VerifyState::Answered(verdict.verification.clone()));
        match &verdict.verification {
            Verification::Accepted => self.success(format!("the API accepted {name}'s token")),
            Verification::Refused(why) => {
                row.token = None;
                row.last_error = Some(format!("the API refused its token: {why}"));
                if self.reveal.as_ref().is_some_and(|r| r.name == name) {
                    self.hide_reveal();
                }
                let dropped = match &verdict.drop_warning {
                    Some(warning) => format!("; {warning}"),
                    None => "; it was dropped, r fetches a new one".to_owned(),
                };
                self.tokens_changed();
                self.error(format!("the API refused {name}'s token: {why}{dropped}"));
            }
            Verification::Forbidden => {
                self.error(format!("{name}'s token was {}", verdict.verification.describe()))
            }
        }
    }

    /// An engine error in words, with the next step the CLI would print.
    fn failure_words(&self, profile: &Profile, error: &EngineError) -> String {
        match error.hint_for(profile, self.today()) {
            Some(hint) => {
                let mut letters = hint.chars();
                let first = letters.next().map(|c| c.to_uppercase().collect::<String>());
                let here = if hint.contains("wktui profile set-secret") {
                    " (S does that here)"
                } else {
                    ""
                };
                format!("{error}. {}{}{here}", first.unwrap_or_default(), letters.as_str())
            }
            None => error.to_string(),
        }
    }

    /// Token files changed in the shared cache: read those of the profiles
    /// shown (all of them when changes may have been missed).
    fn on_cache_changed(&mut self, news: CacheNews) -> Vec<Effect> {
        match news {
            CacheNews::AllTokens => {
                vec![Effect::ReadAllCachedTokens(
                    self.rows.iter().map(|r| Arc::clone(&r.profile)).collect(),
                )]
            }
            CacheNews::Tokens(names) => {
                let profiles: Vec<Arc<Profile>> = names
                    .iter()
                    .filter_map(|n| self.row_index(n))
                    .map(|i| Arc::clone(&self.rows[i].profile))
                    .collect();
                if profiles.is_empty() {
                    Vec::new()
                } else {
                    vec![Effect::ReadCachedTokens(profiles)]
                }
            }
        }
    }

    fn on_saved(&mut self, profile: Profile, result: Result<(), ProfileError>) {
        let replacing = self
            .pending_saves
            .iter()
            .position(|p| p.name == profile.name)
            .map(|i| self.pending_saves.remove(i))
            .and_then(|p| p.replacing);
        let form_waiting = matches!(&self.mode, Mode::Form(form)
            if form.is_saving() && form.input(FormField::Name)
                .is_some_and(|n| n.text().trim() == profile.name));
        match result {
            Ok(()) => {
                let name = profile.name.clone();
                let verb = if replacing.is_some() { "saved" } else { "added" };
                self.store_profile(profile, replacing.as_deref());
                if form_waiting {
                    self.mode = Mode::Normal;
                }
                self.success(format!("{verb} {name}"));
            }
            Err(error) => {
                let error = save_failure_words(error);
                self.error(format!("could not save {}: {error}", profile.name));
                if let (true, Mode::Form(form)) = (form_waiting, &mut self.mode) {
                    form.save_failed(error);
                }
            }
        }
    }

    /// Puts a saved profile in its sorted place, replacing the old one. The
    /// token stays only if it was issued for the same settings.
    fn store_profile(&mut self, profile: Profile, replacing: Option<&str>) {
        let selected = self.selected().map(|r| r.profile.name.clone());
        let old = replacing
            .and_then(|old| self.row_index(old))
            .or_else(|| self.row_index(&profile.name))
            .map(|i| self.rows.remove(i));
        let mut row = ProfileRow::new(profile, None);
        if let Some(old) = old {
            if old.profile.fingerprint() == row.profile.fingerprint() {
                row.token = old.token;
                row.last_latency = old.last_latency;
                row.verification = old.verification;
            }
            if self.reveal.as_ref().is_some_and(|r| r.name == old.profile.name) {
                self.hide_reveal();
            }
        }
        let name = row.profile.name.clone();
        let at = self
            .rows
            .partition_point(|r| r.profile.name.as_str() < name.as_str());
        self.rows.insert(at, row);
        // Follow an edited profile under its new name; select a new one.
        let follow = match (&selected, replacing) {
            (Some(sel), Some(old)) if sel == old => Some(name),
            (_, None) => Some(name),
            _ => selected,
        };
        let prefer = follow.and_then(|n| self.row_index(&n));
        self.rows_changed(prefer);
    }

    fn on_secret_stored(&mut self, name: &str, result: Result<(), ProfileError>) {
        let prompt_waiting = matches!(&self.mode, Mode::SetSecret(p) if p.name() == name && p.is_storing());
        match result {
            Ok(()) => {
                if prompt_waiting {
                    self.mode = Mode::Normal;
                }
                let place = match self.secret_store {
                    SecretSource::Memory => "in memory (demo)",
                    _ => "in the keyring",
                };
                self.success(format!(
                    "stored a new client secret for {name} {place}; r fetches a token with it"
                ));
            }
            Err(error) => {
                let error = error.to_string();
                self.error(format!("could not store the secret of {name}: {error}"));
                if let (true, Mode::SetSecret(prompt)) = (prompt_waiting, &mut self.mode) {
                    prompt.failed(error);
                }
            }
        }
    }

    fn on_deleted(&mut self, name: &str, result: Result<(), ProfileError>) {
        self.pending_deletes.retain(|n| n != name);
        match result {
            Ok(()) => {
                let selected = self.selected().map(|r| r.profile.name.clone());
                if let Some(i) = self.row_index(name) {
                    self.rows.remove(i);
                }
                if self.reveal.as_ref().is_some_and(|r| r.name == name) {
                    self.hide_reveal();
                }
                let prefer = selected.and_then(|n| self.row_index(&n));
                self.rows_changed(prefer);
                self.success(format!("deleted {name}"));
            }
            Err(error) => self.error(format!("could not delete {name}: {error}")),
        }
    }

    // --- helpers shared with the key handlers ---

    fn row_index(&self, name: &str) -> Option<usize> {
        self.rows
            .binary_search_by(|r| r.profile.name.as_str().cmp(name))
            .ok()
    }

    /// After the rows changed: the list again, and the widest labels.
    fn rows_changed(&mut self, prefer: Option<usize>) {
        self.rebuild_list(prefer);
        self.forget_gone_in_refresh_all();
        self.refreshing = self.rows.iter().filter(|r| r.is_refreshing()).count();
        self.any_token = self.rows.iter().any(|r| r.token.is_some());
        self.label_widths = LabelWidths {
            name: self
                .rows
                .iter()
                .map(|r| r.profile.name.chars().count())
                .max()
                .unwrap_or(0),
            endpoint: self
                .rows
                .iter()
                .map(|r| r.profile.endpoint_label().chars().count())
                .max()
                .unwrap_or(0),
        };
    }

    /// Profiles removed while `R` waited for them are left out of its summary.
    fn forget_gone_in_refresh_all(&mut self) {
        let Some(all) = &mut self.refresh_all else {
            return;
        };
        let rows = &self.rows;
        all.forget_unless(|name| {
            rows.binary_search_by(|r| r.profile.name.as_str().cmp(name))
                .is_ok()
        });
        self.finish_refresh_all_if_done();
    }

    fn rebuild_list(&mut self, prefer: Option<usize>) {
        let rows = &self.rows;
        let names = rows.iter().map(|r| r.profile.name.as_str());
        let (state, now, margin) = (self.state_filter, self.now, self.settings.refresh_margin);
        let keep = |i: usize| state.keeps(&rows[i], now, margin);
        match self.order {
            Order::Name => self.list.rebuild_with(names, keep, |_| (), prefer),
            Order::TimeLeft => self.list.rebuild_with(
                names,
                keep,
                |i| rows[i].token.as_ref().map(Token::expires_at),
                prefer,
            ),
        }
    }

    /// The list again after a filter or the order changed, with the same
    /// profile selected. When a filter leaves it out, it is remembered and
    /// selected again as soon as it is shown (the filter cleared), unless
    /// another one was chosen meanwhile.
    fn rebuild_keeping_selection(&mut self) {
        let remembered = self.hidden_selection.as_deref().and_then(|n| self.row_index(n));
        let prefer = remembered.or(self.list.selected_row());
        self.rebuild_list(prefer);
        self.hidden_selection = match prefer {
            Some(row) if self.list.selected_row() != Some(row) => {
                self.rows.get(row).map(|r| r.profile.name.clone())
            }
            _ => None,
        };
    }

    /// Tokens came or went, or time passed: an order by time left and a
    /// filter by state follow, keeping the same profile selected while it
    /// is shown. In name order with every state shown nothing moves.
    fn tokens_changed(&mut self) {
        if self.order != Order::Name || self.state_filter != StateFilter::All {
            self.rebuild_keeping_selection();
        }
    }

    /// `o`: the next order, with the same profile selected.
    fn cycle_order(&mut self) {
        self.order = self.order.next();
        self.rebuild_keeping_selection();
        self.info(format!("sorted {}", self.order.label()));
    }

    /// Esc: every state shown again, the selection kept.
    fn show_every_state(&mut self) {
        self.state_filter = StateFilter::All;
        self.rebuild_keeping_selection();
        self.info(StateFilter::All.describe().into());
    }

    /// `f`: the next filter by state. When the selected profile is left
    /// out, the selection stays at its place in the list, on the row now
    /// there.
    fn cycle_state_filter(&mut self) {
        self.state_filter = self.state_filter.next();
        self.rebuild_keeping_selection();
        self.hide_reveal_of_others();
        let shown = self.list.visible().len();
        self.info(format!("{} ({shown})", self.state_filter.describe()));
    }

    fn list_rows_area(&self) -> Option<Rect> {
        let (width, height) = self.size;
        layout::panes(Rect::new(0, 0, width, height)).map(|p| p.list_rows)
    }

    fn start_refresh(&mut self, names: Vec<String>) -> Vec<Effect> {
        let mut profiles = Vec::with_capacity(names.len());
        for name in &names {
            if let Some(i) = self.row_index(name) {
                if !self.rows[i].is_refreshing() {
                    self.refreshing += 1;
                }
                self.rows[i].activity = Activity::Refreshing { started: self.now };
                profiles.push(Arc::clone(&self.rows[i].profile));
            }
        }
        vec![Effect::Refresh(profiles)]
    }

    /// Refreshes for `R`: their answers are summed up when the last is in.
    /// A second `R` before then adds to the same summary.
    fn start_refresh_all(&mut self, names: Vec<String>) -> Vec<Effect> {
        self.refresh_all
            .get_or_insert_with(RefreshAll::default)
            .wait_for(&names);
        self.start_refresh(names)
    }

    fn submit_form(&mut self) -> Vec<Effect> {
        let Mode::Form(form) = &mut self.mode else {
            return Vec::new();
        };
        let rows = &self.rows;
        let taken = |name: &str| {
            rows.binary_search_by(|r| r.profile.name.as_str().cmp(name))
                .is_ok()
        };
        let Some(Submission {
            profile,
            secret,
            replacing,
        }) = form.submit(taken)
        else {
            return Vec::new();
        };
        self.pending_saves.push(PendingSave {
            name: profile.name.clone(),
            replacing: replacing.as_ref().map(|p| p.name.clone()),
        });
        self.info(format!("saving {}…", profile.name));
        vec![Effect::SaveProfile {
            profile,
            secret,
            replacing: replacing.map(Box::new),
        }]
    }

    fn quit(&mut self) -> Vec<Effect> {
        self.should_quit = true;
        vec![Effect::Quit]
    }

    fn interrupt(&mut self) -> Vec<Effect> {
        self.interrupted = true;
        self.quit()
    }

    fn info(&mut self, text: String) {
        self.set_status(text, StatusKind::Info, MESSAGE_FOR);
    }

    fn success(&mut self, text: String) {
        self.set_status(text, StatusKind::Success, MESSAGE_FOR);
    }

    fn error(&mut self, text: String) {
        self.set_status(text, StatusKind::Error, ERROR_FOR);
    }

    /// Hides a shown token, however that comes about (`s` again, Esc,
    /// another row, its time up, its profile gone), and with it the status
    /// line that announced it: "showing ... for 10 s" is no longer true.
    fn hide_reveal(&mut self) {
        if let Some(reveal) = self.reveal.take()
            && self.status.as_ref().is_some_and(|s| s.text == reveal.said)
        {
            self.status = None;
        }
    }

    fn set_status(&mut self, text: String, kind: StatusKind, stays: Duration) {
        self.status = Some(StatusMessage {
            text,
            kind,
            until: self.now.plus(stays),
        });
    }
}

/// `312 ms` below a second, `1.4 s` above.
pub fn format_latency(latency: Duration) -> String {
    let ms = latency.as_millis();
    if ms < 10 {
        // Loopback and nearby servers answer in well under 10 ms: keep a decimal.
        format!("{:.1} ms", latency.as_secs_f64() * 1000.0)
    } else if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", latency.as_secs_f64())
    }
}
