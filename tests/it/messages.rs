//! Messages that said something other than what happened (issue 18, the
//! second hour): each checked through the real binary.

use std::time::Duration;

use crate::common::{CLIENT_ID, SECRET_VAR, Sandbox, server};

/// `n` profiles of the test server, one request at a time, 1 s per fetch.
fn slow_fleet(sb: &Sandbox, url: &str, n: usize) {
    let mut text = String::from("[settings]\nfetch_timeout = 1\nconcurrency = 1\n");
    for i in 0..n {
        text.push_str(&format!(
            "\n[[profile]]\nname = \"p{i}\"\ntoken_url = \"{url}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n"
        ));
    }
    sb.write_config(&text);
}

#[test]
fn refresh_of_a_server_that_never_answers_says_so_not_that_it_asked_for_fewer_requests() {
    let srv = server();
    srv.set_latency(Duration::from_secs(30));
    let sb = Sandbox::new();
    slow_fleet(&sb, &srv.token_url(), 3);
    let run = sb.run(&["refresh", "--all"]).fails_with(1);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("wktui: error: p"))
        .collect();
    assert_eq!(errors.len(), 3, "{}", run.stderr);
    for error in &errors {
        assert!(
            error.contains("no answer") || error.contains("while earlier requests went unanswered"),
            "{error}"
        );
    }
    assert!(
        errors[0].contains("no answer"),
        "the first was sent: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("fewer requests"), "{}", run.stderr);
    assert!(!run.stderr.contains("limits requests"), "{}", run.stderr);
    assert_eq!(srv.rate_limited_requests(), 0);
}

#[test]
fn the_env_profile_without_its_secret_names_the_missing_variable() {
    let mut sb = Sandbox::new();
    sb.set_env("WORKIVA_CLIENT_ID", "ci-client");
    // As GitHub Actions passes a secret to a pull request from a fork: empty.
    sb.set_env("WORKIVA_CLIENT_SECRET", "");
    for args in [
        &["token", "env"][..],
        &["exec", "env", "--", "true"],
        &["env", "env"],
    ] {
        let run = sb.run(args).fails_with(2);
        run.says(&[
            "$WORKIVA_CLIENT_ID is set but $WORKIVA_CLIENT_SECRET is missing or empty",
            "pull requests from forks",
        ]);
        assert!(!run.stderr.contains("add one"), "{}", run.stderr);
    }
    // The same when env is the default profile.
    sb.set_env("WKTUI_PROFILE", "env");
    sb.run(&["token"])
        .fails_with(2)
        .says(&["$WORKIVA_CLIENT_SECRET is missing or empty"]);
}

#[cfg(unix)]
#[test]
fn profile_add_says_no_keyring_is_reachable_before_asking_for_the_secret() {
    use crate::common::system::{Tmux, tools_present};
    if !tools_present(
        "profile_add_says_no_keyring_is_reachable_before_asking",
        &["tmux"],
    ) {
        return;
    }
    let srv = server();
    // The sandbox points D-Bus at a bus that does not exist: no keyring.
    let sb = Sandbox::new();
    let config = format!(
        "[[profile]]\nname = \"kr\"\ntoken_url = \"{0}\"\nclient_id = \"c\"\n\n[[profile]]\nname = \"ci\"\ntoken_url = \"{0}\"\nclient_id = \"c\"\nsecret_env = \"{SECRET_VAR}\"\n",
        srv.token_url()
    );
    sb.write_config(&config);
    let exe = env!("CARGO_BIN_EXE_wktui");
    let tmux = Tmux::start(160, 20, &["sh"], &sb.env_list());
    for command in [
        format!(
            "{exe} profile add kr2 --client-id c --token-url {}",
            srv.token_url()
        ),
        format!("{exe} profile set-secret kr"),
        format!("{exe} profile edit ci --keyring"),
    ] {
        tmux.keys(&["-l", &format!("clear; {command}; echo done-$?")]);
        tmux.keys(&["Enter"]);
        let mut screen = String::new();
        let done = crate::common::system::wait_for(Duration::from_secs(15), || {
            screen = tmux.screen();
            screen.lines().any(|l| l.starts_with("done-"))
        });
        assert!(done, "{screen}");
        assert!(
            !screen.contains("Client secret for"),
            "asked for a secret first:\n{screen}"
        );
        assert!(
            screen.contains("no OS keyring is reachable"),
            "{command}:\n{screen}"
        );
        assert!(screen.contains("done-1"), "{screen}");
    }
    // Without a terminal too: the secret on stdin is not read, nothing is written.
    let add = sb
        .run_with_stdin(
            &[
                "profile",
                "add",
                "kr2",
                "--client-id",
                "c",
                "--token-url",
                &srv.token_url(),
            ],
            "",
        )
        .fails_with(1);
    assert!(
        add.stderr.contains("no OS keyring is reachable"),
        "{}",
        add.stderr
    );
    assert!(
        !add.stderr.contains("secret is empty"),
        "the secret was not read: {}",
        add.stderr
    );
    assert_eq!(std::fs::read_to_string(sb.config_path()).expect("config"), config);
}

#[test]
fn profile_edit_without_a_field_is_a_usage_error_naming_the_flags() {
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    let before = std::fs::read_to_string(sb.config_path()).expect("config");
    let run = sb.run(&["profile", "edit", "prod"]).fails_with(2);
    run.says(&[
        "profile edit prod needs at least one field to change: --region, --token-url, --client-id",
        "hint: to edit the file itself, with its comments: wktui config edit",
    ]);
    assert!(!run.stdout.contains("nothing changed"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(sb.config_path()).expect("config"), before);
    // A flag that asks for what is there already is still an answer, not an error.
    let run = sb
        .run(&["profile", "edit", "prod", "--client-id", CLIENT_ID])
        .ok();
    assert!(run.stdout.contains("already says that"), "{}", run.stdout);
}

#[test]
fn exec_without_the_double_dash_shows_the_line_as_it_should_be() {
    let sb = Sandbox::new();
    let run = sb.run(&["exec", "prod", "env"]).fails_with(2);
    run.says(&[
        "unexpected argument 'env'",
        "tip: the command to run goes after --: `wktui exec prod -- env`",
    ]);
    let run = sb
        .run(&[
            "--log-level",
            "warn",
            "exec",
            "--min-ttl",
            "5",
            "prod",
            "python",
            "my file.py",
        ])
        .fails_with(2);
    run.says(&["`wktui --log-level warn exec --min-ttl 5 prod -- python 'my file.py'`"]);
    // Another command's unexpected argument gets no exec tip.
    let run = sb.run(&["token", "exec", "foo"]).fails_with(2);
    assert!(!run.stderr.contains("tip: the command to run"), "{}", run.stderr);
}

#[test]
fn a_config_value_of_the_wrong_type_names_the_field_and_line_and_the_fix() {
    let sb = Sandbox::new();
    sb.write_config("[settings]\nrefresh_margin = \"soon\"\n");
    let path = sb.config_path();
    sb.run(&["token", "prod"]).fails_with(2).says(&[
        &format!(
            "{}:2:18: refresh_margin: invalid type: string \"soon\", expected a whole number",
            path.display()
        ),
        "hint: correct it with `wktui config edit`",
    ]);
}

#[cfg(unix)] // tmux and sh
#[test]
fn the_interface_stops_saying_showing_once_the_token_is_hidden() {
    use crate::common::system::{Tmux, tools_present, wait_for};
    if !tools_present("the_interface_stops_saying_showing", &["tmux"]) {
        return;
    }
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    sb.run(&["token", "prod"]).ok();
    let tmux = Tmux::start(120, 30, &[env!("CARGO_BIN_EXE_wktui")], &sb.env_list());
    let (shown, screen) = tmux.wait_for_text("prod", Duration::from_secs(15));
    assert!(shown, "{screen}");
    tmux.keys(&["s"]);
    let (said, screen) = tmux.wait_for_text("showing prod's token for 10 s", Duration::from_secs(15));
    assert!(said, "{screen}");
    tmux.keys(&["s"]);
    let mut screen = String::new();
    // Well before the status line's own 5 s are up.
    let gone = wait_for(Duration::from_secs(2), || {
        screen = tmux.screen();
        !screen.contains("showing prod's token")
    });
    assert!(gone, "still says it is shown after s hid it:\n{screen}");
    tmux.keys(&["q"]);
}
