//! The checks behind `wktui doctor`: why wktui may not work on this machine.
//!
//! Each check is a typed result (what was checked, for which profile, how
//! it went, and a fix when it failed); printing is the front end's job.
//! Checks that wait on something (the keyring, the clipboard, the network)
//! run concurrently, each within its own short deadline, so a dead host or a
//! keyring prompt cannot hold up the others. No check ever shows a secret:
//! the secret check only says whether a secret is there, and the endpoint is
//! asked without credentials.

use std::path::{Path, PathBuf};
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
    let (mut checks, config) = config_checks(&inputs.config_path);
    let mut config = config.unwrap_or_default();
    match env_profile::from_env(|v| env(v)) {
        Ok(EnvProfile::Present(p)) => {
            if config.profiles.iter().all(|c| c.name != p.name) {
                checks.push(Check::new(
                    "env",
                    None,
                    Status::Pass,
                    "WORKIVA_CLIENT_ID and WORKIVA_CLIENT_SECRET define the profile env",
                ));
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
            .fix(format!("export {missing} too, or unset the others")),
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
        let network = tokio::spawn(network_checks(
            profile.clone(),
            config.settings.clone(),
            Arc::clone(&env),
        ));
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
                    "export {}=NAME with a configured NAME, or unset it",
                    default_profile::PROFILE_ENV
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

/// Found, valid, and writable by nobody else.
fn config_checks(path: &Path) -> (Vec<Check>, Option<Config>) {
    let mut checks = Vec::new();
    let text = match config::read_text(path) {
        Ok(Some(text)) => text,
        Ok(None) => {
            checks.push(
                Check::new("config", None, Status::Warn, format!("no config file at {}", path.display()))
                    .fix("add a profile: wktui profile add NAME --client-id ID (or set WORKIVA_CLIENT_ID and WORKIVA_CLIENT_SECRET)"),
            );
            return (checks, None);
        }
        Err(e) => {
            checks.push(
                Check::new("config", None, Status::Fail, e.to_string())
                    .fix("make it a readable config file of yours"),
            );
            return (checks, None);
        }
    };
    let config = match config::parse(&text, path) {
        Ok(config) if config.broken.is_empty() => {
            checks.push(Check::new(
                "config",
                None,
                Status::Pass,
                format!(
                    "{} is valid ({} profile{})",
                    path.display(),
                    config.profiles.len(),
                    if config.profiles.len() == 1 { "" } else { "s" }
                ),
            ));
            Some(config)
        }
        // The other profiles are still checked: they work.
        Ok(config) => {
            for broken in &config.broken {
                checks.push(
                    Check::new(
                        "config",
                        broken.name.as_deref(),
                        Status::Fail,
                        format!("{} cannot be used: {}", broken.label(), broken.problem),
                    )
                    .fix("correct it with `wktui config edit` (it is saved only once it loads)"),
                );
            }
            Some(config)
        }
        Err(e) => {
            checks.push(
                Check::new("config", None, Status::Fail, e.to_string())
                    .fix("correct it with `wktui config edit` (it is saved only once it loads)"),
            );
            None
        }
    };
    checks.push(config_permissions(path));
    (checks, config)
}

/// The checks wktui itself makes before it believes the config (see
/// `platform::fs::Kind::Config`), in the words of its refusal.
fn config_permissions(path: &Path) -> Check {
    match private::check_trusted(path, private::Kind::Config) {
        Ok(()) => Check::new(
            "permissions",
            None,
            Status::Pass,
            crate::platform::privacy::CHANGED_ONLY_BY_YOU,
        ),
        Err(e) if e.is_not_found() => Check::new("permissions", None, Status::Skip, "no config file"),
        Err(e) => {
            let fix = e.fix();
            Check::new("permissions", None, Status::Fail, e.to_string()).fix(fix)
        }
    }
}

/// The log (`wktui.log`), checked as it is before each write: a file wktui
/// may not append to is skipped silently there, so it is said here.
fn log_check(path: Option<PathBuf>) -> Check {
    let Some(path) = path else {
        return Check::new("log", None, Status::Skip, "no state directory for a log");
    };
    match private::check_trusted(&path, private::Kind::Log) {
        Ok(()) => Check::new(
            "log",
            None,
            Status::Pass,
            format!("{} is yours and private", path.display()),
        ),
        Err(e) if e.is_not_found() => Check::new(
            "log",
            None,
            Status::Pass,
            format!(
                "{} does not exist yet; it is {} when there is something to log",
                path.display(),
                crate::platform::privacy::FILE_MADE_PRIVATE
            ),
        ),
        Err(e) => {
            let fix = e.fix();
            Check::new("log", None, Status::Fail, format!("nothing is logged: {e}")).fix(fix)
        }
    }
}

/// Reachable: a lookup of an entry that does not exist gets an answer.
async fn keyring_check(secrets: Arc<dyn SecretStore>, needed: bool) -> Check {
    let backend = crate::platform::keyring::BACKEND;
    let probe = blocking(move || secrets.get("wktui-doctor-probe").map(|_| ())).await;
    let (status_if_broken, note) = if needed {
        (Status::Fail, "")
    } else {
        (Status::Warn, " (no profile keeps its secret there)")
    };
    match probe {
        Some(Ok(())) | Some(Err(SecretError::NotFound { .. })) => {
            Check::new("keyring", None, Status::Pass, format!("{backend}: reachable"))
        }
        Some(Err(SecretError::Locked { reason, .. })) => Check::new(
            "keyring",
            None,
            status_if_broken,
            format!("{backend}: locked ({reason}){note}"),
        )
        .fix(crate::platform::keyring::UNLOCK_ADVICE),
        Some(Err(e @ SecretError::NoKeyring { .. })) => Check::new(
            "keyring",
            None,
            status_if_broken,
            format!("{backend}: {}{note}", first_sentence(&e.to_string())),
        )
        .fix(format!(
            "{}, or keep secrets elsewhere: `wktui profile edit NAME --secret-env VAR` or `--secret-command CMD`",
            crate::platform::keyring::START_ADVICE
        )),
        Some(Err(e)) => Check::new("keyring", None, status_if_broken, format!("{backend}: {e}{note}")),
        None => Check::new("keyring", None, Status::Fail, "the keyring check stopped unexpectedly"),
    }
}

/// "no OS keyring is reachable (why)": the part before the advice.
fn first_sentence(text: &str) -> &str {
    text.split_once(". ").map_or(text, |(first, _)| first)
}

/// Whether the profile's secret is where it says, without showing it.
async fn secret_check(profile: Profile, secrets: Arc<dyn SecretStore>, env: Env) -> Check {
    let name = profile.name.clone();
    let check = |status, detail: String| Check::new("secret", Some(&name), status, detail);
    match &profile.secret_source {
        SecretSource::Keyring | SecretSource::Memory => {
            let who = profile.name.clone();
            match blocking(move || secrets.get(&who).map(|_| ())).await {
                Some(Ok(())) => check(Status::Pass, "stored in the keyring, which is unlocked".into()),
                Some(Err(e @ SecretError::NotFound { .. })) => check(Status::Fail, e.to_string())
                    .fix(format!("wktui profile set-secret {name}")),
                Some(Err(e @ SecretError::Locked { .. })) => {
                    check(Status::Fail, e.to_string()).fix("unlock the keyring")
                }
                Some(Err(e)) => check(Status::Fail, first_sentence(&e.to_string()).to_owned()).fix(format!(
                    "start a Secret Service in this session, or keep the secret elsewhere: wktui profile edit {name} --secret-env VAR"
                )),
                None => check(Status::Fail, "the keyring check stopped unexpectedly".into()),
            }
        }
        SecretSource::Env(var) => match env(var) {
            Some(v) if !v.is_empty() => check(Status::Pass, format!("${var} is set")),
            _ => check(Status::Fail, format!("${var} is not set (or empty)")).fix(format!(
                "export {var}=... (from your password manager or CI secrets)"
            )),
        },
        SecretSource::Command(cmd) => {
            let program = cmd.split_whitespace().next().unwrap_or_default().to_owned();
            let path = env("PATH");
            if on_path(&program, path.as_deref()) {
                check(
                    Status::Pass,
                    format!("from the command `{cmd}` ({program} is installed; doctor does not run it)"),
                )
            } else {
                check(
                    Status::Fail,
                    format!("{program}, which the secret command `{cmd}` runs, is not on PATH"),
                )
                .fix(format!(
                    "install {program}, or change the command: wktui profile edit {name} --secret-command CMD"
                ))
            }
        }
    }
}

fn on_path(program: &str, path: Option<&str>) -> bool {
    if program.is_empty() {
        return false;
    }
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    path.map(|p| std::env::split_paths(p).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// Where a copy goes, and whether it can get there.
async fn clipboard_check(settings: Settings, env: Env) -> Check {
    match clipboard::choose_method(settings.clipboard, |v| env(v)) {
        Method::System => {
            let display = env("WAYLAND_DISPLAY")
                .filter(|v| !v.is_empty())
                .map(|d| format!("Wayland ({d})"))
                .or_else(|| {
                    env("DISPLAY")
                        .filter(|v| !v.is_empty())
                        .map(|d| format!("X11 ({d})"))
                })
                .unwrap_or_else(|| "the desktop".to_owned());
            match blocking(|| arboard::Clipboard::new().map(drop).map_err(|e| e.to_string())).await {
                Some(Ok(())) => Check::new(
                    "clipboard",
                    None,
                    Status::Pass,
                    format!("{display} clipboard reachable"),
                ),
                Some(Err(e)) => Check::new(
                    "clipboard",
                    None,
                    Status::Fail,
                    format!("{display} clipboard: {e}"),
                )
                .fix("set clipboard = \"osc52\" in [settings] to copy through the terminal"),
                None => Check::new(
                    "clipboard",
                    None,
                    Status::Fail,
                    "the clipboard check stopped unexpectedly",
                ),
            }
        }
        Method::Osc52 => {
            let why = if env("SSH_TTY").is_some_and(|v| !v.is_empty()) {
                "over SSH"
            } else if matches!(settings.clipboard, crate::model::ClipboardMode::Osc52) {
                "as configured"
            } else {
                "no display"
            };
            if env("TMUX").is_none_or(|v| v.is_empty()) {
                return Check::new(
                    "clipboard",
                    None,
                    Status::Pass,
                    format!(
                        "OSC 52 through the terminal ({why}); your terminal must allow it, and wktui cannot clear it later"
                    ),
                );
            }
            tmux_check(why).await
        }
    }
}

/// Inside tmux, OSC 52 arrives only with `set-clipboard on`.
async fn tmux_check(why: &'static str) -> Check {
    let out = tokio::process::Command::new("tmux")
        .args(["show", "-gv", "set-clipboard"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await;
    let value = match out {
        Ok(o) if o.status.success() => clean(String::from_utf8_lossy(&o.stdout).trim(), 40),
        _ => {
            return Check::new(
                "clipboard",
                None,
                Status::Warn,
                format!("OSC 52 through tmux ({why}), whose set-clipboard could not be read"),
            )
            .fix("tmux set -g set-clipboard on");
        }
    };
    if value == "on" {
        Check::new(
            "clipboard",
            None,
            Status::Pass,
            format!("OSC 52 through tmux ({why}), which passes it on (set-clipboard on)"),
        )
    } else {
        Check::new(
            "clipboard",
            None,
            Status::Fail,
            format!("OSC 52 through tmux ({why}), whose set-clipboard is {value}: copies never arrive"),
        )
        .fix("tmux set -g set-clipboard on (and add it to ~/.tmux.conf)")
    }
}

/// The token cache directory: ours, and closed to everyone else.
fn cache_check(cache: &TokenCache) -> Check {
    let dir = cache.dir();
    if let Some(problem) = cache.problem() {
        return Check::new("cache", None, Status::Fail, problem).fix(format!(
            "set WKTUI_CACHE_DIR to {} (or fix the one named)",
            crate::platform::privacy::OWN_DIRECTORY
        ));
    }
    if !dir.exists() {
        return Check::new(
            "cache",
            None,
            Status::Pass,
            format!(
                "{} does not exist yet; {}",
                dir.display(),
                crate::platform::privacy::MADE_ON_FIRST_USE
            ),
        );
    }
    Check::new(
        "cache",
        None,
        Status::Pass,
        format!(
            "{} is yours and {}",
            dir.display(),
            crate::platform::privacy::PRIVATE
        ),
    )
}

/// DNS, then TLS, then the endpoint and the clock: each needs the one before.
async fn network_checks(profile: Profile, settings: Settings, env: Env) -> Vec<Check> {
    let name = profile.name.clone();
    let p = Some(name.as_str());
    let url_text = profile.token_url();
    let url = match url::Url::parse(&url_text) {
        Ok(url) => url,
        Err(e) => {
            return vec![Check::new(
                "dns",
                p,
                Status::Fail,
                format!("{url_text} is not a URL: {e}"),
            )];
        }
    };
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let mut checks = Vec::new();
    if let Some(proxy) = proxy_for(&url, |v| env(v)) {
        let note = format!("requests to {host} go through the proxy {proxy}; the endpoint check covers it");
        checks.push(Check::new("dns", p, Status::Skip, &note));
        checks.push(Check::new("tls", p, Status::Skip, &note));
    } else {
        let addrs =
            match tokio::time::timeout(CHECK_TIMEOUT, tokio::net::lookup_host((host.as_str(), port))).await {
                Ok(Ok(addrs)) => addrs.collect::<Vec<_>>(),
                Ok(Err(e)) => {
                    checks.push(
                        Check::new("dns", p, Status::Fail, format!("{host} does not resolve: {e}"))
                            .fix("check the host name (region or token_url) and this machine's DNS"),
                    );
                    return checks;
                }
                Err(_) => {
                    checks.push(
                        Check::new(
                            "dns",
                            p,
                            Status::Fail,
                            format!("resolving {host} took more than {} s", CHECK_TIMEOUT.as_secs()),
                        )
                        .fix("check this machine's DNS"),
                    );
                    return checks;
                }
            };
        let Some(addr) = addrs.first().copied() else {
            checks.push(Check::new(
                "dns",
                p,
                Status::Fail,
                format!("{host} resolves to no address"),
            ));
            return checks;
        };
        checks.push(Check::new(
            "dns",
            p,
            Status::Pass,
            format!("{host} resolves to {}", addr.ip()),
        ));
        let ca = profile.ca_file.clone().or_else(|| settings.ca_file.clone());
        if url.scheme() == "https" {
            let tls = bounded(
                "tls",
                Some(name.clone()),
                tls_check(host.clone(), addr, ca.clone(), name.clone()),
            )
            .await;
            let failed = tls.status == Status::Fail;
            checks.push(tls);
            if failed {
                return checks;
            }
        } else {
            checks.push(Check::new(
                "tls",
                p,
                Status::Skip,
                "plain http to this machine (a local test server)",
            ));
        }
    }
    let ca = profile.ca_file.clone().or_else(|| settings.ca_file.clone());
    checks.extend(bounded_pair(&name, endpoint_check(profile, ca)).await);
    checks
}

async fn bounded_pair(name: &str, work: impl std::future::Future<Output = Vec<Check>>) -> Vec<Check> {
    match tokio::time::timeout(CHECK_TIMEOUT, work).await {
        Ok(checks) => checks,
        Err(_) => vec![
            Check::new(
                "endpoint",
                Some(name),
                Status::Fail,
                format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
            )
            .fix("check the network path to the host (firewall, proxy)"),
        ],
    }
}

/// The proxy a request to `url` would go through, as reqwest reads the environment.
fn proxy_for(url: &url::Url, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let var = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()));
    let proxy = match url.scheme() {
        "https" => var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
        _ => var(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]),
    }?;
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let no_proxy = var(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    let bypassed = no_proxy.split(',').map(str::trim).any(|rule| {
        let rule = rule.trim_start_matches('.').to_ascii_lowercase();
        rule == "*" || (!rule.is_empty() && (host == rule || host.ends_with(&format!(".{rule}"))))
    });
    (!bypassed).then(|| clean(&proxy, 200))
}

/// A TLS handshake with the trust store wktui uses: the OS verifier plus the
/// profile's (or the settings') extra CA file, through rustls with `ring`.
async fn tls_check(
    host: String,
    addr: std::net::SocketAddr,
    ca_file: Option<PathBuf>,
    profile: String,
) -> Check {
    let p = Some(profile.as_str());
    let store = match &ca_file {
        Some(ca) => format!("the OS trust store and {}", ca.display()),
        None => "the OS trust store".to_owned(),
    };
    let outcome = blocking(move || handshake(&host, addr, ca_file.as_deref())).await;
    match outcome {
        Some(Ok(version)) => Check::new("tls", p, Status::Pass, format!("{version} handshake verified with {store}")),
        Some(Err(e)) => Check::new("tls", p, Status::Fail, format!("handshake failed with {store}: {e}")).fix(
            "if a proxy on your network inspects TLS, add its CA: ca_file = \"/path/to/ca.pem\" in the profile or in [settings]",
        ),
        None => Check::new("tls", p, Status::Fail, "the TLS check stopped unexpectedly"),
    }
}

fn handshake(host: &str, addr: std::net::SocketAddr, ca_file: Option<&Path>) -> Result<String, String> {
    use rustls::pki_types::ServerName;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match ca_file {
        Some(path) => {
            // Loaded as a fetch loads it, so the two never judge it differently.
            let certs = crate::fetcher::ca_certificates(path).map_err(|e| e.to_string())?;
            rustls_platform_verifier::Verifier::new_with_extra_roots(certs, provider.clone())
        }
        None => rustls_platform_verifier::Verifier::new(provider.clone()),
    }
    .map_err(|e| format!("cannot load the trust store: {e}"))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).map_err(|e| format!("{host}: {e}"))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let mut tcp = std::net::TcpStream::connect_timeout(&addr, CHECK_TIMEOUT)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let _ = tcp.set_read_timeout(Some(CHECK_TIMEOUT));
    let _ = tcp.set_write_timeout(Some(CHECK_TIMEOUT));
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).map_err(|e| match e.get_ref() {
            Some(inner) => inner.to_string(),
            None => e.to_string(),
        })?;
    }
    Ok(match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_owned(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_owned(),
        Some(other) => format!("{other:?}"),
        None => "TLS".to_owned(),
    })
}

/// Asks the token endpoint for a token with no credentials at all: any
/// OAuth2 refusal means it is there and speaking; its `Date` header checks the clock.
async fn endpoint_check(profile: Profile, ca_file: Option<PathBuf>) -> Vec<Check> {
    let name = profile.name.clone();
    let p = Some(name.as_str());
    let url = profile.token_url();
    let client = match crate::fetcher::client_for_url(&url, ca_file.as_deref()) {
        Ok(client) => client,
        Err(e) => return vec![Check::new("endpoint", p, Status::Fail, e.to_string())],
    };
    let mut request = client
        .post(&url)
        .timeout(CHECK_TIMEOUT)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("grant_type", "client_credentials")]);
    if let Some(version) = profile.api_version.version_header() {
        request = request.header("X-Version", version);
    }
    let sent_at = crate::clock::now();
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            return vec![
                Check::new("endpoint", p, Status::Fail, format!("{url}: {}", error_chain(&e)))
                    .fix("check that the host is reachable from here (network, firewall, proxy)"),
            ];
        }
    };
    let received_at = crate::clock::now();
    let status = response.status().as_u16();
    let date = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let endpoint = match status {
        400 | 401 => Check::new(
            "endpoint",
            p,
            Status::Pass,
            format!("{url} answers (HTTP {status} to a request without credentials, as expected)"),
        ),
        200..=299 => Check::new(
            "endpoint",
            p,
            Status::Pass,
            format!("{url} answers (HTTP {status})"),
        ),
        404 | 405 => Check::new(
            "endpoint",
            p,
            Status::Fail,
            format!("{url} answers HTTP {status}: there is no token endpoint at that path"),
        )
        .fix(format!(
            "check the profile's token_url or api_version (wktui profile show {name})"
        )),
        429 => Check::new(
            "endpoint",
            p,
            Status::Warn,
            format!("{url} answers HTTP 429: rate-limited right now"),
        )
        .fix("wait a little; wktui retries 429s on its own"),
        _ => Check::new(
            "endpoint",
            p,
            Status::Fail,
            format!("{url} answers HTTP {status}"),
        )
        .fix("the server or a proxy in between is failing; try again later"),
    };
    vec![
        endpoint,
        clock_check(&name, date.as_deref(), sent_at, received_at),
    ]
}

/// The local clock against the server's `Date` (whole seconds), allowing for
/// the time the request took.
pub fn clock_check(
    profile: &str,
    date: Option<&str>,
    sent_at: crate::model::Timestamp,
    received_at: crate::model::Timestamp,
) -> Check {
    let p = Some(profile);
    let Some(date) = date else {
        return Check::new(
            "clock",
            p,
            Status::Skip,
            "the server sent no Date header to compare with",
        );
    };
    let Ok(server) = chrono::DateTime::parse_from_rfc2822(date.trim()) else {
        return Check::new(
            "clock",
            p,
            Status::Skip,
            format!("the server's Date header is not a date: {date}"),
        );
    };
    let server_ms = server.timestamp_millis();
    let (lo, hi) = (
        sent_at.as_millis() as i64 - 1000,
        received_at.as_millis() as i64 + 1000,
    );
    let skew_ms = if server_ms < lo {
        server_ms - lo
    } else if server_ms > hi {
        server_ms - hi
    } else {
        0
    };
    let skew = Duration::from_millis(skew_ms.unsigned_abs());
    if skew <= MAX_CLOCK_SKEW {
        return Check::new(
            "clock",
            p,
            Status::Pass,
            "agrees with the server's Date within a minute",
        );
    }
    let direction = if skew_ms > 0 { "behind" } else { "ahead of" };
    Check::new(
        "clock",
        p,
        Status::Fail,
        format!(
            "this machine's clock is {} s {direction} the server's",
            skew.as_secs()
        ),
    )
    .fix("synchronise the clock (e.g. timedatectl set-ntp true)")
}

/// A client built as the fetcher builds its own: rustls with `ring`, the OS
/// verifier plus an extra CA file, no redirects.
/// An error and its causes, as one line (reqwest's own text is terse).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

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
        assert!(on_path("sh", std::env::var("PATH").ok().as_deref()));
        assert!(!on_path(
            "wktui-surely-not-installed",
            std::env::var("PATH").ok().as_deref()
        ));
        assert!(!on_path("", Some("/bin")));
    }
}
