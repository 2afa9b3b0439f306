//! `wktui demo`: the whole interface against a token server on 127.0.0.1,
//! with sample profiles from `assets/`, secrets in memory and a private cache.
//! Nothing is written to the user's config, cache or keyring.

mod server;

use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;

use crate::cache::TokenCache;
use crate::config::{self, Config};
use crate::engine::Engine;
use crate::model::{CheckedUrl, SecretSource};
use crate::secrets::{MemoryStore, SecretStore};
pub use server::DemoServer;
use server::ServerConfig;

const PROFILES: &str = include_str!("../../assets/demo-profiles.toml");
const SERVER: &str = include_str!("../../assets/demo-server.toml");

/// The profile whose stored secret is out of date, to show a real refusal.
const STALE_PROFILE: &str = "stale-secret";

pub struct Demo {
    pub server: DemoServer,
    pub config_path: PathBuf,
    pub config: Config,
    pub engine: Arc<Engine>,
    /// Holds the demo's config copy and cache; removed when the demo ends.
    _dir: tempfile::TempDir,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot start the demo token server: {0}")]
    Server(std::io::Error),
    #[error("the demo's sample files are broken: {0}")]
    Assets(String),
    #[error("cannot create the demo's temporary directory: {0}")]
    TempDir(std::io::Error),
}

pub fn start() -> Result<Demo, DemoError> {
    let server_config: ServerConfig = toml::from_str(SERVER).map_err(|e| DemoError::Assets(e.to_string()))?;
    let dir = tempfile::Builder::new()
        .prefix("wktui-demo-")
        .tempdir()
        .map_err(DemoError::TempDir)?;
    let config_path = dir.path().join("config.toml");
    let mut config = config::parse(PROFILES, &config_path).map_err(|e| DemoError::Assets(e.to_string()))?;

    let server = DemoServer::start(server_config.clone()).map_err(DemoError::Server)?;
    let base = CheckedUrl::parse_base(&server.base_url()).map_err(|e| DemoError::Assets(e.to_string()))?;

    let secrets = MemoryStore::new();
    for profile in &mut config.profiles {
        profile.base_url = Some(base.clone());
        profile.secret_source = SecretSource::Memory;
        let grant = server_config
            .clients
            .iter()
            .find(|c| c.client_id == profile.client_id);
        let secret = match grant {
            Some(_) if profile.name == STALE_PROFILE => "demo:stale:an-old-secret".to_owned(),
            Some(grant) => grant.client_secret.clone(),
            None => continue,
        };
        let _ = secrets.set(&profile.name, &SecretString::from(secret));
    }
    // The edited copy the TUI's add/edit/delete work on.
    let text = demo_config_text(&config, &server.base_url());
    std::fs::write(&config_path, text).map_err(DemoError::TempDir)?;

    let engine = Engine::new(
        config.settings.clone(),
        Arc::new(secrets),
        TokenCache::new(dir.path().join("cache")),
    );
    Ok(Demo {
        server,
        config_path,
        config,
        engine: Arc::new(engine),
        _dir: dir,
    })
}

/// The sample file with every profile pointed at the local server.
fn demo_config_text(config: &Config, base_url: &str) -> String {
    let mut text = PROFILES.to_owned();
    for profile in &config.profiles {
        let needle = format!("name = \"{}\"\n", profile.name);
        text = text.replace(&needle, &format!("{needle}base_url = \"{base_url}\"\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_assets_load_and_point_at_the_local_server() {
        let demo = start().expect("demo starts");
        assert_eq!(demo.config.profiles.len(), 6);
        let regions: std::collections::HashSet<_> =
            demo.config.profiles.iter().map(|p| p.endpoint_label()).collect();
        assert_eq!(regions.len(), 3, "three regions");
        for p in &demo.config.profiles {
            assert!(
                p.token_url().starts_with(&demo.server.base_url()),
                "{}",
                p.token_url()
            );
        }
        assert!(
            demo.config
                .profiles
                .iter()
                .all(|p| p.secret_source == SecretSource::Memory)
        );
        // The copy on disk is the same, less the secrets' home, which a file never names.
        let reloaded = config::load(&demo.config_path).expect("the demo's config copy is valid");
        let as_stored: Vec<_> = demo
            .config
            .profiles
            .iter()
            .cloned()
            .map(|mut p| {
                p.secret_source = SecretSource::Keyring;
                p
            })
            .collect();
        assert_eq!(reloaded.profiles, as_stored);
        // busy-eu's grant is the one refused once, as its comment in demo-profiles.toml says.
        let server: ServerConfig = toml::from_str(SERVER).expect("the server's grants");
        let busy = demo.config.profile("busy-eu").expect("busy-eu");
        let grant = server.clients.iter().find(|g| g.client_id == busy.client_id);
        assert_eq!(grant.and_then(|g| g.busy_once_retry_after), Some(2));
    }

    #[test]
    fn demo_tokens_come_and_the_stale_secret_is_refused() {
        let demo = start().expect("demo starts");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let prod = demo.config.profile("prod-us").expect("prod-us").clone();
        let refreshed = rt.block_on(demo.engine.refresh(&prod, None)).expect("token");
        assert_eq!(refreshed.token.lifetime.as_secs(), 180);
        let stale = demo.config.profile(STALE_PROFILE).expect("stale").clone();
        let err = rt
            .block_on(demo.engine.refresh(&stale, None))
            .expect_err("refused");
        assert!(err.to_string().starts_with("invalid_client"), "{err}");
    }
}
