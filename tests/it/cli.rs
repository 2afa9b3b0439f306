//! The real `wktui` binary against the crate's Workiva-format token server.

use std::time::Duration;

use crate::common::proxy::recording_proxy;
use crate::common::{CLIENT_ID, SECRET, Sandbox, server, server_with};
use clap::CommandFactory;
use serde_json::Value;
use wktui_test_support::{Fault, ServerConfig};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn token_is_fetched_once_then_served_from_cache() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &["--scope", "file:read file:write"]);

    let first = sb.run(&["token", "test"]).ok();
    let token = first.stdout.trim_end().to_owned();
    assert!(token.starts_with("wk."), "{token}");
    assert_eq!(srv.token_requests(), 1);

    let second = sb.run(&["token", "test"]).ok();
    assert_eq!(second.stdout.trim_end(), token, "the cached token is printed");
    assert_eq!(
        srv.token_requests(),
        1,
        "the second call did not reach the server"
    );

    let refreshed = sb.run(&["token", "test", "--refresh"]).ok();
    assert_ne!(refreshed.stdout.trim_end(), token);
    assert_eq!(srv.token_requests(), 2);

    let request = &srv.requests()[0];
    assert_eq!(request.path, "/oauth2/token");
    assert_eq!(request.header("x-version"), Some("2026-01-01"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.form_field("grant_type"), Some("client_credentials"));
    assert_eq!(request.form_field("scope"), Some("file:read file:write"));
    assert!(request.credentials.secret_matched);
    sb.assert_no_secret_in_files(&[]);
}

#[test]
fn min_ttl_refetches_a_token_with_too_little_left() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    sb.run(&["token", "test"]).ok();
    sb.run(&["token", "test", "--min-ttl", "300"]).ok();
    assert_eq!(srv.token_requests(), 1, "600 s left is more than 300");
    std::thread::sleep(Duration::from_millis(1100));
    sb.run(&["token", "test", "--min-ttl", "599"]).ok();
    assert_eq!(srv.token_requests(), 2, "less than 599 s left a second later");
}

#[test]
fn min_ttl_is_a_contract_that_a_short_lived_token_cannot_meet() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    let run = sb.run(&["token", "test", "--min-ttl", "700"]).fails_with(1);
    assert!(run.stdout.is_empty(), "no token printed: {}", run.stdout);
    run.says(&["live 600 s", "less than the 700 s asked for"]);
    assert_eq!(srv.token_requests(), 1);
    // The server has said what it gives: asking it again changes nothing.
    sb.run(&["token", "test", "--min-ttl", "700"]).fails_with(1);
    sb.run(&["token", "test", "--min-ttl", "900"]).fails_with(1);
    assert_eq!(srv.token_requests(), 1, "no fetch on every call");
    // What it can meet is served from the cache.
    sb.run(&["token", "test", "--min-ttl", "500"]).ok();
    assert_eq!(srv.token_requests(), 1);
}

#[test]
fn without_min_ttl_a_server_of_short_tokens_is_not_asked_on_every_call() {
    let sb = Sandbox::new();
    let srv = server_with(ServerConfig {
        token_lifetime_secs: 30,
        ..Default::default()
    });
    sb.add_profile("test", &srv.token_url(), &[]);
    // Tokens of 30 s are inside the 60 s margin from the start: half their
    // lifetime is the margin for them.
    for _ in 0..3 {
        sb.run(&["token", "test"]).ok();
    }
    assert_eq!(srv.token_requests(), 1);
}

#[test]
fn output_formats() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &["--scope", "file:read"]);
    let bare = sb.run(&["token", "test", "--format", "bare"]).ok().stdout;
    let token = bare.trim_end();
    assert_eq!(bare, format!("{token}\n"));

    let header = sb.run(&["token", "test", "--format", "header"]).ok().stdout;
    assert_eq!(header, format!("Authorization: Bearer {token}\n"));

    let v = json(&sb.run(&["token", "test", "--format", "json"]).ok().stdout);
    assert_eq!(v["access_token"], token);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], "file:read");
    let left = v["expires_in"].as_i64().expect("expires_in");
    assert!((590..=600).contains(&left), "{left}");
    let expires_at = v["expires_at"].as_str().expect("expires_at");
    assert!(
        expires_at.ends_with('Z') && expires_at.len() == 20,
        "{expires_at}"
    );
}

#[test]
fn list_reports_each_profile_state() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("alpha", &srv.token_url(), &[]);
    sb.add_profile("beta", &srv.legacy_token_url(), &["--api-version", "2022-01-01"]);
    sb.run(&["token", "alpha"]).ok();

    let v = json(&sb.run(&["list", "--format", "json"]).ok().stdout);
    let items = v.as_array().expect("array");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "alpha");
    assert_eq!(items[0]["state"], "valid");
    assert_eq!(items[0]["token_type"], "Bearer");
    assert_eq!(items[0]["client_id"], CLIENT_ID);
    assert!(items[0]["seconds_left"].as_i64().expect("seconds") > 590);
    assert_eq!(items[1]["name"], "beta");
    assert_eq!(items[1]["state"], "none");
    assert!(items[1]["expires_at"].is_null());

    let table = sb.run(&["list", "--format", "table"]).ok().stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("NAME ") && lines[0].ends_with("STATE"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("alpha ") && lines[1].ends_with("valid"),
        "{table}"
    );
    assert!(
        lines[2].starts_with("beta ") && lines[2].ends_with("none"),
        "{table}"
    );

    // Piped output without --format is plain: tab-separated, no header.
    let plain = sb.run(&["list"]).ok().stdout;
    assert!(plain.starts_with("alpha\t"), "{plain}");
    assert_eq!(plain.lines().count(), 2);
}

#[test]
fn legacy_api_version_uses_the_old_path_without_x_version() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("old", &srv.legacy_token_url(), &["--api-version", "2022-01-01"]);
    sb.run(&["token", "old"]).ok();
    let request = &srv.requests()[0];
    assert_eq!(request.path, "/iam/v1/oauth2/token");
    assert_eq!(request.header("x-version"), None);
}

#[test]
fn basic_client_auth_encodes_a_secret_with_colons() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("basic", &srv.token_url(), &["--client-auth", "basic"]);
    sb.run(&["token", "basic"]).ok();
    let request = &srv.requests()[0];
    assert_eq!(
        request.credentials.via,
        wktui_test_support::CredentialSource::Basic
    );
    assert!(request.credentials.secret_matched);
    assert_eq!(
        request.form_field("client_id"),
        None,
        "no credentials in the body"
    );
}

#[test]
fn bad_credentials_exit_1_with_the_servers_words() {
    let mut sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    sb.env.retain(|(k, _)| k != crate::common::SECRET_VAR);
    sb.env
        .push((crate::common::SECRET_VAR.into(), "wk_secret:wrong:value".into()));
    sb.secrets.push("wk_secret:wrong:value".into());
    let run = sb.run(&["token", "test"]).fails_with(1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("invalid_client: Client authentication failed (HTTP 401)"),
        "{}",
        run.stderr
    );
    run.says(&["hint:"]);
    assert_eq!(srv.token_requests(), 1, "401 is never retried");
}

#[test]
fn rate_limit_429_is_retried_after_retry_after() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    srv.push_fault(Fault::TooManyRequests { retry_after: Some(1) });
    let run = sb.run(&["token", "test"]).ok();
    assert!(run.stdout.starts_with("wk."));
    let requests = srv.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].status, Some(429));
    let waited = requests[1].at.duration_since(requests[0].at);
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After: 1 was honoured ({waited:?})"
    );
}

#[test]
fn server_errors_503_are_retried_then_reported() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    srv.push_fault(Fault::IamError {
        status: 503,
        error: "temporarily_unavailable".into(),
        description: "try later".into(),
    });
    sb.run(&["token", "test"]).ok();
    assert_eq!(srv.token_requests(), 2);

    for _ in 0..3 {
        srv.push_fault(Fault::Html { status: 502 });
    }
    let run = sb.run(&["token", "test", "--refresh"]).fails_with(1);
    run.says(&["HTTP 502 Bad Gateway"]);
    run.says(&["after 3 tries"]);
    assert_eq!(srv.token_requests(), 5, "three tries in all");
}

#[test]
fn broken_answers_are_described_not_parsed_blindly() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    srv.push_fault(Fault::Malformed);
    let run = sb.run(&["token", "test"]).fails_with(1);
    run.says(&["not with a token: the body is not JSON"]);

    for _ in 0..3 {
        srv.push_fault(Fault::Truncated);
    }
    let run = sb.run(&["token", "test"]).fails_with(1);
    run.says(&["closed before the whole answer arrived"]);
    assert!(!run.stderr.contains("EOF while parsing"), "{}", run.stderr);

    for _ in 0..3 {
        srv.push_fault(Fault::Close);
    }
    let run = sb.run(&["token", "test"]).fails_with(1);
    run.says(&["cannot reach", "after 3 tries"]);
}

#[test]
fn a_slow_server_times_out_with_a_clear_message() {
    let sb = Sandbox::new();
    sb.write_config("[settings]\nfetch_timeout = 1\n");
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    srv.set_latency(Duration::from_secs(5));
    let run = sb.run(&["token", "test"]).fails_with(1);
    run.says(&["no answer from", "within 1 s"]);
}

#[test]
fn missing_scope_in_the_answer_takes_the_requested_one() {
    let sb = Sandbox::new();
    let srv = server_with(ServerConfig {
        omit_scope: true,
        ..ServerConfig::default()
    });
    sb.add_profile("test", &srv.token_url(), &["--scope", "file:read"]);
    let v = json(&sb.run(&["token", "test", "--format", "json"]).ok().stdout);
    assert_eq!(v["scope"], "file:read");
}

#[test]
fn a_non_bearer_token_type_is_an_error() {
    let sb = Sandbox::new();
    let srv = server_with(ServerConfig {
        token_type: "mac".into(),
        ..ServerConfig::default()
    });
    sb.add_profile("test", &srv.token_url(), &[]);
    let run = sb.run(&["token", "test"]).fails_with(1);
    run.says(&["type \"mac\", not a bearer token"]);
}

#[test]
fn refresh_runs_profiles_concurrently_and_reports_each() {
    let sb = Sandbox::new();
    let srv = server();
    for name in ["a", "b", "c"] {
        sb.add_profile(name, &srv.token_url(), &[]);
    }
    srv.set_latency(Duration::from_millis(300));
    let run = sb.run(&["refresh", "--all"]).ok();
    for name in ["a", "b", "c"] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(name) && l.contains("refreshed")),
            "{}",
            run.stdout
        );
    }
    let requests = srv.requests();
    assert_eq!(requests.len(), 3);
    // Concurrent: all three were in flight before the first answer came back.
    let spread = requests[2].at.duration_since(requests[0].at);
    assert!(
        spread < Duration::from_millis(300),
        "requests were sent one after another ({spread:?})"
    );

    // Without names, only what needs it: nothing now.
    let run = sb.run(&["refresh"]).ok();
    assert!(run.stdout.contains("nothing to refresh"), "{}", run.stdout);
    assert_eq!(srv.token_requests(), 3);

    let run = sb.run(&["refresh", "a", "nope"]).fails_with(2);
    run.says(&["no profile named \"nope\""]);
}

#[test]
fn refresh_failure_of_one_profile_exits_1_and_keeps_the_others() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("good", &srv.token_url(), &[]);
    sb.run(&[
        "profile",
        "add",
        "bad",
        "--client-id",
        "unknown",
        "--token-url",
        &srv.token_url(),
        "--secret-env",
        crate::common::SECRET_VAR,
    ])
    .ok();
    let run = sb.run(&["refresh", "--all"]).fails_with(1);
    assert!(
        run.stdout.contains("good") && run.stdout.contains("refreshed"),
        "{}",
        run.stdout
    );
    run.says(&["bad: invalid_client"]);
    let v = json(&sb.run(&["list", "--format", "json"]).ok().stdout);
    // Listed by name: bad, good.
    assert_eq!(v[0]["state"], "none");
    assert_eq!(v[1]["state"], "valid");
}

#[test]
fn concurrent_processes_share_one_fetch() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    srv.set_latency(Duration::from_millis(300));
    let children: Vec<_> = (0..4)
        .map(|_| {
            sb.command(&["token", "test"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let tokens: Vec<String> = children
        .into_iter()
        .map(|c| sb.checked(c.wait_with_output().expect("wait")).ok().stdout)
        .collect();
    assert!(tokens.iter().all(|t| t == &tokens[0]), "{tokens:?}");
    assert_eq!(
        srv.token_requests(),
        1,
        "one process fetched, the others waited and reused it"
    );
}

#[test]
fn profile_remove_forgets_the_cached_token() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    sb.run(&["token", "test"]).ok();
    assert!(sb.cache_dir().join("test.json").exists());
    let run = sb.run(&["profile", "remove", "test", "--yes"]).ok();
    assert!(run.stdout.contains("Removed profile test"), "{}", run.stdout);
    assert!(!sb.cache_dir().join("test.json").exists());
    let run = sb.run(&["token", "test"]).fails_with(2);
    run.says(&["no profile named \"test\""]);
}

#[test]
fn bad_usage_and_bad_config_exit_2_with_file_and_line() {
    let sb = Sandbox::new();
    sb.write_config("[[profile]]\nname = \"x\"\nregion = \"moon\"\nclient_id = \"a\"\n");
    let path = sb.config_path();
    let place = format!("{}:3:10: region: \"moon\" is not a valid region", path.display());
    // The profile is broken, not the file: `list` shows it, `token` refuses it.
    let run = sb.run(&["list"]).ok();
    run.says(&[&place]);
    assert!(run.stdout.contains("broken (line 3: region)"), "{}", run.stdout);
    sb.run(&["token", "x"]).fails_with(2).says(&[&place]);
    let before = std::fs::read_to_string(&path).expect("read");
    sb.run(&["profile", "add", "y", "--client-id", "b", "--secret-env", "V"])
        .fails_with(2);
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        before,
        "a broken config is never overwritten"
    );

    let sb = Sandbox::new();
    sb.run(&["token"]).fails_with(2);
    sb.run(&["profile", "add", "x", "--client-id", "a", "--region", "moon"])
        .fails_with(2);
    let run = sb
        .run(&[
            "profile",
            "add",
            "x",
            "--client-id",
            "a",
            "--token-url",
            "http://example.com/t",
            "--secret-env",
            "V",
        ])
        .fails_with(2);
    run.says(&["plain http"]);
    let run = sb
        .run(&[
            "profile",
            "add",
            "bad name",
            "--client-id",
            "a",
            "--secret-env",
            "V",
        ])
        .fails_with(2);
    run.says(&["profile name"]);
}

#[test]
fn config_flag_and_env_choose_the_file() {
    let sb = Sandbox::new();
    let alt = sb.path().join("alt.toml");
    let alt_str = alt.to_str().expect("utf-8 path");
    sb.run(&[
        "--config",
        alt_str,
        "profile",
        "add",
        "p",
        "--client-id",
        "a",
        "--secret-env",
        "V",
    ])
    .ok();
    assert!(alt.exists());
    assert!(!sb.config_path().exists());
    let mut sb2 = Sandbox::new();
    sb2.env.push(("WKTUI_CONFIG".into(), alt_str.into()));
    let listed = sb2.run(&["profile", "list", "--format", "json"]).ok().stdout;
    assert_eq!(json(&listed)[0]["name"], "p");
}

#[test]
fn secret_from_a_command() {
    let sb = Sandbox::new();
    let srv = server();
    let cmd = format!("printenv {}", crate::common::SECRET_VAR);
    sb.add_command_profile("cmd", &srv.token_url(), &cmd);
    sb.run(&["token", "cmd"]).ok();
    assert!(srv.requests()[0].credentials.secret_matched);
    let config = std::fs::read_to_string(sb.config_path()).expect("config");
    assert!(config.contains("secret_command") && !config.contains(SECRET));
}

#[test]
fn keyring_unreachable_says_so_and_names_the_alternatives() {
    let sb = Sandbox::new();
    let run = sb
        .run_with_stdin(
            &["profile", "add", "k", "--client-id", "a"],
            &format!("{SECRET}\n"),
        )
        .fails_with(1);
    run.says(&["no OS keyring is reachable"]);
    run.says(&["--secret-env", "--secret-command"]);
    assert!(!sb.config_path().exists(), "no profile without its secret");
}

#[test]
fn verify_asks_the_api_and_exits_by_its_verdict() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("test", &srv.token_url(), &[]);
    let run = sb.run(&["verify", "test"]).ok();
    assert!(run.stdout.contains("test: accepted"), "{}", run.stdout);
    let check = srv
        .requests()
        .into_iter()
        .find(|r| r.path == "/permissions")
        .expect("GET /permissions");
    assert_eq!(check.method, "GET");
    assert_eq!(check.header("x-version"), Some("2026-01-01"));
    assert_eq!(check.header("authorization"), Some("Bearer [redacted]"));

    // 403: genuine, but its scopes do not cover /permissions: it stays cached.
    srv.push_permissions_fault(Fault::Status {
        status: 403,
        content_type: "application/json".into(),
        body: r#"{"code":"403Forbidden","message":"missing scope"}"#.into(),
        retry_after: None,
    });
    let run = sb.run(&["verify", "test"]).fails_with(1);
    run.says(&["HTTP 403", "file:read", "stays cached"]);
    let first = sb.run(&["token", "test"]).ok().stdout;
    assert_eq!(srv.token_requests(), 1, "a forbidden token is still handed out");

    srv.revoke_tokens();
    let run = sb.run(&["verify", "test"]).fails_with(1);
    run.says(&[
        "the token was refused",
        "dropped from the cache",
        "wktui token test",
    ]);
    // A refused token is never handed out again: the next call fetches anew.
    let second = sb.run(&["token", "test"]).ok().stdout;
    assert_eq!(srv.token_requests(), 2);
    assert_ne!(first, second);
    sb.run(&["verify", "test"]).ok();
}

#[test]
fn plain_http_never_goes_through_a_proxy_and_https_does() {
    let mut sb = Sandbox::new();
    let srv = server();
    let (proxy_url, proxied) = recording_proxy();
    sb.add_profile("test", &srv.token_url(), &[]);
    sb.add_profile("tls", "https://127.0.0.1:9/oauth2/token", &[]);
    sb.env.retain(|(k, _)| k != "NO_PROXY");
    for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"] {
        sb.env.push((var.into(), proxy_url.clone()));
    }
    sb.env.push(("NO_PROXY".into(), "".into()));
    // The form holds the client secret in clear text: it goes straight to
    // this machine's server, never to the proxy, not even once.
    sb.run(&["token", "test"]).ok();
    assert_eq!(srv.token_requests(), 1);
    assert!(proxied.lock().expect("log").is_empty(), "{:?}", proxied.lock());
    // https goes through the proxy as a tunnel (which sees only CONNECT).
    let run = sb.run(&["token", "tls"]).fails_with(1);
    assert!(!run.stderr.is_empty());
    let lines = proxied.lock().expect("log").clone();
    assert_eq!(
        lines.first().map(String::as_str),
        Some("CONNECT 127.0.0.1:9 HTTP/1.1"),
        "{lines:?}"
    );
}

#[test]
fn redirects_are_not_followed_with_the_secret() {
    use std::io::{BufRead, BufReader, Write};
    let sb = Sandbox::new();
    let srv = server();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let redirector = format!("http://{}/oauth2/token", listener.local_addr().expect("addr"));
    let target = srv.token_url();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let answer = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = (&stream).write_all(answer.as_bytes());
        }
    });
    sb.add_profile("test", &redirector, &[]);
    let run = sb.run(&["token", "test"]).fails_with(1);
    assert!(
        run.stderr
            .contains(&format!("redirects (HTTP 307) to {}", srv.token_url())),
        "{}",
        run.stderr
    );
    assert_eq!(srv.token_requests(), 0, "the secret did not follow the redirect");
}

// --- issue 11: rough edges a new user hit ---

#[test]
fn a_typo_never_suggests_an_internal_command() {
    let sb = Sandbox::new();
    let run = sb.run(&["tokn", "prod"]).fails_with(2);
    run.says(&["'token'"]);
    assert!(!run.stderr.contains("__"), "{}", run.stderr);
    let run = sb.run(&["__clipboard-serv"]).fails_with(2);
    assert!(!run.stderr.contains("__clipboard-serve"), "{}", run.stderr);
    // The test token server left the product (issue 17): no command of that name.
    let run = sb.run(&["__token-server", "server.toml"]).fails_with(2);
    assert!(run.stderr.contains("unrecognized subcommand"), "{}", run.stderr);
    // Nothing left to suggest: no tip at all rather than an empty one.
    let run = sb.run(&["__clip"]).fails_with(2);
    assert!(!run.stderr.contains("tip:"), "{}", run.stderr);
}

#[test]
fn an_explicit_config_that_does_not_exist_is_an_error_except_for_profile_add() {
    let sb = Sandbox::new();
    let missing = sb.path().join("nonexist.toml");
    let missing = missing.to_str().expect("utf-8 path");
    for args in [
        vec!["--config", missing, "list"],
        vec!["--config", missing, "token", "prod"],
        vec!["--config", missing, "profile", "list"],
        vec!["list", "--config", missing],
        vec!["--config", missing], // the interface: no welcome screen for a typo
    ] {
        let run = sb.run(&args).fails_with(2);
        run.says(&["nonexist.toml", "(from --config) does not exist", "profile add"]);
        assert_eq!(run.stdout, "", "{args:?}");
    }
    let mut from_env = Sandbox::new();
    from_env.env.push(("WKTUI_CONFIG".into(), missing.into()));
    from_env
        .run(&["list"])
        .fails_with(2)
        .says(&["(from WKTUI_CONFIG) does not exist"]);

    // profile add creates it, and says so.
    let srv = server();
    let run = sb
        .run(&[
            "--config",
            missing,
            "profile",
            "add",
            "prod",
            "--client-id",
            CLIENT_ID,
            "--token-url",
            &srv.token_url(),
            "--secret-env",
            crate::common::SECRET_VAR,
        ])
        .ok();
    run.says(&["created the config file", "nonexist.toml"]);
    assert!(std::path::Path::new(missing).exists());
    sb.run(&["--config", missing, "list"]).ok();

    // The default path may be missing: that is a first run, not a typo.
    let fresh = Sandbox::new();
    fresh.run(&["list", "--format", "table"]).ok();
}

#[test]
fn list_and_refresh_write_time_left_as_durations_and_list_by_name() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("zeta", &srv.token_url(), &[]);
    sb.add_profile("alpha", &srv.token_url(), &[]);
    let refreshed = sb.run(&["refresh", "--all"]).ok().stdout;
    let lines: Vec<&str> = refreshed.lines().collect();
    assert!(
        lines[0].starts_with("alpha") && lines[1].starts_with("zeta"),
        "{refreshed}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.contains("(in 9m 5") || l.contains("(in 10m)")),
        "{refreshed}"
    );

    let table = sb.run(&["list", "--format", "table"]).ok().stdout;
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert!(
        rows[0].starts_with("alpha ") && rows[1].starts_with("zeta "),
        "{table}"
    );
    assert!(
        rows.iter().all(|r| r.contains(" 9m 5") || r.contains(" 10m ")),
        "{table}"
    );
    assert!(!table.contains("09:5"), "no clock-like durations: {table}");
    // The host of a custom token URL, not the whole URL.
    let host = srv.token_url().split('/').nth(2).expect("host").to_owned();
    assert!(rows[0].contains(&format!(" {host} ")), "{table}");
    assert!(!table.contains("/oauth2/token"), "{table}");

    // Scripts get plain seconds, in the same order.
    let plain = sb.run(&["list", "--format", "plain"]).ok().stdout;
    let fields: Vec<Vec<&str>> = plain.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!((fields[0][0], fields[1][0]), ("alpha", "zeta"));
    let left: i64 = fields[0][6]
        .parse()
        .unwrap_or_else(|_| panic!("seconds: {plain}"));
    assert!((590..=600).contains(&left), "{plain}");
    let v = json(&sb.run(&["list", "--format", "json"]).ok().stdout);
    assert_eq!(
        (v[0]["name"].as_str(), v[1]["name"].as_str()),
        (Some("alpha"), Some("zeta"))
    );
}

#[test]
fn a_base_url_as_token_url_is_refused_at_add_and_edit_unless_forced() {
    let sb = Sandbox::new();
    let srv = server();
    let base = srv.token_url().replace("/oauth2/token", "");
    let add = |name: &str, url: &str, extra: &[&str]| {
        let mut args = vec![
            "profile",
            "add",
            name,
            "--client-id",
            CLIENT_ID,
            "--token-url",
            url,
            "--secret-env",
            crate::common::SECRET_VAR,
        ];
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    // Refused, naming the URL probably meant; nothing saved.
    let refused = add("base", &base, &[]).fails_with(2);
    refused.says(&["--token-url", "has no path", &srv.token_url(), "--force"]);
    refused.says(&[&format!("hint: --token-url {}", srv.token_url())]);
    assert!(!sb.config_path().exists(), "nothing saved");
    add("base", &format!("{base}/"), &[])
        .fails_with(2)
        .says(&["has no path"]);
    // The whole URL is taken without a word.
    let run = add("whole", &srv.token_url(), &[]).ok();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    sb.run(&["profile", "edit", "whole", "--token-url", &base])
        .fails_with(2)
        .says(&["has no path", &srv.token_url(), "--force"]);
    assert!(
        sb.run(&["token", "whole"]).ok().stdout.starts_with("wk."),
        "edit changed nothing"
    );
    // --force keeps it, with a warning; --force without --token-url is a usage error.
    add("base", &base, &["--force"])
        .ok()
        .says(&["warning", "has no path", "--force"]);
    sb.run(&["profile", "edit", "whole", "--token-url", &base, "--force"])
        .ok();
    sb.run(&["profile", "edit", "whole", "--force"]).fails_with(2);
    // A config file that already holds one still loads: the other profiles work.
    sb.add_profile("good", &srv.token_url(), &[]);
    assert!(sb.run(&["token", "good"]).ok().stdout.starts_with("wk."));
    sb.run(&["list"]).ok();
}

#[test]
fn help_is_tidy_and_demo_help_offers_no_config() {
    let sb = Sandbox::new();
    let help = sb.run(&["--help"]).ok().stdout;
    let example: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Example"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(example.len(), 3, "{help}");
    assert!(
        example[1].starts_with("  wktui token prod --format header |"),
        "{help}"
    );
    assert!(
        example[2].starts_with("    curl -H @- "),
        "the pipe's second command, indented under the first: {help}"
    );
    let demo = sb.run(&["demo", "--help"]).ok().stdout;
    assert!(!demo.contains("--config"), "{demo}");
    assert!(sb.run(&["list", "--help"]).ok().stdout.contains("--config"));
}

/// A command line is readable by every local user (`ps`), so no example in
/// `--help` or the man page puts a secret or a token in one: not the serve
/// secret in curl's `-u`, not a token substituted into curl's `-H`.
#[test]
fn no_help_text_puts_a_secret_or_a_token_on_a_command_line() {
    let sb = Sandbox::new();
    let mut texts = vec![("man".to_owned(), sb.run(&["man"]).ok().stdout)];
    for path in commands(&wktui::cli::Cli::command(), &[]) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        texts.push((args.join(" "), sb.run(&args).ok().stdout));
    }
    let found: Vec<String> = texts
        .iter()
        .flat_map(|(name, text)| secrets_on_curls_command_line(name, text))
        .collect();
    assert!(found.is_empty(), "secrets or tokens in argv: {found:#?}");
    let serve = &texts
        .iter()
        .find(|(n, _)| n == "serve --help")
        .expect("serve help")
        .1;
    assert!(serve.contains("curl -K -"), "{serve}");
    assert!(
        serve.contains("~/.cache/wktui/tokens"),
        "the fallback path: {serve}"
    );
}

/// The lines of `text` where curl is given a secret or a token in its argv:
/// the serve or client secret expanded into an argument, a token substituted
/// into `-H`, credentials in `-u`. Lines continued with `\` count as one.
fn secrets_on_curls_command_line(name: &str, text: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines().filter(|l| l.contains("curl")) {
        let in_argv = [
            "$WORKIVA_CLIENT_SECRET",
            "$WKTUI_SERVE_SECRET",
            "$(wktui token",
            "-u \"",
        ]
        .iter()
        .any(|secret| {
            line.split('|')
                .any(|command| command.contains("curl") && command.contains(secret))
        });
        if in_argv {
            found.push(format!("{name}: {line}"));
        }
    }
    found
}

/// The README and docs/ teach by example: none of theirs puts a secret or a
/// token on curl's command line either.
#[test]
fn no_doc_example_puts_a_secret_or_a_token_on_a_command_line() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let docs = std::fs::read_dir(root.join("docs")).expect("docs/");
    files.extend(docs.map(|e| e.expect("docs/ entry").path()));
    let mut found = Vec::new();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "md")) {
        let text = std::fs::read_to_string(file).expect("read");
        found.extend(secrets_on_curls_command_line(&file.display().to_string(), &text));
    }
    assert!(files.len() > 3, "{files:?}");
    assert!(found.is_empty(), "secrets or tokens in argv: {found:#?}");
}

/// Every command path a user can type (`["profile", "add"]`, `[]` for the top).
fn commands(cmd: &clap::Command, parents: &[String]) -> Vec<Vec<String>> {
    let mut all = vec![parents.to_vec()];
    for sub in cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
    {
        let mut path = parents.to_vec();
        path.push(sub.get_name().to_owned());
        all.extend(commands(sub, &path));
    }
    all
}

#[test]
fn a_host_that_does_not_resolve_fails_at_once_naming_it() {
    let sb = Sandbox::new();
    sb.add_profile("nowhere", "https://no-such-host.invalid/oauth2/token", &[]);
    let run = sb.run(&["token", "nowhere"]).fails_with(1);
    run.says(&["no-such-host.invalid does not resolve", "hint:", "DNS"]);
    assert!(!run.stderr.contains("tries"), "not retried: {}", run.stderr);
}
