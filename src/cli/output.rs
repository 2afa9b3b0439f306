//! Text for humans and machines: aligned tables on a terminal, tab-separated
//! lines in pipes, JSON on request; times in RFC 3339 or local clock time.

use std::io::IsTerminal;

use chrono::{DateTime, Datelike, Local, NaiveDate, SecondsFormat, Timelike, Utc};

use super::args::ListFormat;
use crate::model::{Profile, Timestamp};

/// The format the user asked for, else table on a terminal and plain in a pipe.
pub fn list_format(asked: Option<ListFormat>) -> ListFormat {
    asked.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            ListFormat::Table
        } else {
            ListFormat::Plain
        }
    })
}

/// Colours only on a terminal, and never when `NO_COLOR` is set (to anything).
pub fn use_colour() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Rows as an aligned table (with a header) or as tab-separated lines
/// (without). A row is any list of cells (`Vec<String>`, or borrowed text
/// where a listing of thousands would otherwise copy every value).
pub fn render_rows<R, C>(header: &[&str], rows: &[R], format: ListFormat) -> String
where
    R: AsRef<[C]>,
    C: AsRef<str>,
{
    let mut out = String::new();
    if format == ListFormat::Plain {
        for row in rows {
            for (i, cell) in row.as_ref().iter().enumerate() {
                if i > 0 {
                    out.push('\t');
                }
                out.push_str(cell.as_ref());
            }
            out.push('\n');
        }
        return out;
    }
    let columns = |cell: &str| {
        if cell.is_ascii() {
            cell.len()
        } else {
            cell.chars().count()
        }
    };
    let mut widths: Vec<usize> = header.iter().map(|h| columns(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.as_ref()) {
            *w = (*w).max(columns(cell.as_ref()));
        }
    }
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let start = out.len();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(cell);
            let pad = widths[i].saturating_sub(columns(cell));
            out.extend(std::iter::repeat_n(' ', pad));
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.as_ref().iter().map(AsRef::as_ref));
    }
    out
}

/// The fields every JSON listing gives for a profile.
pub fn profile_json(p: &Profile) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    map.insert("name".into(), p.name.clone().into());
    map.insert("region".into(), p.region().map(|r| r.as_str()).into());
    map.insert("token_url".into(), p.token_url().into());
    map.insert("client_id".into(), p.client_id.clone().into());
    map.insert("scope".into(), p.scope.as_ref().map(ToString::to_string).into());
    map
}

/// The profile's `grant_expires` (`YYYY-MM-DD`, or null), added after a
/// command's other fields: new fields go at the end.
pub fn grant_expires_json(p: &Profile) -> serde_json::Value {
    p.grant_expires.map(|d| d.to_string()).into()
}

pub fn rfc3339(t: Timestamp) -> String {
    DateTime::<Utc>::from_timestamp_millis(t.as_millis() as i64)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Local clock time: `HH:MM:SS` today, with the date otherwise.
pub fn local_time(t: Timestamp, now: Timestamp) -> String {
    LocalTimes::new(now).format(t)
}

/// `local_time` for many times against one `now`: today's date is worked
/// out once, and each time is written without parsing a format string.
pub struct LocalTimes {
    today: NaiveDate,
}

impl LocalTimes {
    pub fn new(now: Timestamp) -> Self {
        LocalTimes {
            today: to_local(now).date_naive(),
        }
    }

    /// `HH:MM:SS` today, `YYYY-MM-DD HH:MM:SS` on any other day.
    pub fn format(&self, t: Timestamp) -> String {
        use std::fmt::Write;
        let at = to_local(t);
        let mut text = String::with_capacity(19);
        if at.date_naive() != self.today {
            let _ = write!(text, "{:04}-{:02}-{:02} ", at.year(), at.month(), at.day());
        }
        for (i, part) in [at.hour(), at.minute(), at.second()].into_iter().enumerate() {
            if i > 0 {
                text.push(':');
            }
            text.push(char::from(b'0' + (part / 10) as u8));
            text.push(char::from(b'0' + (part % 10) as u8));
        }
        text
    }
}

fn to_local(t: Timestamp) -> DateTime<Local> {
    DateTime::<Utc>::from_timestamp_millis(t.as_millis() as i64)
        .unwrap_or_default()
        .with_timezone(&Local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_today_show_the_time_and_other_days_the_date_too_as_chrono_writes_them() {
        let now = crate::clock::now();
        let times = LocalTimes::new(now);
        for t in [now, Timestamp(now.as_millis() - 3 * 86_400_000), Timestamp(1_000)] {
            let at = to_local(t);
            let expected = if at.date_naive() == to_local(now).date_naive() {
                at.format("%H:%M:%S").to_string()
            } else {
                at.format("%Y-%m-%d %H:%M:%S").to_string()
            };
            assert_eq!(times.format(t), expected);
        }
    }

    #[test]
    fn tables_align_and_plain_is_tab_separated() {
        let rows = vec![
            vec!["prod".to_owned(), "valid".to_owned()],
            vec!["a-longer-name".to_owned(), "none".to_owned()],
        ];
        assert_eq!(
            render_rows(&["NAME", "STATE"], &rows, ListFormat::Table),
            "NAME           STATE\nprod           valid\na-longer-name  none\n"
        );
        assert_eq!(
            render_rows(&["NAME", "STATE"], &rows, ListFormat::Plain),
            "prod\tvalid\na-longer-name\tnone\n"
        );
    }

    #[test]
    fn rfc3339_is_utc_seconds() {
        assert_eq!(rfc3339(Timestamp::from_secs(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(Timestamp(1_790_000_000_500)), "2026-09-21T14:13:20Z");
    }
}
