//! The last token of each profile, shared between processes so a script's
//! `wktui token` does not ask the server while the token is valid.
//!
//! One small JSON file per profile, mode 0600 in a 0700 directory under the
//! per-user runtime dir (tmpfs on most Linux systems: tokens never reach the
//! disk), falling back to the user cache dir, never a shared temp directory.
//! A file is replaced by rename, so readers never see half of one; a lock
//! file per profile lets one process refresh while the others wait and then
//! reuse its token. The client secret never comes here.
//!
//! Nothing found here is believed unless it is ours: the directory must be
//! the user's own and private, each file a small regular file of the user's
//! (see `platform::fs`), and its content passes the checks of `entry`.

mod entry;
mod grant_notice;
mod summary;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use entry::{EntryError, MAX_ENTRY_BYTES, decode as decode_entry, encode as encode_entry};

use crate::clock;
use crate::model::{AccessToken, Profile, Token, TokenFacts};
use crate::platform::fs::{self as private, Durability, TrustError, write_atomically};

/// Up to this many profiles, `load_many` opens their files one by one.
const FEW: usize = 64;
/// From this many token files on, `load_many` reads them on two threads.
const MANY: usize = 1024;

/// How long forgetting a refused token waits for a refresh in progress,
/// which will replace the token anyway.
const FORGET_PATIENCE: Duration = Duration::from_secs(2);

/// Overrides the cache directory (tests, or users with unusual layouts).
pub const CACHE_DIR_ENV: &str = "WKTUI_CACHE_DIR";

#[derive(Clone, Debug)]
pub struct TokenCache {
    /// Empty when there is no private place for tokens (see `unavailable`).
    dir: PathBuf,
    /// Why tokens are not cached at all, when they are not.
    unavailable: Option<String>,
}

/// Held while a process refreshes a profile's token; released on drop.
#[derive(Debug)]
pub struct RefreshLock {
    _file: File,
}

/// Why the cache cannot be used, in words that say how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Untrusted(#[from] TrustError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl TokenCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        TokenCache {
            dir: dir.into(),
            unavailable: None,
        }
    }

    /// The cache where the environment says: `$WKTUI_CACHE_DIR`, else
    /// `$XDG_RUNTIME_DIR/wktui`, else the user cache dir. With none of them
    /// (no home directory) tokens are not cached: a shared temp directory
    /// is where another local user would be waiting.
    pub fn from_environment() -> Self {
        match Self::default_dir() {
            Some(dir) => TokenCache::new(dir),
            None => TokenCache {
                dir: PathBuf::new(),
                unavailable: Some(format!(
                    "tokens are not cached: there is no private directory for them (no XDG_RUNTIME_DIR and no home directory); set {CACHE_DIR_ENV} to a directory of your own"
                )),
            },
        }
    }

    /// `$WKTUI_CACHE_DIR`, else `$XDG_RUNTIME_DIR/wktui`, else the user cache dir.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir));
        }
        let base = directories::BaseDirs::new();
        if let Some(runtime) = base.as_ref().and_then(|b| b.runtime_dir()) {
            return Some(runtime.join("wktui"));
        }
        directories::ProjectDirs::from("", "", "wktui").map(|dirs| dirs.cache_dir().join("tokens"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory, when it is private and usable (or not made yet): where
    /// other files wktui remembers between runs may live too.
    pub fn private_dir(&self) -> Option<&Path> {
        self.usable_dir().ok()
    }

    /// Why tokens cannot be cached or read here, if they cannot: no private
    /// directory, or one that is not the user's own.
    pub fn problem(&self) -> Option<String> {
        self.usable_dir().err().map(|e| e.to_string())
    }

    fn usable_dir(&self) -> Result<&Path, CacheError> {
        if let Some(why) = &self.unavailable {
            return Err(CacheError::Unavailable(why.clone()));
        }
        match private::check_private_dir(&self.dir) {
            Err(e) if !e.is_not_found() => Err(e.into()),
            _ => Ok(&self.dir),
        }
    }

    fn writable_dir(&self) -> Result<&Path, CacheError> {
        if let Some(why) = &self.unavailable {
            return Err(CacheError::Unavailable(why.clone()));
        }
        private::ensure_private_dir(&self.dir)?;
        Ok(&self.dir)
    }

    fn token_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// The cached token, if there is one for this profile as configured now.
    /// Anything that is not plainly ours and sound is a miss, never an
    /// error: the cache is an optimisation and the server can always be
    /// asked again (and the next store replaces the bad file).
    pub fn load(&self, profile: &Profile) -> Option<Token> {
        self.load_checked(profile).ok().flatten()
    }

    /// `load`, saying why an entry was not used.
    pub fn load_checked(&self, profile: &Profile) -> Result<Option<Token>, CacheError> {
        tracing::debug!(profile = %profile.name, "cache lookup");
        let found = self.usable_dir().and_then(|_| {
            Ok(private::read_trusted(
                &self.token_path(&profile.cache_name()),
                MAX_ENTRY_BYTES,
            )?)
        });
        let bytes = match found {
            Ok(Some(bytes)) => zeroize::Zeroizing::new(bytes),
            Ok(None) => {
                tracing::debug!(profile = %profile.name, "cache miss: no entry");
                return Ok(None);
            }
            Err(e) => {
                tracing::debug!(profile = %profile.name, reason = %e, "cache miss: not trusted");
                return Err(e);
            }
        };
        match entry::decode(&bytes, &profile.fingerprint(), clock::now()) {
            Ok(token) => {
                tracing::debug!(profile = %profile.name, expires_in = token.lifetime.as_secs(), "cache hit");
                Ok(Some(token))
            }
            Err(e) => {
                tracing::debug!(profile = %profile.name, reason = %e, "cache miss: the entry was not used");
                Err(CacheError::Unavailable(format!(
                    "the cached token of {} was not used: {e}",
                    profile.name
                )))
            }
        }
    }

    /// The profiles that have a token file, by name, from one listing of the
    /// directory: a fleet of profiles costs one `readdir`, not one failed
    /// `open` each. Empty when there is no usable directory.
    pub fn stored_names(&self) -> std::collections::HashSet<String> {
        let mut names = std::collections::HashSet::new();
        let Ok(dir) = self.usable_dir() else {
            return names;
        };
        let mut keep = |file_name: &[u8]| {
            if let Some(stem) = token_file_stem(file_name) {
                names.insert(stem.to_owned());
            }
        };
        private::each_file_name(dir, &mut keep);
        names
    }

    /// What `wktui list` shows of each profile's cached token (in the same
    /// order), from the cache's summary: a fleet of profiles is listed
    /// without opening a file each (see `summary`). The same checks apply
    /// as in `load`, to the summary and to every token file read for it.
    pub fn facts_of_many(&self, profiles: &[&Profile]) -> Vec<Option<TokenFacts>> {
        // A few files cost less than the summary; without inodes there is none.
        if profiles.len() <= FEW || !cfg!(unix) {
            return self
                .load_many(profiles)
                .iter()
                .map(|t| t.as_ref().map(Token::facts))
                .collect();
        }
        let Ok(dir) = self.usable_dir() else {
            return vec![None; profiles.len()];
        };
        let summary = summary::current(self, dir);
        let mut fingerprint = String::new();
        profiles
            .iter()
            .map(|p| {
                p.write_fingerprint(&mut fingerprint);
                // A damaged record: the token file itself says.
                summary
                    .facts_of(&p.name, &fingerprint)
                    .unwrap_or_else(|_| self.load(p).as_ref().map(Token::facts))
            })
            .collect()
    }

    /// The bytes of a profile's token file, if it is there and trusted.
    fn read_file(&self, name: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        private::read_trusted(&self.token_path(name), MAX_ENTRY_BYTES)
            .ok()
            .flatten()
            .map(zeroize::Zeroizing::new)
    }

    /// `load` for many profiles: the cached token of each (in the same
    /// order), opening only the files that exist, on two threads when there
    /// are many. The same checks apply to each file as in `load`.
    pub fn load_many(&self, profiles: &[&Profile]) -> Vec<Option<Token>> {
        // A few profiles cost less one by one than a listing of a big directory.
        if profiles.len() <= FEW {
            return profiles.iter().map(|p| self.load(p)).collect();
        }
        let stored = self.stored_names();
        // Each file is a few system calls: with many, two threads read them.
        crate::halves::in_halves(profiles, stored.len() >= MANY, None, |half| {
            self.load_stored(half, &stored)
        })
    }

    /// `load` for the profiles among `stored` (from `stored_names`); `None`
    /// for the others, without looking.
    pub fn load_stored(
        &self,
        profiles: &[&Profile],
        stored: &std::collections::HashSet<String>,
    ) -> Vec<Option<Token>> {
        let now = clock::now();
        profiles
            .iter()
            .map(|profile| {
                if !stored.contains(&profile.name) {
                    return None;
                }
                let bytes = self.read_file(&profile.name)?;
                entry::decode(&bytes, &profile.fingerprint(), now).ok()
            })
            .collect()
    }

    pub fn store(&self, profile: &Profile, token: &Token) -> Result<(), CacheError> {
        tracing::debug!(profile = %profile.name, "caching the token");
        self.writable_dir()?;
        let bytes = entry::encode(&profile.fingerprint(), token);
        Ok(write_atomically(
            &self.token_path(&profile.cache_name()),
            &bytes,
            Durability::Cache,
        )?)
    }

    /// Forgets a profile's token (and its lock file), and those it got for
    /// narrower scopes (`NAME+HASH`, see `Profile::cache_name`).
    pub fn remove(&self, name: &str) -> Result<(), CacheError> {
        tracing::debug!(profile = %name, "forgetting the cached token");
        let dir = self.usable_dir()?;
        let mut paths = vec![
            self.token_path(name),
            dir.join(format!("{name}.lock")),
            dir.join(format!("{name}.grant-warned")),
        ];
        paths.extend(self.narrowed_entries(name));
        for path in paths {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        Ok(())
    }

    /// Forgets the cached token of `profile` if it is still `refused` (the
    /// API said no to it), so that the next `wktui token` fetches a new one;
    /// a token another process stored meanwhile stays. Holds the refresh lock
    /// for the look and the removal. Whether the token was forgotten.
    pub fn forget_refused(&self, profile: &Profile, refused: &AccessToken) -> Result<bool, CacheError> {
        let name = profile.cache_name();
        let Some(_lock) = self.lock(&name, FORGET_PATIENCE)? else {
            return Ok(false);
        };
        let still_there = self
            .load(profile)
            .is_some_and(|t| t.access_token.expose() == refused.expose());
        if !still_there {
            return Ok(false);
        }
        tracing::debug!(profile = %profile.name, "forgetting a token the API refused");
        match std::fs::remove_file(self.token_path(&name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(true),
        }
    }

    /// The files of tokens `name` got for narrower scopes, and their locks.
    fn narrowed_entries(&self, name: &str) -> Vec<PathBuf> {
        let prefix = format!("{name}+");
        let mut found = Vec::new();
        private::each_file_name(&self.dir, |file_name: &[u8]| {
            let Ok(file_name) = std::str::from_utf8(file_name) else {
                return;
            };
            let stem = file_name
                .strip_suffix(".json")
                .or_else(|| file_name.strip_suffix(".lock"));
            if stem
                .and_then(|s| s.strip_prefix(&prefix))
                .is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                found.push(self.dir.join(file_name));
            }
        });
        found
    }

    /// Moves a profile's token to a new name (a renamed profile, same grant).
    /// Tokens for narrower scopes are dropped: the next call fetches again.
    pub fn rename(&self, old: &str, new: &str) -> Result<(), CacheError> {
        tracing::debug!(from = %old, to = %new, "moving the cached token");
        let dir = self.usable_dir()?;
        for path in self.narrowed_entries(old) {
            let _ = std::fs::remove_file(path);
        }
        match std::fs::rename(self.token_path(old), self.token_path(new)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => {
                let _ = std::fs::remove_file(dir.join(format!("{old}.lock")));
                let _ = std::fs::remove_file(dir.join(format!("{old}.grant-warned")));
                Ok(())
            }
        }
    }

    /// Waits until no other process is refreshing `name`, then holds it;
    /// `None` when that takes longer than `patience` (a process stuck at a
    /// passphrase prompt must not hang every script behind it).
    pub fn lock(&self, name: &str, patience: Duration) -> Result<Option<RefreshLock>, CacheError> {
        tracing::debug!(profile = %name, patience_ms = patience.as_millis() as u64, "taking the refresh lock");
        let dir = self.writable_dir()?;
        let file = private::open_lock_file(&dir.join(format!("{name}.lock")))?;
        let deadline = std::time::Instant::now() + patience;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(RefreshLock { _file: file })),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
            }
        }
    }
}

/// The profile name of a token file (`NAME.json`), or `None` for any other
/// file: temporary files of a store in progress start with a dot, and no
/// profile name does.
fn token_file_stem(file_name: &[u8]) -> Option<&str> {
    let stem = std::str::from_utf8(file_name.strip_suffix(b".json")?).ok()?;
    (!stem.starts_with('.') && crate::model::check_profile_name(stem).is_ok()).then_some(stem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BearerToken, Endpoint, Region, Scopes};

    fn sample() -> (Profile, Token) {
        let profile = Profile::new("prod", Endpoint::Region(Region::Us), "id");
        let response = BearerToken {
            access_token: "wk.cached".into(),
            expires_in: 600,
            scope: None,
            token_type: "bearer".into(),
        };
        let token =
            Token::from_response(&response, Some(&Scopes::parse("file:read")), clock::now()).expect("token");
        (profile, token)
    }

    #[test]
    fn round_trip_keeps_every_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        let (profile, token) = sample();
        assert!(cache.load(&profile).is_none());
        cache.store(&profile, &token).expect("store");
        assert_eq!(cache.load(&profile), Some(token));
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        let (profile, token) = sample();
        cache.store(&profile, &token).expect("store");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(cache.dir()), 0o700);
        assert_eq!(mode(&cache.token_path("prod")), 0o600);
    }

    #[test]
    fn a_changed_profile_misses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        let (mut profile, token) = sample();
        cache.store(&profile, &token).expect("store");
        profile.client_id = "other".into();
        assert!(cache.load(&profile).is_none());
    }

    #[test]
    fn a_narrowed_token_is_kept_apart_and_goes_with_its_profile() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        let (mut profile, token) = sample();
        profile.scope = Some(Scopes::parse("file:read file:write"));
        let narrow = profile.narrowed_to(&Scopes::parse("file:read"));
        cache.store(&narrow, &token).expect("store");
        assert!(
            cache.load(&profile).is_none(),
            "the full scope's entry is another"
        );
        assert_eq!(cache.load(&narrow), Some(token.clone()));
        assert!(cache.stored_names().is_empty(), "not listed as a profile");
        // Another profile whose name starts the same keeps its own.
        let mut other = profile.clone();
        other.name = "prod-eu".into();
        let other_narrow = other.narrowed_to(&Scopes::parse("file:read"));
        cache.store(&other_narrow, &token).expect("store");
        cache.remove("prod").expect("remove");
        assert!(cache.load(&narrow).is_none(), "removed with its profile");
        assert!(cache.load(&other_narrow).is_some(), "another profile's is kept");
        cache.store(&narrow, &token).expect("store");
        cache.rename("prod", "prod2").expect("rename");
        assert!(cache.load(&narrow).is_none(), "dropped on rename");
    }

    #[test]
    fn garbage_is_a_miss_and_remove_forgets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        let (profile, token) = sample();
        cache.store(&profile, &token).expect("store");
        std::fs::write(cache.token_path("prod"), b"{not json").expect("write");
        assert!(cache.load(&profile).is_none());
        cache.store(&profile, &token).expect("store");
        cache.remove("prod").expect("remove");
        assert!(cache.load(&profile).is_none());
        cache.remove("prod").expect("removing twice is fine");
    }

    #[test]
    fn the_lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        let held = cache.lock("prod", Duration::ZERO).expect("lock").expect("free");
        let path = cache.dir().join("prod.lock");
        let other = File::options().write(true).open(&path).expect("open");
        assert!(other.try_lock().is_err(), "second lock must wait");
        assert!(
            cache
                .lock("prod", Duration::from_millis(50))
                .expect("no error")
                .is_none(),
            "gives up in time"
        );
        drop(held);
        // A child process forked by another test in this moment holds a copy of
        // the descriptor until it execs: allow it that moment.
        let freed = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(5));
            other.try_lock().is_ok()
        });
        assert!(freed, "released on drop");
    }

    #[cfg(unix)]
    #[test]
    fn nothing_in_a_directory_others_can_enter_is_believed_and_nothing_is_written_there() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        let (profile, token) = sample();
        cache.store(&profile, &token).expect("store");
        std::fs::set_permissions(cache.dir(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
        assert!(
            cache.load(&profile).is_none(),
            "a shared directory is not trusted"
        );
        let problem = cache.problem().expect("a problem is reported");
        assert!(problem.contains("chmod 700"), "{problem}");
        assert!(cache.store(&profile, &token).is_err(), "nor written to");
        let mode = std::fs::metadata(cache.dir()).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o777, "and never chmod-ed");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_write_or_a_fifo_is_a_miss_not_a_hang() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        let (profile, token) = sample();
        cache.store(&profile, &token).expect("store");
        let path = cache.token_path("prod");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        assert!(cache.load(&profile).is_none());
        std::fs::remove_file(&path).expect("rm");
        // mkfifo(1), which every Unix has (rustix has no mknodat on macOS).
        let made = std::process::Command::new("mkfifo")
            .args(["-m", "600"])
            .arg(&path)
            .status()
            .expect("run mkfifo");
        assert!(made.success(), "mkfifo");
        assert!(cache.load(&profile).is_none(), "returns at once");
        cache.store(&profile, &token).expect("a store replaces it");
        assert_eq!(cache.load(&profile), Some(token));
    }

    #[test]
    fn no_private_place_means_no_cache_with_a_reason() {
        let cache = TokenCache {
            dir: PathBuf::new(),
            unavailable: Some("no private directory".into()),
        };
        let (profile, token) = sample();
        assert!(cache.load(&profile).is_none());
        assert!(cache.store(&profile, &token).is_err());
        assert_eq!(cache.problem().as_deref(), Some("no private directory"));
    }
}
