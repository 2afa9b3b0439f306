//! `wktui copy NAME` and `wktui verify NAME`: the command forms of `c` and `v`.

use std::io::IsTerminal;

use super::args::CopyArgs;
use super::{CliError, Context, print, runtime};
use crate::clipboard::{self, Method};
use crate::fetcher::Verification;
use crate::model::{ClipboardMode, Profile, Token};

/// A token with more than the refresh margin left, fetched if need be.
fn valid_token(ctx: &Context, profile: &Profile) -> Result<(Token, bool), CliError> {
    let want = crate::engine::MinLeft::Margin(ctx.config.settings.refresh_margin);
    super::token::token_with(ctx, profile, want, false)
}

pub fn copy(ctx: &Context, args: &CopyArgs) -> Result<(), CliError> {
    let profile = ctx.chosen(args.name.as_deref())?;
    let (token, fetched) = valid_token(ctx, profile)?;
    let settings = &ctx.config.settings;
    let mode = if args.osc52 {
        ClipboardMode::Osc52
    } else {
        settings.clipboard
    };
    let how = match clipboard::method_for(mode) {
        Method::System => {
            clipboard::copy_system(token.access_token.expose(), settings.clipboard_clear_after)
                .map_err(|e| CliError::runtime(e.to_string()))?;
            let clear = settings.clipboard_clear_after.as_secs();
            if clear == 0 {
                "to the clipboard".to_owned()
            } else {
                format!("to the clipboard; it clears in {clear} s")
            }
        }
        Method::Osc52 => {
            write_osc52(token.access_token.expose())?;
            "through the terminal (OSC 52)".to_owned()
        }
    };
    let fresh = if fetched { "a new token" } else { "the token" };
    super::eprint_safe!("Copied {fresh} of {} {how}.", profile.name);
    Ok(())
}

/// OSC 52 goes to the terminal: stdout when it is one, else /dev/tty.
fn write_osc52(text: &str) -> Result<(), CliError> {
    let fail = |e: clipboard::ClipboardError| CliError::runtime(e.to_string());
    if std::io::stdout().is_terminal() {
        return clipboard::copy_osc52(&mut std::io::stdout().lock(), text).map_err(fail);
    }
    let mut tty = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/tty")
        .map_err(|e| CliError::runtime(format!("no terminal to send OSC 52 to: {e}")))?;
    clipboard::copy_osc52(&mut tty, text).map_err(fail)
}

pub fn verify(ctx: &Context, name: Option<&str>) -> Result<(), CliError> {
    let profile = ctx.chosen(name)?;
    let name = profile.name.as_str();
    let (token, _) = valid_token(ctx, profile)?;
    let verdict = runtime()?
        .block_on(ctx.engine.verify(profile, &token.access_token))
        .map_err(|e| CliError::engine(e, profile))?;
    let api = profile.api_base_url();
    if let Some(warning) = &verdict.drop_warning {
        super::eprint_safe!("warning: {warning}");
    }
    match verdict.verification {
        Verification::Accepted => print(&format!("{name}: accepted by {api}\n")),
        Verification::Refused(why) => {
            let next = if verdict.dropped {
                format!(
                    "; it was dropped from the cache, and the next `wktui token {name}` fetches a new one"
                )
            } else {
                String::new()
            };
            Err(CliError::runtime(format!(
                "{name}: the token was refused by {api}: {why}{next}"
            )))
        }
        forbidden @ Verification::Forbidden => Err(CliError::runtime(format!(
            "{name}: the token was {} (at {api}); it stays cached",
            forbidden.describe()
        ))),
    }
}
