//! The log: `tracing` events in a file under the platform state dir
//! (`$XDG_STATE_HOME/wktui/wktui.log` on Linux), never on the terminal, so
//! the interface's screen is never written over. Warnings and errors only
//! unless `WKTUI_LOG` or `--log-level` ask for more (RUST_LOG syntax).
//!
//! The file is opened on the first event, so a quiet run (a cached
//! `wktui token`) costs no file system call at all. It holds at most
//! `MAX_BYTES`, then moves to `wktui.log.1` (replacing the older one).
//! Events never carry a token or a secret; the crates below wktui are kept
//! to `info` and above, because their debug output (HTTP, D-Bus) is not ours
//! to vet.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::Level;
use tracing_subscriber::filter::{Targets, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// The environment variable with the log filter (RUST_LOG syntax).
pub const LOG_ENV: &str = "WKTUI_LOG";
/// What is logged when nothing says otherwise.
pub const DEFAULT_FILTER: &str = "warn";
/// The log's size limit before it moves to `wktui.log.1`.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// `wktui.log` in the platform state dir (the local data dir where the
/// platform has no state dir).
pub fn default_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "wktui")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(dir.join("wktui.log"))
}

/// A filter the user gave that does not parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "{origin}: \"{spec}\" is not a log filter ({reason}); use a level (error, warn, info, debug, trace) or RUST_LOG syntax such as \"warn,wktui::fetcher=debug\""
)]
pub struct FilterError {
    pub origin: &'static str,
    pub spec: String,
    pub reason: String,
}

/// The filter: `--log-level`, else `$WKTUI_LOG`, else warnings and errors.
pub fn filter_from(flag: Option<&str>, env: Option<String>) -> Result<Targets, FilterError> {
    let (origin, spec) = match (flag, env) {
        (Some(flag), _) => ("--log-level", flag.to_owned()),
        (None, Some(env)) if !env.trim().is_empty() => (LOG_ENV, env),
        _ => ("default", DEFAULT_FILTER.to_owned()),
    };
    // Targets: the `target=level` lists of RUST_LOG syntax, without the
    // span and field filters (and the regex engine they need).
    spec.trim().parse::<Targets>().map_err(|e| FilterError {
        origin,
        reason: e.to_string(),
        spec,
    })
}

/// Sends every event from now on to the log file at `path`.
pub fn init(filter: Targets, path: PathBuf) {
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(LogFile::new(path))
        .with_ansi(false)
        .with_target(true)
        .with_filter(filter)
        .with_filter(filter_fn(|meta| {
            meta.target().starts_with("wktui") || *meta.level() <= Level::INFO
        }));
    // A second init (tests running `main` twice) keeps the first subscriber.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// The log file: opened on first use, private to the user, bounded in size.
pub struct LogFile {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl LogFile {
    pub fn new(path: PathBuf) -> Self {
        LogFile {
            path,
            file: Mutex::new(None),
        }
    }

    fn write_record(&self, buf: &[u8]) -> io::Result<()> {
        let mut slot = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(open_private(&self.path)?);
        }
        let too_big = match slot.as_ref() {
            Some(file) => file.metadata()?.len() + buf.len() as u64 > MAX_BYTES,
            None => false,
        };
        if too_big {
            let _ = std::fs::rename(&self.path, rotated(&self.path));
            *slot = Some(open_private(&self.path)?);
        }
        match slot.as_mut() {
            Some(file) => file.write_all(buf),
            None => Ok(()),
        }
    }
}

/// `wktui.log.1`, where a full log moves.
pub fn rotated(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".1");
    path.with_file_name(name)
}

/// Opens the log for appending: the directory 0700, the file the user's own
/// and private (0600), never a link, a FIFO or another user's file.
fn open_private(path: &Path) -> io::Result<File> {
    use crate::platform::fs::{Kind, ensure_private_dir, open_trusted};
    if let Some(dir) = path.parent() {
        ensure_private_dir(dir).map_err(io::Error::other)?;
    }
    open_trusted(path, Kind::Log).map_err(io::Error::other)
}

/// One formatted event, written to the file in one piece when dropped.
pub struct Record<'a> {
    log: &'a LogFile,
    buf: Vec<u8>,
}

impl Write for Record<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Record<'_> {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            // A log that cannot be written must not break the command.
            let _ = self.log.write_record(&self.buf);
        }
    }
}

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = Record<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Record {
            log: self,
            buf: Vec::with_capacity(256),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_environment_and_bad_filters_say_where_they_came_from() {
        assert!(filter_from(Some("debug"), Some("nonsense=[".into())).is_ok());
        let err = filter_from(None, Some("wktui=loud".into())).expect_err("bad level");
        assert!(err.to_string().starts_with("WKTUI_LOG: \"wktui=loud\""), "{err}");
        let err = filter_from(Some("=="), None).expect_err("bad flag");
        assert!(err.to_string().starts_with("--log-level"), "{err}");
        assert_eq!(
            filter_from(None, Some("  ".into())).expect("default").to_string(),
            "warn"
        );
    }

    #[test]
    fn a_full_log_moves_aside_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state/wktui.log");
        let log = LogFile::new(path.clone());
        let line = vec![b'x'; 1000];
        for _ in 0..(MAX_BYTES / 1000 + 5) {
            log.make_writer().write_all(&line).expect("buffer");
        }
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        assert!(size(&path) <= MAX_BYTES && size(&path) > 0);
        assert!(size(&rotated(&path)) > MAX_BYTES - 1000);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().expect("dir")), 0o700);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_in_place_of_the_log_is_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").expect("target");
        let path = dir.path().join("wktui.log");
        std::os::unix::fs::symlink(&target, &path).expect("symlink");
        assert!(open_private(&path).is_err());
        assert_eq!(std::fs::read(&target).expect("read"), b"");
    }
}
