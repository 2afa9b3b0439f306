//! Fitting the shell: completion scripts that complete profile names from
//! the config (run in a real bash, and fish or zsh where installed), and the
//! man page rendered by `man -l`.

use crate::common::Sandbox;
// The shells and `man` these tests drive are Unix programs.
#[cfg(unix)]
use {
    crate::common::system::{on_path, tools_present},
    clap::CommandFactory,
    std::path::Path,
    std::process::Command,
};

fn sandbox_with_profiles() -> Sandbox {
    let sb = Sandbox::new();
    sb.write_config(
        "[[profile]]\nname = \"prod\"\nclient_id = \"a\"\n\n[[profile]]\nname = \"staging\"\nregion = \"eu\"\nclient_id = \"b\"\n",
    );
    sb
}

/// A shell command run with the sandbox's environment and wktui on PATH.
#[cfg(unix)]
fn shell(sb: &Sandbox, program: &str, script: &str) -> std::process::Output {
    let exe_dir = Path::new(env!("CARGO_BIN_EXE_wktui")).parent().expect("bin dir");
    let path = format!(
        "{}:{}",
        exe_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(program)
        .arg("-c")
        .arg(script)
        .env_clear()
        .envs(sb.env_list())
        .env("PATH", path)
        .output()
        .expect("run the shell")
}

#[test]
fn every_shell_gets_a_script_that_calls_wktui_back() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = sb.run(&["completions", shell]).ok();
        assert!(run.stdout.contains("WKTUI_COMPLETE"), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("wktui"), "{shell}: {}", run.stdout);
    }
    sb.run(&["completions", "tcsh"]).fails_with(2);
}

#[cfg(unix)]
#[test]
fn bash_completes_commands_and_profile_names_from_the_config() {
    if !tools_present("bash completion test", &["bash"]) {
        return;
    }
    let sb = sandbox_with_profiles();
    let complete = |words: &str| {
        let script = format!(
            r#"source <(wktui completions bash)
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_TYPE=9
_clap_complete_wktui wktui "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#
        );
        let out = shell(&sb, "bash", &script);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut words: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_owned())
            // An empty word is also offered the options; the names are what matter here.
            .filter(|l| !l.is_empty() && !l.starts_with('-'))
            .collect();
        words.sort();
        words
    };
    assert_eq!(complete(r#"wktui token """#), ["prod", "staging"]);
    assert_eq!(complete(r#"wktui profile rename st"#), ["staging"]);
    assert_eq!(complete(r#"wktui doctor p"#), ["prod"]);
    let commands = complete(r#"wktui pro"#);
    assert_eq!(commands, ["profile"]);
    let profile_commands = complete(r#"wktui profile """#);
    for sub in [
        "add",
        "edit",
        "export",
        "import",
        "list",
        "remove",
        "rename",
        "set-secret",
        "show",
    ] {
        assert!(
            profile_commands.iter().any(|c| c == sub),
            "{sub} in {profile_commands:?}"
        );
    }
    // Another config named on the line is the one completed from.
    let other = sb.path().join("other.toml");
    std::fs::write(&other, "[[profile]]\nname = \"elsewhere\"\nclient_id = \"c\"\n").expect("write");
    assert_eq!(
        complete(&format!(r#"wktui --config {} copy """#, other.display())),
        ["elsewhere"]
    );
}

#[cfg(unix)]
#[test]
fn fish_and_zsh_accept_their_scripts() {
    let sb = sandbox_with_profiles();
    if on_path("fish") || std::env::var("WKTUI_REQUIRE_SYSTEM_TESTS").as_deref() == Ok("1") {
        assert!(tools_present("fish completion test", &["fish"]));
        let out = shell(
            &sb,
            "fish",
            "wktui completions fish | source; complete -C 'wktui token '",
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let names: Vec<&str> = stdout
            .lines()
            .map(|l| l.split('\t').next().unwrap_or(""))
            .collect();
        assert!(names.contains(&"prod") && names.contains(&"staging"), "{stdout}");
    } else {
        eprintln!("SKIPPED fish completion test: needs fish (not installed)");
    }
    if on_path("zsh") || std::env::var("WKTUI_REQUIRE_SYSTEM_TESTS").as_deref() == Ok("1") {
        assert!(tools_present("zsh completion test", &["zsh"]));
        let script = sb.path().join("wktui.zsh");
        std::fs::write(&script, sb.run(&["completions", "zsh"]).ok().stdout).expect("write");
        let out = shell(&sb, "zsh", &format!("zsh -n {}", script.display()));
        assert!(
            out.status.success(),
            "zsh: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("SKIPPED zsh completion test: needs zsh (not installed)");
    }
}

#[test]
fn profile_list_names_prints_one_name_per_line() {
    let sb = sandbox_with_profiles();
    assert_eq!(
        sb.run(&["profile", "list", "--names"]).ok().stdout,
        "prod\nstaging\n"
    );
    // Hidden from help: it is for scripts.
    let help = sb.run(&["profile", "list", "--help"]).ok().stdout;
    assert!(!help.contains("--names"), "{help}");
    let empty = Sandbox::new();
    assert_eq!(empty.run(&["profile", "list", "--names"]).ok().stdout, "");
}

#[cfg(unix)]
#[test]
fn the_man_page_renders_with_every_command_exit_codes_environment_and_files() {
    if !tools_present("man page test", &["man"]) {
        return;
    }
    let sb = Sandbox::new();
    let page = sb.path().join("wktui.1");
    std::fs::write(&page, sb.run(&["man"]).ok().stdout).expect("write");
    let out = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "120")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("run man");
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "man failed: {stderr}");
    assert!(!stderr.contains("warning"), "groff warns: {stderr}");
    for section in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "COMMANDS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
    ] {
        assert!(
            text.lines().any(|l| l.trim() == section),
            "no {section} section:\n{text}"
        );
    }
    // Every command a user can type has its own entry with its usage.
    let mut missing = Vec::new();
    for path in leaf_commands(&wktui::cli::Cli::command(), "wktui") {
        if !text.contains(&path) {
            missing.push(path);
        }
    }
    assert!(
        missing.is_empty(),
        "commands missing from the man page: {missing:?}"
    );
    for needle in [
        "terminated (SIGTERM)",
        "bad usage or a bad config file",
        "WORKIVA_CLIENT_SECRET",
        "WKTUI_LOG",
        "NO_COLOR",
        "wktui.log",
        "config.toml",
        "--secret-command <CMD>",
        "serve.env",
        "~/.cache/wktui/tokens",
        "WKTUI_EXEC",
        "SEE ALSO",
    ] {
        assert!(text.contains(needle), "the man page lacks {needle:?}");
    }
    assert!(!text.contains("__clipboard-serve") && !text.contains("__token-server"));
}

#[test]
fn help_names_the_exit_codes() {
    let sb = Sandbox::new();
    let help = sb.run(&["--help"]).ok().stdout;
    assert!(
        help.contains("Exit codes: 0 success; 1 a runtime failure"),
        "{help}"
    );
    assert!(help.contains("130 interrupted"), "{help}");
}

/// `wktui profile add`, `wktui token`...: every visible command without subcommands.
#[cfg(unix)]
fn leaf_commands(cmd: &clap::Command, path: &str) -> Vec<String> {
    let subs: Vec<_> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .collect();
    if subs.is_empty() {
        return vec![path.to_owned()];
    }
    subs.iter()
        .flat_map(|c| leaf_commands(c, &format!("{path} {}", c.get_name())))
        .collect()
}

/// A wktui called by a path with a space, a quote and a `$` (a user's
/// "My Tools" folder) writes scripts that call that same path back.
#[cfg(unix)]
#[test]
fn scripts_call_back_a_wktui_whose_path_has_spaces_and_quotes() {
    if !tools_present("completion path test", &["bash"]) {
        return;
    }
    let sb = sandbox_with_profiles();
    let dir = sb.path().join("my tools/it's $HOME");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let odd = dir.join("wktui");
    std::fs::copy(env!("CARGO_BIN_EXE_wktui"), &odd).expect("copy wktui");
    // No other wktui on PATH could answer for the odd one.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(std::env::split_paths(&path).filter(|d| !d.join("wktui").exists()))
        .expect("PATH");
    let run = |program: &str, script: &str| {
        let out = Command::new(program)
            .arg("-c")
            .arg(script)
            .env_clear()
            .envs(sb.env_list())
            .env("PATH", &path)
            .env("ODD_WKTUI", &odd)
            .output()
            .expect("run the shell");
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let bash = run(
        "bash",
        r#"source <("$ODD_WKTUI" completions bash)
COMP_WORDS=(wktui token "")
COMP_CWORD=2
COMP_TYPE=9
_clap_complete_wktui wktui "" token
printf '%s\n' "${COMPREPLY[@]}""#,
    );
    let names: Vec<&str> = bash
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('-'))
        .collect();
    assert!(
        names.contains(&"prod") && names.contains(&"staging"),
        "bash: {bash}"
    );
    if on_path("fish") || std::env::var("WKTUI_REQUIRE_SYSTEM_TESTS").as_deref() == Ok("1") {
        assert!(tools_present("completion path test in fish", &["fish"]));
        let fish = run(
            "fish",
            r#""$ODD_WKTUI" completions fish | source; complete -C 'wktui token '"#,
        );
        assert!(fish.lines().any(|l| l.starts_with("prod")), "fish: {fish}");
    } else {
        eprintln!("SKIPPED completion path test in fish: needs fish (not installed)");
    }
}
