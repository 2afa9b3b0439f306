//! Another local user, and files that are not what they seem. Run as root
//! (CI is), a second account made with `useradd` plants token files and
//! directories where wktui looks for its cache; wktui must not believe any
//! of them, must never chmod them, and must not hang or eat memory on
//! FIFOs, links to devices or huge files.

// A second account made with `useradd`, Unix modes, FIFOs and device nodes (Linux).
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::system::second_user;
use crate::common::{CLIENT_ID, SECRET_VAR, Sandbox, server};

const PLANTED: &str = "wk.PLANTEDbyTheAttacker";

/// The second user's uid (see `crate::common::system::second_user`).
fn attacker_uid() -> Option<u32> {
    second_user("local attacker tests", &[])
}

/// What the attacker would plant: a well-formed entry for profile `p1` of
/// the test server, with the attacker's token.
fn planted_entry(sb: &Sandbox, token_url: &str) -> String {
    // Let wktui write a genuine entry, then swap in the attacker's token.
    sb.run(&["token", "p1"]).ok();
    let genuine = std::fs::read_to_string(sb.cache_dir().join("p1.json")).expect("entry");
    let mut entry: serde_json::Value = serde_json::from_str(&genuine).expect("json");
    entry["access_token"] = PLANTED.into();
    let _ = token_url;
    std::fs::remove_dir_all(sb.cache_dir()).expect("clean cache");
    entry.to_string()
}

/// Puts something where the cache file should be.
type Planter<'a> = Box<dyn Fn(&Path) + 'a>;

fn plant(dir: &Path, uid: u32, mode: u32, entry: &str) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::os::unix::fs::chown(dir, Some(uid), Some(uid)).expect("chown dir");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).expect("chmod dir");
    let file = dir.join("p1.json");
    std::fs::write(&file, entry).expect("plant");
    std::os::unix::fs::chown(&file, Some(uid), Some(uid)).expect("chown file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod file");
}

fn sandbox_with_profile() -> (Sandbox, wktui_test_support::TokenServer) {
    let srv = server();
    let sb = Sandbox::new();
    sb.write_config(&format!(
        "[[profile]]\nname = \"p1\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n",
        srv.token_url()
    ));
    (sb, srv)
}

#[test]
fn without_runtime_or_home_dir_nothing_is_read_from_the_shared_temp_dir() {
    let Some(uid) = attacker_uid() else { return };
    let (mut sb, srv) = sandbox_with_profile();
    let entry = planted_entry(&sb, &srv.token_url());
    // Where a careless tool would look: a per-user name in the shared temp dir.
    let tmp = sb.path().join("shared-tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777)).expect("sticky");
    for name in ["wktui-root", "wktui-user", "wktui"] {
        plant(&tmp.join(name), uid, 0o777, &entry);
    }
    let config = sb.config_path();
    sb.env.push(("TMPDIR".into(), tmp.display().to_string()));
    sb.env.push(("WKTUI_CONFIG".into(), config.display().to_string()));
    // A service account: no runtime dir, and a home directory that cannot be
    // used (here a file, so that even root cannot create it).
    let no_home = sb.path().join("no-home");
    std::fs::write(&no_home, "").expect("file");
    let mut command = sb.command(&["token", "p1"]);
    command
        .env("HOME", &no_home)
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("XDG_CACHE_HOME");
    let run = sb.checked(command.output().expect("run"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains(PLANTED), "printed the attacker's token");
    assert!(run.stdout.starts_with("wk."), "{}", run.stdout);
    assert!(
        run.stderr.contains("could not be cached"),
        "says why: {}",
        run.stderr
    );
    assert_eq!(
        srv.token_requests(),
        2,
        "asked the server (once for the genuine entry, once now)"
    );
    for name in ["wktui-root", "wktui-user", "wktui"] {
        let planted = std::fs::read_to_string(tmp.join(name).join("p1.json")).expect("planted");
        assert!(
            planted.contains(PLANTED),
            "nothing of ours in the shared temp dir"
        );
        assert_eq!(std::fs::read_dir(tmp.join(name)).expect("dir").count(), 1);
    }
}

#[test]
fn a_cache_dir_of_another_user_is_refused_untouched() {
    let Some(uid) = attacker_uid() else { return };
    let (mut sb, srv) = sandbox_with_profile();
    let entry = planted_entry(&sb, &srv.token_url());
    let theirs = sb.path().join("theirs");
    plant(&theirs, uid, 0o777, &entry);
    sb.env
        .push(("WKTUI_CACHE_DIR".into(), theirs.display().to_string()));
    let run = sb.run(&["token", "p1"]).ok();
    assert!(!run.stdout.contains(PLANTED));
    assert!(run.stderr.contains("belongs to another user"), "{}", run.stderr);
    let meta = std::fs::metadata(&theirs).expect("meta");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o777, "never chmod-ed");
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), uid);
    let planted = std::fs::read_to_string(theirs.join("p1.json")).expect("still there");
    assert!(planted.contains(PLANTED), "nothing of ours was written there");
    // list shows no token from there either, and says why.
    let run = sb.run(&["list", "--format", "json"]).ok();
    assert!(!run.stdout.contains(PLANTED));
    assert!(run.stdout.contains("\"state\":\"none\""), "{}", run.stdout);
    assert!(
        run.stderr.contains("cached tokens cannot be read") && run.stderr.contains("belongs to another user"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_file_of_another_user_in_our_cache_dir_is_not_believed_and_is_replaced() {
    let Some(uid) = attacker_uid() else { return };
    let (sb, srv) = sandbox_with_profile();
    let entry = planted_entry(&sb, &srv.token_url());
    sb.run(&["token", "p1"]).ok();
    let file = sb.cache_dir().join("p1.json");
    std::fs::write(&file, &entry).expect("plant");
    std::os::unix::fs::chown(&file, Some(uid), Some(uid)).expect("chown");
    let run = sb.run(&["token", "p1"]).ok();
    assert!(!run.stdout.contains(PLANTED));
    assert_eq!(srv.token_requests(), 3);
    let meta = std::fs::metadata(&file).expect("meta");
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta),
        0,
        "replaced by our own"
    );
}

#[test]
fn fifos_device_links_huge_files_and_impossible_times_are_misses_not_hazards() {
    let Some(_) = attacker_uid() else { return };
    let (sb, srv) = sandbox_with_profile();
    let entry = planted_entry(&sb, &srv.token_url());
    let value: serde_json::Value = serde_json::from_str(&entry).expect("json");
    sb.run(&["token", "p1"]).ok();
    let file = sb.cache_dir().join("p1.json");
    let mut requests = srv.token_requests();
    let mut variants: Vec<(&str, Planter)> = vec![
        (
            "fifo",
            Box::new(|f: &Path| {
                rustix::fs::mknodat(
                    rustix::fs::CWD,
                    f,
                    rustix::fs::FileType::Fifo,
                    rustix::fs::Mode::from_raw_mode(0o600),
                    0,
                )
                .expect("mkfifo");
            }),
        ),
        (
            "link to /dev/zero",
            Box::new(|f: &Path| std::os::unix::fs::symlink("/dev/zero", f).expect("ln")),
        ),
        (
            "huge",
            Box::new(|f: &Path| {
                let file = std::fs::File::create(f).expect("create");
                file.set_len(1 << 30).expect("sparse 1 GiB");
            }),
        ),
        (
            "readable by others",
            Box::new(|f: &Path| {
                std::fs::write(f, entry.as_bytes()).expect("write");
                std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            }),
        ),
    ];
    for (field, bad) in [
        ("expires_in", 1_000_000_000_000u64),
        ("obtained_at_ms", 4_000_000_000_000),
    ] {
        let mut v = value.clone();
        v[field] = bad.into();
        let text = v.to_string();
        variants.push((
            field,
            Box::new(move |f: &Path| {
                std::fs::write(f, text.as_bytes()).expect("write");
                std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600)).expect("chmod");
            }),
        ));
    }
    for (what, make) in variants {
        let _ = std::fs::remove_file(&file);
        make(&file);
        for args in [&["list", "--format", "json"][..], &["token", "p1"]] {
            let started = Instant::now();
            let run = sb.run(args).ok();
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{what}: {args:?} hung"
            );
            assert!(
                !run.stdout.contains(PLANTED),
                "{what}: believed the planted token"
            );
        }
        requests += 1;
        assert_eq!(srv.token_requests(), requests, "{what}: fetched anew instead");
    }
}
