use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::text::{TokenTextError, check_b64token, clean, is_unsafe_char};
use super::{Scopes, Timestamp};

/// The token endpoint's success body, as the seed document describes it.
///
/// `scope` is optional here although the seed marks it required: RFC 6749
/// §5.1 lets a server leave it out when it equals the requested scope.
#[derive(Clone, Deserialize, Serialize)]
pub struct BearerToken {
    pub access_token: String,
    pub expires_in: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub token_type: String,
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerToken")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("token_type", &self.token_type)
            .finish()
    }
}

impl Drop for BearerToken {
    fn drop(&mut self) {
        self.access_token.zeroize();
    }
}

/// A bearer credential. `Debug` never shows it; memory is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(value: String) -> Self {
        AccessToken(value)
    }

    /// The whole token, for the places that must hand it over (stdout, clipboard, HTTP).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A recognisable prefix such as `wk.Gx7…`, safe to show on screen.
    pub fn masked(&self) -> String {
        let prefix: String = self.0.chars().take(6).collect();
        if prefix.len() < self.0.len() {
            format!("{prefix}…")
        } else {
            "…".to_owned()
        }
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessToken(<redacted, {} chars>)", self.0.len())
    }
}

impl Drop for AccessToken {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Why a success response could not be used as a token. The messages name
/// the field and what is wrong with it, never a token's value; the one value
/// they show (a token type) is cleaned first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(
        "the server issued a token of type \"{0}\", not a bearer token; wktui only handles bearer tokens"
    )]
    NotBearer(String),
    #[error("the server answered with an empty access_token")]
    EmptyToken,
    #[error("the server's access_token {0}; refusing it")]
    BadToken(TokenTextError),
    #[error("the server's {0} holds control or invisible formatting characters; refusing the answer")]
    UnsafeText(&'static str),
    #[error(
        "the server's expires_in says the token lives {0} s, more than a year; refusing a lifetime that cannot be right"
    )]
    ImplausibleLifetime(u64),
}

/// Workiva tokens live about 10 minutes; anything beyond a year is a broken server.
pub const MAX_LIFETIME_SECS: u64 = 366 * 24 * 3600;

/// Scopes longer than this are not a real grant's.
const MAX_SCOPE_LEN: usize = 4096;

/// Checks the three text fields of a token, wherever it comes from (a
/// server's answer, a cache file): nothing that could break a header or a
/// terminal gets past this.
pub fn check_token_fields(access_token: &str, token_type: &str, scope: &str) -> Result<(), TokenError> {
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(TokenError::NotBearer(clean(token_type, 40)));
    }
    match check_b64token(access_token) {
        Ok(()) => {}
        Err(TokenTextError::Empty) => return Err(TokenError::EmptyToken),
        Err(e) => return Err(TokenError::BadToken(e)),
    }
    check_scope_text(scope)
}

/// A scope as granted: bounded, and nothing in it but words and spaces.
pub fn check_scope_text(scope: &str) -> Result<(), TokenError> {
    // Whitespace separates scopes; any other control character is refused.
    let unsafe_char = |c: char| !matches!(c, '\t' | '\n' | '\r') && is_unsafe_char(c);
    if scope.len() > MAX_SCOPE_LEN || scope.chars().any(unsafe_char) {
        return Err(TokenError::UnsafeText("scope"));
    }
    Ok(())
}

/// Where a token stands relative to the refresh margin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenState {
    /// More than the margin left.
    Valid,
    /// Still usable, but within the refresh margin.
    Expiring,
    /// Past its expiry.
    Expired,
    /// No token has been obtained.
    None,
}

impl TokenState {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Valid => "valid",
            TokenState::Expiring => "expiring",
            TokenState::Expired => "expired",
            TokenState::None => "none",
        }
    }

    /// Whether a bulk refresh ("refresh what needs it") should fetch this one.
    pub fn needs_refresh(self) -> bool {
        !matches!(self, TokenState::Valid)
    }
}

impl fmt::Display for TokenState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token as wktui keeps it: the response plus when it was obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub access_token: AccessToken,
    /// Normalised to "Bearer" once checked.
    pub token_type: String,
    pub scopes: Scopes,
    /// False when the server left `scope` out and we assumed the requested one.
    pub scope_stated: bool,
    pub obtained_at: Timestamp,
    pub lifetime: Duration,
}

impl Token {
    /// Checks a success response and stamps it with the time it arrived.
    pub fn from_response(
        response: &BearerToken,
        requested_scope: Option<&Scopes>,
        obtained_at: Timestamp,
    ) -> Result<Token, TokenError> {
        check_token_fields(
            &response.access_token,
            &response.token_type,
            response.scope.as_deref().unwrap_or(""),
        )?;
        if response.expires_in > MAX_LIFETIME_SECS {
            return Err(TokenError::ImplausibleLifetime(response.expires_in));
        }
        let (scopes, scope_stated) = match &response.scope {
            Some(stated) => (Scopes::parse(stated), true),
            None => (requested_scope.cloned().unwrap_or_default(), false),
        };
        Ok(Token {
            access_token: AccessToken::new(response.access_token.clone()),
            token_type: "Bearer".to_owned(),
            scopes,
            scope_stated,
            obtained_at,
            lifetime: Duration::from_secs(response.expires_in),
        })
    }

    pub fn expires_at(&self) -> Timestamp {
        self.obtained_at.plus(self.lifetime)
    }

    /// Milliseconds left (negative once expired).
    pub fn millis_left(&self, now: Timestamp) -> i64 {
        now.millis_until(self.expires_at())
    }

    /// Whole seconds left, rounded down (negative once expired), as a countdown shows them.
    pub fn seconds_left(&self, now: Timestamp) -> i64 {
        self.millis_left(now).div_euclid(1000)
    }

    pub fn state(&self, now: Timestamp, margin: Duration) -> TokenState {
        TokenState::at(self.millis_left(now), margin)
    }

    /// True when the token has more than `min_left` of life left at `now`.
    pub fn usable_for(&self, now: Timestamp, min_left: Duration) -> bool {
        i128::from(self.millis_left(now)) > min_left.as_millis() as i128
    }

    /// Share of the lifetime still left, 0.0 to 1.0, for a gauge.
    pub fn fraction_left(&self, now: Timestamp) -> f64 {
        let total = self.lifetime.as_millis() as f64;
        if total <= 0.0 {
            return 0.0;
        }
        (self.millis_left(now) as f64 / total).clamp(0.0, 1.0)
    }

    /// What can be shown of it without the token itself.
    pub fn facts(&self) -> TokenFacts {
        TokenFacts {
            scope: self.scopes.to_string(),
            obtained_at: self.obtained_at,
            lifetime: self.lifetime,
        }
    }
}

/// What `wktui list` shows of a token, without the token: its scope and
/// when it expires. The cache keeps these of every token in one summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenFacts {
    /// The granted scopes, joined by single spaces.
    pub scope: String,
    pub obtained_at: Timestamp,
    pub lifetime: Duration,
}

impl TokenFacts {
    /// Always "Bearer": no other kind of token is kept.
    pub const TOKEN_TYPE: &'static str = "Bearer";

    pub fn expires_at(&self) -> Timestamp {
        self.obtained_at.plus(self.lifetime)
    }

    /// Whole seconds left, rounded down (negative once expired).
    pub fn seconds_left(&self, now: Timestamp) -> i64 {
        now.millis_until(self.expires_at()).div_euclid(1000)
    }

    pub fn state(&self, now: Timestamp, margin: Duration) -> TokenState {
        TokenState::at(now.millis_until(self.expires_at()), margin)
    }
}

impl TokenState {
    /// The state of a token with `left` milliseconds to live.
    fn at(left: i64, margin: Duration) -> TokenState {
        if left <= 0 {
            TokenState::Expired
        } else if (left as u128) <= margin.as_millis() {
            TokenState::Expiring
        } else {
            TokenState::Valid
        }
    }

    /// State of an optional token: `None` when there is none.
    pub fn of(token: Option<&Token>, now: Timestamp, margin: Duration) -> TokenState {
        token.map_or(TokenState::None, |t| t.state(now, margin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(token_type: &str, scope: Option<&str>) -> BearerToken {
        BearerToken {
            access_token: "wk.secret-token-value".into(),
            expires_in: 600,
            scope: scope.map(str::to_owned),
            token_type: token_type.into(),
        }
    }

    fn token_at(obtained: u64) -> Token {
        Token::from_response(
            &response("Bearer", Some("a")),
            None,
            Timestamp::from_secs(obtained),
        )
        .expect("valid response")
    }

    #[test]
    fn token_type_is_checked_case_insensitively() {
        let t0 = Timestamp::from_secs(1000);
        assert!(Token::from_response(&response("bearer", Some("a")), None, t0).is_ok());
        assert!(Token::from_response(&response("BEARER", Some("a")), None, t0).is_ok());
        let err = Token::from_response(&response("mac", Some("a")), None, t0).unwrap_err();
        assert_eq!(err, TokenError::NotBearer("mac".into()));
        assert!(err.to_string().contains("\"mac\""));
        let err = Token::from_response(&response("mac\x1b]0;pwned\x07", Some("a")), None, t0).unwrap_err();
        assert!(!err.to_string().contains('\x1b'), "{err}");
    }

    #[test]
    fn hostile_fields_are_refused_without_echoing_them() {
        let t0 = Timestamp(0);
        for token in [
            "zqx\r\nX-Evil: 1",
            "zqx\x1b]52;c;ZXZpbA==\x07",
            "zqx b",
            "zqx\u{202e}x",
        ] {
            let mut r = response("Bearer", Some("a"));
            r.access_token = token.into();
            let err = Token::from_response(&r, None, t0).expect_err(token);
            assert!(matches!(err, TokenError::BadToken(_)), "{token:?}: {err:?}");
            assert!(!err.to_string().contains("zqx"), "{err}");
        }
        let mut r = response("Bearer", Some("a"));
        r.access_token = "a".repeat(super::super::text::MAX_TOKEN_LEN + 1);
        assert!(matches!(
            Token::from_response(&r, None, t0),
            Err(TokenError::BadToken(_))
        ));
        for scope in ["file:read\x1b[2J", "file:read \u{202e}", "a\u{9b}b", "x\u{200b}"] {
            let err = Token::from_response(&response("Bearer", Some(scope)), None, t0).expect_err(scope);
            assert_eq!(err, TokenError::UnsafeText("scope"), "{scope:?}");
        }
        // Ordinary whitespace between scopes is fine.
        assert!(Token::from_response(&response("Bearer", Some("a\tb\nc")), None, t0).is_ok());
    }

    #[test]
    fn missing_scope_takes_the_requested_one_and_says_so() {
        let requested = Scopes::parse("file:read");
        let t =
            Token::from_response(&response("Bearer", None), Some(&requested), Timestamp(0)).expect("valid");
        assert_eq!(t.scopes, requested);
        assert!(!t.scope_stated);
        let t = Token::from_response(&response("Bearer", Some("x y")), Some(&requested), Timestamp(0))
            .expect("valid");
        assert_eq!(t.scopes.to_string(), "x y");
        assert!(t.scope_stated);
    }

    #[test]
    fn empty_access_token_is_refused() {
        let mut r = response("Bearer", None);
        r.access_token = "".into();
        assert_eq!(
            Token::from_response(&r, None, Timestamp(0)),
            Err(TokenError::EmptyToken)
        );
        r.access_token = "  ".into();
        assert!(matches!(
            Token::from_response(&r, None, Timestamp(0)),
            Err(TokenError::BadToken(_))
        ));
    }

    #[test]
    fn expiry_is_obtained_plus_lifetime() {
        let t = token_at(1000);
        assert_eq!(t.expires_at(), Timestamp::from_secs(1600));
        assert_eq!(t.seconds_left(Timestamp::from_secs(1000)), 600);
        assert_eq!(t.seconds_left(Timestamp(1_599_500)), 0);
        assert_eq!(t.seconds_left(Timestamp::from_secs(1601)), -1);
    }

    #[test]
    fn state_thresholds_at_the_margin() {
        let t = token_at(0);
        let margin = Duration::from_secs(60);
        assert_eq!(t.state(Timestamp::from_secs(539), margin), TokenState::Valid);
        // exactly the margin left: expiring
        assert_eq!(t.state(Timestamp::from_secs(540), margin), TokenState::Expiring);
        assert_eq!(t.state(Timestamp(599_999), margin), TokenState::Expiring);
        assert_eq!(t.state(Timestamp::from_secs(600), margin), TokenState::Expired);
        assert_eq!(t.state(Timestamp::from_secs(9999), margin), TokenState::Expired);
        assert_eq!(TokenState::of(None, Timestamp(0), margin), TokenState::None);
    }

    #[test]
    fn absurd_lifetimes_and_ttls_do_not_overflow() {
        let mut r = response("Bearer", None);
        r.expires_in = 9_223_372_036_854_775;
        assert_eq!(
            Token::from_response(&r, None, Timestamp(0)),
            Err(TokenError::ImplausibleLifetime(9_223_372_036_854_775))
        );
        let t = token_at(0);
        assert!(!t.usable_for(Timestamp(0), Duration::from_secs(9_223_372_036_854_776)));
        assert!(!t.usable_for(Timestamp(0), Duration::MAX));
    }

    #[test]
    fn usable_for_requires_strictly_more_than_min_left() {
        let t = token_at(0);
        assert!(t.usable_for(Timestamp::from_secs(299), Duration::from_secs(300)));
        assert!(!t.usable_for(Timestamp::from_secs(300), Duration::from_secs(300)));
    }

    #[test]
    fn fraction_left_is_clamped() {
        let t = token_at(0);
        assert_eq!(t.fraction_left(Timestamp(0)), 1.0);
        assert_eq!(t.fraction_left(Timestamp::from_secs(300)), 0.5);
        assert_eq!(t.fraction_left(Timestamp::from_secs(900)), 0.0);
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = token_at(0);
        let shown = format!("{t:?} {:?}", response("Bearer", None));
        assert!(!shown.contains("secret-token-value"), "{shown}");
        assert_eq!(t.access_token.masked(), "wk.sec…");
    }

    #[test]
    fn needs_refresh_for_all_but_valid() {
        assert!(!TokenState::Valid.needs_refresh());
        assert!(TokenState::Expiring.needs_refresh());
        assert!(TokenState::Expired.needs_refresh());
        assert!(TokenState::None.needs_refresh());
    }
}
