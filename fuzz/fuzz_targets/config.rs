//! A config file's text: never a panic; a rejection names the file and line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match wktui::config::parse(text, Path::new("c.toml")) {
        Ok(config) => {
            for p in &config.profiles {
                assert!(wktui::model::text::is_clean(&p.client_id));
            }
        }
        Err(e) => assert!(e.to_string().starts_with("c.toml:")),
    }
});
