//! One profile that does not pass its checks stops only the commands that
//! need it (issue 18): the others work and warn of it, `list` and `doctor`
//! show it, and nothing writes the file until it loads whole.

use crate::common::{Sandbox, server};

/// `good` and `other` at the test server, then `bad`, whose
/// `grant_expires` is a number; returns the line and column of that value.
fn sandbox_with_a_broken_profile(url: &str) -> (Sandbox, String) {
    let sb = Sandbox::new();
    sb.add_profile("good", url, &[]);
    sb.add_profile("other", url, &[]);
    let good = std::fs::read_to_string(sb.config_path()).expect("config");
    let text = format!(
        "{good}\n[[profile]]\nname = \"bad\"\nregion = \"us\"\nclient_id = \"b\"\ngrant_expires = 5\n"
    );
    let line = text
        .lines()
        .position(|l| l == "grant_expires = 5")
        .expect("the line")
        + 1;
    sb.write_config(&text);
    let place = format!("{}:{line}:17: grant_expires", sb.config_path().display());
    (sb, place)
}

#[test]
fn token_for_a_good_profile_works_and_the_broken_one_fails_naming_its_field() {
    let srv = server();
    let (sb, place) = sandbox_with_a_broken_profile(&srv.token_url());
    let run = sb.run(&["token", "good"]).ok();
    assert!(run.stdout.trim().starts_with("wk"), "a token: {}", run.stdout);
    run.says(&[
        &format!("wktui: warning: profile \"bad\" is skipped: {place}: invalid type: integer `5`, expected a string"),
        "correct it with `wktui config edit`",
    ]);
    // Again, from the cache: the same answer, and the same warning.
    let cached = sb.run(&["token", "good"]).ok();
    assert_eq!(cached.stdout, run.stdout);
    cached.says(&["profile \"bad\" is skipped"]);
    assert_eq!(srv.token_requests(), 1);

    let run = sb.run(&["token", "bad"]).fails_with(2);
    run.says(&[
        &format!("wktui: error: profile \"bad\" cannot be used: {place}: invalid type"),
        "hint: correct it with `wktui config edit`",
    ]);
    assert!(run.stdout.is_empty());
    assert!(
        !run.stderr.contains("warning"),
        "said once, as the error: {}",
        run.stderr
    );
    sb.run(&["exec", "bad", "--", "true"])
        .fails_with(2)
        .says(&[&place]);
    sb.run(&["profile", "show", "bad"]).fails_with(2).says(&[&place]);
}

#[test]
fn list_shows_the_broken_profile_as_a_row_with_its_problem() {
    let srv = server();
    let (sb, place) = sandbox_with_a_broken_profile(&srv.token_url());
    let run = sb.run(&["list", "--format", "plain"]).ok();
    let rows: Vec<Vec<&str>> = run.stdout.lines().map(|l| l.split('\t').collect()).collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(names, ["bad", "good", "other"], "{}", run.stdout);
    let line = place.rsplit(':').nth(2).expect("line");
    assert_eq!(rows[0][7], format!("broken (line {line}: grant_expires)"));
    run.says(&[&place]);

    let json = sb.run(&["list", "--format", "json"]).ok();
    let items: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let bad = items
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == "bad"))
        .expect("a bad entry");
    assert_eq!(bad["state"], "broken");
    assert_eq!(bad["field"], "grant_expires");
    assert_eq!(bad["line"].to_string(), line);
    json.says(&[&place]);
}

#[test]
fn doctor_fails_the_broken_profile_and_nothing_writes_the_file() {
    let srv = server();
    let (sb, place) = sandbox_with_a_broken_profile(&srv.token_url());
    let before = std::fs::read_to_string(sb.config_path()).expect("config");
    let doctor = sb.run(&["doctor", "--format", "json"]).fails_with(1);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).expect("json");
    let failed = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["check"] == "config" && c["profile"] == "bad"))
        .expect("a config check for bad");
    assert_eq!(failed["status"], "fail", "{failed}");
    assert!(
        failed["detail"].as_str().is_some_and(|d| d.contains(&place)),
        "{failed}"
    );

    for args in [
        &["profile", "remove", "other", "--yes"][..],
        &["profile", "edit", "good", "--client-id", "changed"],
    ] {
        sb.run(args).fails_with(2).says(&[
            "the config file is not changed while profile \"bad\" in it is broken",
            &place,
        ]);
    }
    sb.run(&["profile", "add", "new", "--client-id", "n", "--secret-env", "X"])
        .fails_with(2)
        .says(&[&place]);
    assert_eq!(std::fs::read_to_string(sb.config_path()).expect("config"), before);
}

#[test]
fn a_file_that_is_not_toml_still_stops_every_command() {
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("good", &srv.token_url(), &[]);
    let good = std::fs::read_to_string(sb.config_path()).expect("config");
    sb.write_config(&format!("{good}\n[[profile]\nname = \"bad\"\n"));
    sb.run(&["token", "good"])
        .fails_with(2)
        .says(&[&format!("{}:", sb.config_path().display())]);
    assert_eq!(srv.token_requests(), 0);
}
