//! The `env` profile: WORKIVA_* variables alone, no config file, no keyring
//! (the sandbox's D-Bus address leads nowhere), as in a CI job.

use crate::common::{CLIENT_ID, SECRET, Sandbox, server};

/// A sandbox whose environment defines the env profile for `token_url`.
fn ci_sandbox(token_url: &str) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.set_env("WORKIVA_CLIENT_ID", CLIENT_ID);
    sb.set_env("WORKIVA_CLIENT_SECRET", SECRET);
    sb.set_env("WORKIVA_TOKEN_URL", token_url);
    sb.set_env("WORKIVA_SCOPE", "file:read");
    sb
}

#[test]
fn the_env_profile_fetches_and_caches_without_config_or_keyring() {
    let srv = server();
    let sb = ci_sandbox(&srv.token_url());

    let first = sb.run(&["token", "env"]).ok().stdout;
    assert!(first.starts_with("wk."), "{first}");
    let requests = srv.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].credentials.secret_matched);
    assert_eq!(requests[0].form_field("scope"), Some("file:read"));

    // The cache still works: the second call does not ask the server.
    let second = sb.run(&["token", "env"]).ok().stdout;
    assert_eq!(first, second);
    assert_eq!(srv.token_requests(), 1);

    assert!(!sb.config_path().exists(), "no config file is written");
    sb.assert_no_secret_in_files(&[]);

    let list = sb.run(&["list", "--format", "json"]).ok().stdout;
    let list: serde_json::Value = serde_json::from_str(&list).expect("json");
    assert_eq!(list[0]["name"], "env");
    assert_eq!(list[0]["state"], "valid");

    let show = sb
        .run(&["profile", "show", "env", "--format", "json"])
        .ok()
        .stdout;
    let show: serde_json::Value = serde_json::from_str(&show).expect("json");
    assert_eq!(show["defined_in"], "environment (WORKIVA_* variables)");
    assert_eq!(
        show["secret_location"],
        "environment variable $WORKIVA_CLIENT_SECRET (set)"
    );
    assert_eq!(show["client_id"], CLIENT_ID);

    let names = sb.run(&["profile", "list", "--names"]).ok().stdout;
    assert_eq!(names, "env\n");
}

#[test]
fn the_env_profile_cannot_be_changed_from_the_command_line() {
    let srv = server();
    let sb = ci_sandbox(&srv.token_url());
    for args in [
        &["profile", "remove", "env"][..],
        &["profile", "rename", "env", "other"],
        &["profile", "edit", "env", "--scope", "file:write"],
        &["profile", "set-secret", "env"],
    ] {
        sb.run(args)
            .fails_with(2)
            .says(&["WORKIVA_* environment variables"]);
    }
    assert!(!sb.config_path().exists());
}

#[test]
fn bad_or_partial_variables_are_explained() {
    let srv = server();
    let mut sb = ci_sandbox(&srv.token_url());
    sb.set_env("WORKIVA_REGION", "eu");
    sb.run(&["token", "env"])
        .fails_with(2)
        .says(&["$WORKIVA_REGION and $WORKIVA_TOKEN_URL are both set"]);

    let mut sb = ci_sandbox("http://example.com/oauth2/token");
    sb.run(&["token", "env"])
        .fails_with(2)
        .says(&["$WORKIVA_TOKEN_URL:", "https"]);

    // Only the id: no env profile, and doctor says which variable is missing.
    sb.env.retain(|(k, _)| !k.starts_with("WORKIVA_"));
    sb.set_env("WORKIVA_CLIENT_ID", CLIENT_ID);
    sb.run(&["token", "env"])
        .fails_with(2)
        .says(&["no profile named \"env\""]);
    let doctor = sb.run(&["doctor", "--format", "json"]).stdout;
    let doctor: serde_json::Value = serde_json::from_str(&doctor).expect("json");
    let env = doctor["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "env")
        .expect("an env check");
    assert_eq!(env["status"], "warn");
    assert!(
        env["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("WORKIVA_CLIENT_SECRET")
    );
}

#[test]
fn a_configured_profile_named_env_wins_and_says_so() {
    let srv = server();
    let sb = ci_sandbox(&srv.token_url());
    sb.write_config(&format!(
        "[[profile]]\nname = \"env\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{}\"\n",
        srv.token_url(),
        crate::common::SECRET_VAR
    ));
    let run = sb.run(&["token", "env"]).ok();
    run.says(&["config file has a profile named \"env\", which is used instead"]);
    assert_eq!(
        srv.requests()[0].form_field("scope"),
        None,
        "the file's profile has no scope"
    );
}
