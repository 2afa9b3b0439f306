//! Which OS credential store holds client secrets: the Secret Service over
//! D-Bus on Linux (gnome-keyring, KeePassXC), the Keychain on macOS, the
//! Credential Manager on Windows.

use std::sync::Arc;

use keyring_core::CredentialStore;

/// The store's name for messages and `doctor`.
pub const BACKEND: &str = if cfg!(target_os = "linux") {
    "Secret Service (D-Bus)"
} else if cfg!(target_os = "macos") {
    "macOS Keychain"
} else if cfg!(target_os = "windows") {
    "Windows Credential Manager"
} else {
    "none"
};

/// What to do when the store cannot be reached, in the system's own terms.
pub const START_ADVICE: &str = if cfg!(target_os = "macos") {
    "Log in to the Mac as this user (the login Keychain opens with the session)"
} else if cfg!(target_os = "windows") {
    "Run wktui in a Windows session of this user (Credential Manager needs the user's profile loaded, which some services and scheduled tasks lack)"
} else {
    "Start a Secret Service such as gnome-keyring or KeePassXC in this session"
};

/// How to unlock a locked store.
pub const UNLOCK_ADVICE: &str = if cfg!(target_os = "macos") {
    "unlock the login keychain (Keychain Access, or `security unlock-keychain`)"
} else if cfg!(target_os = "windows") {
    "log in to Windows as this user"
} else {
    "unlock the keyring (log in to the desktop session, or `gnome-keyring-daemon --unlock`)"
};

#[cfg(target_os = "linux")]
pub fn open_store() -> Result<Arc<CredentialStore>, String> {
    zbus_secret_service_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| e.to_string())
}

#[cfg(target_os = "macos")]
pub fn open_store() -> Result<Arc<CredentialStore>, String> {
    apple_native_keyring_store::keychain::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| e.to_string())
}

#[cfg(target_os = "windows")]
pub fn open_store() -> Result<Arc<CredentialStore>, String> {
    windows_native_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| e.to_string())
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub fn open_store() -> Result<Arc<CredentialStore>, String> {
    Err("this platform has no supported keyring".into())
}

#[cfg(test)]
mod tests {
    /// macOS keeps client secrets in the Keychain (not the protected store,
    /// not an in-memory mock). Opening it touches no item.
    #[cfg(target_os = "macos")]
    #[test]
    fn macos_opens_the_keychain() {
        let store = super::open_store().expect("the Keychain store");
        assert!(
            store.vendor().starts_with("macOS Keychain Store"),
            "{}",
            store.vendor()
        );
        assert_eq!(super::BACKEND, "macOS Keychain");
    }

    /// Windows keeps client secrets in the Credential Manager.
    #[cfg(target_os = "windows")]
    #[test]
    fn windows_opens_the_credential_manager() {
        let store = super::open_store().expect("the Credential Manager store");
        assert!(
            store.vendor().starts_with("Windows Credential Manager"),
            "{}",
            store.vendor()
        );
        assert_eq!(super::BACKEND, "Windows Credential Manager");
    }
}
