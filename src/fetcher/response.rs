//! Reading an answer: a token on success, otherwise a `FailedTry` that knows
//! whether it is worth retrying and how to say what went wrong.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde::Deserialize;

use super::{FetchError, arrival_time};
use crate::model::text::clean;
use crate::model::{BearerToken, Profile, Token, TokenError};

/// One try that did not produce a token.
#[derive(Debug)]
pub(super) enum FailedTry {
    /// Nothing usable came back: connect failure, reset, truncated body.
    Transport(reqwest::Error),
    /// An error status, with what the body said.
    Status {
        status: u16,
        reason: String,
        retry_after: Option<Duration>,
        body: ErrorBody,
    },
    /// A success status whose body is not a token response.
    Invalid {
        status: u16,
        reason: String,
    },
    /// The host name does not resolve: asking again in a moment will not help.
    Unresolvable {
        host: String,
        reason: String,
    },
    Token(TokenError),
}

#[derive(Debug)]
pub(super) enum ErrorBody {
    /// OAuth2 / Workiva `IamError`: `{"error", "error_description"}`.
    OAuth {
        error: String,
        description: Option<String>,
    },
    /// Other Workiva APIs: `{"code", "message"}`.
    Api { code: String, message: String },
    /// A redirect, which is never followed with credentials.
    Redirect { location: String },
    /// Anything else, shortened for a message.
    Other { excerpt: String },
}

#[derive(Deserialize)]
struct IamError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct ApiError {
    code: String,
    #[serde(default)]
    message: String,
}

impl FailedTry {
    /// Rate limits, server hiccups and broken connections are worth another
    /// try; 400/401 and malformed answers will not change by asking again.
    pub(super) fn is_retryable(&self) -> bool {
        match self {
            // A certificate that fails verification will fail again.
            FailedTry::Transport(e) => !e.is_builder() && !e.is_redirect() && !is_certificate_error(e),
            FailedTry::Status { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504),
            FailedTry::Invalid { .. } | FailedTry::Token(_) | FailedTry::Unresolvable { .. } => false,
        }
    }

    /// The host says it is asked too often: 429, or 503 with `Retry-After`.
    pub(super) fn is_rate_limit(&self) -> bool {
        matches!(
            self,
            FailedTry::Status { status: 429, .. }
                | FailedTry::Status {
                    status: 503,
                    retry_after: Some(_),
                    ..
                }
        )
    }

    pub(super) fn retry_after(&self) -> Option<Duration> {
        match self {
            FailedTry::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(super) fn into_error(self, url: &str, tries: u32) -> FetchError {
        match self {
            FailedTry::Transport(e) => transport_error(&e, url, tries),
            FailedTry::Status {
                status,
                reason,
                body,
                retry_after,
            } => match body {
                ErrorBody::OAuth { error, description } => FetchError::Refused {
                    status,
                    error,
                    description,
                    tries,
                    retry_after,
                },
                ErrorBody::Api { code, message } => FetchError::Refused {
                    status,
                    error: code,
                    description: (!message.is_empty()).then_some(message),
                    tries,
                    retry_after,
                },
                ErrorBody::Redirect { location } => FetchError::Redirected {
                    url: url.to_owned(),
                    status,
                    location,
                },
                ErrorBody::Other { excerpt } => FetchError::Http {
                    status,
                    reason,
                    url: url.to_owned(),
                    excerpt,
                    tries,
                    retry_after,
                },
            },
            FailedTry::Invalid { status, reason } => FetchError::InvalidResponse {
                url: url.to_owned(),
                status,
                reason,
            },
            FailedTry::Token(e) => FetchError::Token(e),
            FailedTry::Unresolvable { host, reason } => FetchError::Unresolvable { host, reason },
        }
    }
}

/// The most of an answer wktui reads: a token response is well under 4 KiB.
pub(super) const MAX_BODY_BYTES: usize = 64 * 1024;

/// The body, at most `MAX_BODY_BYTES` of it: a larger announced length is
/// refused before reading, a longer stream is cut off when it passes the limit.
async fn read_body(response: &mut reqwest::Response, status: u16) -> Result<Vec<u8>, FailedTry> {
    let too_large = || FailedTry::Invalid {
        status,
        reason: format!("the answer is larger than {} KiB", MAX_BODY_BYTES / 1024),
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(FailedTry::Transport)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            zeroize::Zeroize::zeroize(&mut body);
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Up to `MAX_BODY_BYTES` of an error answer, for a message; the rest is
/// never read.
async fn read_error_body(response: &mut reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_BODY_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BODY_BYTES {
            break;
        }
    }
    body
}

/// A `Retry-After` beyond a day is a broken server; it is read as a day
/// (the fetch deadline gives up long before).
const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// A failure to resolve the host, which is not worth a retry.
pub(super) fn unresolvable(e: &reqwest::Error, url: &str) -> Option<FailedTry> {
    let cause = root_cause(e);
    let lower = cause.to_ascii_lowercase();
    let dns = [
        "failed to lookup address",
        "name or service not known",
        "no address associated",
        "nodename nor servname",
        "temporary failure in name resolution",
        "no such host",
    ];
    dns.iter()
        .any(|needle| lower.contains(needle))
        .then(|| FailedTry::Unresolvable {
            host: reqwest::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(|h| clean(h, 100)))
                .unwrap_or_else(|| "the host".to_owned()),
            reason: clean(&cause, 200),
        })
}

fn transport_error(e: &reqwest::Error, url: &str, tries: u32) -> FetchError {
    if e.is_timeout() {
        // The whole-fetch deadline is handled above; this is the connect timeout.
        return FetchError::Connect {
            url: url.to_owned(),
            reason: "the connection timed out".to_owned(),
            tries,
        };
    }
    if is_certificate_error(e) {
        return FetchError::Certificate {
            url: url.to_owned(),
            reason: root_cause(e),
        };
    }
    let reason = if e.is_body() || e.is_decode() {
        "the connection closed before the whole answer arrived".to_owned()
    } else {
        root_cause(e)
    };
    FetchError::Connect {
        url: url.to_owned(),
        reason,
        tries,
    }
}

fn is_certificate_error(e: &reqwest::Error) -> bool {
    root_cause(e).to_ascii_lowercase().contains("certificate")
}

/// The innermost cause, which says what really happened ("Connection refused").
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = clean(&cause.to_string(), 300);
    if text.contains("IncompleteMessage") || text.contains("connection closed before message completed") {
        "the server closed the connection without answering".to_owned()
    } else {
        text
    }
}

/// A success answer becomes a token; anything else a `FailedTry`.
pub(super) async fn token_from(
    mut response: reqwest::Response,
    profile: &Profile,
) -> Result<Token, FailedTry> {
    let status = response.status();
    if !status.is_success() {
        return Err(error_from(response).await);
    }
    let body = zeroize::Zeroizing::new(read_body(&mut response, status.as_u16()).await?);
    let obtained_at = arrival_time();
    let parsed = parse_bearer_token(&body).map_err(|reason| FailedTry::Invalid {
        status: status.as_u16(),
        reason,
    })?;
    Token::from_response(&parsed, profile.scope.as_ref(), obtained_at).map_err(FailedTry::Token)
}

/// The body as a BearerToken, or what is wrong with it in words that name
/// fields but never echo a value: a success body holds (part of) a token.
pub(super) fn parse_bearer_token(body: &[u8]) -> Result<BearerToken, String> {
    use serde_json::error::Category;
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| match e.classify() {
        Category::Eof => "the body ends before its JSON does (truncated answer)".to_owned(),
        Category::Io => "the body could not be read".to_owned(),
        Category::Syntax | Category::Data => "the body is not JSON".to_owned(),
    })?;
    let Some(fields) = value.as_object() else {
        return Err("the JSON is not an object with access_token, expires_in, scope and token_type".into());
    };
    let check =
        |name: &str, ok: fn(&serde_json::Value) -> bool, want: &str, required: bool| match fields.get(name) {
            None if required => Err(format!("the field `{name}` is missing")),
            Some(v) if !ok(v) => Err(format!("the field `{name}` is not {want}")),
            _ => Ok(()),
        };
    check("access_token", serde_json::Value::is_string, "a string", true)?;
    check(
        "expires_in",
        serde_json::Value::is_u64,
        "a whole number of seconds",
        true,
    )?;
    check("token_type", serde_json::Value::is_string, "a string", true)?;
    check("scope", |v| v.is_string() || v.is_null(), "a string", false)?;
    serde_json::from_value(value).map_err(|_| "the JSON is not a BearerToken".to_owned())
}

pub(super) async fn error_from(mut response: reqwest::Response) -> FailedTry {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|secs| Duration::from_secs(secs.min(MAX_RETRY_AFTER_SECS)));
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("html"));
    if status.is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|v| sanitize(v, 200))
            .unwrap_or_else(|| "nowhere it says".to_owned());
        return FailedTry::Status {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_owned(),
            retry_after,
            body: ErrorBody::Redirect { location },
        };
    }
    let body = read_error_body(&mut response).await;
    FailedTry::Status {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        retry_after,
        body: parse_error_body(&body, is_html),
    }
}

fn parse_error_body(body: &[u8], is_html: bool) -> ErrorBody {
    if let Ok(iam) = serde_json::from_slice::<IamError>(body) {
        return ErrorBody::OAuth {
            error: sanitize(&iam.error, 80),
            description: iam
                .error_description
                .map(|d| sanitize(&d, 300))
                .filter(|d| !d.is_empty()),
        };
    }
    if let Ok(api) = serde_json::from_slice::<ApiError>(body) {
        return ErrorBody::Api {
            code: sanitize(&api.code, 80),
            message: sanitize(&api.message, 300),
        };
    }
    ErrorBody::Other {
        excerpt: excerpt(&String::from_utf8_lossy(body), is_html),
    }
}

/// Server text fit for a terminal: see `model::text::clean`.
fn sanitize(text: &str, max: usize) -> String {
    crate::model::text::clean(text, max)
}

/// The first 160 characters of readable text, tags dropped and spaces folded.
pub(super) fn excerpt(body: &str, is_html: bool) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' if is_html => in_tag = true,
            '>' if is_html && in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if in_tag => {}
            _ => text.push(c),
        }
    }
    sanitize(&text, 160)
}
