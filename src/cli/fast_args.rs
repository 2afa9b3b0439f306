//! The command lines scripts run most, `wktui token [NAME]` and `wktui list`,
//! read without building clap's whole command tree: a cached token is a
//! process of about a millisecond, and setting up every subcommand's
//! arguments (and touching their code and help texts) was a measurable share
//! of it. Anything else,
//! any flag or odd name, goes to clap, which stays the one definition of
//! the command line; a test checks that both read these lines the same.

use std::ffi::OsString;

use super::args::{Cli, Command, FormatArg, ListArgs, TokenArgs, TokenFormat};

/// `Some` only for exactly `token NAME`, with a NAME clap would take as a
/// plain value (not empty, not starting with `-`), `token` alone (the
/// default profile) or `list` alone.
pub fn parse(args: &[OsString]) -> Option<Cli> {
    if let [_, command] = args {
        if command == "list" {
            return Some(cli(Command::List(ListArgs {
                format: FormatArg { format: None },
            })));
        }
        if command == "token" {
            return Some(token(None));
        }
    }
    let [_, command, name] = args else {
        return None;
    };
    let name = name.to_str()?;
    if command != "token" || name.is_empty() || name.starts_with('-') {
        return None;
    }
    Some(token(Some(name.to_owned())))
}

fn token(name: Option<String>) -> Cli {
    cli(Command::Token(TokenArgs {
        name,
        refresh: false,
        min_ttl: None,
        format: TokenFormat::Bare,
        scope: None,
    }))
}

fn cli(command: Command) -> Cli {
    Cli {
        config: None,
        quiet: false,
        log_level: None,
        command: Some(command),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn argv(words: &[&str]) -> Vec<OsString> {
        std::iter::once("wktui")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn what_it_reads_clap_reads_the_same() {
        for words in [
            &["token", "prod"][..],
            &["token", "p00001"],
            &["token", "name with spaces"],
            &["token", "help"],
            &["token", "ünïcode"],
            &["token"],
            &["list"],
        ] {
            let fast = parse(&argv(words)).expect("taken");
            let clap = Cli::try_parse_from(argv(words)).expect("clap parses it");
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{words:?}");
        }
    }

    #[test]
    fn everything_else_is_left_to_clap() {
        for words in [
            &[][..],
            &["token", "-h"],
            &["token", "--help"],
            &["token", "prod", "--refresh"],
            &["token", "prod", "--format", "json"],
            &["token", "prod", "--scope", "file:read"],
            &["--config", "x", "token"],
            &["token", ""],
            &["list", "prod"],
            &["list", "--format", "json"],
            &["list", "-q"],
            &["tokens", "prod"],
            &["token", "--", "prod"],
        ] {
            assert!(parse(&argv(words)).is_none(), "{words:?}");
        }
    }
}
