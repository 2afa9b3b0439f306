//! Text that came from outside (a server, a cache file, a config file, a
//! command) made fit for a terminal, a header or a log line.
//!
//! Two tools: `clean` turns any text into one harmless line (for messages
//! and display), and `check_b64token` decides whether a string may be used
//! as a bearer token at all (RFC 6750 §2.1), without ever echoing it.

/// Characters that must never reach a terminal or a header: C0 and C1
/// controls and DEL (escape sequences, CR/LF), Unicode format characters
/// (bidi overrides such as U+202E, zero-width joiners, BOM, tag characters)
/// and the line and paragraph separators.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || is_format_char(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Unicode general category Cf (format), which changes how text around it is
/// shown without being visible itself.
fn is_format_char(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Whether `text` holds no character that `is_unsafe_char` refuses.
pub fn is_clean(text: &str) -> bool {
    !text.chars().any(is_unsafe_char)
}

/// One line fit for a terminal: unsafe characters become spaces, runs of
/// whitespace fold into one, and at most `max` characters are kept (an
/// ellipsis says when some were cut).
pub fn clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(4)));
    let mut count = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if is_unsafe_char(c) || c.is_whitespace() {
            pending_space = count > 0;
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if count + needed > max {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        count += needed;
    }
    out
}

/// The longest access token wktui accepts. Workiva's are under 2 KiB; a
/// bigger one is a broken or hostile server.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why a string cannot be a bearer token. Never carries the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenTextError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {MAX_TOKEN_LEN} bytes")]
    TooLong,
    #[error(
        "holds a character a bearer token may not contain (RFC 6750 allows letters, digits, -._~+/ and trailing =)"
    )]
    BadCharacter,
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
/// Anything else could break out of an `Authorization` header or a terminal.
pub fn check_b64token(token: &str) -> Result<(), TokenTextError> {
    if token.is_empty() {
        return Err(TokenTextError::Empty);
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenTextError::TooLong);
    }
    let body = token.trim_end_matches('=');
    if body.is_empty() {
        return Err(TokenTextError::BadCharacter);
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
    if body.bytes().all(allowed) {
        Ok(())
    } else {
        Err(TokenTextError::BadCharacter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_drops_every_kind_of_control_and_format_character() {
        assert_eq!(clean("a\x1b]52;c;ZXZpbA==\x07b", 100), "a ]52;c;ZXZpbA== b");
        assert_eq!(clean("tok\r\nX-Evil: 1", 100), "tok X-Evil: 1");
        assert_eq!(clean("\u{9b}2J screen", 100), "2J screen");
        assert_eq!(clean("safe\u{202e}txt.exe", 100), "safe txt.exe");
        assert_eq!(clean("zero\u{200b}width\u{feff}", 100), "zero width");
        assert_eq!(clean("tag\u{e0041}s", 100), "tag s");
        assert_eq!(clean("del\x7fete", 100), "del ete");
        assert!(is_clean(&clean("\x00\x1f\u{85}\u{2028}\u{2066}x", 100)));
    }

    #[test]
    fn clean_folds_spaces_and_cuts_with_an_ellipsis() {
        assert_eq!(clean("  a   b\t\tc  ", 100), "a b c");
        assert_eq!(clean("abcdef", 3), "abc…");
        assert_eq!(clean("ab cd", 4), "ab c…");
        assert_eq!(clean("", 5), "");
        assert_eq!(clean("ünïcödé ok", 100), "ünïcödé ok");
    }

    #[test]
    fn b64token_allows_exactly_the_rfc_6750_alphabet() {
        assert_eq!(check_b64token("wk.Abc-_~+/09=="), Ok(()));
        assert_eq!(check_b64token("eyJhbGciOi.eyJzdWIi.c2ln"), Ok(()));
        for bad in [
            "tok\r\nX-Evil: 1",
            "a b",
            "tok\x1b[2J",
            "a=b",
            "=",
            "ü",
            "a\"b",
            "a,b",
        ] {
            assert_eq!(check_b64token(bad), Err(TokenTextError::BadCharacter), "{bad:?}");
        }
        assert_eq!(check_b64token(""), Err(TokenTextError::Empty));
        assert_eq!(
            check_b64token(&"a".repeat(MAX_TOKEN_LEN + 1)),
            Err(TokenTextError::TooLong)
        );
        assert_eq!(check_b64token(&"a".repeat(MAX_TOKEN_LEN)), Ok(()));
    }

    #[test]
    fn errors_never_carry_the_value() {
        let e = check_b64token("secret\nvalue").unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
    }
}
