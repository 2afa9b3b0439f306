//! Files that steer wktui (the config, `ca_file`, `serve --log`,
//! `--credentials`, the log `WKTUI_LOG` fills) are trusted the way ssh
//! trusts its own: a regular file of the user's (root's where that is
//! normal), writable by no one else, in directories up to `/` that belong to
//! the user or root and that no one else may write unless sticky; never a
//! FIFO (a clear error at once, not a hang), never another user's link, and
//! a log or credentials file that is not the user's own is never written.
//! Run as root (CI is), a second account made with `useradd` owns what the
//! attacker plants.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::system::second_user;
use crate::common::{CLIENT_ID, Run, SECRET_VAR, Sandbox, server};

/// Long enough for a loaded CI machine; a FIFO used to hold wktui forever.
const HANG: Duration = Duration::from_secs(15);

/// The second user's uid (see `crate::common::system::second_user`).
fn attacker_uid() -> Option<u32> {
    second_user("file trust tests", &[])
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A directory owned by `uid` with `mode`.
fn dir_of(path: &Path, uid: u32, mode: u32) -> PathBuf {
    std::fs::create_dir_all(path).expect("mkdir");
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).expect("chown dir");
    chmod(path, mode);
    path.to_path_buf()
}

/// A file with `text` owned by `uid` with `mode`.
fn file_of(path: &Path, uid: u32, mode: u32, text: &str) -> PathBuf {
    std::fs::write(path, text).expect("write");
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).expect("chown file");
    chmod(path, mode);
    path.to_path_buf()
}

fn fifo_of(path: &Path, uid: u32) -> PathBuf {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o666),
        0,
    )
    .expect("mkfifo");
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).expect("chown fifo");
    path.to_path_buf()
}

/// A link at `path` to `target`, made by `uid`.
fn link_of(path: &Path, target: &Path, uid: u32) -> PathBuf {
    symlink(target, path).expect("symlink");
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).expect("lchown");
    path.to_path_buf()
}

/// `cmd` run to its end, or killed and reported as hung after `HANG`.
fn run_within(sb: &Sandbox, mut cmd: Command, what: &str) -> Run {
    let out = tempfile::NamedTempFile::new_in(sb.path()).expect("stdout file");
    let err = tempfile::NamedTempFile::new_in(sb.path()).expect("stderr file");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.reopen().expect("stdout"))
        .stderr(err.reopen().expect("stderr"))
        .spawn()
        .expect("spawn wktui");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what}: still running after {HANG:?} (hung); stderr so far: {}",
                std::fs::read_to_string(err.path()).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(out.path()).expect("stdout"),
        stderr: std::fs::read_to_string(err.path()).expect("stderr"),
    };
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    run
}

/// A config whose one profile runs a command that leaves `marker` behind:
/// the harm a config planted by someone else does.
fn config_running(token_url: &str, marker: &Path) -> String {
    format!(
        "[[profile]]\nname = \"p1\"\ntoken_url = \"{token_url}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_command = \"touch {} && echo not-the-secret\"\n",
        marker.display()
    )
}

/// A harmless config: the secret from the environment.
fn plain_config(token_url: &str) -> String {
    format!(
        "[[profile]]\nname = \"p1\"\ntoken_url = \"{token_url}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n"
    )
}

fn token_with_config(sb: &Sandbox, config: &Path, what: &str) -> Run {
    let mut cmd = sb.command(&["token", "p1"]);
    cmd.env("WKTUI_CONFIG", config);
    run_within(sb, cmd, what)
}

#[test]
fn a_config_in_a_directory_another_user_owns_is_refused_and_runs_nothing() {
    let Some(uid) = attacker_uid() else { return };
    let srv = server();
    let sb = Sandbox::new();
    let marker = sb.path().join("ran");
    // Their directory, not writable by others (only the parent's write bits
    // used to be looked at): they can swap our file for theirs at will.
    let theirs = dir_of(&sb.path().join("theirs"), uid, 0o755);
    let config = file_of(
        &theirs.join("config.toml"),
        0,
        0o644,
        &config_running(&srv.token_url(), &marker),
    );
    let run = token_with_config(&sb, &config, "config in their dir");
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says(&["refusing the config file", "theirs", "belongs to another user"]);
    // Their directory above ours counts as much as the parent.
    let deeper = dir_of(&theirs.join("mine"), 0, 0o700);
    let config = file_of(
        &deeper.join("config.toml"),
        0,
        0o600,
        &config_running(&srv.token_url(), &marker),
    );
    let run = token_with_config(&sb, &config, "their dir above ours");
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says(&["belongs to another user"]);
    // Their own file in a sticky directory, as in /tmp.
    let shared = dir_of(&sb.path().join("shared"), 0, 0o1777);
    let config = file_of(
        &shared.join("config.toml"),
        uid,
        0o644,
        &config_running(&srv.token_url(), &marker),
    );
    let run = token_with_config(&sb, &config, "their file");
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says(&["belongs to another user", "copy it to a file of your own"]);
    assert!(
        !marker.exists(),
        "a secret_command from a config they control ran"
    );
    assert_eq!(srv.token_requests(), 0);
}

/// The attack of the report: their FIFO holds wktui's open until they have
/// swapped the name for a link to a file that passes the checks, then feeds
/// their config through the FIFO.
#[test]
fn a_fifo_swapped_for_a_link_while_wktui_waits_runs_nothing() {
    let Some(uid) = attacker_uid() else { return };
    let srv = server();
    let sb = Sandbox::new();
    let marker = sb.path().join("ran");
    let decoy = file_of(
        &sb.path().join("decoy.toml"),
        0,
        0o644,
        &plain_config(&srv.token_url()),
    );
    let theirs = dir_of(&sb.path().join("theirs"), uid, 0o755);
    let config = fifo_of(&theirs.join("config.toml"), uid);
    let evil = config_running(&srv.token_url(), &marker);
    let attacker = {
        let (config, decoy) = (config.clone(), decoy.clone());
        std::thread::spawn(move || {
            use std::os::unix::fs::OpenOptionsExt;
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                // Succeeds only once a reader has the FIFO open.
                let writer = std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
                    .open(&config);
                if let Ok(mut writer) = writer {
                    std::fs::remove_file(&config).expect("unlink fifo");
                    link_of(&config, &decoy, uid);
                    let _ = writer.write_all(evil.as_bytes());
                    return true;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            false
        })
    };
    let run = token_with_config(&sb, &config, "fifo then link");
    let fed = attacker.join().expect("attacker thread");
    assert!(
        !marker.exists(),
        "their secret_command ran (fed through the FIFO: {fed})"
    );
    assert_ne!(run.code, 0, "{}", run.stderr);
    run.says(&["refusing the config file", "belongs to another user"]);
    assert_eq!(srv.token_requests(), 0);
}

#[test]
fn a_fifo_in_place_of_the_config_is_a_clear_error_at_once() {
    let Some(_) = attacker_uid() else { return };
    let srv = server();
    let sb = Sandbox::new();
    sb.write_config(&plain_config(&srv.token_url()));
    std::fs::remove_file(sb.config_path()).expect("rm");
    fifo_of(&sb.config_path(), 0);
    for args in [&["token", "p1"][..], &["list"], &["profile", "list"], &["doctor"]] {
        let run = run_within(&sb, sb.command(args), &format!("{args:?}"));
        assert_ne!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(
            format!("{}{}", run.stdout, run.stderr).contains("is a FIFO (named pipe), not a regular file"),
            "{args:?}: {}{}",
            run.stdout,
            run.stderr
        );
    }
    assert_eq!(srv.token_requests(), 0);
}

#[test]
fn every_directory_up_to_the_root_counts_and_sticky_ones_are_fine() {
    let Some(_) = attacker_uid() else { return };
    let srv = server();
    let sb = Sandbox::new();
    let marker = sb.path().join("ran");
    // root's directory two levels up, writable by others (then by the group):
    // anyone may rename `cfg` away and put their own in its place.
    for mode in [0o777, 0o775, 0o757] {
        let wide = dir_of(&sb.path().join(format!("wide{mode:o}")), 0, mode);
        let cfg = dir_of(&wide.join("cfg"), 0, 0o700);
        let config = file_of(
            &cfg.join("config.toml"),
            0,
            0o600,
            &config_running(&srv.token_url(), &marker),
        );
        let run = token_with_config(&sb, &config, "wide ancestor");
        assert_eq!(run.code, 2, "mode {mode:o}: {}", run.stderr);
        run.says(&[
            &format!("wide{mode:o} can be changed by other users"),
            "chmod go-w",
        ]);
        assert!(!marker.exists(), "mode {mode:o}: its secret_command ran");
        // Sticky: others cannot replace what is ours in it, so it is trusted.
        chmod(&wide, mode | 0o1000);
        std::fs::write(&config, plain_config(&srv.token_url())).expect("write");
        let run = token_with_config(&sb, &config, "sticky ancestor");
        assert_eq!(run.code, 0, "mode {:o}: {}", mode | 0o1000, run.stderr);
        assert!(run.stdout.starts_with("wk."), "{}", run.stdout);
    }
}

#[test]
fn a_config_in_a_private_dir_of_the_system_temp_dir_or_through_the_users_own_link_works() {
    let Some(uid) = attacker_uid() else { return };
    let srv = server();
    // The sandbox is a private (0700) directory in the system temp dir.
    let sb = Sandbox::new();
    let tmp = std::env::temp_dir();
    assert_ne!(
        std::fs::metadata(&tmp).expect("temp dir").permissions().mode() & 0o1000,
        0,
        "{} is expected to be sticky",
        tmp.display()
    );
    assert!(sb.path().starts_with(&tmp));
    sb.write_config(&plain_config(&srv.token_url()));
    let run = run_within(&sb, sb.command(&["token", "p1"]), "config in the temp dir");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A dotfiles manager's link, made by the user: followed, its target checked.
    let dotfiles = dir_of(&sb.path().join("dotfiles"), 0, 0o700);
    let real = file_of(
        &dotfiles.join("wktui.toml"),
        0,
        0o600,
        &plain_config(&srv.token_url()),
    );
    let link = sb.path().join("config-link.toml");
    symlink(&real, &link).expect("symlink");
    let run = token_with_config(&sb, &link, "the user's own link");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The same link made by someone else in a sticky directory is not followed.
    let shared = dir_of(&sb.path().join("shared"), 0, 0o1777);
    let theirs = link_of(&shared.join("config.toml"), &real, uid);
    let run = token_with_config(&sb, &theirs, "their link");
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says(&["link another user made"]);
    // A link whose target sits in a directory others can write.
    let wide = dir_of(&sb.path().join("wide"), 0, 0o777);
    let exposed = file_of(
        &wide.join("wktui.toml"),
        0,
        0o600,
        &plain_config(&srv.token_url()),
    );
    std::fs::remove_file(&link).expect("rm link");
    symlink(&exposed, &link).expect("symlink");
    let run = token_with_config(&sb, &link, "link into a wide dir");
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says(&["can be changed by other users"]);
}

#[test]
fn a_ca_file_of_another_user_a_fifo_or_their_link_is_refused() {
    let Some(uid) = attacker_uid() else { return };
    let sb = Sandbox::new();
    let srv = server();
    let front = crate::common::tls::front(srv.addr());
    let url = format!("https://127.0.0.1:{}/oauth2/token", front.addr.port());
    let mine = dir_of(&sb.path().join("mine"), 0, 0o700);
    let own_ca = file_of(&mine.join("ca.pem"), 0, 0o644, &front.ca_pem);
    let shared = dir_of(&sb.path().join("shared"), 0, 0o1777);
    // The very CA the server uses, but theirs: they could swap in their own.
    let their_ca = file_of(&shared.join("their-ca.pem"), uid, 0o644, &front.ca_pem);
    let fifo = fifo_of(&shared.join("fifo.pem"), uid);
    let their_link = link_of(&shared.join("link.pem"), &own_ca, uid);
    let wide = dir_of(&sb.path().join("wide"), 0, 0o777);
    let in_wide = file_of(&wide.join("ca.pem"), 0, 0o644, &front.ca_pem);
    let cases = [
        ("theirs", &their_ca, "belongs to another user"),
        ("fifo", &fifo, "is a FIFO (named pipe), not a regular file"),
        ("link", &their_link, "link another user made"),
        ("wide", &in_wide, "can be changed by other users"),
    ];
    for (name, path, says) in cases {
        sb.add_profile(name, &url, &["--ca-file", path.to_str().expect("utf-8")]);
        let run = run_within(&sb, sb.command(&["token", name]), name);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        run.says(&["cannot use the CA file", says]);
        let doctor = run_within(&sb, sb.command(&["doctor", name]), name);
        assert!(
            doctor.stdout.contains(says),
            "{name}: doctor says {}",
            doctor.stdout
        );
    }
    assert_eq!(
        srv.token_requests(),
        0,
        "no request on a connection they vouched for"
    );
    sb.add_profile("own", &url, &["--ca-file", own_ca.to_str().expect("utf-8")]);
    let run = run_within(&sb, sb.command(&["token", "own"]), "own CA");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn serve_with(sb: &Sandbox, extra: &[&str], what: &str) -> Run {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    run_within(sb, sb.command(&args), what)
}

#[test]
fn serve_log_that_is_not_the_users_private_file_is_refused_and_never_appended_to() {
    let Some(uid) = attacker_uid() else { return };
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("p1", &srv.token_url(), &[]);
    let shared = dir_of(&sb.path().join("shared"), 0, 0o1777);
    let theirs = file_of(&shared.join("theirs.log"), uid, 0o666, "theirs\n");
    let fifo = fifo_of(&shared.join("fifo.log"), uid);
    let mine = file_of(&sb.path().join("mine.log"), 0, 0o600, "mine\n");
    let link = link_of(&shared.join("link.log"), &mine, uid);
    let readable = file_of(&sb.path().join("readable.log"), 0, 0o644, "readable\n");
    // A second name for our own file (where fs.protected_hardlinks is off,
    // anyone can make one): the writes would land in a file they chose.
    let second_name = shared.join("second-name.log");
    std::fs::hard_link(&mine, &second_name).expect("hard link");
    let their_dir = dir_of(&sb.path().join("their-dir"), uid, 0o777);
    let cases = [
        ("theirs", theirs.clone(), "belongs to another user"),
        ("fifo", fifo, "is a FIFO (named pipe), not a regular file"),
        ("link", link, "is a symbolic link"),
        ("readable", readable.clone(), "can be read by other users"),
        ("hard link", second_name, "has 2 names (hard links)"),
        (
            "in their dir",
            their_dir.join("serve.log"),
            "belongs to another user",
        ),
    ];
    for (what, path, says) in cases {
        let run = serve_with(&sb, &["--log", path.to_str().expect("utf-8")], what);
        assert_ne!(run.code, 0, "{what}: {}", run.stderr);
        run.says(&[says]);
    }
    assert_eq!(std::fs::read_to_string(&theirs).expect("read"), "theirs\n");
    assert_eq!(std::fs::read_to_string(&mine).expect("read"), "mine\n");
    assert_eq!(std::fs::read_to_string(&readable).expect("read"), "readable\n");
    assert!(
        !their_dir.join("serve.log").exists(),
        "nothing made in their directory"
    );
}

#[test]
fn serve_credentials_of_another_user_or_in_their_directory_are_refused_untouched() {
    let Some(uid) = attacker_uid() else { return };
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("p1", &srv.token_url(), &[]);
    let shared = dir_of(&sb.path().join("shared"), 0, 0o1777);
    // Looks like ours (the marker line), but theirs: a client that reads it
    // would send its requests where they say.
    let forged = "# wktui serve: local client credentials for http://127.0.0.1:1/oauth2/token\nWORKIVA_CLIENT_SECRET=wktui_theirs\n";
    let theirs = file_of(&shared.join("serve.env"), uid, 0o600, forged);
    let fifo = fifo_of(&shared.join("fifo.env"), uid);
    let mine = file_of(&sb.path().join("mine.env"), 0, 0o600, forged);
    let link = link_of(&shared.join("link.env"), &mine, uid);
    let their_dir = dir_of(&sb.path().join("their-dir"), uid, 0o755);
    let cases = [
        ("theirs", theirs.clone(), "belongs to another user"),
        ("fifo", fifo, "is not a wktui credentials file"),
        ("link", link, "is not a wktui credentials file"),
        (
            "in their dir",
            their_dir.join("serve.env"),
            "belongs to another user",
        ),
    ];
    for (what, path, says) in cases {
        let run = serve_with(&sb, &["--credentials", path.to_str().expect("utf-8")], what);
        assert_ne!(run.code, 0, "{what}: {}", run.stderr);
        run.says(&[says, "nothing was written to it"]);
    }
    assert_eq!(std::fs::read_to_string(&theirs).expect("read"), forged);
    assert_eq!(std::fs::read_to_string(&mine).expect("read"), forged);
    assert_eq!(
        std::fs::read_dir(&their_dir).expect("dir").count(),
        0,
        "nothing made there"
    );
}

#[test]
fn the_log_wktui_log_fills_is_only_ever_the_users_private_file() {
    let Some(uid) = attacker_uid() else { return };
    let srv = server();
    let mut sb = Sandbox::new();
    sb.write_config(&plain_config(&srv.token_url()));
    sb.set_env("WKTUI_LOG", "debug");
    let log = sb.log_path();
    let run = run_within(&sb, sb.command(&["token", "p1"]), "first run");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::metadata(&log).expect("the log").len() > 0);
    let elsewhere = file_of(&sb.path().join("elsewhere"), 0, 0o600, "elsewhere\n");
    type Plant = fn(&Path, u32, &Path);
    let cases: [(&str, Plant, &str); 3] = [
        (
            "theirs",
            |log, uid, _| {
                file_of(log, uid, 0o600, "theirs\n");
            },
            "belongs to another user",
        ),
        (
            "fifo",
            |log, uid, _| {
                fifo_of(log, uid);
            },
            "is a FIFO (named pipe), not a regular file",
        ),
        (
            "link",
            |log, uid, target| {
                link_of(log, target, uid);
            },
            "is a symbolic link",
        ),
    ];
    for (what, plant, says) in cases {
        std::fs::remove_file(&log).expect("rm log");
        plant(&log, uid, &elsewhere);
        let run = run_within(&sb, sb.command(&["token", "p1"]), what);
        assert_eq!(
            run.code, 0,
            "{what}: a log that cannot be written never stops a command: {}",
            run.stderr
        );
        if what == "theirs" {
            assert_eq!(
                std::fs::read_to_string(&log).expect("read"),
                "theirs\n",
                "appended to theirs"
            );
        }
        let doctor = run_within(&sb, sb.command(&["doctor"]), what);
        assert!(
            doctor.stdout.contains("nothing is logged") && doctor.stdout.contains(says),
            "{what}: {}",
            doctor.stdout
        );
    }
    assert_eq!(std::fs::read_to_string(&elsewhere).expect("read"), "elsewhere\n");
}

/// `wktui ARGS` with the config at `config`, run to its end (or reported hung).
fn with_config(sb: &Sandbox, config: &Path, args: &[&str], what: &str) -> Run {
    let mut cmd = sb.command(args);
    cmd.env("WKTUI_CONFIG", config).env(SECRET_VAR, "s");
    run_within(sb, cmd, what)
}

const ADD: &[&str] = &[
    "profile",
    "add",
    "p2",
    "--client-id",
    "c",
    "--secret-env",
    SECRET_VAR,
];

#[test]
fn the_edit_lock_beside_a_config_in_a_sticky_dir_is_never_another_users_fifo_link_or_file() {
    let Some(uid) = attacker_uid() else { return };
    let sb = Sandbox::new();
    let shared = dir_of(&sb.path().join("shared"), 0, 0o1777);
    let mine = dir_of(&sb.path().join("mine"), 0, 0o700);
    let planted = mine.join("planted");
    fifo_of(&shared.join(".fifo.toml.lock"), uid);
    link_of(&shared.join(".link.toml.lock"), &planted, uid);
    file_of(&shared.join(".theirs.toml.lock"), uid, 0o644, "");
    let cases = [
        ("fifo", "is a FIFO (named pipe)"),
        ("link", "is a symbolic link"),
        ("theirs", "belongs to another user"),
    ];
    for (name, says) in cases {
        let config = shared.join(format!("{name}.toml"));
        // Before: a FIFO held `profile add` forever, a link made the victim's file.
        let run = with_config(&sb, &config, ADD, name);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        run.says(&[&format!(".{name}.toml.lock"), says, "remove it"]);
        assert!(!config.exists(), "{name}: nothing saved");
    }
    assert!(!planted.exists(), "never made through their link");
    // The user's own config beside them works, and its lock is the user's private file.
    let config = shared.join("ok.toml");
    let run = with_config(&sb, &config, ADD, "ok");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lock = std::fs::symlink_metadata(shared.join(".ok.toml.lock")).expect("lock made");
    assert!(lock.is_file());
    assert_eq!(lock.permissions().mode() & 0o777, 0o600);
    // A lock left 0644 by an older wktui is still the user's own: kept working.
    chmod(&shared.join(".ok.toml.lock"), 0o644);
    let run = with_config(&sb, &config, &["profile", "remove", "p2", "--yes"], "old lock");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_change_never_writes_through_a_link_that_loading_refuses() {
    let Some(uid) = attacker_uid() else { return };
    let mut sb = Sandbox::new();
    let shared = dir_of(&sb.path().join("shared"), 0, 0o1777);
    let mine = dir_of(&sb.path().join("mine"), 0, 0o700);
    // Valid TOML (a comment), so that a profile change would load it too.
    let notes_text = "# my notes\n";
    let notes = file_of(&mine.join("notes.txt"), 0, 0o600, notes_text);
    let theirs = link_of(&shared.join("vcfg.toml"), &notes, uid);
    let script = sb.path().join("editor.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '[[profile]]\\nname = \"e\"\\nclient_id = \"c\"\\n' > \"$1\"\n",
    )
    .expect("editor");
    sb.set_env("EDITOR", &format!("sh {}", script.display()));
    let list = with_config(&sb, &theirs, &["list"], "list");
    assert_eq!(list.code, 2, "{}", list.stderr);
    list.says(&["link another user made"]);
    for (what, args) in [
        ("config edit", &["config", "edit"][..]),
        ("profile add", ADD),
        ("profile remove", &["profile", "remove", "p2", "--yes"][..]),
    ] {
        let run = with_config(&sb, &theirs, args, what);
        assert_ne!(run.code, 0, "{what}: {}", run.stderr);
        run.says(&["link another user made"]);
        assert_eq!(
            std::fs::read_to_string(&notes).expect("notes"),
            notes_text,
            "{what}: their link was written through"
        );
    }
    assert!(
        std::fs::symlink_metadata(&theirs).expect("link").is_symlink(),
        "left as it is"
    );
    // The user's own link is followed, and stays a link.
    let own = sb.path().join("own.toml");
    symlink(&notes, &own).expect("symlink");
    let run = with_config(&sb, &own, &["config", "edit"], "own link");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::read_to_string(&notes)
            .expect("notes")
            .contains("name = \"e\"")
    );
    assert!(std::fs::symlink_metadata(&own).expect("link").is_symlink());
}
