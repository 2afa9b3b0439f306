//! When a Workiva API grant expires, and what to say about it.
//!
//! A grant is issued with an expiry date (a calendar day, no time). It is
//! good through that day; the day after, the token endpoint refuses the
//! client (`invalid_client`). From `WARN_DAYS` before, every place that
//! shows the profile warns. Today is a parameter: the model reads no clock.

use std::fmt;

use chrono::NaiveDate;

/// How many days before the expiry date the warnings start.
pub const WARN_DAYS: i64 = 14;

/// The last day a grant is good, as written in a profile (`YYYY-MM-DD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GrantExpiry(NaiveDate);

/// Where a grant stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantState {
    /// More than `WARN_DAYS` left: nothing to say.
    Fine { days_left: i64 },
    /// Within the window: `days_left` from `WARN_DAYS` down to 0 (today is the last day).
    Expiring { days_left: i64 },
    /// Past its last day, `days_ago` days ago (at least 1).
    Expired { days_ago: i64 },
}

impl GrantExpiry {
    /// A date written `YYYY-MM-DD`, exactly (no time, no other separators).
    pub fn parse(text: &str) -> Result<GrantExpiry, String> {
        let text = text.trim();
        let shaped = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shaped {
            return Err(format!(
                "\"{}\" is not a date; write it as YYYY-MM-DD, e.g. 2027-03-31",
                text.escape_debug()
            ));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(GrantExpiry)
            .map_err(|_| {
                format!("\"{text}\" is not a day of the calendar; write it as YYYY-MM-DD, e.g. 2027-03-31")
            })
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// Where the grant stands on `today`.
    pub fn state(self, today: NaiveDate) -> GrantState {
        let days_left = (self.0 - today).num_days();
        if days_left < 0 {
            GrantState::Expired { days_ago: -days_left }
        } else if days_left <= WARN_DAYS {
            GrantState::Expiring { days_left }
        } else {
            GrantState::Fine { days_left }
        }
    }

    /// What to warn about on `today`: `None` outside the window.
    pub fn warning(self, today: NaiveDate) -> Option<String> {
        match self.state(today) {
            GrantState::Fine { .. } => None,
            state => Some(format!("grant {} ({self})", state.describe())),
        }
    }

    /// Whether the grant is past its last day on `today`.
    pub fn has_expired(self, today: NaiveDate) -> bool {
        matches!(self.state(today), GrantState::Expired { .. })
    }
}

impl GrantState {
    /// `expires in 9 days`, `expires tomorrow`, `expires today`, `expired 3 days ago`.
    pub fn describe(self) -> String {
        match self {
            GrantState::Fine { days_left } | GrantState::Expiring { days_left } => match days_left {
                0 => "expires today".to_owned(),
                1 => "expires tomorrow".to_owned(),
                n => format!("expires in {n} days"),
            },
            GrantState::Expired { days_ago: 1 } => "expired yesterday".to_owned(),
            GrantState::Expired { days_ago } => format!("expired {days_ago} days ago"),
        }
    }

    /// Whether the state calls for a warning.
    pub fn warns(self) -> bool {
        !matches!(self, GrantState::Fine { .. })
    }
}

impl fmt::Display for GrantExpiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    fn grant(text: &str) -> GrantExpiry {
        GrantExpiry::parse(text).expect("test grant")
    }

    #[test]
    fn dates_parse_only_as_year_month_day() {
        assert_eq!(grant("2027-03-31").to_string(), "2027-03-31");
        assert_eq!(grant(" 2027-03-31 ").to_string(), "2027-03-31");
        for bad in [
            "2027-3-31",
            "31/03/2027",
            "2027-03-31T00:00",
            "",
            "soon",
            "2027-02-30",
            "2027-13-01",
            "２０２７-03-31",
        ] {
            let err = GrantExpiry::parse(bad).expect_err(bad);
            assert!(err.contains("YYYY-MM-DD"), "{bad}: {err}");
        }
        assert!(
            GrantExpiry::parse("2027-02-30")
                .expect_err("no such day")
                .contains("calendar")
        );
        assert!(
            GrantExpiry::parse("x\u{1b}[2J")
                .expect_err("escape")
                .contains("\\u{1b}")
        );
    }

    #[test]
    fn the_window_opens_fourteen_days_before_and_the_last_day_is_the_date() {
        let g = grant("2027-03-31");
        assert_eq!(g.state(day("2027-03-16")), GrantState::Fine { days_left: 15 });
        assert_eq!(g.state(day("2027-03-17")), GrantState::Expiring { days_left: 14 });
        assert_eq!(g.state(day("2027-03-31")), GrantState::Expiring { days_left: 0 });
        assert_eq!(g.state(day("2027-04-01")), GrantState::Expired { days_ago: 1 });
        assert!(!g.has_expired(day("2027-03-31")));
        assert!(g.has_expired(day("2027-04-01")));
        assert_eq!(g.warning(day("2027-03-01")), None);
    }

    #[test]
    fn warnings_say_how_long_in_days_and_give_the_date() {
        let g = grant("2027-03-01");
        assert_eq!(
            g.warning(day("2027-02-20")).as_deref(),
            Some("grant expires in 9 days (2027-03-01)")
        );
        assert_eq!(
            g.warning(day("2027-02-28")).as_deref(),
            Some("grant expires tomorrow (2027-03-01)")
        );
        assert_eq!(
            g.warning(day("2027-03-01")).as_deref(),
            Some("grant expires today (2027-03-01)")
        );
        assert_eq!(
            g.warning(day("2027-03-02")).as_deref(),
            Some("grant expired yesterday (2027-03-01)")
        );
        assert_eq!(
            g.warning(day("2027-03-04")).as_deref(),
            Some("grant expired 3 days ago (2027-03-01)")
        );
        assert_eq!(g.state(day("2026-12-01")).describe(), "expires in 90 days");
    }
}
