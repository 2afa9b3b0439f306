//! `wktui list`: every profile and where its token stands, from the cache only.
//! Profiles are listed by name, as the interface lists them.

use std::borrow::Cow;

use serde_json::Value;

use super::args::{ListArgs, ListFormat};
use super::output::{LocalTimes, grant_expires_json, list_format, profile_json, render_rows, rfc3339};
use super::{CliError, Context, print};
use crate::clock;
use crate::config::BrokenProfile;
use crate::model::{Profile, Timestamp, TokenFacts, TokenState, format_time_left};

const HEADER: [&str; 8] = [
    "NAME",
    "ENDPOINT",
    "CLIENT ID",
    "SCOPE",
    "TYPE",
    "EXPIRES AT",
    "LEFT",
    "STATE",
];

pub fn run(ctx: &Context, args: &ListArgs) -> Result<(), CliError> {
    let now = clock::now();
    let margin = ctx.config.settings.refresh_margin;
    let mut profiles: Vec<&Profile> = ctx.config.profiles.iter().collect();
    // Names are unique: an unstable sort gives the one order.
    profiles.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    // Every row would say "no token" without saying why: say it once.
    if let Some(problem) = ctx.engine.cache().problem() {
        super::eprint_safe!(
            "wktui: warning: cached tokens cannot be read: {problem}; `wktui doctor` says how to fix it"
        );
    }
    // From the cache's summary: one file, not one a profile.
    let tokens = ctx.engine.cache().facts_of_many(&profiles);
    let entries: Vec<(&Profile, Option<TokenFacts>)> = profiles.into_iter().zip(tokens).collect();
    let format = list_format(args.format.format);
    let today = clock::today();
    if format == ListFormat::Json {
        let items: Vec<Value> = entries
            .iter()
            .map(|(p, t)| {
                let mut entry = json_entry(p, t.as_ref(), now, state_of(t.as_ref(), now, margin));
                if let Value::Object(map) = &mut entry {
                    map.insert("grant_expires".into(), grant_expires_json(p));
                    map.insert("grant_warning".into(), grant_warning(p, today).into());
                }
                entry
            })
            .chain(ctx.config.broken.iter().map(broken_json))
            .collect();
        return print(&format!("{}\n", Value::Array(items)));
    }
    warn_of_grants(&entries, today);
    if entries.is_empty() && ctx.config.broken.is_empty() && format == ListFormat::Table {
        return print(
            "No profiles yet. Add one with: wktui profile add NAME --client-id ID [--region us|eu|apac]\n",
        );
    }
    // Cells borrow what they can: a fleet of 10,000 lists without copying
    // every name and client id.
    let dash = || Cow::Borrowed("-");
    let times = LocalTimes::new(now);
    let rows: Vec<[Cow<'_, str>; 8]> = entries
        .iter()
        .map(|(p, t)| {
            let state = state_of(t.as_ref(), now, margin);
            let endpoint = p.endpoint_label();
            [
                Cow::Borrowed(p.name.as_str()),
                endpoint,
                Cow::Borrowed(p.client_id.as_str()),
                t.as_ref()
                    .map(|t| Cow::Borrowed(t.scope.as_str()))
                    .or_else(|| p.scope.as_ref().map(|s| Cow::Owned(s.to_string())))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(dash),
                t.as_ref()
                    .map_or_else(dash, |_| Cow::Borrowed(TokenFacts::TOKEN_TYPE)),
                t.as_ref()
                    .map_or_else(dash, |t| Cow::Owned(times.format(t.expires_at()))),
                // Words for people; plain seconds for scripts.
                t.as_ref().map_or_else(dash, |t| {
                    Cow::Owned(match format {
                        ListFormat::Plain => t.seconds_left(now).max(0).to_string(),
                        _ => format_time_left(t.seconds_left(now)),
                    })
                }),
                Cow::Borrowed(state.as_str()),
            ]
        })
        .collect();
    let rows = with_broken_rows(rows, &ctx.config.broken);
    print(&render_rows(&HEADER, &rows, format))
}

/// A row for each profile that cannot be used, in name order with the
/// others, its state saying where its problem is (the whole problem is
/// on stderr, see `Context::load`); one without a valid name goes last.
fn with_broken_rows<'a>(
    mut rows: Vec<[Cow<'a, str>; 8]>,
    broken: &'a [BrokenProfile],
) -> Vec<[Cow<'a, str>; 8]> {
    if broken.is_empty() {
        return rows;
    }
    for b in broken {
        let dash = || Cow::Borrowed("-");
        let name = b.name.as_deref().map_or_else(dash, Cow::Borrowed);
        let field = b
            .problem
            .field
            .as_deref()
            .map(|f| format!(": {f}"))
            .unwrap_or_default();
        let state = format!("broken (line {}{field})", b.problem.location.line);
        rows.push([
            name,
            dash(),
            dash(),
            dash(),
            dash(),
            dash(),
            dash(),
            Cow::Owned(state),
        ]);
    }
    // Stable: the unnamed, all "-", keep their file order at the end.
    rows.sort_by(|a, b| match (a[0].as_ref(), b[0].as_ref()) {
        ("-", "-") => std::cmp::Ordering::Equal,
        ("-", _) => std::cmp::Ordering::Greater,
        (_, "-") => std::cmp::Ordering::Less,
        (x, y) => x.cmp(y),
    });
    rows
}

/// A broken profile for scripts: its name (or null), state `broken`, and
/// where its problem is. The problem's words stay on stderr: they quote
/// the value as written (a misleading URL, say), which nothing on stdout
/// may pass on as if it were the profile's.
fn broken_json(b: &BrokenProfile) -> Value {
    serde_json::json!({
        "name": b.name,
        "state": "broken",
        "line": b.problem.location.line,
        "column": b.problem.location.column,
        "field": b.problem.field,
    })
}

fn grant_warning(p: &Profile, today: chrono::NaiveDate) -> Option<String> {
    p.grant_expires.and_then(|g| g.warning(today))
}

/// Grants about to expire, on stderr: the table on stdout stays as scripts read it.
fn warn_of_grants(entries: &[(&Profile, Option<TokenFacts>)], today: chrono::NaiveDate) {
    for (p, _) in entries {
        if let Some(warning) = grant_warning(p, today) {
            super::eprint_safe!(
                "wktui: warning: profile {}: {warning}; ask for a new grant in Workiva",
                p.name
            );
        }
    }
}

fn state_of(facts: Option<&TokenFacts>, now: Timestamp, margin: std::time::Duration) -> TokenState {
    facts.map_or(TokenState::None, |t| t.state(now, margin))
}

fn json_entry(p: &Profile, t: Option<&TokenFacts>, now: Timestamp, state: TokenState) -> Value {
    let mut entry = profile_json(p);
    entry.insert("token_scope".into(), t.map(|t| t.scope.clone()).into());
    entry.insert("token_type".into(), t.map(|_| TokenFacts::TOKEN_TYPE).into());
    entry.insert("expires_at".into(), t.map(|t| rfc3339(t.expires_at())).into());
    entry.insert(
        "seconds_left".into(),
        t.map(|t| t.seconds_left(now).max(0)).into(),
    );
    entry.insert("state".into(), state.as_str().into());
    Value::Object(entry)
}
