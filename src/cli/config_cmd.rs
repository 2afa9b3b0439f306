//! `wktui config path` and `wktui config edit`.
//!
//! `edit` opens the user's editor on a private copy, validates what was
//! saved, and shows the error at the top of the copy until it loads (or the
//! user gives up, when the copy is kept). The real file is replaced only by a
//! valid text, atomically, under the config edit lock, and only if nobody
//! changed it while the editor was open.

use std::path::{Path, PathBuf};

use super::args::ConfigCommand;
use super::{CliError, print};
use crate::config::{self, ConfigError};
use crate::platform::fs::{Durability, write_atomically};

/// Starts each line of the note wktui puts at the top of an invalid copy.
const NOTE_MARK: &str = "# wktui: ";
/// The note is always this many lines, so line numbers in it are exact.
const NOTE_LINES: usize = 3;

/// What a new config file starts as.
const TEMPLATE: &str = "\
# wktui profiles: one [[profile]] per Workiva API grant; every field is
# described in assets/config.example.toml. Client secrets never go here.
#
# [[profile]]
# name = \"prod\"
# region = \"us\"
# client_id = \"YOUR_CLIENT_ID\"
# scope = \"file:read file:write\"
";

pub fn run(explicit: Option<&Path>, cmd: &ConfigCommand, quiet: bool) -> Result<(), CliError> {
    let path = config::resolve_path(explicit)?;
    match cmd {
        ConfigCommand::Path => print(&format!("{}\n", path.display())),
        ConfigCommand::Edit => {
            let outcome = edit(&path)?;
            if !quiet {
                print(&outcome)?;
            }
            Ok(())
        }
    }
}

/// The editor: `$VISUAL`, else `$EDITOR`, else the platform's plain one.
fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| if cfg!(windows) { "notepad" } else { "vi" }.to_owned())
}

/// Runs the editor on `file` and waits.
fn run_editor(editor: &str, file: &Path) -> Result<(), CliError> {
    let status = crate::platform::process::editor_command(editor, file).status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(CliError::runtime(format!(
            "the editor ({editor}) exited with {s}; nothing was saved"
        ))),
        Err(e) => Err(CliError::runtime(format!(
            "cannot start the editor ({editor}): {e}; set $VISUAL or $EDITOR"
        ))),
    }
}

/// The editing session; returns what to tell the user.
fn edit(path: &Path) -> Result<String, CliError> {
    // Read as loading reads it: a link or file that loading would refuse
    // is refused here too, so it is never written through.
    let original = config::read_trusted_text(path)?;
    let start = original.as_deref().unwrap_or(TEMPLATE).to_owned();
    // A private copy (0600, in the temp dir), removed unless we keep it for the user.
    let copy = tempfile::Builder::new()
        .prefix("wktui-config-")
        .suffix(".toml")
        .tempfile()
        .map_err(|e| CliError::runtime(format!("cannot make a copy to edit: {e}")))?;
    write(copy.path(), &start)?;
    let editor = editor();
    let mut last_invalid: Option<String> = None;
    loop {
        run_editor(&editor, copy.path())?;
        // The copy will steer wktui once saved: it is trusted as a config is.
        let shown = config::read_trusted_text(copy.path())?.ok_or_else(|| {
            CliError::runtime("the edited copy is gone (did the editor remove it?); nothing was saved")
        })?;
        let text = without_note(&shown);
        if text == start {
            return Ok(format!("No changes; {} is as it was.\n", path.display()));
        }
        match config::parse_whole(&text, path) {
            Ok(_) => return save(path, original.as_deref(), &text, copy),
            Err(e) if last_invalid.as_deref() == Some(text.as_str()) => {
                // Saved again without a change: the user gives up. Keep the work.
                let kept = keep(copy)?;
                return Err(CliError::usage(format!(
                    "not saved: {}; your edit is kept in {}",
                    one_line(&e),
                    kept.display()
                )));
            }
            Err(e) => {
                write(copy.path(), &format!("{}{text}", note(&e)))?;
                last_invalid = Some(text);
            }
        }
    }
}

/// Replaces the file with `text` under the edit lock, if it still holds
/// what the editor was opened on.
fn save(
    path: &Path,
    original: Option<&str>,
    text: &str,
    copy: tempfile::NamedTempFile,
) -> Result<String, CliError> {
    // The lock alone: this is also the way to fix a file that does not load.
    // It resolves the file to write as loading does: a link only if trusted.
    let lock = match config::lock(path) {
        Ok(lock) => lock,
        Err(e) => {
            let kept = keep(copy)?;
            return Err(CliError::from(e).with_kept(&kept));
        }
    };
    let target = lock.path().to_path_buf();
    let now = config::read_trusted_text(&target).ok().flatten();
    if now.as_deref() != original {
        let kept = keep(copy)?;
        return Err(CliError::runtime(format!(
            "{} was changed by another program while the editor was open; nothing was saved",
            path.display()
        ))
        .with_kept(&kept));
    }
    write_atomically(&target, text.as_bytes(), Durability::Synced).map_err(|source| {
        CliError::from(ConfigError::Write {
            path: target.clone(),
            source,
        })
    })?;
    drop(lock);
    tracing::debug!(path = %target.display(), "config replaced by config edit");
    Ok(format!("Saved {}.\n", path.display()))
}

impl CliError {
    fn with_kept(mut self, kept: &Path) -> Self {
        self.hint = Some(format!("your edit is kept in {}", kept.display()));
        self
    }
}

/// The note put on top of an invalid copy: always `NOTE_LINES` lines.
fn note(e: &ConfigError) -> String {
    let what = match e {
        ConfigError::Invalid {
            location,
            field,
            message,
            ..
        } => format!(
            "line {}, column {}: {}{}",
            location.line + NOTE_LINES,
            location.column,
            field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default(),
            message
        ),
        other => other.to_string(),
    };
    format!(
        "{NOTE_MARK}NOT SAVED, {}\n{NOTE_MARK}fix it and save to try again, or save without a change to give up (your edit is kept)\n{NOTE_MARK}these {NOTE_LINES} lines are removed when the file is saved\n",
        one_line_str(&what)
    )
}

/// The text without wktui's note at the top.
fn without_note(text: &str) -> String {
    let mut rest = text;
    while rest.starts_with(NOTE_MARK) {
        rest = rest.split_once('\n').map_or("", |(_, after)| after);
    }
    rest.to_owned()
}

fn one_line(e: &ConfigError) -> String {
    one_line_str(&e.to_string())
}

fn one_line_str(text: &str) -> String {
    crate::model::text::clean(&text.replace(['\n', '\r'], " "), 1000)
}

/// Replaces the copy by rename (never writing through whatever is at its name).
fn write(path: &Path, text: &str) -> Result<(), CliError> {
    write_atomically(path, text.as_bytes(), Durability::Cache)
        .map_err(|e| CliError::runtime(format!("cannot write {}: {e}", path.display())))
}

/// Keeps the edited copy for the user instead of deleting it.
fn keep(copy: tempfile::NamedTempFile) -> Result<PathBuf, CliError> {
    copy.keep()
        .map(|(_, path)| path)
        .map_err(|e| CliError::runtime(format!("cannot keep the edited copy: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_has_a_fixed_height_and_comes_off_again() {
        let e = ConfigError::Invalid {
            path: PathBuf::from("c.toml"),
            location: config::Location { line: 2, column: 10 },
            field: Some("region".into()),
            message: "\"moon\" is not a valid region".into(),
        };
        let note = note(&e);
        assert_eq!(note.lines().count(), NOTE_LINES);
        assert!(note.contains("line 5, column 10: region: \"moon\""), "{note}");
        let body = "[[profile]]\nname = \"a\"\n";
        assert_eq!(without_note(&format!("{note}{body}")), body);
        assert_eq!(without_note(body), body);
    }
}
