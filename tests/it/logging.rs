//! The log file: quiet by default, everything at trace, never a secret or a
//! token, and never on the interface's screen.

use std::time::Duration;

use crate::common::system::{KEYRING_TOOLS, Tmux, tools_present};
use crate::common::{Sandbox, server};

fn log_text(sb: &Sandbox) -> String {
    let path = sb.log_path();
    let rotated = path.with_file_name("wktui.log.1");
    format!(
        "{}{}",
        std::fs::read_to_string(&rotated).unwrap_or_default(),
        std::fs::read_to_string(&path).unwrap_or_default()
    )
}

#[test]
fn by_default_only_warnings_and_errors_are_logged() {
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    sb.run(&["token", "prod"]).ok();
    sb.run(&["list"]).ok();
    assert!(!sb.log_path().exists(), "a quiet run writes no log at all");
    sb.run(&["token", "absent"]).fails_with(2);
    let log = log_text(&sb);
    assert!(
        log.contains("ERROR") && log.contains("no profile named \"absent\""),
        "{log}"
    );
    assert_eq!(log.lines().count(), 1, "{log}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sb.log_path())
            .expect("log")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn the_level_comes_from_the_flag_or_wktui_log_and_bad_filters_are_explained() {
    let srv = server();
    let mut sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    sb.run(&["--log-level", "debug", "token", "prod"]).ok();
    let log = log_text(&sb);
    assert!(log.contains("DEBUG") && log.contains("token request"), "{log}");
    assert!(!log.contains("TRACE"));

    sb.run(&["--log-level", "wktui=loud", "list"])
        .fails_with(2)
        .says(&["--log-level: \"wktui=loud\" is not a log filter"]);
    sb.set_env("WKTUI_LOG", "wktui::cache=debug");
    let _ = std::fs::remove_file(sb.log_path());
    sb.run(&["token", "prod"]).ok();
    let log = log_text(&sb);
    assert!(
        log.contains("cache hit") && !log.contains("token request"),
        "{log}"
    );
    // A broken WKTUI_LOG (set for every command) warns and goes on.
    sb.set_env("WKTUI_LOG", "===");
    let run = sb.run(&["token", "prod"]).ok();
    run.says(&[
        "WKTUI_LOG: \"===\" is not a log filter",
        "warnings and errors only",
    ]);
}

/// Every command that touches a secret or a token, at trace level; then the
/// log is searched for the secret and for every token that was handed out.
#[test]
fn a_full_run_at_trace_level_logs_every_step_and_no_secret_or_token() {
    let keyring = tools_present("trace log keyring test", &KEYRING_TOOLS);
    let mut sb = Sandbox::new();
    let _session = keyring.then(|| sb.use_keyring());
    // The second profile reads its secret from the environment either way.
    sb.set_env(crate::common::SECRET_VAR, crate::common::SECRET);
    sb.set_env("WKTUI_LOG", "trace");
    let srv = server();
    srv.push_fault(wktui_test_support::Fault::TooManyRequests { retry_after: Some(0) });
    if keyring {
        sb.add_keyring_profile("prod", &srv.token_url());
    } else {
        sb.add_profile("prod", &srv.token_url(), &[]);
    }
    sb.add_profile("other", &srv.token_url(), &["--scope", "file:read"]);
    let mut tokens = Vec::new();
    tokens.push(sb.run(&["token", "prod"]).ok().stdout.trim().to_owned());
    tokens.push(sb.run(&["token", "prod", "--format", "json"]).ok().stdout);
    sb.run(&["refresh", "--all"]).ok();
    tokens.push(sb.run(&["token", "prod"]).ok().stdout.trim().to_owned());
    tokens.push(sb.run(&["token", "other", "--format", "header"]).ok().stdout);
    sb.run(&["list", "--format", "json"]).ok();
    sb.run(&["verify", "prod"]).ok();
    sb.run(&["profile", "show", "prod"]).ok();
    sb.run(&["profile", "rename", "prod", "renamed"]).ok();
    tokens.push(
        sb.run(&["token", "renamed", "--refresh"])
            .ok()
            .stdout
            .trim()
            .to_owned(),
    );
    if keyring {
        sb.run_with_stdin(
            &["profile", "set-secret", "renamed"],
            &format!("{}\n", crate::common::SECRET),
        )
        .ok();
    }
    sb.run(&["doctor"]);
    sb.run(&["profile", "remove", "renamed", "--yes"]).ok();

    let log = log_text(&sb);
    sb.assert_no_secret_in(&log, "the log");
    for token in tokens {
        let token = token
            .split(|c: char| c == '"' || c.is_whitespace())
            .find(|w| w.starts_with("wk."))
            .expect("a token")
            .to_owned();
        assert!(!log.contains(&token), "the log holds a token");
    }
    for event in [
        "wktui started",
        "token request",
        "token received",
        "retrying the token request",
        "cache lookup",
        "cache hit",
        "caching the token",
        "taking the refresh lock",
        "refresh lock",
        "moving the cached token",
        "reading the client secret",
        "verifying the token",
    ] {
        assert!(log.contains(event), "the log lacks {event:?}:\n{log}");
    }
    if keyring {
        for event in ["keyring: get", "keyring: set", "keyring: delete"] {
            assert!(log.contains(event), "the log lacks {event:?}");
        }
    }
    assert!(!log.contains('\x1b'), "no terminal escapes in the file");
}

#[test]
fn the_interface_never_shows_log_lines() {
    if !tools_present("TUI log test", &["tmux"]) {
        return;
    }
    let srv = server();
    let mut sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    sb.set_env("WKTUI_LOG", "trace");
    let exe = env!("CARGO_BIN_EXE_wktui");
    let tmux = Tmux::start(100, 30, &[exe], &sb.env_list());
    let (shown, screen) = tmux.wait_for_text("prod", Duration::from_secs(10));
    assert!(shown, "{screen}");
    tmux.keys(&["r"]);
    let fetched = crate::common::system::wait_for(Duration::from_secs(10), || srv.token_requests() == 1);
    assert!(fetched, "{}", tmux.screen());
    let (_, screen) = tmux.wait_for_text("refreshed prod", Duration::from_secs(5));
    for noise in ["DEBUG", "TRACE", "token request", "wktui::"] {
        assert!(!screen.contains(noise), "log text on the screen:\n{screen}");
    }
    tmux.keys(&["q"]);
    assert!(
        log_text(&sb).contains("token request"),
        "the TUI's events went to the file"
    );
}
