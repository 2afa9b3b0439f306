//! A fleet of profiles: the config index in the cache dir gives `token NAME`
//! one profile and `list` every profile without parsing the file, and gives
//! exactly what the file says; a broken, changed or tampered-with file or
//! index is never hidden behind it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::system::{Tmux, tools_present};
use crate::common::{CLIENT_ID, SECRET, SECRET_VAR, Sandbox, server, server_with};
use wktui_test_support::{ClientGrant, ServerConfig};

/// A file changed less than a second ago is not indexed: wait that long.
fn settle() {
    std::thread::sleep(Duration::from_millis(1100));
}

/// `count` profiles `p00000`..., all of the test client at `url`; profile
/// `i`'s `client_id` is on line `8 + 6 i`.
fn fleet(count: usize, url: &str) -> String {
    let mut text = String::from("# a fleet\n[settings]\nrefresh_margin = 30\n");
    for i in 0..count {
        text.push_str(&format!(
            "\n[[profile]]\nname = \"p{i:05}\"\ntoken_url = \"{url}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n"
        ));
    }
    text
}

fn log_text(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.log_path()).unwrap_or_default()
}

/// Runs `args` with debug logging; says whether the config came from its index.
fn from_index(sb: &Sandbox, args: &[&str]) -> (crate::common::Run, bool) {
    let _ = std::fs::remove_file(sb.log_path());
    let mut all = vec!["--log-level", "debug"];
    all.extend_from_slice(args);
    let run = sb.run(&all);
    (run, log_text(sb).contains("config from its index"))
}

fn index_files(sb: &Sandbox) -> Vec<PathBuf> {
    crate::common::walk(&sb.cache_dir().join("config-index"))
}

/// A sandbox with `count` profiles, settled and indexed by a first `list`.
fn indexed_fleet(count: usize, url: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.write_config(&fleet(count, url));
    settle();
    sb.run(&["list"]).ok();
    assert!(!index_files(&sb).is_empty(), "the first load wrote the index");
    sb
}

#[test]
fn the_index_gives_exactly_what_the_whole_file_gives() {
    let srv = server();
    let sb = indexed_fleet(300, &srv.token_url());
    let (token, used) = from_index(&sb, &["token", "p00150"]);
    let token = token.ok().stdout;
    assert!(used, "token NAME read its profile from the index");
    assert!(token.starts_with("wk."), "{token}");
    let (cached, used) = from_index(&sb, &["token", "p00150"]);
    assert!(used);
    assert_eq!(
        cached.ok().stdout,
        token,
        "the cached token, found for the same profile"
    );

    let (listed, used) = from_index(&sb, &["list", "--format", "json"]);
    assert!(used, "list read every profile from the index");
    let (shown, _) = from_index(&sb, &["profile", "show", "p00299"]);
    std::fs::remove_dir_all(sb.cache_dir().join("config-index")).expect("drop the index");
    let (listed_whole, used) = from_index(&sb, &["list", "--format", "json"]);
    assert!(!used, "without an index the file is parsed");
    assert_eq!(listed.ok().stdout, listed_whole.ok().stdout);
    let (shown_whole, _) = from_index(&sb, &["profile", "show", "p00299"]);
    assert_eq!(shown.ok().stdout, shown_whole.ok().stdout);
    assert_eq!(srv.token_requests(), 1);
}

#[test]
fn a_broken_file_is_reported_with_its_line_by_every_command_although_indexed() {
    let srv = server();
    let sb = indexed_fleet(300, &srv.token_url());
    let path = sb.config_path();
    let good = std::fs::read_to_string(&path).expect("read");
    let line = 8 + 6 * 150;
    // In place, the same size: only the file's times and change time differ.
    let broken = good.replacen(
        &format!(
            "name = \"p00150\"\ntoken_url = \"{}\"\nclient_id",
            srv.token_url()
        ),
        &format!(
            "name = \"p00150\"\ntoken_url = \"{}\"\nclient_iX",
            srv.token_url()
        ),
        1,
    );
    assert_eq!(broken.len(), good.len());
    std::fs::write(&path, &broken).expect("break in place");
    let at = format!("{}:{line}:", path.display());
    for args in [
        &["token", "p00001"][..],
        &["token", "p00150"],
        &["token", "p00299"],
        &["list"],
        &["refresh", "p00002"],
        &["profile", "show", "p00003"],
    ] {
        // The broken profile fails; the others work, and warn of it.
        let code = if args.contains(&"p00150") { 2 } else { 0 };
        let run = sb.run(args).fails_with(code);
        run.says(&[&at, "client_iX"]);
    }
    // Broken at the end, after a settle: still reported, never indexed.
    std::fs::write(&path, format!("{good}\n[[profile]]\nname = \"late\"\n")).expect("append");
    settle();
    for _ in 0..2 {
        sb.run(&["token", "p00001"])
            .ok()
            .says(&[&format!("{}:", path.display()), "client_id"]);
        sb.run(&["token", "late"])
            .fails_with(2)
            .says(&[&format!("{}:", path.display()), "client_id"]);
    }
}

/// Replaces every file of the index through `change(path, text)`.
fn tamper_index(sb: &Sandbox, change: impl Fn(&Path, &str)) {
    for file in index_files(sb) {
        let text = std::fs::read_to_string(&file).expect("read index");
        change(&file, &text);
    }
}

/// Writes `text` over `path` with `mode` (on Unix; the default access elsewhere).
fn write_private(path: &Path, text: &str, mode: u32) {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, text).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = mode;
}

/// Something done to an indexed sandbox.
type Tamper = Box<dyn Fn(&Sandbox)>;

/// What a believed tampered index would say: another client, which the server refuses.
fn planted(text: &str) -> String {
    text.replace(&format!("\t={CLIENT_ID}\t"), "\t=planted-client\t")
}

/// Tamperings that need Unix modes and symbolic links.
#[cfg(unix)]
fn unix_tamperings() -> Vec<(&'static str, Tamper)> {
    vec![
        (
            "written by another hand: others may write it",
            Box::new(|sb| tamper_index(sb, |file, text| write_private(file, &planted(text), 0o666))),
        ),
        (
            "a link to elsewhere",
            Box::new(|sb| {
                tamper_index(sb, |file, text| {
                    let elsewhere = file.with_extension("elsewhere");
                    write_private(&elsewhere, &planted(text), 0o600);
                    std::fs::remove_file(file).expect("rm");
                    std::os::unix::fs::symlink(&elsewhere, file).expect("symlink");
                })
            }),
        ),
    ]
}

#[cfg(not(unix))]
fn unix_tamperings() -> Vec<(&'static str, Tamper)> {
    Vec::new()
}

#[test]
fn an_index_that_is_stale_planted_too_large_or_corrupt_is_not_believed() {
    let mut cases = unix_tamperings();
    cases.extend::<[(&str, Tamper); 3]>([
        (
            "too large",
            Box::new(|sb| {
                tamper_index(sb, |file, text| {
                    write_private(file, &format!("{}{}", planted(text), " ".repeat(9 << 20)), 0o600)
                })
            }),
        ),
        (
            "corrupt",
            Box::new(|sb| {
                tamper_index(sb, |file, text| {
                    write_private(file, &text.replace('\t', " "), 0o600)
                })
            }),
        ),
        (
            "stale: the file changed since",
            Box::new(|sb| {
                let text = std::fs::read_to_string(sb.config_path()).expect("read");
                sb.write_config(&text.replace(&format!("\"{CLIENT_ID}\""), "\"file-client\""));
            }),
        ),
    ]);
    for (what, tamper) in cases {
        let srv = if what.starts_with("stale") {
            server_with(ServerConfig {
                clients: vec![ClientGrant::new("file-client", SECRET)],
                ..ServerConfig::default()
            })
        } else {
            server()
        };
        let sb = indexed_fleet(120, &srv.token_url());
        tamper(&sb);
        let (run, used) = from_index(&sb, &["token", "p00042", "--refresh"]);
        assert!(!used, "{what}: the index was believed");
        let token = run.ok().stdout;
        assert!(token.starts_with("wk."), "{what}: {token}");
        // The full load wrote a new index, which the next command reads; but
        // not of a file changed within the second.
        let (listed, used) = from_index(&sb, &["list", "--format", "json"]);
        assert_eq!(
            used,
            !what.starts_with("stale"),
            "{what}: the index was written again"
        );
        let listed = listed.ok().stdout;
        assert!(listed.contains("p00042") && !listed.contains("planted"), "{what}");
    }
}

#[test]
fn the_env_profile_and_the_hidden_variables_are_the_same_on_the_fast_path() {
    // A file that has a profile named env, and the environment defining one.
    let srv = server();
    let mut text = fleet(100, &srv.token_url());
    text.push_str(&format!(
        "\n[[profile]]\nname = \"env\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n",
        srv.token_url()
    ));
    let mut sb = Sandbox::new();
    sb.write_config(&text);
    sb.set_env("WORKIVA_CLIENT_ID", "from-the-environment");
    sb.set_env("WORKIVA_CLIENT_SECRET", "environment-secret");
    settle();
    sb.run(&["list"]).ok();
    let (run, used) = from_index(&sb, &["token", "p00007"]);
    assert!(used);
    run.ok().says(&["the config file has a profile named \"env\""]);

    // A secret command sees none of the file's secret variables, though the
    // fast path read only its own profile: it would print the wrong one.
    let grant = "command-secret";
    let srv = server_with(ServerConfig {
        clients: vec![ClientGrant::new("by-command", grant)],
        ..ServerConfig::default()
    });
    let mut text = fleet(100, &srv.token_url());
    text.push_str(&format!(
        "\n[[profile]]\nname = \"cmd\"\ntoken_url = \"{}\"\nclient_id = \"by-command\"\nsecret_command = \"printf %s \\\"${{{SECRET_VAR}:-{grant}}}\\\"\"\n",
        srv.token_url()
    ));
    let sb = Sandbox::new();
    sb.write_config(&text);
    settle();
    sb.run(&["list"]).ok();
    let (run, used) = from_index(&sb, &["token", "cmd"]);
    assert!(used);
    assert!(run.ok().stdout.starts_with("wk."));
}

#[test]
fn a_named_config_that_does_not_exist_is_still_an_error() {
    let srv = server();
    let sb = indexed_fleet(10, &srv.token_url());
    let missing = sb.path().join("nope.toml");
    sb.run(&["--config", missing.to_str().expect("utf-8"), "token", "p00001"])
        .fails_with(2)
        .says(&["does not exist"]);
    let unknown = sb.run(&["token", "p99999"]).fails_with(2);
    unknown.says(&["no profile named \"p99999\"", "p00000, p00001"]);
}

/// The row of `name` in the list, as drawn.
fn row_of<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|line| line.contains(&format!(" {name} ")))
}

#[test]
fn the_interface_with_ten_thousand_profiles_takes_the_tokens_scripts_store() {
    if !tools_present("fleet interface test", &["tmux"]) {
        return;
    }
    const WAIT: Duration = Duration::from_secs(30);
    let srv = server();
    let sb = indexed_fleet(10_000, &srv.token_url());
    let tmux = Tmux::start(120, 36, &[env!("CARGO_BIN_EXE_wktui")], &sb.env_list());
    let (shown, screen) = tmux.wait_for_text("q quit", WAIT);
    assert!(shown && screen.contains("10000"), "{screen}");
    assert!(
        row_of(&screen, "p00001").is_some_and(|row| row.contains("○")),
        "{screen}"
    );

    // A script fetches the token of a row on screen...
    sb.run(&["token", "p00001"]).ok();
    let mut screen = String::new();
    let taken = crate::common::system::wait_for(WAIT, || {
        screen = tmux.screen();
        row_of(&screen, "p00001").is_some_and(|row| row.contains("●"))
    });
    assert!(taken, "the row shows the script's token:\n{screen}");
    // ...and of one far off it, found with the filter.
    sb.run(&["token", "p07321"]).ok();
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "p07321"]);
    tmux.keys(&["Enter"]);
    let (valid, screen) = tmux.wait_for_text("● valid", WAIT);
    assert!(valid && screen.contains("p07321"), "{screen}");
    assert_eq!(srv.token_requests(), 2, "the interface took the scripts' tokens");
    tmux.keys(&["q"]);
}

/// The `list --format json` entry of `name`.
fn listed(sb: &Sandbox, name: &str) -> serde_json::Value {
    let out = sb.run(&["list", "--format", "json"]).ok().stdout;
    let all: Vec<serde_json::Value> = serde_json::from_str(&out).expect("json");
    all.into_iter()
        .find(|entry| entry["name"] == name)
        .expect("listed")
}

fn summary_key(sb: &Sandbox) -> String {
    let text = std::fs::read_to_string(sb.cache_dir().join("summary").join("tokens")).expect("summary");
    text.lines().nth(1).expect("key line").to_owned()
}

#[test]
fn list_reads_one_summary_of_the_tokens_and_sees_every_change_at_once() {
    let srv = server();
    let sb = indexed_fleet(200, &srv.token_url());
    sb.run(&["token", "p00007"]).ok();
    assert_eq!(listed(&sb, "p00007")["state"], "valid");
    assert_eq!(listed(&sb, "p00008")["state"], "none");
    settle();
    sb.run(&["list"]).ok();
    assert_ne!(summary_key(&sb), "-", "keyed to the settled cache directory");
    let before = listed(&sb, "p00007");

    // A token stored by a script, one replaced, one forgotten, a file
    // damaged: each is seen by the very next list.
    sb.run(&["token", "p00150"]).ok();
    assert_eq!(listed(&sb, "p00150")["state"], "valid");
    std::thread::sleep(Duration::from_millis(1100));
    sb.run(&["token", "--refresh", "p00007"]).ok();
    let after = listed(&sb, "p00007");
    assert_ne!(
        after["expires_at"], before["expires_at"],
        "the new token's expiry"
    );
    sb.run(&["token", "p00009"]).ok();
    let dir = sb.cache_dir();
    std::fs::write(dir.join(".damaged"), b"{\"version\": 1}").expect("write");
    std::fs::rename(dir.join(".damaged"), dir.join("p00009.json")).expect("rename");
    assert_eq!(listed(&sb, "p00009")["state"], "none");
    sb.run(&["profile", "remove", "p00150", "--yes"]).ok();
    let out = sb.run(&["list", "--format", "json"]).ok().stdout;
    assert!(!out.contains("p00150"), "{out}");

    // What the summary says is what the token files say.
    settle();
    let from_summary = sb.run(&["list", "--format", "json"]).ok().stdout;
    assert_ne!(summary_key(&sb), "-");
    std::fs::remove_file(dir.join("summary").join("tokens")).expect("rm");
    let from_files = sb.run(&["list", "--format", "json"]).ok().stdout;
    let strip = |text: &str| -> Vec<serde_json::Value> {
        let mut all: Vec<serde_json::Value> = serde_json::from_str(text).expect("json");
        for entry in &mut all {
            entry["seconds_left"] = serde_json::Value::Null;
        }
        all
    };
    assert_eq!(strip(&from_summary), strip(&from_files));
    assert_eq!(srv.token_requests(), 4, "list never asks the server");
}

/// `count` profiles that each read their secret from a variable of their
/// own, `WKTUI_TEST_SECRET_<i>`, and one from the sandbox's own variable.
fn fleet_of_variables(count: usize, url: &str) -> String {
    let mut text = format!(
        "[[profile]]\nname = \"sandbox\"\ntoken_url = \"{url}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n"
    );
    for i in 0..count {
        text.push_str(&format!(
            "\n[[profile]]\nname = \"p{i:05}\"\ntoken_url = \"{url}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"WKTUI_TEST_SECRET_{i}\"\n"
        ));
    }
    text
}

/// The child of `exec p00000`, with the profiles' variables all set, sees
/// none of them: the names come from the index only when a child starts.
fn exec_child_environment(sb: &mut Sandbox, count: usize) -> String {
    for i in 0..count {
        sb.set_env(&format!("WKTUI_TEST_SECRET_{i}"), SECRET);
    }
    // Each prints the environment as NAME=value lines.
    let lister: &[&str] = if cfg!(windows) {
        &["cmd", "/c", "set"]
    } else {
        &["sh", "-c", "env"]
    };
    let args = [&["exec", "p00000", "--no-server", "--"][..], lister].concat();
    let (run, indexed) = from_index(sb, &args);
    assert!(indexed, "the profile came from the index");
    run.ok().stdout
}

#[test]
fn a_child_inherits_no_secret_variable_named_by_an_indexed_config() {
    let srv = server();
    let mut sb = Sandbox::new();
    sb.write_config(&fleet_of_variables(300, &srv.token_url()));
    settle();
    sb.run(&["list"]).ok();
    let variables = sb.cache_dir().join("config-index");
    let variables = crate::common::walk(&variables)
        .into_iter()
        .find(|p| p.ends_with("variables"))
        .expect("the index keeps the names in a file of their own");
    let main = std::fs::read_to_string(variables.with_file_name("main")).expect("main");
    assert!(
        !main.contains("WKTUI_TEST_SECRET_"),
        "`token NAME` reads `main`: it must not hold the 300 names"
    );

    let env = exec_child_environment(&mut sb, 300);
    assert!(!env.contains("WKTUI_TEST_SECRET_"), "{env}");

    // A variables file that does not check out: the file is read whole for them.
    std::fs::write(&variables, "wktui-config-variables 1\nWKTUI_TEST_SECRET_0\n").expect("tamper");
    let env = exec_child_environment(&mut sb, 300);
    assert!(!env.contains("WKTUI_TEST_SECRET_"), "{env}");
}
