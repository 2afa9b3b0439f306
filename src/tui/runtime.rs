//! The runtime: owns the terminal, turns input, the clock and finished
//! background work into `Action`s, and performs the App's `Effect`s on
//! background tasks so nothing slow ever runs on the render path.

use std::collections::HashMap;
use std::io::{BufWriter, Stdout};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use secrecy::SecretString;
use tokio::sync::{Semaphore, mpsc};

use super::cache_watch::CacheNews;
use super::{Action, App, CopyAs, Effect, draw as draw_view};
use crate::clipboard::{self, Method};
use crate::clock;
use crate::config::{Config, ConfigError};
use crate::engine::{Engine, Origin};
use crate::model::{CheckedUrl, Endpoint, Profile, Timestamp, Token};
use crate::platform::signals::EndSignals;
use crate::profiles::{self, ProfileError};

/// What the TUI runs on: a config file (the user's, or the demo's copy) and the core.
pub struct TuiContext {
    pub config_path: PathBuf,
    pub config: Config,
    pub engine: Arc<Engine>,
    /// Fetch what needs it right away, as `R` would (the demo does).
    pub refresh_at_start: bool,
    /// The host a profile added in the form gets its tokens from instead of
    /// its region's (the demo's local server); `None` for the real hosts.
    pub base_url_for_new: Option<CheckedUrl>,
    /// The profile selected at start (`WKTUI_PROFILE` or `default_profile`).
    pub default_profile: Option<crate::config::default_profile::DefaultProfile>,
}

/// How the interface ended, for the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// `q`, `Esc`: exit 0.
    Quit,
    /// A signal, or Ctrl-C (as SIGINT): exit 128 + its number, as shells expect.
    Signal(i32),
}

impl Ended {
    pub fn exit_code(self) -> i32 {
        match self {
            Ended::Quit => 0,
            Ended::Signal(number) => crate::platform::signals::ChildExit::Signal(number).exit_code(),
        }
    }
}

/// Cached tokens read and sent to the App at a time, after the first frame.
const TOKEN_BATCH: usize = 512;

/// Ctrl-C read as a key in raw mode ends the interface as SIGINT would.
const SIGINT: i32 = 2;

/// A frame reaches the terminal in one write: through `Stdout` alone (a line
/// writer with a 1 KiB buffer) a full frame was half a dozen.
type Term = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Larger than any frame of a big terminal's worth of changed cells.
const FRAME_BUFFER: usize = 64 * 1024;

/// Runs the interface until the user quits. The terminal is restored on
/// every way out: quit, error, panic, Ctrl-C, SIGTERM.
pub fn run(ctx: TuiContext) -> Result<Ended, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let _restore = TerminalGuard::enter().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let backend = CrosstermBackend::new(BufWriter::with_capacity(FRAME_BUFFER, std::io::stdout()));
    let mut terminal = Terminal::new(backend).map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let result = rt.block_on(event_loop(&mut terminal, ctx));
    // Work still in flight (a keyring prompt, a slow server) must not keep a
    // quitting user waiting; file writes are atomic, so cutting them short is safe.
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

/// Raw mode, the alternate screen and mouse capture while alive; a panic hook
/// restores them too, before the panic message is printed.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> std::io::Result<TerminalGuard> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn restore_terminal() {
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
}

async fn event_loop(terminal: &mut Term, ctx: TuiContext) -> Result<Ended, String> {
    let TuiContext {
        config_path,
        config,
        engine,
        refresh_at_start,
        base_url_for_new,
        default_profile,
    } = ctx;
    let now = clock::now();
    let settings = config.settings.clone();
    let mut app = App::new(config.profiles, settings.clone(), Vec::new(), now);
    // Shown from the first frame: the good profiles work meanwhile.
    app.set_broken_profiles(&config.broken);
    app.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    app.utc_offset_secs = local_utc_offset(now);
    app.secret_store = engine.secrets().source();
    // Starts crossterm's event source (its SIGWINCH handler) before the
    // size is read: a resize from here on is an event the input thread
    // reads, not one lost before that thread first asks.
    let _ = event::poll(Duration::ZERO);
    let size = terminal.size().map_err(|e| e.to_string())?;
    app.update(Action::Resize(size.width, size.height));
    app.select_default(default_profile.as_ref());

    // The first frame shows the cached tokens of the rows on screen, read
    // now; everything else a big fleet needs comes after it is drawn.
    let on_screen: Vec<(String, Token)> = app
        .rows_on_screen()
        .filter_map(|row| {
            let token = engine.cache().load(&row.profile)?;
            Some((row.profile.name.clone(), token))
        })
        .collect();
    let rest_pending = app.rows_on_screen().count() < app.rows().len();
    app.update(Action::CachedTokens {
        tokens: on_screen,
        rest_pending,
    });
    draw(terminal, &app)?;
    panic_for_tests();

    let (results_tx, mut results) = mpsc::unbounded_channel::<Action>();
    let mut input = spawn_input_reader();
    let recheck_config = super::config_watch::spawn(
        config_path.clone(),
        app.rows().iter().map(|r| &*r.profile),
        engine.cache().clone(),
        engine.secrets().source(),
        results_tx.clone(),
    );
    let (news_tx, mut cache_news) = mpsc::unbounded_channel();
    if let Some(dir) = engine.cache().private_dir() {
        super::cache_watch::spawn(dir.to_path_buf(), news_tx, results_tx.clone());
    }
    let mut worker = Worker {
        engine,
        config_path,
        recheck_config,
        base_url_for_new,
        profiles: Arc::new(
            app.rows()
                .iter()
                .map(|r| (r.profile.name.clone(), Arc::clone(&r.profile)))
                .collect(),
        ),
        results: results_tx,
        permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
        renames: HashMap::new(),
        in_flight: HashMap::new(),
        profiles_copied: false,
    };
    let mut signals = EndSignals::listen();
    if rest_pending {
        worker.load_all_tokens();
    }
    if refresh_at_start {
        let key = event::KeyEvent::new(event::KeyCode::Char('R'), event::KeyModifiers::SHIFT);
        let effects = app.update(Action::Key(key));
        worker.perform(effects, terminal);
        draw(terminal, &app)?;
    }
    let ended = loop {
        let wait = app
            .next_deadline()
            .map(|d| Duration::from_millis(clock::now().millis_until(d).max(0) as u64));
        let action = tokio::select! {
            biased;
            Some(action) = results.recv() => action,
            Some(event) = input.recv() => match to_action(event) {
                Some(action) => action,
                None => continue,
            },
            _ = sleep_or_forever(wait) => Action::Tick(clock::now()),
            Some(news) = cache_news.recv() => {
                worker.read_cache_news(news);
                continue;
            },
            signal = signals.any() => break Ended::Signal(signal),
        };
        let mut pending = vec![action];
        // Collapse a burst (a paste, many results at once) into one frame.
        while let Ok(more) = results.try_recv() {
            pending.push(more);
        }
        while let Ok(event) = input.try_recv() {
            pending.extend(to_action(event));
        }
        let pending: Vec<Action> = pending.into_iter().map(|a| worker.vet(a)).collect();
        let mut effects = apply(&mut app, pending);
        worker.share_profiles(&app);
        // A refusal pauses its host in the middle of a fetch: no result says
        // so. Asked (a lock and a few hosts) while anything is in flight or shown.
        if app.wants_pause_news() {
            let paused = worker.engine.paused_hosts();
            if !app
                .paused_hosts()
                .eq(paused.iter().map(|(h, t)| (h.as_str(), *t)))
            {
                effects.extend(app.update(Action::HostsPaused(paused)));
            }
        }
        let quit = worker.perform(effects, terminal);
        if quit || app.should_quit() {
            break if app.interrupted() {
                Ended::Signal(SIGINT)
            } else {
                Ended::Quit
            };
        }
        draw(terminal, &app)?;
    };
    Ok(ended)
}

/// Lets the end-to-end tests check that a panic restores the terminal.
fn panic_for_tests() {
    #[cfg(debug_assertions)]
    if std::env::var_os("WKTUI_TEST_PANIC_AFTER_FIRST_FRAME").is_some() {
        panic!("panic requested by WKTUI_TEST_PANIC_AFTER_FIRST_FRAME");
    }
}

/// Applies actions in order, each after a tick so the App sees a fresh `now`.
fn apply(app: &mut App, actions: Vec<Action>) -> Vec<Effect> {
    let mut effects = app.update(Action::Tick(clock::now()));
    for action in actions {
        if !matches!(action, Action::Tick(_)) {
            effects.extend(app.update(action));
        }
    }
    effects
}

fn draw(terminal: &mut Term, app: &App) -> Result<(), String> {
    let frame = terminal
        .draw(|frame| draw_view(frame, app))
        .map_err(|e| format!("cannot draw: {e}"))?;
    let area = frame.area;
    wrap_shown_token(terminal, app, area);
    Ok(())
}

/// The view drew the shown token in rows of the screen's width; drawn cell by
/// cell they are separate lines to the terminal, and a mouse selection would
/// copy line breaks. Printing it again in one piece over the same cells lets
/// the terminal wrap it itself, so a selection copies the token whole.
fn wrap_shown_token(terminal: &mut Term, app: &App, area: ratatui::layout::Rect) {
    use crossterm::style::Print;
    if !matches!(app.mode(), super::Mode::Normal | super::Mode::Filter) {
        return;
    }
    let Some(token) = app.revealed().and_then(|row| row.token.as_ref()) else {
        return;
    };
    let text = token.access_token.expose();
    // Only a well-formed token goes to the terminal as it is.
    if crate::model::text::check_b64token(text).is_err() {
        return;
    }
    if let Some(rows) = super::view::token_rows(super::view::body_area(area), text.len()) {
        let _ = execute!(
            terminal.backend_mut(),
            cursor::MoveTo(rows.x, rows.y),
            Print(text)
        );
    }
}

async fn sleep_or_forever(wait: Option<Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

fn to_action(event: Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != event::KeyEventKind::Release => Some(Action::Key(key)),
        Event::Mouse(mouse) => Some(Action::Mouse(mouse)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// Terminal input on a thread of its own: `event::read` blocks.
fn spawn_input_reader() -> mpsc::UnboundedReceiver<Event> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("wktui-input".into())
        .spawn(move || {
            while let Ok(event) = event::read() {
                if tx.send(event).is_err() {
                    break;
                }
            }
        })
        .ok();
    rx
}

/// The local zone's offset, for the times the view shows.
fn local_utc_offset(now: Timestamp) -> i32 {
    use chrono::{Local, Offset, TimeZone};
    Local
        .timestamp_millis_opt(now.as_millis() as i64)
        .single()
        .map_or(0, |t| t.offset().fix().local_minus_utc())
}

/// Performs effects: each becomes a background task whose result comes back
/// on `results` as an `Action`.
struct Worker {
    engine: Arc<Engine>,
    config_path: PathBuf,
    /// Asks the config watcher to read the file now (after our own writes).
    recheck_config: Arc<tokio::sync::Notify>,
    /// Given to profiles saved from the form that name a region (the demo's server).
    base_url_for_new: Option<CheckedUrl>,
    /// By name, the App's own; shared with the tasks that read cached tokens.
    profiles: Arc<HashMap<String, Arc<Profile>>>,
    results: mpsc::UnboundedSender<Action>,
    permits: Arc<Semaphore>,
    /// New name -> old name of edits in flight.
    renames: HashMap<String, String>,
    /// Name -> the profile's fingerprint when its refresh was sent.
    in_flight: HashMap<String, String>,
    /// `profiles` holds copies made by `observe` until `share_profiles`.
    profiles_copied: bool,
}

impl Worker {
    /// Returns true when the App asked to quit.
    fn perform(&mut self, effects: Vec<Effect>, terminal: &mut Term) -> bool {
        let mut quit = false;
        for effect in effects {
            match effect {
                Effect::Refresh(names) => names.into_iter().for_each(|n| self.refresh(n)),
                Effect::Copy { name, token, what } => self.copy(name, what.text(&token), what, terminal),
                Effect::Verify { name, token } => self.verify(name, token),
                Effect::SaveProfile {
                    profile,
                    secret,
                    replacing,
                } => self.save(profile, secret, replacing.map(|p| *p)),
                Effect::DeleteProfile(name) => self.delete(name),
                Effect::SetSecret { name, secret } => self.set_secret(name, secret),
                Effect::Quit => quit = true,
            }
        }
        quit
    }

    fn refresh(&mut self, name: String) {
        let Some(profile) = self.profiles.get(&name).cloned() else {
            let _ = self.results.send(Action::Refreshed {
                name,
                result: Err("the profile is gone".into()),
            });
            return;
        };
        self.in_flight.insert(name.clone(), profile.fingerprint());
        let engine = Arc::clone(&self.engine);
        let permits = Arc::clone(&self.permits);
        let results = self.results.clone();
        tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let result = engine
                .refresh(&profile, None)
                .await
                .map(|done| {
                    let latency = match done.origin {
                        Origin::Server { latency, .. } => latency,
                        Origin::Cache => Duration::ZERO,
                    };
                    (done.token, latency)
                })
                .map_err(|e| e.to_string());
            let _ = results.send(Action::Refreshed { name, result });
        });
    }

    /// Reads again what the cache watcher says changed: the tokens of some
    /// profiles (one file each), or of all of them.
    fn read_cache_news(&self, news: CacheNews) {
        match news {
            CacheNews::AllTokens => self.load_all_tokens(),
            CacheNews::Tokens(names) => {
                let profiles = Arc::clone(&self.profiles);
                let cache = self.engine.cache().clone();
                let results = self.results.clone();
                tokio::task::spawn_blocking(move || {
                    for name in names {
                        let Some(profile) = profiles.get(&name) else {
                            continue;
                        };
                        if let Some(token) = cache.load(profile) {
                            let _ = results.send(Action::TokenFromCache { name, token });
                        }
                    }
                });
            }
        }
    }

    /// Every profile's cached token, from one listing of the cache dir and
    /// the files it shows, sent in batches (`CachedTokens`) so that a fleet's
    /// tokens are never all in flight at once beside the rows that keep them.
    fn load_all_tokens(&self) {
        let profiles = Arc::clone(&self.profiles);
        let cache = self.engine.cache().clone();
        let results = self.results.clone();
        tokio::task::spawn_blocking(move || {
            let stored = cache.stored_names();
            let all: Vec<&Profile> = profiles
                .values()
                .filter(|p| stored.contains(&p.name))
                .map(|p| &**p)
                .collect();
            let mut batches = all.chunks(TOKEN_BATCH).peekable();
            if batches.peek().is_none() {
                let _ = results.send(Action::CachedTokens {
                    tokens: Vec::new(),
                    rest_pending: false,
                });
            }
            while let Some(batch) = batches.next() {
                let tokens = batch
                    .iter()
                    .zip(cache.load_stored(batch, &stored))
                    .filter_map(|(p, token)| Some((p.name.clone(), token?)))
                    .collect();
                let action = Action::CachedTokens {
                    tokens,
                    rest_pending: batches.peek().is_some(),
                };
                if results.send(action).is_err() {
                    return;
                }
            }
        });
    }

    fn copy(&self, name: String, token: crate::model::AccessToken, what: CopyAs, terminal: &mut Term) {
        let settings = self.engine.settings();
        match clipboard::method_for(settings.clipboard) {
            Method::Osc52 => {
                // Straight to the terminal we draw on: it is ours, and quick.
                let backend = terminal.backend_mut();
                let result = clipboard::copy_osc52(backend, token.expose())
                    .map(|()| "OSC 52".to_owned())
                    .map_err(|e| e.to_string());
                let _ = self.results.send(Action::Copied { name, what, result });
            }
            Method::System => {
                let clear_after = settings.clipboard_clear_after;
                let results = self.results.clone();
                tokio::task::spawn_blocking(move || {
                    let result = clipboard::copy_system(token.expose(), clear_after)
                        .map(|()| "clipboard".to_owned())
                        .map_err(|e| e.to_string());
                    let _ = results.send(Action::Copied { name, what, result });
                });
            }
        }
    }

    fn verify(&self, name: String, token: crate::model::AccessToken) {
        let Some(profile) = self.profiles.get(&name).cloned() else {
            return;
        };
        let engine = Arc::clone(&self.engine);
        let results = self.results.clone();
        tokio::spawn(async move {
            let result = engine
                .verify(&profile, &token)
                .await
                .map(|v| v == crate::fetcher::Verification::Accepted)
                .map_err(|e| e.to_string());
            let _ = results.send(Action::Verified { name, result });
        });
    }

    /// Passes a finished action on, after keeping the worker in step with it.
    /// A token fetched for a profile that was edited meanwhile (another
    /// grant, URL or scope) is not the edited profile's token: say so instead.
    fn vet(&mut self, action: Action) -> Action {
        if let Action::Refreshed { name, result } = &action {
            let asked_for = self.in_flight.remove(name);
            let current = self.profiles.get(name).map(|p| p.fingerprint());
            if result.is_ok() && asked_for.is_some() && asked_for != current {
                return Action::Refreshed {
                    name: name.clone(),
                    result: Err(
                        "the profile changed while its token was on the way; refresh it again".into(),
                    ),
                };
            }
        }
        self.observe(&action);
        action
    }

    /// Keeps the worker's profiles in step with what was saved or deleted.
    fn observe(&mut self, action: &Action) {
        match action {
            Action::ProfileSaved {
                profile,
                result: Ok(()),
            } => {
                let profiles = Arc::make_mut(&mut self.profiles);
                if let Some(old) = self.renames.remove(&profile.name) {
                    profiles.remove(&old);
                }
                profiles.insert(profile.name.clone(), Arc::new(profile.clone()));
                self.profiles_copied = true;
            }
            Action::ProfileSaved {
                profile,
                result: Err(_),
            } => {
                self.renames.remove(&profile.name);
            }
            Action::ProfileDeleted { name, result: Ok(()) } => {
                Arc::make_mut(&mut self.profiles).remove(name);
            }
            Action::ConfigReloaded {
                result: Ok(config), ..
            } => {
                self.profiles = Arc::new(
                    config
                        .profiles
                        .iter()
                        .map(|p| (p.name.clone(), Arc::new(p.clone())))
                        .collect(),
                );
                self.profiles_copied = true;
            }
            _ => {}
        }
    }

    /// Takes the App's own profiles again after copies were made for the
    /// actions of a batch: one copy of each profile, however many there are.
    fn share_profiles(&mut self, app: &App) {
        if std::mem::take(&mut self.profiles_copied) {
            self.profiles = Arc::new(
                app.rows()
                    .iter()
                    .map(|r| (r.profile.name.clone(), Arc::clone(&r.profile)))
                    .collect(),
            );
        }
    }

    /// Saves against `replacing` as the form showed it, not the worker's
    /// copy: if the file changed since, the save is refused, never a silent
    /// overwrite of what someone else wrote.
    fn save(&mut self, mut profile: Profile, secret: Option<SecretString>, replacing: Option<Profile>) {
        if profile.secret_source.is_stored() {
            profile.secret_source = self.engine.secrets().source();
        }
        if profile.base_url.is_none() && matches!(profile.endpoint, Endpoint::Region(_)) {
            profile.base_url = self.base_url_for_new.clone();
        }
        let engine = Arc::clone(&self.engine);
        let path = self.config_path.clone();
        let results = self.results.clone();
        if let Some(old) = &replacing {
            self.renames.insert(profile.name.clone(), old.name.clone());
        }
        let recheck = Arc::clone(&self.recheck_config);
        tokio::task::spawn_blocking(move || {
            let result = save_profile(&engine, &path, &profile, secret, replacing.as_ref());
            let _ = results.send(Action::ProfileSaved { profile, result });
            // The file as it is now comes after this answer: it has the last word.
            recheck.notify_one();
        });
    }

    /// The same core call as `wktui profile set-secret`, off the render path.
    fn set_secret(&self, name: String, secret: SecretString) {
        let engine = Arc::clone(&self.engine);
        let path = self.config_path.clone();
        let results = self.results.clone();
        tokio::task::spawn_blocking(move || {
            let result = profiles::set_secret(&path, &name, &secret, engine.secrets().as_ref())
                .map_err(|e| e.to_string());
            drop(secret);
            let _ = results.send(Action::SecretStored { name, result });
        });
    }

    fn delete(&mut self, name: String) {
        let Some(profile) = self.profiles.get(&name).cloned() else {
            return;
        };
        let engine = Arc::clone(&self.engine);
        let path = self.config_path.clone();
        let results = self.results.clone();
        let recheck = Arc::clone(&self.recheck_config);
        tokio::task::spawn_blocking(move || {
            let result = delete_profile(&engine, &path, &profile);
            let _ = results.send(Action::ProfileDeleted { name, result });
            recheck.notify_one();
        });
    }
}

/// Writes the profile (and its secret) the same way `wktui profile add` does.
fn save_profile(
    engine: &Engine,
    path: &std::path::Path,
    profile: &Profile,
    secret: Option<SecretString>,
    old: Option<&Profile>,
) -> Result<(), String> {
    let secrets = engine.secrets().as_ref();
    match old {
        Some(old) => profiles::replace(path, old, profile, secret.as_ref(), secrets, engine.cache()),
        None => profiles::add(path, profile, secret.as_ref(), secrets),
    }
    .map_err(|e| match e {
        ProfileError::Config(ConfigError::ChangedElsewhere(name)) => format!(
            "{name} was changed in the config file by another program while this form was open; nothing was saved. Esc, then e edits the version now in the file"
        ),
        other => other.to_string(),
    })
}

fn delete_profile(engine: &Engine, path: &std::path::Path, profile: &Profile) -> Result<(), String> {
    profiles::remove(path, profile, engine.secrets().as_ref(), engine.cache())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::TokenCache;
    use crate::model::{AccessToken, Endpoint, Region, Scopes, Settings, Token};
    use crate::secrets::MemoryStore;

    fn worker(dir: &std::path::Path, profiles: &[Profile]) -> Worker {
        let (results, _) = mpsc::unbounded_channel();
        Worker {
            engine: Arc::new(Engine::new(
                Settings::default(),
                Arc::new(MemoryStore::new()),
                TokenCache::new(dir.join("cache")),
            )),
            config_path: dir.join("config.toml"),
            recheck_config: Arc::new(tokio::sync::Notify::new()),
            base_url_for_new: None,
            profiles: Arc::new(
                profiles
                    .iter()
                    .map(|p| (p.name.clone(), Arc::new(p.clone())))
                    .collect(),
            ),
            results,
            permits: Arc::new(Semaphore::new(1)),
            renames: HashMap::new(),
            in_flight: profiles
                .iter()
                .map(|p| (p.name.clone(), p.fingerprint()))
                .collect(),
            profiles_copied: false,
        }
    }

    fn fetched() -> Result<(Token, Duration), String> {
        let token = Token {
            access_token: AccessToken::new("wk.t".into()),
            token_type: "Bearer".into(),
            scopes: Scopes::parse("file:read"),
            scope_stated: true,
            obtained_at: Timestamp(0),
            lifetime: Duration::from_secs(600),
        };
        Ok((token, Duration::from_millis(3)))
    }

    #[test]
    fn a_token_fetched_before_an_edit_is_not_given_to_the_edited_profile() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Profile::new("p", Endpoint::Region(Region::Us), "old-client");
        let q = Profile::new("q", Endpoint::Region(Region::Us), "client");
        let mut w = worker(dir.path(), &[p.clone(), q]);
        let mut edited = p.clone();
        edited.client_id = "new-client".into();
        w.vet(Action::ProfileSaved {
            profile: edited.clone(),
            result: Ok(()),
        });
        assert_eq!(w.profiles.get("p").map(|p| &**p), Some(&edited));
        assert_eq!(w.profiles.len(), 2);
        let out = w.vet(Action::Refreshed {
            name: "p".into(),
            result: fetched(),
        });
        assert!(
            matches!(&out, Action::Refreshed { result: Err(e), .. } if e.contains("changed while its token")),
            "{out:?}"
        );
        // An unchanged profile gets its token.
        let out = w.vet(Action::Refreshed {
            name: "q".into(),
            result: fetched(),
        });
        assert!(matches!(out, Action::Refreshed { result: Ok(_), .. }));
    }

    #[tokio::test]
    async fn a_secret_typed_at_shift_s_is_stored_through_the_same_call_as_set_secret() {
        use secrecy::ExposeSecret;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Profile::new("p", Endpoint::Region(Region::Us), "client");
        let mut w = worker(dir.path(), std::slice::from_ref(&p));
        let (results, mut answers) = mpsc::unbounded_channel();
        w.results = results;
        let store = w.engine.secrets().clone();
        profiles::add(
            &w.config_path,
            &p,
            Some(&SecretString::from("old")),
            store.as_ref(),
        )
        .expect("add");

        w.set_secret("p".into(), SecretString::from("the-new-one"));
        let answer = answers.recv().await.expect("an answer");
        assert!(
            matches!(&answer, Action::SecretStored { name, result: Ok(()) } if name == "p"),
            "{answer:?}"
        );
        assert_eq!(store.get("p").expect("stored").expose_secret(), "the-new-one");

        // A profile that is not in the file: the core call's own words.
        w.set_secret("gone".into(), SecretString::from("x"));
        let answer = answers.recv().await.expect("an answer");
        assert!(
            matches!(&answer, Action::SecretStored { result: Err(e), .. } if e.contains("gone")),
            "{answer:?}"
        );
        assert!(!format!("{answer:?}").contains("the-new-one"));
    }
}
