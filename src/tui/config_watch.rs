//! Following the config file: profiles added, edited or removed by another
//! program (the CLI, an editor, another wktui) reach the open interface as
//! `Action::ConfigReloaded`. The file's directory is watched
//! (`platform::watch`: nothing runs while nothing changes), and the file is
//! also looked at every few seconds, for what a watch cannot see (a change
//! on a network file system, a link whose target moved).

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::Action;
use crate::cache::TokenCache;
use crate::config::{self, Config, ConfigError};
use crate::model::{Profile, SecretSource, Token};
use crate::platform::fs::FileStamp;
use crate::platform::watch::{DirWatch, Event};

/// How often the config file is looked at for changes its watch missed.
const POLL: Duration = Duration::from_secs(5);
/// A file that is missing or does not load is looked at again this much
/// later, and reported if it stayed so; waiting for the next poll made the
/// error take up to `POLL` to show.
const CONFIRM_ERROR: Duration = Duration::from_millis(300);
/// A changed file must look the same this much later, and after it was
/// read, before it counts: a program writing it in place (truncate, then
/// write) is not caught halfway, with half of its profiles.
const SETTLE: Duration = Duration::from_millis(50);

/// Follows the config file at `path`: on each change in its directory (or
/// its link's target's) and every `POLL`, one `stat`; when the
/// file changed (and settled) it is loaded on a blocking thread and sent as
/// `ConfigReloaded`, with the shared cache's tokens for the profiles that are
/// new or now ask for another token. A missing or invalid file is reported
/// only once it stayed so a moment later (`CONFIRM_ERROR`): editors that
/// save in place, or move the old file away first, pass through such states
/// for an instant. A file with a broken profile loads (the others are
/// used) and is reported at once, with that profile's problem.
///
/// Notifying the returned handle makes it read the file at once, whatever
/// its stamp: the runtime does after each of its own saves, so that a change
/// another program made just after one cannot hide behind the save's answer.
pub(super) fn spawn<'a>(
    path: PathBuf,
    profiles: impl Iterator<Item = &'a Profile>,
    cache: TokenCache,
    store: SecretSource,
    results: mpsc::UnboundedSender<Action>,
) -> Arc<Notify> {
    let mut known = Arc::new(fingerprints(profiles));
    let path = Arc::new(path);
    let recheck = Arc::new(Notify::new());
    let asked = Arc::clone(&recheck);
    tokio::spawn(async move {
        let stamp = |path: Arc<PathBuf>| tokio::task::spawn_blocking(move || FileStamp::of_path(&path));
        let Ok(mut shown) = stamp(Arc::clone(&path)).await else {
            return;
        };
        let mut last_seen = shown;
        let (mut watch, names) = watch_config(&path);
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        every.tick().await; // the first tick is immediate
        let mut confirm_error = false;
        loop {
            let forced = tokio::select! {
                events = watch.next() => {
                    if !events.iter().any(|e| concerns(e, &names)) {
                        continue;
                    }
                    false
                }
                _ = every.tick() => false,
                () = tokio::time::sleep(CONFIRM_ERROR), if confirm_error => false,
                () = asked.notified() => true,
            };
            confirm_error = false;
            let Ok(now) = stamp(Arc::clone(&path)).await else {
                return;
            };
            let settled = now == last_seen;
            last_seen = now;
            if now == shown && !forced {
                continue;
            }
            tokio::time::sleep(SETTLE).await;
            if stamp(Arc::clone(&path)).await.ok() != Some(now) {
                continue; // still being written: look again at the next poll
            }
            let (file, cache, store, before) = (
                Arc::clone(&path),
                cache.clone(),
                store.clone(),
                Arc::clone(&known),
            );
            let Ok((result, cached)) =
                tokio::task::spawn_blocking(move || reload_config(&file, &cache, &store, &before)).await
            else {
                return;
            };
            let unchanged_while_read = stamp(Arc::clone(&path)).await.ok() == Some(now);
            if !unchanged_while_read {
                continue;
            }
            if (now.is_none() || result.is_err()) && !settled {
                confirm_error = true;
                continue;
            }
            shown = now;
            if let Ok(config) = &result {
                known = Arc::new(fingerprints(config.profiles.iter()));
            }
            let result = result.map_err(|e| e.to_string());
            if results.send(Action::ConfigReloaded { result, cached }).is_err() {
                return;
            }
        }
    });
    recheck
}

/// A watch of the config file's directory, and of its target's when the
/// file is a link elsewhere; with the file's name in each.
fn watch_config(path: &Path) -> (DirWatch, Vec<Option<OsString>>) {
    let mut places: Vec<(PathBuf, Option<OsString>)> = Vec::new();
    let mut add = |file: &Path| {
        let dir = match file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !places.iter().any(|(d, _)| *d == dir) {
            places.push((dir, file.file_name().map(OsString::from)));
        }
    };
    add(path);
    if let Ok(target) = std::fs::canonicalize(path) {
        add(&target);
    }
    let (dirs, names) = places.into_iter().unzip();
    (DirWatch::new(dirs), names)
}

/// Whether a change in a watched directory may be the config file's.
fn concerns(event: &Event, names: &[Option<OsString>]) -> bool {
    match event {
        Event::Rescan { .. } => true,
        Event::Changed { dir, name } => names
            .get(*dir)
            .and_then(Option::as_ref)
            .is_none_or(|file| file.as_os_str() == name.as_str()),
    }
}

/// What each profile asks the server for, by name, as a hash of its
/// fingerprint: a tenth of the memory of the text, for a fleet.
type Known = HashMap<String, u64>;

fn fingerprints<'a>(profiles: impl Iterator<Item = &'a Profile>) -> Known {
    profiles.map(|p| (p.name.clone(), fingerprint_hash(p))).collect()
}

fn fingerprint_hash(profile: &Profile) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    profile.fingerprint().hash(&mut hasher);
    hasher.finish()
}

/// The config as the TUI shows it (secrets kept by wktui live where this
/// run keeps them: the keyring, or memory in the demo), and the cached tokens
/// of profiles that `before` did not have as they are now.
fn reload_config(
    path: &Path,
    cache: &TokenCache,
    store: &SecretSource,
    before: &Known,
) -> (Result<Config, ConfigError>, Vec<(String, Token)>) {
    // Read whole (the file changed), and indexed again for the next command.
    let mut config = match config::load_with_index(path, cache.private_dir(), config::Want::All) {
        Ok(loaded) => loaded.config,
        Err(e) => return (Err(e), Vec::new()),
    };
    for profile in &mut config.profiles {
        if profile.secret_source.is_stored() {
            profile.secret_source = store.clone();
        }
    }
    let cached = config
        .profiles
        .iter()
        .filter(|p| before.get(&p.name) != Some(&fingerprint_hash(p)))
        .filter_map(|p| cache.load(p).map(|t| (p.name.clone(), t)))
        .collect();
    (Ok(config), cached)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccessToken, Endpoint, Profile, Region, Scopes, Timestamp};

    #[cfg(unix)]
    #[tokio::test]
    async fn a_change_to_the_file_or_its_links_target_is_noticed_and_others_are_not() {
        let root = tempfile::tempdir().expect("tempdir");
        let (home, dotfiles) = (root.path().join("home"), root.path().join("dotfiles"));
        std::fs::create_dir_all(&home).expect("mkdir");
        std::fs::create_dir_all(&dotfiles).expect("mkdir");
        std::fs::write(dotfiles.join("wktui.toml"), "").expect("write");
        let path = home.join("config.toml");
        std::os::unix::fs::symlink(dotfiles.join("wktui.toml"), &path).expect("link");
        let (mut watch, names) = watch_config(&path);
        assert_eq!(names.len(), 2, "the link's directory and its target's");
        // Another file in the target's directory: an event, but not the config's.
        std::fs::write(dotfiles.join("other.toml"), "x").expect("write");
        let events = watch.next().await;
        assert!(!events.iter().any(|e| concerns(e, &names)), "{events:?}");
        // The target written in place, as an editor saves it.
        std::fs::write(dotfiles.join("wktui.toml"), "# edited").expect("write");
        let noticed = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if watch.next().await.iter().any(|e| concerns(e, &names)) {
                    break;
                }
            }
        })
        .await;
        assert!(noticed.is_ok(), "the edit of the link's target is noticed");
    }

    fn profile_text(name: &str, client_id: &str) -> String {
        format!("[[profile]]\nname = \"{name}\"\nregion = \"us\"\nclient_id = \"{client_id}\"\n\n")
    }

    fn token() -> Token {
        Token {
            access_token: AccessToken::new("wk.cached".into()),
            token_type: "Bearer".into(),
            scopes: Scopes::parse("file:read"),
            scope_stated: true,
            obtained_at: Timestamp::from_secs(1_700_000_000),
            lifetime: Duration::from_secs(600),
        }
    }

    #[test]
    fn the_stamp_changes_with_every_write_and_is_none_without_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        assert_eq!(FileStamp::of_path(&path), None);
        std::fs::write(&path, profile_text("a", "x")).expect("write");
        let first = FileStamp::of_path(&path);
        assert!(first.is_some());
        assert_eq!(FileStamp::of_path(&path), first, "unchanged");
        // An atomic replace with the same size: another inode.
        let next = dir.path().join("next.toml");
        std::fs::write(&next, profile_text("a", "y")).expect("write");
        std::fs::rename(&next, &path).expect("rename");
        assert_ne!(FileStamp::of_path(&path), first);
    }

    #[test]
    fn a_reload_brings_cached_tokens_only_for_new_or_changed_profiles() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        let cache = TokenCache::new(dir.path().join("cache"));
        std::fs::write(
            &path,
            profile_text("kept", "k") + &profile_text("new", "n") + &profile_text("edited", "e2"),
        )
        .expect("write");
        for (name, id) in [("kept", "k"), ("new", "n"), ("edited", "e2")] {
            let p = Profile::new(name, Endpoint::Region(Region::Us), id);
            cache.store(&p, &token()).expect("store");
        }
        let before: Known = [
            ("kept", Profile::new("kept", Endpoint::Region(Region::Us), "k")),
            (
                "edited",
                Profile::new("edited", Endpoint::Region(Region::Us), "e1"),
            ),
        ]
        .into_iter()
        .map(|(n, p)| (n.to_owned(), fingerprint_hash(&p)))
        .collect();
        let (config, cached) = reload_config(&path, &cache, &SecretSource::Memory, &before);
        let config = config.expect("valid");
        let mut names: Vec<&str> = cached.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        assert_eq!(names, ["edited", "new"]);
        assert!(
            config
                .profiles
                .iter()
                .all(|p| p.secret_source == SecretSource::Memory),
            "secrets kept by wktui live where this run keeps them"
        );
        // A broken profile: the others load, and it is told of.
        std::fs::write(&path, profile_text("kept", "k") + "[[profile]]\nname = 1\n").expect("break one");
        let (config, _) = reload_config(&path, &cache, &SecretSource::Keyring, &before);
        let config = config.expect("loads without the broken one");
        assert_eq!(config.names(), ["kept"]);
        assert_eq!(config.broken.len(), 1);
        // Not TOML: nothing loads.
        std::fs::write(&path, "[[profile]\nname = 1\n").expect("break");
        let (config, cached) = reload_config(&path, &cache, &SecretSource::Keyring, &before);
        assert!(config.is_err() && cached.is_empty());
    }
}
