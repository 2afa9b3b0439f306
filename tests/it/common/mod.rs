//! Shared test harness: a private home for each test, the real `wktui`
//! binary, and a check that nothing it printed contains a secret.

#![allow(dead_code)]

pub mod proxy;
pub mod system;
pub mod tls;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use wktui_test_support::{ClientGrant, ServerConfig, TokenServer};

/// The environment variable the tests' profiles read their secret from.
pub const SECRET_VAR: &str = "WKTUI_TEST_CLIENT_SECRET";
/// Shaped like a real Workiva secret: colons, plus and percent included.
pub const SECRET: &str = "wk_secret:oa2c:Zq9+x%2Fy/AbCdEf0123456789";
pub const CLIENT_ID: &str = "test-client";

/// A throwaway home: config, cache and XDG dirs all inside one temp dir.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// Extra variables for every command (e.g. a private D-Bus address).
    pub env: Vec<(String, String)>,
    /// Strings that must never appear in anything the binary prints.
    pub secrets: Vec<String>,
}

/// A wktui started by `Sandbox::spawn`, still running.
pub struct Spawned {
    pub child: std::process::Child,
    pub stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Spawned {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The next line it printed, without its line break.
    pub fn read_line(&mut self) -> String {
        use std::io::BufRead;
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read a line");
        line.trim_end().to_owned()
    }

    /// Its stderr, for a reader of its own (a server that logs while it runs).
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }

    /// Waits for it to end; what it printed is checked like every run.
    pub fn finish(mut self, sb: &Sandbox) -> Run {
        use std::io::Read;
        let mut stdout = String::new();
        let _ = self.stdout.read_to_string(&mut stdout);
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        let status = self.child.wait().expect("wait for wktui");
        sb.assert_no_secret_in(&stdout, "stdout");
        sb.assert_no_secret_in(&stderr, "stderr");
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that stderr says each of `needles`, showing it when not.
    #[track_caller]
    pub fn says(&self, needles: &[&str]) -> &Run {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    #[track_caller]
    pub fn fails_with(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "config", "cache", "data", "runtime", "state"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ =
                std::fs::set_permissions(dir.path().join("runtime"), std::fs::Permissions::from_mode(0o700));
        }
        Sandbox {
            dir,
            env: vec![(SECRET_VAR.into(), SECRET.into())],
            secrets: vec![SECRET.into()],
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("config/wktui/config.toml")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.path().join("runtime/wktui")
    }

    /// The log file wktui writes (`$XDG_STATE_HOME/wktui/wktui.log`).
    pub fn log_path(&self) -> PathBuf {
        self.path().join("state/wktui/wktui.log")
    }

    /// Sets (or replaces) a variable for every command.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    pub fn write_config(&self, text: &str) {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write config");
    }

    /// The binary with a clean, private environment: no proxies, no user
    /// config, no user keyring, the sandbox's XDG dirs.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wktui"));
        cmd.args(args).env_clear();
        for keep in ["PATH", "LANG", "TZ"] {
            if let Some(v) = std::env::var_os(keep) {
                cmd.env(keep, v);
            }
        }
        let p = self.path();
        cmd.env("HOME", p.join("home"))
            .env("XDG_CONFIG_HOME", p.join("config"))
            .env("XDG_CACHE_HOME", p.join("cache"))
            .env("XDG_DATA_HOME", p.join("data"))
            .env("XDG_RUNTIME_DIR", p.join("runtime"))
            .env("XDG_STATE_HOME", p.join("state"))
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("RUST_BACKTRACE", "0")
            // A bus that does not exist: no test touches the user's keyring by accident.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", p.join("no-bus").display()),
            );
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// The environment `command` sets, as a list (for programs started through tmux).
    pub fn env_list(&self) -> Vec<(String, String)> {
        self.command(&[])
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_str()?.to_owned(), v?.to_str()?.to_owned())))
            .collect()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.finish_with_stdin(self.command(args), stdin)
    }

    /// `run_with_stdin` with input that need not be UTF-8.
    pub fn run_with_stdin_bytes(&self, args: &[&str], stdin: &[u8]) -> Run {
        self.finish_with_stdin(self.command(args), stdin)
    }

    /// Runs `command` (wktui, or wktui under another program such as
    /// Wine) with `stdin` as its input, checked like every run.
    pub fn finish_with_stdin(&self, mut command: Command, stdin: impl AsRef<[u8]>) -> Run {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wktui");
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin.as_ref());
        }
        let output = child.wait_with_output().expect("wait for wktui");
        self.checked(output)
    }

    /// `wktui ARGS` in the background, for a test that talks to it while it
    /// runs: `stdin` written and closed (or, with `None`, none at all),
    /// stdout and stderr piped. `Spawned::finish` checks what it printed as
    /// every run is checked.
    pub fn spawn(&self, args: &[&str], stdin: Option<&str>) -> Spawned {
        let mut child = self
            .command(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wktui");
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            let _ = input.write_all(text.as_bytes());
        }
        let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        Spawned { child, stdout }
    }

    /// Every run goes through here: the secret must not be in what was printed.
    pub fn checked(&self, output: Output) -> Run {
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        self.assert_no_secret_in(&run.stdout, "stdout");
        self.assert_no_secret_in(&run.stderr, "stderr");
        assert!(!run.stderr.contains("panicked"), "wktui panicked: {}", run.stderr);
        run
    }

    #[track_caller]
    pub fn assert_no_secret_in(&self, text: &str, what: &str) {
        for secret in &self.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what} contains a secret:\n{text}"
            );
        }
    }

    /// No file under the sandbox (config, cache, data dirs) holds a secret.
    #[track_caller]
    pub fn assert_no_secret_in_files(&self, skip: &[&Path]) {
        for file in walk(self.path()) {
            if skip.iter().any(|s| file.starts_with(s)) {
                continue;
            }
            let bytes = std::fs::read(&file).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            self.assert_no_secret_in(&text, &file.display().to_string());
        }
    }

    /// Starts a private keyring for this sandbox and points every command at
    /// it; the environment secret is dropped so secrets come from the keyring.
    pub fn use_keyring(&mut self) -> system::KeyringSession {
        self.env.retain(|(k, _)| k != SECRET_VAR);
        let session = system::KeyringSession::start(&self.path().join("home"), &self.path().join("runtime"));
        self.env
            .push(("DBUS_SESSION_BUS_ADDRESS".into(), session.bus_address.clone()));
        session
    }

    /// Adds a profile whose secret is typed on stdin into the keyring.
    pub fn add_keyring_profile(&self, name: &str, token_url: &str) -> Run {
        self.run_with_stdin(&profile_add_args(name, token_url), &format!("{SECRET}\n"))
            .ok()
    }

    /// Adds a profile whose secret is the output of `command`.
    pub fn add_command_profile(&self, name: &str, token_url: &str, command: &str) -> Run {
        let mut args = profile_add_args(name, token_url);
        args.extend_from_slice(&["--secret-command", command]);
        self.run(&args).ok()
    }

    /// Adds a profile that reads the test secret from the environment.
    pub fn add_profile(&self, name: &str, token_url: &str, extra: &[&str]) -> Run {
        let mut args = profile_add_args(name, token_url);
        args.extend_from_slice(&["--secret-env", SECRET_VAR]);
        args.extend_from_slice(extra);
        self.run(&args).ok()
    }
}

/// `profile add NAME` for the test client at `token_url`.
fn profile_add_args<'a>(name: &'a str, token_url: &'a str) -> Vec<&'a str> {
    vec![
        "profile",
        "add",
        name,
        "--client-id",
        CLIENT_ID,
        "--token-url",
        token_url,
    ]
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => files.extend(walk(&path)),
            Ok(t) if t.is_file() => files.push(path),
            _ => {}
        }
    }
    files
}

/// A token server that knows the test client.
pub fn server() -> TokenServer {
    server_with(ServerConfig::default())
}

pub fn server_with(mut config: ServerConfig) -> TokenServer {
    config.clients.push(ClientGrant::new(CLIENT_ID, SECRET));
    TokenServer::start_in_background(config).expect("start token server")
}

/// Names a Python (in a virtualenv) that has requests-oauthlib; `.ci/run` sets it.
pub const PYTHON_VAR: &str = "WKTUI_TEST_PYTHON";

/// A consumer script of the Python tests.
pub fn python_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

/// A Python interpreter that can import `requests_oauthlib`: `$WKTUI_TEST_PYTHON`,
/// else the virtualenv `.ci/run` makes in `target/python-venv`. When there is
/// none, prints why the test is skipped, or fails it under
/// `WKTUI_REQUIRE_SYSTEM_TESTS=1`.
pub fn oauth_python(test: &str) -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-venv/bin/python");
    let candidates = std::env::var_os(PYTHON_VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .chain([venv]);
    for python in candidates {
        let imports = Command::new(&python)
            .args(["-c", "import requests_oauthlib"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if imports {
            return Some(python);
        }
    }
    let reason = format!(
        "{test}: needs a Python with requests-oauthlib (set {PYTHON_VAR} to it, or run .ci/run, which makes target/python-venv)"
    );
    if std::env::var("WKTUI_REQUIRE_SYSTEM_TESTS").as_deref() == Ok("1") {
        panic!("{reason}; WKTUI_REQUIRE_SYSTEM_TESTS=1 makes this a failure");
    }
    eprintln!("SKIPPED {reason}");
    None
}
