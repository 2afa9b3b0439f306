//! A URL is shown as the host it is sent to (SECURITY.md, "What you read is
//! where it goes"). The URL parser reads `\` as `/`, decodes `%2e` in a
//! host, maps `0x7f.1` to `127.0.0.1` and look-alike letters to other
//! names: text that a person reads as one host can send the client secret
//! to another. Each such text is refused, wherever it comes from (a flag,
//! the config file, the environment), and no request leaves.
//!
//! Two token servers play the parts: the real one, whose address the text
//! shows, and the attacker's, where the parser would send the secret.

use crate::common::{CLIENT_ID, SECRET, SECRET_VAR, Sandbox, server};
use wktui_test_support::TokenServer;

/// Read by a person (and shown by wktui before this was fixed) as the real
/// server; read by the URL parser as the attacker's, with `/@real...` as
/// the path.
fn backslash_url(attacker: &TokenServer, real: &TokenServer) -> String {
    format!("http://{}\\@{}/oauth2/token", attacker.addr(), real.addr())
}

/// What the parser makes of `backslash_url`, which the refusal names.
fn as_parsed(attacker: &TokenServer, real: &TokenServer) -> String {
    format!("http://{}/@{}/oauth2/token", attacker.addr(), real.addr())
}

#[track_caller]
fn nothing_reached(servers: &[&TokenServer]) {
    for srv in servers {
        let requests = srv.requests();
        assert!(
            requests.is_empty(),
            "{} got {} request(s): {:?}",
            srv.addr(),
            requests.len(),
            requests.iter().map(|r| &r.path).collect::<Vec<_>>()
        );
    }
}

/// A TOML basic string holding `text` as is.
fn toml_string(text: &str) -> String {
    toml_edit::value(text).to_string().trim().to_owned()
}

fn config_with(field: &str, url: &str) -> String {
    let region = if field == "base_url" {
        "region = \"eu\"\n"
    } else {
        ""
    };
    format!(
        "# shared through git\n[[profile]]\nname = \"eu\"\n{region}{field} = {}\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n",
        toml_string(url)
    )
}

#[test]
fn profile_add_refuses_a_backslash_url_naming_what_the_parser_reads() {
    let sb = Sandbox::new();
    let (real, attacker) = (server(), server());
    let url = backslash_url(&attacker, &real);
    let run = sb
        .run(&[
            "profile",
            "add",
            "eu",
            "--client-id",
            CLIENT_ID,
            "--token-url",
            &url,
            "--secret-env",
            SECRET_VAR,
        ])
        .fails_with(2);
    run.says(&["--token-url:", "backslash", &as_parsed(&attacker, &real)]);
    assert!(!sb.config_path().exists(), "nothing was saved");
    // Nor through `profile edit` of a profile that is fine.
    sb.add_profile("eu", &real.token_url(), &[]);
    let before = std::fs::read_to_string(sb.config_path()).expect("config");
    sb.run(&["profile", "edit", "eu", "--token-url", &url])
        .fails_with(2)
        .says(&["--token-url:", "backslash"]);
    assert_eq!(std::fs::read_to_string(sb.config_path()).expect("config"), before);
    nothing_reached(&[&real, &attacker]);
}

/// The example in a config file: before the fix `list` showed the
/// real server and `token` sent the secret to the attacker's.
#[test]
fn a_backslash_url_in_the_config_file_is_refused_and_no_secret_leaves() {
    let sb = Sandbox::new();
    let (real, attacker) = (server(), server());
    sb.write_config(&config_with("token_url", &backslash_url(&attacker, &real)));
    let file = sb.config_path().display().to_string();
    for args in [
        &["token", "eu"][..],
        &["list"],
        &["list", "--format", "json"],
        &["profile", "show", "eu"],
        &["exec", "eu", "--", "true"],
        &["doctor"],
    ] {
        let run = sb.run(args);
        // `list` shows the broken profile as a row (no host) and succeeds.
        if args[0] == "list" {
            assert_eq!(run.code, 0, "{args:?}:\n{}\n{}", run.stdout, run.stderr);
        } else {
            assert_ne!(run.code, 0, "{args:?} ran:\n{}\n{}", run.stdout, run.stderr);
        }
        // `doctor` reports on stdout, with the other checks.
        let said = format!("{}{}", run.stdout, run.stderr);
        for needle in [&format!("{file}:4:13: token_url:"), "backslash"] {
            assert!(said.contains(needle), "{args:?} lacks {needle:?}: {said}");
        }
        // Nothing lists or exports the host the text seems to name.
        if args[0] != "doctor" {
            assert!(
                !run.stdout.contains(&real.addr().to_string()),
                "{args:?}: {}",
                run.stdout
            );
        }
    }
    nothing_reached(&[&real, &attacker]);
}

#[test]
fn a_backslash_base_url_is_refused_too() {
    let sb = Sandbox::new();
    let (real, attacker) = (server(), server());
    let url = format!("http://{}\\@{}", attacker.addr(), real.addr());
    sb.write_config(&config_with("base_url", &url));
    sb.run(&["token", "eu"])
        .fails_with(2)
        .says(&[":5:12:", "base_url:", "backslash"]);
    nothing_reached(&[&real, &attacker]);
}

#[test]
fn the_env_profile_refuses_a_backslash_token_url() {
    let mut sb = Sandbox::new();
    let (real, attacker) = (server(), server());
    sb.set_env("WORKIVA_CLIENT_ID", CLIENT_ID);
    sb.set_env("WORKIVA_CLIENT_SECRET", SECRET);
    sb.set_env("WORKIVA_TOKEN_URL", &backslash_url(&attacker, &real));
    let run = sb.run(&["token", "env"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    run.says(&["$WORKIVA_TOKEN_URL:", "backslash"]);
    nothing_reached(&[&real, &attacker]);
}

/// Each class of text that reads as one host and parses as another, in a
/// config file: refused on its line, naming the field, and no request
/// leaves for either server.
#[test]
fn every_misleading_form_is_refused_from_the_config_file() {
    let (real, attacker) = (server(), server());
    let (a, r) = (attacker.addr().port(), real.addr().port());
    let cases: Vec<(String, &str)> = vec![
        (
            format!("http://127.0.0.1:{a}\\@127.0.0.1:{r}/oauth2/token"),
            "backslash",
        ),
        (
            format!("http://127.0.0.1:{a}\\\\127.0.0.1:{r}/oauth2/token"),
            "backslash",
        ),
        (
            format!("http://127.0.0.1:{a}/oauth2/token\\..\\..\\x"),
            "backslash",
        ),
        (
            format!("http://0x7f.1:{a}/oauth2/token"),
            "read as \"http://127.0.0.1",
        ),
        (
            format!("http://2130706433:{a}/oauth2/token"),
            "read as \"http://127.0.0.1",
        ),
        (
            format!("http://127.1:{a}/oauth2/token"),
            "read as \"http://127.0.0.1",
        ),
        (
            format!("http://0177.0.0.1:{a}/oauth2/token"),
            "read as \"http://127.0.0.1",
        ),
        (format!("http://127%2e0.0.1:{a}/oauth2/token"), "percent"),
        (format!("http://127.0.0.1%3a{a}/oauth2/token"), "not a valid URL"),
        (format!("http://[::ffff:127.0.0.1]:{a}/oauth2/token"), "IPv4"),
        (format!("http://[::ffff:7f00:1]:{a}/oauth2/token"), "IPv4"),
        (
            format!("http://[0:0:0:0:0:0:0:1]:{a}/oauth2/token"),
            "read as \"http://[::1]",
        ),
        (
            format!("http://[fe80::1%25lo]:{a}/oauth2/token"),
            "not a valid URL",
        ),
        (format!("http:127.0.0.1:{a}/oauth2/token"), "//"),
        (format!("http:/127.0.0.1:{a}/oauth2/token"), "//"),
        (format!("http:///127.0.0.1:{a}/oauth2/token"), "//"),
        (
            format!("http://x@127.0.0.1:{a}/oauth2/token"),
            "user name or password",
        ),
        (
            format!("http://127.0.0.1:{r}@127.0.0.1:{a}/oauth2/token"),
            "user name or password",
        ),
        (format!("http://@127.0.0.1:{a}/oauth2/token"), "@"),
        (format!("http://127.0.0.1:{a}/x/../oauth2/token"), "read as"),
        (format!("http://127.0.0.1:{a}/%2e%2e/oauth2/token"), "read as"),
        (format!("http://127.0.0.1:0{a}/oauth2/token"), "read as"),
        (format!("http://localhost.:{a}/oauth2/token"), "dot"),
        (format!("http://127.0.0.1:{a}/oauth2/token#frag"), "fragment"),
        ("https://\u{430}pi.app.wdesk.com/oauth2/token".to_owned(), "xn--"),
        (
            "https://\u{ff41}pi.app.wdesk.com/oauth2/token".to_owned(),
            "outside ASCII",
        ),
        (
            "https://api.app.wdesk.com\u{ff0e}evil.example/oauth2/token".to_owned(),
            "outside ASCII",
        ),
        (
            "https://api.app.wdesk.com\u{3002}evil.example/oauth2/token".to_owned(),
            "outside ASCII",
        ),
        ("https://api.app.wdesk.com/oauth2/\ttoken".to_owned(), "control"),
        ("https://api.app.wdesk\n.com/oauth2/token".to_owned(), "control"),
        (
            "https://api.app.wdesk.com/oauth2/token\u{202e}".to_owned(),
            "control",
        ),
    ];
    for (url, why) in &cases {
        for field in ["token_url", "base_url"] {
            let sb = Sandbox::new();
            sb.write_config(&config_with(field, url));
            let run = sb.run(&["token", "eu"]);
            assert_eq!(run.code, 2, "{field} = {url:?} was not refused:\n{}", run.stderr);
            let line = if field == "base_url" { ":5:12:" } else { ":4:13:" };
            run.says(&[line, &format!("{field}:"), why]);
        }
    }
    nothing_reached(&[&real, &attacker]);
}

/// What no one reads differently is accepted and shown in the parsed form:
/// upper case scheme and host, the default port, a missing `/`.
#[test]
fn harmless_spellings_are_accepted_and_shown_as_parsed() {
    let sb = Sandbox::new();
    let real = server();
    let port = real.addr().port();
    sb.write_config(&format!(
        "[[profile]]\nname = \"up\"\ntoken_url = \"HTTP://LOCALHOST:{port}/oauth2/token\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n\
         [[profile]]\nname = \"proxy\"\nregion = \"eu\"\nbase_url = \"http://127.0.0.1:{port}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n"
    ));
    let shown = sb.run(&["profile", "show", "up"]).ok().stdout;
    assert!(
        shown.contains(&format!("http://localhost:{port}/oauth2/token")),
        "{shown}"
    );
    let listed = sb.run(&["list"]).ok().stdout;
    assert!(listed.contains(&format!("localhost:{port}")), "{listed}");
    let json = sb
        .run(&["profile", "show", "proxy", "--format", "json"])
        .ok()
        .stdout;
    assert!(
        json.contains(&format!("\"base_url\":\"http://127.0.0.1:{port}/\"")),
        "{json}"
    );
    let listed = sb.run(&["list", "--format", "json"]).ok().stdout;
    assert!(
        listed.contains(&format!("\"token_url\":\"http://localhost:{port}/oauth2/token\"")),
        "{listed}"
    );
    sb.run(&["token", "up"]).ok();
    sb.run(&["token", "proxy"]).ok();
    assert_eq!(real.token_requests(), 2);
    #[cfg(unix)]
    {
        let env = sb
            .run(&[
                "exec",
                "up",
                "--no-server",
                "--",
                "sh",
                "-c",
                "printf %s \"$WORKIVA_API_URL\"",
            ])
            .ok()
            .stdout;
        assert_eq!(env, format!("http://localhost:{port}"));
    }
}

/// The row of `name` in a table, by its first column.
#[track_caller]
fn row_of<'a>(table: &'a str, name: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in:\n{table}"))
}

#[test]
fn a_base_url_profile_is_listed_by_the_host_its_secret_goes_to_not_its_region() {
    let sb = Sandbox::new();
    let elsewhere = server();
    let host = format!("127.0.0.1:{}", elsewhere.addr().port());
    // A file shared through git: it says "us", and sends the secret elsewhere.
    let shared = format!(
        "[[profile]]\nname = \"prod\"\nregion = \"us\"\nbase_url = \"http://{host}\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n\
         [[profile]]\nname = \"plain\"\nregion = \"eu\"\nclient_id = \"{CLIENT_ID}\"\nsecret_env = \"{SECRET_VAR}\"\n"
    );
    let file = sb.path().join("shared.toml");
    std::fs::write(&file, &shared).expect("write");
    let import = sb
        .run(&["profile", "import", file.to_str().expect("utf-8")])
        .ok()
        .stdout;
    assert!(
        import.contains(&format!("Client secrets sent to {host}: prod.")),
        "{import}"
    );
    assert!(
        import.contains("Client secrets sent to api.eu.wdesk.com: plain."),
        "{import}"
    );
    for args in [&["list"][..], &["profile", "list"][..]] {
        let table = sb.run(args).ok().stdout;
        let prod = row_of(&table, "prod");
        assert!(prod.contains(&format!("{host} (us)")), "{args:?}: {table}");
        let plain: Vec<&str> = row_of(&table, "plain").split_whitespace().collect();
        assert_eq!(plain[1], "eu", "{args:?}: {table}");
    }
    // `profile add` says where each secret goes, whatever its source.
    let add = sb
        .run(&[
            "profile",
            "add",
            "custom",
            "--client-id",
            CLIENT_ID,
            "--secret-env",
            SECRET_VAR,
            "--token-url",
            &elsewhere.token_url(),
        ])
        .ok()
        .stdout;
    assert!(add.contains(&format!("is sent to {host}.")), "{add}");
    let add = sb
        .run(&[
            "profile",
            "add",
            "eu2",
            "--client-id",
            CLIENT_ID,
            "--region",
            "eu",
            "--secret-env",
            SECRET_VAR,
        ])
        .ok()
        .stdout;
    assert!(add.contains("is sent to api.eu.wdesk.com."), "{add}");
    nothing_reached(&[&elsewhere]);
}
