//! Typing a secret at the terminal without echo. The terminal's mode is
//! restored on every way out: Enter, Ctrl-C, Esc, an error or a panic.

use std::io::Write;

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use zeroize::Zeroizing;

/// Raw mode while alive (no echo, keys one by one).
struct RawMode;

impl RawMode {
    fn enter() -> std::io::Result<RawMode> {
        terminal::enable_raw_mode()?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// Shows `prompt` on stderr and reads a line without echoing it; `None`
/// when the user cancels with Ctrl-C or Esc.
pub fn read_hidden(prompt: &str) -> std::io::Result<Option<Zeroizing<String>>> {
    let mut err = std::io::stderr();
    write!(err, "{prompt}")?;
    err.flush()?;
    let mut line = Zeroizing::new(String::new());
    let outcome = {
        let _raw = RawMode::enter()?;
        loop {
            let Event::Key(key) = event::read()? else { continue };
            if key.kind == KeyEventKind::Release {
                continue;
            }
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            match key.code {
                KeyCode::Enter => break true,
                KeyCode::Esc => break false,
                KeyCode::Char('c' | 'd') if ctrl => break false,
                KeyCode::Char('u') if ctrl => line.clear(),
                KeyCode::Backspace => {
                    line.pop();
                }
                KeyCode::Char(c) if !ctrl => line.push(c),
                _ => {}
            }
        }
    };
    writeln!(err)?;
    Ok(outcome.then_some(line))
}
