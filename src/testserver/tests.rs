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
const READER_ID: &str = "reader";
const READER_SECRET: &str = "reader-secret";
const FORM: &str = "Content-Type: application/x-www-form-urlencoded";
const VERSION: &str = "X-Version: 2026-01-01";

fn config() -> ServerConfig {
    ServerConfig {
        clients: vec![
            ClientGrant::new(ID, SECRET),
            ClientGrant::new(READER_ID, READER_SECRET).with_scopes(&["file:read"]),
        ],
        ..ServerConfig::default()
    }
}

async fn server() -> TokenServer {
    TokenServer::start(config()).await.expect("server starts")
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn credentials_body(id: &str, secret: &str) -> String {
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
        raw.push_str(header);
        raw.push_str("\r\n");
    }
    raw.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    raw
}

fn token_request(body: &str) -> String {
    request("POST", "/oauth2/token", &[FORM, VERSION], body)
}

fn basic_header(id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(id), encode(secret));
    format!("Authorization: Basic {}", base64_encode(pair.as_bytes()))
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let bits =
            chunk.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
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
}

async fn connect(server: &TokenServer) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(server.addr()).await.expect("connects"))
}

/// Reads one response, trusting its Content-Length; fails rather than hangs.
async fn read_answer(connection: &mut BufReader<TcpStream>) -> Answer {
    let answer = tokio::time::timeout(Duration::from_secs(5), read_answer_unbounded(connection));
    answer.await.expect("an answer within 5 s")
}

async fn read_answer_unbounded(connection: &mut BufReader<TcpStream>) -> Answer {
    let mut line = String::new();
    connection.read_line(&mut line).await.expect("status line");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let mut headers = Vec::new();
    loop {
        line.clear();
        connection
            .read_line(&mut line)
            .await
            .expect("a header line");
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut answer = Answer {
        status,
        headers,
        body: String::new(),
    };
    let length = answer
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .expect("Content-Length");
    let mut body = vec![0; length];
    connection
        .read_exact(&mut body)
        .await
        .expect("the whole body");
    answer.body = String::from_utf8(body).expect("UTF-8 body");
    answer
}

async fn send(server: &TokenServer, raw: &str) -> Answer {
    let mut connection = connect(server).await;
    connection
        .get_mut()
        .write_all(raw.as_bytes())
        .await
        .expect("request sent");
    read_answer(&mut connection).await
}

/// Sends a request and returns every byte the server sends until it closes.
async fn send_until_closed(server: &TokenServer, raw: &str) -> String {
    let mut stream = TcpStream::connect(server.addr()).await.expect("connects");
    stream
        .write_all(raw.as_bytes())
        .await
        .expect("request sent");
    let mut received = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received));
    closed
        .await
        .expect("closed within 5 s")
        .expect("read until close");
    String::from_utf8_lossy(&received).into_owned()
}

async fn issue(server: &TokenServer) -> Value {
    let answer = send(server, &token_request(&credentials_body(ID, SECRET))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn issues_a_workiva_bearer_token() {
    let server = server().await;
    let answer = send(&server, &token_request(&credentials_body(ID, SECRET))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let token = answer.json();
    let access_token = token["access_token"]
        .as_str()
        .expect("access_token is a string");
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
    let body = credentials_body(ID, SECRET);
    for headers in [vec![FORM], vec![FORM, "X-Version: 2022-01-01"]] {
        let answer = send(&server, &request("POST", "/oauth2/token", &headers, &body)).await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.json()["error"], "invalid_request");
        assert!(
            answer.json()["error_description"]
                .as_str()
                .unwrap_or_default()
                .contains("X-Version")
        );
    }
}

#[tokio::test]
async fn legacy_path_works_only_without_x_version() {
    let server = server().await;
    let body = credentials_body(ID, SECRET);
    let legacy = send(
        &server,
        &request("POST", "/iam/v1/oauth2/token", &[FORM], &body),
    )
    .await;
    assert_eq!(legacy.status, 200);
    let mixed = send(
        &server,
        &request("POST", "/iam/v1/oauth2/token", &[FORM, VERSION], &body),
    )
    .await;
    assert_eq!(mixed.status, 404);
}

#[tokio::test]
async fn other_paths_methods_and_bodies_are_refused() {
    let server = server().await;
    let get = send(&server, &request("GET", "/oauth2/token", &[VERSION], "")).await;
    assert_eq!((get.status, get.header("allow")), (405, Some("POST")));
    assert_eq!(
        send(&server, &request("POST", "/oauth/token", &[FORM], ""))
            .await
            .status,
        404
    );
    let json_body = request(
        "POST",
        "/oauth2/token",
        &["Content-Type: application/json", VERSION],
        "{}",
    );
    assert_eq!(
        send(&server, &json_body).await.json()["error"],
        "invalid_request"
    );
    let no_grant = form(&[("client_id", ID), ("client_secret", SECRET)]);
    assert_eq!(
        send(&server, &token_request(&no_grant)).await.json()["error"],
        "invalid_request"
    );
    let password = form(&[
        ("grant_type", "password"),
        ("client_id", ID),
        ("client_secret", SECRET),
    ]);
    let answer = send(&server, &token_request(&password)).await;
    assert_eq!(
        (answer.status, answer.json()["error"].clone()),
        (400, "unsupported_grant_type".into())
    );
}

#[tokio::test]
async fn bad_credentials_get_invalid_client() {
    let server = server().await;
    for (id, secret) in [(ID, "wk_secret:oa2c:wrong"), ("nobody", SECRET), (ID, "")] {
        let answer = send(&server, &token_request(&credentials_body(id, secret))).await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.header("www-authenticate"), Some("Basic"));
        assert_eq!(answer.json()["error"], "invalid_client");
        assert_eq!(
            answer.json()["error_description"],
            "Client authentication failed"
        );
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
    let answer = send(
        &server,
        &request("POST", "/oauth2/token", &[FORM, VERSION, &basic], &grant),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let credentials = &server.requests()[0].credentials;
    assert_eq!(credentials.via, CredentialSource::Basic);
    assert!(credentials.secret_matched);

    // Basic and body credentials together are ambiguous.
    let both = request(
        "POST",
        "/oauth2/token",
        &[FORM, VERSION, &basic],
        &credentials_body(ID, SECRET),
    );
    let answer = send(&server, &both).await;
    assert_eq!(
        (answer.status, answer.json()["error"].clone()),
        (400, "invalid_request".into())
    );
    let garbage = request(
        "POST",
        "/oauth2/token",
        &[FORM, VERSION, "Authorization: Basic !!"],
        &grant,
    );
    assert_eq!(send(&server, &garbage).await.status, 400);
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
    let ask = |scope: &str| {
        let mut pairs = vec![
            ("grant_type", "client_credentials"),
            ("client_id", READER_ID),
        ];
        pairs.extend([("client_secret", READER_SECRET), ("scope", scope)]);
        token_request(&form(&pairs))
    };
    let refused = send(&server, &ask("file:read file:write")).await;
    assert_eq!(
        (refused.status, refused.json()["error"].clone()),
        (400, "invalid_scope".into())
    );
    assert_eq!(
        send(&server, &ask("file:read")).await.json()["scope"],
        "file:read"
    );
    // No scope requested: the client's own list.
    let plain = credentials_body(READER_ID, READER_SECRET);
    assert_eq!(
        send(&server, &token_request(&plain)).await.json()["scope"],
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
    server.push_fault(Fault::TooManyRequests {
        retry_after: Some(7),
    });
    server.push_fault(Fault::IamError {
        status: 503,
        error: "temporarily_unavailable".into(),
        description: "maintenance".into(),
    });
    server.push_fault(Fault::Html { status: 502 });
    server.push_fault(Fault::Status {
        status: 500,
        content_type: String::new(),
        body: String::new(),
        retry_after: Some(2),
    });
    let body = credentials_body(ID, SECRET);
    let limited = send(&server, &token_request(&body)).await;
    assert_eq!(
        (limited.status, limited.header("retry-after")),
        (429, Some("7"))
    );
    assert_eq!(limited.json()["code"], "429TooManyRequests");
    let iam = send(&server, &token_request(&body)).await;
    assert_eq!(
        (iam.status, iam.json()["error"].clone()),
        (503, "temporarily_unavailable".into())
    );
    let html = send(&server, &token_request(&body)).await;
    assert_eq!(
        (html.status, html.header("content-type")),
        (502, Some("text/html; charset=utf-8"))
    );
    assert!(html.body.contains("502 Bad Gateway"));
    let empty = send(&server, &token_request(&body)).await;
    assert_eq!(
        (
            empty.status,
            empty.body.as_str(),
            empty.header("retry-after")
        ),
        (500, "", Some("2"))
    );
    assert_eq!(
        send(&server, &token_request(&body)).await.status,
        200,
        "faults are used up"
    );
}

#[tokio::test]
async fn malformed_truncated_and_closed_answers() {
    let server = server().await;
    let body = credentials_body(ID, SECRET);
    server.push_fault(Fault::Malformed);
    let malformed = send(&server, &token_request(&body)).await;
    assert_eq!(malformed.status, 200);
    assert!(serde_json::from_str::<Value>(&malformed.body).is_err());

    server.push_fault(Fault::Truncated);
    let truncated = send_until_closed(&server, &token_request(&body)).await;
    let (head, sent) = truncated.split_once("\r\n\r\n").expect("a head");
    let declared: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.parse().ok())
        .expect("Content-Length");
    assert!(
        head.starts_with("HTTP/1.1 200") && sent.len() < declared,
        "{truncated}"
    );

    server.push_fault(Fault::Close);
    assert_eq!(send_until_closed(&server, &token_request(&body)).await, "");
    assert_eq!(server.requests().last().map(|r| r.status), Some(None));
}

#[tokio::test]
async fn delay_fault_and_latency_hold_the_answer_back() {
    let server = server().await;
    server.push_fault(Fault::Delay(Duration::from_millis(150)));
    let started = Instant::now();
    issue(&server).await;
    assert!(started.elapsed() >= Duration::from_millis(150));

    server.set_latency(Duration::from_millis(120));
    server.add_client(ClientGrant {
        latency_ms: Some(0),
        ..ClientGrant::new("fast", "fast-secret")
    });
    let started = Instant::now();
    let fast = send(
        &server,
        &token_request(&credentials_body("fast", "fast-secret")),
    )
    .await;
    assert!(fast.status == 200 && started.elapsed() < Duration::from_millis(120));
    let started = Instant::now();
    issue(&server).await;
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn client_faults_come_first_and_only_for_that_client() {
    let server = server().await;
    server.push_fault(Fault::Html { status: 504 });
    server.push_fault_for(READER_ID, Fault::TooManyRequests { retry_after: None });
    let reader = token_request(&credentials_body(READER_ID, READER_SECRET));
    assert_eq!(send(&server, &reader).await.status, 429);
    assert_eq!(
        send(&server, &reader).await.status,
        504,
        "then the shared queue"
    );
    assert_eq!(send(&server, &reader).await.status, 200);
    server.push_fault_for(READER_ID, Fault::Html { status: 502 });
    issue(&server).await;
    assert_eq!(send(&server, &reader).await.status, 502);
}

#[tokio::test]
async fn keeps_the_connection_alive_until_asked_to_close() {
    let server = server().await;
    let body = credentials_body(ID, SECRET);
    let mut connection = connect(&server).await;
    for _ in 0..2 {
        connection
            .get_mut()
            .write_all(token_request(&body).as_bytes())
            .await
            .expect("sent");
        let answer = read_answer(&mut connection).await;
        assert_eq!((answer.status, answer.header("connection")), (200, None));
    }
    let closing = request(
        "POST",
        "/oauth2/token",
        &[FORM, VERSION, "Connection: close"],
        &body,
    );
    connection
        .get_mut()
        .write_all(closing.as_bytes())
        .await
        .expect("sent");
    assert_eq!(
        read_answer(&mut connection).await.header("connection"),
        Some("close")
    );
    let mut rest = Vec::new();
    connection
        .read_to_end(&mut rest)
        .await
        .expect("closed cleanly");
    assert!(rest.is_empty());
    assert_eq!(server.token_requests(), 3);
}

#[tokio::test]
async fn permissions_accepts_only_live_tokens_issued_here() {
    let server = server().await;
    let token = issue(&server).await["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let check = |token: &str, version: &str| {
        let auth = format!("Authorization: Bearer {token}");
        request("GET", "/permissions", &[&auth, version], "")
    };
    let accepted = send(&server, &check(&token, VERSION)).await;
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.json()["data"][1]["id"], "file:write");
    let unknown = send(&server, &check("wk.forged", VERSION)).await;
    assert_eq!(
        (unknown.status, unknown.json()["code"].clone()),
        (401, "401Unauthorized".into())
    );
    assert_eq!(
        send(&server, &check(&token, "X-Version: 1999-01-01"))
            .await
            .status,
        400
    );

    server.revoke_tokens();
    assert_eq!(send(&server, &check(&token, VERSION)).await.status, 401);
    let short_lived = ClientGrant {
        token_lifetime_secs: Some(0),
        ..ClientGrant::new("brief", "b")
    };
    server.add_client(short_lived);
    let expired = send(&server, &token_request(&credentials_body("brief", "b")))
        .await
        .json();
    assert_eq!(expired["expires_in"], 0);
    let expired_token = expired["access_token"].as_str().expect("token");
    assert_eq!(
        send(&server, &check(expired_token, VERSION)).await.status,
        401
    );
}

#[tokio::test]
async fn recorded_requests_never_hold_the_secret() {
    let server = server().await;
    issue(&server).await;
    let grant = form(&[("grant_type", "client_credentials"), ("scope", "file:read")]);
    let basic = basic_header(ID, SECRET);
    send(
        &server,
        &request(
            "POST",
            "/oauth2/token?client_secret=x",
            &[FORM, VERSION, &basic],
            &grant,
        ),
    )
    .await;
    let requests = server.requests();
    let printed = format!("{requests:?} {:?}", config());
    let encoded_secret = form_urlencoded::byte_serialize(SECRET.as_bytes()).collect::<String>();
    for leak in [
        SECRET,
        "s3+cr",
        &encoded_secret,
        &basic["Authorization: Basic ".len()..],
    ] {
        assert!(!printed.contains(leak), "{leak} leaked into {printed}");
    }
    assert_eq!(requests[0].form_field("client_id"), Some(ID));
    assert_eq!(requests[0].form_field("client_secret"), None);
    assert_eq!(
        requests[1].header("authorization"),
        Some("Basic [redacted]")
    );
    assert_eq!(
        (requests[1].path.as_str(), requests[1].status),
        ("/oauth2/token", Some(200))
    );
}

#[tokio::test]
async fn malformed_requests_get_4xx_not_a_panic() {
    let server = server().await;
    let too_long_header = format!("X-Filler: {}", "a".repeat(70 * 1024));
    let cases = [
        ("GARBAGE\r\n\r\n".to_string(), "HTTP/1.1 400"),
        (
            "POST /oauth2/token HTTP/1.1\r\nContent-Length: nope\r\n\r\n".into(),
            "HTTP/1.1 400",
        ),
        (
            "POST /oauth2/token HTTP/1.1\r\nno colon here\r\n\r\n".into(),
            "HTTP/1.1 400",
        ),
        (
            "POST /oauth2/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(),
            "HTTP/1.1 411",
        ),
        (
            "POST /oauth2/token HTTP/1.1\r\nContent-Length: 70000\r\n\r\n".into(),
            "HTTP/1.1 413",
        ),
        (request("GET", "/", &[&too_long_header], ""), "HTTP/1.1 431"),
    ];
    for (raw, expected) in cases {
        let answer = send_until_closed(&server, &raw).await;
        assert!(answer.starts_with(expected), "{raw:.60} -> {answer}");
    }
    // Undecodable form values are data, not a reason to fail.
    let odd = token_request("grant_type=%ff%fe&client_id=%&client_secret=%zz");
    let answer = send(&server, &odd).await;
    assert_eq!(answer.json()["error"], "unsupported_grant_type");
    let odd = token_request("grant_type=client_credentials&client_id=%&client_secret=%zz");
    assert_eq!(send(&server, &odd).await.status, 401);
    issue(&server).await;
}

#[tokio::test]
async fn serves_hundreds_of_slow_requests_concurrently() {
    let config = ServerConfig {
        latency: Duration::from_millis(100),
        ..config()
    };
    let server = TokenServer::start(config).await.expect("server starts");
    let addr = server.addr();
    let started = Instant::now();
    let clients: Vec<_> = (0..200)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.expect("connects");
                let raw = token_request(&credentials_body(ID, SECRET));
                stream.write_all(raw.as_bytes()).await.expect("sent");
                let mut connection = BufReader::new(stream);
                read_answer(&mut connection).await.status
            })
        })
        .collect();
    for client in clients {
        assert_eq!(client.await.expect("client task"), 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.token_requests(), 200);
}

#[tokio::test]
async fn pooled_reqwest_client_gets_tokens() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = server().await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    for _ in 0..2 {
        let answer = client
            .post(server.token_url())
            .header("X-Version", API_VERSION)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", ID),
                ("client_secret", SECRET),
            ])
            .send()
            .await
            .expect("answered");
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
        "/iam/v1/oauth2/token",
        &[FORM, "Connection: close"],
        &credentials_body(ID, SECRET),
    );
    let mut stream = std::net::TcpStream::connect(server.addr()).expect("connects");
    stream.write_all(raw.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.contains("\"access_token\":\"wk."));
    assert!(server.legacy_token_url().starts_with(&server.base_url()));
    let addr = server.addr();
    server.shutdown();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still listening after shutdown"
    );
}

#[test]
fn config_deserializes_with_defaults_and_millis() {
    let config: ServerConfig = serde_json::from_str(
        r#"{"clients":[{"client_id":"a","client_secret":"s","scopes":["file:read"]}],"latency_ms":250}"#,
    )
    .expect("valid config");
    assert_eq!(config.latency, Duration::from_millis(250));
    assert_eq!(
        (config.token_lifetime_secs, config.token_type.as_str()),
        (600, "Bearer")
    );
    assert_eq!(config.clients[0].scopes, ["file:read"]);
}
