//! The checks that look at this machine only: the config file and its
//! directories, the log, the keyring and each secret, the clipboard, the cache.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::platform::process;

use super::*;

/// What the config checks found.
pub(super) struct ConfigFound {
    pub checks: Vec<Check>,
    pub config: Option<Config>,
    /// wktui refuses to load the file (see the permissions check): what it
    /// says is shown, but it steers nothing, so no host it names is asked.
    pub refused: bool,
}

/// Found, valid, and writable by nobody else.
pub(super) fn config_checks(path: &Path) -> ConfigFound {
    let (checks, config) = config_text_checks(path);
    let permissions = config_permissions(path);
    let refused = permissions.status == Status::Fail;
    let mut checks = checks;
    checks.push(permissions);
    ConfigFound {
        checks,
        config,
        refused,
    }
}

/// Found and valid, read whatever its permissions (they are checked apart).
fn config_text_checks(path: &Path) -> (Vec<Check>, Option<Config>) {
    let mut checks = Vec::new();
    let text = match config::read_text(path) {
        Ok(Some(text)) => text,
        Ok(None) => {
            checks.push(
                Check::new("config", None, Status::Warn, format!("no config file at {}", path.display()))
                    .fix("add a profile: wktui profile add NAME --client-id ID (or set WORKIVA_CLIENT_ID and WORKIVA_CLIENT_SECRET)"),
            );
            return (checks, None);
        }
        Err(e) => {
            checks.push(
                Check::new("config", None, Status::Fail, e.to_string())
                    .fix("make it a readable config file of yours"),
            );
            return (checks, None);
        }
    };
    let config = match config::parse(&text, path) {
        Ok(config) if config.broken.is_empty() => {
            checks.push(Check::new(
                "config",
                None,
                Status::Pass,
                format!(
                    "{} is valid ({} profile{})",
                    path.display(),
                    config.profiles.len(),
                    if config.profiles.len() == 1 { "" } else { "s" }
                ),
            ));
            Some(config)
        }
        // The other profiles are still checked: they work.
        Ok(config) => {
            for broken in &config.broken {
                checks.push(
                    Check::new(
                        "config",
                        broken.name.as_deref(),
                        Status::Fail,
                        format!("{} cannot be used: {}", broken.label(), broken.problem),
                    )
                    .fix("correct it with `wktui config edit` (it is saved only once it loads)"),
                );
            }
            Some(config)
        }
        Err(e) => {
            checks.push(
                Check::new("config", None, Status::Fail, e.to_string())
                    .fix("correct it with `wktui config edit` (it is saved only once it loads)"),
            );
            None
        }
    };
    (checks, config)
}

/// The checks wktui itself makes before it believes the config (see
/// `platform::fs::Kind::Config`), in the words of its refusal.
pub(super) fn config_permissions(path: &Path) -> Check {
    match private::check_trusted(path, private::Kind::Config) {
        Ok(()) => Check::new(
            "permissions",
            None,
            Status::Pass,
            crate::platform::privacy::CHANGED_ONLY_BY_YOU,
        ),
        Err(e) if e.is_not_found() => Check::new("permissions", None, Status::Skip, "no config file"),
        Err(e) => {
            let fix = e.fix();
            Check::new("permissions", None, Status::Fail, e.to_string()).fix(fix)
        }
    }
}

/// The log (`wktui.log`), checked as it is before each write: a file wktui
/// may not append to is skipped silently there, so it is said here.
pub(super) fn log_check(path: Option<PathBuf>) -> Check {
    let Some(path) = path else {
        return Check::new("log", None, Status::Skip, "no state directory for a log");
    };
    match private::check_trusted(&path, private::Kind::Log) {
        Ok(()) => Check::new(
            "log",
            None,
            Status::Pass,
            format!("{} is yours and private", path.display()),
        ),
        Err(e) if e.is_not_found() => Check::new(
            "log",
            None,
            Status::Pass,
            format!(
                "{} does not exist yet; it is {} when there is something to log",
                path.display(),
                crate::platform::privacy::FILE_MADE_PRIVATE
            ),
        ),
        Err(e) => {
            let fix = e.fix();
            Check::new("log", None, Status::Fail, format!("nothing is logged: {e}")).fix(fix)
        }
    }
}

/// Reachable: a lookup of an entry that does not exist gets an answer.
pub(super) async fn keyring_check(secrets: Arc<dyn SecretStore>, needed: bool) -> Check {
    let backend = crate::platform::keyring::BACKEND;
    let probe = blocking(move || secrets.get("wktui-doctor-probe").map(|_| ())).await;
    let (status_if_broken, note) = if needed {
        (Status::Fail, "")
    } else {
        (Status::Warn, " (no profile keeps its secret there)")
    };
    match probe {
        Some(Ok(())) | Some(Err(SecretError::NotFound { .. })) => {
            Check::new("keyring", None, Status::Pass, format!("{backend}: reachable"))
        }
        Some(Err(SecretError::Locked { reason, .. })) => Check::new(
            "keyring",
            None,
            status_if_broken,
            format!("{backend}: locked ({reason}){note}"),
        )
        .fix(crate::platform::keyring::UNLOCK_ADVICE),
        Some(Err(e @ SecretError::NoKeyring { .. })) => Check::new(
            "keyring",
            None,
            status_if_broken,
            format!("{backend}: {}{note}", first_sentence(&e.to_string())),
        )
        .fix(format!(
            "{}, or keep secrets elsewhere: `wktui profile edit NAME --secret-env VAR` or `--secret-command CMD`",
            crate::platform::keyring::START_ADVICE
        )),
        Some(Err(e)) => Check::new("keyring", None, status_if_broken, format!("{backend}: {e}{note}")),
        None => Check::new("keyring", None, Status::Fail, "the keyring check stopped unexpectedly"),
    }
}

/// "no OS keyring is reachable (why)": the part before the advice.
pub(super) fn first_sentence(text: &str) -> &str {
    text.split_once(". ").map_or(text, |(first, _)| first)
}

/// Whether the profile's secret is where it says, without showing it.
pub(super) async fn secret_check(profile: Profile, secrets: Arc<dyn SecretStore>, env: Env) -> Check {
    let name = profile.name.clone();
    let check = |status, detail: String| Check::new("secret", Some(&name), status, detail);
    match &profile.secret_source {
        SecretSource::Keyring | SecretSource::Memory => {
            let who = profile.name.clone();
            match blocking(move || secrets.get(&who).map(|_| ())).await {
                Some(Ok(())) => check(Status::Pass, "stored in the keyring, which is unlocked".into()),
                Some(Err(e @ SecretError::NotFound { .. })) => {
                    check(Status::Fail, e.to_string()).fix(format!("wktui profile set-secret {name}"))
                }
                Some(Err(e @ SecretError::Locked { .. })) => {
                    check(Status::Fail, e.to_string()).fix("unlock the keyring")
                }
                Some(Err(e)) => check(Status::Fail, first_sentence(&e.to_string()).to_owned()).fix(format!(
                    "{}, or keep the secret elsewhere: wktui profile edit {name} --secret-env VAR",
                    crate::platform::keyring::START_ADVICE
                )),
                None => check(Status::Fail, "the keyring check stopped unexpectedly".into()),
            }
        }
        SecretSource::Env(var) => match env(var) {
            Some(v) if !v.is_empty() => check(Status::Pass, format!("{} is set", process::variable(var))),
            _ => check(
                Status::Fail,
                format!("{} is not set (or empty)", process::variable(var)),
            )
            .fix(format!(
                "{} (from your password manager or CI secrets)",
                process::set_variable(var, "...")
            )),
        },
        SecretSource::Command(cmd) => {
            let program = cmd.split_whitespace().next().unwrap_or_default().to_owned();
            if on_path(&program, &env) {
                check(
                    Status::Pass,
                    format!("from the command `{cmd}` ({program} is installed; doctor does not run it)"),
                )
            } else {
                check(
                    Status::Fail,
                    format!("{program}, which the secret command `{cmd}` runs, is not on PATH"),
                )
                .fix(format!(
                    "install {program}, or change the command: wktui profile edit {name} --secret-command CMD"
                ))
            }
        }
    }
}

/// Found as the shell that runs a secret command finds it (PATHEXT too, on Windows).
pub(super) fn on_path(program: &str, env: &Env) -> bool {
    let (path, pathext) = (env("PATH"), env("PATHEXT"));
    process::find_program(
        program.as_ref(),
        path.as_deref().map(OsStr::new),
        pathext.as_deref().map(OsStr::new),
    )
    .is_some()
}

/// Where a copy goes, and whether it can get there.
pub(super) async fn clipboard_check(settings: Settings, env: Env) -> Check {
    match clipboard::choose_method(settings.clipboard, |v| env(v)) {
        Method::System => {
            let display = env("WAYLAND_DISPLAY")
                .filter(|v| !v.is_empty())
                .map(|d| format!("Wayland ({d})"))
                .or_else(|| {
                    env("DISPLAY")
                        .filter(|v| !v.is_empty())
                        .map(|d| format!("X11 ({d})"))
                })
                .unwrap_or_else(|| "the desktop".to_owned());
            match blocking(|| arboard::Clipboard::new().map(drop).map_err(|e| e.to_string())).await {
                Some(Ok(())) => Check::new(
                    "clipboard",
                    None,
                    Status::Pass,
                    format!("{display} clipboard reachable"),
                ),
                Some(Err(e)) => Check::new(
                    "clipboard",
                    None,
                    Status::Fail,
                    format!("{display} clipboard: {e}"),
                )
                .fix("set clipboard = \"osc52\" in [settings] to copy through the terminal"),
                None => Check::new(
                    "clipboard",
                    None,
                    Status::Fail,
                    "the clipboard check stopped unexpectedly",
                ),
            }
        }
        Method::Osc52 => {
            let why = if env("SSH_TTY").is_some_and(|v| !v.is_empty()) {
                "over SSH"
            } else if matches!(settings.clipboard, crate::model::ClipboardMode::Osc52) {
                "as configured"
            } else {
                "no display"
            };
            if env("TMUX").is_none_or(|v| v.is_empty()) {
                return Check::new(
                    "clipboard",
                    None,
                    Status::Pass,
                    format!(
                        "OSC 52 through the terminal ({why}); your terminal must allow it, and wktui cannot clear it later"
                    ),
                );
            }
            tmux_check(why).await
        }
    }
}

/// Inside tmux, OSC 52 arrives only with `set-clipboard on`.
pub(super) async fn tmux_check(why: &'static str) -> Check {
    let out = tokio::process::Command::new("tmux")
        .args(["show", "-gv", "set-clipboard"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await;
    let value = match out {
        Ok(o) if o.status.success() => clean(String::from_utf8_lossy(&o.stdout).trim(), 40),
        _ => {
            return Check::new(
                "clipboard",
                None,
                Status::Warn,
                format!("OSC 52 through tmux ({why}), whose set-clipboard could not be read"),
            )
            .fix("tmux set -g set-clipboard on");
        }
    };
    if value == "on" {
        Check::new(
            "clipboard",
            None,
            Status::Pass,
            format!("OSC 52 through tmux ({why}), which passes it on (set-clipboard on)"),
        )
    } else {
        Check::new(
            "clipboard",
            None,
            Status::Fail,
            format!("OSC 52 through tmux ({why}), whose set-clipboard is {value}: copies never arrive"),
        )
        .fix("tmux set -g set-clipboard on (and add it to ~/.tmux.conf)")
    }
}

/// The token cache directory: ours, and closed to everyone else.
pub(super) fn cache_check(cache: &TokenCache) -> Check {
    let dir = cache.dir();
    if let Some(problem) = cache.problem() {
        return Check::new("cache", None, Status::Fail, problem).fix(format!(
            "set WKTUI_CACHE_DIR to {} (or fix the one named)",
            crate::platform::privacy::OWN_DIRECTORY
        ));
    }
    if !dir.exists() {
        return Check::new(
            "cache",
            None,
            Status::Pass,
            format!(
                "{} does not exist yet; {}",
                dir.display(),
                crate::platform::privacy::MADE_ON_FIRST_USE
            ),
        );
    }
    Check::new(
        "cache",
        None,
        Status::Pass,
        format!(
            "{} is yours and {}",
            dir.display(),
            crate::platform::privacy::PRIVATE
        ),
    )
}
