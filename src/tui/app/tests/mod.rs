use std::time::Duration;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::refresh_all::names_within;
use super::*;
use crate::model::{AccessToken, Endpoint, Region, Scopes};
use crate::presence::Active;

const T0: u64 = 1_700_000_000;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_secs(T0 + secs)
}

fn profile(name: &str) -> Profile {
    Profile::new(name, Endpoint::Region(Region::Us), format!("{name}-client"))
}

/// A 600 s token with `left` seconds to go at `at(0)`.
fn token_left(left: i64) -> Token {
    let obtained = (T0 as i64 + left - 600) as u64;
    Token {
        access_token: AccessToken::new(format!("wk.token-{left}")),
        token_type: "Bearer".into(),
        scopes: Scopes::parse("file:read"),
        scope_stated: true,
        obtained_at: Timestamp::from_secs(obtained),
        lifetime: Duration::from_secs(600),
    }
}

fn app_with(names: &[&str], tokens: Vec<(&str, Token)>) -> App {
    let profiles = names.iter().map(|n| profile(n)).collect();
    let cached = tokens.into_iter().map(|(n, t)| (n.to_owned(), t)).collect();
    let mut app = App::new(profiles, Settings::default(), cached, at(0));
    app.update(Action::Resize(80, 24));
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(app: &mut App, c: char) -> Vec<Effect> {
    key(app, KeyCode::Char(c))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        ch(app, c);
    }
}

fn selected(app: &App) -> Option<&str> {
    app.selected().map(ProfileRow::name)
}

fn status(app: &App) -> Option<&str> {
    app.status().map(|s| s.text.as_str())
}

/// The profile a result is for: the row's own, as the runtime hands back
/// what the App's effect carried.
fn asked_for(app: &App, name: &str) -> Arc<Profile> {
    app.row(name)
        .map(|r| Arc::clone(&r.profile))
        .unwrap_or_else(|| Arc::new(profile(name)))
}

/// An engine error whose words are `text` after "internal error: ".
fn failure(text: &str) -> EngineError {
    EngineError::Internal(text.to_owned())
}

fn refreshed(app: &mut App, name: &str, result: Result<Token, &str>) -> Vec<Effect> {
    let profile = asked_for(app, name);
    app.update(Action::Refreshed {
        profile,
        result: result.map(|t| (t, Duration::from_millis(312))).map_err(failure),
    })
}

fn refresh_names(effects: &[Effect]) -> Vec<Vec<String>> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Refresh(profiles) => Some(profiles.iter().map(|p| p.name.clone()).collect()),
            _ => None,
        })
        .collect()
}

fn copies(effects: &[Effect]) -> Vec<(String, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Copy { name, token, what } => Some((name.clone(), what.text(token).expose().to_owned())),
            _ => None,
        })
        .collect()
}

fn is_quit(effects: &[Effect]) -> bool {
    matches!(effects, [Effect::Quit])
}

fn many(n: usize) -> App {
    let names: Vec<String> = (0..n).map(|i| format!("p{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    app_with(&refs, vec![])
}

fn save_effect(effects: Vec<Effect>) -> Option<(Profile, Option<String>, Option<String>)> {
    use secrecy::ExposeSecret;
    effects.into_iter().find_map(|e| match e {
        Effect::SaveProfile {
            profile,
            secret,
            replacing,
        } => Some((
            profile,
            secret.map(|s| s.expose_secret().to_owned()),
            replacing.map(|p| p.name),
        )),
        _ => None,
    })
}

fn reload(app: &mut App, profiles: Vec<Profile>, cached: Vec<(&str, Token)>) {
    app.update(Action::ConfigReloaded {
        result: Ok(config_of(profiles)),
        cached: cached.into_iter().map(|(n, t)| (n.to_owned(), t)).collect(),
    });
}

fn names(app: &App) -> Vec<&str> {
    app.rows().iter().map(ProfileRow::name).collect()
}

fn config_of(profiles: Vec<Profile>) -> Config {
    Config {
        settings: Settings::default(),
        profiles,
        broken: Vec::new(),
    }
}

mod config_file;
mod first_hour;
mod list_and_keys;
mod profiles;
mod tokens;
