//! A file's identity and version from one `stat`, to tell whether a file
//! is still the one that was read (the config's index, the cache summary).

use std::fs::Metadata;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a file must have stayed unchanged before it is indexed.
const SETTLED: Duration = Duration::from_secs(1);

/// A file's identity and version, from one `stat`: an atomic replace
/// changes the inode, an edit in place the size or the times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    device: u64,
    inode: u64,
    len: u64,
    modified_ns: i128,
    changed_ns: i128,
}

impl FileStamp {
    pub fn of(meta: &Metadata) -> FileStamp {
        let (device, inode, changed_ns) = super::identity(meta);
        FileStamp {
            device,
            inode,
            len: meta.len(),
            modified_ns: meta.modified().map_or(0, since_epoch_ns),
            changed_ns,
        }
    }

    /// The stamp of the file at `path` (following links); `None` when it is
    /// missing or cannot be looked at.
    pub fn of_path(path: &Path) -> Option<FileStamp> {
        std::fs::metadata(path).ok().map(|m| FileStamp::of(&m))
    }

    /// Whether the stamp changes with every change of the file's content:
    /// only where there are inodes and change times (not on Windows yet).
    pub fn identifies_contents(&self) -> bool {
        cfg!(unix)
    }

    /// Unchanged for a while: a later write gets a later change time.
    pub fn settled(&self, now: SystemTime) -> bool {
        self.changed_ns + SETTLED.as_nanos() as i128 <= since_epoch_ns(now)
    }

    pub fn encode(&self) -> String {
        format!(
            "stamp {} {} {} {} {}",
            self.device, self.inode, self.len, self.modified_ns, self.changed_ns
        )
    }

    /// The same file grown by `extra_len` bytes and changed `later_ns` later (tests).
    #[cfg(test)]
    pub(crate) fn other_version(self, extra_len: u64, later_ns: i128) -> FileStamp {
        FileStamp {
            len: self.len + extra_len,
            changed_ns: self.changed_ns + later_ns,
            ..self
        }
    }
}

fn since_epoch_ns(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}
