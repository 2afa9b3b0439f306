//! The day `wktui token` last warned that a profile's grant is expiring:
//! scripts call it many times a day, and once is enough to be seen.
//!
//! One tiny file a profile beside its cached token, `<name>.grant-warned`,
//! holding the day (`YYYY-MM-DD`). Read only through `read_trusted` (the
//! user's own private file, bounded) and written whole; anything else found
//! there means "not warned today", which at worst warns once more.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::TokenCache;
use crate::config::{Durability, write_atomically};
use crate::platform::fs as private;

/// `YYYY-MM-DD` and a newline; more is not ours.
const MAX_BYTES: u64 = 32;

impl TokenCache {
    fn grant_notice_path(&self, name: &str) -> Option<PathBuf> {
        let dir = self.private_dir()?;
        (!dir.as_os_str().is_empty()).then(|| dir.join(format!("{name}.grant-warned")))
    }

    /// Whether the grant of profile `name` was already warned about on `today`.
    pub fn grant_warned_on(&self, name: &str, today: NaiveDate) -> bool {
        let Some(path) = self.grant_notice_path(name) else {
            return false;
        };
        match private::read_trusted(&path, MAX_BYTES) {
            Ok(Some(bytes)) => bytes.trim_ascii() == today.format("%Y-%m-%d").to_string().as_bytes(),
            _ => false,
        }
    }

    /// Remembers that the grant of profile `name` was warned about on `today`.
    /// Best effort: a cache that cannot be written warns again next time.
    pub fn mark_grant_warned(&self, name: &str, today: NaiveDate) {
        let Some(path) = self.grant_notice_path(name) else {
            return;
        };
        if self.writable_dir().is_ok() {
            let text = format!("{}\n", today.format("%Y-%m-%d"));
            let _ = write_atomically(&path, text.as_bytes(), Durability::Cache);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn a_warning_is_remembered_for_its_day_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        assert!(!cache.grant_warned_on("prod", day("2027-03-20")));
        cache.mark_grant_warned("prod", day("2027-03-20"));
        assert!(cache.grant_warned_on("prod", day("2027-03-20")));
        assert!(!cache.grant_warned_on("prod", day("2027-03-21")));
        assert!(!cache.grant_warned_on("test", day("2027-03-20")));
    }

    #[test]
    fn a_marker_that_is_not_a_small_file_of_ours_is_not_believed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        cache.mark_grant_warned("prod", day("2027-03-20"));
        let path = cache.dir().join("prod.grant-warned");
        std::fs::write(&path, "2027-03-20\n".repeat(10)).expect("write");
        assert!(!cache.grant_warned_on("prod", day("2027-03-20")));
    }
}
