//! A token server that allows only so many requests per second over all
//! clients, as Workiva's gateway does. wktui must converge on its rate
//! instead of hammering it: no profile fails, few requests are refused, and
//! several wktui processes at once share the pause the server asks for.
//! (How long runs take is measured in benches/rate_limits.sh, not here.)

use crate::common::{CLIENT_ID, SECRET_VAR, Sandbox, server_with};
use wktui_test_support::{Fault, RateLimit, ServerConfig, TokenServer};

/// A config of `n` profiles named `{prefix}NNN` on the server.
fn fleet(sb: &Sandbox, srv: &TokenServer, prefix: &str, n: usize) -> String {
    let mut text = String::from("[settings]\nfetch_timeout = 20\n");
    for i in 0..n {
        text.push_str(&format!(
            "\n[[profile]]\nname = \"{prefix}{i:03}\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n",
            srv.token_url()
        ));
    }
    let path = sb.path().join(format!("{prefix}.toml"));
    std::fs::write(&path, text).expect("config");
    path.display().to_string()
}

fn limited(per_second: u32, retry_after: Option<u64>) -> TokenServer {
    server_with(ServerConfig {
        latency: std::time::Duration::from_millis(20),
        rate_limit: Some(RateLimit {
            per_second,
            retry_after,
        }),
        ..Default::default()
    })
}

fn share_refused(srv: &TokenServer) -> f64 {
    srv.rate_limited_requests() as f64 / srv.token_requests() as f64
}

#[test]
fn a_run_converges_on_the_servers_rate_with_retry_after() {
    let srv = limited(100, Some(1));
    let sb = Sandbox::new();
    let config = fleet(&sb, &srv, "p", 500);
    let run = sb.run(&["--config", &config, "refresh", "--all"]).ok();
    assert_eq!(
        run.stdout.lines().filter(|l| l.contains("refreshed")).count(),
        500
    );
    let share = share_refused(&srv);
    assert!(
        share <= 0.10,
        "{:.1}% of {} requests refused",
        share * 100.0,
        srv.token_requests()
    );
}

#[test]
fn without_retry_after_the_pause_is_wktuis_own_and_still_converges() {
    let srv = limited(100, None);
    let sb = Sandbox::new();
    let config = fleet(&sb, &srv, "p", 500);
    sb.run(&["--config", &config, "refresh", "--all"]).ok();
    let share = share_refused(&srv);
    assert!(
        share <= 0.20,
        "{:.1}% of {} requests refused",
        share * 100.0,
        srv.token_requests()
    );
}

#[test]
fn two_processes_at_once_share_the_pause_and_both_finish() {
    let srv = limited(100, Some(1));
    let sb = Sandbox::new();
    let one = fleet(&sb, &srv, "a", 250);
    let two = fleet(&sb, &srv, "b", 250);
    let spawn = |config: &str| {
        sb.command(&["--config", config, "refresh", "--all"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(&one), spawn(&two));
    for child in [a, b] {
        let run = sb.checked(child.wait_with_output().expect("wait"));
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let share = share_refused(&srv);
    assert!(
        share <= 0.15,
        "{:.1}% of {} requests refused",
        share * 100.0,
        srv.token_requests()
    );
}

#[test]
fn a_server_that_grants_nothing_ends_a_fetch_after_its_tries() {
    let srv = limited(1000, Some(1));
    let sb = Sandbox::new();
    let config = fleet(&sb, &srv, "p", 1);
    for _ in 0..5 {
        srv.push_fault(Fault::TooManyRequests { retry_after: Some(1) });
    }
    let run = sb.run(&["--config", &config, "token", "p000"]).fails_with(1);
    run.says(&["HTTP 429", "after 3 tries", "hint:"]);
    assert_eq!(srv.token_requests(), 3, "no progress: refusals use up the tries");
}

#[test]
fn a_pause_longer_than_the_fetch_may_wait_is_reported_without_asking() {
    let srv = limited(1000, Some(3600));
    let sb = Sandbox::new();
    let config = fleet(&sb, &srv, "p", 2);
    srv.push_fault(Fault::TooManyRequests {
        retry_after: Some(3600),
    });
    let run = sb.run(&["--config", &config, "token", "p000"]).fails_with(1);
    run.says(&["HTTP 429"]);
    // Another process does not ask before the hour is up: the pause is shared.
    let run = sb.run(&["--config", &config, "token", "p001"]).fails_with(1);
    run.says(&["asked to be left alone for another", "hint:"]);
    assert_eq!(srv.token_requests(), 1);
}

#[test]
fn a_run_the_servers_rate_cannot_finish_in_time_leaves_the_rest_undone_and_fails_none() {
    // 2 requests a second; 30 profiles in rounds of 10 get 3 × 2 s = 6 s:
    // about a dozen are refreshed, the others are left undone, not failed.
    let srv = limited(2, Some(1));
    let sb = Sandbox::new();
    let config = fleet(&sb, &srv, "p", 30);
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("fetch_timeout = 20", "fetch_timeout = 2\nconcurrency = 10");
    std::fs::write(&config, text).expect("config");
    let run = sb.run(&["--config", &config, "refresh", "--all"]).fails_with(1);
    let refreshed = run.stdout.lines().filter(|l| l.contains("refreshed")).count();
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("wktui: error: p"))
        .collect();
    assert!(
        refreshed >= 6,
        "progress was made: {refreshed} refreshed\n{}",
        run.stderr
    );
    assert_eq!(refreshed + errors.len(), 30, "{}", run.stderr);
    for error in &errors {
        assert!(
            error.contains("left undone"),
            "a profile failed instead of being left undone: {error}"
        );
    }
    run.says(&[&format!("{} of them left undone", errors.len())]);
}

/// The refusals the server counted while `run` ran.
fn refused_during(srv: &TokenServer, run: impl FnOnce()) -> usize {
    let before = srv.rate_limited_requests();
    run();
    srv.rate_limited_requests() - before
}

#[test]
fn a_second_run_starts_at_the_pace_the_host_allowed_instead_of_bursting_into_it() {
    let srv = limited(20, Some(1));
    let sb = Sandbox::new();
    let config = fleet(&sb, &srv, "p", 120);
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("fetch_timeout = 20", "fetch_timeout = 20\nconcurrency = 32");
    std::fs::write(&config, text).expect("config");
    let refresh_all = || {
        let run = sb.run(&["--config", &config, "refresh", "--all"]).ok();
        assert_eq!(
            run.stdout.lines().filter(|l| l.contains("refreshed")).count(),
            120,
            "{}",
            run.stderr
        );
    };
    // The first run finds the limit: 32 requests at once into a bucket of 20.
    let first = refused_during(&srv, refresh_all);
    assert!(first >= 10, "the first burst meets the limit: {first} refused");
    // The bucket refills; the second run remembers what the host allowed.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let second = refused_during(&srv, refresh_all);
    assert!(
        second <= 2,
        "the second run starts at the remembered pace: {second} refused (the first run: {first})"
    );
}

#[test]
fn a_corrupt_or_foreign_host_file_is_ignored_and_rewritten() {
    let srv = limited(1000, Some(1));
    let sb = Sandbox::new();
    let config = fleet(&sb, &srv, "p", 10);
    // A refusal makes wktui write the host's file (and its private dir).
    srv.push_fault(Fault::TooManyRequests { retry_after: Some(1) });
    sb.run(&["--config", &config, "token", "p000", "--refresh"]).ok();
    let port = srv.addr().port();
    let file = sb.cache_dir().join("hosts").join(format!("127.0.0.1_{port}"));
    assert!(file.exists(), "the pause is shared");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    let far_future = now_ms + 10 * 86_400_000;
    for text in [
        "garbage".to_owned(),
        format!("0 pace NaN {now_ms}"),
        format!("0 pace -1 {now_ms}"),
        format!("{far_future} pace 100 {now_ms}"),
        format!("0 pace 100000 {far_future}"),
        "9".repeat(4096),
    ] {
        // Written in place: still the user's own private file.
        std::fs::write(&file, &text).expect("write");
        let run = sb.run(&["--config", &config, "refresh", "--all"]).ok();
        assert_eq!(
            run.stdout.lines().filter(|l| l.contains("refreshed")).count(),
            10,
            "{text:.40}: {}",
            run.stderr
        );
    }
    // The next refusal writes a record of ours over it.
    srv.push_fault(Fault::TooManyRequests { retry_after: Some(1) });
    sb.run(&["--config", &config, "token", "p000", "--refresh"]).ok();
    let written = std::fs::read_to_string(&file).expect("host file");
    assert!(
        written.len() < 128
            && written
                .split(' ')
                .next()
                .is_some_and(|u| u.parse::<u64>().is_ok()),
        "{written:.60}"
    );
}
