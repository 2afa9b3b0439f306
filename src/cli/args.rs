//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "wktui",
    version,
    about = "Bearer tokens for the Workiva APIs: a terminal UI, and a fast `wktui token` for scripts",
    long_about = None,
    after_help = "With no command, wktui opens the interactive interface.\n\n\
                  Example:\n  \
                  curl -H \"$(wktui token prod --format header)\" -H \"X-Version: 2026-01-01\" \\\n       \
                  https://api.app.wdesk.com/permissions"
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
    /// Copy a valid token to the clipboard (the desktop one is cleared after clipboard_clear_after)
    Copy(CopyArgs),
    /// Try the interface against a built-in token server on 127.0.0.1 (no account needed)
    // The demo never reads a config file: its own hidden `config` keeps the
    // global --config out of its help.
    #[command(arg(clap::Arg::new("config").long("config").hide(true)))]
    Demo,
    /// Check a profile's token against the API (GET /permissions): exit 0 accepted, 1 refused
    Verify {
        /// Profile name
        name: String,
    },
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
