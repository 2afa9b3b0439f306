use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::{CheckedUrl, GrantExpiry, Scopes, UrlError};

/// A Workiva region and its API host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    Us,
    Eu,
    Apac,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::Us, Region::Eu, Region::Apac];

    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
            Region::Apac => "apac",
        }
    }

    /// The region's API host, where its token requests go.
    pub fn host(self) -> &'static str {
        self.base_url().trim_start_matches("https://")
    }

    /// Tokens for every Workiva host of a region come from its `api.*` host.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://api.app.wdesk.com",
            Region::Eu => "https://api.eu.wdesk.com",
            Region::Apac => "https://api.apac.wdesk.com",
        }
    }
}

/// A value that is not one of an enum's spellings; says which ones are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{value}\" is not a valid {what}; expected one of: {expected}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl FromStr for Region {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseEnumError {
                what: "region",
                value: s.to_owned(),
                expected: "us, eu, apac",
            })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Workiva API version wktui speaks unless a profile asks for the
/// legacy one: the `X-Version` of `/oauth2/token` and `/permissions`.
pub const API_VERSION: &str = "2026-01-01";

/// Which version of the token API a profile speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ApiVersion {
    /// `POST /oauth2/token` with `X-Version: API_VERSION`.
    #[default]
    V2026_01_01,
    /// Legacy `POST /iam/v1/oauth2/token`, no `X-Version` (sunset 2029-01-31).
    V2022_01_01,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V2026_01_01 => API_VERSION,
            ApiVersion::V2022_01_01 => "2022-01-01",
        }
    }

    pub fn token_path(self) -> &'static str {
        match self {
            ApiVersion::V2026_01_01 => "/oauth2/token",
            ApiVersion::V2022_01_01 => "/iam/v1/oauth2/token",
        }
    }

    /// The `X-Version` header value; the legacy path must not carry one.
    pub fn version_header(self) -> Option<&'static str> {
        match self {
            ApiVersion::V2026_01_01 => Some(API_VERSION),
            ApiVersion::V2022_01_01 => None,
        }
    }
}

impl FromStr for ApiVersion {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            API_VERSION => Ok(ApiVersion::V2026_01_01),
            "2022-01-01" => Ok(ApiVersion::V2022_01_01),
            _ => Err(ParseEnumError {
                what: "api_version",
                value: s.to_owned(),
                expected: "2026-01-01, 2022-01-01",
            }),
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the client authenticates to the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body, as the public SDKs send them.
    #[default]
    Body,
    /// HTTP Basic with form-encoded id and secret (RFC 6749 §2.3.1).
    Basic,
}

impl ClientAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::Body => "body",
            ClientAuth::Basic => "basic",
        }
    }
}

impl FromStr for ClientAuth {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "body" => Ok(ClientAuth::Body),
            "basic" => Ok(ClientAuth::Basic),
            _ => Err(ParseEnumError {
                what: "client_auth",
                value: s.to_owned(),
                expected: "body, basic",
            }),
        }
    }
}

impl fmt::Display for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a profile's client secret comes from. The secret itself is never here.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum SecretSource {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    #[default]
    Keyring,
    /// An environment variable of this name.
    Env(String),
    /// A shell command whose standard output is the secret.
    Command(String),
    /// Held in memory by the running process (`wktui demo`); never in a config file.
    Memory,
}

impl SecretSource {
    /// Whether the secret lives in wktui's secret store (the keyring, or memory
    /// in the demo) rather than coming from outside.
    pub fn is_stored(&self) -> bool {
        matches!(self, SecretSource::Keyring | SecretSource::Memory)
    }
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Keyring => f.write_str("keyring"),
            SecretSource::Env(var) => write!(f, "env ${var}"),
            SecretSource::Command(cmd) => write!(f, "command `{cmd}`"),
            SecretSource::Memory => f.write_str("memory (demo)"),
        }
    }
}

/// Where the token comes from: a region's host, or an explicit URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Region(Region),
    TokenUrl(CheckedUrl),
}

impl Endpoint {
    /// A token URL endpoint from text, checked as every token URL is.
    pub fn token_url(text: &str) -> Result<Endpoint, UrlError> {
        CheckedUrl::parse(text).map(Endpoint::TokenUrl)
    }
}

/// Profile names end up in file names and keyring entries: keep them plain.
pub fn check_profile_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty; give the profile a short name such as \"prod\"".into());
    }
    if name.len() > 64 {
        return Err("is longer than 64 characters".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "\"{name}\" contains {bad:?}; use letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// One Workiva API grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub endpoint: Endpoint,
    pub client_id: String,
    /// The scope to request; `None` asks for the grant's default.
    pub scope: Option<Scopes>,
    pub api_version: ApiVersion,
    pub client_auth: ClientAuth,
    pub secret_source: SecretSource,
    /// An extra CA bundle (PEM) to trust for this profile, e.g. behind TLS inspection.
    pub ca_file: Option<PathBuf>,
    /// Replaces the region's API host (a proxy, or the demo's local server)
    /// while keeping the region's paths and label.
    pub base_url: Option<CheckedUrl>,
    /// `scope` was narrowed for one call (`token NAME --scope`): its token
    /// is cached apart from the profile's own (see `cache_name`).
    pub narrowed: bool,
    /// The grant's last day, when the profile records it.
    pub grant_expires: Option<GrantExpiry>,
}

impl Profile {
    /// A profile with defaults for everything but name, endpoint and client id.
    pub fn new(name: impl Into<String>, endpoint: Endpoint, client_id: impl Into<String>) -> Self {
        Profile {
            name: name.into(),
            endpoint,
            client_id: client_id.into(),
            scope: None,
            api_version: ApiVersion::default(),
            client_auth: ClientAuth::default(),
            secret_source: SecretSource::default(),
            ca_file: None,
            base_url: None,
            narrowed: false,
            grant_expires: None,
        }
    }

    /// This profile asking for `scopes` only, which must be among its own
    /// (the caller checks). Sorted and without repeats, so that the same
    /// set in any order shares one cache entry.
    pub fn narrowed_to(&self, scopes: &Scopes) -> Profile {
        let mut narrowed = self.clone();
        narrowed.scope = Some(scopes.canonical());
        narrowed.narrowed = true;
        narrowed
    }

    /// The name of this profile's cache entry and refresh lock: its name,
    /// or for a narrowed scope `NAME+HASH` of the scope set. `+` is never in
    /// a profile name, so the entry is never taken for another profile's.
    pub fn cache_name(&self) -> std::borrow::Cow<'_, str> {
        match (&self.scope, self.narrowed) {
            (Some(scope), true) => {
                format!("{}+{:016x}", self.name, fnv1a(&scope.canonical().to_string())).into()
            }
            _ => self.name.as_str().into(),
        }
    }

    pub fn token_url(&self) -> String {
        let mut url = String::new();
        self.write_token_url(&mut url);
        url
    }

    fn write_token_url(&self, out: &mut String) {
        match &self.endpoint {
            Endpoint::Region(region) => {
                let base = match &self.base_url {
                    Some(base) => base.without_final_slash(),
                    None => region.base_url(),
                };
                out.push_str(base);
                out.push_str(self.api_version.token_path());
            }
            Endpoint::TokenUrl(url) => out.push_str(url.as_str()),
        }
    }

    /// The API host other calls (such as `GET /permissions`) go to.
    pub fn api_base_url(&self) -> String {
        match (&self.endpoint, &self.base_url) {
            (Endpoint::Region(_), Some(base)) => base.without_final_slash().to_owned(),
            (Endpoint::Region(region), None) => region.base_url().to_owned(),
            (Endpoint::TokenUrl(url), _) => url.origin(),
        }
    }

    /// The region, unless the profile names a token URL instead.
    pub fn region(&self) -> Option<Region> {
        match self.endpoint {
            Endpoint::Region(region) => Some(region),
            Endpoint::TokenUrl(_) => None,
        }
    }

    /// Short text for where tokens come from: the region, or the host (with
    /// its port) the request really goes to when a token URL or a base URL
    /// names one, the region noted after a base URL's host. Never the region
    /// alone for a secret that goes elsewhere; hosts come from the parsed
    /// URL, never from the text as written.
    /// Borrowed for a region, which `list` shows for thousands of rows.
    pub fn endpoint_label(&self) -> std::borrow::Cow<'static, str> {
        match (&self.endpoint, &self.base_url) {
            (Endpoint::Region(region), None) => region.as_str().into(),
            (Endpoint::Region(region), Some(_)) => format!("{} ({region})", self.destination_host()).into(),
            (Endpoint::TokenUrl(_), _) => self.destination_host().into(),
        }
    }

    /// The host (with its port, when not the scheme's own) that the token
    /// request, and with it the client secret, is sent to.
    pub fn destination_host(&self) -> String {
        match (&self.endpoint, &self.base_url) {
            (Endpoint::Region(region), None) => region.host().to_owned(),
            (Endpoint::Region(_), Some(base)) => base.host_port(),
            (Endpoint::TokenUrl(url), _) => url.host_port(),
        }
    }

    /// Everything that changes which token the server would issue. A cached
    /// token is only reused while this is unchanged.
    pub fn fingerprint(&self) -> String {
        let mut fingerprint = String::new();
        self.write_fingerprint(&mut fingerprint);
        fingerprint
    }

    /// `fingerprint` into `out` (cleared first): a listing of many profiles
    /// reuses one buffer.
    pub fn write_fingerprint(&self, out: &mut String) {
        use std::fmt::Write;
        out.clear();
        self.write_token_url(out);
        out.push('|');
        out.push_str(&self.client_id);
        out.push('|');
        if let Some(scope) = &self.scope {
            let _ = write!(out, "{scope}");
        }
        out.push('|');
        out.push_str(self.api_version.as_str());
    }
}

/// FNV-1a, 64 bits: stable across builds and systems (unlike std's
/// hasher), which a file name kept between runs needs. Not a defence: the
/// entry's fingerprint holds the scope itself and is checked on load.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Settings that apply to every profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// A token with less than this left is "expiring" and gets refetched by `wktui token`.
    pub refresh_margin: Duration,
    /// A whole fetch, retries included, gives up after this.
    pub fetch_timeout: Duration,
    /// How many token requests `refresh` and the TUI run at once.
    pub concurrency: usize,
    /// Seconds after which a copied token is cleared from the clipboard.
    pub clipboard_clear_after: Duration,
    /// Refresh tokens that reach the margin without being asked (TUI).
    pub auto_refresh: bool,
    /// An extra CA bundle to trust for every profile.
    pub ca_file: Option<PathBuf>,
    /// How tokens are copied.
    pub clipboard: ClipboardMode,
    /// The profile a command uses when none is named (`WKTUI_PROFILE` wins).
    pub default_profile: Option<String>,
}

/// Where a copied token goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClipboardMode {
    /// The desktop clipboard, or OSC 52 over SSH or without a display.
    #[default]
    Auto,
    /// Always the desktop clipboard (X11/Wayland).
    System,
    /// Always an OSC 52 escape through the terminal (works over SSH and in tmux).
    Osc52,
}

impl FromStr for ClipboardMode {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ClipboardMode::Auto),
            "system" => Ok(ClipboardMode::System),
            "osc52" => Ok(ClipboardMode::Osc52),
            _ => Err(ParseEnumError {
                what: "clipboard",
                value: s.to_owned(),
                expected: "auto, system, osc52",
            }),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            refresh_margin: Duration::from_secs(60),
            fetch_timeout: Duration::from_secs(30),
            concurrency: 32,
            clipboard_clear_after: Duration::from_secs(30),
            auto_refresh: false,
            ca_file: None,
            clipboard: ClipboardMode::Auto,
            default_profile: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_are_plain_and_short() {
        assert_eq!(check_profile_name("prod-1_eu.v2"), Ok(()));
        assert!(check_profile_name("").is_err_and(|m| m.contains("is empty")));
        assert!(check_profile_name(&"p".repeat(65)).is_err_and(|m| m.contains("longer than 64")));
        assert!(check_profile_name("a/b").is_err_and(|m| m.contains("contains '/'")));
    }

    #[test]
    fn region_urls_follow_the_api_version() {
        let mut p = Profile::new("prod", Endpoint::Region(Region::Eu), "id");
        assert_eq!(p.token_url(), "https://api.eu.wdesk.com/oauth2/token");
        p.api_version = ApiVersion::V2022_01_01;
        assert_eq!(p.token_url(), "https://api.eu.wdesk.com/iam/v1/oauth2/token");
        assert_eq!(p.api_base_url(), "https://api.eu.wdesk.com");
    }

    #[test]
    fn base_url_replaces_the_host_but_keeps_region_paths() {
        let mut p = Profile::new("demo", Endpoint::Region(Region::Apac), "id");
        p.base_url = Some(CheckedUrl::parse_base("http://127.0.0.1:9/").expect("url"));
        assert_eq!(p.token_url(), "http://127.0.0.1:9/oauth2/token");
        assert_eq!(p.api_base_url(), "http://127.0.0.1:9");
        // Shown as where the secret goes, not as the region alone.
        assert_eq!(p.endpoint_label(), "127.0.0.1:9 (apac)");
        assert_eq!(p.destination_host(), "127.0.0.1:9");
        p.base_url = None;
        assert_eq!(p.endpoint_label(), "apac");
        assert_eq!(p.destination_host(), "api.apac.wdesk.com");
    }

    #[test]
    fn custom_token_url_is_used_verbatim_and_gives_its_origin() {
        let endpoint = Endpoint::token_url("http://127.0.0.1:8080/oauth2/token").expect("url");
        let p = Profile::new("t", endpoint, "id");
        assert_eq!(p.token_url(), "http://127.0.0.1:8080/oauth2/token");
        assert_eq!(p.api_base_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn a_custom_token_url_is_labelled_by_its_host() {
        let label = |url: &str| {
            let endpoint = Endpoint::token_url(url).expect("url");
            Profile::new("t", endpoint, "id").endpoint_label()
        };
        assert_eq!(label("http://127.0.0.1:8080/oauth2/token"), "127.0.0.1:8080");
        assert_eq!(
            label("https://sandbox.example.com/oauth2/token"),
            "sandbox.example.com"
        );
        assert_eq!(label("https://proxy.example:8443"), "proxy.example:8443");
        assert_eq!(label("https://[::1]:9/t?x=1"), "[::1]:9");
        assert_eq!(label("https://h.example/?x=1"), "h.example");
        assert_eq!(label("https://H.Example:443/t"), "h.example");
    }

    #[test]
    fn enums_parse_and_name_the_valid_choices() {
        assert_eq!("EU".parse::<Region>(), Ok(Region::Eu));
        let err = "mars".parse::<Region>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"mars\" is not a valid region; expected one of: us, eu, apac"
        );
        assert_eq!("2022-01-01".parse::<ApiVersion>(), Ok(ApiVersion::V2022_01_01));
        assert!("2023-01-01".parse::<ApiVersion>().is_err());
        assert_eq!("Basic".parse::<ClientAuth>(), Ok(ClientAuth::Basic));
        assert_eq!(ApiVersion::V2022_01_01.version_header(), None);
    }

    #[test]
    fn a_narrowed_scope_has_its_own_cache_name_whatever_the_order() {
        let mut p = Profile::new("prod", Endpoint::Region(Region::Us), "id");
        p.scope = Some(Scopes::parse("file:read file:write admin"));
        assert_eq!(p.cache_name(), "prod");
        let a = p.narrowed_to(&Scopes::parse("file:write file:read"));
        let b = p.narrowed_to(&Scopes::parse("file:read file:write file:read"));
        let c = p.narrowed_to(&Scopes::parse("file:read"));
        assert_eq!(a.cache_name(), b.cache_name());
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.cache_name(), c.cache_name());
        assert!(a.cache_name().starts_with("prod+"), "{}", a.cache_name());
        assert_ne!(a.fingerprint(), p.fingerprint());
        assert_eq!(a.name, "prod", "the secret is still found by the profile's name");
        // Stable across builds: the file name is kept between runs.
        // Stable across builds (the file name is kept between runs): FNV-1a's published vectors.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn fingerprint_changes_with_what_the_server_sees() {
        let a = Profile::new("p", Endpoint::Region(Region::Us), "id");
        let mut b = a.clone();
        b.scope = Some(Scopes::parse("file:read"));
        assert_ne!(a.fingerprint(), b.fingerprint());
        let mut c = a.clone();
        c.client_auth = ClientAuth::Basic;
        assert_eq!(a.fingerprint(), c.fingerprint());
    }
}
