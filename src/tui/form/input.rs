//! The form's inputs: a one-line text field, and a secret typed blind.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::SecretString;
use zeroize::Zeroizing;

/// A one-line text field with a cursor (counted in chars).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    cursor: usize,
}

impl TextInput {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.chars().count();
        TextInput { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Cursor position in chars from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Applies an editing key; false when the key is not an edit.
    pub(in crate::tui) fn edit(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => *self = TextInput::default(),
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Delete if self.cursor < self.text.chars().count() => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.text.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.chars().count(),
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }
}

/// A typed secret. Growing the buffer copies into a fresh zeroizing buffer
/// so no partial secret is left behind in freed memory.
#[derive(Default)]
pub struct SecretInput {
    buf: Zeroizing<String>,
}

impl SecretInput {
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// How many `•` to show.
    pub fn char_count(&self) -> usize {
        self.buf.chars().count()
    }

    fn push(&mut self, c: char) {
        if self.buf.len() + c.len_utf8() > self.buf.capacity() {
            let mut bigger = Zeroizing::new(String::with_capacity((self.buf.capacity() * 2).max(64)));
            bigger.push_str(&self.buf);
            self.buf = bigger; // the old buffer is wiped as it drops
        }
        self.buf.push(c);
    }

    pub(in crate::tui) fn edit(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => self.buf = Zeroizing::default(),
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => self.push(c),
            KeyCode::Backspace => {
                self.buf.pop();
            }
            _ => return false,
        }
        true
    }

    /// A copy for handing over; `SecretString::from(&str)` allocates exactly
    /// once, so no unwiped copy is left by a reallocation.
    pub(in crate::tui) fn to_secret(&self) -> SecretString {
        SecretString::from(self.buf.as_str())
    }
}

impl fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretInput(<redacted>)")
    }
}
