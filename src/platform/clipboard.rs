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

#[cfg(target_os = "windows")]
pub fn set_clipboard(text: &str) -> Result<arboard::Clipboard, arboard::Error> {
    use arboard::SetExtWindows;
    let mut clipboard = arboard::Clipboard::new()?;
    clipboard
        .set()
        .exclude_from_history()
        .exclude_from_cloud()
        .exclude_from_monitoring()
        .text(text.to_owned())?;
    Ok(clipboard)
}

#[cfg(target_os = "macos")]
pub fn set_clipboard(text: &str) -> Result<arboard::Clipboard, arboard::Error> {
    use arboard::SetExtApple;
    let mut clipboard = arboard::Clipboard::new()?;
    clipboard.set().exclude_from_history().text(text.to_owned())?;
    Ok(clipboard)
}

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
pub fn set_clipboard(text: &str) -> Result<arboard::Clipboard, arboard::Error> {
    let mut clipboard = arboard::Clipboard::new()?;
    clipboard.set_text(text.to_owned())?;
    Ok(clipboard)
}

/// Whether this session has a desktop clipboard to copy to: on Linux and
/// the BSDs a display server (`DISPLAY`, `WAYLAND_DISPLAY`); on Windows and
/// macOS every logged-in session has one.
pub fn has_desktop(env: impl Fn(&str) -> Option<String>) -> bool {
    if cfg!(any(target_os = "windows", target_os = "macos")) {
        return true;
    }
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    set("DISPLAY") || set("WAYLAND_DISPLAY")
}
