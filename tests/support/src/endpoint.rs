//! What the server answers: Workiva's token endpoint, its legacy path, the
//! `/permissions` check, and scripted faults.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::{Request, Response, Stream, reason};
use super::{API_VERSION, ClientGrant, CredentialSource, Credentials, Fault, IssuedToken, Shared};

pub(super) const TOKEN_PATH: &str = "/oauth2/token";
pub(super) const LEGACY_TOKEN_PATH: &str = "/iam/v1/oauth2/token";
const PERMISSIONS_PATH: &str = "/permissions";
/// Counters for benchmark scripts: token requests, and how many were refused.
const STATS_PATH: &str = "/__stats";

/// How the connection answers a request.
pub(super) enum Reply {
    Send(Response),
    /// Send half the body under a full Content-Length, then close.
    Truncate(Response),
    /// Close without a byte of answer.
    Close,
    /// An answer written piece by piece (oversized, endless or trickling).
    Stream(super::http::Stream),
}

/// The decision for one request, plus what the request log may keep of it.
pub(super) struct Outcome {
    pub reply: Reply,
    pub delay: Duration,
    pub credentials: Credentials,
    /// Form fields without `client_secret`.
    pub form: Vec<(String, String)>,
}

impl Outcome {
    fn plain(response: Response, delay: Duration) -> Self {
        Outcome {
            reply: Reply::Send(response),
            delay,
            credentials: Credentials::default(),
            form: Vec::new(),
        }
    }
}

/// Routes one request. Never panics on request data.
pub(super) fn handle(shared: &Shared, request: &Request) -> Outcome {
    let path = request.path();
    let global_latency = shared.latency_for(None);
    if path == TOKEN_PATH || path == LEGACY_TOKEN_PATH {
        shared.token_requests.fetch_add(1, Ordering::Relaxed);
        if request.method != "POST" {
            return Outcome::plain(method_not_allowed("POST"), global_latency);
        }
        return token_request(shared, request, path == LEGACY_TOKEN_PATH);
    }
    if (path, request.method.as_str()) == (PERMISSIONS_PATH, "GET")
        && let Some(reply) = shared.next_permissions_fault().and_then(fault_reply)
    {
        return Outcome {
            reply,
            delay: global_latency,
            credentials: Credentials::default(),
            form: Vec::new(),
        };
    }
    let response = match (path, request.method.as_str()) {
        (STATS_PATH, "GET") => Response::json(
            200,
            &json!({
                "token_requests": shared.token_requests.load(Ordering::Relaxed),
                "rate_limited": shared.rate_limited.load(Ordering::Relaxed),
            }),
        ),
        (PERMISSIONS_PATH, "GET") => permissions(shared, request),
        (PERMISSIONS_PATH, _) => method_not_allowed("GET"),
        _ => not_found(),
    };
    Outcome::plain(response, global_latency)
}

/// A POST to either token path: latency and faults first, then validation.
fn token_request(shared: &Shared, request: &Request, legacy: bool) -> Outcome {
    let token_request = TokenRequest::read(shared, request, legacy);
    let client_id = token_request.presented.client_id.as_deref();
    let mut delay = shared.latency_for(token_request.client.as_ref());
    let fault = shared.next_fault(client_id);
    if let Some(Fault::Delay(extra)) = &fault {
        delay += *extra;
    }
    let reply = fault
        .and_then(fault_reply)
        .unwrap_or_else(|| match shared.over_rate_limit() {
            Some(retry_after) => Reply::Send(with_retry_after(
                api_error(429, "Rate limit exceeded, retry later"),
                retry_after,
            )),
            None => Reply::Send(token_request.answer(shared).unwrap_or_else(|refusal| refusal)),
        });
    Outcome {
        reply,
        delay,
        credentials: token_request.credentials(),
        form: without_secret(token_request.form.unwrap_or_default()),
    }
}

/// A token request with its form and credentials read, not yet judged.
struct TokenRequest<'a> {
    request: &'a Request,
    legacy: bool,
    /// `None` when the body is not form-encoded.
    form: Option<Vec<(String, String)>>,
    presented: Presented,
    /// The known client the presented id names, secret unchecked.
    client: Option<ClientGrant>,
}

impl<'a> TokenRequest<'a> {
    fn read(shared: &Shared, request: &'a Request, legacy: bool) -> Self {
        let form = parse_form(request);
        let presented = Presented::from_request(request, form.as_deref());
        let client = presented.client_id.as_deref().and_then(|id| shared.client(id));
        TokenRequest {
            request,
            legacy,
            form,
            presented,
            client,
        }
    }

    fn credentials(&self) -> Credentials {
        Credentials {
            via: self.presented.via,
            client_id: self.presented.client_id.clone(),
            secret_matched: self.authenticated_client().is_some(),
        }
    }

    fn authenticated_client(&self) -> Option<&ClientGrant> {
        self.client.as_ref().filter(|c| self.presented.secret_matches(c))
    }

    /// A token, or the refusal Workiva would give, checked in its order.
    fn answer(&self, shared: &Shared) -> Result<Response, Response> {
        check_version(self.request, self.legacy)?;
        let form = self
            .form
            .as_deref()
            .ok_or_else(|| invalid_request("Content-Type must be application/x-www-form-urlencoded"))?;
        if let Some(name) = repeated_parameter(form) {
            let description = format!("parameter {name} appears more than once");
            return Err(invalid_request(&description));
        }
        check_grant_type(field(form, "grant_type"))?;
        if let Some(problem) = self.presented.problem {
            return Err(invalid_request(problem));
        }
        let client = self.authenticated_client().ok_or_else(invalid_client)?;
        let scope = granted_scope(shared, client, field(form, "scope"))?;
        Ok(issue_token(shared, client, scope))
    }
}

fn check_grant_type(grant_type: Option<&str>) -> Result<(), Response> {
    match grant_type {
        Some("client_credentials") => Ok(()),
        None => Err(invalid_request("grant_type is required")),
        Some(_) => {
            let description = "only grant_type=client_credentials is supported";
            Err(iam_error(400, "unsupported_grant_type", description))
        }
    }
}

/// The current path needs `X-Version`; the legacy path predates it and
/// Workiva answers 404 when the two are mixed.
fn check_version(request: &Request, legacy: bool) -> Result<(), Response> {
    match (legacy, request.header("x-version")) {
        (true, None) | (false, Some(API_VERSION)) => Ok(()),
        (true, Some(_)) => Err(not_found()),
        (false, _) => Err(invalid_request(&format!(
            "X-Version header must be {API_VERSION} on {TOKEN_PATH}"
        ))),
    }
}

/// Form fields, or `None` when the body is not declared form-encoded.
fn parse_form(request: &Request) -> Option<Vec<(String, String)>> {
    let media_type = request.header("content-type")?.split(';').next()?.trim();
    media_type
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        .then(|| form_urlencoded::parse(&request.body).into_owned().collect())
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// RFC 6749 §3.2: request parameters must not be included more than once.
fn repeated_parameter(form: &[(String, String)]) -> Option<&'static str> {
    ["grant_type", "client_id", "client_secret", "scope"]
        .into_iter()
        .find(|name| form.iter().filter(|(n, _)| n == name).count() > 1)
}

fn without_secret(form: Vec<(String, String)>) -> Vec<(String, String)> {
    form.into_iter()
        .filter(|(name, _)| !name.trim().eq_ignore_ascii_case("client_secret"))
        .collect()
}

/// Client credentials as sent, before they are checked.
struct Presented {
    via: CredentialSource,
    client_id: Option<String>,
    secret: Option<String>,
    /// Why the credentials cannot be used at all (400 rather than 401).
    problem: Option<&'static str>,
}

impl Presented {
    fn from_request(request: &Request, form: Option<&[(String, String)]>) -> Self {
        let body_id = form.and_then(|f| field(f, "client_id")).map(str::to_string);
        let body_secret = form.and_then(|f| field(f, "client_secret")).map(str::to_string);
        let in_body = body_id.is_some() || body_secret.is_some();
        let basic = request.header("authorization").and_then(basic_credentials);
        let (via, client_id, secret, problem) = match (basic, in_body) {
            (Some(basic), true) => {
                let id = basic.ok().map(|(id, _)| id).or(body_id);
                let problem = "send client credentials with HTTP Basic or in the body, not both";
                (CredentialSource::Both, id, None, Some(problem))
            }
            (Some(Ok((id, secret))), false) => (CredentialSource::Basic, Some(id), Some(secret), None),
            (Some(Err(problem)), false) => (CredentialSource::Basic, None, None, Some(problem)),
            (None, true) => (CredentialSource::Body, body_id, body_secret, None),
            (None, false) => (CredentialSource::None, None, None, None),
        };
        Presented {
            via,
            client_id,
            secret,
            problem,
        }
    }

    fn secret_matches(&self, client: &ClientGrant) -> bool {
        self.secret
            .as_deref()
            .is_some_and(|s| secrets_match(s.as_bytes(), client.client_secret.as_bytes()))
    }
}

/// Compares every byte whatever the first difference, so timing says little.
fn secrets_match(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = given.len() ^ expected.len();
    for (i, byte) in expected.iter().enumerate() {
        difference |= usize::from(byte ^ given.get(i).copied().unwrap_or(0));
    }
    difference == 0
}

/// `Authorization: Basic` per RFC 6749 §2.3.1; `None` for other schemes.
fn basic_credentials(header: &str) -> Option<Result<(String, String), &'static str>> {
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    Some(decode_basic(encoded.trim()).ok_or("malformed HTTP Basic credentials"))
}

fn decode_basic(encoded: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(decode_base64(encoded)?).ok()?;
    // Split at the first colon: ids are url-encoded, secrets may hold raw colons.
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// Standard-alphabet base64, padding optional; `None` on anything else.
pub(super) fn decode_base64(input: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let (mut bits, mut pending) = (0u32, 0u32);
    for c in input.trim_end_matches('=').bytes() {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(sextet);
        pending += 6;
        if pending >= 8 {
            pending -= 8;
            out.push((bits >> pending) as u8);
            bits &= (1 << pending) - 1;
        }
    }
    // Six leftover bits mean a lone character that cannot encode a byte.
    (pending < 6).then_some(out)
}

/// application/x-www-form-urlencoded decoding of one component.
pub(super) fn form_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let high = hex_value(*bytes.get(i + 1)?)?;
                let low = hex_value(*bytes.get(i + 2)?)?;
                out.push(high << 4 | low);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|v| u8::try_from(v).ok())
}

/// Every requested scope must be allowed; with none requested the client's
/// own scopes, else the server default, are granted.
fn granted_scope(shared: &Shared, client: &ClientGrant, requested: Option<&str>) -> Result<String, Response> {
    let requested: Vec<&str> = requested.unwrap_or_default().split_whitespace().collect();
    if requested.is_empty() {
        if client.scopes.is_empty() {
            return Ok(shared.config().default_scope.clone());
        }
        return Ok(client.scopes.join(" "));
    }
    let allowed = |scope: &&str| client.scopes.is_empty() || client.scopes.iter().any(|a| a == scope);
    if let Some(refused) = requested.iter().find(|s| !allowed(s)) {
        let description = format!("scope {refused} is not granted to this client");
        return Err(iam_error(400, "invalid_scope", &description));
    }
    Ok(requested.join(" "))
}

fn issue_token(shared: &Shared, client: &ClientGrant, scope: String) -> Response {
    let (lifetime, token_type, omit_scope) = {
        let config = shared.config();
        let lifetime = client.token_lifetime_secs.unwrap_or(config.token_lifetime_secs);
        (lifetime, config.token_type.clone(), config.omit_scope)
    };
    let access_token = new_access_token();
    let mut body = json!({
        "access_token": access_token,
        "expires_in": lifetime,
        "token_type": token_type,
    });
    if !omit_scope {
        body["scope"] = Value::from(scope.as_str());
    }
    let issued = IssuedToken {
        scopes: scope.split_whitespace().map(str::to_string).collect(),
        // A lifetime too long for Instant simply never expires.
        expires_at: Instant::now().checked_add(Duration::from_secs(lifetime)),
    };
    shared.remember_token(access_token, issued);
    token_response(&body)
}

fn new_access_token() -> String {
    let random: String = std::iter::repeat_with(fastrand::alphanumeric).take(40).collect();
    format!("wk.{random}")
}

/// RFC 6749 §5.1: token answers must not be cached.
fn token_response(body: &Value) -> Response {
    Response::json(200, body)
        .with_header("Cache-Control", "no-store")
        .with_header("Pragma", "no-cache")
}

/// The answer a fault scripts; `None` for a delay, which then answers normally.
fn fault_reply(fault: Fault) -> Option<Reply> {
    let response = match fault {
        Fault::Delay(_) => return None,
        Fault::Close => return Some(Reply::Close),
        Fault::Truncated => {
            let body = json!({"access_token": new_access_token(), "expires_in": 600,
                "scope": "file:read", "token_type": "Bearer"});
            return Some(Reply::Truncate(token_response(&body)));
        }
        Fault::Status {
            status,
            content_type,
            body,
            retry_after,
        } => with_retry_after(Response::new(status, &content_type, body), retry_after),
        Fault::IamError {
            status,
            error,
            description,
        } => iam_error(status, &error, &description),
        Fault::TooManyRequests { retry_after } => {
            with_retry_after(api_error(429, "Rate limit exceeded, retry later"), retry_after)
        }
        // Some gateways answer form-encoded bodies under a JSON content type.
        Fault::Malformed => Response::new(200, "application/json", "access_token=wk.x&token_type=bearer"),
        Fault::Html { status } => Response::new(status, "text/html; charset=utf-8", proxy_page(status)),
        Fault::Oversize { status, bytes } => return Some(Reply::Stream(Stream::Sized { status, bytes })),
        Fault::Endless { status } => return Some(Reply::Stream(Stream::Endless { status })),
        Fault::Trickle {
            status,
            content_type,
            body,
            every,
        } => {
            return Some(Reply::Stream(Stream::Trickle {
                status,
                content_type,
                body: body.into_bytes(),
                every,
            }));
        }
    };
    Some(Reply::Send(response))
}

fn with_retry_after(response: Response, retry_after: Option<u64>) -> Response {
    match retry_after {
        Some(seconds) => response.with_header("Retry-After", seconds.to_string()),
        None => response,
    }
}

/// What nginx in front of an API sends when the backend is gone.
fn proxy_page(status: u16) -> String {
    let title = format!("{status} {}", reason(status));
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n\
         <center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// `GET /permissions`: 200 with the token's scopes while it is live, else 401.
fn permissions(shared: &Shared, request: &Request) -> Response {
    if request.header("x-version") != Some(API_VERSION) {
        return api_error(400, &format!("X-Version header must be {API_VERSION}"));
    }
    let scopes = bearer_token(request).and_then(|token| shared.live_token_scopes(token));
    match scopes {
        Some(scopes) => {
            let data: Vec<Value> = scopes.iter().map(|s| json!({"id": s})).collect();
            Response::json(200, &json!({ "data": data }))
        }
        None => api_error(401, "The bearer token is missing, unknown or expired")
            .with_header("WWW-Authenticate", "Bearer"),
    }
}

fn bearer_token(request: &Request) -> Option<&str> {
    let (scheme, token) = request.header("authorization")?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn iam_error(status: u16, error: &str, description: &str) -> Response {
    Response::json(status, &json!({"error": error, "error_description": description}))
}

fn invalid_request(description: &str) -> Response {
    iam_error(400, "invalid_request", description)
}

fn invalid_client() -> Response {
    iam_error(401, "invalid_client", "Client authentication failed").with_header("WWW-Authenticate", "Basic")
}

/// Workiva's error shape outside IAM, e.g. `{"code": "404NotFound", "message": ...}`.
fn api_error(status: u16, message: &str) -> Response {
    let code = format!("{status}{}", reason(status).replace(' ', ""));
    Response::json(status, &json!({"code": code, "message": message}))
}

fn not_found() -> Response {
    api_error(404, "No such endpoint")
}

fn method_not_allowed(allow: &'static str) -> Response {
    api_error(405, &format!("Use {allow}")).with_header("Allow", allow)
}
