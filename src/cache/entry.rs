//! One cache file: a token as JSON, and every check it must pass before it is
//! believed. A file in the cache directory may have been planted or damaged:
//! it is validated like a server's answer, plus what only a file can get
//! wrong (a lifetime no server gives, a time in the future).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::model::{
    AccessToken, MAX_LIFETIME_SECS, Scopes, Timestamp, Token, TokenError, check_token_fields,
};

/// No honest entry comes near this; a larger file is not read.
pub const MAX_ENTRY_BYTES: u64 = 32 * 1024;

/// Clocks of two processes on one machine agree; allow a little for a clock
/// that was stepped back, not a token "obtained" tomorrow.
const FUTURE_TOLERANCE: Duration = Duration::from_secs(300);

const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct CachedToken {
    version: u32,
    /// `Profile::fingerprint()` when it was fetched; a changed profile misses.
    fingerprint: String,
    access_token: String,
    token_type: String,
    scope: String,
    scope_stated: bool,
    obtained_at_ms: u64,
    expires_in: u64,
}

impl Drop for CachedToken {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.access_token);
    }
}

/// Why a cache file was not used. Never carries the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("it is not a wktui cache entry")]
    NotAnEntry,
    #[error("it was written by another version of wktui")]
    OtherVersion,
    #[error("it belongs to the profile as it was configured before")]
    OtherProfile,
    #[error("{0}")]
    Token(#[from] TokenError),
    #[error("its lifetime is longer than any server gives")]
    ImplausibleLifetime,
    #[error("it says the token was obtained in the future")]
    FromTheFuture,
}

/// The token in `bytes`, if the entry is one wktui would have written for a
/// profile with this `fingerprint`, checked as if it came from a server.
pub fn decode(bytes: &[u8], fingerprint: &str, now: Timestamp) -> Result<Token, EntryError> {
    let (written_for, token) = decode_any(bytes, now)?;
    if written_for != fingerprint {
        return Err(EntryError::OtherProfile);
    }
    Ok(token)
}

/// The token in `bytes` and the fingerprint of the profile it was fetched
/// for, whichever that is; every other check of `decode` applies.
pub fn decode_any(bytes: &[u8], now: Timestamp) -> Result<(String, Token), EntryError> {
    let mut cached: CachedToken = serde_json::from_slice(bytes).map_err(|_| EntryError::NotAnEntry)?;
    if cached.version != FORMAT_VERSION {
        return Err(EntryError::OtherVersion);
    }
    check_token_fields(&cached.access_token, &cached.token_type, &cached.scope)?;
    check_times(cached.obtained_at_ms, cached.expires_in, now)?;
    let token = Token {
        access_token: AccessToken::new(std::mem::take(&mut cached.access_token)),
        token_type: "Bearer".to_owned(),
        scopes: Scopes::parse(&cached.scope),
        scope_stated: cached.scope_stated,
        obtained_at: Timestamp(cached.obtained_at_ms),
        lifetime: Duration::from_secs(cached.expires_in),
    };
    Ok((std::mem::take(&mut cached.fingerprint), token))
}

/// A lifetime a server could give, and a time of issue that is not ahead of
/// this machine's clock.
pub fn check_times(obtained_at_ms: u64, expires_in: u64, now: Timestamp) -> Result<(), EntryError> {
    if expires_in > MAX_LIFETIME_SECS {
        return Err(EntryError::ImplausibleLifetime);
    }
    if Timestamp(obtained_at_ms) > now.plus(FUTURE_TOLERANCE) {
        return Err(EntryError::FromTheFuture);
    }
    Ok(())
}

/// The file's bytes for `token`, in memory that is wiped when dropped.
pub fn encode(fingerprint: &str, token: &Token) -> Zeroizing<Vec<u8>> {
    let cached = CachedToken {
        version: FORMAT_VERSION,
        fingerprint: fingerprint.to_owned(),
        access_token: token.access_token.expose().to_owned(),
        token_type: token.token_type.clone(),
        scope: token.scopes.to_string(),
        scope_stated: token.scope_stated,
        obtained_at_ms: token.obtained_at.as_millis(),
        expires_in: token.lifetime.as_secs(),
    };
    // Serializing plain strings and numbers cannot fail.
    Zeroizing::new(serde_json::to_vec(&cached).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(token: &str, expires_in: u64, obtained_at_ms: u64) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "version": 1, "fingerprint": "fp", "access_token": token,
            "token_type": "Bearer", "scope": "file:read", "scope_stated": true,
            "obtained_at_ms": obtained_at_ms, "expires_in": expires_in,
        }))
        .expect("json")
    }

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    #[test]
    fn a_good_entry_round_trips() {
        let token = decode(&entry("wk.ok", 600, NOW.0), "fp", NOW).expect("good");
        let again = decode(&encode("fp", &token), "fp", NOW).expect("round trip");
        assert_eq!(token, again);
    }

    #[test]
    fn planted_or_damaged_entries_are_refused() {
        assert_eq!(decode(b"{", "fp", NOW), Err(EntryError::NotAnEntry));
        assert_eq!(
            decode(&entry("wk.ok", 600, NOW.0), "other", NOW),
            Err(EntryError::OtherProfile)
        );
        assert!(matches!(
            decode(&entry("tok\r\nX-Evil: 1", 600, NOW.0), "fp", NOW),
            Err(EntryError::Token(TokenError::BadToken(_)))
        ));
        assert_eq!(
            decode(&entry("wk.ok", 1_000_000_000_000, NOW.0), "fp", NOW),
            Err(EntryError::ImplausibleLifetime)
        );
        assert_eq!(
            decode(&entry("wk.ok", 600, NOW.0 + 86_400_000), "fp", NOW),
            Err(EntryError::FromTheFuture)
        );
        let mut bad_scope: serde_json::Value =
            serde_json::from_slice(&entry("wk.ok", 600, NOW.0)).expect("json");
        bad_scope["scope"] = "file:read\u{1b}[2J".into();
        assert!(matches!(
            decode(&serde_json::to_vec(&bad_scope).expect("json"), "fp", NOW),
            Err(EntryError::Token(TokenError::UnsafeText("scope")))
        ));
    }
}
