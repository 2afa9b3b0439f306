//! What `R` started and how it went, summed up in one status line when the
//! last answer is in.

use std::collections::HashSet;

/// What `R` set going, and how it went so far: its summary is said when
/// the last answer is in.
#[derive(Debug, Default)]
pub(super) struct RefreshAll {
    /// Names still waiting for their answer.
    waiting: HashSet<String>,
    refreshed: usize,
    failed: Vec<String>,
}

impl RefreshAll {
    /// Waits for these too (a second `R` adds to the same summary).
    pub(super) fn wait_for(&mut self, names: &[String]) {
        self.waiting.extend(names.iter().cloned());
    }

    /// Counts one answer: `Some(ok)`, or `None` for a profile that went
    /// away meanwhile. False when the name was not waited for.
    pub(super) fn answered(&mut self, name: &str, ok: Option<bool>) -> bool {
        if !self.waiting.remove(name) {
            return false;
        }
        match ok {
            Some(true) => self.refreshed += 1,
            Some(false) => self.failed.push(name.to_owned()),
            None => {}
        }
        true
    }

    /// Stops waiting for profiles that are gone.
    pub(super) fn forget_unless(&mut self, exists: impl Fn(&str) -> bool) {
        self.waiting.retain(|name| exists(name));
    }

    pub(super) fn is_done(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Something was answered (not every profile went away).
    pub(super) fn has_news(&self) -> bool {
        self.refreshed > 0 || !self.failed.is_empty()
    }

    pub(super) fn any_failed(&self) -> bool {
        !self.failed.is_empty()
    }

    /// `6 refreshed, 4 failed: a, b, c, d`, names sorted and cut with
    /// `and N more` when they would not fit a status line.
    pub(super) fn summary(&self) -> String {
        let mut failed = self.failed.clone();
        failed.sort();
        match failed.len() {
            0 => format!("{} refreshed", self.refreshed),
            n => format!(
                "{} refreshed, {n} failed: {}",
                self.refreshed,
                names_within(&failed, SUMMARY_NAMES_CHARS)
            ),
        }
    }
}

/// How much of a status line the failed names of `R` may take, in characters.
const SUMMARY_NAMES_CHARS: usize = 60;

/// `a, b, c`, as many whole names as fit in `room` characters, then `and N
/// more` for the rest (at least one name is always shown).
pub(super) fn names_within(names: &[String], room: usize) -> String {
    let all = names.join(", ");
    if all.chars().count() <= room {
        return all;
    }
    let mut text = String::new();
    for (n, name) in names.iter().enumerate() {
        let rest = names.len() - n - 1;
        let sep = if text.is_empty() { "" } else { ", " };
        let more = if rest > 0 {
            format!(" and {rest} more")
        } else {
            String::new()
        };
        let fits = text.chars().count() + sep.len() + name.chars().count() + more.len() <= room;
        if !fits && !text.is_empty() {
            return format!("{text} and {} more", names.len() - n);
        }
        text.push_str(sep);
        text.push_str(name);
    }
    text
}
