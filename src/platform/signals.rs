//! Signals and child processes: running `exec`'s child with
//! signals forwarded, waiting for the signal that stops `serve`, and the
//! signals that end the interface. The Unix code is here and nowhere else;
//! other platforms get a plain version.

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    Code(i32),
    /// Killed by this signal number.
    Signal(i32),
}

impl ChildExit {
    /// What a shell would report: the code, or 128+N for signal N. On Unix
    /// a code is a byte; on Windows it is 32 bits and passes unchanged (a
    /// program Ctrl-C ended gives the NTSTATUS 0xC000013A, which cmd shows
    /// as -1073741510), see `platform::process::exit_code`.
    pub fn exit_code(self) -> i32 {
        match self {
            ChildExit::Code(code) => code,
            ChildExit::Signal(signal) => 128 + signal,
        }
    }
}

#[cfg(unix)]
pub use unix::{EndSignals, run_forwarding_signals, stop_requested};

#[cfg(not(unix))]
pub use other::{EndSignals, run_forwarding_signals, stop_requested};

#[cfg(unix)]
mod unix {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;
    use std::sync::{Arc, Mutex, PoisonError};

    use rustix::io::Errno;
    use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process, waitid};
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithOrigin;
    use signal_hook::low_level::siginfo::Cause;

    use super::ChildExit;

    const FORWARDED: [i32; 4] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT];

    /// Spawns `command` and waits for it, passing SIGINT, SIGTERM, SIGHUP and
    /// SIGQUIT on to it. A signal the kernel sent (Ctrl-C or Ctrl-\ at the
    /// terminal, a hang-up) already reached the child, which shares our
    /// process group, so only signals another process sent to wktui alone
    /// (`kill PID`, a supervisor) are forwarded: the child sees each once.
    pub fn run_forwarding_signals(mut command: Command) -> std::io::Result<ChildExit> {
        // Handlers first: a signal between spawn and here must not kill wktui
        // and orphan the child. Handlers do not survive exec, so the child
        // starts with the default dispositions.
        let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED)?;
        let mut child = command.spawn()?;
        let pid = Pid::from_child(&child);
        // Cleared before the child is reaped, so a signal can never reach a
        // process that took over its pid.
        let target = Arc::new(Mutex::new(Some(pid)));
        let handle = signals.handle();
        let forwarder = {
            let target = Arc::clone(&target);
            std::thread::Builder::new()
                .name("wktui-signals".into())
                .spawn(move || {
                    for origin in signals.forever() {
                        if origin.cause == Cause::Kernel {
                            continue;
                        }
                        let Some(signal) = signal_of(origin.signal) else {
                            continue;
                        };
                        if let Some(pid) = *target.lock().unwrap_or_else(PoisonError::into_inner) {
                            let _ = kill_process(pid, signal);
                        }
                    }
                })?
        };
        // Wait without reaping: the pid stays ours until `target` is cleared.
        while let Err(Errno::INTR) = waitid(WaitId::Pid(pid), WaitIdOptions::EXITED | WaitIdOptions::NOWAIT) {
        }
        *target.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let status = child.wait();
        handle.close();
        let _ = forwarder.join();
        let status = status?;
        Ok(match (status.code(), status.signal()) {
            (Some(code), _) => ChildExit::Code(code),
            (None, Some(signal)) => ChildExit::Signal(signal),
            (None, None) => ChildExit::Code(1),
        })
    }

    fn signal_of(number: i32) -> Option<Signal> {
        [Signal::INT, Signal::TERM, Signal::HUP, Signal::QUIT]
            .into_iter()
            .find(|s| s.as_raw() == number)
    }

    /// Resolves when SIGINT, SIGTERM or SIGHUP asks the process to stop, with its name.
    pub async fn stop_requested() -> &'static str {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind| signal(kind).ok();
        let (mut int, mut term, mut hup) = (
            listen(SignalKind::interrupt()),
            listen(SignalKind::terminate()),
            listen(SignalKind::hangup()),
        );
        async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = next(&mut int) => "SIGINT",
            () = next(&mut term) => "SIGTERM",
            () = next(&mut hup) => "SIGHUP",
        }
    }

    /// SIGTERM, SIGHUP and SIGINT, which end the interface cleanly (in raw
    /// mode Ctrl-C arrives as a key, but `kill -INT` does not). Listening
    /// starts when this is made, so none is lost while the interface starts.
    pub struct EndSignals {
        streams: Vec<(i32, tokio::signal::unix::Signal)>,
    }

    impl EndSignals {
        pub fn listen() -> EndSignals {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [
                (SIGTERM, SignalKind::terminate()),
                (SIGHUP, SignalKind::hangup()),
                (SIGINT, SignalKind::interrupt()),
            ];
            EndSignals {
                streams: kinds
                    .into_iter()
                    .filter_map(|(number, kind)| signal(kind).ok().map(|s| (number, s)))
                    .collect(),
            }
        }

        /// Waits for the first of the signals and returns its number.
        pub async fn any(&mut self) -> i32 {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            std::future::poll_fn(|cx| {
                for (number, stream) in self.streams.iter_mut() {
                    if stream.poll_recv(cx).is_ready() {
                        return std::task::Poll::Ready(*number);
                    }
                }
                std::task::Poll::Pending
            })
            .await
        }
    }
}

#[cfg(not(unix))]
mod other {
    use std::process::Command;

    use super::ChildExit;

    /// Runs `command` in wktui's console. Ctrl-C and Ctrl-Break reach the
    /// child through the console itself, as they reach every process
    /// attached to it (and a Ctrl-Break sent to wktui's process group
    /// reaches the child, which is in it); wktui lets them pass while the
    /// child runs, so that it outlives the child and returns the child's
    /// exit code unchanged, as cmd's %ERRORLEVEL% and PowerShell's
    /// $LASTEXITCODE expect.
    pub fn run_forwarding_signals(mut command: Command) -> std::io::Result<ChildExit> {
        #[cfg(windows)]
        let _outlive = console::OutliveCtrlC::install();
        let status = command.status()?;
        Ok(ChildExit::Code(status.code().unwrap_or(1)))
    }

    #[cfg(windows)]
    mod console {
        use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT, SetConsoleCtrlHandler};
        use windows_sys::core::BOOL;

        /// Handles Ctrl-C and Ctrl-Break (doing nothing) while it lives. A
        /// handler, not the inheritable "ignore" flag, so the child keeps the
        /// default: Ctrl-C ends it. Closing the console still ends wktui.
        pub struct OutliveCtrlC {
            installed: bool,
        }

        unsafe extern "system" fn let_the_child_handle_it(event: u32) -> BOOL {
            BOOL::from(event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT)
        }

        impl OutliveCtrlC {
            pub fn install() -> OutliveCtrlC {
                // SAFETY: the handler is a plain function that touches no state.
                let installed = unsafe { SetConsoleCtrlHandler(Some(let_the_child_handle_it), 1) } != 0;
                OutliveCtrlC { installed }
            }
        }

        impl Drop for OutliveCtrlC {
            fn drop(&mut self) {
                if self.installed {
                    // SAFETY: removes the handler `install` added.
                    unsafe { SetConsoleCtrlHandler(Some(let_the_child_handle_it), 0) };
                }
            }
        }
    }

    /// Resolves on Ctrl-C, or on Ctrl-Break (what a supervisor can send to
    /// a process group), with its name.
    pub async fn stop_requested() -> &'static str {
        #[cfg(windows)]
        {
            use tokio::signal::windows::{ctrl_break, ctrl_c};
            let (mut c, mut brk) = (ctrl_c().ok(), ctrl_break().ok());
            tokio::select! {
                Some(()) = async { c.as_mut()?.recv().await } => "Ctrl-C",
                Some(()) = async { brk.as_mut()?.recv().await } => "Ctrl-Break",
                else => std::future::pending().await,
            }
        }
        #[cfg(not(windows))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }

    /// Ctrl-C from the console, reported as SIGINT.
    pub struct EndSignals;

    impl EndSignals {
        pub fn listen() -> EndSignals {
            EndSignals
        }

        pub async fn any(&mut self) -> i32 {
            let _ = tokio::signal::ctrl_c().await;
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    #[test]
    fn exit_codes_follow_the_shell() {
        assert_eq!(ChildExit::Code(0).exit_code(), 0);
        assert_eq!(ChildExit::Code(42).exit_code(), 42);
        assert_eq!(ChildExit::Signal(15).exit_code(), 143);
        assert_eq!(ChildExit::Signal(2).exit_code(), 130);
        // A Windows child's NTSTATUS is not cut to a byte here.
        assert_eq!(ChildExit::Code(0xC000_013Au32 as i32).exit_code(), -1073741510);
    }

    #[cfg(unix)]
    #[test]
    fn the_childs_code_and_signal_come_back() {
        let mut exit7 = Command::new("sh");
        exit7.args(["-c", "exit 7"]);
        assert_eq!(run_forwarding_signals(exit7).expect("run"), ChildExit::Code(7));
        let mut killed = Command::new("sh");
        killed.args(["-c", "kill -TERM $$"]);
        assert_eq!(
            run_forwarding_signals(killed).expect("run"),
            ChildExit::Signal(15)
        );
    }

    #[test]
    fn a_missing_program_is_an_error() {
        let err = run_forwarding_signals(Command::new("wktui-no-such-program")).expect_err("missing");
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
