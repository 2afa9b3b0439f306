//! Which files of a directory changed, without reading them all: the
//! interface follows the token cache (tokens that scripts store) and the
//! registrations of running `wktui serve` and `exec` this way.
//!
//! On Linux the kernel names each file that changed (inotify), and nothing
//! runs while nothing changes. Elsewhere, or when inotify is not available,
//! each directory is looked at every two seconds: one `stat`, and a listing
//! with the files' times only when the directory itself changed (a file
//! stored by rename, as wktui stores them, changes its directory).
//!
//! A directory that does not exist yet is watched once it appears (noticed
//! through its parent when that is watched too, else looked for every two
//! seconds); since files may have arrived before that, its watch then
//! starts with a `Rescan`.

use std::path::PathBuf;
use std::time::Duration;

/// How often a missing directory is looked for, and a watched one polled
/// where there is no inotify.
const LOOK_AGAIN: Duration = Duration::from_secs(2);

/// What changed in one of the watched directories (by its index in the list
/// given to [`DirWatch::new`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// This file was written, renamed into place or removed.
    Changed { dir: usize, name: String },
    /// Changes may have been missed (the directory appeared, or the kernel's
    /// queue overflowed): look at everything in it again.
    Rescan { dir: usize },
}

/// Follows a few directories; [`DirWatch::next`] waits for their changes.
pub struct DirWatch {
    backend: Backend,
}

enum Backend {
    #[cfg(target_os = "linux")]
    Inotify(inotify::Watch),
    Poll(poll::Watch),
}

impl DirWatch {
    /// Watches `dirs`; never fails (the worst case is polling).
    pub fn new(dirs: Vec<PathBuf>) -> DirWatch {
        #[cfg(target_os = "linux")]
        if let Some(watch) = inotify::Watch::new(&dirs) {
            return DirWatch {
                backend: Backend::Inotify(watch),
            };
        }
        DirWatch {
            backend: Backend::Poll(poll::Watch::new(dirs)),
        }
    }

    /// Whether the kernel tells of changes (as opposed to polling).
    #[cfg(test)]
    pub fn is_notified(&self) -> bool {
        match &self.backend {
            #[cfg(target_os = "linux")]
            Backend::Inotify(_) => true,
            Backend::Poll(_) => false,
        }
    }

    /// The next changes: at least one event, as many as arrived together.
    pub async fn next(&mut self) -> Vec<Event> {
        match &mut self.backend {
            #[cfg(target_os = "linux")]
            Backend::Inotify(watch) => watch.next().await,
            Backend::Poll(watch) => watch.next().await,
        }
    }
}

#[cfg(target_os = "linux")]
mod inotify {
    use std::mem::MaybeUninit;
    use std::os::fd::OwnedFd;
    use std::path::PathBuf;

    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
    use rustix::io::Errno;
    use tokio::io::unix::AsyncFd;

    use super::{Event, LOOK_AGAIN};

    pub struct Watch {
        fd: AsyncFd<OwnedFd>,
        dirs: Vec<(PathBuf, Option<i32>)>,
    }

    /// Written into place, renamed into place, made (a subdirectory that is
    /// awaited), removed; and the directory itself going away.
    fn flags() -> WatchFlags {
        WatchFlags::CLOSE_WRITE
            | WatchFlags::MOVED_TO
            | WatchFlags::CREATE
            | WatchFlags::DELETE
            | WatchFlags::DELETE_SELF
            | WatchFlags::MOVE_SELF
            | WatchFlags::ONLYDIR
    }

    impl Watch {
        pub fn new(dirs: &[PathBuf]) -> Option<Watch> {
            let fd = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC).ok()?;
            // SAFETY: the descriptor is owned, moved in and closed only when
            // the AsyncFd is dropped; an OwnedFd always names the same one.
            let fd = unsafe { AsyncFd::register(fd) }.ok()?;
            let mut watch = Watch {
                fd,
                dirs: dirs.iter().map(|d| (d.clone(), None)).collect(),
            };
            // The directories there now are watched from now on: no rescan.
            watch.add_missing();
            Some(watch)
        }

        /// Watches the directories that exist now; the indices of those added.
        fn add_missing(&mut self) -> Vec<usize> {
            let mut added = Vec::new();
            for (index, (path, wd)) in self.dirs.iter_mut().enumerate() {
                if wd.is_none()
                    && let Ok(new) = inotify::add_watch(self.fd.get_ref(), path.as_path(), flags())
                {
                    *wd = Some(new);
                    added.push(index);
                }
            }
            added
        }

        pub async fn next(&mut self) -> Vec<Event> {
            loop {
                let appeared: Vec<Event> = self
                    .add_missing()
                    .into_iter()
                    .map(|dir| Event::Rescan { dir })
                    .collect();
                if !appeared.is_empty() {
                    return appeared;
                }
                // A missing directory whose parent is watched is noticed by
                // its parent's events; others are looked for on a timer.
                let watched = |path: &PathBuf| {
                    self.dirs
                        .iter()
                        .any(|(p, wd)| wd.is_some() && Some(p.as_path()) == path.parent())
                };
                let missing = self.dirs.iter().any(|(path, wd)| wd.is_none() && !watched(path));
                let events = tokio::select! {
                    ready = self.fd.readable() => match ready {
                        Ok(mut guard) => {
                            let events = read_events(guard.get_inner(), &mut self.dirs);
                            guard.clear_ready();
                            events
                        }
                        // The descriptor broke: look for the directories again later.
                        Err(_) => {
                            tokio::time::sleep(LOOK_AGAIN).await;
                            Vec::new()
                        }
                    },
                    () = tokio::time::sleep(LOOK_AGAIN), if missing => Vec::new(),
                };
                let mut events = events;
                events.extend(self.add_missing().into_iter().map(|dir| Event::Rescan { dir }));
                if !events.is_empty() {
                    return events;
                }
            }
        }
    }

    /// Everything queued now, as events; watches that ended are forgotten
    /// (to be looked for again).
    fn read_events(fd: &OwnedFd, dirs: &mut [(PathBuf, Option<i32>)]) -> Vec<Event> {
        let mut buf = [MaybeUninit::<u8>::uninit(); 8192];
        let mut reader = inotify::Reader::new(fd, &mut buf);
        let mut events = Vec::new();
        loop {
            let event = match reader.next() {
                Ok(event) => event,
                Err(Errno::INTR) => continue,
                // WOULDBLOCK: all read. Anything else: nothing more to read now.
                Err(_) => break,
            };
            let flags = event.events();
            if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                events.extend((0..dirs.len()).map(|dir| Event::Rescan { dir }));
                continue;
            }
            let Some(dir) = dirs.iter().position(|(_, wd)| *wd == Some(event.wd())) else {
                continue;
            };
            if flags.intersects(ReadFlags::IGNORED | ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF) {
                if !flags.contains(ReadFlags::IGNORED) {
                    let _ = inotify::remove_watch(fd, event.wd());
                }
                dirs[dir].1 = None;
                continue;
            }
            if let Some(name) = event.file_name().and_then(|n| n.to_str().ok()) {
                events.push(Event::Changed {
                    dir,
                    name: name.to_owned(),
                });
            }
        }
        events
    }
}

mod poll {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::time::SystemTime;

    use super::{Event, LOOK_AGAIN};

    /// A file's version as a listing sees it.
    type Version = (Option<SystemTime>, u64);

    struct Dir {
        path: PathBuf,
        /// The directory's own modification time when last listed; `None`
        /// while it does not exist.
        stamp: Option<Option<SystemTime>>,
        files: HashMap<String, Version>,
    }

    pub struct Watch {
        dirs: Vec<Dir>,
    }

    impl Watch {
        pub fn new(dirs: Vec<PathBuf>) -> Watch {
            let dirs = dirs
                .into_iter()
                .map(|path| {
                    let stamp = dir_stamp(&path);
                    let files = if stamp.is_some() {
                        list(&path)
                    } else {
                        HashMap::new()
                    };
                    Dir { path, stamp, files }
                })
                .collect();
            Watch { dirs }
        }

        pub async fn next(&mut self) -> Vec<Event> {
            loop {
                tokio::time::sleep(LOOK_AGAIN).await;
                let dirs = std::mem::take(&mut self.dirs);
                let looked = tokio::task::spawn_blocking(move || {
                    let mut dirs = dirs;
                    let events: Vec<Event> = dirs
                        .iter_mut()
                        .enumerate()
                        .flat_map(|(index, dir)| look(index, dir))
                        .collect();
                    (dirs, events)
                })
                .await;
                let Ok((dirs, events)) = looked else {
                    return Vec::new();
                };
                self.dirs = dirs;
                if !events.is_empty() {
                    return events;
                }
            }
        }
    }

    fn dir_stamp(path: &Path) -> Option<Option<SystemTime>> {
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_dir())
            .map(|m| m.modified().ok())
    }

    fn list(path: &Path) -> HashMap<String, Version> {
        let Ok(entries) = std::fs::read_dir(path) else {
            return HashMap::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let meta = entry.metadata().ok()?;
                let name = entry.file_name().into_string().ok()?;
                Some((name, (meta.modified().ok(), meta.len())))
            })
            .collect()
    }

    /// What changed in `dir` since it was last looked at.
    fn look(index: usize, dir: &mut Dir) -> Vec<Event> {
        let stamp = dir_stamp(&dir.path);
        if stamp == dir.stamp {
            return Vec::new();
        }
        let appeared = dir.stamp.is_none();
        dir.stamp = stamp;
        let files = list(&dir.path);
        let events = if appeared {
            vec![Event::Rescan { dir: index }]
        } else {
            let changed = files
                .iter()
                .filter(|(name, version)| dir.files.get(*name) != Some(version))
                .map(|(name, _)| name.clone());
            let removed = dir
                .files
                .keys()
                .filter(|name| !files.contains_key(*name))
                .cloned();
            changed
                .chain(removed)
                .map(|name| Event::Changed { dir: index, name })
                .collect()
        };
        dir.files = files;
        events
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_listing_names_what_was_stored_or_removed_and_a_new_directory_is_rescanned() {
            let tmp = tempfile::tempdir().expect("tempdir");
            let path = tmp.path().join("d");
            let mut dir = Dir {
                path: path.clone(),
                stamp: dir_stamp(&path),
                files: HashMap::new(),
            };
            assert!(look(0, &mut dir).is_empty(), "still missing");
            std::fs::create_dir(&path).expect("mkdir");
            std::fs::write(path.join("old.json"), "1").expect("write");
            assert_eq!(look(3, &mut dir), [Event::Rescan { dir: 3 }]);
            assert!(look(3, &mut dir).is_empty(), "nothing new");
            std::fs::write(path.join(".new.json.tmp"), "22").expect("write");
            std::fs::rename(path.join(".new.json.tmp"), path.join("new.json")).expect("rename");
            std::fs::remove_file(path.join("old.json")).expect("rm");
            let mut events = look(3, &mut dir);
            events.sort_by_key(|e| format!("{e:?}"));
            assert_eq!(
                events,
                [
                    Event::Changed {
                        dir: 3,
                        name: "new.json".into()
                    },
                    Event::Changed {
                        dir: 3,
                        name: "old.json".into()
                    },
                ]
            );
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    async fn next_within(watch: &mut DirWatch, limit: Duration) -> Option<Vec<Event>> {
        tokio::time::timeout(limit, watch.next()).await.ok()
    }

    #[tokio::test]
    async fn the_kernel_names_each_file_stored_and_a_directory_made_later_is_rescanned() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let cache = tmp.path().join("cache");
        std::fs::create_dir(&cache).expect("mkdir");
        let later = cache.join("active");
        let mut watch = DirWatch::new(vec![cache.clone(), later.clone()]);
        assert!(watch.is_notified());
        assert_eq!(next_within(&mut watch, Duration::from_millis(100)).await, None);

        // Stored as wktui stores: a temporary file renamed into place.
        std::fs::write(cache.join(".p.json.1.tmp"), "{}").expect("write");
        std::fs::rename(cache.join(".p.json.1.tmp"), cache.join("p.json")).expect("rename");
        let mut seen = Vec::new();
        while !seen.contains(&Event::Changed {
            dir: 0,
            name: "p.json".into(),
        }) {
            seen.extend(
                next_within(&mut watch, Duration::from_secs(5))
                    .await
                    .expect("events"),
            );
        }

        std::fs::create_dir(&later).expect("mkdir");
        let mut seen = Vec::new();
        while !seen.contains(&Event::Rescan { dir: 1 }) {
            seen.extend(
                next_within(&mut watch, Duration::from_secs(5))
                    .await
                    .expect("events"),
            );
        }
        std::fs::write(later.join("1-a.json"), "{}").expect("write");
        let mut seen = Vec::new();
        while !seen.contains(&Event::Changed {
            dir: 1,
            name: "1-a.json".into(),
        }) {
            seen.extend(
                next_within(&mut watch, Duration::from_secs(5))
                    .await
                    .expect("events"),
            );
        }
    }
}
