//! The terminal UI: the App (all state + `update(action) -> effects`, no
//! I/O), the view (pure functions from `&App` to a frame), and the layout
//! both share, and the runtime that owns the terminal and performs the
//! effects.

mod action;
mod app;
mod cache_watch;
mod config_watch;
mod form;
mod layout;
mod list;
mod runtime;
mod secret_prompt;
mod theme;
mod view;

#[cfg(test)]
mod snapshot_tests;

pub use action::{Action, CopyAs, Effect};
pub use app::{
    Activity, App, HELP, Hint, Indicator, LabelWidths, Mode, Order, ProfileRow, REVEAL_FOR, StateFilter,
    StatusKind, StatusMessage, VerifyState, format_latency, help_line_count, hints,
};
pub use form::{FormField, ProfileForm};
pub use layout::{MIN_HEIGHT, MIN_WIDTH, Panes, TWO_COLUMNS_FROM, panes};
pub use list::ProfileList;
pub use runtime::{Ended, TuiContext, run};
pub use secret_prompt::SecretPrompt;
pub use view::draw;
