//! What a refresh leaves in the interface's memory. The request body that
//! carries the client secret (`client_secret=...`) is built in memory that is
//! wiped once the HTTP stack lets go of it: after a refresh, no copy of it is
//! left anywhere in the process's writable memory. Read through
//! /proc/PID/mem, which root may do even though wktui is non-dumpable.

// Reads the process's memory through /proc (Linux).
#![cfg(target_os = "linux")]

use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use crate::common::system::{Tmux, tools_present};
use crate::common::{SECRET, SECRET_VAR, Sandbox, server};

/// Every writable mapping of `pid`, searched for `needle`.
fn memory_holds(pid: u32, needle: &[u8]) -> bool {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).expect("mem");
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !perms.starts_with("rw") {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16)) else {
            continue;
        };
        let mut bytes = vec![0u8; (end - start) as usize];
        if mem.seek(SeekFrom::Start(start)).is_err() || mem.read_exact(&mut bytes).is_err() {
            continue;
        }
        if bytes.windows(needle.len()).any(|w| w == needle) {
            return true;
        }
    }
    false
}

#[test]
fn no_copy_of_the_request_body_is_left_after_a_refresh() {
    if !rustix::process::geteuid().is_root() || !tools_present("memory test", &["tmux"]) {
        if std::env::var("WKTUI_REQUIRE_SYSTEM_TESTS").as_deref() == Ok("1") {
            assert!(
                rustix::process::geteuid().is_root(),
                "memory test: needs root to read /proc/PID/mem"
            );
        }
        return;
    }
    let mut sb = Sandbox::new();
    // The secret comes from a script, so that it is nowhere in the
    // process's environment or config: only the fetch ever holds it.
    sb.env.retain(|(k, _)| k != SECRET_VAR);
    let script = sb.path().join("secret.sh");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' '{SECRET}'\n")).expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let srv = server();
    sb.add_command_profile("p", &srv.token_url(), script.to_str().expect("utf-8"));

    let tmux = Tmux::start(100, 30, &[env!("CARGO_BIN_EXE_wktui")], &sb.env_list());
    assert!(tmux.wait_for_text("q quit", Duration::from_secs(10)).0);
    tmux.keys(&["r"]);
    let (refreshed, screen) = tmux.wait_for_text("refreshed", Duration::from_secs(10));
    assert!(refreshed, "{screen}");
    assert_eq!(srv.token_requests(), 1);
    let pid = tmux.program_pid();
    // The connection may still be open (keep-alive); the body is gone anyway.
    std::thread::sleep(Duration::from_millis(300));
    // The search must see the process at all: what the interface surely
    // holds (the profile's token URL) is found, or the test proves nothing.
    assert!(
        memory_holds(pid, srv.token_url().as_bytes()),
        "the process's memory could not be searched"
    );
    let encoded: String = form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    assert!(
        !memory_holds(pid, format!("client_secret={encoded}").as_bytes()),
        "a copy of the request body is left in memory"
    );
    assert!(
        !memory_holds(pid, encoded.as_bytes()),
        "the form-encoded secret is left in memory"
    );
    tmux.keys(&["q"]);
}
