//! `wktui profile export [NAMES]` and `wktui profile import FILE`: profiles
//! handed to a colleague as a file of `[[profile]]` tables, without secrets.

use std::io::IsTerminal;
use std::path::Path;

use secrecy::SecretString;

use super::args::{ExportArgs, ImportArgs};
use super::{CliError, Context, eprint_safe, print};
use crate::config::{ConfigError, env_profile, exchange, nearest};
use crate::model::{Profile, SecretSource};
use crate::profile_changes::{self, ProfileError};

pub fn export(ctx: &Context, args: &ExportArgs) -> Result<(), CliError> {
    let chosen = chosen_for_export(ctx, &args.names)?;
    let export = exchange::export(&chosen)?;
    for name in &export.commands_left_out {
        eprint_safe!(
            "wktui: note: the secret_command of {name} is not exported; the import keeps its secret in the keyring"
        );
    }
    print(&export.text)
}

/// The named profiles, in the order named, or every profile of the file.
/// The `env` profile is made from this shell's WORKIVA_* variables: a
/// colleague sets their own.
fn chosen_for_export<'c>(ctx: &'c Context, names: &[String]) -> Result<Vec<&'c Profile>, CliError> {
    let from_env = |p: &Profile| ctx.env_profile && env_profile::is_env_profile(p);
    if names.is_empty() {
        let all: Vec<&Profile> = ctx.config.profiles.iter().filter(|p| !from_env(p)).collect();
        if all.is_empty() {
            return Err(CliError::usage(format!(
                "no profiles are configured in {}; nothing to export",
                ctx.config_path.display()
            )));
        }
        return Ok(all);
    }
    let mut chosen: Vec<&Profile> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for name in names {
        match ctx.config.profiles.iter().find(|p| &p.name == name) {
            Some(p) if from_env(p) => {
                return Err(CliError::usage(format!(
                    "profile {name} is made from the WORKIVA_* environment variables, not the config file; it is not exported (a colleague sets those variables)"
                )));
            }
            Some(p) if !chosen.iter().any(|c| c.name == p.name) => chosen.push(p),
            Some(_) => {}
            None if !unknown.contains(&name.as_str()) => unknown.push(name),
            None => {}
        }
    }
    match unknown.as_slice() {
        [] => Ok(chosen),
        [one] => Err(ConfigError::NoSuchProfile {
            name: (*one).to_owned(),
            known: ctx.config.names(),
        }
        .into()),
        several => Err(CliError::usage(unknown_names(several, &ctx.config.names()))),
    }
}

/// Several unknown names, each with the names nearest to it.
fn unknown_names(unknown: &[&str], known: &[String]) -> String {
    let named: Vec<String> = unknown
        .iter()
        .map(|name| {
            let near = nearest::did_you_mean(name, known);
            match near.trim_end() {
                "" => format!("\"{name}\""),
                near => format!("\"{name}\" ({near})"),
            }
        })
        .collect();
    let configured = match known {
        [] => "no profiles are configured".to_owned(),
        known if known.len() <= 20 => format!("configured profiles: {}", known.join(", ")),
        known => format!("{} profiles are configured (wktui profile list)", known.len()),
    };
    format!("no profiles named {}; {configured}", named.join(", "))
}

pub fn import(ctx: &Context, args: &ImportArgs) -> Result<(), CliError> {
    let from_stdin = args.file.as_os_str() == "-";
    let label = if from_stdin {
        Path::new("<stdin>")
    } else {
        args.file.as_path()
    };
    let text = read_import(&args.file, from_stdin, label)?;
    let import = exchange::parse_import(&text, label).map_err(|e| invalid_file(e, label))?;
    drop(text);
    if import.had_settings {
        eprint_safe!(
            "wktui: note: the [settings] of {} are not imported, only its profiles",
            label.display()
        );
    }
    let vars = SecretVars::parse(&args.secret_env, &import.profiles)?;
    let (existing, new): (Vec<&Profile>, Vec<&Profile>) = import
        .profiles
        .iter()
        .partition(|p| ctx.config.profile(&p.name).is_ok());
    let existing: Vec<&str> = existing.iter().map(|p| p.name.as_str()).collect();
    if !existing.is_empty() && !args.skip_existing {
        return Err(conflicts(&existing, label));
    }
    if new.is_empty() {
        return ctx.say(&format!(
            "Nothing to import: every profile of {} is configured already ({}).\n",
            label.display(),
            existing.join(", ")
        ));
    }
    let secrets = secrets_for(ctx, &new, &vars, from_stdin)?;
    let mut added: Vec<&str> = Vec::new();
    let mut skipped = existing;
    for (i, (profile, secret)) in new.iter().zip(&secrets).enumerate() {
        match profile_changes::add(
            &ctx.config_path,
            profile,
            secret.as_ref(),
            ctx.engine.secrets().as_ref(),
        ) {
            Ok(()) => added.push(&profile.name),
            // Added by another process since the check: left as it is, as asked.
            Err(ProfileError::Config(ConfigError::ProfileExists(_))) if args.skip_existing => {
                skipped.push(&profile.name);
            }
            Err(e) => {
                let not_added: Vec<&str> = new[i..].iter().map(|p| p.name.as_str()).collect();
                return Err(stopped_midway(e.into(), &added, &not_added));
            }
        }
    }
    ctx.say(&summary(ctx, &new, &added, &skipped))
}

fn read_import(file: &Path, from_stdin: bool, label: &Path) -> Result<String, CliError> {
    let read = if from_stdin {
        exchange::read_bounded(std::io::stdin().lock(), label)
    } else {
        exchange::read_file(file)
    };
    read.map_err(|e| CliError {
        code: if e.is_not_found()
            || matches!(
                e,
                exchange::ReadError::Refused(_) | exchange::ReadError::NotText(_)
            ) {
            2
        } else {
            1
        },
        message: e.to_string(),
        hint: None,
    })
}

/// A file that does not check: its line and field, and where to fix it
/// (the file, not the config that `ConfigError`'s own hint would name).
fn invalid_file(e: ConfigError, label: &Path) -> CliError {
    CliError {
        hint: Some(format!(
            "correct {} (or export it again) and import it again; nothing was imported",
            label.display()
        )),
        ..CliError::usage(e.to_string())
    }
}

fn conflicts(existing: &[&str], label: &Path) -> CliError {
    let (noun, these) = match existing {
        [_] => ("a profile", "it"),
        _ => ("profiles", "them"),
    };
    CliError {
        hint: Some(format!(
            "import the others with --skip-existing, or rename {these} first: in {} or here (wktui profile rename {} NEW)",
            label.display(),
            existing[0]
        )),
        ..CliError::usage(format!(
            "{} of {} already configured here: {}; nothing was imported",
            noun,
            label.display(),
            existing.join(", ")
        ))
    }
}

/// Each new profile's secret for the keyring, or `None` for one that reads
/// its secret elsewhere. All are gathered before anything is written, so
/// that a missing one stops the import with nothing half done.
fn secrets_for(
    ctx: &Context,
    new: &[&Profile],
    vars: &SecretVars,
    from_stdin: bool,
) -> Result<Vec<Option<SecretString>>, CliError> {
    let stored: Vec<&Profile> = new
        .iter()
        .copied()
        .filter(|p| p.secret_source.is_stored())
        .collect();
    let Some(first) = stored.first() else {
        return Ok(new.iter().map(|_| None).collect());
    };
    let terminal = !from_stdin && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let unasked: Vec<&str> = stored
        .iter()
        .filter(|p| vars.var_for(&p.name).is_none())
        .map(|p| p.name.as_str())
        .collect();
    if !terminal && !unasked.is_empty() {
        let why = if from_stdin {
            "the file comes on stdin"
        } else {
            "there is no terminal to ask on"
        };
        return Err(CliError {
            hint: Some(format!(
                "wktui profile import FILE --secret-env {}=VAR (the variable holding its client secret), or --secret-env VAR for all",
                unasked[0]
            )),
            ..CliError::usage(format!(
                "{} in the keyring and {why}; nothing was imported",
                match unasked.as_slice() {
                    [one] => format!("the client secret of {one} goes"),
                    several => format!("the client secrets of {} go", several.join(", ")),
                }
            ))
        });
    }
    // The variables first: a mistake in them is found before the keyring is touched.
    let mut secrets: Vec<Option<SecretString>> = new
        .iter()
        .map(|p| match vars.var_for(&p.name) {
            Some(var) if p.secret_source.is_stored() => secret_from_env(var, &p.name).map(Some),
            _ => Ok(None),
        })
        .collect::<Result<_, _>>()?;
    // Asked only once the store answers: a typed secret with nowhere to go helps no one.
    profile_changes::check_store(ctx.engine.secrets().as_ref(), &first.name).map_err(|e| {
        let mut err = CliError::from(e);
        err.message.push_str("; nothing was imported");
        err
    })?;
    for (profile, secret) in new.iter().zip(secrets.iter_mut()) {
        if profile.secret_source.is_stored() && secret.is_none() {
            *secret = Some(ask_secret(profile)?);
        }
    }
    Ok(secrets)
}

fn secret_from_env(var: &str, name: &str) -> Result<SecretString, CliError> {
    let value = std::env::var(var).map_err(|e| {
        CliError::usage(format!(
            "--secret-env {var} for {name}: ${var} is {}; nothing was imported",
            match e {
                std::env::VarError::NotPresent => "not set",
                std::env::VarError::NotUnicode(_) => "not valid UTF-8",
            }
        ))
    })?;
    let secret = value.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(CliError::usage(format!(
            "--secret-env {var} for {name}: ${var} is empty; nothing was imported"
        )));
    }
    Ok(SecretString::from(secret.to_owned()))
}

/// The secret typed without echo, after saying where it will be sent: the
/// token URL came from someone else's file.
fn ask_secret(profile: &Profile) -> Result<SecretString, CliError> {
    eprint_safe!(
        "{}: token URL {}, client id {}",
        profile.name,
        profile.token_url(),
        profile.client_id
    );
    let line = super::prompt::read_hidden(&format!(
        "Client secret for {} (not shown): ",
        super::terminal_safe(&profile.name)
    ))
    .map_err(|e| CliError::runtime(format!("cannot read the secret from the terminal: {e}")))?
    .ok_or_else(|| CliError {
        code: 130,
        message: "cancelled; nothing was imported".into(),
        hint: None,
    })?;
    if line.is_empty() {
        return Err(CliError::usage(format!(
            "the client secret of {} is empty; nothing was imported",
            profile.name
        )));
    }
    Ok(SecretString::from(line.as_str().to_owned()))
}

/// An add failed: which profiles are in the config now and which are not.
fn stopped_midway(mut err: CliError, added: &[&str], not_added: &[&str]) -> CliError {
    let done = match added {
        [] => "nothing was imported".to_owned(),
        added => format!("imported: {}", added.join(", ")),
    };
    err.message = format!("{}; {done}; not imported: {}", err.message, not_added.join(", "));
    if !added.is_empty() {
        err.hint = Some("once it is fixed, import the file again with --skip-existing".to_owned());
    }
    err
}

fn summary(ctx: &Context, new: &[&Profile], added: &[&str], skipped: &[&str]) -> String {
    let mut out = match added {
        [] => "Imported no profile".to_owned(),
        [one] => format!("Imported profile {one}"),
        added => format!("Imported {} profiles: {}", added.len(), added.join(", ")),
    };
    out.push_str(&format!(" into {}.\n", ctx.config_path.display()));
    if !skipped.is_empty() {
        out.push_str(&format!(
            "Left as they are (already configured): {}.\n",
            skipped.join(", ")
        ));
    }
    let imported: Vec<&Profile> = new
        .iter()
        .copied()
        .filter(|p| added.contains(&p.name.as_str()))
        .collect();
    out.push_str(&destinations(&imported));
    for p in imported {
        if let SecretSource::Env(var) = &p.secret_source {
            out.push_str(&format!(
                "{} reads its client secret from ${var}: set it before `wktui token {}`.\n",
                p.name, p.name
            ));
        }
        // A path on the exporter's machine: it may not exist on this one.
        if let Some(ca) = &p.ca_file {
            out.push_str(&format!(
                "{} trusts the CA file {}: check that it is there (wktui doctor {}).\n",
                p.name,
                ca.display(),
                p.name
            ));
        }
    }
    out
}

/// Where each imported profile sends its client secret, one line per host
/// (a file from someone else may name any host, whatever its region says).
fn destinations(imported: &[&Profile]) -> String {
    /// Names shown per host; a fleet's import lists the rest as a count.
    const SHOWN: usize = 20;
    let mut hosts: Vec<(String, Vec<&str>)> = Vec::new();
    for p in imported {
        let host = p.destination_host();
        match hosts.iter_mut().find(|(h, _)| *h == host) {
            Some((_, names)) => names.push(&p.name),
            None => hosts.push((host, vec![&p.name])),
        }
    }
    let mut out = String::new();
    for (host, names) in hosts {
        let shown = match names.len() {
            n if n <= SHOWN => names.join(", "),
            n => format!("{}, and {} more", names[..SHOWN].join(", "), n - SHOWN),
        };
        out.push_str(&format!("Client secrets sent to {host}: {shown}.\n"));
    }
    out
}

/// `--secret-env`: one variable for every keyring profile, and/or one per
/// profile (`PROFILE=VAR`), which wins for that profile.
#[derive(Debug, Default, PartialEq)]
struct SecretVars {
    all: Option<String>,
    per_profile: Vec<(String, String)>,
}

impl SecretVars {
    fn parse(flags: &[String], profiles: &[Profile]) -> Result<SecretVars, CliError> {
        let mut vars = SecretVars::default();
        for flag in flags {
            let (profile, var) = match flag.split_once('=') {
                Some((profile, var)) => (Some(profile.trim()), var.trim()),
                None => (None, flag.trim()),
            };
            if var.is_empty() || var.contains('\0') {
                return Err(CliError::usage(format!(
                    "--secret-env {flag}: give the name of an environment variable (the secret itself never goes on the command line)"
                )));
            }
            match profile {
                None if vars.all.is_some() => {
                    return Err(CliError::usage(
                        "--secret-env VAR is given twice; give one for all, or PROFILE=VAR for each profile",
                    ));
                }
                None => vars.all = Some(var.to_owned()),
                Some(name) if !profiles.iter().any(|p| p.name == name) => {
                    let known: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
                    return Err(CliError::usage(format!(
                        "--secret-env {flag}: the file has no profile named \"{name}\"; {}its profiles: {}",
                        nearest::did_you_mean(name, &known),
                        known.join(", ")
                    )));
                }
                Some(name) if vars.per_profile.iter().any(|(p, _)| p == name) => {
                    return Err(CliError::usage(format!(
                        "--secret-env names {name} twice; give one variable per profile"
                    )));
                }
                Some(name) => vars.per_profile.push((name.to_owned(), var.to_owned())),
            }
        }
        Ok(vars)
    }

    fn var_for(&self, name: &str) -> Option<&str> {
        self.per_profile
            .iter()
            .find(|(p, _)| p == name)
            .map(|(_, var)| var.as_str())
            .or(self.all.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Endpoint, Region};

    fn profiles(names: &[&str]) -> Vec<Profile> {
        names
            .iter()
            .map(|n| Profile::new(*n, Endpoint::Region(Region::Us), "c"))
            .collect()
    }

    fn flags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_profile_s_own_variable_wins_over_the_one_for_all() {
        let ps = profiles(&["prod", "dev"]);
        let vars = SecretVars::parse(&flags(&["ALL", "prod=PROD"]), &ps).expect("valid");
        assert_eq!(vars.var_for("prod"), Some("PROD"));
        assert_eq!(vars.var_for("dev"), Some("ALL"));
        let vars = SecretVars::parse(&flags(&["prod=PROD"]), &ps).expect("valid");
        assert_eq!(vars.var_for("dev"), None);
    }

    #[test]
    fn mistakes_in_secret_env_are_refused_with_the_nearest_name() {
        let ps = profiles(&["prod", "dev"]);
        let err = SecretVars::parse(&flags(&["prdo=X"]), &ps).expect_err("unknown");
        assert!(err.message.contains("did you mean prod?"), "{}", err.message);
        assert!(SecretVars::parse(&flags(&["A", "B"]), &ps).is_err());
        assert!(SecretVars::parse(&flags(&["prod=A", "prod=B"]), &ps).is_err());
        assert!(SecretVars::parse(&flags(&["prod="]), &ps).is_err());
    }

    #[test]
    fn a_failure_midway_says_which_profiles_were_added_and_which_not() {
        let err = stopped_midway(CliError::runtime("cannot write"), &["a", "b"], &["c", "d"]);
        assert_eq!(err.message, "cannot write; imported: a, b; not imported: c, d");
        assert!(err.hint.is_some_and(|h| h.contains("--skip-existing")));
        let err = stopped_midway(CliError::runtime("cannot write"), &[], &["a"]);
        assert_eq!(err.message, "cannot write; nothing was imported; not imported: a");
        assert_eq!(err.code, 1);
    }

    #[test]
    fn several_unknown_names_each_get_their_nearest() {
        let known = vec!["dev".to_owned(), "prod".to_owned()];
        assert_eq!(
            unknown_names(&["prdo", "zzz"], &known),
            "no profiles named \"prdo\" (did you mean prod?), \"zzz\"; configured profiles: dev, prod"
        );
    }
}
