//! wktui: bearer tokens for the Workiva APIs.
//!
//! The core (model, config, secrets, fetcher, cache, presence) knows nothing
//! of the front ends; `cli`, `tui` and `serve` call down into it, never the
//! other way round.

pub mod cache;
pub mod cli;
pub mod clipboard;
pub mod clock;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod engine;
pub mod fetcher;
pub mod halves;
pub mod logging;
pub mod model;
pub mod platform;
pub mod presence;
pub mod profile_changes;
pub mod secrets;
pub mod serve;
pub mod tui;
