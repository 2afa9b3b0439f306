//! What the interface tells of the world around it, end to end in tmux: a
//! running `wktui serve` marks the profiles it serves (and the mark goes with
//! it), and a token host that asks to wait says so, with when it is asked again.

#![cfg(unix)] // tmux and sh

use std::time::Duration;

use crate::common::system::{Tmux, tools_present, wait_for};
use crate::common::{Sandbox, server_with};
use wktui_test_support::{RateLimit, ServerConfig};

const WAIT: Duration = Duration::from_secs(20);

fn open(sb: &Sandbox) -> Tmux {
    let tmux = Tmux::start(120, 36, &[env!("CARGO_BIN_EXE_wktui")], &sb.env_list());
    let (shown, screen) = tmux.wait_for_text("q quit", WAIT);
    assert!(shown, "{screen}");
    tmux
}

#[track_caller]
fn wait_for_screen(tmux: &Tmux, what: &str, check: impl Fn(&str) -> bool) -> String {
    let mut screen = String::new();
    let seen = wait_for(WAIT, || {
        screen = tmux.screen();
        check(&screen)
    });
    assert!(seen, "waited for {what}; the screen:\n{screen}");
    screen
}

/// Stops `serve` with SIGTERM, as a supervisor does (Unix).
#[cfg(unix)]
#[test]
fn a_running_serve_marks_the_profiles_it_serves_until_it_stops() {
    use crate::common::server;
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    if !tools_present("serve marker test", &["tmux"]) {
        return;
    }
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    sb.add_profile("staging", &srv.token_url(), &[]);
    let tmux = open(&sb);
    assert!(!tmux.screen().contains("⇄"));

    let mut serve = sb
        .command(&["serve", "--listen", "127.0.0.1:0", "prod"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn wktui serve");
    let mut banner = String::new();
    let mut stdout = BufReader::new(serve.stdout.take().expect("stdout"));
    while !banner.contains("http://127.0.0.1:") {
        assert!(stdout.read_line(&mut banner).expect("banner") > 0, "{banner}");
    }
    let pid = serve.id().to_string();
    let screen = wait_for_screen(&tmux, "the mark", |s| {
        s.lines().any(|l| l.contains("prod") && l.contains("⇄"))
    });
    assert!(
        screen.contains(&format!("wktui serve (pid {pid})")),
        "the details say by whom:\n{screen}"
    );
    assert!(
        !screen.lines().any(|l| l.contains("staging") && l.contains("⇄")),
        "only the profile it serves:\n{screen}"
    );

    // SIGTERM, as a supervisor stops it: the mark goes with it.
    let pid_number = rustix::process::Pid::from_raw(serve.id() as i32).expect("pid");
    rustix::process::kill_process(pid_number, rustix::process::Signal::TERM).expect("kill");
    serve.wait().expect("wait");
    wait_for_screen(&tmux, "the mark to go", |s| {
        !s.contains("⇄") && !s.contains("Served by")
    });
    tmux.keys(&["q"]);
}

#[test]
fn a_host_that_asks_to_wait_says_so_and_when_it_is_asked_again() {
    if !tools_present("rate limit display test", &["tmux"]) {
        return;
    }
    // One request a second, and a refusal that asks for 10 s of quiet.
    let srv = server_with(ServerConfig {
        rate_limit: Some(RateLimit {
            per_second: 1,
            retry_after: Some(10),
        }),
        ..ServerConfig::default()
    });
    let sb = Sandbox::new();
    for name in ["a", "b", "c", "d"] {
        sb.add_profile(name, &srv.token_url(), &[]);
    }
    let tmux = open(&sb);
    tmux.keys(&["R"]);
    let screen = wait_for_screen(&tmux, "the pause", |s| s.contains("is limiting requests"));
    let host = srv.token_url();
    let host = host
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host");
    assert!(
        screen.contains(&format!("{host} is limiting requests; asking again in")),
        "{screen}"
    );
    assert!(screen.contains("◷"), "rows waiting on the host say so:\n{screen}");
    tmux.keys(&["q"]);
}
