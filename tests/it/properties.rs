//! Property tests for the three parsers that read what comes from outside:
//! a token server's answer, a cache file and the config file. Whatever the
//! input: no panic; every rejection says which field (or that the input is
//! not JSON/TOML at all); nothing accepted carries a character that could
//! break a header or a terminal.

use std::path::Path;

use proptest::prelude::*;
use wktui::cache::decode_entry;
use wktui::config;
use wktui::fetcher::token_from_body;
use wktui::model::text::{check_b64token, is_clean};
use wktui::model::{CheckedUrl, Timestamp};

const NOW: Timestamp = Timestamp(1_800_000_000_000);

/// Strings drawn from a mix of plain text, token characters and the
/// characters attackers use.
fn nasty_string() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        "[A-Za-z0-9._~+/-]{0,12}",
        Just("\r\n".to_owned()),
        Just("\x1b]52;c;".to_owned()),
        Just("\u{9b}".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("=".to_owned()),
        Just(" ".to_owned()),
        Just("\"".to_owned()),
        "\\PC{0,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(pieces, 0..6).prop_map(|p| p.concat())
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        nasty_string().prop_map(serde_json::Value::from),
    ]
}

/// Token-response-shaped objects: the four fields, each sometimes missing,
/// sometimes of the wrong type, sometimes hostile; plus extra fields.
fn token_object() -> impl Strategy<Value = Vec<u8>> {
    let field = |name: &'static str| {
        prop_oneof![
            1 => Just(None),
            4 => json_value().prop_map(move |v| Some((name, v))),
            4 => nasty_string().prop_map(move |s| Some((name, serde_json::Value::from(s)))),
        ]
    };
    (
        field("access_token"),
        prop_oneof![
            Just(Some(("expires_in", serde_json::json!(600)))),
            field("expires_in")
        ],
        prop_oneof![
            Just(Some(("token_type", serde_json::json!("Bearer")))),
            field("token_type")
        ],
        field("scope"),
        prop::option::of((nasty_string(), json_value())),
    )
        .prop_map(|(a, b, c, d, extra)| {
            let mut map = serde_json::Map::new();
            for (name, value) in [a, b, c, d].into_iter().flatten() {
                map.insert(name.to_owned(), value);
            }
            if let Some((name, value)) = extra {
                map.insert(name, value);
            }
            serde_json::to_vec(&map).expect("json")
        })
}

#[track_caller]
fn assert_names_a_field(message: &str, fields: &[&str], whole: &[&str]) {
    assert!(
        fields.iter().any(|f| message.contains(f)) || whole.iter().any(|w| message.contains(w)),
        "the rejection names no field: {message}"
    );
}

const RESPONSE_FIELDS: [&str; 4] = ["access_token", "expires_in", "token_type", "scope"];
const NOT_A_RESPONSE: [&str; 5] = [
    "not JSON",
    "truncated",
    "not an object",
    "could not be read",
    "not a bearer token",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_as_a_token_response(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(message) = token_from_body(&bytes, None, NOW) {
            assert_names_a_field(&message, &RESPONSE_FIELDS, &NOT_A_RESPONSE);
        }
    }

    #[test]
    fn token_shaped_answers_are_either_clean_tokens_or_named_rejections(body in token_object()) {
        match token_from_body(&body, None, NOW) {
            Ok(token) => {
                prop_assert!(check_b64token(token.access_token.expose()).is_ok());
                prop_assert!(is_clean(&token.scopes.to_string()));
                prop_assert_eq!(token.token_type.as_str(), "Bearer");
            }
            Err(message) => {
                assert_names_a_field(&message, &RESPONSE_FIELDS, &NOT_A_RESPONSE);
                prop_assert!(is_clean(&message), "the message itself is clean: {:?}", message);
            }
        }
    }

    #[test]
    fn any_bytes_as_a_cache_entry(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_entry(&bytes, "fp", NOW);
    }

    #[test]
    fn entry_shaped_files_are_either_sound_or_refused(
        token in nasty_string(),
        token_type in prop_oneof![Just("Bearer".to_owned()), nasty_string()],
        scope in nasty_string(),
        expires_in in any::<u64>(),
        obtained_at_ms in any::<u64>(),
        fingerprint in prop_oneof![Just("fp".to_owned()), nasty_string()],
    ) {
        let bytes = serde_json::to_vec(&serde_json::json!({
            "version": 1, "fingerprint": fingerprint, "access_token": token,
            "token_type": token_type, "scope": scope, "scope_stated": true,
            "obtained_at_ms": obtained_at_ms, "expires_in": expires_in,
        })).expect("json");
        if let Ok(t) = decode_entry(&bytes, "fp", NOW) {
            prop_assert!(check_b64token(t.access_token.expose()).is_ok());
            prop_assert!(is_clean(&t.scopes.to_string()));
            prop_assert!(t.lifetime.as_secs() <= wktui::model::MAX_LIFETIME_SECS);
            prop_assert!(t.obtained_at <= NOW.plus(std::time::Duration::from_secs(300)));
        }
    }

    #[test]
    fn any_text_as_a_config_file(text in "\\PC{0,300}") {
        if let Err(e) = config::parse(&text, Path::new("c.toml")) {
            let message = e.to_string();
            prop_assert!(message.starts_with("c.toml:"), "no file and line: {}", message);
        }
    }

    #[test]
    fn profile_shaped_configs_name_the_line_and_field(
        name in nasty_string(),
        client_id in nasty_string(),
        token_url in prop_oneof![Just("https://api.example/t".to_owned()), nasty_string()],
        scope in nasty_string(),
        secret_command in nasty_string(),
    ) {
        let quote = |s: &str| serde_json::to_string(s).expect("json string");
        let text = format!(
            "[[profile]]\nname = {}\nclient_id = {}\ntoken_url = {}\nscope = {}\nsecret_command = {}\n",
            quote(&name), quote(&client_id), quote(&token_url), quote(&scope), quote(&secret_command)
        );
        // A broken profile is refused by `parse_whole` as by a command that needs it.
        match config::parse_whole(&text, Path::new("c.toml")) {
            Ok(cfg) => {
                let p = &cfg.profiles[0];
                prop_assert!(is_clean(&p.name) && is_clean(&p.client_id));
                prop_assert!(p.scope.as_ref().is_none_or(|s| is_clean(&s.to_string())));
                prop_assert!(is_clean(&p.token_url()));
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.starts_with("c.toml:"), "{}", message);
                let fields = ["name", "client_id", "token_url", "scope", "secret_command"];
                prop_assert!(
                    fields.iter().any(|f| message.contains(&format!("{f}:"))) || message.contains("invalid"),
                    "names no field: {}", message
                );
            }
        }
    }
}

/// URL-shaped text built from the pieces of every trick that makes text
/// read as one host and parse as another: backslashes, user information,
/// escapes in the host, other spellings of an address, letters outside
/// ASCII, a missing `//`, dot segments; plus one stray piece anywhere.
fn url_text() -> impl Strategy<Value = String> {
    let pick = |options: &'static [&'static str]| prop::sample::select(options).prop_map(str::to_owned);
    // Each part is harmless three times in four, so that many texts are
    // accepted and the property has something to say about them.
    let part = move |harmless: &'static [&'static str], tricks: &'static [&'static str]| prop_oneof![3 => pick(harmless), 1 => pick(tricks)];
    let scheme = part(&["https", "http", "HTTPS", "hTTp"], &["ftp", "", "javascript"]);
    let separator = part(&["://"], &[":/", ":", ":///", ":\\\\", ":/\\", "//"]);
    let userinfo = part(&[""], &["@", "u@", "u:p@", ":@", "api.app.wdesk.com@", "a\\@"]);
    let host = part(
        &[
            "api.app.wdesk.com",
            "API.App.wdesk.com",
            "127.0.0.1",
            "[::1]",
            "localhost",
            "xn--80ak6aa92e.com",
        ],
        &[
            "127.1",
            "0x7f.1",
            "2130706433",
            "0177.0.0.1",
            "127.0.0.1.",
            "[0:0::1]",
            "[::FFFF:127.0.0.1]",
            "[::ffff:7f00:1]",
            "[fe80::1%25lo]",
            "LOCALHOST.",
            "api%2eapp.wdesk.com",
            "%61pi.app.wdesk.com",
            "\u{430}pi.app.wdesk.com",
            "\u{ff41}pi.app.wdesk.com",
            "api.app.wdesk.com\u{3002}evil.example",
            "api.app.wdesk.com.",
            "evil.example\\",
        ],
    );
    let port = part(&["", ":443", ":80", ":8080"], &[":0443", ":", ":65536", ":8o"]);
    let path = part(
        &["", "/", "/oauth2/token", "/@api.app.wdesk.com/t", "/t?x=1"],
        &[
            "\\oauth2\\token",
            "/a/../t",
            "/%2e%2e/t",
            "/./t",
            "?x=1",
            "/t#f",
            "/t x",
            "/t\u{e9}",
        ],
    );
    let stray = prop::option::weighted(
        0.25,
        (
            pick(&[
                "\\", "@", "%2e", "%40", "\t", "\n", "\u{3002}", "\u{ff0e}", "/", ":", "#", " ", "\u{202e}",
            ]),
            any::<prop::sample::Index>(),
        ),
    );
    (scheme, separator, userinfo, host, port, path, stray).prop_map(|(s, sep, u, h, p, path, stray)| {
        let mut text = format!("{s}{sep}{u}{h}{p}{path}");
        if let Some((piece, at)) = stray {
            let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            text.insert_str(bounds[at.index(bounds.len())], &piece);
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Whatever is accepted reads as the host it goes to: the parser (which
    /// reqwest uses on the text) and a person reading the authority see the
    /// same host and port, and that is the host wktui shows. Whatever is
    /// refused is refused with a message fit for a terminal.
    #[test]
    fn an_accepted_url_goes_to_the_host_its_text_names(text in url_text()) {
        match CheckedUrl::parse(&text) {
            Ok(checked) => {
                let written = text.trim();
                let parsed = url::Url::parse(written).expect("accepted text parses");
                prop_assert_eq!(parsed.as_str(), checked.as_str(), "what is used is what is shown");
                prop_assert_eq!(CheckedUrl::parse(checked.as_str()), Ok(checked.clone()));
                let (scheme, rest) = written.split_once("://").expect("a person sees scheme://");
                let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest).to_ascii_lowercase();
                let own_port = if scheme.eq_ignore_ascii_case("https") { ":443" } else { ":80" };
                let shown = checked.host_port();
                prop_assert!(
                    authority == shown || authority == format!("{shown}{own_port}"),
                    "{:?} reads as {} but is shown as {}", text, authority, shown
                );
                prop_assert!(
                    shown.is_ascii() && !shown.contains(['%', '@', '\\']) && !shown.ends_with('.'),
                    "{}", shown
                );
                prop_assert!(!checked.as_str().contains('\\') && is_clean(checked.as_str()));
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(!message.is_empty() && is_clean(&message), "{:?}", message);
            }
        }
    }
}
