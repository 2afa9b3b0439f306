//! `wktui serve` as a user and its clients meet it: the real binary against
//! the crate's token server, raw HTTP from hostile clients, and a real
//! third-party OAuth2 client (requests-oauthlib).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{SECRET, Sandbox, oauth_python, python_script, server};
use serde_json::Value;

/// A running `wktui serve`, its banner read, its stderr collected.
struct Serving {
    child: Child,
    addr: SocketAddr,
    banner: String,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

fn start_serve(sb: &Sandbox, extra: &[&str]) -> Serving {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut child = sb
        .command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wktui serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut banner = String::new();
    for _ in 0..5 {
        stdout.read_line(&mut banner).expect("banner");
    }
    let url = banner
        .split_whitespace()
        .nth(4)
        .unwrap_or_else(|| panic!("no URL in the banner: {banner}"));
    let addr = url.trim_start_matches("http://").parse().expect("address");
    let stderr = Arc::new(Mutex::new(String::new()));
    let reader = {
        let stderr = Arc::clone(&stderr);
        let pipe = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut all = stderr.lock().expect("lock");
                all.push_str(&line);
                all.push('\n');
            }
        })
    };
    Serving {
        child,
        addr,
        banner,
        stderr,
        reader: Some(reader),
    }
}

impl Serving {
    fn token_url(&self) -> String {
        format!("http://{}/oauth2/token", self.addr)
    }

    /// Stops it and returns everything it logged. On Unix by SIGTERM, as a
    /// supervisor stops it, and it must then exit 0; elsewhere there is no
    /// signal to send another process, so it is killed.
    fn stop(mut self) -> String {
        #[cfg(unix)]
        {
            let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("pid");
            rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("kill");
        }
        #[cfg(not(unix))]
        let _ = self.child.kill();
        let status = self.child.wait().expect("wait");
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let log = self.stderr.lock().expect("lock").clone();
        #[cfg(unix)]
        assert_eq!(status.code(), Some(0), "serve on SIGTERM\n{log}");
        #[cfg(not(unix))]
        let _ = status;
        log
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The local secret `serve` wrote to its credentials file.
fn local_secret(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).expect("credentials file");
    text.lines()
        .find_map(|l| l.strip_prefix("WORKIVA_CLIENT_SECRET="))
        .expect("secret line")
        .to_owned()
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Reads one HTTP/1.1 response with a Content-Length body.
fn read_answer(reader: &mut BufReader<TcpStream>) -> Option<Answer> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Answer {
        status,
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A keep-alive client of the endpoint.
struct Client {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        Client {
            addr,
            reader: BufReader::new(stream),
        }
    }

    fn token(&mut self, client_id: &str, secret: &str) -> Answer {
        let body = format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}");
        let request = format!(
            "POST /oauth2/token HTTP/1.1\r\nHost: {}\r\nX-Version: 2026-01-01\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes()).expect("send");
        read_answer(&mut self.reader).expect("an answer")
    }
}

#[test]
fn serve_answers_in_workivas_format_with_a_local_secret() {
    let mut sb = Sandbox::new();
    let srv = server();
    sb.add_profile("alpha", &srv.token_url(), &["--scope", "file:read"]);
    sb.add_profile("beta", &srv.token_url(), &[]);
    let serving = start_serve(&sb, &[]);
    let credentials = sb.cache_dir().join("serve.env");
    assert!(serving.banner.contains("for alpha, beta"), "{}", serving.banner);
    assert!(
        serving.banner.contains(&credentials.display().to_string()),
        "{}",
        serving.banner
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&credentials)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let secret = local_secret(&credentials);
    assert!(secret.starts_with("wktui_") && !secret.contains(SECRET));
    let file = std::fs::read_to_string(&credentials).expect("read");
    assert!(
        file.contains(&format!("WORKIVA_TOKEN_URL={}\n", serving.token_url())),
        "{file}"
    );

    let mut client = Client::connect(serving.addr);
    let alpha = client.token("alpha", &secret);
    assert_eq!(alpha.status, 200, "{}", alpha.body);
    let alpha = alpha.json();
    assert_eq!(alpha["scope"], "file:read");
    assert_eq!(alpha["token_type"], "Bearer");
    assert!(
        alpha["expires_in"]
            .as_i64()
            .is_some_and(|s| (590..=600).contains(&s))
    );
    let beta = client.token("beta", &secret).json();
    assert_ne!(
        alpha["access_token"], beta["access_token"],
        "one token per profile"
    );
    let again = client.token("alpha", &secret).json();
    assert_eq!(again["access_token"], alpha["access_token"]);
    assert_eq!(srv.token_requests(), 2, "one fetch per profile");
    let unknown = client.token("gamma", &secret);
    assert_eq!(
        (unknown.status, unknown.json()["error"].clone()),
        (401, "invalid_client".into())
    );
    // A failed attempt closes its connection: the next one is a new one.
    let with_real = Client::connect(serving.addr).token("alpha", SECRET);
    assert_eq!(with_real.status, 401, "the real secret is not a local credential");

    let active = wktui::presence::active(&sb.cache_dir());
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].kind, wktui::presence::Kind::Serve);
    assert_eq!(active[0].profiles, ["alpha", "beta"]);
    assert_eq!(
        active[0].url.as_deref(),
        Some(format!("http://{}", serving.addr).as_str())
    );

    let addr = serving.addr;
    let log = serving.stop();
    for token in [&alpha["access_token"], &beta["access_token"]] {
        sb.secrets.push(token.as_str().expect("token").to_owned());
    }
    sb.secrets.push(secret);
    sb.assert_no_secret_in(&log, "the request log");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("POST /oauth2/token")).collect();
    assert_eq!(lines.len(), 5, "one line per request:\n{log}");
    assert!(
        lines[0].contains("client=alpha 200 token (fetched from Workiva"),
        "{log}"
    );
    assert!(
        lines[2].contains("client=alpha 200 token (memory)") && lines[2].ends_with("ms"),
        "{log}"
    );
    assert!(
        lines[3].contains("client=unknown (5 chars) 401 invalid_client"),
        "only profile names are logged: {log}"
    );
    assert!(log.contains("SIGTERM received, stopping"), "{log}");
    assert!(
        wktui::presence::active(&sb.cache_dir()).is_empty(),
        "unregistered on exit"
    );
    assert!(TcpStream::connect(addr).is_err(), "the port is closed");
}

#[test]
fn serve_refuses_other_interfaces_and_files_that_are_not_its_own() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("alpha", &srv.token_url(), &[]);
    sb.run(&["serve", "--listen", "0.0.0.0:0"])
        .fails_with(2)
        .says(&["refusing to listen on 0.0.0.0:0", "loopback"]);
    sb.run(&["serve", "--listen", "localhost:8250"])
        .fails_with(2)
        .says(&["not an address to listen on"]);
    sb.run(&["serve", "nope"])
        .fails_with(2)
        .says(&["no profile named \"nope\""]);
    let notes = sb.path().join("notes.txt");
    std::fs::write(&notes, "keep me\n").expect("write");
    let notes_arg = notes.to_string_lossy().into_owned();
    sb.run(&["serve", "--listen", "127.0.0.1:0", "--credentials", &notes_arg])
        .fails_with(1)
        .says(&["is not a wktui credentials file"]);
    assert_eq!(std::fs::read_to_string(&notes).expect("read"), "keep me\n");
    let empty = Sandbox::new();
    empty
        .run(&["serve"])
        .fails_with(2)
        .says(&["no profiles to serve"]);
}

/// Oversized bodies, slowloris headers, a foreign Host and 10,000 wrong
/// secrets at once: each is answered or cut off, and the right client is
/// served all along from the one upstream fetch.
#[test]
fn hostile_clients_do_not_stop_the_right_one() {
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("alpha", &srv.token_url(), &[]);
    let serving = start_serve(&sb, &[]);
    let addr = serving.addr;
    let secret = local_secret(&sb.cache_dir().join("serve.env"));
    let first = Client::connect(addr).token("alpha", &secret);
    assert_eq!(first.status, 200);
    let token = first.json()["access_token"].clone();

    // The right client, asking every 20 ms on one keep-alive connection.
    let done = Arc::new(AtomicBool::new(false));
    let right = {
        let (done, secret, token) = (Arc::clone(&done), secret.clone(), token.clone());
        std::thread::spawn(move || {
            let mut client = Client::connect(addr);
            let mut served = 0;
            while !done.load(Ordering::Relaxed) {
                let answer = client.token("alpha", &secret);
                assert_eq!(
                    answer.status, 200,
                    "the right client was refused: {}",
                    answer.body
                );
                assert_eq!(answer.json()["access_token"], token);
                served += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            served
        })
    };

    // Slowloris: headers one byte at a time, never finished.
    let slow: Vec<_> = (0..20)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).expect("connect");
                stream
                    .set_read_timeout(Some(Duration::from_millis(200)))
                    .expect("timeout");
                let started = Instant::now();
                let _ =
                    stream.write_all(format!("POST /oauth2/token HTTP/1.1\r\nHost: {addr}\r\nX-").as_bytes());
                let mut buffer = [0u8; 256];
                while started.elapsed() < Duration::from_secs(30) {
                    if stream.write_all(b"a").is_err() {
                        return started.elapsed();
                    }
                    match stream.read(&mut buffer) {
                        Ok(0) => return started.elapsed(),
                        Ok(_) => return started.elapsed(),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => return started.elapsed(),
                    }
                }
                panic!("a slowloris connection was never cut off");
            })
        })
        .collect();

    // A body far over the limit, declared and actually sent.
    let mut big = TcpStream::connect(addr).expect("connect");
    big.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let _ = big.write_all(
        format!(
            "POST /oauth2/token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 10000000\r\n\r\n"
        )
        .as_bytes(),
    );
    let _ = big.write_all(&vec![b'a'; 64 * 1024]);
    let answer = read_answer(&mut BufReader::new(big)).expect("answer to a big body");
    assert_eq!(answer.status, 413);

    // DNS rebinding: a page at evil.example that resolves to 127.0.0.1.
    let mut rebound = BufReader::new(TcpStream::connect(addr).expect("connect"));
    let body = format!("grant_type=client_credentials&client_id=alpha&client_secret={secret}");
    let request = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: evil.example:{}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{body}",
        addr.port(),
        body.len()
    );
    rebound.get_mut().write_all(request.as_bytes()).expect("send");
    let answer = read_answer(&mut rebound).expect("answer");
    assert_eq!(answer.status, 421, "{}", answer.body);
    assert!(!answer.body.contains("access_token"));
    assert!(
        !answer.head.to_ascii_lowercase().contains("access-control"),
        "no CORS"
    );

    // 10,000 wrong secrets from 200 clients at once (a failed attempt
    // closes its connection, so each is a new one).
    let wrong: Vec<_> = (0..200)
        .map(|i| {
            std::thread::spawn(move || {
                for j in 0..50 {
                    let answer = Client::connect(addr).token("alpha", &format!("wktui_guess{i}x{j}"));
                    assert_eq!(answer.status, 401);
                    assert_eq!(answer.json()["error"], "invalid_client");
                }
            })
        })
        .collect();
    for attacker in wrong {
        attacker.join().expect("attacker");
    }
    for (i, cut) in slow.into_iter().map(|s| s.join().expect("slowloris")).enumerate() {
        assert!(
            cut >= Duration::from_secs(4),
            "slowloris {i} cut after {cut:?}, before the header timeout"
        );
    }
    done.store(true, Ordering::Relaxed);
    let served = right.join().expect("the right client");
    assert!(
        served >= 20,
        "the right client was served {served} times during the attack"
    );
    assert_eq!(srv.token_requests(), 1, "one upstream fetch in all");

    let log = serving.stop();
    // Every wrong secret is logged or counted, the flood in a few lines.
    let counted: usize = log
        .lines()
        .filter(|l| l.contains("more failed requests not logged"))
        .filter_map(|l| l.split_whitespace().nth(2)?.parse::<usize>().ok())
        .sum();
    let failures = log
        .lines()
        .filter(|l| [" 401 ", " 413 ", " 421 "].iter().any(|s| l.contains(s)))
        .count();
    // The wrong secrets, the big body and the foreign Host.
    assert_eq!(failures + counted, 10_002, "{}", &log[..log.len().min(4000)]);
    assert!(log.len() < 64 * 1024, "{} bytes of log", log.len());
    assert!(!log.contains(&secret) && !log.contains(SECRET));
}

/// The environment a user of `serve` gives their program: the lines of the
/// credentials file, plus the API host.
fn python_env(sb: &Sandbox, credentials: &std::path::Path, api_url: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(credentials).expect("credentials");
    let mut env: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    env.push(("WORKIVA_API_URL".into(), api_url.into()));
    env.push((
        "HOME".into(),
        sb.path().join("home").to_string_lossy().into_owned(),
    ));
    env.push(("NO_PROXY".into(), "127.0.0.1".into()));
    env
}

fn run_python(python: &std::path::Path, env: &[(String, String)], args: &[&str]) -> Value {
    let out = std::process::Command::new(python)
        .arg(python_script("oauth_client.py"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[test]
fn requests_oauthlib_gets_tokens_from_serve() {
    let Some(python) = oauth_python("requests_oauthlib_gets_tokens_from_serve") else {
        return;
    };
    let sb = Sandbox::new();
    let srv = server();
    sb.add_profile("alpha", &srv.token_url(), &["--scope", "file:read file:write"]);
    let serving = start_serve(&sb, &["alpha"]);
    let credentials = sb.cache_dir().join("serve.env");
    let mut env = python_env(&sb, &credentials, &srv.base_url());

    let body = run_python(&python, &env, &["once", "body"]);
    let basic = run_python(&python, &env, &["once", "basic"]);
    assert!(
        body["access_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("wk.")),
        "{body}"
    );
    assert_eq!(body["access_token"], basic["access_token"]);
    assert_eq!(body["scope"], "file:read file:write");
    for auth in ["body", "basic"] {
        let wrong = run_python(&python, &env, &["wrong", auth]);
        assert_eq!(wrong["error"], "invalid_client", "{auth}: {wrong}");
        assert_eq!(wrong["status_code"], 401);
    }
    // The legacy path, as an SDK configured for 2022-01-01 would call it.
    for (k, v) in env.iter_mut() {
        if k == "WORKIVA_TOKEN_URL" {
            *v = v.replace("/oauth2/token", "/iam/v1/oauth2/token");
        }
    }
    let legacy = run_python(&python, &env, &["once", "basic"]);
    assert_eq!(legacy["access_token"], body["access_token"]);
    assert_eq!(srv.token_requests(), 1);
    let log = serving.stop();
    assert!(
        log.contains("POST /iam/v1/oauth2/token client=alpha 200"),
        "{log}"
    );
}
