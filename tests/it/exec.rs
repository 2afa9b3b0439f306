//! `wktui exec` and `wktui env` as a user runs them: the real binary, the
//! crate's token server, real child processes read through /proc, signals
//! sent as a supervisor or a terminal sends them, and a real third-party
//! OAuth2 client (requests-oauthlib) as the child.

use crate::common::{Sandbox, oauth_python, python_script, server, server_with};
use serde_json::Value;
use std::path::Path;
use wktui_test_support::ServerConfig;

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A sandbox with profile `prod` on a fresh token server.
fn setup() -> (Sandbox, wktui_test_support::TokenServer) {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("prod", &srv.token_url(), &["--scope", "file:read file:write"]);
    (sb, srv)
}

#[cfg(unix)]
fn signal(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("pid");
    rustix::process::kill_process(pid, signal).expect("kill");
}

#[cfg(unix)] // sh
#[test]
fn no_server_gives_only_the_token_variables() {
    let (sb, _srv) = setup();
    let run = sb
        .run(&["exec", "prod", "--no-server", "--", "sh", "-c", "env"])
        .ok();
    assert!(run.stdout.contains("WORKIVA_TOKEN=wk."), "{}", run.stdout);
    for absent in [
        "WORKIVA_TOKEN_URL=",
        "WORKIVA_CLIENT_SECRET=",
        &format!("{}=", crate::common::SECRET_VAR),
    ] {
        assert!(!run.stdout.contains(absent), "{absent} leaked:\n{}", run.stdout);
    }
}

#[cfg(unix)] // sh, and Unix signals
#[test]
fn exit_codes_and_streams_pass_through() {
    let (sb, _srv) = setup();
    sb.run(&["exec", "prod", "--", "sh", "-c", "exit 42"])
        .fails_with(42);
    sb.run(&["exec", "prod", "--", "sh", "-c", "kill -KILL $$"])
        .fails_with(137);
    sb.run(&["exec", "prod", "--", "sh", "-c", "kill -TERM $$"])
        .fails_with(143);
    let echoed = sb
        .run_with_stdin(
            &["exec", "prod", "--", "sh", "-c", "cat; echo to-stderr >&2"],
            "line one\nline two\n",
        )
        .ok();
    assert_eq!(echoed.stdout, "line one\nline two\n");
    assert_eq!(
        echoed.stderr, "to-stderr\n",
        "wktui adds nothing to the child's output"
    );
    let missing = sb
        .run(&["exec", "prod", "--", "wktui-no-such-program"])
        .fails_with(127);
    missing.says(&["wktui-no-such-program", "no such program"]);
    sb.run(&["exec", "prod"]).fails_with(2).says(&["after --"]);
    sb.run(&["exec", "nope", "--", "true"])
        .fails_with(2)
        .says(&["no profile named"]);
}

#[cfg(unix)]
#[test]
fn signals_sent_to_wktui_reach_the_child_once() {
    use rustix::process::Signal;
    let (sb, _srv) = setup();
    let script = r#"
        n=0
        for s in INT TERM HUP QUIT; do trap "n=\$((n+1)); echo got $s \$n; last=$s" $s; done
        echo ready
        while [ -z "$last" ]; do sleep 0.05; done
        sleep 0.3
        case $last in INT) exit 11;; TERM) exit 12;; HUP) exit 13;; QUIT) exit 14;; esac
    "#;
    for (sig, name, code) in [
        (Signal::INT, "INT", 11),
        (Signal::TERM, "TERM", 12),
        (Signal::HUP, "HUP", 13),
        (Signal::QUIT, "QUIT", 14),
    ] {
        let mut child = sb.spawn(&["exec", "prod", "--", "sh", "-c", script], None);
        assert_eq!(child.read_line(), "ready");
        signal(child.id(), sig);
        let crate::common::Run {
            code: exit,
            stdout: out,
            stderr: err,
        } = child.finish(&sb);
        assert_eq!(
            exit, code,
            "SIGTERM to wktui: {name}\nstdout: {out}\nstderr: {err}"
        );
        assert_eq!(out, format!("got {name} 1\n"), "delivered exactly once");
    }
}

#[test]
fn exec_inside_exec_of_another_profile_is_refused_unless_asked() {
    let (sb, srv) = setup();
    sb.add_profile("dev", &srv.token_url(), &[]);
    // Inside exec, the variable the secret came from is gone: dev's token must be cached.
    sb.run(&["token", "dev"]).ok();
    let binary = env!("CARGO_BIN_EXE_wktui");
    // wktui itself is the innermost command: a program every system has.
    let nested = sb.run(&[
        "exec",
        "prod",
        "--",
        binary,
        "exec",
        "dev",
        "--",
        binary,
        "--version",
    ]);
    nested
        .fails_with(2)
        .says(&["already running inside `wktui exec prod`", "--allow-nested"]);
    sb.run(&[
        "exec",
        "prod",
        "--",
        binary,
        "exec",
        "dev",
        "--allow-nested",
        "--",
        binary,
        "--version",
    ])
    .ok();
    sb.run(&[
        "exec",
        "prod",
        "--",
        binary,
        "exec",
        "prod",
        "--",
        binary,
        "--version",
    ])
    .ok();
}

#[cfg(unix)] // export lines for sh (on Windows `env` prints PowerShell)
#[test]
fn env_prints_export_lines_a_shell_can_eval() {
    let (sb, _srv) = setup();
    let lines = sb.run(&["env", "prod"]).ok().stdout;
    assert!(lines.starts_with("export WORKIVA_TOKEN='wk."), "{lines}");
    let script = format!(
        "{lines}\nprintf '%s|%s|%s' \"$WORKIVA_PROFILE\" \"$WORKIVA_API_URL\" \"${{WORKIVA_TOKEN%%.*}}\""
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("prod|http://127.0.0.1:") && text.ends_with("|wk"),
        "{text}"
    );
    let fish = sb.run(&["env", "prod", "--shell", "fish"]).ok().stdout;
    assert!(fish.starts_with("set -gx WORKIVA_TOKEN 'wk."), "{fish}");
    let ps = sb.run(&["env", "prod", "--shell", "powershell"]).ok().stdout;
    assert!(ps.contains("$Env:WORKIVA_PROFILE = 'prod'"), "{ps}");
    assert!(!lines.contains("WORKIVA_CLIENT_SECRET"), "env starts no endpoint");
}

/// The `env` profile (no config, no keyring: CI) reads the real secret from
/// WORKIVA_CLIENT_SECRET; its child sees the local credentials under the same
/// names, so a `wktui` or an SDK inside it uses the endpoint of exec.
#[cfg(unix)] // sh
#[test]
fn the_env_profile_hands_its_child_local_credentials_under_the_same_names() {
    let mut sb = Sandbox::new();
    let srv = server();
    // Only the env profile's variables: no config profile names another one.
    sb.env.retain(|(k, _)| k != crate::common::SECRET_VAR);
    sb.env.extend([
        (
            "WORKIVA_CLIENT_ID".to_owned(),
            crate::common::CLIENT_ID.to_owned(),
        ),
        (
            "WORKIVA_CLIENT_SECRET".to_owned(),
            crate::common::SECRET.to_owned(),
        ),
        ("WORKIVA_TOKEN_URL".to_owned(), srv.token_url()),
    ]);
    let binary = env!("CARGO_BIN_EXE_wktui");
    let script = r#"printf '%s\n' "$WORKIVA_CLIENT_ID" "$WORKIVA_TOKEN_URL" "${WORKIVA_CLIENT_SECRET%%_*}" "$WORKIVA_TOKEN"; "$0" token env"#;
    let run = sb.run(&["exec", "env", "--", "sh", "-c", script, binary]).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    assert_eq!(lines[0], "env", "the client id is the profile name");
    assert!(
        lines[1].starts_with("http://127.0.0.1:") && lines[1] != srv.token_url(),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "wktui", "a local secret in WORKIVA_CLIENT_SECRET");
    assert_eq!(
        lines[4], lines[3],
        "wktui inside gets the same token, from the endpoint"
    );
    assert_eq!(srv.token_requests(), 1, "only exec itself asked the token server");

    let plain = sb
        .run(&["exec", "env", "--no-server", "--", "sh", "-c", "env"])
        .ok();
    assert!(
        !plain.stdout.contains("WORKIVA_CLIENT_SECRET="),
        "{}",
        plain.stdout
    );

    // A config profile with WORKIVA_REGION around: the endpoint's URL replaces it.
    let sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    let mut sb = sb;
    sb.env.push(("WORKIVA_REGION".to_owned(), "eu".to_owned()));
    let run = sb.run(&["exec", "prod", "--", "sh", "-c", "env"]).ok();
    assert!(!run.stdout.contains("WORKIVA_REGION="), "{}", run.stdout);
    assert!(run.stdout.contains("WORKIVA_TOKEN_URL=http://127.0.0.1:"));
}

/// Runs the consumer script inside `wktui exec`, with the environment exec gives it.
fn exec_python(sb: &Sandbox, python: &Path, args: &[&str]) -> crate::common::Run {
    let script = python_script("oauth_client.py");
    let mut all = vec!["exec", "prod", "--"];
    let python = python.to_string_lossy();
    let script = script.to_string_lossy();
    all.extend([python.as_ref(), script.as_ref()]);
    all.extend_from_slice(args);
    sb.run(&all)
}

#[test]
fn requests_oauthlib_gets_tokens_from_the_endpoint_of_exec() {
    let Some(python) = oauth_python("requests_oauthlib_gets_tokens_from_the_endpoint_of_exec") else {
        return;
    };
    let (sb, srv) = setup();
    let body = json(&exec_python(&sb, &python, &["once", "body"]).ok().stdout);
    let basic = json(&exec_python(&sb, &python, &["once", "basic"]).ok().stdout);
    assert!(
        body["access_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("wk.")),
        "{body}"
    );
    assert_eq!(body["access_token"], basic["access_token"], "one token for both");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "file:read file:write");
    assert!(
        body["expires_in"]
            .as_i64()
            .is_some_and(|s| (500..=600).contains(&s)),
        "{body}"
    );
    assert_eq!(
        srv.token_requests(),
        1,
        "exec and its endpoint share the cached token"
    );
    for auth in ["body", "basic"] {
        let wrong = json(&exec_python(&sb, &python, &["wrong", auth]).ok().stdout);
        assert_eq!(wrong["error"], "invalid_client", "{auth}: {wrong}");
        assert_eq!(wrong["status_code"], 401);
    }

    // After exec returns, its endpoint is gone.
    let url = sb
        .run(&[
            "exec",
            "prod",
            "--",
            &python.to_string_lossy(),
            "-c",
            "import os; print(os.environ['WORKIVA_TOKEN_URL'])",
        ])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let gone = std::process::Command::new(&python)
        .arg(python_script("oauth_client.py"))
        .arg("unreachable")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.path().join("home"))
        .env("NO_PROXY", "127.0.0.1")
        .env("WORKIVA_TOKEN_URL", &url)
        .env("WORKIVA_CLIENT_ID", "prod")
        .env("WORKIVA_CLIENT_SECRET", "wktui_anything")
        .output()
        .expect("python");
    let gone = json(&String::from_utf8_lossy(&gone.stdout));
    assert_eq!(gone["reached"], false, "{gone}");
    let port = url
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .expect("port");
    let refused = std::net::TcpStream::connect(("127.0.0.1", port)).expect_err("closed");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn a_token_that_expires_under_a_long_running_child_is_renewed() {
    let Some(python) = oauth_python("a_token_that_expires_under_a_long_running_child_is_renewed") else {
        return;
    };
    let sb = Sandbox::new();
    sb.write_config("[settings]\nrefresh_margin = 1\n");
    let srv = server_with(ServerConfig {
        token_lifetime_secs: 3,
        ..ServerConfig::default()
    });
    sb.add_profile("prod", &srv.token_url(), &[]);
    let report = json(&exec_python(&sb, &python, &["job", "8"]).ok().stdout);
    let tokens: Vec<&str> = report["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .filter_map(|t| t["access_token"].as_str())
        .collect();
    let mut distinct = tokens.clone();
    distinct.dedup();
    assert!(distinct.len() >= 3, "8 s of 3 s tokens: {report}");
    let statuses = report["api_statuses"].as_array().expect("statuses");
    assert!(statuses.len() > 20, "{report}");
    assert!(
        statuses.iter().all(|s| s == 200),
        "every API call had a live token: {report}"
    );
    assert_eq!(
        srv.token_requests(),
        distinct.len(),
        "one upstream fetch per token lifetime"
    );
}

/// What needs Linux: /proc to read a child's environment and every argv,
/// and the kernel's `si_code` to tell a terminal's signal from a sent one.
#[cfg(target_os = "linux")]
mod linux {
    use std::time::Duration;

    use super::setup;
    use crate::common::system::{Tmux, tools_present, wait_for};
    use crate::common::{SECRET, SECRET_VAR, python_script};

    /// `NAME=value` pairs of a live process's environment.
    fn environ(pid: u32) -> Vec<(String, String)> {
        let bytes = std::fs::read(format!("/proc/{pid}/environ")).expect("read environ");
        bytes
            .split(|b| *b == 0)
            .filter_map(|entry| {
                let text = String::from_utf8_lossy(entry);
                let (k, v) = text.split_once('=')?;
                Some((k.to_owned(), v.to_owned()))
            })
            .collect()
    }

    fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The argv of every process this user can see.
    fn every_cmdline() -> Vec<(String, String)> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Ok(bytes) = std::fs::read(entry.path().join("cmdline")) {
                all.push((pid, String::from_utf8_lossy(&bytes).replace('\0', " ")));
            }
        }
        all
    }

    /// A child that prints its pid, then waits until `stop` exists.
    const WAIT_SCRIPT: &str = r#"echo $$; while [ ! -e "$0" ]; do sleep 0.05; done"#;

    /// Reads the child's environment and every argv through /proc (Linux).
    #[test]
    fn the_child_gets_the_token_and_local_credentials_and_never_the_real_secret() {
        let (mut sb, srv) = setup();
        let stop = sb.path().join("stop");
        let stop_arg = stop.to_string_lossy().into_owned();
        let mut child = sb.spawn(&["exec", "prod", "--", "sh", "-c", WAIT_SCRIPT, &stop_arg], None);
        let child_pid: u32 = child.read_line().parse().expect("pid");

        let env = environ(child_pid);
        let token = var(&env, "WORKIVA_TOKEN").expect("WORKIVA_TOKEN").to_owned();
        let local_secret = var(&env, "WORKIVA_CLIENT_SECRET")
            .expect("local secret")
            .to_owned();
        assert!(token.starts_with("wk."), "{token}");
        assert!(
            local_secret.starts_with("wktui_") && local_secret.len() >= 40,
            "{local_secret}"
        );
        assert_eq!(var(&env, "WORKIVA_CLIENT_ID"), Some("prod"));
        assert_eq!(var(&env, "WORKIVA_PROFILE"), Some("prod"));
        assert_eq!(var(&env, "WKTUI_EXEC"), Some("prod"));
        assert_eq!(var(&env, "WORKIVA_API_URL"), Some(srv.base_url().as_str()));
        let token_url = var(&env, "WORKIVA_TOKEN_URL").expect("token URL");
        assert!(token_url.starts_with("http://127.0.0.1:") && token_url.ends_with("/oauth2/token"));
        let expires_at = var(&env, "WORKIVA_TOKEN_EXPIRES_AT").expect("expiry");
        assert!(
            expires_at.ends_with('Z') && expires_at.len() == 20,
            "{expires_at}"
        );
        assert_eq!(
            var(&env, SECRET_VAR),
            None,
            "the variable wktui read the secret from is gone"
        );
        let whole = std::fs::read(format!("/proc/{child_pid}/environ")).expect("environ");
        assert!(
            !String::from_utf8_lossy(&whole).contains(SECRET),
            "the real secret is in the child's environment"
        );

        // No argv anywhere holds a secret or the token.
        for (pid, cmdline) in every_cmdline() {
            for secret in [SECRET, token.as_str(), local_secret.as_str()] {
                assert!(
                    !cmdline.contains(secret),
                    "process {pid} has a secret in its argv: {cmdline}"
                );
            }
        }
        // The interface can see it running.
        let active = wktui::presence::active(&sb.cache_dir());
        assert_eq!(active.len(), 1, "{active:?}");
        assert_eq!(active[0].kind, wktui::presence::Kind::Exec);
        assert_eq!(active[0].profiles, ["prod"]);
        assert_eq!(active[0].pid, child.id());

        std::fs::write(&stop, "").expect("stop");
        sb.secrets.extend([token, local_secret]);
        let code = child.finish(&sb).code;
        assert_eq!(code, 0);
        assert!(
            wktui::presence::active(&sb.cache_dir()).is_empty(),
            "unregistered on exit"
        );
    }

    /// Ctrl-C at a terminal reaches the whole foreground group: the child gets
    /// it from the terminal, wktui must survive it and not send a second one.
    /// The child counts deliveries one by one (signals that arrive together
    /// could merge in a shell's trap). Telling the terminal's signal from a sent
    /// one relies on Linux's `si_code`.
    #[test]
    fn ctrl_c_at_a_terminal_reaches_the_child_once() {
        if !tools_present(
            "ctrl_c_at_a_terminal_reaches_the_child_once",
            &["tmux", "python3"],
        ) {
            return;
        }
        let (sb, _srv) = setup();
        let counter = python_script("count_signals.py");
        let binary = env!("CARGO_BIN_EXE_wktui");
        let command = [
            binary,
            "exec",
            "prod",
            "--",
            "python3",
            &counter.to_string_lossy(),
            "30",
        ];
        let tmux = Tmux::start(80, 10, &command, &sb.env_list());
        let (ready, screen) = tmux.wait_for_text("ready", Duration::from_secs(30));
        assert!(ready, "{screen}");
        tmux.keys(&["C-c"]);
        assert!(
            wait_for(Duration::from_secs(40), || tmux.pane_status().0),
            "{}",
            tmux.screen()
        );
        let screen = tmux.screen();
        assert!(screen.contains("ints=1"), "{screen}");
        assert_eq!(
            tmux.pane_status(),
            (true, Some(5)),
            "wktui exits with the child's code"
        );
    }
}
