//! `wktui env NAME`: shell lines that export the profile's token variables,
//! for `eval "$(wktui env prod)"`. No endpoint: nothing would keep it alive
//! once this command returns, so the token lives as long as it lives.

use std::time::Duration;

use super::args::{EnvArgs, Shell};
use super::output::rfc3339;
use super::token::token_with;
use super::{CliError, Context, print};
use crate::engine::MinLeft;
use crate::model::{Profile, Token};

pub const TOKEN_VAR: &str = "WORKIVA_TOKEN";
pub const EXPIRES_AT_VAR: &str = "WORKIVA_TOKEN_EXPIRES_AT";
pub const API_URL_VAR: &str = "WORKIVA_API_URL";
pub const PROFILE_VAR: &str = "WORKIVA_PROFILE";

pub fn run(ctx: &Context, args: &EnvArgs) -> Result<(), CliError> {
    let profile = ctx.chosen(args.name.as_deref())?;
    let want = match args.min_ttl {
        Some(secs) => MinLeft::Asked(Duration::from_secs(secs)),
        None => MinLeft::Margin(ctx.config.settings.refresh_margin),
    };
    let (token, _) = token_with(ctx, profile, want, false)?;
    let lines: String = token_variables(profile, &token)
        .iter()
        .map(|(name, value)| export_line(args.shell, name, value))
        .collect();
    print(&lines)
}

/// The variables `env` prints and `exec` gives its child.
pub fn token_variables(profile: &Profile, token: &Token) -> Vec<(&'static str, String)> {
    vec![
        (TOKEN_VAR, token.access_token.expose().to_owned()),
        (EXPIRES_AT_VAR, rfc3339(token.expires_at())),
        (API_URL_VAR, profile.api_base_url()),
        (PROFILE_VAR, profile.name.clone()),
    ]
}

/// One assignment, quoted so that the shell takes the value literally.
fn export_line(shell: Shell, name: &str, value: &str) -> String {
    match shell {
        Shell::Sh => format!("export {name}='{}'\n", value.replace('\'', r"'\''")),
        Shell::Fish => format!(
            "set -gx {name} '{}'\n",
            value.replace('\\', r"\\").replace('\'', r"\'")
        ),
        Shell::Powershell => format!("$Env:{name} = '{}'\n", value.replace('\'', "''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_for_each_shell() {
        let value = r"it's a \ test";
        assert_eq!(
            export_line(Shell::Sh, "V", value),
            "export V='it'\\''s a \\ test'\n"
        );
        assert_eq!(
            export_line(Shell::Fish, "V", value),
            "set -gx V 'it\\'s a \\\\ test'\n"
        );
        assert_eq!(
            export_line(Shell::Powershell, "V", value),
            "$Env:V = 'it''s a \\ test'\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn sh_reads_back_exactly_what_was_quoted() {
        let value = "a'b\"c$d`e\\f g";
        let script = format!("{}printf %s \"$V\"", export_line(Shell::Sh, "V", value));
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .expect("sh");
        assert_eq!(String::from_utf8_lossy(&out.stdout), value);
    }
}
