//! Just enough HTTP/1.1 for the token server, on raw streams, so that every
//! byte a fault sends (or does not send) is chosen here.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Cap on the request line plus headers.
const MAX_HEAD: usize = 64 * 1024;
/// Cap on a request body; token requests are a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// One parsed request. Header names are lower-cased, values trimmed.
#[derive(Debug)]
pub(super) struct Request {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// First value of a header; `name` must be lower-case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// Whether the client expects the connection to stay open afterwards.
    pub fn keep_alive(&self) -> bool {
        let has_token = |token: &str| {
            self.header("connection")
                .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        };
        if self.version == "HTTP/1.0" {
            has_token("keep-alive")
        } else {
            !has_token("close")
        }
    }
}

/// Why no request could be read; all but `Closed` get an answer before closing.
#[derive(Debug)]
pub(super) enum ReadError {
    /// The peer went away or the socket failed mid-request.
    Closed,
    Malformed(&'static str),
    HeadTooLarge,
    BodyTooLarge,
    LengthRequired,
}

impl ReadError {
    /// The answer to send before closing, if the peer can still read one.
    pub fn response(&self) -> Option<Response> {
        let (status, message) = match self {
            ReadError::Closed => return None,
            ReadError::Malformed(message) => (400, *message),
            ReadError::HeadTooLarge => (431, "request line and headers exceed 64 KiB"),
            ReadError::BodyTooLarge => (413, "request body exceeds 64 KiB"),
            ReadError::LengthRequired => (411, "chunked bodies are not supported; send Content-Length"),
        };
        let body = json!({"error": "invalid_request", "error_description": message});
        Some(Response::json(status, &body))
    }
}

/// Reads the next request; `Ok(None)` when the client closed between requests.
pub(super) async fn read_request<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> Result<Option<Request>, ReadError> {
    let mut budget = MAX_HEAD;
    // RFC 9112 §2.2: ignore empty lines before the request line.
    let request_line = loop {
        match read_line(reader, &mut budget).await? {
            None => return Ok(None),
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let (method, target, version) = parse_request_line(&request_line)?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget).await?.ok_or(ReadError::Closed)?;
        if line.is_empty() {
            break;
        }
        headers.push(parse_header(&line)?);
    }
    let mut request = Request {
        method,
        target,
        version,
        headers,
        body: Vec::new(),
    };
    request.body = read_body(reader, &request).await?;
    Ok(Some(request))
}

/// One CRLF (or bare LF) terminated line, charged against the head budget.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    budget: &mut usize,
) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX);
    let read = (&mut *reader)
        .take(limit)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|_| ReadError::Closed)?;
    *budget -= read;
    if line.last() != Some(&b'\n') {
        return match (read, *budget) {
            (_, 0) => Err(ReadError::HeadTooLarge),
            (0, _) => Ok(None),
            _ => Err(ReadError::Closed),
        };
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| ReadError::Malformed("request head is not UTF-8"))
}

fn parse_request_line(line: &str) -> Result<(String, String, String), ReadError> {
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), Some(version), None)
            if !method.is_empty() && target.starts_with('/') && version.starts_with("HTTP/1.") =>
        {
            Ok((method.to_string(), target.to_string(), version.to_string()))
        }
        _ => Err(ReadError::Malformed("malformed request line")),
    }
}

fn parse_header(line: &str) -> Result<(String, String), ReadError> {
    let (name, value) = line
        .split_once(':')
        .ok_or(ReadError::Malformed("header line without a colon"))?;
    if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
        return Err(ReadError::Malformed("malformed header name"));
    }
    Ok((name.to_ascii_lowercase(), value.trim().to_string()))
}

async fn read_body<R: AsyncBufRead + Unpin>(reader: &mut R, request: &Request) -> Result<Vec<u8>, ReadError> {
    if request.header("transfer-encoding").is_some() {
        return Err(ReadError::LengthRequired);
    }
    let length = content_length(request)?;
    if length > MAX_BODY {
        return Err(ReadError::BodyTooLarge);
    }
    let mut body = vec![0; length];
    reader
        .read_exact(&mut body)
        .await
        .map_err(|_| ReadError::Closed)?;
    Ok(body)
}

/// Disagreeing Content-Length headers are refused: that is how requests get smuggled.
fn content_length(request: &Request) -> Result<usize, ReadError> {
    let mut lengths = request
        .headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse::<usize>());
    let first = match lengths.next() {
        None => return Ok(0),
        Some(Ok(length)) => length,
        Some(Err(_)) => return Err(ReadError::Malformed("invalid Content-Length")),
    };
    if lengths.any(|other| other != Ok(first)) {
        return Err(ReadError::Malformed("conflicting Content-Length headers"));
    }
    Ok(first)
}

/// A complete answer; Content-Length and Connection are added when it is written.
#[derive(Clone, Debug)]
pub(super) struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// An answer with a body of the given type (no Content-Type when empty).
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let headers = if content_type.is_empty() {
            Vec::new()
        } else {
            vec![("Content-Type", content_type.to_string())]
        };
        Response {
            status,
            headers,
            body: body.into(),
        }
    }

    pub fn json(status: u16, body: &Value) -> Self {
        Response::new(status, "application/json", body.to_string())
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Status line and headers; `content_length` may lie, for the truncation fault.
    fn head(&self, content_length: usize, close: bool) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let _ = write!(head, "Content-Length: {content_length}\r\n");
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

/// Writes the whole answer in one go.
pub(super) async fn write_response<W: AsyncWrite + Unpin>(
    writer: &mut W,
    response: &Response,
    close: bool,
) -> std::io::Result<()> {
    let mut bytes = response.head(response.body.len(), close);
    bytes.extend_from_slice(&response.body);
    writer.write_all(&bytes).await?;
    writer.flush().await
}

/// Announces the full body but sends only its first half; the caller then closes.
pub(super) async fn write_truncated<W: AsyncWrite + Unpin>(
    writer: &mut W,
    response: &Response,
) -> std::io::Result<()> {
    let mut bytes = response.head(response.body.len(), true);
    bytes.extend_from_slice(&response.body[..response.body.len() / 2]);
    writer.write_all(&bytes).await?;
    writer.flush().await
}

/// An answer written piece by piece, for the faults that test a client's limits.
#[derive(Clone, Debug)]
pub enum Stream {
    /// Content-Length `bytes`, then that much filler (`{"access_token":"aaaa…`).
    Sized { status: u16, bytes: u64 },
    /// Chunked filler that never ends.
    Endless { status: u16 },
    /// The body one byte at a time, `every` apart.
    Trickle {
        status: u16,
        content_type: String,
        body: Vec<u8>,
        every: Duration,
    },
}

impl Stream {
    pub fn status(&self) -> u16 {
        match self {
            Stream::Sized { status, .. } | Stream::Endless { status } | Stream::Trickle { status, .. } => {
                *status
            }
        }
    }
}

/// Writes a streamed answer until it is complete or the client goes away
/// (a write fails); the caller then closes.
pub(super) async fn write_stream<W: AsyncWrite + Unpin>(
    writer: &mut W,
    stream: &Stream,
) -> std::io::Result<()> {
    const FILLER: &[u8] = &[b'a'; 16 * 1024];
    let head = |status: u16, extra: &str| {
        format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\n{extra}Connection: close\r\n\r\n",
            reason(status)
        )
    };
    match stream {
        Stream::Sized { status, bytes } => {
            writer
                .write_all(head(*status, &format!("Content-Length: {bytes}\r\n")).as_bytes())
                .await?;
            let mut left = *bytes;
            let opening = b"{\"access_token\":\"";
            writer
                .write_all(&opening[..opening.len().min(left as usize)])
                .await?;
            left = left.saturating_sub(opening.len() as u64);
            while left > 0 {
                let n = left.min(FILLER.len() as u64) as usize;
                writer.write_all(&FILLER[..n]).await?;
                left -= n as u64;
            }
        }
        Stream::Endless { status } => {
            writer
                .write_all(head(*status, "Transfer-Encoding: chunked\r\n").as_bytes())
                .await?;
            let mut chunk = format!("{:x}\r\n", FILLER.len()).into_bytes();
            chunk.extend_from_slice(FILLER);
            chunk.extend_from_slice(b"\r\n");
            loop {
                writer.write_all(&chunk).await?;
            }
        }
        Stream::Trickle {
            status,
            content_type,
            body,
            every,
        } => {
            let head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                reason(*status),
                body.len()
            );
            writer.write_all(head.as_bytes()).await?;
            writer.flush().await?;
            for byte in body {
                tokio::time::sleep(*every).await;
                writer.write_all(&[*byte]).await?;
                writer.flush().await?;
            }
        }
    }
    writer.flush().await
}

/// The standard reason phrase, also used to build error codes and pages.
pub(super) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}
