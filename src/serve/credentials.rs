//! The local client secret that `serve` and `exec` give programs instead of
//! the real one, and the file `serve` keeps it in.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::platform::fs::{self as private, Durability, write_atomically};

const PREFIX: &str = "wktui_";
/// 256 bits from the operating system's CSPRNG.
const RANDOM_BYTES: usize = 32;
/// Unpadded base64 of `RANDOM_BYTES`.
#[cfg(test)]
const ENCODED_LEN: usize = 43;

/// A secret made for one `serve` or `exec`: only good against its endpoint.
/// URL- and form-safe (`wktui_` and base64url), so no client mangles it.
pub struct LocalSecret(Zeroizing<String>);

impl LocalSecret {
    pub fn generate() -> Result<LocalSecret, String> {
        let mut bytes = Zeroizing::new([0u8; RANDOM_BYTES]);
        getrandom::fill(&mut *bytes)
            .map_err(|e| format!("the operating system's random number generator failed: {e}"))?;
        let encoded = URL_SAFE_NO_PAD.encode(*bytes);
        Ok(LocalSecret(Zeroizing::new(format!("{PREFIX}{encoded}"))))
    }

    /// A secret as `generate` writes it, or `None`.
    #[cfg(test)]
    fn parse(text: &str) -> Option<LocalSecret> {
        let random = text.strip_prefix(PREFIX)?;
        let well_formed = random.len() == ENCODED_LEN
            && random
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| LocalSecret(Zeroizing::new(text.to_owned())))
    }

    /// For the places that hand it over: the child's environment, the credentials file.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison: how long it takes says nothing of how much matched.
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

impl fmt::Debug for LocalSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalSecret(<redacted>)")
    }
}

/// The first line of every credentials file: what `serve` recognises as its own.
const MARKER: &str = "# wktui serve: local client credentials";
/// A credentials file is a few hundred bytes.
const MAX_FILE_LEN: u64 = 16 * 1024;

/// `serve.env` in the cache dir (the per-user runtime dir on most systems).
pub fn default_credentials_path(cache_dir: &Path) -> PathBuf {
    cache_dir.join("serve.env")
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error(
        "{} exists and is not a wktui credentials file; nothing was written to it: remove it or choose another file with --credentials", path.display()
    )]
    NotOurs { path: PathBuf },
    #[error("cannot read the credentials file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write the credentials file {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Random(String),
    #[error("refusing the credentials file: {0}; nothing was written to it")]
    Untrusted(String),
}

/// A new secret for this run, written to `path` (mode 0600, replaced in one
/// rename, for `token_url`). Never the secret of an earlier run: while serve
/// was down another process may have held its port and been sent that one.
/// A file at `path` that is not a credentials file is left alone.
pub fn prepare(path: &Path, token_url: &str, profiles: &[String]) -> Result<LocalSecret, CredentialsError> {
    check_replaceable(path)?;
    let secret = LocalSecret::generate().map_err(CredentialsError::Random)?;
    let content = Zeroizing::new(file_content(token_url, profiles, &secret));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        private::ensure_private_dir(dir).map_err(|e| CredentialsError::Write {
            path: path.to_owned(),
            source: std::io::Error::other(e.to_string()),
        })?;
    }
    private::check_parent_dirs(path, private::Kind::Credentials)
        .map_err(|e| CredentialsError::Untrusted(e.to_string()))?;
    write_atomically(path, content.as_bytes(), Durability::Cache).map_err(|source| {
        CredentialsError::Write {
            path: path.to_owned(),
            source,
        }
    })?;
    Ok(secret)
}

/// Shell- and systemd-`EnvironmentFile`-compatible lines.
fn file_content(token_url: &str, profiles: &[String], secret: &LocalSecret) -> String {
    let mut text = format!(
        "{MARKER} for {token_url}\n\
         # They work only against that endpoint, on this machine; they are not your\n\
         # Workiva credentials. The client id is a profile name: {}\n\
         WORKIVA_TOKEN_URL={token_url}\n",
        profiles.join(" ")
    );
    if let [only] = profiles {
        text.push_str(&format!("WORKIVA_CLIENT_ID={only}\n"));
    }
    text.push_str(&format!("WORKIVA_CLIENT_SECRET={}\n", secret.expose()));
    text
}

/// Whether `path` is absent or a credentials file an earlier run wrote.
fn check_replaceable(path: &Path) -> Result<(), CredentialsError> {
    let read_error = |source| CredentialsError::Read {
        path: path.to_owned(),
        source,
    };
    let file = match private::open_trusted(path, private::Kind::Credentials) {
        Ok(file) => file,
        Err(e) if e.is_not_found() => return Ok(()),
        Err(private::TrustError::Io { source, .. }) => return Err(read_error(source)),
        Err(private::TrustError::Symlink { .. } | private::TrustError::NotAFile { .. }) => {
            return Err(CredentialsError::NotOurs {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(CredentialsError::Untrusted(e.to_string())),
    };
    let mut bytes = Zeroizing::new(Vec::new());
    (&file)
        .take(MAX_FILE_LEN)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if !bytes.starts_with(MARKER.as_bytes()) {
        return Err(CredentialsError::NotOurs {
            path: path.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_long_and_url_safe() {
        let a = LocalSecret::generate().expect("random");
        let b = LocalSecret::generate().expect("random");
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), PREFIX.len() + ENCODED_LEN);
        assert!(LocalSecret::parse(a.expose()).is_some());
        let encoded: String = form_urlencoded::byte_serialize(a.expose().as_bytes()).collect();
        assert_eq!(encoded, a.expose(), "nothing to escape in a form or URL");
        assert!(a.matches(a.expose()));
        assert!(!a.matches(b.expose()));
        assert!(!a.matches(&a.expose()[..20]));
        assert!(!a.matches(""));
        assert_eq!(format!("{a:?}"), "LocalSecret(<redacted>)");
    }

    #[test]
    fn the_file_is_private_and_each_run_has_a_new_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("run/serve.env");
        let url = "http://127.0.0.1:8250/oauth2/token";
        let first = prepare(&path, url, &["prod".into()]).expect("first");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with(MARKER), "{text}");
        assert!(text.contains(&format!("WORKIVA_TOKEN_URL={url}\n")));
        assert!(text.contains("WORKIVA_CLIENT_ID=prod\n"));
        assert!(text.contains(&format!("WORKIVA_CLIENT_SECRET={}\n", first.expose())));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other_url = "http://127.0.0.1:9999/oauth2/token";
        let second = prepare(&path, other_url, &["a".into(), "b".into()]).expect("second");
        assert_ne!(
            second.expose(),
            first.expose(),
            "a restart never serves a secret that may have been sent elsewhere"
        );
        assert!(text_has_secret(&path, &second) && !text_has_secret(&path, &first));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains(other_url) && !text.contains("WORKIVA_CLIENT_ID="),
            "{text}"
        );
    }

    fn text_has_secret(path: &Path, secret: &LocalSecret) -> bool {
        let text = std::fs::read_to_string(path).expect("read");
        text.contains(&format!("WORKIVA_CLIENT_SECRET={}\n", secret.expose()))
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_file_is_replaced_private_and_a_foreign_file_is_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("serve.env");
        let url = "http://127.0.0.1:1/oauth2/token";
        prepare(&path, url, &["p".into()]).expect("first");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let second = prepare(&path, url, &["p".into()]).expect("second");
        assert!(text_has_secret(&path, &second));
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "rewritten private");

        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "my notes\n").expect("write");
        let err = prepare(&notes, url, &["p".into()]).expect_err("not ours");
        assert!(err.to_string().contains("not a wktui credentials file"), "{err}");
        assert_eq!(std::fs::read_to_string(&notes).expect("read"), "my notes\n");

        let link = dir.path().join("link.env");
        std::os::unix::fs::symlink(&path, &link).expect("symlink");
        assert!(matches!(
            prepare(&link, url, &["p".into()]),
            Err(CredentialsError::NotOurs { .. })
        ));
    }
}
