//! A token server's answer body: never a panic; a token that comes out is a
//! clean b64token; a rejection is itself clean text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wktui::model::Timestamp;
use wktui::model::text::{check_b64token, is_clean};

fuzz_target!(|body: &[u8]| {
    match wktui::fetcher::token_from_body(body, None, Timestamp(1_800_000_000_000)) {
        Ok(token) => {
            assert!(check_b64token(token.access_token.expose()).is_ok());
            assert!(is_clean(&token.scopes.to_string()));
        }
        Err(message) => assert!(is_clean(&message)),
    }
});
