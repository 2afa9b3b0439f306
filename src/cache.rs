//! The last token of each profile, shared between processes so a script's
//! `wktui token` does not ask the server while the token is valid.
//!
//! One small JSON file per profile, mode 0600 in a 0700 directory under the
//! per-user runtime dir (tmpfs on most Linux systems: tokens never reach the
//! disk), falling back to the user cache dir. A file is replaced by rename, so
//! readers never see half of one; a lock file per profile lets one process
//! refresh while the others wait and then reuse its token. The client secret
//! never comes here.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{Durability, write_atomically};
use crate::model::{AccessToken, Profile, Scopes, Timestamp, Token};

/// Overrides the cache directory (tests, or users with unusual layouts).
pub const CACHE_DIR_ENV: &str = "WKTUI_CACHE_DIR";

const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct CachedToken {
    version: u32,
    /// `Profile::fingerprint()` when it was fetched; a changed profile misses.
    fingerprint: String,
    access_token: String,
    token_type: String,
    scope: String,
    scope_stated: bool,
    obtained_at_ms: u64,
    expires_in: u64,
}

impl Drop for CachedToken {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.access_token);
    }
}

#[derive(Clone, Debug)]
pub struct TokenCache {
    dir: PathBuf,
}

/// Held while a process refreshes a profile's token; released on drop.
#[derive(Debug)]
pub struct RefreshLock {
    _file: File,
}

impl TokenCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        TokenCache { dir: dir.into() }
    }

    /// `$WKTUI_CACHE_DIR`, else `$XDG_RUNTIME_DIR/wktui`, else the user cache dir.
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        let base = directories::BaseDirs::new();
        if let Some(runtime) = base.as_ref().and_then(|b| b.runtime_dir()) {
            return runtime.join("wktui");
        }
        match directories::ProjectDirs::from("", "", "wktui") {
            Some(dirs) => dirs.cache_dir().join("tokens"),
            None => std::env::temp_dir().join(format!("wktui-{}", user_tag())),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn token_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// The cached token, if there is one for this profile as configured now.
    /// Unreadable or stale entries are misses, never errors: the cache is an
    /// optimisation and the server can always be asked again.
    pub fn load(&self, profile: &Profile) -> Option<Token> {
        tracing::debug!(profile = %profile.name, "cache lookup");
        let bytes = zeroize::Zeroizing::new(std::fs::read(self.token_path(&profile.name)).ok()?);
        let cached: CachedToken = serde_json::from_slice(&bytes).ok()?;
        if cached.version != FORMAT_VERSION || cached.fingerprint != profile.fingerprint() {
            tracing::debug!(profile = %profile.name, "cache miss: the entry is for another profile setup or format");
            return None;
        }
        tracing::debug!(profile = %profile.name, expires_in = cached.expires_in, "cache hit");
        Some(Token {
            access_token: AccessToken::new(cached.access_token.clone()),
            token_type: cached.token_type.clone(),
            scopes: Scopes::parse(&cached.scope),
            scope_stated: cached.scope_stated,
            obtained_at: Timestamp(cached.obtained_at_ms),
            lifetime: Duration::from_secs(cached.expires_in),
        })
    }

    pub fn store(&self, profile: &Profile, token: &Token) -> std::io::Result<()> {
        tracing::debug!(profile = %profile.name, "caching the token");
        self.ensure_dir()?;
        let cached = CachedToken {
            version: FORMAT_VERSION,
            fingerprint: profile.fingerprint(),
            access_token: token.access_token.expose().to_owned(),
            token_type: token.token_type.clone(),
            scope: token.scopes.to_string(),
            scope_stated: token.scope_stated,
            obtained_at_ms: token.obtained_at.as_millis(),
            expires_in: token.lifetime.as_secs(),
        };
        let bytes = zeroize::Zeroizing::new(serde_json::to_vec(&cached).map_err(std::io::Error::other)?);
        write_atomically(&self.token_path(&profile.name), &bytes, Durability::Cache)
    }

    /// Forgets a profile's token (and its lock file).
    pub fn remove(&self, name: &str) -> std::io::Result<()> {
        tracing::debug!(profile = %name, "forgetting the cached token");
        for path in [self.token_path(name), self.dir.join(format!("{name}.lock"))] {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Moves a profile's token to a new name (a renamed profile, same grant).
    pub fn rename(&self, old: &str, new: &str) -> std::io::Result<()> {
        tracing::debug!(from = %old, to = %new, "moving the cached token");
        match std::fs::rename(self.token_path(old), self.token_path(new)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => {
                let _ = std::fs::remove_file(self.dir.join(format!("{old}.lock")));
                Ok(())
            }
        }
    }

    /// Waits until no other process is refreshing `name`, then holds it;
    /// `None` when that takes longer than `patience` (a process stuck at a
    /// passphrase prompt must not hang every script behind it).
    pub fn lock(&self, name: &str, patience: Duration) -> std::io::Result<Option<RefreshLock>> {
        self.ensure_dir()?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(format!("{name}.lock")))?;
        let deadline = std::time::Instant::now() + patience;
        tracing::debug!(profile = %name, patience_ms = patience.as_millis() as u64, "taking the refresh lock");
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(RefreshLock { _file: file })),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
        }
    }

    fn ensure_dir(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
}

/// Something that tells users apart in a shared temp dir.
fn user_tag() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "user".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BearerToken, Endpoint, Region};

    fn sample() -> (Profile, Token) {
        let profile = Profile::new("prod", Endpoint::Region(Region::Us), "id");
        let response = BearerToken {
            access_token: "wk.cached".into(),
            expires_in: 600,
            scope: None,
            token_type: "bearer".into(),
        };
        let token = Token::from_response(&response, Some(&Scopes::parse("file:read")), Timestamp(5_000))
            .expect("token");
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
        let cache = TokenCache::new(dir.path());
        let (mut profile, token) = sample();
        cache.store(&profile, &token).expect("store");
        profile.client_id = "other".into();
        assert!(cache.load(&profile).is_none());
    }

    #[test]
    fn garbage_is_a_miss_and_remove_forgets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path());
        let (profile, token) = sample();
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
        let cache = TokenCache::new(dir.path());
        let held = cache.lock("prod", Duration::ZERO).expect("lock").expect("free");
        let path = dir.path().join("prod.lock");
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
        assert!(other.try_lock().is_ok());
    }
}
