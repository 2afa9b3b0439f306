//! How the list is arranged: its order (`o`) and which states it shows (`f`).

use std::time::Duration;

use super::ProfileRow;
use crate::model::{Timestamp, TokenState};

/// The order of the list (`o` cycles it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    Name,
    /// Soonest to expire first; profiles without a token before all.
    TimeLeft,
}

impl Order {
    pub fn next(self) -> Order {
        match self {
            Order::Name => Order::TimeLeft,
            Order::TimeLeft => Order::Name,
        }
    }

    /// `by name`, as the list's title says it.
    pub fn label(self) -> &'static str {
        match self {
            Order::Name => "by name",
            Order::TimeLeft => "by time left",
        }
    }
}

/// Which profiles the list shows by their state (`f` cycles it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StateFilter {
    #[default]
    All,
    Expiring,
    Expired,
    /// The last refresh failed.
    Failed,
    NoToken,
}

impl StateFilter {
    pub fn next(self) -> StateFilter {
        match self {
            StateFilter::All => StateFilter::Expiring,
            StateFilter::Expiring => StateFilter::Expired,
            StateFilter::Expired => StateFilter::Failed,
            StateFilter::Failed => StateFilter::NoToken,
            StateFilter::NoToken => StateFilter::All,
        }
    }

    /// What the list's title says it holds: `Profiles`, `Expiring`…
    pub fn title(self) -> &'static str {
        match self {
            StateFilter::All => "Profiles",
            StateFilter::Expiring => "Expiring",
            StateFilter::Expired => "Expired",
            StateFilter::Failed => "Failed",
            StateFilter::NoToken => "No token",
        }
    }

    /// What the list says when this filter leaves it empty.
    pub fn when_none(self) -> &'static str {
        match self {
            StateFilter::All => "no profiles",
            StateFilter::Expiring => "nothing expiring",
            StateFilter::Expired => "nothing expired",
            StateFilter::Failed => "no failed refresh",
            StateFilter::NoToken => "none without a token",
        }
    }

    /// `showing expiring profiles`, for the status line.
    pub(super) fn describe(self) -> &'static str {
        match self {
            StateFilter::All => "showing every profile",
            StateFilter::Expiring => "showing the profiles whose token is expiring",
            StateFilter::Expired => "showing the profiles whose token has expired",
            StateFilter::Failed => "showing the profiles whose last refresh failed",
            StateFilter::NoToken => "showing the profiles without a token",
        }
    }

    pub fn keeps(self, row: &ProfileRow, now: Timestamp, margin: Duration) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Expiring => row.state(now, margin) == TokenState::Expiring,
            StateFilter::Expired => row.state(now, margin) == TokenState::Expired,
            StateFilter::Failed => row.last_error.is_some(),
            StateFilter::NoToken => row.state(now, margin) == TokenState::None,
        }
    }
}
