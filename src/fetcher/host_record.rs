//! What one wktui process tells the others about a token host, in a small
//! file of the cache directory (`hosts/<host>_<port>`): until when the host
//! asked to be left alone, and the pace it was last seen to allow, so that
//! the next run starts at that pace instead of finding the limit again with
//! a burst of refused requests.
//!
//! One line: `<pause until, ms since the epoch>` and, when a pace is known,
//! ` pace <requests a second × 1000> <when it was seen, ms since the epoch>`.
//! Integers only (no NaN, no infinity). The file is data from disk: what does
//! not parse is ignored, a pace is clamped to a sane range, and one older
//! than `PACE_MEMORY` (or from the future) is forgotten, so that a limit
//! raised since is found again.

use std::time::Duration;

use crate::model::Timestamp;

/// Far more than any line this module writes.
pub(super) const MAX_RECORD_BYTES: u64 = 128;
/// A pause beyond what any Retry-After may ask is not believed.
const LONGEST_SHARED_PAUSE_MS: i64 = 86_400_000;
/// How long a pace is remembered after it was last seen: a run within the
/// hour starts at it; a later one finds the host's limit again.
pub(super) const PACE_MEMORY: Duration = Duration::from_secs(3600);
/// Clocks of a machine may step back a little; more than this, and the pace
/// was not written by us in this timeline.
const CLOCK_SLACK_MS: i64 = 60_000;
/// The slowest pace a run starts at: a corrupt or hostile file cannot make a
/// run crawl much below what a rate-limited host asks of it.
pub(super) const SLOWEST_REMEMBERED: f64 = 1.0;
/// Requests a second; above, no host needs pacing by us.
pub(super) const FASTEST_REMEMBERED: f64 = 10_000.0;

/// A host's record, as read (already checked against `now`) or to write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct HostRecord {
    /// Still ahead of `now`, when read.
    pub pause_until: Option<Timestamp>,
    /// Requests a second, within the sane range, when read.
    pub pace: Option<f64>,
    /// When that pace was seen (written records only).
    pub pace_seen: Timestamp,
}

impl HostRecord {
    pub fn encode(&self) -> String {
        let until = self.pause_until.map_or(0, Timestamp::as_millis);
        match self.pace {
            Some(pace) => {
                let milli = (pace.clamp(SLOWEST_REMEMBERED, FASTEST_REMEMBERED) * 1000.0).round() as u64;
                format!("{until} pace {milli} {}", self.pace_seen.as_millis())
            }
            None => until.to_string(),
        }
    }

    /// What of `bytes` can be believed at `now`; nothing for text that is
    /// not a record.
    pub fn decode(bytes: &[u8], now: Timestamp) -> HostRecord {
        let mut record = HostRecord {
            pause_until: None,
            pace: None,
            pace_seen: now,
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            return record;
        };
        let mut fields = text.split_ascii_whitespace();
        if let Some(until) = fields.next().and_then(|f| f.parse::<u64>().ok()) {
            let ahead = now.millis_until(Timestamp(until));
            record.pause_until = (ahead > 0 && ahead <= LONGEST_SHARED_PAUSE_MS).then_some(Timestamp(until));
        }
        let pace = match (fields.next(), fields.next(), fields.next(), fields.next()) {
            (Some("pace"), Some(milli), Some(seen), None) => {
                milli.parse::<u64>().ok().zip(seen.parse::<u64>().ok())
            }
            _ => None,
        };
        if let Some((milli, seen)) = pace {
            let age = Timestamp(seen).millis_until(now);
            let memory = PACE_MEMORY.as_millis() as i64;
            if (-CLOCK_SLACK_MS..=memory).contains(&age) {
                record.pace = Some((milli as f64 / 1000.0).clamp(SLOWEST_REMEMBERED, FASTEST_REMEMBERED));
                record.pace_seen = Timestamp(seen);
            }
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn read(text: &str) -> HostRecord {
        HostRecord::decode(text.as_bytes(), NOW)
    }

    #[test]
    fn a_record_written_is_read_back() {
        let written = HostRecord {
            pause_until: Some(NOW.plus(Duration::from_secs(2))),
            pace: Some(9.25),
            pace_seen: NOW,
        };
        assert_eq!(read(&written.encode()), written);
    }

    #[test]
    fn a_pause_alone_is_the_older_format_and_still_read() {
        let until = NOW.plus(Duration::from_secs(5));
        let record = read(&until.as_millis().to_string());
        assert_eq!(record.pause_until, Some(until));
        assert_eq!(record.pace, None);
    }

    #[test]
    fn a_pace_out_of_range_is_clamped() {
        let seen = NOW.as_millis();
        assert_eq!(read(&format!("0 pace 0 {seen}")).pace, Some(SLOWEST_REMEMBERED));
        assert_eq!(read(&format!("0 pace 1 {seen}")).pace, Some(SLOWEST_REMEMBERED));
        assert_eq!(
            read(&format!("0 pace 18446744073709551615 {seen}")).pace,
            Some(FASTEST_REMEMBERED)
        );
        assert_eq!(read(&format!("0 pace 12500 {seen}")).pace, Some(12.5));
    }

    #[test]
    fn an_old_or_future_pace_is_forgotten() {
        let hour_and_a_bit = PACE_MEMORY + Duration::from_secs(1);
        let old = NOW.as_millis() - hour_and_a_bit.as_millis() as u64;
        assert_eq!(read(&format!("0 pace 9000 {old}")).pace, None);
        let future = NOW.plus(Duration::from_secs(3600)).as_millis();
        assert_eq!(read(&format!("0 pace 9000 {future}")).pace, None);
        let recent = NOW.as_millis() - 60_000;
        assert_eq!(read(&format!("0 pace 9000 {recent}")).pace, Some(9.0));
    }

    #[test]
    fn text_that_is_not_a_record_is_ignored_field_by_field() {
        for text in [
            "",
            "garbage",
            "\u{0}\u{1}",
            "0 pace NaN 1",
            "0 pace inf 1",
            "0 pace -5 1",
            "0 pace 9000",
            "0 pace 9000 1 extra",
            "0 speed 9000 1",
        ] {
            assert_eq!(read(text).pace, None, "{text:?}");
        }
        assert_eq!(HostRecord::decode(&[0xff, 0xfe], NOW).pace, None);
        // A pause further ahead than any host may ask, or in the past, is not one.
        let far = NOW.plus(Duration::from_secs(2 * 86_400)).as_millis();
        assert_eq!(read(&far.to_string()).pause_until, None);
        assert_eq!(read("1").pause_until, None);
        // A good pause survives a bad pace.
        let until = NOW.plus(Duration::from_secs(5));
        assert_eq!(
            read(&format!("{} pace x y", until.as_millis())).pause_until,
            Some(until)
        );
    }
}
