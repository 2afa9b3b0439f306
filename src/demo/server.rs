//! The demo's token server on 127.0.0.1: Workiva's token endpoint (both
//! paths) and `GET /permissions`, with the grants of `assets/demo-server.toml`
//! and nothing more than the demo shows: per-grant lifetimes, scopes and
//! latency, one 429 for a busy grant, and a refused secret. Built like
//! `serve`, on hyper and its wire format, with the same limits on every read
//! and wait (it is in the product, even if only this machine can reach it).

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{Semaphore, watch};

use crate::model::API_VERSION;
use crate::model::Scopes;
use crate::serve::wire::{LEGACY_TOKEN_PATH, Reply, TOKEN_PATH};
use crate::serve::{
    HEADER_TIMEOUT, MAX_HEADER_BYTES, MAX_HEADERS, StallGuard, read_token_request, to_response,
};

const PERMISSIONS_PATH: &str = "/permissions";
/// Connections open at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 64;
/// Tokens remembered for `/permissions`. Past this the expired ones are
/// forgotten, and all of them if none has expired (only a flood gets there).
const MAX_TOKENS: usize = 4096;
const STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The grants the server accepts (`assets/demo-server.toml`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Granted when neither the request nor the grant names a scope.
    pub default_scope: String,
    pub clients: Vec<Grant>,
}

/// One API grant. Its secret is a throwaway value for 127.0.0.1.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub client_id: String,
    pub client_secret: String,
    /// Scopes it may ask for; empty allows any.
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default = "ten_minutes")]
    pub token_lifetime_secs: u64,
    /// How long the server takes to answer this grant.
    #[serde(default)]
    pub latency_ms: u64,
    /// Its first token request gets 429 with this `Retry-After` (seconds).
    #[serde(default)]
    pub busy_once_retry_after: Option<u64>,
}

fn ten_minutes() -> u64 {
    600
}

struct Issued {
    scopes: Vec<String>,
    /// `None`: too far ahead for `Instant`, so never.
    expires_at: Option<Instant>,
}

struct State {
    config: ServerConfig,
    /// Grants whose one 429 is still to come.
    busy: Mutex<HashSet<String>>,
    tokens: Mutex<HashMap<String, Issued>>,
}

/// The running server; dropping it stops it and closes its port.
pub struct DemoServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DemoServer {
    /// Starts on a thread and runtime of its own; the port is bound when this returns.
    pub fn start(config: ServerConfig) -> io::Result<DemoServer> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = {
            let _context = runtime.enter();
            let socket = TcpSocket::new_v4()?;
            socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
            socket.listen(128)?
        };
        let addr = listener.local_addr()?;
        let busy = config
            .clients
            .iter()
            .filter(|grant| grant.busy_once_retry_after.is_some())
            .map(|grant| grant.client_id.clone())
            .collect();
        let state = Arc::new(State {
            config,
            busy: Mutex::new(busy),
            tokens: Mutex::default(),
        });
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("wktui-demo-server".into())
            .spawn(move || {
                runtime.block_on(async {
                    tokio::select! {
                        () = accept_loop(listener, state) => {}
                        () = crate::serve::stopped(stopped) => {}
                    }
                });
            })?;
        Ok(DemoServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, what the demo's profiles use as their base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A panic elsewhere must not wedge the server.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_HEADER_BYTES);
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors: back off rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(StallGuard::new(stream, STALL_TIMEOUT));
        let state = Arc::clone(&state);
        let service = service_fn(move |request| {
            let state = Arc::clone(&state);
            async move { Ok::<_, Infallible>(handle(request, &state).await) }
        });
        let connection = builder.serve_connection(io, service);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
}

async fn handle(request: Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    match (path, request.method()) {
        (TOKEN_PATH | LEGACY_TOKEN_PATH, &Method::POST) => to_response(token(request, state).await),
        (TOKEN_PATH | LEGACY_TOKEN_PATH, _) => to_response(Reply::method_not_allowed("POST")),
        (PERMISSIONS_PATH, &Method::GET) => permissions(&request, state),
        (PERMISSIONS_PATH, _) => to_response(Reply::method_not_allowed("GET")),
        _ => to_response(Reply::not_found()),
    }
}

async fn token(request: Request<Incoming>, state: &State) -> Reply {
    let request = match read_token_request(request).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let Some(grant) = state
        .config
        .clients
        .iter()
        .find(|g| g.client_id == request.client_id)
    else {
        return Reply::invalid_client();
    };
    tokio::time::sleep(Duration::from_millis(grant.latency_ms)).await;
    if !bool::from(grant.client_secret.as_bytes().ct_eq(request.secret.as_bytes())) {
        return Reply::invalid_client();
    }
    if let Some(retry_after) = grant.busy_once_retry_after
        && lock(&state.busy).remove(&grant.client_id)
    {
        return Reply::api_error(429, "Rate limit exceeded, retry later").with_retry_after(Some(retry_after));
    }
    let scope = match granted_scope(grant, request.scope.as_ref(), &state.config.default_scope) {
        Ok(scope) => scope,
        Err(refusal) => return refusal,
    };
    issue(state, grant, scope)
}

/// Every requested scope must be the grant's; with none requested, the
/// grant's own scopes, else the server's default.
fn granted_scope(grant: &Grant, requested: Option<&Scopes>, default_scope: &str) -> Result<String, Reply> {
    let Some(requested) = requested else {
        return Ok(if grant.scopes.is_empty() {
            default_scope.to_owned()
        } else {
            grant.scopes.join(" ")
        });
    };
    let allowed = |scope: &str| grant.scopes.is_empty() || grant.scopes.iter().any(|a| a == scope);
    match requested.iter().find(|scope| !allowed(scope)) {
        Some(refused) => Err(Reply::iam_error(
            400,
            "invalid_scope",
            &format!("scope {refused} is not granted to this client"),
        )),
        None => Ok(requested.to_string()),
    }
}

fn issue(state: &State, grant: &Grant, scope: String) -> Reply {
    let access_token = format!(
        "wk.{}",
        std::iter::repeat_with(fastrand::alphanumeric)
            .take(40)
            .collect::<String>()
    );
    let body = json!({
        "access_token": access_token,
        "expires_in": grant.token_lifetime_secs,
        "scope": scope,
        "token_type": "Bearer",
    });
    let issued = Issued {
        scopes: scope.split_whitespace().map(str::to_owned).collect(),
        expires_at: Instant::now().checked_add(Duration::from_secs(grant.token_lifetime_secs)),
    };
    let mut tokens = lock(&state.tokens);
    if tokens.len() >= MAX_TOKENS {
        let now = Instant::now();
        tokens.retain(|_, issued| issued.expires_at.is_none_or(|at| at > now));
    }
    if tokens.len() >= MAX_TOKENS {
        tokens.clear();
    }
    tokens.insert(access_token, issued);
    ok(&body)
}

/// A 200 JSON answer that no one may cache.
fn ok(body: &serde_json::Value) -> Reply {
    Reply {
        status: 200,
        body: body.to_string(),
        retry_after: None,
        no_store: true,
        close: false,
        allow: None,
        outcome: "ok".into(),
    }
}

/// `GET /permissions`: 200 with the token's scopes while it is live, else 401.
fn permissions(request: &Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    let x_version = request.headers().get("x-version").map(HeaderValue::as_bytes);
    if x_version != Some(API_VERSION.as_bytes()) {
        return to_response(Reply::api_error(
            400,
            &format!("X-Version header must be {API_VERSION}"),
        ));
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let scopes = bearer.and_then(|token| {
        let tokens = lock(&state.tokens);
        let issued = tokens.get(token)?;
        let live = issued.expires_at.is_none_or(|at| Instant::now() < at);
        live.then(|| issued.scopes.clone())
    });
    let Some(scopes) = scopes else {
        let mut response = to_response(Reply::api_error(
            401,
            "The bearer token is missing, unknown or expired",
        ));
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    };
    let data: Vec<_> = scopes.iter().map(|scope| json!({ "id": scope })).collect();
    to_response(ok(&json!({ "data": data })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const FORM: &str = "application/x-www-form-urlencoded";

    fn server() -> DemoServer {
        let config: ServerConfig = toml::from_str(
            r#"
            default_scope = "file:read"
            [[clients]]
            client_id = "reader"
            client_secret = "reader:secret"
            scopes = ["file:read", "file:write"]
            token_lifetime_secs = 90
            [[clients]]
            client_id = "any"
            client_secret = "any:secret"
            busy_once_retry_after = 2
            "#,
        )
        .expect("a valid config");
        DemoServer::start(config).expect("the server starts")
    }

    fn client() -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder().no_proxy().build().expect("a client")
    }

    async fn ask(server: &DemoServer, form: &[(&str, &str)]) -> (u16, Value, Option<String>) {
        let answer = client()
            .post(format!("{}{TOKEN_PATH}", server.base_url()))
            .header("X-Version", API_VERSION)
            .header("Content-Type", FORM)
            .body(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            )
            .send()
            .await
            .expect("answered");
        let status = answer.status().as_u16();
        let retry_after = answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, answer.json().await.expect("JSON"), retry_after)
    }

    fn grant(id: &'static str, secret: &'static str) -> Vec<(&'static str, &'static str)> {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ]
    }

    async fn permissions(server: &DemoServer, token: &str) -> (u16, Value) {
        let answer = client()
            .get(format!("{}{PERMISSIONS_PATH}", server.base_url()))
            .header("X-Version", API_VERSION)
            .bearer_auth(token)
            .send()
            .await
            .expect("answered");
        (answer.status().as_u16(), answer.json().await.expect("JSON"))
    }

    #[tokio::test]
    async fn issues_tokens_with_the_grants_lifetime_and_scopes() {
        let server = server();
        let (status, token, _) = ask(&server, &grant("reader", "reader:secret")).await;
        assert_eq!(status, 200, "{token}");
        assert_eq!(token["expires_in"], 90);
        assert_eq!(token["scope"], "file:read file:write");
        assert_eq!(token["token_type"], "Bearer");
        assert!(
            token["access_token"]
                .as_str()
                .is_some_and(|t| t.starts_with("wk."))
        );
        let mut narrower = grant("reader", "reader:secret");
        narrower.push(("scope", "file:read"));
        let (_, token, _) = ask(&server, &narrower).await;
        assert_eq!(token["scope"], "file:read");
    }

    #[tokio::test]
    async fn a_wrong_secret_or_unknown_client_is_invalid_client() {
        let server = server();
        for (id, secret) in [("reader", "reader:old"), ("nobody", "reader:secret")] {
            let (status, body, _) = ask(&server, &grant(id, secret)).await;
            assert_eq!(status, 401);
            assert_eq!(
                body,
                json!({"error": "invalid_client", "error_description": "Client authentication failed"})
            );
        }
    }

    #[tokio::test]
    async fn a_scope_outside_the_grant_is_invalid_scope() {
        let server = server();
        let mut form = grant("reader", "reader:secret");
        form.push(("scope", "file:read graph:write"));
        let (status, body, _) = ask(&server, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope")),
            "{body}"
        );
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.contains("graph:write"))
        );
    }

    #[tokio::test]
    async fn http_basic_works_on_the_legacy_path_without_x_version() {
        use base64::Engine as _;
        let server = server();
        let basic = base64::engine::general_purpose::STANDARD.encode("reader:reader%3Asecret");
        let answer = client()
            .post(format!("{}{LEGACY_TOKEN_PATH}", server.base_url()))
            .header("Authorization", format!("Basic {basic}"))
            .header("Content-Type", FORM)
            .body("grant_type=client_credentials")
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers()["cache-control"], "no-store");
    }

    #[tokio::test]
    async fn a_busy_grant_is_refused_once_then_served() {
        let server = server();
        let (status, body, retry_after) = ask(&server, &grant("any", "any:secret")).await;
        assert_eq!((status, retry_after.as_deref()), (429, Some("2")), "{body}");
        assert_eq!(body["code"], "429TooManyRequests");
        let (status, token, _) = ask(&server, &grant("any", "any:secret")).await;
        assert_eq!(status, 200, "{token}");
        assert_eq!(
            (token["scope"].as_str(), token["expires_in"].as_u64()),
            (Some("file:read"), Some(600))
        );
    }

    #[tokio::test]
    async fn permissions_know_only_live_tokens_issued_here() {
        let server = server();
        let (_, token, _) = ask(&server, &grant("reader", "reader:secret")).await;
        let token = token["access_token"].as_str().expect("a token").to_owned();
        let (status, body) = permissions(&server, &token).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"data": [{"id": "file:read"}, {"id": "file:write"}]}));
        let (status, body) = permissions(&server, "wk.not-from-here").await;
        assert_eq!((status, body["code"].as_str()), (401, Some("401Unauthorized")));
    }

    #[tokio::test]
    async fn an_oversized_body_is_refused() {
        let server = server();
        let answer = client()
            .post(format!("{}{TOKEN_PATH}", server.base_url()))
            .header("Content-Type", FORM)
            .body(vec![b'a'; crate::serve::MAX_BODY + 1])
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status(), 413, "refused as serve refuses it");
    }

    #[test]
    fn dropping_the_server_closes_its_port() {
        let server = server();
        let addr = server.addr;
        drop(server);
        assert!(std::net::TcpStream::connect(addr).is_err(), "still listening");
    }
}
