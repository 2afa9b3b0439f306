//! `wktui completions SHELL`: a small script that hands completion back to
//! wktui itself (clap_complete's dynamic completion), so profile names come
//! from the config as it is when Tab is pressed, and the script never goes
//! stale against the binary's commands.

use std::ffi::OsString;
use std::path::PathBuf;

use clap_complete::engine::CompletionCandidate;
use clap_complete::env::Shells;

use super::CliError;
use super::args::CompletionShell;
use crate::config;

/// The variable the scripts set when they ask wktui for completions. Not
/// clap's default `COMPLETE`, which is too common a name to claim.
pub const COMPLETE_ENV: &str = "WKTUI_COMPLETE";

pub fn run(shell: CompletionShell) -> Result<(), CliError> {
    let shells = Shells::builtins();
    let completer = shells
        .completer(shell.name())
        .ok_or_else(|| CliError::usage(format!("no completions for {}", shell.name())))?;
    let mut script = Vec::new();
    completer
        .write_registration(COMPLETE_ENV, "wktui", "wktui", &completer_path(), &mut script)
        .map_err(|e| CliError::runtime(format!("cannot write the completion script: {e}")))?;
    super::print(&String::from_utf8_lossy(&script))
}

/// How the script calls wktui back: as it was called now (`wktui` from PATH,
/// or a path made absolute), as clap_complete does for `WKTUI_COMPLETE=bash wktui`.
fn completer_path() -> String {
    let argv0 = std::env::args_os()
        .next()
        .unwrap_or_else(|| OsString::from("wktui"));
    let path = PathBuf::from(&argv0);
    if path.components().count() > 1 {
        return std::path::absolute(&path)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned();
    }
    argv0.to_string_lossy().into_owned()
}

/// Profile names for a profile argument: those in the config (the one
/// `--config` names on the line being completed, else the default) and the
/// `env` profile when the environment defines it. Any error completes nothing.
pub fn profile_names(current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    names_in(config_on_line().as_deref())
        .into_iter()
        .filter(|n| n.starts_with(prefix.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// The names `profile list --names` prints and completion offers.
pub fn names_in(explicit: Option<&std::path::Path>) -> Vec<String> {
    let Ok(path) = config::resolve_path(explicit) else {
        return Vec::new();
    };
    let mut config = config::load(&path).unwrap_or_default();
    let _ = config::env_profile::add_to(&mut config, |v| std::env::var(v).ok());
    config.profiles.into_iter().map(|p| p.name).collect()
}

/// `--config PATH` or `--config=PATH` among the words being completed.
fn config_on_line() -> Option<PathBuf> {
    let words: Vec<OsString> = std::env::args_os().skip_while(|a| a != "--").collect();
    let mut words = words.iter().map(|w| w.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--config" {
            return words.next().map(|p| PathBuf::from(p.as_ref()));
        }
        if let Some(path) = word.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    None
}
