//! The runtime: owns the terminal, turns input, the clock and finished
//! background work into `Action`s, and performs the App's `Effect`s on
//! background tasks so nothing slow ever runs on the render path.

use std::io::{BufWriter, Stdout};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::{Semaphore, mpsc};

use super::{Action, App, Effect, draw as draw_view};
use crate::clock;
use crate::config::Config;
use crate::engine::Engine;
use crate::model::{CheckedUrl, Timestamp, Token};
use crate::platform::signals::EndSignals;

mod worker;

use worker::Worker;

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
        results: results_tx,
        permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
    };
    let mut signals = EndSignals::listen();
    if rest_pending {
        worker.load_all_tokens(app.rows().iter().map(|r| Arc::clone(&r.profile)).collect());
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
            Some(news) = cache_news.recv() => Action::CacheChanged(news),
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
        let mut effects = apply(&mut app, pending);
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
