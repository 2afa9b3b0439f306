//! End to end: the real binary in tmux, driven by keys, read from the screen,
//! against the token server, a real keyring and a real X clipboard.

#![cfg(unix)] // tmux, sh, stty and kill

use std::time::Duration;

use crate::common::system::{KEYRING_TOOLS, Tmux, X_TOOLS, XvfbSession, tools_present, wait_for};
use crate::common::{CLIENT_ID, SECRET, Sandbox, server};

const WAIT: Duration = Duration::from_secs(15);
const EXIT_MARK: &str = "wktui-exited-";

/// A shell in tmux that runs wktui, then records the terminal's modes and
/// wktui's exit status, so the test can check what it left behind.
struct Session {
    tmux: Tmux,
    stty: std::path::PathBuf,
}

impl Session {
    fn start(sb: &Sandbox, args: &str, env_prefix: &str) -> Session {
        let tmux = Tmux::start(120, 36, &["sh"], &sb.env_list());
        // One file per session: several sessions in one sandbox must not
        // read each other's (or a half-written) record.
        let stty = sb.path().join(format!("stty-after-{}.txt", fastrand::u64(..)));
        let exe = env!("CARGO_BIN_EXE_wktui");
        let line = format!(
            "{env_prefix} {exe} {args}; echo {EXIT_MARK}$?; stty -a > {}",
            stty.display()
        );
        tmux.keys(&["-l", &line]);
        tmux.keys(&["Enter"]);
        Session { tmux, stty }
    }

    #[track_caller]
    fn wait_for(&self, text: &str) -> String {
        let (found, screen) = self.tmux.wait_for_text(text, WAIT);
        assert!(found, "waited for {text:?}; the screen:\n{screen}");
        screen
    }

    fn key(&self, key: &str) {
        self.tmux.keys(&[key]);
    }

    /// Esc, then a pause: a key that reaches the terminal right behind an
    /// Esc is read as Alt and that key (as in any terminal), so neither
    /// would be seen for what it is.
    fn escape(&self) {
        self.key("Escape");
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Waits until the screen no longer shows `text`.
    #[track_caller]
    fn wait_until_gone(&self, text: &str) -> String {
        let mut screen = String::new();
        let gone = wait_for(WAIT, || {
            screen = self.tmux.screen();
            !screen.contains(text)
        });
        assert!(gone, "{text:?} is still shown:\n{screen}");
        screen
    }

    /// The pid of wktui, the shell's child in the pane.
    fn wktui_pid(&self) -> String {
        let shell = self.tmux.program_pid().to_string();
        let children = std::process::Command::new("ps")
            .args(["-o", "pid=", "--ppid", &shell])
            .output()
            .expect("ps");
        let pid = String::from_utf8_lossy(&children.stdout).trim().to_owned();
        assert!(!pid.is_empty(), "found wktui's pid");
        pid
    }

    fn signal(&self, name: &str) {
        let pid = self.wktui_pid();
        let sent = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill -{name} {pid}");
    }

    /// After wktui exits: its status, and that the terminal is as it was.
    #[track_caller]
    fn assert_exited_and_restored(&self, status: i32) -> String {
        let screen = self.wait_for(&format!("{EXIT_MARK}{status}"));
        let modes = self
            .tmux
            .run(&["display", "-p", "-t", "t", "#{alternate_on} #{cursor_flag}"]);
        assert_eq!(modes.trim(), "0 1", "main screen, cursor shown");
        let mut stty = String::new();
        let written = wait_for(WAIT, || {
            stty = std::fs::read_to_string(&self.stty).unwrap_or_default();
            stty.ends_with('\n')
        });
        assert!(written, "stty ran: {stty:?}");
        let modes: Vec<&str> = stty.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(
                modes.contains(&mode),
                "raw mode left on: {mode} missing in {stty}"
            );
        }
        screen
    }
}

/// A sandbox with one profile, "prod", at a fresh token server.
fn sandbox_with_prod() -> (Sandbox, wktui_test_support::TokenServer) {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("prod", &srv.token_url(), &[]);
    (sb, srv)
}

/// The interface on `sb`, once it shows a profile without a token.
fn open(sb: &Sandbox) -> Session {
    let ui = Session::start(sb, "", "");
    ui.wait_for("No token yet");
    ui
}

/// The time left shown for `name` in the list, e.g. "9m 58s", "expired" or
/// "—"; `None` when the list has no row for it.
fn countdown(screen: &str, name: &str) -> Option<String> {
    let line = screen
        .lines()
        .find(|l| l.starts_with('│') && l.contains(&format!(" {name} ")))?;
    let list_part = line.split('│').nth(1)?;
    let is_part = |w: &&str| {
        w.len() > 1
            && w.ends_with(['d', 'h', 'm', 's'])
            && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit())
    };
    let words: Vec<&str> = list_part.split_whitespace().collect();
    let left: Vec<&str> = words.iter().copied().filter(is_part).collect();
    if !left.is_empty() {
        return Some(left.join(" "));
    }
    ["expired", "—"]
        .into_iter()
        .find(|w| words.contains(w))
        .map(str::to_owned)
}

#[test]
fn refresh_watch_the_countdown_copy_and_quit() {
    if !tools_present("TUI end-to-end test", &["tmux"])
        || !tools_present("TUI end-to-end test", &KEYRING_TOOLS)
        || !tools_present("TUI end-to-end test", &X_TOOLS)
    {
        return;
    }
    let mut sb = Sandbox::new();
    let _keyring = sb.use_keyring();
    let x = XvfbSession::start();
    sb.env.push(("DISPLAY".into(), x.display.clone()));
    sb.write_config("[settings]\nclipboard = \"system\"\n");
    let srv = server();
    sb.add_keyring_profile("prod", &srv.token_url());

    let ui = Session::start(&sb, "", "");
    ui.wait_for("No token yet");
    ui.key("r");
    let screen = ui.wait_for("● valid");
    assert_eq!(srv.token_requests(), 1);
    let first = countdown(&screen, "prod").expect("a countdown");
    assert!(first.starts_with("9m 5") || first == "10m", "{first}\n{screen}");
    let moved = wait_for(Duration::from_secs(4), || {
        countdown(&ui.tmux.screen(), "prod").is_some_and(|now| now != first)
    });
    assert!(moved, "the countdown did not move from {first}");

    let token = sb.run(&["token", "prod"]).ok().stdout.trim_end().to_owned();
    assert_eq!(srv.token_requests(), 1, "the CLI reads the token the TUI cached");
    sb.secrets.push(token.clone());
    sb.assert_no_secret_in(&ui.tmux.screen(), "screen (the token is masked)");

    ui.key("c");
    ui.wait_for("copied prod");
    assert_eq!(
        x.clipboard().as_deref(),
        Some(token.as_str()),
        "read from another process"
    );

    ui.key("s");
    let revealed = ui.wait_for(&token);
    assert!(revealed.contains(&token));

    ui.key("q");
    let screen = ui.assert_exited_and_restored(0);
    assert!(
        !screen.contains(&token),
        "the token is gone with the alternate screen"
    );
}

#[test]
fn copy_over_osc52_reaches_the_tmux_buffer() {
    if !tools_present("OSC 52 TUI test", &["tmux"]) {
        return;
    }
    let mut sb = Sandbox::new();
    sb.write_config("[settings]\nclipboard = \"osc52\"\n");
    let srv = server();
    sb.add_profile("prod", &srv.token_url(), &[]);
    let token = sb.run(&["token", "prod"]).ok().stdout.trim_end().to_owned();
    sb.secrets.push(token.clone());

    let ui = Session::start(&sb, "", "");
    ui.tmux.run(&["set", "-g", "set-clipboard", "on"]);
    ui.wait_for("● valid");
    ui.key("c");
    ui.wait_for("copied prod via OSC 52");
    assert_eq!(ui.tmux.run(&["show-buffer"]), token);
    assert_eq!(srv.token_requests(), 1, "a valid cached token is copied as is");
    ui.key("q");
    ui.assert_exited_and_restored(0);
}

#[test]
fn ctrl_c_sigterm_and_a_panic_all_restore_the_terminal() {
    if !tools_present("terminal restore test", &["tmux"]) {
        return;
    }
    let (sb, _srv) = sandbox_with_prod();
    // Ctrl-C is an interrupt: 130, as shells report it.
    let ui = open(&sb);
    ui.key("C-c");
    ui.assert_exited_and_restored(130);

    // A signal's exit code says which: 128 + its number.
    let ui = open(&sb);
    ui.signal("TERM");
    ui.assert_exited_and_restored(143);

    let ui = Session::start(&sb, "", "WKTUI_TEST_PANIC_AFTER_FIRST_FRAME=1");
    let screen = ui.assert_exited_and_restored(101);
    assert!(
        screen.contains("panic requested"),
        "the panic message is readable:\n{screen}"
    );
}

#[test]
fn first_run_shows_a_welcome() {
    if !tools_present("welcome test", &["tmux"]) {
        return;
    }
    let sb = Sandbox::new();
    let ui = Session::start(&sb, "", "");
    let screen = ui.wait_for("wktui profile add");
    assert!(
        screen.contains("Welcome") || screen.contains("welcome"),
        "{screen}"
    );
    ui.key("q");
    ui.assert_exited_and_restored(0);
}

#[test]
fn demo_starts_shows_tokens_and_quits_cleanly() {
    if !tools_present("demo test", &["tmux"]) {
        return;
    }
    let sb = Sandbox::new();
    let ui = Session::start(&sb, "demo", "");
    let screen = ui.wait_for("sync-apac");
    assert!(
        screen.contains("memory (demo)"),
        "the demo says where its secrets are:\n{screen}"
    );
    for name in ["prod-us", "reports-eu", "slow-sandbox", "busy-eu", "stale-secret"] {
        assert!(screen.contains(name), "{name} missing:\n{screen}");
    }
    // The demo fetches at start: the stale secret fails with the server's words.
    ui.key("G");
    ui.key("k");
    ui.wait_for("invalid_client: Client authentication failed");
    ui.key("q");
    ui.assert_exited_and_restored(0);
    assert!(
        !sb.config_path().exists(),
        "the demo wrote nothing to the user's config"
    );
}

#[test]
fn without_a_terminal_it_says_what_to_use() {
    let sb = Sandbox::new();
    let run = sb.run(&[]).fails_with(2);
    run.says(&["needs a terminal", "wktui token"]);
}

#[test]
fn add_and_delete_a_profile_through_the_form() {
    if !tools_present("TUI form test", &["tmux"]) || !tools_present("TUI form test", &KEYRING_TOOLS) {
        return;
    }
    let mut sb = Sandbox::new();
    let keyring = sb.use_keyring();
    let srv = server();

    let ui = Session::start(&sb, "", "");
    ui.wait_for("wktui profile add");
    ui.key("a");
    ui.wait_for("Add a profile");
    let fields = ["formed", &srv.token_url(), CLIENT_ID, "file:read"];
    for (i, text) in fields.iter().enumerate() {
        if i == 1 {
            // The region field starts with "us": clear it before typing the URL.
            for _ in 0..4 {
                ui.key("BSpace");
            }
        }
        ui.tmux.keys(&["-l", text]);
        ui.key("Tab");
    }
    ui.key("Tab"); // API version: keep
    ui.key("Tab"); // client auth: keep
    ui.key("Tab"); // grant expires: none
    ui.key("Tab"); // base URL: none
    ui.tmux.keys(&["-l", SECRET]);
    let screen = ui.tmux.screen();
    sb.assert_no_secret_in(&screen, "the form (the secret is typed masked)");
    ui.key("C-s");
    ui.wait_for("No token yet");
    assert_eq!(
        keyring.lookup("formed").as_deref(),
        Some(SECRET),
        "the secret went to the keyring"
    );
    let config = std::fs::read_to_string(sb.config_path()).expect("config written");
    assert!(
        config.contains("name = \"formed\"") && !config.contains(SECRET),
        "{config}"
    );

    ui.key("r");
    ui.wait_for("● valid");
    assert!(srv.requests()[0].credentials.secret_matched);

    ui.key("d");
    ui.key("y");
    ui.wait_for("wktui profile add");
    assert_eq!(
        keyring.lookup("formed"),
        None,
        "the keyring entry went with the profile"
    );
    let config = std::fs::read_to_string(sb.config_path()).expect("config");
    assert!(!config.contains("formed"), "{config}");
    ui.key("q");
    ui.assert_exited_and_restored(0);
}

#[test]
fn ctrl_c_at_the_secret_prompt_changes_nothing_and_restores_the_terminal() {
    // The secret is asked for only once a keyring answers.
    if !tools_present("secret prompt test", &["tmux"]) || !tools_present("secret prompt test", &KEYRING_TOOLS)
    {
        return;
    }
    let mut sb = Sandbox::new();
    let _keyring = sb.use_keyring();
    let ui = Session::start(&sb, "profile add x --client-id a", "");
    ui.wait_for("Client secret for x (not shown):");
    ui.tmux.keys(&["-l", "half-typed"]);
    ui.key("C-c");
    let screen = ui.assert_exited_and_restored(130);
    assert!(screen.contains("cancelled; nothing was changed"), "{screen}");
    assert!(
        !screen.contains("half-typed"),
        "nothing typed was echoed:\n{screen}"
    );
    assert!(!sb.config_path().exists());
}

#[test]
fn a_token_fetched_by_a_script_shows_up_in_the_open_interface() {
    if !tools_present("shared cache test", &["tmux"]) {
        return;
    }
    let (sb, srv) = sandbox_with_prod();
    let ui = open(&sb);
    let token = sb.run(&["token", "prod"]).ok().stdout;
    assert!(token.starts_with("wk."));
    ui.wait_for("● valid");
    assert_eq!(
        srv.token_requests(),
        1,
        "the interface took the script's token, it did not fetch"
    );
    ui.key("q");
    ui.assert_exited_and_restored(0);
}

#[test]
fn every_signal_that_ends_the_interface_is_in_its_exit_code() {
    if !tools_present("signal exit code test", &["tmux"]) {
        return;
    }
    let (sb, _srv) = sandbox_with_prod();
    for (signal, code) in [("INT", 130), ("HUP", 129), ("TERM", 143)] {
        let ui = open(&sb);
        ui.signal(signal);
        ui.assert_exited_and_restored(code);
    }
    // A plain quit is a success.
    let ui = open(&sb);
    ui.key("q");
    ui.assert_exited_and_restored(0);
}

#[test]
fn the_open_interface_follows_the_config_file() {
    if !tools_present("config follow test", &["tmux"]) {
        return;
    }
    let (sb, srv) = sandbox_with_prod();
    let ui = open(&sb);
    ui.key("r");
    ui.wait_for("● valid");

    // Added from the CLI while the interface is open.
    sb.add_profile("longtok", &srv.token_url(), &[]);
    let screen = ui.wait_for("config file changed: added longtok");
    assert!(countdown(&screen, "longtok").is_some(), "a row for it:\n{screen}");
    assert!(screen.contains("● valid"), "prod kept its token:\n{screen}");

    // The file breaks: the error, with its line, and the list as it was.
    let good = std::fs::read_to_string(sb.config_path()).expect("config");
    let broken = format!("{good}\n[[profile]]\nname = \"moon\"\nregion = \"moon\"\nclient_id = \"x\"\n");
    let line = broken
        .lines()
        .position(|l| l == "region = \"moon\"")
        .expect("the line")
        + 1;
    // A profile that does not pass its checks: the others stay, it is told of.
    sb.write_config(&broken);
    let screen = ui.wait_for("profile \"moon\" is skipped");
    assert!(
        countdown(&screen, "longtok").is_some() && countdown(&screen, "prod").is_some(),
        "{screen}"
    );
    assert!(countdown(&screen, "moon").is_none(), "{screen}");
    ui.key("!");
    let screen = ui.wait_for("Config file problems");
    let squeezed: String = screen
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect();
    assert!(
        squeezed.contains(&format!("config.toml:{line}:10:region:\"moon\"isnotavalidregion")),
        "file:line and field:\n{screen}"
    );
    ui.escape();
    ui.wait_until_gone("Config file problems");
    // Not TOML at all: the list as it was, and why.
    sb.write_config(&format!("{good}\n[[profile]\n"));
    let screen = ui.wait_for("config not reloaded");
    assert!(screen.contains("config.toml:"), "file:line:\n{screen}");
    assert!(countdown(&screen, "longtok").is_some(), "{screen}");
    // Fixed: it loads again and the error goes.
    sb.write_config(&good);
    let screen = ui.wait_for("the config file loads again");
    assert!(!screen.contains("config not reloaded"), "{screen}");

    // Removed from the CLI: the row goes; the form cannot be fooled into a
    // name it no longer shows, and a name added elsewhere is refused on the form.
    sb.run(&["profile", "remove", "longtok", "--yes"]).ok();
    let screen = ui.wait_until_gone("longtok");
    assert!(countdown(&screen, "prod").is_some(), "{screen}");
    sb.add_profile("other", &srv.token_url(), &[]);
    ui.wait_for("added other");
    ui.key("a");
    ui.tmux.keys(&["-l", "other"]);
    ui.key("C-s");
    ui.wait_for("a profile named other exists already");
    ui.escape();
    ui.key("q");
    ui.assert_exited_and_restored(0);
    assert_eq!(srv.token_requests(), 1, "following the file fetched nothing");
}

#[test]
fn an_edit_made_elsewhere_while_the_form_is_open_is_never_overwritten() {
    if !tools_present("config conflict test", &["tmux"]) {
        return;
    }
    let (sb, _srv) = sandbox_with_prod();
    let ui = open(&sb);
    ui.key("e");
    ui.wait_for("Edit prod");
    // Another program changes prod's scope meanwhile.
    let text = std::fs::read_to_string(sb.config_path()).expect("config");
    let changed = text.replace(
        "client_id = \"test-client\"",
        "client_id = \"test-client\"\nscope = \"changed:elsewhere\"",
    );
    assert_ne!(text, changed);
    sb.write_config(&changed);
    ui.wait_for("was changed in the config file by another program");
    // Saving the form's (older) version is refused, in words.
    ui.key("C-s");
    ui.wait_for("nothing was saved");
    let now = std::fs::read_to_string(sb.config_path()).expect("config");
    assert!(
        now.contains("changed:elsewhere"),
        "the other change survived:\n{now}"
    );
    ui.escape();
    // The old form must be gone first, or the wait below could read it.
    ui.wait_until_gone("Edit prod");
    ui.key("e");
    let screen = ui.wait_for("Edit prod");
    assert!(
        screen.contains("changed:elsewhere"),
        "the form shows the new version:\n{screen}"
    );
    ui.escape();
    ui.key("q");
    ui.assert_exited_and_restored(0);
}

#[test]
fn the_demo_form_keeps_secrets_in_memory_and_its_profiles_use_the_demo_server() {
    if !tools_present("demo form test", &["tmux"]) {
        return;
    }
    let sb = Sandbox::new();
    let ui = Session::start(&sb, "demo", "");
    ui.wait_for("sync-apac");
    ui.key("a");
    // The last line of the form: waiting for the title alone can catch a frame half drawn.
    let screen = ui.wait_for("kept in memory (demo)");
    assert!(screen.contains("Add a profile"), "{screen}");
    assert!(!screen.contains("stored in the keyring"), "{screen}");
    ui.tmux.keys(&["-l", "mine"]);
    for _ in 0..2 {
        ui.key("Tab");
    }
    ui.tmux.keys(&["-l", "my-client"]);
    for _ in 0..6 {
        ui.key("Tab");
    }
    ui.tmux.keys(&["-l", "my-secret"]);
    ui.key("C-s");
    // Its row, not the status line's "added mine": the demo's own refreshes
    // may replace that message before a loaded machine looks at the screen
    // (the App's tests check the message).
    ui.wait_for("○ mine ");
    let screen = ui.wait_for("Token URL    http://127.0.0.1:");
    assert!(
        !screen.contains("wdesk.com"),
        "not the real Workiva host:\n{screen}"
    );
    ui.key("q");
    ui.assert_exited_and_restored(0);
    assert!(!sb.config_path().exists(), "nothing written to the user's config");
}

#[test]
fn a_long_token_shows_whole_and_selects_as_one_line() {
    if !tools_present("long token test", &["tmux"]) {
        return;
    }
    let sb = Sandbox::new();
    let long = format!("wk.{}", "Ab3-_x9".repeat(115)); // 808 characters, '-' and '_' inside
    let srv = server();
    // The server's answer, with a token as long as real ones get.
    srv.push_fault(wktui_test_support::Fault::Status {
        status: 200,
        content_type: "application/json".into(),
        body: format!(
            r#"{{"access_token":"{long}","expires_in":600,"scope":"file:read","token_type":"Bearer"}}"#
        ),
        retry_after: None,
    });
    sb.add_profile("prod", &srv.token_url(), &[]);
    let ui = open(&sb);
    ui.key("r");
    ui.wait_for("● valid");
    ui.key("s");
    ui.wait_for("access token · 808 characters");
    // tmux joins the lines the terminal wrapped itself (-J): the token is one line.
    let joined = ui.tmux.run(&["capture-pane", "-p", "-J", "-t", "t"]);
    assert!(
        joined.lines().any(|l| l.trim_end() == long),
        "the token is not one wrapped line:\n{joined}"
    );
    ui.escape();
    ui.wait_until_gone("access token");
    ui.key("q");
    ui.assert_exited_and_restored(0);
}

#[test]
fn a_tiny_terminal_says_what_size_it_needs() {
    if !tools_present("tiny terminal test", &["tmux"]) {
        return;
    }
    let (sb, _srv) = sandbox_with_prod();
    let ui = open(&sb);
    ui.tmux.run(&["resize-window", "-t", "t", "-x", "12", "-y", "4"]);
    let screen = ui.wait_for("40×10");
    assert!(screen.contains("12×4, needs"), "{screen}");
    ui.tmux
        .run(&["resize-window", "-t", "t", "-x", "120", "-y", "36"]);
    ui.wait_for("No token yet");
    ui.key("q");
    ui.assert_exited_and_restored(0);
}

#[test]
fn tmux_test_servers_leave_no_socket_behind() {
    if !tools_present("tmux cleanup test", &["tmux"]) {
        return;
    }
    let tmux = Tmux::start(20, 5, &["sh"], &[]);
    let socket = std::path::PathBuf::from(&tmux.socket);
    assert!(socket.exists(), "{}", socket.display());
    drop(tmux);
    assert!(!socket.exists(), "{} is left behind", socket.display());
    assert!(socket.parent().is_some_and(|dir| !dir.exists()));
}

/// Issue 18: after `invalid_client`, a new secret typed at `S` goes to the
/// real keyring the way `wktui profile set-secret` puts it there, never on
/// screen; the next refresh works; `Esc` never quits; `q` does.
#[test]
fn a_secret_set_from_the_interface_fixes_invalid_client_and_esc_never_quits() {
    if !tools_present("TUI set-secret test", &["tmux"])
        || !tools_present("TUI set-secret test", &KEYRING_TOOLS)
    {
        return;
    }
    let mut sb = Sandbox::new();
    let keyring = sb.use_keyring();
    let srv = server();
    let mut args = vec!["profile", "add", "prod", "--client-id", CLIENT_ID];
    let url = srv.token_url();
    args.extend_from_slice(&["--token-url", &url]);
    sb.run_with_stdin(&args, "an-old-revoked-secret\n").ok();

    let ui = open(&sb);
    ui.key("r");
    ui.wait_for("invalid_client");
    ui.key("S");
    ui.wait_for("Set secret");
    ui.tmux.keys(&["-l", SECRET]);
    sb.assert_no_secret_in(&ui.tmux.screen(), "the prompt (the secret is typed masked)");
    ui.key("Enter");
    let screen = ui.wait_for("stored a new client secret for prod in the keyring");
    sb.assert_no_secret_in(&screen, "the screen after storing");
    assert_eq!(keyring.lookup("prod").as_deref(), Some(SECRET), "in the keyring");
    ui.key("r");
    ui.wait_for("● valid");
    for _ in 0..3 {
        ui.escape();
    }
    ui.wait_for("nothing to close; q quits");
    ui.key("q");
    ui.assert_exited_and_restored(0);
    let log = std::fs::read_to_string(sb.log_path()).unwrap_or_default();
    sb.assert_no_secret_in(&log, "the log");
}

#[test]
fn the_form_turns_a_region_with_a_base_url_into_a_token_url_profile() {
    if !tools_present("form base URL test", &["tmux"]) {
        return;
    }
    let sb = Sandbox::new();
    let srv = server();
    let token_url = srv.token_url();
    let base = token_url.trim_end_matches("/oauth2/token").to_owned();
    sb.add_profile("prod", &token_url, &[]);
    sb.run(&["profile", "edit", "prod", "--region", "us"]).ok();
    let text = std::fs::read_to_string(sb.config_path()).expect("config");
    let with_base = text.replace(
        "region = \"us\"",
        &format!("region = \"us\"\nbase_url = \"{base}\""),
    );
    assert_ne!(text, with_base, "{text}");
    sb.write_config(&with_base);
    let ui = open(&sb);
    ui.key("e");
    ui.wait_for("Edit prod");
    ui.wait_for(&format!("Base URL       {base}/"));
    ui.key("Tab");
    ui.key("C-u");
    ui.tmux.keys(&["-l", &token_url]);
    ui.key("C-s");
    ui.wait_for("a base URL goes with a region only");
    ui.key("C-u"); // the focus is on the base URL now
    ui.key("C-s");
    ui.wait_for("saved prod");
    let saved = std::fs::read_to_string(sb.config_path()).expect("config");
    assert!(saved.contains(&format!("token_url = \"{token_url}\"")), "{saved}");
    assert!(
        !saved.contains("base_url") && !saved.contains("region"),
        "{saved}"
    );
    ui.key("r");
    ui.wait_for("refreshed prod");
    ui.key("q");
    ui.assert_exited_and_restored(0);
}

/// Issue 18: a config with a broken profile opens the interface as a good
/// one does, with the good profiles listed and the problem on the status
/// line; `!` shows it whole, however long it is.
#[test]
fn a_broken_profile_leaves_the_others_listed_and_its_long_problem_readable() {
    if !tools_present("broken profile test", &["tmux"]) {
        return;
    }
    let (sb, _srv) = sandbox_with_prod();
    let good = std::fs::read_to_string(sb.config_path()).expect("config");
    let long_url = format!(
        "https://tokens.example.com/{}/oauth2/token",
        "a-long-path-segment/".repeat(8)
    );
    let broken = format!(
        "{good}\n[[profile]]\nname = \"bad\"\nregion = \"us\"\nclient_id = \"b\"\ntoken_url = \"{long_url}\"\n"
    );
    let line = broken
        .lines()
        .position(|l| l.starts_with("token_url = \"https://tokens"))
        .expect("line")
        + 1;
    sb.write_config(&broken);
    let problem = format!(
        "profile \"bad\" is skipped: {}:{line}:13: token_url: set either region or token_url, not both; correct it with `wktui config edit`",
        sb.config_path().display()
    );
    assert!(problem.len() > 120, "longer than the status line");

    let ui = open(&sb);
    let screen = ui.wait_for("profile \"bad\" is skipped");
    assert!(
        countdown(&screen, "prod").is_some(),
        "the good profile is listed:\n{screen}"
    );
    assert!(countdown(&screen, "bad").is_none(), "{screen}");
    let status = screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .expect("a status line");
    assert!(
        status.contains("! shows it whole"),
        "the key to read it all:\n{screen}"
    );

    ui.key("!");
    let screen = ui.wait_for("Config file problems");
    let shown: String = screen
        .lines()
        .skip_while(|l| !l.contains("Config file problems"))
        .skip(1)
        .take_while(|l| !l.contains("Esc closes"))
        .collect::<Vec<_>>()
        .join(" ");
    let squeeze = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect::<String>()
    };
    assert!(
        squeeze(&shown).contains(&squeeze(&problem)),
        "the whole problem, wrapped:\n{screen}"
    );
    ui.escape();
    ui.wait_until_gone("Config file problems");
    ui.key("q");
    ui.assert_exited_and_restored(0);
}
