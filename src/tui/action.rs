//! The messages between the App and the runtime: what happened (`Action`)
//! and what the App wants done (`Effect`).

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyEvent, MouseEvent};
use secrecy::SecretString;

use super::cache_watch::CacheNews;
use crate::clipboard::{ClipboardError, Method};
use crate::config::Config;
use crate::engine::{EngineError, Verdict};
use crate::model::{AccessToken, Profile, Timestamp, Token};
use crate::profile_changes::ProfileError;

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
    /// the error (the App words it, with the engine's hint). `profile` is
    /// the one the token was asked for: if the row's profile changed
    /// meanwhile, the token is not the edited profile's.
    Refreshed {
        profile: Arc<Profile>,
        result: Result<(Token, Duration), EngineError>,
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
    /// A copy finished: how it was copied, or why not.
    Copied {
        name: String,
        what: CopyAs,
        result: Result<Method, ClipboardError>,
    },
    /// The API's answer on `token` (with its reason for a refusal, and
    /// whether the refused token left the cache), or why it could not be asked.
    Verified {
        name: String,
        token: AccessToken,
        result: Result<Verdict, EngineError>,
    },
    /// A profile from the form was stored (or not).
    ProfileSaved {
        profile: Profile,
        result: Result<(), ProfileError>,
    },
    ProfileDeleted {
        name: String,
        result: Result<(), ProfileError>,
    },
    /// A new client secret typed at `S` was stored (or not), the way
    /// `wktui profile set-secret` stores it.
    SecretStored {
        name: String,
        result: Result<(), ProfileError>,
    },
    /// Another process changed token files in the shared cache.
    CacheChanged(CacheNews),
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
    /// answer with one `Refreshed` each.
    Refresh(Vec<Arc<Profile>>),
    /// Read these profiles' tokens from the shared cache; answer with a
    /// `TokenFromCache` for each one found.
    ReadCachedTokens(Vec<Arc<Profile>>),
    /// Read the cached tokens of all these profiles (a fleet's worth); answer
    /// with `CachedTokens` in batches.
    ReadAllCachedTokens(Vec<Arc<Profile>>),
    /// Put the token, as `what` says, on the clipboard; answer with `Copied`.
    Copy {
        name: String,
        token: AccessToken,
        what: CopyAs,
    },
    /// Ask the API whether it accepts the token; answer with `Verified`.
    Verify {
        profile: Arc<Profile>,
        token: AccessToken,
    },
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
    DeleteProfile(Arc<Profile>),
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
