//! The one place the core reads the wall clock; the model takes `now` as a parameter.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::Timestamp;

pub fn now() -> Timestamp {
    // A clock before 1970 is broken; treating it as the epoch makes every token expired, which is safe.
    Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
    )
}

/// Today's date on the user's calendar, for dates people write (a grant's expiry).
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}
