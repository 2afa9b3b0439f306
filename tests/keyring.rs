//! Secrets in a real Secret Service: a private D-Bus session and an unlocked
//! gnome-keyring started by the test itself.

mod common;

use common::system::{KEYRING_TOOLS, tools_present};
use common::{CLIENT_ID, SECRET, Sandbox, server};

#[test]
fn secret_lives_in_the_keyring_and_leaves_with_the_profile() {
    if !tools_present("keyring test", &KEYRING_TOOLS) {
        return;
    }
    let mut sb = Sandbox::new();
    let session = sb.use_keyring();
    let srv = server();

    sb.run_with_stdin(
        &[
            "profile",
            "add",
            "prod",
            "--client-id",
            CLIENT_ID,
            "--token-url",
            &srv.token_url(),
        ],
        &format!("{SECRET}\n"),
    )
    .ok();
    assert_eq!(
        session.lookup("prod").as_deref(),
        Some(SECRET),
        "stored in the Secret Service"
    );

    let token = sb.run(&["token", "prod"]).ok().stdout;
    assert!(token.starts_with("wk."));
    assert!(srv.requests()[0].credentials.secret_matched);

    // Nothing under the config, cache or data dirs holds the secret, except
    // the keyring's own encrypted store.
    let keyrings = sb.path().join("home/.local/share/keyrings");
    sb.assert_no_secret_in_files(&[&keyrings]);

    sb.run_with_stdin(&["profile", "set-secret", "prod"], "wk_secret:rotated:1\n")
        .ok();
    assert_eq!(session.lookup("prod").as_deref(), Some("wk_secret:rotated:1"));

    let run = sb.run(&["profile", "remove", "prod"]).ok();
    assert!(run.stdout.contains("keyring entry"), "{}", run.stdout);
    assert_eq!(session.lookup("prod"), None, "gone from the keyring");
    let run = sb.run(&["profile", "list", "--format", "json"]).ok();
    assert_eq!(run.stdout.trim(), "[]");
}
