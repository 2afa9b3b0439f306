//! The profile named `env`, made from environment variables alone: for CI
//! jobs and containers that have neither a config file nor a keyring.
//!
//! `WORKIVA_CLIENT_ID` and `WORKIVA_CLIENT_SECRET` make it exist;
//! `WORKIVA_REGION` or `WORKIVA_TOKEN_URL` say where tokens come from (the
//! `us` region when neither is set) and `WORKIVA_SCOPE` what to ask for. The
//! profile reads its secret from `$WORKIVA_CLIENT_SECRET` each time, like a
//! `secret_env` profile, so the secret is never copied anywhere; its token is
//! cached like any other profile's.

use crate::model::{Endpoint, Profile, Region, Scopes, SecretSource};

/// The name of the profile the environment defines.
pub const ENV_PROFILE: &str = "env";

pub const CLIENT_ID_VAR: &str = "WORKIVA_CLIENT_ID";
pub const CLIENT_SECRET_VAR: &str = "WORKIVA_CLIENT_SECRET";
pub const REGION_VAR: &str = "WORKIVA_REGION";
pub const TOKEN_URL_VAR: &str = "WORKIVA_TOKEN_URL";
pub const SCOPE_VAR: &str = "WORKIVA_SCOPE";

/// Environment variables that would make a profile, but say something wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvProfileError {
    #[error(
        "${REGION_VAR} and ${TOKEN_URL_VAR} are both set; the env profile needs one of them (or neither, for the us region)"
    )]
    RegionAndUrl,
    #[error("${REGION_VAR}: {0}")]
    Region(String),
    #[error("${TOKEN_URL_VAR}: {0}")]
    TokenUrl(String),
    #[error("${SCOPE_VAR}: {0}")]
    Scope(String),
    #[error("${CLIENT_ID_VAR} is set but empty; set it to the client id of the Workiva API grant")]
    EmptyClientId,
    #[error("${0} holds a control or invisible character; set it to plain text")]
    NotClean(&'static str),
}

/// What the environment says about the `env` profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvProfile {
    /// Neither the client id nor the secret is set: no `env` profile.
    Absent,
    /// One of the two is set but not the other (named here).
    Incomplete {
        missing: &'static str,
    },
    Present(Profile),
}

/// Reads the `env` profile from `var` (the process environment in
/// production, a map in tests). Never reads the secret's value beyond
/// checking that it is there.
pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<EnvProfile, EnvProfileError> {
    let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    // The same rule as for the config file's fields: what goes to the
    // server, the cache and the terminal holds no control character.
    for name in [CLIENT_ID_VAR, REGION_VAR, TOKEN_URL_VAR, SCOPE_VAR] {
        if var(name).is_some_and(|v| !crate::model::text::is_clean(&v)) {
            return Err(EnvProfileError::NotClean(name));
        }
    }
    let client_id = var(CLIENT_ID_VAR);
    let has_secret = var(CLIENT_SECRET_VAR).is_some_and(|s| !s.is_empty());
    let client_id = match (client_id, has_secret) {
        (None, false) => return Ok(EnvProfile::Absent),
        (None, true) => {
            return Ok(EnvProfile::Incomplete {
                missing: CLIENT_ID_VAR,
            });
        }
        (Some(_), false) => {
            return Ok(EnvProfile::Incomplete {
                missing: CLIENT_SECRET_VAR,
            });
        }
        (Some(id), true) if id.trim().is_empty() => return Err(EnvProfileError::EmptyClientId),
        (Some(id), true) => id.trim().to_owned(),
    };
    let endpoint = match (set(REGION_VAR), set(TOKEN_URL_VAR)) {
        (Some(_), Some(_)) => return Err(EnvProfileError::RegionAndUrl),
        (Some(region), None) => Endpoint::Region(
            region
                .parse::<Region>()
                .map_err(|e| EnvProfileError::Region(e.to_string()))?,
        ),
        (None, Some(url)) => {
            Endpoint::token_url(&url).map_err(|e| EnvProfileError::TokenUrl(e.to_string()))?
        }
        (None, None) => Endpoint::Region(Region::Us),
    };
    let mut profile = Profile::new(ENV_PROFILE, endpoint, client_id);
    if let Some(scope) = set(SCOPE_VAR) {
        let checked = Scopes::checked(&scope).map_err(|e| EnvProfileError::Scope(e.to_string()))?;
        profile.scope = Some(checked).filter(|s| !s.is_empty());
    }
    profile.secret_source = SecretSource::Env(CLIENT_SECRET_VAR.to_owned());
    Ok(EnvProfile::Present(profile))
}

/// Adds the `env` profile to `config` when the environment defines one. A
/// profile named `env` in the file wins; the returned warning says so.
pub fn add_to(
    config: &mut super::Config,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, EnvProfileError> {
    let EnvProfile::Present(profile) = from_env(var)? else {
        return Ok(None);
    };
    // A broken one too: `token env` then says what is wrong with it rather
    // than quietly using other credentials.
    let in_file = config.profiles.iter().any(|p| p.name == ENV_PROFILE)
        || config
            .broken
            .iter()
            .any(|b| b.name.as_deref() == Some(ENV_PROFILE));
    if in_file {
        return Ok(Some(format!(
            "${CLIENT_ID_VAR} and ${CLIENT_SECRET_VAR} are set, but the config file has a profile named \"{ENV_PROFILE}\", which is used instead; rename it (wktui profile rename {ENV_PROFILE} NEW) to use the environment's"
        )));
    }
    config.profiles.push(profile);
    Ok(None)
}

/// Why there is no `env` profile, for someone who asked for it: which
/// variable is missing. A secret that is set but empty is missing too: CI
/// systems pass secrets as empty to jobs they do not trust (GitHub Actions
/// to workflows of pull requests from forks). `None` when it is there.
pub fn why_absent(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    match from_env(var) {
        Ok(EnvProfile::Present(_)) => None,
        Err(e) => Some(format!("the {ENV_PROFILE} profile: {e}")),
        Ok(EnvProfile::Absent) => Some(format!(
            "no profile named \"{ENV_PROFILE}\": it is made from ${CLIENT_ID_VAR} and ${CLIENT_SECRET_VAR}, and neither is set; set both, or name a configured profile"
        )),
        Ok(EnvProfile::Incomplete { missing }) if missing == CLIENT_SECRET_VAR => Some(format!(
            "no profile named \"{ENV_PROFILE}\": ${CLIENT_ID_VAR} is set but ${CLIENT_SECRET_VAR} is missing or empty; set it. In CI, secrets are not passed to jobs the CI does not trust (on GitHub Actions, workflows of pull requests from forks get them empty)"
        )),
        Ok(EnvProfile::Incomplete { missing }) => Some(format!(
            "no profile named \"{ENV_PROFILE}\": ${CLIENT_SECRET_VAR} is set but ${missing} is missing or empty; set it to the client id of the Workiva API grant"
        )),
    }
}

/// Whether `profile` is the one the environment made (not one from a file).
pub fn is_env_profile(profile: &Profile) -> bool {
    profile.name == ENV_PROFILE && profile.secret_source == SecretSource::Env(CLIENT_SECRET_VAR.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn a_missing_or_empty_variable_is_named_when_env_is_asked_for() {
        let why = why_absent(env(&[(CLIENT_ID_VAR, "id"), (CLIENT_SECRET_VAR, "")])).expect("absent");
        assert!(
            why.contains("$WORKIVA_CLIENT_SECRET is missing or empty"),
            "{why}"
        );
        assert!(why.contains("pull requests from forks"), "{why}");
        let why = why_absent(env(&[(CLIENT_SECRET_VAR, "s")])).expect("absent");
        assert!(why.contains("$WORKIVA_CLIENT_ID is missing or empty"), "{why}");
        let why = why_absent(env(&[])).expect("absent");
        assert!(why.contains("neither is set"), "{why}");
        assert_eq!(
            why_absent(env(&[(CLIENT_ID_VAR, "id"), (CLIENT_SECRET_VAR, "s")])),
            None
        );
    }

    #[test]
    fn id_and_secret_make_a_us_profile_that_reads_the_secret_from_the_environment() {
        let got = from_env(env(&[
            (CLIENT_ID_VAR, " ci-client "),
            (CLIENT_SECRET_VAR, "s:e:c"),
        ]));
        let Ok(EnvProfile::Present(p)) = got else {
            panic!("expected a profile, got {got:?}");
        };
        assert_eq!(p.name, "env");
        assert_eq!(p.client_id, "ci-client");
        assert_eq!(p.endpoint, Endpoint::Region(Region::Us));
        assert_eq!(p.secret_source, SecretSource::Env(CLIENT_SECRET_VAR.into()));
        assert!(is_env_profile(&p));
        assert!(!format!("{p:?}").contains("s:e:c"));
    }

    #[test]
    fn region_url_and_scope_are_taken_and_checked() {
        let got = from_env(env(&[
            (CLIENT_ID_VAR, "id"),
            (CLIENT_SECRET_VAR, "s"),
            (REGION_VAR, "EU"),
            (SCOPE_VAR, "file:read  file:write"),
        ]));
        let Ok(EnvProfile::Present(p)) = got else {
            panic!("{got:?}");
        };
        assert_eq!(p.endpoint, Endpoint::Region(Region::Eu));
        assert_eq!(
            p.scope.map(|s| s.to_string()).as_deref(),
            Some("file:read file:write")
        );

        let base = [(CLIENT_ID_VAR, "id"), (CLIENT_SECRET_VAR, "s")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            from_env(env(&all))
        };
        assert_eq!(
            with(&[(REGION_VAR, "us"), (TOKEN_URL_VAR, "https://x/oauth2/token")]),
            Err(EnvProfileError::RegionAndUrl)
        );
        let err = with(&[(SCOPE_VAR, "file:read bad\"scope")])
            .expect_err("bad scope")
            .to_string();
        assert!(
            err.starts_with("$WORKIVA_SCOPE: scope \"bad\"scope\" holds '\"'"),
            "{err}"
        );
        let err = with(&[(REGION_VAR, "moon")]).expect_err("bad region").to_string();
        assert!(
            err.starts_with("$WORKIVA_REGION: \"moon\" is not a valid region"),
            "{err}"
        );
        let err = with(&[(TOKEN_URL_VAR, "http://example.com/t")])
            .expect_err("plain http")
            .to_string();
        assert!(
            err.starts_with("$WORKIVA_TOKEN_URL:") && err.contains("https"),
            "{err}"
        );
        let Ok(EnvProfile::Present(p)) = with(&[(TOKEN_URL_VAR, "http://127.0.0.1:9/oauth2/token")]) else {
            panic!("loopback http is allowed");
        };
        assert_eq!(p.token_url(), "http://127.0.0.1:9/oauth2/token");
    }

    #[test]
    fn control_characters_are_refused_naming_the_variable() {
        for var in [CLIENT_ID_VAR, REGION_VAR, TOKEN_URL_VAR, SCOPE_VAR] {
            let mut pairs = vec![(CLIENT_ID_VAR, "id"), (CLIENT_SECRET_VAR, "s")];
            pairs.retain(|(name, _)| *name != var);
            pairs.push((var, "x\u{1b}]0;pwned\u{7}"));
            assert_eq!(
                from_env(env(&pairs)),
                Err(EnvProfileError::NotClean(var)),
                "{var}"
            );
        }
        let e = EnvProfileError::NotClean(SCOPE_VAR).to_string();
        assert!(e.contains("$WORKIVA_SCOPE") && !e.contains('\u{1b}'), "{e}");
    }

    #[test]
    fn a_broken_env_profile_in_the_file_still_wins_and_says_why() {
        let text = "[[profile]]\nname = \"env\"\nregion = \"moon\"\nclient_id = \"x\"\n";
        let mut config = crate::config::parse(text, std::path::Path::new("c.toml")).expect("loads");
        let warning = add_to(
            &mut config,
            env(&[(CLIENT_ID_VAR, "id"), (CLIENT_SECRET_VAR, "s")]),
        )
        .expect("no error");
        assert!(warning.is_some_and(|w| w.contains("which is used instead")));
        let err = config.profile(ENV_PROFILE).expect_err("broken").to_string();
        assert!(err.contains("c.toml:3:10: region:"), "{err}");
    }

    #[test]
    fn half_a_profile_is_reported_and_none_is_absent() {
        assert_eq!(from_env(env(&[])), Ok(EnvProfile::Absent));
        assert_eq!(
            from_env(env(&[(CLIENT_ID_VAR, "id")])),
            Ok(EnvProfile::Incomplete {
                missing: CLIENT_SECRET_VAR
            })
        );
        assert_eq!(
            from_env(env(&[(CLIENT_SECRET_VAR, "s")])),
            Ok(EnvProfile::Incomplete {
                missing: CLIENT_ID_VAR
            })
        );
        assert_eq!(
            from_env(env(&[(CLIENT_ID_VAR, " "), (CLIENT_SECRET_VAR, "s")])),
            Err(EnvProfileError::EmptyClientId)
        );
    }
}
