//! `profile show`, `profile edit` and `profile rename` against the real
//! binary; a rename moves the config entry, the keyring entry and the cached
//! token together, and a failure half way leaves the old profile whole.

use crate::common::system::{KEYRING_TOOLS, tools_present};
use crate::common::{CLIENT_ID, SECRET, SECRET_VAR, Sandbox, server};

#[test]
fn show_gives_every_field_but_the_secret_and_where_it_lives() {
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile(
        "prod",
        &srv.token_url(),
        &["--scope", "file:read", "--client-auth", "basic"],
    );
    sb.run(&["token", "prod"]).ok();
    let run = sb.run(&["profile", "show", "prod", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["name"], "prod");
    assert_eq!(v["token_url"], srv.token_url());
    assert_eq!(v["region"], serde_json::Value::Null);
    assert_eq!(v["client_id"], CLIENT_ID);
    assert_eq!(v["scope"], "file:read");
    assert_eq!(v["client_auth"], "basic");
    assert_eq!(v["api_version"], "2026-01-01");
    assert_eq!(v["secret"], format!("env ${SECRET_VAR}"));
    assert_eq!(
        v["secret_location"],
        format!("environment variable ${SECRET_VAR} (set)")
    );
    assert_eq!(v["token_state"], "valid");
    assert!(v["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "name",
            "region",
            "token_url",
            "client_id",
            "scope",
            "api_version",
            "client_auth",
            "base_url",
            "ca_file",
            "secret",
            "secret_location",
            "defined_in",
            "token_state",
            "expires_at",
            "grant_expires"
        ]
    );
    let text = sb.run(&["profile", "show", "prod"]).ok().stdout;
    assert!(text.contains("Client auth  basic"), "{text}");
    assert!(
        text.contains(&format!("Secret       environment variable ${SECRET_VAR} (set)")),
        "{text}"
    );
    sb.run(&["profile", "show", "nope"])
        .fails_with(2)
        .says(&["configured profiles: prod"]);
}

#[test]
fn edit_changes_only_the_given_fields_and_keeps_the_comments_around_the_profile() {
    let srv = server();
    let sb = Sandbox::new();
    let text = format!(
        "# my grants\n\n# the production grant\n[[profile]]\nname = \"prod\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nscope = \"file:read\"\nsecret_env = \"{SECRET_VAR}\"\n\n# another\n[[profile]]\nname = \"other\"\nclient_id = \"x\"\n",
        srv.token_url()
    );
    sb.write_config(&text);
    sb.run(&["token", "prod"]).ok();
    let run = sb
        .run(&[
            "profile",
            "edit",
            "prod",
            "--scope",
            "file:read file:write",
            "--client-auth",
            "basic",
        ])
        .ok();
    assert_eq!(run.stdout, "Changed profile prod: scope, client auth.\n");
    let saved = std::fs::read_to_string(sb.config_path()).expect("config");
    assert!(
        saved.starts_with("# my grants\n\n# the production grant\n[[profile]]\n"),
        "{saved}"
    );
    assert!(
        saved.contains("# another\n[[profile]]\nname = \"other\""),
        "{saved}"
    );
    let v: serde_json::Value = serde_json::from_str(
        &sb.run(&["profile", "show", "prod", "--format", "json"])
            .ok()
            .stdout,
    )
    .expect("json");
    assert_eq!(v["scope"], "file:read file:write");
    assert_eq!(v["client_auth"], "basic");
    assert_eq!(v["client_id"], CLIENT_ID, "untouched");
    assert_eq!(v["token_url"], srv.token_url(), "untouched");
    // A new scope is another token: the cached one is gone.
    assert_eq!(v["token_state"], "none");

    // --scope "" asks for the grant's default; --quiet prints nothing.
    let run = sb
        .run(&["--quiet", "profile", "edit", "prod", "--scope", ""])
        .ok();
    assert_eq!(run.stdout, "");
    assert!(
        !std::fs::read_to_string(sb.config_path())
            .expect("config")
            .contains("scope =")
    );

    sb.run(&["profile", "edit", "prod", "--region", "moon"])
        .fails_with(2);
    sb.run(&["profile", "edit", "prod", "--token-url", "http://example.com/t"])
        .fails_with(2)
        .says(&["--token-url", "https"]);
    // No field at all is a usage error; a field asking for what is there is not.
    sb.run(&["profile", "edit", "prod"])
        .fails_with(2)
        .says(&["needs at least one field to change", "wktui config edit"]);
    let unchanged = sb
        .run(&["profile", "edit", "prod", "--client-auth", "basic"])
        .ok();
    assert!(
        unchanged.stdout.contains("nothing changed"),
        "{}",
        unchanged.stdout
    );
}

#[test]
fn rename_moves_the_cached_token_and_refuses_a_taken_name() {
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("old", &srv.token_url(), &[]);
    sb.add_profile("taken", &srv.token_url(), &[]);
    let token = sb.run(&["token", "old"]).ok().stdout;
    sb.run(&["profile", "rename", "old", "taken"])
        .fails_with(2)
        .says(&["already exists"]);
    sb.run(&["profile", "rename", "old", "bad/name"]).fails_with(2);
    let run = sb.run(&["profile", "rename", "old", "new"]).ok();
    assert_eq!(run.stdout, "Renamed profile old to new and its cached token.\n");
    assert_eq!(
        sb.run(&["token", "new"]).ok().stdout,
        token,
        "the cached token moved along"
    );
    assert_eq!(srv.token_requests(), 1);
    assert!(!sb.cache_dir().join("old.json").exists());
    assert_eq!(
        sb.run(&["profile", "list", "--names"]).ok().stdout,
        "new\ntaken\n"
    );
}

#[cfg(unix)]
#[test]
fn rename_moves_the_keyring_entry_and_a_failure_half_way_leaves_the_old_profile_whole() {
    if !tools_present("rename keyring test", &KEYRING_TOOLS) {
        return;
    }
    let mut sb = Sandbox::new();
    let session = sb.use_keyring();
    let srv = server();
    sb.add_keyring_profile("old", &srv.token_url());
    let token = sb.run(&["token", "old"]).ok().stdout;
    let config_before = std::fs::read(sb.config_path()).expect("config");

    // 1. The keyring is unreachable: nothing moves.
    let run = sb
        .command(&["profile", "rename", "old", "new"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", sb.path().join("no-bus").display()),
        )
        .output()
        .expect("run");
    let run = sb.checked(run).fails_with(1);
    run.says(&["no OS keyring is reachable"]);
    assert_eq!(std::fs::read(sb.config_path()).expect("config"), config_before);
    assert_eq!(session.lookup("old").as_deref(), Some(SECRET));
    assert_eq!(session.lookup("new"), None);

    // 2. The config cannot be written (the new secret is already stored by
    // then): the new keyring entry is taken back, the old one stays. A file
    // size limit of 0 makes the write fail even for root.
    let exe = env!("CARGO_BIN_EXE_wktui");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 0; trap '' XFSZ; exec \"$0\" profile rename old new")
        .arg(exe)
        .env_clear()
        .envs(sb.env_list())
        .output()
        .expect("run");
    let run = sb.checked(output).fails_with(1);
    run.says(&["cannot write the config file"]);
    assert_eq!(std::fs::read(sb.config_path()).expect("config"), config_before);
    assert_eq!(session.lookup("old").as_deref(), Some(SECRET));
    assert_eq!(
        session.lookup("new"),
        None,
        "the secret written for the new name was taken back"
    );
    assert!(
        sb.cache_dir().join("old.json").exists(),
        "the cached token stays with old"
    );
    assert_eq!(sb.run(&["token", "old"]).ok().stdout, token);

    // 3. All three move together.
    let run = sb.run(&["profile", "rename", "old", "new"]).ok();
    assert!(run.stdout.contains("its keyring entry"), "{}", run.stdout);
    assert_eq!(session.lookup("new").as_deref(), Some(SECRET));
    assert_eq!(session.lookup("old"), None);
    assert_eq!(sb.run(&["token", "new"]).ok().stdout, token);
    assert_eq!(srv.token_requests(), 1, "the token moved, no new fetch");
    let show = sb.run(&["profile", "show", "new"]).ok().stdout;
    assert!(
        show.contains("Secret Service (D-Bus), service \"wktui\", user \"new\""),
        "{show}"
    );
}

#[test]
fn switching_a_profile_away_from_the_keyring_removes_its_entry() {
    if !tools_present("edit keyring test", &KEYRING_TOOLS) {
        return;
    }
    let mut sb = Sandbox::new();
    let session = sb.use_keyring();
    let srv = server();
    sb.add_keyring_profile("prod", &srv.token_url());
    sb.run(&["profile", "edit", "prod", "--secret-env", "SOME_VAR"])
        .ok();
    assert_eq!(session.lookup("prod"), None);
    // And back: the secret is asked for (here, read from stdin) and stored.
    sb.run_with_stdin(&["profile", "edit", "prod", "--keyring"], &format!("{SECRET}\n"))
        .ok();
    assert_eq!(session.lookup("prod").as_deref(), Some(SECRET));
    assert!(sb.run(&["token", "prod"]).ok().stdout.starts_with("wk."));
}

#[test]
fn add_and_edit_refuse_a_bad_value_naming_its_flag_and_write_nothing() {
    let sb = Sandbox::new();
    let bad: [(&[&str], &str); 5] = [
        (&["--secret-env", ""], "--secret-env:"),
        (&["--secret-env", "A=B"], "--secret-env:"),
        (&["--secret-command", "  "], "--secret-command:"),
        (&["--scope", "file:read\u{7}"], "--scope:"),
        (&["--client-id", "id\u{1b}[2J"], "--client-id:"),
    ];
    for (flags, named) in bad {
        let mut args = vec!["profile", "add", "p", "--region", "us"];
        if flags[0] != "--client-id" {
            args.extend_from_slice(&["--client-id", "id"]);
        }
        args.extend_from_slice(flags);
        let run = sb.run(&args).fails_with(2);
        run.says(&[named]);
        assert!(
            !run.stderr.contains("config.toml:"),
            "no line of a file never written: {}",
            run.stderr
        );
        assert!(!sb.config_path().exists(), "nothing written for {flags:?}");
    }
    sb.run(&[
        "profile",
        "add",
        "p",
        "--region",
        "us",
        "--client-id",
        "id",
        "--secret-env",
        "X",
    ])
    .ok();
    let before = std::fs::read_to_string(sb.config_path()).expect("config");
    for (flags, named) in bad {
        let mut args = vec!["profile", "edit", "p"];
        args.extend_from_slice(flags);
        sb.run(&args).fails_with(2).says(&[named]);
    }
    let after = std::fs::read_to_string(sb.config_path()).expect("config");
    assert_eq!(before, after, "the file is as it was");
}
