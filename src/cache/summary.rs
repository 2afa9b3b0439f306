//! What `wktui list` shows of every cached token, kept in one file, so that a
//! fleet of 10,000 profiles is listed without opening 10,000 files.
//!
//! `<cache dir>/summary/tokens` holds, for each token file, its stamp (inode,
//! change time, size) and what `list` shows of it: the fingerprint of the
//! profile it was fetched for, its scope, when it was obtained and how long
//! it lives. Never the token.
//!
//! The summary is keyed by the cache directory's own stamp. wktui replaces a
//! token file by rename, and every rename, new file or removal changes the
//! directory's modification time: while the directory's stamp is the one the
//! summary names, no token file came, went or was replaced, and `list` reads
//! the summary alone. Otherwise the summary is brought up to date by what
//! changed: one `stat` a token file, and only files whose stamp differs are
//! read again. (A file edited in place, which wktui never does, changes no
//! directory stamp: it is seen once the directory changes.)
//!
//! File times move in ticks, so a directory or file changed in the last
//! second is not trusted by its stamp: a second change in the same tick
//! would leave it as it was.
//!
//! The summary is hostile like every cache file: read through
//! `platform::fs::read_trusted` (the user's own private file, bounded), each
//! record checked as a token file is (a plain profile name, a clean scope, a
//! lifetime a server gives, not from the future). Anything that does not fit
//! and the token files are read instead.

use std::cell::Cell;
use std::ops::Range;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::entry::{self, decode_any};
use super::{TokenCache, token_file_stem};
use crate::model::{Timestamp, TokenFacts, check_scope_text};
use crate::platform::fs::{self as private, Durability, EntryStamp, FileStamp, write_atomically};

/// The summary's subdirectory of the cache dir: its own writes must not
/// change the cache directory's stamp.
const DIR: &str = "summary";
const FILE: &str = "tokens";
const MAGIC: &str = "wktui-token-summary 1";
/// 10,000 tokens make about 2 MB; a file far larger is not ours.
const MAX_BYTES: u64 = 64 * 1024 * 1024;
/// From this many files to read, two threads read them.
const MANY: usize = 1024;
/// How long a file must have stayed unchanged before its stamp is trusted.
const SETTLED: Duration = Duration::from_secs(1);

/// One line of the summary, a token file's, as ranges of the text: the
/// rest of it is read, and checked, only when asked for.
#[derive(Clone, Debug)]
struct Record {
    line: Range<usize>,
    name: Range<usize>,
}

/// A record read and checked.
#[derive(Clone, Debug)]
struct Parsed {
    stamp: EntryStamp,
    /// `None` for a file that is not a usable token (damaged, planted).
    token: Option<TokenRecord>,
}

#[derive(Clone, Debug)]
struct TokenRecord {
    fingerprint: Range<usize>,
    scope: Range<usize>,
    obtained_at: Timestamp,
    lifetime: Duration,
}

/// Every token file of the cache directory: the summary's text, and its
/// records sorted by profile name.
#[derive(Debug, Default)]
pub(super) struct Summary {
    text: String,
    records: Vec<Record>,
    /// When it was read, for the records' checks.
    now: Timestamp,
    /// Where the next lookup looks first: `list` asks in name order, as the
    /// records are, so most lookups are one comparison instead of a search.
    next: Cell<usize>,
}

/// A record that does not pass its checks: the token file is the answer.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Damaged;

impl Summary {
    /// What `list` shows of the token cached for a profile with this name
    /// and fingerprint, if there is one. Records are checked when asked for:
    /// a listing of 100 profiles reads 100 records, however many tokens
    /// other configs keep in the same directory.
    pub(super) fn facts_of(&self, name: &str, fingerprint: &str) -> Result<Option<TokenFacts>, Damaged> {
        let Some(record) = self.find(name) else {
            return Ok(None);
        };
        let parsed = self.parsed(record).ok_or(Damaged)?;
        let Some(token) = parsed.token else {
            return Ok(None);
        };
        Ok(
            (self.text[token.fingerprint.clone()] == *fingerprint).then(|| TokenFacts {
                scope: self.text[token.scope.clone()].to_owned(),
                obtained_at: token.obtained_at,
                lifetime: token.lifetime,
            }),
        )
    }

    fn parsed(&self, record: &Record) -> Option<Parsed> {
        parse_record(&self.text[record.line.clone()], record.line.start, self.now)
    }

    fn find(&self, name: &str) -> Option<&Record> {
        let next = self.next.get();
        if let Some(record) = self.records.get(next)
            && self.text[record.name.clone()] == *name
        {
            self.next.set(next + 1);
            return Some(record);
        }
        match self
            .records
            .binary_search_by(|r| self.text[r.name.clone()].cmp(name))
        {
            Ok(at) => {
                self.next.set(at + 1);
                self.records.get(at)
            }
            Err(at) => {
                self.next.set(at);
                None
            }
        }
    }
}

/// The summary of `dir` (the cache's private directory) as it is now: read
/// from the summary file when the directory has not changed since it was
/// written, else brought up to date and written again (best effort).
pub(super) fn current(cache: &TokenCache, dir: &Path) -> Summary {
    let now = SystemTime::now();
    let summary_dir = dir.join(DIR);
    // Made before the directory's stamp is taken: making it changes the stamp.
    if private::ensure_private_dir(&summary_dir).is_err() {
        let (lines, _) = rebuild(cache, dir, &Summary::default(), now);
        return parse(file_text(None, &lines), crate::clock::now())
            .map(|(_, s)| s)
            .unwrap_or_default();
    }
    let file = summary_dir.join(FILE);
    let Some(before) = FileStamp::of_path(dir) else {
        return Summary::default();
    };
    let (key, old) = read(&file, crate::clock::now()).unwrap_or_default();
    if key.as_deref() == Some(before.encode().as_str()) {
        return old;
    }
    let (lines, all_settled) = rebuild(cache, dir, &old, now);
    // Keyed only if nothing changed while we looked and nothing was too fresh to trust.
    let key =
        (all_settled && before.settled(now) && FileStamp::of_path(dir) == Some(before)).then_some(before);
    let text = file_text(key, &lines);
    let _ = write_atomically(&file, text.as_bytes(), Durability::Cache);
    parse(text, crate::clock::now())
        .map(|(_, s)| s)
        .unwrap_or_default()
}

/// The record lines of what is in `dir` now, sorted by name: the lines of
/// `old` whose file kept its stamp, the other token files read again. Also
/// says whether every file was settled (else the summary cannot be keyed to
/// the directory).
fn rebuild(cache: &TokenCache, dir: &Path, old: &Summary, now: SystemTime) -> (String, bool) {
    let mut lines: Vec<(String, Line<'_>)> = Vec::with_capacity(old.records.len());
    let mut to_read: Vec<(String, EntryStamp)> = Vec::new();
    let mut all_settled = true;
    private::each_entry_stamp(
        dir,
        |name| token_file_stem(name).is_some(),
        |name, stamp| {
            let (Some(stem), Some(stamp)) = (token_file_stem(name), stamp) else {
                return;
            };
            let settled = settled(stamp.changed_ns, now);
            all_settled &= settled;
            let kept = old
                .find(stem)
                .filter(|record| settled && old.parsed(record).is_some_and(|p| p.stamp == stamp));
            match kept {
                Some(record) => lines.push((stem.to_owned(), Line::Kept(&old.text[record.line.clone()]))),
                None => to_read.push((stem.to_owned(), stamp)),
            }
        },
    );
    let read_now = crate::clock::now();
    let read_all = |batch: &[(String, EntryStamp)]| -> Vec<Option<(String, TokenFacts)>> {
        batch
            .iter()
            .map(|(name, _)| {
                let bytes = cache.read_file(name)?;
                let (fingerprint, token) = decode_any(&bytes, read_now).ok()?;
                Some((fingerprint, token.facts()))
            })
            .collect()
    };
    let fresh = crate::halves::in_halves(&to_read, to_read.len() >= MANY, None, read_all);
    for ((name, stamp), token) in to_read.into_iter().zip(fresh) {
        // A file too fresh to trust by its stamp is read again next time.
        let stamp = if settled(stamp.changed_ns, now) {
            stamp
        } else {
            UNTRUSTED_STAMP
        };
        let line = encode_line(&name, stamp, token.as_ref());
        lines.push((name, Line::Fresh(line)));
    }
    lines.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::with_capacity(lines.iter().map(|(_, l)| l.as_str().len() + 1).sum());
    for (_, line) in &lines {
        text.push_str(line.as_str());
        text.push('\n');
    }
    (text, all_settled)
}

/// The summary file: its magic line, the directory stamp it answers for
/// (`-`: none), then the record lines.
fn file_text(key: Option<FileStamp>, lines: &str) -> String {
    let key = key.map_or_else(|| "-".to_owned(), |k| k.encode());
    format!("{MAGIC}\n{key}\n{lines}")
}

/// A stamp no file has: the record is read again next time.
const UNTRUSTED_STAMP: EntryStamp = EntryStamp {
    inode: 0,
    changed_ns: 0,
    len: 0,
};

/// A record line of the summary: kept from the last one, or made now.
enum Line<'a> {
    Kept(&'a str),
    Fresh(String),
}

impl Line<'_> {
    fn as_str(&self) -> &str {
        match self {
            Line::Kept(line) => line,
            Line::Fresh(line) => line,
        }
    }
}

fn settled(changed_ns: i128, now: SystemTime) -> bool {
    let now_ns = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i128);
    changed_ns + SETTLED.as_nanos() as i128 <= now_ns
}

/// One record: `NAME \t INODE CHANGED LEN \t FINGERPRINT \t OBTAINED_MS
/// EXPIRES_IN \t SCOPE`, or `NAME \t INODE CHANGED LEN \t -` for a file that
/// holds no usable token. The file is a magic line, the directory stamp it
/// answers for (or `-`), then the records sorted by name.
fn encode_line(name: &str, stamp: EntryStamp, token: Option<&(String, TokenFacts)>) -> String {
    let EntryStamp {
        inode,
        changed_ns,
        len,
    } = stamp;
    match token {
        // A fingerprint is a URL, a client id and scopes, all free of
        // control characters; one that is not cannot be written here.
        Some((fingerprint, facts))
            if !fingerprint.contains(['\t', '\n', '\r']) && !fingerprint.is_empty() =>
        {
            format!(
                "{name}\t{inode} {changed_ns} {len}\t{fingerprint}\t{} {}\t{}",
                facts.obtained_at.as_millis(),
                facts.lifetime.as_secs(),
                facts.scope
            )
        }
        _ => format!("{name}\t{inode} {changed_ns} {len}\t-"),
    }
}

/// The directory key and the records of the summary file, if it is there,
/// ours, and every line of it fits.
fn read(file: &Path, now: Timestamp) -> Option<(Option<String>, Summary)> {
    let bytes = private::read_trusted(file, MAX_BYTES).ok()??;
    parse(String::from_utf8(bytes).ok()?, now)
}

fn parse(text: String, now: Timestamp) -> Option<(Option<String>, Summary)> {
    let mut lines = text.split_terminator('\n');
    if lines.next()? != MAGIC {
        return None;
    }
    let key = match lines.next()? {
        "-" => None,
        stamp => Some(stamp.to_owned()),
    };
    let mut records: Vec<Record> = Vec::new();
    for line in lines {
        let start = line.as_ptr() as usize - text.as_ptr() as usize;
        let name = line.split_once('\t')?.0;
        // Sorted and unique, or it was not written by wktui.
        if let Some(last) = records.last()
            && text[last.name.clone()] >= *name
        {
            return None;
        }
        records.push(Record {
            line: start..start + line.len(),
            name: start..start + name.len(),
        });
    }
    Some((
        key,
        Summary {
            text,
            records,
            now,
            next: Cell::new(0),
        },
    ))
}

/// One record line, read and checked; `offset` is where it starts in the text.
fn parse_record(line: &str, offset: usize, now: Timestamp) -> Option<Parsed> {
    let range = |field: &str| {
        let start = offset + (field.as_ptr() as usize - line.as_ptr() as usize);
        start..start + field.len()
    };
    // The name is not checked: it is only ever compared with a profile's
    // (or a token file's) name that was.
    let mut fields = line.split('\t');
    fields.next()?;
    let mut stamp = fields.next()?.split(' ');
    let stamp = EntryStamp {
        inode: stamp.next()?.parse().ok()?,
        changed_ns: stamp.next()?.parse().ok()?,
        len: stamp.next()?.parse().ok()?,
    };
    let token = match fields.next()? {
        "-" => None,
        fingerprint => {
            let mut times = fields.next()?.split(' ');
            let (obtained_ms, expires_in): (u64, u64) =
                (times.next()?.parse().ok()?, times.next()?.parse().ok()?);
            if times.next().is_some() {
                return None;
            }
            entry::check_times(obtained_ms, expires_in, now).ok()?;
            let scope = fields.next()?;
            check_scope_text(scope).ok()?;
            Some(TokenRecord {
                fingerprint: range(fingerprint),
                scope: range(scope),
                obtained_at: Timestamp(obtained_ms),
                lifetime: Duration::from_secs(expires_in),
            })
        }
    };
    if fields.next().is_some() {
        return None;
    }
    Some(Parsed { stamp, token })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::clock;
    use crate::model::{BearerToken, Endpoint, Profile, Region, Token};

    fn profile(name: &str) -> Profile {
        Profile::new(name, Endpoint::Region(Region::Us), format!("id-{name}"))
    }

    fn token(lifetime: u64, scope: &str) -> Token {
        let response = BearerToken {
            access_token: "wk.summarised".into(),
            expires_in: lifetime,
            scope: Some(scope.into()),
            token_type: "bearer".into(),
        };
        Token::from_response(&response, None, clock::now()).expect("token")
    }

    /// What the summary says of a token, its records sound.
    fn facts(summary: &Summary, name: &str, fingerprint: &str) -> Option<TokenFacts> {
        summary.facts_of(name, fingerprint).expect("a sound record")
    }

    /// Change times cannot be set back: tests wait for stamps to be trusted.
    fn settle() {
        std::thread::sleep(SETTLED + Duration::from_millis(50));
    }

    fn summary_text(dir: &Path) -> String {
        std::fs::read_to_string(dir.join(DIR).join(FILE)).expect("summary written")
    }

    #[test]
    fn a_summary_keyed_to_an_unchanged_directory_is_all_that_is_read() {
        let root = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(root.path().join("c"));
        let (a, b) = (profile("a"), profile("b"));
        cache.store(&a, &token(600, "file:read")).expect("store");
        cache.store(&b, &token(900, "file:write")).expect("store");
        let dir = cache.dir().to_path_buf();
        // Made fresh: not keyed yet, but every token is seen.
        let first = current(&cache, &dir);
        assert_eq!(
            facts(&first, "a", &a.fingerprint()).map(|f| f.scope),
            Some("file:read".into())
        );
        assert!(summary_text(&dir).lines().nth(1) == Some("-"), "too fresh to key");
        settle();
        let second = current(&cache, &dir);
        assert_eq!(
            facts(&second, "b", &b.fingerprint()).map(|f| f.lifetime.as_secs()),
            Some(900)
        );
        assert_ne!(summary_text(&dir).lines().nth(1), Some("-"), "keyed once settled");
        // Keyed: the summary alone answers. Proof: a record changed in the
        // summary file (as only a reader of the summary would see) shows.
        let path = dir.join(DIR).join(FILE);
        let text = summary_text(&dir).replace("file:write", "file:forged");
        rewrite_keeping_dir_stamp(&path, &text);
        let third = current(&cache, &dir);
        assert_eq!(
            facts(&third, "b", &b.fingerprint()).map(|f| f.scope),
            Some("file:forged".into())
        );
        // Another profile's fingerprint never matches.
        assert_eq!(facts(&third, "a", &b.fingerprint()), None);
    }

    /// Rewrites the summary in place: a write inside `summary/` leaves the
    /// cache directory's stamp as it was.
    fn rewrite_keeping_dir_stamp(path: &Path, text: &str) {
        std::fs::write(path, text).expect("rewrite");
    }

    #[test]
    fn a_store_a_removal_or_a_replaced_file_is_seen_at_once() {
        let root = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(root.path().join("c"));
        let (a, b) = (profile("a"), profile("b"));
        cache.store(&a, &token(600, "file:read")).expect("store");
        settle();
        let dir = cache.dir().to_path_buf();
        let _ = current(&cache, &dir);
        settle();
        let _ = current(&cache, &dir);
        assert_ne!(summary_text(&dir).lines().nth(1), Some("-"), "keyed");
        cache.store(&b, &token(700, "x")).expect("store");
        let seen = current(&cache, &dir);
        assert_eq!(
            facts(&seen, "b", &b.fingerprint()).map(|f| f.scope),
            Some("x".into())
        );
        cache.store(&a, &token(800, "y")).expect("replace");
        let seen = current(&cache, &dir);
        assert_eq!(
            facts(&seen, "a", &a.fingerprint()).map(|f| f.lifetime.as_secs()),
            Some(800)
        );
        cache.remove("a").expect("remove");
        let seen = current(&cache, &dir);
        assert_eq!(facts(&seen, "a", &a.fingerprint()), None);
        assert!(facts(&seen, "b", &b.fingerprint()).is_some());
    }

    #[test]
    fn a_planted_or_damaged_summary_is_not_believed() {
        let root = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(root.path().join("c"));
        let a = profile("a");
        cache.store(&a, &token(600, "file:read")).expect("store");
        settle();
        let dir = cache.dir().to_path_buf();
        let _ = current(&cache, &dir);
        let path = dir.join(DIR).join(FILE);
        let good = summary_text(&dir);
        let now = clock::now();
        let forged = [
            good.replace("file:read", "file:read\u{1b}[2J"),
            good.replace(" 600\t", " 99999999999\t"),
            good.replace("a\t", "../a\t"),
            good.replacen('\n', "\nextra\n", 2),
            good.replace(MAGIC, "wktui-token-summary 0"),
        ];
        let believed = |text: &str| {
            read_text(text, now).is_some_and(|s| matches!(s.facts_of("a", &a.fingerprint()), Ok(Some(_))))
        };
        for text in forged {
            assert!(!believed(&text), "not believed: {text:?}");
        }
        assert!(believed(&good), "the good one is");
        let future = good.replace(
            &format!("\t{} ", token_obtained(&good)),
            &format!("\t{} ", now.as_millis() + 86_400_000),
        );
        assert!(!believed(&future), "from the future: {future:?}");
        // A damaged record says so: the caller reads the token file instead.
        let damaged = read_text(&forged_scope(&good), now).expect("the file is read");
        assert_eq!(damaged.facts_of("a", &a.fingerprint()), Err(Damaged));
        // One others may write is not read at all: the files are read instead.
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&path, good.replace("file:read", "file:forged")).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let seen = current(&cache, &dir);
        assert_eq!(
            facts(&seen, "a", &a.fingerprint()).map(|f| f.scope),
            Some("file:read".into())
        );
    }

    #[test]
    fn a_damaged_record_is_answered_by_its_token_file() {
        let root = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(root.path().join("c"));
        // More profiles than `load_many` reads one by one: the summary answers.
        let fleet: Vec<Profile> = (0..70).map(|i| profile(&format!("p{i:02}"))).collect();
        for p in &fleet {
            cache.store(p, &token(600, "file:read")).expect("store");
        }
        let refs: Vec<&Profile> = fleet.iter().collect();
        // The first makes the summary's directory, which changes the cache
        // directory; once that has settled, the next is keyed.
        assert!(cache.facts_of_many(&refs).iter().all(Option::is_some));
        settle();
        assert!(cache.facts_of_many(&refs).iter().all(Option::is_some));
        let dir = cache.dir().to_path_buf();
        assert_ne!(summary_text(&dir).lines().nth(1), Some("-"), "keyed");
        let damaged = summary_text(&dir).replacen("file:read", "file:read\u{7}", 1);
        rewrite_keeping_dir_stamp(&dir.join(DIR).join(FILE), &damaged);
        let facts = cache.facts_of_many(&refs);
        assert_eq!(facts[0].as_ref().map(|f| f.scope.as_str()), Some("file:read"));
        assert!(facts.iter().all(Option::is_some));
    }

    #[test]
    fn without_a_place_for_the_summary_the_token_files_answer() {
        let root = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(root.path().join("c"));
        let fleet: Vec<Profile> = (0..70).map(|i| profile(&format!("p{i:02}"))).collect();
        for p in &fleet {
            cache.store(p, &token(600, "file:read")).expect("store");
        }
        // A file where the summary's directory would be.
        std::fs::write(cache.dir().join(DIR), b"in the way").expect("write");
        let refs: Vec<&Profile> = fleet.iter().collect();
        let facts = cache.facts_of_many(&refs);
        assert!(
            facts
                .iter()
                .all(|f| f.as_ref().is_some_and(|f| f.scope == "file:read")),
            "{facts:?}"
        );
    }

    fn forged_scope(good: &str) -> String {
        good.replace("file:read", "file:read\u{1b}[2J")
    }

    fn token_obtained(text: &str) -> String {
        let record = text.lines().nth(2).expect("record");
        record
            .split('\t')
            .nth(3)
            .and_then(|t| t.split(' ').next())
            .expect("times")
            .to_owned()
    }

    fn read_text(text: &str, now: Timestamp) -> Option<Summary> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE);
        std::fs::write(&path, text).expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        read(&path, now).map(|(_, s)| s)
    }

    #[test]
    fn damaged_token_files_are_remembered_as_unusable_and_read_again_when_changed() {
        let root = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(root.path().join("c"));
        let a = profile("a");
        cache.store(&a, &token(600, "file:read")).expect("store");
        let dir = cache.dir().to_path_buf();
        std::fs::write(dir.join("a.json"), b"{not json").expect("damage");
        settle();
        let seen = current(&cache, &dir);
        assert_eq!(facts(&seen, "a", &a.fingerprint()), None);
        assert!(summary_text(&dir).contains("a\t"), "{}", summary_text(&dir));
        cache.store(&a, &token(600, "file:read")).expect("store");
        let seen = current(&cache, &dir);
        assert!(facts(&seen, "a", &a.fingerprint()).is_some());
    }
}
