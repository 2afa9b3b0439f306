use std::path::Path;

use super::*;
use crate::config::parse;

/// Every kind of value a profile and the settings can hold.
const VARIED: &str = r#"
# a comment
[settings]
refresh_margin = 90
fetch_timeout = 12
concurrency = 7
clipboard_clear_after = 0
clipboard = "osc52"
auto_refresh = true
ca_file = "/etc/ssl/corp root.pem"
default_profile = "mid.dle_1-x"

[[profile]]
name = "zeta"
region = "eu"
client_id = " spaced "
scope = "  file:read   file:write "
api_version = "2022-01-01"
client_auth = "basic"
grant_expires = "2027-03-31"

[[profile]]
name = "alpha"
token_url = "http://127.0.0.1:9/oauth2/token"
client_id = "a"
secret_env = "ALPHA_SECRET"
ca_file = ""

[[profile]]
name = "env"
region = "apac"
base_url = "https://proxy.example.com/"
client_id = "e"
secret_command = "pass show 'workiva/env' | head -1"

[[profile]]
name = "mid.dle_1-x"
client_id = "m"
scope = ""
secret_env = "ALPHA_SECRET"
"#;

/// Far after any file's change time: every stamp counts as settled.
fn later() -> SystemTime {
    SystemTime::now() + Duration::from_secs(3600)
}

struct Fixture {
    _dir: tempfile::TempDir,
    cache: PathBuf,
    path: PathBuf,
    stamp: FileStamp,
    config: Config,
}

fn fixture(text: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write");
    let cache = dir.path().join("cache");
    let config = parse(text, &path).expect("valid");
    let stamp = FileStamp::of_path(&path).expect("stamp");
    write_at(&cache, &path, stamp, &config, later());
    Fixture {
        _dir: dir,
        cache,
        path,
        stamp,
        config,
    }
}

fn many(count: usize) -> String {
    let mut text = String::from("[settings]\nconcurrency = 4\n");
    // Not in name order: the file's order must come back as it was.
    for i in (0..count).rev() {
        text.push_str(&format!(
            "\n[[profile]]\nname = \"p{i:05}\"\ntoken_url = \"http://127.0.0.1:{}/oauth2/token\"\nclient_id = \"c{i}\"\nsecret_env = \"VAR_{}\"\n",
            1000 + i % 7,
            i % 3
        ));
    }
    text
}

fn index_dir(f: &Fixture) -> PathBuf {
    key_dir(&f.cache, &f.path).expect("key dir")
}

#[test]
fn every_profile_comes_back_as_the_file_says_in_the_file_order() {
    let f = fixture(VARIED);
    let all = read_all(&f.cache, &f.path, f.stamp).expect("indexed");
    assert_eq!(all.config, f.config);
    assert!(!all.partial);
    assert_eq!(
        all.secret_variables,
        SecretVariables::Known(vec!["ALPHA_SECRET".into()])
    );

    let big = fixture(&many(700));
    assert!(shard_count(700) > 1);
    let all = read_all(&big.cache, &big.path, big.stamp).expect("indexed");
    assert_eq!(all.config, big.config);
    assert_eq!(
        all.secret_variables,
        SecretVariables::Known(["VAR_0", "VAR_1", "VAR_2"].map(String::from).to_vec())
    );
}

#[test]
fn the_default_profile_is_found_without_a_name() {
    let f = fixture(VARIED);
    let one = read_one(&f.cache, &f.path, f.stamp, None).expect("indexed");
    assert_eq!(
        one.config.settings.default_profile.as_deref(),
        Some("mid.dle_1-x")
    );
    assert_eq!(one.config.profiles[0].name, "mid.dle_1-x");
    // No default in the file: nothing to read one of.
    let plain = fixture(&many(3));
    assert!(read_one(&plain.cache, &plain.path, plain.stamp, None).is_none());
}

#[test]
fn one_profile_comes_with_the_settings_and_the_env_profile_of_the_file() {
    let f = fixture(VARIED);
    for name in ["zeta", "alpha", "mid.dle_1-x"] {
        let one = read_one(&f.cache, &f.path, f.stamp, Some(name)).expect("indexed");
        assert!(one.partial);
        assert_eq!(one.config.settings, f.config.settings);
        let names: Vec<&str> = one.config.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, [name, "env"], "the file's env profile comes along");
        assert_eq!(&one.config.profiles[0], f.config.profile(name).expect("in file"));
        assert_eq!(&one.config.profiles[1], f.config.profile("env").expect("in file"));
    }
    let env = read_one(&f.cache, &f.path, f.stamp, Some("env")).expect("indexed");
    assert_eq!(env.config.profiles.len(), 1);
    assert!(read_one(&f.cache, &f.path, f.stamp, Some("missing")).is_none());

    let big = fixture(&many(700));
    let one = read_one(&big.cache, &big.path, big.stamp, Some("p00123")).expect("indexed");
    assert_eq!(
        one.config.profiles,
        [big.config.profile("p00123").expect("in file").clone()]
    );
}

#[test]
fn another_stamp_or_another_path_finds_nothing() {
    let f = fixture(VARIED);
    let mut stamp = f.stamp;
    stamp.len += 1;
    assert!(read_all(&f.cache, &f.path, stamp).is_none());
    assert!(read_one(&f.cache, &f.path, stamp, Some("zeta")).is_none());
    let mut stamp = f.stamp;
    stamp.changed_ns += 1;
    assert!(read_all(&f.cache, &f.path, stamp).is_none());
    assert!(read_all(&f.cache, Path::new("/elsewhere/config.toml"), f.stamp).is_none());
}

#[test]
fn a_file_changed_within_the_last_second_is_not_indexed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, VARIED).expect("write");
    let cache = dir.path().join("cache");
    let config = parse(VARIED, &path).expect("valid");
    let stamp = FileStamp::of_path(&path).expect("stamp");
    write(&cache, &path, stamp, &config);
    assert!(
        read_all(&cache, &path, stamp).is_none(),
        "just written: not settled"
    );
    write_at(&cache, &path, stamp, &config, later());
    assert!(read_all(&cache, &path, stamp).is_some());
}

/// Rewrites `file` in `f`'s index through `change`, keeping it private.
fn tamper(f: &Fixture, file: &str, change: impl Fn(&str) -> String) {
    let path = index_dir(f).join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::remove_file(&path).expect("rm");
    let changed = change(&text);
    write_atomically(&path, changed.as_bytes(), Durability::Cache).expect("write");
}

#[test]
fn a_damaged_or_planted_index_is_not_believed() {
    // (what, in the shard of this profile or in `main`, text replaced, by what)
    let cases: [(&str, Option<&str>, &str, &str); 9] = [
        (
            "a plain-http URL to another host",
            Some("alpha"),
            "http://127.0.0.1:9",
            "http://evil.example",
        ),
        (
            "a record cut short",
            Some("alpha"),
            "\t=ALPHA_SECRET\t-\t=\t-",
            "\t=ALPHA_SECRET\t-\t=",
        ),
        (
            "a name with a control character",
            Some("zeta"),
            "=zeta",
            "=ze\u{1b}ta",
        ),
        (
            "a shard of another generation",
            Some("zeta"),
            "generation ",
            "generation f",
        ),
        (
            "settings out of range",
            None,
            "settings\t90\t12\t7",
            "settings\t90\t12\t0",
        ),
        (
            "a hash of the secret variables that is none",
            None,
            "secret-variables ",
            "secret-variables x",
        ),
        ("a count that does not match", None, "profiles 4", "profiles 5"),
        ("garbage", None, "wktui-config-index 4", "\u{0}\u{1}garbage"),
        (
            "a grant expiry that is no day",
            Some("zeta"),
            "=2027-03-31",
            "=2027-02-30",
        ),
    ];
    for (what, shard_of_profile, from, to) in cases {
        let f = fixture(VARIED);
        let file = match shard_of_profile {
            Some(name) => {
                let main = read_main(&index_dir(&f), f.stamp).expect("main");
                format!("shard-{}", shard_of(name, main.shards))
            }
            None => "main".to_owned(),
        };
        tamper(&f, &file, |text| {
            assert!(text.contains(from), "{what}: {from:?} in {text}");
            text.replacen(from, to, 1)
        });
        assert!(
            read_all(&f.cache, &f.path, f.stamp).is_none(),
            "{what}: read_all believed it"
        );
        for name in ["alpha", "zeta"] {
            let one = read_one(&f.cache, &f.path, f.stamp, Some(name));
            assert!(
                one.is_none_or(|o| o
                    .config
                    .profiles
                    .iter()
                    .all(|p| f.config.profile(&p.name).ok() == Some(p))),
                "{what}: read_one believed it"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn index_files_others_can_write_or_too_large_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let f = fixture(VARIED);
    let main = index_dir(&f).join("main");
    std::fs::set_permissions(&main, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    assert!(read_all(&f.cache, &f.path, f.stamp).is_none());
    std::fs::set_permissions(&main, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    assert!(read_all(&f.cache, &f.path, f.stamp).is_some());
    std::fs::set_permissions(index_dir(&f), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert!(
        read_all(&f.cache, &f.path, f.stamp).is_none(),
        "a directory others can enter"
    );
    std::fs::set_permissions(index_dir(&f), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    tamper(&f, "main", |t| {
        format!("{t}{}", "x".repeat(MAX_MAIN_BYTES as usize))
    });
    assert!(read_all(&f.cache, &f.path, f.stamp).is_none());
}

#[test]
fn a_smaller_index_leaves_no_shard_behind() {
    let f = fixture(&many(700));
    let dir = index_dir(&f);
    let shards = |dir: &Path| {
        std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("shard-"))
            .count()
    };
    assert_eq!(shards(&dir), shard_count(700));
    let small = parse(VARIED, &f.path).expect("valid");
    write_at(&f.cache, &f.path, f.stamp, &small, later());
    assert_eq!(shards(&dir), 1);
}

#[test]
fn a_profile_that_cannot_be_written_as_a_record_leaves_no_index() {
    let f = fixture(VARIED);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = f.config.clone();
    config.profiles[0].secret_source = SecretSource::Memory;
    write_at(dir.path(), &f.path, f.stamp, &config, later());
    assert!(read_all(dir.path(), &f.path, f.stamp).is_none());
}

fn resolve(found: FromIndex) -> Option<Vec<String>> {
    found.secret_variables.resolve()
}

#[test]
fn one_profile_is_read_without_the_secret_variables_which_come_when_asked() {
    let f = fixture(&many(700));
    let variables = index_dir(&f).join("variables");
    let names = std::fs::read(&variables).expect("written");
    std::fs::remove_file(&variables).expect("remove");
    // `token NAME` does not need them...
    let one = read_one(&f.cache, &f.path, f.stamp, Some("p00042")).expect("indexed without them");
    assert!(matches!(one.secret_variables, SecretVariables::Indexed { .. }));
    std::fs::write(&variables, names).expect("restore");
    // ...and a child about to start gets them from the index.
    let one = read_one(&f.cache, &f.path, f.stamp, Some("p00042")).expect("indexed");
    assert_eq!(
        resolve(one),
        Some(["VAR_0", "VAR_1", "VAR_2"].map(String::from).to_vec())
    );
}

#[test]
fn secret_variables_that_do_not_check_out_are_read_from_the_file_or_not_at_all() {
    let f = fixture(VARIED);
    let variables = index_dir(&f).join("variables");
    let expected = Some(vec!["ALPHA_SECRET".to_owned()]);
    for tampered in [
        "wktui-config-variables 1\n".to_owned(),
        "wktui-config-variables 1\nOTHER\n".to_owned(),
        "wktui-config-variables 1\nALPHA_SECRET\nEXTRA\n".to_owned(),
        "garbage".to_owned(),
        "x".repeat(100),
    ] {
        std::fs::write(&variables, &tampered).expect("tamper");
        let one = read_one(&f.cache, &f.path, f.stamp, Some("alpha")).expect("indexed");
        assert_eq!(resolve(one), expected, "{tampered:?}: the file is read instead");
    }
    // The file changed since, and broken now: the names cannot be known.
    let one = read_one(&f.cache, &f.path, f.stamp, Some("alpha")).expect("indexed");
    std::fs::write(&f.path, "[[profile]\nbroken").expect("break");
    assert_eq!(resolve(one), None);
}

#[test]
fn an_index_whose_names_disagree_with_its_profiles_is_not_read_whole() {
    let f = fixture(VARIED);
    let main = index_dir(&f).join("main");
    let text = std::fs::read_to_string(&main).expect("main");
    let line = text
        .lines()
        .find(|l| l.starts_with("secret-variables "))
        .expect("the hash of the names");
    std::fs::write(&main, text.replace(line, "secret-variables 0000000000000000")).expect("tamper");
    assert!(read_all(&f.cache, &f.path, f.stamp).is_none());
}
