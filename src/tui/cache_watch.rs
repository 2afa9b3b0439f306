//! Following the shared cache directory: tokens that scripts store
//! (`wktui token`, another interface) and the registrations of running
//! `wktui serve` and `exec` processes (`<cache>/active/`).
//!
//! The directory is watched (`platform::watch`): a stored token names its
//! file, and only that file is read, so a script refreshing one token every
//! two seconds costs the interface one small read each time, however many
//! profiles there are. The registrations are read again when one changes,
//! and every ten seconds while any is shown, since a process that dies
//! without a word leaves its file behind (`presence` then ignores it).

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Action;
use crate::platform::watch::{DirWatch, Event};
use crate::presence::{self, Active};

/// How often the registrations are read again while any is shown.
const RECHECK_ACTIVE: Duration = Duration::from_secs(10);

/// What the runtime must read again from the cache.
#[derive(Debug, PartialEq, Eq)]
pub enum CacheNews {
    /// The token files of these profiles changed.
    Tokens(Vec<String>),
    /// Changes may have been missed: read every profile's token.
    AllTokens,
}

/// Watches `cache_dir`; token news go to `news`, the running processes
/// straight to the App as `Action::ActiveProcesses`.
pub(super) fn spawn(
    cache_dir: PathBuf,
    news: mpsc::UnboundedSender<CacheNews>,
    results: mpsc::UnboundedSender<Action>,
) {
    let active_dir = cache_dir.join("active");
    let mut watch = DirWatch::new(vec![cache_dir.clone(), active_dir]);
    tokio::spawn(async move {
        let mut shown: Vec<Active> = Vec::new();
        let mut read_active = true;
        loop {
            if read_active {
                let dir = cache_dir.clone();
                let Ok(now) = tokio::task::spawn_blocking(move || presence::active(&dir)).await else {
                    return;
                };
                if now != shown {
                    shown = now.clone();
                    if results.send(Action::ActiveProcesses(now)).is_err() {
                        return;
                    }
                }
            }
            let events = tokio::select! {
                events = watch.next() => events,
                () = tokio::time::sleep(RECHECK_ACTIVE), if !shown.is_empty() => Vec::new(),
            };
            read_active = events.is_empty() || events.iter().any(|e| event_dir(e) == 1);
            if let Some(found) = token_news(&events)
                && news.send(found).is_err()
            {
                return;
            }
        }
    });
}

fn event_dir(event: &Event) -> usize {
    match event {
        Event::Changed { dir, .. } | Event::Rescan { dir } => *dir,
    }
}

/// What the events of the cache dir itself say about tokens: the profiles
/// whose `NAME.json` was stored (temporary files and lock files are not
/// tokens), or that everything must be read again.
fn token_news(events: &[Event]) -> Option<CacheNews> {
    let mut names = Vec::new();
    for event in events {
        match event {
            Event::Rescan { dir: 0 } => return Some(CacheNews::AllTokens),
            Event::Changed { dir: 0, name } => {
                if let Some(profile) = name.strip_suffix(".json")
                    && !profile.starts_with('.')
                    && !names.iter().any(|n| n == profile)
                {
                    names.push(profile.to_owned());
                }
            }
            _ => {}
        }
    }
    (!names.is_empty()).then_some(CacheNews::Tokens(names))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(dir: usize, name: &str) -> Event {
        Event::Changed {
            dir,
            name: name.into(),
        }
    }

    #[test]
    fn only_stored_tokens_are_news_once_each() {
        let events = [
            changed(0, ".p1.json.77.3.tmp"),
            changed(0, "p1.json"),
            changed(0, "p1.lock"),
            changed(0, "p1.json"),
            changed(1, "12-abc.json"),
            changed(0, "config-index"),
            changed(0, "p2.json"),
        ];
        assert_eq!(
            token_news(&events),
            Some(CacheNews::Tokens(vec!["p1".into(), "p2".into()]))
        );
        assert_eq!(token_news(&[changed(1, "x.json")]), None);
        assert_eq!(
            token_news(&[changed(0, "p1.json"), Event::Rescan { dir: 0 }]),
            Some(CacheNews::AllTokens)
        );
    }
}
