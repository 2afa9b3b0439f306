//! Following the config file as others change it.

use super::*;

// --- following the config file ---

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
