//! How a private directory is described to its user, in the platform's own
//! terms: a mode on Unix, who has access on Windows (where modes mean nothing).

/// A directory that is private, in a word and its reason.
pub const PRIVATE: &str = if cfg!(windows) {
    "private (only you have access)"
} else {
    "private (mode 700)"
};

/// How a private directory that does not exist yet is made.
pub const MADE_ON_FIRST_USE: &str = if cfg!(windows) {
    "it is made on first use, with access for you alone"
} else {
    "it is made with mode 0700 on first use"
};

/// What to point the cache at instead, for a fix.
pub const OWN_DIRECTORY: &str = if cfg!(windows) {
    "a folder of your own that only you can open"
} else {
    "a directory of your own with mode 700"
};

/// A config that passed the checks wktui makes before believing it.
pub const CHANGED_ONLY_BY_YOU: &str = if cfg!(windows) {
    // What the Windows check reads: the file's owner and ACL, and its folder's ACL (see fs::windows).
    "the config can be changed only by you (or SYSTEM and administrators), and nobody else may replace it in its folder"
} else {
    "the config and every directory above it can be changed only by you (or root)"
};

/// How a private file that does not exist yet is made.
pub const FILE_MADE_PRIVATE: &str = if cfg!(windows) {
    "made with access for you alone"
} else {
    "made with mode 0600"
};
