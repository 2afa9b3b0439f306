//! The Workiva token request: building it, sending it with retries inside
//! one deadline, and turning every answer into a `Token` or a `FetchError`.

mod error;
mod gate;
mod host_record;
mod response;
mod retry;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

pub use error::FetchError;
pub use gate::{HostGate, host_key};
pub use retry::RetryPolicy;

use crate::clock;
use crate::model::{AccessToken, ClientAuth, Profile, Token, check_token_url};

const USER_AGENT: &str = concat!("wktui/", env!("CARGO_PKG_VERSION"));

/// How fetches behave: the deadline for a whole fetch and the retry policy.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// A whole fetch, retries included, gives up after this.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// A CA bundle trusted for every profile, on top of the OS store.
    pub ca_file: Option<PathBuf>,
    /// Requests in flight to one host, at most (the gate's largest window).
    pub concurrency: usize,
    /// Where pauses asked by a host are shared with other processes.
    pub shared_dir: Option<PathBuf>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            ca_file: None,
            concurrency: 32,
            shared_dir: None,
        }
    }
}

/// A token and what it took to get it.
#[derive(Debug)]
pub struct Fetched {
    pub token: Token,
    /// From sending the (last) request to having the token.
    pub latency: Duration,
    pub tries: u32,
}

/// What `GET /permissions` said of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Accepted,
    /// 401: the token is no good (revoked, expired early, a rotated secret),
    /// in the API's own words.
    Refused(String),
    /// 403: a genuine token whose scopes do not cover `/permissions` (that
    /// needs `file:read`); it may still be good for what it was asked for.
    Forbidden,
}

impl Verification {
    /// The API's answer in words, after "the token was ...".
    pub fn describe(&self) -> String {
        match self {
            Verification::Accepted => "accepted".into(),
            Verification::Refused(why) => format!("refused: {why}"),
            Verification::Forbidden => {
                "not allowed to read /permissions (HTTP 403): the token is genuine but its scopes lack file:read, which verifying needs".into()
            }
        }
    }
}

/// Sends token requests. One HTTP client per CA bundle, built on first use;
/// one gate per token host, shared by every request of this process.
pub struct Fetcher {
    options: FetchOptions,
    clients: Mutex<HashMap<(Option<PathBuf>, Route), reqwest::Client>>,
    gate: Arc<HostGate>,
}

impl Fetcher {
    pub fn new(options: FetchOptions) -> Self {
        let gate = HostGate::new(options.concurrency, options.shared_dir.clone());
        Fetcher {
            options,
            clients: Mutex::new(HashMap::new()),
            gate,
        }
    }

    /// Fetches a new token for `profile`, retrying what is worth retrying.
    ///
    /// `timeout` bounds the fetch from its first request, retries included.
    /// A host that refuses for being asked too often (429, or 503 with
    /// `Retry-After`) is asked again when it says, through the host's gate,
    /// and the clock starts again when it admits the request: time spent
    /// waiting for a rate-limited host is the gate's to bound (it gives up
    /// once the host names a pause longer than `timeout`, or has granted
    /// nothing to anyone for that long). Such refusals do not use up the
    /// fetch's tries while the host keeps granting other requests, and do
    /// once it grants nothing; a run of many fetches has its own deadline.
    pub async fn fetch(&self, profile: &Profile, secret: &SecretString) -> Result<Fetched, FetchError> {
        let url = profile.token_url();
        check_token_url(&url).map_err(|why| FetchError::InsecureUrl(url.clone(), why))?;
        let client = self.client_for(profile, &url)?;
        let host = gate::host_key(&url);
        let timeout = self.options.timeout;
        // Set when a request is admitted; cleared by a refusal for asking too often.
        let mut fetch_deadline: Option<Instant> = None;
        let (mut tries, mut sent) = (0, 0);
        let mut refused: Option<response::FailedTry> = None;
        loop {
            let admission = match self.gate.admit(&host, timeout).await {
                Ok(admission) => admission,
                Err(not_admitted) => {
                    return Err(match refused {
                        Some(failure) => failure.into_error(&url, sent),
                        None => FetchError::RateLimited {
                            url,
                            until: not_admitted.until,
                        },
                    });
                }
            };
            let deadline = *fetch_deadline.get_or_insert_with(|| Instant::now() + timeout);
            sent += 1;
            tracing::debug!(profile = %profile.name, url = %url, attempt = sent, "token request");
            let started = Instant::now();
            let attempt =
                tokio::time::timeout_at(deadline.into(), self.send_once(&client, profile, &url, secret))
                    .await;
            let Ok(outcome) = attempt else {
                tracing::debug!(profile = %profile.name, attempt = sent, "token request timed out");
                return Err(FetchError::Timeout {
                    url,
                    after: timeout,
                    tries: sent,
                });
            };
            let failure = match outcome {
                Ok(token) => {
                    admission.succeeded();
                    tracing::debug!(profile = %profile.name, attempt = sent, latency_ms = started.elapsed().as_millis() as u64, "token received");
                    return Ok(Fetched {
                        token,
                        latency: started.elapsed(),
                        tries: sent,
                    });
                }
                Err(failure) => failure,
            };
            if failure.is_rate_limit() {
                let progressing = self.gate.progressing(&host, timeout);
                admission.refused(failure.retry_after());
                tracing::debug!(profile = %profile.name, attempt = sent, progressing, "retrying the token request when the host allows: it asked to slow down");
                if !progressing {
                    tries += 1;
                    if tries >= self.options.retry.max_tries {
                        return Err(failure.into_error(&url, sent));
                    }
                }
                refused = Some(failure);
                // The wait for the host is not this request's exchange.
                fetch_deadline = None;
                continue;
            }
            drop(admission);
            tries += 1;
            match self.options.retry.wait_before_retry(tries, &failure) {
                Some(wait) if Instant::now().checked_add(wait).is_some_and(|t| t < deadline) => {
                    tracing::debug!(profile = %profile.name, attempt = sent, wait_ms = wait.as_millis() as u64, "retrying the token request");
                    tokio::time::sleep(wait).await;
                }
                // Waiting as asked would pass the deadline: give up now with the real reason.
                _ => return Err(failure.into_error(&url, sent)),
            }
        }
    }

    /// Whether the host of `url` has refused a request of ours as one too many.
    pub fn host_refused(&self, url: &str) -> bool {
        self.gate.has_refused(&gate::host_key(url))
    }

    /// Hosts that asked to be left alone, and until when (wall clock).
    pub fn paused_hosts(&self) -> Vec<(String, crate::model::Timestamp)> {
        self.gate.pauses()
    }

    /// One request and its whole answer; the caller's deadline covers both.
    async fn send_once(
        &self,
        client: &reqwest::Client,
        profile: &Profile,
        url: &str,
        secret: &SecretString,
    ) -> Result<Token, response::FailedTry> {
        let request = build_request(client, profile, url, secret);
        let response = request
            .send()
            .await
            .map_err(|e| response::unresolvable(&e, url).unwrap_or(response::FailedTry::Transport(e)))?;
        response::token_from(response, profile).await
    }

    /// Asks the API whether `token` is accepted (`GET /permissions`, which
    /// needs only `file:read`). One deadline covers connecting, the headers
    /// and the body, whatever the server does.
    pub async fn verify(&self, profile: &Profile, token: &AccessToken) -> Result<Verification, FetchError> {
        let url = format!("{}/permissions", profile.api_base_url());
        check_token_url(&url).map_err(|why| FetchError::InsecureUrl(url.clone(), why))?;
        let client = self.client_for(profile, &url)?;
        tracing::debug!(profile = %profile.name, url = %url, "verifying the token");
        let request = client
            .get(&url)
            .header(ACCEPT, "application/json")
            .header("X-Version", crate::model::API_VERSION)
            .bearer_auth(token.expose());
        let exchange = async {
            let response = request
                .send()
                .await
                .map_err(|e| response::unresolvable(&e, &url).unwrap_or(response::FailedTry::Transport(e)))?;
            let status = response.status();
            if status.is_success() {
                return Ok::<_, response::FailedTry>(None);
            }
            Ok(Some((status.as_u16(), response::error_from(response).await)))
        };
        let answer = match tokio::time::timeout(self.options.timeout, exchange).await {
            Err(_) => {
                return Err(FetchError::Timeout {
                    url,
                    after: self.options.timeout,
                    tries: 1,
                });
            }
            Ok(Err(failure)) => return Err(failure.into_error(&url, 1)),
            Ok(Ok(answer)) => answer,
        };
        let Some((status, failure)) = answer else {
            return Ok(Verification::Accepted);
        };
        match (status, failure.into_error(&url, 1)) {
            (403, _) => Ok(Verification::Forbidden),
            (
                401,
                FetchError::Refused {
                    error, description, ..
                },
            ) => Ok(Verification::Refused(
                description.map_or(error.clone(), |d| format!("{error}: {d}")),
            )),
            (401, _) => Ok(Verification::Refused("HTTP 401".into())),
            (_, other) => Err(other),
        }
    }

    /// The client for a URL: one per CA bundle, and plain http (which only
    /// ever goes to this machine) never through a proxy.
    fn client_for(&self, profile: &Profile, url: &str) -> Result<reqwest::Client, FetchError> {
        let ca = profile.ca_file.clone().or_else(|| self.options.ca_file.clone());
        let route = Route::of(url);
        let key = (ca, route);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = build_client(key.0.as_deref(), route)?;
        tracing::debug!(ca_file = ?key.0, route = ?route, "HTTP client built");
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// How a request leaves the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Route {
    /// https, through `HTTPS_PROXY` when one is set (it sees only a tunnel).
    Tls,
    /// Plain http to this machine: never a proxy, which would see the
    /// client secret in clear text.
    Loopback,
}

impl Route {
    fn of(url: &str) -> Route {
        if url.trim_start().to_ascii_lowercase().starts_with("https:") {
            Route::Tls
        } else {
            Route::Loopback
        }
    }
}

/// An HTTP client that reaches `url` the way token requests do (redirects
/// refused, `localhost` pinned to this machine, plain http never through a
/// proxy, the CA bundle added), for other looks at a token URL (`doctor`):
/// what they find is what a fetch would meet.
pub fn client_for_url(url: &str, ca_file: Option<&Path>) -> Result<reqwest::Client, FetchError> {
    build_client(ca_file, Route::of(url))
}

fn build_request(
    client: &reqwest::Client,
    profile: &Profile,
    url: &str,
    secret: &SecretString,
) -> reqwest::RequestBuilder {
    let mut request = client
        .post(url)
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(version) = profile.api_version.version_header() {
        request = request.header("X-Version", version);
    }
    // Room for the worst case (every byte percent-encoded) up front: a
    // growing String would leave unwiped copies of the secret behind.
    let room = 3 * (profile.client_id.len() + secret.expose_secret().len())
        + profile.scope.as_ref().map_or(0, |s| 3 * s.to_string().len())
        + 128;
    let mut form = form_urlencoded::Serializer::new(String::with_capacity(room));
    form.append_pair("grant_type", "client_credentials");
    match profile.client_auth {
        ClientAuth::Body => {
            form.append_pair("client_id", &profile.client_id);
            form.append_pair("client_secret", secret.expose_secret());
        }
        ClientAuth::Basic => {
            request = request.header(AUTHORIZATION, basic_credentials(&profile.client_id, secret));
        }
    }
    if let Some(scope) = &profile.scope {
        form.append_pair("scope", &scope.to_string());
    }
    request.body(WipedBody::from(Zeroizing::new(form.finish())))
}

/// A request body that holds the client secret: the bytes live in memory
/// that is wiped when the HTTP stack lets go of them.
struct WipedBody(Zeroizing<String>);

impl AsRef<[u8]> for WipedBody {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<Zeroizing<String>> for WipedBody {
    fn from(text: Zeroizing<String>) -> Self {
        WipedBody(text)
    }
}

impl From<WipedBody> for reqwest::Body {
    fn from(body: WipedBody) -> Self {
        reqwest::Body::from(bytes::Bytes::from_owner(body))
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 §2.3.1 asks:
/// Workiva secrets contain colons, which plain Basic would split on.
fn basic_credentials(client_id: &str, secret: &SecretString) -> reqwest::header::HeaderValue {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let mut pair = zeroize::Zeroizing::new(format!(
        "{}:{}",
        encode(client_id),
        encode(secret.expose_secret())
    ));
    let encoded = zeroize::Zeroizing::new(STANDARD.encode(pair.as_bytes()));
    pair.clear();
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Basic {}", encoded.as_str()))
        .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("Basic"));
    value.set_sensitive(true);
    value
}

/// rustls with the `ring` provider (fast to build) and the OS verifier, plus
/// an optional extra CA bundle. Never an option to skip verification.
fn build_client(ca_file: Option<&Path>, route: Route) -> Result<reqwest::Client, FetchError> {
    // Installing twice is harmless: the first provider stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let loopback = [
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0)),
    ];
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(30))
        // `localhost` is this machine, whatever /etc/hosts or DNS say.
        .resolve_to_addrs("localhost", &loopback)
        // A redirect would re-send the form, client secret included, to
        // wherever it points: follow none, and say where it pointed.
        .redirect(reqwest::redirect::Policy::none());
    if route == Route::Loopback {
        builder = builder.no_proxy();
    }
    if let Some(path) = ca_file {
        let certs = ca_certificates(path)?
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| FetchError::CaFile {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| FetchError::Client(e.to_string()))
}

/// No CA bundle is this large (the system's holds about 150 certificates in 200 KiB).
const MAX_CA_BYTES: u64 = 16 * 1024 * 1024;

/// The certificates of an extra CA bundle (PEM, at least one). Read only if
/// it is trusted like the config (see `platform::fs::Kind::CaFile`): whoever
/// can change it chooses the servers believed. A fetch and `doctor` both
/// load it here, so they never judge a CA file differently.
pub fn ca_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, FetchError> {
    let fail = |reason: String| FetchError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let pem = crate::platform::fs::read_trusted_kind(path, crate::platform::fs::Kind::CaFile, MAX_CA_BYTES)
        .map_err(|e| fail(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("it is not a PEM bundle: {e}")))?;
    if certs.is_empty() {
        return Err(fail("it holds no PEM certificate".into()));
    }
    Ok(certs)
}

/// A token response body as the fetcher judges it: the token, or what is
/// wrong with it in words that name a field and never echo a value. For
/// property tests and fuzzing; never panics, whatever the bytes.
pub fn token_from_body(
    body: &[u8],
    requested_scope: Option<&crate::model::Scopes>,
    obtained_at: crate::model::Timestamp,
) -> Result<Token, String> {
    if body.len() > response::MAX_BODY_BYTES {
        return Err(format!(
            "the answer is larger than {} KiB",
            response::MAX_BODY_BYTES / 1024
        ));
    }
    let parsed = response::parse_bearer_token(body)?;
    Token::from_response(&parsed, requested_scope, obtained_at).map_err(|e| e.to_string())
}

/// The time the answer arrived, for `Token::obtained_at`.
fn arrival_time() -> crate::model::Timestamp {
    clock::now()
}

#[cfg(test)]
mod tests;
