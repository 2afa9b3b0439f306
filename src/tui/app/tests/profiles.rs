//! Profiles changed from the interface: the form, deleting, a new secret.

use super::*;

// --- profiles: add, edit, delete ---

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
