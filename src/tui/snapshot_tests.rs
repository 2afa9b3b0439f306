//! Snapshots of the whole screen at several sizes and in every state, drawn
//! with ratatui's `TestBackend` at a fixed `now`, fixed tokens and UTC.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::{Action, App, draw};
use crate::engine::EngineError;
use crate::fetcher::FetchError;
use crate::model::{AccessToken, Endpoint, Profile, Region, Scopes, Settings, Timestamp, Token};

/// 2023-11-14 22:13:20 UTC.
const T0: u64 = 1_700_000_000;

fn now() -> Timestamp {
    Timestamp::from_secs(T0)
}

/// A token with `left` seconds to go at `now()`, out of `lifetime`.
fn token(value: &str, left: i64, lifetime: u64, scope: &str) -> Token {
    Token {
        access_token: AccessToken::new(value.to_owned()),
        token_type: "Bearer".into(),
        scopes: Scopes::parse(scope),
        scope_stated: true,
        obtained_at: Timestamp::from_secs((T0 as i64 + left - lifetime as i64) as u64),
        lifetime: Duration::from_secs(lifetime),
    }
}

fn profile(name: &str, region: Region) -> Profile {
    let mut p = Profile::new(name, Endpoint::Region(region), format!("{name}-7f3a9c"));
    p.scope = Some(Scopes::parse("file:read file:write"));
    p
}

/// Four profiles, one per token state; `prod` selected.
fn fleet() -> App {
    let mut sandbox = Profile::new(
        "sandbox",
        Endpoint::token_url("http://127.0.0.1:8080/oauth2/token").expect("url"),
        "sandbox-client",
    );
    sandbox.api_version = crate::model::ApiVersion::V2022_01_01;
    let profiles = vec![
        profile("prod", Region::Us),
        profile("staging-eu", Region::Eu),
        profile("dev-apac", Region::Apac),
        sandbox,
    ];
    let cached = vec![
        (
            "prod".to_owned(),
            token("wk.Gx7pQ2LmZk9fR4", 599, 600, "file:read file:write"),
        ),
        (
            "staging-eu".to_owned(),
            token("wk.Ab3dE5fG7hJ9kL", 45, 3600, "file:read"),
        ),
        (
            "dev-apac".to_owned(),
            token("wk.Zz9yY8xX7wW6vV", -62, 600, "file:read file:write"),
        ),
    ];
    let mut app = App::new(profiles, Settings::default(), cached, now());
    select(&mut app, "prod");
    app
}

fn select(app: &mut App, name: &str) {
    press(app, KeyCode::Home);
    for _ in 0..app.rows().len() {
        if app.selected().map(|r| r.name()) == Some(name) {
            return;
        }
        press(app, KeyCode::Down);
    }
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// Draws `app` on a `width`×`height` screen, telling it the size first as
/// the runtime does.
fn screen(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    app.update(Action::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|f| draw(f, app)).expect("draw");
    terminal
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    screen(app, width, height).backend().to_string()
}

fn buffer(app: &mut App, width: u16, height: u16) -> Buffer {
    screen(app, width, height).backend().buffer().clone()
}

// --- first run ---

/// The row's profile, as a refresh's answer carries it back.
fn asked_for(app: &App, name: &str) -> std::sync::Arc<Profile> {
    let row = app
        .rows()
        .iter()
        .find(|r| r.profile.name == name)
        .expect("a profile of the fleet");
    std::sync::Arc::clone(&row.profile)
}

#[test]
fn welcome_on_first_run() {
    let mut app = App::new(vec![], Settings::default(), vec![], now());
    assert_snapshot!("welcome_120x40", render(&mut app, 120, 40));
    assert_snapshot!("welcome_80x24", render(&mut app, 80, 24));
    assert_snapshot!("welcome_60x20", render(&mut app, 60, 20));
}

// --- token states ---

#[test]
fn valid_token_selected() {
    let mut app = fleet();
    assert_snapshot!("valid_120x40", render(&mut app, 120, 40));
    assert_snapshot!("valid_80x24", render(&mut app, 80, 24));
    assert_snapshot!("valid_60x20", render(&mut app, 60, 20));
}

#[test]
fn expiring_token_selected() {
    let mut app = fleet();
    select(&mut app, "staging-eu");
    assert_snapshot!("expiring_120x40", render(&mut app, 120, 40));
    assert_snapshot!("expiring_80x24", render(&mut app, 80, 24));
}

#[test]
fn expired_token_selected() {
    let mut app = fleet();
    select(&mut app, "dev-apac");
    assert_snapshot!("expired_80x24", render(&mut app, 80, 24));
    assert_snapshot!("expired_120x40", render(&mut app, 120, 40));
}

#[test]
fn no_token_selected() {
    let mut app = fleet();
    select(&mut app, "sandbox");
    assert_snapshot!("no_token_80x24", render(&mut app, 80, 24));
}

#[test]
fn refreshing_shows_a_spinner_and_keeps_counting() {
    let mut app = fleet();
    select(&mut app, "dev-apac");
    press(&mut app, KeyCode::Char('r'));
    app.update(Action::Tick(Timestamp(now().as_millis() + 2_300)));
    assert_snapshot!("refreshing_120x40", render(&mut app, 120, 40));
    assert_snapshot!("refreshing_80x24", render(&mut app, 80, 24));
}

#[test]
fn failed_refresh_shows_the_error_in_words() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('r'));
    app.update(Action::Refreshed {
        profile: asked_for(&app, "prod"),
        result: Err(EngineError::Fetch(FetchError::Refused {
            status: 401,
            error: "invalid_client".into(),
            description: Some("Client authentication failed".into()),
            tries: 1,
            retry_after: None,
        })),
    });
    assert_snapshot!("error_120x40", render(&mut app, 120, 40));
    assert_snapshot!("error_80x24", render(&mut app, 80, 24));
}

#[test]
fn first_fetch_in_flight_then_failed_on_a_profile_without_a_token() {
    let mut app = fleet();
    select(&mut app, "sandbox");
    press(&mut app, KeyCode::Char('r'));
    assert_snapshot!("first_fetch_refreshing_80x24", render(&mut app, 80, 24));
    app.update(Action::Refreshed {
        profile: asked_for(&app, "sandbox"),
        result: Err(EngineError::Fetch(FetchError::Connect {
            url: "https://sandbox.example/oauth2/token".into(),
            reason: "Connection refused".into(),
            tries: 1,
        })),
    });
    assert_snapshot!("first_fetch_error_80x24", render(&mut app, 80, 24));
}

#[test]
fn revealed_token_latency_verification_and_unstated_scope() {
    let mut app = fleet();
    let mut fresh = token("wk.Gx7pQ2LmZk9fR4-whole-token-value", 3599, 3600, "file:read");
    fresh.scope_stated = false;
    app.update(Action::Refreshed {
        profile: asked_for(&app, "prod"),
        result: Ok((fresh, Duration::from_millis(312))),
    });
    press(&mut app, KeyCode::Char('v'));
    app.update(Action::Verified {
        name: "prod".into(),
        token: AccessToken::new("wk.Gx7pQ2LmZk9fR4-whole-token-value".into()),
        result: Ok(crate::engine::Verdict {
            verification: crate::fetcher::Verification::Accepted,
            dropped: false,
            drop_warning: None,
        }),
    });
    press(&mut app, KeyCode::Char('s'));
    assert_snapshot!("revealed_120x40", render(&mut app, 120, 40));
}

#[test]
fn status_message_replaces_the_hints() {
    let mut app = fleet();
    app.update(Action::Copied {
        name: "prod".into(),
        what: super::CopyAs::Token,
        result: Ok(crate::clipboard::Method::System),
    });
    let screen = render(&mut app, 80, 24);
    let status = screen.lines().last().unwrap_or_default().to_owned();
    assert_snapshot!("status_copied_80x24", status);
}

#[test]
fn the_summary_of_shift_r_in_the_status_line() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('R'));
    for (name, result) in [
        ("staging-eu", Ok(())),
        ("dev-apac", Err("invalid_client")),
        ("sandbox", Err("connection refused")),
    ] {
        app.update(Action::Refreshed {
            profile: asked_for(&app, name),
            result: result
                .map(|()| (token("wk.new", 600, 600, "file:read"), Duration::from_millis(40)))
                .map_err(|e| EngineError::Internal(e.to_owned())),
        });
    }
    let screen = render(&mut app, 80, 24);
    let status = screen.lines().last().unwrap_or_default().to_owned();
    assert_snapshot!("status_refresh_all_summary_80x24", status);
}

#[test]
fn sorted_by_time_left() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('o'));
    assert_snapshot!("sorted_by_time_left_80x24", render(&mut app, 80, 24));
}

#[test]
fn filtered_by_state() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('f'));
    assert_snapshot!("state_expiring_80x24", render(&mut app, 80, 24));
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Char('f'));
    assert_snapshot!("state_failed_none_80x24", render(&mut app, 80, 24));
}

// --- overlays and modes ---

#[test]
fn set_secret_prompt_shows_dots_never_the_secret() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('S'));
    assert_snapshot!("set_secret_empty_80x24", render(&mut app, 80, 24));
    type_text(&mut app, "Sup3r-s3cret");
    let screen = render(&mut app, 80, 24);
    assert!(!screen.contains("Sup3r"), "{screen}");
    assert_snapshot!("set_secret_typed_80x24", screen);
    press(&mut app, KeyCode::Enter);
    app.update(Action::SecretStored {
        name: "prod".into(),
        result: Err(crate::profile_changes::ProfileError::Secret(
            crate::secrets::SecretError::Locked {
                profile: "prod".into(),
                reason: "the keyring is locked".into(),
            },
        )),
    });
    let screen = render(&mut app, 80, 24);
    assert!(!screen.contains("Sup3r"), "{screen}");
    assert_snapshot!("set_secret_failed_80x24", screen);
}

#[test]
fn help_overlay() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('?'));
    assert_snapshot!("help_120x40", render(&mut app, 120, 40));
    assert_snapshot!("help_80x24", render(&mut app, 80, 24));
    assert_snapshot!("help_60x20", render(&mut app, 60, 20));
    for _ in 0..50 {
        press(&mut app, KeyCode::Down);
    }
    assert_snapshot!("help_60x20_scrolled_to_the_end", render(&mut app, 60, 20));
}

#[test]
fn filter_narrows_the_list() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "a");
    assert_snapshot!("filter_typing_80x24", render(&mut app, 80, 24));
    assert_snapshot!("filter_typing_120x40", render(&mut app, 120, 40));
    type_text(&mut app, "zz");
    assert_snapshot!("filter_no_match_80x24", render(&mut app, 80, 24));
}

#[test]
fn empty_add_profile_form() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('a'));
    assert_snapshot!("form_add_120x40", render(&mut app, 120, 40));
    assert_snapshot!("form_add_80x24", render(&mut app, 80, 24));
}

/// The smallest size that still draws, in each state: nothing overlaps or panics.
#[test]
fn every_state_at_the_smallest_drawable_size() {
    let (w, h) = (crate::tui::MIN_WIDTH, crate::tui::MIN_HEIGHT);
    let mut app = fleet();
    select(&mut app, "staging-eu");
    assert_snapshot!("smallest_expiring", render(&mut app, w, h));
    press(&mut app, KeyCode::Char('r'));
    assert_snapshot!("smallest_refreshing", render(&mut app, w, h));
    press(&mut app, KeyCode::Char('?'));
    assert_snapshot!("smallest_help", render(&mut app, w, h));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('a'));
    assert_snapshot!("smallest_form", render(&mut app, w, h));
    // The last field, below the bottom: the form scrolls to it.
    press(&mut app, KeyCode::BackTab);
    let screen = render(&mut app, w, h);
    assert!(screen.contains("› Client secret"), "{screen}");
    let mut app = App::new(Vec::new(), Default::default(), Vec::new(), now());
    assert_snapshot!("smallest_welcome", render(&mut app, w, h));
}

#[test]
fn add_profile_form() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "prod");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "mars");
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    assert_snapshot!("form_errors_80x24", render(&mut app, 80, 24));
    assert_snapshot!("form_errors_60x20", render(&mut app, 60, 20));
}

#[test]
fn edit_profile_form() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('e'));
    for _ in 0..8 {
        press(&mut app, KeyCode::Tab);
    }
    type_text(&mut app, "new-secret");
    assert_snapshot!("form_edit_120x40", render(&mut app, 120, 40));
}

#[test]
fn delete_confirmation() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('d'));
    assert_snapshot!("confirm_delete_80x24", render(&mut app, 80, 24));
}

#[test]
fn long_lists_scroll_to_keep_the_selection_visible() {
    let profiles = (0..10_000)
        .map(|i| profile(&format!("tenant-{i:05}"), Region::Us))
        .collect();
    let cached = (0..10_000)
        .step_by(3)
        .map(|i| {
            (
                format!("tenant-{i:05}"),
                token("wk.tok", (i % 700) as i64 - 60, 600, "file:read"),
            )
        })
        .collect();
    let mut app = App::new(profiles, Settings::default(), cached, now());
    app.update(Action::Resize(80, 24));
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::PageUp);
    assert_snapshot!("ten_thousand_80x24", render(&mut app, 80, 24));
}

// --- sizes and colour ---

#[test]
fn tiny_terminals_say_they_are_too_small() {
    let mut app = fleet();
    assert_snapshot!("too_small_20x5", render(&mut app, 20, 5));
    assert_snapshot!("too_small_39x24", render(&mut app, 39, 24));
}

#[test]
fn never_panics_at_any_size_in_any_mode() {
    let setups: [fn(&mut App); 11] = [
        |_| {},
        |app| press(app, KeyCode::Char('o')),
        |app| type_text(app, "fff"),
        |app| press(app, KeyCode::Char('S')),
        |app| {
            press(app, KeyCode::Char('S'));
            type_text(app, "a-secret-typed-long-enough-to-fill-the-whole-line-and-more");
            press(app, KeyCode::Enter);
            app.update(Action::SecretStored {
                name: "prod".into(),
                result: Err(crate::profile_changes::ProfileError::Secret(
                    crate::secrets::SecretError::Locked {
                        profile: "prod".into(),
                        reason: "the keyring is locked".into(),
                    },
                )),
            });
        },
        |app| press(app, KeyCode::Char('?')),
        |app| press(app, KeyCode::Char('a')),
        |app| press(app, KeyCode::Char('e')),
        |app| press(app, KeyCode::Char('d')),
        |app| type_text(app, "/st"),
        |app| press(app, KeyCode::Char('r')),
    ];
    // Around every threshold of the layout, and every width at one height.
    let widths = [
        0, 1, 2, 3, 5, 10, 20, 39, 40, 41, 50, 59, 60, 79, 80, 81, 100, 120, 130,
    ];
    let heights = [0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 16, 20, 24, 45];
    for setup in setups {
        let mut app = fleet();
        setup(&mut app);
        let mut empty = App::new(vec![], Settings::default(), vec![], now());
        setup(&mut empty);
        for width in widths {
            for height in heights {
                screen(&mut app, width, height);
                screen(&mut empty, width, height);
            }
        }
        for width in 0..=130 {
            screen(&mut app, width, 24);
        }
    }
}

/// Which colours a line of the screen uses, one letter per cell.
fn colour_map(buffer: &Buffer, y: u16) -> String {
    (0..buffer.area.width)
        .map(|x| match buffer.cell((x, y)).map(|c| c.fg) {
            Some(Color::Green) => 'g',
            Some(Color::Yellow) => 'y',
            Some(Color::Red) => 'r',
            Some(Color::Cyan) => 'c',
            Some(Color::DarkGray) => 'd',
            Some(Color::Reset) | None => '.',
            Some(_) => '+',
        })
        .collect()
}

#[test]
fn states_are_coloured_and_also_marked() {
    let mut app = fleet();
    select(&mut app, "sandbox");
    press(&mut app, KeyCode::Char('r'));
    let buffer = buffer(&mut app, 80, 24);
    // List rows: dev-apac, prod, sandbox, staging-eu.
    let rows: Vec<String> = (2..6).map(|y| colour_map(&buffer, y)).collect();
    assert_snapshot!("list_colours_80x24", rows.join("\n"));
}

#[test]
fn no_color_draws_without_any_colour() {
    let setups: [fn(&mut App); 4] = [
        |_| {},
        |app| press(app, KeyCode::Char('r')),
        |app| press(app, KeyCode::Char('?')),
        |app| press(app, KeyCode::Char('a')),
    ];
    for setup in setups {
        let mut app = fleet();
        app.no_color = true;
        setup(&mut app);
        let buffer = buffer(&mut app, 120, 40);
        for cell in buffer.content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
        }
    }
    let mut app = fleet();
    app.no_color = true;
    assert_snapshot!("no_color_80x24", render(&mut app, 80, 24));
}

// --- issue 11: what a new user ran into ---

/// Tokens at every stage of their life, so the list's bars read at a glance.
fn lifetimes() -> App {
    let mut proxy = Profile::new(
        "via-proxy",
        Endpoint::token_url("https://tokens.proxy.example:8443/oauth2/token").expect("url"),
        "proxy-client",
    );
    proxy.scope = Some(Scopes::parse("file:read"));
    let mut profiles = vec![proxy];
    let mut cached = Vec::new();
    for (name, region, left) in [
        ("fresh", Region::Us, 600),
        ("three-quarters", Region::Eu, 450),
        ("half", Region::Apac, 300),
        ("a-quarter", Region::Us, 150),
        ("going", Region::Eu, 30),
        ("gone", Region::Us, -130),
    ] {
        profiles.push(profile(name, region));
        cached.push((name.to_owned(), token("wk.t", left, 600, "file:read file:write")));
    }
    let mut app = App::new(profiles, Settings::default(), cached, now());
    select(&mut app, "half");
    app
}

#[test]
fn list_rows_show_time_left_as_words_and_bars_and_the_scope_when_there_is_room() {
    let mut app = lifetimes();
    assert_snapshot!("lifetimes_120x40", render(&mut app, 120, 40));
    assert_snapshot!("lifetimes_80x24", render(&mut app, 80, 24));
    let buffer = buffer(&mut app, 120, 40);
    let rows: Vec<String> = (2..9).map(|y| colour_map(&buffer, y)).collect();
    assert_snapshot!("lifetimes_colours_120x40", rows.join("\n"));
}

#[test]
fn a_long_token_is_shown_whole_across_the_screen_or_not_at_all() {
    // An 804-character token with the '-' and '_' a word wrap would break at.
    let long: String = (0..804)
        .map(|i| match i % 67 {
            20 => '-',
            45 => '_',
            n => char::from(b'a' + (n % 26) as u8),
        })
        .collect();
    let mut app = fleet();
    app.update(Action::Refreshed {
        profile: asked_for(&app, "prod"),
        result: Ok((token(&long, 599, 600, "file:read"), Duration::from_millis(40))),
    });
    press(&mut app, KeyCode::Char('s'));
    for (width, height) in [(120, 40), (80, 24)] {
        let screen = render(&mut app, width, height);
        let rows: String = screen
            .lines()
            .map(|l| l.trim_matches('"'))
            .filter(|l| {
                l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    && l.len() == usize::from(width)
                    || l.trim_end() != *l && long.contains(l.trim_end()) && !l.trim_end().is_empty()
            })
            .map(str::trim_end)
            .collect();
        assert_eq!(
            rows, long,
            "{width}x{height}: the rows put together are the token\n{screen}"
        );
    }
    assert_snapshot!("long_token_80x24", render(&mut app, 80, 24));
    // Where it cannot fit, it says so instead of cutting it.
    assert_snapshot!("long_token_too_long_40x10", render(&mut app, 40, 10));
    press(&mut app, KeyCode::Esc);
    assert!(!render(&mut app, 80, 24).contains("access token"), "Esc hides it");
}

#[test]
fn too_small_says_all_it_can_at_any_size() {
    let mut app = fleet();
    assert_snapshot!("too_small_12x4", render(&mut app, 12, 4));
    assert_snapshot!("too_small_8x2", render(&mut app, 8, 2));
}

#[test]
fn a_config_file_that_stopped_loading_shows_in_the_status_line() {
    let mut app = fleet();
    app.update(Action::ConfigReloaded {
        result: Err("/home/me/.config/wktui/config.toml:3:10: region: \"moon\" is not a valid region; expected one of: us, eu, apac".into()),
        cached: Vec::new(),
    });
    let screen = render(&mut app, 120, 40);
    let status = screen.lines().last().unwrap_or_default().to_owned();
    assert_snapshot!("config_error_status_120x40", status);
}

#[test]
fn the_demo_form_says_secrets_stay_in_memory() {
    let mut app = fleet();
    app.secret_store = crate::model::SecretSource::Memory;
    press(&mut app, KeyCode::Char('a'));
    let screen = render(&mut app, 80, 24);
    let hint = screen
        .lines()
        .find(|l| l.contains("Client secret"))
        .unwrap_or_default();
    assert!(hint.contains("typed hidden, kept in memory (demo)"), "{screen}");
}

#[test]
fn an_edit_form_whose_profile_changed_elsewhere_says_so() {
    let mut app = fleet();
    press(&mut app, KeyCode::Char('e'));
    let mut changed = profile("prod", Region::Us);
    changed.scope = Some(Scopes::parse("file:read"));
    let others = app
        .rows()
        .iter()
        .filter(|r| r.name() != "prod")
        .map(|r| (*r.profile).clone());
    let profiles = std::iter::once(changed).chain(others).collect();
    app.update(Action::ConfigReloaded {
        result: Ok(crate::config::Config {
            settings: Settings::default(),
            profiles,
            broken: Vec::new(),
        }),
        cached: Vec::new(),
    });
    assert_snapshot!("form_changed_elsewhere_80x24", render(&mut app, 80, 24));
}

// --- hosts that ask to wait, processes that hand out tokens ---

#[test]
fn a_rate_limited_host_says_when_it_is_asked_again_and_its_rows_wait() {
    let mut app = fleet();
    select(&mut app, "dev-apac");
    press(&mut app, KeyCode::Char('R'));
    app.update(Action::HostsPaused(vec![(
        "api.apac.wdesk.com:443".into(),
        Timestamp(now().as_millis() + 12_400),
    )]));
    app.update(Action::Tick(Timestamp(now().as_millis() + 2_300)));
    // The message of R first, in the status line.
    assert_snapshot!("rate_limited_80x24", render(&mut app, 80, 24));
    // Then the pause, counting down.
    app.update(Action::Tick(Timestamp(now().as_millis() + 6_000)));
    assert_snapshot!("rate_limited_later_120x40", render(&mut app, 120, 40));
    app.update(Action::Tick(Timestamp(now().as_millis() + 13_000)));
    assert!(
        !render(&mut app, 80, 24).contains("limiting"),
        "the pause has passed"
    );
}

#[test]
fn profiles_handed_out_by_serve_or_exec_are_marked_and_say_by_whom() {
    use crate::presence::{Active, Kind};
    let mut app = fleet();
    app.update(Action::ActiveProcesses(vec![
        Active {
            pid: 4242,
            kind: Kind::Serve,
            profiles: vec!["prod".into(), "staging-eu".into()],
            url: Some("http://127.0.0.1:8377".into()),
            started_at_ms: 1,
        },
        Active {
            pid: 4343,
            kind: Kind::Exec,
            profiles: vec!["prod".into(), "dev-apac".into()],
            url: None,
            started_at_ms: 2,
        },
    ]));
    assert_snapshot!("served_120x40", render(&mut app, 120, 40));
    assert_snapshot!("served_80x24", render(&mut app, 80, 24));
}

// --- issue 15: what is shown is where it goes ---

/// The row and the details show the host and URL as parsed, not as typed.
#[test]
fn the_interface_shows_a_token_url_as_parsed() {
    let custom = Profile::new(
        "custom",
        Endpoint::token_url("HTTPS://Tokens.Example:443/oauth2/token").expect("url"),
        "custom-client",
    );
    let mut app = App::new(vec![custom], Settings::default(), vec![], now());
    select(&mut app, "custom");
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains(" tokens.example "), "{screen}");
    assert!(screen.contains("https://tokens.example/oauth2/token"), "{screen}");
    assert!(
        !screen.contains("Tokens.Example") && !screen.contains(":443"),
        "{screen}"
    );
}

/// A long host is cut from the left in the list, so its real domain shows;
/// a base URL's host is shown, not the region it stands in for.
#[test]
fn the_list_shows_the_end_of_a_long_host_and_a_base_urls_host() {
    let look_alike = Profile::new(
        "eu",
        Endpoint::token_url("https://api.eu.wdesk.com-login.evil.example/oauth2/token").expect("url"),
        "c",
    );
    let mut proxied = profile("us", Region::Us);
    proxied.base_url = Some(crate::model::CheckedUrl::parse_base("http://127.0.0.1:40953").expect("url"));
    let mut app = App::new(vec![look_alike, proxied], Settings::default(), vec![], now());
    let screen = render(&mut app, 120, 20);
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!("○ {name} ")))
            .unwrap_or_else(|| panic!("no row {name}: {screen}"))
            .to_owned()
    };
    let eu = row("eu");
    assert!(eu.contains("…") && eu.contains("-login.evil.example"), "{screen}");
    assert!(!eu.contains("api.eu.wd"), "{screen}");
    let us = row("us");
    assert!(us.contains("127.0.0.1:40953"), "{screen}");
    assert_snapshot!(screen);
}

// --- issue 18: grant expiry ---

/// `now()` is 2023-11-14 (UTC): prod's grant expires in 9 days, staging-eu's
/// expired 3 days ago, dev-apac's is far off and says nothing in the list.
#[test]
fn grants_about_to_expire_are_marked_and_the_details_say_when() {
    let fleet = fleet();
    let dated = |name: &str, date: &str| {
        let mut p = fleet
            .rows()
            .iter()
            .find(|r| r.name() == name)
            .expect("row")
            .profile
            .as_ref()
            .clone();
        p.grant_expires = Some(crate::model::GrantExpiry::parse(date).expect("date"));
        p
    };
    let profiles = vec![
        dated("prod", "2023-11-23"),
        dated("staging-eu", "2023-11-11"),
        dated("dev-apac", "2024-01-31"),
    ];
    let mut app = App::new(profiles, Settings::default(), vec![], now());
    select(&mut app, "prod");
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("expires in 9 days (2023-11-23)"), "{screen}");
    assert_snapshot!("grant_expiring_120x40", screen);
    select(&mut app, "staging-eu");
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("expired 3 days ago") && screen.contains("(2023-11-11)"),
        "{screen}"
    );
    assert_snapshot!("grant_expired_80x24", screen);
    select(&mut app, "dev-apac");
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("expires in 78 days") && screen.contains("(2024-01-31)"),
        "{screen}"
    );
    assert!(
        screen.contains("○ dev-apac   apac"),
        "no marker far from the date: {screen}"
    );
}

/// A config that loads with a broken profile: the others are listed, the
/// status line says what is wrong (and which key shows it whole), and `!`
/// shows every problem wrapped, at a width where the line cuts it.
#[test]
fn a_broken_profile_is_on_the_status_line_and_whole_behind_the_bang_key() {
    let path = std::path::Path::new("/home/me/.config/wktui/config.toml");
    let text = "[[profile]]\nname = \"moon\"\nregion = \"moon\"\nclient_id = \"x\"\n\n\
                [[profile]]\nname = \"late\"\nclient_id = \"y\"\ngrant_expires = 5\n";
    let broken = crate::config::parse(text, path).expect("loads").broken;
    let mut app = fleet();
    let rows = app.rows().len();
    app.set_broken_profiles(&broken);
    let screen = render(&mut app, 80, 24);
    assert_eq!(app.rows().len(), rows, "the good profiles stay");
    let status = screen.lines().last().unwrap_or_default().to_owned();
    assert_snapshot!("broken_profile_status_80x24", status);
    press(&mut app, KeyCode::Char('!'));
    assert_snapshot!("broken_profile_problems_80x24", render(&mut app, 80, 24));
    press(&mut app, KeyCode::Esc);
    assert!(app.mode().is_normal());
    // Fixed on disk: the warning goes.
    app.update(Action::ConfigReloaded {
        result: Ok(crate::config::Config {
            settings: Settings::default(),
            profiles: app.rows().iter().map(|r| (*r.profile).clone()).collect(),
            broken: Vec::new(),
        }),
        cached: Vec::new(),
    });
    assert!(app.config_problems().is_empty());
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("the config file loads again"), "{screen}");
}
