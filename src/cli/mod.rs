//! The command-line front end: parse, call the core, print, exit with a code
//! scripts can trust (0 success, 1 runtime failure, 2 bad usage or config).

mod args;
mod candidates;
mod completions;
mod config_cmd;
mod copy;
mod doctor;
mod env;
mod exchange;
mod exec;
mod fast_args;
mod list;
mod man;
mod output;
mod profile;
mod prompt;
mod refresh;
mod serve;
mod token;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};

pub use args::Cli;
use args::Command;

use crate::cache::TokenCache;
use crate::config::default_profile::DefaultProfile;
use crate::config::{self, Config, ConfigError};
use crate::engine::{Engine, EngineError};
use crate::secrets::{KeyringStore, SecretError};
use crate::tui::TuiContext;

/// A failure to report: what went wrong, what to do, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// 0..=255, except a child's code on Windows (`exec`), which is 32 bits.
    pub code: i32,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
            hint: None,
        }
    }

    pub fn runtime(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
            hint: None,
        }
    }

    /// Exit with `code` and say nothing: the code is a child's (`exec`).
    pub fn exit_code(code: i32) -> Self {
        CliError {
            code,
            message: String::new(),
            hint: None,
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        let code = match e {
            ConfigError::Read { .. } | ConfigError::Write { .. } => 1,
            _ => 2,
        };
        let hint = matches!(
            e,
            ConfigError::Invalid { .. } | ConfigError::BrokenProfile { .. } | ConfigError::NotWhole { .. }
        )
        .then(|| "correct it with `wktui config edit` (it is saved only once it loads)".to_owned());
        CliError {
            code,
            message: e.to_string(),
            hint,
        }
    }
}

impl From<SecretError> for CliError {
    fn from(e: SecretError) -> Self {
        CliError::runtime(e.to_string())
    }
}

impl From<crate::profile_changes::ProfileError> for CliError {
    fn from(e: crate::profile_changes::ProfileError) -> Self {
        use crate::profile_changes::ProfileError;
        match e {
            ProfileError::Config(e) => e.into(),
            ProfileError::Secret(e) => e.into(),
            ProfileError::SecretRequired | ProfileError::SecretNotStored { .. } => {
                CliError::usage(e.to_string())
            }
        }
    }
}

impl From<crate::config::env_profile::EnvProfileError> for CliError {
    fn from(e: crate::config::env_profile::EnvProfileError) -> Self {
        CliError::usage(format!("the env profile: {e}"))
    }
}

impl CliError {
    /// A failure of the engine for `profile`, with the next step for that profile.
    pub fn engine(e: EngineError, profile: &crate::model::Profile) -> Self {
        let mut err = CliError::runtime(e.to_string());
        err.hint = e.hint_for(profile, crate::clock::today());
        err
    }
}

/// Everything a command needs: the config and the core.
pub struct Context {
    pub config_path: PathBuf,
    pub config: Config,
    pub engine: Arc<Engine>,
    /// `--quiet`: no progress or confirmations, only results and errors.
    pub quiet: bool,
    /// Whether `config` holds the `env` profile made from WORKIVA_* variables.
    pub env_profile: bool,
    /// The config file the user named does not exist yet and this command
    /// may create it: said once it has (see `say_what_became_of_the_file`).
    creates_named_config: bool,
}

impl Context {
    /// Loads the config. A path the user named (`--config`, `WKTUI_CONFIG`)
    /// must exist, so that a typo is not mistaken for "no profiles yet";
    /// only a command that creates the file (`profile add`) may start one.
    ///
    /// `want` says which profiles the command needs: the file is read whole
    /// unless its index in the cache dir says it is unchanged since it was
    /// last read whole (see `config::load_with_index`).
    fn load(
        explicit: Option<&std::path::Path>,
        creates_config: bool,
        want: config::Want<'_>,
    ) -> Result<Context, CliError> {
        let config_path = config::resolve_path(explicit)?;
        let mut creates_named_config = false;
        if let Some(from) = explicit_config_source(explicit)
            && matches!(config_path.try_exists(), Ok(false))
        {
            if !creates_config {
                return Err(CliError {
                    hint: Some(format!(
                        "check the path; `wktui --config {} profile add NAME --client-id ID` creates it",
                        config_path.display()
                    )),
                    ..CliError::usage(format!(
                        "the config file {} (from {from}) does not exist",
                        config_path.display()
                    ))
                });
            }
            creates_named_config = true;
        }
        let cache = TokenCache::from_environment();
        let loaded = config::load_with_index(&config_path, cache.private_dir(), want)?;
        let mut config = loaded.config;
        let wanted = match want {
            config::Want::Profile(name) => Some(name),
            _ => None,
        };
        // The one the command names fails with its own error; the others are warned of.
        warn_of_broken_profiles(config.broken.iter().filter(|b| b.name.as_deref() != wanted));
        let before = config.profiles.len();
        if let Some(warning) = config::env_profile::add_to(&mut config, |v| std::env::var(v).ok())? {
            eprint_safe!("wktui: warning: {warning}");
        }
        let env_profile = config.profiles.len() > before;
        // No child of ours (a secret command) inherits another profile's
        // secret: every variable the file names, whichever profiles were read.
        // Found when a child starts: a cached token starts none.
        let secret_variables = loaded.secret_variables;
        crate::secrets::hide_variables_from_children_when_needed(move || secret_variables.resolve());
        let engine = Engine::new(config.settings.clone(), Arc::new(KeyringStore::new()), cache);
        Ok(Context {
            config_path,
            config,
            engine: Arc::new(engine),
            quiet: false,
            env_profile,
            creates_named_config,
        })
    }

    /// Refuses to change the `env` profile: it lives in environment variables.
    pub(crate) fn changeable(&self, name: &str) -> Result<(), CliError> {
        if self.env_profile && name == config::env_profile::ENV_PROFILE {
            return Err(CliError::usage(
                "profile env comes from the WORKIVA_* environment variables, not the config file; change those variables instead",
            ));
        }
        Ok(())
    }

    /// The profile `name`, or with none the default one (`WKTUI_PROFILE`,
    /// else `default_profile`). Asked for `env` when there is none, the
    /// error says which WORKIVA_* variable is missing.
    pub(crate) fn chosen(&self, name: Option<&str>) -> Result<&crate::model::Profile, CliError> {
        self.config
            .chosen(name, DefaultProfile::env_value())
            .map_err(|e| match &e {
                ConfigError::NoSuchProfile { name, .. } | ConfigError::NoSuchDefault { name, .. }
                    if name == config::env_profile::ENV_PROFILE =>
                {
                    match config::env_profile::why_absent(|v| std::env::var(v).ok()) {
                        Some(why) => CliError::usage(why),
                        None => e.into(),
                    }
                }
                _ => e.into(),
            })
    }

    /// Prints a confirmation or progress line, unless `--quiet`.
    pub(crate) fn say(&self, text: &str) -> Result<(), CliError> {
        if self.quiet { Ok(()) } else { print(text) }
    }
}

/// Profiles of the file that cannot be used, on stderr: the others work,
/// and a command that needs a broken one fails with its problem. A fleet
/// with many is told of the first few, and where to see them all.
fn warn_of_broken_profiles<'a>(broken: impl Iterator<Item = &'a config::BrokenProfile>) {
    const SHOWN: usize = 3;
    let mut more = 0;
    for (i, b) in broken.enumerate() {
        if i < SHOWN {
            eprint_safe!("wktui: warning: {}", b.warning());
        } else {
            more += 1;
        }
    }
    if more > 0 {
        eprint_safe!("wktui: warning: and {more} more broken profiles (wktui list, wktui doctor)");
    }
}

/// Where an explicit config path comes from, for messages; `None` when the
/// platform default is used.
fn explicit_config_source(flag: Option<&std::path::Path>) -> Option<&'static str> {
    if flag.is_some() {
        Some("--config")
    } else if std::env::var_os(config::CONFIG_ENV).is_some_and(|v| !v.is_empty()) {
        Some(config::CONFIG_ENV)
    } else {
        None
    }
}

pub fn main() -> ExitCode {
    // Before any secret is read: no core dump, no debugger of the same user.
    crate::platform::process::protect_from_dumps();
    // A shell asking for completions (WKTUI_COMPLETE set) is answered and
    // exits here; checked first so that other runs skip clap_complete's setup.
    if std::env::var_os(completions::COMPLETE_ENV).is_some() {
        clap_complete::CompleteEnv::with_factory(Cli::command)
            .var(completions::COMPLETE_ENV)
            .complete();
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = fast_args::parse(&args).unwrap_or_else(|| {
        Cli::try_parse_from(&args)
            .unwrap_or_else(|e| with_exec_tip(without_hidden_suggestions(e), &args).exit())
    });
    if let Err(e) = start_logging(cli.log_level.as_deref()) {
        report(&e);
        return crate::platform::process::exit_code(e.code);
    }
    tracing::debug!(
        pid = std::process::id(),
        version = env!("CARGO_PKG_VERSION"),
        "wktui started"
    );
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e);
            crate::platform::process::exit_code(e.code)
        }
    }
}

/// The log file, as `--log-level` or `WKTUI_LOG` ask; a bad `WKTUI_LOG`
/// is warned about (it may be set for every command), a bad flag refused.
fn start_logging(flag: Option<&str>) -> Result<(), CliError> {
    use crate::logging;
    let env = std::env::var(logging::LOG_ENV).ok();
    let filter = match logging::filter_from(flag, env) {
        Ok(filter) => filter,
        Err(e) if flag.is_some() => return Err(CliError::usage(e.to_string())),
        Err(e) => {
            eprint_safe!("wktui: warning: {e}; logging warnings and errors only");
            logging::filter_from(None, None).map_err(|e| CliError::usage(e.to_string()))?
        }
    };
    if let Some(path) = logging::default_path() {
        logging::init(filter, path);
    }
    Ok(())
}

/// clap suggests every subcommand for a typo, hidden ones too: internal
/// commands (`__clipboard-serve`) stay unnamed.
fn without_hidden_suggestions(mut error: clap::Error) -> clap::Error {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue};
    let hidden: Vec<String> = Cli::command()
        .get_subcommands()
        .filter(|c| c.is_hide_set())
        .map(|c| c.get_name().to_owned())
        .collect();
    if let Some(ContextValue::Strings(suggested)) = error.get(ContextKind::SuggestedSubcommand) {
        let kept: Vec<String> = suggested
            .iter()
            .filter(|name| !hidden.contains(name))
            .cloned()
            .collect();
        if kept.is_empty() {
            error.remove(ContextKind::SuggestedSubcommand);
        } else {
            error.insert(ContextKind::SuggestedSubcommand, ContextValue::Strings(kept));
        }
    }
    error
}

/// `wktui exec prod env` (no `--`) is refused by clap as an unexpected
/// argument: say where the command goes, with the line as it should be.
fn with_exec_tip(mut error: clap::Error, args: &[std::ffi::OsString]) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::UnknownArgument || args.iter().any(|a| a == "--") {
        return error;
    }
    let Some(ContextValue::String(unexpected)) = error.get(ContextKind::InvalidArg) else {
        return error;
    };
    // The subcommand: the first word that is neither a flag nor a global flag's value.
    let mut exec_at = None;
    for i in 1..args.len() {
        let value_of_flag = i > 1 && (args[i - 1] == "--config" || args[i - 1] == "--log-level");
        if args[i].to_string_lossy().starts_with('-') || value_of_flag {
            continue;
        }
        exec_at = (args[i] == "exec").then_some(i);
        break;
    }
    let Some(exec_at) = exec_at else {
        return error;
    };
    let Some(at) = args
        .iter()
        .skip(exec_at + 1)
        .position(|a| a.to_string_lossy() == *unexpected)
    else {
        return error;
    };
    let at = exec_at + 1 + at;
    let mut words: Vec<String> = vec!["wktui".to_owned()];
    words.extend(args[1..at].iter().map(|a| shell_word(&a.to_string_lossy())));
    words.push("--".to_owned());
    words.extend(args[at..].iter().map(|a| shell_word(&a.to_string_lossy())));
    let tip = format!(
        "the command to run goes after --: `{}`",
        terminal_safe(&words.join(" "))
    );
    error.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(vec![clap::builder::StyledStr::from(tip)]),
    );
    error
}

/// A word as a POSIX shell would need it typed.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let Some(command) = cli.command else {
        let ctx = Context::load(cli.config.as_deref(), false, config::Want::All)?;
        let default_profile = DefaultProfile::find(&ctx.config.settings, DefaultProfile::env_value());
        return interactive(TuiContext {
            config_path: ctx.config_path,
            config: ctx.config,
            engine: ctx.engine,
            refresh_at_start: false,
            base_url_for_new: None,
            default_profile,
        });
    };
    if let Command::Demo = command {
        let demo = crate::demo::start().map_err(|e| CliError::runtime(e.to_string()))?;
        let base_url = crate::model::CheckedUrl::parse_base(&demo.server.base_url())
            .map_err(|e| CliError::runtime(e.to_string()))?;
        return interactive(TuiContext {
            config_path: demo.config_path.clone(),
            config: demo.config.clone(),
            engine: Arc::clone(&demo.engine),
            refresh_at_start: true,
            base_url_for_new: Some(base_url),
            default_profile: None,
        });
    }
    if let Command::ClipboardServe { clear_after } = &command {
        return match crate::clipboard::serve(clear_after) {
            code if code == ExitCode::SUCCESS => Ok(()),
            _ => Err(CliError::runtime("the clipboard could not be served")),
        };
    }
    match &command {
        Command::Completions { shell } => return completions::run(*shell),
        Command::Man => return man::run(),
        Command::Doctor(args) => return doctor::run(cli.config.as_deref(), args),
        Command::Config(cmd) => {
            let watch = config::resolve_path(cli.config.as_deref())
                .ok()
                .map(|path| Utf16Watch::start(&path));
            let done = config_cmd::run(cli.config.as_deref(), cmd, cli.quiet);
            if let Some(watch) = watch {
                watch.finish();
            }
            return done;
        }
        _ => {}
    }
    let creates_config = matches!(
        &command,
        Command::Profile(args::ProfileCommand::Add(_) | args::ProfileCommand::Import(_))
    );
    // `wktui token NAME`, the command scripts call, reads one profile; with
    // no name, the default one (`WKTUI_PROFILE` is known before the file).
    let env_default = DefaultProfile::from_env(DefaultProfile::env_value());
    let want = match &command {
        Command::Token(args) => match args.name.as_deref().or(env_default.as_deref()) {
            Some(name) => config::Want::Profile(name),
            None => config::Want::Default,
        },
        _ => config::Want::All,
    };
    let mut ctx = Context::load(cli.config.as_deref(), creates_config, want)?;
    ctx.quiet = cli.quiet;
    let watch = matches!(command, Command::Profile(_)).then(|| Utf16Watch::start(&ctx.config_path));
    let done = match command {
        Command::Profile(cmd) => profile::run(&ctx, cmd),
        Command::Token(args) => token::run(&ctx, &args),
        Command::List(args) => list::run(&ctx, &args),
        Command::Refresh(args) => refresh::run(&ctx, &args),
        Command::Copy(args) => copy::copy(&ctx, &args),
        Command::Verify { name } => copy::verify(&ctx, name.as_deref()),
        Command::Exec(args) => exec::run(&ctx, &args),
        Command::Env(args) => env::run(&ctx, &args),
        Command::Serve(args) => serve::run(&ctx, &args),
        Command::Demo
        | Command::ClipboardServe { .. }
        | Command::Completions { .. }
        | Command::Man
        | Command::Doctor(_)
        | Command::Config(_) => Ok(()),
    };
    if let Some(watch) = watch {
        watch.finish();
    }
    if ctx.creates_named_config && matches!(ctx.config_path.try_exists(), Ok(true)) {
        eprint_safe!("wktui: created the config file {}", ctx.config_path.display());
    }
    done
}

/// A config file in UTF-16 (as Windows PowerShell 5.1 writes) is written
/// back as UTF-8 by any change: said once, so that the change of encoding
/// is no surprise.
struct Utf16Watch {
    /// The config file, when it is UTF-16 before the command.
    utf16: Option<PathBuf>,
}

impl Utf16Watch {
    fn start(path: &std::path::Path) -> Utf16Watch {
        let utf16 = config::text::encoding_of_file(path).is_some_and(config::text::Encoding::is_utf16);
        Utf16Watch {
            utf16: utf16.then(|| path.to_path_buf()),
        }
    }

    fn finish(self) {
        if let Some(path) = self.utf16
            && config::text::encoding_of_file(&path).is_some_and(|e| !e.is_utf16())
        {
            eprint_safe!(
                "wktui: note: {} was UTF-16; wktui saved it as UTF-8",
                path.display()
            );
        }
    }
}

/// The interface needs a terminal on both ends.
fn interactive(ctx: TuiContext) -> Result<(), CliError> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "the interactive interface needs a terminal; in scripts use `wktui token NAME` or `wktui list`",
        ));
    }
    let ended = crate::tui::run(ctx).map_err(CliError::runtime)?;
    match ended.exit_code() {
        0 => Ok(()),
        // Ended by a signal or Ctrl-C: the code says which (130, 143, 129), as shells expect.
        code => Err(CliError::exit_code(code)),
    }
}

fn report(e: &CliError) {
    if e.message.is_empty() {
        return;
    }
    tracing::error!(code = e.code, "{}", e.message);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "wktui: error: {}", terminal_safe(&e.message));
    if let Some(hint) = &e.hint {
        let _ = writeln!(err, "  hint: {}", terminal_safe(hint));
    }
}

/// The last line of defence for everything the CLI prints: whatever a
/// message was built from, no control or invisible formatting character
/// (an escape sequence, a bidi override) reaches the terminal. Newlines and
/// tabs are the CLI's own layout and stay.
pub(crate) fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    // Printable ASCII, newlines and tabs are safe: `list` of 10,000 profiles
    // is a megabyte of them, checked here byte by byte instead of char by char.
    // Counted without stopping early, so that the loop is vectorised.
    let odd = |b: &u8| !((0x20..0x7f).contains(b) || *b == b'\n' || *b == b'\t');
    if text.as_bytes().iter().filter(|b| odd(b)).count() == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    let unsafe_char = |c: char| c != '\n' && c != '\t' && crate::model::text::is_unsafe_char(c);
    if text.chars().any(unsafe_char) {
        std::borrow::Cow::Owned(text.chars().filter(|&c| !unsafe_char(c)).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `eprintln!` through `terminal_safe`.
macro_rules! eprint_safe {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::cli::terminal_safe(&format!($($arg)*)))
    };
}
pub(crate) use eprint_safe;

/// A current-thread runtime for the commands that go to the network; the
/// cached path of `wktui token` never builds one.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(format!("cannot start the async runtime: {e}")))
}

/// Writes to stdout; a closed pipe (`wktui list | head`) is not an error.
pub(crate) fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out
        .write_all(terminal_safe(text).as_bytes())
        .and_then(|()| out.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::runtime(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}
