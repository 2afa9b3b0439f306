//! The desktop clipboard backend (arboard: X11 and Wayland on Linux, the
//! native clipboards elsewhere).

/// Owns the clipboard with `text`, marked as a password where the platform
/// knows how, so clipboard managers leave it out of their history.
#[cfg(target_os = "linux")]
pub fn set_clipboard(text: &str) -> Result<arboard::Clipboard, arboard::Error> {
    use arboard::SetExtLinux;
    let mut clipboard = arboard::Clipboard::new()?;
    clipboard.set().exclude_from_history().text(text.to_owned())?;
    Ok(clipboard)
}

#[cfg(not(target_os = "linux"))]
pub fn set_clipboard(text: &str) -> Result<arboard::Clipboard, arboard::Error> {
    let mut clipboard = arboard::Clipboard::new()?;
    clipboard.set_text(text.to_owned())?;
    Ok(clipboard)
}
