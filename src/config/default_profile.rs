//! The profile a command uses when none is named: `WKTUI_PROFILE`, else
//! `default_profile` under `[settings]`. The environment wins, as
//! `AWS_PROFILE` does for aws-vault and `CLOUDSDK_ACTIVE_CONFIG_NAME` for
//! gcloud: a shell or a CI job picks its profile without editing the file.

use std::fmt;

use crate::model::Settings;

/// The environment variable that names the default profile.
pub const PROFILE_ENV: &str = "WKTUI_PROFILE";

/// Where the default profile was named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultSource {
    Env,
    Config,
}

impl fmt::Display for DefaultSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultSource::Env => write!(f, "${PROFILE_ENV}"),
            DefaultSource::Config => f.write_str("default_profile in the config file"),
        }
    }
}

/// A default profile's name and where it was named; not yet checked
/// against the profiles (`Config::chosen` does that).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultProfile {
    pub name: String,
    pub source: DefaultSource,
}

impl DefaultProfile {
    /// `WKTUI_PROFILE` when it is set and not blank, else the setting.
    pub fn find(settings: &Settings, env: Option<String>) -> Option<DefaultProfile> {
        if let Some(name) = env.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
            return Some(DefaultProfile {
                name,
                source: DefaultSource::Env,
            });
        }
        settings.default_profile.clone().map(|name| DefaultProfile {
            name,
            source: DefaultSource::Config,
        })
    }

    /// The name from the environment alone: known before the file is read.
    pub fn from_env(env: Option<String>) -> Option<String> {
        Self::find(&Settings::default(), env).map(|d| d.name)
    }

    /// `WKTUI_PROFILE` of this process.
    pub fn env_value() -> Option<String> {
        std::env::var(PROFILE_ENV).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(default: Option<&str>) -> Settings {
        Settings {
            default_profile: default.map(str::to_owned),
            ..Settings::default()
        }
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let found = DefaultProfile::find(&settings(Some("dev")), Some("prod".into())).expect("found");
        assert_eq!(found.name, "prod");
        assert_eq!(found.source, DefaultSource::Env);
        let found = DefaultProfile::find(&settings(Some("dev")), None).expect("found");
        assert_eq!(found.name, "dev");
        assert_eq!(found.source, DefaultSource::Config);
    }

    #[test]
    fn a_blank_variable_is_not_set() {
        let found = DefaultProfile::find(&settings(Some("dev")), Some("  ".into())).expect("found");
        assert_eq!(found.source, DefaultSource::Config);
        assert_eq!(DefaultProfile::find(&settings(None), Some(String::new())), None);
        assert_eq!(
            DefaultProfile::from_env(Some(" prod ".into())).as_deref(),
            Some("prod")
        );
    }
}
