//! URLs that wktui sends a client secret or a token to, accepted only when
//! their text reads as the host they go to.
//!
//! The URL parser (WHATWG, the `url` crate that reqwest uses) forgives a
//! great deal: it reads `\` as `/`, drops tabs and line breaks, decodes
//! `%2e` in a host, reads `0x7f.1` and `2130706433` as `127.0.0.1`, maps
//! fullwidth letters to ASCII ones and other scripts to `xn--` names, and
//! adds a missing `//`. Each of these lets text that a person reads as one
//! host send the secret to another. So a URL is accepted only when its
//! text is already what the parser writes back, but for what no one reads
//! differently: ASCII capitals in the scheme and host (names are looked up
//! without case), the scheme's own port written out (`:443` for https),
//! and the `/` of an empty path. Everything wktui shows or exports comes
//! from the parsed URL, never from the text.

use std::fmt;

use super::text::{clean, is_clean};

/// A token or base URL that passed `CheckedUrl::parse`: https, or plain
/// http to this machine; written as it is read. Its text, origin and host
/// all come from the parsed URL. Boxed: a `Url` is some ninety bytes, and
/// every `Profile` (and `Effect` that carries one) holds one or two.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CheckedUrl(Box<url::Url>);

/// Why a URL was refused; the text names the URL as read (made safe to
/// show) and says what to write instead. The field is the caller's to name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("\"{0}\" holds control or invisible characters; type the URL again")]
    NotClean(String),
    #[error("\"{0}\" is not a valid URL ({1})")]
    Invalid(String, String),
    #[error("\"{0}\" has scheme {1}; use https")]
    Scheme(String, String),
    #[error(
        "the URL holds a user name or password (user:password@host); remove it: wktui sends only the profile's client id and secret"
    )]
    UserInfo,
    #[error("\"{written}\" is read as \"{read}\": {why}; write \"{read}\" if that is what you mean")]
    ReadOtherwise {
        written: String,
        read: String,
        why: &'static str,
    },
    #[error(
        "\"{0}\" holds a backslash, which URL parsers read as '/' in one place and keep in another; write '/' or %5C"
    )]
    Backslash(String),
    #[error("\"{0}\" has a host that ends with a dot; write \"{1}\"")]
    TrailingDot(String, String),
    #[error("\"{0}\" names the IPv4 address {1} in IPv6 form; write {1} instead")]
    MappedIpv4(String, std::net::Ipv4Addr),
    #[error("\"{0}\" has a #fragment, which is never sent; remove it")]
    Fragment(String),
    #[error(
        "\"{0}\" uses plain http to a host that is not this machine; use https (http is only allowed for 127.0.0.1, ::1 and localhost)"
    )]
    PlainHttp(String),
    #[error(
        "\"{0}\" has a query (?...); a base URL is a host, and maybe a path, that the token path is added to: remove the query"
    )]
    QueryInBase(String),
}

/// How much of a URL a message shows.
const SHOWN: usize = 200;

impl CheckedUrl {
    /// `text` (surrounding spaces aside) as a URL to send a client secret
    /// to, or why not.
    pub fn parse(text: &str) -> Result<CheckedUrl, UrlError> {
        let written = text.trim();
        let shown = || clean(written, SHOWN);
        if !is_clean(written) {
            return Err(UrlError::NotClean(shown()));
        }
        let url = url::Url::parse(written).map_err(|e| UrlError::Invalid(shown(), e.to_string()))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(UrlError::Scheme(shown(), url.scheme().to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::UserInfo);
        }
        if let Some(url::Host::Ipv6(ip)) = url.host()
            && let Some(v4) = ip.to_ipv4_mapped()
        {
            return Err(UrlError::MappedIpv4(shown(), v4));
        }
        if as_read_if_harmless(written).as_deref() != Some(url.as_str()) {
            return Err(UrlError::ReadOtherwise {
                written: shown(),
                read: clean(url.as_str(), SHOWN),
                why: why_read_otherwise(written, &url),
            });
        }
        if written.contains('\\') {
            return Err(UrlError::Backslash(shown()));
        }
        if url.fragment().is_some() {
            return Err(UrlError::Fragment(shown()));
        }
        if let Some(url::Host::Domain(name)) = url.host()
            && name.ends_with('.')
        {
            let mut meant = url.clone();
            let _ = meant.set_host(Some(name.trim_end_matches('.')));
            return Err(UrlError::TrailingDot(shown(), clean(meant.as_str(), SHOWN)));
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(UrlError::PlainHttp(shown()));
        }
        Ok(CheckedUrl(Box::new(url)))
    }

    /// `text` as a base URL: what `parse` accepts, without a query, since
    /// the region's paths are added to its end.
    pub fn parse_base(text: &str) -> Result<CheckedUrl, UrlError> {
        let url = CheckedUrl::parse(text)?;
        match url.0.query() {
            Some(_) => Err(UrlError::QueryInBase(clean(text.trim(), SHOWN))),
            None => Ok(url),
        }
    }

    /// The whole URL, as parsed.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `scheme://host[:port]`, the port only when it is not the scheme's own.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// `host[:port]` (IPv6 in brackets), the port only when it is not the
    /// scheme's own: what tells two URLs apart in a list.
    pub fn host_port(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        match self.0.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The URL without the `/` that ends its path, for paths to be added
    /// to (a base URL).
    pub fn without_final_slash(&self) -> &str {
        self.as_str().trim_end_matches('/')
    }
}

impl fmt::Display for CheckedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CheckedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CheckedUrl").field(&self.as_str()).finish()
    }
}

/// What the parser would write for `written` if `written` held nothing a
/// person could read otherwise: the scheme and authority in lower case, the
/// scheme's own port dropped, `/` for an empty path. `None` when the text
/// does not even have the `scheme://` a person looks for.
fn as_read_if_harmless(written: &str) -> Option<String> {
    let (scheme, rest) = written.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let scheme = scheme.to_ascii_lowercase();
    let mut authority = authority.to_ascii_lowercase();
    let own_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => "",
    };
    if !own_port.is_empty()
        && let Some(without) = authority.strip_suffix(own_port)
    {
        authority.truncate(without.len());
    }
    let tail = if tail.is_empty() { "/" } else { tail };
    Some(format!("{scheme}://{authority}{tail}"))
}

/// The likeliest reason the parser reads `written` as something else, in
/// the words a person needs to see the trick.
fn why_read_otherwise(written: &str, url: &url::Url) -> &'static str {
    if written.contains('\\') {
        return "a backslash is read as '/', which ends the host";
    }
    let authority = written
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(rest));
    let Some(authority) = authority.filter(|a| !a.is_empty()) else {
        return "the scheme must be followed by //, then the host";
    };
    let read_host = url.host_str().unwrap_or_default();
    if !authority.is_ascii() {
        return match read_host.contains("xn--") {
            true => "the host holds letters outside ASCII, which are looked up as the xn-- (IDNA) name shown",
            false => "letters outside ASCII in the host are read as the ASCII ones shown",
        };
    }
    if !written.is_ascii() {
        return "characters outside ASCII are read as the %-escapes shown";
    }
    if authority.contains('%') {
        return "percent-escapes in the host are decoded";
    }
    if authority.starts_with(['@', ':']) {
        return "an empty user name before '@' is dropped";
    }
    let written_host = authority.to_ascii_lowercase();
    let same_host = written_host
        .strip_prefix(read_host)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'));
    match same_host {
        false => "the host is written in a form that is read as another address",
        true => {
            "the URL is not written as it is read (a port with leading zeros, '.' or '..' in the path, or characters that must be %-escaped)"
        }
    }
}

/// A token URL must be https, or plain http only to this machine (a test or
/// demo server): bearer tokens and client secrets never cross a network in
/// clear. It must read as the host it goes to, and hold no user information
/// (`user:password@`), which would be sent as an extra credential
/// (`CheckedUrl::parse` says why each is refused).
pub fn check_token_url(url: &str) -> Result<(), String> {
    CheckedUrl::parse(url).map(drop).map_err(|e| e.to_string())
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match CheckedUrl::parse(text) {
            Ok(url) => panic!("{text:?} was accepted as {url}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn token_urls_must_be_https_unless_loopback() {
        for ok in [
            "http://127.0.0.1:8080/oauth2/token",
            "http://[::1]:1/t",
            "http://localhost/t",
            "https://x.example/t",
        ] {
            assert!(check_token_url(ok).is_ok(), "{ok}");
        }
        assert!(check_token_url("ftp://x/t").is_err());
        assert!(check_token_url("not a url").is_err());
        assert!(check_token_url("http://example.com/oauth2/token").is_err());
    }

    #[test]
    fn the_issues_example_is_refused_naming_where_it_would_go() {
        let said = refused(r"http://127.0.0.9:19555\@127.0.0.1:43201/oauth2/token");
        assert!(said.contains("backslash"), "{said}");
        assert!(
            said.contains("read as \"http://127.0.0.9:19555/@127.0.0.1:43201/oauth2/token\""),
            "{said}"
        );
        let said = refused(r"https://attacker.example\@api.app.wdesk.com/oauth2/token");
        assert!(
            said.contains("\"https://attacker.example/@api.app.wdesk.com/oauth2/token\""),
            "{said}"
        );
    }

    /// Each text a person could read as another host, and a word of why.
    #[test]
    fn every_class_of_misleading_text_is_refused() {
        let cases = [
            // Backslashes, anywhere.
            (r"https://a.example\@api.app.wdesk.com/t", "backslash"),
            (r"https://api.app.wdesk.com\.evil.example/t", "backslash"),
            (r"https:\\api.app.wdesk.com/t", "backslash"),
            (r"https://api.app.wdesk.com/oauth2\token", "backslash"),
            (r"https://api.app.wdesk.com/t?\x=1", "backslash"),
            // User information, empty or not.
            (
                "https://api.app.wdesk.com@evil.example/t",
                "user name or password",
            ),
            (
                "https://api.app.wdesk.com:443@evil.example/t",
                "user name or password",
            ),
            ("https://u:p@api.app.wdesk.com/t", "user name or password"),
            ("https://:@api.app.wdesk.com/t", "read as"),
            ("https://@api.app.wdesk.com/t", "empty user name"),
            ("https://api.app.wdesk.com%2540evil.example/t", "not a valid URL"),
            // Percent-escapes in the authority.
            ("https://api%2eapp.wdesk.com/t", "percent"),
            ("https://api.app.wdesk.com%2eevil.example/t", "percent"),
            ("http://127.0.0.1%3a8080/t", "not a valid URL"),
            ("https://%61pi.app.wdesk.com/t", "percent"),
            // Other spellings of an address.
            ("http://0x7f.1/t", "read as \"http://127.0.0.1/t\""),
            ("http://0x7f000001/t", "read as \"http://127.0.0.1/t\""),
            ("http://2130706433/t", "read as \"http://127.0.0.1/t\""),
            ("http://127.1/t", "read as \"http://127.0.0.1/t\""),
            ("http://0177.0.0.1/t", "read as \"http://127.0.0.1/t\""),
            ("http://127.0.0.1./t", "read as \"http://127.0.0.1/t\""),
            ("http://[0:0:0:0:0:0:0:1]/t", "read as \"http://[::1]/t\""),
            ("http://[::ffff:127.0.0.1]/t", "IPv4 address 127.0.0.1"),
            ("https://[::ffff:7f00:1]/t", "IPv4 address 127.0.0.1"),
            ("https://[::ffff:a00:1]/t", "IPv4 address 10.0.0.1"),
            ("http://[fe80::1%25lo]/t", "not a valid URL"),
            ("http://[fe80::1%lo]/t", "not a valid URL"),
            // Outside ASCII: look-alike letters, fullwidth forms, other dots.
            ("https://\u{430}pi.app.wdesk.com/t", "xn--"),
            ("https://api.app.wdesk.c\u{43e}m/t", "xn--"),
            ("https://\u{ff41}pi.app.wdesk.com/t", "outside ASCII"),
            ("https://api.app.wdesk.com\u{ff0e}evil.example/t", "outside ASCII"),
            ("https://api.app.wdesk.com\u{3002}evil.example/t", "outside ASCII"),
            ("https://api.app.wdesk.com\u{ff0f}@evil.example/t", "user name"),
            ("https://api.app.wdesk.com/t\u{e9}", "outside ASCII"),
            ("https://xn--80ak6aa92e.com/t\u{e9}", "outside ASCII"),
            // What the parser strips or adds.
            ("https://api.app.wdesk.com/o\tauth2/token", "control"),
            ("https://api.app.wdesk\n.com/t", "control"),
            ("https://api.app.wdesk.com/t\u{200b}", "control"),
            ("https://api.app.wdesk.com/t\u{202e}", "control"),
            ("https:api.app.wdesk.com/t", "//"),
            ("https:/api.app.wdesk.com/t", "//"),
            ("https:///api.app.wdesk.com/t", "//"),
            ("//api.app.wdesk.com/t", "not a valid URL"),
            ("api.app.wdesk.com/t", "not a valid URL"),
            // Paths and ports that are rewritten.
            ("https://api.app.wdesk.com/x/../oauth2/token", "'..'"),
            ("https://api.app.wdesk.com/%2e%2e/oauth2/token", "'..'"),
            ("https://api.app.wdesk.com/./t", "'..'"),
            ("https://api.app.wdesk.com/o auth", "%-escaped"),
            ("https://api.app.wdesk.com:0443/t", "leading zeros"),
            (
                "https://api.app.wdesk.com:/t",
                "read as \"https://api.app.wdesk.com/t\"",
            ),
            (
                "https://api.app.wdesk.com?x=1",
                "read as \"https://api.app.wdesk.com/?x=1\"",
            ),
            // Other refusals.
            (
                "https://api.app.wdesk.com./t",
                "write \"https://api.app.wdesk.com/t\"",
            ),
            ("http://localhost./t", "dot"),
            ("https://api.app.wdesk.com/t#x", "fragment"),
            ("http://example.com/t", "plain http"),
            ("http://127.0.0.1.nip.io/t", "plain http"),
            ("ftp://api.app.wdesk.com/t", "scheme ftp"),
            ("file:///etc/passwd", "scheme file"),
            ("javascript:alert(1)", "scheme javascript"),
            ("https://", "not a valid URL"),
            ("", "not a valid URL"),
        ];
        let mut wrong = Vec::new();
        for (text, why) in cases {
            match CheckedUrl::parse(text) {
                Ok(url) => wrong.push(format!("{text:?} was accepted as {url}")),
                Err(e) if !e.to_string().contains(why) => wrong.push(format!("{text:?}: {e}")),
                Err(e) => assert!(is_clean(&e.to_string()), "{text:?}: unsafe to show: {e}"),
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// The suggestion is itself accepted (or refused only for what the
    /// parser cannot fix: plain http, a mapped address), never refused for
    /// the same reason again.
    #[test]
    fn the_form_to_write_instead_is_accepted() {
        for text in [
            r"http://127.0.0.9:19555\@127.0.0.1:43201/oauth2/token",
            "http://0x7f.1:8080/t",
            "https://\u{430}pi.app.wdesk.com/t",
            "https://api.app.wdesk.com/x/../oauth2/token",
            "https:api.app.wdesk.com/t",
        ] {
            let Err(UrlError::ReadOtherwise { read, .. }) = CheckedUrl::parse(text) else {
                panic!("{text:?}");
            };
            let url = CheckedUrl::parse(&read).unwrap_or_else(|e| panic!("{read}: {e}"));
            assert_eq!(url.as_str(), read);
        }
    }

    /// What no one reads differently is accepted, and kept as parsed.
    #[test]
    fn harmless_spellings_are_kept_as_parsed() {
        for (text, kept, host) in [
            (
                "https://api.app.wdesk.com/oauth2/token",
                "https://api.app.wdesk.com/oauth2/token",
                "api.app.wdesk.com",
            ),
            (
                "  HTTPS://API.App.Wdesk.COM/oauth2/token ",
                "https://api.app.wdesk.com/oauth2/token",
                "api.app.wdesk.com",
            ),
            (
                "https://api.app.wdesk.com:443/oauth2/token",
                "https://api.app.wdesk.com/oauth2/token",
                "api.app.wdesk.com",
            ),
            (
                "https://api.app.wdesk.com",
                "https://api.app.wdesk.com/",
                "api.app.wdesk.com",
            ),
            ("http://127.0.0.1:80", "http://127.0.0.1/", "127.0.0.1"),
            (
                "http://127.0.0.1:8080/t?a=1",
                "http://127.0.0.1:8080/t?a=1",
                "127.0.0.1:8080",
            ),
            ("http://[::1]:9/t", "http://[::1]:9/t", "[::1]:9"),
            ("http://[::1]:443/t", "http://[::1]:443/t", "[::1]:443"),
            ("http://LOCALHOST:9/t", "http://localhost:9/t", "localhost:9"),
            (
                "https://xn--80ak6aa92e.com/t",
                "https://xn--80ak6aa92e.com/t",
                "xn--80ak6aa92e.com",
            ),
            (
                "https://h.example/a%2Fb/@x",
                "https://h.example/a%2Fb/@x",
                "h.example",
            ),
        ] {
            let url = CheckedUrl::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!((url.as_str(), url.host_port().as_str()), (kept, host), "{text:?}");
        }
    }

    #[test]
    fn the_origin_and_host_come_from_the_parsed_url() {
        let url = CheckedUrl::parse("https://tokens.example:8443/oauth2/token?x=1").expect("url");
        assert_eq!(url.origin(), "https://tokens.example:8443");
        assert_eq!(url.host_port(), "tokens.example:8443");
        let url = CheckedUrl::parse("https://Tokens.Example:443/a/").expect("url");
        assert_eq!(url.origin(), "https://tokens.example");
        assert_eq!(url.without_final_slash(), "https://tokens.example/a");
        assert_eq!(format!("{url:?}"), "CheckedUrl(\"https://tokens.example/a/\")");
    }

    #[test]
    fn a_base_url_has_no_query() {
        assert!(CheckedUrl::parse_base("https://proxy.example/prefix/").is_ok());
        let said = CheckedUrl::parse_base("https://proxy.example/?x=1")
            .expect_err("query")
            .to_string();
        assert!(said.contains("remove the query"), "{said}");
    }
}
