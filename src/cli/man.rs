//! `wktui man`: one man page with every command and its options (from the
//! same clap definitions as `--help`), the exit codes, the environment and
//! the files. `wktui man > ~/.local/share/man/man1/wktui.1`.

use clap::CommandFactory;
use clap_mangen::Man;
use roff::{Roff, bold, italic, roman};

use super::args::{Cli, EXIT_CODES};
use super::{CliError, print};

/// Variables wktui reads, and what for.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("WKTUI_CONFIG", "The config file, as --config."),
    (
        "WKTUI_PROFILE",
        "The profile used when a command is given no name; wins over default_profile in [settings].",
    ),
    (
        "WKTUI_CACHE_DIR",
        "Where tokens are cached, and serve writes serve.env (default: $XDG_RUNTIME_DIR/wktui, else the user cache dir; see FILES).",
    ),
    (
        "WKTUI_LOG",
        "What the log file records, in RUST_LOG syntax (default: warn), as --log-level.",
    ),
    (
        "WORKIVA_CLIENT_ID, WORKIVA_CLIENT_SECRET",
        "Together they define the profile named env, with no config file and no keyring (for CI). The secret is read from the environment at each fetch and never written anywhere.",
    ),
    (
        "WORKIVA_REGION, WORKIVA_TOKEN_URL",
        "Where the env profile gets tokens: a region (us, eu, apac) or a token URL; us when neither is set.",
    ),
    (
        "WORKIVA_SCOPE",
        "The scopes the env profile asks for (space-separated).",
    ),
    (
        "VISUAL, EDITOR",
        "The editor `wktui config edit` opens (VISUAL first; vi when neither is set).",
    ),
    ("NO_COLOR", "When set (to anything), no colours on the terminal."),
    ("HTTPS_PROXY, NO_PROXY", "Proxies for token requests, as usual."),
    (
        "DISPLAY, WAYLAND_DISPLAY, SSH_TTY, TMUX",
        "Decide how a token is copied: the desktop clipboard, or OSC 52 through the terminal.",
    ),
    (
        "XDG_CONFIG_HOME, XDG_RUNTIME_DIR, XDG_CACHE_HOME, XDG_STATE_HOME",
        "Where the config file, the token cache and the log are on Linux (see FILES).",
    ),
    (
        "WORKIVA_TOKEN, WORKIVA_TOKEN_EXPIRES_AT, WORKIVA_API_URL, WORKIVA_PROFILE",
        "Set by wktui exec in its command's environment, and printed by wktui env: the token, its expiry (RFC 3339), the profile's API host and its name. exec also sets WORKIVA_TOKEN_URL, WORKIVA_CLIENT_ID and WORKIVA_CLIENT_SECRET: its own endpoint and local credentials, never the real secret.",
    ),
    (
        "WKTUI_EXEC",
        "Set by wktui exec to the profile name; a wktui exec of another profile inside it refuses to run unless --allow-nested.",
    ),
    (
        "WKTUI_COMPLETE",
        "Set by the completion scripts when they ask wktui for completions.",
    ),
];

/// Files wktui reads and writes (Linux paths; other platforms use their own dirs).
const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/wktui/config.toml",
        "The profiles and settings. Never holds a secret.",
    ),
    (
        "$XDG_RUNTIME_DIR/wktui/NAME.json",
        "The cached token of profile NAME: mode 0600 in a 0700 directory, the token cache directory. Without XDG_RUNTIME_DIR that is $XDG_CACHE_HOME/wktui/tokens (~/.cache/wktui/tokens); WKTUI_CACHE_DIR overrides both.",
    ),
    (
        "$XDG_RUNTIME_DIR/wktui/serve.env",
        "What wktui serve writes for its clients (unless --credentials FILE): WORKIVA_TOKEN_URL, WORKIVA_CLIENT_ID and the local WORKIVA_CLIENT_SECRET, new on every start, mode 0600. It is in the token cache directory: ~/.cache/wktui/tokens/serve.env without XDG_RUNTIME_DIR.",
    ),
    (
        "$XDG_STATE_HOME/wktui/wktui.log",
        "The log (warnings and errors unless WKTUI_LOG says more); at 1 MiB it moves to wktui.log.1.",
    ),
    (
        "OS keyring: service wktui, user NAME",
        "The client secret of profile NAME when it is kept in the keyring.",
    ),
    (
        "macOS, Windows",
        "The config file is in ~/Library/Application Support/wktui (%APPDATA%\\wktui\\config), the token cache in ~/Library/Caches/wktui/tokens (%LOCALAPPDATA%\\wktui\\cache\\tokens), the log in ~/Library/Application Support/wktui (%LOCALAPPDATA%\\wktui\\data).",
    ),
];

pub fn run() -> Result<(), CliError> {
    let page = render().map_err(|e| CliError::runtime(format!("cannot render the man page: {e}")))?;
    print(&page)
}

/// The whole page as roff.
pub fn render() -> std::io::Result<String> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = Man::new(cmd.clone()).date(env!("CARGO_PKG_VERSION"));
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;

    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in visible(&cmd) {
        commands(&mut roff, sub, &["wktui"]);
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit_codes() {
        roff.control("TP", []).text([bold(code)]).text([roman(meaning)]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, what) in ENVIRONMENT {
        roff.control("TP", []).text([bold(*name)]).text([roman(*what)]);
    }
    roff.control("SH", ["FILES"]);
    for (name, what) in FILES {
        roff.control("TP", []).text([italic(*name)]).text([roman(*what)]);
    }
    roff.control("SH", ["EXAMPLES"]);
    for (what, example) in [
        (
            "A token for curl, on its standard input (on its command line, other users could read it):",
            "wktui token prod --format header | curl -H @- -H \"X-Version: 2026-01-01\" https://api.app.wdesk.com/permissions",
        ),
        (
            "In CI, with no config and no keyring:",
            "WORKIVA_CLIENT_ID=... WORKIVA_CLIENT_SECRET=... wktui token env",
        ),
        (
            "Onboarding a colleague: export your profiles (no secret is in the file)...",
            "wktui profile export prod staging > workiva.toml",
        ),
        (
            "...and the colleague imports them, typing each keyring secret when asked:",
            "wktui profile import workiva.toml",
        ),
        (
            "A client of wktui serve, after loading serve.env into its environment (set -a; . FILE; set +a), with the secret on curl's standard input:",
            "printf 'user = \"prod:%s\"\\n' \"$WORKIVA_CLIENT_SECRET\" | curl -K - -d grant_type=client_credentials \"$WORKIVA_TOKEN_URL\"",
        ),
        (
            "Completions for bash, loaded at each start:",
            "source <(wktui completions bash)",
        ),
    ] {
        roff.text([roman(what)]);
        roff.control("RS", ["4"])
            .control("EX", [])
            .text([roman(example)])
            .control("EE", [])
            .control("RE", []);
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(
        "wktui COMMAND --help; README.md, SECURITY.md and the docs directory of wktui's source \
         repository, for the config file's fields, serve's clients and troubleshooting.",
    )]);
    roff.to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    String::from_utf8(out).map_err(std::io::Error::other)
}

/// `(code, meaning)` pairs from the text `--help` shows, so both say the same.
fn exit_codes() -> Vec<(String, String)> {
    let text = EXIT_CODES.trim_start_matches("Exit codes:").replace('\n', " ");
    text.split(';')
        .filter_map(|item| {
            let item = item.trim().trim_end_matches('.');
            let (code, meaning) = item.split_once(' ')?;
            let meaning = meaning.split_whitespace().collect::<Vec<_>>().join(" ");
            Some((code.to_owned(), meaning))
        })
        .collect()
}

/// Subcommands a user types (not hidden ones, not clap's `help`).
fn visible(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
}

/// A subsection for each command that runs something, with its usage and options.
fn commands(roff: &mut Roff, cmd: &clap::Command, parents: &[&str]) {
    let mut path = parents.to_vec();
    path.push(cmd.get_name());
    let subs: Vec<_> = visible(cmd).collect();
    if !subs.is_empty() {
        for sub in subs {
            commands(roff, sub, &path);
        }
        return;
    }
    roff.control("SS", [path.join(" ").as_str()]);
    let usage = usage_line(cmd, &path);
    roff.text([bold(usage)]);
    if let Some(about) = cmd.get_long_about().or_else(|| cmd.get_about()) {
        roff.control("PP", []).text([roman(about.to_string())]);
    }
    for arg in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set())
    {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        let mut name = match (arg.get_long(), arg.get_short()) {
            (Some(long), Some(short)) => format!("-{short}, --{long}"),
            (Some(long), None) => format!("--{long}"),
            (None, Some(short)) => format!("-{short}"),
            (None, None) => format!("<{}>", id.to_uppercase()),
        };
        if !arg.is_positional()
            && arg.get_num_args().is_some_and(|n| n.takes_values())
            && let Some(value) = arg.get_value_names().and_then(|v| v.first())
        {
            name.push_str(&format!(" <{value}>"));
        }
        roff.control("TP", []).text([bold(name)]);
        let mut help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_owned())
            .collect();
        if !values.is_empty() && arg.get_action().takes_values() {
            help.push_str(&format!(" [one of: {}]", values.join(", ")));
        }
        roff.text([roman(help)]);
    }
}

/// `wktui profile add [OPTIONS] --client-id <ID> <NAME>`, from clap's own usage text.
fn usage_line(cmd: &clap::Command, path: &[&str]) -> String {
    let mut cmd = cmd.clone().bin_name(path.join(" "));
    let usage = cmd.render_usage().to_string();
    usage.trim_start_matches("Usage:").trim().to_owned()
}
