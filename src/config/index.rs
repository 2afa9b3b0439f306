//! Remembering that a profiles file was valid, so that the next command does
//! not parse and check all of it again.
//!
//! Parsing and checking costs about 4 µs a profile (40 ms for 10,000), and
//! `wktui token NAME` needs one profile. After a full load, the file's
//! profiles, already checked, are written to an index in the private cache
//! directory together with the file's stamp (device, inode, size,
//! modification and change times). A later load of a file with the same
//! stamp reads the index instead: every profile for `list` and the
//! interface, one shard of about 100 profiles for `token NAME`.
//!
//! The index is hostile like any cache file: read through
//! `platform::fs::read_trusted` (the user's own private files, bounded), and
//! every profile in it goes through the same checks as the file's text
//! (`raw::profile_from`). Any difference of stamp, or anything in the index
//! that does not fit, and the caller parses the whole file instead, which
//! reports a broken file with its line as always, and writes a new index.
//!
//! A file changed in the last second is not indexed: file times move in
//! ticks, and a second write of the same size in the same tick would leave
//! the stamp as it was.
//!
//! Layout: `<cache dir>/config-index/<hash of the config path>/main`,
//! `shard-<k>` (a profile lives in shard `hash(name) % shards`) and
//! `variables` (the `secret_env` names, read only before a child starts:
//! see `variables`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use toml::Spanned;

use super::Config;
use super::raw::{self, Field, ProfileFields, RawSettings, UrlChecks};
use crate::model::{CheckedUrl, ClipboardMode, Endpoint, Profile, SecretSource, Settings};
use crate::platform::fs::{self as private, Durability, FileStamp, write_atomically};

mod variables;
pub use variables::SecretVariables;

/// The index's subdirectory of the cache dir.
const DIR: &str = "config-index";
const MAIN_MAGIC: &str = "wktui-config-index 4";
const SHARD_MAGIC: &str = "wktui-config-shard 2";
/// An index of 10,000 profiles is about 1 MB in all; a file far larger is not ours.
const MAX_MAIN_BYTES: u64 = 8 * 1024 * 1024;
const MAX_SHARD_BYTES: u64 = 8 * 1024 * 1024;
const MAX_SHARDS: usize = 1024;
const MAX_PROFILES: usize = 1_000_000;
/// Profiles per shard, about: what `token NAME` reads (some 8 KB), and the
/// more of them, the fewer files a whole load opens.
const PER_SHARD: usize = 128;
/// The name of the profile the environment can define (`env_profile`).
const ENV_PROFILE: &str = super::env_profile::ENV_PROFILE;

/// What a load from the index gives.
pub(super) struct FromIndex {
    pub config: Config,
    pub secret_variables: SecretVariables,
    pub partial: bool,
}

/// Settings, profile count and where the profiles are, from `main`.
struct Main {
    generation: u64,
    shards: usize,
    profiles: usize,
    has_env: bool,
    settings: Settings,
    /// Of the `variables` file's names (which are read only when needed).
    variables_hash: u64,
}

/// The profile `name` (and `env`, when the file has one, so that the `env`
/// profile's precedence rule sees what a full load sees), the settings and
/// where every `secret_env` variable is, if the index matches `stamp` and
/// holds `name` (`None`: the file's `default_profile`).
pub(super) fn read_one(
    cache_dir: &Path,
    config_path: &Path,
    stamp: FileStamp,
    name: Option<&str>,
) -> Option<FromIndex> {
    let dir = key_dir(cache_dir, config_path)?;
    let main = read_main(&dir, stamp)?;
    let name = match name {
        Some(name) => name,
        None => main.settings.default_profile.as_deref()?,
    };
    let mut urls = UrlChecks::default();
    let mut profiles = vec![find_in_shard(&dir, &main, name, &mut urls)?];
    if main.has_env && name != ENV_PROFILE {
        profiles.push(find_in_shard(&dir, &main, ENV_PROFILE, &mut urls)?);
    }
    Some(FromIndex {
        config: Config {
            settings: main.settings,
            profiles,
            broken: Vec::new(),
        },
        secret_variables: SecretVariables::Indexed {
            file: dir.join(variables::FILE),
            hash: main.variables_hash,
            config_path: config_path.to_path_buf(),
        },
        partial: true,
    })
}

/// Every profile in file order, if the index matches `stamp` and is whole.
pub(super) fn read_all(cache_dir: &Path, config_path: &Path, stamp: FileStamp) -> Option<FromIndex> {
    let dir = key_dir(cache_dir, config_path)?;
    let main = read_main(&dir, stamp)?;
    // Grown from the records read, never sized by the count `main` claims:
    // the index is hostile until it checks out.
    let mut found: Vec<(usize, Profile)> = Vec::new();
    let mut urls = UrlChecks::default();
    for shard in 0..main.shards {
        let text = read_shard(&dir, &main, shard)?;
        let mut previous: Option<&str> = None;
        for line in text.lines().skip(2) {
            // Sorted, unique, and in the shard its name hashes to.
            let name = record_name(line)?;
            if previous.is_some_and(|p| p >= name) || shard_of(name, main.shards) != shard {
                return None;
            }
            previous = Some(name);
            found.push(decode_record(line, &mut urls)?);
            if found.len() > main.profiles {
                return None;
            }
        }
    }
    // Every ordinal of 0..profiles exactly once.
    found.sort_unstable_by_key(|(ordinal, _)| *ordinal);
    if found.len() != main.profiles || found.iter().enumerate().any(|(i, (ordinal, _))| i != *ordinal) {
        return None;
    }
    let config = Config {
        settings: main.settings,
        profiles: found.into_iter().map(|(_, profile)| profile).collect(),
        broken: Vec::new(),
    };
    // What `read_one` trusts the index for must agree with the profiles.
    let secret_variables = super::secret_variables(&config);
    (variables::encode(&secret_variables).1 == main.variables_hash).then_some(FromIndex {
        config,
        secret_variables: SecretVariables::Known(secret_variables),
        partial: false,
    })
}

/// Writes the index of `config`, loaded from the file with `stamp`. Best
/// effort: without it the next load parses the file, as it always could.
pub(super) fn write(cache_dir: &Path, config_path: &Path, stamp: FileStamp, config: &Config) {
    write_at(cache_dir, config_path, stamp, config, SystemTime::now());
}

/// The index's lock file. One that is not ours (a link, a file others may
/// write) is removed and made again: the directory is private, and the index
/// is only a cache, so refusing it for good would only make every load slow.
fn open_index_lock(path: &Path) -> Result<std::fs::File, private::TrustError> {
    private::open_lock_file(path).or_else(|_| {
        let _ = std::fs::remove_file(path);
        private::open_lock_file(path)
    })
}

fn write_at(cache_dir: &Path, config_path: &Path, stamp: FileStamp, config: &Config, now: SystemTime) {
    if !stamp.identifies_contents() || !stamp.settled(now) {
        return;
    }
    let (Some(dir), Some(settings)) = (key_dir(cache_dir, config_path), encode_settings(&config.settings))
    else {
        return;
    };
    let mut records: Vec<(&str, String)> = Vec::with_capacity(config.profiles.len());
    for (ordinal, profile) in config.profiles.iter().enumerate() {
        let Some(record) = encode_record(ordinal, profile) else {
            return;
        };
        records.push((&profile.name, record));
    }
    if records.len() > MAX_PROFILES {
        return;
    }
    let made = [cache_dir, &cache_dir.join(DIR), &dir]
        .into_iter()
        .all(|d| private::ensure_private_dir(d).is_ok());
    if !made {
        return;
    }
    // Processes that parsed the same file at once write the same index: one
    // is enough, and two writing shard by shard would mix their generations.
    let Ok(lock) = open_index_lock(&dir.join("lock")) else {
        return;
    };
    if lock.try_lock().is_err() {
        return;
    }
    let shards = shard_count(records.len());
    let generation = fastrand::u64(..);
    let mut buckets: Vec<Vec<(&str, String)>> = (0..shards).map(|_| Vec::new()).collect();
    for (name, record) in records {
        buckets[shard_of(name, shards)].push((name, record));
    }
    for (k, bucket) in buckets.iter_mut().enumerate() {
        bucket.sort_by(|a, b| a.0.cmp(b.0));
        let mut text = format!("{SHARD_MAGIC}\ngeneration {generation:016x} {k}\n");
        for (_, record) in bucket.iter() {
            text.push_str(record);
            text.push('\n');
        }
        if write_atomically(
            &dir.join(format!("shard-{k}")),
            text.as_bytes(),
            Durability::Cache,
        )
        .is_err()
        {
            return;
        }
    }
    let names = super::secret_variables(config);
    if !names.iter().all(|v| encodable(v) && valid_variable(v)) {
        return;
    }
    let (variables_text, variables_hash) = variables::encode(&names);
    if write_atomically(
        &dir.join(variables::FILE),
        variables_text.as_bytes(),
        Durability::Cache,
    )
    .is_err()
    {
        return;
    }
    let main = format!(
        "{MAIN_MAGIC}\n{}\ngeneration {generation:016x}\nshards {shards}\nprofiles {}\nenv {}\n{settings}\nsecret-variables {variables_hash:016x}\n",
        stamp.encode(),
        config.profiles.len(),
        u8::from(config.profiles.iter().any(|p| p.name == ENV_PROFILE)),
    );
    if write_atomically(&dir.join("main"), main.as_bytes(), Durability::Cache).is_err() {
        return;
    }
    remove_shards_from(&dir, shards);
}

/// Shards an earlier, larger index left behind.
fn remove_shards_from(dir: &Path, shards: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let stale = name
            .to_str()
            .and_then(|n| n.strip_prefix("shard-"))
            .and_then(|k| k.parse::<usize>().ok())
            .is_some_and(|k| k >= shards);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn shard_count(profiles: usize) -> usize {
    profiles
        .div_ceil(PER_SHARD)
        .next_power_of_two()
        .clamp(1, MAX_SHARDS)
}

fn shard_of(name: &str, shards: usize) -> usize {
    (fnv1a(name.as_bytes()) % shards.max(1) as u64) as usize
}

/// FNV-1a: stable across runs and builds, which the std hasher does not promise.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `<cache dir>/config-index/<hash>`: one index per config path, made
/// absolute so that a relative path from two directories is two files.
fn key_dir(cache_dir: &Path, config_path: &Path) -> Option<PathBuf> {
    let absolute;
    let path = if config_path.is_absolute() {
        config_path
    } else {
        absolute = std::path::absolute(config_path).ok()?;
        &absolute
    };
    let key = fnv1a(path.as_os_str().as_encoded_bytes());
    Some(cache_dir.join(DIR).join(format!("{key:016x}")))
}

fn read_text(path: &Path, limit: u64) -> Option<String> {
    let bytes = private::read_trusted(path, limit).ok()??;
    String::from_utf8(bytes).ok()
}

fn read_main(dir: &Path, stamp: FileStamp) -> Option<Main> {
    if !stamp.identifies_contents() || private::check_private_dir(dir).is_err() {
        return None;
    }
    let text = read_text(&dir.join("main"), MAX_MAIN_BYTES)?;
    let mut lines = text.lines();
    if lines.next()? != MAIN_MAGIC || lines.next()? != stamp.encode() {
        return None;
    }
    let mut value = |key: &str| lines.next()?.strip_prefix(key)?.strip_prefix(' ');
    let generation = u64::from_str_radix(value("generation")?, 16).ok()?;
    let shards: usize = value("shards")?.parse().ok()?;
    let profiles: usize = value("profiles")?.parse().ok()?;
    let has_env = match value("env")? {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    if !(1..=MAX_SHARDS).contains(&shards) || profiles > MAX_PROFILES {
        return None;
    }
    let settings = decode_settings(lines.next()?)?;
    let variables_hash = u64::from_str_radix(lines.next()?.strip_prefix("secret-variables ")?, 16).ok()?;
    if lines.next().is_some() {
        return None;
    }
    Some(Main {
        generation,
        shards,
        profiles,
        has_env,
        settings,
        variables_hash,
    })
}

/// A shard's text, if it is the shard `k` of this generation.
fn read_shard(dir: &Path, main: &Main, k: usize) -> Option<String> {
    let text = read_text(&dir.join(format!("shard-{k}")), MAX_SHARD_BYTES)?;
    let mut lines = text.lines();
    let expected = format!("generation {:016x} {k}", main.generation);
    (lines.next()? == SHARD_MAGIC && lines.next()? == expected).then_some(text)
}

fn find_in_shard(dir: &Path, main: &Main, name: &str, urls: &mut UrlChecks) -> Option<Profile> {
    let text = read_shard(dir, main, shard_of(name, main.shards))?;
    let line = text
        .lines()
        .skip(2)
        .find(|line| record_name(line) == Some(name))?;
    let (ordinal, profile) = decode_record(line, urls)?;
    (ordinal < main.profiles && profile.name == name).then_some(profile)
}

// --- records: one line of tab-separated fields; `-` is an absent value, `=` starts a present one ---

/// The fields of a profile record, after its ordinal.
const PROFILE_FIELDS: usize = 12;

/// A value fit for a record: text from a valid file cannot hold a tab or a
/// line break (they are control characters); anything else is not indexed.
fn encodable(value: &str) -> bool {
    !value.contains(['\t', '\n', '\r'])
}

fn put(out: &mut String, value: Option<&str>) -> Option<()> {
    out.push('\t');
    match value {
        None => out.push('-'),
        Some(v) if encodable(v) => {
            out.push('=');
            out.push_str(v);
        }
        Some(_) => return None,
    }
    Some(())
}

fn take(field: &str) -> Option<Option<&str>> {
    match field {
        "-" => Some(None),
        _ => field.strip_prefix('=').map(Some),
    }
}

/// A profile as the raw fields that make it again through `raw::profile_from`.
fn encode_record(ordinal: usize, profile: &Profile) -> Option<String> {
    // Every field, by name: a new one must be added here or it fails to compile.
    let Profile {
        name,
        endpoint,
        client_id,
        scope,
        api_version,
        client_auth,
        secret_source,
        ca_file,
        base_url,
        narrowed: _, // only ever set for one call, never configured
        grant_expires,
    } = profile;
    let (region, token_url) = match endpoint {
        Endpoint::Region(region) => (Some(region.as_str()), None),
        Endpoint::TokenUrl(url) => (None, Some(url.as_str())),
    };
    let (secret_env, secret_command) = match secret_source {
        SecretSource::Keyring => (None, None),
        SecretSource::Env(var) => (Some(var.as_str()), None),
        SecretSource::Command(cmd) => (None, Some(cmd.as_str())),
        // Only the demo keeps secrets in memory, and never in a file.
        SecretSource::Memory => return None,
    };
    let scope = scope.as_ref().map(ToString::to_string);
    let ca_file = match ca_file {
        Some(path) => Some(path.to_str()?),
        None => None,
    };
    let grant_expires = grant_expires.map(|date| date.to_string());
    let mut out = ordinal.to_string();
    for value in [
        Some(name.as_str()),
        region,
        token_url,
        base_url.as_ref().map(CheckedUrl::as_str),
        Some(client_id.as_str()),
        scope.as_deref(),
        Some(api_version.as_str()),
        Some(client_auth.as_str()),
        secret_env,
        secret_command,
        ca_file,
        grant_expires.as_deref(),
    ] {
        put(&mut out, value)?;
    }
    Some(out)
}

/// The name of a record, without decoding the rest.
fn record_name(line: &str) -> Option<&str> {
    let mut fields = line.split('\t');
    fields.next()?;
    take(fields.next()?)?
}

/// A record back to its ordinal and profile, through the same checks as a
/// profile in the file.
fn decode_record(line: &str, urls: &mut UrlChecks) -> Option<(usize, Profile)> {
    let mut fields = line.split('\t');
    let ordinal: usize = fields.next()?.parse().ok()?;
    let mut values: [Option<&str>; PROFILE_FIELDS] = [None; PROFILE_FIELDS];
    for value in &mut values {
        *value = take(fields.next()?)?;
    }
    if fields.next().is_some() {
        return None;
    }
    let [
        name,
        region,
        token_url,
        base_url,
        client_id,
        scope,
        api_version,
        client_auth,
        secret_env,
        secret_command,
        ca_file,
        grant_expires,
    ] = values;
    fn field(text: Option<&str>) -> Option<Field<'_>> {
        text.map(|text| Field { text, at: 0 })
    }
    let fields = ProfileFields {
        name: field(Some(name?))?,
        region: field(region),
        token_url: field(token_url),
        base_url: field(base_url),
        client_id: field(Some(client_id?))?,
        scope: field(scope),
        api_version: field(api_version),
        client_auth: field(client_auth),
        secret_env: field(secret_env),
        secret_command: field(secret_command),
        ca_file: field(ca_file),
        grant_expires: field(grant_expires),
    };
    let profile = raw::profile_from(&fields, urls).ok()?;
    // A record that names itself other than the profile it makes is not ours.
    (profile.name == fields.name.text).then_some((ordinal, profile))
}

fn spanned(value: &str) -> Spanned<String> {
    Spanned::new(0..0, value.to_owned())
}

fn clipboard_word(mode: ClipboardMode) -> &'static str {
    match mode {
        ClipboardMode::Auto => "auto",
        ClipboardMode::System => "system",
        ClipboardMode::Osc52 => "osc52",
    }
}

fn encode_settings(settings: &Settings) -> Option<String> {
    let Settings {
        refresh_margin,
        fetch_timeout,
        concurrency,
        clipboard_clear_after,
        auto_refresh,
        ca_file,
        clipboard,
        default_profile,
    } = settings;
    let mut out = format!(
        "settings\t{}\t{}\t{concurrency}\t{}\t{}\t{}",
        refresh_margin.as_secs(),
        fetch_timeout.as_secs(),
        clipboard_clear_after.as_secs(),
        u8::from(*auto_refresh),
        clipboard_word(*clipboard),
    );
    let ca_file = match ca_file {
        Some(path) => Some(path.to_str()?),
        None => None,
    };
    put(&mut out, ca_file)?;
    put(&mut out, default_profile.as_deref())?;
    Some(out)
}

fn decode_settings(line: &str) -> Option<Settings> {
    let mut fields = line.strip_prefix("settings\t")?.split('\t');
    let mut number = || -> Option<Spanned<i64>> { Some(Spanned::new(0..0, fields.next()?.parse().ok()?)) };
    let refresh_margin = number()?;
    let fetch_timeout = number()?;
    let concurrency = number()?;
    let clipboard_clear_after = number()?;
    let auto_refresh = match fields.next()? {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let clipboard = spanned(fields.next()?);
    let ca_file = take(fields.next()?)?.map(spanned);
    let default_profile = take(fields.next()?)?.map(spanned);
    if fields.next().is_some() {
        return None;
    }
    raw::settings_from(RawSettings {
        refresh_margin: Some(refresh_margin),
        fetch_timeout: Some(fetch_timeout),
        concurrency: Some(concurrency),
        clipboard_clear_after: Some(clipboard_clear_after),
        auto_refresh: Some(auto_refresh),
        ca_file,
        clipboard: Some(clipboard),
        default_profile,
    })
    .ok()
}

/// A `secret_env` name as the file's checks allow it.
fn valid_variable(name: &str) -> bool {
    !name.is_empty()
        && name.trim() == name
        && !name.contains(['=', '\0'])
        && crate::model::text::is_clean(name)
}

#[cfg(test)]
mod tests;
