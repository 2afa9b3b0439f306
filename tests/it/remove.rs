//! `wktui profile remove` destroys a keyring secret Workiva showed once: it
//! asks y/N on a terminal, saying so, and needs `--yes` without one.

use crate::common::{Sandbox, server};

/// A profile `prod` whose secret lives in the keyring (none is reached:
/// every question comes before the keyring is touched).
fn keyring_profile(sb: &Sandbox, url: &str) {
    sb.write_config(&format!(
        "[[profile]]\nname = \"prod\"\ntoken_url = \"{url}\"\nclient_id = \"c\"\n"
    ));
}

fn names(sb: &Sandbox) -> String {
    sb.run(&["profile", "list", "--names"]).ok().stdout
}

#[test]
fn without_a_terminal_remove_needs_yes_and_says_what_is_lost() {
    let srv = server();
    let sb = Sandbox::new();
    keyring_profile(&sb, &srv.token_url());
    let before = std::fs::read_to_string(sb.config_path()).expect("config");
    sb.run(&["profile", "remove", "prod"]).fails_with(2).says(&[
        "not removing profile prod without a terminal to ask on: pass --yes",
        "deleted from the keyring and cannot be recovered: Workiva shows a client secret only once",
        "hint: wktui profile remove prod --yes",
    ]);
    assert_eq!(std::fs::read_to_string(sb.config_path()).expect("config"), before);

    // A profile whose secret is elsewhere: nothing is lost, but the rule is the same.
    sb.add_profile("ci", &srv.token_url(), &[]);
    sb.run(&["profile", "remove", "ci"])
        .fails_with(2)
        .says(&["pass --yes", "stays in $WKTUI_TEST_CLIENT_SECRET"]);
    sb.run(&["profile", "remove", "ci", "--yes"]).ok();
    sb.run(&["profile", "remove", "-y", "prod"]).ok();
    assert_eq!(names(&sb), "");
}

#[cfg(unix)]
#[test]
fn on_a_terminal_remove_asks_and_only_yes_removes() {
    use std::time::Duration;

    use crate::common::system::{Tmux, tools_present};
    if !tools_present("on_a_terminal_remove_asks_and_only_yes_removes", &["tmux"]) {
        return;
    }
    let srv = server();
    let sb = Sandbox::new();
    keyring_profile(&sb, &srv.token_url());
    sb.add_profile("ci", &srv.token_url(), &[]);
    let exe = env!("CARGO_BIN_EXE_wktui");
    let tmux = Tmux::start(140, 20, &["sh"], &sb.env_list());
    let wait = |text: &str| {
        let (found, screen) = tmux.wait_for_text(text, Duration::from_secs(15));
        assert!(found, "waited for {text:?}:\n{screen}");
        screen
    };
    tmux.keys(&["-l", &format!("{exe} profile remove prod; echo removed-$?")]);
    tmux.keys(&["Enter"]);
    let screen = wait("Remove profile prod? [y/N]");
    assert!(screen.contains("cannot be recovered"), "{screen}");
    tmux.keys(&["-l", "n"]);
    tmux.keys(&["Enter"]);
    let screen = wait("removed-1");
    assert!(
        screen.contains("kept profile prod; nothing was removed"),
        "{screen}"
    );
    assert_eq!(names(&sb), "prod\nci\n");

    tmux.keys(&["-l", &format!("clear; {exe} profile remove ci; echo removed-$?")]);
    tmux.keys(&["Enter"]);
    wait("Remove profile ci? [y/N]");
    tmux.keys(&["-l", "y"]);
    tmux.keys(&["Enter"]);
    let screen = wait("removed-0");
    assert!(screen.contains("Removed profile ci"), "{screen}");
    assert_eq!(names(&sb), "prod\n");
}
