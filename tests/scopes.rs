//! Scopes as the real binary takes them: checked as RFC 6749 scope tokens
//! wherever they come in (issue 18).

mod common;

use common::{CLIENT_ID, SECRET_VAR, Sandbox, server};

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
