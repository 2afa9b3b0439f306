//! Which `wktui exec` and `wktui serve` processes are running now, so the
//! interface can mark the profiles they hand out tokens for.
//!
//! Each running process keeps one small JSON file in `<cache dir>/active/`
//! and holds an exclusive lock on it for as long as it lives; the file is
//! removed when it stops. A file whose lock can be taken belongs to a process
//! that died without cleaning up, and is ignored (and removed by the next
//! `register`). Names are unique per registration (`<pid>-<random>.json`), so a
//! stale file can never be confused with a live one that reuses its pid. The
//! files are hostile like any other: only regular files owned by this user,
//! of bounded size, with a clean content, are believed.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::text;
use crate::platform::fs as private;

/// The subdirectory of the cache dir that holds the registrations.
const DIR: &str = "active";
/// A registration is a few hundred bytes; anything bigger is not ours.
const MAX_FILE_LEN: u64 = 8 * 1024;
/// More profiles than this in one registration is not ours either.
const MAX_PROFILES: usize = 1000;
const MAX_URL_LEN: usize = 200;
/// A temporary file older than this whose lock is free was left by a crash.
const STALE_TEMP_AGE: Duration = Duration::from_secs(60);

/// What kind of process registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `wktui exec NAME -- CMD`: a child running with the profile's token.
    Exec,
    /// `wktui serve`: a long-running local token endpoint.
    Serve,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exec => "exec",
            Kind::Serve => "serve",
        }
    }
}

/// A live `exec` or `serve`, as its registration says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Active {
    pub pid: u32,
    pub kind: Kind,
    /// The profiles it hands out tokens for.
    pub profiles: Vec<String>,
    /// Its local token endpoint, if it runs one (`http://127.0.0.1:PORT`).
    pub url: Option<String>,
    /// When it started, in milliseconds since the epoch.
    pub started_at_ms: u64,
}

/// Held by a running `exec` or `serve`; dropping it removes the registration.
#[derive(Debug)]
pub struct Registration {
    path: PathBuf,
    /// Holds the lock that tells readers the process is alive.
    _file: File,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Registers this process as running `kind` for `profiles`. Stale
/// registrations of dead processes are cleaned up on the way.
pub fn register(
    cache_dir: &Path,
    kind: Kind,
    profiles: &[String],
    url: Option<&str>,
) -> std::io::Result<Registration> {
    if !cache_dir.is_absolute() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "there is no private cache directory to register in",
        ));
    }
    let dir = cache_dir.join(DIR);
    for dir in [cache_dir, dir.as_path()] {
        private::ensure_private_dir(dir).map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    remove_stale(&dir);
    let entry = Active {
        pid: std::process::id(),
        kind,
        profiles: profiles.to_vec(),
        url: url.map(str::to_owned),
        started_at_ms: crate::clock::now().as_millis(),
    };
    let bytes = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
    let unique = format!("{}-{:016x}", entry.pid, fastrand::u64(..));
    let temp = dir.join(format!(".{unique}.tmp"));
    let path = dir.join(format!("{unique}.json"));
    // Locked before it gets its visible name, so no reader ever sees it unlocked.
    let mut file = private::create_private(&temp)?;
    let written = file
        .try_lock()
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|()| file.write_all(&bytes))
        .and_then(|()| std::fs::rename(&temp, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    Ok(Registration { path, _file: file })
}

/// Every live registration under `cache_dir`, oldest first. Unreadable,
/// foreign, oversized or stale files are skipped; never an error.
pub fn active(cache_dir: &Path) -> Vec<Active> {
    let Ok(entries) = std::fs::read_dir(cache_dir.join(DIR)) else {
        return Vec::new();
    };
    let mut found: Vec<Active> = entries
        .flatten()
        .filter(|e| is_registration_name(&e.file_name().to_string_lossy()))
        .filter_map(|e| read_live(&e.path()))
        .collect();
    found.sort_by_key(|a| (a.started_at_ms, a.pid));
    found
}

/// `<pid>-<16 hex>.json`, the only names `register` makes.
fn is_registration_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".json") else {
        return false;
    };
    let Some((pid, random)) = stem.split_once('-') else {
        return false;
    };
    !pid.is_empty()
        && pid.len() <= 10
        && pid.bytes().all(|b| b.is_ascii_digit())
        && random.len() == 16
        && random.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The registration at `path` if it is ours, well-formed, and its process holds the lock.
fn read_live(path: &Path) -> Option<Active> {
    let file = open_trusted(path)?;
    if !lock_is_held(&file) {
        return None;
    }
    let mut bytes = Vec::new();
    (&file).take(MAX_FILE_LEN + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return None;
    }
    let entry: Active = serde_json::from_slice(&bytes).ok()?;
    is_plausible(&entry).then_some(entry)
}

/// Opens a file only if it is a regular file (not a link) of this user's that
/// nobody else may write.
fn open_trusted(path: &Path) -> Option<File> {
    let file = private::open_no_follow(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_LEN || !private::is_mine_and_unwritable_by_others(&meta) {
        return None;
    }
    Some(file)
}

/// Whether another open file (the registering process) holds the lock.
fn lock_is_held(file: &File) -> bool {
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

/// Names and URL that a terminal can show as they are.
fn is_plausible(entry: &Active) -> bool {
    let clean_name = |n: &String| !n.is_empty() && n.len() <= 64 && text::is_clean(n) && !n.contains(' ');
    entry.pid != 0
        && entry.profiles.len() <= MAX_PROFILES
        && entry.profiles.iter().all(clean_name)
        && entry
            .url
            .as_ref()
            .is_none_or(|u| u.len() <= MAX_URL_LEN && text::is_clean(u) && u.starts_with("http://"))
}

/// Removes registrations and temp files left by processes that died.
fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_temp = name.starts_with('.') && name.ends_with(".tmp");
        if !is_registration_name(&name) && !is_temp {
            continue;
        }
        let path = entry.path();
        let Some(file) = open_trusted(&path) else {
            continue;
        };
        if is_temp {
            let young = file
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_none_or(|age| age < STALE_TEMP_AGE);
            if young {
                continue;
            }
        }
        // Holding the lock while removing: nobody can be using it.
        if file.try_lock().is_ok() {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache dir that does not exist yet, as `register` makes it.
    struct Cache(PathBuf);

    impl Cache {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    fn names(list: &[Active]) -> Vec<Vec<String>> {
        list.iter().map(|a| a.profiles.clone()).collect()
    }

    #[test]
    fn no_cache_directory_is_no_registration() {
        let err = register(Path::new(""), Kind::Serve, &["p".into()], None).expect_err("relative");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(active(Path::new("")).is_empty());
    }

    #[test]
    fn a_registration_is_listed_while_held_and_gone_when_dropped() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = Cache(temp.path().join("cache"));
        assert!(active(dir.path()).is_empty(), "no dir yet is no one");
        let serve = register(
            dir.path(),
            Kind::Serve,
            &["prod".into(), "dev".into()],
            Some("http://127.0.0.1:8250"),
        )
        .expect("register");
        // Oldest first: a later millisecond for the second one.
        std::thread::sleep(Duration::from_millis(5));
        let exec = register(dir.path(), Kind::Exec, &["prod".into()], None).expect("register");
        let list = active(dir.path());
        assert_eq!(names(&list), [vec!["prod", "dev"], vec!["prod"]]);
        assert_eq!(list[0].kind, Kind::Serve);
        assert_eq!(list[0].pid, std::process::id());
        assert_eq!(list[0].url.as_deref(), Some("http://127.0.0.1:8250"));
        assert_eq!(list[1].kind, Kind::Exec);
        drop(serve);
        assert_eq!(names(&active(dir.path())), [vec!["prod"]]);
        drop(exec);
        assert!(active(dir.path()).is_empty());
        assert_eq!(std::fs::read_dir(dir.path().join(DIR)).expect("dir").count(), 0);
    }

    /// A process killed with SIGKILL leaves its file behind, unlocked.
    #[test]
    fn an_unlocked_file_is_a_dead_process_and_is_cleaned_up() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = Cache(temp.path().join("cache"));
        let live = register(dir.path(), Kind::Exec, &["live".into()], None).expect("register");
        let dead = dir.path().join(DIR).join("4242-00000000000000ff.json");
        let entry = Active {
            pid: 4242,
            kind: Kind::Serve,
            profiles: vec!["dead".into()],
            url: None,
            started_at_ms: 1,
        };
        std::fs::write(&dead, serde_json::to_vec(&entry).expect("json")).expect("write");
        assert_eq!(names(&active(dir.path())), [vec!["live"]]);
        assert!(dead.exists(), "listing never deletes");
        let other = register(dir.path(), Kind::Exec, &["other".into()], None).expect("register");
        assert!(!dead.exists(), "the next registration cleans up");
        assert!(live.path.exists() && other.path.exists(), "live ones stay");
    }

    #[test]
    fn foreign_oversized_and_garbled_files_are_not_believed() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = Cache(temp.path().join("cache"));
        let reg = register(dir.path(), Kind::Serve, &["ok".into()], None).expect("register");
        let active_dir = dir.path().join(DIR);
        // Files that are locked but wrong in content: hold their locks like a live process.
        let mut holders = Vec::new();
        let bad_contents: [&[u8]; 4] = [
            b"{not json",
            br#"{"pid":1,"kind":"serve","profiles":["a\u001b[2Jb"],"url":null,"started_at_ms":0}"#,
            br#"{"pid":1,"kind":"serve","profiles":["a"],"url":"javascript:x","started_at_ms":0}"#,
            br#"{"pid":1,"kind":"other","profiles":["a"],"url":null,"started_at_ms":0}"#,
        ];
        for (i, content) in bad_contents.iter().enumerate() {
            let path = active_dir.join(format!("{i}-000000000000000{i}.json"));
            std::fs::write(&path, content).expect("write");
            let file = File::open(&path).expect("open");
            file.lock().expect("lock");
            holders.push(file);
        }
        let big = active_dir.join("9-0000000000000009.json");
        std::fs::write(&big, vec![b' '; MAX_FILE_LEN as usize + 1]).expect("write");
        let big_file = File::open(&big).expect("open");
        big_file.lock().expect("lock");
        holders.push(big_file);
        // A name register never makes.
        std::fs::copy(&reg.path, active_dir.join("evil.json")).expect("copy");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&reg.path, active_dir.join("8-0000000000000008.json")).expect("symlink");
        assert_eq!(names(&active(dir.path())), [vec!["ok"]]);
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = Cache(temp.path().join("cache"));
        let reg = register(dir.path(), Kind::Serve, &["p".into()], None).expect("register");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join(DIR)), 0o700);
        assert_eq!(mode(&reg.path), 0o600);
    }
}
