//! The list, its keys and the mouse: moving, filtering, ordering, help and quitting.

use super::*;

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
