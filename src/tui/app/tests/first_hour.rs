//! Small things a new user ran into.

use super::*;

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
