//! When `wktui token` last warned that a profile's grant is expiring:
//! scripts call it many times a day, and once a day is enough to be seen.
//!
//! One tiny file a profile beside its cached token, `<name>.grant-warned`,
//! whose modification time is the warning's (its text, the day, is for
//! people). Checking it is one `lstat` on the cached path: it counts only
//! as a regular file of the user's own that nobody else can read or write,
//! modified within the last day and not in the future. Anything else means
//! "not warned", which at worst warns once more.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;

use super::TokenCache;
use crate::platform::fs::{self as private, Durability, write_atomically};

/// How long a warning keeps `token` quiet.
pub const GRANT_NOTICE_QUIET: Duration = Duration::from_secs(24 * 3600);

impl TokenCache {
    fn grant_notice_path(&self, name: &str) -> Option<PathBuf> {
        (!self.dir.as_os_str().is_empty()).then(|| self.dir.join(format!("{name}.grant-warned")))
    }

    /// Whether the grant of profile `name` was warned about within
    /// `GRANT_NOTICE_QUIET` before `now`.
    pub fn grant_warned_recently(&self, name: &str, now: SystemTime) -> bool {
        let Some(meta) = self
            .grant_notice_path(name)
            .and_then(|path| std::fs::symlink_metadata(path).ok())
        else {
            return false;
        };
        if !meta.file_type().is_file() || !private::is_mine_and_private(&meta) {
            return false;
        }
        // File times can run a tick ahead of the clock; hours ahead is a clock set back.
        meta.modified().is_ok_and(|at| match now.duration_since(at) {
            Ok(age) => age < GRANT_NOTICE_QUIET,
            Err(ahead) => ahead.duration() < Duration::from_secs(60),
        })
    }

    /// Remembers that the grant of profile `name` was warned about now
    /// (`today` is written for people). Best effort: a cache that cannot be
    /// written warns again next time.
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
    fn a_warning_keeps_its_profile_quiet_for_a_day() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        assert!(!cache.grant_warned_recently("prod", SystemTime::now()));
        cache.mark_grant_warned("prod", day("2027-03-20"));
        let now = SystemTime::now();
        assert!(cache.grant_warned_recently("prod", now));
        assert!(!cache.grant_warned_recently("test", now));
        assert!(!cache.grant_warned_recently("prod", now + GRANT_NOTICE_QUIET + Duration::from_secs(60)));
        // A time in the future (a clock set back) is not believed.
        assert!(!cache.grant_warned_recently("prod", now - Duration::from_secs(3600)));
        // A removed profile leaves no marker behind for a new one of its name.
        cache.remove("prod").expect("remove");
        assert!(!cache.grant_warned_recently("prod", SystemTime::now()));
        assert!(!cache.dir().join("prod.grant-warned").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_marker_others_could_have_written_or_a_link_is_not_believed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("c"));
        cache.mark_grant_warned("prod", day("2027-03-20"));
        let path = cache.dir().join("prod.grant-warned");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        assert!(!cache.grant_warned_recently("prod", SystemTime::now()));
        std::fs::remove_file(&path).expect("rm");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "").expect("write");
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::os::unix::fs::symlink(&elsewhere, &path).expect("link");
        assert!(!cache.grant_warned_recently("prod", SystemTime::now()));
    }
}
