//! The integration tests, in one binary: each file is a module here, as
//! cargo and ripgrep keep theirs, so the suite links once rather than once
//! per file. They drive the `wktui` binary (`common::Sandbox`) against real
//! servers and daemons on this machine.

mod common;

mod broken_profile;
mod cli;
mod clipboard;
mod config_edit;
mod doctor;
mod env_profile;
mod exec;
mod file_trust;
mod grant_expiry;
mod hostile;
mod keyring;
mod leaks;
mod local_attacker;
mod logging;
mod memory;
mod messages;
mod pass;
mod profile_commands;
mod profile_exchange;
mod profile_names;
mod properties;
mod races;
mod rate_limits;
mod remove;
mod scale;
mod scopes;
mod serve;
mod serve_boundary;
mod shell;
mod tls;
mod tui;
mod tui_status;
mod url_boundary;
mod windows_wine;
