//! Client secrets: the OS keyring by default, or an environment variable, or
//! a command's output. Never the config file, never a silent in-memory
//! fallback, and wrapped in `SecretString` so they are wiped after use.

mod command;
mod keyring;

use std::collections::HashMap;
use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};

pub use command::{
    HiddenVariablesUnknown, SECRET_COMMAND_TIMEOUT, hide_variables_from_children_when_needed,
    variables_hidden_from_children,
};
pub use keyring::{KEYRING_TIMEOUT, KeyringStore};

use crate::model::{Profile, SecretSource};

/// Keyring entries are `service = "wktui"`, user = the profile name.
pub const KEYRING_SERVICE: &str = "wktui";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no OS keyring is reachable ({reason}). {}, or keep the secret elsewhere: `wktui profile add NAME --secret-env VAR` or `--secret-command CMD`",
        crate::platform::keyring::START_ADVICE
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
        SecretSource::Command(cmd) => command::run(&profile.name, cmd)?,
    };
    if secret.expose_secret().is_empty() {
        return Err(SecretError::Empty);
    }
    Ok(secret)
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
        assert!(msg.contains("not found") && msg.contains("status 3"), "{msg}");
        assert!(!msg.contains("hidden-value"), "{msg}");
        let p = profile(SecretSource::Command("true".into()));
        let msg = read_secret(&p, &MemoryStore::new())
            .expect_err("empty")
            .to_string();
        assert!(msg.contains("printed nothing"), "{msg}");
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
