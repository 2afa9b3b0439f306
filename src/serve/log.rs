//! The request log: one line per request, written by a thread of its own so
//! that a slow terminal or a full pipe never holds up an answer. When lines
//! come faster than they can be written, the surplus is counted, not queued.
//! Refusals are bounded too: at most `FAILURES_PER_SECOND` failed requests
//! are logged a second, and connections refused for coming from another
//! user's process are only counted; the rest is one summary line a second.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::platform::peer::Owner;

/// Lines waiting for the writer before new ones are dropped.
const QUEUE: usize = 16 * 1024;
/// Failed requests logged line by line in a second; more are counted.
pub const FAILURES_PER_SECOND: u32 = 20;
/// How often, at most, the summary of what was counted is written.
const SUMMARY_EVERY: Duration = Duration::from_secs(1);

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
    counts: Arc<Counts>,
    /// The current second's window of failure lines: its start and how many.
    failures: Mutex<(Instant, u32)>,
    writer: Option<std::thread::JoinHandle<()>>,
}

/// What was counted instead of written.
#[derive(Default)]
struct Counts {
    /// Lines the writer could not keep up with.
    dropped: AtomicU64,
    /// Failed requests over the per-second allowance.
    failures: AtomicU64,
    /// Connections from other users' processes, closed unanswered.
    refused: AtomicU64,
    /// Connections their client had closed before they were checked.
    gone: AtomicU64,
    /// Connections whose owner could not be looked up, closed unanswered.
    unchecked: AtomicU64,
}

impl RequestLog {
    pub fn open(target: &LogTarget) -> std::io::Result<RequestLog> {
        let out: Box<dyn Write + Send> = match target {
            LogTarget::Off => {
                return Ok(RequestLog {
                    sender: None,
                    counts: Arc::default(),
                    failures: Mutex::new((Instant::now(), 0)),
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
        let counts = Arc::new(Counts::default());
        let writer = {
            let counts = Arc::clone(&counts);
            std::thread::Builder::new()
                .name("wktui-serve-log".into())
                .spawn(move || write_lines(receiver, out, &counts))?
        };
        Ok(RequestLog {
            sender: Some(sender),
            counts,
            failures: Mutex::new((Instant::now(), 0)),
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
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A failed request's line: written while there have been fewer than
    /// `FAILURES_PER_SECOND` this second, else only counted.
    pub fn failure(&self, line: String) {
        if self.sender.is_none() {
            return;
        }
        let allowed = {
            let mut window = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
            if window.0.elapsed() >= Duration::from_secs(1) {
                *window = (Instant::now(), 0);
            }
            window.1 += 1;
            window.1 <= FAILURES_PER_SECOND
        };
        if allowed {
            self.line(line);
        } else {
            self.counts.failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A connection was closed unanswered, for what its owner was found to be.
    pub fn refused_connection(&self, owner: Owner) {
        let count = match owner {
            Owner::Gone => &self.counts.gone,
            Owner::Unchecked => &self.counts.unchecked,
            Owner::Other | Owner::Us | Owner::Unknown => &self.counts.refused,
        };
        count.fetch_add(1, Ordering::Relaxed);
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

fn write_lines(receiver: Receiver<String>, out: Box<dyn Write + Send>, counts: &Counts) {
    let mut out = std::io::BufWriter::new(out);
    let mut last_summary: Option<Instant> = None;
    loop {
        let open = match receiver.recv_timeout(SUMMARY_EVERY) {
            Ok(first) => {
                let mut next = Some(first);
                while let Some(line) = next {
                    let _ = writeln!(out, "{line}");
                    next = receiver.try_recv().ok();
                }
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => false,
        };
        let due = !open || last_summary.is_none_or(|at| at.elapsed() >= SUMMARY_EVERY);
        if due && write_summary(&mut out, counts) {
            last_summary = Some(Instant::now());
        }
        let _ = out.flush();
        if !open {
            return;
        }
    }
}

/// One line for each thing counted since the last summary; whether any was written.
fn write_summary(out: &mut impl Write, counts: &Counts) -> bool {
    let mut wrote = false;
    let mut say = |count: &AtomicU64, what: &str| {
        let n = count.swap(0, Ordering::Relaxed);
        if n > 0 {
            let _ = writeln!(out, "wktui serve: {n} {what}");
            wrote = true;
        }
    };
    say(&counts.dropped, "log lines dropped (the log could not keep up)");
    say(
        &counts.failures,
        &format!("more failed requests not logged (at most {FAILURES_PER_SECOND} a second are)"),
    );
    say(
        &counts.refused,
        "connections from other users' processes refused (only this user's processes are answered)",
    );
    say(
        &counts.gone,
        "connections closed by their client before they could be checked",
    );
    say(
        &counts.unchecked,
        "connections refused because the system could not say whose they were",
    );
    wrote
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

    #[test]
    fn a_flood_of_failures_collapses_into_a_summary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("serve.log");
        let log = RequestLog::open(&LogTarget::File(path.clone())).expect("open");
        for i in 0..10_000 {
            log.failure(format!("failure {i}"));
        }
        for _ in 0..500 {
            log.refused_connection(Owner::Other);
        }
        log.refused_connection(Owner::Gone);
        log.refused_connection(Owner::Unchecked);
        log.line("a token".into());
        drop(log);
        let text = std::fs::read_to_string(&path).expect("read");
        let failures = text.lines().filter(|l| l.starts_with("failure ")).count();
        assert!(
            (1..=2 * FAILURES_PER_SECOND as usize).contains(&failures),
            "{failures} lines: {text}"
        );
        let counted = |what: &str| -> usize {
            text.lines()
                .filter(|l| l.starts_with("wktui serve: ") && l.contains(what))
                .filter_map(|l| l.split_whitespace().nth(2)?.parse::<usize>().ok())
                .sum()
        };
        assert_eq!(
            failures + counted("more failed requests not logged"),
            10_000,
            "{text}"
        );
        assert_eq!(
            counted("connections from other users' processes refused"),
            500,
            "{text}"
        );
        assert_eq!(counted("closed by their client"), 1, "{text}");
        assert_eq!(counted("could not say whose"), 1, "{text}");
        assert!(text.contains("a token\n"), "{text}");
        assert!(text.len() < 4096, "{} bytes", text.len());
    }
}
