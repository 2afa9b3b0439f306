//! Which profile a command uses, through the real binary: the default one
//! (`WKTUI_PROFILE` and `default_profile` under `[settings]`, the
//! environment winning) for `wktui token` with no name (its fast path
//! included), doctor and the interface's selection at start; and a
//! mistyped name answered with the nearest configured ones.

use std::time::Duration;

use crate::common::system::{Tmux, tools_present};
use crate::common::{Sandbox, server};

/// Two profiles of the test server, `dev` and `prod`, and the config's text.
fn two_profiles(sb: &Sandbox, url: &str) -> String {
    sb.add_profile("prod", url, &[]);
    sb.add_profile("dev", url, &[]);
    std::fs::read_to_string(sb.config_path()).expect("config")
}

fn with_default(sb: &Sandbox, text: &str, name: &str) {
    sb.write_config(&format!("[settings]\ndefault_profile = \"{name}\"\n\n{text}"));
}

#[test]
fn token_without_a_name_uses_the_default_and_the_environment_wins() {
    let srv = server();
    let mut sb = Sandbox::new();
    let text = two_profiles(&sb, &srv.token_url());

    // No default anywhere: a usage error that says how to set one.
    let none = sb.run(&["token"]).fails_with(2);
    none.says(&[
        "no profile named and no default profile",
        "dev, prod",
        "WKTUI_PROFILE",
    ]);
    assert!(none.stdout.is_empty());

    // default_profile in the file: `token` is `token dev`.
    with_default(&sb, &text, "dev");
    let dev = sb.run(&["token"]).ok().stdout;
    assert!(dev.starts_with("wk."), "{dev}");
    assert_eq!(
        sb.run(&["token", "dev"]).ok().stdout,
        dev,
        "the same cached token"
    );
    assert_eq!(srv.token_requests(), 1);

    // WKTUI_PROFILE wins over the file.
    sb.set_env("WKTUI_PROFILE", "prod");
    let prod = sb.run(&["token"]).ok().stdout;
    assert_ne!(prod, dev);
    assert_eq!(sb.run(&["token", "prod"]).ok().stdout, prod);
    // A name given wins over both; the other commands take the default too.
    assert_eq!(sb.run(&["token", "dev"]).ok().stdout, dev);
    let env = sb.run(&["env"]).ok().stdout;
    let (exported, echo): (&str, &[&str]) = if cfg!(windows) {
        (
            "$Env:WORKIVA_PROFILE = 'prod'",
            &["cmd", "/c", "echo %WORKIVA_PROFILE%"],
        )
    } else {
        (
            "export WORKIVA_PROFILE='prod'",
            &["sh", "-c", "echo \"$WORKIVA_PROFILE\""],
        )
    };
    assert!(env.contains(exported), "{env}");
    let ran = sb
        .run(&[&["exec", "--no-server", "--"][..], echo].concat())
        .ok()
        .stdout;
    assert_eq!(ran.trim_end(), "prod");
    let shown = sb.run(&["profile", "show", "--format", "json"]).ok().stdout;
    assert!(shown.contains("\"name\":\"prod\""), "{shown}");
    assert_eq!(srv.token_requests(), 2);
}

#[test]
fn an_unknown_default_is_named_with_where_it_came_from() {
    let srv = server();
    let mut sb = Sandbox::new();
    let text = two_profiles(&sb, &srv.token_url());
    with_default(&sb, &text, "stage");
    sb.run(&["token"]).fails_with(2).says(&[
        "the default profile \"stage\" (from default_profile in the config file) is not configured",
        "configured profiles: dev, prod",
        "wktui config edit",
    ]);
    // `list` and named commands still work with an unknown default.
    sb.run(&["token", "dev"]).ok();
    sb.set_env("WKTUI_PROFILE", "qa");
    sb.run(&["token"]).fails_with(2).says(&[
        "\"qa\" (from $WKTUI_PROFILE) is not configured",
        "unset WKTUI_PROFILE",
    ]);
    sb.run(&["token", "--format", "json"])
        .fails_with(2)
        .says(&["\"qa\" (from $WKTUI_PROFILE)"]);
    assert_eq!(srv.token_requests(), 1);
}

#[test]
fn doctor_says_which_profile_is_the_default_and_fails_an_unknown_one() {
    let srv = server();
    let mut sb = Sandbox::new();
    let text = two_profiles(&sb, &srv.token_url());
    with_default(&sb, &text, "dev");
    let run = sb.run(&["doctor", "dev"]).ok();
    assert!(
        run.stdout.lines().any(|l| l.starts_with("✓")
            && l.contains(" default ")
            && l.ends_with(
                "commands without a profile name use dev (from default_profile in the config file)"
            )),
        "{}",
        run.stdout
    );
    sb.set_env("WKTUI_PROFILE", "nope");
    let run = sb.run(&["doctor", "dev"]).fails_with(1);
    assert!(
        run.stdout.contains("✗")
            && run
                .stdout
                .contains("\"nope\" (from $WKTUI_PROFILE) is not configured"),
        "{}",
        run.stdout
    );
}

#[test]
fn token_without_a_name_reads_one_profile_from_the_index() {
    let srv = server();
    let sb = Sandbox::new();
    let text = two_profiles(&sb, &srv.token_url());
    with_default(&sb, &text, "dev");
    // A file changed less than a second ago is not indexed.
    std::thread::sleep(Duration::from_millis(1100));
    sb.run(&["list"]).ok();
    let _ = std::fs::remove_file(sb.log_path());
    let token = sb.run(&["--log-level", "debug", "token"]).ok().stdout;
    let log = std::fs::read_to_string(sb.log_path()).unwrap_or_default();
    assert!(
        log.contains("config from its index") && log.contains("partial=true"),
        "{log}"
    );
    assert_eq!(sb.run(&["token", "dev"]).ok().stdout, token);
}

#[test]
fn the_interface_starts_on_the_default_profile_and_says_so() {
    if !tools_present(
        "the_interface_starts_on_the_default_profile_and_says_so",
        &["tmux"],
    ) {
        return;
    }
    let srv = server();
    let mut sb = Sandbox::new();
    let text = two_profiles(&sb, &srv.token_url());
    with_default(&sb, &text, "dev");
    sb.set_env("WKTUI_PROFILE", "prod");
    let tmux = Tmux::start(120, 30, &[env!("CARGO_BIN_EXE_wktui")], &sb.env_list());
    let (found, screen) = tmux.wait_for_text(
        "prod is the default profile (from $WKTUI_PROFILE)",
        Duration::from_secs(15),
    );
    assert!(found, "{screen}");
    assert!(
        screen.lines().any(|l| l.contains("▸") && l.contains("prod")),
        "{screen}"
    );
    tmux.keys(&["q"]);
}

#[test]
fn a_mistyped_name_gets_the_nearest_configured_ones() {
    let srv = server();
    let sb = Sandbox::new();
    for name in ["prod-us", "prod-eu", "dev"] {
        sb.add_profile(name, &srv.token_url(), &[]);
    }
    // The fast path (`token NAME`) and clap's path say the same.
    for args in [
        &["token", "prod-uss"][..],
        &["token", "prod-uss", "--format", "json"],
    ] {
        sb.run(args).fails_with(2).says(&[
            "no profile named \"prod-uss\"; did you mean prod-us? configured profiles: dev, prod-eu, prod-us",
        ]);
    }
    sb.run(&["copy", "prod-u"])
        .fails_with(2)
        .says(&["did you mean prod-eu or prod-us?"]);
    let far = sb.run(&["verify", "staging"]).fails_with(2);
    assert!(!far.stderr.contains("did you mean"), "{}", far.stderr);
    assert_eq!(srv.token_requests(), 0);
}
