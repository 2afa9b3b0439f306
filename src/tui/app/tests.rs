use std::time::Duration;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::refresh_all::names_within;
use super::*;
use crate::model::{AccessToken, Endpoint, Region, Scopes};
use crate::presence::Active;

const T0: u64 = 1_700_000_000;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_secs(T0 + secs)
}

fn profile(name: &str) -> Profile {
    Profile::new(name, Endpoint::Region(Region::Us), format!("{name}-client"))
}

/// A 600 s token with `left` seconds to go at `at(0)`.
fn token_left(left: i64) -> Token {
    let obtained = (T0 as i64 + left - 600) as u64;
    Token {
        access_token: AccessToken::new(format!("wk.token-{left}")),
        token_type: "Bearer".into(),
        scopes: Scopes::parse("file:read"),
        scope_stated: true,
        obtained_at: Timestamp::from_secs(obtained),
        lifetime: Duration::from_secs(600),
    }
}

fn app_with(names: &[&str], tokens: Vec<(&str, Token)>) -> App {
    let profiles = names.iter().map(|n| profile(n)).collect();
    let cached = tokens.into_iter().map(|(n, t)| (n.to_owned(), t)).collect();
    let mut app = App::new(profiles, Settings::default(), cached, at(0));
    app.update(Action::Resize(80, 24));
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(app: &mut App, c: char) -> Vec<Effect> {
    key(app, KeyCode::Char(c))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        ch(app, c);
    }
}

fn selected(app: &App) -> Option<&str> {
    app.selected().map(ProfileRow::name)
}

fn status(app: &App) -> Option<&str> {
    app.status().map(|s| s.text.as_str())
}

/// The profile a result is for: the row's own, as the runtime hands back
/// what the App's effect carried.
fn asked_for(app: &App, name: &str) -> Arc<Profile> {
    app.row(name)
        .map(|r| Arc::clone(&r.profile))
        .unwrap_or_else(|| Arc::new(profile(name)))
}

/// An engine error whose words are `text` after "internal error: ".
fn failure(text: &str) -> EngineError {
    EngineError::Internal(text.to_owned())
}

fn refreshed(app: &mut App, name: &str, result: Result<Token, &str>) -> Vec<Effect> {
    let profile = asked_for(app, name);
    app.update(Action::Refreshed {
        profile,
        result: result.map(|t| (t, Duration::from_millis(312))).map_err(failure),
    })
}

fn refresh_names(effects: &[Effect]) -> Vec<Vec<String>> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Refresh(profiles) => Some(profiles.iter().map(|p| p.name.clone()).collect()),
            _ => None,
        })
        .collect()
}

fn copies(effects: &[Effect]) -> Vec<(String, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Copy { name, token, what } => Some((name.clone(), what.text(token).expose().to_owned())),
            _ => None,
        })
        .collect()
}

fn is_quit(effects: &[Effect]) -> bool {
    matches!(effects, [Effect::Quit])
}

fn many(n: usize) -> App {
    let names: Vec<String> = (0..n).map(|i| format!("p{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    app_with(&refs, vec![])
}

// --- construction ---

#[test]
fn new_sorts_profiles_and_attaches_cached_tokens_by_name() {
    let app = app_with(
        &["staging", "dev", "prod"],
        vec![("prod", token_left(300)), ("gone", token_left(300))],
    );
    let names: Vec<&str> = app.rows().iter().map(ProfileRow::name).collect();
    assert_eq!(names, ["dev", "prod", "staging"]);
    assert!(app.row("prod").and_then(|r| r.token.as_ref()).is_some());
    assert!(app.row("dev").and_then(|r| r.token.as_ref()).is_none());
    assert_eq!(selected(&app), Some("dev"));
    assert!(app.mode().is_normal());
}

// --- moving ---

#[test]
fn arrows_vim_keys_home_end_and_pages_move_the_selection() {
    let mut app = many(30);
    // 80x24: the list shows 20 rows.
    key(&mut app, KeyCode::Down);
    ch(&mut app, 'j');
    assert_eq!(selected(&app), Some("p02"));
    ch(&mut app, 'k');
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    assert_eq!(selected(&app), Some("p00"));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(selected(&app), Some("p20"));
    key(&mut app, KeyCode::PageUp);
    assert_eq!(selected(&app), Some("p00"));
    ch(&mut app, 'G');
    assert_eq!(selected(&app), Some("p29"));
    assert_eq!(app.list().offset(), 10);
    ch(&mut app, 'g');
    assert_eq!(selected(&app), Some("p00"));
    key(&mut app, KeyCode::End);
    assert_eq!(selected(&app), Some("p29"));
    key(&mut app, KeyCode::Home);
    assert_eq!(selected(&app), Some("p00"));
}

#[test]
fn resize_sets_the_page_size() {
    let mut app = many(30);
    app.update(Action::Resize(80, 10));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(selected(&app), Some("p06"), "a 10-row terminal shows 6 rows");
    app.update(Action::Resize(5, 5));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(selected(&app), Some("p07"), "too small: pages by one");
}

#[test]
fn key_releases_are_ignored() {
    let mut app = many(3);
    let mut release = KeyEvent::new(KeyCode::Down, KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    app.update(Action::Key(release));
    assert_eq!(selected(&app), Some("p00"));
}

// --- filter ---

#[test]
fn filter_narrows_live_and_enter_keeps_it() {
    let mut app = app_with(&["dev", "prod", "prod-eu", "staging"], vec![]);
    ch(&mut app, 'G');
    assert_eq!(selected(&app), Some("staging"));
    ch(&mut app, '/');
    assert!(matches!(app.mode(), Mode::Filter));
    type_text(&mut app, "pro");
    assert_eq!(app.list().visible().len(), 2);
    // The selection was filtered out: it clamps into the narrower list.
    assert_eq!(selected(&app), Some("prod-eu"));
    ch(&mut app, 'j'); // typed, not a move
    assert_eq!(app.list().filter(), "proj");
    assert_eq!(selected(&app), None);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Up);
    assert_eq!(selected(&app), Some("prod"));
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode(), Mode::Normal));
    assert_eq!(app.list().filter(), "pro");
    // Esc in normal mode clears a kept filter.
    let effects = key(&mut app, KeyCode::Esc);
    assert!(effects.is_empty());
    assert_eq!(app.list().filter(), "");
    assert_eq!(app.list().visible().len(), 4);
    assert_eq!(selected(&app), Some("prod"), "the selection survives");
}

#[test]
fn esc_in_filter_mode_clears_the_filter() {
    let mut app = app_with(&["dev", "prod"], vec![]);
    ch(&mut app, '/');
    type_text(&mut app, "zzz");
    assert!(app.list().visible().is_empty());
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode(), Mode::Normal));
    assert_eq!(app.list().visible().len(), 2);
    assert!(!app.should_quit());
}

// --- refresh ---

#[test]
fn r_refreshes_the_selected_profile_once() {
    let mut app = app_with(&["dev", "prod"], vec![]);
    ch(&mut app, 'j');
    let effects = ch(&mut app, 'r');
    assert_eq!(refresh_names(&effects), [vec!["prod".to_owned()]]);
    assert_eq!(
        app.row("prod").map(|r| r.activity),
        Some(Activity::Refreshing { started: at(0) })
    );
    assert_eq!(
        app.row("prod")
            .map(|r| r.indicator(at(0), Duration::from_secs(60))),
        Some(Indicator::Refreshing)
    );
    assert!(ch(&mut app, 'r').is_empty());
    assert_eq!(status(&app), Some("prod is already refreshing"));
}

#[test]
fn shift_r_refreshes_only_expiring_expired_and_missing_tokens() {
    let mut app = app_with(
        &["expired", "expiring", "missing", "valid", "busy"],
        vec![
            ("expired", token_left(-5)),
            ("expiring", token_left(30)),
            ("valid", token_left(500)),
            ("busy", token_left(-5)),
        ],
    );
    app.rows[0].activity = Activity::Refreshing { started: at(0) }; // "busy"
    let effects = ch(&mut app, 'R');
    assert_eq!(
        refresh_names(&effects),
        [vec![
            "expired".to_owned(),
            "expiring".to_owned(),
            "missing".to_owned()
        ]]
    );
    assert_eq!(status(&app), Some("refreshing 3 profiles…"));
    assert!(ch(&mut app, 'R').is_empty());
    assert_eq!(status(&app), Some("every token is valid; nothing to refresh"));
}

#[test]
fn a_successful_refresh_replaces_the_token_and_records_latency() {
    let mut app = app_with(&["prod"], vec![("prod", token_left(-1))]);
    ch(&mut app, 'r');
    refreshed(&mut app, "prod", Ok(token_left(600)));
    let row = app.row("prod").expect("row");
    assert_eq!(row.activity, Activity::Idle);
    assert_eq!(row.last_latency, Some(Duration::from_millis(312)));
    assert_eq!(row.state(at(0), Duration::from_secs(60)), TokenState::Valid);
    assert_eq!(status(&app), Some("refreshed prod in 312 ms"));
}

#[test]
fn a_failed_refresh_keeps_the_token_and_says_why() {
    let old = token_left(200);
    let mut app = app_with(&["prod"], vec![("prod", old.clone())]);
    ch(&mut app, 'r');
    refreshed(
        &mut app,
        "prod",
        Err("invalid_client: Client authentication failed"),
    );
    let row = app.row("prod").expect("row");
    assert_eq!(row.token.as_ref(), Some(&old));
    assert_eq!(
        row.last_error.as_deref(),
        Some("internal error: invalid_client: Client authentication failed")
    );
    assert_eq!(row.activity, Activity::Idle);
    assert_eq!(row.indicator(at(0), Duration::from_secs(60)), Indicator::Error);
    let message = app.status().expect("status");
    assert_eq!(message.kind, StatusKind::Error);
    assert_eq!(
        message.text,
        "prod: refresh failed: internal error: invalid_client: Client authentication failed"
    );
    // The next success clears the error.
    refreshed(&mut app, "prod", Ok(token_left(600)));
    assert_eq!(app.row("prod").and_then(|r| r.last_error.clone()), None);
}

#[test]
fn results_for_deleted_profiles_are_ignored() {
    let mut app = app_with(&["prod"], vec![]);
    assert!(refreshed(&mut app, "gone", Ok(token_left(600))).is_empty());
    verified(&mut app, "gone", "wk.t", verdict(Verification::Accepted));
    app.update(Action::ProfileDeleted {
        name: "gone".into(),
        result: Ok(()),
    });
    assert_eq!(app.rows().len(), 1);
    assert_eq!(selected(&app), Some("prod"));
}

// --- copy ---

#[test]
fn copy_hands_over_a_valid_token() {
    let mut app = app_with(&["prod"], vec![("prod", token_left(30))]);
    let effects = ch(&mut app, 'c');
    assert_eq!(copies(&effects), [("prod".into(), "wk.token-30".into())]);
    let effects = ch(&mut app, 'y');
    assert_eq!(copies(&effects).len(), 1);
}

#[test]
fn copying_an_expired_token_refreshes_first_then_copies_once() {
    let mut app = app_with(&["prod"], vec![("prod", token_left(-10))]);
    let effects = ch(&mut app, 'c');
    assert_eq!(refresh_names(&effects), [vec!["prod".to_owned()]]);
    assert!(copies(&effects).is_empty());
    assert_eq!(
        status(&app),
        Some("prod has expired: refreshing, will copy when the new token arrives")
    );
    assert!(app.row("prod").is_some_and(ProfileRow::copy_pending));
    // Pressing again while it refreshes does not start a second fetch.
    assert!(ch(&mut app, 'c').is_empty());
    let effects = refreshed(&mut app, "prod", Ok(token_left(600)));
    assert_eq!(copies(&effects), [("prod".into(), "wk.token-600".into())]);
    assert_eq!(status(&app), Some("refreshed prod; copying it…"));
    // The copy's message says both what was fetched and that it was copied.
    app.update(Action::Copied {
        name: "prod".into(),
        what: CopyAs::Token,
        result: Ok(Method::System),
    });
    assert_eq!(
        status(&app),
        Some("prod had expired: renewed it and copied the new token, clears in 30 s")
    );
    // A later refresh does not copy again, and a later copy is a plain one.
    ch(&mut app, 'r');
    assert!(copies(&refreshed(&mut app, "prod", Ok(token_left(600)))).is_empty());
    app.update(Action::Copied {
        name: "prod".into(),
        what: CopyAs::Token,
        result: Ok(Method::Osc52),
    });
    assert_eq!(status(&app), Some("copied prod via OSC 52"));
}

#[test]
fn copying_without_a_token_fetches_one_and_a_failure_copies_nothing() {
    let mut app = app_with(&["prod"], vec![]);
    let effects = ch(&mut app, 'c');
    assert_eq!(refresh_names(&effects), [vec!["prod".to_owned()]]);
    let effects = refreshed(&mut app, "prod", Err("connection refused"));
    assert!(effects.is_empty());
    assert_eq!(
        status(&app),
        Some("prod: refresh failed: internal error: connection refused; nothing copied")
    );
    assert!(!app.row("prod").is_some_and(ProfileRow::copy_pending));
}

#[test]
fn copy_results_say_how_and_when_it_clears() {
    let mut app = app_with(&["prod"], vec![]);
    app.update(Action::Copied {
        name: "prod".into(),
        what: CopyAs::Token,
        result: Ok(Method::System),
    });
    assert_eq!(status(&app), Some("copied prod, clears in 30 s"));
    app.update(Action::Copied {
        name: "prod".into(),
        what: CopyAs::Token,
        result: Ok(Method::Osc52),
    });
    // An OSC 52 copy lives in the terminal: nothing can clear it later.
    assert_eq!(status(&app), Some("copied prod via OSC 52"));
    app.update(Action::Copied {
        name: "prod".into(),
        what: CopyAs::Token,
        result: Err(ClipboardError::Unavailable("no display".into())),
    });
    assert_eq!(
        status(&app),
        Some(
            "could not copy prod: no clipboard is reachable (no display); set clipboard = \"osc52\" in [settings] to copy through the terminal"
        )
    );
    assert_eq!(app.status().map(|s| s.kind), Some(StatusKind::Error));
}

// --- verify ---

fn verdict(verification: Verification) -> Result<Verdict, EngineError> {
    let dropped = matches!(verification, Verification::Refused(_));
    Ok(Verdict {
        verification,
        dropped,
        drop_warning: None,
    })
}

fn verified(app: &mut App, name: &str, token: &str, result: Result<Verdict, EngineError>) {
    app.update(Action::Verified {
        name: name.into(),
        token: AccessToken::new(token.into()),
        result,
    });
}

#[test]
fn verify_asks_the_api_and_shows_the_answer_in_its_own_words() {
    let mut app = app_with(&["prod"], vec![("prod", token_left(300))]);
    let effects = ch(&mut app, 'v');
    assert!(matches!(&effects[..], [Effect::Verify { profile, token }]
        if profile.name == "prod" && token.expose() == "wk.token-300"));
    let verification = |app: &App| app.row("prod").and_then(|r| r.verification.clone());
    assert_eq!(verification(&app), Some(VerifyState::Checking));

    verified(&mut app, "prod", "wk.token-300", verdict(Verification::Accepted));
    assert_eq!(
        verification(&app),
        Some(VerifyState::Answered(Verification::Accepted))
    );
    assert_eq!(status(&app), Some("the API accepted prod's token"));

    verified(&mut app, "prod", "wk.token-300", Err(failure("timed out")));
    assert_eq!(
        verification(&app),
        Some(VerifyState::Failed("internal error: timed out".into()))
    );
    assert_eq!(
        status(&app),
        Some("could not verify prod: internal error: timed out")
    );

    // 403: genuine but without file:read; the token stays.
    verified(&mut app, "prod", "wk.token-300", verdict(Verification::Forbidden));
    assert!(app.row("prod").is_some_and(|r| r.token.is_some()));
    assert!(
        status(&app).is_some_and(|s| s.contains("lack file:read")),
        "{:?}",
        status(&app)
    );

    // An answer about a token no longer shown is not about this one.
    verified(
        &mut app,
        "prod",
        "wk.older",
        verdict(Verification::Refused("revoked".into())),
    );
    assert!(app.row("prod").is_some_and(|r| r.token.is_some()));

    // A new token has not been verified.
    refreshed(&mut app, "prod", Ok(token_left(600)));
    assert_eq!(verification(&app), None);
}

#[test]
fn a_token_the_api_refuses_leaves_the_row_with_the_apis_reason() {
    let mut app = app_with(&["prod"], vec![("prod", token_left(300))]);
    ch(&mut app, 's');
    ch(&mut app, 'v');
    let why = "invalid_token: the token was revoked";
    verified(
        &mut app,
        "prod",
        "wk.token-300",
        verdict(Verification::Refused(why.into())),
    );
    let row = app.row("prod").expect("row");
    assert!(row.token.is_none(), "a refused token is not offered again");
    assert_eq!(row.indicator(at(0), Duration::from_secs(60)), Indicator::Error);
    assert_eq!(
        row.last_error.as_deref(),
        Some("the API refused its token: invalid_token: the token was revoked")
    );
    assert_eq!(
        status(&app),
        Some(
            "the API refused prod's token: invalid_token: the token was revoked; it was dropped, r fetches a new one"
        )
    );
    assert!(app.revealed().is_none(), "the refused token is hidden");
    // Nothing to copy: c fetches a new one first.
    assert_eq!(refresh_names(&ch(&mut app, 'c')), [vec!["prod".to_owned()]]);
}

#[test]
fn a_failed_refresh_gives_the_hint_the_cli_gives() {
    let mut app = app_with(&["prod"], vec![]);
    ch(&mut app, 'r');
    let refused = crate::fetcher::FetchError::Refused {
        status: 401,
        error: "invalid_client".into(),
        description: Some("Client authentication failed".into()),
        tries: 1,
        retry_after: None,
    };
    let profile = asked_for(&app, "prod");
    let hint = refused.hint("prod").expect("invalid_client has a hint");
    app.update(Action::Refreshed {
        profile,
        result: Err(EngineError::Fetch(refused)),
    });
    let error = app.row("prod").and_then(|r| r.last_error.clone()).expect("error");
    assert!(
        error.starts_with("invalid_client: Client authentication failed"),
        "{error}"
    );
    assert!(
        error.ends_with(&format!("{} (S does that here)", &hint[1..])),
        "{error}"
    );
    assert!(hint.contains("wktui profile set-secret prod"), "{hint}");
    assert!(status(&app).is_some_and(|s| s.contains(&hint[1..])));
}

#[test]
fn a_token_asked_for_before_an_edit_is_not_given_to_the_edited_profile() {
    let mut app = app_with(&["p", "q"], vec![]);
    ch(&mut app, 'R');
    let asked = asked_for(&app, "p");
    let mut edited = (*asked).clone();
    edited.client_id = "new-client".into();
    app.update(Action::ProfileSaved {
        profile: edited,
        result: Ok(()),
    });
    app.update(Action::Refreshed {
        profile: asked,
        result: Ok((token_left(600), Duration::from_millis(3))),
    });
    let p = app.row("p").expect("row");
    assert!(p.token.is_none());
    assert!(
        p.last_error
            .as_deref()
            .is_some_and(|e| e.contains("changed while its token"))
    );
    // An unchanged profile gets its token.
    refreshed(&mut app, "q", Ok(token_left(600)));
    assert!(app.row("q").is_some_and(|r| r.token.is_some()));
}

#[test]
fn cache_news_reads_the_tokens_of_profiles_shown() {
    let mut app = app_with(&["a", "b"], vec![]);
    let read = |effects: Vec<Effect>| -> Vec<String> {
        match &effects[..] {
            [Effect::ReadCachedTokens(p) | Effect::ReadAllCachedTokens(p)] => {
                p.iter().map(|p| p.name.clone()).collect()
            }
            _ => panic!("{effects:?}"),
        }
    };
    let news = CacheNews::Tokens(vec!["b".into(), "gone".into()]);
    assert_eq!(read(app.update(Action::CacheChanged(news))), ["b"]);
    assert!(
        app.update(Action::CacheChanged(CacheNews::Tokens(vec!["gone".into()])))
            .is_empty()
    );
    assert_eq!(
        read(app.update(Action::CacheChanged(CacheNews::AllTokens))),
        ["a", "b"]
    );
}

#[test]
fn verify_needs_a_live_token() {
    let mut app = app_with(&["a", "b"], vec![("a", token_left(-1))]);
    assert!(ch(&mut app, 'v').is_empty());
    assert_eq!(status(&app), Some("a's token has expired; press r to refresh it"));
    ch(&mut app, 'j');
    assert!(ch(&mut app, 'v').is_empty());
    assert_eq!(status(&app), Some("b has no token yet; press r to get one"));
}

// --- reveal and time ---

#[test]
fn s_reveals_the_token_for_ten_seconds() {
    let mut app = app_with(&["a", "b"], vec![("a", token_left(300))]);
    ch(&mut app, 's');
    assert!(app.is_revealed("a"));
    assert_eq!(status(&app), Some("showing a's token for 10 s"));
    app.update(Action::Tick(at(9)));
    assert!(app.is_revealed("a"));
    app.update(Action::Tick(at(10)));
    assert!(!app.is_revealed("a"));
    // Toggle off by hand, and hide on moving away.
    ch(&mut app, 's');
    ch(&mut app, 's');
    assert!(!app.is_revealed("a"));
    ch(&mut app, 's');
    ch(&mut app, 'j');
    ch(&mut app, 'k');
    assert!(!app.is_revealed("a"));
    // Nothing to show without a token.
    ch(&mut app, 'j');
    ch(&mut app, 's');
    assert!(!app.is_revealed("b"));
}

#[test]
fn status_messages_expire_on_tick() {
    let mut app = app_with(&["a"], vec![]);
    ch(&mut app, 'v');
    assert!(status(&app).is_some());
    assert_eq!(app.next_deadline(), Some(at(5)));
    app.update(Action::Tick(at(4)));
    assert!(status(&app).is_some());
    app.update(Action::Tick(at(5)));
    assert_eq!(status(&app), None);
    assert_eq!(app.next_deadline(), None);
}

#[test]
fn next_deadline_covers_countdowns_spinner_messages_and_reveal() {
    let mut app = app_with(&["a", "b"], vec![]);
    assert_eq!(app.next_deadline(), None, "nothing moves on its own");
    app.update(Action::Tick(Timestamp(at(0).0 + 250)));
    ch(&mut app, 'r');
    app.status = None;
    assert_eq!(app.next_deadline(), Some(Timestamp(at(0).0 + 300)), "spinner");
    refreshed(&mut app, "a", Ok(token_left(600)));
    app.status = None;
    assert_eq!(app.next_deadline(), Some(at(1)), "the countdown's next second");
    app.update(Action::Tick(Timestamp(at(0).0 + 999)));
    assert_eq!(app.next_deadline(), Some(at(1)));
    app.update(Action::Tick(at(1)));
    assert_eq!(app.next_deadline(), Some(at(2)));
    // Messages and reveals that end earlier than the next second come first.
    app.status = Some(StatusMessage {
        text: "x".into(),
        kind: StatusKind::Info,
        until: Timestamp(at(1).0 + 500),
    });
    assert_eq!(app.next_deadline(), Some(Timestamp(at(1).0 + 500)));
    app.status = None;
    app.reveal = Some(Reveal {
        name: "a".into(),
        until: Timestamp(at(1).0 + 10),
        said: String::new(),
    });
    assert_eq!(app.next_deadline(), Some(Timestamp(at(1).0 + 10)));
}

#[test]
fn auto_refresh_fires_once_per_token_at_the_margin() {
    // "none" has no token: auto_refresh only renews tokens it has.
    let mut app = app_with(&["a", "none"], vec![("a", token_left(70))]);
    // Off by default.
    assert!(app.update(Action::Tick(at(20))).is_empty());
    app.settings.auto_refresh = true;
    assert!(
        app.update(Action::Tick(at(9))).is_empty(),
        "70 s left > 60 s margin"
    );
    let effects = app.update(Action::Tick(at(10)));
    assert_eq!(refresh_names(&effects), [vec!["a".to_owned()]]);
    assert!(app.row("a").is_some_and(ProfileRow::is_refreshing));
    // A failure leaves the old token, and no retry on every tick.
    refreshed(&mut app, "a", Err("boom"));
    for s in 11..80 {
        assert!(app.update(Action::Tick(at(s))).is_empty(), "tick {s}");
    }
    // A new token gets its own one refresh when it reaches the margin.
    let mut fresh = token_left(600);
    fresh.obtained_at = at(0);
    refreshed(&mut app, "a", Ok(fresh));
    assert!(app.update(Action::Tick(at(539))).is_empty());
    let effects = app.update(Action::Tick(at(540)));
    assert_eq!(refresh_names(&effects), [vec!["a".to_owned()]]);
}

// --- profiles: add, edit, delete ---

fn save_effect(effects: Vec<Effect>) -> Option<(Profile, Option<String>, Option<String>)> {
    use secrecy::ExposeSecret;
    effects.into_iter().find_map(|e| match e {
        Effect::SaveProfile {
            profile,
            secret,
            replacing,
        } => Some((
            profile,
            secret.map(|s| s.expose_secret().to_owned()),
            replacing.map(|p| p.name),
        )),
        _ => None,
    })
}

#[test]
fn a_adds_a_profile_through_the_form() {
    let mut app = app_with(&["dev"], vec![]);
    ch(&mut app, 'a');
    assert!(matches!(app.mode(), Mode::Form(_)));
    type_text(&mut app, "prod");
    key(&mut app, KeyCode::Tab);
    ctrl(&mut app, 'u');
    type_text(&mut app, "eu");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "client-1");
    for _ in 0..6 {
        key(&mut app, KeyCode::Tab);
    }
    type_text(&mut app, "s3cret");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(!format!("{effects:?}").contains("s3cret"), "{effects:?}");
    let (profile, secret, replacing) = save_effect(effects).expect("a save");
    assert_eq!(profile.name, "prod");
    assert_eq!(profile.endpoint, Endpoint::Region(Region::Eu));
    assert_eq!(secret.as_deref(), Some("s3cret"));
    assert_eq!(replacing, None);
    assert!(
        !format!("{app:?}").contains("s3cret"),
        "the secret never shows in Debug"
    );
    // The form waits for the answer, then closes and selects the new profile.
    assert!(matches!(app.mode(), Mode::Form(f) if f.is_saving()));
    app.update(Action::ProfileSaved {
        profile,
        result: Ok(()),
    });
    assert!(matches!(app.mode(), Mode::Normal));
    assert_eq!(selected(&app), Some("prod"));
    assert_eq!(status(&app), Some("added prod"));
}

#[test]
fn the_form_validates_in_the_app_against_existing_names() {
    let mut app = app_with(&["dev"], vec![]);
    ch(&mut app, 'a');
    assert!(ctrl(&mut app, 's').is_empty());
    let Mode::Form(form) = app.mode() else {
        panic!("form closed");
    };
    assert_eq!(
        form.error(FormField::Name),
        Some("profile name is empty; give the profile a short name such as \"prod\"")
    );
    assert_eq!(form.error(FormField::ClientId), Some("a client id is required"));
    assert_eq!(form.error(FormField::Secret), Some("a client secret is required"));
    type_text(&mut app, "dev");
    assert!(ctrl(&mut app, 's').is_empty());
    let Mode::Form(form) = app.mode() else {
        panic!("form closed");
    };
    assert_eq!(
        form.error(FormField::Name),
        Some("a profile named dev exists already")
    );
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode(), Mode::Normal));
    assert!(!app.should_quit(), "Esc closes the form first");
}

#[test]
fn a_failed_save_keeps_the_form_open_with_the_reason() {
    let mut app = app_with(&[], vec![]);
    ch(&mut app, 'a');
    type_text(&mut app, "prod");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "id");
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab); // wraps to the secret
    type_text(&mut app, "x");
    let (profile, ..) = save_effect(ctrl(&mut app, 's')).expect("a save");
    app.update(Action::ProfileSaved {
        profile,
        result: Err(ProfileError::SecretRequired),
    });
    let Mode::Form(form) = app.mode() else {
        panic!("form closed");
    };
    let why = "a client secret is required for a profile whose secret is kept by wktui";
    assert_eq!(form.save_error(), Some(why));
    assert!(!form.is_saving());
    assert_eq!(status(&app), Some(format!("could not save prod: {why}").as_str()));
    assert!(app.rows().is_empty());
}

#[test]
fn e_edits_and_renames_the_selected_profile() {
    let mut app = app_with(&["dev", "prod"], vec![("dev", token_left(300))]);
    ch(&mut app, 'e');
    let Mode::Form(form) = app.mode() else {
        panic!("no form");
    };
    assert_eq!(form.editing(), Some("dev"));
    // Rename dev to zeta; the empty secret keeps the stored one.
    ctrl(&mut app, 'u');
    type_text(&mut app, "zeta");
    let (profile, secret, replacing) = save_effect(ctrl(&mut app, 's')).expect("a save");
    assert_eq!(secret, None);
    assert_eq!(replacing.as_deref(), Some("dev"));
    app.update(Action::ProfileSaved {
        profile,
        result: Ok(()),
    });
    let names: Vec<&str> = app.rows().iter().map(ProfileRow::name).collect();
    assert_eq!(names, ["prod", "zeta"]);
    assert_eq!(selected(&app), Some("zeta"), "the selection follows the rename");
    assert!(
        app.row("zeta").and_then(|r| r.token.as_ref()).is_some(),
        "same settings: the token stays"
    );
    assert_eq!(status(&app), Some("saved zeta"));
}

#[test]
fn editing_what_the_server_sees_drops_the_old_token() {
    let mut app = app_with(&["dev"], vec![("dev", token_left(300))]);
    ch(&mut app, 'e');
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "-2"); // client id dev-client-2
    let (profile, ..) = save_effect(ctrl(&mut app, 's')).expect("a save");
    app.update(Action::ProfileSaved {
        profile,
        result: Ok(()),
    });
    assert!(app.row("dev").is_some_and(|r| r.token.is_none()));
}

#[test]
fn d_deletes_after_confirmation() {
    let mut app = app_with(&["a", "b", "c"], vec![]);
    ch(&mut app, 'G');
    ch(&mut app, 'd');
    assert!(matches!(app.mode(), Mode::ConfirmDelete(n) if n == "c"));
    ch(&mut app, 'x');
    assert!(matches!(app.mode(), Mode::ConfirmDelete(_)), "other keys wait");
    assert!(ch(&mut app, 'n').is_empty());
    assert!(matches!(app.mode(), Mode::Normal));
    assert_eq!(status(&app), Some("kept c"));
    ch(&mut app, 'd');
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(!app.should_quit());
    ch(&mut app, 'd');
    let effects = ch(&mut app, 'y');
    assert!(matches!(&effects[..], [Effect::DeleteProfile(p)] if p.name == "c"));
    app.update(Action::ProfileDeleted {
        name: "c".into(),
        result: Ok(()),
    });
    assert_eq!(app.rows().len(), 2);
    assert_eq!(selected(&app), Some("b"), "the selection clamps");
    assert_eq!(status(&app), Some("deleted c"));
    app.update(Action::ProfileDeleted {
        name: "b".into(),
        result: Err(ProfileError::Secret(crate::secrets::SecretError::Keyring {
            profile: "b".into(),
            reason: "permission denied".into(),
        })),
    });
    assert_eq!(app.rows().len(), 2);
    assert_eq!(
        status(&app),
        Some("could not delete b: keyring error for profile \"b\": permission denied")
    );
}

#[test]
fn keys_that_need_a_profile_say_so_when_there_is_none() {
    let mut app = app_with(&[], vec![]);
    for c in ['r', 'c', 'v', 'e', 'd'] {
        assert!(ch(&mut app, c).is_empty(), "{c}");
        assert!(matches!(app.mode(), Mode::Normal), "{c}");
    }
    ch(&mut app, 's');
    ch(&mut app, 'j');
    key(&mut app, KeyCode::PageDown);
    assert_eq!(selected(&app), None);
}

// --- help and quitting ---

#[test]
fn help_opens_with_question_mark_and_closes_with_esc_or_q() {
    let mut app = many(2);
    for close in [KeyCode::Esc, KeyCode::Char('q'), KeyCode::Char('?')] {
        ch(&mut app, '?');
        assert!(matches!(app.mode(), Mode::Help));
        ch(&mut app, 'j');
        assert_eq!(selected(&app), Some("p00"), "help swallows other keys");
        assert!(key(&mut app, close).is_empty());
        assert!(matches!(app.mode(), Mode::Normal));
    }
    assert!(!app.should_quit());
}

#[test]
fn q_and_ctrl_c_quit() {
    for quit in [
        KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE),
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    ] {
        let mut app = many(2);
        assert!(is_quit(&app.update(Action::Key(quit))));
        assert!(app.should_quit());
    }
    // Ctrl-C quits from anywhere, even a form.
    let mut app = many(2);
    ch(&mut app, 'a');
    assert!(is_quit(&ctrl(&mut app, 'c')));
}

// --- mouse ---

fn mouse(app: &mut App, kind: MouseEventKind, column: u16, row: u16) {
    app.update(Action::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }));
}

#[test]
fn clicks_select_list_rows_and_the_wheel_scrolls() {
    let mut app = many(30);
    let click = MouseEventKind::Down(MouseButton::Left);
    // At 80x24 the first row is on line 2 (border, headings).
    mouse(&mut app, click, 5, 4);
    assert_eq!(selected(&app), Some("p02"));
    mouse(&mut app, click, 5, 1); // the headings
    mouse(&mut app, click, 60, 4); // the details pane
    assert_eq!(selected(&app), Some("p02"));
    mouse(&mut app, MouseEventKind::ScrollDown, 60, 10);
    mouse(&mut app, MouseEventKind::ScrollDown, 60, 10);
    assert_eq!(selected(&app), Some("p04"));
    mouse(&mut app, MouseEventKind::ScrollUp, 0, 0);
    assert_eq!(selected(&app), Some("p03"));
    // Clicks land on the scrolled window.
    ch(&mut app, 'G');
    mouse(&mut app, click, 5, 2);
    assert_eq!(selected(&app), Some("p10"));
    // Below the last row of a short list: nothing.
    let mut short = many(2);
    mouse(&mut short, click, 5, 10);
    assert_eq!(selected(&short), Some("p00"));
}

#[test]
fn a_newer_token_from_the_shared_cache_replaces_the_shown_one_quietly() {
    let mut app = app_with(&["prod"], vec![("prod", token_left(30))]);
    let before_status = status(&app).map(str::to_owned);
    app.update(Action::TokenFromCache {
        name: "prod".into(),
        token: token_left(590),
    });
    let shown = app.row("prod").and_then(|r| r.token.as_ref()).expect("token");
    assert_eq!(shown.access_token.expose(), "wk.token-590");
    assert_eq!(
        status(&app).map(str::to_owned),
        before_status,
        "no message for it"
    );

    // An older one does not win, nor does anything for an unknown profile.
    app.update(Action::TokenFromCache {
        name: "prod".into(),
        token: token_left(100),
    });
    let shown = app.row("prod").and_then(|r| r.token.as_ref()).expect("token");
    assert_eq!(shown.access_token.expose(), "wk.token-590");
    app.update(Action::TokenFromCache {
        name: "gone".into(),
        token: token_left(100),
    });
}

#[test]
fn a_refresh_in_flight_is_not_overtaken_by_the_cache() {
    let mut app = app_with(&["prod"], vec![("prod", token_left(30))]);
    key(&mut app, KeyCode::Char('r'));
    app.update(Action::TokenFromCache {
        name: "prod".into(),
        token: token_left(590),
    });
    let shown = app.row("prod").and_then(|r| r.token.as_ref()).expect("token");
    assert_eq!(shown.access_token.expose(), "wk.token-30");
}

// --- a fleet: tokens read in the background ---

fn fleet_of(count: usize) -> App {
    let names: Vec<String> = (0..count).map(|i| format!("p{i:05}")).collect();
    let profiles = names.iter().map(|n| profile(n)).collect();
    let mut app = App::new(profiles, Settings::default(), Vec::new(), at(0));
    app.update(Action::Resize(80, 24));
    app
}

#[test]
fn the_rows_on_screen_are_the_ones_the_list_draws() {
    let mut app = fleet_of(500);
    let height = app.list().page();
    let shown: Vec<&str> = app.rows_on_screen().map(ProfileRow::name).collect();
    assert_eq!(shown.len(), height);
    assert_eq!(shown.first(), Some(&"p00000"));
    key(&mut app, KeyCode::End);
    let shown: Vec<&str> = app.rows_on_screen().map(ProfileRow::name).collect();
    assert_eq!(shown.last(), Some(&"p00499"));
    assert_eq!(shown.len(), height);
    let mut few = fleet_of(3);
    assert_eq!(few.rows_on_screen().count(), 3);
    ch(&mut few, '/');
    type_text(&mut few, "p00001");
    let shown: Vec<&str> = few.rows_on_screen().map(ProfileRow::name).collect();
    assert_eq!(shown, ["p00001"]);
}

#[test]
fn tokens_read_in_the_background_fill_the_rows_and_a_deferred_shift_r_waits_for_them() {
    let mut app = fleet_of(100);
    app.update(Action::CachedTokens {
        tokens: vec![("p00000".into(), token_left(500))],
        rest_pending: true,
    });
    assert!(app.tokens_pending());
    // Without the others' tokens, R would refresh 99 profiles that may not need it.
    assert!(ch(&mut app, 'R').is_empty());
    assert!(status(&app).is_some_and(|s| s.contains("reading the cached tokens first")));
    let rest: Vec<(String, Token)> = (1..100)
        .filter(|i| i % 10 != 0)
        .map(|i| (format!("p{i:05}"), token_left(500)))
        .collect();
    let effects = app.update(Action::CachedTokens {
        tokens: rest,
        rest_pending: false,
    });
    assert!(!app.tokens_pending());
    let expected: Vec<String> = (10..100).step_by(10).map(|i| format!("p{i:05}")).collect();
    assert_eq!(refresh_names(&effects), [expected], "only those without a token");
    assert_eq!(
        app.row("p00001")
            .and_then(|r| r.token.as_ref())
            .map(|t| t.access_token.expose()),
        Some("wk.token-500")
    );
    // A batch never overtakes a newer token or a refresh in flight.
    app.update(Action::CachedTokens {
        tokens: vec![
            ("p00010".into(), token_left(550)),
            ("p00001".into(), token_left(200)),
        ],
        rest_pending: false,
    });
    assert!(app.row("p00010").is_some_and(|r| r.token.is_none()), "refreshing");
    assert_eq!(
        app.row("p00001")
            .and_then(|r| r.token.as_ref())
            .map(|t| t.access_token.expose()),
        Some("wk.token-500")
    );
}

#[test]
fn ticks_are_asked_for_only_while_something_counts_down_or_spins() {
    let mut app = fleet_of(100);
    assert_eq!(app.next_deadline(), None, "no token, nothing in flight: no tick");
    assert!(!app.wants_pause_news());
    let effects = ch(&mut app, 'R');
    assert_eq!(refresh_names(&effects)[0].len(), 100);
    assert!(app.wants_pause_news());
    assert!(app.next_deadline().is_some());
    for i in 0..99 {
        refreshed(&mut app, &format!("p{i:05}"), Ok(token_left(500)));
    }
    assert!(app.wants_pause_news(), "one still in flight");
    // The last one's profile goes away with a reload while in flight.
    let kept: Vec<Profile> = (0..99).map(|i| profile(&format!("p{i:05}"))).collect();
    reload(&mut app, kept, vec![]);
    assert!(!app.wants_pause_news(), "nothing in flight any more");
    assert_eq!(
        app.next_deadline(),
        Some(at(1)),
        "the tokens count down each second"
    );
}

// --- hosts that ask to wait, and processes that hand out tokens ---

fn on_host(name: &str, url: &str) -> Profile {
    Profile::new(name, Endpoint::token_url(url).expect("url"), "client")
}

#[test]
fn a_paused_host_shows_on_its_waiting_rows_until_it_passes() {
    let profiles = vec![
        on_host("limited", "https://api.app.wdesk.com/oauth2/token"),
        on_host("elsewhere", "https://api.eu.wdesk.com/oauth2/token"),
        profile("us"),
    ];
    let mut app = App::new(profiles, Settings::default(), Vec::new(), at(0));
    assert!(!app.wants_pause_news(), "nothing in flight, nothing shown");
    ch(&mut app, 'R');
    assert!(app.wants_pause_news());
    app.update(Action::HostsPaused(vec![(
        "api.app.wdesk.com:443".into(),
        at(12),
    )]));
    let indicator = |app: &App, name: &str| app.indicator(app.row(name).expect("row"));
    // The region's host is the same host: both wait; the other spins on.
    assert_eq!(indicator(&app, "limited"), Indicator::Waiting);
    assert_eq!(indicator(&app, "us"), Indicator::Waiting);
    assert_eq!(indicator(&app, "elsewhere"), Indicator::Refreshing);
    let until = app.pause_of(&app.row("us").expect("row").profile);
    assert_eq!(until, Some(("api.app.wdesk.com:443", at(12))));
    // The countdown ticks each second, and the pause ends by itself.
    assert_eq!(app.next_deadline(), Some(Timestamp(at(0).as_millis() + 100)));
    app.update(Action::Tick(at(12)));
    assert_eq!(app.paused_hosts().count(), 0);
    assert_eq!(indicator(&app, "limited"), Indicator::Refreshing);
}

fn active(pid: u32, kind: crate::presence::Kind, profiles: &[&str]) -> Active {
    Active {
        pid,
        kind,
        profiles: profiles.iter().map(|p| (*p).to_owned()).collect(),
        url: (kind == crate::presence::Kind::Serve).then(|| "http://127.0.0.1:8377".to_owned()),
        started_at_ms: u64::from(pid),
    }
}

#[test]
fn running_serve_and_exec_processes_are_known_by_profile() {
    use crate::presence::Kind;
    let mut app = app_with(&["a", "b", "c"], vec![]);
    assert!(!app.has_active_processes());
    app.update(Action::ActiveProcesses(vec![
        active(10, Kind::Serve, &["a", "b"]),
        active(11, Kind::Exec, &["b"]),
    ]));
    assert!(app.has_active_processes());
    let pids = |app: &App, name: &str| app.active_for(name).map(|a| a.pid).collect::<Vec<_>>();
    assert_eq!(pids(&app, "a"), [10]);
    assert_eq!(pids(&app, "b"), [10, 11]);
    assert!(pids(&app, "c").is_empty());
    app.update(Action::ActiveProcesses(Vec::new()));
    assert!(pids(&app, "b").is_empty());
    assert!(!app.has_active_processes());
}

// --- following the config file ---

fn config_of(profiles: Vec<Profile>) -> Config {
    Config {
        settings: Settings::default(),
        profiles,
        broken: Vec::new(),
    }
}

fn reload(app: &mut App, profiles: Vec<Profile>, cached: Vec<(&str, Token)>) {
    app.update(Action::ConfigReloaded {
        result: Ok(config_of(profiles)),
        cached: cached.into_iter().map(|(n, t)| (n.to_owned(), t)).collect(),
    });
}

fn names(app: &App) -> Vec<&str> {
    app.rows().iter().map(ProfileRow::name).collect()
}

#[test]
fn a_reload_adds_removes_and_edits_profiles_keeping_tokens_selection_and_filter() {
    let mut app = app_with(
        &["dev", "prod", "prod-eu", "stage"],
        vec![
            ("dev", token_left(300)),
            ("prod", token_left(400)),
            ("prod-eu", token_left(500)),
        ],
    );
    ch(&mut app, '/');
    type_text(&mut app, "prod");
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'j');
    assert_eq!(selected(&app), Some("prod-eu"));
    let mut prod = profile("prod");
    prod.client_auth = crate::model::ClientAuth::Basic; // not part of the token
    let mut prod_eu = profile("prod-eu");
    prod_eu.client_id = "another-grant".into(); // another token
    reload(
        &mut app,
        vec![
            profile("stage"),
            prod_eu,
            profile("prod-apac"),
            prod,
            profile("aaa"),
        ],
        vec![("prod-apac", token_left(200)), ("prod-eu", token_left(100))],
    );
    assert_eq!(
        names(&app),
        ["aaa", "prod", "prod-apac", "prod-eu", "stage"],
        "sorted by name"
    );
    assert_eq!(app.list().filter(), "prod", "the filter stays");
    assert_eq!(app.list().visible().len(), 3);
    assert_eq!(selected(&app), Some("prod-eu"), "the selection follows the name");
    let token_of = |app: &App, name: &str| {
        app.row(name)
            .and_then(|r| r.token.as_ref())
            .map(|t| t.access_token.expose().to_owned())
    };
    assert_eq!(
        token_of(&app, "prod").as_deref(),
        Some("wk.token-400"),
        "same grant: kept"
    );
    assert_eq!(
        app.row("prod").map(|r| r.profile.client_auth),
        Some(crate::model::ClientAuth::Basic),
        "the edit is shown"
    );
    assert_eq!(
        token_of(&app, "prod-eu").as_deref(),
        Some("wk.token-100"),
        "another grant: the cache's token for it, not the old one"
    );
    assert_eq!(token_of(&app, "prod-apac").as_deref(), Some("wk.token-200"));
    assert_eq!(
        status(&app),
        Some("config file changed: added aaa, prod-apac; edited prod, prod-eu; removed dev")
    );
    assert_eq!(app.status().map(|s| s.kind), Some(StatusKind::Info));
}

#[test]
fn a_reload_that_changes_nothing_says_nothing() {
    let mut app = app_with(&["a", "b"], vec![("a", token_left(300))]);
    ch(&mut app, 'j');
    reload(&mut app, vec![profile("b"), profile("a")], vec![]);
    assert_eq!(status(&app), None);
    assert_eq!(selected(&app), Some("b"));
    assert!(app.row("a").is_some_and(|r| r.token.is_some()));
}

#[test]
fn a_removed_selection_clamps_and_an_emptied_file_shows_no_profiles() {
    let mut app = app_with(&["a", "b", "c"], vec![]);
    ch(&mut app, 'G');
    reload(&mut app, vec![profile("a"), profile("b")], vec![]);
    assert_eq!(selected(&app), Some("b"));
    reload(&mut app, vec![], vec![]);
    assert!(app.rows().is_empty());
    assert_eq!(selected(&app), None);
    assert_eq!(status(&app), Some("config file changed: removed a, b"));
}

#[test]
fn many_changes_are_summed_up() {
    let mut app = app_with(&[], vec![]);
    let profiles = (0..12).map(|i| profile(&format!("p{i:02}"))).collect();
    reload(&mut app, profiles, vec![]);
    assert_eq!(
        status(&app),
        Some("config file changed: added p00, p01 and 10 more")
    );
}

#[test]
fn an_invalid_file_keeps_the_last_good_list_and_says_why_until_fixed() {
    let mut app = app_with(&["a", "b"], vec![("a", token_left(300))]);
    let error = "/home/me/.config/wktui/config.toml:3:10: region: \"moon\" is not a valid region";
    app.update(Action::ConfigReloaded {
        result: Err(error.into()),
        cached: vec![],
    });
    assert_eq!(names(&app), ["a", "b"]);
    assert!(app.row("a").is_some_and(|r| r.token.is_some()));
    assert_eq!(app.config_error(), Some(error));
    // It outlives any message: it stays until the file loads again.
    app.update(Action::Tick(at(3600)));
    assert_eq!(app.config_error(), Some(error));
    reload(&mut app, vec![profile("a"), profile("b")], vec![]);
    assert_eq!(app.config_error(), None);
    assert_eq!(status(&app), Some("the config file loads again"));
    assert_eq!(app.status().map(|s| s.kind), Some(StatusKind::Success));
}

#[test]
fn the_apps_own_saves_and_deletes_coming_back_are_not_news() {
    let mut app = app_with(&["a", "b"], vec![]);
    ch(&mut app, 'd');
    ch(&mut app, 'y');
    ch(&mut app, 'a');
    type_text(&mut app, "new");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "id");
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    type_text(&mut app, "secret");
    let (saved, ..) = save_effect(ctrl(&mut app, 's')).expect("a save");
    // The file changed before the runtime's answers arrived.
    reload(&mut app, vec![profile("b"), saved.clone()], vec![]);
    assert_eq!(status(&app), Some("saving new…"));
    assert_eq!(names(&app), ["b", "new"]);
    app.update(Action::ProfileSaved {
        profile: saved,
        result: Ok(()),
    });
    app.update(Action::ProfileDeleted {
        name: "a".into(),
        result: Ok(()),
    });
    assert_eq!(names(&app), ["b", "new"]);
    assert_eq!(status(&app), Some("deleted a"));
}

#[test]
fn a_profile_removed_elsewhere_ends_the_delete_question() {
    let mut app = app_with(&["a", "b"], vec![]);
    ch(&mut app, 'd');
    reload(&mut app, vec![profile("b")], vec![]);
    assert!(app.mode().is_normal());
    assert_eq!(
        status(&app),
        Some("a was removed from the config file by another program")
    );
}

#[test]
fn an_edit_form_says_when_its_profile_changed_elsewhere() {
    let mut app = app_with(&["a", "b"], vec![]);
    ch(&mut app, 'e');
    let mut changed = profile("a");
    changed.client_id = "changed-elsewhere".into();
    reload(&mut app, vec![changed, profile("b")], vec![]);
    let Mode::Form(form) = app.mode() else {
        panic!("the form stays open");
    };
    let notice = form.notice().unwrap_or_default();
    assert!(
        notice.contains("a was changed in the config file by another program"),
        "{notice}"
    );
    // The save still goes out against what the form showed: the core refuses it.
    let effects = ctrl(&mut app, 's');
    let replacing = effects.iter().find_map(|e| match e {
        Effect::SaveProfile { replacing, .. } => replacing.clone(),
        _ => None,
    });
    assert_eq!(replacing, Some(Box::new(profile("a"))));
    app.update(Action::ProfileSaved {
        profile: profile("a"),
        result: Err(ProfileError::Config(ConfigError::ChangedElsewhere("a".into()))),
    });
    let Mode::Form(form) = app.mode() else {
        panic!("the form stays open");
    };
    let refused =
        "a was changed in the config file by another program while this form was open; nothing was saved";
    assert!(
        form.save_error().is_some_and(|e| e.starts_with(refused)),
        "{:?}",
        form.save_error()
    );
    assert_eq!(
        app.row("a").map(|r| r.profile.client_id.as_str()),
        Some("changed-elsewhere"),
        "the other program's change is what the list shows"
    );
    // Removed elsewhere: the form says so too.
    key(&mut app, KeyCode::Esc);
    ch(&mut app, 'e');
    reload(&mut app, vec![profile("b")], vec![]);
    let Mode::Form(form) = app.mode() else {
        panic!("the form stays open");
    };
    assert!(
        form.notice().unwrap_or_default().contains("a was removed"),
        "{form:?}"
    );
}

#[test]
fn a_name_added_elsewhere_is_refused_on_the_form() {
    let mut app = app_with(&["a"], vec![]);
    reload(&mut app, vec![profile("a"), profile("longtok")], vec![]);
    ch(&mut app, 'a');
    type_text(&mut app, "longtok");
    assert!(ctrl(&mut app, 's').is_empty());
    let Mode::Form(form) = app.mode() else {
        panic!("form closed");
    };
    assert_eq!(
        form.error(FormField::Name),
        Some("a profile named longtok exists already")
    );
}

#[test]
fn changed_settings_are_noted_not_applied() {
    let mut app = app_with(&["a"], vec![]);
    let mut config = config_of(vec![profile("a")]);
    config.settings.refresh_margin = Duration::from_secs(120);
    app.update(Action::ConfigReloaded {
        result: Ok(config),
        cached: vec![],
    });
    assert_eq!(app.settings().refresh_margin, Duration::from_secs(60));
    assert_eq!(
        status(&app),
        Some("settings in the config file changed; they apply when wktui is started again")
    );
}

#[test]
fn changed_settings_are_noted_beside_changed_profiles() {
    let mut app = app_with(&["a"], vec![]);
    let mut config = config_of(vec![profile("a"), profile("b")]);
    config.settings.refresh_margin = Duration::from_secs(120);
    app.update(Action::ConfigReloaded {
        result: Ok(config),
        cached: vec![],
    });
    let shown = status(&app).expect("a status").to_owned();
    assert!(
        shown.contains("config file changed") && shown.contains("b"),
        "{shown}"
    );
    assert!(
        shown.contains("they apply when wktui is started again"),
        "{shown}"
    );
}

#[test]
fn a_refresh_in_flight_for_a_profile_edited_elsewhere_still_ends() {
    let mut app = app_with(&["a"], vec![("a", token_left(300))]);
    ch(&mut app, 'r');
    let mut edited = profile("a");
    edited.client_id = "other".into();
    reload(&mut app, vec![edited], vec![]);
    assert!(
        app.row("a")
            .is_some_and(|r| r.token.is_none() && r.is_refreshing())
    );
    refreshed(
        &mut app,
        "a",
        Err("the profile changed while its token was on the way; refresh it again"),
    );
    assert!(app.row("a").is_some_and(|r| !r.is_refreshing()));
}

// --- small things a new user ran into ---

#[test]
fn ctrl_c_quits_as_an_interrupt_and_q_as_a_quit() {
    let mut app = app_with(&["a"], vec![]);
    assert!(is_quit(&ctrl(&mut app, 'c')));
    assert!(app.interrupted());
    let mut app = app_with(&["a"], vec![]);
    assert!(is_quit(&ch(&mut app, 'q')));
    assert!(!app.interrupted());
}

#[test]
fn esc_hides_a_shown_token_and_never_quits() {
    let mut app = app_with(&["a"], vec![("a", token_left(300))]);
    ch(&mut app, 's');
    assert!(app.revealed().is_some());
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.revealed().is_none());
    for _ in 0..3 {
        assert!(key(&mut app, KeyCode::Esc).is_empty());
        assert!(!app.should_quit(), "Esc on the main screen never quits");
    }
    assert_eq!(status(&app), Some("nothing to close; q quits"));
    assert!(is_quit(&ch(&mut app, 'q')));
}

#[test]
fn esc_closes_each_thing_that_is_open_and_leaves_the_main_screen_running() {
    let mut app = app_with(&["a", "b"], vec![("a", token_left(300))]);
    // help
    ch(&mut app, '?');
    key(&mut app, KeyCode::Esc);
    assert!(app.mode().is_normal());
    // form
    ch(&mut app, 'a');
    assert!(matches!(app.mode(), Mode::Form(_)));
    key(&mut app, KeyCode::Esc);
    assert!(app.mode().is_normal());
    // filter being typed, then a kept one
    ch(&mut app, '/');
    type_text(&mut app, "b");
    key(&mut app, KeyCode::Esc);
    assert!(app.mode().is_normal());
    assert_eq!(app.list().filter(), "");
    ch(&mut app, '/');
    type_text(&mut app, "b");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.list().filter(), "");
    // the delete question
    ch(&mut app, 'd');
    assert!(matches!(app.mode(), Mode::ConfirmDelete(_)));
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.mode().is_normal());
    // and with nothing open, Esc again and again stays
    for _ in 0..5 {
        assert!(key(&mut app, KeyCode::Esc).is_empty());
    }
    assert!(!app.should_quit());
    assert_eq!(app.rows().len(), 2, "nothing was deleted");
    // Ctrl-C quits from anywhere, as an interrupt
    ch(&mut app, '?');
    assert!(is_quit(&ctrl(&mut app, 'c')));
    assert!(app.interrupted());
}

#[test]
fn s_without_a_profile_says_so() {
    let mut app = app_with(&[], vec![]);
    ch(&mut app, 's');
    assert_eq!(status(&app), Some("no profile selected to show"));
}

#[test]
fn copying_without_a_token_says_it_fetched_one_in_the_copy_message() {
    let mut app = app_with(&["prod"], vec![]);
    ch(&mut app, 'c');
    refreshed(&mut app, "prod", Ok(token_left(600)));
    app.settings.clipboard_clear_after = Duration::ZERO;
    app.update(Action::Copied {
        name: "prod".into(),
        what: CopyAs::Token,
        result: Ok(Method::System),
    });
    assert_eq!(status(&app), Some("prod had no token: fetched one and copied it"));
}

#[test]
fn the_form_keeps_secrets_where_the_store_does() {
    let mut app = app_with(&[], vec![]);
    app.secret_store = crate::model::SecretSource::Memory;
    ch(&mut app, 'a');
    let Mode::Form(form) = app.mode() else {
        panic!("no form");
    };
    assert_eq!(form.secret_store(), &crate::model::SecretSource::Memory);
}

#[test]
fn the_list_columns_follow_the_longest_name_and_host_only_when_rows_change() {
    let mut app = app_with(&["ab"], vec![]);
    assert_eq!(app.label_widths(), LabelWidths { name: 2, endpoint: 2 });
    let mut custom = profile("a-much-longer-name");
    custom.endpoint = Endpoint::token_url("https://tokens.example:8443/oauth2/token").expect("url");
    reload(&mut app, vec![profile("ab"), custom], vec![]);
    assert_eq!(
        app.label_widths(),
        LabelWidths {
            name: 18,
            endpoint: 19
        }
    );
    // Filtering hides rows but keeps the columns still.
    ch(&mut app, '/');
    type_text(&mut app, "ab");
    assert_eq!(app.label_widths().name, 18);
}

#[test]
fn a_copy_waiting_for_a_refresh_survives_an_edit_elsewhere_and_says_nothing_was_copied() {
    let mut app = app_with(&["a"], vec![("a", token_left(-5))]);
    let effects = ch(&mut app, 'c'); // expired: refresh, then copy
    let Some(Effect::Refresh(asked)) = effects.into_iter().next() else {
        panic!("a refresh");
    };
    let mut edited = profile("a");
    edited.client_id = "other".into();
    reload(&mut app, vec![edited], vec![]);
    assert!(app.row("a").is_some_and(ProfileRow::copy_pending));
    // The token comes for the profile as it was asked for.
    let effects = app.update(Action::Refreshed {
        profile: Arc::clone(&asked[0]),
        result: Ok((token_left(600), Duration::from_millis(3))),
    });
    assert!(copies(&effects).is_empty(), "not the edited profile's token");
    assert_eq!(
        status(&app),
        Some(
            "a: refresh failed: the profile changed while its token was on the way; refresh it again; nothing copied"
        )
    );
}

#[test]
fn shift_r_without_profiles_does_not_call_every_token_valid() {
    let mut app = app_with(&[], vec![]);
    assert!(ch(&mut app, 'R').is_empty());
    assert_eq!(status(&app), Some("no profiles yet: press a to add one"));
}

#[test]
fn the_file_read_after_a_save_has_the_last_word() {
    // Our save wrote v1; another program wrote v2 right after; the runtime
    // rereads the file after every save, so v2 arrives after the answer.
    let mut app = app_with(&["a"], vec![]);
    ch(&mut app, 'e');
    ctrl(&mut app, 'u');
    type_text(&mut app, "a");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    ctrl(&mut app, 'u');
    type_text(&mut app, "v1");
    let (ours, ..) = save_effect(ctrl(&mut app, 's')).expect("a save");
    app.update(Action::ProfileSaved {
        profile: ours,
        result: Ok(()),
    });
    let mut theirs = profile("a");
    theirs.client_id = "v2".into();
    reload(&mut app, vec![theirs], vec![]);
    assert_eq!(app.row("a").map(|r| r.profile.client_id.as_str()), Some("v2"));
    assert_eq!(status(&app), Some("config file changed: edited a"));
}

// --- the summary of R ---

#[test]
fn shift_r_ends_with_a_summary_of_what_refreshed_and_what_failed_by_name() {
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "ok"];
    let mut app = app_with(&names, vec![("ok", token_left(500))]);
    let effects = ch(&mut app, 'R');
    assert_eq!(refresh_names(&effects)[0].len(), 10);
    // Answers come back in any order; failures are named sorted.
    for name in ["j", "a", "c", "b", "i", "d"] {
        refreshed(&mut app, name, Ok(token_left(600)));
    }
    for name in ["h", "e", "g"] {
        refreshed(&mut app, name, Err("invalid_client"));
    }
    assert!(
        status(&app).is_some_and(|s| s.contains("g: refresh failed")),
        "each answer is said as it comes: {:?}",
        status(&app)
    );
    refreshed(&mut app, "f", Err("timed out"));
    assert_eq!(status(&app), Some("6 refreshed, 4 failed: e, f, g, h"));
    assert_eq!(app.status().map(|s| s.kind), Some(StatusKind::Error));
    // A lone refresh afterwards is not summed up again.
    ch(&mut app, 'k');
    ch(&mut app, 'r');
    refreshed(&mut app, "j", Ok(token_left(600)));
    assert!(status(&app).is_some_and(|s| s.starts_with("refreshed j in")));
}

#[test]
fn shift_r_with_all_refreshed_says_so_and_a_deleted_profile_is_left_out() {
    let mut app = app_with(&["a", "b", "c"], vec![]);
    ch(&mut app, 'R');
    refreshed(&mut app, "a", Ok(token_left(600)));
    // c is deleted while its token is on the way.
    app.update(Action::ProfileDeleted {
        name: "c".into(),
        result: Ok(()),
    });
    refreshed(&mut app, "b", Ok(token_left(600)));
    assert_eq!(status(&app), Some("2 refreshed"));
    assert_eq!(app.status().map(|s| s.kind), Some(StatusKind::Success));
    // Its late answer changes nothing.
    refreshed(&mut app, "c", Ok(token_left(600)));
    assert_eq!(status(&app), Some("2 refreshed"));
}

#[test]
fn a_long_list_of_failures_is_cut_with_and_n_more() {
    let names: Vec<String> = (0..40).map(|i| format!("profile-{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut app = app_with(&refs, vec![]);
    ch(&mut app, 'R');
    for name in names.iter().rev() {
        refreshed(&mut app, name, Err("refused"));
    }
    let text = status(&app).expect("a summary");
    assert!(
        text.starts_with("0 refreshed, 40 failed: profile-00, profile-01, "),
        "{text}"
    );
    assert!(text.ends_with(" more"), "{text}");
    assert!(text.chars().count() <= 100, "fits a status line: {text}");
    let shown = text.matches("profile-").count();
    assert!(text.ends_with(&format!(" and {} more", 40 - shown)), "{text}");
}

#[test]
fn names_within_keeps_whole_names_and_counts_the_rest() {
    let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(names_within(&names(&["a", "b", "c"]), 60), "a, b, c");
    assert_eq!(
        names_within(&names(&["aaaa", "bbbb", "cccc"]), 12),
        "aaaa and 2 more"
    );
    assert_eq!(
        names_within(&names(&["aaaa", "bbbb", "cccc"]), 16),
        "aaaa, bbbb, cccc"
    );
    assert_eq!(names_within(&names(&["a-very-long-name"]), 4), "a-very-long-name");
    assert_eq!(names_within(&[], 10), "");
}

// --- copy as a header ---

#[test]
fn shift_h_copies_an_authorization_header_through_the_same_copy_effect() {
    let mut app = app_with(&["prod"], vec![("prod", token_left(300))]);
    let effects = ch(&mut app, 'H');
    assert!(matches!(
        effects.as_slice(),
        [Effect::Copy {
            what: CopyAs::AuthorizationHeader,
            ..
        }]
    ));
    assert_eq!(
        copies(&effects),
        [("prod".into(), "Authorization: Bearer wk.token-300".into())]
    );
    app.update(Action::Copied {
        name: "prod".into(),
        what: CopyAs::AuthorizationHeader,
        result: Ok(Method::System),
    });
    assert_eq!(
        status(&app),
        Some("copied prod as an Authorization header, clears in 30 s")
    );
    // c still copies the bare token.
    assert_eq!(
        copies(&ch(&mut app, 'c')),
        [("prod".into(), "wk.token-300".into())]
    );
}

#[test]
fn shift_h_on_an_expired_token_renews_it_then_copies_the_header() {
    let mut app = app_with(&["prod"], vec![("prod", token_left(-10))]);
    let effects = ch(&mut app, 'H');
    assert_eq!(refresh_names(&effects), [vec!["prod".to_owned()]]);
    assert!(copies(&effects).is_empty());
    let effects = refreshed(&mut app, "prod", Ok(token_left(600)));
    assert_eq!(
        copies(&effects),
        [("prod".into(), "Authorization: Bearer wk.token-600".into())]
    );
    app.update(Action::Copied {
        name: "prod".into(),
        what: CopyAs::AuthorizationHeader,
        result: Ok(Method::Osc52),
    });
    assert_eq!(
        status(&app),
        Some("prod had expired: renewed it and copied the new token as an Authorization header via OSC 52")
    );
}

// --- order ---

#[test]
fn o_sorts_by_time_left_and_back_keeping_the_same_profile_selected() {
    let mut app = app_with(
        &["a-late", "b-none", "c-soon", "d-gone"],
        vec![
            ("a-late", token_left(500)),
            ("c-soon", token_left(30)),
            ("d-gone", token_left(-20)),
        ],
    );
    let order = |app: &App| -> Vec<String> {
        app.list()
            .visible()
            .iter()
            .map(|&i| app.rows()[i].name().to_owned())
            .collect()
    };
    ch(&mut app, 'j');
    ch(&mut app, 'j');
    assert_eq!(selected(&app), Some("c-soon"));
    assert_eq!(app.order(), Order::Name);
    ch(&mut app, 'o');
    assert_eq!(app.order(), Order::TimeLeft);
    assert_eq!(status(&app), Some("sorted by time left"));
    assert_eq!(order(&app), ["b-none", "d-gone", "c-soon", "a-late"]);
    assert_eq!(
        selected(&app),
        Some("c-soon"),
        "the selection follows the profile"
    );
    // A refresh moves c-soon to the end; it stays selected.
    ch(&mut app, 'r');
    refreshed(&mut app, "c-soon", Ok(token_left(600)));
    assert_eq!(order(&app), ["b-none", "d-gone", "a-late", "c-soon"]);
    assert_eq!(selected(&app), Some("c-soon"));
    // So does a token that another process put in the cache.
    app.update(Action::TokenFromCache {
        name: "b-none".into(),
        token: token_left(550),
    });
    assert_eq!(order(&app), ["d-gone", "a-late", "b-none", "c-soon"]);
    // Moving goes by what is shown.
    ch(&mut app, 'g');
    assert_eq!(selected(&app), Some("d-gone"));
    // The name filter works within the order.
    ch(&mut app, '/');
    type_text(&mut app, "-");
    key(&mut app, KeyCode::Enter);
    assert_eq!(order(&app), ["d-gone", "a-late", "b-none", "c-soon"]);
    ch(&mut app, 'o');
    assert_eq!(app.order(), Order::Name);
    assert_eq!(order(&app), ["a-late", "b-none", "c-soon", "d-gone"]);
    assert_eq!(selected(&app), Some("d-gone"));
}

// --- filter by state ---

fn shown(app: &App) -> Vec<String> {
    app.list()
        .visible()
        .iter()
        .map(|&i| app.rows()[i].name().to_owned())
        .collect()
}

#[test]
fn f_cycles_the_state_filter_and_the_selection_stays_sensible() {
    let mut app = app_with(
        &[
            "a-valid",
            "b-expiring",
            "c-expired",
            "d-none",
            "e-failed",
            "f-expiring",
        ],
        vec![
            ("a-valid", token_left(500)),
            ("b-expiring", token_left(30)),
            ("c-expired", token_left(-20)),
            ("e-failed", token_left(400)),
            ("f-expiring", token_left(40)),
        ],
    );
    ch(&mut app, 'G');
    ch(&mut app, 'k');
    ch(&mut app, 'r');
    refreshed(&mut app, "e-failed", Err("invalid_client"));
    assert_eq!(selected(&app), Some("e-failed"));

    ch(&mut app, 'f');
    assert_eq!(app.state_filter(), StateFilter::Expiring);
    assert_eq!(shown(&app), ["b-expiring", "f-expiring"]);
    assert_eq!(
        status(&app),
        Some("showing the profiles whose token is expiring (2)")
    );
    // e-failed is left out: the selection clamps to a row that is shown.
    assert_eq!(selected(&app), Some("f-expiring"));
    ch(&mut app, 'f');
    assert_eq!(shown(&app), ["c-expired"]);
    assert_eq!(selected(&app), Some("c-expired"));
    ch(&mut app, 'f');
    assert_eq!(app.state_filter(), StateFilter::Failed);
    assert_eq!(shown(&app), ["e-failed"]);
    ch(&mut app, 'f');
    assert_eq!(shown(&app), ["d-none"]);
    ch(&mut app, 'f');
    assert_eq!(app.state_filter(), StateFilter::All);
    assert_eq!(shown(&app).len(), 6);
    assert_eq!(
        selected(&app),
        Some("e-failed"),
        "the profile selected before the filters, never moved from by hand"
    );
    // Esc clears a filter by state too, after one by name, keeping the selection.
    ch(&mut app, 'f');
    ch(&mut app, 'f');
    ch(&mut app, '/');
    type_text(&mut app, "c-");
    key(&mut app, KeyCode::Enter);
    assert_eq!(shown(&app), ["c-expired"]);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.state_filter(), StateFilter::Expired);
    assert_eq!(shown(&app), ["c-expired"]);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.state_filter(), StateFilter::All);
    assert_eq!(selected(&app), Some("e-failed"));
    assert_eq!(status(&app), Some("showing every profile"));
    key(&mut app, KeyCode::Esc);
    assert!(!app.should_quit());
}

#[test]
fn a_profile_left_out_by_a_filter_is_selected_again_when_the_filter_goes() {
    let mut app = app_with(
        &["a", "b", "c"],
        vec![
            ("a", token_left(500)),
            ("b", token_left(500)),
            ("c", token_left(30)),
        ],
    );
    ch(&mut app, 'j');
    assert_eq!(selected(&app), Some("b"));
    ch(&mut app, 'f'); // expiring: only c
    assert_eq!(selected(&app), Some("c"));
    ch(&mut app, 'f'); // expired: nothing
    assert_eq!(selected(&app), None);
    key(&mut app, KeyCode::Esc);
    assert_eq!(selected(&app), Some("b"), "b again, not the first row");
    // Chosen by hand meanwhile: that choice stays.
    ch(&mut app, 'f');
    ch(&mut app, 'g');
    key(&mut app, KeyCode::Esc);
    assert_eq!(selected(&app), Some("c"));
}

#[test]
fn the_state_filter_follows_refreshes_and_time() {
    let mut app = app_with(&["a", "b"], vec![("a", token_left(100)), ("b", token_left(-5))]);
    ch(&mut app, 'f');
    ch(&mut app, 'f'); // expired
    assert_eq!(shown(&app), ["b"]);
    // b is refreshed: it leaves the list; nothing is selected.
    ch(&mut app, 'r');
    refreshed(&mut app, "b", Ok(token_left(600)));
    assert!(shown(&app).is_empty());
    assert_eq!(selected(&app), None);
    assert!(
        ch(&mut app, 'r').is_empty(),
        "nothing to refresh when nothing is shown"
    );
    // Time passes: a expires and appears, selected.
    app.update(Action::Tick(at(101)));
    assert_eq!(shown(&app), ["a"]);
    assert_eq!(selected(&app), Some("a"));
    // The name filter narrows within the state.
    ch(&mut app, '/');
    type_text(&mut app, "zz");
    assert!(shown(&app).is_empty());
    key(&mut app, KeyCode::Esc);
    assert_eq!(shown(&app), ["a"]);
}

// --- a new secret from the interface ---

const TYPED_SECRET: &str = "Typed-S3cret-value";

fn set_secrets(effects: &[Effect]) -> Vec<(String, String)> {
    use secrecy::ExposeSecret;
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SetSecret { name, secret } => Some((name.clone(), secret.expose_secret().to_owned())),
            _ => None,
        })
        .collect()
}

#[test]
fn shift_s_takes_a_secret_masked_and_hands_it_to_the_store_once() {
    let mut app = app_with(&["dev", "prod"], vec![]);
    ch(&mut app, 'j');
    ch(&mut app, 'S');
    assert!(matches!(app.mode(), Mode::SetSecret(p) if p.name() == "prod"));
    // Keys are typed into the prompt, not taken as commands.
    type_text(&mut app, TYPED_SECRET);
    assert!(!app.should_quit());
    assert!(matches!(app.mode(), Mode::SetSecret(p) if p.typed() == TYPED_SECRET.chars().count()));
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(set_secrets(&effects), [("prod".into(), TYPED_SECRET.into())]);
    assert_eq!(status(&app), Some("storing the secret of prod…"));
    // The secret is nowhere in what could be printed or logged.
    for text in [
        format!("{app:?}"),
        format!("{effects:?}"),
        format!("{:?}", app.status()),
    ] {
        assert!(!text.contains(TYPED_SECRET), "{text}");
        assert!(!text.contains("S3cret"), "{text}");
    }
    // Enter again while it is stored sends nothing more.
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    app.update(Action::SecretStored {
        name: "prod".into(),
        result: Ok(()),
    });
    assert!(app.mode().is_normal());
    assert_eq!(
        status(&app),
        Some("stored a new client secret for prod in the keyring; r fetches a token with it")
    );
}

#[test]
fn a_refused_secret_keeps_the_prompt_open_with_the_reason_and_esc_cancels() {
    let mut app = app_with(&["prod"], vec![]);
    ch(&mut app, 'S');
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "an empty secret is not sent"
    );
    assert!(matches!(app.mode(), Mode::SetSecret(p) if p.error().is_some_and(|e| e.contains("empty"))));
    type_text(&mut app, TYPED_SECRET);
    key(&mut app, KeyCode::Enter);
    app.update(Action::SecretStored {
        name: "prod".into(),
        result: Err(ProfileError::Secret(crate::secrets::SecretError::Locked {
            profile: "prod".into(),
            reason: "the keyring is locked".into(),
        })),
    });
    let locked = "the keyring refused access to the secret of profile \"prod\" (the keyring is locked); unlock the keyring and try again";
    assert!(matches!(app.mode(), Mode::SetSecret(p) if p.error() == Some(locked)));
    assert_eq!(
        status(&app),
        Some(format!("could not store the secret of prod: {locked}").as_str())
    );
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.mode().is_normal());
    assert!(!app.should_quit());
    assert_eq!(status(&app), Some("kept prod's secret as it was"));
}

#[test]
fn a_profile_whose_secret_comes_from_elsewhere_is_refused_in_the_cli_words() {
    let mut env = profile("ci");
    env.secret_source = SecretSource::Env("WORKIVA_SECRET".into());
    let mut app = App::new(vec![env], Settings::default(), vec![], at(0));
    assert!(ch(&mut app, 'S').is_empty());
    assert!(app.mode().is_normal());
    assert_eq!(
        status(&app),
        Some(
            "profile ci reads its secret from env $WORKIVA_SECRET, not the keyring; change that source instead"
        )
    );
    assert_eq!(app.status().map(|s| s.kind), Some(StatusKind::Error));
}

#[test]
fn the_secret_prompt_closes_when_its_profile_is_removed_elsewhere() {
    let mut app = app_with(&["a", "b"], vec![]);
    ch(&mut app, 'S');
    type_text(&mut app, "half");
    reload(&mut app, vec![profile("b")], vec![]);
    assert!(app.mode().is_normal());
    assert_eq!(
        status(&app),
        Some("a was removed from the config file by another program; no secret was stored")
    );
}

#[test]
fn the_default_profile_is_selected_at_start_and_said() {
    use crate::config::default_profile::DefaultSource;
    let mut app = app_with(&["alpha", "beta", "gamma"], Vec::new());
    app.select_default(Some(&DefaultProfile {
        name: "gamma".into(),
        source: DefaultSource::Env,
    }));
    assert_eq!(app.selected().expect("a row").profile.name, "gamma");
    let status = app.status().expect("said");
    assert_eq!(status.text, "gamma is the default profile (from $WKTUI_PROFILE)");

    let mut app = app_with(&["alpha", "beta"], Vec::new());
    app.select_default(Some(&DefaultProfile {
        name: "stage".into(),
        source: DefaultSource::Config,
    }));
    assert_eq!(app.selected().expect("a row").profile.name, "alpha");
    let status = app.status().expect("said");
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        status
            .text
            .contains("\"stage\" (from default_profile in the config file) is not configured"),
        "{}",
        status.text
    );

    let mut app = app_with(&["alpha", "beta"], Vec::new());
    app.select_default(None);
    assert!(app.status().is_none());
}

#[test]
fn hiding_a_shown_token_takes_back_the_status_that_announced_it() {
    let mut app = app_with(&["a", "b"], vec![("a", token_left(300)), ("b", token_left(300))]);
    // `s` again, Esc, another row, and the time running out.
    let hide_ways: [fn(&mut App); 4] = [
        |app| {
            ch(app, 's');
        },
        |app| {
            key(app, KeyCode::Esc);
        },
        |app| {
            ch(app, 'j');
            ch(app, 'k');
        },
        |app| {
            app.update(Action::Tick(at(10)));
        },
    ];
    for (i, hide) in hide_ways.into_iter().enumerate() {
        app.update(Action::Tick(at(0)));
        ch(&mut app, 's');
        assert_eq!(status(&app), Some("showing a's token for 10 s"), "way {i}");
        hide(&mut app);
        assert!(!app.is_revealed("a"), "way {i}");
        assert_eq!(status(&app), None, "way {i}: the status still says it is shown");
    }
    // A message that came after the reveal is not taken back with it.
    app.update(Action::Tick(at(0)));
    ch(&mut app, 's');
    ch(&mut app, 'v');
    let said = status(&app).map(str::to_owned);
    assert!(
        said.as_deref().is_some_and(|s| !s.starts_with("showing")),
        "{said:?}"
    );
    ch(&mut app, 's');
    assert!(!app.is_revealed("a"));
    assert_eq!(status(&app).map(str::to_owned), said);
}

#[test]
fn a_profile_that_breaks_on_disk_is_told_of_not_called_removed_and_the_others_stay() {
    let mut app = app_with(&["dev", "prod"], vec![("prod", token_left(400))]);
    let text = "[[profile]]\nname = \"prod\"\nregion = \"us\"\nclient_id = \"prod-client\"\n\n\
                [[profile]]\nname = \"dev\"\nregion = \"moon\"\nclient_id = \"x\"\n";
    let config = crate::config::parse(text, std::path::Path::new("c.toml")).expect("loads");
    let prod = config.profile("prod").expect("prod").clone();
    app.update(Action::ConfigReloaded {
        result: Ok(config),
        cached: Vec::new(),
    });
    assert_eq!(names(&app), ["prod"]);
    assert!(
        app.row("prod").is_some_and(|r| r.token.is_some()),
        "prod kept its token"
    );
    assert_eq!(
        status(&app),
        None,
        "not \"removed dev\": the lasting warning shows instead"
    );
    let problems = app.config_problems();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("profile \"dev\" is skipped: c.toml:8:10: region:"),
        "{problems:?}"
    );
    // `!` shows them; with none, it says so.
    ch(&mut app, '!');
    assert!(matches!(app.mode(), Mode::Problems));
    key(&mut app, KeyCode::Esc);
    assert!(app.mode().is_normal());
    reload(&mut app, vec![prod, profile("dev")], Vec::new());
    assert!(app.config_problems().is_empty());
    assert_eq!(status(&app), Some("config file changed: added dev"));
    ch(&mut app, '!');
    assert!(app.mode().is_normal());
    assert_eq!(status(&app), Some("the config file has no problems"));
}
