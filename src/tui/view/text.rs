//! Measuring, cutting and wrapping text by terminal columns, so columns line
//! up and nothing spills into the next pane.

use ratatui::text::Span;

/// Columns a string takes on screen.
pub fn width(text: &str) -> usize {
    Span::raw(text).width()
}

fn char_width(c: char) -> usize {
    let mut buf = [0; 4];
    width(c.encode_utf8(&mut buf))
}

/// `text` cut to `max` columns, ending in `…` when cut.
pub fn fit(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    let mut out: String = room_for(text.chars(), max).collect();
    if max > 0 {
        out.push('…');
    }
    out
}

/// `text` cut to `max` columns from the left, starting with `…` when cut:
/// for a host, whose end is its real domain (`…login.evil.example`, never
/// `api.eu.wd…`, which reads as a Workiva host).
pub fn fit_start(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    let kept: Vec<char> = room_for(text.chars().rev(), max).collect();
    let mut out = String::new();
    if max > 0 {
        out.push('…');
    }
    out.extend(kept.into_iter().rev());
    out
}

/// The characters of `chars`, in order, that fit in `max` columns with one
/// left for the `…` of a cut.
fn room_for(chars: impl Iterator<Item = char>, max: usize) -> impl Iterator<Item = char> {
    let mut used = 0;
    chars.take_while(move |&c| {
        let w = char_width(c);
        let fits = used + w < max;
        used += w;
        fits
    })
}

/// A profile's destination (`HOST[:PORT][ (region)]`, as `endpoint_label`
/// gives it) in at most `max` columns. What goes first when it does not fit
/// is what says least about where the secret goes: the region note, then
/// the port; the host is then cut from the left, keeping its domain.
pub fn fit_host(label: &str, max: usize) -> String {
    if width(label) <= max {
        return label.to_owned();
    }
    // Hosts hold no spaces, so a space starts the region note.
    let host_port = label.split(' ').next().unwrap_or(label);
    if width(host_port) <= max {
        return host_port.to_owned();
    }
    let host = match host_port.rsplit_once(':') {
        // `[::1]:8080` keeps its brackets; a bare IPv6 host has no port.
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            host
        }
        _ => host_port,
    };
    fit_start(host, max)
}

/// A destination fitted by [`fit_host`] and padded with spaces on the right
/// to exactly `columns`.
pub fn pad_host(text: &str, columns: usize) -> String {
    let mut out = fit_host(text, columns);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', columns.saturating_sub(w)));
    out
}

/// `text` cut or padded with spaces to exactly `columns`.
pub fn pad(text: &str, columns: usize) -> String {
    let mut out = fit(text, columns);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', columns.saturating_sub(w)));
    out
}

/// `text` cut or padded on the left to exactly `columns`.
pub fn pad_left(text: &str, columns: usize) -> String {
    let fitted = fit(text, columns);
    let w = width(&fitted);
    let mut out: String = std::iter::repeat_n(' ', columns.saturating_sub(w)).collect();
    out.push_str(&fitted);
    out
}

/// Word-wraps `text` into lines of at most `max` columns; words longer than
/// a line are split. Always at least one line.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split_whitespace() {
        let w = width(word);
        if used > 0 && used + 1 + w <= max {
            line.push(' ');
            line.push_str(word);
            used += 1 + w;
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        // Start a new line, splitting a word that is wider than a line,
        // after a `/`, `-`, `.` or `:` when there is one (URLs stay readable).
        for c in word.chars() {
            let cw = char_width(c);
            if used + cw > max && used > 0 {
                let carry = match line.rfind(['/', '-', '.', ':', '_']) {
                    Some(at) if at + 1 < line.len() => line.split_off(at + 1),
                    _ => String::new(),
                };
                lines.push(std::mem::replace(&mut line, carry));
                used = width(&line);
            }
            line.push(c);
            used += cw;
        }
    }
    if used > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_with_an_ellipsis_by_columns() {
        assert_eq!(fit("production", 20), "production");
        assert_eq!(fit("production", 5), "prod…");
        assert_eq!(fit("日本語です", 5), "日本…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abc", 1), "…");
    }

    #[test]
    fn a_host_is_cut_from_the_left_so_its_domain_stays() {
        let host = "api.eu.wdesk.com-login.evil.example";
        assert_eq!(fit_start(host, 16), "…in.evil.example");
        assert_eq!(fit_start(host, 40), host);
        assert_eq!(fit_start("日本語です", 5), "…です");
        assert_eq!(fit_start("abc", 0), "");
    }

    #[test]
    fn a_destination_that_does_not_fit_loses_its_region_note_then_its_port_then_its_start() {
        assert_eq!(fit_host("api.app.wdesk.com", 20), "api.app.wdesk.com");
        assert_eq!(fit_host("127.0.0.1:40953 (us)", 16), "127.0.0.1:40953");
        assert_eq!(fit_host("proxy.example:8443", 14), "proxy.example");
        assert_eq!(fit_host("via.proxy.example:8443", 12), "…oxy.example");
        assert_eq!(fit_host("evil.example:8443 (eu)", 10), "…l.example");
        assert_eq!(fit_host("[::1]:8080 (us)", 6), "[::1]");
        assert_eq!(fit_host("[fe80::1]", 6), "…0::1]");
        assert_eq!(pad_host("127.0.0.1:40953 (us)", 16), "127.0.0.1:40953 ");
        assert_eq!(pad_host("eu", 4), "eu  ");
    }

    #[test]
    fn pad_fills_to_the_width() {
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(pad("abcdef", 4), "abc…");
        assert_eq!(pad("日本", 5), "日本 ");
    }

    #[test]
    fn wrap_breaks_on_words_and_splits_long_ones() {
        assert_eq!(
            wrap("invalid_client: Client authentication failed", 20),
            ["invalid_client:", "Client", "authentication", "failed"]
        );
        assert_eq!(wrap("a b c", 3), ["a b", "c"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(
            wrap("https://api.app.wdesk.com/oauth2/token", 30),
            ["https://api.app.wdesk.com/", "oauth2/token"]
        );
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("x y", 0), ["x", "y"]);
    }
}
