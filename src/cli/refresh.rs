//! `wktui refresh`: new tokens for several profiles at once.

use super::args::RefreshArgs;
use super::output::local_time;
use super::{CliError, Context};
use crate::clock;
use crate::engine::Origin;
use crate::model::{Profile, TokenState, format_duration};

pub fn run(ctx: &Context, args: &RefreshArgs) -> Result<(), CliError> {
    let chosen = choose(ctx, args)?;
    if chosen.is_empty() {
        return ctx.say("Every token is valid; nothing to refresh (use --all to refresh anyway).\n");
    }
    let mut results = super::runtime()?.block_on(ctx.engine.refresh_many(chosen));
    // By name, as `list` and the interface show profiles.
    results.sort_by(|(a, _), (b, _)| a.cmp(b));
    let now = clock::now();
    let width = results.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut out = String::new();
    let mut failed = 0;
    for (name, result) in &results {
        match result {
            Ok(done) => {
                let latency = match done.origin {
                    Origin::Server { latency, .. } => format!(", {} ms", latency.as_millis()),
                    Origin::Cache => String::new(),
                };
                out.push_str(&format!(
                    "{name:width$}  refreshed  expires {} (in {}){latency}\n",
                    local_time(done.token.expires_at(), now),
                    format_duration(done.token.seconds_left(now).max(0).unsigned_abs()),
                ));
                if let Some(warning) = &done.cache_warning {
                    super::eprint_safe!("wktui: warning: {name}: {warning}");
                }
            }
            Err(e) => {
                failed += 1;
                super::eprint_safe!("wktui: error: {name}: {e}");
                let hint = match ctx.config.profile(name) {
                    Ok(profile) => e.hint_for(profile, clock::today()),
                    Err(_) => e.hint(name),
                };
                if let Some(hint) = hint {
                    super::eprint_safe!("  hint: {hint}");
                }
            }
        }
    }
    ctx.say(&out)?;
    if failed > 0 {
        return Err(CliError::runtime(format!(
            "{failed} of {} profiles could not be refreshed{}",
            results.len(),
            left_undone(&results)
        )));
    }
    Ok(())
}

/// "; N of them left undone when the run's time ran out: a, b, c…", one
/// part for each way a profile was left (see `Undone`), or nothing.
fn left_undone(
    results: &[(
        String,
        Result<crate::engine::Refreshed, crate::engine::EngineError>,
    )],
) -> String {
    use crate::engine::{EngineError, Undone};
    let mut out = String::new();
    for (why, words) in [
        (
            Undone::RateLimited,
            "left undone when the run's time ran out (the server limits requests)",
        ),
        (Undone::NoAnswer, "got no answer before the run's time ran out"),
        (Undone::NotStarted, "left undone when the run's time ran out"),
    ] {
        let undone: Vec<&str> = results
            .iter()
            .filter(|(_, r)| matches!(r, Err(EngineError::LeftUndone { stage, .. }) if *stage == why))
            .map(|(name, _)| name.as_str())
            .collect();
        if undone.is_empty() {
            continue;
        }
        let shown: Vec<&str> = undone.iter().copied().take(10).collect();
        let more = if undone.len() > shown.len() { ", …" } else { "" };
        out.push_str(&format!(
            "; {} of them {words}: {}{more}",
            undone.len(),
            shown.join(", ")
        ));
    }
    out
}

/// Named profiles, all of them, or those whose token needs it.
fn choose(ctx: &Context, args: &RefreshArgs) -> Result<Vec<Profile>, CliError> {
    let profiles = &ctx.config.profiles;
    if args.all {
        return Ok(profiles.clone());
    }
    if !args.names.is_empty() {
        return args
            .names
            .iter()
            .map(|n| ctx.config.profile(n).cloned().map_err(CliError::from))
            .collect();
    }
    let now = clock::now();
    let margin = ctx.config.settings.refresh_margin;
    Ok(profiles
        .iter()
        .filter(|p| TokenState::of(ctx.engine.cache().load(p).as_ref(), now, margin).needs_refresh())
        .cloned()
        .collect())
}
