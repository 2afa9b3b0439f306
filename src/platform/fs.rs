//! Files and directories wktui trusts only if they are its user's own.
//!
//! The token cache and the config file are read by a credential manager: a
//! file planted by another local user, a FIFO that never answers, a link to
//! `/dev/zero` or a directory that others can write must never be believed.
//! On Unix a directory is private when the user owns it and nobody else may
//! enter it (mode 0700); a file is trusted when it is a regular file the user
//! owns that nobody else may write, opened without following a link and
//! without blocking, and no larger than its reader allows.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file or directory is not trusted, in words that say how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{} belongs to another user (uid {owner}); wktui only trusts its own files: {fix}", path.display())]
    NotOurs {
        path: PathBuf,
        owner: u32,
        fix: &'static str,
    },
    #[error("{} can be changed by other users (mode {mode:04o}); {fix}", path.display())]
    WritableByOthers { path: PathBuf, mode: u32, fix: String },
    #[error("{} is not a {expected}", path.display())]
    WrongKind { path: PathBuf, expected: &'static str },
    #[error("{} is larger than {limit} bytes", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

impl TrustError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        TrustError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The path does not exist (a cache miss, not an attack).
    pub fn is_not_found(&self) -> bool {
        matches!(self, TrustError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Creates `dir` (mode 0700) if needed, or checks the one that is there: it
/// must be a directory the user owns that nobody else may enter. An existing
/// directory is never chmod-ed: it may be shared (`WKTUI_CACHE_DIR=/tmp`).
pub fn ensure_private_dir(dir: &Path) -> Result<(), TrustError> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| TrustError::io(parent, e))?;
    }
    match imp::create_private_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => imp::check_private_dir(dir),
        Err(e) => Err(TrustError::io(dir, e)),
    }
}

/// Checks, without changing anything, that `dir` is the user's private directory.
pub fn check_private_dir(dir: &Path) -> Result<(), TrustError> {
    imp::check_private_dir(dir)
}

/// The metadata of an opened file that is a regular file of the user's own
/// that nobody else may write; an error that says which, otherwise.
fn check_own_regular_file(file: &File, path: &Path) -> Result<std::fs::Metadata, TrustError> {
    let meta = file.metadata().map_err(|e| TrustError::io(path, e))?;
    if !meta.is_file() {
        return Err(TrustError::WrongKind {
            path: path.to_path_buf(),
            expected: "regular file",
        });
    }
    imp::check_owner_and_mode(path, &meta, imp::FILE_FIX)?;
    Ok(meta)
}

/// Reads a file only if it can be trusted (see the module comment) and is at
/// most `limit` bytes; `Ok(None)` when it does not exist.
pub fn read_trusted(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, TrustError> {
    let file = match imp::open_no_follow(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(TrustError::io(path, e)),
    };
    let meta = check_own_regular_file(&file, path)?;
    if meta.len() > limit {
        return Err(TrustError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize + 1);
    // The size can change after the check: read at most one byte more than allowed.
    if let Err(e) = (&file).take(limit + 1).read_to_end(&mut bytes) {
        zeroize::Zeroize::zeroize(&mut bytes);
        return Err(TrustError::io(path, e));
    }
    if bytes.len() as u64 > limit {
        zeroize::Zeroize::zeroize(&mut bytes);
        return Err(TrustError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(Some(bytes))
}

/// Opens (creating it 0600 if needed) a lock file that must be the user's own
/// regular file; never follows a link.
pub fn open_lock_file(path: &Path) -> Result<File, TrustError> {
    let file = imp::create_no_follow(path).map_err(|e| TrustError::io(path, e))?;
    check_own_regular_file(&file, path)?;
    Ok(file)
}

/// A new file only its owner can read and write; fails if the name exists
/// (so it never opens something planted there).
pub fn create_private(path: &Path) -> std::io::Result<File> {
    imp::create_new_private(path)
}

/// A file opened for appending (a log), created 0600 when missing, never
/// through a link someone planted in its place.
pub fn open_private_append(path: &Path) -> std::io::Result<File> {
    imp::open_append_no_follow(path)
}

/// Opens a file for reading without following a link and without waiting
/// on a FIFO; what it is and who owns it is the caller's to check.
pub fn open_no_follow(path: &Path) -> std::io::Result<File> {
    imp::open_no_follow(path)
}

/// Who owns a file and its permission bits, where the platform has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ownership {
    pub owner: u32,
    /// The owner is the user wktui runs as.
    pub is_mine: bool,
    /// The permission bits (`0o7777`).
    pub mode: u32,
}

impl Ownership {
    /// Nobody but the owner may write it (a sticky directory counts as
    /// unwritable when `sticky_is_enough`: others cannot replace our files in it).
    pub fn others_may_write(&self, sticky_is_enough: bool) -> bool {
        self.mode & 0o022 != 0 && !(sticky_is_enough && self.mode & 0o1000 != 0)
    }

    /// Only the owner may read or write it.
    pub fn is_private(&self) -> bool {
        self.mode & 0o077 == 0
    }
}

/// `None` where the platform has no Unix owners and modes (Windows: ACLs,
/// not inspected yet).
pub fn ownership(meta: &std::fs::Metadata) -> Option<Ownership> {
    imp::ownership(meta)
}

/// A regular file of the user's own that nobody else may write, or it does
/// not count; true where the platform cannot tell (see `ownership`).
pub fn is_mine_and_unwritable_by_others(meta: &std::fs::Metadata) -> bool {
    ownership(meta).is_none_or(|o| o.is_mine && !o.others_may_write(false))
}

/// The same, and nobody else may read it either.
pub fn is_mine_and_private(meta: &std::fs::Metadata) -> bool {
    ownership(meta).is_none_or(|o| o.is_mine && o.is_private())
}

/// What identifies a file's contents beyond its size and modification
/// time: device, inode and change time in nanoseconds (zeros where the
/// platform has none, which makes such a stamp never trusted alone).
pub fn identity(meta: &std::fs::Metadata) -> (u64, u64, i128) {
    imp::identity(meta)
}

/// Calls `keep` with the name of every entry of `dir`, as bytes; nothing
/// when it cannot be read.
pub fn each_file_name(dir: &Path, keep: impl FnMut(&[u8])) {
    imp::each_file_name(dir, keep)
}

/// A directory entry's version: its inode, change time (ns) and size. A
/// replace by rename gives a new inode, any other change a new change time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryStamp {
    pub inode: u64,
    pub changed_ns: i128,
    pub len: u64,
}

/// Calls `keep` with the name of every entry of `dir` that `wanted` accepts,
/// and its stamp: `None` when it is not a regular file of the user's own
/// that nobody else may write. Links are not followed; each entry costs one
/// `stat` relative to the open directory. Nothing when `dir` cannot be read,
/// or where the platform has no inodes (Windows).
pub fn each_entry_stamp(
    dir: &Path,
    wanted: impl Fn(&[u8]) -> bool,
    keep: impl FnMut(&[u8], Option<EntryStamp>),
) {
    imp::each_entry_stamp(dir, wanted, keep)
}

/// A config file (or its directory) that other users can write could hand
/// wktui a `secret_command` to run: refuse it, as ssh does, saying how to fix it.
pub fn check_config_file(path: &Path) -> Result<(), TrustError> {
    imp::check_config_file(path)
}

#[cfg(unix)]
mod imp {
    use std::fs::{File, Metadata, OpenOptions};
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
    use std::path::Path;

    use rustix::fs::OFlags;

    use super::TrustError;

    pub const FILE_FIX: &str = "remove it (wktui makes a new one)";

    /// Asked once: `list` checks the owner of thousands of files, and the
    /// effective user of a process does not change under it.
    fn euid() -> u32 {
        static EUID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
        *EUID.get_or_init(|| rustix::process::geteuid().as_raw())
    }

    fn no_follow_flags() -> i32 {
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        (OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC).bits() as i32
    }

    pub fn open_no_follow(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(no_follow_flags())
            .open(path)
    }

    pub fn create_no_follow(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .custom_flags(no_follow_flags())
            .open(path)
    }

    pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
        std::fs::DirBuilder::new().mode(0o700).create(dir)
    }

    pub fn create_new_private(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
    }

    pub fn open_append_no_follow(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags((OFlags::NOFOLLOW | OFlags::CLOEXEC).bits() as i32)
            .open(path)
    }

    pub fn ownership(meta: &Metadata) -> Option<super::Ownership> {
        Some(super::Ownership {
            owner: meta.uid(),
            is_mine: meta.uid() == euid(),
            mode: meta.mode() & 0o7777,
        })
    }

    pub fn identity(meta: &Metadata) -> (u64, u64, i128) {
        let changed = i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec());
        (meta.dev(), meta.ino(), changed)
    }

    pub fn each_file_name(dir: &Path, mut keep: impl FnMut(&[u8])) {
        // rustix's listing copies each name once; std's, three times.
        let opened = rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        );
        if let Ok(mut listing) = opened.and_then(rustix::fs::Dir::new) {
            while let Some(Ok(entry)) = listing.read() {
                keep(entry.file_name().to_bytes());
            }
        }
    }

    pub fn each_entry_stamp(
        dir: &Path,
        wanted: impl Fn(&[u8]) -> bool,
        mut keep: impl FnMut(&[u8], Option<super::EntryStamp>),
    ) {
        /// From this many entries, two threads `stat` them.
        const MANY: usize = 1024;
        let Ok(fd) = rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        ) else {
            return;
        };
        let Ok(mut listing) = rustix::fs::Dir::read_from(&fd) else {
            return;
        };
        let mut names = Vec::new();
        while let Some(Ok(entry)) = listing.read() {
            if wanted(entry.file_name().to_bytes()) {
                names.push(entry.file_name().to_owned());
            }
        }
        let stamps = crate::halves::in_halves(&names, names.len() >= MANY, None, |half| {
            half.iter().map(|name| entry_stamp(&fd, name)).collect()
        });
        for (name, stamp) in names.iter().zip(stamps) {
            keep(name.to_bytes(), stamp);
        }
    }

    /// The stamp of `name` in the open directory `dir`, without following a
    /// link: `None` unless it is a regular file of the user's that nobody
    /// else may write.
    fn entry_stamp(dir: &rustix::fd::OwnedFd, name: &std::ffi::CStr) -> Option<super::EntryStamp> {
        use rustix::fs::{AtFlags, FileType, statat};
        let st = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        let mine = st.st_uid == euid() && st.st_mode & 0o077 == 0;
        (mine && FileType::from_raw_mode(st.st_mode) == FileType::RegularFile).then(|| super::EntryStamp {
            inode: st.st_ino,
            changed_ns: i128::from(st.st_ctime) * 1_000_000_000 + i128::from(st.st_ctime_nsec),
            len: st.st_size as u64,
        })
    }

    pub fn check_owner_and_mode(path: &Path, meta: &Metadata, fix: &'static str) -> Result<(), TrustError> {
        if meta.uid() != euid() {
            return Err(TrustError::NotOurs {
                path: path.to_path_buf(),
                owner: meta.uid(),
                fix,
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(TrustError::WritableByOthers {
                path: path.to_path_buf(),
                mode,
                fix: fix.to_owned(),
            });
        }
        Ok(())
    }

    fn dir_meta(dir: &Path) -> Result<Metadata, TrustError> {
        // Follows a link the user made on purpose (WKTUI_CACHE_DIR -> a
        // tmpfs); what counts is who owns the directory it leads to.
        let meta = std::fs::metadata(dir).map_err(|e| TrustError::io(dir, e))?;
        if !meta.is_dir() {
            return Err(TrustError::WrongKind {
                path: dir.to_path_buf(),
                expected: "directory",
            });
        }
        Ok(meta)
    }

    const DIR_FIX: &str = "use a directory of your own (set WKTUI_CACHE_DIR, or XDG_RUNTIME_DIR)";

    pub fn check_private_dir(dir: &Path) -> Result<(), TrustError> {
        let meta = dir_meta(dir)?;
        check_owner_and_mode(dir, &meta, DIR_FIX).map_err(|e| match e {
            TrustError::WritableByOthers { path, mode, .. } => TrustError::WritableByOthers {
                fix: format!("make it private: chmod 700 {}", path.display()),
                path,
                mode,
            },
            other => other,
        })
    }

    pub fn check_config_file(path: &Path) -> Result<(), TrustError> {
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => return Err(TrustError::io(path, e)),
        };
        let owner_ok = |m: &Metadata| m.uid() == euid() || m.uid() == 0;
        if !owner_ok(&meta) {
            return Err(TrustError::NotOurs {
                path: path.to_path_buf(),
                owner: meta.uid(),
                fix: "copy it to a file of your own, or point --config at one",
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(TrustError::WritableByOthers {
                path: path.to_path_buf(),
                mode,
                fix: format!("fix its mode with: chmod go-w {}", path.display()),
            });
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(dmeta) = std::fs::metadata(dir)
        {
            let dmode = dmeta.mode() & 0o7777;
            // A sticky directory (such as /tmp) keeps others from replacing our file.
            if dmode & 0o022 != 0 && dmode & 0o1000 == 0 {
                return Err(TrustError::WritableByOthers {
                    path: dir.to_path_buf(),
                    mode: dmode,
                    fix: format!(
                        "others could replace the config file in it; fix with: chmod go-w {}",
                        dir.display()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Windows: owner-only ACLs where Unix has modes 0600/0700, and trust
/// checks that read the owner and the DACL.
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

#[cfg(not(any(unix, windows)))]
mod imp {
    //! Elsewhere: nothing is inspected; links are not followed where the API allows.
    use std::fs::{File, Metadata, OpenOptions};
    use std::path::Path;

    use super::TrustError;

    pub const FILE_FIX: &str = "remove it (wktui makes a new one)";

    pub fn open_no_follow(path: &Path) -> std::io::Result<File> {
        OpenOptions::new().read(true).open(path)
    }

    pub fn create_no_follow(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
    }

    pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir(dir)
    }

    pub fn create_new_private(path: &Path) -> std::io::Result<File> {
        OpenOptions::new().write(true).create_new(true).open(path)
    }

    pub fn open_append_no_follow(path: &Path) -> std::io::Result<File> {
        OpenOptions::new().append(true).create(true).open(path)
    }

    pub fn ownership(_: &Metadata) -> Option<super::Ownership> {
        None
    }

    pub fn identity(_: &Metadata) -> (u64, u64, i128) {
        (0, 0, 0)
    }

    pub fn each_file_name(dir: &Path, mut keep: impl FnMut(&[u8])) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                keep(entry.file_name().as_encoded_bytes());
            }
        }
    }

    pub fn each_entry_stamp(
        _: &Path,
        _: impl Fn(&[u8]) -> bool,
        _: impl FnMut(&[u8], Option<super::EntryStamp>),
    ) {
    }

    pub fn check_owner_and_mode(_: &Path, _: &Metadata, _: &'static str) -> Result<(), TrustError> {
        Ok(())
    }

    pub fn check_private_dir(dir: &Path) -> Result<(), TrustError> {
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(TrustError::WrongKind {
                path: dir.to_path_buf(),
                expected: "directory",
            }),
            Err(e) => Err(TrustError::io(dir, e)),
        }
    }

    pub fn check_config_file(_: &Path) -> Result<(), TrustError> {
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn a_private_dir_is_made_and_a_wide_one_is_refused_untouched() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("a/b");
        ensure_private_dir(&dir).expect("create");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        chmod(&dir, 0o777);
        assert!(matches!(
            check_private_dir(&dir),
            Err(TrustError::WritableByOthers { .. })
        ));
        let err = ensure_private_dir(&dir).expect_err("refused").to_string();
        assert!(err.contains("chmod 700"), "{err}");
        assert_eq!(mode(&dir), 0o777, "never chmod-ed");
    }

    #[test]
    fn only_small_private_regular_files_are_read() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("f");
        assert!(read_trusted(&file, 10).expect("missing is fine").is_none());
        std::fs::write(&file, b"hello").expect("write");
        chmod(&file, 0o600);
        assert_eq!(
            read_trusted(&file, 10).expect("ok").as_deref(),
            Some(&b"hello"[..])
        );
        assert!(matches!(read_trusted(&file, 4), Err(TrustError::TooLarge { .. })));
        chmod(&file, 0o622);
        assert!(matches!(
            read_trusted(&file, 10),
            Err(TrustError::WritableByOthers { .. })
        ));
        chmod(&file, 0o600);
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
        assert!(matches!(read_trusted(&link, 10), Err(TrustError::Io { .. })));
        let fifo = tmp.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
        assert!(matches!(
            read_trusted(&fifo, 10),
            Err(TrustError::WrongKind { .. })
        ));
    }

    #[test]
    fn a_config_others_can_write_is_refused_with_the_fix() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("config.toml");
        std::fs::write(&file, "").expect("write");
        chmod(&file, 0o644);
        check_config_file(&file).expect("0644 is fine");
        chmod(&file, 0o666);
        let err = check_config_file(&file).expect_err("refused").to_string();
        assert!(err.contains("chmod go-w"), "{err}");
        chmod(&file, 0o644);
        chmod(tmp.path(), 0o777);
        let err = check_config_file(&file).expect_err("dir refused").to_string();
        assert!(err.contains("chmod go-w"), "{err}");
        chmod(tmp.path(), 0o700);
    }
}
