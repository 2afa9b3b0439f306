//! Child processes and the process itself: the shell a `secret_command` runs
//! in, stopping a child together with everything it started, and keeping
//! secrets out of core dumps and debuggers.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::{Child, Command};

/// Whether the shell people type into here is PowerShell (Windows) rather
/// than a POSIX `sh`: what `wktui env` prints by default.
pub const TYPED_SHELL_IS_POWERSHELL: bool = cfg!(windows);

/// A variable as the user's shell writes it: `$env:VAR` in PowerShell,
/// `$VAR` in sh.
pub fn variable(name: &str) -> String {
    variable_in(TYPED_SHELL_IS_POWERSHELL, name)
}

/// How to set a variable in the user's shell, `value` standing for what to
/// put there: `$env:VAR = '...'` in PowerShell, `export VAR=...` in sh.
pub fn set_variable(name: &str, value: &str) -> String {
    set_variable_in(TYPED_SHELL_IS_POWERSHELL, name, value)
}

fn variable_in(powershell: bool, name: &str) -> String {
    if powershell {
        format!("$env:{name}")
    } else {
        format!("${name}")
    }
}

fn set_variable_in(powershell: bool, name: &str, value: &str) -> String {
    if powershell {
        format!("$env:{name} = '{value}'")
    } else {
        format!("export {name}={value}")
    }
}

/// The file a program name runs, found as the user's shell finds it: a name
/// with a directory in it as it is, a bare name in each directory of `path`
/// in turn. On Windows a name without one of PATHEXT's extensions is tried
/// with each (`npm` is `npm.cmd`, `az` is `az.cmd`), as cmd and PowerShell
/// do; `pathext` is that variable (`None`: Windows' default list). The
/// working directory is not searched, as PowerShell does not.
pub fn find_program(program: &OsStr, path: Option<&OsStr>, pathext: Option<&OsStr>) -> Option<PathBuf> {
    let extensions = if cfg!(windows) {
        windows_extensions(pathext)
    } else {
        Vec::new()
    };
    find_with_extensions(program, path, &extensions, cfg!(windows))
}

/// PATHEXT's extensions, or Windows' default list when it is unset or empty.
fn windows_extensions(pathext: Option<&OsStr>) -> Vec<String> {
    let text = pathext
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| ".COM;.EXE;.BAT;.CMD".to_owned());
    text.split(';')
        .map(str::trim)
        .filter(|e| e.starts_with('.') && e.len() > 1)
        .map(str::to_owned)
        .collect()
}

fn find_with_extensions(
    program: &OsStr,
    path: Option<&OsStr>,
    extensions: &[String],
    backslash_is_separator: bool,
) -> Option<PathBuf> {
    let name = program.to_string_lossy();
    if name.is_empty() {
        return None;
    }
    let candidates = |base: PathBuf| -> Option<PathBuf> {
        let has_listed_extension = base
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(&e)));
        if extensions.is_empty() || has_listed_extension {
            return base.is_file().then_some(base);
        }
        extensions.iter().find_map(|ext| {
            let mut with = base.clone().into_os_string();
            with.push(ext);
            let with = PathBuf::from(with);
            with.is_file().then_some(with)
        })
    };
    let has_dir =
        name.contains('/') || (backslash_is_separator && (name.contains('\\') || name.contains(':')));
    if has_dir {
        return candidates(PathBuf::from(program));
    }
    std::env::split_paths(path?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .find_map(|dir| candidates(dir.join(program)))
}

/// The program `exec` starts for `program`: on Windows the file PATH and
/// PATHEXT lead to (std's own search tries `.exe` alone, so `npm`, which is
/// `npm.cmd`, would not be found); std runs a `.cmd` or `.bat` through
/// cmd.exe with its arguments quoted for it. Elsewhere the name as given,
/// which the system looks up on PATH itself.
pub fn program_to_run(program: &OsStr) -> OsString {
    if cfg!(windows) {
        let path = std::env::var_os("PATH");
        let pathext = std::env::var_os("PATHEXT");
        if let Some(found) = find_program(program, path.as_deref(), pathext.as_deref()) {
            return found.into_os_string();
        }
    }
    program.to_owned()
}

/// Why a program could not be started with these arguments (std's
/// `InvalidInput`), in words: on Windows, std refuses to hand a batch file
/// an argument that cmd.exe would read as more than text.
pub fn invalid_arguments_reason(program: &OsStr) -> &'static str {
    let lower = program.to_string_lossy().to_ascii_lowercase();
    if cfg!(windows) && (lower.ends_with(".cmd") || lower.ends_with(".bat")) {
        "it is a batch file, run by cmd.exe, and one of the arguments holds a character cmd.exe \
         cannot be given safely (a line break); pass that value in a file or an environment variable instead"
    } else {
        "an argument cannot be passed to it (it holds a NUL character)"
    }
}

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

#[cfg(test)]
mod lookup_tests {
    use super::*;

    #[test]
    fn variables_are_written_as_each_shell_writes_them() {
        assert_eq!(variable_in(false, "WK_SECRET"), "$WK_SECRET");
        assert_eq!(variable_in(true, "WK_SECRET"), "$env:WK_SECRET");
        assert_eq!(set_variable_in(false, "WK_SECRET", "..."), "export WK_SECRET=...");
        assert_eq!(
            set_variable_in(true, "WK_SECRET", "..."),
            "$env:WK_SECRET = '...'"
        );
    }

    /// In lower case, so that a case-sensitive file system finds them too.
    fn windows_list() -> Vec<String> {
        windows_extensions(Some(OsStr::new(".com;.exe;.bat;.cmd")))
    }

    #[test]
    fn a_bare_name_is_found_with_the_extensions_windows_tries() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (first, second) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::create_dir_all(&first).expect("a");
        std::fs::create_dir_all(&second).expect("b");
        std::fs::write(second.join("npm.cmd"), "@echo off\r\n").expect("npm.cmd");
        std::fs::write(first.join("npm"), "#!/bin/sh\n").expect("npm");
        std::fs::write(second.join("tool.exe"), "").expect("tool.exe");
        let path = std::env::join_paths([&first, &second]).expect("PATH");
        // Windows (and Wine) match names without regard to case: `npm.CMD` is `npm.cmd`.
        let lower = |p: Option<PathBuf>| p.map(|p| p.to_string_lossy().to_lowercase());
        let find = |name: &str| {
            lower(find_with_extensions(
                OsStr::new(name),
                Some(&path),
                &windows_list(),
                true,
            ))
        };
        let at = |p: PathBuf| lower(Some(p));

        // The extensionless `npm` in the first directory is no program on Windows.
        assert_eq!(find("npm"), at(second.join("npm.cmd")));
        assert_eq!(find("npm.cmd"), at(second.join("npm.cmd")));
        assert_eq!(find("tool"), at(second.join("tool.exe")));
        assert_eq!(find("missing"), None);
        assert_eq!(find(""), None);
        // A path is taken as it is, with the extensions tried.
        let named = second.join("npm");
        assert_eq!(
            lower(find_with_extensions(
                named.as_os_str(),
                None,
                &windows_list(),
                true
            )),
            at(second.join("npm.cmd"))
        );

        // Unix: the name as it is, first directory first.
        let unix = |name: &str| find_with_extensions(OsStr::new(name), Some(&path), &[], false);
        assert_eq!(unix("npm"), Some(first.join("npm")));
        assert_eq!(unix("tool"), None);
        assert_eq!(unix("tool.exe"), Some(second.join("tool.exe")));
    }

    #[test]
    fn pathext_falls_back_to_windows_default_list() {
        let default = [".COM", ".EXE", ".BAT", ".CMD"];
        assert_eq!(windows_extensions(None), default);
        assert_eq!(windows_extensions(Some(OsStr::new(" "))), default);
        assert_eq!(
            windows_extensions(Some(OsStr::new(".PS1;;x;.CMD"))),
            [".PS1", ".CMD"]
        );
    }
}
