//! Adding, changing and removing a profile together with its secret and its
//! cached token, so the CLI and the TUI do it the same safe way: the config
//! decides first, a secret that was there before is put back if a step
//! fails, and a secret is never deleted before its profile is gone.

use std::path::Path;

use secrecy::SecretString;

use crate::cache::TokenCache;
use crate::config::{self, ConfigError};
use crate::model::Profile;
use crate::secrets::{SecretError, SecretStore};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("a client secret is required for a profile whose secret is kept by wktui")]
    SecretRequired,
}

/// What `remove` did besides removing the config entry.
#[derive(Debug, Default)]
pub struct Removed {
    pub secret_removed: bool,
    /// Something left behind, in words (the profile itself is gone).
    pub warning: Option<String>,
}

/// Adds `profile`, storing `secret` when the profile's secret is kept by wktui.
pub fn add(
    path: &Path,
    profile: &Profile,
    secret: Option<&SecretString>,
    secrets: &dyn SecretStore,
) -> Result<(), ProfileError> {
    // The file decides first: another process may have added the name since
    // the caller loaded it, and its secret must not be overwritten.
    if config::load(path)?.profile(&profile.name).is_ok() {
        return Err(ConfigError::ProfileExists(profile.name.clone()).into());
    }
    if !profile.secret_source.is_stored() {
        return Ok(config::add_profile(path, profile)?);
    }
    let secret = secret.ok_or(ProfileError::SecretRequired)?;
    let previous = set_keeping_previous(secrets, &profile.name, secret)?;
    config::add_profile(path, profile).map_err(|e| {
        restore(secrets, &profile.name, previous);
        e.into()
    })
}

/// Replaces `old` by `profile` (possibly renamed). Without a new secret a
/// stored one moves with a renamed profile.
pub fn replace(
    path: &Path,
    old: &Profile,
    profile: &Profile,
    secret: Option<&SecretString>,
    secrets: &dyn SecretStore,
    cache: &TokenCache,
) -> Result<(), ProfileError> {
    let renamed = old.name != profile.name;
    let mut previous = None;
    if profile.secret_source.is_stored() {
        let moved;
        let new_secret = match secret {
            Some(s) => Some(s),
            None if renamed && old.secret_source.is_stored() => {
                moved = secrets.get(&old.name)?;
                Some(&moved)
            }
            None => None,
        };
        if let Some(new_secret) = new_secret {
            previous = Some(set_keeping_previous(secrets, &profile.name, new_secret)?);
        }
    }
    if let Err(e) = config::replace_profile(path, &old.name, profile) {
        if let Some(previous) = previous {
            restore(secrets, &profile.name, previous);
        }
        return Err(e.into());
    }
    if renamed {
        if old.secret_source.is_stored() {
            let _ = secrets.delete(&old.name);
        }
        let _ = cache.remove(&old.name);
    } else if old.fingerprint() != profile.fingerprint() {
        let _ = cache.remove(&profile.name);
    }
    Ok(())
}

/// Removes the config entry first, then the secret and the cached token: a
/// leftover keyring entry can be cleared later, a lost secret cannot.
pub fn remove(
    path: &Path,
    profile: &Profile,
    secrets: &dyn SecretStore,
    cache: &TokenCache,
) -> Result<Removed, ProfileError> {
    config::remove_profile(path, &profile.name)?;
    let mut removed = Removed::default();
    if profile.secret_source.is_stored() {
        match secrets.delete(&profile.name) {
            Ok(found) => removed.secret_removed = found,
            Err(e) => {
                removed.warning = Some(format!(
                    "the profile is gone but its secret is still in the keyring ({e}); remove it with `secret-tool clear service wktui username {}`",
                    profile.name
                ));
            }
        }
    }
    if let Err(e) = cache.remove(&profile.name) {
        removed.warning = Some(format!(
            "the cached token of {} could not be removed: {e}",
            profile.name
        ));
    }
    Ok(removed)
}

/// Stores `secret`, returning what was stored there before (if anything).
fn set_keeping_previous(
    secrets: &dyn SecretStore,
    name: &str,
    secret: &SecretString,
) -> Result<Option<SecretString>, SecretError> {
    let previous = match secrets.get(name) {
        Ok(s) => Some(s),
        Err(SecretError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    secrets.set(name, secret)?;
    Ok(previous)
}

/// Puts back what was stored before a failed change.
fn restore(secrets: &dyn SecretStore, name: &str, previous: Option<SecretString>) {
    let _ = match previous {
        Some(secret) => secrets.set(name, &secret),
        None => secrets.delete(name).map(|_| ()),
    };
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::model::{Endpoint, Region};
    use crate::secrets::MemoryStore;

    fn setup() -> (tempfile::TempDir, std::path::PathBuf, MemoryStore, TokenCache) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        let cache = TokenCache::new(dir.path().join("cache"));
        (dir, path, MemoryStore::new(), cache)
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn adding_a_name_taken_meanwhile_keeps_the_other_secret() {
        let (_dir, path, store, _cache) = setup();
        let prod = Profile::new("prod", Endpoint::Region(Region::Us), "a");
        add(&path, &prod, Some(&secret("first")), &store).expect("add");
        // A stale front end adds "prod" again.
        let err = add(&path, &prod, Some(&secret("second")), &store).expect_err("taken");
        assert!(matches!(err, ProfileError::Config(ConfigError::ProfileExists(_))));
        assert_eq!(store.get("prod").expect("kept").expose_secret(), "first");
    }

    #[test]
    fn a_failed_config_write_puts_the_previous_secret_back() {
        let (_dir, path, store, _cache) = setup();
        std::fs::write(&path, "[[profile]]\nname = \"x\"\nclient_id = \"\"\n").expect("broken config");
        store.set("new", &secret("older")).expect("seed");
        let p = Profile::new("new", Endpoint::Region(Region::Us), "a");
        assert!(add(&path, &p, Some(&secret("newer")), &store).is_err());
        assert_eq!(store.get("new").expect("restored").expose_secret(), "older");
    }

    #[test]
    fn rename_moves_the_secret_and_forgets_the_old_token() {
        let (_dir, path, store, cache) = setup();
        let old = Profile::new("old", Endpoint::Region(Region::Us), "a");
        add(&path, &old, Some(&secret("s")), &store).expect("add");
        let new = Profile::new("new", Endpoint::Region(Region::Us), "a");
        replace(&path, &old, &new, None, &store, &cache).expect("rename");
        assert_eq!(store.get("new").expect("moved").expose_secret(), "s");
        assert!(matches!(store.get("old"), Err(SecretError::NotFound { .. })));
        let config = config::load(&path).expect("valid");
        assert!(config.profile("new").is_ok() && config.profile("old").is_err());
    }

    #[test]
    fn remove_takes_the_config_entry_then_the_secret() {
        let (_dir, path, store, cache) = setup();
        let p = Profile::new("p", Endpoint::Region(Region::Us), "a");
        add(&path, &p, Some(&secret("s")), &store).expect("add");
        let removed = remove(&path, &p, &store, &cache).expect("remove");
        assert!(removed.secret_removed && removed.warning.is_none());
        assert!(matches!(store.get("p"), Err(SecretError::NotFound { .. })));
        // A config that cannot be changed keeps the secret too.
        add(&path, &p, Some(&secret("s")), &store).expect("add again");
        std::fs::write(&path, "not = [valid").expect("break");
        assert!(remove(&path, &p, &store, &cache).is_err());
        assert_eq!(store.get("p").expect("kept").expose_secret(), "s");
    }
}
