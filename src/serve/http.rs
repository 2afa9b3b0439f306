//! The HTTP side of `serve`: hyper on a loopback socket, with every limit a
//! hostile client could push against (connections, header count and size,
//! body size, idle and stalled connections), the `Host` check against DNS
//! rebinding, and one log line per request. Where the platform can tell,
//! only this user's processes are answered; connections from anyone else
//! are closed before a byte is read.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::accept::{Accepted, Acceptor};
use super::credentials::LocalSecret;
use super::log::RequestLog;
use super::slots::{Slot, SlotHandle, Slots};
use super::tokens::{Source, Tokens};
use super::wire::{self, HEALTH_PATH, LEGACY_TOKEN_PATH, Reply, TOKEN_PATH};
use crate::clock;
use crate::model::text;
use crate::platform::peer;

/// Connections open at once. When all are taken, the one that has waited
/// longest without an authenticated request is closed for a newcomer.
pub const MAX_CONNECTIONS: usize = 256;
/// A request's headers must arrive within this, and an idle keep-alive
/// connection is closed after it (slowloris, forgotten connections).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// The body of a token request must arrive within this.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// A client that stops reading our answer for this long is dropped.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(10);
/// A token request's form is under 1 KiB; 8 KiB leaves room and no more.
pub const MAX_BODY: usize = 8 * 1024;
pub const MAX_HEADERS: usize = 32;
/// Request line and headers together: hyper's smallest read buffer (it
/// refuses a smaller one), far more than any token request needs.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// What a wrong client id or secret costs the caller before the answer.
pub const FAILED_AUTH_DELAY: Duration = Duration::from_millis(100);

/// Everything a request handler needs.
pub struct State {
    /// `Host` values that name this endpoint.
    pub hosts: Vec<String>,
    pub secret: LocalSecret,
    pub tokens: Tokens,
    pub log: RequestLog,
}

/// The `Host` values a client of `addr` may send: the address itself and
/// `localhost`, with the port (or without it on port 80).
pub fn allowed_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut hosts = vec![addr.to_string(), format!("localhost:{port}")];
    if port == 80 {
        let ip = match addr {
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        };
        hosts.extend([ip, "localhost".to_owned()]);
    }
    hosts
}

/// Serves the connections the accept thread passes on until the future is
/// dropped (which stops the thread and closes the port).
pub async fn accept_loop(mut acceptor: Acceptor, state: Arc<State>, stop: watch::Receiver<bool>) {
    let slots = Slots::new(MAX_CONNECTIONS);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_HEADER_BYTES)
        .keep_alive(true);
    let mut said_unknown = false;
    while let Some(Accepted { stream, peer, owner }) = acceptor.next().await {
        let Ok(stream) = stream
            .set_nonblocking(true)
            .and_then(|()| TcpStream::from_std(stream))
        else {
            continue;
        };
        if owner == peer::Owner::Unknown && !said_unknown {
            said_unknown = true;
            state.log.line(
                "wktui serve: this system cannot say which user a connection comes from; \
                 other users' processes are answered like yours (see SECURITY.md)"
                    .to_owned(),
            );
        }
        let slot = slots.admit().await;
        let connection = serve_connection(builder.clone(), stream, peer, Arc::clone(&state), &slot);
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = connection => {}
                () = slot.shed() => {}
                () = stopped(stop) => {}
            }
            drop(slot);
        });
    }
}

/// Resolves once the server is told to stop or its handle is gone.
pub async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

fn serve_connection(
    builder: http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    state: Arc<State>,
    slot: &Slot,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(StallGuard::new(stream, STALL_TIMEOUT));
    let working = slot.handle();
    let service = service_fn(move |request| {
        let state = Arc::clone(&state);
        let working = working.clone();
        async move { Ok::<_, Infallible>(handle(request, &state, &working, peer).await) }
    });
    async move {
        let _ = builder.serve_connection(io, service).await;
    }
}

async fn handle(
    request: Request<Incoming>,
    state: &State,
    slot: &SlotHandle,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = log_method(request.method());
    let path = log_path(request.uri().path());
    let (reply, client) = route(request, state, slot).await;
    let line = format!(
        "{} {peer} {method} {path} client={} {} {} {:.2}ms",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        client.as_deref().unwrap_or("-"),
        reply.status,
        reply.outcome,
        started.elapsed().as_secs_f64() * 1000.0,
    );
    if reply.status < 400 {
        state.log.line(line);
    } else {
        state.log.failure(line);
    }
    to_response(reply)
}

/// A method as the log shows it: the standard ones by name; a client's own
/// (any token is a valid method) could carry anything, a secret included.
fn log_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other-method",
    }
}

/// A path as the log shows it: this endpoint's paths; any other could carry
/// anything, so only its length is written.
fn log_path(path: &str) -> String {
    match path {
        TOKEN_PATH | LEGACY_TOKEN_PATH | HEALTH_PATH | "/" => path.to_owned(),
        other => format!("unknown-path({}-chars)", other.chars().count()),
    }
}

/// The answer and, for token requests, the client id as the log may show it.
async fn route(request: Request<Incoming>, state: &State, slot: &SlotHandle) -> (Reply, Option<String>) {
    if let Err(reply) = check_host(&request, &state.hosts) {
        return (reply, None);
    }
    // Browsers send Origin with cross-origin POSTs; no other client needs to.
    if request.headers().contains_key(header::ORIGIN) {
        let reply = Reply::iam_error(403, "access_denied", "requests from web pages are refused");
        return (reply, None);
    }
    let path = request.uri().path();
    match (path, request.method()) {
        (HEALTH_PATH, &Method::GET | &Method::HEAD) => (Reply::health(), None),
        (HEALTH_PATH, _) => (Reply::method_not_allowed("GET"), None),
        (TOKEN_PATH | LEGACY_TOKEN_PATH, &Method::POST) => token(request, state, slot).await,
        (TOKEN_PATH | LEGACY_TOKEN_PATH, _) => (Reply::method_not_allowed("POST"), None),
        _ => (Reply::not_found(), None),
    }
}

/// DNS rebinding: a page whose host name resolves to 127.0.0.1 still sends
/// its own name in `Host`. Only names of this endpoint pass.
fn check_host(request: &Request<Incoming>, allowed: &[String]) -> Result<(), Reply> {
    let names_us = |value: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(value));
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host_ok = match (hosts.next(), hosts.next()) {
        (Some(host), None) => host.to_str().is_ok_and(names_us),
        _ => false,
    };
    let authority_ok = request.uri().authority().is_none_or(|a| names_us(a.as_str()));
    if host_ok && authority_ok {
        return Ok(());
    }
    let description = format!(
        "the Host header must name this endpoint ({}); requests made through other names are refused",
        allowed.first().map_or("", String::as_str)
    );
    let mut reply = Reply::iam_error(421, "invalid_request", &description);
    // Its length only: a client's header could hold anything, a secret included.
    reply.outcome = match request.headers().get(header::HOST) {
        Some(sent) => format!("wrong Host ({} bytes)", sent.len()),
        None => "no Host".to_owned(),
    };
    Err(reply)
}

/// A token request read whole (bounded, within its deadline) and checked by
/// `wire`'s rules: what `serve` and the demo's server both take in.
pub(crate) async fn read_token_request(request: Request<Incoming>) -> Result<wire::TokenRequest, Reply> {
    let legacy = request.uri().path() == LEGACY_TOKEN_PATH;
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body).await?;
    let header = |name: &str| parts.headers.get(name).map(HeaderValue::as_bytes);
    wire::read_token_request(&wire::Incoming {
        legacy,
        x_version: header("x-version"),
        content_type: header("content-type"),
        authorization: header("authorization"),
        body: &body,
    })
}

async fn token(request: Request<Incoming>, state: &State, slot: &SlotHandle) -> (Reply, Option<String>) {
    let request = match read_token_request(request).await {
        Ok(request) => request,
        Err(reply) => return (reply, None),
    };
    // Both checks always run, so the time taken says nothing about which failed.
    let secret_ok = state.secret.matches(&request.secret);
    let profile = state.tokens.profile(&request.client_id);
    let client = log_name(profile.map(|p| p.name.as_str()), &request.client_id);
    let Some(profile) = profile.filter(|_| secret_ok) else {
        // The delay holds no slot a newcomer needs (the connection may be
        // shed meanwhile), and the connection closes after it: a pipeline of
        // guesses gets one answer.
        tokio::time::sleep(FAILED_AUTH_DELAY).await;
        return (Reply::invalid_client().with_close(), Some(client));
    };
    let _working = slot.working();
    if let Some(scope) = &profile.scope
        && let Err(reply) = wire::check_scope(request.scope.as_ref(), scope, &profile.name)
    {
        return (reply, Some(client));
    }
    let reply = match state.tokens.get(&profile.name).await {
        None => Reply::invalid_client(),
        Some(Ok((token, source))) => {
            if profile.scope.is_none()
                && let Err(reply) = wire::check_scope(request.scope.as_ref(), &token.scopes, &profile.name)
            {
                return (reply, Some(client));
            }
            let mut reply = Reply::token(&token, request.scope.as_ref(), clock::now());
            reply.outcome = describe(&source);
            reply
        }
        Some(Err(upstream)) => {
            let retry_after = upstream
                .retry_after
                .map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
            let mut reply = Reply::iam_error(upstream.status, &upstream.error, &upstream.description)
                .with_retry_after(retry_after);
            reply.outcome = format!("upstream {}: {}", upstream.error, upstream.description);
            reply
        }
    };
    (reply, Some(client))
}

/// A client id as the log shows it: the name of a profile this endpoint
/// serves, or only its length: whatever else a client sends there could be
/// anything, the local secret in the wrong field included.
fn log_name(profile: Option<&str>, client_id: &str) -> String {
    match profile {
        Some(name) => name.to_owned(),
        None => format!("unknown ({} chars)", client_id.chars().count()),
    }
}

fn describe(source: &Source) -> String {
    match source {
        Source::Memory => "token (memory)".into(),
        Source::Cache => "token (shared cache)".into(),
        Source::Fetched { latency, warning } => {
            let mut text = format!("token (fetched from Workiva in {} ms)", latency.as_millis());
            if let Some(warning) = warning {
                text.push_str(&format!("; warning: {}", text::clean(warning, 200)));
            }
            text
        }
        Source::Previous { failure } => format!("token (previous one; refresh failed: {failure})"),
    }
}

/// The whole body, if it is small enough and arrives in time; otherwise the
/// answer, and the connection is closed (the rest of the body is unread).
async fn read_body(headers: &HeaderMap, body: Incoming) -> Result<Bytes, Reply> {
    let too_large = || {
        let description = format!("the request body is larger than {} KiB", MAX_BODY / 1024);
        Reply::iam_error(413, "invalid_request", &description).with_close()
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(_)) => Err(Reply::invalid_request("the request body could not be read").with_close()),
        Err(_) => {
            let description = format!(
                "the request body did not arrive within {} s",
                BODY_TIMEOUT.as_secs()
            );
            Err(Reply::iam_error(408, "invalid_request", &description).with_close())
        }
    }
}

pub(crate) fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if reply.no_store {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    if let Some(seconds) = reply.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if let Some(allow) = reply.allow {
        headers.insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    if reply.status == 401 {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"wktui\""),
        );
    }
    if reply.close {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A socket whose writes fail once the peer has stopped reading for `limit`,
/// so a client that never reads cannot hold a connection forever.
pub(crate) struct StallGuard<S> {
    inner: S,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> StallGuard<S> {
    pub(crate) fn new(inner: S, limit: Duration) -> Self {
        StallGuard {
            inner,
            limit,
            stalled: None,
        }
    }

    /// Called when a write would block: pending until the limit, then an error.
    fn pending_or_timeout<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let limit = self.limit;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Pending => self.pending_or_timeout(cx),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for StallGuard<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for StallGuard<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.progress(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.progress(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.progress(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_the_address_and_localhost_with_the_port() {
        let v4: SocketAddr = "127.0.0.1:8250".parse().expect("addr");
        assert_eq!(allowed_hosts(v4), ["127.0.0.1:8250", "localhost:8250"]);
        let v6: SocketAddr = "[::1]:80".parse().expect("addr");
        assert_eq!(
            allowed_hosts(v6),
            ["[::1]:80", "localhost:80", "[::1]", "localhost"]
        );
    }

    #[test]
    fn the_log_names_only_what_the_endpoint_knows() {
        assert_eq!(log_name(Some("prod-eu_1.x"), "prod-eu_1.x"), "prod-eu_1.x");
        assert_eq!(log_name(None, "x 200 token (memory)"), "unknown (20 chars)");
        assert_eq!(log_name(None, "wktui_secret\u{e9}"), "unknown (13 chars)");
        assert_eq!(log_name(None, ""), "unknown (0 chars)");
        assert_eq!(log_path(TOKEN_PATH), TOKEN_PATH);
        assert_eq!(log_path("/wktui_abc"), "unknown-path(10-chars)");
        let own = Method::from_bytes(b"wktui_abc").expect("a token is a method");
        assert_eq!(log_method(&own), "other-method");
        assert_eq!(log_method(&Method::POST), "POST");
    }

    #[tokio::test]
    async fn a_peer_that_stops_reading_is_cut_off() {
        let (ours, _theirs) = tokio::io::duplex(64);
        let mut guarded = StallGuard::new(ours, Duration::from_millis(50));
        let started = Instant::now();
        let result = async {
            loop {
                tokio::io::AsyncWriteExt::write_all(&mut guarded, &[0u8; 64]).await?;
            }
            #[allow(unreachable_code)]
            Ok::<(), io::Error>(())
        }
        .await;
        let err = result.expect_err("the writes must fail");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(50));
    }
}
