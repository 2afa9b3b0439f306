//! The local token endpoint behind `wktui serve` and `wktui exec`: any
//! OAuth2 client-credentials client points its token URL here and gets the
//! profile's token in Workiva's own format, renewed as it nears expiry,
//! while the real client secret never leaves wktui.
//!
//! A front end like `cli` and `tui`: tokens come through the same engine
//! calls (`cached_for`, `refresh`). It is a security boundary, so it listens
//! on loopback only, checks `Host` against DNS rebinding, compares secrets
//! in constant time, delays failed attempts, and bounds every read and wait.

mod accept;
mod credentials;
mod http;
mod log;
mod slots;
mod tokens;
pub(crate) mod wire;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use crate::engine::Engine;
use crate::model::Profile;

pub use credentials::{
    CredentialsError, LocalSecret, default_credentials_path, prepare as prepare_credentials,
};
pub use http::{
    BODY_TIMEOUT, FAILED_AUTH_DELAY, HEADER_TIMEOUT, MAX_BODY, MAX_CONNECTIONS, MAX_HEADER_BYTES, MAX_HEADERS,
};
/// For the demo's token server, which speaks the same wire format with the same limits.
pub(crate) use http::{StallGuard, read_token_request, stopped, to_response};
pub use log::LogTarget;
pub use wire::{HEALTH_PATH, LEGACY_TOKEN_PATH, TOKEN_PATH};

/// Where `wktui serve` listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8250";

/// What an endpoint serves.
pub struct Endpoint {
    /// The profiles it hands out tokens for; each one's name is its client id.
    pub profiles: Vec<Profile>,
    /// The one client secret it accepts.
    pub secret: LocalSecret,
    /// A token with less than this left is renewed (the `refresh_margin`).
    pub margin: Duration,
    pub log: LogTarget,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "\"{0}\" is not an address to listen on; give an IP address and a port on this machine, such as {DEFAULT_LISTEN} (port 0 picks a free one; host names are not accepted)"
    )]
    BadAddress(String),
    #[error(
        "refusing to listen on {0}: the endpoint hands out tokens, so it listens only on this machine's loopback interface (127.0.0.1 or [::1])"
    )]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}{}", bind_hint(source))]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the log file {}: {source}", path.display())]
    Log {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the endpoint: {0}")]
    Start(std::io::Error),
}

fn bind_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            "; another program (perhaps another wktui serve) listens there: choose another port with --listen"
        }
        _ => "",
    }
}

/// A `--listen` value: an IP address and port on the loopback interface.
pub fn parse_listen(text: &str) -> Result<SocketAddr, ServeError> {
    let addr: SocketAddr = text
        .trim()
        .parse()
        .map_err(|_| ServeError::BadAddress(crate::model::text::clean(text, 100)))?;
    if !addr.ip().is_loopback() {
        return Err(ServeError::NotLoopback(addr));
    }
    Ok(addr)
}

/// `http://127.0.0.1:PORT/oauth2/token` for an endpoint listening on `addr`.
pub fn token_url(addr: SocketAddr) -> String {
    format!("http://{addr}{TOKEN_PATH}")
}

/// Binds `addr` (loopback only). Call inside a tokio runtime.
pub fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    if !addr.ip().is_loopback() {
        return Err(ServeError::NotLoopback(addr));
    }
    let bind_error = |source| ServeError::Bind { addr, source };
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(bind_error)?;
    // A restarted serve can take its port back while old connections linger.
    socket.set_reuseaddr(true).map_err(bind_error)?;
    socket.bind(addr).map_err(bind_error)?;
    socket.listen(LISTEN_BACKLOG).map_err(bind_error)
}

/// As many connections waiting to be accepted as the system allows: Linux
/// and the BSDs cut this down to their limit (`somaxconn`, 4096 on a recent
/// Linux), Windows reads it as "its largest". A full queue drops newcomers'
/// connection attempts, the user's own among them (retried after 1 s, 3 s...),
/// while another user floods the port; a long one only holds them a moment.
const LISTEN_BACKLOG: u32 = i32::MAX as u32;

/// An endpoint ready to serve: bound, its log open, accepting.
pub struct Server {
    acceptor: accept::Acceptor,
    state: Arc<http::State>,
}

impl Server {
    /// Everything that can fail before the first request (the log file) fails here.
    pub fn new(listener: TcpListener, endpoint: Endpoint, engine: Arc<Engine>) -> Result<Server, ServeError> {
        let addr = listener.local_addr().map_err(ServeError::Start)?;
        let log = log::RequestLog::open(&endpoint.log).map_err(|source| match &endpoint.log {
            LogTarget::File(path) => ServeError::Log {
                path: path.clone(),
                source,
            },
            _ => ServeError::Start(source),
        })?;
        let state = Arc::new(http::State {
            hosts: http::allowed_hosts(addr),
            secret: endpoint.secret,
            tokens: tokens::Tokens::new(endpoint.profiles, engine, endpoint.margin),
            log,
        });
        let refused = {
            let state = Arc::clone(&state);
            move |owner| state.log.refused_connection(owner)
        };
        let listener = listener.into_std().map_err(ServeError::Start)?;
        let acceptor = accept::Acceptor::start(listener, refused).map_err(ServeError::Start)?;
        Ok(Server { acceptor, state })
    }

    /// Serves until `shutdown` resolves; open connections end with it.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let (stop, stopped) = watch::channel(false);
        tokio::select! {
            () = http::accept_loop(self.acceptor, self.state, stopped) => {}
            () = shutdown => {}
        }
        stop.send_replace(true);
    }
}

/// An endpoint on a thread and runtime of its own, for a synchronous caller
/// (`exec`). It stops, and its port closes, when this is dropped.
pub struct Background {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    pub fn start(
        addr: SocketAddr,
        endpoint: Endpoint,
        engine: Arc<Engine>,
    ) -> Result<Background, ServeError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ServeError::Start)?;
        let listener = {
            let _context = runtime.enter();
            bind(addr)?
        };
        let addr = listener.local_addr().map_err(ServeError::Start)?;
        let server = Server::new(listener, endpoint, engine)?;
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("wktui-endpoint".into())
            .spawn(move || {
                runtime.block_on(server.run(http::stopped(stopped)));
                // A fetch still waiting on the cache lock must not hold up the exit.
                runtime.shutdown_timeout(Duration::from_millis(100));
            })
            .map_err(ServeError::Start)?;
        Ok(Background {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn token_url(&self) -> String {
        token_url(self.addr)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests;
