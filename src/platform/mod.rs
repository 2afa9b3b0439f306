//! Everything that differs between operating systems, one small module per
//! concern, so that a port touches these files and nothing else:
//!
//! - `fs`: private directories and files (ownership, modes, opening without
//!   following links), for the token cache and the config file;
//! - `keyring`: which OS credential store holds client secrets;
//! - `process`: the shell that runs a `secret_command`, process groups, the
//!   environment children get, and keeping secrets out of core dumps;
//! - `privacy`: the words that tell a user a directory is private;
//! - `clipboard`: the desktop clipboard backend of the copy helper;
//! - `peer`: who owns the other end of a loopback connection (Linux), so
//!   the local endpoint answers only its own user;
//! - `signals`: running `exec`'s child with signals forwarded, and waiting
//!   for the signal that stops `serve`;
//! - `watch`: which files of a directory changed (inotify on Linux, a
//!   cheap poll elsewhere), for the interface.
//!
//! Linux is built and tested; macOS and Windows are planned ports (see
//! docs/platforms.md): their branches here are written to the same contracts.

pub mod clipboard;
pub mod fs;
pub mod keyring;
pub mod peer;
pub mod privacy;
pub mod process;
pub mod signals;
pub mod watch;
