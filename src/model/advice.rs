//! Advice about values that are valid but probably not what the user meant,
//! shared by the CLI and the TUI so both say it in the same words.

use super::Region;

/// A token URL with no path (`https://api.app.wdesk.com`) is most likely a
/// base URL: the request would go to `/` and come back 404. Returns what to
/// say, naming the URL that was probably meant.
pub fn token_url_without_path(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    if !matches!(parsed.path(), "" | "/") || parsed.host_str().is_none() {
        return None;
    }
    let origin = parsed.origin().ascii_serialization();
    let meant = probable_token_url(&origin);
    let region = Region::ALL
        .into_iter()
        .find(|r| r.base_url().eq_ignore_ascii_case(&origin))
        .map(|r| format!(" (or the region {r}, which means the same)"))
        .unwrap_or_default();
    Some(format!(
        "{} has no path, so it is probably a base URL; the token endpoint is {meant}{region}",
        url.trim()
    ))
}

/// The token URL a base URL most likely stands for: Workiva's token path
/// (`/oauth2/token`, API version 2026-01-01) at the same origin
/// (`scheme://host[:port]`).
pub fn probable_token_url(origin: &str) -> String {
    format!("{origin}/oauth2/token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_is_told_apart_from_a_token_url() {
        let said = token_url_without_path("https://api.app.wdesk.com").expect("advice");
        assert!(said.contains("https://api.app.wdesk.com/oauth2/token"), "{said}");
        assert!(said.contains("region us"), "{said}");
        let said = token_url_without_path("http://127.0.0.1:8080/").expect("advice");
        assert!(said.contains("http://127.0.0.1:8080/oauth2/token"), "{said}");
        assert!(!said.contains("region"), "{said}");
        assert_eq!(
            token_url_without_path("https://api.eu.wdesk.com/oauth2/token"),
            None
        );
        assert_eq!(
            token_url_without_path("https://proxy.example/iam/v1/oauth2/token"),
            None
        );
        assert_eq!(token_url_without_path("not a url"), None);
    }
}
