//! Races between wktui processes changing profiles at the same time, on a
//! real keyring: whatever the interleaving, every profile in the config has
//! its secret and no secret is left without a profile.

use std::process::{Child, Stdio};

use crate::common::system::{KEYRING_TOOLS, KeyringSession, tools_present};
use crate::common::{CLIENT_ID, Sandbox};

fn spawn(sb: &Sandbox, args: &[&str], secret: &str) -> Child {
    let mut child = sb
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = writeln!(stdin, "{secret}");
    }
    child
}

fn profiles_in_config(sb: &Sandbox) -> Vec<String> {
    let run = sb.run(&["profile", "list", "--format", "json"]).ok();
    let list: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    list.as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

#[track_caller]
fn assert_consistent(sb: &Sandbox, keyring: &KeyringSession, names: &[&str]) {
    let configured = profiles_in_config(sb);
    for name in names {
        let secret = keyring.lookup(name);
        if configured.iter().any(|c| c == name) {
            assert!(
                secret.is_some(),
                "profile {name} is configured but lost its secret"
            );
        } else {
            assert!(secret.is_none(), "the secret of {name} outlived its profile");
        }
    }
}

#[test]
fn parallel_adds_edits_and_removes_lose_nothing() {
    if !tools_present("race test", &KEYRING_TOOLS) {
        return;
    }
    let mut sb = Sandbox::new();
    let keyring = sb.use_keyring();
    let names = ["same", "other", "third"];
    for round in 0..6 {
        let mut children = Vec::new();
        for i in 0..9 {
            let name = names[i % names.len()];
            let secret = format!("wk_secret:round{round}:{i}");
            sb.secrets.push(secret.clone());
            let args: Vec<&str> = match (i + round) % 4 {
                0 | 1 => vec!["profile", "add", name, "--client-id", CLIENT_ID, "--region", "us"],
                2 => vec!["profile", "set-secret", name],
                _ => vec!["profile", "remove", name, "--yes"],
            };
            children.push(spawn(&sb, &args, &secret));
        }
        for mut child in children {
            let _ = child.wait();
        }
        assert_consistent(&sb, &keyring, &names);
    }
}
