//! The server driven over raw TCP, byte for byte as a client would send.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::endpoint::{decode_base64, form_decode};
use super::*;

const ID: &str = "client-1";
/// Colons as real grants have, plus characters that need form-encoding.
const SECRET: &str = "wk_secret:oa2c:s3+cr%et=&x";
const READER: (&str, &str) = ("reader", "reader-secret");
const FORM: &str = "Content-Type: application/x-www-form-urlencoded";
const VERSION: &str = "X-Version: 2026-01-01";
const TOKEN: &str = "/oauth2/token";
const LEGACY: &str = "/iam/v1/oauth2/token";
const PATIENCE: Duration = Duration::from_secs(5);

fn config() -> ServerConfig {
    let reader = ClientGrant::new(READER.0, READER.1).with_scopes(&["file:read"]);
    let clients = vec![ClientGrant::new(ID, SECRET), reader];
    ServerConfig {
        clients,
        ..ServerConfig::default()
    }
}

async fn server() -> TokenServer {
    TokenServer::start(config()).await.expect("server starts")
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    serializer.extend_pairs(pairs).finish()
}

fn credentials((id, secret): (&str, &str)) -> String {
    form(&[
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
    ])
}

/// A raw HTTP/1.1 request; `headers` are whole header lines.
fn request(method: &str, path: &str, headers: &[&str], body: &str) -> String {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
    for header in headers {
        raw.push_str(&format!("{header}\r\n"));
    }
    raw + &format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

fn token_request(body: &str) -> String {
    request("POST", TOKEN, &[FORM, VERSION], body)
}

/// RFC 6749 §2.3.1: each part form-encoded before base64.
fn basic_header(id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(id), encode(secret));
    format!("Authorization: Basic {}", base64_encode(pair.as_bytes()))
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let bits = chunk.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b));
        let bits = bits << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
        }
        out.push_str(&"=".repeat(3 - chunk.len()));
    }
    out
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Status and the `error` (IamError) or `code` (API error) field.
    fn refusal(&self) -> (u16, String) {
        let json = self.json();
        let code = json["error"].as_str().or(json["code"].as_str());
        (self.status, code.unwrap_or_default().to_string())
    }
}

async fn connect(server: &TokenServer) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(server.addr()).await.expect("connects"))
}

async fn write_all(connection: &mut BufReader<TcpStream>, raw: &str) {
    connection
        .get_mut()
        .write_all(raw.as_bytes())
        .await
        .expect("request sent");
}

/// Reads one response by its Content-Length; fails rather than hangs.
async fn read_answer(connection: &mut BufReader<TcpStream>) -> Answer {
    let answer = tokio::time::timeout(PATIENCE, read_answer_unbounded(connection));
    answer.await.expect("an answer in time")
}

async fn read_answer_unbounded(connection: &mut BufReader<TcpStream>) -> Answer {
    let mut line = String::new();
    connection.read_line(&mut line).await.expect("status line");
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok());
    let mut answer = Answer {
        status: status.expect("a status"),
        headers: vec![],
        body: "".into(),
    };
    loop {
        line.clear();
        connection.read_line(&mut line).await.expect("a header line");
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        answer
            .headers
            .push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let length = answer.header("content-length").and_then(|v| v.parse().ok());
    let mut body = vec![0; length.expect("Content-Length")];
    connection.read_exact(&mut body).await.expect("the whole body");
    answer.body = String::from_utf8(body).expect("UTF-8 body");
    answer
}

async fn send(server: &TokenServer, raw: &str) -> Answer {
    let mut connection = connect(server).await;
    write_all(&mut connection, raw).await;
    read_answer(&mut connection).await
}

async fn post(server: &TokenServer, path: &str, headers: &[&str], body: &str) -> Answer {
    send(server, &request("POST", path, headers, body)).await
}

async fn ask_token(server: &TokenServer, body: &str) -> Answer {
    send(server, &token_request(body)).await
}

/// Every byte the server sends until it closes the connection.
async fn send_until_closed(server: &TokenServer, raw: &str) -> String {
    let mut connection = connect(server).await;
    write_all(&mut connection, raw).await;
    let mut received = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, connection.read_to_end(&mut received));
    closed.await.expect("closed in time").expect("read until close");
    String::from_utf8_lossy(&received).into_owned()
}

async fn issue(server: &TokenServer) -> Value {
    let answer = ask_token(server, &credentials((ID, SECRET))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn issues_a_workiva_bearer_token() {
    let server = server().await;
    let answer = ask_token(&server, &credentials((ID, SECRET))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let token = answer.json();
    let access_token = token["access_token"].as_str().expect("a string access_token");
    let random = access_token.strip_prefix("wk.").expect("wk. prefix");
    assert!(random.len() == 40 && random.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(token["expires_in"].as_u64(), Some(600));
    assert_eq!(token["scope"], "file:read file:write");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn current_path_requires_x_version() {
    let server = server().await;
    let body = credentials((ID, SECRET));
    for headers in [vec![FORM], vec![FORM, "X-Version: 2022-01-01"]] {
        let answer = post(&server, TOKEN, &headers, &body).await;
        assert_eq!(answer.refusal(), (400, "invalid_request".into()));
        let description = answer.json()["error_description"].to_string();
        assert!(description.contains("X-Version"), "{description}");
    }
}

#[tokio::test]
async fn legacy_path_works_only_without_x_version() {
    let server = server().await;
    let body = credentials((ID, SECRET));
    assert_eq!(post(&server, LEGACY, &[FORM], &body).await.status, 200);
    assert_eq!(post(&server, LEGACY, &[FORM, VERSION], &body).await.status, 404);
}

#[tokio::test]
async fn other_paths_methods_and_bodies_are_refused() {
    let server = server().await;
    let get = send(&server, &request("GET", TOKEN, &[VERSION], "")).await;
    assert_eq!((get.status, get.header("allow")), (405, Some("POST")));
    assert_eq!(post(&server, "/oauth/token", &[FORM], "").await.status, 404);
    let json_body = ["Content-Type: application/json", VERSION];
    let answer = post(&server, TOKEN, &json_body, "{}").await;
    assert_eq!(answer.refusal(), (400, "invalid_request".into()));
    let no_grant = form(&[("client_id", ID), ("client_secret", SECRET)]);
    let answer = ask_token(&server, &no_grant).await;
    assert_eq!(answer.refusal(), (400, "invalid_request".into()));
    let password = credentials((ID, SECRET)).replace("client_credentials", "password");
    let answer = ask_token(&server, &password).await;
    assert_eq!(answer.refusal(), (400, "unsupported_grant_type".into()));
}

#[tokio::test]
async fn bad_credentials_get_invalid_client() {
    let server = server().await;
    for pair in [(ID, "wk_secret:oa2c:wrong"), ("nobody", SECRET), (ID, "")] {
        let answer = ask_token(&server, &credentials(pair)).await;
        assert_eq!(answer.refusal(), (401, "invalid_client".into()));
        assert_eq!(answer.header("www-authenticate"), Some("Basic"));
        assert_eq!(answer.json()["error_description"], "Client authentication failed");
    }
    let record = &server.requests()[0];
    assert_eq!(record.credentials.client_id.as_deref(), Some(ID));
    assert!(!record.credentials.secret_matched);
}

#[tokio::test]
async fn basic_auth_decodes_colons_plus_and_percent() {
    let server = server().await;
    let grant = form(&[("grant_type", "client_credentials")]);
    let basic = basic_header(ID, SECRET);
    let answer = post(&server, TOKEN, &[FORM, VERSION, &basic], &grant).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let credentials_seen = &server.requests()[0].credentials;
    assert_eq!(credentials_seen.via, CredentialSource::Basic);
    assert!(credentials_seen.secret_matched);

    // Basic and body credentials together are ambiguous.
    let both = post(
        &server,
        TOKEN,
        &[FORM, VERSION, &basic],
        &credentials((ID, SECRET)),
    )
    .await;
    assert_eq!(both.refusal(), (400, "invalid_request".into()));
    let garbage = ["Authorization: Basic !!", FORM, VERSION];
    assert_eq!(post(&server, TOKEN, &garbage, &grant).await.status, 400);
}

#[test]
fn decoders_handle_padding_and_reject_garbage() {
    assert_eq!(decode_base64("TWFu").as_deref(), Some(&b"Man"[..]));
    assert_eq!(decode_base64("TWE=").as_deref(), Some(&b"Ma"[..]));
    assert_eq!(decode_base64("TQ").as_deref(), Some(&b"M"[..]));
    assert_eq!(decode_base64("T"), None);
    assert_eq!(decode_base64("TW-u"), None);
    assert_eq!(base64_encode(b"Ma"), "TWE=");
    assert_eq!(form_decode("a+b%3Ac%25").as_deref(), Some("a b:c%"));
    assert_eq!(form_decode("%zz"), None);
    assert_eq!(form_decode("%+1"), None);
}

#[tokio::test]
async fn scopes_are_checked_against_the_grant() {
    let server = server().await;
    let asking = |scope: &str| format!("{}&{}", credentials(READER), form(&[("scope", scope)]));
    let refused = ask_token(&server, &asking("file:read file:write")).await;
    assert_eq!(refused.refusal(), (400, "invalid_scope".into()));
    let granted = ask_token(&server, &asking("file:read")).await;
    assert_eq!(granted.json()["scope"], "file:read");
    // No scope requested: the client's own list.
    assert_eq!(
        ask_token(&server, &credentials(READER)).await.json()["scope"],
        "file:read"
    );
}

#[tokio::test]
async fn omit_scope_leaves_the_field_out() {
    let config = ServerConfig {
        omit_scope: true,
        token_type: "bearer".into(),
        ..config()
    };
    let server = TokenServer::start(config).await.expect("server starts");
    let token = issue(&server).await;
    assert!(token.get("scope").is_none());
    assert_eq!(token["token_type"], "bearer");
}

#[tokio::test]
async fn status_faults_send_what_was_scripted() {
    let server = server().await;
    server.push_fault(Fault::TooManyRequests { retry_after: Some(7) });
    let (error, description) = ("temporarily_unavailable".into(), "maintenance".into());
    server.push_fault(Fault::IamError {
        status: 503,
        error,
        description,
    });
    server.push_fault(Fault::Html { status: 502 });
    let (content_type, body) = (String::new(), String::new());
    server.push_fault(Fault::Status {
        status: 500,
        content_type,
        body,
        retry_after: Some(2),
    });
    let body = credentials((ID, SECRET));

    let limited = ask_token(&server, &body).await;
    assert_eq!(limited.refusal(), (429, "429TooManyRequests".into()));
    assert_eq!(limited.header("retry-after"), Some("7"));
    let iam = ask_token(&server, &body).await;
    assert_eq!(iam.refusal(), (503, "temporarily_unavailable".into()));
    let html = ask_token(&server, &body).await;
    assert_eq!(html.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(html.status == 502 && html.body.contains("502 Bad Gateway"));
    let empty = ask_token(&server, &body).await;
    assert_eq!((empty.status, empty.body.as_str()), (500, ""));
    assert_eq!(empty.header("retry-after"), Some("2"));
    assert_eq!(ask_token(&server, &body).await.status, 200, "faults are used up");
}

#[tokio::test]
async fn malformed_truncated_and_closed_answers() {
    let server = server().await;
    let raw = token_request(&credentials((ID, SECRET)));
    server.push_fault(Fault::Malformed);
    let malformed = send(&server, &raw).await;
    assert_eq!(malformed.status, 200);
    assert!(serde_json::from_str::<Value>(&malformed.body).is_err());

    server.push_fault(Fault::Truncated);
    let truncated = send_until_closed(&server, &raw).await;
    let (head, sent) = truncated.split_once("\r\n\r\n").expect("a head");
    let declared = head.lines().find_map(|l| l.strip_prefix("Content-Length: "));
    let declared: usize = declared.and_then(|v| v.parse().ok()).expect("Content-Length");
    assert!(
        head.starts_with("HTTP/1.1 200") && sent.len() < declared,
        "{truncated}"
    );

    server.push_fault(Fault::Close);
    assert_eq!(send_until_closed(&server, &raw).await, "");
    assert_eq!(server.requests().last().map(|r| r.status), Some(None));
}

#[tokio::test]
async fn delay_fault_and_latency_hold_the_answer_back() {
    let server = server().await;
    server.push_fault(Fault::Delay(Duration::from_millis(150)));
    let started = Instant::now();
    issue(&server).await;
    assert!(started.elapsed() >= Duration::from_millis(150));

    let latency = Duration::from_millis(120);
    server.set_latency(latency);
    server.add_client(ClientGrant {
        latency_ms: Some(0),
        ..ClientGrant::new("fast", "f")
    });
    let started = Instant::now();
    assert_eq!(ask_token(&server, &credentials(("fast", "f"))).await.status, 200);
    assert!(started.elapsed() < latency, "per-client latency wins");
    let started = Instant::now();
    issue(&server).await;
    assert!(started.elapsed() >= latency);
}

#[tokio::test]
async fn client_faults_come_first_and_only_for_that_client() {
    let server = server().await;
    server.push_fault(Fault::Html { status: 504 });
    server.push_fault_for(READER.0, Fault::TooManyRequests { retry_after: None });
    let reader = token_request(&credentials(READER));
    assert_eq!(send(&server, &reader).await.status, 429);
    let shared_fault = send(&server, &reader).await;
    assert_eq!(shared_fault.status, 504, "then the shared queue");
    assert!(shared_fault.body.contains("<title>504 Gateway Timeout</title>"));
    assert_eq!(send(&server, &reader).await.status, 200);
    server.push_fault_for(READER.0, Fault::Html { status: 502 });
    issue(&server).await;
    assert_eq!(send(&server, &reader).await.status, 502);
}

#[tokio::test]
async fn keeps_the_connection_alive_until_asked_to_close() {
    let server = server().await;
    let body = credentials((ID, SECRET));
    let mut connection = connect(&server).await;
    for _ in 0..2 {
        write_all(&mut connection, &token_request(&body)).await;
        let answer = read_answer(&mut connection).await;
        assert_eq!((answer.status, answer.header("connection")), (200, None));
    }
    let closing = request("POST", TOKEN, &[FORM, VERSION, "Connection: close"], &body);
    write_all(&mut connection, &closing).await;
    let last = read_answer(&mut connection).await;
    assert_eq!(last.header("connection"), Some("close"));
    let mut rest = Vec::new();
    connection.read_to_end(&mut rest).await.expect("closed cleanly");
    assert!(rest.is_empty());
    assert_eq!(server.token_requests(), 3);
}

#[tokio::test]
async fn permissions_accepts_only_live_tokens_issued_here() {
    let server = server().await;
    let token = issue(&server).await["access_token"].as_str().map(str::to_string);
    let token = token.expect("a token");
    let check = |token: &str, version: &str| {
        let auth = format!("Authorization: Bearer {token}");
        request("GET", "/permissions", &[&auth, version], "")
    };
    let accepted = send(&server, &check(&token, VERSION)).await;
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.json()["data"][1]["id"], "file:write");
    let unknown = send(&server, &check("wk.forged", VERSION)).await;
    assert_eq!(unknown.refusal(), (401, "401Unauthorized".into()));
    let unversioned = send(&server, &check(&token, "X-Version: 1999-01-01")).await;
    assert_eq!(unversioned.status, 400);

    server.revoke_tokens();
    assert_eq!(send(&server, &check(&token, VERSION)).await.status, 401);
    server.add_client(ClientGrant {
        token_lifetime_secs: Some(0),
        ..ClientGrant::new("brief", "b")
    });
    let expired = ask_token(&server, &credentials(("brief", "b"))).await.json();
    assert_eq!(expired["expires_in"], 0);
    let expired_token = expired["access_token"].as_str().expect("a token");
    assert_eq!(send(&server, &check(expired_token, VERSION)).await.status, 401);
}

#[tokio::test]
async fn recorded_requests_never_hold_the_secret() {
    let server = server().await;
    issue(&server).await;
    let grant = form(&[("grant_type", "client_credentials"), ("scope", "file:read")]);
    let basic = basic_header(ID, SECRET);
    post(
        &server,
        "/oauth2/token?client_secret=x",
        &[FORM, VERSION, &basic],
        &grant,
    )
    .await;
    let requests = server.requests();
    let printed = format!("{requests:?} {:?}", config());
    let encoded: String = form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    let base64 = &basic["Authorization: Basic ".len()..];
    for leak in [SECRET, "s3+cr", &encoded, base64, "client_secret=x"] {
        assert!(!printed.contains(leak), "{leak} leaked into {printed}");
    }
    assert_eq!(requests[0].form_field("client_id"), Some(ID));
    assert_eq!(requests[0].form_field("client_secret"), None);
    assert_eq!(requests[1].header("authorization"), Some("Basic [redacted]"));
    assert_eq!(
        (requests[1].path.as_str(), requests[1].status),
        (TOKEN, Some(200))
    );
}

#[tokio::test]
async fn malformed_requests_get_4xx_not_a_panic() {
    let server = server().await;
    let post_with = |head: &str| format!("POST {TOKEN} HTTP/1.1\r\n{head}\r\n\r\n");
    let cases = [
        ("GARBAGE\r\n\r\n".to_string(), "HTTP/1.1 400"),
        (post_with("Content-Length: nope"), "HTTP/1.1 400"),
        (
            post_with("Content-Length: 2\r\nContent-Length: 3"),
            "HTTP/1.1 400",
        ),
        (post_with("no colon here"), "HTTP/1.1 400"),
        (
            post_with("Transfer-Encoding: chunked") + "0\r\n\r\n",
            "HTTP/1.1 411",
        ),
        (post_with("Content-Length: 70000"), "HTTP/1.1 413"),
        (
            post_with(&format!("X-Filler: {}", "a".repeat(70 * 1024))),
            "HTTP/1.1 431",
        ),
    ];
    for (raw, expected) in cases {
        let answer = send_until_closed(&server, &raw).await;
        assert!(answer.starts_with(expected), "{raw:.60} -> {answer}");
    }
    // Undecodable form values are data, not a reason to fail.
    let odd = ask_token(&server, "grant_type=%ff%fe&client_id=%&client_secret=%zz").await;
    assert_eq!(odd.refusal(), (400, "unsupported_grant_type".into()));
    let odd = "grant_type=client_credentials&client_id=%&client_secret=%";
    assert_eq!(ask_token(&server, odd).await.status, 401);
    // RFC 9112 §2.2: stray empty lines before a request are skipped.
    let padded = format!("\r\n\r\n{}", token_request(&credentials((ID, SECRET))));
    assert_eq!(send(&server, &padded).await.status, 200);
    issue(&server).await;
}

#[tokio::test]
async fn serves_hundreds_of_slow_requests_concurrently() {
    let config = ServerConfig {
        latency: Duration::from_millis(100),
        ..config()
    };
    let server = TokenServer::start(config).await.expect("server starts");
    let started = Instant::now();
    let addr = server.addr();
    let raw = token_request(&credentials((ID, SECRET)));
    let clients: Vec<_> = (0..200)
        .map(|_| {
            let raw = raw.clone();
            tokio::spawn(async move {
                let mut connection = BufReader::new(TcpStream::connect(addr).await.expect("connects"));
                write_all(&mut connection, &raw).await;
                read_answer(&mut connection).await.status
            })
        })
        .collect();
    for client in clients {
        assert_eq!(client.await.expect("client task"), 200);
    }
    // One after another this would take 20 s.
    assert!(started.elapsed() < PATIENCE, "{:?}", started.elapsed());
    assert_eq!(server.token_requests(), 200);
}

#[tokio::test]
async fn pooled_reqwest_client_gets_tokens() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = server().await;
    let client = reqwest::Client::builder().no_proxy().build().expect("a client");
    let body = [
        ("grant_type", "client_credentials"),
        ("client_id", ID),
        ("client_secret", SECRET),
    ];
    for _ in 0..2 {
        let sent = client
            .post(server.token_url())
            .header("X-Version", API_VERSION)
            .form(&body);
        let answer = sent.send().await.expect("answered");
        assert_eq!(answer.status(), 200);
        let token: Value = answer.json().await.expect("JSON");
        assert_eq!(token["token_type"], "Bearer");
    }
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn background_server_serves_sync_callers_and_stops() {
    use std::io::{Read, Write};
    let server = TokenServer::start_in_background(config()).expect("server starts");
    let raw = request(
        "POST",
        LEGACY,
        &[FORM, "Connection: close"],
        &credentials((ID, SECRET)),
    );
    let mut stream = std::net::TcpStream::connect(server.addr()).expect("connects");
    stream.write_all(raw.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.contains("\"access_token\":\"wk."));
    assert_eq!(
        server.legacy_token_url(),
        format!("{}{LEGACY}", server.base_url())
    );
    let addr = server.addr();
    server.shutdown();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still listening after shutdown"
    );
}

#[test]
fn config_deserializes_with_defaults_and_millis() {
    let json = r#"{"clients": [{"client_id": "a", "client_secret": "s", "scopes": ["file:read"]}],
        "latency_ms": 250}"#;
    let config: ServerConfig = serde_json::from_str(json).expect("a valid config");
    assert_eq!(config.latency, Duration::from_millis(250));
    assert_eq!(
        (config.token_lifetime_secs, config.token_type.as_str()),
        (600, "Bearer")
    );
    assert_eq!(config.clients[0].scopes, ["file:read"]);
}
