//! The checks that ask the network: name resolution, the proxy, TLS, the
//! token endpoint (without credentials) and the clock against its `Date`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::*;

/// DNS, then TLS, then the endpoint and the clock: each needs the one before.
pub(super) async fn network_checks(profile: Profile, settings: Settings, env: Env) -> Vec<Check> {
    let name = profile.name.clone();
    let p = Some(name.as_str());
    let url_text = profile.token_url();
    let url = match url::Url::parse(&url_text) {
        Ok(url) => url,
        Err(e) => {
            return vec![Check::new(
                "dns",
                p,
                Status::Fail,
                format!("{url_text} is not a URL: {e}"),
            )];
        }
    };
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let mut checks = Vec::new();
    if let Some(proxy) = proxy_for(&url, |v| env(v)) {
        let note = format!("requests to {host} go through the proxy {proxy}; the endpoint check covers it");
        checks.push(Check::new("dns", p, Status::Skip, &note));
        checks.push(Check::new("tls", p, Status::Skip, &note));
    } else {
        let addrs =
            match tokio::time::timeout(CHECK_TIMEOUT, tokio::net::lookup_host((host.as_str(), port))).await {
                Ok(Ok(addrs)) => addrs.collect::<Vec<_>>(),
                Ok(Err(e)) => {
                    checks.push(
                        Check::new("dns", p, Status::Fail, format!("{host} does not resolve: {e}"))
                            .fix("check the host name (region or token_url) and this machine's DNS"),
                    );
                    return checks;
                }
                Err(_) => {
                    checks.push(
                        Check::new(
                            "dns",
                            p,
                            Status::Fail,
                            format!("resolving {host} took more than {} s", CHECK_TIMEOUT.as_secs()),
                        )
                        .fix("check this machine's DNS"),
                    );
                    return checks;
                }
            };
        let Some(addr) = addrs.first().copied() else {
            checks.push(Check::new(
                "dns",
                p,
                Status::Fail,
                format!("{host} resolves to no address"),
            ));
            return checks;
        };
        checks.push(Check::new(
            "dns",
            p,
            Status::Pass,
            format!("{host} resolves to {}", addr.ip()),
        ));
        let ca = profile.ca_file.clone().or_else(|| settings.ca_file.clone());
        if url.scheme() == "https" {
            let tls = bounded(
                "tls",
                Some(name.clone()),
                tls_check(host.clone(), addr, ca.clone(), name.clone()),
            )
            .await;
            let failed = tls.status == Status::Fail;
            checks.push(tls);
            if failed {
                return checks;
            }
        } else {
            checks.push(Check::new(
                "tls",
                p,
                Status::Skip,
                "plain http to this machine (a local test server)",
            ));
        }
    }
    let ca = profile.ca_file.clone().or_else(|| settings.ca_file.clone());
    checks.extend(bounded_pair(&name, endpoint_check(profile, ca)).await);
    checks
}

pub(super) async fn bounded_pair(
    name: &str,
    work: impl std::future::Future<Output = Vec<Check>>,
) -> Vec<Check> {
    match tokio::time::timeout(CHECK_TIMEOUT, work).await {
        Ok(checks) => checks,
        Err(_) => vec![
            Check::new(
                "endpoint",
                Some(name),
                Status::Fail,
                format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
            )
            .fix("check the network path to the host (firewall, proxy)"),
        ],
    }
}

/// The proxy a request to `url` would go through, as reqwest reads the environment.
pub(super) fn proxy_for(url: &url::Url, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let var = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()));
    let proxy = match url.scheme() {
        "https" => var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
        _ => var(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]),
    }?;
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let no_proxy = var(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    let bypassed = no_proxy.split(',').map(str::trim).any(|rule| {
        let rule = rule.trim_start_matches('.').to_ascii_lowercase();
        rule == "*" || (!rule.is_empty() && (host == rule || host.ends_with(&format!(".{rule}"))))
    });
    (!bypassed).then(|| clean(&proxy, 200))
}

/// A TLS handshake with the trust store wktui uses: the OS verifier plus the
/// profile's (or the settings') extra CA file, through rustls with `ring`.
pub(super) async fn tls_check(
    host: String,
    addr: std::net::SocketAddr,
    ca_file: Option<PathBuf>,
    profile: String,
) -> Check {
    let p = Some(profile.as_str());
    let store = match &ca_file {
        Some(ca) => format!("the OS trust store and {}", ca.display()),
        None => "the OS trust store".to_owned(),
    };
    let outcome = blocking(move || handshake(&host, addr, ca_file.as_deref())).await;
    match outcome {
        Some(Ok(version)) => Check::new("tls", p, Status::Pass, format!("{version} handshake verified with {store}")),
        Some(Err(e)) => Check::new("tls", p, Status::Fail, format!("handshake failed with {store}: {e}")).fix(
            "if a proxy on your network inspects TLS, add its CA: ca_file = \"/path/to/ca.pem\" in the profile or in [settings]",
        ),
        None => Check::new("tls", p, Status::Fail, "the TLS check stopped unexpectedly"),
    }
}

pub(super) fn handshake(
    host: &str,
    addr: std::net::SocketAddr,
    ca_file: Option<&Path>,
) -> Result<String, String> {
    use rustls::pki_types::ServerName;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match ca_file {
        Some(path) => {
            // Loaded as a fetch loads it, so the two never judge it differently.
            let certs = crate::fetcher::ca_certificates(path).map_err(|e| e.to_string())?;
            rustls_platform_verifier::Verifier::new_with_extra_roots(certs, provider.clone())
        }
        None => rustls_platform_verifier::Verifier::new(provider.clone()),
    }
    .map_err(|e| format!("cannot load the trust store: {e}"))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).map_err(|e| format!("{host}: {e}"))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let mut tcp = std::net::TcpStream::connect_timeout(&addr, CHECK_TIMEOUT)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let _ = tcp.set_read_timeout(Some(CHECK_TIMEOUT));
    let _ = tcp.set_write_timeout(Some(CHECK_TIMEOUT));
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).map_err(|e| match e.get_ref() {
            Some(inner) => inner.to_string(),
            None => e.to_string(),
        })?;
    }
    Ok(match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_owned(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_owned(),
        Some(other) => format!("{other:?}"),
        None => "TLS".to_owned(),
    })
}

/// Asks the token endpoint for a token with no credentials at all: any
/// OAuth2 refusal means it is there and speaking; its `Date` header checks the clock.
pub(super) async fn endpoint_check(profile: Profile, ca_file: Option<PathBuf>) -> Vec<Check> {
    let name = profile.name.clone();
    let p = Some(name.as_str());
    let url = profile.token_url();
    let client = match crate::fetcher::client_for_url(&url, ca_file.as_deref()) {
        Ok(client) => client,
        Err(e) => return vec![Check::new("endpoint", p, Status::Fail, e.to_string())],
    };
    let mut request = client
        .post(&url)
        .timeout(CHECK_TIMEOUT)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("grant_type", "client_credentials")]);
    if let Some(version) = profile.api_version.version_header() {
        request = request.header("X-Version", version);
    }
    let sent_at = crate::clock::now();
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            return vec![
                Check::new("endpoint", p, Status::Fail, format!("{url}: {}", error_chain(&e)))
                    .fix("check that the host is reachable from here (network, firewall, proxy)"),
            ];
        }
    };
    let received_at = crate::clock::now();
    let status = response.status().as_u16();
    let date = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let endpoint = match status {
        400 | 401 => Check::new(
            "endpoint",
            p,
            Status::Pass,
            format!("{url} answers (HTTP {status} to a request without credentials, as expected)"),
        ),
        200..=299 => Check::new(
            "endpoint",
            p,
            Status::Pass,
            format!("{url} answers (HTTP {status})"),
        ),
        404 | 405 => Check::new(
            "endpoint",
            p,
            Status::Fail,
            format!("{url} answers HTTP {status}: there is no token endpoint at that path"),
        )
        .fix(format!(
            "check the profile's token_url or api_version (wktui profile show {name})"
        )),
        429 => Check::new(
            "endpoint",
            p,
            Status::Warn,
            format!("{url} answers HTTP 429: rate-limited right now"),
        )
        .fix("wait a little; wktui retries 429s on its own"),
        _ => Check::new(
            "endpoint",
            p,
            Status::Fail,
            format!("{url} answers HTTP {status}"),
        )
        .fix("the server or a proxy in between is failing; try again later"),
    };
    vec![
        endpoint,
        clock_check(&name, date.as_deref(), sent_at, received_at),
    ]
}

/// The local clock against the server's `Date` (whole seconds), allowing for
/// the time the request took.
pub fn clock_check(
    profile: &str,
    date: Option<&str>,
    sent_at: crate::model::Timestamp,
    received_at: crate::model::Timestamp,
) -> Check {
    let p = Some(profile);
    let Some(date) = date else {
        return Check::new(
            "clock",
            p,
            Status::Skip,
            "the server sent no Date header to compare with",
        );
    };
    let Ok(server) = chrono::DateTime::parse_from_rfc2822(date.trim()) else {
        return Check::new(
            "clock",
            p,
            Status::Skip,
            format!("the server's Date header is not a date: {date}"),
        );
    };
    let server_ms = server.timestamp_millis();
    let (lo, hi) = (
        sent_at.as_millis() as i64 - 1000,
        received_at.as_millis() as i64 + 1000,
    );
    let skew_ms = if server_ms < lo {
        server_ms - lo
    } else if server_ms > hi {
        server_ms - hi
    } else {
        0
    };
    let skew = Duration::from_millis(skew_ms.unsigned_abs());
    if skew <= MAX_CLOCK_SKEW {
        return Check::new(
            "clock",
            p,
            Status::Pass,
            "agrees with the server's Date within a minute",
        );
    }
    let direction = if skew_ms > 0 { "behind" } else { "ahead of" };
    Check::new(
        "clock",
        p,
        Status::Fail,
        format!(
            "this machine's clock is {} s {direction} the server's",
            skew.as_secs()
        ),
    )
    .fix("synchronise the clock (e.g. timedatectl set-ntp true)")
}

/// A client built as the fetcher builds its own: rustls with `ring`, the OS
/// verifier plus an extra CA file, no redirects.
/// An error and its causes, as one line (reqwest's own text is terse).
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
