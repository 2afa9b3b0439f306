//! `wktui completions SHELL`: a small script that hands completion back to
//! wktui itself (clap_complete's dynamic completion), so profile names come
//! from the config as it is when Tab is pressed, and the script never goes
//! stale against the binary's commands.

use std::ffi::OsString;
use std::path::PathBuf;

use clap_complete::env::Shells;

use super::CliError;
use super::args::CompletionShell;

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
