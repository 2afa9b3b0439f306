//! `S`: a new client secret for the selected profile, typed masked, as
//! `wktui profile set-secret` asks for one at its prompt. The prompt owns
//! the typed secret until it is handed over as a `SecretString`; it is
//! never drawn (only a count of dots) and never shown by `Debug`.

use crossterm::event::{KeyCode, KeyEvent};
use secrecy::SecretString;

use super::form::SecretInput;
use crate::model::SecretSource;

/// What a key did to the prompt.
#[derive(Debug, PartialEq, Eq)]
pub enum PromptOutcome {
    Continue,
    Cancel,
    Submit,
}

#[derive(Debug)]
pub struct SecretPrompt {
    name: String,
    /// Where the secret goes (the keyring; memory in the demo), for the words.
    store: SecretSource,
    input: SecretInput,
    storing: bool,
    error: Option<String>,
}

impl SecretPrompt {
    pub fn new(name: String, store: SecretSource) -> Self {
        SecretPrompt {
            name,
            store,
            input: SecretInput::default(),
            storing: false,
            error: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn store(&self) -> &SecretSource {
        &self.store
    }

    /// How many dots to draw.
    pub fn typed(&self) -> usize {
        self.input.char_count()
    }

    /// Waiting for the store to answer.
    pub fn is_storing(&self) -> bool {
        self.storing
    }

    /// Why the last attempt failed, or what is missing.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PromptOutcome {
        if key.code == KeyCode::Esc {
            return PromptOutcome::Cancel;
        }
        if self.storing {
            return PromptOutcome::Continue;
        }
        if key.code == KeyCode::Enter {
            if self.input.is_empty() {
                self.error = Some("the client secret is empty; type it, or Esc to cancel".into());
                return PromptOutcome::Continue;
            }
            return PromptOutcome::Submit;
        }
        if self.input.edit(key) {
            self.error = None;
        }
        PromptOutcome::Continue
    }

    /// The typed secret, handed over once: the prompt now waits for the answer.
    pub fn submit(&mut self) -> SecretString {
        self.storing = true;
        self.error = None;
        self.input.to_secret()
    }

    /// The store refused: say why and let the secret be typed again.
    pub fn failed(&mut self, error: String) {
        self.storing = false;
        self.error = Some(error);
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyModifiers;
    use secrecy::ExposeSecret;

    use super::*;

    fn press(prompt: &mut SecretPrompt, code: KeyCode) -> PromptOutcome {
        prompt.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn typed_masked_submitted_once_and_never_in_debug() {
        let mut prompt = SecretPrompt::new("prod".into(), SecretSource::Keyring);
        assert_eq!(press(&mut prompt, KeyCode::Enter), PromptOutcome::Continue);
        assert!(prompt.error().is_some_and(|e| e.contains("empty")));
        for c in "s3cr3t-Xy".chars() {
            press(&mut prompt, KeyCode::Char(c));
        }
        press(&mut prompt, KeyCode::Backspace);
        assert_eq!(prompt.typed(), 8);
        assert_eq!(prompt.error(), None, "typing clears the complaint");
        assert!(!format!("{prompt:?}").contains("s3cr3t"), "{prompt:?}");
        assert_eq!(press(&mut prompt, KeyCode::Enter), PromptOutcome::Submit);
        let secret = prompt.submit();
        assert_eq!(secret.expose_secret(), "s3cr3t-X");
        assert!(!format!("{secret:?}").contains("s3cr3t"));
        // While it is stored, typing does nothing; Esc still closes.
        assert!(prompt.is_storing());
        assert_eq!(press(&mut prompt, KeyCode::Char('z')), PromptOutcome::Continue);
        assert_eq!(prompt.typed(), 8);
        prompt.failed("the keyring is locked".into());
        assert!(!prompt.is_storing());
        assert_eq!(prompt.error(), Some("the keyring is locked"));
        assert_eq!(press(&mut prompt, KeyCode::Esc), PromptOutcome::Cancel);
    }
}
