//! `wktui profile add|list|show|edit|rename|remove|set-secret` (`export` and
//! `import` are in `exchange`).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::args::{AddArgs, EditArgs, FormatArg, ListFormat, ProfileCommand, ProfileListArgs, ShowFormat};
use super::output::{grant_expires_json, list_format, profile_json, render_rows};
use super::{CliError, Context, print};
use crate::config;
use crate::model::advice::{probable_token_url, token_url_without_path};
use crate::model::{Endpoint, GrantExpiry, Profile, Region, Scopes, SecretSource};
use crate::profile_changes;

pub fn run(ctx: &Context, cmd: ProfileCommand) -> Result<(), CliError> {
    match cmd {
        ProfileCommand::Add(args) => add(ctx, &args),
        ProfileCommand::List(args) => list_or_names(ctx, &args),
        ProfileCommand::Show { name, format } => show(ctx, name.as_deref(), format),
        ProfileCommand::Edit(args) => edit(ctx, &args),
        ProfileCommand::Rename { old, new } => rename(ctx, &old, &new),
        ProfileCommand::Remove { name, yes } => remove(ctx, &name, yes),
        ProfileCommand::SetSecret { name } => set_secret(ctx, &name),
        ProfileCommand::Export(args) => super::exchange::export(ctx, &args),
        ProfileCommand::Import(args) => super::exchange::import(ctx, &args),
    }
}

fn add(ctx: &Context, args: &AddArgs) -> Result<(), CliError> {
    let profile = profile_from_args(args)?;
    if ctx.config.profile(&profile.name).is_ok() {
        return Err(config::ConfigError::ProfileExists(profile.name).into());
    }
    let secret = match profile.secret_source.is_stored() {
        true => Some(read_secret_to_store(ctx, &profile.name)?),
        false => None,
    };
    profile_changes::add(
        &ctx.config_path,
        &profile,
        secret.as_ref(),
        ctx.engine.secrets().as_ref(),
    )?;
    ctx.say(&format!(
        "Added profile {} ({}, client id {}); its client secret, from {}, is sent to {}.\nConfig: {}\n",
        profile.name,
        profile.endpoint_label(),
        profile.client_id,
        profile.secret_source,
        profile.destination_host(),
        ctx.config_path.display()
    ))
}

fn profile_from_args(args: &AddArgs) -> Result<Profile, CliError> {
    let name = args.name.trim();
    crate::model::check_profile_name(name).map_err(|m| CliError::usage(format!("profile name {m}")))?;
    if args.client_id.trim().is_empty() {
        return Err(CliError::usage(
            "--client-id is empty; give the client id of the Workiva API grant",
        ));
    }
    let endpoint = match (&args.region, &args.token_url) {
        (_, Some(url)) => token_url_flag(url, args.force)?,
        (Some(region), None) => Endpoint::Region(
            region
                .parse::<Region>()
                .map_err(|e| CliError::usage(e.to_string()))?,
        ),
        (None, None) => Endpoint::Region(Region::Us),
    };
    let mut profile = Profile::new(name, endpoint, args.client_id.trim());
    profile.scope = args.scope.as_deref().map(scope_flag).transpose()?.flatten();
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
    profile.grant_expires = grant_expires_flag(args.grant_expires.as_deref())?;
    check_flags(&profile)?;
    Ok(profile)
}

/// `--grant-expires`: a date, or nothing when absent or empty.
fn grant_expires_flag(text: Option<&str>) -> Result<Option<GrantExpiry>, CliError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => GrantExpiry::parse(text)
            .map(Some)
            .map_err(|m| CliError::usage(format!("--grant-expires: {m}"))),
    }
}

/// `--token-url`, kept as parsed, or why not. One with no path is almost
/// always a base URL, whose token request would come back a bare 404: it
/// is refused, naming the URL probably meant, unless `force` keeps it.
fn token_url_flag(url: &str, force: bool) -> Result<Endpoint, CliError> {
    let endpoint = Endpoint::token_url(url).map_err(|e| CliError::usage(format!("--token-url: {e}")))?;
    if let Endpoint::TokenUrl(checked) = &endpoint
        && let Some(advice) = token_url_without_path(checked.as_str())
    {
        if !force {
            return Err(CliError {
                hint: Some(format!("--token-url {}", probable_token_url(&checked.origin()))),
                ..CliError::usage(format!(
                    "--token-url {advice}; nothing was saved. Pass --force to keep it as it is"
                ))
            });
        }
        // Said before any secret prompt, so the user can still stop.
        super::eprint_safe!("wktui: warning: --token-url {advice}; kept as it is (--force)");
    }
    Ok(endpoint)
}

/// `--scope`, checked as RFC 6749 scope tokens; empty asks for the grant's default.
fn scope_flag(text: &str) -> Result<Option<Scopes>, CliError> {
    let scopes = Scopes::checked(text).map_err(|e| CliError::usage(format!("--scope: {e}")))?;
    Ok(Some(scopes).filter(|s| !s.is_empty()))
}

/// The profile checked as the config file will check it, each complaint
/// naming the flag that set the field.
fn check_flags(profile: &Profile) -> Result<(), CliError> {
    config::check_profile(profile).map_err(|(field, message)| {
        CliError::usage(match field.as_deref() {
            Some("name") => format!("profile name: {message}"),
            Some(field) => format!("--{}: {message}", field.replace('_', "-")),
            None => message,
        })
    })
}

fn absolute(path: &PathBuf) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.clone())
}

/// A secret for the store, asked for only once the store answers: typing
/// a secret shown once and then hearing that no keyring is reachable would
/// leave the user with a secret on the clipboard and nowhere to put it.
fn read_secret_to_store(ctx: &Context, name: &str) -> Result<SecretString, CliError> {
    profile_changes::check_store(ctx.engine.secrets().as_ref(), name)?;
    read_secret_input(name)
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
                entry.insert("grant_expires".into(), grant_expires_json(p));
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
                p.endpoint_label().into_owned(),
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

fn remove(ctx: &Context, name: &str, yes: bool) -> Result<(), CliError> {
    ctx.changeable(name)?;
    let profile = ctx.config.profile(name)?;
    if !yes {
        confirm_removal(profile)?;
    }
    let removed = profile_changes::remove(
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
    ctx.say(&format!(
        "Removed profile {name}{secret_note} and its cached token.\n"
    ))
}

/// Asks y/N on a terminal, saying what cannot be undone; without one, a
/// script must say `--yes`, so that nothing is destroyed by accident.
fn confirm_removal(profile: &Profile) -> Result<(), CliError> {
    let warning = profile_changes::removal_warning(profile);
    let name = &profile.name;
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(CliError {
            hint: Some(format!("wktui profile remove {name} --yes")),
            ..CliError::usage(format!(
                "not removing profile {name} without a terminal to ask on: pass --yes to remove it. {warning}"
            ))
        });
    }
    super::eprint_safe!("{warning}");
    eprint!("Remove profile {}? [y/N] ", super::terminal_safe(name));
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::runtime(format!("cannot read the answer from the terminal: {e}")))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        return Ok(());
    }
    Err(CliError::runtime(format!(
        "kept profile {name}; nothing was removed"
    )))
}

fn set_secret(ctx: &Context, name: &str) -> Result<(), CliError> {
    ctx.changeable(name)?;
    let profile = ctx.config.profile(name)?;
    if !profile.secret_source.is_stored() {
        return Err(crate::profile_changes::ProfileError::SecretNotStored {
            name: name.to_owned(),
            from: profile.secret_source.to_string(),
        }
        .into());
    }
    let secret = read_secret_to_store(ctx, name)?;
    profile_changes::set_secret(&ctx.config_path, name, &secret, ctx.engine.secrets().as_ref())?;
    ctx.say(&format!(
        "Stored a new client secret for {name} in the keyring.\n"
    ))
}

/// `profile list`, or with `--names` one name per line for completion scripts.
fn list_or_names(ctx: &Context, args: &ProfileListArgs) -> Result<(), CliError> {
    if !args.names {
        return list(ctx, &args.format);
    }
    let mut out = String::new();
    for p in &ctx.config.profiles {
        out.push_str(&p.name);
        out.push('\n');
    }
    print(&out)
}

/// Everything about a profile except its secret, and where that secret lives.
fn show(ctx: &Context, name: Option<&str>, format: ShowFormat) -> Result<(), CliError> {
    let profile = ctx.chosen(name)?;
    let from_env = ctx.env_profile && config::env_profile::is_env_profile(profile);
    let defined_in = if from_env {
        "environment (WORKIVA_* variables)".to_owned()
    } else {
        ctx.config_path.display().to_string()
    };
    let now = crate::clock::now();
    let token = ctx.engine.cache().load(profile);
    let state = crate::model::TokenState::of(token.as_ref(), now, ctx.config.settings.refresh_margin);
    let secret_location = secret_location(profile);
    if format == ShowFormat::Json {
        let mut entry = profile_json(profile);
        entry.insert("api_version".into(), profile.api_version.as_str().into());
        entry.insert("client_auth".into(), profile.client_auth.as_str().into());
        entry.insert(
            "base_url".into(),
            profile.base_url.as_ref().map(|b| b.as_str().to_owned()).into(),
        );
        entry.insert(
            "ca_file".into(),
            profile.ca_file.as_ref().map(|p| p.display().to_string()).into(),
        );
        entry.insert("secret".into(), profile.secret_source.to_string().into());
        entry.insert("secret_location".into(), secret_location.into());
        entry.insert("defined_in".into(), defined_in.into());
        entry.insert("token_state".into(), state.as_str().into());
        entry.insert(
            "expires_at".into(),
            token
                .as_ref()
                .map(|t| super::output::rfc3339(t.expires_at()))
                .into(),
        );
        entry.insert("grant_expires".into(), grant_expires_json(profile));
        return print(&format!("{}\n", serde_json::Value::Object(entry)));
    }
    let dash = || "-".to_owned();
    let mut rows: Vec<(&str, String)> = vec![
        ("Name", profile.name.clone()),
        (
            "Region",
            profile.region().map_or_else(dash, |r| r.as_str().to_owned()),
        ),
        ("Token URL", profile.token_url()),
        ("Client id", profile.client_id.clone()),
        (
            "Scope",
            profile
                .scope
                .as_ref()
                .map_or_else(|| "(the grant's default)".into(), ToString::to_string),
        ),
        ("API version", profile.api_version.to_string()),
        ("Client auth", profile.client_auth.to_string()),
        (
            "Grant ends",
            profile.grant_expires.map_or_else(dash, |date| {
                format!("{date} ({})", date.state(crate::clock::today()).describe())
            }),
        ),
        ("Secret", secret_location),
        (
            "CA file",
            profile
                .ca_file
                .as_ref()
                .map_or_else(dash, |p| p.display().to_string()),
        ),
        ("Defined in", defined_in),
    ];
    if let Some(base) = &profile.base_url {
        rows.insert(3, ("Base URL", base.to_string()));
    }
    rows.push((
        "Token",
        match &token {
            Some(t) => format!(
                "{state}, expires {}",
                super::output::local_time(t.expires_at(), now)
            ),
            None => state.to_string(),
        },
    ));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let text: String = rows
        .iter()
        .map(|(k, v)| format!("{k:width$}  {}\n", crate::model::text::clean(v, 2048)))
        .collect();
    print(&text)
}

/// Where the secret is, in words a user can act on; never the secret itself.
fn secret_location(profile: &Profile) -> String {
    match &profile.secret_source {
        SecretSource::Keyring => format!(
            "{}, service \"{}\", user \"{}\"",
            crate::platform::keyring::BACKEND,
            crate::secrets::KEYRING_SERVICE,
            profile.name
        ),
        SecretSource::Env(var) => {
            let set = std::env::var_os(var).is_some_and(|v| !v.is_empty());
            format!(
                "environment variable ${var} ({})",
                if set { "set" } else { "not set" }
            )
        }
        SecretSource::Command(cmd) => format!("output of the command `{cmd}`"),
        SecretSource::Memory => "memory (demo)".to_owned(),
    }
}

/// Changes only the fields given on the command line.
fn edit(ctx: &Context, args: &EditArgs) -> Result<(), CliError> {
    if nothing_to_change(args) {
        return Err(CliError {
            hint: Some("to edit the file itself, with its comments: wktui config edit".to_owned()),
            ..CliError::usage(format!(
                "profile edit {} needs at least one field to change: --region, --token-url, --client-id, --scope, --api-version, --client-auth, --secret-env, --secret-command, --keyring, --ca-file or --no-ca-file",
                args.name
            ))
        });
    }
    ctx.changeable(&args.name)?;
    let old = ctx.config.profile(&args.name)?;
    let new = edited(old, args)?;
    if new == *old {
        return ctx.say(&format!(
            "Profile {} already says that; nothing changed.\n",
            old.name
        ));
    }
    let secret = match (old.secret_source.is_stored(), new.secret_source.is_stored()) {
        (false, true) => Some(read_secret_to_store(ctx, &new.name)?),
        _ => None,
    };
    let secrets = ctx.engine.secrets();
    profile_changes::replace(
        &ctx.config_path,
        old,
        &new,
        secret.as_ref(),
        secrets.as_ref(),
        ctx.engine.cache(),
    )?;
    if old.secret_source.is_stored() && !new.secret_source.is_stored() {
        // The secret now comes from elsewhere: do not leave a copy behind.
        if let Err(e) = secrets.delete(&old.name) {
            super::eprint_safe!(
                "wktui: warning: the old secret of {} is still in the keyring ({e}); remove it with `secret-tool clear service wktui username {}`",
                old.name,
                old.name
            );
        }
    }
    ctx.say(&format!(
        "Changed profile {}: {}.\n",
        new.name,
        changed_fields(old, &new).join(", ")
    ))
}

/// No flag given: nothing was asked for (not the same as asking for what is there).
fn nothing_to_change(args: &EditArgs) -> bool {
    let EditArgs {
        name: _,
        region,
        token_url,
        client_id,
        scope,
        api_version,
        client_auth,
        secret_env,
        secret_command,
        keyring,
        ca_file,
        no_ca_file,
        force: _, // only says how to take --token-url
        grant_expires,
    } = args;
    [
        region,
        token_url,
        client_id,
        scope,
        api_version,
        client_auth,
        secret_env,
        secret_command,
        grant_expires,
    ]
    .iter()
    .all(|v| v.is_none())
        && ca_file.is_none()
        && !keyring
        && !no_ca_file
}

/// `old` with the fields `args` names replaced, checked as `profile add` checks them.
fn edited(old: &Profile, args: &EditArgs) -> Result<Profile, CliError> {
    let mut p = old.clone();
    if let Some(region) = &args.region {
        p.endpoint = Endpoint::Region(
            region
                .parse::<Region>()
                .map_err(|e| CliError::usage(e.to_string()))?,
        );
    }
    if let Some(url) = &args.token_url {
        p.endpoint = token_url_flag(url, args.force)?;
        // base_url only goes with a region.
        p.base_url = None;
    }
    if let Some(id) = &args.client_id {
        if id.trim().is_empty() {
            return Err(CliError::usage(
                "--client-id is empty; give the client id of the Workiva API grant",
            ));
        }
        p.client_id = id.trim().to_owned();
    }
    if let Some(scope) = &args.scope {
        p.scope = scope_flag(scope)?;
    }
    if let Some(v) = &args.api_version {
        p.api_version = v
            .parse()
            .map_err(|e: crate::model::ParseEnumError| CliError::usage(e.to_string()))?;
    }
    if let Some(v) = &args.client_auth {
        p.client_auth = v
            .parse()
            .map_err(|e: crate::model::ParseEnumError| CliError::usage(e.to_string()))?;
    }
    if let Some(var) = &args.secret_env {
        p.secret_source = SecretSource::Env(var.trim().to_owned());
    }
    if let Some(cmd) = &args.secret_command {
        p.secret_source = SecretSource::Command(cmd.trim().to_owned());
    }
    if args.keyring {
        p.secret_source = SecretSource::Keyring;
    }
    if let Some(ca) = &args.ca_file {
        p.ca_file = Some(absolute(ca));
    }
    if args.no_ca_file {
        p.ca_file = None;
    }
    if args.grant_expires.is_some() {
        p.grant_expires = grant_expires_flag(args.grant_expires.as_deref())?;
    }
    check_flags(&p)?;
    Ok(p)
}

/// The names of the fields that differ, for the confirmation.
fn changed_fields(old: &Profile, new: &Profile) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if old.endpoint != new.endpoint {
        fields.push("endpoint");
    }
    if old.client_id != new.client_id {
        fields.push("client id");
    }
    if old.scope != new.scope {
        fields.push("scope");
    }
    if old.api_version != new.api_version {
        fields.push("API version");
    }
    if old.client_auth != new.client_auth {
        fields.push("client auth");
    }
    if old.secret_source != new.secret_source {
        fields.push("secret source");
    }
    if old.ca_file != new.ca_file {
        fields.push("CA file");
    }
    if old.base_url != new.base_url {
        fields.push("base URL");
    }
    if old.grant_expires != new.grant_expires {
        fields.push("grant expiry");
    }
    fields
}

/// Renames a profile: config entry, keyring entry and cached token together.
/// `profile_changes::replace` writes the secret under the new name first and takes
/// it back if the config cannot be saved, so a failure leaves the old profile
/// whole.
fn rename(ctx: &Context, old_name: &str, new_name: &str) -> Result<(), CliError> {
    ctx.changeable(old_name)?;
    let new_name = new_name.trim();
    crate::model::check_profile_name(new_name).map_err(|m| CliError::usage(format!("profile name {m}")))?;
    if ctx.env_profile && new_name == config::env_profile::ENV_PROFILE {
        return Err(CliError::usage(
            "the name env is taken by the profile the WORKIVA_* environment variables define; pick another",
        ));
    }
    let old = ctx.config.profile(old_name)?;
    if old_name == new_name {
        return ctx.say(&format!("Profile {old_name} already has that name.\n"));
    }
    let mut new = old.clone();
    new.name = new_name.to_owned();
    profile_changes::replace(
        &ctx.config_path,
        old,
        &new,
        None,
        ctx.engine.secrets().as_ref(),
        ctx.engine.cache(),
    )?;
    let moved = if old.secret_source.is_stored() {
        ", its keyring entry"
    } else {
        ""
    };
    ctx.say(&format!(
        "Renamed profile {old_name} to {new_name}{moved} and its cached token.\n"
    ))
}
