//! The messages between the App and the runtime: what happened (`Action`)
//! and what the App wants done (`Effect`).

use std::time::Duration;

use crossterm::event::{KeyEvent, MouseEvent};
use secrecy::SecretString;

use crate::config::Config;
use crate::model::{AccessToken, Profile, Timestamp, Token};

/// Something that happened: input, the clock, or a result of an [`Effect`].
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// The terminal's size in columns and rows; send one at start-up too, so
    /// paging and mouse hit-testing know the list's height.
    Resize(u16, u16),
    /// The current time. The App never reads the clock: send a tick when
    /// [`App::next_deadline`](super::App::next_deadline) is reached, and
    /// before other actions whenever time may have passed, so messages and
    /// reveals are timed from a fresh `now`.
    Tick(Timestamp),
    /// A refresh finished: the new token and how long the request took, or
    /// the error in words.
    Refreshed {
        name: String,
        result: Result<(Token, Duration), String>,
    },
    /// Another process (a script's `wktui token`) stored a token for this
    /// profile in the shared cache. Taken when it is newer than the shown one.
    TokenFromCache {
        name: String,
        token: Token,
    },
    /// Tokens read from the shared cache in a batch, each taken as
    /// `TokenFromCache` is: at start-up those of the rows on screen, then the
    /// rest from a background task (`rest_pending` until then), and again
    /// whenever changes to the cache may have been missed.
    CachedTokens {
        tokens: Vec<(String, Token)>,
        rest_pending: bool,
    },
    /// Token hosts (`host:port`) that asked wktui to wait, with a 429 or a
    /// 503, and until when (wall clock): the whole list, replacing the last.
    HostsPaused(Vec<(String, Timestamp)>),
    /// The `wktui serve` and `wktui exec` processes running now: the whole
    /// list, replacing the last.
    ActiveProcesses(Vec<crate::presence::Active>),
    /// A copy finished: how it was copied (`"clipboard"` or `"OSC 52"`), or
    /// the error in words.
    Copied {
        name: String,
        what: CopyAs,
        result: Result<String, String>,
    },
    /// The API accepted (`true`) or refused (`false`) the token, or could not
    /// be asked.
    Verified {
        name: String,
        result: Result<bool, String>,
    },
    /// A profile from the form was stored (or not).
    ProfileSaved {
        profile: Profile,
        result: Result<(), String>,
    },
    ProfileDeleted {
        name: String,
        result: Result<(), String>,
    },
    /// A new client secret typed at `S` was stored (or not), the way
    /// `wktui profile set-secret` stores it.
    SecretStored {
        name: String,
        result: Result<(), String>,
    },
    /// The config file changed on disk (another `wktui`, an editor): the
    /// profiles it holds now, or why it does not load. `cached` has the
    /// shared cache's tokens for profiles the App did not know as they are.
    ConfigReloaded {
        result: Result<Config, String>,
        cached: Vec<(String, Token)>,
    },
}

/// Work for the runtime. Each one comes back as an [`Action`] when done.
#[derive(Debug)]
pub enum Effect {
    /// Fetch new tokens for these profiles (the runtime caps concurrency);
    /// answer with one `Refreshed` per name.
    Refresh(Vec<String>),
    /// Put the token, as `what` says, on the clipboard; answer with `Copied`.
    Copy {
        name: String,
        token: AccessToken,
        what: CopyAs,
    },
    /// Ask the API whether it accepts the token; answer with `Verified`.
    Verify { name: String, token: AccessToken },
    /// Store the profile, and the secret when one was typed (`None` keeps the
    /// stored one). `replacing` is the profile being edited as the form
    /// showed it: the save is refused if the file no longer holds exactly
    /// that (someone else changed it). Answer with `ProfileSaved`.
    SaveProfile {
        profile: Profile,
        secret: Option<SecretString>,
        replacing: Option<Box<Profile>>,
    },
    /// Remove the profile; answer with `ProfileDeleted`.
    DeleteProfile(String),
    /// Store a new client secret for the profile, as `wktui profile
    /// set-secret` does; answer with `SecretStored`.
    SetSecret { name: String, secret: SecretString },
    /// Restore the terminal and exit.
    Quit,
}

/// What a copy puts on the clipboard: the bare token (`c`), or a whole
/// `Authorization: Bearer …` header line to paste into a request (`H`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CopyAs {
    #[default]
    Token,
    AuthorizationHeader,
}

impl CopyAs {
    /// The text to copy. Still a credential, so kept in an `AccessToken`:
    /// never in `Debug` output, wiped on drop. The token was validated when
    /// it arrived (no control character), so the header is one clean line.
    pub fn text(self, token: &AccessToken) -> AccessToken {
        match self {
            CopyAs::Token => token.clone(),
            CopyAs::AuthorizationHeader => {
                AccessToken::new(format!("Authorization: Bearer {}", token.expose()))
            }
        }
    }

    /// How the status line names it after the profile: `copied prod` or
    /// `copied prod as an Authorization header`.
    pub fn suffix(self) -> &'static str {
        match self {
            CopyAs::Token => "",
            CopyAs::AuthorizationHeader => " as an Authorization header",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_copy_is_the_whole_header_line_and_never_shown_by_debug() {
        let token = AccessToken::new("wk.abc-123_x".into());
        assert_eq!(CopyAs::Token.text(&token).expose(), "wk.abc-123_x");
        let header = CopyAs::AuthorizationHeader.text(&token);
        assert_eq!(header.expose(), "Authorization: Bearer wk.abc-123_x");
        let effect = Effect::Copy {
            name: "prod".into(),
            token: header,
            what: CopyAs::AuthorizationHeader,
        };
        assert!(!format!("{effect:?}").contains("wk.abc"), "{effect:?}");
    }
}
