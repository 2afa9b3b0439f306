//! Password managers as secret sources: `pass` for real (a throwaway GnuPG
//! home and a key made in batch mode), `secret-tool` against the test's own
//! keyring, and the README's 1Password, Vault and AWS lines run through the
//! shell exactly as written, against stand-ins that check their arguments
//! (those tools need accounts that a test cannot have).

#![cfg(unix)] // pass, gpg and the recipe stand-ins are Unix tools here

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::system::{KEYRING_TOOLS, tools_present};
use crate::common::{SECRET, SECRET_VAR, Sandbox, server};

/// A GnuPG home with one key and a password store encrypted to it; the
/// gpg-agent it starts is stopped on drop.
struct PassStore {
    gnupg: PathBuf,
    store: PathBuf,
}

impl PassStore {
    fn new(root: &Path) -> PassStore {
        let gnupg = root.join("gnupg");
        std::fs::create_dir_all(&gnupg).expect("mkdir");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        }
        let store = PassStore {
            gnupg,
            store: root.join("password-store"),
        };
        let ok = store
            .command("gpg")
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args([
                "--quick-gen-key",
                "wktui test <wktui-test@example.invalid>",
                "default",
                "default",
                "never",
            ])
            .status()
            .expect("run gpg");
        assert!(ok.success(), "gpg could not make a key");
        let listing = store
            .command("gpg")
            .args(["--batch", "--with-colons", "--list-keys"])
            .output()
            .expect("gpg --list-keys");
        let listing = String::from_utf8_lossy(&listing.stdout);
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:").map(|r| r.trim_matches(':').to_owned()))
            .expect("a fingerprint");
        let ok = store
            .command("pass")
            .args(["init", &fingerprint])
            .status()
            .expect("pass init");
        assert!(ok.success(), "pass init failed");
        store
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("GNUPGHOME", &self.gnupg)
            .env("PASSWORD_STORE_DIR", &self.store)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        c
    }

    fn insert(&self, entry: &str, secret: &str) {
        use std::io::Write;
        let mut child = self
            .command("pass")
            .args(["insert", "--multiline", entry])
            .stdin(Stdio::piped())
            .spawn()
            .expect("pass insert");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{secret}\n").as_bytes())
            .expect("write");
        assert!(child.wait().expect("wait").success(), "pass insert failed");
    }
}

impl Drop for PassStore {
    fn drop(&mut self) {
        let _ = self.command("gpgconf").args(["--kill", "gpg-agent"]).status();
    }
}

#[test]
fn a_pass_backed_profile_fetches_a_token() {
    if !tools_present("pass test", &["pass", "gpg", "gpgconf"]) {
        return;
    }
    let mut sb = Sandbox::new();
    sb.env.retain(|(k, _)| k != SECRET_VAR);
    let store = PassStore::new(sb.path());
    store.insert("workiva/prod", SECRET);
    sb.set_env("GNUPGHOME", store.gnupg.to_str().expect("utf-8"));
    sb.set_env("PASSWORD_STORE_DIR", store.store.to_str().expect("utf-8"));

    let srv = server();
    sb.add_command_profile("prod", &srv.token_url(), "pass show workiva/prod");
    let token = sb.run(&["token", "prod"]).ok().stdout;
    assert!(token.starts_with("wk."), "{token}");
    assert!(
        srv.requests()[0].credentials.secret_matched,
        "the secret pass decrypted was sent"
    );
    let show = sb.run(&["profile", "show", "prod"]).ok().stdout;
    assert!(
        show.contains("output of the command `pass show workiva/prod`"),
        "{show}"
    );
    // The store holds it encrypted; nothing else under the sandbox holds it at all.
    sb.assert_no_secret_in_files(&[]);

    // A wrong entry name is reported with pass's own words, without a secret.
    sb.run(&[
        "profile",
        "edit",
        "prod",
        "--secret-command",
        "pass show workiva/absent",
    ])
    .ok();
    let run = sb.run(&["token", "prod", "--refresh"]).fails_with(1);
    run.says(&["pass show workiva/absent", "failed"]);
}

#[test]
fn a_secret_tool_backed_profile_fetches_a_token() {
    if !tools_present("secret-tool recipe test", &KEYRING_TOOLS) {
        return;
    }
    use std::io::Write;
    let mut sb = Sandbox::new();
    let session = sb.use_keyring();
    let mut child = Command::new("secret-tool")
        .args([
            "store",
            "--label=Workiva prod",
            "service",
            "workiva",
            "account",
            "prod",
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", &session.bus_address)
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool store");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(SECRET.as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());

    let srv = server();
    sb.add_command_profile(
        "prod",
        &srv.token_url(),
        "secret-tool lookup service workiva account prod",
    );
    assert!(sb.run(&["token", "prod"]).ok().stdout.starts_with("wk."));
    assert!(srv.requests()[0].credentials.secret_matched);
}

/// The README's lines for 1Password, Vault and AWS Secrets Manager, each run
/// by wktui through `sh -c` against a stand-in that prints the secret only
/// when called with exactly the arguments the recipe gives.
#[test]
fn the_readme_recipes_reach_their_tools_with_the_documented_arguments() {
    let mut sb = Sandbox::new();
    sb.env.retain(|(k, _)| k != SECRET_VAR);
    let bin = sb.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let recipes = [
        (
            "op",
            "op read op://Private/workiva-prod/credential",
            "read op://Private/workiva-prod/credential",
        ),
        (
            "vault",
            "vault kv get -field=client_secret secret/workiva/prod",
            "kv get -field=client_secret secret/workiva/prod",
        ),
        (
            "aws",
            "aws secretsmanager get-secret-value --secret-id workiva/prod --query SecretString --output text",
            "secretsmanager get-secret-value --secret-id workiva/prod --query SecretString --output text",
        ),
    ];
    for (tool, _, expected_args) in &recipes {
        let script = bin.join(tool);
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nif [ \"$*\" = '{expected_args}' ]; then printf '%s\\n' \"$WKTUI_TEST_STANDIN_SECRET\"; else echo \"unexpected arguments: $*\" >&2; exit 2; fi\n"
            ),
        )
        .expect("write stand-in");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    sb.set_env("PATH", &path);
    sb.set_env("WKTUI_TEST_STANDIN_SECRET", SECRET);
    let srv = server();
    for (tool, line, _) in &recipes {
        sb.add_command_profile(tool, &srv.token_url(), line);
        let token = sb.run(&["token", tool]).ok().stdout;
        assert!(token.starts_with("wk."), "{tool}: {token}");
    }
    assert!(srv.requests().iter().all(|r| r.credentials.secret_matched));
    let config = std::fs::read_to_string(sb.config_path()).expect("config");
    for (_, line, _) in &recipes {
        assert!(
            config.contains(&format!("secret_command = \"{line}\"")),
            "stored verbatim: {config}"
        );
    }
}
