//! `wktui doctor` against real things: the crate's token server on
//! 127.0.0.1, a closed port, a broken config, a missing and a real keyring,
//! an HTTPS endpoint with its own CA and a server clock five minutes off,
//! and tmux's set-clipboard.

use std::sync::Arc;
use std::time::Duration;

use crate::common::system::{KEYRING_TOOLS, tools_present};
use crate::common::{CLIENT_ID, SECRET_VAR, Sandbox, server};
use serde_json::Value;

/// `doctor --format json`: its exit code and its checks.
fn doctor(sb: &Sandbox, extra: &[&str]) -> (i32, Vec<Value>) {
    let mut args = vec!["doctor", "--format", "json"];
    args.extend_from_slice(extra);
    let run = sb.run(&args);
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(v["ok"], run.code == 0, "ok agrees with the exit code");
    (run.code, v["checks"].as_array().expect("checks").clone())
}

/// The check called `name` (for `profile`, if given).
#[track_caller]
fn find<'a>(checks: &'a [Value], name: &str, profile: Option<&str>) -> &'a Value {
    checks
        .iter()
        .find(|c| c["check"] == name && c["profile"].as_str() == profile)
        .unwrap_or_else(|| panic!("no {name} check for {profile:?} in {checks:#?}"))
}

fn status(check: &Value) -> &str {
    check["status"].as_str().unwrap_or_default()
}

fn text(check: &Value, field: &str) -> String {
    check[field].as_str().unwrap_or_default().to_owned()
}

#[cfg(unix)]
#[test]
fn a_cache_dir_others_can_enter_fails_its_check_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    std::fs::create_dir_all(sb.cache_dir()).expect("mkdir");
    std::fs::set_permissions(sb.cache_dir(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let (code, checks) = doctor(&sb, &[]);
    assert_eq!(code, 1, "{checks:#?}");
    let cache = find(&checks, "cache", None);
    assert_eq!(status(cache), "fail", "{cache}");
    assert!(text(cache, "detail").contains("chmod 700"), "{cache}");
    assert!(!text(cache, "fix").is_empty(), "{cache}");
    let mode = std::fs::metadata(sb.cache_dir())
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o755, "doctor only looks");
}

#[test]
fn a_healthy_setup_passes_and_exits_0() {
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    let (code, checks) = doctor(&sb, &[]);
    assert_eq!(code, 0, "{checks:#?}");
    assert_eq!(status(find(&checks, "config", None)), "pass");
    assert_eq!(status(find(&checks, "permissions", None)), "pass");
    assert_eq!(status(find(&checks, "cache", None)), "pass");
    assert_eq!(status(find(&checks, "secret", Some("prod"))), "pass");
    assert_eq!(status(find(&checks, "dns", Some("prod"))), "pass");
    assert_eq!(
        status(find(&checks, "tls", Some("prod"))),
        "skip",
        "plain http to 127.0.0.1"
    );
    let endpoint = find(&checks, "endpoint", Some("prod"));
    assert_eq!(status(endpoint), "pass");
    assert!(text(endpoint, "detail").contains("HTTP 401"), "{endpoint}");
    // The keyring is unreachable here, but no profile needs it: a warning only.
    let keyring = find(&checks, "keyring", None);
    assert_eq!(status(keyring), "warn");
    assert!(text(keyring, "detail").contains("no profile keeps its secret there"));
    // The endpoint was asked without credentials.
    let requests = srv.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].form_field("client_secret"), None);
    assert_eq!(requests[0].form_field("client_id"), None);

    // Every check has the same fields.
    for c in &checks {
        let keys: Vec<&String> = c.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["check", "profile", "status", "detail", "fix"], "{c}");
    }
    // Text: one line per check, no colour in a pipe.
    let run = sb.run(&["doctor"]).ok();
    assert_eq!(run.stdout.lines().count(), checks.len(), "{}", run.stdout);
    assert!(!run.stdout.contains('\x1b'));
    assert!(
        run.stdout.lines().any(|l| l.starts_with("✓ prod  endpoint")),
        "{}",
        run.stdout
    );
}

#[test]
fn a_bad_config_is_reported_with_where_and_how_to_fix_it() {
    let sb = Sandbox::new();
    sb.write_config("[[profile]]\nname = \"prod\"\nregion = \"moon\"\nclient_id = \"a\"\n");
    let (code, checks) = doctor(&sb, &[]);
    assert_eq!(code, 1);
    // The profile is what is broken, and the check is its.
    let config = find(&checks, "config", Some("prod"));
    assert_eq!(status(config), "fail");
    assert!(
        text(config, "detail").contains("config.toml:3:10: region: \"moon\" is not a valid region"),
        "{config}"
    );
    assert!(text(config, "fix").contains("wktui config edit"));
    let run = sb.run(&["doctor"]).fails_with(1);
    run.says(&["checks failed"]);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("✗ prod") && l.contains("config")),
        "{}",
        run.stdout
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        sb.write_config("[[profile]]\nname = \"prod\"\nclient_id = \"a\"\nsecret_env = \"X\"\n");
        std::fs::set_permissions(sb.config_path(), std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let (_, checks) = doctor(&sb, &[]);
        let perms = find(&checks, "permissions", None);
        assert_eq!(status(perms), "fail");
        assert!(
            text(perms, "detail").contains("can be changed by other users (mode 0666)"),
            "{perms}"
        );
        assert!(text(perms, "fix").contains("chmod go-w "), "{perms}");
        // A sticky directory such as /tmp: others cannot replace the file, so
        // doctor agrees with what wktui itself accepts.
        std::fs::set_permissions(sb.config_path(), std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let dir = sb.config_path().parent().expect("dir").to_path_buf();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).expect("chmod dir");
        let (_, checks) = doctor(&sb, &[]);
        assert_eq!(status(find(&checks, "permissions", None)), "pass");
        sb.run(&["profile", "list", "--names"]).ok();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod dir");
        let (_, checks) = doctor(&sb, &[]);
        let perms = find(&checks, "permissions", None);
        assert_eq!(status(perms), "fail");
        assert!(text(perms, "detail").contains("directory"), "{perms}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod dir");
    }
}

#[test]
fn an_unreachable_host_fails_the_endpoint_check_only() {
    let sb = Sandbox::new();
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    sb.add_profile("gone", &format!("http://127.0.0.1:{port}/oauth2/token"), &[]);
    sb.add_profile("nowhere", "https://wktui-doctor-test.invalid/oauth2/token", &[]);
    let (code, checks) = doctor(&sb, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(find(&checks, "dns", Some("gone"))), "pass");
    let endpoint = find(&checks, "endpoint", Some("gone"));
    assert_eq!(status(endpoint), "fail");
    assert!(
        text(endpoint, "detail").to_lowercase().contains("connect"),
        "{endpoint}"
    );
    assert!(text(endpoint, "fix").contains("reachable"), "{endpoint}");
    let dns = find(&checks, "dns", Some("nowhere"));
    assert_eq!(status(dns), "fail", "{dns}");
    assert!(text(dns, "detail").contains("wktui-doctor-test.invalid"), "{dns}");

    // Only the named profile is checked.
    let (_, checks) = doctor(&sb, &["gone"]);
    assert!(checks.iter().all(|c| c["profile"] != "nowhere"));
    let (code, checks) = doctor(&sb, &["absent"]);
    assert_eq!(code, 1);
    assert!(text(find(&checks, "profile", Some("absent")), "detail").contains("no profile named"));
}

#[test]
fn a_missing_keyring_is_reported_for_the_profiles_that_need_it() {
    let srv = server();
    let sb = Sandbox::new();
    sb.write_config(&format!(
        "[[profile]]\nname = \"kr\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n",
        srv.token_url()
    ));
    let (code, checks) = doctor(&sb, &[]);
    assert_eq!(code, 1);
    let keyring = find(&checks, "keyring", None);
    assert_eq!(status(keyring), "fail");
    assert!(
        text(keyring, "detail").contains("no OS keyring is reachable"),
        "{keyring}"
    );
    assert!(text(keyring, "fix").contains("--secret-env"), "{keyring}");
    // Named as `profile show` names it (`platform::keyring`).
    #[cfg(target_os = "linux")]
    assert!(
        text(keyring, "detail").starts_with("Secret Service (D-Bus): "),
        "{keyring}"
    );
    let secret = find(&checks, "secret", Some("kr"));
    assert_eq!(status(secret), "fail");
    assert!(
        text(secret, "fix").contains("wktui profile edit kr --secret-env"),
        "{secret}"
    );
}

#[test]
fn a_real_keyring_passes_and_a_missing_secret_names_the_command_that_stores_it() {
    if !tools_present("doctor keyring test", &KEYRING_TOOLS) {
        return;
    }
    let mut sb = Sandbox::new();
    let _session = sb.use_keyring();
    let srv = server();
    sb.add_keyring_profile("stored", &srv.token_url());
    sb.write_config(&format!(
        "{}\n[[profile]]\nname = \"unstored\"\ntoken_url = \"{}\"\nclient_id = \"x\"\n",
        std::fs::read_to_string(sb.config_path()).expect("config"),
        srv.token_url()
    ));
    let (_, checks) = doctor(&sb, &[]);
    let keyring = find(&checks, "keyring", None);
    assert_eq!(status(keyring), "pass", "{keyring}");
    assert!(text(keyring, "detail").contains("Secret Service"));
    assert_eq!(status(find(&checks, "secret", Some("stored"))), "pass");
    let unstored = find(&checks, "secret", Some("unstored"));
    assert_eq!(status(unstored), "fail");
    assert_eq!(text(unstored, "fix"), "wktui profile set-secret unstored");
}

/// An HTTPS endpoint with a certificate from a throwaway CA, answering
/// every request with a 401 and a `Date` `skew` away from now.
fn https_endpoint(skew: chrono::Duration) -> crate::common::tls::TlsServer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    crate::common::tls::start(Arc::new(move |mut tls| {
        Box::pin(async move {
            let mut buf = vec![0u8; 8192];
            let _ = tokio::time::timeout(Duration::from_secs(2), tls.read(&mut buf)).await;
            let date = (chrono::Utc::now() + skew).format("%a, %d %b %Y %H:%M:%S GMT");
            let body = r#"{"error":"invalid_client","error_description":"no credentials"}"#;
            let answer = format!(
                "HTTP/1.1 401 Unauthorized\r\nDate: {date}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(answer.as_bytes()).await;
            let _ = tls.shutdown().await;
        })
    }))
}

#[test]
fn tls_uses_the_trust_store_wktui_uses_and_the_clock_is_compared_with_the_server() {
    let endpoint = https_endpoint(chrono::Duration::minutes(-5));
    let sb = Sandbox::new();
    let url = format!("https://127.0.0.1:{}/oauth2/token", endpoint.addr.port());
    let ca = sb.path().join("corp-ca.pem");
    std::fs::write(&ca, &endpoint.ca_pem).expect("write CA");
    sb.add_profile("untrusted", &url, &[]);
    sb.add_profile("trusted", &url, &["--ca-file", ca.to_str().expect("utf-8")]);
    let (code, checks) = doctor(&sb, &[]);
    assert_eq!(code, 1);

    let tls = find(&checks, "tls", Some("untrusted"));
    assert_eq!(status(tls), "fail", "{tls}");
    assert!(text(tls, "detail").contains("UnknownIssuer"), "{tls}");
    assert!(text(tls, "fix").contains("ca_file"), "{tls}");
    assert!(
        !checks
            .iter()
            .any(|c| c["check"] == "endpoint" && c["profile"] == "untrusted"),
        "nothing is sent over an unverified connection"
    );

    let tls = find(&checks, "tls", Some("trusted"));
    assert_eq!(status(tls), "pass", "{tls}");
    assert!(text(tls, "detail").contains("corp-ca.pem"), "{tls}");
    assert_eq!(status(find(&checks, "endpoint", Some("trusted"))), "pass");
    let clock = find(&checks, "clock", Some("trusted"));
    assert_eq!(status(clock), "fail", "{clock}");
    assert!(text(clock, "detail").contains("ahead of the server's"), "{clock}");
    let skew: u64 = text(clock, "detail")
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .expect("seconds");
    assert!((295..=305).contains(&skew), "{clock}");

    // A server whose clock agrees passes.
    let endpoint = https_endpoint(chrono::Duration::zero());
    let sb = Sandbox::new();
    let url = format!("https://127.0.0.1:{}/oauth2/token", endpoint.addr.port());
    std::fs::write(sb.path().join("ca.pem"), &endpoint.ca_pem).expect("write CA");
    let ca = sb.path().join("ca.pem");
    sb.add_profile("p", &url, &["--ca-file", ca.to_str().expect("utf-8")]);
    let (code, checks) = doctor(&sb, &[]);
    assert_eq!(status(find(&checks, "clock", Some("p"))), "pass");
    assert_eq!(code, 0, "{checks:#?}");
}

#[test]
fn a_ca_file_is_judged_by_doctor_in_the_words_a_fetch_uses() {
    let endpoint = https_endpoint(chrono::Duration::zero());
    let sb = Sandbox::new();
    let url = format!("https://127.0.0.1:{}/oauth2/token", endpoint.addr.port());
    let ca = sb.path().join("broken-ca.pem");
    let broken = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
    std::fs::write(&ca, broken).expect("write CA");
    sb.add_profile("p", &url, &["--ca-file", ca.to_str().expect("utf-8")]);
    let fetch = sb.run(&["token", "p"]).fails_with(1);
    let verdict = fetch
        .stderr
        .lines()
        .find_map(|line| line.split_once("cannot use the CA file").map(|(_, v)| v))
        .unwrap_or_else(|| panic!("no CA verdict in: {}", fetch.stderr));
    assert!(verdict.contains("broken-ca.pem"), "{verdict}");
    let (code, checks) = doctor(&sb, &[]);
    assert_eq!(code, 1);
    let tls = find(&checks, "tls", Some("p"));
    assert_eq!(status(tls), "fail", "{tls}");
    assert!(
        text(tls, "detail").contains(verdict),
        "fetch: {verdict}\ndoctor: {tls}"
    );
}

#[cfg(unix)] // tmux and sh
#[test]
fn inside_tmux_the_clipboard_check_reads_set_clipboard() {
    use crate::common::system::{Tmux, wait_for};
    if !tools_present("doctor tmux test", &["tmux"]) {
        return;
    }
    let sb = Sandbox::new();
    let exe = env!("CARGO_BIN_EXE_wktui");
    let out = sb.path().join("doctor.json");
    let tmux = Tmux::start(120, 20, &["sh"], &sb.env_list());
    let run_doctor = |tmux: &Tmux| {
        let _ = std::fs::remove_file(&out);
        tmux.keys(&[
            "-l",
            &format!(
                "{exe} doctor --format json > {}.tmp; mv {0}.tmp {0}",
                out.display()
            ),
        ]);
        tmux.keys(&["Enter"]);
        assert!(
            wait_for(Duration::from_secs(20), || out.exists()),
            "{}",
            tmux.screen()
        );
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
        let checks = v["checks"].as_array().expect("checks").clone();
        find(&checks, "clipboard", None).clone()
    };
    tmux.run(&["set", "-g", "set-clipboard", "external"]);
    let clipboard = run_doctor(&tmux);
    assert_eq!(status(&clipboard), "fail", "{clipboard}");
    assert!(
        text(&clipboard, "detail").contains("set-clipboard is external"),
        "{clipboard}"
    );
    assert!(text(&clipboard, "fix").contains("tmux set -g set-clipboard on"));
    tmux.run(&["set", "-g", "set-clipboard", "on"]);
    let clipboard = run_doctor(&tmux);
    assert_eq!(status(&clipboard), "pass", "{clipboard}");
}

#[test]
fn the_secret_is_never_shown_by_doctor() {
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    // Sandbox::run checks stdout and stderr for the secret.
    let run = sb.run(&["doctor"]).ok();
    assert!(
        run.stdout.contains(&format!(
            "{}{SECRET_VAR} is set",
            if cfg!(windows) { "$env:" } else { "$" }
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn the_endpoint_check_reaches_a_local_server_as_a_fetch_would_never_through_a_proxy() {
    let srv = server();
    let sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    // A proxy that refuses everything, and nothing exempting 127.0.0.1 from it.
    let output = sb
        .command(&["doctor", "--format", "json"])
        .env_remove("NO_PROXY")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .output()
        .expect("doctor");
    let run = sb.checked(output);
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let checks = v["checks"].as_array().expect("checks").clone();
    let endpoint = find(&checks, "endpoint", Some("prod"));
    assert_eq!(status(endpoint), "pass", "{endpoint}");
    assert!(srv.token_requests() >= 1, "the server itself was asked");
}

#[cfg(unix)]
#[test]
fn a_refused_config_is_shown_but_no_host_it_names_is_asked() {
    use std::os::unix::fs::PermissionsExt;
    let srv = server();
    let mut sb = Sandbox::new();
    sb.add_profile("prod", &srv.token_url(), &[]);
    // Anyone may change it: wktui refuses to load it, so it steers nothing.
    let config = sb.config_path();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    // ...but the profile of the WORKIVA_* variables is not the file's.
    sb.set_env("WORKIVA_CLIENT_ID", CLIENT_ID);
    sb.set_env("WORKIVA_CLIENT_SECRET", "s");
    sb.set_env("WORKIVA_TOKEN_URL", &srv.token_url());
    let (code, checks) = doctor(&sb, &[]);
    assert_ne!(code, 0);
    let permissions = find(&checks, "permissions", None);
    assert_eq!(status(permissions), "fail", "{permissions}");
    assert!(text(permissions, "fix").contains("chmod go-w"), "{permissions}");
    let network = find(&checks, "network", Some("prod"));
    assert_eq!(status(network), "skip", "{network}");
    assert!(
        text(network, "detail").contains("the config file is refused"),
        "{network}"
    );
    for name in ["dns", "tls", "endpoint"] {
        assert!(
            !checks
                .iter()
                .any(|c| c["check"] == name && c["profile"] == "prod"),
            "{name} checked for a refused file: {checks:#?}"
        );
    }
    assert_eq!(status(find(&checks, "endpoint", Some("env"))), "pass");
    // Only the env profile's check reached the server: one request.
    assert_eq!(srv.requests().len(), 1, "{:?}", srv.requests().len());
}
