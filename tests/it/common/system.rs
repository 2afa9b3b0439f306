//! Real system services the suite starts for itself: a private D-Bus session
//! with an unlocked gnome-keyring. Absent tools skip the test with a printed
//! reason, unless WKTUI_REQUIRE_SYSTEM_TESTS=1 (CI), where they fail it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// True when every tool is on PATH. Otherwise prints why the test is skipped,
/// or panics when system tests are required.
pub fn tools_present(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let reason = format!("{test}: needs {} (not installed)", missing.join(", "));
    if std::env::var("WKTUI_REQUIRE_SYSTEM_TESTS").as_deref() == Ok("1") {
        panic!("{reason}; WKTUI_REQUIRE_SYSTEM_TESTS=1 makes this a failure");
    }
    eprintln!("SKIPPED {reason}");
    false
}

pub fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false)
}

/// Waits until `check` holds, up to `timeout`.
pub fn wait_for(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

/// A private session bus and a gnome-keyring serving the Secret Service on it.
pub struct KeyringSession {
    pub bus_address: String,
    dbus: Child,
    keyring: Child,
}

pub const KEYRING_TOOLS: [&str; 4] = ["dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool"];

impl KeyringSession {
    /// Starts both daemons with `home` as HOME, so the user's keyring is never touched.
    pub fn start(home: &Path, runtime_dir: &Path) -> KeyringSession {
        let socket = runtime_dir.join("test-bus");
        let mut dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut line = String::new();
        BufReader::new(dbus.stdout.take().expect("dbus stdout"))
            .read_line(&mut line)
            .expect("read bus address");
        let bus_address = line.trim().to_owned();
        assert!(
            bus_address.starts_with("unix:"),
            "dbus-daemon printed {bus_address:?}"
        );

        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_RUNTIME_DIR", runtime_dir)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus_address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        {
            use std::io::Write;
            let mut stdin = keyring.stdin.take().expect("keyring stdin");
            stdin
                .write_all(b"throwaway-unlock-password")
                .expect("unlock password");
        }
        let session = KeyringSession {
            bus_address,
            dbus,
            keyring,
        };
        let ready = wait_for(Duration::from_secs(10), || session.secret_service_is_up());
        assert!(
            ready,
            "gnome-keyring did not take the Secret Service name on the private bus"
        );
        session
    }

    fn secret_service_is_up(&self) -> bool {
        Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false)
    }

    /// What `secret-tool` (another process, another library) finds for a profile.
    pub fn lookup(&self, profile: &str) -> Option<String> {
        let out = Command::new("secret-tool")
            .args(["lookup", "service", "wktui", "username", profile])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .output()
            .expect("run secret-tool");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
    }
}

/// An X server of the test's own, for a real clipboard.
pub struct XvfbSession {
    pub display: String,
    xvfb: Child,
}

pub const X_TOOLS: [&str; 2] = ["Xvfb", "xclip"];

impl XvfbSession {
    pub fn start() -> XvfbSession {
        for _ in 0..20 {
            let n = 200 + fastrand::u32(..3000);
            if Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let mut xvfb = Command::new("Xvfb")
                .arg(format!(":{n}"))
                .args(["-screen", "0", "640x480x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb");
            let socket = format!("/tmp/.X11-unix/X{n}");
            if wait_for(Duration::from_secs(10), || {
                Path::new(&socket).exists() || matches!(xvfb.try_wait(), Ok(Some(_)))
            }) && matches!(xvfb.try_wait(), Ok(None))
            {
                return XvfbSession {
                    display: format!(":{n}"),
                    xvfb,
                };
            }
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
        panic!("could not start Xvfb on a free display");
    }

    /// The clipboard as another process (xclip) reads it; `None` when empty.
    pub fn clipboard(&self) -> Option<String> {
        let out = Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.display)
            .stderr(Stdio::null())
            .output()
            .expect("run xclip");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The formats the clipboard's owner offers (a password hint among them).
    pub fn clipboard_targets(&self) -> String {
        let out = Command::new("xclip")
            .args(["-o", "-selection", "clipboard", "-t", "TARGETS"])
            .env("DISPLAY", &self.display)
            .stderr(Stdio::null())
            .output()
            .expect("run xclip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Copies `text` as another application would.
    pub fn copy_from_elsewhere(&self, text: &str) {
        use std::io::Write;
        let mut child = Command::new("xclip")
            .args(["-i", "-selection", "clipboard"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run xclip -i");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
        let _ = child.wait();
    }
}

impl Drop for XvfbSession {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// A private tmux server, killed on drop. Its socket lives in a temporary
/// directory of its own (not tmux's shared one, where `kill-server` leaves
/// the socket file behind), removed on drop too.
pub struct Tmux {
    pub socket: String,
    /// Where the pane's command leaves its exit status.
    status_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// Runs the command (`"$@"`) and writes its exit status, as a shell's `$?`
/// says it (128 + the signal for one that killed it), to the file `$0`.
/// tmux's own `#{pane_dead_status}` can be read empty after the pane is
/// already dead (3.3a marks it dead when the terminal closes, before the
/// process is reaped) and is empty for a signal's death. The trap is not an
/// ignore: the command gets Ctrl-C with the default action, as under a shell,
/// and this shell lives on to write the status.
const RECORD_STATUS: &str = r#"trap : INT; "$@"; status=$?; echo "$status" > "$0""#;

impl Tmux {
    /// Starts a detached session running `command` with exactly `env`.
    pub fn start(width: u16, height: u16, command: &[&str], env: &[(String, String)]) -> Tmux {
        let dir = tempfile::Builder::new()
            .prefix("wktui-tmux-")
            .tempdir()
            .expect("a directory for the tmux socket");
        let socket = dir.path().join("socket").to_string_lossy().into_owned();
        let status_file = dir.path().join("pane-status");
        let tmux = Tmux {
            socket,
            status_file,
            _dir: dir,
        };
        let mut cmd = Command::new("tmux");
        cmd.env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        let status = cmd
            .args([
                "-S",
                &tmux.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "t",
            ])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["sh", "-c", RECORD_STATUS])
            .arg(&tmux.status_file)
            .args(command)
            .status()
            .expect("start tmux");
        assert!(status.success(), "tmux new-session failed");
        tmux.run(&["set", "-g", "remain-on-exit", "on"]);
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-S", &self.socket])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Waits until the screen shows `text`; returns the screen either way.
    pub fn wait_for_text(&self, text: &str, timeout: Duration) -> (bool, String) {
        let mut screen = String::new();
        let found = wait_for(timeout, || {
            screen = self.screen();
            screen.contains(text)
        });
        (found, screen)
    }

    /// The pid of the pane's program, the command `start` was given. tmux's
    /// `#{pane_pid}` is the shell that records its status, its parent.
    pub fn program_pid(&self) -> u32 {
        let recorder = self.run(&["display", "-p", "-t", "t", "#{pane_pid}"]);
        let children = Command::new("ps")
            .args(["-o", "pid=", "--ppid", recorder.trim()])
            .output()
            .expect("run ps");
        let pids = String::from_utf8_lossy(&children.stdout);
        pids.trim()
            .parse()
            .unwrap_or_else(|_| panic!("one program under the pane's shell {recorder}: {pids:?}"))
    }

    /// `(dead, exit status)` of the pane's program; the status as a shell's
    /// `$?` gives it (130 after SIGINT, 143 after SIGTERM). Written before
    /// the pane dies, so a dead pane has it.
    pub fn pane_status(&self) -> (bool, Option<i32>) {
        let out = self.run(&["display", "-p", "-t", "t", "#{pane_dead}"]);
        let dead = out.trim() == "1";
        let status = std::fs::read_to_string(&self.status_file)
            .ok()
            .and_then(|text| text.trim().parse().ok());
        (dead, status)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-S", &self.socket, "kill-server"])
            .output();
        // The directory (and the socket in it) goes when `_dir` drops.
    }
}

/// The account that plays another local user in the boundary tests.
#[cfg(target_os = "linux")]
pub const ATTACKER: &str = "wktui-attacker";

/// The uid of [`ATTACKER`], creating the account when needed; `None`
/// (skipped, saying why) when not root or when `tools` are missing, and a
/// failure instead under `WKTUI_REQUIRE_SYSTEM_TESTS=1`.
#[cfg(target_os = "linux")]
pub fn second_user(what: &str, tools: &[&str]) -> Option<u32> {
    if !rustix::process::geteuid().is_root() {
        let reason = format!("{what}: need root to act as a second user");
        if std::env::var("WKTUI_REQUIRE_SYSTEM_TESTS").as_deref() == Ok("1") {
            panic!("{reason}; WKTUI_REQUIRE_SYSTEM_TESTS=1 makes this a failure");
        }
        eprintln!("SKIPPED {reason}");
        return None;
    }
    let mut needed = vec!["useradd", "id"];
    needed.extend_from_slice(tools);
    if !tools_present(what, &needed) {
        return None;
    }
    let _ = Command::new("useradd")
        .args(["--no-create-home", "--shell", "/usr/sbin/nologin", ATTACKER])
        .output();
    let out = Command::new("id").args(["-u", ATTACKER]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}
