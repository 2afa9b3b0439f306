//! Files and directories wktui trusts only if they are its user's own.
//!
//! The token cache and the config file are read by a credential manager: a
//! file planted by another local user, a FIFO that never answers, a link to
//! `/dev/zero` or a directory that others can write must never be believed.
//! On Unix a directory is private when the user owns it and nobody else may
//! enter it (mode 0700); a file is trusted when it is a regular file the user
//! owns that nobody else may write, opened without following a link and
//! without blocking, and no larger than its reader allows.
//!
//! Files that steer wktui (the config, a CA file, a log, serve's
//! credentials) go through one door, [`open_trusted`], with a policy per
//! [`Kind`]: the opened descriptor is checked (never the path again), and so
//! is every directory above it, as ssh's StrictModes does.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

mod atomic;
mod stamp;

pub use atomic::{Durability, write_atomically};
pub use stamp::FileStamp;

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
    #[error("{} is {found}, not a regular file; wktui does not use it: remove it, or point wktui at a file of your own", path.display())]
    NotAFile { path: PathBuf, found: &'static str },
    #[error("{} is a symbolic link; {fix}", path.display())]
    Symlink { path: PathBuf, fix: String },
    #[error("{} can be read by other users (mode {mode:04o}); {fix}", path.display())]
    NotPrivate { path: PathBuf, mode: u32, fix: String },
    #[error("{} has {links} names (hard links), so wktui's writes would land in a file it does not control; remove it (wktui makes a new one)", path.display())]
    HardLinked { path: PathBuf, links: u64 },
    #[error("{} is larger than {limit} bytes", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// Refused on its owner or ACL (Windows): `why` says what is wrong,
    /// then, after "; ", how to fix it.
    #[error("{} {why}", path.display())]
    Refused { path: PathBuf, why: String },
}

impl TrustError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        TrustError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// What to do about it, for `doctor`'s fix column.
    pub fn fix(&self) -> String {
        match self {
            TrustError::NotOurs { fix, .. } => (*fix).to_owned(),
            TrustError::WritableByOthers { fix, .. }
            | TrustError::NotPrivate { fix, .. }
            | TrustError::Symlink { fix, .. } => fix.clone(),
            TrustError::WrongKind { .. } | TrustError::NotAFile { .. } | TrustError::HardLinked { .. } => {
                "remove it, or point wktui at a regular file of your own".to_owned()
            }
            TrustError::TooLarge { .. } | TrustError::Io { .. } => {
                "check the path and its permissions".to_owned()
            }
            TrustError::Refused { why, .. } => why
                .split_once("; ")
                .map_or("check who may access it", |(_, fix)| fix)
                .to_owned(),
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

/// What a file that steers wktui is for, which decides how it is trusted.
/// Every such file is opened without blocking (a FIFO is an error at once),
/// checked on the opened descriptor (a regular file, its owner, its mode)
/// and trusted only if every directory above it belongs to the user or root
/// and no one else may write it, unless it is sticky (as `/tmp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The profiles file: it may name a `secret_command` to run. The user's
    /// or root's (`/etc`), writable by no one else; a link the user or root
    /// made (dotfiles managers) is followed, and its target checked the same way.
    Config,
    /// An extra CA bundle (`ca_file`): it decides which servers are believed.
    /// As a config; root's are normal (the system bundle and its links).
    CaFile,
    /// A log wktui appends to (`wktui.log`, `serve --log`), created 0600 when
    /// missing: only the user's own private file with one name; never a link.
    Log,
    /// A secret wktui reads and replaces (`serve --credentials`): only the
    /// user's own file with one name; never a link. Whether its content may
    /// be reused (it is private) is for the caller to judge.
    Credentials,
    /// A lock wktui makes beside a file it changes (the config's
    /// `.NAME.lock`), created 0600 when missing and never read or written:
    /// only the user's own regular file that no one else may write; never a
    /// link (it could make wktui create a file anywhere), never a FIFO.
    Lock,
}

// The policy is applied in full where files have owners and modes (Unix).
#[cfg_attr(not(unix), allow(dead_code))]
impl Kind {
    /// What it is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Config => "config file",
            Kind::CaFile => "CA file",
            Kind::Log => "log",
            Kind::Credentials => "credentials file",
            Kind::Lock => "lock file",
        }
    }

    /// Root's files count as trusted (ssh trusts them too).
    fn root_may_own(self) -> bool {
        matches!(self, Kind::Config | Kind::CaFile)
    }

    /// A link the user or root made is followed; for the others, a link is refused.
    fn follows_links(self) -> bool {
        matches!(self, Kind::Config | Kind::CaFile)
    }

    /// Nobody else may read it either.
    fn must_be_private(self) -> bool {
        matches!(self, Kind::Log)
    }

    /// Written to: a second name (a hard link) would send the writes elsewhere.
    fn single_name(self) -> bool {
        matches!(self, Kind::Log | Kind::Credentials)
    }

    /// Made when missing (a log for appending, a lock) rather than only read.
    fn creates(self) -> bool {
        matches!(self, Kind::Log | Kind::Lock)
    }

    /// How to fix a file that belongs to someone else.
    fn not_ours_fix(self) -> &'static str {
        match self {
            Kind::Config => "copy it to a file of your own, or point --config at one",
            Kind::CaFile => "copy it to a file of your own and set ca_file to that",
            Kind::Log => "remove it, or choose a file of your own",
            Kind::Credentials => "remove it, or choose another file with --credentials",
            Kind::Lock => "remove it (wktui makes a new one)",
        }
    }
}

/// Opens `path` as a file of `kind` (see [`Kind`]): for reading, for
/// appending (a log, created 0600 when missing), or to hold a lock on (a
/// lock, created 0600 when missing). Nothing is read or written
/// before every check has passed; a missing file is an `Io` error that
/// [`TrustError::is_not_found`] recognises.
pub fn open_trusted(path: &Path, kind: Kind) -> Result<File, TrustError> {
    imp::open_trusted(path, kind, kind.creates())
}

/// [`open_trusted`] for reading, with the path of the file it opened: a
/// link's target when a link was followed, which is the file a change must
/// replace (a link that loading would refuse is never written through).
pub fn open_trusted_at(path: &Path, kind: Kind) -> Result<(File, PathBuf), TrustError> {
    imp::open_trusted_at(path, kind, false)
}

/// [`open_trusted`], then at most `limit` bytes of it.
pub fn read_trusted_kind(path: &Path, kind: Kind, limit: u64) -> Result<Vec<u8>, TrustError> {
    let file = imp::open_trusted(path, kind, false)?;
    let mut bytes = Vec::new();
    (&file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| TrustError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(TrustError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// Opens a file for reading, following links but never blocking, and only
/// if it is a regular file: for a file whose trust is judged separately
/// (`doctor` shows a config's text and its checks apart; `config edit`).
pub fn open_regular(path: &Path) -> Result<File, TrustError> {
    imp::open_regular(path)
}

/// The checks of [`open_trusted`], changing nothing (a log is not made):
/// for `doctor`, which reports them in the words the refusal uses.
pub fn check_trusted(path: &Path, kind: Kind) -> Result<(), TrustError> {
    imp::open_trusted(path, kind, false).map(drop)
}

/// Every directory above `path` belongs to the user or root and no one else
/// may write it unless it is sticky: what [`open_trusted`] requires, for a
/// file about to be made there (serve's credentials, by rename).
pub fn check_parent_dirs(path: &Path, kind: Kind) -> Result<(), TrustError> {
    imp::check_parent_dirs(path, kind)
}

#[cfg(unix)]
mod imp {
    use std::fs::{File, Metadata, OpenOptions};
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
    use std::path::{Path, PathBuf};

    use rustix::fs::OFlags;

    use super::{Kind, TrustError};

    pub const FILE_FIX: &str = "remove it (wktui makes a new one)";

    /// Asked once: `list` checks the owner of thousands of files, and the
    /// effective user of a process does not change under it.
    fn euid() -> u32 {
        static EUID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
        *EUID.get_or_init(|| rustix::process::geteuid().as_raw())
    }

    fn no_follow_flags() -> i32 {
        // O_NONBLOCK: opening a FIFO must not wait for a writer (or a
        // reader: then it fails at once). O_NOCTTY: a terminal put in a
        // file's place must not become wktui's controlling terminal.
        (OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY).bits() as i32
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
            .custom_flags(no_follow_flags())
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

    /// Links followed on the way to one file before giving up (Linux's own limit).
    const MAX_LINKS: u32 = 40;

    /// Root's files count where the kind allows it (and always when wktui runs as root).
    fn owner_ok(owner: u32, kind: Kind) -> bool {
        owner == euid() || (owner == 0 && kind.root_may_own())
    }

    pub fn open_trusted(path: &Path, kind: Kind, create: bool) -> Result<File, TrustError> {
        open_trusted_at(path, kind, create).map(|(file, _)| file)
    }

    pub fn open_trusted_at(path: &Path, kind: Kind, create: bool) -> Result<(File, PathBuf), TrustError> {
        let path = std::path::absolute(path).map_err(|e| TrustError::io(path, e))?;
        open_checked(&path, kind, create, 0)
    }

    pub fn open_regular(path: &Path) -> Result<File, TrustError> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags((OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY).bits() as i32)
            .open(path)
            .map_err(|e| TrustError::io(path, e))?;
        let meta = file.metadata().map_err(|e| TrustError::io(path, e))?;
        if !meta.is_file() {
            return Err(TrustError::NotAFile {
                path: path.to_path_buf(),
                found: file_kind(&meta),
            });
        }
        Ok(file)
    }

    pub fn check_parent_dirs(path: &Path, kind: Kind) -> Result<(), TrustError> {
        let path = std::path::absolute(path).map_err(|e| TrustError::io(path, e))?;
        check_dirs_above(&path, kind, 0)
    }

    /// The directories first (nothing is made in one that is not trusted),
    /// then the file, opened without following a link or blocking, then
    /// what the descriptor says it is.
    fn open_checked(
        path: &Path,
        kind: Kind,
        create: bool,
        links: u32,
    ) -> Result<(File, PathBuf), TrustError> {
        check_dirs_above(path, kind, links)?;
        let opened = match (create, kind) {
            (false, _) => open_no_follow(path),
            (true, Kind::Lock) => create_no_follow(path),
            (true, _) => open_append_no_follow(path),
        };
        match opened {
            Ok(file) => {
                check_opened(&file, path, kind)?;
                Ok((file, path.to_path_buf()))
            }
            // Why it could not be opened, in words: a link, a FIFO with no
            // reader (ENXIO), another user's file (EACCES)...
            Err(e) => match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.file_type().is_symlink() => follow_link(path, &meta, kind, create, links),
                Ok(meta) => Err(describe(path, &meta, kind).unwrap_or_else(|| TrustError::io(path, e))),
                Err(_) => Err(TrustError::io(path, e)),
            },
        }
    }

    /// A link at the file's own name: followed only for kinds that allow it
    /// and only when the user or root made it; its target is then checked
    /// as if it had been named (its directories, the file).
    fn follow_link(
        path: &Path,
        meta: &Metadata,
        kind: Kind,
        create: bool,
        links: u32,
    ) -> Result<(File, PathBuf), TrustError> {
        if !kind.follows_links() || create {
            let fix = match kind {
                Kind::Lock => "remove it (wktui makes its own)",
                _ => "remove it, or give the real path",
            };
            return Err(TrustError::Symlink {
                path: path.to_path_buf(),
                fix: format!(
                    "wktui never follows a link for a {} (it could point anywhere): {fix}",
                    kind.noun()
                ),
            });
        }
        check_link_owner(path, meta)?;
        if links >= MAX_LINKS {
            return Err(too_many_links(path));
        }
        let target = match std::fs::canonicalize(path) {
            Ok(target) => target,
            // Dangling, so no file; or a link with no path to its end (a
            // pipe behind /dev/fd/N): say what it leads to.
            Err(e) => {
                return Err(match std::fs::metadata(path) {
                    Ok(end) => describe(path, &end, kind).unwrap_or_else(|| TrustError::io(path, e)),
                    Err(_) => TrustError::io(path, e),
                });
            }
        };
        open_checked(&target, kind, create, links + 1)
    }

    fn check_link_owner(path: &Path, meta: &Metadata) -> Result<(), TrustError> {
        if meta.uid() == euid() || meta.uid() == 0 {
            return Ok(());
        }
        Err(TrustError::NotOurs {
            path: path.to_path_buf(),
            owner: meta.uid(),
            fix: "it is a link another user made; wktui follows only links made by you or root",
        })
    }

    fn too_many_links(path: &Path) -> TrustError {
        TrustError::io(path, std::io::Error::other("too many levels of symbolic links"))
    }

    /// What is wrong with a file that could not be opened, if lstat can tell.
    fn describe(path: &Path, meta: &Metadata, kind: Kind) -> Option<TrustError> {
        if !meta.is_file() {
            return Some(TrustError::NotAFile {
                path: path.to_path_buf(),
                found: file_kind(meta),
            });
        }
        (!owner_ok(meta.uid(), kind)).then(|| TrustError::NotOurs {
            path: path.to_path_buf(),
            owner: meta.uid(),
            fix: kind.not_ours_fix(),
        })
    }

    fn file_kind(meta: &Metadata) -> &'static str {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            "a FIFO (named pipe)"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else if t.is_dir() {
            "a directory"
        } else if t.is_symlink() {
            "a symbolic link"
        } else {
            "something else"
        }
    }

    /// The file as opened: one fstat, so a swap after the checks changes nothing.
    fn check_opened(file: &File, path: &Path, kind: Kind) -> Result<(), TrustError> {
        let meta = file.metadata().map_err(|e| TrustError::io(path, e))?;
        if let Some(wrong) = describe(path, &meta, kind) {
            return Err(wrong);
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(TrustError::WritableByOthers {
                path: path.to_path_buf(),
                mode,
                fix: format!("fix its mode with: chmod go-w {}", path.display()),
            });
        }
        if kind.must_be_private() && mode & 0o077 != 0 {
            return Err(TrustError::NotPrivate {
                path: path.to_path_buf(),
                mode,
                fix: format!("make it private: chmod 600 {}", path.display()),
            });
        }
        if kind.single_name() && meta.nlink() > 1 {
            return Err(TrustError::HardLinked {
                path: path.to_path_buf(),
                links: meta.nlink(),
            });
        }
        Ok(())
    }

    /// Every directory from the file's up to `/` (one lstat each): the
    /// user's or root's, and writable by no one else unless sticky. A link
    /// among them must be the user's or root's, and the directories it
    /// leads to are checked the same way.
    fn check_dirs_above(path: &Path, kind: Kind, links: u32) -> Result<(), TrustError> {
        for dir in path.ancestors().skip(1) {
            if !dir.as_os_str().is_empty() {
                check_dir(dir, kind, links)?;
            }
        }
        Ok(())
    }

    fn check_dir(dir: &Path, kind: Kind, links: u32) -> Result<(), TrustError> {
        let meta = std::fs::symlink_metadata(dir).map_err(|e| TrustError::io(dir, e))?;
        if meta.file_type().is_symlink() {
            check_link_owner(dir, &meta)?;
            if links >= MAX_LINKS {
                return Err(too_many_links(dir));
            }
            let target = std::fs::canonicalize(dir).map_err(|e| TrustError::io(dir, e))?;
            check_dir(&target, kind, links + 1)?;
            return check_dirs_above(&target, kind, links + 1);
        }
        if !meta.is_dir() {
            return Err(TrustError::WrongKind {
                path: dir.to_path_buf(),
                expected: "directory",
            });
        }
        if meta.uid() != euid() && meta.uid() != 0 {
            return Err(TrustError::NotOurs {
                path: dir.to_path_buf(),
                owner: meta.uid(),
                fix: "every directory above a file that steers wktui must be yours or root's; keep it in a directory of your own",
            });
        }
        let mode = meta.mode() & 0o7777;
        // A sticky directory (such as /tmp) keeps others from replacing our entries.
        if mode & 0o022 != 0 && mode & 0o1000 == 0 {
            return Err(TrustError::WritableByOthers {
                path: dir.to_path_buf(),
                mode,
                fix: format!(
                    "others could replace the {} in this directory; fix with: chmod go-w {} (or keep it in a directory of your own)",
                    kind.noun(),
                    dir.display()
                ),
            });
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
#[cfg(windows)]
pub(super) use windows::{ProcessUser, user_of_process};

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

    pub fn open_trusted_at(
        path: &Path,
        kind: super::Kind,
        create: bool,
    ) -> Result<(File, std::path::PathBuf), TrustError> {
        let file = open_trusted(path, kind, create)?;
        Ok((
            file,
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        ))
    }

    pub fn open_trusted(path: &Path, kind: super::Kind, create: bool) -> Result<File, TrustError> {
        let file = match (create, kind) {
            (false, _) => open_no_follow(path),
            (true, super::Kind::Lock) => create_no_follow(path),
            (true, _) => open_append_no_follow(path),
        }
        .map_err(|e| TrustError::io(path, e))?;
        let meta = file.metadata().map_err(|e| TrustError::io(path, e))?;
        if !meta.is_file() {
            return Err(TrustError::WrongKind {
                path: path.to_path_buf(),
                expected: "regular file",
            });
        }
        if kind == super::Kind::Config {
            check_config_file(path)?;
        }
        Ok(file)
    }

    pub fn check_parent_dirs(_: &Path, _: super::Kind) -> Result<(), TrustError> {
        Ok(())
    }

    pub fn open_regular(path: &Path) -> Result<File, TrustError> {
        open_trusted(path, super::Kind::CaFile, false)
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
        mkfifo(&fifo);
        assert!(matches!(
            read_trusted(&fifo, 10),
            Err(TrustError::WrongKind { .. })
        ));
    }

    fn mkfifo(path: &Path) {
        // `mkfifo(1)`, not rustix: rustix has no mknodat on macOS.
        let made = std::process::Command::new("mkfifo")
            .args(["-m", "600"])
            .arg(path)
            .status()
            .expect("run mkfifo");
        assert!(made.success(), "mkfifo failed");
    }

    #[test]
    fn a_config_others_can_write_is_refused_with_the_fix() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("config.toml");
        std::fs::write(&file, "").expect("write");
        chmod(&file, 0o644);
        check_trusted(&file, Kind::Config).expect("0644 is fine");
        chmod(&file, 0o666);
        let err = check_trusted(&file, Kind::Config)
            .expect_err("refused")
            .to_string();
        assert!(err.contains("chmod go-w"), "{err}");
        chmod(&file, 0o644);
        chmod(tmp.path(), 0o777);
        let err = check_trusted(&file, Kind::Config)
            .expect_err("dir refused")
            .to_string();
        assert!(err.contains("chmod go-w") && err.contains("directory"), "{err}");
        chmod(tmp.path(), 0o1777);
        check_trusted(&file, Kind::Config).expect("a sticky directory keeps others from replacing it");
        chmod(tmp.path(), 0o700);
    }

    #[test]
    fn every_directory_above_counts_not_only_the_parent() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let deep = tmp.path().join("a/b/c");
        std::fs::create_dir_all(&deep).expect("mkdir");
        let file = deep.join("config.toml");
        std::fs::write(&file, "").expect("write");
        chmod(&file, 0o600);
        check_trusted(&file, Kind::Config).expect("all private");
        chmod(&tmp.path().join("a"), 0o777);
        let err = check_trusted(&file, Kind::Config).expect_err("grandparent refused");
        assert!(
            matches!(&err, TrustError::WritableByOthers { path, .. } if path.ends_with("a")),
            "{err}"
        );
        chmod(&tmp.path().join("a"), 0o755);
    }

    #[test]
    fn a_fifo_is_a_clear_error_at_once_for_every_kind() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let fifo = tmp.path().join("pipe");
        mkfifo(&fifo);
        for kind in [Kind::Config, Kind::CaFile, Kind::Log, Kind::Credentials] {
            let err = open_trusted(&fifo, kind).expect_err("a FIFO");
            assert!(
                matches!(err, TrustError::NotAFile { .. }) && err.to_string().contains("FIFO"),
                "{kind:?}: {err}"
            );
        }
        assert!(matches!(open_regular(&fifo), Err(TrustError::NotAFile { .. })));
    }

    #[test]
    fn a_link_is_followed_for_a_config_but_never_for_a_log_or_credentials() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let real = tmp.path().join("dotfiles/config.toml");
        std::fs::create_dir_all(real.parent().expect("dir")).expect("mkdir");
        std::fs::write(&real, "x = 1").expect("write");
        chmod(&real, 0o600);
        let link = tmp.path().join("config.toml");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let mut text = String::new();
        open_trusted(&link, Kind::Config)
            .expect("the user's own link")
            .read_to_string(&mut text)
            .expect("read");
        assert_eq!(text, "x = 1");
        // The target's own directories count: a wide one is refused.
        chmod(real.parent().expect("dir"), 0o777);
        assert!(matches!(
            open_trusted(&link, Kind::Config),
            Err(TrustError::WritableByOthers { .. })
        ));
        chmod(real.parent().expect("dir"), 0o700);
        for kind in [Kind::Log, Kind::Credentials] {
            let err = open_trusted(&link, kind).expect_err("never followed");
            assert!(matches!(err, TrustError::Symlink { .. }), "{kind:?}: {err}");
        }
        assert_eq!(
            std::fs::read_to_string(&real).expect("read"),
            "x = 1",
            "never appended to"
        );
        // A dangling link is no file at all.
        let dangling = tmp.path().join("gone.toml");
        std::os::unix::fs::symlink(tmp.path().join("nothing"), &dangling).expect("symlink");
        assert!(
            open_trusted(&dangling, Kind::Config)
                .expect_err("missing")
                .is_not_found()
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pipe_behind_dev_fd_is_a_fifo_not_a_missing_config() {
        let (reader, _writer) = std::io::pipe().expect("pipe");
        let path = PathBuf::from(format!("/dev/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&reader)));
        let err = open_trusted(&path, Kind::Config).expect_err("a pipe");
        assert!(matches!(err, TrustError::NotAFile { .. }), "{err}");
    }

    #[test]
    fn a_log_is_made_private_and_a_shared_or_linked_one_is_refused_unwritten() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let log = tmp.path().join("x.log");
        assert!(
            check_trusted(&log, Kind::Log)
                .expect_err("not made by a check")
                .is_not_found()
        );
        open_trusted(&log, Kind::Log).expect("made");
        let mode = std::fs::metadata(&log).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        chmod(&log, 0o644);
        assert!(matches!(
            open_trusted(&log, Kind::Log),
            Err(TrustError::NotPrivate { .. })
        ));
        chmod(&log, 0o600);
        let second = tmp.path().join("second-name");
        std::fs::hard_link(&log, &second).expect("hard link");
        assert!(matches!(
            open_trusted(&log, Kind::Log),
            Err(TrustError::HardLinked { links: 2, .. })
        ));
        assert_eq!(std::fs::metadata(&log).expect("meta").len(), 0, "nothing written");
    }

    #[test]
    fn a_relative_path_is_checked_from_the_working_directory_up() {
        let err = check_parent_dirs(Path::new("no-such-dir/f"), Kind::Config).expect_err("missing dir");
        assert!(
            matches!(&err, TrustError::Io { path, .. } if path.is_absolute()),
            "{err}"
        );
        assert!(err.is_not_found(), "{err}");
    }
}
