//! The request log: one line per request, written by a thread of its own so
//! that a slow terminal or a full pipe never holds up an answer. When lines
//! come faster than they can be written, the surplus is counted, not queued.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

/// Lines waiting for the writer before new ones are dropped.
const QUEUE: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    Stderr,
    /// Appended to, created mode 0600; an existing file must be the user's
    /// own private file (see `platform::fs::Kind::Log`).
    File(PathBuf),
    /// Nothing (tests and benchmarks of the HTTP layer alone).
    Off,
}

pub struct RequestLog {
    sender: Option<SyncSender<String>>,
    dropped: Arc<AtomicU64>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl RequestLog {
    pub fn open(target: &LogTarget) -> std::io::Result<RequestLog> {
        let out: Box<dyn Write + Send> = match target {
            LogTarget::Off => {
                return Ok(RequestLog {
                    sender: None,
                    dropped: Arc::default(),
                    writer: None,
                });
            }
            LogTarget::Stderr => Box::new(std::io::stderr()),
            LogTarget::File(path) => Box::new(
                crate::platform::fs::open_trusted(path, crate::platform::fs::Kind::Log)
                    .map_err(std::io::Error::other)?,
            ),
        };
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let writer = {
            let dropped = Arc::clone(&dropped);
            std::thread::Builder::new()
                .name("wktui-serve-log".into())
                .spawn(move || write_lines(receiver, out, &dropped))?
        };
        Ok(RequestLog {
            sender: Some(sender),
            dropped,
            writer: Some(writer),
        })
    }

    /// Queues one line (without its newline). Never blocks.
    pub fn line(&self, line: String) {
        let Some(sender) = &self.sender else {
            return;
        };
        match sender.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for RequestLog {
    /// Writes what is queued before the process goes on to exit.
    fn drop(&mut self) {
        self.sender = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn write_lines(receiver: Receiver<String>, out: Box<dyn Write + Send>, dropped: &AtomicU64) {
    let mut out = std::io::BufWriter::new(out);
    while let Ok(first) = receiver.recv() {
        let mut next = Some(first);
        while let Some(line) = next {
            let _ = writeln!(out, "{line}");
            next = receiver.try_recv().ok();
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let _ = writeln!(
                out,
                "wktui serve: {lost} log lines dropped (the log could not keep up)"
            );
        }
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_reach_the_file_in_order_and_the_file_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("serve.log");
        let log = RequestLog::open(&LogTarget::File(path.clone())).expect("open");
        for i in 0..100 {
            log.line(format!("line {i}"));
        }
        drop(log);
        let text = std::fs::read_to_string(&path).expect("read");
        let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(text, expected);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
