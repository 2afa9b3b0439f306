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
use wktui::model::Timestamp;
use wktui::model::text::{check_b64token, is_clean};

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
        match config::parse(&text, Path::new("c.toml")) {
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
