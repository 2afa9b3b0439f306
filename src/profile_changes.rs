//! Adding, changing and removing a profile together with its secret and its
//! cached token, so the CLI and the TUI do it the same safe way.
//!
//! Every change holds the config file's edit lock from the first look at the
//! file to the last keyring write or rollback, so two processes changing the
//! same profile run one after the other. The config decides first, a secret
//! that was there before is put back if a later step fails, a rollback only
//! removes a secret that this change wrote, and a secret is never deleted
//! before its profile is gone.

use std::path::Path;

use secrecy::SecretString;

use crate::cache::TokenCache;
use crate::config::{ConfigError, Editor};
use crate::model::{Profile, SecretSource};
use crate::secrets::{SecretError, SecretStore};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("a client secret is required for a profile whose secret is kept by wktui")]
    SecretRequired,
    #[error("profile {name} reads its secret from {from}, not the keyring; change that source instead")]
    SecretNotStored { name: String, from: String },
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
    let mut editor = Editor::open(path)?;
    // The file decides first, under the lock: a name taken by another
    // process keeps its secret untouched.
    editor.add_profile(profile)?;
    editor.checked_text()?;
    if !profile.secret_source.is_stored() {
        return Ok(editor.save()?);
    }
    let secret = secret.ok_or(ProfileError::SecretRequired)?;
    let undo = SecretChange::set(secrets, &profile.name, secret)?;
    match editor.save() {
        Ok(()) => Ok(()),
        Err(e) => {
            undo.revert(secrets);
            Err(e.into())
        }
    }
}

/// Replaces `old` by `profile` (possibly renamed). Without a new secret a
/// stored one moves with a renamed profile. Refuses when the file's entry is
/// no longer `old`: someone changed it since the caller read it.
pub fn replace(
    path: &Path,
    old: &Profile,
    profile: &Profile,
    secret: Option<&SecretString>,
    secrets: &dyn SecretStore,
    cache: &TokenCache,
) -> Result<(), ProfileError> {
    let mut editor = Editor::open(path)?;
    editor.replace_profile(old, profile)?;
    editor.checked_text()?;
    let renamed = old.name != profile.name;
    let mut undo = None;
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
            undo = Some(SecretChange::set(secrets, &profile.name, new_secret)?);
        }
    }
    if let Err(e) = editor.write() {
        if let Some(undo) = undo {
            undo.revert(secrets);
        }
        return Err(e.into());
    }
    // The old name's secret and token go while the lock is still held.
    if renamed {
        if old.secret_source.is_stored() {
            let _ = secrets.delete(&old.name);
        }
        if old.fingerprint() == profile.fingerprint() {
            // Same grant, new name: the token is still good; move it along.
            let _ = cache.rename(&old.name, &profile.name);
        } else {
            let _ = cache.remove(&old.name);
        }
    } else if old.fingerprint() != profile.fingerprint() {
        let _ = cache.remove(&profile.name);
    }
    drop(editor);
    Ok(())
}

/// Whether the secret store answers, before a secret is asked for: a
/// lookup of the profile's entry, where "not found" is an answer too.
pub fn check_store(secrets: &dyn SecretStore, name: &str) -> Result<(), SecretError> {
    match secrets.get(name) {
        Ok(_) | Err(SecretError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// What removing `profile` destroys, said the same by `profile remove` and
/// the interface's `d`: a stored secret is gone for good, because Workiva
/// shows a client secret once, when the grant is made.
pub fn removal_warning(profile: &Profile) -> String {
    const ONCE: &str = "and cannot be recovered: Workiva shows a client secret only once (a new one means a new secret from Workiva).";
    match &profile.secret_source {
        SecretSource::Keyring => format!("Its client secret is deleted from the keyring {ONCE}"),
        SecretSource::Memory => format!("Its client secret is deleted {ONCE}"),
        SecretSource::Env(var) => {
            format!("Its client secret stays in ${var}; the config entry and cached token go.")
        }
        SecretSource::Command(_) => {
            "Its client secret stays where its secret_command reads it; the config entry and cached token go."
                .to_owned()
        }
    }
}

/// Removes the config entry first, then the secret and the cached token: a
/// leftover keyring entry can be cleared later, a lost secret cannot.
pub fn remove(
    path: &Path,
    profile: &Profile,
    secrets: &dyn SecretStore,
    cache: &TokenCache,
) -> Result<Removed, ProfileError> {
    let mut editor = Editor::open(path)?;
    editor.remove_profile(&profile.name)?;
    // What the file says now decides where the secret lives, not the caller's copy.
    let stored = editor
        .config()
        .profile(&profile.name)
        .map(|p| p.secret_source.is_stored())
        .unwrap_or(profile.secret_source.is_stored());
    // Written but still locked: the secret and the token go before another
    // process can add a profile of the same name.
    editor.write()?;
    let mut removed = Removed::default();
    if stored {
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
    drop(editor);
    Ok(removed)
}

/// Replaces the stored secret of an existing profile (`profile set-secret`),
/// under the config lock so that it cannot race a remove or a rename.
pub fn set_secret(
    path: &Path,
    name: &str,
    secret: &SecretString,
    secrets: &dyn SecretStore,
) -> Result<(), ProfileError> {
    let editor = Editor::open(path)?;
    let profile = editor.config().profile(name)?;
    if !profile.secret_source.is_stored() {
        return Err(ProfileError::SecretNotStored {
            name: name.to_owned(),
            from: profile.secret_source.to_string(),
        });
    }
    secrets.set(name, secret)?;
    drop(editor);
    Ok(())
}

/// A secret this change wrote, and what was there before it, so that a
/// failure later on puts back exactly the previous state.
struct SecretChange {
    name: String,
    previous: Option<SecretString>,
}

impl SecretChange {
    fn set(secrets: &dyn SecretStore, name: &str, secret: &SecretString) -> Result<Self, SecretError> {
        let previous = match secrets.get(name) {
            Ok(s) => Some(s),
            Err(SecretError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        secrets.set(name, secret)?;
        Ok(SecretChange {
            name: name.to_owned(),
            previous,
        })
    }

    /// Puts back what was stored before; deletes only what this change added.
    fn revert(self, secrets: &dyn SecretStore) {
        let _ = match self.previous {
            Some(secret) => secrets.set(&self.name, &secret),
            None => secrets.delete(&self.name).map(|_| ()),
        };
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::config;
    use crate::model::{Endpoint, Region};
    use crate::secrets::MemoryStore;

    #[test]
    fn the_store_is_asked_before_a_secret_and_what_removal_destroys_is_said() {
        let store = MemoryStore::new();
        check_store(&store, "new").expect("not found is an answer");
        let mut profile = Profile::new("p", Endpoint::Region(Region::Us), "c");
        assert!(removal_warning(&profile).contains("deleted from the keyring and cannot be recovered"));
        profile.secret_source = SecretSource::Env("VAR".into());
        assert!(removal_warning(&profile).contains("stays in $VAR"));
    }

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

    /// A store that notes, at each delete, whether the config's edit lock
    /// is still held by someone (this test's own change).
    struct LockWatchingStore {
        inner: MemoryStore,
        lock_file: std::path::PathBuf,
        deletes_under_lock: std::sync::Mutex<Vec<bool>>,
    }

    impl SecretStore for LockWatchingStore {
        fn get(&self, profile: &str) -> Result<SecretString, SecretError> {
            self.inner.get(profile)
        }
        fn set(&self, profile: &str, secret: &SecretString) -> Result<(), SecretError> {
            self.inner.set(profile, secret)
        }
        fn delete(&self, profile: &str) -> Result<bool, SecretError> {
            let held = std::fs::File::open(&self.lock_file)
                .map(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)))
                .unwrap_or(false);
            if let Ok(mut seen) = self.deletes_under_lock.lock() {
                seen.push(held);
            }
            self.inner.delete(profile)
        }
        fn source(&self) -> SecretSource {
            self.inner.source()
        }
    }

    #[test]
    fn secrets_of_removed_and_renamed_profiles_go_before_the_lock_is_released() {
        // Released earlier, another process could add a profile of the same
        // name and store its secret in between, and this delete would take it.
        let (dir, path, _store, cache) = setup();
        let store = LockWatchingStore {
            inner: MemoryStore::new(),
            lock_file: dir.path().join(".config.toml.lock"),
            deletes_under_lock: std::sync::Mutex::new(Vec::new()),
        };
        let old = Profile::new("old", Endpoint::Region(Region::Us), "a");
        add(&path, &old, Some(&secret("s")), &store).expect("add");
        let new = Profile::new("new", Endpoint::Region(Region::Us), "a");
        replace(&path, &old, &new, None, &store, &cache).expect("rename");
        remove(&path, &new, &store, &cache).expect("remove");
        let seen = store.deletes_under_lock.lock().expect("not poisoned").clone();
        assert_eq!(seen, vec![true, true], "rename's delete, then remove's");
    }

    #[test]
    fn parallel_adds_edits_and_removes_never_leave_a_profile_without_its_secret() {
        use std::sync::Arc;
        let (_dir, path, store, cache) = setup();
        let store = Arc::new(store);
        let names = [
            "same", "same", "same", "other", "third", "same", "other", "fourth",
        ];
        let threads: Vec<_> = (0..32)
            .map(|i| {
                let (path, store, cache) = (path.clone(), Arc::clone(&store), cache.clone());
                let name = names[i % names.len()].to_owned();
                std::thread::spawn(move || {
                    let p = Profile::new(name.clone(), Endpoint::Region(Region::Us), format!("id{i}"));
                    let s = secret(&format!("secret-{i}"));
                    match i % 4 {
                        0 | 1 => {
                            let _ = add(&path, &p, Some(&s), store.as_ref());
                        }
                        2 => {
                            if let Ok(current) = config::load(&path).and_then(|c| c.profile(&name).cloned()) {
                                let mut edited = current.clone();
                                edited.client_id = format!("edited{i}");
                                let _ = replace(&path, &current, &edited, Some(&s), store.as_ref(), &cache);
                            }
                        }
                        _ => {
                            if let Ok(current) = config::load(&path).and_then(|c| c.profile(&name).cloned()) {
                                let _ = remove(&path, &current, store.as_ref(), &cache);
                            }
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let config = config::load(&path).expect("valid");
        for p in &config.profiles {
            assert!(store.get(&p.name).is_ok(), "profile {} lost its secret", p.name);
        }
        for name in ["same", "other", "third", "fourth"] {
            if config.profile(name).is_err() {
                assert!(
                    store.get(name).is_err(),
                    "secret of {name} left without its profile"
                );
            }
        }
    }
}
