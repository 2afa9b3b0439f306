//! Client secrets: the OS keyring by default, or an environment variable, or
//! a command's output. Never the config file, never a silent in-memory
//! fallback, and wrapped in `SecretString` so they are wiped after use.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use keyring_core::{CredentialStore, Entry};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroize;

use crate::model::{Profile, SecretSource};

/// Keyring entries are `service = "wktui"`, user = the profile name.
pub const KEYRING_SERVICE: &str = "wktui";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no OS keyring is reachable ({reason}). Start a Secret Service such as gnome-keyring in this session, or keep the secret elsewhere: `wktui profile add NAME --secret-env VAR` or `--secret-command CMD`"
    )]
    NoKeyring { reason: String },
    #[error(
        "no client secret is stored in the keyring for profile \"{profile}\"; store one with `wktui profile set-secret {profile}`"
    )]
    NotFound { profile: String },
    #[error(
        "the keyring refused access to the secret of profile \"{profile}\" ({reason}); unlock the keyring and try again"
    )]
    Locked { profile: String, reason: String },
    #[error("keyring error for profile \"{profile}\": {reason}")]
    Keyring { profile: String, reason: String },
    #[error(
        "profile \"{profile}\" reads its client secret from ${var}, which is not set (or empty); export it, e.g. `export {var}=...` from your password manager"
    )]
    EnvMissing { profile: String, var: String },
    #[error("the secret command of profile \"{profile}\" (`{command}`) failed: {reason}")]
    Command {
        profile: String,
        command: String,
        reason: String,
    },
    #[error("the client secret is empty")]
    Empty,
}

/// Where secrets are kept: the OS keyring, or memory for tests and the demo.
pub trait SecretStore: Send + Sync {
    fn get(&self, profile: &str) -> Result<SecretString, SecretError>;
    fn set(&self, profile: &str, secret: &SecretString) -> Result<(), SecretError>;
    /// Removes the entry; `Ok(false)` when there was none.
    fn delete(&self, profile: &str) -> Result<bool, SecretError>;
    /// How profiles whose secret is kept here say so.
    fn source(&self) -> SecretSource;
}

/// The secret a profile's source names.
pub fn read_secret(profile: &Profile, store: &dyn SecretStore) -> Result<SecretString, SecretError> {
    tracing::debug!(profile = %profile.name, source = %profile.secret_source, "reading the client secret");
    let secret = match &profile.secret_source {
        SecretSource::Keyring | SecretSource::Memory => store.get(&profile.name)?,
        SecretSource::Env(var) => match std::env::var(var) {
            Ok(v) if !v.is_empty() => SecretString::from(v),
            _ => {
                return Err(SecretError::EnvMissing {
                    profile: profile.name.clone(),
                    var: var.clone(),
                });
            }
        },
        SecretSource::Command(cmd) => run_secret_command(&profile.name, cmd)?,
    };
    if secret.expose_secret().is_empty() {
        return Err(SecretError::Empty);
    }
    Ok(secret)
}

/// Runs `sh -c CMD`; its standard output, less one trailing newline, is the secret.
fn run_secret_command(profile: &str, cmd: &str) -> Result<SecretString, SecretError> {
    let fail = |reason: String| SecretError::Command {
        profile: profile.to_owned(),
        command: cmd.to_owned(),
        reason,
    };
    let mut child = shell(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    // Both pipes drain on threads of their own, so a chatty stderr cannot
    // fill its pipe and stall the command while we wait with a time limit.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let status = wait_with_deadline(&mut child, SECRET_COMMAND_TIMEOUT).map_err(|e| fail(e.to_string()))?;
    tracing::debug!(profile = %profile, exit = ?status.map(|s| s.code()), "secret command finished");
    let mut out = stdout.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    let Some(status) = status else {
        out.zeroize();
        return Err(fail(format!(
            "it gave no answer within {} s (does it wait for a passphrase? wktui cannot type one for it)",
            SECRET_COMMAND_TIMEOUT.as_secs()
        )));
    };
    if !status.success() {
        out.zeroize();
        let first_line: String = err.lines().next().unwrap_or("").chars().take(200).collect();
        return Err(fail(format!("{status}: {first_line}")));
    }
    let mut text = String::from_utf8(out).map_err(|e| {
        let mut bytes = e.into_bytes();
        bytes.zeroize();
        fail("its output is not UTF-8".into())
    })?;
    let trimmed = SecretString::from(text.trim_end_matches(['\r', '\n']).to_owned());
    text.zeroize();
    if trimmed.expose_secret().is_empty() {
        return Err(fail("it printed nothing".into()));
    }
    Ok(trimmed)
}

/// A secret command that has not answered by then is stopped.
const SECRET_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The exit status, or `None` (and the child killed) when `limit` passed first.
fn wait_with_deadline(
    child: &mut std::process::Child,
    limit: std::time::Duration,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(unix)]
fn shell(cmd: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(cmd);
    c
}

#[cfg(windows)]
fn shell(cmd: &str) -> Command {
    let mut c = Command::new("cmd");
    c.arg("/C").arg(cmd);
    c
}

/// The platform keyring, opened on first use so commands that do not need
/// a secret (a cached `wktui token`) never touch D-Bus.
#[derive(Default)]
pub struct KeyringStore {
    store: OnceLock<Result<Arc<CredentialStore>, String>>,
}

impl KeyringStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn entry(&self, profile: &str) -> Result<Entry, SecretError> {
        tracing::debug!(
            first_use = self.store.get().is_none(),
            "keyring: opening the store entry"
        );
        let store = self
            .store
            .get_or_init(open_platform_store)
            .as_ref()
            .map_err(|reason| SecretError::NoKeyring {
                reason: reason.clone(),
            })?;
        Entry::new_in_store(store, KEYRING_SERVICE, profile).map_err(|e| keyring_error(profile, e))
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, profile: &str) -> Result<SecretString, SecretError> {
        tracing::debug!(profile = %profile, "keyring: get");
        let entry = self.entry(profile)?;
        entry
            .get_password()
            .map(SecretString::from)
            .map_err(|e| keyring_error(profile, e))
    }

    fn set(&self, profile: &str, secret: &SecretString) -> Result<(), SecretError> {
        tracing::debug!(profile = %profile, "keyring: set");
        self.entry(profile)?
            .set_password(secret.expose_secret())
            .map_err(|e| keyring_error(profile, e))
    }

    fn delete(&self, profile: &str) -> Result<bool, SecretError> {
        tracing::debug!(profile = %profile, "keyring: delete");
        match self.entry(profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error(profile, e)),
        }
    }

    fn source(&self) -> SecretSource {
        SecretSource::Keyring
    }
}

/// Words for a keyring error. Never formats the error's payload with `Debug`:
/// some variants carry the secret's bytes.
fn keyring_error(profile: &str, e: keyring_core::Error) -> SecretError {
    use keyring_core::Error as K;
    let profile = profile.to_owned();
    match e {
        K::NoEntry => SecretError::NotFound { profile },
        K::NoStorageAccess(inner) => SecretError::Locked {
            profile,
            reason: inner.to_string(),
        },
        K::PlatformFailure(inner) => {
            let reason = inner.to_string();
            if looks_unreachable(&reason) {
                SecretError::NoKeyring { reason }
            } else {
                SecretError::Keyring { profile, reason }
            }
        }
        K::BadEncoding(mut bytes) | K::BadDataFormat(mut bytes, _) => {
            bytes.zeroize();
            SecretError::Keyring {
                profile,
                reason: "the stored secret is not valid text".into(),
            }
        }
        other => SecretError::Keyring {
            profile,
            reason: match other {
                K::TooLong(attr, limit) => format!("{attr} is longer than {limit}"),
                K::Invalid(attr, why) => format!("{attr}: {why}"),
                K::NotSupportedByStore(why) => why,
                K::BadStoreFormat(why) => why,
                K::Ambiguous(_) => "more than one matching entry".into(),
                K::NoDefaultStore => "no keyring store".into(),
                _ => "unexpected keyring failure".into(),
            },
        },
    }
}

fn looks_unreachable(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    [
        "connect",
        "dbus",
        "d-bus",
        "no such file",
        "address",
        "not provided",
        "serviceunknown",
    ]
    .iter()
    .any(|needle| r.contains(needle))
}

#[cfg(target_os = "linux")]
fn open_platform_store() -> Result<Arc<CredentialStore>, String> {
    zbus_secret_service_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| e.to_string())
}

#[cfg(target_os = "macos")]
fn open_platform_store() -> Result<Arc<CredentialStore>, String> {
    apple_native_keyring_store::keychain::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| e.to_string())
}

#[cfg(target_os = "windows")]
fn open_platform_store() -> Result<Arc<CredentialStore>, String> {
    windows_native_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| e.to_string())
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn open_platform_store() -> Result<Arc<CredentialStore>, String> {
    Err("this platform has no supported keyring".into())
}

/// Secrets held in memory: for tests and `wktui demo`, never a fallback.
#[derive(Default)]
pub struct MemoryStore {
    secrets: Mutex<HashMap<String, SecretString>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, profile: &str) -> Result<SecretString, SecretError> {
        let secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        secrets
            .get(profile)
            .cloned()
            .ok_or_else(|| SecretError::NotFound {
                profile: profile.to_owned(),
            })
    }

    fn set(&self, profile: &str, secret: &SecretString) -> Result<(), SecretError> {
        let mut secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        secrets.insert(profile.to_owned(), secret.clone());
        Ok(())
    }

    fn delete(&self, profile: &str) -> Result<bool, SecretError> {
        let mut secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        Ok(secrets.remove(profile).is_some())
    }

    fn source(&self) -> SecretSource {
        SecretSource::Memory
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Endpoint, Region};

    fn profile(source: SecretSource) -> Profile {
        let mut p = Profile::new("p", Endpoint::Region(Region::Us), "id");
        p.secret_source = source;
        p
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::new();
        let p = profile(SecretSource::Keyring);
        assert!(matches!(
            read_secret(&p, &store),
            Err(SecretError::NotFound { .. })
        ));
        store
            .set("p", &SecretString::from("wk_secret:oa2c:abc"))
            .expect("set");
        assert_eq!(
            read_secret(&p, &store).expect("get").expose_secret(),
            "wk_secret:oa2c:abc"
        );
        assert!(store.delete("p").expect("delete"));
        assert!(!store.delete("p").expect("delete again"));
    }

    #[test]
    fn command_output_less_trailing_newline() {
        let p = profile(SecretSource::Command("printf 'a:b:c\\n'".into()));
        let secret = read_secret(&p, &MemoryStore::new()).expect("secret");
        assert_eq!(secret.expose_secret(), "a:b:c");
    }

    #[test]
    fn failing_command_says_why_without_its_output() {
        let p = profile(SecretSource::Command(
            "printf '\\150idden-value'; echo 'not found' >&2; exit 3".into(),
        ));
        let msg = read_secret(&p, &MemoryStore::new())
            .expect_err("fails")
            .to_string();
        assert!(
            msg.contains("not found") && msg.contains("exit status: 3"),
            "{msg}"
        );
        assert!(!msg.contains("hidden-value"), "{msg}");
        let p = profile(SecretSource::Command("true".into()));
        let msg = read_secret(&p, &MemoryStore::new())
            .expect_err("empty")
            .to_string();
        assert!(msg.contains("printed nothing"), "{msg}");
    }

    #[test]
    fn a_command_that_never_answers_is_stopped() {
        let mut child = shell("sleep 5").spawn().expect("spawn");
        let status = wait_with_deadline(&mut child, std::time::Duration::from_millis(100)).expect("wait");
        assert!(status.is_none(), "timed out and killed");
    }

    #[test]
    fn missing_env_var_names_it() {
        let p = profile(SecretSource::Env("WKTUI_TEST_SURELY_UNSET_VAR".into()));
        let msg = read_secret(&p, &MemoryStore::new())
            .expect_err("unset")
            .to_string();
        assert!(msg.contains("$WKTUI_TEST_SURELY_UNSET_VAR"), "{msg}");
    }

    #[test]
    fn no_keyring_error_names_the_alternatives() {
        let msg = SecretError::NoKeyring {
            reason: "no bus".into(),
        }
        .to_string();
        assert!(
            msg.contains("--secret-env") && msg.contains("--secret-command"),
            "{msg}"
        );
    }
}
