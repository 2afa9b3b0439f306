//! Tokens: refreshing, copying, verifying, showing, and what the runtime brings back.

use super::*;

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
