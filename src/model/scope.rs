use std::fmt;

/// An OAuth2 scope list: space-separated on the wire, a list everywhere else.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Splits on any run of whitespace; empty input gives an empty list.
    pub fn parse(text: &str) -> Self {
        Scopes(text.split_whitespace().map(str::to_owned).collect())
    }

    /// A scope list as typed or configured, checked against RFC 6749 §3.3:
    /// each token is `%x21 / %x23-5B / %x5D-7E` (printable ASCII but space,
    /// `"` and `\`). Tokens are separated by spaces; runs of spaces and
    /// spaces at either end are allowed and dropped (the wire form is
    /// rebuilt with single spaces, so what is sent is always valid).
    /// Any other character, tabs and line breaks included, is refused.
    pub fn checked(text: &str) -> Result<Self, ScopeError> {
        if text.len() > MAX_SCOPE_LEN {
            return Err(ScopeError::TooLong(text.len()));
        }
        let mut tokens = Vec::new();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            if let Some(bad) = token.chars().find(|c| !is_scope_char(*c)) {
                return Err(ScopeError::BadChar {
                    token: shown(token),
                    char: describe(bad),
                });
            }
            tokens.push(token.to_owned());
        }
        Ok(Scopes(tokens))
    }

    /// True when every scope here is also in `other` (order does not count).
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.iter().all(|s| other.iter().any(|o| o == s))
    }

    /// The scopes sorted and without repeats: the same set always gives the
    /// same text, whatever order it was written in.
    pub fn canonical(&self) -> Scopes {
        let mut tokens = self.0.clone();
        tokens.sort();
        tokens.dedup();
        Scopes(tokens)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// Longer than any real grant's scope list; bounds what is kept and sent.
const MAX_SCOPE_LEN: usize = 4096;

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

/// A token made safe to show: anything outside printable ASCII escaped.
fn shown(token: &str) -> String {
    token
        .chars()
        .map(|c| match c {
            ' '..='~' => c.to_string(),
            _ => format!("\\u{{{:x}}}", c as u32),
        })
        .collect()
}

/// A character named so it can be read: quoted when printable, else its code.
fn describe(c: char) -> String {
    match c {
        '\t' => "a tab (U+0009)".to_owned(),
        '!'..='~' => format!("'{c}'"),
        _ => format!("U+{:04X}", c as u32),
    }
}

/// Why a scope list was refused; the caller names the field or flag.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error(
        "scope \"{token}\" holds {char}, which a scope may not: a scope is printable ASCII but space, '\"' and '\\' (RFC 6749 section 3.3), and scopes are separated by spaces"
    )]
    BadChar { token: String, char: String },
    #[error("is {0} bytes long; a scope list may be at most 4096")]
    TooLong(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_joins_with_single_spaces() {
        let s = Scopes::parse("  file:read\tfile:write  ");
        assert_eq!(s.iter().collect::<Vec<_>>(), ["file:read", "file:write"]);
        assert_eq!(s.to_string(), "file:read file:write");
        assert!(Scopes::parse("   ").is_empty());
    }

    #[test]
    fn checked_takes_rfc_6749_tokens_and_drops_extra_spaces() {
        let s = Scopes::checked("  file:read   file:write ").expect("valid");
        assert_eq!(s.to_string(), "file:read file:write");
        assert!(Scopes::checked("   ").expect("valid").is_empty());
        // Every allowed character, edges of each range included.
        let all: String = ('\x21'..='\x7e').filter(|c| !matches!(c, '"' | '\\')).collect();
        assert_eq!(Scopes::checked(&all).expect("valid").to_string(), all);
    }

    #[test]
    fn checked_names_the_character_and_the_token() {
        let err = Scopes::checked("file:read bad\"sc\\ope").expect_err("quote");
        let said = err.to_string();
        assert!(
            said.contains("\"bad\"sc\\ope\"") && said.contains("'\"'"),
            "{said}"
        );
        assert!(said.contains("RFC 6749"), "{said}");
        let said = Scopes::checked("a\\b").expect_err("backslash").to_string();
        assert!(said.contains("'\\'"), "{said}");
        for (text, named) in [
            ("a\tb", "tab"),
            ("a\nb", "U+000A"),
            ("a\x7fb", "U+007F"),
            ("caf\u{e9}", "U+00E9"),
            ("x\u{1b}[2J", "U+001B"),
            ("\u{202e}y", "U+202E"),
        ] {
            let said = Scopes::checked(text).expect_err(text).to_string();
            assert!(said.contains(named), "{text:?}: {said}");
            assert!(
                !said.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{said:?}"
            );
        }
        assert!(matches!(
            Scopes::checked(&"a".repeat(5000)),
            Err(ScopeError::TooLong(5000))
        ));
    }

    #[test]
    fn subsets_and_canonical_form_ignore_order() {
        let all = Scopes::parse("file:read file:write");
        assert!(Scopes::parse("file:write file:read").is_subset_of(&all));
        assert!(Scopes::parse("file:read").is_subset_of(&all));
        assert!(!Scopes::parse("file:read admin").is_subset_of(&all));
        assert_eq!(
            Scopes::parse("b a b").canonical(),
            Scopes::parse("a b").canonical()
        );
    }
}
