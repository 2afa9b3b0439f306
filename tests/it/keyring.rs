//! Secrets in a real Secret Service: a private D-Bus session and an unlocked
//! gnome-keyring started by the test itself.

use crate::common::system::{KEYRING_TOOLS, tools_present};
use crate::common::{SECRET, Sandbox, server};

#[test]
fn secret_lives_in_the_keyring_and_leaves_with_the_profile() {
    if !tools_present("keyring test", &KEYRING_TOOLS) {
        return;
    }
    let mut sb = Sandbox::new();
    let session = sb.use_keyring();
    let srv = server();

    sb.add_keyring_profile("prod", &srv.token_url());
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

    let run = sb.run(&["profile", "remove", "prod", "--yes"]).ok();
    assert!(run.stdout.contains("keyring entry"), "{}", run.stdout);
    assert_eq!(session.lookup("prod"), None, "gone from the keyring");
    let run = sb.run(&["profile", "list", "--format", "json"]).ok();
    assert_eq!(run.stdout.trim(), "[]");
}

#[cfg(unix)] // tmux and sh
#[test]
fn the_secret_is_typed_without_echo_on_a_terminal() {
    use crate::common::CLIENT_ID;
    use crate::common::system::Tmux;
    if !tools_present("secret prompt test", &KEYRING_TOOLS) || !tools_present("secret prompt test", &["tmux"])
    {
        return;
    }
    let mut sb = Sandbox::new();
    let session = sb.use_keyring();
    let exe = env!("CARGO_BIN_EXE_wktui");
    let tmux = Tmux::start(100, 20, &["sh"], &sb.env_list());
    tmux.keys(&[
        "-l",
        &format!("{exe} profile add tty --client-id {CLIENT_ID}; echo added-$?"),
    ]);
    tmux.keys(&["Enter"]);
    let (asked, screen) = tmux.wait_for_text(
        "Client secret for tty (not shown):",
        std::time::Duration::from_secs(10),
    );
    assert!(asked, "{screen}");
    tmux.keys(&["-l", SECRET]);
    tmux.keys(&["Enter"]);
    let (done, screen) = tmux.wait_for_text("added-0", std::time::Duration::from_secs(10));
    assert!(done, "{screen}");
    sb.assert_no_secret_in(&screen, "the terminal");
    assert_eq!(session.lookup("tty").as_deref(), Some(SECRET));
}
