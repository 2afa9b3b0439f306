use std::path::PathBuf;
use std::time::Duration;

use crate::model::{Profile, TokenError};

/// Why a token could not be fetched, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server answered with an OAuth2 (`IamError`) or API error body.
    #[error("{}{} (HTTP {status}{})", error, description.as_deref().map(|d| format!(": {d}")).unwrap_or_default(), tries_note(*tries))]
    Refused {
        status: u16,
        error: String,
        description: Option<String>,
        tries: u32,
        /// What the server asked for in `Retry-After`, if anything.
        retry_after: Option<Duration>,
    },
    /// An error status without a body we understand (a proxy page, an empty body).
    #[error("HTTP {status} {reason} from {url}{}{}", if excerpt.is_empty() { String::new() } else { format!(": {excerpt}") }, tries_note(*tries))]
    Http {
        status: u16,
        reason: String,
        url: String,
        excerpt: String,
        tries: u32,
        retry_after: Option<Duration>,
    },
    #[error("no answer from {url} within {} s{}; the server or the network is slow (raise fetch_timeout in [settings] if this is expected)", after.as_secs_f32().round(), tries_note(*tries))]
    Timeout {
        url: String,
        after: Duration,
        tries: u32,
    },
    #[error("cannot reach {url}: {reason}{}", tries_note(*tries))]
    Connect { url: String, reason: String, tries: u32 },
    #[error(
        "{url} asked to be left alone for another {} s (it limits how often tokens may be requested); not asking it before then",
        (crate::clock::now().millis_until(*until).max(0) as u64).div_ceil(1000)
    )]
    RateLimited {
        url: String,
        /// When the host may be asked again.
        until: crate::model::Timestamp,
    },
    #[error("the host {host} does not resolve ({reason})")]
    Unresolvable { host: String, reason: String },
    #[error(
        "the token URL {url} redirects (HTTP {status}) to {location}; wktui never follows a redirect with credentials"
    )]
    Redirected {
        url: String,
        status: u16,
        location: String,
    },
    #[error("the TLS certificate of {url} is not trusted: {reason}")]
    Certificate { url: String, reason: String },
    #[error("the token server at {url} answered {status} but not with a token: {reason}")]
    InvalidResponse {
        url: String,
        status: u16,
        reason: String,
    },
    #[error("{0}")]
    Token(#[from] TokenError),
    #[error("refusing {0}: {1}")]
    InsecureUrl(String, String),
    #[error("cannot use the CA file {}: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

fn tries_note(tries: u32) -> String {
    if tries > 1 {
        format!(", after {tries} tries")
    } else {
        String::new()
    }
}

impl FetchError {
    /// The HTTP status the server answered, when it answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Refused { status, .. } | FetchError::Http { status, .. } => Some(*status),
            FetchError::RateLimited { .. } => Some(429),
            FetchError::Redirected { status, .. } | FetchError::InvalidResponse { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// How long the server asked to be left alone (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Refused { retry_after, .. } | FetchError::Http { retry_after, .. } => *retry_after,
            FetchError::RateLimited { until, .. } => Some(Duration::from_millis(
                crate::clock::now().millis_until(*until).max(0) as u64,
            )),
            _ => None,
        }
    }

    /// `hint`, knowing the profile: a client refused after the last day of
    /// the grant the profile records is the grant's expiry, not its secret.
    pub fn hint_for(&self, profile: &Profile, today: chrono::NaiveDate) -> Option<String> {
        if let (FetchError::Refused { error, .. }, Some(expires)) = (self, profile.grant_expires)
            && error == "invalid_client"
            && expires.has_expired(today)
        {
            return Some(format!(
                "the API grant expired on {expires} ({}). Ask for a new grant in Workiva, then store its secret with `wktui profile set-secret {name}` and its expiry with `wktui profile edit {name} --grant-expires YYYY-MM-DD`",
                expires.state(today).describe(),
                name = profile.name,
            ));
        }
        self.hint(&profile.name)
    }

    /// A next step for the user of `profile`, where there is an obvious one.
    pub fn hint(&self, profile: &str) -> Option<String> {
        let hint = match self {
            FetchError::Refused { error, .. } if error == "invalid_client" => {
                return Some(format!(
                    "the server does not accept this client id and secret. Usually the secret was regenerated in Workiva or the API grant expired or was revoked; check the client id (wktui profile show {profile}) and store the current secret with `wktui profile set-secret {profile}`"
                ));
            }
            FetchError::Refused { error, .. } if error == "invalid_scope" => {
                "the grant does not allow the requested scope; change `scope` in the profile"
            }
            FetchError::Refused { status: 429, .. }
            | FetchError::Http { status: 429, .. }
            | FetchError::RateLimited { .. } => {
                "the server limits how often tokens may be requested; wait a little and try again"
            }
            FetchError::Http { status: 404, .. } => {
                "the token URL was not found: check region/token_url and api_version (the legacy path is /iam/v1/oauth2/token)"
            }
            FetchError::Redirected { .. } => {
                "if you trust the new address, set it as the profile's token_url"
            }
            FetchError::Certificate { .. } => {
                "if a proxy inspects TLS, trust its CA with ca_file (in [settings] or the profile); wktui never skips verification"
            }
            FetchError::Connect { .. } => {
                "check the network, HTTPS_PROXY/NO_PROXY, and the profile's region or token_url"
            }
            FetchError::Unresolvable { .. } => {
                "check the host name in the profile's token_url (or its region), and this machine's DNS"
            }
            _ => return None,
        };
        Some(hint.to_owned())
    }
}
