//! wktui's test support: a local OAuth2 token server that speaks Workiva's
//! token format, with scripted faults.
//!
//! The integration tests, the benchmarks (through the `token-server` binary)
//! and the fuzz targets point wktui at it instead of Workiva; it is never
//! shipped (`wktui demo` has a small server of its own). It listens on
//! 127.0.0.1 only, parses HTTP/1.1 by hand on raw TCP so that scripted faults
//! (truncated bodies, dropped connections) are exactly what a test asks for,
//! and depends on nothing of wktui.

mod endpoint;
mod http;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

use endpoint::{Outcome, Reply};

/// The API version `/oauth2/token` and `/permissions` require in `X-Version`.
pub const API_VERSION: &str = "2026-01-01";

/// How the server behaves. `Default` gives Workiva-like values and no clients.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// API grants the server accepts.
    pub clients: Vec<ClientGrant>,
    /// `expires_in` of issued tokens unless the client sets its own.
    pub token_lifetime_secs: u64,
    /// Scope granted when neither the request nor the client names one.
    pub default_scope: String,
    /// Delay before every answer; `latency_ms` (milliseconds) when deserialized.
    #[serde(rename = "latency_ms", deserialize_with = "millis")]
    pub latency: Duration,
    /// Leave `scope` out of token responses, as RFC 6749 §5.1 allows.
    pub omit_scope: bool,
    /// `token_type` of issued tokens.
    pub token_type: String,
    /// Allow only so many token requests per second over all clients.
    pub rate_limit: Option<RateLimit>,
}

/// A limit on token requests over all clients, as an API gateway applies
/// it: a bucket of `per_second` requests that refills at `per_second` a
/// second; a request that finds it empty gets 429.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct RateLimit {
    pub per_second: u32,
    /// `Retry-After` (seconds) on the 429, or none.
    #[serde(default)]
    pub retry_after: Option<u64>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            clients: Vec::new(),
            token_lifetime_secs: 600,
            default_scope: "file:read file:write".to_string(),
            latency: Duration::ZERO,
            omit_scope: false,
            token_type: "Bearer".to_string(),
            rate_limit: None,
        }
    }
}

fn millis<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_millis)
}

/// One API grant the server accepts. `Debug` never shows the secret.
#[derive(Clone, Deserialize)]
pub struct ClientGrant {
    /// The grant's client id.
    pub client_id: String,
    /// The grant's secret, compared byte for byte.
    pub client_secret: String,
    /// Scopes this client may request; empty allows any.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Overrides `ServerConfig::token_lifetime_secs` for this client.
    #[serde(default)]
    pub token_lifetime_secs: Option<u64>,
    /// Overrides the global latency for this client's token requests.
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

impl ClientGrant {
    /// A client allowed any scope, with the server's lifetime and latency.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ClientGrant {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scopes: Vec::new(),
            token_lifetime_secs: None,
            latency_ms: None,
        }
    }

    /// Restricts the scopes this client may request.
    pub fn with_scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| s.to_string()).collect();
        self
    }
}

impl fmt::Debug for ClientGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientGrant")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("token_lifetime_secs", &self.token_lifetime_secs)
            .field("latency_ms", &self.latency_ms)
            .finish()
    }
}

/// A scripted failure for one token request (either token path, POST only).
#[derive(Clone, Debug)]
pub enum Fault {
    /// Any status with any body, optionally with `Retry-After` (seconds).
    Status {
        status: u16,
        content_type: String,
        body: String,
        retry_after: Option<u64>,
    },
    /// An `IamError` JSON body: `{"error": ..., "error_description": ...}`.
    IamError {
        status: u16,
        error: String,
        description: String,
    },
    /// 429 with Workiva's `{"code": "429TooManyRequests", "message": ...}`.
    TooManyRequests { retry_after: Option<u64> },
    /// Wait this long (on top of the latency), then answer normally.
    Delay(Duration),
    /// 200 `application/json` whose body is not JSON.
    Malformed,
    /// 200 announcing a longer body than is sent, then the connection closes.
    Truncated,
    /// Read the request, then close the connection without answering.
    Close,
    /// An HTML error page such as a proxy sends, e.g. with status 502.
    Html { status: u16 },
    /// A JSON answer that announces `bytes` of body in Content-Length and
    /// streams filler until it has sent them or the client goes away.
    Oversize { status: u16, bytes: u64 },
    /// A chunked JSON answer that never ends.
    Endless { status: u16 },
    /// `body` sent one byte at a time, `every` apart (the headers at once).
    Trickle {
        status: u16,
        content_type: String,
        body: String,
        every: Duration,
    },
}

/// How a request presented client credentials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CredentialSource {
    /// No client credentials at all.
    #[default]
    None,
    /// `client_id` / `client_secret` form fields.
    Body,
    /// `Authorization: Basic`.
    Basic,
    /// Both at once, which is refused.
    Both,
}

/// What the log keeps of a request's client credentials: never the secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Where the credentials were.
    pub via: CredentialSource,
    /// The client id presented, if one could be read.
    pub client_id: Option<String>,
    /// Whether the secret matched a known client with that id.
    pub secret_matched: bool,
}

/// One request as the server saw it, safe to print: secrets are left out.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Request method, e.g. `POST`.
    pub method: String,
    /// Path without the query string (a query could carry credentials).
    pub path: String,
    /// Headers with lower-cased names; `authorization` keeps only its scheme.
    pub headers: Vec<(String, String)>,
    /// Form fields of a form-encoded body, except `client_secret`.
    pub form: Vec<(String, String)>,
    /// How client credentials were presented and whether they matched.
    pub credentials: Credentials,
    /// Status answered; `None` when the connection was closed without one.
    pub status: Option<u16>,
    /// When the request had been read in full.
    pub at: Instant,
}

impl RecordedRequest {
    fn new(request: &http::Request, outcome: &Outcome, at: Instant) -> Self {
        let status = match &outcome.reply {
            Reply::Send(response) | Reply::Truncate(response) => Some(response.status),
            Reply::Stream(stream) => Some(stream.status()),
            Reply::Close => None,
        };
        RecordedRequest {
            method: request.method.clone(),
            path: request.path().to_string(),
            headers: request.headers.iter().map(redact_header).collect(),
            form: outcome.form.clone(),
            credentials: outcome.credentials.clone(),
            status,
            at,
        }
    }

    /// First value of a header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// First value of a recorded form field.
    pub fn form_field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Basic credentials are only base64, and bearer tokens are secrets too.
fn redact_header((name, value): &(String, String)) -> (String, String) {
    if name != "authorization" {
        return (name.clone(), value.clone());
    }
    let scheme = value.split(' ').next().unwrap_or_default();
    (name.clone(), format!("{scheme} [redacted]"))
}

#[derive(Default)]
struct FaultQueues {
    anyone: VecDeque<Fault>,
    by_client: HashMap<String, VecDeque<Fault>>,
    /// For `GET /permissions`.
    permissions: VecDeque<Fault>,
}

struct IssuedToken {
    scopes: Vec<String>,
    /// `None`: the lifetime was too long to represent, so it never expires.
    expires_at: Option<Instant>,
}

/// The request log keeps the most recent entries only, so that long
/// benchmarks and `wktui demo` sessions do not grow without bound.
const LOG_CAPACITY: usize = 100_000;

/// State shared by the handle and every connection task. Locks are held only
/// for short synchronous sections, never across an await.
struct Shared {
    config: Mutex<ServerConfig>,
    faults: Mutex<FaultQueues>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    log: Mutex<VecDeque<RecordedRequest>>,
    token_requests: AtomicUsize,
    /// Token requests refused by the rate limit.
    rate_limited: AtomicUsize,
    /// Requests left in the rate limit's bucket, and when it was last filled.
    bucket: Mutex<(f64, Instant)>,
}

/// A panicking test thread must not wedge the server for the others.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn new(config: ServerConfig) -> Self {
        Shared {
            config: Mutex::new(config),
            faults: Mutex::default(),
            tokens: Mutex::default(),
            log: Mutex::default(),
            token_requests: AtomicUsize::new(0),
            rate_limited: AtomicUsize::new(0),
            bucket: Mutex::new((f64::MAX, Instant::now())),
        }
    }

    /// Takes one request from the rate limit's bucket; `Some(retry_after)`
    /// when it is empty (the request is refused).
    fn over_rate_limit(&self) -> Option<Option<u64>> {
        let limit = self.config().rate_limit?;
        let rate = f64::from(limit.per_second.max(1));
        let mut bucket = lock(&self.bucket);
        let now = Instant::now();
        let (tokens, last) = *bucket;
        let refilled = (tokens.min(rate) + now.duration_since(last).as_secs_f64() * rate).min(rate);
        if refilled >= 1.0 {
            *bucket = (refilled - 1.0, now);
            None
        } else {
            *bucket = (refilled, now);
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            Some(limit.retry_after)
        }
    }

    fn config(&self) -> MutexGuard<'_, ServerConfig> {
        lock(&self.config)
    }

    fn client(&self, client_id: &str) -> Option<ClientGrant> {
        self.config()
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
            .cloned()
    }

    fn latency_for(&self, client: Option<&ClientGrant>) -> Duration {
        match client.and_then(|c| c.latency_ms) {
            Some(ms) => Duration::from_millis(ms),
            None => self.config().latency,
        }
    }

    /// The client's own queue goes first; then the queue for anyone.
    fn next_fault(&self, client_id: Option<&str>) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let own = client_id
            .and_then(|id| faults.by_client.get_mut(id))
            .and_then(VecDeque::pop_front);
        own.or_else(|| faults.anyone.pop_front())
    }

    fn next_permissions_fault(&self) -> Option<Fault> {
        lock(&self.faults).permissions.pop_front()
    }

    fn record(&self, request: RecordedRequest) {
        let mut log = lock(&self.log);
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(request);
    }

    fn remember_token(&self, token: String, issued: IssuedToken) {
        lock(&self.tokens).insert(token, issued);
    }

    fn live_token_scopes(&self, token: &str) -> Option<Vec<String>> {
        let tokens = lock(&self.tokens);
        let issued = tokens.get(token)?;
        let live = issued.expires_at.is_none_or(|at| Instant::now() < at);
        live.then(|| issued.scopes.clone())
    }
}

/// A running token server; dropping it (or `shutdown`) stops it.
pub struct TokenServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    /// The server's own thread, when started with `start_in_background`.
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TokenServer {
    /// Starts serving on the caller's tokio runtime.
    pub async fn start(config: ServerConfig) -> io::Result<TokenServer> {
        let listener = bind_loopback()?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopped));
        Ok(TokenServer {
            addr,
            shared,
            stop,
            thread: None,
        })
    }

    /// Starts serving on its own thread and runtime, for sync callers. The
    /// port is bound before this returns, so requests may be sent at once.
    pub fn start_in_background(config: ServerConfig) -> io::Result<TokenServer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wktui-testserver")
            .enable_all()
            .build()?;
        let listener = {
            let _context = runtime.enter();
            bind_loopback()?
        };
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let (stop, stopped) = watch::channel(false);
        let serve = accept_loop(listener, Arc::clone(&shared), stopped);
        let thread = std::thread::Builder::new()
            .name("wktui-testserver".to_string())
            .spawn(move || runtime.block_on(serve))?;
        Ok(TokenServer {
            addr,
            shared,
            stop,
            thread: Some(thread),
        })
    }

    /// The bound address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the equivalent of a Workiva API host.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The current (2026-01-01) token URL.
    pub fn token_url(&self) -> String {
        format!("{}{}", self.base_url(), endpoint::TOKEN_PATH)
    }

    /// The legacy (2022-01-01) token URL, used without `X-Version`.
    pub fn legacy_token_url(&self) -> String {
        format!("{}{}", self.base_url(), endpoint::LEGACY_TOKEN_PATH)
    }

    /// Scripts a fault for the next token request from any client.
    pub fn push_fault(&self, fault: Fault) {
        lock(&self.shared.faults).anyone.push_back(fault);
    }

    /// Scripts a fault for the next token request naming this client id;
    /// it is served before any fault pushed with `push_fault`.
    pub fn push_fault_for(&self, client_id: &str, fault: Fault) {
        let mut faults = lock(&self.shared.faults);
        faults
            .by_client
            .entry(client_id.to_string())
            .or_default()
            .push_back(fault);
    }

    /// Scripts a fault for the next `GET /permissions`.
    pub fn push_permissions_fault(&self, fault: Fault) {
        lock(&self.shared.faults).permissions.push_back(fault);
    }

    /// Adds a client, replacing any with the same id.
    pub fn add_client(&self, grant: ClientGrant) {
        let mut config = self.shared.config();
        config.clients.retain(|c| c.client_id != grant.client_id);
        config.clients.push(grant);
    }

    /// Changes the global latency for answers from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.config().latency = latency;
    }

    /// Makes every token issued so far unknown, as if revoked server-side.
    pub fn revoke_tokens(&self) {
        lock(&self.shared.tokens).clear();
    }

    /// Every request answered (or deliberately dropped) so far, in order;
    /// past 100 000 only the most recent.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).iter().cloned().collect()
    }

    /// How many requests reached either token path, whatever their fate.
    pub fn token_requests(&self) -> usize {
        self.shared.token_requests.load(Ordering::Relaxed)
    }

    /// How many token requests the rate limit refused with 429.
    pub fn rate_limited_requests(&self) -> usize {
        self.shared.rate_limited.load(Ordering::Relaxed)
    }

    /// Sets (or lifts, with `None`) the rate limit on token requests.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.config().rate_limit = limit;
    }

    /// Stops accepting and drops open connections; a background server's
    /// thread is joined before this returns.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Binds with a deep backlog: benchmarks open hundreds of connections at once.
fn bind_loopback() -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    socket.listen(1024)
}

/// Resolves once the server is told to stop or its handle is gone.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    let serve = async {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let connection = serve_connection(stream, Arc::clone(&shared));
                    let stop = stop.clone();
                    tokio::spawn(async move {
                        tokio::select! {
                            () = connection => {}
                            () = stopped(stop) => {}
                        }
                    });
                }
                // Out of file descriptors under load: back off rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    };
    tokio::select! {
        () = serve => {}
        () = stopped(stop.clone()) => {}
    }
}

/// Answers requests on one connection until either side closes it.
async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let (read_half, mut writer) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    loop {
        let request = match http::read_request(&mut reader).await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(error) => {
                if let Some(response) = error.response() {
                    let _ = http::write_response(&mut writer, &response, true).await;
                }
                return close_gracefully(reader, writer).await;
            }
        };
        let at = Instant::now();
        let outcome = endpoint::handle(&shared, &request);
        shared.record(RecordedRequest::new(&request, &outcome, at));
        if !outcome.delay.is_zero() {
            tokio::time::sleep(outcome.delay).await;
        }
        let keep_alive = request.keep_alive();
        let reusable = match &outcome.reply {
            Reply::Send(response) => {
                let written = http::write_response(&mut writer, response, !keep_alive).await;
                written.is_ok() && keep_alive
            }
            Reply::Truncate(response) => {
                let _ = http::write_truncated(&mut writer, response).await;
                false
            }
            Reply::Stream(stream) => {
                let _ = http::write_stream(&mut writer, stream).await;
                false
            }
            Reply::Close => false,
        };
        if !reusable {
            return close_gracefully(reader, writer).await;
        }
    }
}

/// Sends FIN, then drains what the client still sends for a moment, so that
/// unread request bytes do not turn into a reset that destroys the answer.
async fn close_gracefully(mut reader: BufReader<OwnedReadHalf>, mut writer: OwnedWriteHalf) {
    let _ = writer.shutdown().await;
    let drain = async {
        let mut sink = [0u8; 4096];
        let mut budget = 1 << 20;
        while budget > 0 {
            match reader.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(read) => budget -= read.min(budget),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(500), drain).await;
}
