use std::path::{Path, PathBuf};

use super::*;
use crate::model::{ApiVersion, ClientAuth, Endpoint, Region, SecretSource};

/// The first problem of `text`, whether it stops the whole file or one
/// profile (`parse_whole` refuses both, with the same words).
fn err_text(text: &str) -> String {
    parse_whole(text, Path::new("/cfg/config.toml"))
        .expect_err("config should be refused")
        .to_string()
}

fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn the_documented_example_loads() {
    let text = include_str!("../../assets/config.example.toml");
    let config = parse(text, Path::new("config.example.toml")).expect("example is valid");
    assert_eq!(config.profiles.len(), 4);
    let eu = config.profile("eu-legacy").expect("eu-legacy");
    assert_eq!(eu.endpoint, Endpoint::Region(Region::Eu));
    assert_eq!(eu.api_version, ApiVersion::V2022_01_01);
    assert_eq!(eu.client_auth, ClientAuth::Basic);
    let sandbox = config.profile("sandbox").expect("sandbox");
    assert_eq!(
        sandbox.secret_source,
        SecretSource::Env("WORKIVA_CLIENT_SECRET".into())
    );
    assert_eq!(config.settings.concurrency, 32);
}

#[test]
fn unknown_keys_name_file_line_and_key() {
    let msg = err_text("[[profile]]\nname = \"a\"\nclient_id = \"x\"\nclient_secret = \"oops\"\n");
    assert!(msg.starts_with("/cfg/config.toml:4:"), "{msg}");
    assert!(msg.contains("client_secret"), "{msg}");
    assert!(
        !msg.contains("oops"),
        "a value typed into the wrong key is not echoed: {msg}"
    );
}

#[test]
fn duplicate_names_point_at_both_lines() {
    let msg = err_text(
        "[[profile]]\nname = \"a\"\nclient_id = \"x\"\n\n[[profile]]\nname = \"a\"\nclient_id = \"y\"\n",
    );
    assert!(msg.starts_with("/cfg/config.toml:6:"), "{msg}");
    assert!(
        msg.contains("name: duplicate profile name \"a\" (first defined on line 2)"),
        "{msg}"
    );
}

#[test]
fn bad_region_lists_the_valid_ones() {
    let msg = err_text("[[profile]]\nname = \"a\"\nregion = \"mars\"\nclient_id = \"x\"\n");
    assert_eq!(
        msg,
        "/cfg/config.toml:3:10: region: \"mars\" is not a valid region; expected one of: us, eu, apac"
    );
}

#[test]
fn a_scope_outside_rfc_6749_names_its_line_field_and_character() {
    let msg = err_text("[[profile]]\nname = \"a\"\nclient_id = \"x\"\nscope = 'file:read bad\"sc\\ope'\n");
    assert!(
        msg.starts_with("/cfg/config.toml:4:9: scope: scope \"bad\"sc\\ope\" holds '\"'"),
        "{msg}"
    );
    assert!(msg.contains("RFC 6749"), "{msg}");
    let msg = err_text("[[profile]]\nname = \"a\"\nclient_id = \"x\"\nscope = \"a\\tb\"\n");
    assert!(
        msg.starts_with("/cfg/config.toml:4:9: scope: scope \"a\\u{9}b\" holds a tab"),
        "{msg}"
    );
    // Runs of spaces are fine and become single ones.
    let config = parse(
        "[[profile]]\nname = \"a\"\nclient_id = \"x\"\nscope = \" file:read   file:write \"\n",
        Path::new("/cfg/config.toml"),
    )
    .expect("valid");
    assert_eq!(
        config.profiles[0]
            .scope
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("file:read file:write")
    );
}

#[test]
fn empty_client_id_and_missing_client_id() {
    let msg = err_text("[[profile]]\nname = \"a\"\nclient_id = \"  \"\n");
    assert!(msg.starts_with("/cfg/config.toml:3:"), "{msg}");
    assert!(msg.contains("client_id: is empty"), "{msg}");
    let msg = err_text("[[profile]]\nname = \"a\"\n");
    assert!(msg.contains("missing field `client_id`"), "{msg}");
}

#[test]
fn token_urls_must_be_https_unless_loopback() {
    let msg = err_text(
        "[[profile]]\nname = \"a\"\nclient_id = \"x\"\ntoken_url = \"http://example.com/oauth2/token\"\n",
    );
    assert!(
        msg.contains("token_url: \"http://example.com/oauth2/token\" uses plain http"),
        "{msg}"
    );
}

#[test]
fn region_and_token_url_together_are_refused() {
    let msg = err_text(
        "[[profile]]\nname = \"a\"\nclient_id = \"x\"\nregion = \"us\"\ntoken_url = \"https://x/t\"\n",
    );
    assert!(
        msg.contains("token_url: set either region or token_url, not both"),
        "{msg}"
    );
}

#[test]
fn bad_names_and_settings_are_refused() {
    let msg = err_text("[[profile]]\nname = \"a b\"\nclient_id = \"x\"\n");
    assert!(msg.contains("name: \"a b\" contains ' '"), "{msg}");
    let msg = err_text("[settings]\nconcurrency = 0\n");
    assert!(
        msg.contains("/cfg/config.toml:2:15: concurrency: 0 is out of range"),
        "{msg}"
    );
    let msg = err_text("[settings]\nrefresh_margin = \"soon\"\n");
    assert!(msg.starts_with("/cfg/config.toml:2:"), "{msg}");
}

#[test]
fn syntax_errors_give_a_position() {
    let msg = err_text("[[profile]\nname = \"a\"\n");
    assert!(msg.starts_with("/cfg/config.toml:1:"), "{msg}");
}

#[test]
fn a_missing_file_is_an_empty_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = load(&dir.path().join("none.toml")).expect("empty");
    assert!(config.profiles.is_empty());
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let config = parse("[[profile]]\nname = \"a\"\nclient_id = \"x\"\n", Path::new("c")).expect("valid");
    let msg = config.profile("b").expect_err("no b").to_string();
    assert_eq!(msg, "no profile named \"b\"; configured profiles: a");
}

#[test]
fn add_and_remove_keep_comments_and_other_profiles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = "# my notes\n[settings]\nrefresh_margin = 90 # generous\n\n# keep me\n[[profile]]\nname = \"a\"\nclient_id = \"x\"\n";
    let path = write(&dir, original);
    let mut p = Profile::new(
        "b",
        Endpoint::token_url("http://127.0.0.1:9/oauth2/token").expect("url"),
        "y",
    );
    p.scope = Some(crate::model::Scopes::parse("file:read"));
    p.client_auth = ClientAuth::Basic;
    add_profile(&path, &p).expect("add");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.starts_with(original), "{text}");
    let config = load(&path).expect("still valid");
    assert_eq!(config.profile("b").expect("b"), &p);
    assert_eq!(config.settings.refresh_margin.as_secs(), 90);

    assert!(matches!(
        add_profile(&path, &p),
        Err(ConfigError::ProfileExists(_))
    ));

    remove_profile(&path, "b").expect("remove");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), original);
    remove_profile(&path, "a").expect("remove a");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        text.contains("# my notes") && text.contains("refresh_margin = 90 # generous"),
        "{text}"
    );
    assert!(load(&path).expect("valid").profiles.is_empty());
}

#[test]
fn replace_keeps_position_and_can_rename() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        &dir,
        "[[profile]]\nname = \"a\"\nclient_id = \"x\"\n\n[[profile]]\nname = \"b\"\nclient_id = \"y\"\n",
    );
    let a = load(&path).expect("valid").profile("a").expect("a").clone();
    let renamed = Profile::new("c", Endpoint::Region(Region::Apac), "z");
    replace_profile(&path, &a, &renamed).expect("replace");
    let config = load(&path).expect("valid");
    let names: Vec<_> = config.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["c", "b"]);
    assert!(matches!(
        replace_profile(
            &path,
            &renamed,
            &Profile::new("b", Endpoint::Region(Region::Us), "q")
        ),
        Err(ConfigError::ProfileExists(_))
    ));
    // A stale copy of the profile (changed by someone else since) is refused.
    let before = std::fs::read_to_string(&path).expect("read");
    assert!(matches!(
        replace_profile(&path, &a, &Profile::new("d", Endpoint::Region(Region::Us), "q")),
        Err(ConfigError::NoSuchProfile { .. })
    ));
    let mut stale = renamed.clone();
    stale.client_id = "not-what-the-file-says".into();
    assert!(matches!(
        replace_profile(
            &path,
            &stale,
            &Profile::new("d", Endpoint::Region(Region::Us), "q")
        ),
        Err(ConfigError::ChangedElsewhere(_))
    ));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
}

#[test]
fn a_held_edit_lock_makes_a_second_editor_wait_then_give_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(&dir, "");
    let held = crate::config::Editor::open(&path).expect("first");
    let lock = dir.path().join(".config.toml.lock");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&lock)
        .expect("lock file");
    assert!(file.try_lock().is_err(), "the editor holds the lock");
    drop(held);
    assert!(file.try_lock().is_ok(), "released on drop");
}

#[test]
fn an_edit_keeps_the_comments_inside_the_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        &dir,
        "# before\n[[profile]]\n# the grant for reports\nname = \"a\"\nregion = \"us\" # moved from eu\n# read only\nscope = \"file:read\"\nclient_id = \"x\" # from the admin\n",
    );
    let a = load(&path).expect("valid").profile("a").expect("a").clone();
    let mut edited = a.clone();
    edited.scope = Some(crate::model::Scopes::parse("file:read file:write"));
    edited.endpoint = Endpoint::Region(Region::Eu);
    replace_profile(&path, &a, &edited).expect("edit");
    let text = std::fs::read_to_string(&path).expect("read");
    for kept in [
        "# before",
        "# the grant for reports",
        "# moved from eu",
        "# read only",
        "# from the admin",
    ] {
        assert!(text.contains(kept), "lost {kept:?}:\n{text}");
    }
    assert!(text.contains("region = \"eu\" # moved from eu"), "{text}");
    assert_eq!(load(&path).expect("valid").profile("a").expect("a"), &edited);
    // A field that goes away takes its line with it; a new one is added.
    let mut renamed = edited.clone();
    renamed.name = "b".into();
    renamed.scope = None;
    renamed.endpoint = Endpoint::token_url("https://example.test/oauth2/token").expect("url");
    replace_profile(&path, &edited, &renamed).expect("rename");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains("scope") && !text.contains("region"), "{text}");
    assert!(
        text.contains("# the grant for reports") && text.contains("# from the admin"),
        "{text}"
    );
    assert_eq!(load(&path).expect("valid").profile("b").expect("b"), &renamed);
}

#[test]
fn a_broken_file_is_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = "[[profile]]\nname = \"a\"\nclient_id = \"x\"\nregion = \"mars\"\n";
    let path = write(&dir, broken);
    let p = Profile::new("b", Endpoint::Region(Region::Us), "y");
    let err = add_profile(&path, &p).expect_err("refused");
    assert!(err.to_string().contains("region"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), broken);
    assert!(remove_profile(&path, "a").is_err());
    assert_eq!(std::fs::read_to_string(&path).expect("read"), broken);
    let temp_files = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(temp_files, 0, "no temp files left behind");
}

#[test]
fn a_new_file_gets_a_header_and_private_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sub/config.toml");
    add_profile(&path, &Profile::new("a", Endpoint::Region(Region::Us), "x")).expect("add");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.starts_with("# wktui profiles"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn base_url_goes_with_region_only() {
    let config = parse(
        "[[profile]]\nname = \"a\"\nregion = \"eu\"\nbase_url = \"http://127.0.0.1:5\"\nclient_id = \"x\"\n",
        Path::new("c"),
    )
    .expect("valid");
    assert_eq!(config.profiles[0].token_url(), "http://127.0.0.1:5/oauth2/token");
    let msg = err_text(
        "[[profile]]\nname = \"a\"\ntoken_url = \"https://x/t\"\nbase_url = \"https://y\"\nclient_id = \"x\"\n",
    );
    assert!(msg.contains("base_url: goes with region"), "{msg}");
    let msg = err_text("[[profile]]\nname = \"a\"\nbase_url = \"http://proxy.example\"\nclient_id = \"x\"\n");
    assert!(
        msg.contains("base_url: \"http://proxy.example\" uses plain http"),
        "{msg}"
    );
}

#[test]
fn a_change_that_would_not_load_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(&dir, "[[profile]]\nname = \"a\"\nclient_id = \"x\"\n");
    let before = std::fs::read_to_string(&path).expect("read");
    let bad = Profile::new("my prod", Endpoint::Region(Region::Us), "y");
    let err = add_profile(&path, &bad).expect_err("refused");
    assert!(err.to_string().contains("would make the config invalid"), "{err}");
    assert!(err.to_string().contains("contains ' '"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_stays_a_symlink() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = write(&dir, "");
    let link = dir.path().join("link.toml");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    add_profile(&link, &Profile::new("a", Endpoint::Region(Region::Us), "x")).expect("add");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink()
    );
    assert!(load(&real).expect("valid").profile("a").is_ok());
}

#[test]
fn concurrent_edits_do_not_lose_each_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                add_profile(
                    &path,
                    &Profile::new(format!("p{i}"), Endpoint::Region(Region::Us), "x"),
                )
                .expect("add")
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(load(&path).expect("valid").profiles.len(), 8);
}

const TWO: &str = "[settings]\ndefault_profile = \"dev\"\n\n[[profile]]\nname = \"prod\"\nclient_id = \"x\"\n\n[[profile]]\nname = \"dev\"\nclient_id = \"y\"\n";

#[test]
fn no_name_means_the_default_and_the_environment_wins() {
    let config = parse(TWO, Path::new("c")).expect("valid");
    assert_eq!(config.chosen(None, None).expect("default").name, "dev");
    assert_eq!(
        config.chosen(None, Some("prod".into())).expect("env").name,
        "prod"
    );
    // A name given wins over both.
    assert_eq!(
        config
            .chosen(Some("prod"), Some("dev".into()))
            .expect("named")
            .name,
        "prod"
    );
}

#[test]
fn an_unknown_default_says_where_it_was_named() {
    let config = parse(TWO, Path::new("c")).expect("valid");
    let msg = config
        .chosen(None, Some("stage".into()))
        .expect_err("unknown")
        .to_string();
    assert!(
        msg.contains("the default profile \"stage\" (from $WKTUI_PROFILE) is not configured"),
        "{msg}"
    );
    assert!(msg.contains("configured profiles: dev, prod"), "{msg}");
    assert!(msg.contains("unset WKTUI_PROFILE"), "{msg}");
    let text = TWO.replace("default_profile = \"dev\"", "default_profile = \"stage\"");
    let config = parse(&text, Path::new("c")).expect("an unknown default still loads");
    let msg = config.chosen(None, None).expect_err("unknown").to_string();
    assert!(msg.contains("(from default_profile in the config file)"), "{msg}");
    assert!(msg.contains("wktui config edit"), "{msg}");
}

#[test]
fn no_name_and_no_default_says_how_to_set_one() {
    let text = TWO.replace("default_profile = \"dev\"\n", "");
    let config = parse(&text, Path::new("c")).expect("valid");
    let msg = config.chosen(None, None).expect_err("none").to_string();
    assert!(msg.contains("name one of dev, prod"), "{msg}");
    assert!(
        msg.contains("WKTUI_PROFILE or default_profile under [settings]"),
        "{msg}"
    );
}

#[test]
fn a_default_profile_that_cannot_be_a_name_is_refused_with_its_line() {
    let msg = err_text("[settings]\ndefault_profile = \"my prod\"\n");
    assert!(
        msg.starts_with("/cfg/config.toml:2:19: default_profile: "),
        "{msg}"
    );
}

#[test]
fn an_unknown_name_suggests_the_nearest_configured_ones_sorted() {
    let text = "[[profile]]\nname = \"prod-us\"\nclient_id = \"x\"\n\n[[profile]]\nname = \"dev\"\nclient_id = \"x\"\n\n[[profile]]\nname = \"prod-eu\"\nclient_id = \"x\"\n";
    let config = parse(text, Path::new("c")).expect("valid");
    let msg = config.profile("prod-us2").expect_err("none").to_string();
    assert_eq!(
        msg,
        "no profile named \"prod-us2\"; did you mean prod-us? configured profiles: dev, prod-eu, prod-us"
    );
    let msg = config.profile("prod-u").expect_err("none").to_string();
    assert!(msg.contains("did you mean prod-eu or prod-us?"), "{msg}");
    let msg = config.profile("zzz").expect_err("none").to_string();
    assert_eq!(
        msg,
        "no profile named \"zzz\"; configured profiles: dev, prod-eu, prod-us"
    );
    let msg = config
        .chosen(None, Some("Dev".into()))
        .expect_err("case matters")
        .to_string();
    assert!(
        msg.contains("(from $WKTUI_PROFILE) is not configured; did you mean dev? configured"),
        "{msg}"
    );
}

#[test]
fn a_value_of_the_wrong_type_names_its_field_and_line() {
    let msg = err_text("[settings]\nrefresh_margin = \"soon\"\n");
    assert_eq!(
        msg,
        "/cfg/config.toml:2:18: refresh_margin: invalid type: string \"soon\", expected a whole number"
    );
    let msg = err_text("[[profile]]\nname = \"a\"\n  client_id    =   5\n");
    assert!(
        msg.starts_with("/cfg/config.toml:3:20: client_id: invalid type: integer"),
        "{msg}"
    );
    let msg = err_text("[settings]\nauto_refresh = \"yes\"\n");
    assert!(msg.contains(":2:16: auto_refresh: invalid type"), "{msg}");
    // Not a type error: no field is guessed.
    let msg = err_text("[settings]\nrefresh_margin = \n");
    assert!(!msg.contains("refresh_margin:"), "{msg}");
}

#[test]
fn a_fleet_is_not_listed_whole_in_a_message() {
    let mut text = String::new();
    for i in 0..25 {
        text.push_str(&format!("[[profile]]\nname = \"p{i:02}\"\nclient_id = \"x\"\n\n"));
    }
    let config = parse(&text, Path::new("c")).expect("valid");
    let msg = config.profile("nope").expect_err("none").to_string();
    assert!(msg.ends_with("p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, and 5 more (wktui profile list)"), "{msg}");
}

#[test]
fn a_token_url_without_a_path_still_loads_from_the_file() {
    // `profile add` refuses one without --force; a file that has one must not break.
    let config = parse(
        "[[profile]]\nname = \"a\"\nclient_id = \"x\"\ntoken_url = \"http://127.0.0.1:8080\"\n",
        Path::new("/cfg/config.toml"),
    )
    .expect("loads");
    assert_eq!(config.profiles[0].token_url(), "http://127.0.0.1:8080/");
}

#[test]
fn a_grant_expiry_is_a_calendar_day_and_a_bad_one_names_its_place_and_field() {
    let config = parse(
        "[[profile]]\nname = \"a\"\nclient_id = \"x\"\ngrant_expires = \"2027-03-31\"\n",
        Path::new("/cfg/config.toml"),
    )
    .expect("valid");
    let a = config.profile("a").expect("a");
    assert_eq!(
        a.grant_expires.map(|d| d.to_string()).as_deref(),
        Some("2027-03-31")
    );
    for bad in ["31.03.2027", "2027-02-30", "next year"] {
        let msg = err_text(&format!(
            "[[profile]]\nname = \"a\"\nclient_id = \"x\"\ngrant_expires = \"{bad}\"\n"
        ));
        assert!(msg.starts_with("/cfg/config.toml:4:17:"), "{msg}");
        assert!(
            msg.contains("grant_expires") && msg.contains("YYYY-MM-DD"),
            "{msg}"
        );
    }
}

#[test]
fn a_grant_expiry_is_written_back_as_it_was_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(&dir, "[[profile]]\nname = \"a\"\nclient_id = \"x\"\n");
    let old = load(&path).expect("load").profile("a").expect("a").clone();
    let mut profile = old.clone();
    profile.grant_expires = Some(crate::model::GrantExpiry::parse("2027-03-31").expect("date"));
    replace_profile(&path, &old, &profile).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("grant_expires = \"2027-03-31\""), "{text}");
    assert_eq!(
        load(&path)
            .expect("reload")
            .profile("a")
            .expect("a")
            .grant_expires,
        profile.grant_expires
    );
}

// --- a broken profile stops only the commands that need it ---

const GOOD: &str = "[[profile]]\nname = \"good\"\nregion = \"us\"\nclient_id = \"g\"\n\n";

#[test]
fn one_broken_profile_leaves_the_others_usable_and_names_its_place_and_field() {
    let text = format!(
        "{GOOD}[[profile]]\nname = \"typed\"\nclient_id = \"t\"\ngrant_expires = 5\nsecret_env = \"TYPED_SECRET\"\n\n\
         [[profile]]\nname = \"moon\"\nregion = \"moon\"\nclient_id = \"m\"\n\n\
         [[profile]]\nname = 7\nclient_id = \"n\"\n"
    );
    let config = parse(&text, Path::new("/cfg/config.toml")).expect("the file loads");
    assert_eq!(config.names(), ["good"]);
    assert!(config.profile("good").is_ok());
    let names: Vec<Option<&str>> = config.broken.iter().map(|b| b.name.as_deref()).collect();
    assert_eq!(names, [Some("typed"), Some("moon"), None], "in file order");

    let typed = config.profile("typed").expect_err("broken").to_string();
    assert_eq!(
        typed,
        "profile \"typed\" cannot be used: /cfg/config.toml:9:17: grant_expires: invalid type: integer `5`, expected a string"
    );
    assert!(matches!(
        config.profile("typed"),
        Err(ConfigError::BrokenProfile { .. })
    ));
    let moon = config.profile("moon").expect_err("broken").to_string();
    assert!(
        moon.contains("/cfg/config.toml:14:10: region: \"moon\" is not a valid region"),
        "{moon}"
    );
    // The one without a valid name is listed, and named by what it is.
    let unnamed = &config.broken[2];
    assert_eq!(unnamed.problem.field.as_deref(), Some("name"));
    assert_eq!(unnamed.problem.location.line, 18);
    assert!(
        unnamed
            .warning()
            .starts_with("a profile is skipped: /cfg/config.toml:18:"),
        "{}",
        unnamed.warning()
    );
    assert!(unnamed.warning().ends_with("correct it with `wktui config edit`"));
    // A name no profile has is still not a broken one.
    assert!(matches!(
        config.profile("mars"),
        Err(ConfigError::NoSuchProfile { .. })
    ));
    // Children still must not inherit the broken profile's secret variable.
    assert_eq!(secret_variables(&config), ["TYPED_SECRET"]);
    // What is written must load whole: the first problem refuses it.
    let whole = parse_whole(&text, Path::new("/cfg/config.toml")).expect_err("not whole");
    assert!(
        whole
            .to_string()
            .starts_with("/cfg/config.toml:9:17: grant_expires:"),
        "{whole}"
    );
}

#[test]
fn the_default_profile_when_broken_says_why() {
    let text = format!(
        "[settings]\ndefault_profile = \"bad\"\n\n{GOOD}[[profile]]\nname = \"bad\"\nclient_id = \"\"\n"
    );
    let config = parse(&text, Path::new("c.toml")).expect("loads");
    let err = config.chosen(None, None).expect_err("broken").to_string();
    assert!(
        err.contains("profile \"bad\" cannot be used: c.toml:") && err.contains("client_id: is empty"),
        "{err}"
    );
}

#[test]
fn what_leaves_the_file_unreadable_or_ambiguous_still_stops_every_profile() {
    for (text, expected) in [
        (format!("{GOOD}[[profile]\nname = \"x\"\n"), "config.toml:6:"),
        (
            format!("[settings]\nconcurrency = 0\n\n{GOOD}"),
            "concurrency: 0 is out of range",
        ),
        (
            format!("[settings]\nrefresh_margin = \"soon\"\n\n{GOOD}"),
            "refresh_margin: invalid type",
        ),
        (format!("colour = \"red\"\n{GOOD}"), "unknown field `colour`"),
        (
            format!("{GOOD}[[profile]]\nname = \"good\"\nregion = \"moon\"\nclient_id = \"x\"\n"),
            "duplicate profile name \"good\"",
        ),
        ("profile = 5\n".to_owned(), "profile: must be an array of tables"),
    ] {
        let err = parse(&text, Path::new("/cfg/config.toml"))
            .expect_err(&text)
            .to_string();
        assert!(err.contains(expected), "{text:?}: {err}");
    }
}

#[test]
fn a_file_with_a_broken_profile_is_never_edited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{GOOD}# kept as written\n[[profile]]\nname = \"bad\"\nregion = \"moon\"\nclient_id = \"b\"\n"
    );
    let path = write(&dir, &text);
    let new = Profile::new("new", Endpoint::Region(Region::Us), "n");
    let err = add_profile(&path, &new).expect_err("refused").to_string();
    assert!(
        err.starts_with("the config file is not changed while profile \"bad\" in it is broken:")
            && err.contains(":10: region"),
        "{err}"
    );
    assert!(remove_profile(&path, "good").is_err());
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        text,
        "byte for byte as it was"
    );
}

fn write_bytes(dir: &tempfile::TempDir, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join("config.toml");
    std::fs::write(&path, bytes).expect("write config");
    path
}

#[test]
fn a_config_with_a_utf8_bom_loads_and_its_errors_keep_their_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = "\u{feff}[[profile]]\nname = \"a\"\nclient_id = \"x\"\n";
    let path = write_bytes(&dir, good.as_bytes());
    assert_eq!(load(&path).expect("loads").names(), ["a"]);

    let path = write_bytes(
        &dir,
        "\u{feff}[[profile]]\nname = \"a\"\nclient_id = \"x\"\nregion = \"mars\"\n".as_bytes(),
    );
    let msg = load(&path)
        .expect("loads")
        .profile("a")
        .expect_err("broken")
        .to_string();
    assert!(msg.contains("config.toml:4:10: region: "), "{msg}");
    // On the BOM's own line too: the mark is not a column.
    let path = write_bytes(&dir, "\u{feff}nonsense = 1\n".as_bytes());
    let msg = load(&path).expect_err("refused").to_string();
    assert!(msg.contains("config.toml:1:1: "), "{msg}");
}

#[test]
fn a_config_in_utf16_with_a_bom_loads_either_way_round() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "[[profile]] # Zürich\r\nname = \"zurich\"\r\nclient_id = \"x\"\r\nregion = \"mars\"\r\n";
    let mut little = vec![0xFF, 0xFE];
    little.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut big = vec![0xFE, 0xFF];
    big.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    for bytes in [little, big] {
        let path = write_bytes(&dir, &bytes);
        let config = load(&path).expect("loads");
        let msg = config.profile("zurich").expect_err("broken").to_string();
        assert!(msg.contains("config.toml:4:10: region: "), "{msg}");
    }
}

#[test]
fn a_config_in_another_encoding_says_which_line_and_how_to_save_it_as_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_bytes(&dir, b"[[profile]]\nname = \"z\xfcrich\"\nclient_id = \"x\"\n");
    let msg = load(&path).expect_err("refused").to_string();
    assert!(msg.contains("config.toml is not UTF-8"), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
    assert!(msg.contains("Set-Content -Encoding utf8"), "{msg}");
    // UTF-16 without its mark reads as text full of NUL bytes: said as such.
    let unmarked: Vec<u8> = "[[profile]]\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let path = write_bytes(&dir, &unmarked);
    let msg = load(&path).expect_err("refused").to_string();
    assert!(msg.contains("UTF-16 without a byte order mark"), "{msg}");
    // Half a UTF-16 code unit at the end.
    let path = write_bytes(&dir, &[0xFF, 0xFE, b'a', 0, b'b']);
    let msg = load(&path).expect_err("refused").to_string();
    assert!(msg.contains("config.toml is not UTF-8"), "{msg}");
}
