//! The `secret_env` variables of an indexed file, in a file of their own
//! (`variables`), read only when a child process is about to start.
//!
//! Children of wktui (`exec`'s command, a `secret_command`) must not inherit
//! any variable that holds a client secret, whichever profiles were read.
//! With 10,000 profiles that each name a variable, the names are some 80 KB:
//! reading them for every `wktui token NAME` that finds its token cached, and
//! starts no child, cost more than the one profile it reads. `main` keeps
//! only their hash; the names are read, and checked against it, on first use.

use std::path::{Path, PathBuf};

use super::{fnv1a, read_text, valid_variable};
use crate::platform::fs as private;

pub(super) const FILE: &str = "variables";
const MAGIC: &str = "wktui-config-variables 1";
/// 10,000 names of up to a few hundred bytes each.
const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Every `secret_env` variable a config file names, sorted, once each: known,
/// or where to find them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretVariables {
    Known(Vec<String>),
    /// In the index; `config_path` is parsed instead when the index's file
    /// no longer checks out.
    Indexed {
        file: PathBuf,
        hash: u64,
        config_path: PathBuf,
    },
}

impl SecretVariables {
    /// The names; `None` when neither the index nor the file (changed since,
    /// and broken now) can tell them.
    pub fn resolve(self) -> Option<Vec<String>> {
        match self {
            SecretVariables::Known(names) => Some(names),
            SecretVariables::Indexed {
                file,
                hash,
                config_path,
            } => read(&file, hash).or_else(|| {
                tracing::debug!(path = %config_path.display(), "secret variables: the index's list does not check out; reading the file");
                crate::config::load(&config_path)
                    .ok()
                    .map(|config| crate::config::secret_variables(&config))
            }),
        }
    }
}

/// The body of the file: one name a line.
fn body(names: &[String]) -> String {
    names.iter().map(|n| format!("{n}\n")).collect()
}

/// The text of the file, and the hash `main` keeps of it.
pub(super) fn encode(names: &[String]) -> (String, u64) {
    let body = body(names);
    let hash = fnv1a(body.as_bytes());
    (format!("{MAGIC}\n{body}"), hash)
}

/// The names in `file`, if it is ours, its hash is `hash`, and every name is
/// one the file's checks allow.
fn read(file: &Path, hash: u64) -> Option<Vec<String>> {
    private::check_private_dir(file.parent()?).ok()?;
    let text = read_text(file, MAX_BYTES)?;
    let body = text.strip_prefix(MAGIC)?.strip_prefix('\n')?;
    if fnv1a(body.as_bytes()) != hash {
        return None;
    }
    let names: Vec<String> = body.lines().map(str::to_owned).collect();
    names.iter().all(|n| valid_variable(n)).then_some(names)
}
