//! Scopes as the real binary takes them: checked as RFC 6749 scope tokens
//! wherever they come in (issue 18).

use crate::common::{CLIENT_ID, SECRET_VAR, Sandbox, server};

const BAD: &str = "file:read bad\"sc\\ope";

#[test]
fn a_scope_outside_rfc_6749_is_refused_by_flag_config_and_environment() {
    let srv = server();
    let sb = Sandbox::new();
    let add = |scope: &str| {
        sb.run(&[
            "profile",
            "add",
            "p",
            "--client-id",
            CLIENT_ID,
            "--token-url",
            &srv.token_url(),
            "--secret-env",
            SECRET_VAR,
            "--scope",
            scope,
        ])
    };
    add(BAD)
        .fails_with(2)
        .says(&["--scope: scope \"bad\"sc\\ope\" holds '\"'", "RFC 6749"]);
    assert!(!sb.config_path().exists(), "nothing saved");
    add("file:read\tfile:write")
        .fails_with(2)
        .says(&["--scope:", "a tab"]);
    assert!(!sb.config_path().exists(), "nothing saved");

    // Runs of spaces are taken, and sent as single ones.
    add("  file:read   file:write ").ok();
    sb.run(&["profile", "edit", "p", "--scope", BAD])
        .fails_with(2)
        .says(&["--scope: scope \"bad\"sc\\ope\" holds '\"'"]);
    sb.run(&["token", "p"]).ok();
    let sent: Vec<String> = srv
        .requests()
        .iter()
        .filter_map(|r| r.form_field("scope").map(str::to_owned))
        .collect();
    assert_eq!(sent, ["file:read file:write"]);

    // A config file written by hand: its line, column and field.
    sb.write_config(&format!(
        "[[profile]]\nname = \"p\"\nclient_id = \"{CLIENT_ID}\"\ntoken_url = \"{}\"\nsecret_env = \"{SECRET_VAR}\"\nscope = '{BAD}'\n",
        srv.token_url()
    ));
    sb.run(&["token", "p"])
        .fails_with(2)
        .says(&["config.toml:6:9: scope: scope \"bad\"sc\\ope\" holds '\"'"]);
    assert_eq!(srv.token_requests(), 1, "nothing sent for the bad scope");

    // The env profile's variable.
    let mut sb = Sandbox::new();
    sb.set_env("WORKIVA_CLIENT_ID", CLIENT_ID);
    sb.set_env("WORKIVA_CLIENT_SECRET", "s");
    sb.set_env("WORKIVA_TOKEN_URL", &srv.token_url());
    sb.set_env("WORKIVA_SCOPE", BAD);
    sb.run(&["token", "env"])
        .fails_with(2)
        .says(&["$WORKIVA_SCOPE: scope \"bad\"sc\\ope\" holds '\"'"]);
    assert_eq!(srv.token_requests(), 1, "nothing sent for the bad scope");
}

/// The `scope` field of each token request the server received, in order.
fn scopes_sent(srv: &wktui_test_support::TokenServer) -> Vec<String> {
    srv.requests()
        .iter()
        .filter_map(|r| r.form_field("scope").map(str::to_owned))
        .collect()
}

#[test]
fn token_scope_asks_for_part_of_the_profile_s_scopes_cached_apart() {
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("p", &srv.token_url(), &["--scope", "file:read file:write"]);

    let narrow = sb
        .run(&["token", "p", "--scope", "file:read", "--format", "json"])
        .ok();
    let narrow: serde_json::Value = serde_json::from_str(&narrow.stdout).expect("json");
    assert_eq!(narrow["scope"], "file:read");
    assert_eq!(
        scopes_sent(&srv),
        ["file:read"],
        "the server was asked for the narrower scope"
    );
    // Cached: the same token, no new request.
    let again = sb.run(&["token", "p", "--scope", "file:read"]).ok().stdout;
    assert_eq!(again.trim(), narrow["access_token"]);
    assert_eq!(srv.token_requests(), 1);

    // The full scope is its own entry.
    let full = sb.run(&["token", "p"]).ok().stdout;
    assert_ne!(full.trim(), narrow["access_token"]);
    assert_eq!(scopes_sent(&srv), ["file:read", "file:read file:write"]);
    // All of the profile's scopes, in any order and repeated, is the profile's own token.
    let same = sb
        .run(&["token", "p", "--scope", "file:write  file:read file:write"])
        .ok()
        .stdout;
    assert_eq!(same, full);
    assert_eq!(srv.token_requests(), 2);
    // The narrower one is still there, and not listed as a profile.
    assert_eq!(
        sb.run(&["token", "p", "--scope", "file:read"]).ok().stdout.trim(),
        narrow["access_token"]
    );
    let listed = sb.run(&["list", "--format", "plain"]).ok().stdout;
    assert_eq!(listed.lines().count(), 1, "{listed}");

    // A scope the profile does not have: refused before any request.
    sb.run(&["token", "p", "--scope", "file:read admin"])
        .fails_with(2)
        .says(&[
            "profile p does not have admin",
            "its scopes are: file:read file:write",
        ]);
    sb.run(&["token", "p", "--scope", BAD])
        .fails_with(2)
        .says(&["--scope: scope \"bad\"sc\\ope\""]);
    sb.run(&["token", "p", "--scope", " "])
        .fails_with(2)
        .says(&["--scope is empty"]);
    // No scope configured: nothing is known to be granted, so nothing narrower.
    sb.add_profile("q", &srv.token_url(), &[]);
    sb.run(&["token", "q", "--scope", "file:read"])
        .fails_with(2)
        .says(&[
            "profile q has no scope configured",
            "wktui profile edit q --scope",
        ]);
    assert_eq!(srv.token_requests(), 2, "nothing was sent for a refused scope");

    // Removing the profile takes its narrower tokens too.
    sb.run(&["profile", "remove", "p", "--yes"]).ok();
    let left: Vec<String> = std::fs::read_dir(sb.cache_dir())
        .expect("cache dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("p+") || n.starts_with("p."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
