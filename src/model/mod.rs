//! The domain model: tokens, profiles, scopes and expiry math.
//!
//! Pure code: no HTTP, files, terminals or tokio, and no clock reads of its
//! own. Everything time-dependent takes `now` as a parameter so countdowns and
//! expiry states are tested without sleeping.

pub mod advice;
mod checked_url;
mod grant;
mod profile;
mod scope;
pub mod text;
mod time;
mod token;

pub use checked_url::{CheckedUrl, UrlError, check_token_url};
pub use grant::{GrantExpiry, GrantState, WARN_DAYS};
pub use profile::{
    API_VERSION, ApiVersion, ClientAuth, ClipboardMode, Endpoint, ParseEnumError, Profile, Region,
    SecretSource, Settings, check_profile_name,
};
pub use scope::{ScopeError, Scopes};
pub use time::{Timestamp, format_ago, format_countdown, format_duration, format_time_left};
pub use token::{
    AccessToken, BearerToken, MAX_LIFETIME_SECS, Token, TokenError, TokenFacts, TokenState, check_scope_text,
    check_token_fields,
};
