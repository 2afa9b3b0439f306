//! `wktui profile add|list|remove|set-secret`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::args::{AddArgs, FormatArg, ListFormat, ProfileCommand};
use super::output::{list_format, profile_json, render_rows};
use super::{CliError, Context, print};
use crate::config::{self, check_token_url};
use crate::model::{Endpoint, Profile, Region, Scopes, SecretSource};
use crate::profiles;

pub fn run(ctx: &Context, cmd: ProfileCommand) -> Result<(), CliError> {
    match cmd {
        ProfileCommand::Add(args) => add(ctx, &args),
        ProfileCommand::List(format) => list(ctx, &format),
        ProfileCommand::Remove { name } => remove(ctx, &name),
        ProfileCommand::SetSecret { name } => set_secret(ctx, &name),
    }
}

fn add(ctx: &Context, args: &AddArgs) -> Result<(), CliError> {
    let profile = profile_from_args(args)?;
    if ctx.config.profile(&profile.name).is_ok() {
        return Err(config::ConfigError::ProfileExists(profile.name).into());
    }
    let secret = match profile.secret_source.is_stored() {
        true => Some(read_secret_input(&profile.name)?),
        false => None,
    };
    profiles::add(
        &ctx.config_path,
        &profile,
        secret.as_ref(),
        ctx.engine.secrets().as_ref(),
    )?;
    print(&format!(
        "Added profile {} ({}, client id {}); client secret from {}.\nConfig: {}\n",
        profile.name,
        profile.endpoint_label(),
        profile.client_id,
        profile.secret_source,
        ctx.config_path.display()
    ))
}

fn profile_from_args(args: &AddArgs) -> Result<Profile, CliError> {
    let name = args.name.trim();
    config::check_profile_name(name).map_err(|m| CliError::usage(format!("profile name {m}")))?;
    if args.client_id.trim().is_empty() {
        return Err(CliError::usage(
            "--client-id is empty; give the client id of the Workiva API grant",
        ));
    }
    let endpoint = match (&args.region, &args.token_url) {
        (_, Some(url)) => {
            check_token_url(url).map_err(|m| CliError::usage(format!("--token-url: {m}")))?;
            Endpoint::TokenUrl(url.trim().to_owned())
        }
        (Some(region), None) => Endpoint::Region(
            region
                .parse::<Region>()
                .map_err(|e| CliError::usage(e.to_string()))?,
        ),
        (None, None) => Endpoint::Region(Region::Us),
    };
    let mut profile = Profile::new(name, endpoint, args.client_id.trim());
    profile.scope = args.scope.as_deref().map(Scopes::parse).filter(|s| !s.is_empty());
    profile.api_version = args
        .api_version
        .parse()
        .map_err(|e: crate::model::ParseEnumError| CliError::usage(e.to_string()))?;
    profile.client_auth = args
        .client_auth
        .parse()
        .map_err(|e: crate::model::ParseEnumError| CliError::usage(e.to_string()))?;
    profile.secret_source = match (&args.secret_env, &args.secret_command) {
        (Some(var), _) => SecretSource::Env(var.clone()),
        (None, Some(cmd)) => SecretSource::Command(cmd.clone()),
        (None, None) => SecretSource::Keyring,
    };
    profile.ca_file = args.ca_file.as_ref().map(absolute);
    Ok(profile)
}

fn absolute(path: &PathBuf) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.clone())
}

/// The client secret: typed without echo on a terminal, else one line of stdin.
/// Never from argv, where other users and shell history would see it.
fn read_secret_input(name: &str) -> Result<SecretString, CliError> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        super::prompt::read_hidden(&format!("Client secret for {name} (not shown): "))
            .map_err(|e| CliError::runtime(format!("cannot read the secret from the terminal: {e}")))?
            .ok_or_else(|| CliError {
                code: 130,
                message: "cancelled; nothing was changed".into(),
                hint: None,
            })?
    } else {
        let mut line = Zeroizing::new(String::new());
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::runtime(format!("cannot read the secret from stdin: {e}")))?;
        line
    };
    let secret = line.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(CliError::usage(
            "the client secret is empty; type it at the prompt or pipe it on stdin (e.g. `pass show workiva/prod | wktui profile add ...`)",
        ));
    }
    Ok(SecretString::from(secret.to_owned()))
}

fn list(ctx: &Context, format: &FormatArg) -> Result<(), CliError> {
    let profiles = &ctx.config.profiles;
    let format = list_format(format.format);
    if format == ListFormat::Json {
        let items: Vec<_> = profiles
            .iter()
            .map(|p| {
                let mut entry = profile_json(p);
                entry.insert("api_version".into(), p.api_version.as_str().into());
                entry.insert("client_auth".into(), p.client_auth.as_str().into());
                entry.insert("secret".into(), p.secret_source.to_string().into());
                serde_json::Value::Object(entry)
            })
            .collect();
        return print(&format!("{}\n", serde_json::Value::Array(items)));
    }
    if profiles.is_empty() && format == ListFormat::Table {
        return print(&format!(
            "No profiles in {}. Add one with: wktui profile add NAME --client-id ID [--region us|eu|apac]\n",
            ctx.config_path.display()
        ));
    }
    let rows: Vec<Vec<String>> = profiles
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.endpoint_label(),
                p.client_id.clone(),
                p.scope
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), ToString::to_string),
                p.api_version.to_string(),
                p.client_auth.to_string(),
                p.secret_source.to_string(),
            ]
        })
        .collect();
    print(&render_rows(
        &["NAME", "ENDPOINT", "CLIENT ID", "SCOPE", "API", "AUTH", "SECRET"],
        &rows,
        format,
    ))
}

fn remove(ctx: &Context, name: &str) -> Result<(), CliError> {
    let profile = ctx.config.profile(name)?;
    let removed = profiles::remove(
        &ctx.config_path,
        profile,
        ctx.engine.secrets().as_ref(),
        ctx.engine.cache(),
    )?;
    if let Some(warning) = &removed.warning {
        super::eprint_safe!("wktui: warning: {warning}");
    }
    let secret_note = if removed.secret_removed {
        ", its keyring entry"
    } else {
        ""
    };
    print(&format!(
        "Removed profile {name}{secret_note} and its cached token.\n"
    ))
}

fn set_secret(ctx: &Context, name: &str) -> Result<(), CliError> {
    let profile = ctx.config.profile(name)?;
    if !profile.secret_source.is_stored() {
        return Err(crate::profiles::ProfileError::SecretNotStored {
            name: name.to_owned(),
            from: profile.secret_source.to_string(),
        }
        .into());
    }
    let secret = read_secret_input(name)?;
    profiles::set_secret(&ctx.config_path, name, &secret, ctx.engine.secrets().as_ref())?;
    print(&format!(
        "Stored a new client secret for {name} in the keyring.\n"
    ))
}
