//! Profile names offered when Tab is pressed on a profile argument. Apart
//! from `completions` so that `args` can name them without a circle
//! (`completions` needs `args` for the shell to complete).

use std::ffi::OsString;
use std::path::PathBuf;

use clap_complete::engine::CompletionCandidate;

use crate::config;

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
