//! `wktui token NAME`: the command scripts call, so its cached path does as
//! little as possible: read the config and one cache file, print, exit.

use std::time::Duration;

use serde_json::json;

use super::args::{TokenArgs, TokenFormat};
use super::output::rfc3339;
use super::{CliError, Context, print, runtime};
use crate::clock;
use crate::engine::{MinLeft, Origin};
use crate::model::{Profile, Scopes, Token, WARN_DAYS};

pub fn run(ctx: &Context, args: &TokenArgs) -> Result<(), CliError> {
    let chosen = ctx.chosen(args.name.as_deref())?;
    let narrowed = args
        .scope
        .as_deref()
        .map(|asked| narrowed(chosen, asked))
        .transpose()?;
    let profile = narrowed.as_ref().unwrap_or(chosen);
    let want = match args.min_ttl {
        Some(secs) => MinLeft::Asked(Duration::from_secs(secs)),
        None => MinLeft::Margin(ctx.config.settings.refresh_margin),
    };
    let (token, _) = token_with(ctx, profile, want, args.refresh)?;
    print(&format_token(&token, args.format))?;
    warn_of_grant(ctx, profile);
    Ok(())
}

/// An expiring grant, on stderr (scripts read the token from stdout), once a
/// day (24 hours) a profile. Nothing at all is looked at for a profile without a date,
/// or (the UTC day being within one of the local one) far from it.
fn warn_of_grant(ctx: &Context, profile: &Profile) {
    let Some(expires) = profile.grant_expires else {
        return;
    };
    if (expires.date() - chrono::Utc::now().date_naive()).num_days() > WARN_DAYS + 1 {
        return;
    }
    // Warned within the day: one `lstat`, before any time zone lookup.
    let cache = ctx.engine.cache();
    if cache.grant_warned_recently(&profile.name, std::time::SystemTime::now()) {
        return;
    }
    let today = clock::today();
    let Some(warning) = expires.warning(today) else {
        return;
    };
    super::eprint_safe!(
        "wktui: warning: profile {}: {warning}; ask for a new grant in Workiva (`wktui doctor {}` says what then)",
        profile.name,
        profile.name
    );
    cache.mark_grant_warned(&profile.name, today);
}

/// `profile` asking for only the scopes of `--scope`, checked before any
/// request: each must be one the profile has. A profile without a scope
/// has nothing known to be granted (the server picks), so it cannot be
/// narrowed: saying yes would send whatever was typed and cache it as if
/// it were a part of the profile's grant.
fn narrowed(profile: &Profile, asked: &str) -> Result<Profile, CliError> {
    let name = &profile.name;
    let asked = Scopes::checked(asked).map_err(|e| CliError::usage(format!("--scope: {e}")))?;
    if asked.is_empty() {
        return Err(CliError::usage(
            "--scope is empty; leave it out to ask for the profile's own scopes",
        ));
    }
    let Some(own) = &profile.scope else {
        return Err(CliError {
            hint: Some(format!(
                "wktui profile edit {name} --scope \"SCOPES OF ITS GRANT\""
            )),
            ..CliError::usage(format!(
                "--scope: profile {name} has no scope configured, so which scopes its grant has is not known and none can be asked for apart; set the profile's scope to its grant's, then ask for some of them"
            ))
        });
    };
    let outside: Vec<&str> = asked.iter().filter(|s| !own.iter().any(|o| o == *s)).collect();
    if !outside.is_empty() {
        return Err(CliError::usage(format!(
            "--scope: profile {name} does not have {}; its scopes are: {own}",
            outside.join(" ")
        )));
    }
    Ok(match asked.canonical() == own.canonical() {
        // The whole set: the profile's own token, cached as it is.
        true => profile.clone(),
        false => profile.narrowed_to(&asked),
    })
}

/// A token that meets `want`: the cached one when it does (no runtime, no
/// network, no keyring), else a new one. `force` always fetches. The flag
/// says whether it was fetched.
pub fn token_with(
    ctx: &Context,
    profile: &Profile,
    want: MinLeft,
    force: bool,
) -> Result<(Token, bool), CliError> {
    let engine_error = |e| CliError::engine(e, profile);
    if !force && let Some(token) = ctx.engine.cached_token(profile, want).map_err(engine_error)? {
        return Ok((token, false));
    }
    let refreshed = runtime()?
        .block_on(ctx.engine.token(profile, want, force))
        .map_err(engine_error)?;
    if let Some(warning) = &refreshed.cache_warning {
        super::eprint_safe!("wktui: warning: {warning}");
    }
    Ok((refreshed.token, refreshed.origin != Origin::Cache))
}

pub fn format_token(token: &Token, format: TokenFormat) -> String {
    let secret = token.access_token.expose();
    match format {
        TokenFormat::Bare => format!("{secret}\n"),
        TokenFormat::Header => format!("Authorization: Bearer {secret}\n"),
        TokenFormat::Json => {
            let now = clock::now();
            let value = json!({
                "access_token": secret,
                "expires_in": token.seconds_left(now).max(0),
                "scope": token.scopes.to_string(),
                "token_type": token.token_type,
                "expires_at": rfc3339(token.expires_at()),
            });
            format!("{value}\n")
        }
    }
}
