//! `wktui doctor`: the checks of `crate::doctor`, one line each, with a
//! fix where one failed; `--format json` for scripts. Exit 0 when nothing
//! failed (warnings and skipped checks are not failures), 1 otherwise.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::args::{DoctorArgs, ShowFormat};
use super::output::use_colour;
use super::{CliError, print, runtime};
use crate::cache::TokenCache;
use crate::config;
use crate::doctor::{self, Check, Inputs, Status};
use crate::secrets::KeyringStore;

pub fn run(explicit: Option<&Path>, args: &DoctorArgs) -> Result<(), CliError> {
    let inputs = Inputs {
        config_path: config::resolve_path(explicit)?,
        cache: TokenCache::from_environment(),
        only: args.name.clone(),
        secrets: Arc::new(KeyringStore::new()),
        env: Arc::new(|name: &str| std::env::var(name).ok()),
    };
    let rt = runtime()?;
    let checks = rt.block_on(doctor::run(inputs));
    // A check given up on at its deadline may still be blocked on its thread
    // (a display that accepts and never answers): do not wait for it here.
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    match args.format {
        ShowFormat::Json => print(&format!("{}\n", as_json(&checks))),
        ShowFormat::Text => print(&as_text(&checks, use_colour())),
    }?;
    if failed > 0 {
        return Err(CliError::runtime(format!(
            "{failed} of {} checks failed",
            checks.len()
        )));
    }
    Ok(())
}

fn as_json(checks: &[Check]) -> serde_json::Value {
    let items: Vec<_> = checks
        .iter()
        .map(|c| {
            json!({
                "check": c.name,
                "profile": c.profile,
                "status": c.status.as_str(),
                "detail": c.detail,
                "fix": c.fix,
            })
        })
        .collect();
    json!({
        "ok": checks.iter().all(|c| c.status != Status::Fail),
        "checks": items,
    })
}

/// `✓ prod  tls       TLS 1.3 handshake verified ...`, a fix after a dash.
fn as_text(checks: &[Check], colour: bool) -> String {
    let scope = |c: &Check| c.profile.clone().unwrap_or_default();
    let scope_width = checks.iter().map(|c| scope(c).chars().count()).max().unwrap_or(0);
    let name_width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        let (mark, code) = match c.status {
            Status::Pass => ("✓", "32"),
            Status::Warn => ("!", "33"),
            Status::Fail => ("✗", "31"),
            Status::Skip => ("-", "2"),
        };
        let mark = if colour {
            format!("\x1b[{code}m{mark}\x1b[0m")
        } else {
            mark.to_owned()
        };
        let scope = scope(c);
        let mut line = if scope_width > 0 {
            format!(
                "{mark} {scope:scope_width$}  {:name_width$}  {}",
                c.name, c.detail
            )
        } else {
            format!("{mark} {:name_width$}  {}", c.name, c.detail)
        };
        if let Some(fix) = &c.fix {
            line.push_str(" — fix: ");
            line.push_str(fix);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &'static str, profile: Option<&str>, status: Status, fix: Option<&str>) -> Check {
        Check {
            name,
            profile: profile.map(str::to_owned),
            status,
            detail: format!("{name} detail"),
            fix: fix.map(str::to_owned),
        }
    }

    #[test]
    fn one_aligned_line_per_check_with_its_fix() {
        let checks = [
            check("config", None, Status::Pass, None),
            check("tls", Some("prod"), Status::Fail, Some("add ca_file")),
        ];
        assert_eq!(
            as_text(&checks, false),
            "✓       config  config detail\n✗ prod  tls     tls detail — fix: add ca_file\n"
        );
        assert!(as_text(&checks, true).contains("\x1b[31m✗\x1b[0m"));
        let json = as_json(&checks);
        assert_eq!(json["ok"], false);
        assert_eq!(json["checks"][1]["profile"], "prod");
        assert_eq!(json["checks"][0]["fix"], serde_json::Value::Null);
    }
}
