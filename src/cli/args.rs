//! The command line, as clap sees it.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCompleter;

use super::candidates::profile_names;
use crate::model::API_VERSION;

/// Exit codes, for `--help` and the man page (one text for both).
macro_rules! exit_codes {
    () => {
        "Exit codes: 0 success; 1 a runtime failure (network, the server refused, keyring,\n\
         a failed doctor check); 2 bad usage or a bad config file; 130 interrupted (Ctrl-C);\n\
         143 terminated (SIGTERM); 129 hung up (SIGHUP)."
    };
}
pub const EXIT_CODES: &str = exit_codes!();

#[derive(Parser, Debug)]
#[command(
    name = "wktui",
    version,
    about = "Bearer tokens for the Workiva APIs: a terminal UI, and a fast `wktui token` for scripts",
    long_about = None,
    after_help = concat!(
        "With no command, wktui opens the interactive interface.\n\n\
         Example (the token reaches curl on its stdin, not on its command line):\n  \
         wktui token prod --format header |\n    \
         curl -H @- -H \"X-Version: 2026-01-01\" https://api.app.wdesk.com/permissions\n\n",
        exit_codes!()
    )
)]
pub struct Cli {
    /// Config file [default: $WKTUI_CONFIG, else the platform config dir]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Print nothing but results and errors (no progress or confirmations)
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// What to write to the log file, in RUST_LOG syntax: error, warn, info, debug,
    /// trace, or e.g. "wktui::fetcher=trace" [default: $WKTUI_LOG, else warn]
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Add, list, show, edit, rename, remove, export and import profiles (one per Workiva API grant)
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Print a valid access token for a profile (cached while it has time left)
    Token(TokenArgs),
    /// Show every profile with its token's state
    List(ListArgs),
    /// Fetch new tokens, concurrently
    Refresh(RefreshArgs),
    /// Copy a valid token to the clipboard (the desktop one is cleared after clipboard_clear_after)
    Copy(CopyArgs),
    /// Try the interface against a built-in token server on 127.0.0.1 (no account needed)
    // The demo never reads a config file: its own hidden `config` keeps the
    // global --config out of its help.
    #[command(arg(clap::Arg::new("config").long("config").hide(true)))]
    Demo,
    /// Check a profile's token against the API (GET /permissions): exit 0 accepted, 1 refused
    Verify {
        /// Profile name [default: $WKTUI_PROFILE, else default_profile in the config]
        #[arg(add = ArgValueCompleter::new(profile_names))]
        name: Option<String>,
    },
    /// Check this machine: config, keyring, clipboard, cache, and for each profile
    /// DNS, TLS, the token endpoint and the clock: exit 0 all pass, 1 otherwise
    Doctor(DoctorArgs),
    /// Where the config file is, and a safe way to edit it
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script (profile names complete from the config)
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the man page (roff) on stdout: `wktui man | man -l -`
    Man,
    /// Run a command with the profile's token, and a private token endpoint that renews it
    Exec(ExecArgs),
    /// Print shell lines that export the profile's token variables: eval "$(wktui env prod)"
    Env(EnvArgs),
    /// Serve tokens to any OAuth2 client on 127.0.0.1, in Workiva's format, with a local secret
    Serve(ServeArgs),
    /// Serves a copied token on the clipboard (internal: started by copy)
    #[command(name = "__clipboard-serve", hide = true)]
    ClipboardServe {
        /// Seconds until the clipboard is cleared (0: never)
        clear_after: String,
    },
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// Profile name [default: $WKTUI_PROFILE, else default_profile in the config]
    #[arg(add = ArgValueCompleter::new(profile_names))]
    pub name: Option<String>,
    /// Copy with an OSC 52 escape through the terminal (works over SSH and in tmux)
    #[arg(long)]
    pub osc52: bool,
}

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Add a profile; asks for the client secret (or reads one line from stdin)
    Add(Box<AddArgs>),
    /// List the configured profiles
    List(ProfileListArgs),
    /// Show a profile: every field but the secret, and where the secret lives
    Show {
        /// Profile name [default: $WKTUI_PROFILE, else default_profile in the config]
        #[arg(add = ArgValueCompleter::new(profile_names))]
        name: Option<String>,
        /// text: one field per line; json: stable fields
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// Change some fields of a profile; the others stay, and so do the comments around it
    Edit(Box<EditArgs>),
    /// Rename a profile: its config entry, keyring entry and cached token move together
    Rename {
        /// The profile's current name
        #[arg(add = ArgValueCompleter::new(profile_names))]
        old: String,
        /// Its new name: letters, digits, '-', '_', '.'
        new: String,
    },
    /// Remove a profile, its keyring entry and its cached token; asks first
    /// on a terminal (a keyring secret cannot be recovered), else needs --yes
    Remove {
        /// Profile name
        #[arg(add = ArgValueCompleter::new(profile_names))]
        name: String,
        /// Remove without asking (needed without a terminal)
        #[arg(long, short)]
        yes: bool,
    },
    /// Replace the client secret stored in the keyring for a profile
    SetSecret {
        /// Profile name
        #[arg(add = ArgValueCompleter::new(profile_names))]
        name: String,
    },
    /// Print profiles as [[profile]] tables to give to a colleague: never a secret
    Export(ExportArgs),
    /// Add the profiles of a file from `profile export`; asks for each keyring secret
    Import(ImportArgs),
}

/// Onboarding a colleague, for the help of both `export` and `import`.
macro_rules! onboarding {
    () => {
        "Onboarding a colleague:\n  \
         you:        wktui profile export prod staging > workiva.toml\n  \
         colleague:  wktui profile import workiva.toml\n\
         The import asks, hidden, for the client secret of each profile kept in the keyring.\n\
         In a script (or with FILE -), name a variable that holds it instead:\n  \
         wktui profile import workiva.toml --secret-env prod=PROD_SECRET\n\
         No secret is exported. A secret_env (a variable's name) is exported as it is; a\n\
         secret_command is not: it may hold secret material, names things on your machine and\n\
         would run on your colleague's. That profile keeps its secret in the keyring there, and\n\
         an import file that names a secret_command is refused."
    };
}

#[derive(Args, Debug)]
#[command(after_help = concat!(
    "The output is TOML: a header comment, then one [[profile]] per profile, in the config\n\
     file's format (it can be pasted into a config with `wktui config edit`).\n\n",
    onboarding!()
))]
pub struct ExportArgs {
    /// Profiles to export [default: all]
    #[arg(add = ArgValueCompleter::new(profile_names))]
    pub names: Vec<String>,
}

#[derive(Args, Debug)]
#[command(after_help = concat!(
    "The file is checked as the config file is (its line and field are named when wrong), and\n\
     nothing is added when a profile's name is already configured, unless --skip-existing.\n\n",
    onboarding!()
))]
pub struct ImportArgs {
    /// The file `wktui profile export` wrote; - reads it from stdin
    #[arg(value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub file: PathBuf,
    /// Leave out the file's profiles whose names are already configured (they stay as they are)
    #[arg(long)]
    pub skip_existing: bool,
    /// Take keyring secrets from environment variable VAR instead of asking; PROFILE=VAR for
    /// one profile (repeat the flag). The value is read from the environment, never argv
    #[arg(long, value_name = "[PROFILE=]VAR")]
    pub secret_env: Vec<String>,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// Profile name: letters, digits, '-', '_', '.'
    pub name: String,
    /// Workiva region [default: us]
    #[arg(long, value_parser = ["us", "eu", "apac"], conflicts_with = "token_url")]
    pub region: Option<String>,
    /// A custom token URL (https; plain http only to this machine)
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// Client id of the API grant
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    /// Space-separated scopes to request, e.g. "file:read file:write"
    #[arg(long)]
    pub scope: Option<String>,
    /// Token API version
    #[arg(long, value_parser = [API_VERSION, "2022-01-01"], default_value = API_VERSION)]
    pub api_version: String,
    /// How to send the client credentials: in the form body, or HTTP Basic
    #[arg(long, value_parser = ["body", "basic"], default_value = "body")]
    pub client_auth: String,
    /// Read the secret from this environment variable instead of the keyring
    #[arg(long, value_name = "VAR", conflicts_with = "secret_command")]
    pub secret_env: Option<String>,
    /// Run this command and use its output as the secret instead of the keyring
    #[arg(long, value_name = "CMD")]
    pub secret_command: Option<String>,
    /// An extra CA bundle (PEM) to trust for this profile
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// Keep a --token-url that has no path (refused otherwise: it is probably a base URL)
    #[arg(long, requires = "token_url")]
    pub force: bool,
    /// The grant's expiry date (YYYY-MM-DD): warnings start 14 days before
    #[arg(long, value_name = "DATE")]
    pub grant_expires: Option<String>,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Profile name [default: $WKTUI_PROFILE, else default_profile in the config]
    #[arg(add = ArgValueCompleter::new(profile_names))]
    pub name: Option<String>,
    /// Always fetch a new token
    #[arg(long)]
    pub refresh: bool,
    /// Fetch a new token if fewer than this many seconds are left [default: refresh_margin, 60]
    #[arg(long, value_name = "SECONDS")]
    pub min_ttl: Option<u64>,
    /// bare: the token; header: "Authorization: Bearer <token>"; json: the fields plus expires_at
    #[arg(long, value_enum, default_value_t = TokenFormat::Bare)]
    pub format: TokenFormat,
    /// Ask for only some of the profile's scopes, e.g. "file:read" (cached apart from the full token)
    #[arg(long, value_name = "SCOPES")]
    pub scope: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenFormat {
    Bare,
    Header,
    Json,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Args, Debug)]
pub struct FormatArg {
    /// table: aligned columns; plain: tab-separated, no header; json: stable fields
    /// [default: table on a terminal, plain when piped]
    #[arg(long, value_enum)]
    pub format: Option<ListFormat>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Table,
    Plain,
    Json,
}

#[derive(Args, Debug)]
pub struct RefreshArgs {
    /// Profiles to refresh [default: those expiring, expired or without a token]
    #[arg(add = ArgValueCompleter::new(profile_names))]
    pub names: Vec<String>,
    /// Refresh every profile
    #[arg(long, conflicts_with = "names")]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct ProfileListArgs {
    #[command(flatten)]
    pub format: FormatArg,
    /// Only the names, one per line (for completion scripts)
    #[arg(long, hide = true, conflicts_with = "format")]
    pub names: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct EditArgs {
    /// Profile name
    #[arg(add = ArgValueCompleter::new(profile_names))]
    pub name: String,
    /// Workiva region (replaces a token URL)
    #[arg(long, value_parser = ["us", "eu", "apac"], conflicts_with = "token_url")]
    pub region: Option<String>,
    /// A custom token URL (replaces the region; https, plain http only to this machine)
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// Client id of the API grant
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Space-separated scopes to request; "" asks for the grant's default
    #[arg(long)]
    pub scope: Option<String>,
    /// Token API version
    #[arg(long, value_parser = [API_VERSION, "2022-01-01"])]
    pub api_version: Option<String>,
    /// How to send the client credentials: in the form body, or HTTP Basic
    #[arg(long, value_parser = ["body", "basic"])]
    pub client_auth: Option<String>,
    /// Read the secret from this environment variable (the keyring entry is removed)
    #[arg(long, value_name = "VAR", conflicts_with_all = ["secret_command", "keyring"])]
    pub secret_env: Option<String>,
    /// Use this command's output as the secret (the keyring entry is removed)
    #[arg(long, value_name = "CMD", conflicts_with = "keyring")]
    pub secret_command: Option<String>,
    /// Keep the secret in the OS keyring; asks for it (or reads one line from stdin)
    #[arg(long)]
    pub keyring: bool,
    /// An extra CA bundle (PEM) to trust for this profile
    #[arg(long, value_name = "PATH", conflicts_with = "no_ca_file")]
    pub ca_file: Option<PathBuf>,
    /// Stop trusting the profile's extra CA bundle
    #[arg(long)]
    pub no_ca_file: bool,
    /// Keep a --token-url that has no path (refused otherwise: it is probably a base URL)
    #[arg(long, requires = "token_url")]
    pub force: bool,
    /// The grant's expiry date (YYYY-MM-DD); "" forgets it
    #[arg(long, value_name = "DATE")]
    pub grant_expires: Option<String>,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Check only this profile [default: every profile]
    #[arg(add = ArgValueCompleter::new(profile_names))]
    pub name: Option<String>,
    /// text: one line per check; json: stable fields
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the config file's path (whether or not it exists yet)
    Path,
    /// Edit the config in $VISUAL or $EDITOR; saved only when it is valid
    Edit,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

impl CompletionShell {
    pub fn name(self) -> &'static str {
        match self {
            CompletionShell::Bash => "bash",
            CompletionShell::Zsh => "zsh",
            CompletionShell::Fish => "fish",
            CompletionShell::Powershell => "powershell",
            CompletionShell::Elvish => "elvish",
        }
    }
}

#[derive(Args, Debug)]
#[command(
    after_help = "The command gets WORKIVA_TOKEN, WORKIVA_TOKEN_EXPIRES_AT (RFC 3339), WORKIVA_API_URL and \
WORKIVA_PROFILE; with the endpoint also WORKIVA_TOKEN_URL, WORKIVA_CLIENT_ID and WORKIVA_CLIENT_SECRET, \
credentials made for this run that only work against that endpoint while the command runs.\n\
Example: wktui exec prod -- python sync.py"
)]
pub struct ExecArgs {
    /// Profile name [default: $WKTUI_PROFILE, else default_profile in the config]
    #[arg(add = ArgValueCompleter::new(profile_names))]
    pub name: Option<String>,
    /// The token handed over has at least this many seconds left [default: refresh_margin, 60]
    #[arg(long, value_name = "SECONDS")]
    pub min_ttl: Option<u64>,
    /// No token endpoint: only the token variables (they do not renew)
    #[arg(long)]
    pub no_server: bool,
    /// Allow running inside the `wktui exec` of another profile
    #[arg(long)]
    pub allow_nested: bool,
    /// The command and its arguments, after --
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Args, Debug)]
pub struct EnvArgs {
    /// Profile name [default: $WKTUI_PROFILE, else default_profile in the config]
    #[arg(add = ArgValueCompleter::new(profile_names))]
    pub name: Option<String>,
    /// The syntax of the lines [default: powershell on Windows, else sh]
    #[arg(long, value_enum, default_value_t = Shell::typed_here(), hide_default_value = true)]
    pub shell: Shell,
    /// The token printed has at least this many seconds left [default: refresh_margin, 60]
    #[arg(long, value_name = "SECONDS")]
    pub min_ttl: Option<u64>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Sh,
    Fish,
    Powershell,
}

impl Shell {
    /// The shell people type into on this system.
    pub fn typed_here() -> Shell {
        if crate::platform::process::TYPED_SHELL_IS_POWERSHELL {
            Shell::Powershell
        } else {
            Shell::Sh
        }
    }
}

#[derive(Args, Debug)]
#[command(
    after_help = "Clients ask with grant_type=client_credentials, the profile name as client id and the \
local secret from the credentials file, in the body or with HTTP Basic. The local secret is new \
on every start: clients read the credentials file again after serve restarts.\n\n\
The credentials file, unless --credentials names one, is serve.env in the token cache directory \
(serve prints its path when it starts): $WKTUI_CACHE_DIR, else $XDG_RUNTIME_DIR/wktui, else \
~/.cache/wktui/tokens ($XDG_CACHE_HOME) on Linux; ~/Library/Caches/wktui/tokens on macOS; \
%LOCALAPPDATA%\\wktui\\cache\\tokens on Windows.\n\n\
Example, with the secret on curl's stdin, not on its command line (printf is a shell builtin):\n  \
set -a; . PATH/TO/serve.env; set +a\n  \
printf 'user = \"prod:%s\"\\n' \"$WORKIVA_CLIENT_SECRET\" |\n    \
curl -K - -d grant_type=client_credentials \"$WORKIVA_TOKEN_URL\""
)]
pub struct ServeArgs {
    /// Profiles to serve [default: all]
    #[arg(add = ArgValueCompleter::new(profile_names))]
    pub names: Vec<String>,
    /// Address and port on the loopback interface (port 0 picks a free one)
    #[arg(long, value_name = "IP:PORT", default_value = crate::serve::DEFAULT_LISTEN)]
    pub listen: String,
    /// Where to write the local client secret [default: serve.env in the token cache dir, below]
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// Append the request log to this file instead of stderr
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}
