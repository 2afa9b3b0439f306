//! Following the config file: the App's half that takes a reloaded file
//! (profiles added, edited, removed or broken elsewhere) into its rows.

use super::*;

impl App {
    /// Follows the config file: profiles added, edited or removed elsewhere
    /// appear; a row keeps its token, state and selection while its profile
    /// asks the server for the same token (same fingerprint). A file that
    /// does not load keeps the last good list and says why until it does.
    pub(super) fn on_config_reloaded(
        &mut self,
        result: Result<Config, String>,
        cached: Vec<(String, Token)>,
    ) {
        let config = match result {
            Ok(config) => config,
            Err(error) => {
                self.config_error = Some(error);
                return;
            }
        };
        let broken_before = std::mem::take(&mut self.broken_profiles);
        let was_broken = self.config_error.take().is_some() || !broken_before.is_empty();
        self.set_broken_profiles(&config.broken);
        // A newly broken profile is said by the status line's lasting
        // warning, not hidden behind a passing "config file changed".
        let newly_broken = !self.broken_profiles.is_empty() && self.broken_profiles != broken_before;
        let was_broken = was_broken && self.broken_profiles.is_empty();
        let selected = self.selected().map(|r| r.profile.name.clone());
        let mut old: HashMap<String, ProfileRow> =
            self.rows.drain(..).map(|r| (r.profile.name.clone(), r)).collect();
        let mut cached: HashMap<String, Token> = cached.into_iter().collect();
        let mut changes = ConfigChanges::default();
        let mut rows = Vec::with_capacity(config.profiles.len());
        for profile in config.profiles {
            let name = profile.name.clone();
            let row = match old.remove(&name) {
                Some(mut row) if row.profile.fingerprint() == profile.fingerprint() => {
                    if *row.profile != profile {
                        changes.edited.push(name);
                    }
                    row.profile = Arc::new(profile);
                    row
                }
                Some(row) => {
                    changes.edited.push(name.clone());
                    // Another grant, URL or scope: the old token is not this
                    // profile's. A refresh in flight still ends here (and is
                    // reported as stale by the runtime).
                    let mut fresh = ProfileRow::new(profile, cached.remove(&name));
                    fresh.activity = row.activity;
                    fresh.copy_when_refreshed = row.copy_when_refreshed;
                    fresh
                }
                None => {
                    changes.added.push(name.clone());
                    ProfileRow::new(profile, cached.remove(&name))
                }
            };
            rows.push(row);
        }
        rows.sort_by(|a, b| a.profile.name.cmp(&b.profile.name));
        // A profile that broke is not gone from the file: its warning says so.
        let broken_names: Vec<&str> = config.broken.iter().filter_map(|b| b.name.as_deref()).collect();
        changes.removed = old
            .into_keys()
            .filter(|n| !broken_names.contains(&n.as_str()))
            .collect();
        for names in [&mut changes.added, &mut changes.edited, &mut changes.removed] {
            names.sort();
        }
        self.rows = rows;

        let gone_or_changed = |name: &str| changes.removed.iter().chain(&changes.edited).any(|n| n == name);
        if self.reveal.as_ref().is_some_and(|r| gone_or_changed(&r.name)) {
            self.hide_reveal();
        }
        let prefer = selected.and_then(|n| self.row_index(&n));
        self.rows_changed(prefer);

        // One status line: the settings note goes with the other news, not under it.
        let settings_note = (config.settings != self.settings)
            .then_some("settings in the config file changed; they apply when wktui is started again");
        // The TUI's own saves and deletes come back this way too: not news.
        let ours = |name: &String| {
            self.pending_saves
                .iter()
                .any(|p| &p.name == name || p.replacing.as_ref() == Some(name))
                || self.pending_deletes.contains(name)
        };
        changes.added.retain(|n| !ours(n));
        changes.edited.retain(|n| !ours(n));
        changes.removed.retain(|n| !ours(n));
        match (changes.describe(), settings_note) {
            _ if newly_broken => self.status = None,
            (Some(text), Some(note)) => self.info(format!("config file changed: {text}; {note}")),
            (Some(text), None) => self.info(format!("config file changed: {text}")),
            (None, Some(note)) => self.info(note.into()),
            (None, None) if was_broken => self.success("the config file loads again".into()),
            (None, None) => {}
        }
        // Said last: about the question or form on screen, it matters most.
        self.follow_mode_after_reload(&changes);
    }

    /// A question or form about a profile that changed on disk says so.
    fn follow_mode_after_reload(&mut self, changes: &ConfigChanges) {
        match &self.mode {
            Mode::SetSecret(prompt) if self.row_index(prompt.name()).is_none() => {
                let text = format!(
                    "{} was removed from the config file by another program; no secret was stored",
                    prompt.name()
                );
                self.mode = Mode::Normal;
                self.info(text);
            }
            Mode::ConfirmDelete(name) if self.row_index(name).is_none() => {
                let text = format!("{name} was removed from the config file by another program");
                self.mode = Mode::Normal;
                self.info(text);
            }
            Mode::Form(form) => {
                let Some(original) = form.original() else {
                    return;
                };
                let name = &original.name;
                let current = self.row_index(name).map(|i| &*self.rows[i].profile);
                let note = match current {
                    None if changes.removed.contains(name) => format!(
                        "{name} was removed from the config file by another program; saving would be refused. Esc closes the form."
                    ),
                    Some(current) if current != original && changes.edited.contains(name) => format!(
                        "{name} was changed in the config file by another program; saving would be refused. Esc, then e edits the new version."
                    ),
                    _ => return,
                };
                if let Mode::Form(form) = &mut self.mode {
                    form.set_notice(note);
                }
            }
            _ => {}
        }
    }
}

/// What a reload changed, by profile name.
#[derive(Debug, Default)]
struct ConfigChanges {
    added: Vec<String>,
    edited: Vec<String>,
    removed: Vec<String>,
}

impl ConfigChanges {
    /// `added a, b; removed c`, or `None` when nothing changed.
    fn describe(&self) -> Option<String> {
        let parts: Vec<String> = [
            ("added", &self.added),
            ("edited", &self.edited),
            ("removed", &self.removed),
        ]
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(what, names)| format!("{what} {}", names_in_short(names)))
        .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// `a, b, c` or `a, b and 8 more`.
fn names_in_short(names: &[String]) -> String {
    const SHOWN: usize = 3;
    if names.len() <= SHOWN {
        return names.join(", ");
    }
    format!(
        "{} and {} more",
        names[..SHOWN - 1].join(", "),
        names.len() - (SHOWN - 1)
    )
}
