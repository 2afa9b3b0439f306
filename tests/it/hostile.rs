//! A hostile or broken token server, tried as an attacker would: every field
//! of an answer carrying escape sequences or header breaks, answers that are
//! too large or never end, answers that trickle in a byte at a time, and URLs
//! that carry credentials. The real binary must refuse in words a person can
//! act on, within its deadline, with bounded memory, and never print a
//! character that came from the attacker's control set.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{CLIENT_ID, Run, SECRET_VAR, Sandbox, server};
use wktui_test_support::{Fault, TokenServer};

/// Characters that must never reach a terminal from outside.
const FORBIDDEN: [char; 9] = [
    '\x1b', '\x07', '\r', '\u{9b}', '\u{9d}', '\x7f', '\u{202e}', '\u{200b}', '\u{2066}',
];

/// No control or formatting character in anything printed.
#[track_caller]
fn assert_no_control_characters(run: &Run) {
    for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        if let Some(c) = text.chars().find(|c| FORBIDDEN.contains(c)) {
            panic!("{what} carries {c:?}:\n{text:?}");
        }
    }
}

/// Nothing of the attacker's text at all (where wktui refuses without quoting).
#[track_caller]
fn assert_nothing_from_the_attacker(run: &Run) {
    assert_no_control_characters(run);
    for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains("X-Evil"),
            "{what} carries the injected header:\n{text}"
        );
        assert!(
            !text.contains("pwned"),
            "{what} carries the injected text:\n{text}"
        );
    }
}

/// A profile `p` for the server, with the fetch deadline given.
fn sandbox_for(srv: &TokenServer, fetch_timeout: u64) -> Sandbox {
    let sb = Sandbox::new();
    sb.write_config(&format!(
        "[settings]\nfetch_timeout = {fetch_timeout}\n\n[[profile]]\nname = \"p\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n",
        srv.token_url()
    ));
    sb
}

/// Runs the binary and reports, besides its output, its peak memory in KiB
/// (where the kernel accounts for it per child: Unix) and how long it ran.
fn run_measured(sb: &Sandbox, args: &[&str]) -> (Run, Option<u64>, Duration) {
    let started = Instant::now();
    let mut child = sb
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let (mut out, mut err) = (
        child.stdout.take().expect("out"),
        child.stderr.take().expect("err"),
    );
    let readers = [
        std::thread::spawn(move || std::io::read_to_string(&mut out).unwrap_or_default()),
        std::thread::spawn(move || std::io::read_to_string(&mut err).unwrap_or_default()),
    ];
    let (code, peak_kb) = wait_measuring(child);
    let elapsed = started.elapsed();
    let [stdout, stderr] = readers.map(|r| r.join().expect("reader"));
    let run = Run { code, stdout, stderr };
    sb.assert_no_secret_in(&run.stdout, "stdout");
    sb.assert_no_secret_in(&run.stderr, "stderr");
    (run, peak_kb, elapsed)
}

/// Reaps `child` with wait4: its exit code and its peak RSS in KiB.
// The child is reaped by wait4, which clippy does not see.
#[cfg(unix)]
#[allow(clippy::zombie_processes)]
fn wait_measuring(child: std::process::Child) -> (i32, Option<u64>) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet reaped; both pointers are valid.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    let peak = usage.ru_maxrss as u64;
    let peak_kb = if cfg!(target_os = "macos") {
        peak / 1024
    } else {
        peak
    };
    (code, Some(peak_kb))
}

/// Waits for `child`; its peak memory is not measured here.
#[cfg(not(unix))]
fn wait_measuring(mut child: std::process::Child) -> (i32, Option<u64>) {
    let status = child.wait().expect("wait");
    (status.code().unwrap_or(-1), None)
}

/// Memory stayed flat: under 64 MiB at its peak, where that is measured.
#[track_caller]
fn assert_flat_memory(peak_kb: Option<u64>) {
    if let Some(kb) = peak_kb {
        assert!(kb < 64 * 1024, "peak RSS {kb} KiB");
    }
}

fn token_body(access_token: &str, token_type: &str, scope: &str) -> String {
    serde_json::json!({"access_token": access_token, "expires_in": 600, "scope": scope, "token_type": token_type})
        .to_string()
}

fn answer_200(body: String) -> Fault {
    Fault::Status {
        status: 200,
        content_type: "application/json".into(),
        body,
        retry_after: None,
    }
}

#[test]
fn an_access_token_that_is_not_a_bearer_token_is_never_printed() {
    let srv = server();
    let sb = sandbox_for(&srv, 10);
    let hostile = [
        "tok\r\nX-Evil: 1",
        "tok\nX-Evil: 1",
        "tok\x1b]52;c;cHduZWQ=\x07",
        "tok\x1b]0;pwned\x07",
        "tok\x1b[2J",
        "tok\u{9b}2J",
        "tok pwned",
        "tok\u{202e}denwp",
        "tok\u{200b}",
        "t\u{f6}k",
        "tok\"pwned",
    ];
    for token in hostile {
        for format in ["bare", "header", "json"] {
            srv.push_fault(answer_200(token_body(token, "Bearer", "file:read")));
            let run = sb.run(&["token", "p", "--format", format]).fails_with(1);
            assert!(run.stdout.is_empty(), "{token:?} {format}: {}", run.stdout);
            run.says(&["access_token holds a character a bearer token may not contain"]);
            assert_nothing_from_the_attacker(&run);
        }
    }
    let oversized = "a".repeat(17 * 1024);
    srv.push_fault(answer_200(token_body(&oversized, "Bearer", "file:read")));
    sb.run(&["token", "p"])
        .fails_with(1)
        .says(&["longer than 16384 bytes"]);
    // Nothing was cached on the way.
    let list = sb.run(&["list", "--format", "json"]).ok();
    assert!(list.stdout.contains("\"state\":\"none\""), "{}", list.stdout);
}

#[test]
fn token_type_and_scope_with_escapes_are_refused_or_cleaned_before_anyone_sees_them() {
    let srv = server();
    let sb = sandbox_for(&srv, 10);
    srv.push_fault(answer_200(token_body(
        "wk.fine",
        "mac\x1b]0;pwned\x07\u{202e}",
        "file:read",
    )));
    let run = sb.run(&["token", "p"]).fails_with(1);
    run.says(&["not a bearer token"]);
    // The type is quoted (it says what the server sent), cleaned.
    assert_no_control_characters(&run);

    for scope in [
        "file:read\x1b]0;pwned\x07",
        "file:read \u{202e}pwned",
        "a\u{9b}2J",
    ] {
        srv.push_fault(answer_200(token_body("wk.fine", "Bearer", scope)));
        let run = sb.run(&["token", "p"]).fails_with(1);
        run.says(&["scope holds control or invisible formatting characters"]);
        assert_nothing_from_the_attacker(&run);
    }
    // No output mode of list can carry them either: nothing was stored.
    for format in ["table", "plain", "json"] {
        let run = sb.run(&["list", "--format", format]).ok();
        assert_nothing_from_the_attacker(&run);
    }
}

#[test]
fn error_texts_lose_every_control_and_format_character() {
    let srv = server();
    let sb = sandbox_for(&srv, 10);
    srv.push_fault(Fault::IamError {
        status: 401,
        error: "invalid_client\x1b]0;pwned\x07".into(),
        description: "bad\r\nX-Evil: 1 \u{202e}txt.exe \x1b[2J\u{9b}0m\u{200b}".into(),
    });
    let run = sb.run(&["token", "p"]).fails_with(1);
    run.says(&["invalid_client", "bad"]);
    assert!(!run.stderr.contains("X-Evil: 1\n"), "{}", run.stderr);
    assert_no_control_characters(&run);
    srv.push_fault(Fault::Status {
        status: 400,
        content_type: "application/json".into(),
        body: r#"{"code":"400\u001b[2J","message":"no\u202e\u0007"}"#.into(),
        retry_after: None,
    });
    let run = sb.run(&["token", "p"]).fails_with(1);
    assert_no_control_characters(&run);
    srv.push_fault(Fault::Status {
        status: 418,
        content_type: "text/html".into(),
        body: "<h1>\x1b]0;title\x07 teapot \u{202e}</h1>".into(),
        retry_after: None,
    });
    let run = sb.run(&["token", "p"]).fails_with(1);
    run.says(&["HTTP 418"]);
    assert_no_control_characters(&run);
}

#[test]
fn oversized_and_endless_answers_are_cut_off_with_flat_memory() {
    let srv = server();
    let sb = sandbox_for(&srv, 10);
    for fault in [
        Fault::Oversize {
            status: 200,
            bytes: 1 << 30,
        },
        Fault::Endless { status: 200 },
    ] {
        srv.push_fault(fault);
        let (run, max_rss_kb, elapsed) = run_measured(&sb, &["token", "p"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        run.says(&["larger than 64 KiB"]);
        assert_flat_memory(max_rss_kb);
        assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    }
    // Oversized error answers are read only as far as a message needs.
    for _ in 0..3 {
        srv.push_fault(Fault::Oversize {
            status: 500,
            bytes: 1 << 30,
        });
    }
    let (run, max_rss_kb, _) = run_measured(&sb, &["token", "p"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&["HTTP 500"]);
    assert_flat_memory(max_rss_kb);
}

#[test]
fn a_trickling_answer_ends_at_the_deadline_on_every_endpoint() {
    let srv = server();
    let sb = sandbox_for(&srv, 2);
    let trickle = |status: u16| Fault::Trickle {
        status,
        content_type: "application/json".into(),
        body: token_body("wk.slow", "Bearer", "file:read"),
        every: Duration::from_millis(200),
    };
    srv.push_fault(trickle(200));
    let (run, _, elapsed) = run_measured(&sb, &["token", "p"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&["no answer from", "within 2 s"]);
    assert!(elapsed < Duration::from_secs(4), "token ran {elapsed:?}");

    // verify reads its answer within the same kind of deadline, body included.
    sb.run(&["token", "p"]).ok();
    srv.push_permissions_fault(Fault::Trickle {
        status: 401,
        content_type: "application/json".into(),
        body: r#"{"code":"401Unauthorized","message":"The bearer token is missing"}"#.into(),
        every: Duration::from_millis(200),
    });
    let (run, _, elapsed) = run_measured(&sb, &["verify", "p"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&["within 2 s"]);
    assert!(elapsed < Duration::from_secs(4), "verify ran {elapsed:?}");
    // An endless answer to verify ends too, with flat memory.
    srv.push_permissions_fault(Fault::Endless { status: 401 });
    let (run, max_rss_kb, elapsed) = run_measured(&sb, &["verify", "p"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(elapsed < Duration::from_secs(4), "verify ran {elapsed:?}");
    assert_flat_memory(max_rss_kb);
}

#[test]
fn a_url_with_user_and_password_is_refused_without_showing_them() {
    let srv = server();
    let sb = Sandbox::new();
    let url = srv.token_url().replace("http://", "http://admin:hunter2pw@");
    let run = sb
        .run(&[
            "profile",
            "add",
            "p",
            "--client-id",
            CLIENT_ID,
            "--token-url",
            &url,
            "--secret-env",
            SECRET_VAR,
        ])
        .fails_with(2);
    run.says(&["user name or password"]);
    assert!(!run.stderr.contains("hunter2pw"), "{}", run.stderr);
    assert!(!sb.config_path().exists(), "nothing written");

    sb.write_config(&format!(
        "[[profile]]\nname = \"p\"\ntoken_url = \"{url}\"\nclient_id = \"x\"\nsecret_env = \"{SECRET_VAR}\"\n"
    ));
    // The profile is broken, not the file: listed (and warned of), never used.
    for (args, code) in [
        (&["list"][..], 0),
        (&["token", "p"], 2),
        (&["profile", "list"], 0),
    ] {
        let run = sb.run(args).fails_with(code);
        run.says(&["config.toml:3:", "token_url", "user name or password"]);
        assert!(!run.stdout.contains("hunter2pw") && !run.stderr.contains("hunter2pw"));
    }
    assert_eq!(srv.token_requests(), 0);
}

#[cfg(unix)]
#[test]
fn a_config_file_that_others_can_write_is_refused_as_ssh_does() {
    use std::os::unix::fs::PermissionsExt;
    let srv = server();
    let sb = sandbox_for(&srv, 10);
    std::fs::set_permissions(sb.config_path(), std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let run = sb.run(&["token", "p"]).fails_with(2);
    run.says(&["can be changed by other users", "chmod go-w"]);
    assert_eq!(srv.token_requests(), 0, "nothing it says was used");
}

#[cfg(unix)]
#[test]
fn a_cache_dir_that_others_can_enter_is_neither_trusted_nor_changed_and_list_says_so() {
    use std::os::unix::fs::PermissionsExt;
    let srv = server();
    let sb = sandbox_for(&srv, 10);
    let first = sb.run(&["token", "p"]).ok().stdout;
    std::fs::set_permissions(sb.cache_dir(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let run = sb.run(&["list", "--format", "json"]).ok();
    assert!(
        run.stdout.contains("\"state\":\"none\""),
        "not read: {}",
        run.stdout
    );
    run.says(&["cached tokens cannot be read", "wktui doctor"]);
    let again = sb.run(&["token", "p"]).ok().stdout;
    assert_ne!(again, first, "fetched anew instead of reading the cache");
    assert_eq!(srv.token_requests(), 2);
    let mode = std::fs::metadata(sb.cache_dir())
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o777, "never chmod-ed behind the user's back");
}

#[test]
fn control_characters_in_the_config_are_refused_with_the_field() {
    let sb = Sandbox::new();
    sb.write_config(&format!(
        "[[profile]]\nname = \"p\"\nregion = \"us\"\nclient_id = \"id\\u001b]0;pwned\\u0007\"\nsecret_env = \"{SECRET_VAR}\"\n"
    ));
    for (args, code) in [(&["list"][..], 0), (&["token", "p"], 2)] {
        let run = sb.run(args).fails_with(code);
        run.says(&["config.toml:4:", "client_id", "control or invisible"]);
        assert_nothing_from_the_attacker(&run);
    }
}

/// Whether the grandchild lives is read from /proc (Linux).
#[cfg(target_os = "linux")]
#[test]
fn a_secret_command_that_never_ends_is_stopped_with_everything_it_started() {
    let srv = server();
    let sb = Sandbox::new();
    let marker = sb.path().join("grandchild.pid");
    let command = format!("sleep 300 & echo $! > {}; wait", marker.display());
    sb.write_config(&format!(
        "[[profile]]\nname = \"p\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_command = \"{}\"\n",
        srv.token_url(),
        command.replace('\\', "\\\\").replace('"', "\\\"")
    ));
    // The whole 30 s deadline, as a user would meet it (the unit tests use a short one).
    let (run, _, elapsed) = run_measured(&sb, &["token", "p"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&["no answer within 30 s"]);
    assert!(elapsed < Duration::from_secs(40), "{elapsed:?}");
    let pid: i32 = std::fs::read_to_string(&marker)
        .expect("grandchild started")
        .trim()
        .parse()
        .expect("pid");
    let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat.split_whitespace().nth(2) != Some("Z"))
        .unwrap_or(false);
    assert!(
        !alive,
        "the grandchild {pid} outlived the secret command's deadline"
    );
}
