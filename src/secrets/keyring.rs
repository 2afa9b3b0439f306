//! The OS keyring as a `SecretStore`: entries are `service = "wktui"`, user =
//! the profile name. Opened on first use; every call has a deadline.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroize;

use super::{KEYRING_SERVICE, SecretError, SecretStore};
use crate::model::SecretSource;
use crate::model::text::clean;

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
            .get_or_init(crate::platform::keyring::open_store)
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
        with_deadline(profile, move || entry.get_password().map(SecretString::from))
    }

    fn set(&self, profile: &str, secret: &SecretString) -> Result<(), SecretError> {
        tracing::debug!(profile = %profile, "keyring: set");
        let entry = self.entry(profile)?;
        let secret = secret.clone();
        with_deadline(profile, move || entry.set_password(secret.expose_secret()))
    }

    fn delete(&self, profile: &str) -> Result<bool, SecretError> {
        tracing::debug!(profile = %profile, "keyring: delete");
        let entry = self.entry(profile)?;
        match with_deadline(profile, move || entry.delete_credential()) {
            Ok(()) => Ok(true),
            Err(SecretError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn source(&self) -> SecretSource {
        SecretSource::Keyring
    }
}

/// How long one keyring call may take. Long enough to type a password at an
/// unlock prompt; short enough that a keyring that never answers does not
/// hang wktui (or every script waiting behind its refresh lock).
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs a keyring call on a thread of its own and stops waiting after
/// `KEYRING_TIMEOUT` (the call itself cannot be cancelled; it ends with the process).
fn with_deadline<T: Send + 'static>(
    profile: &str,
    call: impl FnOnce() -> keyring_core::Result<T> + Send + 'static,
) -> Result<T, SecretError> {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("wktui-keyring".into())
        .spawn(move || {
            let _ = done.send(call());
        })
        .map_err(|e| SecretError::Keyring {
            profile: profile.to_owned(),
            reason: format!("cannot start a thread: {e}"),
        })?;
    match result.recv_timeout(KEYRING_TIMEOUT) {
        Ok(outcome) => outcome.map_err(|e| keyring_error(profile, e)),
        Err(_) => Err(SecretError::Keyring {
            profile: profile.to_owned(),
            reason: format!(
                "the keyring did not answer within {} s (is it waiting at an unlock prompt?)",
                KEYRING_TIMEOUT.as_secs()
            ),
        }),
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
            reason: clean(&inner.to_string(), 300),
        },
        K::PlatformFailure(inner) => {
            let reason = clean(&inner.to_string(), 300);
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
                K::Invalid(attr, why) => clean(&format!("{attr}: {why}"), 300),
                K::NotSupportedByStore(why) => clean(&why, 300),
                K::BadStoreFormat(why) => clean(&why, 300),
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
