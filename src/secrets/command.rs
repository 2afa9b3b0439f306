//! A `secret_command`: `/bin/sh -c CMD`, whose standard output is the secret.
//!
//! The command runs in a process group of its own with a deadline that
//! covers everything it starts (a pinentry left waiting is stopped with it),
//! its output is read with a size limit, and its environment leaves out the
//! variables that hold other profiles' client secrets.

use std::io::Read;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use zeroize::{Zeroize, Zeroizing};

use super::SecretError;
use crate::model::text::clean;
use crate::platform::process;

/// A secret command that has not answered by then is stopped, with everything it started.
pub const SECRET_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// No client secret is this long; more output is a mistake (`cat` of a file).
const MAX_SECRET_OUTPUT: u64 = 64 * 1024;
/// Enough of stderr for a message.
const MAX_ERROR_OUTPUT: u64 = 4 * 1024;

/// Variables whose values are client secrets (every profile's `secret_env`,
/// and `WORKIVA_CLIENT_SECRET`): no child process of wktui gets them. Found
/// when the first child starts (`None`: they could not be found).
static HIDDEN_VARIABLES: OnceLock<Option<Vec<String>>> = OnceLock::new();
/// How to find them, until then.
static FIND_HIDDEN: Mutex<Option<FindVariables>> = Mutex::new(None);

type FindVariables = Box<dyn FnOnce() -> Option<Vec<String>> + Send>;

const ALWAYS_HIDDEN: &str = "WORKIVA_CLIENT_SECRET";

/// The variables holding client secrets could not be found (the config file
/// changed since it was read, and no longer loads): no child is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiddenVariablesUnknown;

impl std::fmt::Display for HiddenVariablesUnknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cannot tell which environment variables hold the profiles' client secrets, so no command is started with them: the config file changed while wktui ran and no longer loads; fix it and run wktui again")
    }
}

/// Names the variables that hold client secrets, once, when the config is
/// loaded; `WORKIVA_CLIENT_SECRET` is always among them. `find` runs when
/// the first child is about to start: with 10,000 profiles in the config
/// index the names cost more to read than the one profile a cached
/// `wktui token NAME` reads, and that command starts no child.
pub fn hide_variables_from_children_when_needed(find: impl FnOnce() -> Option<Vec<String>> + Send + 'static) {
    *FIND_HIDDEN.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(find));
}

fn with_always_hidden(mut all: Vec<String>) -> Vec<String> {
    all.push(ALWAYS_HIDDEN.to_owned());
    all.sort();
    all.dedup();
    all
}

/// The variables children must not inherit (see `hide_variables_from_children_when_needed`).
pub fn variables_hidden_from_children() -> Result<Vec<String>, HiddenVariablesUnknown> {
    HIDDEN_VARIABLES
        .get_or_init(|| {
            let find = FIND_HIDDEN.lock().unwrap_or_else(|p| p.into_inner()).take();
            match find {
                Some(find) => find().map(with_always_hidden),
                None => Some(vec![ALWAYS_HIDDEN.to_owned()]),
            }
        })
        .clone()
        .ok_or(HiddenVariablesUnknown)
}

/// Runs the command; its standard output, less one trailing newline, is the secret.
pub(super) fn run(profile: &str, cmd: &str) -> Result<SecretString, SecretError> {
    run_with_limit(profile, cmd, SECRET_COMMAND_TIMEOUT)
}

fn run_with_limit(profile: &str, cmd: &str, limit: Duration) -> Result<SecretString, SecretError> {
    let fail = |reason: String| SecretError::Command {
        profile: profile.to_owned(),
        command: clean(cmd, 200),
        reason,
    };
    let hidden = variables_hidden_from_children().map_err(|unknown| fail(unknown.to_string()))?;
    let mut command = process::shell_command(cmd);
    for name in hidden {
        command.env_remove(name);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    let deadline = Instant::now() + limit;
    // Both pipes drain on threads of their own, so a chatty stderr cannot
    // fill its pipe and stall the command while we wait.
    let stdout = drain(child.stdout.take(), MAX_SECRET_OUTPUT);
    let stderr = drain(child.stderr.take(), MAX_ERROR_OUTPUT);
    let status = wait_until(&mut child, deadline).map_err(|e| fail(e.to_string()))?;
    tracing::debug!(profile = %profile, exit = ?status.map(|s| s.code()), "secret command finished");
    // A process that left the group could still hold a pipe: stop listening soon after.
    let grace = Instant::now() + Duration::from_millis(500);
    let out = Zeroizing::new(collect(stdout, deadline.max(grace)));
    let err = collect(stderr, grace);
    let Some(status) = status else {
        return Err(fail(format!(
            "it gave no answer within {} s and was stopped (does it wait for a passphrase? wktui cannot type one for it)",
            limit.as_secs()
        )));
    };
    if !status.success() {
        return Err(fail(describe_failure(status, &err)));
    }
    let Some(out) = out.as_ref() else {
        return Err(fail(format!(
            "its output is longer than {MAX_SECRET_OUTPUT} bytes"
        )));
    };
    let text = std::str::from_utf8(out).map_err(|_| fail("its output is not UTF-8".into()))?;
    let secret = SecretString::from(text.trim_end_matches(['\r', '\n']).to_owned());
    if secret.expose_secret().is_empty() {
        return Err(fail("it printed nothing".into()));
    }
    Ok(secret)
}

/// "it exited with status 3: <first line of stderr>", the stderr part only
/// when there is one, cleaned of control characters and cut short.
fn describe_failure(status: ExitStatus, stderr: &Option<Vec<u8>>) -> String {
    let how = match status.code() {
        Some(code) => format!("it exited with status {code}"),
        None => "it was killed by a signal".to_owned(),
    };
    let first_line = stderr
        .as_deref()
        .map(String::from_utf8_lossy)
        .and_then(|e| e.lines().map(|l| clean(l, 160)).find(|l| !l.is_empty()));
    match first_line {
        Some(line) => format!("{how}: {line}"),
        None => how,
    }
}

/// Reads a pipe to its end on a thread: at most `limit` bytes are kept (the
/// rest is read and dropped so the writer never blocks); `None` when there was more.
fn drain(pipe: Option<impl Read + Send + 'static>, limit: u64) -> Receiver<Option<Vec<u8>>> {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut overflow = false;
        if let Some(mut pipe) = pipe {
            let _ = (&mut pipe).take(limit).read_to_end(&mut bytes);
            overflow = std::io::copy(&mut pipe, &mut std::io::sink()).unwrap_or(0) > 0;
        }
        if overflow {
            bytes.zeroize();
            let _ = done.send(None);
        } else {
            let _ = done.send(Some(bytes));
        }
    });
    result
}

/// What a drain thread read, waiting no later than `until`.
fn collect(result: Receiver<Option<Vec<u8>>>, until: Instant) -> Option<Vec<u8>> {
    let wait = until.saturating_duration_since(Instant::now());
    match result.recv_timeout(wait) {
        Ok(bytes) => bytes,
        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Some(Vec::new()),
    }
}

/// The exit status, or `None` (and the whole process group stopped) when
/// `deadline` passed first.
fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            process::kill_tree(child);
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_never_answers_is_stopped_with_its_children_in_time() {
        let started = Instant::now();
        let err = run_with_limit("p", "sleep 50; echo x", Duration::from_millis(300))
            .expect_err("stopped")
            .to_string();
        assert!(err.contains("no answer within"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        // A grandchild holding stdout open does not keep us waiting either.
        let started = Instant::now();
        let err =
            run_with_limit("p", "(sleep 50 &) ; sleep 50", Duration::from_millis(300)).expect_err("stopped");
        assert!(started.elapsed() < Duration::from_secs(5), "{err}");
    }

    #[test]
    fn output_is_bounded() {
        let err = run_with_limit(
            "p",
            "head -c 200000 /dev/zero | tr '\\0' a",
            Duration::from_secs(10),
        )
        .expect_err("too long")
        .to_string();
        assert!(err.contains("longer than"), "{err}");
    }

    #[test]
    fn a_failure_says_how_without_a_stray_colon_and_without_control_characters() {
        let err = run_with_limit("p", "exit 1", Duration::from_secs(10))
            .expect_err("fails")
            .to_string();
        assert!(err.ends_with("it exited with status 1"), "{err}");
        let err = run_with_limit(
            "p",
            "printf 'gpg: \\033]0;pwned\\007no key\\n' >&2; exit 2",
            Duration::from_secs(10),
        )
        .expect_err("fails")
        .to_string();
        assert!(err.contains("status 2: gpg:") && err.contains("no key"), "{err}");
        assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
    }

    #[test]
    fn children_do_not_inherit_variables_that_hold_secrets() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe { std::env::set_var("WORKIVA_CLIENT_SECRET", "should-not-leak") };
        let out = run_with_limit(
            "p",
            "printf '%s' \"${WORKIVA_CLIENT_SECRET:-absent}\"",
            Duration::from_secs(10),
        )
        .expect("runs");
        assert_eq!(out.expose_secret(), "absent");
    }

    #[test]
    fn sh_is_bin_sh_not_whatever_is_on_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fake = dir.path().join("sh");
        std::fs::write(&fake, "#!/bin/sh\necho hijacked\n").expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let out = process::shell_command("echo real")
            .env("PATH", dir.path())
            .output()
            .expect("runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "real\n");
    }
}
