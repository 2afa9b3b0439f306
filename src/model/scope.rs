use std::fmt;

/// An OAuth2 scope list: space-separated on the wire, a list everywhere else.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Splits on any run of whitespace; empty input gives an empty list.
    pub fn parse(text: &str) -> Self {
        Scopes(text.split_whitespace().map(str::to_owned).collect())
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
}
