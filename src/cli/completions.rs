//! `wktui completions SHELL`: a small script that hands completion back to
//! wktui itself (clap_complete's dynamic completion), so profile names come
//! from the config as it is when Tab is pressed, and the script never goes
//! stale against the binary's commands.

use std::ffi::OsString;
use std::path::PathBuf;

use clap_complete::env::Shells;

use super::CliError;
use super::args::CompletionShell;

/// The variable the scripts set when they ask wktui for completions. Not
/// clap's default `COMPLETE`, which is too common a name to claim.
pub const COMPLETE_ENV: &str = "WKTUI_COMPLETE";

pub fn run(shell: CompletionShell) -> Result<(), CliError> {
    let shells = Shells::builtins();
    let completer = shells
        .completer(shell.name())
        .ok_or_else(|| CliError::usage(format!("no completions for {}", shell.name())))?;
    let path = completer_path();
    // zsh's and fish's scripts quote the path rightly themselves.
    let ours = matches!(
        shell,
        CompletionShell::Bash | CompletionShell::Powershell | CompletionShell::Elvish
    );
    let mut script = Vec::new();
    completer
        .write_registration(
            COMPLETE_ENV,
            "wktui",
            "wktui",
            if ours { PLACEHOLDER } else { &path },
            &mut script,
        )
        .map_err(|e| CliError::runtime(format!("cannot write the completion script: {e}")))?;
    let script = String::from_utf8_lossy(&script);
    if ours {
        super::print(&with_completer(&script, shell, &path))
    } else {
        super::print(&script)
    }
}

/// Stands for wktui's path while clap_complete writes the script of bash,
/// PowerShell or Elvish: it quotes a path the POSIX way, which bash's
/// script then wraps in double quotes and PowerShell and Elvish read by
/// other rules, so a path with a space (`C:\Users\Jo Smith\...`,
/// `~/My Tools/wktui`) broke the script. The path is put in here, quoted
/// in the words of the shell that reads it.
const PLACEHOLDER: &str = "__WKTUI_COMPLETER__";

fn with_completer(script: &str, shell: CompletionShell, path: &str) -> String {
    let quoted = quote_for(shell, path);
    script
        .replace(&format!("\"{PLACEHOLDER}\""), &quoted)
        .replace(PLACEHOLDER, &quoted)
}

/// `path` as one literal word of `shell`'s language (bash, PowerShell or
/// Elvish: see [`PLACEHOLDER`]).
fn quote_for(shell: CompletionShell, path: &str) -> String {
    // A backslash is a character of a path in PowerShell and Elvish, an escape in bash.
    let backslash_is_plain = matches!(shell, CompletionShell::Powershell | CompletionShell::Elvish);
    let plain =
        |c: char| c.is_ascii_alphanumeric() || "/._-:".contains(c) || (c == '\\' && backslash_is_plain);
    if !path.is_empty() && path.chars().all(plain) {
        return path.to_owned();
    }
    match shell {
        // Single quotes are doubled in PowerShell (which also takes
        // typographic quotes as quotes). Its script reads the call from a
        // double-quoted here-string first: ` and $ are escaped for that.
        CompletionShell::Powershell => {
            let mut out = String::from("'");
            for c in path.chars() {
                match c {
                    '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => {
                        out.push(c);
                        out.push(c);
                    }
                    '`' => out.push_str("``"),
                    '$' => out.push_str("`$"),
                    _ => out.push(c),
                }
            }
            out.push('\'');
            out
        }
        CompletionShell::Elvish => format!("'{}'", path.replace('\'', "''")),
        // POSIX single quotes, each ' closed, escaped and reopened.
        _ => format!("'{}'", path.replace('\'', r"'\''")),
    }
}

/// How the script calls wktui back: as it was called now (`wktui` from PATH,
/// or a path made absolute), as clap_complete does for `WKTUI_COMPLETE=bash wktui`.
fn completer_path() -> String {
    let argv0 = std::env::args_os()
        .next()
        .unwrap_or_else(|| OsString::from("wktui"));
    let path = PathBuf::from(&argv0);
    if path.components().count() > 1 {
        return std::path::absolute(&path)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned();
    }
    argv0.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ODD: &str = "/home/jo smith/it's $HOME `here`/wktui";

    #[test]
    fn a_plain_path_is_written_as_it_is() {
        for shell in [
            CompletionShell::Bash,
            CompletionShell::Powershell,
            CompletionShell::Elvish,
        ] {
            assert_eq!(quote_for(shell, "/usr/local/bin/wktui"), "/usr/local/bin/wktui");
        }
        let windows = r"C:\Users\jo\AppData\Local\Programs\wktui\wktui.exe";
        assert_eq!(quote_for(CompletionShell::Powershell, windows), windows);
        // In bash a bare backslash is an escape: the path is quoted.
        assert_eq!(quote_for(CompletionShell::Bash, windows), format!("'{windows}'"));
    }

    #[test]
    fn a_path_with_spaces_and_quotes_is_one_literal_word_of_each_shell() {
        assert_eq!(
            quote_for(CompletionShell::Bash, ODD),
            r"'/home/jo smith/it'\''s $HOME `here`/wktui'"
        );
        assert_eq!(
            quote_for(CompletionShell::Powershell, r"C:\Users\Jo O'Brien\$x\wktui.exe"),
            r"'C:\Users\Jo O''Brien\`$x\wktui.exe'"
        );
        assert_eq!(quote_for(CompletionShell::Elvish, "/a b/it's"), "'/a b/it''s'");
    }

    #[test]
    fn bash_gets_the_path_quoted_once_not_inside_double_quotes() {
        let shells = Shells::builtins();
        let completer = shells.completer("bash").expect("bash");
        let mut script = Vec::new();
        completer
            .write_registration(COMPLETE_ENV, "wktui", "wktui", PLACEHOLDER, &mut script)
            .expect("write");
        let script = with_completer(
            &String::from_utf8_lossy(&script),
            CompletionShell::Bash,
            "/a b/wktui",
        );
        assert!(script.contains("\n        '/a b/wktui' -- "), "{script}");
        assert!(!script.contains(PLACEHOLDER), "{script}");
    }
}
