//! Workiva's token endpoint on the wire, as `serve` speaks it: reading a
//! client-credentials request and writing the answers Workiva would give.
//! Pure functions over bytes and headers, so every refusal is unit-tested.

use serde_json::json;
use zeroize::Zeroizing;

use crate::model::{API_VERSION, Scopes, Timestamp, Token, text};

pub const TOKEN_PATH: &str = "/oauth2/token";
pub const LEGACY_TOKEN_PATH: &str = "/iam/v1/oauth2/token";
pub const HEALTH_PATH: &str = "/healthz";

/// More form fields than this is not a token request.
const MAX_FIELDS: usize = 16;
/// Longer than any scope list Workiva grants.
const MAX_SCOPE_LEN: usize = 2048;
/// Longer than any profile name or local secret.
const MAX_CREDENTIAL_LEN: usize = 256;

/// An answer before the HTTP layer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<u64>,
    /// Token answers must not be cached (RFC 6749 §5.1).
    pub no_store: bool,
    /// Close the connection after this answer (the request was not read in full).
    pub close: bool,
    /// The methods a 405 names in `Allow`.
    pub allow: Option<&'static str>,
    /// What the request log says of it: `token (memory)`, `invalid_client`, ...
    pub outcome: String,
}

impl Reply {
    /// `{"error", "error_description"}`, Workiva's IamError.
    pub fn iam_error(status: u16, error: &str, description: &str) -> Reply {
        Reply {
            status,
            body: json!({"error": error, "error_description": description}).to_string(),
            retry_after: None,
            no_store: true,
            close: false,
            allow: None,
            outcome: error.to_owned(),
        }
    }

    /// `{"code": "404NotFound", "message"}`, Workiva's error shape outside IAM.
    pub fn api_error(status: u16, message: &str) -> Reply {
        let code = format!("{status}{}", reason(status).replace(' ', ""));
        Reply {
            status,
            body: json!({"code": code, "message": message}).to_string(),
            retry_after: None,
            no_store: false,
            close: false,
            allow: None,
            outcome: code,
        }
    }

    pub fn invalid_request(description: &str) -> Reply {
        Reply::iam_error(400, "invalid_request", description)
    }

    pub fn invalid_client() -> Reply {
        Reply::iam_error(401, "invalid_client", "Client authentication failed")
    }

    pub fn not_found() -> Reply {
        Reply::api_error(404, "No such endpoint")
    }

    pub fn method_not_allowed(allow: &'static str) -> Reply {
        let mut reply = Reply::api_error(405, &format!("Use {allow}"));
        reply.allow = Some(allow);
        reply
    }

    pub fn health() -> Reply {
        Reply {
            status: 200,
            body: json!({"status": "ok"}).to_string(),
            retry_after: None,
            no_store: true,
            close: false,
            allow: None,
            outcome: "ok".into(),
        }
    }

    /// The token answer, with the time *left* as `expires_in`.
    pub fn token(token: &Token, requested: Option<&Scopes>, now: Timestamp) -> Reply {
        let scope = match (&token.scopes, requested) {
            (granted, Some(requested)) if granted.is_empty() => requested.to_string(),
            (granted, _) => granted.to_string(),
        };
        Reply {
            status: 200,
            body: json!({
                "access_token": token.access_token.expose(),
                "expires_in": token.seconds_left(now).max(0),
                "scope": scope,
                "token_type": "Bearer",
            })
            .to_string(),
            retry_after: None,
            no_store: true,
            close: false,
            allow: None,
            outcome: "token".into(),
        }
    }

    pub fn with_close(mut self) -> Reply {
        self.close = true;
        self
    }

    pub fn with_retry_after(mut self, seconds: Option<u64>) -> Reply {
        self.retry_after = seconds;
        self
    }
}

pub fn reason(status: u16) -> &'static str {
    hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// What a token request carries, with the headers that matter.
pub struct Incoming<'a> {
    pub legacy: bool,
    pub x_version: Option<&'a [u8]>,
    pub content_type: Option<&'a [u8]>,
    pub authorization: Option<&'a [u8]>,
    pub body: &'a [u8],
}

/// A well-formed client-credentials request, credentials not yet checked.
pub struct TokenRequest {
    pub client_id: String,
    pub secret: Zeroizing<String>,
    pub scope: Option<Scopes>,
}

/// Reads a token request in the order Workiva checks one; the refusal is
/// the answer Workiva would give.
pub fn read_token_request(incoming: &Incoming<'_>) -> Result<TokenRequest, Reply> {
    check_version(incoming)?;
    let media_type = incoming
        .content_type
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if !media_type.is_some_and(|m| m.eq_ignore_ascii_case("application/x-www-form-urlencoded")) {
        return Err(Reply::invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let form = Form::parse(incoming.body)?;
    match form.get("grant_type") {
        Some("client_credentials") => {}
        None => return Err(Reply::invalid_request("grant_type is required")),
        Some(_) => {
            return Err(Reply::iam_error(
                400,
                "unsupported_grant_type",
                "only grant_type=client_credentials is supported",
            ));
        }
    }
    let (client_id, secret) = client_credentials(incoming.authorization, &form)?;
    let scope = match form.get("scope") {
        None => None,
        Some(s) if s.len() > MAX_SCOPE_LEN || !text::is_clean(s) => {
            return Err(Reply::invalid_request(
                "scope is too long or holds control characters",
            ));
        }
        Some(s) => Some(Scopes::parse(s)).filter(|s| !s.is_empty()),
    };
    Ok(TokenRequest {
        client_id,
        secret,
        scope,
    })
}

/// `X-Version: 2026-01-01` belongs to the current path (clients that cannot
/// add a header may leave it out); the legacy path predates it, and Workiva
/// answers 404 when the two are mixed.
fn check_version(incoming: &Incoming<'_>) -> Result<(), Reply> {
    match (incoming.legacy, incoming.x_version) {
        (true, None) => Ok(()),
        (true, Some(_)) => Err(Reply::api_error(
            404,
            "No such endpoint: the legacy path /iam/v1/oauth2/token takes no X-Version header",
        )),
        (false, None) => Ok(()),
        (false, Some(v)) if v == API_VERSION.as_bytes() => Ok(()),
        (false, Some(_)) => Err(Reply::invalid_request(&format!(
            "X-Version header must be {API_VERSION} on {TOKEN_PATH}"
        ))),
    }
}

/// The decoded form fields of a request body.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Result<Form, Reply> {
        let mut fields = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
            if fields.len() == MAX_FIELDS {
                return Err(Reply::invalid_request("too many form fields"));
            }
            fields.push((name.into_owned(), value.into_owned()));
        }
        // RFC 6749 §3.2: request parameters must not be included more than once.
        for name in ["grant_type", "client_id", "client_secret", "scope"] {
            if fields.iter().filter(|(n, _)| n == name).count() > 1 {
                return Err(Reply::invalid_request(&format!(
                    "parameter {name} appears more than once"
                )));
            }
        }
        Ok(Form(fields))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl Drop for Form {
    fn drop(&mut self) {
        for (_, value) in &mut self.0 {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

/// The client id and secret, from HTTP Basic (RFC 6749 §2.3.1) or the body.
/// A `client_id` in the body beside Basic is allowed when it names the same
/// client (several libraries send it); a secret in both places is not.
fn client_credentials(
    authorization: Option<&[u8]>,
    form: &Form,
) -> Result<(String, Zeroizing<String>), Reply> {
    let basic = authorization.and_then(basic_credentials);
    let body_id = form.get("client_id");
    let body_secret = form.get("client_secret");
    let (id, secret) = match basic {
        Some(Err(problem)) => return Err(Reply::invalid_request(problem)),
        Some(Ok((id, secret))) => {
            if body_secret.is_some() {
                return Err(Reply::invalid_request(
                    "send client credentials with HTTP Basic or in the body, not both",
                ));
            }
            if body_id.is_some_and(|b| b != id) {
                return Err(Reply::invalid_request(
                    "client_id in the body differs from the one in HTTP Basic",
                ));
            }
            (id, secret)
        }
        None => match (body_id, body_secret) {
            (Some(id), Some(secret)) => (id.to_owned(), Zeroizing::new(secret.to_owned())),
            _ => {
                return Err(Reply::iam_error(
                    401,
                    "invalid_client",
                    "client authentication is required: HTTP Basic, or client_id and client_secret in the body",
                ));
            }
        },
    };
    if id.len() > MAX_CREDENTIAL_LEN || secret.len() > MAX_CREDENTIAL_LEN {
        return Err(Reply::invalid_client());
    }
    Ok((id, secret))
}

type Basic = Result<(String, Zeroizing<String>), &'static str>;

/// `Authorization: Basic`; `None` for other schemes.
fn basic_credentials(header: &[u8]) -> Option<Basic> {
    use base64::Engine as _;
    let header = std::str::from_utf8(header).ok()?;
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    const MALFORMED: &str = "malformed HTTP Basic credentials";
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map(Zeroizing::new)
        .map_err(|_| MALFORMED);
    let pair = decoded.and_then(|bytes| {
        let text = std::str::from_utf8(&bytes).map_err(|_| MALFORMED)?;
        // Split at the first colon: ids are url-encoded, secrets may hold raw colons.
        let (id, secret) = text.split_once(':').ok_or(MALFORMED)?;
        let id = form_decode(id).ok_or(MALFORMED)?;
        let secret = Zeroizing::new(form_decode(secret).ok_or(MALFORMED)?);
        Ok((id, secret))
    });
    Some(pair)
}

/// application/x-www-form-urlencoded decoding of one component.
fn form_decode(component: &str) -> Option<String> {
    let spaced = component.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// Every requested scope must be within what the profile may have; with
/// nothing known about that, any request passes and the answer says what
/// the token really holds.
pub fn check_scope(requested: Option<&Scopes>, allowed: &Scopes, profile: &str) -> Result<(), Reply> {
    let Some(requested) = requested else {
        return Ok(());
    };
    if allowed.is_empty() {
        return Ok(());
    }
    match requested.iter().find(|s| !allowed.iter().any(|a| a == *s)) {
        None => Ok(()),
        Some(refused) => Err(Reply::iam_error(
            400,
            "invalid_scope",
            &format!("scope {refused} is not within the scope of profile {profile} ({allowed})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BearerToken;
    use serde_json::Value;

    const FORM: &[u8] = b"application/x-www-form-urlencoded";

    fn incoming<'a>(body: &'a [u8], authorization: Option<&'a [u8]>) -> Incoming<'a> {
        Incoming {
            legacy: false,
            x_version: Some(b"2026-01-01"),
            content_type: Some(FORM),
            authorization,
            body,
        }
    }

    fn refusal(incoming: &Incoming<'_>) -> (u16, String) {
        match read_token_request(incoming) {
            Ok(_) => panic!("expected a refusal"),
            Err(reply) => {
                let v: Value = serde_json::from_str(&reply.body).expect("json");
                let word = v["error"]
                    .as_str()
                    .or(v["code"].as_str())
                    .expect("error")
                    .to_owned();
                (reply.status, word)
            }
        }
    }

    #[test]
    fn body_credentials_and_scope_are_read() {
        let body = b"grant_type=client_credentials&client_id=prod&client_secret=wktui_a%2Bb%3Ac&scope=file%3Aread+file%3Awrite";
        let request = read_token_request(&incoming(body, None)).expect("valid");
        assert_eq!(request.client_id, "prod");
        assert_eq!(request.secret.as_str(), "wktui_a+b:c");
        assert_eq!(request.scope.expect("scope").to_string(), "file:read file:write");
    }

    #[test]
    fn basic_credentials_are_form_decoded_and_may_hold_colons() {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode("my%20id:se:cr%2Bet");
        let header = format!("Basic {encoded}");
        let request = read_token_request(&incoming(
            b"grant_type=client_credentials",
            Some(header.as_bytes()),
        ))
        .expect("valid");
        assert_eq!(request.client_id, "my id");
        assert_eq!(request.secret.as_str(), "se:cr+et");
        // A client_id in the body naming the same client is fine.
        let encoded = base64::engine::general_purpose::STANDARD.encode("prod:s");
        let header = format!("basic {encoded}");
        let body = b"grant_type=client_credentials&client_id=prod";
        assert!(read_token_request(&incoming(body, Some(header.as_bytes()))).is_ok());
        let body = b"grant_type=client_credentials&client_id=other";
        assert_eq!(
            refusal(&incoming(body, Some(header.as_bytes()))).1,
            "invalid_request"
        );
        let body = b"grant_type=client_credentials&client_secret=s";
        assert_eq!(
            refusal(&incoming(body, Some(header.as_bytes()))).1,
            "invalid_request"
        );
        assert_eq!(
            refusal(&incoming(b"grant_type=client_credentials", Some(b"Basic !!!"))),
            (400, "invalid_request".into())
        );
    }

    #[test]
    fn refusals_follow_workiva() {
        let ok = b"grant_type=client_credentials&client_id=p&client_secret=s";
        let mut legacy = incoming(ok, None);
        legacy.legacy = true;
        assert_eq!(
            refusal(&legacy),
            (404, "404NotFound".into()),
            "legacy path with X-Version"
        );
        legacy.x_version = None;
        assert!(read_token_request(&legacy).is_ok());
        let mut wrong_version = incoming(ok, None);
        wrong_version.x_version = Some(b"2022-01-01");
        assert_eq!(refusal(&wrong_version), (400, "invalid_request".into()));
        let mut no_version = incoming(ok, None);
        no_version.x_version = None;
        assert!(
            read_token_request(&no_version).is_ok(),
            "generic clients send none"
        );
        let mut json_body = incoming(ok, None);
        json_body.content_type = Some(b"application/json");
        assert_eq!(refusal(&json_body), (400, "invalid_request".into()));
        let cases: [(&[u8], u16, &str); 6] = [
            (b"client_id=p&client_secret=s", 400, "invalid_request"),
            (
                b"grant_type=password&client_id=p&client_secret=s",
                400,
                "unsupported_grant_type",
            ),
            (b"grant_type=client_credentials", 401, "invalid_client"),
            (
                b"grant_type=client_credentials&client_id=p",
                401,
                "invalid_client",
            ),
            (
                b"grant_type=client_credentials&client_id=p&client_id=q&client_secret=s",
                400,
                "invalid_request",
            ),
            (
                b"grant_type=client_credentials&client_id=p&client_secret=s&scope=a%1bb",
                400,
                "invalid_request",
            ),
        ];
        for (body, status, error) in cases {
            assert_eq!(
                refusal(&incoming(body, None)),
                (status, error.to_owned()),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let many = "a=1&".repeat(MAX_FIELDS + 1);
        assert_eq!(refusal(&incoming(many.as_bytes(), None)).0, 400);
        let long_id = format!(
            "grant_type=client_credentials&client_id={}&client_secret=s",
            "x".repeat(300)
        );
        assert_eq!(refusal(&incoming(long_id.as_bytes(), None)).1, "invalid_client");
    }

    #[test]
    fn a_wider_scope_is_invalid_scope() {
        let allowed = Scopes::parse("file:read file:write");
        assert!(check_scope(None, &allowed, "p").is_ok());
        assert!(check_scope(Some(&Scopes::parse("file:read")), &allowed, "p").is_ok());
        let reply = check_scope(Some(&Scopes::parse("file:read admin")), &allowed, "p").expect_err("wider");
        assert_eq!(reply.status, 400);
        assert!(
            reply.body.contains("invalid_scope") && reply.body.contains("admin"),
            "{}",
            reply.body
        );
        assert!(check_scope(Some(&Scopes::parse("anything")), &Scopes::default(), "p").is_ok());
    }

    #[test]
    fn the_token_answer_gives_the_time_left() {
        let response = BearerToken {
            access_token: "wk.abc".into(),
            expires_in: 600,
            scope: Some("file:read".into()),
            token_type: "bearer".into(),
        };
        let token = Token::from_response(&response, None, Timestamp::from_secs(1000)).expect("token");
        let reply = Reply::token(&token, None, Timestamp(1_100_500));
        let v: Value = serde_json::from_str(&reply.body).expect("json");
        assert_eq!(v["access_token"], "wk.abc");
        assert_eq!(v["expires_in"], 499);
        assert_eq!(v["scope"], "file:read");
        assert_eq!(v["token_type"], "Bearer");
        assert!(reply.no_store);
        let expired = Reply::token(&token, None, Timestamp::from_secs(5000));
        assert!(expired.body.contains("\"expires_in\":0"));
    }
}
