//! Every command and the interface's main flow, run with known secrets, then
//! everything they produced searched for them: stdout, stderr, the screen,
//! every file under the sandbox (config, cache, data; tokens only where a
//! token is meant to be), and the environment and argv of every child wktui
//! started (a secret command, the clipboard helper).

// Reads every child's argv and environment through /proc (Linux).
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::system::{KEYRING_TOOLS, Tmux, X_TOOLS, XvfbSession, tools_present, wait_for};
use crate::common::{SECRET, SECRET_VAR, Sandbox, server, walk};

/// The secret a secret command prints: a second client of the test server.
const COMMAND_SECRET: &str = "wk_secret:oa2c:from-a-command-0451";
const COMMAND_CLIENT: &str = "command-client";

/// `/proc/PID/environ` and `cmdline` of every process whose argv mentions `needle`.
fn children_matching(needle: &str) -> Vec<(u32, String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            found.push((
                pid,
                cmdline,
                String::from_utf8_lossy(&environ).replace('\0', "\n"),
            ));
        }
    }
    found
}

fn tokens_in(dir: &Path) -> Vec<String> {
    walk(dir)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
        .filter_map(|f| {
            let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f).ok()?).ok()?;
            v["access_token"].as_str().map(str::to_owned)
        })
        .collect()
}

#[test]
fn no_secret_or_token_shows_up_where_it_does_not_belong() {
    if !tools_present("leak test", &KEYRING_TOOLS)
        || !tools_present("leak test", &X_TOOLS)
        || !tools_present("leak test", &["tmux"])
    {
        return;
    }
    let mut sb = Sandbox::new();
    let _keyring = sb.use_keyring();
    let x = XvfbSession::start();
    sb.env.push(("DISPLAY".into(), x.display.clone()));
    // The environment variable of an env profile holds a secret too.
    sb.env.push((SECRET_VAR.into(), SECRET.into()));
    // Everything logged, at the most detailed level.
    sb.set_env("WKTUI_LOG", "trace");
    sb.secrets.push(COMMAND_SECRET.into());
    let srv = server();
    srv.add_client(wktui_test_support::ClientGrant::new(
        COMMAND_CLIENT,
        COMMAND_SECRET,
    ));

    // The secret command records what it was given, then prints its secret.
    let record = sb.path().join("command-saw");
    let script = sb.path().join("print-secret.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n{{ echo \"argv: $0 $*\"; env; }} > {}\nprintf '%s\\n' '{COMMAND_SECRET}'\n",
            record.display()
        ),
    )
    .expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).expect("chmod");

    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut keep = |what: &str, run: crate::common::Run| {
        outputs.push((format!("{what} stdout"), run.stdout.clone()));
        outputs.push((format!("{what} stderr"), run.stderr.clone()));
        run
    };
    keep("add kr", sb.add_keyring_profile("kr", &srv.token_url()));
    keep(
        "add env",
        sb.add_profile("env", &srv.token_url(), &["--scope", "file:read"]),
    );
    keep(
        "add cmd",
        sb.run(&[
            "profile",
            "add",
            "cmd",
            "--client-id",
            COMMAND_CLIENT,
            "--token-url",
            &srv.token_url(),
            "--secret-command",
            script.to_str().expect("utf-8"),
        ])
        .ok(),
    );
    for format in ["table", "plain", "json"] {
        keep(
            "profile list",
            sb.run(&["profile", "list", "--format", format]).ok(),
        );
    }
    let mut printed_tokens = Vec::new();
    for name in ["kr", "env", "cmd"] {
        for format in ["bare", "header", "json"] {
            let run = keep("token", sb.run(&["token", name, "--format", format]).ok());
            if format == "bare" {
                printed_tokens.push(run.stdout.trim().to_owned());
            }
        }
    }
    for format in ["table", "plain", "json"] {
        keep("list", sb.run(&["list", "--format", format]).ok());
    }
    keep("refresh", sb.run(&["refresh", "--all"]).ok());
    keep("verify", sb.run(&["verify", "kr"]).ok());
    for format in ["text", "json"] {
        keep(
            "profile show",
            sb.run(&["profile", "show", "kr", "--format", format]).ok(),
        );
    }
    // doctor may find something to fix here (exit 1); what it prints is what counts.
    keep("doctor", sb.run(&["doctor"]));
    keep("config path", sb.run(&["config", "path"]).ok());
    let env_lines = keep("env", sb.run(&["env", "kr"]).ok());
    printed_tokens.extend(
        env_lines
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix("export WORKIVA_TOKEN="))
            .map(|t| t.trim_matches(['\'', '"']).to_owned()),
    );
    keep("copy", sb.run(&["copy", "kr"]).ok());
    let helpers = children_matching("__clipboard-serve");
    assert!(!helpers.is_empty(), "the clipboard helper is running");
    let copied = x.clipboard().expect("copied");

    // The interface: refresh, copy, quit.
    let exe = env!("CARGO_BIN_EXE_wktui");
    let tmux = Tmux::start(120, 30, &[exe], &sb.env_list());
    assert!(tmux.wait_for_text("kr", Duration::from_secs(10)).0);
    tmux.keys(&["r"]);
    assert!(tmux.wait_for_text("refreshed", Duration::from_secs(10)).0);
    tmux.keys(&["c"]);
    assert!(tmux.wait_for_text("copied", Duration::from_secs(10)).0);
    let screen = tmux.screen();
    tmux.keys(&["q"]);
    keep(
        "the interface",
        crate::common::Run {
            code: 0,
            stdout: screen,
            stderr: String::new(),
        },
    );
    let helpers_after_tui = children_matching("__clipboard-serve");

    // A child under exec: it gets a token and local credentials, never a client secret.
    let child_saw = sb.path().join("exec-child-saw");
    keep(
        "exec",
        sb.run(&[
            "exec",
            "env",
            "--",
            "sh",
            "-c",
            &format!("{{ env; cat /proc/$$/cmdline; }} > {}", child_saw.display()),
        ])
        .ok(),
    );
    keep(
        "set-secret",
        sb.run_with_stdin(&["profile", "set-secret", "kr"], &format!("{SECRET}\n"))
            .ok(),
    );
    keep("remove", sb.run(&["profile", "remove", "env", "--yes"]).ok());

    // Every token wktui handed out or cached.
    let cache = sb.cache_dir();
    let mut tokens = tokens_in(&cache);
    tokens.extend(printed_tokens);
    // The token exec handed its child (meant to be in that child's environment only).
    let exec_saw = std::fs::read_to_string(&child_saw).expect("the exec child ran");
    tokens.extend(
        exec_saw
            .lines()
            .filter_map(|l| l.strip_prefix("WORKIVA_TOKEN="))
            .map(str::to_owned),
    );
    tokens.push(copied.trim().to_owned());
    tokens.retain(|t| t.starts_with("wk."));
    tokens.sort();
    tokens.dedup();
    assert!(tokens.len() >= 3, "{tokens:?}");

    let secrets = [SECRET, COMMAND_SECRET];
    let token_may_be = |what: &str| what == "token stdout" || what == "env stdout";
    for (what, text) in &outputs {
        for secret in secrets {
            assert!(!text.contains(secret), "{what} holds a client secret:\n{text}");
        }
        if !token_may_be(what) {
            for token in &tokens {
                assert!(!text.contains(token.as_str()), "{what} holds a token:\n{text}");
            }
        }
    }
    let keyrings: PathBuf = sb.path().join("home/.local/share/keyrings");
    for file in walk(sb.path()) {
        if file.starts_with(&keyrings) || file == record || file == script || file == child_saw {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
        for secret in secrets {
            assert!(!text.contains(secret), "{} holds a client secret", file.display());
        }
        if !file.starts_with(&cache) {
            for token in &tokens {
                assert!(!text.contains(token.as_str()), "{} holds a token", file.display());
            }
        }
    }
    // The exec child: no client secret in its environment or argv.
    for secret in secrets {
        assert!(
            !exec_saw.contains(secret),
            "the exec child saw a client secret:\n{exec_saw}"
        );
    }
    assert!(exec_saw.contains("WORKIVA_TOKEN="), "{exec_saw}");
    // The log, written at trace level by all of the above, holds neither.
    let log = std::fs::read_to_string(sb.log_path()).expect("a log was written");
    assert!(
        log.contains("token request") && log.contains("cache hit"),
        "{log}"
    );
    for secret in secrets.iter().copied().chain(tokens.iter().map(String::as_str)) {
        assert!(!log.contains(secret), "the log holds a secret or token");
    }
    // The secret command saw no other profile's secret, and its argv is its own.
    let saw = std::fs::read_to_string(&record).expect("the command ran");
    assert!(
        !saw.contains(SECRET),
        "the secret command inherited a secret:\n{saw}"
    );
    assert!(!saw.contains(SECRET_VAR), "{saw}");
    // The clipboard helpers (from the CLI and from the interface) hold the
    // token in memory only: not in argv, not in their environment, which is
    // only the display's.
    for (pid, cmdline, environ) in helpers.iter().chain(&helpers_after_tui) {
        for secret in secrets.iter().copied().chain(tokens.iter().map(String::as_str)) {
            assert!(!cmdline.contains(secret), "helper {pid} argv: {cmdline}");
            assert!(
                !environ.contains(secret),
                "helper {pid} environment holds a secret"
            );
        }
        assert!(
            !environ.contains(SECRET_VAR),
            "helper {pid} environment:\n{environ}"
        );
        assert!(
            !environ.contains("DBUS_SESSION_BUS_ADDRESS"),
            "helper {pid} environment:\n{environ}"
        );
    }
    // Tidy: the helpers end when the clipboard changes.
    x.copy_from_elsewhere("done");
    assert!(wait_for(Duration::from_secs(5), || children_matching(
        "__clipboard-serve"
    )
    .iter()
    .all(|(pid, ..)| !helpers.iter().any(|(p, ..)| p == pid))));
}
