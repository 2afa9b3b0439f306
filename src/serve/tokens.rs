//! The tokens `serve` hands out: from memory while they have more than the
//! refresh margin left, else from the shared cache, else one fetch through
//! the engine, however many clients ask at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::clock;
use crate::engine::{Engine, EngineError, MinLeft, Origin};
use crate::fetcher::FetchError;
use crate::model::{Profile, Token, text};

/// After a failed fetch without `Retry-After`, the next try waits this long,
/// so a broken upstream is not asked again for every request.
const FAILURE_PAUSE: Duration = Duration::from_secs(2);

/// Where an answered token came from, for the request log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Memory,
    /// The shared cache (another wktui process fetched it).
    Cache,
    /// Fetched from Workiva for this request.
    Fetched {
        latency: Duration,
        warning: Option<String>,
    },
    /// The refresh failed, but the previous token still has time left.
    Previous {
        failure: String,
    },
}

/// An upstream failure, as the IamError a client would have got from Workiva.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub status: u16,
    pub error: String,
    pub description: String,
    pub retry_after: Option<Duration>,
}

impl Upstream {
    pub fn from_engine(e: &EngineError, profile: &str) -> Upstream {
        let describe = |what: &dyn std::fmt::Display| text::clean(&format!("profile {profile}: {what}"), 400);
        match e {
            EngineError::Fetch(fetch) => {
                let status = fetch.status().filter(|s| (400..=599).contains(s));
                let status = match fetch {
                    FetchError::Timeout { .. } => 504,
                    _ => status.unwrap_or(502),
                };
                let error = match fetch {
                    FetchError::Refused { error, .. } if is_oauth_error_code(error) => error.clone(),
                    _ => error_for_status(status).to_owned(),
                };
                Upstream {
                    status,
                    error,
                    description: describe(&format!("Workiva: {fetch}")),
                    retry_after: fetch.retry_after(),
                }
            }
            EngineError::Secret(secret) => Upstream {
                status: 500,
                error: "server_error".into(),
                description: describe(&format!("wktui cannot read the client secret: {secret}")),
                retry_after: None,
            },
            EngineError::LeftUndone { .. } => Upstream {
                status: 503,
                error: "temporarily_unavailable".into(),
                description: describe(e),
                retry_after: None,
            },
            EngineError::TooShort { .. } | EngineError::Internal(_) => Upstream {
                status: 500,
                error: "server_error".into(),
                description: describe(e),
                retry_after: None,
            },
        }
    }
}

/// `invalid_client`, `temporarily_unavailable`: the OAuth2 spelling, not an API code such as `429TooManyRequests`.
fn is_oauth_error_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn error_for_status(status: u16) -> &'static str {
    match status {
        401 => "invalid_client",
        403 => "access_denied",
        429 | 503 | 504 => "temporarily_unavailable",
        400..=499 => "invalid_request",
        _ => "server_error",
    }
}

/// One profile's token and the lock that makes its fetches single-flight.
struct Slot {
    profile: Profile,
    current: Mutex<Option<Token>>,
    flight: tokio::sync::Mutex<Flight>,
}

/// What the last fetch left behind, for those who waited on it.
#[derive(Default)]
struct Flight {
    failure: Option<LastFailure>,
}

struct LastFailure {
    finished: Instant,
    pause_until: Instant,
    upstream: Upstream,
}

pub struct Tokens {
    slots: HashMap<String, Slot>,
    engine: Arc<Engine>,
    /// The refresh margin, or half the lifetime of tokens shorter than two margins.
    want: MinLeft,
}

impl Tokens {
    pub fn new(profiles: Vec<Profile>, engine: Arc<Engine>, margin: Duration) -> Tokens {
        let slots = profiles
            .into_iter()
            .map(|profile| {
                let slot = Slot {
                    profile,
                    current: Mutex::new(None),
                    flight: tokio::sync::Mutex::new(Flight::default()),
                };
                (slot.profile.name.clone(), slot)
            })
            .collect();
        Tokens {
            slots,
            engine,
            want: MinLeft::Margin(margin),
        }
    }

    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.slots.get(name).map(|s| &s.profile)
    }

    /// A token for `name` with more than the margin left when possible.
    /// Concurrent callers share one fetch: whoever waits on the lock takes
    /// the result of the fetch that finished while it waited.
    pub async fn get(&self, name: &str) -> Option<Result<(Token, Source), Upstream>> {
        let slot = self.slots.get(name)?;
        Some(self.get_for(slot).await)
    }

    async fn get_for(&self, slot: &Slot) -> Result<(Token, Source), Upstream> {
        if let Some(token) = slot.fresh(self.want) {
            return Ok((token, Source::Memory));
        }
        let arrived = Instant::now();
        let mut flight = slot.flight.lock().await;
        if let Some(token) = slot.fresh(self.want) {
            return Ok((token, Source::Memory));
        }
        if let Some(failure) = &flight.failure
            && (failure.finished >= arrived || Instant::now() < failure.pause_until)
        {
            return slot.previous_or(failure);
        }
        let cached = {
            let engine = Arc::clone(&self.engine);
            let profile = slot.profile.clone();
            let want = self.want;
            tokio::task::spawn_blocking(move || engine.cached_token(&profile, want))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
        };
        if let Some(token) = cached {
            slot.keep(&token);
            flight.failure = None;
            return Ok((token, Source::Cache));
        }
        match self.engine.refresh(&slot.profile, Some(self.want)).await {
            Ok(refreshed) => {
                slot.keep(&refreshed.token);
                flight.failure = None;
                let source = match refreshed.origin {
                    Origin::Cache => Source::Cache,
                    Origin::Server { latency, .. } => Source::Fetched {
                        latency,
                        warning: refreshed.cache_warning,
                    },
                };
                Ok((refreshed.token, source))
            }
            Err(e) => {
                let upstream = Upstream::from_engine(&e, &slot.profile.name);
                let finished = Instant::now();
                let failure = LastFailure {
                    finished,
                    pause_until: finished + upstream.retry_after.unwrap_or(FAILURE_PAUSE),
                    upstream,
                };
                let answer = slot.previous_or(&failure);
                flight.failure = Some(failure);
                answer
            }
        }
    }
}

impl Slot {
    /// The token in memory if it may be handed out as `want` says.
    fn fresh(&self, want: MinLeft) -> Option<Token> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|t| want.accepts(t, clock::now()))
            .cloned()
    }

    fn keep(&self, token: &Token) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
    }

    /// After a failed refresh: the previous token while it lives, else the
    /// failure with how long until the next try.
    fn previous_or(&self, failure: &LastFailure) -> Result<(Token, Source), Upstream> {
        if let Some(token) = self.fresh(MinLeft::Asked(Duration::ZERO)) {
            let source = Source::Previous {
                failure: failure.upstream.description.clone(),
            };
            return Ok((token, source));
        }
        let mut upstream = failure.upstream.clone();
        if upstream.retry_after.is_some() {
            upstream.retry_after = Some(failure.pause_until.saturating_duration_since(Instant::now()));
        }
        Err(upstream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, error: &str, retry_after: Option<u64>) -> EngineError {
        EngineError::Fetch(FetchError::Refused {
            status,
            error: error.into(),
            description: Some("Rate limit exceeded\u{1b}[2J".into()),
            tries: 1,
            retry_after: retry_after.map(Duration::from_secs),
        })
    }

    #[test]
    fn upstream_errors_keep_workivas_status_and_code() {
        let up = Upstream::from_engine(&refused(401, "invalid_client", None), "prod");
        assert_eq!((up.status, up.error.as_str()), (401, "invalid_client"));
        assert!(
            up.description
                .starts_with("profile prod: Workiva: invalid_client"),
            "{}",
            up.description
        );
        assert!(text::is_clean(&up.description), "control characters are gone");

        let up = Upstream::from_engine(&refused(429, "429TooManyRequests", Some(7)), "prod");
        assert_eq!((up.status, up.error.as_str()), (429, "temporarily_unavailable"));
        assert_eq!(up.retry_after, Some(Duration::from_secs(7)));

        let timeout = EngineError::Fetch(FetchError::Timeout {
            url: "https://api.app.wdesk.com/oauth2/token".into(),
            after: Duration::from_secs(30),
            tries: 1,
        });
        let up = Upstream::from_engine(&timeout, "p");
        assert_eq!((up.status, up.error.as_str()), (504, "temporarily_unavailable"));

        let connect = EngineError::Fetch(FetchError::Connect {
            url: "u".into(),
            reason: "refused".into(),
            tries: 3,
        });
        assert_eq!(Upstream::from_engine(&connect, "p").status, 502);
        let html = EngineError::Fetch(FetchError::Http {
            status: 503,
            reason: "Service Unavailable".into(),
            url: "u".into(),
            excerpt: "<html>".into(),
            tries: 3,
            retry_after: None,
        });
        let up = Upstream::from_engine(&html, "p");
        assert_eq!((up.status, up.error.as_str()), (503, "temporarily_unavailable"));
        let secret = EngineError::Secret(crate::secrets::SecretError::Empty);
        assert_eq!(Upstream::from_engine(&secret, "p").status, 500);
    }
}
