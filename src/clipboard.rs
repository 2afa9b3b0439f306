//! Copying a token: to the system clipboard through a small detached helper
//! (so it outlives wktui on X11 and is cleared after a while), or with an
//! OSC 52 escape that the terminal (or tmux, or SSH's far end) takes in.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::model::ClipboardMode;
use crate::model::text::clean;
use crate::platform::{self, process};

/// The hidden subcommand the helper runs as.
pub const SERVE_COMMAND: &str = "__clipboard-serve";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The desktop clipboard (X11 or Wayland), through arboard.
    System,
    /// An OSC 52 escape written to the terminal.
    Osc52,
}

#[derive(Debug, thiserror::Error)]
pub enum ClipboardError {
    #[error(
        "no clipboard is reachable ({0}); set clipboard = \"osc52\" in [settings] to copy through the terminal"
    )]
    Unavailable(String),
    #[error("cannot start the clipboard helper: {0}")]
    Helper(String),
    #[error("cannot write to the terminal: {0}")]
    Terminal(String),
}

/// Which way to copy: as configured, or in `Auto` the terminal when the
/// session is remote (`SSH_TTY`) or has no desktop (on Linux, no display),
/// else the system clipboard.
pub fn choose_method(mode: ClipboardMode, env: impl Fn(&str) -> Option<String>) -> Method {
    match mode {
        ClipboardMode::System => Method::System,
        ClipboardMode::Osc52 => Method::Osc52,
        ClipboardMode::Auto => {
            let over_ssh = env("SSH_TTY").is_some_and(|v| !v.is_empty());
            if over_ssh || !crate::platform::clipboard::has_desktop(&env) {
                Method::Osc52
            } else {
                Method::System
            }
        }
    }
}

/// `choose_method` with the process environment.
pub fn method_for(mode: ClipboardMode) -> Method {
    choose_method(mode, |name| std::env::var(name).ok())
}

/// The OSC 52 sequence that puts `text` on the clipboard ("c").
pub fn osc52_sequence(text: &str) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "\x1b]52;c;{}\x07",
        Zeroizing::new(STANDARD.encode(text.as_bytes())).as_str()
    ))
}

/// Writes the OSC 52 sequence to `out` (the terminal wktui draws on).
pub fn copy_osc52(out: &mut impl Write, text: &str) -> Result<(), ClipboardError> {
    out.write_all(osc52_sequence(text).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| ClipboardError::Terminal(e.to_string()))
}

/// How long the helper may take to own the clipboard: a display that
/// accepts a connection and never answers must not hang a copy.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Puts `text` on the system clipboard. A detached copy of this binary serves
/// it (X11 forgets a selection when its owner exits) until something else is
/// copied, and clears it after `clear_after` if it still holds `text`
/// (`Duration::ZERO`: never). The text goes over a pipe, never in argv, and
/// the helper gets only the display variables of wktui's environment.
pub fn copy_system(text: &str, clear_after: Duration) -> Result<(), ClipboardError> {
    let exe = std::env::current_exe().map_err(|e| ClipboardError::Helper(e.to_string()))?;
    let mut command = Command::new(exe);
    command
        .arg(SERVE_COMMAND)
        .arg(clear_after.as_secs().to_string())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for name in process::DISPLAY_ENV {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    // Its own process group: Ctrl-C in wktui's terminal does not reach it.
    process::own_process_group(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| ClipboardError::Helper(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // Closing stdin (dropping it) tells the helper the text is complete.
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| ClipboardError::Helper(e.to_string()))?;
    }
    let Some(stdout) = child.stdout.take() else {
        process::kill_tree(&mut child);
        return Err(ClipboardError::Helper("no pipe to the helper".into()));
    };
    let (answer, answered) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout.take(1024)).read_line(&mut line);
        let _ = answer.send(line);
    });
    let line = match answered.recv_timeout(HANDSHAKE_TIMEOUT) {
        Ok(line) => line,
        Err(_) => {
            process::kill_tree(&mut child);
            let display = std::env::var("DISPLAY")
                .or_else(|_| std::env::var("WAYLAND_DISPLAY"))
                .unwrap_or_default();
            return Err(ClipboardError::Unavailable(format!(
                "the display {} did not answer within {} s",
                clean(&display, 60),
                HANDSHAKE_TIMEOUT.as_secs()
            )));
        }
    };
    match line.trim_end().strip_prefix("error: ") {
        None if line.starts_with("ok") => {
            // Reap it when it is done serving, so the TUI leaves no zombie.
            std::thread::spawn(move || child.wait());
            Ok(())
        }
        Some(reason) => {
            let _ = child.wait();
            Err(ClipboardError::Unavailable(clean(reason, 200)))
        }
        None => {
            let _ = child.wait();
            Err(ClipboardError::Helper("it exited without a word".into()))
        }
    }
}

/// The helper's side: read the text from stdin, own the clipboard, say "ok",
/// then watch until the text is replaced or the time is up. A watchdog ends
/// the process shortly after the clear time whatever the display does, so a
/// token never outlives it here.
pub fn serve(clear_after_secs: &str) -> ExitCode {
    process::protect_from_dumps();
    let clear_after = clear_after_secs
        .parse::<u64>()
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(30));
    if !clear_after.is_zero() {
        let limit = clear_after + Duration::from_secs(2);
        std::thread::spawn(move || {
            std::thread::sleep(limit);
            // The display stopped answering: leaving takes the selection with us.
            std::process::exit(0);
        });
    }
    let mut text = Zeroizing::new(String::new());
    let limit = crate::model::text::MAX_TOKEN_LEN as u64 + 1;
    let read = std::io::stdin().take(limit).read_to_string(&mut text);
    if read.is_err() || text.is_empty() || text.len() as u64 >= limit {
        println!("error: nothing to copy");
        return ExitCode::FAILURE;
    }
    let mut clipboard = match platform::clipboard::set_clipboard(&text) {
        Ok(c) => c,
        Err(e) => {
            println!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("ok");
    let _ = std::io::stdout().flush();
    let deadline = (!clear_after.is_zero()).then(|| Instant::now() + clear_after);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let still_ours = clipboard
            .get_text()
            .map(|t| Zeroizing::new(t).as_str() == text.as_str())
            .unwrap_or(false);
        if !still_ours {
            // Someone copied something else: leave their content alone.
            return ExitCode::SUCCESS;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let _ = clipboard.clear();
            return ExitCode::SUCCESS;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn auto_uses_the_terminal_over_ssh_or_without_a_display() {
        assert_eq!(
            choose_method(ClipboardMode::Auto, env(&[("DISPLAY", ":0")])),
            Method::System
        );
        assert_eq!(
            choose_method(ClipboardMode::Auto, env(&[("WAYLAND_DISPLAY", "wayland-0")])),
            Method::System
        );
        // No display: the terminal on Linux; Windows and macOS always have
        // a desktop clipboard.
        let desktopless = if cfg!(any(target_os = "windows", target_os = "macos")) {
            Method::System
        } else {
            Method::Osc52
        };
        assert_eq!(choose_method(ClipboardMode::Auto, env(&[])), desktopless);
        assert_eq!(
            choose_method(
                ClipboardMode::Auto,
                env(&[("DISPLAY", ":0"), ("SSH_TTY", "/dev/pts/1")])
            ),
            Method::Osc52
        );
        assert_eq!(choose_method(ClipboardMode::System, env(&[])), Method::System);
        assert_eq!(
            choose_method(ClipboardMode::Osc52, env(&[("DISPLAY", ":0")])),
            Method::Osc52
        );
    }

    #[test]
    fn osc52_is_base64_in_the_clipboard_slot() {
        assert_eq!(osc52_sequence("foo").as_str(), "\x1b]52;c;Zm9v\x07");
        let mut out = Vec::new();
        copy_osc52(&mut out, "wk.token").expect("write");
        assert_eq!(out, b"\x1b]52;c;d2sudG9rZW4=\x07");
    }
}
