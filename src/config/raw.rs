//! The file's shape as serde sees it, and its validation into the model.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde::de::IntoDeserializer;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Config;
use crate::model::text::is_clean;
use crate::model::{
    CheckedUrl, Endpoint, GrantExpiry, Profile, Region, Scopes, SecretSource, Settings, check_profile_name,
};

/// The `[settings]` table as written. The index (`super::index`) builds
/// one from what it remembers, so that its values pass the same checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub refresh_margin: Option<Spanned<i64>>,
    pub fetch_timeout: Option<Spanned<i64>>,
    pub concurrency: Option<Spanned<i64>>,
    pub clipboard_clear_after: Option<Spanned<i64>>,
    pub auto_refresh: Option<bool>,
    pub ca_file: Option<Spanned<String>>,
    pub clipboard: Option<Spanned<String>>,
    pub default_profile: Option<Spanned<String>>,
}

/// One `[[profile]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Spanned<String>,
    region: Option<Spanned<String>>,
    token_url: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    client_id: Spanned<String>,
    scope: Option<Spanned<String>>,
    api_version: Option<Spanned<String>>,
    client_auth: Option<Spanned<String>>,
    secret_env: Option<Spanned<String>>,
    secret_command: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
    grant_expires: Option<Spanned<String>>,
}

/// A value as written and where it starts in the file, for messages.
#[derive(Clone, Copy)]
pub(super) struct Field<'a> {
    pub text: &'a str,
    pub at: usize,
}

impl<'a> From<&'a Spanned<String>> for Field<'a> {
    fn from(value: &'a Spanned<String>) -> Self {
        Field {
            text: value.get_ref(),
            at: value.span().start,
        }
    }
}

/// A profile's values as written, borrowed: from the file's text, or from
/// the index, which builds them from what it remembers so that its
/// profiles pass the same checks without copying every value twice.
pub(super) struct ProfileFields<'a> {
    pub name: Field<'a>,
    pub region: Option<Field<'a>>,
    pub token_url: Option<Field<'a>>,
    pub base_url: Option<Field<'a>>,
    pub client_id: Field<'a>,
    pub scope: Option<Field<'a>>,
    pub api_version: Option<Field<'a>>,
    pub client_auth: Option<Field<'a>>,
    pub secret_env: Option<Field<'a>>,
    pub secret_command: Option<Field<'a>>,
    pub ca_file: Option<Field<'a>>,
    pub grant_expires: Option<Field<'a>>,
}

impl RawProfile {
    fn fields(&self) -> ProfileFields<'_> {
        ProfileFields {
            name: (&self.name).into(),
            region: self.region.as_ref().map(Field::from),
            token_url: self.token_url.as_ref().map(Field::from),
            base_url: self.base_url.as_ref().map(Field::from),
            client_id: (&self.client_id).into(),
            scope: self.scope.as_ref().map(Field::from),
            api_version: self.api_version.as_ref().map(Field::from),
            client_auth: self.client_auth.as_ref().map(Field::from),
            secret_env: self.secret_env.as_ref().map(Field::from),
            secret_command: self.secret_command.as_ref().map(Field::from),
            ca_file: self.ca_file.as_ref().map(Field::from),
            grant_expires: self.grant_expires.as_ref().map(Field::from),
        }
    }
}

/// URLs checked so far in one load, and what the check said: a fleet of
/// profiles shares a handful of URLs, and parsing one costs a microsecond.
#[derive(Default)]
pub(super) struct UrlChecks(HashMap<String, Result<CheckedUrl, String>>);

impl UrlChecks {
    fn check(&mut self, url: &str) -> Result<CheckedUrl, String> {
        if let Some(known) = self.0.get(url) {
            return known.clone();
        }
        let result = CheckedUrl::parse(url).map_err(|e| e.to_string());
        self.0.insert(url.to_owned(), result.clone());
        result
    }
}

/// A problem at a byte offset of the file, optionally in a named field.
pub(super) struct RawError {
    pub offset: usize,
    pub field: Option<String>,
    pub message: String,
}

impl RawError {
    fn at<T>(value: &Spanned<T>, field: &str, message: impl Into<String>) -> Self {
        RawError::in_field(value.span().start, field, message)
    }

    fn in_field(offset: usize, field: &str, message: impl Into<String>) -> Self {
        RawError {
            offset,
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }
}

impl Field<'_> {
    fn error(self, field: &str, message: impl Into<String>) -> RawError {
        RawError::in_field(self.at, field, message)
    }
}

/// A `[[profile]]` that did not pass its checks: the others still load,
/// and only commands that need this one fail (see `super::BrokenProfile`).
pub(super) struct RawBroken {
    /// Its name, when that much of it is readable and valid.
    pub name: Option<String>,
    /// Its `secret_env`, when readable: hidden from children all the same.
    pub secret_env: Option<String>,
    pub error: RawError,
}

/// The checked profiles and settings, and the profiles that failed their
/// checks. Only what makes the whole file unreadable or ambiguous is an
/// `Err`: TOML syntax, `[settings]`, an unknown top-level key, `profile`
/// not being an array of tables, and a name given twice (which of the two
/// a command means cannot be told, so neither is used).
pub(super) fn parse(text: &str) -> Result<(Config, Vec<RawBroken>), RawError> {
    let doc = DeTable::parse(text).map_err(|e| de_error(text, &e))?;
    let mut settings = Settings::default();
    let mut entries: Vec<Spanned<DeValue<'_>>> = Vec::new();
    for (key, value) in doc.into_inner() {
        match key.get_ref().as_ref() {
            "settings" => {
                let raw =
                    RawSettings::deserialize(value.into_deserializer()).map_err(|e| de_error(text, &e))?;
                settings = settings_from(raw)?;
            }
            "profile" => {
                let at = value.span().start;
                match value.into_inner() {
                    DeValue::Array(array) => entries = array.into_iter().collect(),
                    _ => {
                        return Err(RawError::in_field(
                            at,
                            "profile",
                            "must be an array of tables ([[profile]])",
                        ));
                    }
                }
            }
            other => {
                return Err(RawError {
                    offset: key.span().start,
                    field: None,
                    message: format!("unknown field `{other}`, expected `settings` or `profile`"),
                });
            }
        }
    }
    // Names as written, borrowed from the text: a fleet has thousands.
    let mut seen: HashMap<Cow<'_, str>, usize> = HashMap::with_capacity(entries.len());
    let mut profiles = Vec::with_capacity(entries.len());
    let mut broken = Vec::new();
    let mut urls = UrlChecks::default();
    for entry in entries {
        // Read before the entry is consumed: a broken profile is still
        // named in messages, and its variable still hidden.
        let table = entry.get_ref();
        let name = table
            .get("name")
            .and_then(|n| Some((string_of(n.get_ref())?, n.span().start)))
            .map(|(name, at)| (trimmed(name), at))
            .filter(|(name, _)| check_profile_name(name).is_ok());
        let secret_env = table.get("secret_env").and_then(|v| string_of(v.get_ref()));
        if let Some((name, at)) = &name
            && let Some(first) = seen.insert(name.clone(), *at)
        {
            let line = text[..first].matches('\n').count() + 1;
            return Err(RawError::in_field(
                *at,
                "name",
                format!(
                    "duplicate profile name \"{name}\" (first defined on line {line}); profile names must be unique"
                ),
            ));
        }
        let checked = RawProfile::deserialize(entry.into_deserializer())
            .map_err(|e| de_error(text, &e))
            .and_then(|raw| profile_from(&raw.fields(), &mut urls));
        match checked {
            Ok(profile) => profiles.push(profile),
            Err(error) => broken.push(RawBroken {
                name: name.map(|(name, _)| name.into_owned()),
                secret_env: secret_env
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty() && !v.contains(['=', '\0'])),
                error,
            }),
        }
    }
    Ok((
        Config {
            settings,
            profiles,
            broken: Vec::new(),
        },
        broken,
    ))
}

/// A string value, borrowed from the text when it has no escapes.
fn string_of<'i>(value: &DeValue<'i>) -> Option<Cow<'i, str>> {
    match value {
        DeValue::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// `text` without surrounding whitespace, borrowed when it has none.
fn trimmed(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) if s.trim().len() == s.len() => Cow::Owned(s),
        Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
    }
}

/// A TOML or serde error, at its offset, with the field it is about when
/// that can be told.
fn de_error(text: &str, e: &toml::de::Error) -> RawError {
    let offset = e.span().map_or(0, |s| s.start);
    let message = e.message().trim();
    // A value of the wrong type: serde does not say whose (toml keeps
    // the key to itself), so it is read from the line, before the `=`.
    let field = message
        .starts_with("invalid ")
        .then(|| key_before(text, offset))
        .flatten();
    RawError {
        offset,
        field,
        message: message.replace("expected i64", "expected a whole number"),
    }
}

/// The key of the value at `offset`, when the value follows `key =` on its
/// line (`refresh_margin = "soon"`, or inside an inline table).
fn key_before(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind('\n').map_or(0, |nl| nl + 1)..];
    let key = line.trim_end().strip_suffix('=')?.trim_end();
    let key = key
        .rsplit([' ', '\t', '{', ','])
        .next()?
        .trim_matches(['"', '\'']);
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    plain.then(|| key.to_owned())
}

fn seconds(value: &Spanned<i64>, field: &str, min: i64) -> Result<Duration, RawError> {
    let v = *value.get_ref();
    if v < min || v > 86_400 {
        return Err(RawError::at(
            value,
            field,
            format!("{v} is out of range; use whole seconds from {min} to 86400"),
        ));
    }
    Ok(Duration::from_secs(v as u64))
}

pub(super) fn settings_from(raw: RawSettings) -> Result<Settings, RawError> {
    let mut s = Settings::default();
    if let Some(v) = &raw.refresh_margin {
        s.refresh_margin = seconds(v, "refresh_margin", 0)?;
    }
    if let Some(v) = &raw.fetch_timeout {
        s.fetch_timeout = seconds(v, "fetch_timeout", 1)?;
    }
    if let Some(v) = &raw.clipboard_clear_after {
        s.clipboard_clear_after = seconds(v, "clipboard_clear_after", 0)?;
    }
    if let Some(v) = &raw.concurrency {
        let n = *v.get_ref();
        if !(1..=1024).contains(&n) {
            return Err(RawError::at(
                v,
                "concurrency",
                format!("{n} is out of range; use 1 to 1024"),
            ));
        }
        s.concurrency = n as usize;
    }
    if let Some(on) = raw.auto_refresh {
        s.auto_refresh = on;
    }
    if let Some(v) = &raw.clipboard {
        s.clipboard = v
            .get_ref()
            .parse()
            .map_err(|e: crate::model::ParseEnumError| RawError::at(v, "clipboard", e.to_string()))?;
    }
    check_clean(raw.ca_file.as_ref(), "ca_file")?;
    check_clean(raw.clipboard.as_ref(), "clipboard")?;
    s.ca_file = raw.ca_file.map(|p| PathBuf::from(p.into_inner()));
    if let Some(v) = &raw.default_profile {
        let name = v.get_ref().trim();
        check_profile_name(name)
            .map_err(|m| RawError::at(v, "default_profile", format!("{m}; name one of the profiles")))?;
        s.default_profile = Some(name.to_owned());
    }
    Ok(s)
}

/// Text fields are shown in tables, messages and the interface, and some
/// are run (`secret_command`): none may hold a control character.
fn check_clean(value: Option<&Spanned<String>>, field: &str) -> Result<(), RawError> {
    check_clean_field(value.map(Field::from), field)
}

const NOT_CLEAN: &str = "holds a control or invisible formatting character; retype the value";

fn check_clean_field(value: Option<Field<'_>>, field: &str) -> Result<(), RawError> {
    match value {
        Some(v) if !clean_text(v.text) => Err(v.error(field, NOT_CLEAN)),
        _ => Ok(()),
    }
}

/// `is_clean`, answered from the bytes when they are all printable ASCII,
/// which no unsafe character is: most values are, and a fleet has many.
fn clean_text(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b)) || is_clean(text)
}

pub(super) fn profile_from(raw: &ProfileFields<'_>, urls: &mut UrlChecks) -> Result<Profile, RawError> {
    for (value, field) in [
        (Some(raw.client_id), "client_id"),
        (raw.secret_env, "secret_env"),
        (raw.secret_command, "secret_command"),
        (raw.ca_file, "ca_file"),
        (raw.region, "region"),
        (raw.api_version, "api_version"),
        (raw.client_auth, "client_auth"),
    ] {
        check_clean_field(value, field)?;
    }
    let name = raw.name.text.trim();
    check_profile_name(name).map_err(|m| raw.name.error("name", m))?;
    let client_id = raw.client_id.text.trim();
    if client_id.is_empty() {
        return Err(raw.client_id.error(
            "client_id",
            "is empty; set it to the client id of the Workiva API grant",
        ));
    }
    let endpoint = match (raw.region, raw.token_url) {
        (Some(_), Some(url)) => {
            return Err(url.error("token_url", "set either region or token_url, not both"));
        }
        (Some(region), None) => Endpoint::Region(
            region
                .text
                .parse::<Region>()
                .map_err(|e| region.error("region", e.to_string()))?,
        ),
        (None, Some(url)) => Endpoint::TokenUrl(urls.check(url.text).map_err(|m| url.error("token_url", m))?),
        (None, None) => Endpoint::Region(Region::Us),
    };
    let mut profile = Profile::new(name, endpoint, client_id);
    if let Some(scope) = raw.scope {
        let checked = Scopes::checked(scope.text).map_err(|e| scope.error("scope", e.to_string()))?;
        profile.scope = Some(checked).filter(|s| !s.is_empty());
    }
    if let Some(v) = raw.api_version {
        profile.api_version = v
            .text
            .parse()
            .map_err(|e: crate::model::ParseEnumError| v.error("api_version", e.to_string()))?;
    }
    if let Some(v) = raw.client_auth {
        profile.client_auth = v
            .text
            .parse()
            .map_err(|e: crate::model::ParseEnumError| v.error("client_auth", e.to_string()))?;
    }
    if let Some(base) = raw.base_url {
        if raw.token_url.is_some() {
            return Err(base.error(
                "base_url",
                "goes with region, not token_url (token_url is already a whole URL)",
            ));
        }
        let checked = urls
            .check(base.text)
            .and_then(|url| CheckedUrl::parse_base(url.as_str()).map_err(|e| e.to_string()))
            .map_err(|m| base.error("base_url", m))?;
        profile.base_url = Some(checked);
    }
    profile.secret_source = secret_source_from(raw)?;
    profile.ca_file = raw.ca_file.map(|p| PathBuf::from(p.text));
    if let Some(v) = raw.grant_expires {
        profile.grant_expires = Some(GrantExpiry::parse(v.text).map_err(|m| v.error("grant_expires", m))?);
    }
    Ok(profile)
}

fn secret_source_from(raw: &ProfileFields<'_>) -> Result<SecretSource, RawError> {
    match (raw.secret_env, raw.secret_command) {
        (Some(_), Some(cmd)) => Err(cmd.error(
            "secret_command",
            "set at most one of secret_env and secret_command (neither means the OS keyring)",
        )),
        (Some(var), None) => {
            let v = var.text.trim();
            if v.is_empty() || v.contains('=') || v.contains('\0') {
                return Err(var.error(
                    "secret_env",
                    "must be the name of an environment variable, e.g. WORKIVA_CLIENT_SECRET",
                ));
            }
            Ok(SecretSource::Env(v.to_owned()))
        }
        (None, Some(cmd)) if cmd.text.trim().is_empty() => Err(cmd.error(
            "secret_command",
            "is empty; give a command that prints the secret, e.g. \"pass show workiva/prod\"",
        )),
        (None, Some(cmd)) => Ok(SecretSource::Command(cmd.text.trim().to_owned())),
        (None, None) => Ok(SecretSource::Keyring),
    }
}
