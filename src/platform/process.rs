//! Child processes and the process itself: the shell a `secret_command` runs
//! in, stopping a child together with everything it started, and keeping
//! secrets out of core dumps and debuggers.

use std::process::{Child, Command};

/// Whether the shell people type into here is PowerShell (Windows) rather
/// than a POSIX `sh`: what `wktui env` prints by default.
pub const TYPED_SHELL_IS_POWERSHELL: bool = cfg!(windows);

/// `/bin/sh -c CMD` (never whatever `sh` comes first on `PATH`), as the
/// leader of a new process group so that `kill_tree` can stop the command
/// and every process it started.
#[cfg(unix)]
pub fn shell_command(cmd: &str) -> Command {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(cmd).process_group(0);
    c
}

#[cfg(windows)]
pub fn shell_command(cmd: &str) -> Command {
    let mut c = Command::new("cmd");
    c.arg("/C").arg(cmd);
    c
}

/// The user's editor on `file`, through the shell as git runs it: the
/// editor may carry arguments (`code --wait`). It stays in the terminal's
/// process group, since it is interactive.
#[cfg(unix)]
pub fn editor_command(editor: &str, file: &std::path::Path) -> Command {
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(format!("{editor} \"$1\"")).arg("sh").arg(file);
    c
}

#[cfg(windows)]
pub fn editor_command(editor: &str, file: &std::path::Path) -> Command {
    let mut c = Command::new("cmd");
    c.arg("/C").arg(editor).arg(file);
    c
}

/// Puts a child in a process group of its own: Ctrl-C in wktui's terminal
/// does not reach it, and `kill_tree` reaches all of it.
pub fn own_process_group(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(not(unix))]
    let _ = command;
}

/// Stops a child started by `shell_command` or with `own_process_group`,
/// and the processes it started, then reaps it.
pub fn kill_tree(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The process's exit code: 0..=255 as it is. On Windows, where exit codes
/// are 32 bits, any other value (a child's, passed through by `exec`: an
/// NTSTATUS such as 0xC000013A, or `exit 300`) ends the process here with
/// it, since std's `ExitCode` holds a byte; elsewhere its low byte, as a
/// shell sees it.
pub fn exit_code(code: i32) -> std::process::ExitCode {
    match u8::try_from(code) {
        Ok(byte) => std::process::ExitCode::from(byte),
        // std::process::exit flushes stdout first; nothing else is left to drop.
        #[cfg(windows)]
        Err(_) => std::process::exit(code),
        #[cfg(not(windows))]
        Err(_) => std::process::ExitCode::from(code.to_le_bytes()[0]),
    }
}

/// The variables a child that only needs a display (the clipboard helper)
/// gets; nothing else of wktui's environment, which may hold a secret.
pub const DISPLAY_ENV: &[&str] = &[
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XAUTHORITY",
    "XDG_RUNTIME_DIR",
    "HOME",
    "LANG",
    "LC_ALL",
];

/// Makes the process non-dumpable while it runs: no core dump, and other
/// processes of the same user cannot attach a debugger or read its memory
/// through /proc. Measured in BENCHMARKS.md: one system call.
pub fn protect_from_dumps() {
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_beyond_a_byte_keep_their_low_byte() {
        assert_eq!(exit_code(7), std::process::ExitCode::from(7));
        assert_eq!(exit_code(300), std::process::ExitCode::from(44));
        assert_eq!(exit_code(-1073741510), std::process::ExitCode::from(0x3a));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn protection_makes_the_process_non_dumpable() {
        protect_from_dumps();
        assert_eq!(
            rustix::process::dumpable_behavior().expect("prctl"),
            rustix::process::DumpableBehavior::NotDumpable
        );
    }

    #[test]
    fn kill_tree_stops_grandchildren_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let marker = dir.path().join("grandchild.pid");
        let mut child = shell_command(&format!("sleep 30 & echo $! > {}; wait", marker.display()))
            .spawn()
            .expect("spawn");
        let mut pid = None;
        for _ in 0..200 {
            if let Ok(text) = std::fs::read_to_string(&marker)
                && let Ok(p) = text.trim().parse::<i32>()
            {
                pid = Some(p);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let pid = pid.expect("grandchild started");
        kill_tree(&mut child);
        let gone = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Gone, or a zombie waiting for init to reap it.
            stat.is_empty() || stat.split_whitespace().nth(2) == Some("Z")
        });
        assert!(gone, "the grandchild {pid} outlived kill_tree");
    }
}
