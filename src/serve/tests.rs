//! The endpoint in-process, against the crate's Workiva-format token server:
//! single-flight fetching, renewal, upstream errors, and the HTTP limits.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::Value;

use super::*;
use crate::cache::TokenCache;
use crate::model::{Endpoint as ProfileEndpoint, Scopes, SecretSource, Settings};
use crate::secrets::{MemoryStore, SecretStore};
use wktui_test_support::{ClientGrant, Fault, ServerConfig, TokenServer};

const REAL_SECRET: &str = "wk_secret:oa2c:the-real-one";
const CLIENT: &str = "grant";

struct Harness {
    upstream: TokenServer,
    endpoint: Background,
    secret: String,
    _cache: tempfile::TempDir,
}

fn harness(config: ServerConfig, margin: Duration, scope: Option<&str>) -> Harness {
    let mut config = config;
    config.clients.push(ClientGrant::new(CLIENT, REAL_SECRET));
    let upstream = TokenServer::start_in_background(config).expect("token server");
    let cache = tempfile::tempdir().expect("tempdir");
    let store = MemoryStore::new();
    store
        .set("prod", &SecretString::from(REAL_SECRET))
        .expect("store secret");
    let settings = Settings {
        fetch_timeout: Duration::from_secs(5),
        ..Settings::default()
    };
    let engine = Arc::new(Engine::new(
        settings,
        Arc::new(store),
        TokenCache::new(cache.path().join("c")),
    ));
    let mut profile = Profile::new(
        "prod",
        ProfileEndpoint::token_url(&upstream.token_url()).expect("url"),
        CLIENT,
    );
    profile.secret_source = SecretSource::Memory;
    profile.scope = scope.map(Scopes::parse);
    let secret = LocalSecret::generate().expect("random");
    let secret_text = secret.expose().to_owned();
    let endpoint = Endpoint {
        profiles: vec![profile],
        secret,
        margin,
        log: LogTarget::Off,
    };
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let endpoint = Background::start(loopback, endpoint, engine).expect("endpoint");
    Harness {
        upstream,
        endpoint,
        secret: secret_text,
        _cache: cache,
    }
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// One request on a fresh connection that the server closes or we stop reading.
fn send(addr: SocketAddr, raw: &str) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream.write_all(raw.as_bytes()).expect("send");
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

fn post(h: &Harness, extra_headers: &str, body: &str) -> Answer {
    let addr = h.endpoint.addr();
    send(
        addr,
        &format!(
            "POST /oauth2/token HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n{extra_headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn ask(h: &Harness) -> Answer {
    post(
        h,
        "",
        &format!(
            "grant_type=client_credentials&client_id=prod&client_secret={}",
            h.secret
        ),
    )
}

#[test]
fn many_clients_at_once_make_one_upstream_fetch() {
    let h = harness(
        ServerConfig {
            latency: Duration::from_millis(300),
            ..ServerConfig::default()
        },
        Duration::from_secs(60),
        None,
    );
    let h = Arc::new(h);
    let clients: Vec<_> = (0..48)
        .map(|_| {
            let h = Arc::clone(&h);
            std::thread::spawn(move || ask(&h))
        })
        .collect();
    let tokens: Vec<String> = clients
        .into_iter()
        .map(|c| {
            let answer = c.join().expect("client");
            assert_eq!(answer.status, 200, "{}", answer.body);
            answer.json()["access_token"].as_str().expect("token").to_owned()
        })
        .collect();
    assert!(
        tokens.iter().all(|t| *t == tokens[0]),
        "everyone got the same token"
    );
    assert_eq!(h.upstream.token_requests(), 1);
    let again = ask(&h);
    assert_eq!(again.json()["access_token"], tokens[0].as_str());
    assert_eq!(h.upstream.token_requests(), 1, "later requests come from memory");
}

#[test]
fn a_token_inside_the_margin_is_renewed_and_expires_in_is_the_time_left() {
    let h = harness(
        ServerConfig {
            token_lifetime_secs: 3,
            ..ServerConfig::default()
        },
        Duration::from_secs(1),
        None,
    );
    let first = ask(&h).json();
    assert!(matches!(first["expires_in"].as_i64(), Some(2..=3)), "{first}");
    std::thread::sleep(Duration::from_millis(1200));
    let same = ask(&h).json();
    assert_eq!(same["access_token"], first["access_token"]);
    assert!(matches!(same["expires_in"].as_i64(), Some(1..=2)), "{same}");
    assert_eq!(h.upstream.token_requests(), 1);
    std::thread::sleep(Duration::from_millis(1000));
    let renewed = ask(&h).json();
    assert_ne!(renewed["access_token"], first["access_token"]);
    assert_eq!(h.upstream.token_requests(), 2);
}

#[test]
fn upstream_refusals_come_back_as_workiva_sent_them() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    h.upstream.push_fault(Fault::TooManyRequests {
        retry_after: Some(100),
    });
    let limited = ask(&h);
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.json()["error"], "temporarily_unavailable");
    let retry_after: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("number");
    assert!((99..=100).contains(&retry_after), "{retry_after}");
    // Within the pause Workiva asked for, nobody asks it again.
    let again = ask(&h);
    assert_eq!(again.status, 429);
    assert_eq!(h.upstream.token_requests(), 1);

    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    h.upstream.push_fault(Fault::IamError {
        status: 401,
        error: "invalid_client".into(),
        description: "Client authentication failed".into(),
    });
    let refused = ask(&h);
    assert_eq!(refused.status, 401);
    let description = refused.json()["error_description"]
        .as_str()
        .expect("text")
        .to_owned();
    assert!(description.contains("Workiva"), "{description}");
    assert!(!refused.body.contains(REAL_SECRET));
}

#[test]
fn a_failed_renewal_hands_out_the_previous_token_while_it_lives() {
    let h = harness(
        ServerConfig {
            token_lifetime_secs: 30,
            ..ServerConfig::default()
        },
        Duration::from_secs(60),
        None,
    );
    let first = ask(&h).json();
    h.upstream.push_fault(Fault::Html { status: 502 });
    h.upstream.push_fault(Fault::Html { status: 502 });
    h.upstream.push_fault(Fault::Html { status: 502 });
    let during_outage = ask(&h);
    assert_eq!(during_outage.status, 200, "{}", during_outage.body);
    assert_eq!(during_outage.json()["access_token"], first["access_token"]);
}

#[test]
fn wrong_secrets_and_unknown_clients_are_invalid_client_after_a_delay() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    for body in [
        "grant_type=client_credentials&client_id=prod&client_secret=wrong".to_owned(),
        format!(
            "grant_type=client_credentials&client_id=other&client_secret={}",
            h.secret
        ),
        format!("grant_type=client_credentials&client_id=prod&client_secret={REAL_SECRET}"),
    ] {
        let started = Instant::now();
        let answer = post(&h, "", &body);
        assert_eq!(answer.status, 401, "{body}");
        assert_eq!(answer.json()["error"], "invalid_client");
        assert!(answer.header("www-authenticate").is_some());
        assert!(started.elapsed() >= FAILED_AUTH_DELAY);
    }
    assert_eq!(h.upstream.token_requests(), 0, "nothing reaches Workiva");
}

#[test]
fn basic_auth_the_legacy_path_and_scopes() {
    use base64::Engine as _;
    let h = harness(
        ServerConfig::default(),
        Duration::from_secs(60),
        Some("file:read file:write"),
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("prod:{}", h.secret));
    let answer = post(
        &h,
        &format!("Authorization: Basic {basic}\r\nX-Version: 2026-01-01\r\n"),
        "grant_type=client_credentials&scope=file%3Aread",
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json()["scope"],
        "file:read file:write",
        "the token's real scope"
    );
    assert_eq!(answer.header("cache-control").as_deref(), Some("no-store"));

    let wider = post(
        &h,
        &format!("Authorization: Basic {basic}\r\n"),
        "grant_type=client_credentials&scope=file%3Aread+admin",
    );
    assert_eq!(
        (wider.status, wider.json()["error"].clone()),
        (400, "invalid_scope".into())
    );

    let addr = h.endpoint.addr();
    let body = format!(
        "grant_type=client_credentials&client_id=prod&client_secret={}",
        h.secret
    );
    let legacy = send(
        addr,
        &format!(
            "POST /iam/v1/oauth2/token HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            addr.port(),
            body.len()
        ),
    );
    assert_eq!(legacy.status, 200, "{}", legacy.body);
}

#[test]
fn requests_from_elsewhere_are_refused() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    let addr = h.endpoint.addr();
    let get = |head: &str| {
        send(
            addr,
            &format!("GET /healthz HTTP/1.1\r\n{head}Connection: close\r\n\r\n"),
        )
    };
    assert_eq!(get(&format!("Host: {addr}\r\n")).status, 200);
    assert_eq!(get(&format!("Host: {addr}\r\n")).json()["status"], "ok");
    assert_eq!(get("Host: evil.example\r\n").status, 421, "DNS rebinding");
    assert_eq!(
        get(&format!("Host: evil.example:{}\r\n", addr.port())).status,
        421
    );
    assert_eq!(get("").status, 421, "no Host");
    assert_eq!(
        get(&format!("Host: {addr}\r\nHost: evil.example\r\n")).status,
        421
    );
    let from_page = post(
        &h,
        "Origin: https://evil.example\r\n",
        "grant_type=client_credentials",
    );
    assert_eq!(from_page.status, 403);
    assert!(from_page.header("access-control-allow-origin").is_none());

    let not_found = send(
        addr,
        &format!("GET /admin HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(not_found.status, 404);
    let wrong_method = send(
        addr,
        &format!("GET /oauth2/token HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow").as_deref(), Some("POST"));
}

#[test]
fn oversized_requests_are_cut_off() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    let addr = h.endpoint.addr();
    let declared = send(
        addr,
        &format!(
            "POST /oauth2/token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 100000000\r\n\r\ngrant_type=client_credentials"
        ),
    );
    assert_eq!(declared.status, 413);
    assert_eq!(declared.header("connection").as_deref(), Some("close"));
    let chunk = "a".repeat(4096);
    let mut chunked = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    for _ in 0..4 {
        chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    chunked.push_str("0\r\n\r\n");
    assert_eq!(send(addr, &chunked).status, 413, "a chunked body is bounded too");
    let many_headers: String = (0..MAX_HEADERS + 8).map(|i| format!("X-H{i}: v\r\n")).collect();
    let answer = send(
        addr,
        &format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n{many_headers}\r\n"),
    );
    assert_eq!(answer.status, 431);
    let huge_header = format!("X-Big: {}\r\n", "b".repeat(MAX_HEADER_BYTES * 2));
    let answer = send(
        addr,
        &format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n{huge_header}\r\n"),
    );
    assert_eq!(answer.status, 431);
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    let addr = h.endpoint.addr();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let body = format!(
        "grant_type=client_credentials&client_id=prod&client_secret={}",
        h.secret
    );
    let request = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut buffer = vec![0u8; 4096];
    for _ in 0..20 {
        stream.write_all(request.as_bytes()).expect("send");
        let read = stream.read(&mut buffer).expect("answer");
        let text = String::from_utf8_lossy(&buffer[..read]);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("access_token"), "{text}");
    }
    assert_eq!(h.upstream.token_requests(), 1);
}

#[test]
fn idle_connections_are_closed_after_the_header_timeout() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    let addr = h.endpoint.addr();
    let idle = |first_request: bool| {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut buffer = [0u8; 1024];
        if first_request {
            let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
            stream.write_all(request.as_bytes()).expect("send");
            assert!(stream.read(&mut buffer).expect("answer") > 0);
        }
        let started = Instant::now();
        let read = stream.read(&mut buffer);
        assert!(
            matches!(read, Ok(0)) || read.is_err(),
            "closed, not answered: {read:?}"
        );
        started.elapsed()
    };
    let (fresh, after_request) = std::thread::scope(|s| {
        let fresh = s.spawn(|| idle(false));
        let after = s.spawn(|| idle(true));
        (fresh.join().expect("fresh"), after.join().expect("after"))
    });
    for waited in [fresh, after_request] {
        assert!(
            waited >= HEADER_TIMEOUT - Duration::from_millis(500),
            "closed after {waited:?}"
        );
    }
}

#[test]
fn the_port_closes_when_the_endpoint_is_dropped() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    let addr = h.endpoint.addr();
    assert_eq!(ask(&h).status, 200);
    let Harness { endpoint, .. } = h;
    drop(endpoint);
    let refused = TcpStream::connect(addr).expect_err("the port must be closed");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn only_loopback_addresses_are_accepted() {
    assert!(parse_listen("127.0.0.1:8250").is_ok());
    assert!(parse_listen("[::1]:0").is_ok());
    assert!(matches!(
        parse_listen("0.0.0.0:8250"),
        Err(ServeError::NotLoopback(_))
    ));
    assert!(matches!(
        parse_listen("192.168.1.2:80"),
        Err(ServeError::NotLoopback(_))
    ));
    assert!(matches!(
        parse_listen("localhost:8250"),
        Err(ServeError::BadAddress(_))
    ));
    assert!(matches!(parse_listen("8250"), Err(ServeError::BadAddress(_))));
    let message = parse_listen("0.0.0.0:1").expect_err("refused").to_string();
    assert!(message.contains("loopback"), "{message}");
}

/// A wrong-secret token request, as an attacker pipelines them.
fn wrong_secret_request(addr: SocketAddr) -> String {
    let body = "grant_type=client_credentials&client_id=prod&client_secret=wrong";
    format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Asks for a token every 200 ms while `attack` runs, each on a new
/// connection; the longest any of them took. Each must be answered 200.
fn legitimate_client_under(
    h: &Harness,
    attack: impl FnOnce(Arc<std::sync::atomic::AtomicBool>) + Send + 'static,
) -> Duration {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attacker = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || attack(stop))
    };
    // Let the attack take every slot first.
    std::thread::sleep(Duration::from_millis(800));
    let mut longest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let answer = ask(h);
        assert_eq!(answer.status, 200, "{}", answer.body);
        longest = longest.max(started.elapsed());
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    attacker.join().expect("attacker");
    longest
}

/// Keeps `count` connections open to `addr`, each made again when closed,
/// each sending `each` (when not empty) every 100 ms without reading.
fn hold_connections(addr: SocketAddr, count: usize, each: String, stop: &std::sync::atomic::AtomicBool) {
    let connect = || {
        let stream = TcpStream::connect(addr).ok()?;
        stream.set_nonblocking(true).ok()?;
        Some(stream)
    };
    let mut streams: Vec<Option<TcpStream>> = (0..count).map(|_| connect()).collect();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        for slot in &mut streams {
            let alive = slot.as_mut().is_some_and(|s| {
                let mut buf = [0u8; 4096];
                let read_ok = match s.read(&mut buf) {
                    Ok(0) => false,
                    Ok(_) => true,
                    Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
                };
                read_ok && (each.is_empty() || s.write(each.as_bytes()).is_ok())
            });
            if !alive {
                *slot = connect();
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn pipelined_wrong_secrets_on_every_slot_do_not_shut_out_a_client() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    ask(&h);
    let addr = h.endpoint.addr();
    let longest = legitimate_client_under(&h, move |stop| {
        let requests = wrong_secret_request(addr).repeat(4);
        hold_connections(addr, MAX_CONNECTIONS, requests, &stop);
    });
    assert!(
        longest < Duration::from_secs(2),
        "a token took {longest:?} under the attack"
    );
}

#[test]
fn idle_connections_reopened_when_closed_do_not_shut_out_a_client() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    ask(&h);
    let addr = h.endpoint.addr();
    let longest = legitimate_client_under(&h, move |stop| {
        hold_connections(addr, 400, String::new(), &stop);
    });
    assert!(
        longest < Duration::from_secs(2),
        "a token took {longest:?} under the attack"
    );
}

#[test]
fn a_failed_attempt_closes_the_connection_so_a_pipeline_gets_one_answer() {
    let h = harness(ServerConfig::default(), Duration::from_secs(60), None);
    let addr = h.endpoint.addr();
    let answer = send(addr, &wrong_secret_request(addr).repeat(5));
    assert_eq!(answer.status, 401);
    assert_eq!(answer.header("connection").as_deref(), Some("close"));
    assert_eq!(
        answer.body.matches("invalid_client").count(),
        1,
        "one answer, then the connection closed: {}",
        answer.body
    );
}
