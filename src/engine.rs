//! The calls both front ends make: `wktui token prod` and pressing `r` on
//! `prod` in the TUI go through `Engine::refresh`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::cache::TokenCache;
use crate::clock;
use crate::fetcher::{FetchError, FetchOptions, Fetcher, RetryPolicy, Verification};
use crate::model::{AccessToken, Profile, Settings, Token};
use crate::secrets::{SecretError, SecretStore, read_secret};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error(
        "the server issues tokens that live {} s, less than the {} s asked for with --min-ttl; ask for less (such as --min-ttl {}) or leave --min-ttl out",
        lifetime.as_secs(), asked.as_secs(), lifetime.as_secs() / 2
    )]
    TooShort { lifetime: Duration, asked: Duration },
    #[error("{}", left_undone(*after, *stage))]
    LeftUndone { after: Duration, stage: Undone },
    #[error("internal error: {0}")]
    Internal(String),
}

/// How far a profile of a `refresh_many` run got before the run's time ran
/// out, so that the words say what happened (a server that never answered
/// is not one that asked for fewer requests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undone {
    /// Its request was sent (or being prepared) and no answer came.
    NoAnswer,
    /// It waited for its turn behind the run's other requests.
    NotStarted,
    /// It waited for a server that refused requests as too many.
    RateLimited,
}

fn left_undone(after: Duration, stage: Undone) -> String {
    let secs = after.as_secs();
    match stage {
        Undone::NoAnswer => format!(
            "no answer within {secs} s, the run's time limit; the server or the network is slow (raise fetch_timeout in [settings] if this is expected)"
        ),
        Undone::NotStarted => format!(
            "left undone: the run reached its time limit ({secs} s) before this profile's turn, while earlier requests went unanswered"
        ),
        Undone::RateLimited => format!(
            "left undone: the run reached its time limit ({secs} s) before this profile's turn (the server was asking for fewer requests)"
        ),
    }
}

/// How much life a token handed out must have left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinLeft {
    /// A contract (`--min-ttl`): a token that cannot meet it is an error,
    /// never handed out as if it could.
    Asked(Duration),
    /// The refresh margin. A server whose tokens live less than twice the
    /// margin would otherwise be asked again on every call: for those, half
    /// of a token's lifetime will do.
    Margin(Duration),
}

impl MinLeft {
    /// What a token with this lifetime must still have left.
    pub fn for_lifetime(self, lifetime: Duration) -> Duration {
        match self {
            MinLeft::Asked(asked) => asked,
            MinLeft::Margin(margin) => margin.min(lifetime / 2),
        }
    }

    /// Whether `token` may be handed out at `now`.
    pub fn accepts(self, token: &Token, now: crate::model::Timestamp) -> bool {
        token.usable_for(now, self.for_lifetime(token.lifetime))
    }

    /// An error when `token` is the freshest this server gives and still
    /// cannot meet an asked time: asking the server again would only bring
    /// another token that cannot.
    pub fn unmeetable(self, token: &Token) -> Option<EngineError> {
        match self {
            MinLeft::Asked(asked) if token.lifetime <= asked => Some(EngineError::TooShort {
                lifetime: token.lifetime,
                asked,
            }),
            _ => None,
        }
    }
}

impl EngineError {
    /// A next step for the user of `profile`, where there is an obvious one.
    pub fn hint(&self, profile: &str) -> Option<String> {
        match self {
            EngineError::Fetch(e) => e.hint(profile),
            _ => None,
        }
    }

    /// `hint`, knowing the profile's grant (`FetchError::hint_for`).
    pub fn hint_for(&self, profile: &Profile, today: chrono::NaiveDate) -> Option<String> {
        match self {
            EngineError::Fetch(e) => e.hint_for(profile, today),
            _ => None,
        }
    }
}

/// Where a token handed out by `refresh` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Another process stored it while we waited for the refresh lock.
    Cache,
    Server {
        latency: Duration,
        tries: u32,
    },
}

/// What `verify` found, and whether a refused token left the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub verification: Verification,
    /// The refused token was the cached one and is gone from the cache.
    pub dropped: bool,
    /// Why a refused token could not be dropped.
    pub drop_warning: Option<String>,
}

#[derive(Debug)]
pub struct Refreshed {
    pub token: Token,
    pub origin: Origin,
    /// Set when the token could not be written to the cache (it is still good).
    pub cache_warning: Option<String>,
}

pub struct Engine {
    settings: Settings,
    secrets: Arc<dyn SecretStore>,
    cache: TokenCache,
    retry: RetryPolicy,
    /// Built on the first fetch: a cached `wktui token` never builds an HTTP client.
    fetcher: OnceLock<Fetcher>,
}

impl Engine {
    pub fn new(settings: Settings, secrets: Arc<dyn SecretStore>, cache: TokenCache) -> Self {
        Engine {
            settings,
            secrets,
            cache,
            retry: RetryPolicy::default(),
            fetcher: OnceLock::new(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    pub fn cache(&self) -> &TokenCache {
        &self.cache
    }

    fn fetcher(&self) -> &Fetcher {
        self.fetcher.get_or_init(|| {
            Fetcher::new(FetchOptions {
                timeout: self.settings.fetch_timeout,
                retry: self.retry.clone(),
                ca_file: self.settings.ca_file.clone(),
                concurrency: self.settings.concurrency,
                shared_dir: (self.cache.problem().is_none()).then(|| self.cache.dir().to_path_buf()),
            })
        })
    }

    /// The cached token if it has more than `min_left` to live: no lock, no
    /// network, no keyring. This is the whole of a cached `wktui token`.
    pub fn cached_for(&self, profile: &Profile, min_left: Duration) -> Option<Token> {
        self.cache
            .load(profile)
            .filter(|t| t.usable_for(clock::now(), min_left))
    }

    /// The cached token when it may be handed out as `want` says: no lock,
    /// no network, no keyring. An error when the cached token shows that
    /// this server cannot meet an asked time (until it expires: then the
    /// server may be asked again).
    pub fn cached_token(&self, profile: &Profile, want: MinLeft) -> Result<Option<Token>, EngineError> {
        let Some(token) = self.cache.load(profile) else {
            return Ok(None);
        };
        let now = clock::now();
        if want.accepts(&token, now) {
            return Ok(Some(token));
        }
        match want.unmeetable(&token) {
            Some(error) if token.millis_left(now) > 0 => Err(error),
            _ => Ok(None),
        }
    }

    /// A token for `profile` that meets `want`: the cached one, else a new
    /// one (`force`: always a new one). The flag says whether it was fetched.
    pub async fn token(
        &self,
        profile: &Profile,
        want: MinLeft,
        force: bool,
    ) -> Result<Refreshed, EngineError> {
        if !force && let Some(token) = self.cached_token(profile, want)? {
            return Ok(Refreshed {
                token,
                origin: Origin::Cache,
                cache_warning: None,
            });
        }
        let refreshed = self.refresh(profile, (!force).then_some(want)).await?;
        if !want.accepts(&refreshed.token, clock::now())
            && let Some(error) = want.unmeetable(&refreshed.token)
        {
            return Err(error);
        }
        Ok(refreshed)
    }

    /// Fetches a new token and caches it, holding the profile's refresh lock so
    /// that concurrent processes do not all ask the server. With `reuse`, a
    /// token another process stored while we waited is taken instead if it
    /// meets that.
    pub async fn refresh(&self, profile: &Profile, reuse: Option<MinLeft>) -> Result<Refreshed, EngineError> {
        tracing::debug!(profile = %profile.name, reuse = ?reuse, "refresh");
        let prepared = {
            let profile = profile.clone();
            let cache = self.cache.clone();
            let secrets = Arc::clone(&self.secrets);
            let patience = self.settings.fetch_timeout;
            tokio::task::spawn_blocking(move || prepare(&profile, &cache, secrets.as_ref(), reuse, patience))
                .await
                .map_err(|e| EngineError::Internal(e.to_string()))??
        };
        let (lock, secret) = match prepared {
            Prepared::Reuse(token) => {
                tracing::debug!(profile = %profile.name, "another process stored a token while we waited; reusing it");
                return Ok(Refreshed {
                    token,
                    origin: Origin::Cache,
                    cache_warning: None,
                });
            }
            Prepared::Fetch { lock, secret } => (lock, secret),
        };
        let fetched = self.fetcher().fetch(profile, &secret).await;
        drop(secret);
        let fetched = fetched?;
        let cache_warning = {
            let profile = profile.clone();
            let cache = self.cache.clone();
            let token = fetched.token.clone();
            tokio::task::spawn_blocking(move || cache.store(&profile, &token))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
                .err()
                .map(|e| {
                    format!(
                        "the token could not be cached in {}: {e}",
                        self.cache.dir().display()
                    )
                })
        };
        drop(lock);
        Ok(Refreshed {
            token: fetched.token,
            origin: Origin::Server {
                latency: fetched.latency,
                tries: fetched.tries,
            },
            cache_warning,
        })
    }

    /// Refreshes several profiles at once, at most `settings.concurrency` in
    /// flight; results come back in the order of `profiles`.
    pub async fn refresh_many(
        self: &Arc<Self>,
        profiles: Vec<Profile>,
    ) -> Vec<(String, Result<Refreshed, EngineError>)> {
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        tracing::debug!(
            profiles = profiles.len(),
            concurrency = self.settings.concurrency,
            "refreshing several profiles"
        );
        let names: Vec<(String, String)> = profiles.iter().map(|p| (p.name.clone(), p.token_url())).collect();
        let mut tasks = Vec::with_capacity(profiles.len());
        let mut started = Vec::with_capacity(profiles.len());
        for profile in profiles {
            let engine = Arc::clone(self);
            let permits = Arc::clone(&permits);
            let turn = Arc::new(std::sync::atomic::AtomicBool::new(false));
            started.push(Arc::clone(&turn));
            tasks.push(tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                turn.store(true, std::sync::atomic::Ordering::Relaxed);
                let result = engine.refresh(&profile, None).await;
                (profile.name, result)
            }));
        }
        // Refusals for asking too often do not end a profile's fetch while
        // the host makes progress; the run as a whole has a deadline instead.
        let budget = self.run_budget(names.len());
        let deadline = tokio::time::Instant::now() + budget;
        let mut results = Vec::with_capacity(tasks.len());
        for ((task, (name, url)), turn) in tasks.into_iter().zip(names).zip(started) {
            let abort = task.abort_handle();
            match tokio::time::timeout_at(deadline, task).await {
                Ok(Ok(done)) => results.push(done),
                Ok(Err(e)) => results.push((name, Err(EngineError::Internal(e.to_string())))),
                Err(_) => {
                    abort.abort();
                    // A host that refused requests as too many holds its
                    // requests back (started or not); else a started one
                    // was waiting for an answer.
                    let stage = if self.fetcher.get().is_some_and(|f| f.host_refused(&url)) {
                        Undone::RateLimited
                    } else if turn.load(std::sync::atomic::Ordering::Relaxed) {
                        Undone::NoAnswer
                    } else {
                        Undone::NotStarted
                    };
                    results.push((name, Err(EngineError::LeftUndone { after: budget, stage })));
                }
            }
        }
        results
    }

    /// How long a run of `n` refreshes may take: the fetch timeout for each
    /// round of `concurrency` profiles.
    fn run_budget(&self, n: usize) -> Duration {
        let rounds = n.div_ceil(self.settings.concurrency.max(1)).max(1) as u32;
        self.settings.fetch_timeout.saturating_mul(rounds)
    }

    /// Token hosts that asked to be left alone, and until when (wall clock).
    pub fn paused_hosts(&self) -> Vec<(String, crate::model::Timestamp)> {
        self.fetcher.get().map(Fetcher::paused_hosts).unwrap_or_default()
    }

    /// Whether the API accepts `token` (`GET /permissions`). A refused token
    /// is dropped from the cache, if it is still the cached one: it is never
    /// handed out again, and the next `token` fetches a new one.
    pub async fn verify(&self, profile: &Profile, token: &AccessToken) -> Result<Verdict, EngineError> {
        let verification = self.fetcher().verify(profile, token).await?;
        let mut verdict = Verdict {
            verification,
            dropped: false,
            drop_warning: None,
        };
        if matches!(verdict.verification, Verification::Refused(_)) {
            let cache = self.cache.clone();
            let (profile, token) = (profile.clone(), token.clone());
            match tokio::task::spawn_blocking(move || cache.forget_refused(&profile, &token)).await {
                Ok(Ok(dropped)) => verdict.dropped = dropped,
                Ok(Err(e)) => {
                    verdict.drop_warning = Some(format!("the refused token stays in the cache: {e}"))
                }
                Err(e) => verdict.drop_warning = Some(format!("the refused token stays in the cache: {e}")),
            }
        }
        Ok(verdict)
    }
}

enum Prepared {
    Reuse(Token),
    Fetch {
        lock: Option<crate::cache::RefreshLock>,
        secret: secrecy::SecretString,
    },
}

/// The blocking half of a refresh: wait for the lock, look again, read the secret.
fn prepare(
    profile: &Profile,
    cache: &TokenCache,
    secrets: &dyn SecretStore,
    reuse: Option<MinLeft>,
    patience: Duration,
) -> Result<Prepared, EngineError> {
    // No lock (an unwritable cache dir, a holder that takes too long) only
    // costs a duplicate fetch, so go on without it.
    tracing::debug!(profile = %profile.name, "waiting for the refresh lock");
    let lock = cache.lock(&profile.cache_name(), patience).ok().flatten();
    tracing::debug!(profile = %profile.name, held = lock.is_some(), "refresh lock (without it, at worst a duplicate fetch)");
    if let Some(want) = reuse
        && let Some(token) = cache.load(profile).filter(|t| want.accepts(t, clock::now()))
    {
        return Ok(Prepared::Reuse(token));
    }
    let secret = read_secret(profile, secrets)?;
    Ok(Prepared::Fetch { lock, secret })
}
