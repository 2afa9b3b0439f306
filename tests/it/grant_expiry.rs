//! Grant expiry end to end through the real binary: `grant_expires` in a
//! profile, the warnings of `list`, `doctor` and `token` from 14 days
//! before, `token`'s once a day, and an `invalid_client` after the date.

use crate::common::{Sandbox, server};
use chrono::{Days, Local, NaiveDate};
use serde_json::Value;

fn today() -> NaiveDate {
    Local::now().date_naive()
}

fn days_ahead(n: u64) -> String {
    (today() + Days::new(n)).format("%Y-%m-%d").to_string()
}

fn days_ago(n: u64) -> String {
    (today() - Days::new(n)).format("%Y-%m-%d").to_string()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The `grant` check of `doctor NAME --format json`, if there is one.
fn doctor_grant_check(sb: &Sandbox, name: &str) -> Option<Value> {
    let run = sb.run(&["doctor", name, "--format", "json"]);
    let v = json(&run.stdout);
    v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "grant")
        .cloned()
}

#[test]
fn five_days_ahead_list_doctor_and_token_warn_and_token_only_once_a_day() {
    let sb = Sandbox::new();
    let srv = server();
    let date = days_ahead(5);
    sb.add_profile("test", &srv.token_url(), &["--grant-expires", &date]);
    let warning = format!("profile test: grant expires in 5 days ({date})");

    let list = sb.run(&["list"]).ok();
    list.says(&[&warning, "ask for a new grant in Workiva"]);
    assert!(
        !list.stdout.contains("grant"),
        "the table is left as it was: {}",
        list.stdout
    );
    let v = json(&sb.run(&["list", "--format", "json"]).ok().stdout);
    assert_eq!(v[0]["grant_expires"], date.as_str());
    assert_eq!(v[0]["grant_warning"], format!("grant expires in 5 days ({date})"));
    // New fields go at the end: scripts that read the others see no change.
    let keys: Vec<&String> = v[0].as_object().expect("object").keys().collect();
    assert_eq!(keys[keys.len() - 2..], ["grant_expires", "grant_warning"]);
    let listed = json(&sb.run(&["profile", "list", "--format", "json"]).ok().stdout);
    assert_eq!(listed[0]["grant_expires"], date.as_str());
    let shown = json(
        &sb.run(&["profile", "show", "test", "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(shown["grant_expires"], date.as_str());
    let text = sb.run(&["profile", "show", "test"]).ok().stdout;
    assert!(text.contains(&format!("{date} (expires in 5 days)")), "{text}");

    let check = doctor_grant_check(&sb, "test").expect("a grant check");
    assert_eq!(check["status"], "warn", "{check}");
    assert_eq!(
        check["detail"],
        format!("grant expires in 5 days ({date})"),
        "{check}"
    );
    assert!(
        check["fix"]
            .as_str()
            .is_some_and(|f| f.contains("--grant-expires")),
        "{check}"
    );

    let first = sb.run(&["token", "test"]).ok();
    first.says(&[&warning]);
    assert!(!first.stdout.contains("grant"), "the warning is never on stdout");
    assert_eq!(first.stdout.lines().count(), 1, "{}", first.stdout);
    let second = sb.run(&["token", "test"]).ok();
    assert!(
        !second.stderr.contains("grant"),
        "warned twice in one day: {}",
        second.stderr
    );
    assert_eq!(second.stdout, first.stdout, "the cached token");
    let marker = sb.cache_dir().join("test.grant-warned");
    assert_eq!(
        std::fs::read_to_string(&marker).expect("marker").trim(),
        today().format("%Y-%m-%d").to_string()
    );
    // A warning more than a day old: the next `token` warns again.
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(25 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&marker)
        .and_then(|f| f.set_modified(day_ago))
        .expect("age the marker");
    sb.run(&["token", "test"]).ok().says(&[&warning]);
    assert!(!sb.run(&["token", "test"]).ok().stderr.contains("grant"));
}

#[test]
fn thirty_days_ahead_nothing_warns() {
    let sb = Sandbox::new();
    let srv = server();
    let date = days_ahead(30);
    sb.add_profile("test", &srv.token_url(), &["--grant-expires", &date]);
    let list = sb.run(&["list"]).ok();
    assert!(!list.stderr.contains("grant"), "{}", list.stderr);
    let v = json(&sb.run(&["list", "--format", "json"]).ok().stdout);
    assert_eq!(v[0]["grant_expires"], date.as_str());
    assert_eq!(v[0]["grant_warning"], Value::Null);
    let token = sb.run(&["token", "test"]).ok();
    assert!(!token.stderr.contains("grant"), "{}", token.stderr);
    assert!(
        !sb.cache_dir().join("test.grant-warned").exists(),
        "no marker without a warning"
    );
    let check = doctor_grant_check(&sb, "test").expect("a grant check");
    assert_eq!(check["status"], "pass", "{check}");
    assert_eq!(
        check["detail"],
        format!("grant expires in 30 days ({date})"),
        "{check}"
    );
}

#[test]
fn no_date_no_grant_check_and_no_marker() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    let token = sb.run(&["token", "test"]).ok();
    assert!(!token.stderr.contains("grant"), "{}", token.stderr);
    assert!(doctor_grant_check(&sb, "test").is_none());
    let v = json(&sb.run(&["list", "--format", "json"]).ok().stdout);
    assert_eq!(v[0]["grant_expires"], Value::Null);
}

/// A refused client: the test server knows the client id, not this secret.
fn refused(sb: &mut Sandbox) {
    sb.env.retain(|(k, _)| k != crate::common::SECRET_VAR);
    sb.env
        .push((crate::common::SECRET_VAR.into(), "wk_secret:old:value".into()));
    sb.secrets.push("wk_secret:old:value".into());
}

#[test]
fn invalid_client_after_the_date_says_the_grant_expired_and_what_to_do() {
    let mut sb = Sandbox::new();
    let srv = server();
    let date = days_ago(3);
    sb.add_profile("test", &srv.token_url(), &["--grant-expires", &date]);
    refused(&mut sb);
    let run = sb.run(&["token", "test"]).fails_with(1);
    assert!(run.stdout.is_empty());
    run.says(&[
        "invalid_client",
        &format!("the API grant expired on {date} (expired 3 days ago)"),
        "Ask for a new grant in Workiva",
        "wktui profile set-secret test",
        "--grant-expires",
    ]);
    let check = doctor_grant_check(&sb, "test").expect("a grant check");
    assert_eq!(check["status"], "fail", "{check}");
}

#[test]
fn invalid_client_before_the_date_keeps_the_usual_hint() {
    let mut sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &["--grant-expires", &days_ahead(3)]);
    refused(&mut sb);
    let run = sb.run(&["token", "test"]).fails_with(1);
    run.says(&["invalid_client", "store the current secret"]);
    assert!(!run.stderr.contains("expired on"), "{}", run.stderr);
}

#[test]
fn a_bad_date_names_the_flag_or_the_file_line_and_field() {
    let sb = Sandbox::new();
    let srv = server();
    let run = sb.run(&[
        "profile",
        "add",
        "test",
        "--client-id",
        crate::common::CLIENT_ID,
        "--token-url",
        &srv.token_url(),
        "--grant-expires",
        "31/12/2027",
    ]);
    assert_ne!(run.code, 0);
    run.says(&["--grant-expires", "YYYY-MM-DD"]);
    sb.add_profile("test", &srv.token_url(), &[]);
    let run = sb.run(&["profile", "edit", "test", "--grant-expires", "2027-02-30"]);
    assert_ne!(run.code, 0);
    run.says(&["--grant-expires", "calendar"]);
    sb.run(&["profile", "edit", "test", "--grant-expires", "2027-02-28"])
        .ok();
    let shown = json(
        &sb.run(&["profile", "show", "test", "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(shown["grant_expires"], "2027-02-28");
    sb.run(&["profile", "edit", "test", "--grant-expires", ""]).ok();
    let shown = json(
        &sb.run(&["profile", "show", "test", "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(shown["grant_expires"], Value::Null);

    let text = std::fs::read_to_string(sb.config_path()).expect("config");
    sb.write_config(&format!("{text}grant_expires = \"soon\"\n"));
    let line = text.lines().count() + 1;
    let run = sb.run(&["list"]);
    assert_ne!(run.code, 0);
    run.says(&[&format!("config.toml:{line}:17"), "grant_expires", "YYYY-MM-DD"]);
}
