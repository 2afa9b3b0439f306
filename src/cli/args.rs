//! The command line, as clap sees it.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "wktui",
    version,
    about = "Bearer tokens for the Workiva APIs: a terminal UI, and a fast `wktui token` for scripts",
    long_about = None,
    after_help = "With no command, wktui opens the interactive interface.\n\
                  Example: curl -H \"$(wktui token prod --format header)\" -H \"X-Version: 2026-01-01\" \\\n                           https://api.app.wdesk.com/permissions"
)]
pub struct Cli {
    /// Config file [default: $WKTUI_CONFIG, else the platform config dir]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Add, list and remove profiles (one per Workiva API grant)
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Print a valid access token for a profile (cached while it has time left)
    Token(TokenArgs),
    /// Show every profile with its token's state
    List(ListArgs),
    /// Fetch new tokens, concurrently
    Refresh(RefreshArgs),
    /// Copy a valid token to the clipboard (cleared after clipboard_clear_after)
    Copy(CopyArgs),
    /// Try the interface against a built-in token server on 127.0.0.1 (no account needed)
    Demo,
    /// Check a profile's token against the API (GET /permissions): exit 0 accepted, 1 refused
    Verify {
        /// Profile name
        name: String,
    },
    /// Run a command with the profile's token, and a private token endpoint that renews it
    Exec(ExecArgs),
    /// Print shell lines that export the profile's token variables: eval "$(wktui env prod)"
    Env(EnvArgs),
    /// Serve tokens to any OAuth2 client on 127.0.0.1, in Workiva's format, with a local secret
    Serve(ServeArgs),
    /// Runs the Workiva-format token server on 127.0.0.1 (for benchmarks):
    /// prints its base URL, serves until stdin closes
    #[command(name = "__token-server", hide = true)]
    TokenServer {
        /// A server config in TOML (see assets/demo-server.toml)
        config: PathBuf,
    },
    /// Serves a copied token on the clipboard (internal: started by copy)
    #[command(name = "__clipboard-serve", hide = true)]
    ClipboardServe {
        /// Seconds until the clipboard is cleared (0: never)
        clear_after: String,
    },
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// Profile name
    pub name: String,
    /// Copy with an OSC 52 escape through the terminal (works over SSH and in tmux)
    #[arg(long)]
    pub osc52: bool,
}

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Add a profile; asks for the client secret (or reads one line from stdin)
    Add(Box<AddArgs>),
    /// List the configured profiles
    List(FormatArg),
    /// Remove a profile, its keyring entry and its cached token
    Remove {
        /// Profile name
        name: String,
    },
    /// Replace the client secret stored in the keyring for a profile
    SetSecret {
        /// Profile name
        name: String,
    },
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
    #[arg(long, value_parser = ["2026-01-01", "2022-01-01"], default_value = "2026-01-01")]
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
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Profile name
    pub name: String,
    /// Always fetch a new token
    #[arg(long)]
    pub refresh: bool,
    /// Fetch a new token if fewer than this many seconds are left [default: refresh_margin, 60]
    #[arg(long, value_name = "SECONDS")]
    pub min_ttl: Option<u64>,
    /// bare: the token; header: "Authorization: Bearer <token>"; json: the fields plus expires_at
    #[arg(long, value_enum, default_value_t = TokenFormat::Bare)]
    pub format: TokenFormat,
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
    pub names: Vec<String>,
    /// Refresh every profile
    #[arg(long, conflicts_with = "names")]
    pub all: bool,
}

#[derive(Args, Debug)]
#[command(
    after_help = "The command gets WORKIVA_TOKEN, WORKIVA_TOKEN_EXPIRES_AT (RFC 3339), WORKIVA_API_URL and \
WORKIVA_PROFILE; with the endpoint also WORKIVA_TOKEN_URL, WORKIVA_CLIENT_ID and WORKIVA_CLIENT_SECRET, \
credentials made for this run that only work against that endpoint while the command runs.\n\
Example: wktui exec prod -- python sync.py"
)]
pub struct ExecArgs {
    /// Profile name
    pub name: String,
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
    /// Profile name
    pub name: String,
    /// The syntax of the lines
    #[arg(long, value_enum, default_value_t = Shell::Sh)]
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

#[derive(Args, Debug)]
#[command(
    after_help = "Clients ask with grant_type=client_credentials, the profile name as client id and the \
local secret from the credentials file, in the body or with HTTP Basic.\n\
Example: curl -d grant_type=client_credentials -u \"prod:$WORKIVA_CLIENT_SECRET\" http://127.0.0.1:8250/oauth2/token"
)]
pub struct ServeArgs {
    /// Profiles to serve [default: all]
    pub names: Vec<String>,
    /// Address and port on the loopback interface (port 0 picks a free one)
    #[arg(long, value_name = "IP:PORT", default_value = crate::serve::DEFAULT_LISTEN)]
    pub listen: String,
    /// Where to write the local client secret [default: serve.env in the cache dir]
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// Append the request log to this file instead of stderr
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}
