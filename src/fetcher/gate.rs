//! A token host as a shared resource: every request to a host passes its
//! gate, so that a host that says "too many requests" is asked less, by
//! every task of this process and, through a small file, by other wktui
//! processes too.
//!
//! Three things per host:
//! - a pause: after a 429 (or a 503 with `Retry-After`) nobody asks the host
//!   again before the time it named, plus jitter so that clients that were
//!   refused together do not come back together;
//! - a window of requests in flight that adapts (AIMD): halved on a refusal,
//!   one more for each success, never above `concurrency`;
//! - a pace, once the host has refused us: requests are spread at a rate just
//!   below what the host granted, rising slowly while it keeps granting, and
//!   cut again at the next refusal. A run converges on the server's rate
//!   instead of bursting into it once a second.
//!
//! The pause and the pace are shared through the host's file (see
//! `host_record`): a process that starts while a pace is remembered starts
//! at it, so a second run does not find the host's limit again by bursting
//! into it.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use tokio::sync::Notify;

use super::host_record::{HostRecord, MAX_RECORD_BYTES};
use crate::clock;
use crate::model::Timestamp;

/// The pace after a refusal, as a share of what the host just granted.
const BACKOFF_SHARE: f64 = 0.9;
/// How fast the pace rises while the host keeps granting: requests per
/// second, per second. Slow: every refusal costs a pause of a second or so.
const PACE_RISE: f64 = 0.1;
/// Without `Retry-After`, the first pause; it doubles with each refusal in a row.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);
/// Successes counted to estimate what the host grants.
const RATE_WINDOW: Duration = Duration::from_secs(3);
/// How far the pace rises above the one last shared before it is shared
/// again: a file write every few seconds at most while a run speeds up.
const SHARE_PACE_RISE: f64 = 1.05;

/// Requests in flight and the pace, per host.
pub struct HostGate {
    hosts: Mutex<HashMap<String, HostState>>,
    changed: Notify,
    max_window: usize,
    /// Where the pauses are shared with other processes (the cache dir).
    shared_dir: Option<PathBuf>,
}

struct HostState {
    /// Nobody asks before then.
    not_before: Instant,
    in_flight: usize,
    window: f64,
    /// Requests per second, once the host has refused us.
    pace: Option<f64>,
    next_start: Instant,
    successes: VecDeque<Instant>,
    last_success: Option<Instant>,
    refusals_in_a_row: u32,
    /// When the last pause ended: grants are counted from then.
    resumed_at: Instant,
    /// The moment of the last cut, while its new pace is not set yet: the
    /// answers to requests sent with the refused one are still arriving, so
    /// what the host granted is counted when the pause ends.
    cut_at: Option<Instant>,
    /// Bumped at each cut, so that the refusals of requests sent before the
    /// cut (all arriving together) cut only once.
    epoch: u64,
    /// The pace last written to the host's file (or read from it).
    shared_pace: Option<f64>,
}

impl HostState {
    /// `remembered`: the pace the host allowed in an earlier run, if any.
    fn new(window: usize, now: Instant, remembered: Option<f64>) -> Self {
        HostState {
            not_before: now,
            in_flight: 0,
            window: window as f64,
            pace: remembered,
            next_start: now,
            successes: VecDeque::new(),
            last_success: None,
            refusals_in_a_row: 0,
            resumed_at: now,
            cut_at: None,
            epoch: 0,
            shared_pace: remembered,
        }
    }

    /// Requests per second the host granted in the time before `until`
    /// (at most `RATE_WINDOW`, not counting pauses), when there is enough to go on.
    fn granted_per_second(&mut self, until: Instant) -> Option<f64> {
        let since = until
            .checked_sub(RATE_WINDOW)
            .unwrap_or(until)
            .max(self.resumed_at);
        while self.successes.front().is_some_and(|t| *t < since) {
            self.successes.pop_front();
        }
        let granted = self.successes.len();
        // At least a second: a first burst is the server's allowance, not its rate.
        let span = until.duration_since(since).as_secs_f64().max(1.0);
        (granted >= 3).then(|| granted as f64 / span)
    }

    /// Once a pause is over, sets the pace the last cut called for: just
    /// below what the host granted, or than the pace it found too fast.
    /// Whether it set one (to be shared).
    fn settle_pace(&mut self, now: Instant) -> bool {
        let Some(cut) = self.cut_at.filter(|_| now >= self.not_before) else {
            return false;
        };
        let pace = match (self.pace, self.granted_per_second(cut)) {
            (Some(pace), Some(granted)) => pace.min(granted),
            (Some(pace), None) => pace,
            (None, Some(granted)) => granted,
            (None, None) => 1.0,
        };
        self.pace = Some((pace * BACKOFF_SHARE).max(0.5));
        self.next_start = self.next_start.max(self.not_before);
        self.resumed_at = self.not_before;
        self.cut_at = None;
        true
    }

    /// What to write to the host's file: the pause, if ahead, and the pace.
    fn record(&mut self, now: Instant) -> HostRecord {
        self.shared_pace = self.pace;
        HostRecord {
            pause_until: (self.not_before > now).then(|| wall_clock(self.not_before, now)),
            pace: self.pace,
            pace_seen: clock::now(),
        }
    }
}

/// A request's place in a host's window; given back when dropped.
pub struct Admission {
    gate: Arc<HostGate>,
    host: String,
    epoch: u64,
}

/// Why a request was not admitted: the host is paused past what the caller
/// may wait, or has granted nothing to anyone for that long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAdmitted {
    /// When the host may be asked again (wall clock).
    pub until: Timestamp,
}

impl HostGate {
    pub fn new(max_window: usize, shared_dir: Option<PathBuf>) -> Arc<Self> {
        Arc::new(HostGate {
            hosts: Mutex::new(HashMap::new()),
            changed: Notify::new(),
            max_window: max_window.max(1),
            shared_dir,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostState>> {
        self.hosts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a place to send a request to `host`. Waiting does not count
    /// against the caller while the host keeps granting requests to others;
    /// it gives up when the host is paused for longer than `patience` from
    /// now, or (not paused) has granted nothing for `patience` while we
    /// waited for room.
    pub async fn admit(self: &Arc<Self>, host: &str, patience: Duration) -> Result<Admission, NotAdmitted> {
        let waiting_since = Instant::now();
        let shared = self.shared_record(host);
        loop {
            let notified = self.changed.notified();
            let settled = {
                let now = Instant::now();
                let mut hosts = self.lock();
                let state = hosts
                    .entry(host.to_owned())
                    .or_insert_with(|| HostState::new(self.max_window, now, shared.pace));
                if let Some(until) = shared.pause_until {
                    let ahead = clock::now().millis_until(until).max(0) as u64;
                    state.not_before = state.not_before.max(now + Duration::from_millis(ahead));
                }
                state.settle_pace(now).then(|| state.record(now))
            };
            if let Some(record) = settled {
                self.share(host, &record);
            }
            let wake_at = {
                let now = Instant::now();
                let mut hosts = self.lock();
                let Some(state) = hosts.get_mut(host) else {
                    continue;
                };
                let progress = state.last_success.map_or(waiting_since, |t| t.max(waiting_since));
                let start = state.not_before.max(if state.pace.is_some() {
                    state.next_start
                } else {
                    now
                });
                let room = state.in_flight < (state.window.floor() as usize).max(1);
                if start <= now && room {
                    state.in_flight += 1;
                    if let Some(pace) = state.pace {
                        state.next_start = state.next_start.max(now) + Duration::from_secs_f64(1.0 / pace);
                    }
                    return Ok(Admission {
                        gate: Arc::clone(self),
                        host: host.to_owned(),
                        epoch: state.epoch,
                    });
                }
                // A pause the host asked for (or our pace) is waited out when
                // it ends within the patience, however long ago the last
                // grant was: the host said when to come back. Waiting for
                // room gives up once nothing was granted for the patience.
                let starved_at = progress + patience;
                let paused_too_long = start > now + patience;
                let starved = start <= now && now >= starved_at;
                if paused_too_long || starved {
                    return Err(NotAdmitted {
                        until: wall_clock(start, now),
                    });
                }
                // Without room, a finishing request wakes us; else the start time.
                if room {
                    start
                } else {
                    start.max(starved_at.min(now + Duration::from_secs(1)))
                }
            };
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }

    /// Whether `host` granted a request within `within`: refusals from a
    /// host that is making progress do not use up a request's tries.
    pub fn progressing(&self, host: &str, within: Duration) -> bool {
        self.lock()
            .get(host)
            .and_then(|s| s.last_success)
            .is_some_and(|t| t.elapsed() <= within)
    }

    /// Whether `host` has refused a request for being one too many (each
    /// wave of refusals cuts once and bumps the epoch).
    pub fn has_refused(&self, host: &str) -> bool {
        self.lock().get(host).is_some_and(|s| s.epoch > 0)
    }

    /// Hosts paused now, and until when (wall clock), for the interface.
    pub fn pauses(&self) -> Vec<(String, Timestamp)> {
        let now = Instant::now();
        let mut paused: Vec<_> = self
            .lock()
            .iter()
            .filter(|(_, s)| s.not_before > now)
            .map(|(host, s)| (host.clone(), wall_clock(s.not_before, now)))
            .collect();
        paused.sort();
        paused
    }

    fn succeeded(&self, host: &str) {
        let now = Instant::now();
        let risen = {
            let mut hosts = self.lock();
            let Some(state) = hosts.get_mut(host) else {
                return;
            };
            state.successes.push_back(now);
            if state.successes.len() > 4096 {
                state.successes.pop_front();
            }
            state.last_success = Some(now);
            state.refusals_in_a_row = 0;
            state.window = (state.window + 1.0).min(self.max_window as f64);
            if let Some(pace) = state.pace.as_mut() {
                *pace += PACE_RISE / *pace;
            }
            // The host allows more than the pace last shared: say so, now and then.
            let rose = match (state.pace, state.shared_pace) {
                (Some(pace), Some(shared)) => pace >= shared * SHARE_PACE_RISE,
                _ => false,
            };
            rose.then(|| state.record(now))
        };
        if let Some(record) = risen {
            self.share(host, &record);
        }
    }

    fn refused(&self, host: &str, epoch: u64, retry_after: Option<Duration>) {
        let now = Instant::now();
        let record = {
            let mut hosts = self.lock();
            let Some(state) = hosts.get_mut(host) else {
                return;
            };
            // Refusals of requests sent together are one refusal.
            let first_of_wave = epoch == state.epoch;
            if first_of_wave {
                state.refusals_in_a_row += 1;
            }
            let pause = retry_after.unwrap_or_else(|| {
                FIRST_PAUSE
                    .saturating_mul(1 << state.refusals_in_a_row.saturating_sub(1).min(8))
                    .min(LONGEST_PAUSE)
            });
            // Up to a fifth more, at random: clients refused together come back apart.
            let until = now
                + pause
                + pause.mul_f64(fastrand::f64() * 0.2)
                + Duration::from_millis(fastrand::u64(..50));
            state.not_before = state.not_before.max(until);
            if first_of_wave {
                state.epoch += 1;
                state.window = (state.window / 2.0).max(1.0);
                state.cut_at = Some(now);
            }
            state.next_start = state.next_start.max(state.not_before);
            state.record(now)
        };
        self.share(host, &record);
    }

    fn release(&self, host: &str) {
        if let Some(state) = self.lock().get_mut(host) {
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        self.changed.notify_waiters();
    }

    /// What other processes (or an earlier run) recorded for `host`: a
    /// pause still ahead, a pace seen lately. Nothing, from a file that is
    /// not the user's own private one or does not parse.
    fn shared_record(&self, host: &str) -> HostRecord {
        let now = clock::now();
        self.pause_file(host)
            .and_then(|path| {
                crate::platform::fs::read_trusted(&path, MAX_RECORD_BYTES)
                    .ok()
                    .flatten()
            })
            .map_or(HostRecord::decode(b"", now), |bytes| {
                HostRecord::decode(&bytes, now)
            })
    }

    fn share(&self, host: &str, record: &HostRecord) {
        let Some(path) = self.pause_file(host) else {
            return;
        };
        if let Some(dir) = path.parent()
            && crate::platform::fs::ensure_private_dir(dir).is_ok()
        {
            let _ = crate::platform::fs::write_atomically(
                &path,
                record.encode().as_bytes(),
                crate::platform::fs::Durability::Cache,
            );
        }
    }

    fn pause_file(&self, host: &str) -> Option<PathBuf> {
        let dir = self.shared_dir.as_deref()?;
        Some(pause_path(dir, host))
    }
}

/// `<dir>/hosts/<host>_<port>`: the host key made safe for a file name.
fn pause_path(dir: &Path, host: &str) -> PathBuf {
    let name: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join("hosts").join(name)
}

fn wall_clock(at: Instant, now: Instant) -> Timestamp {
    clock::now().plus(at.saturating_duration_since(now))
}

impl Admission {
    /// The host granted this request.
    pub fn succeeded(self) {
        self.gate.succeeded(&self.host);
    }

    /// The host refused this request for being one too many.
    pub fn refused(self, retry_after: Option<Duration>) {
        self.gate.refused(&self.host, self.epoch, retry_after);
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.gate.release(&self.host);
    }
}

/// `host:port` of a URL, the unit a server rate-limits.
pub fn host_key(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(window: usize) -> Arc<HostGate> {
        HostGate::new(window, None)
    }

    #[tokio::test(start_paused = true)]
    async fn the_window_halves_on_a_refusal_and_grows_by_one_per_success() {
        let gate = gate(8);
        let mut held = Vec::new();
        for _ in 0..8 {
            held.push(gate.admit("h:443", Duration::from_secs(30)).await.expect("room"));
        }
        // All eight are refused together: one cut, not eight.
        for admission in held.drain(..) {
            admission.refused(Some(Duration::from_secs(1)));
        }
        assert_eq!(gate.lock()["h:443"].window, 4.0);
        let paused = gate.pauses();
        assert_eq!(paused.len(), 1);
        let started = Instant::now();
        let a = gate
            .admit("h:443", Duration::from_secs(30))
            .await
            .expect("after the pause");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(1) && waited <= Duration::from_millis(1300),
            "{waited:?}"
        );
        a.succeeded();
        assert_eq!(gate.lock()["h:443"].window, 5.0);
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_refusal_requests_are_paced_below_what_was_granted() {
        let gate = gate(32);
        // Ten granted within the last second, then a refusal.
        for _ in 0..10 {
            gate.admit("h:443", Duration::from_secs(30))
                .await
                .expect("room")
                .succeeded();
        }
        gate.admit("h:443", Duration::from_secs(30))
            .await
            .expect("room")
            .refused(Some(Duration::from_secs(1)));
        // The pace is set when the pause is over, from all that was granted.
        assert!(gate.lock()["h:443"].pace.is_none());
        let first = gate
            .admit("h:443", Duration::from_secs(30))
            .await
            .expect("admitted");
        let pace = gate.lock()["h:443"].pace.expect("paced");
        assert!((8.5..=9.5).contains(&pace), "{pace}");
        let t0 = Instant::now();
        drop(first);
        let _second = gate
            .admit("h:443", Duration::from_secs(30))
            .await
            .expect("admitted");
        let gap = t0.elapsed();
        assert!(gap >= Duration::from_millis(100), "paced: {gap:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_that_grows_while_waiting_is_waited_out_while_each_end_is_near() {
        let gate = gate(4);
        let patience = Duration::from_secs(2);
        let first = gate.admit("h:443", patience).await.expect("room");
        let second = gate.admit("h:443", patience).await.expect("room");
        first.refused(Some(Duration::from_secs(1)));
        let waiter = tokio::spawn({
            let gate = Arc::clone(&gate);
            async move { gate.admit("h:443", patience).await.is_ok() }
        });
        // The waiter begins waiting now.
        tokio::task::yield_now().await;
        // A later refusal pushes the pause to ~2.4 s after the waiter began:
        // past its patience counted from then, but near from now.
        tokio::time::advance(Duration::from_millis(900)).await;
        second.refused(Some(Duration::from_millis(1500)));
        assert!(
            waiter.await.expect("joined"),
            "the host said when to come back: wait, do not fail"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_room_gives_up_when_nothing_is_granted_for_the_patience() {
        let gate = gate(1);
        let _stuck = gate.admit("h:443", Duration::from_secs(30)).await.expect("room");
        let started = Instant::now();
        let err = gate.admit("h:443", Duration::from_secs(2)).await;
        assert!(err.is_err(), "no room and no grant for the whole patience");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(2) && waited < Duration::from_millis(2100),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_beyond_the_patience_is_refused_at_once_with_its_end() {
        let gate = gate(4);
        gate.admit("h:443", Duration::from_secs(30))
            .await
            .expect("room")
            .refused(Some(Duration::from_secs(3600)));
        let started = Instant::now();
        let err = gate
            .admit("h:443", Duration::from_secs(30))
            .await
            .err()
            .expect("refused");
        assert!(started.elapsed() < Duration::from_millis(10));
        let ahead = clock::now().millis_until(err.until);
        assert!(ahead > 3_500_000, "{ahead}");
        // Other hosts are not affected.
        assert!(gate.admit("other:443", Duration::from_secs(30)).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn progress_is_a_success_within_the_patience() {
        let gate = gate(4);
        assert!(!gate.progressing("h:443", Duration::from_secs(30)));
        gate.admit("h:443", Duration::from_secs(30))
            .await
            .expect("room")
            .succeeded();
        assert!(gate.progressing("h:443", Duration::from_secs(30)));
        tokio::time::advance(Duration::from_secs(31)).await;
        assert!(!gate.progressing("h:443", Duration::from_secs(30)));
    }

    #[test]
    fn pauses_are_shared_through_a_file_of_ours() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shared = dir.path().join("cache");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let one = HostGate::new(4, Some(shared.clone()));
            one.admit("h:443", Duration::from_secs(30))
                .await
                .expect("room")
                .refused(Some(Duration::from_secs(120)));
            // Another process's gate sees the pause.
            let other = HostGate::new(4, Some(shared.clone()));
            let err = other
                .admit("h:443", Duration::from_secs(30))
                .await
                .err()
                .expect("paused");
            assert!(clock::now().millis_until(err.until) > 100_000);
        });
        assert!(pause_path(&shared, "h:443").exists());
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_a_host_allowed_is_where_the_next_process_starts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shared = dir.path().join("cache");
        let one = HostGate::new(32, Some(shared.clone()));
        for _ in 0..10 {
            one.admit("h:443", Duration::from_secs(30))
                .await
                .expect("room")
                .succeeded();
        }
        one.admit("h:443", Duration::from_secs(30))
            .await
            .expect("room")
            .refused(Some(Duration::from_secs(1)));
        // The pace is set (and shared) once the pause is over.
        drop(
            one.admit("h:443", Duration::from_secs(30))
                .await
                .expect("admitted"),
        );
        let written = std::fs::read_to_string(pause_path(&shared, "h:443")).expect("shared");
        assert!(written.contains(" pace "), "{written}");

        // A new process is paced from its first request: no burst.
        let two = HostGate::new(32, Some(shared.clone()));
        let started = Instant::now();
        let mut held = Vec::new();
        for _ in 0..5 {
            held.push(
                two.admit("h:443", Duration::from_secs(30))
                    .await
                    .expect("admitted"),
            );
        }
        let spread = started.elapsed();
        assert!(
            spread >= Duration::from_millis(400),
            "five requests at about 9 a second: {spread:?}"
        );
        // Without the file, the same five go at once.
        let three = HostGate::new(32, None);
        let started = Instant::now();
        for _ in 0..5 {
            held.push(
                three
                    .admit("h:443", Duration::from_secs(30))
                    .await
                    .expect("admitted"),
            );
        }
        assert!(started.elapsed() < Duration::from_millis(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_corrupt_host_file_is_ignored_and_a_tiny_pace_is_clamped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shared = dir.path().join("cache");
        let path = pause_path(&shared, "h:443");
        crate::platform::fs::ensure_private_dir(&shared).expect("dir");
        crate::platform::fs::ensure_private_dir(path.parent().expect("parent")).expect("dir");
        let write = |text: &str| {
            crate::platform::fs::write_atomically(
                &path,
                text.as_bytes(),
                crate::platform::fs::Durability::Cache,
            )
            .expect("written");
        };
        for garbage in ["not a record", "0 pace NaN 1", "0 pace 9000", "\u{0}\u{0}"] {
            write(garbage);
            let gate = HostGate::new(32, Some(shared.clone()));
            let started = Instant::now();
            let mut held = Vec::new();
            for _ in 0..5 {
                held.push(
                    gate.admit("h:443", Duration::from_secs(30))
                        .await
                        .expect("admitted"),
                );
            }
            assert!(started.elapsed() < Duration::from_millis(10), "{garbage:?}");
        }
        // A pace of 0.001 a second would stall a run for hours: clamped.
        write(&format!("0 pace 1 {}", clock::now().as_millis()));
        let gate = HostGate::new(32, Some(shared.clone()));
        let started = Instant::now();
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(
                gate.admit("h:443", Duration::from_secs(30))
                    .await
                    .expect("admitted"),
            );
        }
        assert!(
            started.elapsed() <= Duration::from_millis(2100),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn host_keys_name_host_and_port() {
        assert_eq!(
            host_key("https://api.app.wdesk.com/oauth2/token"),
            "api.app.wdesk.com:443"
        );
        assert_eq!(host_key("http://127.0.0.1:8080/x"), "127.0.0.1:8080");
    }
}
