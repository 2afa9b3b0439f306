//! `wktui exec NAME -- CMD`: runs CMD with the profile's token in its
//! environment and, unless `--no-server`, a private token endpoint that
//! keeps renewing it, reached with credentials made for this run. The real
//! client secret never reaches CMD: not in its environment, not in any argv.

use std::ffi::OsString;
use std::process::Command;
use std::time::Duration;

use zeroize::Zeroizing;

use super::args::ExecArgs;
use super::env::token_variables;
use super::token::token_with;
use super::{CliError, Context};
use crate::engine::MinLeft;
use crate::model::{Profile, SecretSource, Token, text};
use crate::platform::signals::run_forwarding_signals;
use crate::presence::{self, Kind};
use crate::serve::{self, Background, Endpoint, LocalSecret, LogTarget};

/// Set in the child to the profile it runs with; nesting is checked against it.
pub const EXEC_MARK_VAR: &str = "WKTUI_EXEC";
pub const TOKEN_URL_VAR: &str = "WORKIVA_TOKEN_URL";
pub const CLIENT_ID_VAR: &str = "WORKIVA_CLIENT_ID";
pub const CLIENT_SECRET_VAR: &str = "WORKIVA_CLIENT_SECRET";
/// Replaced by the endpoint's token URL, so the two cannot disagree.
const REGION_VAR: &str = "WORKIVA_REGION";

pub fn run(ctx: &Context, args: &ExecArgs) -> Result<(), CliError> {
    let profile = ctx.chosen(args.name.as_deref())?.clone();
    check_nesting(std::env::var_os(EXEC_MARK_VAR), &profile.name, args.allow_nested)?;
    // Known before anything starts: the command must not inherit a secret.
    crate::secrets::variables_hidden_from_children()
        .map_err(|unknown| CliError::runtime(unknown.to_string()))?;
    let Some((program, program_args)) = args.command.split_first() else {
        return Err(CliError::usage(format!(
            "give the command to run after --, e.g. `wktui exec {} -- ./sync.sh`",
            profile.name
        )));
    };
    let margin = ctx.config.settings.refresh_margin;
    let want = match args.min_ttl {
        Some(secs) => MinLeft::Asked(Duration::from_secs(secs)),
        None => MinLeft::Margin(margin),
    };
    let (token, _) = token_with(ctx, &profile, want, false)?;

    let endpoint = if args.no_server {
        None
    } else {
        Some(start_endpoint(ctx, &profile, margin)?)
    };
    // On Windows `npm` is `npm.cmd`: found through PATHEXT, as a shell finds it.
    let resolved = crate::platform::process::program_to_run(program);
    let mut command = Command::new(&resolved);
    command.args(program_args);
    let local = endpoint
        .as_ref()
        .map(|(server, secret)| (server.token_url(), secret.as_str()));
    ChildEnvironment::new(&profile, &token, local).apply(&mut command);
    drop(token);

    let url = endpoint
        .as_ref()
        .map(|(server, _)| format!("http://{}", server.addr()));
    let registration = presence::register(
        ctx.engine.cache().dir(),
        Kind::Exec,
        std::slice::from_ref(&profile.name),
        url.as_deref(),
    );
    let exit = run_forwarding_signals(command).map_err(|e| spawn_error(program, &resolved, &e));
    // The endpoint closes when the command ends, whatever it left running.
    drop(endpoint);
    drop(registration);
    match exit?.exit_code() {
        0 => Ok(()),
        code => Err(CliError::exit_code(code)),
    }
}

/// The child's private endpoint and the secret that opens it.
fn start_endpoint(
    ctx: &Context,
    profile: &Profile,
    margin: Duration,
) -> Result<(Background, Zeroizing<String>), CliError> {
    let secret = LocalSecret::generate().map_err(CliError::runtime)?;
    let for_child = Zeroizing::new(secret.expose().to_owned());
    let endpoint = Endpoint {
        profiles: vec![profile.clone()],
        secret,
        margin,
        // The child owns the terminal; requests are not logged over its output.
        log: LogTarget::Off,
    };
    let loopback = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
    let server = Background::start(loopback, endpoint, std::sync::Arc::clone(&ctx.engine))
        .map_err(|e: serve::ServeError| CliError::runtime(e.to_string()))?;
    Ok((server, for_child))
}

/// `exec` of another profile inside an `exec` would hand CMD two grants.
fn check_nesting(outer: Option<OsString>, name: &str, allowed: bool) -> Result<(), CliError> {
    let Some(outer) = outer.filter(|o| !o.is_empty()) else {
        return Ok(());
    };
    if allowed || outer == name {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "this is already running inside `wktui exec {}` ({EXEC_MARK_VAR} is set); a command for profile \
         {name} inside it would mix the credentials of two grants. Pass --allow-nested if that is what you mean",
        text::clean(&outer.to_string_lossy(), 64)
    )))
}

/// What the child's environment gains and loses: a minimal change.
struct ChildEnvironment {
    remove: Vec<String>,
    set: Vec<(&'static str, String)>,
}

impl ChildEnvironment {
    fn new(profile: &Profile, token: &Token, local: Option<(String, &str)>) -> ChildEnvironment {
        let mut set = token_variables(profile, token);
        set.push((EXEC_MARK_VAR, profile.name.clone()));
        let mut remove = real_secret_variables(profile);
        if let Some((token_url, secret)) = local {
            set.push((TOKEN_URL_VAR, token_url));
            set.push((CLIENT_ID_VAR, profile.name.clone()));
            set.push((CLIENT_SECRET_VAR, secret.to_owned()));
            remove.push(REGION_VAR.to_owned());
        }
        ChildEnvironment { remove, set }
    }

    fn apply(&self, command: &mut Command) {
        for name in &self.remove {
            command.env_remove(name);
        }
        for (name, value) in &self.set {
            command.env(name, value);
        }
    }
}

impl Drop for ChildEnvironment {
    fn drop(&mut self) {
        for (_, value) in &mut self.set {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

/// Every variable that holds a real client secret: where this profile's came
/// from, every other profile's `secret_env`, and `WORKIVA_CLIENT_SECRET`.
fn real_secret_variables(profile: &Profile) -> Vec<String> {
    // Found (or refused) at the start of `run`; never fewer than the one always hidden.
    let mut names = crate::secrets::variables_hidden_from_children()
        .unwrap_or_else(|_| vec![CLIENT_SECRET_VAR.to_owned()]);
    match &profile.secret_source {
        SecretSource::Env(var) => names.push(var.clone()),
        SecretSource::Keyring | SecretSource::Command(_) | SecretSource::Memory => {}
    }
    names.sort();
    names.dedup();
    names
}

/// 127 and 126, as a shell answers a command it cannot find or run.
fn spawn_error(program: &OsString, resolved: &OsString, e: &std::io::Error) -> CliError {
    let name = text::clean(&program.to_string_lossy(), 200);
    let (code, message) = match e.kind() {
        std::io::ErrorKind::NotFound => (
            127,
            format!("cannot run `{name}`: no such program (is it on PATH?)"),
        ),
        std::io::ErrorKind::PermissionDenied => (126, format!("cannot run `{name}`: permission denied")),
        std::io::ErrorKind::InvalidInput => (
            126,
            format!(
                "cannot run `{name}`: {}",
                crate::platform::process::invalid_arguments_reason(resolved)
            ),
        ),
        _ => (126, format!("cannot run `{name}`: {e}")),
    };
    let mut err = CliError::runtime(message);
    err.code = code;
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BearerToken, Endpoint as ProfileEndpoint, Timestamp};

    fn sample() -> (Profile, Token) {
        let mut profile = Profile::new(
            "prod",
            ProfileEndpoint::token_url("https://example.test/oauth2/token").expect("url"),
            "real-id",
        );
        profile.secret_source = SecretSource::Env("WORKIVA_CLIENT_SECRET".into());
        let response = BearerToken {
            access_token: "wk.tok".into(),
            expires_in: 600,
            scope: None,
            token_type: "Bearer".into(),
        };
        let token = Token::from_response(&response, None, Timestamp::from_secs(0)).expect("token");
        (profile, token)
    }

    fn names(set: &[(&'static str, String)]) -> Vec<&'static str> {
        set.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn the_child_gets_local_credentials_and_loses_the_real_secret() {
        let (profile, token) = sample();
        let env = ChildEnvironment::new(
            &profile,
            &token,
            Some(("http://127.0.0.1:9/oauth2/token".into(), "wktui_x")),
        );
        assert!(env.remove.iter().any(|v| v == "WORKIVA_CLIENT_SECRET"));
        assert_eq!(env.remove.last().map(String::as_str), Some("WORKIVA_REGION"));
        assert_eq!(
            names(&env.set),
            [
                "WORKIVA_TOKEN",
                "WORKIVA_TOKEN_EXPIRES_AT",
                "WORKIVA_API_URL",
                "WORKIVA_PROFILE",
                "WKTUI_EXEC",
                "WORKIVA_TOKEN_URL",
                "WORKIVA_CLIENT_ID",
                "WORKIVA_CLIENT_SECRET"
            ]
        );
        let value = |name| env.set.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(
            value("WORKIVA_CLIENT_ID"),
            Some("prod"),
            "the profile name, not the real id"
        );
        assert_eq!(value("WORKIVA_CLIENT_SECRET"), Some("wktui_x"));
        assert_eq!(value("WORKIVA_TOKEN_EXPIRES_AT"), Some("1970-01-01T00:10:00Z"));
        assert_eq!(value("WORKIVA_API_URL"), Some("https://example.test"));

        let plain = ChildEnvironment::new(&profile, &token, None);
        assert_eq!(
            plain.remove,
            ["WORKIVA_CLIENT_SECRET"],
            "--no-server still drops the secret"
        );
        assert!(!names(&plain.set).contains(&"WORKIVA_CLIENT_SECRET"));
    }

    #[test]
    fn nesting_another_profile_needs_to_be_asked_for() {
        assert!(check_nesting(None, "prod", false).is_ok());
        assert!(check_nesting(Some("".into()), "prod", false).is_ok());
        assert!(check_nesting(Some("prod".into()), "prod", false).is_ok());
        let err = check_nesting(Some("dev\u{1b}[2J".into()), "prod", false).expect_err("nested");
        assert_eq!(err.code, 2);
        assert!(
            err.message.contains("--allow-nested") && !err.message.contains('\u{1b}'),
            "{}",
            err.message
        );
        assert!(check_nesting(Some("dev".into()), "prod", true).is_ok());
    }
}
