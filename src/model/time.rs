use std::time::Duration;

/// A point in wall-clock time, in milliseconds since the Unix epoch.
///
/// Tokens outlive processes (they are cached between runs), so expiry is
/// kept as wall-clock time rather than `Instant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn from_secs(secs: u64) -> Self {
        Timestamp(secs.saturating_mul(1000))
    }

    pub fn as_millis(self) -> u64 {
        self.0
    }

    pub fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    pub fn plus(self, d: Duration) -> Self {
        Timestamp(
            self.0
                .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }

    /// Signed milliseconds from `self` until `later` (negative when `later` is past).
    /// Saturates instead of overflowing, whatever the two times are.
    pub fn millis_until(self, later: Timestamp) -> i64 {
        let diff = i128::from(later.0) - i128::from(self.0);
        diff.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// `mm:ss` below an hour, `h:mm:ss` above; a leading `-` once expired.
pub fn format_countdown(seconds_left: i64) -> String {
    let sign = if seconds_left < 0 { "-" } else { "" };
    let s = seconds_left.unsigned_abs();
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{sign}{h}:{m:02}:{s:02}")
    } else {
        format!("{sign}{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_formats_minutes_hours_and_negative() {
        assert_eq!(format_countdown(0), "00:00");
        assert_eq!(format_countdown(599), "09:59");
        assert_eq!(format_countdown(3600), "1:00:00");
        assert_eq!(format_countdown(3725), "1:02:05");
        assert_eq!(format_countdown(-61), "-01:01");
    }

    #[test]
    fn extreme_times_saturate() {
        assert_eq!(Timestamp(0).millis_until(Timestamp(u64::MAX)), i64::MAX);
        assert_eq!(Timestamp(u64::MAX).millis_until(Timestamp(0)), i64::MIN);
        assert_eq!(Timestamp(5).plus(Duration::MAX), Timestamp(u64::MAX));
    }

    #[test]
    fn millis_until_is_signed() {
        let a = Timestamp(1_000);
        assert_eq!(a.millis_until(Timestamp(3_500)), 2_500);
        assert_eq!(Timestamp(3_500).millis_until(a), -2_500);
    }
}
