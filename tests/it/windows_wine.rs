//! The Windows binary, run for real under Wine: `.ci/wine-tests` builds
//! `wktui.exe` (mingw), prepares a throwaway Wine prefix with one wineserver
//! and runs this file with `WKTUI_WINE_EXE` naming the exe. The tests drive
//! `wine wktui.exe` against the crate's token server on 127.0.0.1, with
//! Wine's Credential Manager as the keyring; the config and the token cache
//! are in the test's own directory (Wine shows Linux's `/` as `Z:\`).
//!
//! What this proves and what it does not: Wine runs the same exe a Windows
//! user runs, through Wine's own implementation of the Win32 calls wktui
//! makes (credentials, files, security descriptors, processes, sockets,
//! console control events). A Windows console, PowerShell and NTFS are not
//! here; docs/platforms.md says what ran where.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::common::{CLIENT_ID, Run, SECRET, SECRET_VAR, Sandbox, oauth_python, python_script, server};
use serde_json::Value;
use wktui_test_support::TokenServer;

/// Names the Windows build of wktui; `.ci/wine-tests` sets it.
const EXE_VAR: &str = "WKTUI_WINE_EXE";

/// A test's own directory, and the Windows binary run in Wine on it.
struct WineSandbox {
    sb: Sandbox,
    exe: PathBuf,
}

/// The sandbox, or `None` (printed) when there is no Windows build to run:
/// only `.ci/wine-tests` sets `WKTUI_WINE_EXE`, so the suite's main run
/// skips these. Once it is set, a missing exe or wine fails the test.
fn wine_sandbox(test: &str) -> Option<WineSandbox> {
    let Some(exe) = std::env::var_os(EXE_VAR).filter(|v| !v.is_empty()) else {
        eprintln!(
            "SKIPPED {test}: {EXE_VAR} is not set; .ci/wine-tests builds wktui.exe and runs these under Wine"
        );
        return None;
    };
    let exe = PathBuf::from(exe);
    assert!(exe.is_file(), "{EXE_VAR}={} is not a file", exe.display());
    if !crate::common::system::tools_present(test, &["wine"]) {
        return None;
    }
    Some(WineSandbox {
        sb: Sandbox::new(),
        exe,
    })
}

/// `profile add NAME` for the test client at `token_url`, its secret read
/// from `$WKTUI_TEST_CLIENT_SECRET`.
fn env_profile_add<'a>(name: &'a str, token_url: &'a str) -> [&'a str; 9] {
    [
        "profile",
        "add",
        name,
        "--client-id",
        CLIENT_ID,
        "--token-url",
        token_url,
        "--secret-env",
        SECRET_VAR,
    ]
}

/// How Windows names a Linux path under Wine (its `Z:` drive is `/`).
fn win_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

impl WineSandbox {
    fn config_path(&self) -> PathBuf {
        self.sb.path().join("config/config.toml")
    }

    fn cache_dir(&self) -> PathBuf {
        self.sb.path().join("cache/wktui")
    }

    /// `wine PROGRAM ARGS` with nothing of the test's environment but what
    /// Wine itself needs, and the config and cache in the sandbox.
    fn wine(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new("wine");
        cmd.arg(program).args(args).env_clear();
        for keep in [
            "PATH",
            "HOME",
            "LANG",
            "TZ",
            "WINEPREFIX",
            "WINESERVER",
            "WINELOADER",
            "WINEDLLOVERRIDES",
        ] {
            if let Some(v) = std::env::var_os(keep) {
                cmd.env(keep, v);
            }
        }
        cmd.env("WINEDEBUG", "-all")
            .env("WKTUI_CONFIG", win_path(&self.config_path()))
            .env("WKTUI_CACHE_DIR", win_path(&self.cache_dir()))
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("RUST_BACKTRACE", "0");
        for (k, v) in &self.sb.env {
            cmd.env(k, v);
        }
        cmd
    }

    fn command(&self, args: &[&str]) -> Command {
        self.wine(&self.exe.to_string_lossy(), args)
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    /// Runs wktui with `stdin` piped in; every output is checked for secrets.
    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.finish(self.command(args), stdin)
    }

    fn finish(&self, command: Command, stdin: &str) -> Run {
        self.sb.finish_with_stdin(command, stdin)
    }

    /// Adds profile `name` for the test client, its secret typed on stdin
    /// into Windows' Credential Manager (never on the command line).
    fn add_keyring_profile(&self, name: &str, srv: &TokenServer, secret: &str) -> Run {
        self.run_with_stdin(
            &[
                "profile",
                "add",
                name,
                "--client-id",
                CLIENT_ID,
                "--token-url",
                &srv.token_url(),
            ],
            &format!("{secret}\r\n"),
        )
    }

    /// Adds profile `name` that reads the secret from `$WKTUI_TEST_CLIENT_SECRET`.
    fn add_env_profile(&self, name: &str, srv: &TokenServer) {
        self.run(&env_profile_add(name, &srv.token_url())).ok();
    }

    /// Nothing under the sandbox, and no log wktui wrote in the Wine prefix,
    /// holds a secret.
    fn assert_no_secret_in_files(&self) {
        self.sb.assert_no_secret_in_files(&[]);
        for log in wine_logs() {
            let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap_or_default()).into_owned();
            self.sb.assert_no_secret_in(&text, &log.display().to_string());
        }
    }
}

/// wktui's logs in the Wine prefix (`%LOCALAPPDATA%\wktui`), shared by all tests.
fn wine_logs() -> Vec<PathBuf> {
    let prefix = std::env::var_os("WINEPREFIX")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".wine")));
    let Some(users) = prefix.map(|p| p.join("drive_c/users")) else {
        return Vec::new();
    };
    crate::common::walk(&users)
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "wktui"))
        .collect()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The token a `token` run printed, one line.
fn token_of(run: &Run) -> String {
    let token = run.stdout.trim().to_owned();
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "not a token: {:?}",
        run.stdout
    );
    token
}

#[test]
fn credential_manager_keeps_the_secret_through_add_set_secret_and_remove() {
    let Some(mut w) = wine_sandbox("credential_manager_keeps_the_secret_through_add_set_secret_and_remove")
    else {
        return;
    };
    // The secret comes from Credential Manager alone, never the environment.
    w.sb.env.retain(|(k, _)| k != SECRET_VAR);
    let wrong = "wk_wrong:Zq9+x%2Fy/not-the-secret";
    w.sb.secrets.push(wrong.into());
    let srv = server();
    // The profile name is unique to this test: the prefix's Credential
    // Manager is shared by every test of the run.
    let name = "wine-keyring";

    w.add_keyring_profile(name, &srv, wrong).ok();
    let config = std::fs::read_to_string(w.config_path()).expect("config written");
    let refused = w.run(&["refresh", name]).fails_with(1);
    assert!(
        refused.stderr.contains("invalid_client") || refused.stderr.contains("refused"),
        "the server's refusal of the wrong secret is shown: {}",
        refused.stderr
    );

    w.run_with_stdin(&["profile", "set-secret", name], &format!("{SECRET}\r\n"))
        .ok();
    let token = token_of(&w.run(&["token", name]).ok());
    assert_eq!(srv.token_requests(), 2, "one refused, one granted");
    let shown = w.run(&["profile", "show", name]).ok();
    assert!(
        shown.stdout.contains(&format!(
            "Windows Credential Manager, service \"wktui\", user \"{name}\""
        )),
        "{}",
        shown.stdout
    );

    w.run(&["profile", "remove", name, "--yes"]).ok();
    assert!(
        !std::fs::read_to_string(w.config_path())
            .unwrap_or_default()
            .contains(name),
        "the profile left the config"
    );
    let cached: Vec<PathBuf> = crate::common::walk(&w.cache_dir());
    assert!(
        cached
            .iter()
            .all(|f| { !String::from_utf8_lossy(&std::fs::read(f).unwrap_or_default()).contains(&token) }),
        "the cached token went with the profile: {cached:?}"
    );
    // The same profile put back by hand: Credential Manager no longer has its secret.
    std::fs::write(w.config_path(), &config).expect("restore the config");
    let gone = w.run(&["token", name]).fails_with(1);
    assert!(
        gone.stderr.contains("set-secret"),
        "says how to store the secret again: {}",
        gone.stderr
    );
    assert_eq!(srv.token_requests(), 2, "nothing was asked without a secret");
    w.assert_no_secret_in_files();
}

#[test]
fn token_list_and_refresh_against_the_local_server() {
    let Some(w) = wine_sandbox("token_list_and_refresh_against_the_local_server") else {
        return;
    };
    let srv = server();
    w.add_env_profile("alpha", &srv);
    w.add_env_profile("beta", &srv);

    let first = token_of(&w.run(&["token", "alpha"]).ok());
    assert_eq!(
        token_of(&w.run(&["token", "alpha"]).ok()),
        first,
        "cached between runs"
    );
    assert_eq!(srv.token_requests(), 1);

    w.run(&["refresh", "--all"]).ok();
    assert_eq!(srv.token_requests(), 3, "both profiles fetched anew");
    let renewed = token_of(&w.run(&["token", "alpha"]).ok());
    assert_ne!(renewed, first, "refresh replaced the cached token");

    let list = json(&w.run(&["list", "--format", "json"]).ok().stdout);
    let rows = list.as_array().expect("a JSON array");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["alpha", "beta"], "{list}");
    for row in rows {
        assert_eq!(row["state"], "valid", "{row}");
    }
    assert_eq!(srv.token_requests(), 3, "list reads the cache only");
    w.assert_no_secret_in_files();
}

/// Runs `script` (a batch file's lines) in Wine's cmd, as a Windows user's script would.
fn run_batch(w: &WineSandbox, name: &str, script: &str) -> Run {
    let path = w.sb.path().join(name);
    std::fs::write(&path, script.replace('\n', "\r\n")).expect("write the batch file");
    w.finish(w.wine("cmd", &["/c", &win_path(&path)]), "")
}

#[test]
fn exec_hands_the_child_its_variables_and_passes_exit_codes_through() {
    let Some(w) = wine_sandbox("exec_hands_the_child_its_variables_and_passes_exit_codes_through") else {
        return;
    };
    let srv = server();
    w.add_env_profile("prod", &srv);
    let token = token_of(&w.run(&["token", "prod"]).ok());

    let set = w.run(&["exec", "prod", "--", "cmd", "/c", "set"]).ok();
    let vars: Vec<(&str, &str)> = set
        .stdout
        .lines()
        .filter_map(|l| l.trim_end_matches('\r').split_once('='))
        .collect();
    let var = |name: &str| {
        vars.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    assert_eq!(var("WORKIVA_TOKEN"), Some(token.as_str()), "{}", set.stdout);
    assert_eq!(var("WORKIVA_PROFILE"), Some("prod"));
    assert_eq!(var("WORKIVA_CLIENT_ID"), Some("prod"));
    assert!(
        var("WORKIVA_TOKEN_URL").is_some_and(|u| u.starts_with("http://127.0.0.1:")),
        "{}",
        set.stdout
    );
    let local_secret = var("WORKIVA_CLIENT_SECRET").expect("a local secret");
    assert_ne!(local_secret, SECRET);
    assert_eq!(
        var(SECRET_VAR),
        None,
        "the real secret's variable is not passed on"
    );

    // A Windows program as the child uses the endpoint: wktui itself, with
    // the `env` profile those variables make.
    let exe = win_path(&w.exe);
    let nested = w
        .run(&["exec", "prod", "--", &exe, "token", "env", "--format", "json"])
        .ok();
    assert_eq!(
        json(&nested.stdout)["access_token"],
        token.as_str(),
        "{}",
        nested.stdout
    );

    // Exit codes as cmd's %ERRORLEVEL% sees them: beyond 255, negative, and
    // the NTSTATUS of a program ended by Ctrl-C.
    let config = win_path(&w.config_path());
    let batch = format!(
        "@echo off\n\
         set WKTUI_CONFIG={config}\n\
         \"{exe}\" exec prod -- cmd /c exit 7\n\
         echo code=%ERRORLEVEL%\n\
         \"{exe}\" exec prod -- cmd /c exit 300\n\
         echo code=%ERRORLEVEL%\n\
         \"{exe}\" exec prod -- cmd /c exit -1073741510\n\
         echo code=%ERRORLEVEL%\n\
         \"{exe}\" exec prod -- cmd /c exit 0\n\
         echo code=%ERRORLEVEL%\n\
         \"{exe}\" exec prod -- wktui-no-such-program\n\
         echo code=%ERRORLEVEL%\n\
         exit /b 0\n"
    );
    let codes = run_batch(&w, "codes.cmd", &batch).ok();
    let seen: Vec<&str> = codes
        .stdout
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("code="))
        .collect();
    assert_eq!(
        seen,
        ["7", "300", "-1073741510", "0", "127"],
        "{}\n{}",
        codes.stdout,
        codes.stderr
    );
    // Through Wine to Linux, only the low byte of a code survives.
    w.run(&["exec", "prod", "--", "cmd", "/c", "exit 42"])
        .fails_with(42);
    assert_eq!(srv.token_requests(), 1, "every exec used the cached token");
    w.assert_no_secret_in_files();
}

/// The Linux pids of the Windows processes of `program` (`ping`: Wine
/// shows `ping ARGS` or `C:\\windows\\system32\\ping.exe ARGS`) whose command
/// line contains `marker`.
fn pids_running(program: &str, marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let is_program = |word: &str| {
        let name = word.rsplit(['\\', '/']).next().unwrap_or(word).to_lowercase();
        name == program || name == format!("{program}.exe")
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            let first = cmdline.split(['\0', ' ']).next().unwrap_or_default();
            is_program(first) && cmdline.contains(marker)
        })
        .collect()
}

#[test]
fn exec_outlives_ctrl_c_and_returns_the_childs_code() {
    let Some(w) = wine_sandbox("exec_outlives_ctrl_c_and_returns_the_childs_code") else {
        return;
    };
    let srv = server();
    w.add_env_profile("prod", &srv);
    // The child: a few seconds of work (ping's pauses), then exit 5. Its
    // address is the marker that finds it among the running processes.
    let marker = "127.0.0.47";
    let mut exec = w
        .command(&[
            "exec",
            "prod",
            "--",
            "cmd",
            "/c",
            &format!("ping -n 4 {marker} >nul & exit 5"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wine wktui exec");
    assert!(
        crate::common::system::wait_for(std::time::Duration::from_secs(30), || !pids_running(
            "ping", marker
        )
        .is_empty()),
        "the child never started"
    );
    // Ctrl-C as Wine delivers SIGINT: a console control event, to wktui.
    let pid = rustix::process::Pid::from_raw(exec.id() as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
    let mut stderr = String::new();
    if let Some(mut pipe) = exec.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let status = exec.wait().expect("wait");
    w.sb.assert_no_secret_in(&stderr, "stderr");
    assert!(
        pids_running("ping", marker).is_empty(),
        "wktui ended while its child still ran"
    );
    assert_eq!(status.code(), Some(5), "the child's code, after Ctrl-C: {stderr}");
}

/// A running `wine wktui.exe serve`, its banner read, its stderr collected.
struct Serving {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_serve(w: &WineSandbox, args: &[&str]) -> Serving {
    let mut child = w
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wine wktui serve");
    let stderr = Arc::new(Mutex::new(String::new()));
    {
        let stderr = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                stderr
                    .lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut banner = String::new();
    let mut url = None;
    while url.is_none() && stdout.read_line(&mut banner).is_ok_and(|n| n > 0) {
        url = banner
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .map(str::to_owned);
    }
    let url =
        url.unwrap_or_else(|| panic!("no URL in the banner: {banner}\n{}", stderr.lock().expect("lock")));
    // The rest of stdout is drained so that serve never blocks on it.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    Serving { child, url, stderr }
}

/// The variables of the credentials file serve wrote (`KEY=value` lines).
fn credentials(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).expect("credentials file");
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn serve_gives_tokens_to_a_real_oauth2_client_and_stops_on_ctrl_c() {
    let Some(w) = wine_sandbox("serve_gives_tokens_to_a_real_oauth2_client_and_stops_on_ctrl_c") else {
        return;
    };
    let Some(python) = oauth_python("serve_gives_tokens_to_a_real_oauth2_client_and_stops_on_ctrl_c") else {
        return;
    };
    let srv = server();
    w.add_env_profile("alpha", &srv);
    let creds = w.sb.path().join("serve.env");
    let mut serving = start_serve(
        &w,
        &[
            "serve",
            "alpha",
            "--listen",
            "127.0.0.1:0",
            "--credentials",
            &win_path(&creds),
        ],
    );

    // The credentials file holds the local secret: the user's alone, as 0600 on Unix.
    assert_eq!(
        mode(&creds) & 0o007,
        0,
        "the credentials file gives Everyone access (mode {:o})",
        mode(&creds)
    );
    let mut env = credentials(&creds);
    let local_secret = env
        .iter()
        .find(|(k, _)| k == "WORKIVA_CLIENT_SECRET")
        .map(|(_, v)| v.clone())
        .expect("a local secret in the credentials file");
    assert_ne!(local_secret, SECRET);
    env.retain(|(k, _)| k != "WORKIVA_TOKEN_URL" && k != "WORKIVA_CLIENT_ID");
    env.push((
        "WORKIVA_TOKEN_URL".into(),
        format!("{}/oauth2/token", serving.url),
    ));
    env.push(("WORKIVA_CLIENT_ID".into(), "alpha".into()));
    env.push(("NO_PROXY".into(), "127.0.0.1".into()));
    let client = |mode: &str, auth: &str| {
        let out = Command::new(&python)
            .arg(python_script("oauth_client.py"))
            .args([mode, auth])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("python");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&stdout)
    };
    let body = client("once", "body");
    let basic = client("once", "basic");
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(
        body["access_token"], basic["access_token"],
        "one cached token for both"
    );
    let wrong = client("wrong", "body");
    assert_eq!(wrong["error"], "invalid_client", "{wrong}");
    assert_eq!(srv.token_requests(), 1);

    // Ctrl-C, as Wine delivers SIGINT: a console control event.
    let pid = rustix::process::Pid::from_raw(serving.child.id() as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
    let status = serving.child.wait().expect("wait");
    let log = serving.stderr.lock().expect("lock").clone();
    w.sb.assert_no_secret_in(&log, "serve's stderr");
    assert!(
        !log.contains(&local_secret),
        "the local secret is not logged: {log}"
    );
    assert!(
        status.code().is_some(),
        "serve ended by itself, not killed: {status:?}\n{log}"
    );
    w.assert_no_secret_in_files();
}

#[test]
fn doctor_checks_windows_in_windows_terms() {
    let Some(w) = wine_sandbox("doctor_checks_windows_in_windows_terms") else {
        return;
    };
    let srv = server();
    w.add_env_profile("alpha", &srv);
    w.run(&["token", "alpha"]).ok();
    let report = w.run(&["doctor"]);
    let text = format!("{}{}", report.stdout, report.stderr);
    assert!(text.contains("Windows Credential Manager"), "{text}");
    assert!(text.contains("only you have access"), "{text}");
    assert!(!text.contains("mode 700"), "no Unix modes on Windows: {text}");
    assert!(!text.contains("chmod"), "no Unix advice on Windows: {text}");
    // Variables as PowerShell writes them, and how to set one there.
    assert!(text.contains(&format!("$env:{SECRET_VAR} is set")), "{text}");
    let mut unset = w.command(&["doctor"]);
    unset.env_remove(SECRET_VAR);
    let missing = w.finish(unset, "");
    let text = format!("{}{}", missing.stdout, missing.stderr);
    assert!(
        text.contains(&format!("$env:{SECRET_VAR} = '...'")) && !text.contains("export "),
        "{text}"
    );
}

#[test]
fn powershell_completion_script_and_its_callback_work() {
    let Some(w) = wine_sandbox("powershell_completion_script_and_its_callback_work") else {
        return;
    };
    let srv = server();
    w.add_env_profile("alpha", &srv);
    w.add_env_profile("albatross", &srv);
    let script = w.run(&["completions", "powershell"]).ok().stdout;
    assert!(
        script.contains("Register-ArgumentCompleter -Native -CommandName wktui"),
        "{script}"
    );
    // The script calls wktui back with WKTUI_COMPLETE=powershell and the
    // words typed so far; this is that call.
    let mut ask = w.command(&["--", "wktui", "token", "al"]);
    ask.env("WKTUI_COMPLETE", "powershell");
    let answer = w.finish(ask, "").ok();
    let mut offered: Vec<&str> = answer
        .stdout
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .map(|l| l.split('\t').next().unwrap_or(l))
        .collect();
    offered.sort();
    assert_eq!(offered, ["albatross", "alpha"], "{}", answer.stdout);
}

/// The Unix permission bits of `path`. Wine projects a file's DACL onto
/// them: an ACE for Everyone is the "other" bits, and back.
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn private_files_get_an_owner_only_acl_and_open_ones_are_refused() {
    let Some(w) = wine_sandbox("private_files_get_an_owner_only_acl_and_open_ones_are_refused") else {
        return;
    };
    let srv = server();
    w.add_env_profile("alpha", &srv);
    let token = token_of(&w.run(&["token", "alpha"]).ok());

    // What wktui made: the cache dir and every file in it, and the config.
    // Made by the test with the default umask, the config's directory shows
    // what Everyone's access looks like.
    assert_eq!(mode(w.config_path().parent().expect("dir")) & 0o007, 0o005);
    let made: Vec<PathBuf> = [w.cache_dir(), w.config_path()]
        .into_iter()
        .chain(crate::common::walk(&w.cache_dir()))
        .collect();
    assert!(made.len() > 2, "{made:?}");
    for path in &made {
        assert_eq!(
            mode(path) & 0o007,
            0,
            "{} gives Everyone access (mode {:o})",
            path.display(),
            mode(path)
        );
    }

    // A config other accounts may change is refused, with the fix.
    chmod(&w.config_path(), 0o666);
    let refused = w.run(&["token", "alpha"]).fails_with(2);
    refused.says(&["can be changed by other accounts", "icacls"]);
    assert!(!refused.stderr.contains("chmod"), "{}", refused.stderr);
    chmod(&w.config_path(), 0o600);

    // A token file others may read is not believed: a new token is fetched.
    let token_files: Vec<PathBuf> = crate::common::walk(&w.cache_dir())
        .into_iter()
        .filter(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap_or_default()).contains(&token))
        .collect();
    assert!(!token_files.is_empty(), "the token is cached");
    for file in &token_files {
        chmod(file, 0o644);
    }
    let fetched = srv.token_requests();
    w.run(&["token", "alpha"]).ok();
    assert_eq!(
        srv.token_requests(),
        fetched + 1,
        "the open token file was not used"
    );

    // A cache directory open to others is refused, and doctor says why.
    chmod(&w.cache_dir(), 0o777);
    let report = w.run(&["doctor"]);
    let text = format!("{}{}", report.stdout, report.stderr);
    let cache_line = text
        .lines()
        .find(|l| l.contains("cache"))
        .unwrap_or_else(|| panic!("no cache line: {text}"));
    assert!(
        cache_line.contains("open to other accounts") && cache_line.contains("icacls"),
        "{text}"
    );
    chmod(&w.cache_dir(), 0o700);
}

/// `wktui exec p -- hello arg` with `hello.cmd` on PATH, as `npm` and `az`
/// are installed on Windows: found through PATHEXT, run by cmd.exe, its
/// exit code passed through; an argument cmd.exe cannot be given safely is
/// refused with words that say so.
#[test]
fn exec_runs_a_cmd_shim_found_on_path() {
    let Some(w) = wine_sandbox("exec_runs_a_cmd_shim_found_on_path") else {
        return;
    };
    let srv = server();
    w.add_env_profile("prod", &srv);
    let bin = w.sb.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::write(
        bin.join("hello.cmd"),
        "@echo off\r\necho hello %~1 from %WORKIVA_PROFILE%\r\nexit /b 3\r\n",
    )
    .expect("hello.cmd");
    // Wine puts WINEPATH in front of the Windows PATH.
    let with_bin = |mut cmd: Command| {
        cmd.env("WINEPATH", win_path(&bin));
        cmd
    };

    let run = w.finish(with_bin(w.command(&["exec", "prod", "--", "hello", "arg"])), "");
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("hello arg from prod"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );

    // doctor finds a secret command's program the same way.
    let mut edit = w.command(&["profile", "edit", "prod", "--secret-command", "hello secret"]);
    edit.env("WINEPATH", win_path(&bin));
    w.finish(edit, "").ok();
    let report = w.finish(with_bin(w.command(&["doctor", "prod"])), "");
    let text = format!("{}{}", report.stdout, report.stderr);
    let secret_line = text
        .lines()
        .find(|l| l.contains("secret") && l.contains("hello"))
        .unwrap_or_else(|| panic!("no secret line: {text}"));
    assert!(
        secret_line.contains("is installed") && !secret_line.contains("not on PATH"),
        "{text}"
    );

    let refused = w.finish(
        with_bin(w.command(&["exec", "prod", "--no-server", "--", "hello", "two\nlines"])),
        "",
    );
    refused
        .fails_with(126)
        .says(&["cannot run `hello`", "batch file", "line break"]);
}

/// The helper that delivers Ctrl-Break as Windows does (`.ci/wine/ctrl_break.c`), built with mingw.
fn ctrl_break_helper(w: &WineSandbox, test: &str) -> Option<PathBuf> {
    if !crate::common::system::tools_present(test, &["x86_64-w64-mingw32-gcc"]) {
        return None;
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/wine/ctrl_break.c");
    let exe = w.sb.path().join("ctrl_break.exe");
    let out = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-O2", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&source)
        .output()
        .expect("mingw gcc");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(exe)
}

#[test]
fn exec_outlives_ctrl_break_and_returns_the_childs_code() {
    let test = "exec_outlives_ctrl_break_and_returns_the_childs_code";
    let Some(w) = wine_sandbox(test) else {
        return;
    };
    let Some(helper) = ctrl_break_helper(&w, test) else {
        return;
    };
    let srv = server();
    w.add_env_profile("prod", &srv);
    // The child sends Ctrl-Break to wktui, survives its own, then exits 5.
    let run = w.run(&["exec", "prod", "--", &win_path(&helper)]);
    assert!(run.stderr.contains("ctrl_break: sent to"), "{}", run.stderr);
    assert_eq!(run.code, 5, "the child's code, after Ctrl-Break: {}", run.stderr);
}

/// Where Windows keeps a user's files, asked of Wine (`C:\users\...`),
/// as a Linux path in the prefix.
fn wine_folder(w: &WineSandbox, variable: &str) -> PathBuf {
    let run = w
        .finish(w.wine("cmd", &["/c", &format!("echo %{variable}%")]), "")
        .ok();
    let windows = run.stdout.trim().to_owned();
    let rest = windows
        .strip_prefix("C:\\")
        .unwrap_or_else(|| panic!("{variable} is not on C: {windows}"));
    let prefix = std::env::var_os("WINEPREFIX")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".wine")))
        .expect("a Wine prefix");
    rest.split('\\')
        .fold(prefix.join("drive_c"), |p, part| p.join(part))
}

/// Without WKTUI_CONFIG and WKTUI_CACHE_DIR: the config under %APPDATA%,
/// the token cache and the log under %LOCALAPPDATA%, where
/// docs/configuration.md says, each with an owner-only ACL.
#[test]
fn default_paths_are_in_appdata_and_localappdata() {
    let Some(w) = wine_sandbox("default_paths_are_in_appdata_and_localappdata") else {
        return;
    };
    let srv = server();
    // The prefix is shared by every test and may outlive the run: a name of its own.
    let name = format!("wine-defaults-{}", std::process::id());
    let defaults = |args: &[&str]| {
        let mut cmd = w.command(args);
        cmd.env_remove("WKTUI_CONFIG").env_remove("WKTUI_CACHE_DIR");
        w.finish(cmd, "")
    };
    defaults(&env_profile_add(&name, &srv.token_url())).ok();
    let token = token_of(&defaults(&["--log-level", "debug", "token", &name]).ok());
    let list = json(&defaults(&["list", "--format", "json"]).ok().stdout);
    assert!(
        list.as_array().is_some_and(|rows| rows
            .iter()
            .any(|r| r["name"] == name.as_str() && r["state"] == "valid")),
        "{list}"
    );

    let config = wine_folder(&w, "APPDATA").join("wktui/config/config.toml");
    let local = wine_folder(&w, "LOCALAPPDATA").join("wktui");
    let cache = local.join("cache/tokens");
    let log = local.join("data/wktui.log");
    let config_text =
        std::fs::read_to_string(&config).unwrap_or_else(|e| panic!("no config at {}: {e}", config.display()));
    assert!(config_text.contains(&name), "{config_text}");
    assert!(
        crate::common::walk(&cache)
            .iter()
            .any(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap_or_default()).contains(&token)),
        "the token is not cached in {}",
        cache.display()
    );
    assert!(log.is_file(), "no log at {}", log.display());
    for path in [&config, &cache, &log] {
        assert_eq!(
            mode(path) & 0o007,
            0,
            "{} gives Everyone access (mode {:o})",
            path.display(),
            mode(path)
        );
    }
    defaults(&["profile", "remove", &name, "--yes"]).ok();
    w.assert_no_secret_in_files();
}

/// Windows' own proxy setting (Internet Options, in the user's registry),
/// set for one test and taken back after it, whatever happens.
struct SystemProxy<'a> {
    w: &'a WineSandbox,
}

const INTERNET_SETTINGS: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings";

impl<'a> SystemProxy<'a> {
    fn set(w: &'a WineSandbox, server: &str) -> SystemProxy<'a> {
        // The guard first: a value set before a failure is taken back too.
        let guard = SystemProxy { w };
        for (value, kind, data) in [
            ("ProxyServer", "REG_SZ", server),
            ("ProxyEnable", "REG_DWORD", "1"),
        ] {
            let args = [
                "add",
                INTERNET_SETTINGS,
                "/v",
                value,
                "/t",
                kind,
                "/d",
                data,
                "/f",
            ];
            w.finish(w.wine("reg", &args), "").ok();
        }
        guard
    }
}

impl Drop for SystemProxy<'_> {
    fn drop(&mut self) {
        for value in ["ProxyEnable", "ProxyServer"] {
            let _ = self
                .w
                .wine("reg", &["delete", INTERNET_SETTINGS, "/v", value, "/f"])
                .output();
        }
    }
}

#[test]
fn https_goes_through_the_proxy_windows_is_set_to_and_loopback_never_does() {
    let Some(w) = wine_sandbox("https_goes_through_the_proxy_windows_is_set_to_and_loopback_never_does")
    else {
        return;
    };
    let srv = server();
    let (proxy_url, proxied) = crate::common::proxy::recording_proxy();
    w.add_env_profile("local", &srv);
    w.run(&env_profile_add(
        "corp",
        "https://wktui-proxy-test.invalid/oauth2/token",
    ))
    .ok();
    let _proxy = SystemProxy::set(&w, proxy_url.trim_start_matches("http://"));

    // No proxy variable is set (not even NO_PROXY, which would also exempt
    // 127.0.0.1): only the system setting can send a request to the proxy,
    // and only wktui's own rule keeps plain http to this machine from it.
    let without_proxy_vars = |args: &[&str]| {
        let mut cmd = w.command(args);
        cmd.env_remove("NO_PROXY");
        w.finish(cmd, "")
    };
    let run = without_proxy_vars(&["token", "corp"]).fails_with(1);
    assert!(!run.stderr.is_empty());
    let lines = proxied.lock().expect("log").clone();
    assert_eq!(
        lines.first().map(String::as_str),
        Some("CONNECT wktui-proxy-test.invalid:443 HTTP/1.1"),
        "the request went through Windows' proxy as a tunnel: {lines:?}"
    );
    // Plain http to this machine carries the secret in clear text: never a proxy.
    without_proxy_vars(&["token", "local"]).ok();
    assert_eq!(srv.token_requests(), 1);
    let after = proxied.lock().expect("log").clone();
    assert_eq!(after, lines, "the proxy saw nothing more");
}
