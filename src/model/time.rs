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

/// A length of time in words a glance can take: `59s`, `9m 57s`, `10m`,
/// `1h 2m`, `2d 3h`. Seconds are dropped from an hour on; zero parts are left out.
pub fn format_duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        (seconds / 3600) % 24,
        (seconds / 60) % 60,
        seconds % 60,
    );
    let parts: Vec<String> = if d > 0 {
        vec![(d, "d"), (h, "h")]
    } else if h > 0 {
        vec![(h, "h"), (m, "m")]
    } else if m > 0 {
        vec![(m, "m"), (s, "s")]
    } else {
        return format!("{s}s");
    }
    .into_iter()
    .enumerate()
    .filter(|(i, (n, _))| *i == 0 || *n > 0)
    .map(|(_, (n, unit))| format!("{n}{unit}"))
    .collect();
    parts.join(" ")
}

/// How long ago, in its largest unit only (`45s`, `2m`, `3h`, `1d`): an
/// expired token's age needs no precision.
pub fn format_ago(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Time left on a token: `9m 57s`, or `expired 2m ago` once it is past.
pub fn format_time_left(seconds_left: i64) -> String {
    if seconds_left >= 0 {
        format_duration(seconds_left.unsigned_abs())
    } else {
        format!("expired {} ago", format_ago(seconds_left.unsigned_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_durations() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(59), "59s");
        assert_eq!(format_duration(597), "9m 57s");
        assert_eq!(format_duration(600), "10m");
        assert_eq!(format_duration(3600), "1h");
        assert_eq!(format_duration(3725), "1h 2m");
        assert_eq!(format_duration(90_000), "1d 1h");
        assert_eq!(format_duration(u64::MAX), "213503982334601d 7h");
        assert_eq!(format_time_left(597), "9m 57s");
        assert_eq!(format_time_left(-125), "expired 2m ago");
        assert_eq!(format_time_left(-5), "expired 5s ago");
        assert_eq!(format_time_left(i64::MIN), "expired 106751991167300d ago");
        assert_eq!(format_ago(7200), "2h");
    }

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
