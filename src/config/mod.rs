//! The profiles file: where it lives, loading with messages that name the
//! file, line and field, and atomic edits that keep the user's comments.

mod edit;
pub mod env_profile;
mod raw;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::{Profile, Settings};

pub use edit::{
    Durability, EditLock, Editor, add_profile, lock, remove_profile, replace_profile, write_atomically,
};
pub use raw::{check_name as check_profile_name, check_token_url};

/// Environment variable that overrides the config path (as `--config` does).
pub const CONFIG_ENV: &str = "WKTUI_CONFIG";

/// The loaded, validated configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub settings: Settings,
    pub profiles: Vec<Profile>,
}

impl Config {
    pub fn profile(&self, name: &str) -> Result<&Profile, ConfigError> {
        self.profiles
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ConfigError::NoSuchProfile {
                name: name.to_owned(),
                known: self.profiles.iter().map(|p| p.name.clone()).collect(),
            })
    }
}

/// A position in the config file, 1-based, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    pub fn of_offset(text: &str, offset: usize) -> Location {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rfind('\n')
            .map_or(before.len(), |nl| before.len() - nl - 1)
            + 1;
        Location { line, column }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", Invalid { path, location: *location, field: field.as_deref(), message })]
    Invalid {
        path: PathBuf,
        location: Location,
        field: Option<String>,
        message: String,
    },
    #[error("refusing the config file: {0}")]
    Untrusted(String),
    #[error("cannot write the config file {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error(
        "a profile named \"{0}\" already exists; remove it first (wktui profile remove {0}) or pick another name"
    )]
    ProfileExists(String),
    #[error("{}", no_such_profile(name, known))]
    NoSuchProfile { name: String, known: Vec<String> },
    #[error(
        "profile \"{0}\" was changed by another program since it was read; nothing was saved: look at it again and redo the change"
    )]
    ChangedElsewhere(String),
    #[error(
        "another wktui process is changing {} (it has held {} for {} s); try again when it is done",
        path.display(), lock.display(), waited.as_secs()
    )]
    Busy {
        path: PathBuf,
        lock: PathBuf,
        waited: std::time::Duration,
    },
    #[error("the change was not saved: it would make the config invalid ({0})")]
    WouldBreak(String),
    #[error("no config path: set --config or {CONFIG_ENV}, or a home directory")]
    NoConfigDir,
}

struct Invalid<'a> {
    path: &'a Path,
    location: Location,
    field: Option<&'a str>,
    message: &'a str,
}

impl fmt::Display for Invalid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: ",
            self.path.display(),
            self.location.line,
            self.location.column
        )?;
        if let Some(field) = self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(self.message)
    }
}

fn no_such_profile(name: &str, known: &[String]) -> String {
    if known.is_empty() {
        format!(
            "no profile named \"{name}\": no profiles are configured yet; add one with `wktui profile add {name} --client-id ID`"
        )
    } else {
        format!(
            "no profile named \"{name}\"; configured profiles: {}",
            known.join(", ")
        )
    }
}

/// The config path: an explicit one (flag or environment), else the platform
/// config dir (`$XDG_CONFIG_HOME/wktui/config.toml` on Linux).
pub fn resolve_path(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    directories::ProjectDirs::from("", "", "wktui")
        .map(|dirs| dirs.config_dir().join("config.toml"))
        .ok_or(ConfigError::NoConfigDir)
}

/// Loads and validates the file; a missing file is an empty configuration.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    match read_config_text(path)? {
        Some(text) => parse(&text, path),
        None => Ok(Config::default()),
    }
}

/// No profiles file is this large (10,000 profiles take about 2 MB).
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

/// The file's text, or `None` when there is no file. A file that other
/// users can write is refused: it could name a `secret_command` to run.
fn read_config_text(path: &Path) -> Result<Option<String>, ConfigError> {
    use std::io::Read;
    let read_error = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_error(e)),
    };
    crate::platform::fs::check_config_file(path).map_err(|e| ConfigError::Untrusted(e.to_string()))?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::Untrusted(format!(
            "{} is larger than {} MB; that is not a wktui config file",
            path.display(),
            MAX_CONFIG_BYTES / (1024 * 1024)
        )));
    }
    Ok(Some(text))
}

/// Parses and validates config text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    raw::parse(text).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        location: Location::of_offset(text, e.offset),
        field: e.field,
        message: e.message,
    })
}

#[cfg(test)]
mod tests;
