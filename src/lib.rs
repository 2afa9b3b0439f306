//! wktui: bearer tokens for the Workiva APIs.
//!
//! The core (model, config, secrets, fetcher, cache) knows nothing of the
//! front ends; `cli` and `tui` call down into it, never the other way round.

pub mod model;
pub mod testserver;
pub mod tui;
