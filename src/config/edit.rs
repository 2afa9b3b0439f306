//! Changes to the profiles file that keep everything they do not touch:
//! comments, ordering, other profiles. A file that does not load cleanly is
//! never written, and every write is atomic (temp file + rename).

use std::io::Write;
use std::path::Path;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use super::{Config, ConfigError, Location};
use crate::model::{Endpoint, Profile, SecretSource};

const NEW_FILE_HEADER: &str = "\
# wktui profiles: one [[profile]] per Workiva API grant.
# Client secrets are never stored here (see `wktui profile add --help`).
";

/// Appends a profile. Fails if the name is taken or the file does not load.
pub fn add_profile(path: &Path, profile: &Profile) -> Result<(), ConfigError> {
    edit(path, |config, doc| {
        if config.profiles.iter().any(|p| p.name == profile.name) {
            return Err(ConfigError::ProfileExists(profile.name.clone()));
        }
        let mut table = profile_table(profile);
        // A blank line between profiles, as people write them by hand.
        table.decor_mut().set_prefix("\n");
        profiles_array(doc, path)?.push(table);
        Ok(())
    })
}

/// Replaces the profile called `old_name` in place (it may be renamed).
pub fn replace_profile(path: &Path, old_name: &str, profile: &Profile) -> Result<(), ConfigError> {
    edit(path, |config, doc| {
        config.profile(old_name)?;
        if profile.name != old_name && config.profiles.iter().any(|p| p.name == profile.name) {
            return Err(ConfigError::ProfileExists(profile.name.clone()));
        }
        let array = profiles_array(doc, path)?;
        let index = index_of(array, old_name).ok_or_else(|| not_found(config, old_name))?;
        if let Some(table) = array.get_mut(index) {
            // Keep the table's comments (its decor) while swapping its keys.
            let decor = table.decor().clone();
            *table = profile_table(profile);
            *table.decor_mut() = decor;
        }
        Ok(())
    })
}

/// Removes a profile; its comment block goes with it.
pub fn remove_profile(path: &Path, name: &str) -> Result<(), ConfigError> {
    edit(path, |config, doc| {
        config.profile(name)?;
        let array = profiles_array(doc, path)?;
        let index = index_of(array, name).ok_or_else(|| not_found(config, name))?;
        array.remove(index);
        if array.is_empty() {
            doc.remove("profile");
        }
        Ok(())
    })
}

fn not_found(config: &Config, name: &str) -> ConfigError {
    ConfigError::NoSuchProfile {
        name: name.to_owned(),
        known: config.profiles.iter().map(|p| p.name.clone()).collect(),
    }
}

/// Loads and validates, applies `change` to the document, checks that the
/// result still loads, and writes it back, all under a lock so that two
/// writers (the TUI and a CLI call, or two TUI saves) cannot lose each
/// other's change.
fn edit(
    path: &Path,
    change: impl FnOnce(&Config, &mut DocumentMut) -> Result<(), ConfigError>,
) -> Result<(), ConfigError> {
    // Edit the file a symlink points at, not the link.
    let path = &std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let _lock = lock_for_edit(path)?;
    let (text, header) = match std::fs::read_to_string(path) {
        Ok(text) => (text, ""),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), NEW_FILE_HEADER),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let config = super::parse(&text, path)?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| invalid(path, &text, &e))?;
    change(&config, &mut doc)?;
    let new_text = format!("{header}{doc}");
    // Never write a file that wktui itself would refuse to load.
    super::parse(&new_text, path).map_err(|e| ConfigError::WouldBreak(e.to_string()))?;
    write_atomically(path, new_text.as_bytes(), Durability::Synced).map_err(|source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// An exclusive lock on `.NAME.lock` beside the config, held for one edit.
fn lock_for_edit(path: &Path) -> Result<std::fs::File, ConfigError> {
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
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!(".{name}.lock")))
        .map_err(fail)?;
    file.lock().map_err(fail)?;
    Ok(file)
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

fn profile_table(profile: &Profile) -> Table {
    let mut t = Table::new();
    t.insert("name", value(&profile.name));
    match &profile.endpoint {
        Endpoint::Region(region) => t.insert("region", value(region.as_str())),
        Endpoint::TokenUrl(url) => t.insert("token_url", value(url)),
    };
    if let Some(base) = &profile.base_url {
        t.insert("base_url", value(base));
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
    t
}

/// Whether a write must reach the disk before it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// fsync before the rename: the user's config.
    Synced,
    /// Rename only: a cached token, which the server can always give again.
    Cache,
}

/// Writes `bytes` to `path` so that readers see the old file or the new one,
/// never half of either: a temp file beside it, then renamed over.
pub fn write_atomically(path: &Path, bytes: &[u8], durability: Durability) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let tmp = dir.join(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        fastrand::u32(..)
    ));
    let result = (|| {
        let mut file = create_private(&tmp)?;
        file.write_all(bytes)?;
        if durability == Durability::Synced {
            file.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A new file readable only by its owner.
pub(crate) fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
