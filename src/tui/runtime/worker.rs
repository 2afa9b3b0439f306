//! The runtime's hands: performs the App's effects on background tasks and
//! sends each result back as an `Action`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::{Semaphore, mpsc};

use super::{TOKEN_BATCH, Term};
use crate::clipboard::{self, Method};
use crate::engine::{Engine, Origin};
use crate::model::{CheckedUrl, Endpoint, Profile};
use crate::profile_changes::{self, ProfileError};
use crate::tui::{Action, CopyAs, Effect};

/// Performs effects: each becomes a background task whose result comes back
/// on `results` as an `Action`. Keeps no state of the App's: every effect
/// carries the profiles it is about.
pub(super) struct Worker {
    pub(super) engine: Arc<Engine>,
    pub(super) config_path: PathBuf,
    /// Asks the config watcher to read the file now (after our own writes).
    pub(super) recheck_config: Arc<tokio::sync::Notify>,
    /// Given to profiles saved from the form that name a region (the demo's server).
    pub(super) base_url_for_new: Option<CheckedUrl>,
    pub(super) results: mpsc::UnboundedSender<Action>,
    pub(super) permits: Arc<Semaphore>,
}

impl Worker {
    /// Returns true when the App asked to quit.
    pub(super) fn perform(&mut self, effects: Vec<Effect>, terminal: &mut Term) -> bool {
        let mut quit = false;
        for effect in effects {
            match effect {
                Effect::Refresh(profiles) => profiles.into_iter().for_each(|p| self.refresh(p)),
                Effect::ReadCachedTokens(profiles) => self.read_tokens(profiles),
                Effect::ReadAllCachedTokens(profiles) => self.load_all_tokens(profiles),
                Effect::Copy { name, token, what } => self.copy(name, what.text(&token), what, terminal),
                Effect::Verify { profile, token } => self.verify(profile, token),
                Effect::SaveProfile {
                    profile,
                    secret,
                    replacing,
                } => self.save(profile, secret, replacing.map(|p| *p)),
                Effect::DeleteProfile(profile) => self.delete(profile),
                Effect::SetSecret { name, secret } => self.set_secret(name, secret),
                Effect::Quit => quit = true,
            }
        }
        quit
    }

    fn refresh(&self, profile: Arc<Profile>) {
        let engine = Arc::clone(&self.engine);
        let permits = Arc::clone(&self.permits);
        let results = self.results.clone();
        tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let result = engine.refresh(&profile, None).await.map(|done| {
                let latency = match done.origin {
                    Origin::Server { latency, .. } => latency,
                    Origin::Cache => Duration::ZERO,
                };
                (done.token, latency)
            });
            let _ = results.send(Action::Refreshed { profile, result });
        });
    }

    /// The cached tokens of a few profiles (those another process just
    /// stored), one file each.
    fn read_tokens(&self, profiles: Vec<Arc<Profile>>) {
        let cache = self.engine.cache().clone();
        let results = self.results.clone();
        tokio::task::spawn_blocking(move || {
            for profile in profiles {
                if let Some(token) = cache.load(&profile) {
                    let name = profile.name.clone();
                    let _ = results.send(Action::TokenFromCache { name, token });
                }
            }
        });
    }

    /// Every profile's cached token, from one listing of the cache dir and
    /// the files it shows, sent in batches (`CachedTokens`) so that a fleet's
    /// tokens are never all in flight at once beside the rows that keep them.
    pub(super) fn load_all_tokens(&self, profiles: Vec<Arc<Profile>>) {
        let cache = self.engine.cache().clone();
        let results = self.results.clone();
        tokio::task::spawn_blocking(move || {
            let stored = cache.stored_names();
            let all: Vec<&Profile> = profiles
                .iter()
                .filter(|p| stored.contains(&p.name))
                .map(|p| &**p)
                .collect();
            let mut batches = all.chunks(TOKEN_BATCH).peekable();
            if batches.peek().is_none() {
                let _ = results.send(Action::CachedTokens {
                    tokens: Vec::new(),
                    rest_pending: false,
                });
            }
            while let Some(batch) = batches.next() {
                let tokens = batch
                    .iter()
                    .zip(cache.load_stored(batch, &stored))
                    .filter_map(|(p, token)| Some((p.name.clone(), token?)))
                    .collect();
                let action = Action::CachedTokens {
                    tokens,
                    rest_pending: batches.peek().is_some(),
                };
                if results.send(action).is_err() {
                    return;
                }
            }
        });
    }

    fn copy(&self, name: String, token: crate::model::AccessToken, what: CopyAs, terminal: &mut Term) {
        let settings = self.engine.settings();
        match clipboard::method_for(settings.clipboard) {
            Method::Osc52 => {
                // Straight to the terminal we draw on: it is ours, and quick.
                let backend = terminal.backend_mut();
                let result = clipboard::copy_osc52(backend, token.expose()).map(|()| Method::Osc52);
                let _ = self.results.send(Action::Copied { name, what, result });
            }
            Method::System => {
                let clear_after = settings.clipboard_clear_after;
                let results = self.results.clone();
                tokio::task::spawn_blocking(move || {
                    let result = clipboard::copy_system(token.expose(), clear_after).map(|()| Method::System);
                    let _ = results.send(Action::Copied { name, what, result });
                });
            }
        }
    }

    fn verify(&self, profile: Arc<Profile>, token: crate::model::AccessToken) {
        let engine = Arc::clone(&self.engine);
        let results = self.results.clone();
        tokio::spawn(async move {
            let result = engine.verify(&profile, &token).await;
            let name = profile.name.clone();
            let _ = results.send(Action::Verified { name, token, result });
        });
    }

    /// Saves against `replacing` as the form showed it, not the file as it
    /// is now: if the file changed since, the save is refused, never a
    /// silent overwrite of what someone else wrote.
    fn save(&self, mut profile: Profile, secret: Option<SecretString>, replacing: Option<Profile>) {
        if profile.secret_source.is_stored() {
            profile.secret_source = self.engine.secrets().source();
        }
        if profile.base_url.is_none() && matches!(profile.endpoint, Endpoint::Region(_)) {
            profile.base_url = self.base_url_for_new.clone();
        }
        let engine = Arc::clone(&self.engine);
        let path = self.config_path.clone();
        let results = self.results.clone();
        let recheck = Arc::clone(&self.recheck_config);
        tokio::task::spawn_blocking(move || {
            let result = save_profile(&engine, &path, &profile, secret, replacing.as_ref());
            let _ = results.send(Action::ProfileSaved { profile, result });
            // The file as it is now comes after this answer: it has the last word.
            recheck.notify_one();
        });
    }

    /// The same core call as `wktui profile set-secret`, off the render path.
    fn set_secret(&self, name: String, secret: SecretString) {
        let engine = Arc::clone(&self.engine);
        let path = self.config_path.clone();
        let results = self.results.clone();
        tokio::task::spawn_blocking(move || {
            let result = profile_changes::set_secret(&path, &name, &secret, engine.secrets().as_ref());
            drop(secret);
            let _ = results.send(Action::SecretStored { name, result });
        });
    }

    fn delete(&self, profile: Arc<Profile>) {
        let engine = Arc::clone(&self.engine);
        let path = self.config_path.clone();
        let results = self.results.clone();
        let recheck = Arc::clone(&self.recheck_config);
        tokio::task::spawn_blocking(move || {
            let result = profile_changes::remove(&path, &profile, engine.secrets().as_ref(), engine.cache())
                .map(|_| ());
            let name = profile.name.clone();
            let _ = results.send(Action::ProfileDeleted { name, result });
            recheck.notify_one();
        });
    }
}

/// Writes the profile (and its secret) the same way `wktui profile add` does.
fn save_profile(
    engine: &Engine,
    path: &std::path::Path,
    profile: &Profile,
    secret: Option<SecretString>,
    old: Option<&Profile>,
) -> Result<(), ProfileError> {
    let secrets = engine.secrets().as_ref();
    match old {
        Some(old) => profile_changes::replace(path, old, profile, secret.as_ref(), secrets, engine.cache()),
        None => profile_changes::add(path, profile, secret.as_ref(), secrets),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::TokenCache;
    use crate::model::{Endpoint, Region, Settings};
    use crate::secrets::MemoryStore;

    fn worker(dir: &std::path::Path) -> (Worker, mpsc::UnboundedReceiver<Action>) {
        let (results, answers) = mpsc::unbounded_channel();
        let worker = Worker {
            engine: Arc::new(Engine::new(
                Settings::default(),
                Arc::new(MemoryStore::new()),
                TokenCache::new(dir.join("cache")),
            )),
            config_path: dir.join("config.toml"),
            recheck_config: Arc::new(tokio::sync::Notify::new()),
            base_url_for_new: None,
            results,
            permits: Arc::new(Semaphore::new(1)),
        };
        (worker, answers)
    }

    #[tokio::test]
    async fn a_secret_typed_at_shift_s_is_stored_through_the_same_call_as_set_secret() {
        use secrecy::ExposeSecret;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Profile::new("p", Endpoint::Region(Region::Us), "client");
        let (w, mut answers) = worker(dir.path());
        let store = w.engine.secrets().clone();
        profile_changes::add(
            &w.config_path,
            &p,
            Some(&SecretString::from("old")),
            store.as_ref(),
        )
        .expect("add");

        w.set_secret("p".into(), SecretString::from("the-new-one"));
        let answer = answers.recv().await.expect("an answer");
        assert!(
            matches!(&answer, Action::SecretStored { name, result: Ok(()) } if name == "p"),
            "{answer:?}"
        );
        assert_eq!(store.get("p").expect("stored").expose_secret(), "the-new-one");

        // A profile that is not in the file: the core call's own error.
        w.set_secret("gone".into(), SecretString::from("x"));
        let answer = answers.recv().await.expect("an answer");
        assert!(
            matches!(&answer, Action::SecretStored { result: Err(e), .. } if e.to_string().contains("gone")),
            "{answer:?}"
        );
        assert!(!format!("{answer:?}").contains("the-new-one"));
    }
}
