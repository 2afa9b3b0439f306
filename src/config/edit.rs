//! Changes to the profiles file that keep everything they do not touch:
//! comments, ordering, other profiles. A file that does not load cleanly is
//! never written, and every write is atomic (temp file + rename).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use super::{Config, ConfigError, Location};
use crate::model::{Endpoint, Profile, SecretSource};
use crate::platform::fs::{Durability, write_atomically};

const NEW_FILE_HEADER: &str = "\
# wktui profiles: one [[profile]] per Workiva API grant.
# Client secrets are never stored here (see `wktui profile add --help`).
";

/// Appends a profile. Fails if the name is taken or the file does not load.
pub fn add_profile(path: &Path, profile: &Profile) -> Result<(), ConfigError> {
    let mut editor = Editor::open(path)?;
    editor.add_profile(profile)?;
    editor.save()
}

/// Replaces `old` in place by `profile` (which may be renamed); refuses when
/// the file's entry is no longer `old` (someone changed it meanwhile).
pub fn replace_profile(path: &Path, old: &Profile, profile: &Profile) -> Result<(), ConfigError> {
    let mut editor = Editor::open(path)?;
    editor.replace_profile(old, profile)?;
    editor.save()
}

/// Removes a profile; its comment block goes with it.
pub fn remove_profile(path: &Path, name: &str) -> Result<(), ConfigError> {
    let mut editor = Editor::open(path)?;
    editor.remove_profile(name)?;
    editor.save()
}

/// The config file's edit lock, held alone: for replacing the whole file
/// (`wktui config edit`), which must work on a file that does not load.
pub struct EditLock {
    path: PathBuf,
    _file: std::fs::File,
}

impl EditLock {
    /// The file to replace: the config, or the target of a link that
    /// loading trusts (see [`super::write_target`]).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the edit lock of the file a change of `path` writes, waiting a
/// little for another process's change to finish.
pub fn lock(path: &Path) -> Result<EditLock, ConfigError> {
    let path = super::write_target(path)?;
    Ok(EditLock {
        _file: lock_for_edit(&path, EDIT_LOCK_PATIENCE)?,
        path,
    })
}

/// How long a change waits for another process's change to the same file.
const EDIT_LOCK_PATIENCE: Duration = Duration::from_secs(10);

/// The config file held for one change: locked from the moment it is read
/// until the change is written (or dropped), so that a check ("is this name
/// free?"), the work that depends on it (a keyring write) and the write
/// itself are one step for every other wktui process.
pub struct Editor {
    path: PathBuf,
    _lock: std::fs::File,
    /// The file as loaded, validated.
    config: Config,
    doc: DocumentMut,
    /// Prepended when the file did not exist yet.
    header: &'static str,
}

impl Editor {
    /// Locks and loads `path` (a trusted link's target). A file that does
    /// not load cleanly cannot be edited: it is never overwritten.
    pub fn open(path: &Path) -> Result<Editor, ConfigError> {
        // Edit the file a link points at, not the link, when loading trusts it.
        let path = super::write_target(path)?;
        let lock = lock_for_edit(&path, EDIT_LOCK_PATIENCE)?;
        let (text, header) = match super::read_config_text(&path)? {
            Some(text) => (text, ""),
            None => (String::new(), NEW_FILE_HEADER),
        };
        let config = super::parse(&text, &path)?;
        if let Some(broken) = config.broken.first() {
            return Err(ConfigError::NotWhole {
                label: broken.label(),
                problem: Box::new(broken.problem.clone()),
            });
        }
        let doc: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| invalid(&path, &text, &e))?;
        Ok(Editor {
            path,
            _lock: lock,
            config,
            doc,
            header,
        })
    }

    /// The configuration as it is in the file now (before this change).
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn add_profile(&mut self, profile: &Profile) -> Result<(), ConfigError> {
        if self.config.profiles.iter().any(|p| p.name == profile.name) {
            return Err(ConfigError::ProfileExists(profile.name.clone()));
        }
        let mut table = profile_table(profile);
        // A blank line between profiles, as people write them by hand.
        table.decor_mut().set_prefix("\n");
        profiles_array(&mut self.doc, &self.path)?.push(table);
        Ok(())
    }

    pub fn replace_profile(&mut self, old: &Profile, profile: &Profile) -> Result<(), ConfigError> {
        let current = self.config.profile(&old.name)?;
        if profile_table(current).to_string() != profile_table(old).to_string() {
            return Err(ConfigError::ChangedElsewhere(old.name.clone()));
        }
        if profile.name != old.name && self.config.profiles.iter().any(|p| p.name == profile.name) {
            return Err(ConfigError::ProfileExists(profile.name.clone()));
        }
        let array = profiles_array(&mut self.doc, &self.path)?;
        let index = index_of(array, &old.name).ok_or_else(|| not_found(&self.config, &old.name))?;
        if let Some(table) = array.get_mut(index) {
            update_in_place(table, profile_table(profile));
        }
        Ok(())
    }

    pub fn remove_profile(&mut self, name: &str) -> Result<(), ConfigError> {
        self.config.profile(name)?;
        let array = profiles_array(&mut self.doc, &self.path)?;
        let index = index_of(array, name).ok_or_else(|| not_found(&self.config, name))?;
        array.remove(index);
        if array.is_empty() {
            self.doc.remove("profile");
        }
        Ok(())
    }

    /// The text the change would write, checked to load: wktui never writes
    /// a file that it would itself refuse.
    pub fn checked_text(&self) -> Result<String, ConfigError> {
        let new_text = format!("{}{}", self.header, self.doc);
        super::parse_whole(&new_text, &self.path).map_err(|e| ConfigError::WouldBreak(e.to_string()))?;
        Ok(new_text)
    }

    /// Writes the change atomically; the lock is released afterwards.
    pub fn save(self) -> Result<(), ConfigError> {
        self.write()
    }

    /// Writes the change atomically and keeps the lock, for work that must
    /// finish before another process sees the file (deleting the secret of
    /// a removed profile: released earlier, a new profile of the same name
    /// could store its secret first and lose it to that delete).
    pub fn write(&self) -> Result<(), ConfigError> {
        let text = self.checked_text()?;
        write_atomically(&self.path, text.as_bytes(), Durability::Synced).map_err(|source| {
            ConfigError::Write {
                path: self.path.clone(),
                source,
            }
        })
    }
}

fn not_found(config: &Config, name: &str) -> ConfigError {
    ConfigError::NoSuchProfile {
        name: name.to_owned(),
        known: config.profiles.iter().map(|p| p.name.clone()).collect(),
    }
}

/// An exclusive lock on `.NAME.lock` beside the config, held for one edit;
/// gives up after `patience` rather than hang behind a stuck process.
fn lock_for_edit(path: &Path, patience: Duration) -> Result<std::fs::File, ConfigError> {
    let fail = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let lock_path = dir.join(format!(".{name}.lock"));
    // Made and checked as every file that steers wktui: nothing is made
    // beside a config whose directories are not trusted, and a FIFO, a link
    // or another user's file in the lock's place is an error at once.
    let file = crate::platform::fs::open_trusted(&lock_path, crate::platform::fs::Kind::Lock)
        .map_err(|e| ConfigError::Untrusted(e.to_string()))?;
    let deadline = Instant::now() + patience;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(ConfigError::Busy {
                    path: path.to_path_buf(),
                    lock: lock_path,
                    waited: patience,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(fail(e)),
        }
    }
}

fn invalid(path: &Path, text: &str, e: &toml_edit::TomlError) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_path_buf(),
        location: Location::of_offset(text, e.span().map_or(0, |s| s.start)),
        field: None,
        message: e.message().trim().to_owned(),
    }
}

fn profiles_array<'d>(doc: &'d mut DocumentMut, path: &Path) -> Result<&'d mut ArrayOfTables, ConfigError> {
    doc.entry("profile")
        .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or_else(|| ConfigError::Invalid {
            path: path.to_path_buf(),
            location: Location { line: 1, column: 1 },
            field: Some("profile".into()),
            message: "must be an array of tables ([[profile]])".into(),
        })
}

fn index_of(array: &ArrayOfTables, name: &str) -> Option<usize> {
    array.iter().position(|t| {
        t.get("name")
            .and_then(Item::as_str)
            .is_some_and(|n| n.trim() == name)
    })
}

/// Makes `table` hold `new`'s keys and values while keeping what the user
/// wrote around them: the table's own comments, comments above a key, and a
/// comment after a value that is kept or changed.
fn update_in_place(table: &mut Table, new: Table) {
    let gone: Vec<String> = table
        .iter()
        .map(|(key, _)| key.to_owned())
        .filter(|key| !new.contains_key(key))
        .collect();
    for key in gone {
        table.remove(&key);
    }
    for (key, item) in new {
        match (table.get_mut(&key), item) {
            (Some(Item::Value(old)), Item::Value(mut value)) => {
                let decor = old.decor().clone();
                *value.decor_mut() = decor;
                *old = value;
            }
            (_, item) => {
                table.insert(&key, item);
            }
        }
    }
}

/// What is wrong with `profile`, checked alone as the config file would be
/// checked with it in: the field (as the file names it) and why. For the
/// command line, which can then name its own flag rather than a line of a
/// file it never wrote.
pub fn check_profile(profile: &Profile) -> Result<(), (Option<String>, String)> {
    let mut profiles = ArrayOfTables::new();
    profiles.push(profile_table(profile));
    let mut doc = DocumentMut::new();
    doc.insert("profile", Item::ArrayOfTables(profiles));
    match super::parse_whole(&doc.to_string(), Path::new("profile")) {
        Ok(_) => Ok(()),
        Err(ConfigError::Invalid { field, message, .. }) => Err((field, message)),
        Err(other) => Err((None, other.to_string())),
    }
}

pub(super) fn profile_table(profile: &Profile) -> Table {
    let mut t = Table::new();
    t.insert("name", value(&profile.name));
    match &profile.endpoint {
        Endpoint::Region(region) => t.insert("region", value(region.as_str())),
        Endpoint::TokenUrl(url) => t.insert("token_url", value(url.as_str())),
    };
    if let Some(base) = &profile.base_url {
        t.insert("base_url", value(base.as_str()));
    }
    t.insert("client_id", value(&profile.client_id));
    if let Some(scope) = &profile.scope {
        t.insert("scope", value(scope.to_string()));
    }
    if profile.api_version != Default::default() {
        t.insert("api_version", value(profile.api_version.as_str()));
    }
    if profile.client_auth != Default::default() {
        t.insert("client_auth", value(profile.client_auth.as_str()));
    }
    match &profile.secret_source {
        // The demo's in-memory secrets are written like keyring ones: not at all.
        SecretSource::Keyring | SecretSource::Memory => {}
        SecretSource::Env(var) => {
            t.insert("secret_env", value(var));
        }
        SecretSource::Command(cmd) => {
            t.insert("secret_command", value(cmd));
        }
    }
    if let Some(ca) = &profile.ca_file {
        t.insert("ca_file", value(ca.to_string_lossy().as_ref()));
    }
    if let Some(date) = profile.grant_expires {
        t.insert("grant_expires", value(date.to_string()));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_waited_for_with_a_limit_that_names_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        let _held = lock(&path).expect("first");
        let started = Instant::now();
        let err = match lock_for_edit(&path, Duration::from_millis(100)) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("a second lock while the first is held"),
        };
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert!(
            err.contains("another wktui process is changing") && err.contains(".config.toml.lock"),
            "{err}"
        );
    }
}
