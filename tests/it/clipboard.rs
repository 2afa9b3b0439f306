//! Copying a token: a real X clipboard (Xvfb, read back with xclip from
//! another process) and OSC 52 into a real tmux.

use std::time::Duration;

use crate::common::system::{Tmux, tools_present};
// The X clipboard is the desktop clipboard on Linux; macOS and Windows have
// their own, always reachable.
#[cfg(target_os = "linux")]
use crate::common::system::{X_TOOLS, XvfbSession, wait_for};
use crate::common::{Sandbox, server};

#[cfg(target_os = "linux")]
#[test]
fn copy_serves_the_token_after_wktui_exits_then_clears_it() {
    if !tools_present("X clipboard test", &X_TOOLS) {
        return;
    }
    let x = XvfbSession::start();
    let mut sb = Sandbox::new();
    sb.env.push(("DISPLAY".into(), x.display.clone()));
    sb.write_config("[settings]\nclipboard_clear_after = 2\nclipboard = \"system\"\n");
    let srv = server();
    sb.add_profile("p", &srv.token_url(), &[]);
    let token = sb.run(&["token", "p"]).ok().stdout.trim_end().to_owned();
    sb.secrets.push(token.clone());

    let run = sb.run(&["copy", "p"]).ok();
    assert!(
        run.stderr
            .contains("Copied the token of p to the clipboard; it clears in 2 s"),
        "{}",
        run.stderr
    );
    assert_eq!(
        x.clipboard().as_deref(),
        Some(token.as_str()),
        "served after wktui exited"
    );
    assert!(
        wait_for(Duration::from_secs(5), || x.clipboard().is_none()),
        "cleared after clipboard_clear_after"
    );

    // Something copied meanwhile is left alone.
    sb.run(&["copy", "p"]).ok();
    x.copy_from_elsewhere("the user's own text");
    std::thread::sleep(Duration::from_millis(2600));
    assert_eq!(x.clipboard().as_deref(), Some("the user's own text"));
}

#[cfg(target_os = "linux")]
#[test]
fn copy_without_a_display_says_why() {
    let sb = Sandbox::new();
    sb.write_config("[settings]\nclipboard = \"system\"\n");
    let srv = server();
    sb.add_profile("p", &srv.token_url(), &[]);
    let run = sb.run(&["copy", "p"]).fails_with(1);
    run.says(&["no clipboard is reachable"]);
    run.says(&["osc52"]);
}

#[test]
fn copy_over_osc52_lands_in_the_tmux_buffer() {
    if !tools_present("OSC 52 test", &["tmux"]) {
        return;
    }
    let mut sb = Sandbox::new();
    let srv = server();
    sb.add_profile("p", &srv.token_url(), &[]);
    let token = sb.run(&["token", "p"]).ok().stdout.trim_end().to_owned();
    sb.secrets.push(token.clone());
    let env = sb.env_list();
    let exe = env!("CARGO_BIN_EXE_wktui");
    // Start a shell first so set-clipboard is on before wktui writes.
    let tmux = Tmux::start(100, 30, &["sh"], &env);
    tmux.run(&["set", "-g", "set-clipboard", "on"]);
    tmux.keys(&["-l", &format!("{exe} copy p --osc52; echo done-$?")]);
    tmux.keys(&["Enter"]);
    let (found, screen) = tmux.wait_for_text("done-0", Duration::from_secs(10));
    assert!(found, "{screen}");
    assert!(screen.contains("through the terminal (OSC 52)"), "{screen}");
    sb.assert_no_secret_in(&screen, "screen");
    assert_eq!(tmux.run(&["show-buffer"]), token);
}

/// The `/proc` pids of clipboard helpers whose DISPLAY is `display`.
#[cfg(target_os = "linux")]
fn helpers_on(display: &str) -> Vec<u32> {
    let wanted = format!("DISPLAY={display}\0");
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains("__clipboard-serve")
                && String::from_utf8_lossy(&environ).contains(&wanted)
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn a_display_that_accepts_and_never_answers_does_not_hang_a_copy() {
    // A stand-in X server: it accepts connections and never says a word.
    let n = 6000 + fastrand::u32(..2000);
    let socket = std::path::PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
    std::fs::create_dir_all("/tmp/.X11-unix").expect("socket dir");
    let _ = std::fs::remove_file(&socket);
    let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let display = format!(":{n}");
    let mut sb = Sandbox::new();
    sb.env.push(("DISPLAY".into(), display.clone()));
    sb.write_config("[settings]\nclipboard = \"system\"\n");
    let srv = server();
    sb.add_profile("p", &srv.token_url(), &[]);
    let started = std::time::Instant::now();
    let run = sb.run(&["copy", "p"]).fails_with(1);
    run.says(&["did not answer within 5 s"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "ends at its deadline"
    );
    assert!(
        wait_for(Duration::from_secs(2), || helpers_on(&display).is_empty()),
        "the helper holding the token is gone"
    );
    let _ = std::fs::remove_file(&socket);
}
