//! The checks behind `wktui doctor`: why wktui may not work on this machine.
//!
//! Each check is a typed result (what was checked, for which profile, how
//! it went, and a fix when it failed); printing is the front end's job.
//! Checks that wait on something (the keyring, the clipboard, the network)
//! run concurrently, each within its own short deadline, so a dead host or a
//! keyring prompt cannot hold up the others. No check ever shows a secret:
//! the secret check only says whether a secret is there, and the endpoint is
//! asked without credentials.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::TokenCache;
use crate::clipboard::{self, Method};
use crate::config::default_profile::{self, DefaultProfile, DefaultSource};
use crate::config::env_profile::{self, EnvProfile};
use crate::config::{self, Config};
use crate::model::text::clean;
use crate::model::{GrantState, Profile, SecretSource, Settings};
use crate::platform::fs as private;
use crate::secrets::{SecretError, SecretStore};

/// How long one check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// The most the clock may differ from a server's before it is reported.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    /// Worth knowing, but nothing is broken.
    Warn,
    Fail,
    /// Could not be checked here (said why).
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// One check's outcome. `detail` and `fix` are clean of control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked: config, keyring, clipboard, cache, env, secret, dns, tls, endpoint, clock.
    pub name: &'static str,
    /// The profile it was checked for, if any.
    pub profile: Option<String>,
    pub status: Status,
    pub detail: String,
    /// What to do about it, when it failed or warns.
    pub fix: Option<String>,
}

impl Check {
    fn new(name: &'static str, profile: Option<&str>, status: Status, detail: impl AsRef<str>) -> Check {
        Check {
            name,
            profile: profile.map(str::to_owned),
            status,
            detail: clean(detail.as_ref(), 1000),
            fix: None,
        }
    }

    fn fix(mut self, fix: impl AsRef<str>) -> Check {
        self.fix = Some(clean(fix.as_ref(), 1000));
        self
    }
}

/// The environment (the process's, or a map in tests).
pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What the checks look at.
pub struct Inputs {
    pub config_path: PathBuf,
    pub cache: TokenCache,
    /// Only this profile, or every one.
    pub only: Option<String>,
    pub secrets: Arc<dyn SecretStore>,
    /// The environment (the process's, or a map in tests).
    pub env: Env,
}

/// Runs every check; the results come back in a stable order.
pub async fn run(inputs: Inputs) -> Vec<Check> {
    let env = Arc::clone(&inputs.env);
    let found = config_checks(&inputs.config_path);
    let mut checks = found.checks;
    let mut config = found.config.unwrap_or_default();
    // A refused file steers nothing: not its settings, not a host it names.
    if found.refused {
        config.settings = Settings::default();
    }
    // The profile of the WORKIVA_* variables, when it is not the file's.
    let mut env_profile = None;
    match env_profile::from_env(|v| env(v)) {
        Ok(EnvProfile::Present(p)) => {
            if config.profiles.iter().all(|c| c.name != p.name) {
                checks.push(Check::new(
                    "env",
                    None,
                    Status::Pass,
                    "WORKIVA_CLIENT_ID and WORKIVA_CLIENT_SECRET define the profile env",
                ));
                env_profile = Some(p.name.clone());
                config.profiles.push(p);
            }
        }
        Ok(EnvProfile::Incomplete { missing }) => checks.push(
            Check::new(
                "env",
                None,
                Status::Warn,
                format!("some WORKIVA_* variables are set but not {missing}, so there is no env profile"),
            )
            .fix(format!(
                "{} too, or unset the others",
                crate::platform::process::set_variable(missing, "...")
            )),
        ),
        Ok(EnvProfile::Absent) => {}
        Err(e) => checks.push(
            Check::new("env", None, Status::Fail, e.to_string()).fix("correct the WORKIVA_* variables"),
        ),
    }
    checks.extend(default_check(&config, env(default_profile::PROFILE_ENV)));
    let profiles: Vec<Profile> = match &inputs.only {
        Some(name) => match config.profile(name) {
            Ok(p) => vec![p.clone()],
            Err(e) => {
                checks.push(Check::new("profile", Some(name), Status::Fail, e.to_string()));
                Vec::new()
            }
        },
        None => config.profiles.clone(),
    };
    let keyring_needed = profiles.iter().any(|p| p.secret_source == SecretSource::Keyring);

    let keyring = tokio::spawn(bounded(
        "keyring",
        None,
        keyring_check(Arc::clone(&inputs.secrets), keyring_needed),
    ));
    let clipboard = tokio::spawn(bounded(
        "clipboard",
        None,
        clipboard_check(config.settings.clone(), Arc::clone(&env)),
    ));
    let today = crate::clock::today();
    let mut per_profile = Vec::new();
    for profile in &profiles {
        let secret = tokio::spawn(bounded(
            "secret",
            Some(profile.name.clone()),
            secret_check(profile.clone(), Arc::clone(&inputs.secrets), Arc::clone(&env)),
        ));
        let from_refused_file = found.refused && env_profile.as_ref() != Some(&profile.name);
        let network = if from_refused_file {
            let skipped = Check::new(
                "network",
                Some(&profile.name),
                Status::Skip,
                "not asked: the config file is refused (see the permissions check), so the hosts it names are not contacted",
            );
            tokio::spawn(async move { vec![skipped] })
        } else {
            tokio::spawn(network_checks(
                profile.clone(),
                config.settings.clone(),
                Arc::clone(&env),
            ))
        };
        per_profile.push((secret, network, grant_check(profile, today)));
    }
    checks.push(joined(keyring.await, "keyring"));
    checks.push(joined(clipboard.await, "clipboard"));
    checks.push(cache_check(&inputs.cache));
    checks.push(log_check(crate::logging::default_path()));
    for (secret, network, grant) in per_profile {
        checks.push(joined(secret.await, "secret"));
        checks.extend(grant);
        match network.await {
            Ok(found) => checks.extend(found),
            Err(e) => checks.push(Check::new(
                "network",
                None,
                Status::Fail,
                format!("internal error: {e}"),
            )),
        }
    }
    checks
}

/// The grant's expiry date, when the profile records one: a warning from
/// `WARN_DAYS` before, a failure once past.
fn grant_check(profile: &Profile, today: chrono::NaiveDate) -> Option<Check> {
    let expires = profile.grant_expires?;
    let state = expires.state(today);
    let name = Some(profile.name.as_str());
    let detail = format!("grant {} ({expires})", state.describe());
    let renew = format!(
        "ask for a new grant in Workiva, then `wktui profile set-secret {0}` and `wktui profile edit {0} --grant-expires YYYY-MM-DD`",
        profile.name
    );
    Some(match state {
        GrantState::Fine { .. } => Check::new("grant", name, Status::Pass, detail),
        GrantState::Expiring { .. } => Check::new("grant", name, Status::Warn, detail).fix(renew),
        GrantState::Expired { .. } => Check::new("grant", name, Status::Fail, detail).fix(renew),
    })
}

/// Which profile a command without a name uses, and whether it exists.
fn default_check(config: &Config, env: Option<String>) -> Option<Check> {
    let default = DefaultProfile::find(&config.settings, env.clone())?;
    Some(match config.chosen(None, env) {
        Ok(profile) => Check::new(
            "default",
            None,
            Status::Pass,
            format!(
                "commands without a profile name use {} (from {})",
                profile.name, default.source
            ),
        ),
        Err(e) => {
            let fix = match default.source {
                DefaultSource::Env => format!(
                    "{} with a configured NAME, or unset it",
                    crate::platform::process::set_variable(default_profile::PROFILE_ENV, "NAME")
                ),
                DefaultSource::Config => {
                    "name a configured profile in default_profile (`wktui config edit`)".to_owned()
                }
            };
            Check::new("default", None, Status::Fail, e.to_string()).fix(fix)
        }
    })
}

/// A check's future, cut off after `CHECK_TIMEOUT`.
async fn bounded(
    name: &'static str,
    profile: Option<String>,
    check: impl std::future::Future<Output = Check>,
) -> Check {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(check) => check,
        Err(_) => Check::new(
            name,
            profile.as_deref(),
            Status::Fail,
            format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
        ),
    }
}

fn joined(result: Result<Check, tokio::task::JoinError>, name: &'static str) -> Check {
    result.unwrap_or_else(|e| Check::new(name, None, Status::Fail, format!("internal error: {e}")))
}

/// Runs blocking work (a keyring call, a display connection) off the runtime.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(work).await.ok()
}

mod local;
mod network;

use local::*;
use network::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    #[test]
    fn the_clock_is_checked_against_the_server_date_allowing_for_the_round_trip() {
        // Tue, 15 Nov 1994 08:12:31 GMT
        let server = 784_887_151_000u64;
        let at = |ms: u64| Timestamp(ms);
        let date = Some("Tue, 15 Nov 1994 08:12:31 GMT");
        assert_eq!(
            clock_check("p", date, at(server - 500), at(server + 300)).status,
            Status::Pass
        );
        assert_eq!(
            clock_check("p", date, at(server + 59_000), at(server + 59_500)).status,
            Status::Pass
        );
        let ahead = clock_check("p", date, at(server + 120_000), at(server + 120_100));
        assert_eq!(ahead.status, Status::Fail);
        assert!(ahead.detail.contains("ahead of"), "{}", ahead.detail);
        let behind = clock_check("p", date, at(server - 300_000), at(server - 299_000));
        assert!(behind.detail.contains("s behind"), "{}", behind.detail);
        assert_eq!(clock_check("p", None, at(0), at(0)).status, Status::Skip);
        assert_eq!(
            clock_check("p", Some("yesterday"), at(0), at(0)).status,
            Status::Skip
        );
    }

    #[test]
    fn proxies_apply_unless_no_proxy_names_the_host() {
        let url = url::Url::parse("https://api.eu.wdesk.com/oauth2/token").expect("url");
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(proxy_for(&url, env(&[])), None);
        assert_eq!(
            proxy_for(&url, env(&[("HTTPS_PROXY", "http://proxy:3128")])).as_deref(),
            Some("http://proxy:3128")
        );
        assert_eq!(
            proxy_for(
                &url,
                env(&[
                    ("HTTPS_PROXY", "http://proxy:3128"),
                    ("NO_PROXY", "localhost,.wdesk.com")
                ])
            ),
            None
        );
        assert_eq!(proxy_for(&url, env(&[("HTTP_PROXY", "http://proxy:3128")])), None);
    }

    #[test]
    fn a_command_secret_is_found_on_path_without_running_it() {
        let real: Env = Arc::new(|v| std::env::var(v).ok());
        let program = if cfg!(windows) { "cmd" } else { "sh" };
        assert!(on_path(program, &real));
        assert!(!on_path("wktui-surely-not-installed", &real));
        assert!(!on_path("", &real));
    }
}
