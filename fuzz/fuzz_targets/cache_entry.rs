//! A cache file's bytes: never a panic; what is believed is sound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wktui::model::Timestamp;
use wktui::model::text::{check_b64token, is_clean};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(token) = wktui::cache::decode_entry(bytes, "fp", Timestamp(1_800_000_000_000)) {
        assert!(check_b64token(token.access_token.expose()).is_ok());
        assert!(is_clean(&token.scopes.to_string()));
        assert!(token.lifetime.as_secs() <= wktui::model::MAX_LIFETIME_SECS);
    }
});
