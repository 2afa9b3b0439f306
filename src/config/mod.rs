//! The profiles file: where it lives, loading with messages that name the
//! file, line and field, and atomic edits that keep the user's comments.

pub mod default_profile;
mod edit;
pub mod env_profile;
pub mod exchange;
mod index;
pub mod nearest;
mod raw;
pub mod text;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::{Profile, Settings};
use crate::platform::fs::FileStamp;
use default_profile::{DefaultProfile, DefaultSource};

pub use edit::{EditLock, Editor, add_profile, check_profile, lock, remove_profile, replace_profile};
pub use index::SecretVariables;

/// Environment variable that overrides the config path (as `--config` does).
pub const CONFIG_ENV: &str = "WKTUI_CONFIG";

/// The loaded, validated configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub settings: Settings,
    pub profiles: Vec<Profile>,
    /// Profiles that did not pass their checks, in file order. They are in
    /// no other list: a command that needs one fails with its problem, the
    /// others work (see `Config::profile`).
    pub broken: Vec<BrokenProfile>,
}

/// A `[[profile]]` the file holds but that cannot be used as written (a
/// value of the wrong type, a bad URL, an unknown region...).
#[derive(Clone, Debug, PartialEq)]
pub struct BrokenProfile {
    /// Its name, when the name itself is readable and valid.
    pub name: Option<String>,
    /// Its `secret_env`, when readable: children of wktui must not inherit it either.
    pub secret_env: Option<String>,
    pub problem: Problem,
}

impl BrokenProfile {
    /// `profile "bad"`, or `a profile` when its name is what is wrong.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("profile \"{name}\""),
            None => "a profile".to_owned(),
        }
    }

    /// One line for a warning: which profile, where, what, and the fix.
    pub fn warning(&self) -> String {
        format!(
            "{} is skipped: {}; correct it with `wktui config edit`",
            self.label(),
            self.problem
        )
    }
}

/// What is wrong where in the config file: the file, line and column, the
/// field when there is one, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub path: PathBuf,
    pub location: Location,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Invalid {
            path: &self.path,
            location: self.location,
            field: self.field.as_deref(),
            message: &self.message,
        }
        .fmt(f)
    }
}

impl From<Problem> for ConfigError {
    fn from(p: Problem) -> Self {
        ConfigError::Invalid {
            path: p.path,
            location: p.location,
            field: p.field,
            message: p.message,
        }
    }
}

impl Config {
    pub fn profile(&self, name: &str) -> Result<&Profile, ConfigError> {
        if let Some(profile) = self.profiles.iter().find(|p| p.name == name) {
            return Ok(profile);
        }
        match self.broken.iter().find(|b| b.name.as_deref() == Some(name)) {
            Some(broken) => Err(ConfigError::BrokenProfile {
                name: name.to_owned(),
                problem: Box::new(broken.problem.clone()),
            }),
            None => Err(ConfigError::NoSuchProfile {
                name: name.to_owned(),
                known: self.names(),
            }),
        }
    }

    /// Refuses a configuration with a broken profile, as its first problem:
    /// for what is about to be written, which must load whole.
    pub fn check_whole(&self) -> Result<(), ConfigError> {
        match self.broken.first() {
            Some(broken) => Err(broken.problem.clone().into()),
            None => Ok(()),
        }
    }

    /// The profile `name`, or with no name the default one (`env` is the
    /// value of `WKTUI_PROFILE`, which wins over `default_profile`).
    pub fn chosen(&self, name: Option<&str>, env: Option<String>) -> Result<&Profile, ConfigError> {
        if let Some(name) = name {
            return self.profile(name);
        }
        let Some(default) = DefaultProfile::find(&self.settings, env) else {
            return Err(ConfigError::NoProfileNamed { known: self.names() });
        };
        self.profile(&default.name).map_err(|e| match e {
            // It is there, and says what is wrong with it.
            ConfigError::BrokenProfile { .. } => e,
            _ => ConfigError::NoSuchDefault {
                name: default.name,
                from: default.source,
                known: self.names(),
            },
        })
    }

    /// The profiles' names, sorted, for messages.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.profiles.iter().map(|p| p.name.clone()).collect();
        names.sort();
        names
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
    #[error("profile \"{name}\" cannot be used: {problem}")]
    // Boxed: a `Problem` is most of a line of text, and every `Result` of
    // the config carries the size of its largest error.
    BrokenProfile { name: String, problem: Box<Problem> },
    #[error("the config file is not changed while {label} in it is broken: {problem}")]
    NotWhole { label: String, problem: Box<Problem> },
    #[error("refusing the config file: {0}")]
    Untrusted(String),
    #[error("{0}")]
    NotText(#[from] text::NotText),
    #[error("cannot write the config file {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error(
        "a profile named \"{0}\" already exists; remove it first (wktui profile remove {0}) or pick another name"
    )]
    ProfileExists(String),
    #[error("{}", no_such_profile(name, known))]
    NoSuchProfile { name: String, known: Vec<String> },
    #[error("{}", no_profile_named(known))]
    NoProfileNamed { known: Vec<String> },
    #[error("{}", no_such_default(name, *from, known))]
    NoSuchDefault {
        name: String,
        from: DefaultSource,
        known: Vec<String>,
    },
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
            "no profile named \"{name}\"; {}configured profiles: {}",
            nearest::did_you_mean(name, known),
            listed(known)
        )
    }
}

/// Names for a message: the first 20 (a fleet has thousands), then how many more.
fn listed(known: &[String]) -> String {
    const SHOWN: usize = 20;
    if known.len() <= SHOWN {
        return known.join(", ");
    }
    format!(
        "{}, and {} more (wktui profile list)",
        known[..SHOWN].join(", "),
        known.len() - SHOWN
    )
}

fn no_profile_named(known: &[String]) -> String {
    let set = format!(
        "or set a default: {} or default_profile under [settings]",
        default_profile::PROFILE_ENV
    );
    if known.is_empty() {
        format!(
            "no profile named, and no profiles are configured yet; add one with `wktui profile add NAME --client-id ID`, {set}"
        )
    } else {
        format!(
            "no profile named and no default profile; name one of {}, {set}",
            listed(known)
        )
    }
}

fn no_such_default(name: &str, from: DefaultSource, known: &[String]) -> String {
    let name = crate::model::text::clean(name, 64);
    let fix = match from {
        DefaultSource::Env => format!("change or unset {}", default_profile::PROFILE_ENV),
        DefaultSource::Config => "change default_profile with `wktui config edit`".to_owned(),
    };
    let configured = if known.is_empty() {
        "no profiles are configured".to_owned()
    } else {
        format!(
            "{}configured profiles: {}",
            nearest::did_you_mean(&name, known),
            listed(known)
        )
    };
    format!(
        "the default profile \"{name}\" (from {from}) is not configured; {configured}; {fix}, or name a profile"
    )
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

/// What a command needs from the config file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want<'a> {
    /// Every profile (`list`, the interface, edits).
    All,
    /// One profile by name (`wktui token NAME`); the others may stay unread.
    Profile(&'a str),
    /// The file's `default_profile` (`wktui token`, no name, no `WKTUI_PROFILE`).
    Default,
}

/// A configuration as [`load_with_index`] gives it.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    /// Every `secret_env` variable the file names, sorted: children of
    /// wktui must not inherit any of them, whichever profiles were read.
    /// From the index, only where they are, read when a child starts.
    pub secret_variables: SecretVariables,
    /// Only the wanted profile (and `env`, if the file has one) is in
    /// `config`; the file holds others, read and checked when it was indexed.
    pub partial: bool,
}

/// `load`, with the index of the file in `cache_dir` (see `index`): when
/// the file has not changed since it was last loaded whole, its checked
/// profiles come from the index (all of them, or only the one wanted);
/// otherwise the file is parsed and checked whole, exactly as `load` does,
/// errors with their line included, and the index is written again. No
/// `cache_dir` (no private place) means always the whole file.
pub fn load_with_index(path: &Path, cache_dir: Option<&Path>, want: Want<'_>) -> Result<Loaded, ConfigError> {
    let Some(file) = open_config(path)? else {
        return Ok(Loaded {
            config: Config::default(),
            secret_variables: SecretVariables::Known(Vec::new()),
            partial: false,
        });
    };
    let read_error = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let stamp = FileStamp::of(&file.metadata().map_err(read_error)?);
    if let Some(dir) = cache_dir {
        let found = match want {
            Want::Profile(name) => index::read_one(dir, path, stamp, Some(name)),
            Want::Default => index::read_one(dir, path, stamp, None),
            Want::All => None,
        }
        .or_else(|| index::read_all(dir, path, stamp));
        if let Some(found) = found {
            tracing::debug!(path = %path.display(), profiles = found.config.profiles.len(), partial = found.partial, "config from its index");
            return Ok(Loaded {
                config: found.config,
                secret_variables: found.secret_variables,
                partial: found.partial,
            });
        }
    }
    let text = {
        let file = file.try_clone().map_err(read_error)?;
        read_open_config(file, path)?
    };
    let config = parse(&text, path)?;
    drop(text);
    // Indexed only when what was read is what the stamp describes.
    // A file with a broken profile is parsed whole each time, which reports
    // the problem each time; only a file that loads whole is indexed.
    if let Some(dir) = cache_dir
        && config.broken.is_empty()
        && file.metadata().is_ok_and(|m| FileStamp::of(&m) == stamp)
    {
        index::write(dir, path, stamp, &config);
    }
    Ok(Loaded {
        secret_variables: SecretVariables::Known(secret_variables(&config)),
        config,
        partial: false,
    })
}

/// Every `secret_env` variable of the config's profiles (broken ones too),
/// sorted, once each.
pub fn secret_variables(config: &Config) -> Vec<String> {
    let mut names: Vec<String> = config
        .profiles
        .iter()
        .filter_map(|p| match &p.secret_source {
            crate::model::SecretSource::Env(var) => Some(var.clone()),
            _ => None,
        })
        .chain(config.broken.iter().filter_map(|b| b.secret_env.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// No profiles file is this large (10,000 profiles take about 2 MB).
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

/// The file, opened, or `None` when there is none. It must be a file of the
/// user's (or root's) that no one else can write, in directories no one
/// else can change: it could name a `secret_command` to run.
fn open_config(path: &Path) -> Result<Option<std::fs::File>, ConfigError> {
    use crate::platform::fs::{Kind, TrustError, open_trusted};
    match open_trusted(path, Kind::Config) {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(TrustError::Io { path, source }) => Err(ConfigError::Read { path, source }),
        Err(e) => Err(ConfigError::Untrusted(e.to_string())),
    }
}

/// The file a change of the config at `path` replaces: `path` itself, or
/// the target of a link there that loading would follow (the user's or
/// root's, into trusted directories). A link that loading refuses is an
/// error: wktui never writes through it. No file yet means `path`.
pub fn write_target(path: &Path) -> Result<PathBuf, ConfigError> {
    use crate::platform::fs::{Kind, TrustError, open_trusted_at};
    match open_trusted_at(path, Kind::Config) {
        Ok((_, target)) => Ok(target),
        Err(e) if e.is_not_found() => Ok(path.to_path_buf()),
        Err(TrustError::Io { path, source }) => Err(ConfigError::Read { path, source }),
        Err(e) => Err(ConfigError::Untrusted(e.to_string())),
    }
}

/// The config's text as loading reads it (the same trust checks), but not
/// parsed: for `config edit`, which must open a file that does not load.
/// `None` when there is no file.
pub fn read_trusted_text(path: &Path) -> Result<Option<String>, ConfigError> {
    read_config_text(path)
}

/// The file, opened without blocking if it is a regular file, or `None`.
fn open_if_there(path: &Path) -> Result<Option<std::fs::File>, ConfigError> {
    use crate::platform::fs::{TrustError, open_regular};
    match open_regular(path) {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(TrustError::Io { path, source }) => Err(ConfigError::Read { path, source }),
        Err(e) => Err(ConfigError::Untrusted(e.to_string())),
    }
}

/// The file's text, or `None` when there is no file (see `open_config`).
fn read_config_text(path: &Path) -> Result<Option<String>, ConfigError> {
    open_config(path)?
        .map(|file| read_open_config(file, path))
        .transpose()
}

/// A config file's text, bounded like every load but without the trust
/// check (for `doctor`, which reports that check on its own and steers
/// nothing by a refused file); `None` when missing.
pub fn read_text(path: &Path) -> Result<Option<String>, ConfigError> {
    open_if_there(path)?
        .map(|file| read_open_config(file, path))
        .transpose()
}

/// The file's text, read to its end but no further than the limit, in
/// any encoding `text::decode` accepts.
fn read_open_config(file: std::fs::File, path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::Untrusted(format!(
            "{} is larger than {} MB; that is not a wktui config file",
            path.display(),
            MAX_CONFIG_BYTES / (1024 * 1024)
        )));
    }
    Ok(text::decode(bytes, path)?.0)
}

/// Parses and validates config text; `path` is only used in messages. A
/// profile that fails its checks is kept aside in `Config::broken`; only
/// what makes the whole file unusable is an error (see `raw::parse`).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let problem = |e: raw::RawError| Problem {
        path: path.to_path_buf(),
        location: Location::of_offset(text, e.offset),
        field: e.field,
        message: e.message,
    };
    let (mut config, broken) = raw::parse(text).map_err(|e| ConfigError::from(problem(e)))?;
    config.broken = broken
        .into_iter()
        .map(|b| BrokenProfile {
            name: b.name,
            secret_env: b.secret_env,
            problem: problem(b.error),
        })
        .collect();
    Ok(config)
}

/// `parse`, refusing a broken profile too: for text wktui is about to
/// write, which must load whole.
pub fn parse_whole(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let config = parse(text, path)?;
    config.check_whole()?;
    Ok(config)
}

#[cfg(test)]
mod tests;
