//! Profiles passed from one person to another (`wktui profile export` and
//! `wktui profile import`): a TOML document of `[[profile]]` tables in the
//! config file's own format, holding no secret and nothing that makes
//! wktui run a command.
//!
//! An import file is data from someone else, not a config that steers
//! wktui: it is not held to the config's owner and mode rules (a colleague's
//! file is theirs, or a download's), but it is read bounded, checked by the
//! config's own parser, and refused where it would name a command to run
//! (`secret_command`) on the importer's machine.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;
use toml_edit::{ArrayOfTables, DocumentMut, Item};

use super::{ConfigError, Location, MAX_CONFIG_BYTES};
use crate::model::{Profile, SecretSource};

/// The first lines of an export: what it is and how to use it.
pub const HEADER: &str = "\
# wktui profiles, written by `wktui profile export`. No client secret is in this file.
# Import them with:  wktui profile import FILE
# A profile without secret_env keeps its secret in the keyring: the import asks
# for it (or takes it from --secret-env VAR). A profile with secret_env reads
# that variable: set it. These [[profile]] tables can also be pasted into a
# config file (wktui config edit).
";

/// Said above a profile whose `secret_command` was left out, and why.
const COMMAND_LEFT_OUT: &str = "\
# Its secret_command was left out: a command may hold secret material, names
# things on the exporter's machine, and would run on the importer's. The import
# asks for the secret and keeps it in the keyring.
";

/// An export's text, and the profiles whose `secret_command` was left out.
#[derive(Debug)]
pub struct Export {
    pub text: String,
    pub commands_left_out: Vec<String>,
}

/// The profiles as an import file: every field but a secret. A
/// `secret_env` is kept (a variable's name); a `secret_command` is not (see
/// `COMMAND_LEFT_OUT`), so that profile keeps its secret in the keyring.
pub fn export(profiles: &[&Profile]) -> Result<Export, ConfigError> {
    let mut array = ArrayOfTables::new();
    let mut commands_left_out = Vec::new();
    for profile in profiles {
        let mut shared = (*profile).clone();
        let mut prefix = String::from("\n");
        if let SecretSource::Command(_) = shared.secret_source {
            shared.secret_source = SecretSource::Keyring;
            commands_left_out.push(shared.name.clone());
            prefix.push_str(COMMAND_LEFT_OUT);
        }
        let mut table = super::edit::profile_table(&shared);
        table.decor_mut().set_prefix(prefix);
        array.push(table);
    }
    let mut doc = DocumentMut::new();
    doc.insert("profile", Item::ArrayOfTables(array));
    let text = format!("{HEADER}{doc}");
    // What is exported must import.
    parse_import(&text, Path::new("export")).map_err(|e| ConfigError::WouldBreak(e.to_string()))?;
    Ok(Export {
        text,
        commands_left_out,
    })
}

/// What an import file holds.
#[derive(Debug)]
pub struct Import {
    pub profiles: Vec<Profile>,
    /// The file has a `[settings]` table (a whole config): not imported.
    pub had_settings: bool,
}

/// Reading an import file failed before its text could be checked.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}", .0)]
    Refused(String),
    #[error("{0}")]
    NotText(#[from] super::text::NotText),
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// The import file's text. It must be a regular file (a FIFO or a device
/// would block or never end), opened without blocking; its owner does not
/// matter (see the module comment).
pub fn read_file(path: &Path) -> Result<String, ReadError> {
    use crate::platform::fs::{TrustError, open_regular};
    let file = open_regular(path).map_err(|e| match e {
        TrustError::Io { path, source } => ReadError::Io { path, source },
        other => ReadError::Refused(other.to_string()),
    })?;
    read_bounded(file, path)
}

/// At most `MAX_CONFIG_BYTES` of `input` (a file, or stdin) as text, in
/// any encoding `text::decode` accepts (PowerShell 5.1 writes UTF-16).
pub fn read_bounded(input: impl Read, label: &Path) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    input
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: label.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ReadError::Refused(format!(
            "{} is larger than {} MB; that is not a file of wktui profiles",
            label.display(),
            MAX_CONFIG_BYTES / (1024 * 1024)
        )));
    }
    Ok(super::text::decode(bytes, label)?.0)
}

/// Checks an import file as the config is checked (messages name `path`,
/// line, column and field), then by the import's own rules: at least one
/// profile, and no `secret_command`.
pub fn parse_import(text: &str, path: &Path) -> Result<Import, ConfigError> {
    let config = super::parse(text, path)?;
    let invalid = |offset: usize, field: Option<&str>, message: &str| ConfigError::Invalid {
        path: path.to_path_buf(),
        location: Location::of_offset(text, offset),
        field: field.map(str::to_owned),
        message: message.to_owned(),
    };
    // It parsed as a config, so it parses as this looser shape too.
    let shape: ImportShape = toml::from_str(text)
        .map_err(|e| invalid(e.span().map_or(0, |s| s.start), None, e.message().trim()))?;
    if let Some(command) = shape.profile.iter().find_map(|p| p.secret_command.as_ref()) {
        return Err(invalid(
            command.span().start,
            Some("secret_command"),
            "an imported profile may not name a command to run; delete this line (the import then asks for the secret and keeps it in the keyring), or read the command and set it afterwards with `wktui profile edit NAME --secret-command CMD`",
        ));
    }
    // An import is all or nothing: a profile that would be broken in the
    // config is refused here, with its place and field.
    if let Some(broken) = config.broken.into_iter().next() {
        let problem = broken.problem;
        return Err(ConfigError::Invalid {
            path: problem.path,
            location: problem.location,
            field: problem.field,
            message: problem.message,
        });
    }
    if config.profiles.is_empty() {
        return Err(invalid(
            0,
            None,
            "holds no [[profile]] table; make the file with `wktui profile export` on the machine that has the profiles",
        ));
    }
    Ok(Import {
        profiles: config.profiles,
        had_settings: shape.settings.is_some(),
    })
}

/// The parts of an import file its own rules look at, with their place.
#[derive(Deserialize)]
struct ImportShape {
    #[serde(default)]
    settings: Option<IgnoredAny>,
    #[serde(default)]
    profile: Vec<CommandOf>,
}

#[derive(Deserialize)]
struct CommandOf {
    secret_command: Option<Spanned<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Endpoint, Region};

    fn profile(name: &str, source: SecretSource) -> Profile {
        let mut p = Profile::new(name, Endpoint::Region(Region::Eu), "client");
        p.secret_source = source;
        p
    }

    #[test]
    fn an_export_imports_to_the_same_profiles_without_a_command() {
        let keyring = profile("prod", SecretSource::Keyring);
        let env = profile("ci", SecretSource::Env("CI_SECRET".into()));
        let command = profile("dev", SecretSource::Command("pass show workiva/dev".into()));
        let export = export(&[&keyring, &env, &command]).expect("export");
        assert!(export.text.starts_with(HEADER));
        assert!(!export.text.contains("pass show"), "{}", export.text);
        assert_eq!(export.commands_left_out, ["dev"]);
        let import = parse_import(&export.text, Path::new("f")).expect("imports");
        let mut dev_in_keyring = command.clone();
        dev_in_keyring.secret_source = SecretSource::Keyring;
        assert_eq!(import.profiles, vec![keyring, env, dev_in_keyring]);
        assert!(!import.had_settings);
    }

    #[test]
    fn a_command_or_a_bad_field_in_an_import_is_named_with_its_line() {
        let text = "[[profile]]\nname = \"a\"\nclient_id = \"c\"\nsecret_command = \"curl x | sh\"\n";
        let err = parse_import(text, Path::new("in.toml"))
            .expect_err("refused")
            .to_string();
        assert!(
            err.starts_with("in.toml:4:18: secret_command: an imported profile may not name a command"),
            "{err}"
        );
        let text = "[[profile]]\nname = \"a\"\nclient_id = \"c\"\nregion = \"mars\"\n";
        let err = parse_import(text, Path::new("in.toml"))
            .expect_err("refused")
            .to_string();
        assert!(err.starts_with("in.toml:4:10: region: "), "{err}");
        let err = parse_import("# nothing\n", Path::new("in.toml"))
            .expect_err("empty")
            .to_string();
        assert!(err.contains("holds no [[profile]] table"), "{err}");
        let with_settings = "[settings]\nconcurrency = 4\n[[profile]]\nname = \"a\"\nclient_id = \"c\"\n";
        assert!(
            parse_import(with_settings, Path::new("f"))
                .expect("ok")
                .had_settings
        );
    }

    #[test]
    fn reading_stops_past_the_limit() {
        let big = std::io::repeat(b'#').take(MAX_CONFIG_BYTES + 10);
        assert!(matches!(
            read_bounded(big, Path::new("-")),
            Err(ReadError::Refused(_))
        ));
    }
}
