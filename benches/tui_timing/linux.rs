//! The measurements themselves: a pseudo-terminal, and the child's CPU time
//! and peak memory from /proc.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use wktui::cache::TokenCache;
use wktui::config;
use wktui::model::{BearerToken, Timestamp, Token};
use wktui_test_support::{ClientGrant, ServerConfig, TokenServer};

const SECRET: &str = "bench:secret:value";

/// The binary measured: this build's, or `$WKTUI_BENCH_BIN` (another
/// build, to compare two in one run on one machine).
fn wktui_binary() -> PathBuf {
    std::env::var_os("WKTUI_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_wktui")))
}
const FRAME_DONE: &str = "q quit";

/// A profiles file with `count` profiles against `token_url`, with valid
/// cached tokens (counting down) when `cached`.
fn setup(dir: &Path, count: usize, token_url: &str, concurrency: usize, cached: bool) -> (PathBuf, PathBuf) {
    let mut text = format!("[settings]\nconcurrency = {concurrency}\n");
    for i in 0..count {
        text.push_str(&format!(
            "\n[[profile]]\nname = \"p{i:04}\"\ntoken_url = \"{token_url}\"\nclient_id = \"bench\"\nsecret_env = \"BENCH_SECRET\"\n"
        ));
    }
    let config_path = dir.join("config.toml");
    std::fs::write(&config_path, &text).expect("write config");
    let cache_dir = dir.join("cache");
    let cache = TokenCache::new(&cache_dir);
    let cfg = config::parse(&text, &config_path).expect("valid config");
    let now = wktui::clock::now();
    for (i, profile) in cfg.profiles.iter().enumerate().filter(|_| cached) {
        let response = BearerToken {
            access_token: format!("wk.bench-{i}"),
            expires_in: 3600,
            scope: Some("file:read".into()),
            token_type: "Bearer".into(),
        };
        let token = Token::from_response(
            &response,
            None,
            Timestamp(now.as_millis() - (i as u64 % 300) * 1000),
        )
        .expect("token");
        cache.store(profile, &token).expect("cache");
    }
    (config_path, cache_dir)
}

struct Running {
    child: Child,
    master: File,
    output: Receiver<(Instant, Vec<u8>)>,
}

impl Running {
    /// Starts wktui in a 120x40 pseudo-terminal; returns it and when it was started.
    fn start(config: &Path, cache: &Path) -> (Running, Instant) {
        let master: OwnedFd = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave_path = PathBuf::from(name.to_string_lossy().into_owned());
        let size = rustix::termios::Winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let slave = File::options()
            .read(true)
            .write(true)
            .open(&slave_path)
            .expect("open slave");
        rustix::termios::tcsetwinsize(slave.as_fd(), size).expect("winsize");
        let started = Instant::now();
        let child = Command::new(wktui_binary())
            .env("WKTUI_CONFIG", config)
            .env("WKTUI_CACHE_DIR", cache)
            .env("BENCH_SECRET", SECRET)
            .env("NO_PROXY", "127.0.0.1")
            .env("TERM", "xterm-256color")
            .stdin(Stdio::from(slave.try_clone().expect("slave")))
            .stdout(Stdio::from(slave.try_clone().expect("slave")))
            .stderr(Stdio::from(slave))
            .spawn()
            .expect("spawn wktui");
        let master = File::from(master);
        let mut reader = master.try_clone().expect("master");
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
        (
            Running {
                child,
                master,
                output,
            },
            started,
        )
    }

    /// Waits for output containing `needle`; returns when it arrived.
    fn wait_for(&self, needle: &str, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        let mut seen = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok((at, bytes)) => {
                    seen.push_str(&strip_escapes(&String::from_utf8_lossy(&bytes)));
                    if seen.contains(needle) {
                        return Some(at);
                    }
                    // Keep only a tail, in case the needle spans two reads.
                    if seen.len() > 4096 {
                        seen = seen[seen.len() - 64..].to_owned();
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    fn drain(&self) {
        while self.output.try_recv().is_ok() {}
    }

    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).expect("send keys");
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn quit(mut self) {
        self.send("q");
        let _ = self.child.wait();
    }
}

/// A measurement that fails part-way must not leave wktui running.
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of terminal output without its CSI escape sequences, so styled
/// words read as the screen shows them.
fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Lets the config file settle and has a first `wktui list` index it, as
/// any earlier command would have: the interface then reads its profiles
/// from the index (see `config::index`; a build from before it has none).
fn index_config(config: &Path, cache: &Path) {
    std::thread::sleep(Duration::from_millis(1100));
    let status = Command::new(wktui_binary())
        .arg("list")
        .env("WKTUI_CONFIG", config)
        .env("WKTUI_CACHE_DIR", cache)
        .stdout(Stdio::null())
        .status()
        .expect("wktui list");
    assert!(status.success());
}

fn first_frame(runs: usize, profiles: usize, indexed: bool) -> Vec<Duration> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, cache) = setup(dir.path(), profiles, "http://127.0.0.1:9/oauth2/token", 32, true);
    if indexed {
        index_config(&config, &cache);
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let (ui, started) = Running::start(&config, &cache);
            let at = ui
                .wait_for(FRAME_DONE, Duration::from_secs(5))
                .expect("a first frame");
            ui.quit();
            if !indexed {
                // The run wrote the index: the next must not find it.
                let _ = std::fs::remove_dir_all(cache.join("config-index"));
            }
            at - started
        })
        .collect();
    times.sort();
    times
}

fn key_latency_with_refreshes_in_flight(presses: usize) -> Vec<Duration> {
    let server = TokenServer::start_in_background(ServerConfig {
        clients: vec![ClientGrant::new("bench", SECRET)],
        latency: Duration::from_secs(30),
        ..ServerConfig::default()
    })
    .expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, cache) = setup(dir.path(), 200, &server.token_url(), 200, false);
    let (mut ui, _) = Running::start(&config, &cache);
    ui.wait_for(FRAME_DONE, Duration::from_secs(5))
        .expect("first frame");
    ui.send("R");
    let ok = wait_until(Duration::from_secs(10), || server.requests().len() >= 200);
    assert!(
        ok,
        "200 refreshes in flight (server saw {})",
        server.requests().len()
    );
    let mut times = Vec::with_capacity(presses);
    for i in 0..presses {
        ui.drain();
        let key = if i % 2 == 0 { "j" } else { "k" };
        let sent = Instant::now();
        ui.send(key);
        let at = ui
            .wait_for("▸", Duration::from_secs(2))
            .expect("the selection moved");
        times.push(at - sent);
        std::thread::sleep(Duration::from_millis(15));
    }
    ui.quit();
    times.sort();
    times
}

fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

/// CPU time of every thread of `pid`, from /proc (nanoseconds).
fn cpu_time(pid: u32) -> Duration {
    let mut total = 0u64;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            total += stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

/// CPU the interface uses over `seconds` with `profiles` counting down;
/// with `script`, another process refreshes one profile's token (one
/// halfway down the list, off screen) every two seconds meanwhile.
fn idle_cpu(seconds: u64, profiles: usize, script: bool) -> (Duration, f64, usize) {
    let server = TokenServer::start_in_background(ServerConfig {
        clients: vec![ClientGrant::new("bench", SECRET)],
        ..ServerConfig::default()
    })
    .expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, cache) = setup(dir.path(), profiles, &server.token_url(), 32, true);
    index_config(&config, &cache);
    let (ui, _) = Running::start(&config, &cache);
    ui.wait_for(FRAME_DONE, Duration::from_secs(5))
        .expect("first frame");
    // Idle is after start-up, whose background work (a fleet's cached
    // tokens) takes a fraction of a second: measured from 3 s on.
    std::thread::sleep(Duration::from_secs(3));
    let before = cpu_time(ui.pid());
    let started = Instant::now();
    let mut refreshed = 0;
    let target = format!("p{:04}", profiles / 2);
    while started.elapsed() < Duration::from_secs(seconds) {
        if script {
            let ok = Command::new(wktui_binary())
                .args(["token", &target, "--refresh"])
                .env("WKTUI_CONFIG", &config)
                .env("WKTUI_CACHE_DIR", &cache)
                .env("BENCH_SECRET", SECRET)
                .env("NO_PROXY", "127.0.0.1")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            refreshed += usize::from(ok);
        }
        let next = Duration::from_secs(2 * (started.elapsed().as_secs() / 2 + 1));
        std::thread::sleep(
            next.saturating_sub(started.elapsed())
                .min(Duration::from_secs(seconds)),
        );
    }
    let elapsed = started.elapsed();
    let used = cpu_time(ui.pid()) - before;
    ui.quit();
    (
        used,
        used.as_secs_f64() / elapsed.as_secs_f64() * 100.0,
        refreshed,
    )
}

fn peak_rss_kib(profiles: usize) -> u64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, cache) = setup(dir.path(), profiles, "http://127.0.0.1:9/oauth2/token", 32, true);
    index_config(&config, &cache);
    let (mut ui, _) = Running::start(&config, &cache);
    ui.wait_for(FRAME_DONE, Duration::from_secs(5))
        .expect("first frame");
    for key in ["G", "g", "/", "p0", "\x1b", "?", "\x1b"] {
        ui.send(key);
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    let status = std::fs::read_to_string(format!("/proc/{}/status", ui.pid())).unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    ui.quit();
    hwm
}

fn print_frame_and_keys(frames: &[Duration], keys: &[Duration]) {
    println!(
        "| exec to first complete frame, 100 profiles (30 runs) | median {}, p90 {}, max {} | ≤ 25 ms |",
        ms(percentile(frames, 0.5)),
        ms(percentile(frames, 0.9)),
        ms(percentile(frames, 1.0))
    );
    println!(
        "| key press to frame, 200 refreshes in flight (200 presses) | median {}, p99 {}, max {} | p99 ≤ 16 ms |",
        ms(percentile(keys, 0.5)),
        ms(percentile(keys, 0.99)),
        ms(percentile(keys, 1.0))
    );
}

fn print_idle(idle_secs: u64, cpu: Duration, percent: f64) {
    println!(
        "| CPU while idle, 100 profiles counting down, {idle_secs} s | {} of CPU time = {percent:.3}% of one core | ≤ 0.3% |",
        ms(cpu)
    );
}

pub fn main() {
    let args: Vec<String> = std::env::args().collect();
    let idle_secs = args
        .windows(2)
        .find(|w| w[0] == "--idle-secs")
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(60);

    let fleet_only = args.iter().any(|a| a == "--fleet-only");

    println!("| measure | result | target |");
    println!("|---|---|---|");
    // Idle CPU alone, for comparing two builds (WKTUI_BENCH_BIN) back to back.
    if args.iter().any(|a| a == "--idle-only") {
        let (cpu, percent, _) = idle_cpu(idle_secs, 100, false);
        print_idle(idle_secs, cpu, percent);
        return;
    }
    // The first frame and key presses alone, for the same kind of comparison.
    if args.iter().any(|a| a == "--quick-only") {
        let frames = first_frame(30, 100, true);
        let keys = key_latency_with_refreshes_in_flight(200);
        print_frame_and_keys(&frames, &keys);
        return;
    }
    if !fleet_only {
        let frames = first_frame(30, 100, true);
        let keys = key_latency_with_refreshes_in_flight(200);
        let (cpu, percent, _) = idle_cpu(idle_secs, 100, false);
        let rss = peak_rss_kib(1000);
        print_frame_and_keys(&frames, &keys);
        print_idle(idle_secs, cpu, percent);
        println!(
            "| peak resident memory, 1,000 profiles | {:.1} MB (VmHWM {rss} KiB) | ≤ 20 MB |",
            rss as f64 / 1024.0
        );
    }

    let frames = first_frame(30, 10_000, true);
    let cold = first_frame(10, 10_000, false);
    let (cpu, percent, _) = idle_cpu(idle_secs, 10_000, false);
    let (script_cpu, script_percent, refreshed) = idle_cpu(idle_secs, 10_000, true);
    let rss = peak_rss_kib(10_000);
    println!(
        "| exec to first complete frame, 10,000 profiles, config indexed (30 runs) | median {}, p90 {}, max {} | ≤ 25 ms |",
        ms(percentile(&frames, 0.5)),
        ms(percentile(&frames, 0.9)),
        ms(percentile(&frames, 1.0))
    );
    println!(
        "| the same, config changed since it was indexed (10 runs) | median {}, p90 {}, max {} | (reported) |",
        ms(percentile(&cold, 0.5)),
        ms(percentile(&cold, 0.9)),
        ms(percentile(&cold, 1.0))
    );
    println!(
        "| CPU while idle, 10,000 profiles counting down, {idle_secs} s | {} of CPU time = {percent:.3}% of one core | ≤ 0.3% |",
        ms(cpu)
    );
    println!(
        "| CPU, 10,000 profiles, a script refreshing one token every 2 s ({refreshed} refreshes in {idle_secs} s) | {} of CPU time = {script_percent:.3}% of one core | ≤ 0.3% |",
        ms(script_cpu)
    );
    println!(
        "| peak resident memory, 10,000 profiles | {:.1} MB (VmHWM {rss} KiB) | ≤ 20 MB |",
        rss as f64 / 1024.0
    );
}
