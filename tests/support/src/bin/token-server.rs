//! The test token server as a process of its own, for the benchmark and CI
//! scripts: `token-server CONFIG.toml` prints its base URL on the first line
//! of stdout, then serves until its stdin closes (or it is killed).

use std::io::Write;
use std::process::ExitCode;

use wktui_test_support::{ServerConfig, TokenServer};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: token-server CONFIG.toml (a ServerConfig in TOML, as in tests/support/src/lib.rs)");
        return ExitCode::from(2);
    };
    let path = std::path::PathBuf::from(path);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => return fail(2, &format!("cannot read {}: {e}", path.display())),
    };
    let config: ServerConfig = match toml::from_str(&text) {
        Ok(config) => config,
        Err(e) => return fail(2, &format!("{}: {e}", path.display())),
    };
    let server = match TokenServer::start_in_background(config) {
        Ok(server) => server,
        Err(e) => return fail(1, &format!("cannot start the token server: {e}")),
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{}", server.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return fail(1, "cannot write the base URL to stdout");
    }
    // Serve until whoever started us closes our stdin (or kills us).
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
    drop(server);
    ExitCode::SUCCESS
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("token-server: {message}");
    ExitCode::from(code)
}
