//! The add/edit profile form: its fields, key handling and validation.
//!
//! The form owns the typed secret until it is handed over as a
//! `SecretString`; the buffer is wiped on drop and never shown by `Debug`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::SecretString;

mod input;

pub use input::{SecretInput, TextInput};

use crate::config::check_profile_name;
use crate::model::advice::token_url_without_path;
use crate::model::{
    ApiVersion, CheckedUrl, ClientAuth, Endpoint, GrantExpiry, Profile, Region, Scopes, SecretSource,
};

/// The form's fields, in tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormField {
    Name,
    Endpoint,
    ClientId,
    Scope,
    ApiVersion,
    ClientAuth,
    GrantExpires,
    BaseUrl,
    Secret,
}

impl FormField {
    pub const ALL: [FormField; 9] = [
        FormField::Name,
        FormField::Endpoint,
        FormField::ClientId,
        FormField::Scope,
        FormField::ApiVersion,
        FormField::ClientAuth,
        FormField::GrantExpires,
        FormField::BaseUrl,
        FormField::Secret,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FormField::Name => "Name",
            FormField::Endpoint => "Region or URL",
            FormField::BaseUrl => "Base URL",
            FormField::ClientId => "Client id",
            FormField::Scope => "Scope",
            FormField::ApiVersion => "API version",
            FormField::ClientAuth => "Client auth",
            FormField::GrantExpires => "Grant expires",
            FormField::Secret => "Client secret",
        }
    }

    fn index(self) -> usize {
        FormField::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }

    fn next(self) -> FormField {
        FormField::ALL[(self.index() + 1) % FormField::ALL.len()]
    }

    fn prev(self) -> FormField {
        let len = FormField::ALL.len();
        FormField::ALL[(self.index() + len - 1) % len]
    }

    /// Fields picked from a fixed set with ←/→ rather than typed.
    pub fn is_choice(self) -> bool {
        matches!(self, FormField::ApiVersion | FormField::ClientAuth)
    }
}

/// What a key did to the form.
#[derive(Debug, PartialEq, Eq)]
pub enum FormOutcome {
    Continue,
    Cancel,
    Submit,
}

/// A valid form, ready to save.
#[derive(Debug)]
pub struct Submission {
    pub profile: Profile,
    pub secret: Option<SecretString>,
    /// The profile being edited, as the form was opened on it.
    pub replacing: Option<Profile>,
}

/// The add/edit profile form.
#[derive(Debug)]
pub struct ProfileForm {
    /// The profile being edited; `None` when adding.
    original: Option<Profile>,
    name: TextInput,
    endpoint: TextInput,
    /// Another host for a region's paths (the demo's local server); with a region only.
    base_url: TextInput,
    client_id: TextInput,
    scope: TextInput,
    api_version: ApiVersion,
    client_auth: ClientAuth,
    /// `YYYY-MM-DD`, or empty for none.
    grant_expires: TextInput,
    secret: SecretInput,
    focus: FormField,
    errors: Vec<(FormField, String)>,
    /// Why the last save failed, from the runtime.
    save_error: Option<String>,
    /// A save is in flight; edits wait for its answer.
    saving: bool,
    /// Where a typed secret goes (the keyring; memory in the demo).
    secret_store: SecretSource,
    /// A token URL already warned about (no path): a second save keeps it.
    warned_url: Option<String>,
    /// Something that happened to the profile elsewhere while the form was open.
    notice: Option<String>,
}

impl ProfileForm {
    /// An empty form for a new profile (region `us`).
    pub fn add() -> Self {
        ProfileForm {
            original: None,
            name: TextInput::default(),
            endpoint: TextInput::new(Region::Us.as_str()),
            base_url: TextInput::default(),
            client_id: TextInput::default(),
            scope: TextInput::default(),
            api_version: ApiVersion::default(),
            client_auth: ClientAuth::default(),
            grant_expires: TextInput::default(),
            secret: SecretInput::default(),
            focus: FormField::Name,
            errors: Vec::new(),
            save_error: None,
            saving: false,
            secret_store: SecretSource::Keyring,
            warned_url: None,
            notice: None,
        }
    }

    /// Where a typed secret will be kept: the keyring, or memory in the demo.
    pub fn keeping_secrets_in(mut self, store: SecretSource) -> Self {
        self.secret_store = store;
        self
    }

    pub fn secret_store(&self) -> &SecretSource {
        &self.secret_store
    }

    /// The profile being edited, as the form was opened on it.
    pub fn original(&self) -> Option<&Profile> {
        self.original.as_ref()
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Tells the user, on the form, about a change made elsewhere.
    pub fn set_notice(&mut self, notice: String) {
        self.notice = Some(notice);
    }

    /// A form filled in from `profile`; an empty secret keeps the stored one.
    pub fn edit(profile: &Profile) -> Self {
        ProfileForm {
            original: Some(profile.clone()),
            name: TextInput::new(profile.name.clone()),
            endpoint: TextInput::new(match &profile.endpoint {
                Endpoint::Region(region) => region.as_str().to_owned(),
                Endpoint::TokenUrl(url) => url.to_string(),
            }),
            base_url: TextInput::new(
                profile
                    .base_url
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            client_id: TextInput::new(profile.client_id.clone()),
            scope: TextInput::new(profile.scope.as_ref().map(Scopes::to_string).unwrap_or_default()),
            api_version: profile.api_version,
            client_auth: profile.client_auth,
            grant_expires: TextInput::new(profile.grant_expires.map(|d| d.to_string()).unwrap_or_default()),
            ..ProfileForm::add()
        }
    }

    /// The name of the profile being edited, if editing.
    pub fn editing(&self) -> Option<&str> {
        self.original.as_ref().map(|p| p.name.as_str())
    }

    pub fn focus(&self) -> FormField {
        self.focus
    }

    pub fn is_saving(&self) -> bool {
        self.saving
    }

    pub fn save_error(&self) -> Option<&str> {
        self.save_error.as_deref()
    }

    /// The text input behind a typed field (`None` for choices and the secret).
    pub fn input(&self, field: FormField) -> Option<&TextInput> {
        match field {
            FormField::Name => Some(&self.name),
            FormField::Endpoint => Some(&self.endpoint),
            FormField::BaseUrl => Some(&self.base_url),
            FormField::ClientId => Some(&self.client_id),
            FormField::Scope => Some(&self.scope),
            FormField::GrantExpires => Some(&self.grant_expires),
            FormField::ApiVersion | FormField::ClientAuth | FormField::Secret => None,
        }
    }

    fn input_mut(&mut self, field: FormField) -> Option<&mut TextInput> {
        match field {
            FormField::Name => Some(&mut self.name),
            FormField::Endpoint => Some(&mut self.endpoint),
            FormField::BaseUrl => Some(&mut self.base_url),
            FormField::ClientId => Some(&mut self.client_id),
            FormField::Scope => Some(&mut self.scope),
            FormField::GrantExpires => Some(&mut self.grant_expires),
            FormField::ApiVersion | FormField::ClientAuth | FormField::Secret => None,
        }
    }

    pub fn api_version(&self) -> ApiVersion {
        self.api_version
    }

    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }

    pub fn secret(&self) -> &SecretInput {
        &self.secret
    }

    /// The validation message for a field, if it has one.
    pub fn error(&self, field: FormField) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> FormOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return FormOutcome::Cancel,
            _ if self.saving => {}
            KeyCode::Char('s') if ctrl => return FormOutcome::Submit,
            KeyCode::Enter if self.focus == FormField::Secret => return FormOutcome::Submit,
            KeyCode::Enter | KeyCode::Tab | KeyCode::Down => self.focus = self.focus.next(),
            KeyCode::BackTab | KeyCode::Up => self.focus = self.focus.prev(),
            _ => self.edit_focused(key),
        }
        FormOutcome::Continue
    }

    fn edit_focused(&mut self, key: KeyEvent) {
        let focus = self.focus;
        let changed = match focus {
            FormField::ApiVersion | FormField::ClientAuth => self.cycle_choice(key.code),
            FormField::Secret => self.secret.edit(key),
            _ => self.input_mut(focus).is_some_and(|input| input.edit(key)),
        };
        if changed {
            // The message described the old value.
            self.errors.retain(|(f, _)| *f != focus);
        }
    }

    fn cycle_choice(&mut self, code: KeyCode) -> bool {
        if !matches!(code, KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')) {
            return false;
        }
        match self.focus {
            FormField::ApiVersion => {
                self.api_version = match self.api_version {
                    ApiVersion::V2026_01_01 => ApiVersion::V2022_01_01,
                    ApiVersion::V2022_01_01 => ApiVersion::V2026_01_01,
                }
            }
            FormField::ClientAuth => {
                self.client_auth = match self.client_auth {
                    ClientAuth::Body => ClientAuth::Basic,
                    ClientAuth::Basic => ClientAuth::Body,
                }
            }
            _ => return false,
        }
        true
    }

    /// Checks every field. On success marks the form as saving and returns
    /// what to save; otherwise records a message per wrong field and moves
    /// the focus to the first of them.
    pub fn submit(&mut self, name_taken: impl Fn(&str) -> bool) -> Option<Submission> {
        if self.saving {
            return None;
        }
        self.errors.clear();
        self.save_error = None;
        let name = self.name.text().trim().to_owned();
        // The config loader's own checks, in the CLI's words, so that no value
        // the file would refuse reaches a save.
        if let Err(message) = check_profile_name(&name) {
            self.fail(FormField::Name, format!("profile name {message}"));
        } else if self.editing() != Some(name.as_str()) && name_taken(&name) {
            self.fail(FormField::Name, format!("a profile named {name} exists already"));
        }
        let endpoint = parse_endpoint(self.endpoint.text());
        match &endpoint {
            Err(message) => self.fail(FormField::Endpoint, message.clone()),
            Ok(Endpoint::TokenUrl(url)) => {
                if let Some(advice) = token_url_without_path(url.as_str())
                    && self.warned_url.as_deref() != Some(url.as_str())
                {
                    self.warned_url = Some(url.to_string());
                    self.fail(
                        FormField::Endpoint,
                        format!("{advice}; Ctrl-S again keeps it as it is"),
                    );
                }
            }
            Ok(Endpoint::Region(_)) => {}
        }
        let base_url = match (self.base_url.text().trim(), &endpoint) {
            ("", _) => None,
            (_, Ok(Endpoint::TokenUrl(_))) => {
                self.fail(
                    FormField::BaseUrl,
                    "a base URL goes with a region only (a token URL is already whole); clear it with Ctrl-U",
                );
                None
            }
            (text, _) => match CheckedUrl::parse_base(text) {
                Ok(url) => Some(url),
                Err(e) => {
                    self.fail(FormField::BaseUrl, e.to_string());
                    None
                }
            },
        };
        let scope = Scopes::checked(self.scope.text());
        if let Err(e) = &scope {
            self.fail(FormField::Scope, e.to_string());
        }
        let client_id = self.client_id.text().trim().to_owned();
        if client_id.is_empty() {
            self.fail(FormField::ClientId, "a client id is required");
        }
        let grant_expires = match self.grant_expires.text().trim() {
            "" => None,
            text => match GrantExpiry::parse(text) {
                Ok(date) => Some(date),
                Err(message) => {
                    self.fail(FormField::GrantExpires, message);
                    None
                }
            },
        };
        if self.secret.is_empty() && self.original.is_none() {
            self.fail(FormField::Secret, "a client secret is required");
        }
        if let Some((first, _)) = self.errors.first() {
            self.focus = *first;
            return None;
        }
        let endpoint = endpoint.ok()?;
        let replacing = self.original.clone();
        let scope = scope.ok()?;
        let secret = (!self.secret.is_empty()).then(|| self.secret.to_secret());
        let mut profile = self
            .original
            .clone()
            .unwrap_or_else(|| Profile::new(name.clone(), endpoint.clone(), client_id.clone()));
        profile.name = name;
        profile.endpoint = endpoint;
        profile.base_url = base_url;
        profile.client_id = client_id;
        profile.scope = (!scope.is_empty()).then_some(scope);
        profile.api_version = self.api_version;
        profile.client_auth = self.client_auth;
        profile.grant_expires = grant_expires;
        if secret.is_some() {
            // A typed secret is stored by wktui, so that is where it comes from now.
            profile.secret_source = self.secret_store.clone();
        }
        self.saving = true;
        Some(Submission {
            profile,
            secret,
            replacing,
        })
    }

    /// The runtime could not save: show why and let the user try again.
    pub fn save_failed(&mut self, error: String) {
        self.saving = false;
        self.save_error = Some(error);
    }

    fn fail(&mut self, field: FormField, message: impl Into<String>) {
        self.errors.push((field, message.into()));
    }
}

/// `us`, `eu`, `apac`, or a token URL the config would accept.
fn parse_endpoint(text: &str) -> Result<Endpoint, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a region (us, eu, apac) or a token URL is required".to_owned());
    }
    match text.parse::<Region>() {
        Ok(region) => Ok(Endpoint::Region(region)),
        // `https:host` and `http:\\host` are URLs to the parser: refused as such.
        Err(_) if text.contains("://") || text.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("http")) => {
            Endpoint::token_url(text).map_err(|e| e.to_string())
        }
        Err(not_a_region) => Err(format!("{not_a_region}, or a token URL (https://…)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn type_text(form: &mut ProfileForm, text: &str) {
        for c in text.chars() {
            form.handle_key(key(KeyCode::Char(c)));
        }
    }

    fn filled_add_form() -> ProfileForm {
        let mut form = ProfileForm::add();
        type_text(&mut form, "prod");
        form.handle_key(key(KeyCode::Tab));
        form.handle_key(ctrl('u'));
        type_text(&mut form, "eu");
        form.handle_key(key(KeyCode::Tab));
        type_text(&mut form, "client-1");
        form.handle_key(key(KeyCode::Tab));
        type_text(&mut form, "file:read  file:write");
        form.focus = FormField::Secret;
        type_text(&mut form, "s3cret");
        form
    }

    #[test]
    fn a_filled_form_becomes_a_profile_and_a_secret() {
        let mut form = filled_add_form();
        let sub = form.submit(|_| false).expect("valid");
        assert_eq!(sub.profile.name, "prod");
        assert_eq!(sub.profile.endpoint, Endpoint::Region(Region::Eu));
        assert_eq!(sub.profile.client_id, "client-1");
        assert_eq!(
            sub.profile.scope.map(|s| s.to_string()).as_deref(),
            Some("file:read file:write")
        );
        assert_eq!(
            sub.secret.as_ref().map(|s| s.expose_secret().to_owned()),
            Some("s3cret".to_owned())
        );
        assert_eq!(sub.replacing, None);
        assert!(form.is_saving());
    }

    #[test]
    fn each_required_field_gets_a_message_and_focus_goes_to_the_first() {
        let mut form = ProfileForm::add();
        form.focus = FormField::Endpoint;
        form.handle_key(ctrl('u'));
        type_text(&mut form, "mars");
        assert!(form.submit(|_| false).is_none());
        assert_eq!(
            form.error(FormField::Name),
            Some("profile name is empty; give the profile a short name such as \"prod\"")
        );
        assert_eq!(
            form.error(FormField::Endpoint),
            Some("\"mars\" is not a valid region; expected one of: us, eu, apac, or a token URL (https://…)")
        );
        assert_eq!(form.error(FormField::ClientId), Some("a client id is required"));
        assert_eq!(form.error(FormField::Secret), Some("a client secret is required"));
        assert_eq!(form.error(FormField::Scope), None);
        assert_eq!(form.focus(), FormField::Name);
        assert!(!form.is_saving());
        // Typing into a field clears its message.
        type_text(&mut form, "x");
        assert_eq!(form.error(FormField::Name), None);
    }

    #[test]
    fn names_must_be_unique_except_the_one_being_edited() {
        let mut form = filled_add_form();
        assert!(form.submit(|n| n == "prod").is_none());
        assert_eq!(
            form.error(FormField::Name),
            Some("a profile named prod exists already")
        );
        let profile = Profile::new("prod", Endpoint::Region(Region::Us), "id");
        let mut edit = ProfileForm::edit(&profile);
        let sub = edit.submit(|n| n == "prod").expect("own name is fine");
        assert_eq!(sub.replacing.as_ref(), Some(&profile));
        assert!(sub.secret.is_none(), "an empty secret keeps the stored one");
    }

    #[test]
    fn token_urls_are_accepted_in_the_endpoint_field() {
        assert_eq!(
            parse_endpoint(" https://example.test/oauth2/token "),
            Ok(Endpoint::token_url("https://example.test/oauth2/token").expect("url"))
        );
        assert_eq!(parse_endpoint("APAC"), Ok(Endpoint::Region(Region::Apac)));
        assert_eq!(
            parse_endpoint("ftp://x"),
            Err("\"ftp://x\" has scheme ftp; use https".into())
        );
    }

    /// The interface shows the host it sends to: text that reads as one
    /// host and parses as another is refused on the field, saying why.
    #[test]
    fn a_url_that_reads_as_another_host_is_refused_on_its_field() {
        for (typed, why) in [
            (
                r"http://127.0.0.9:19555\@127.0.0.1:43201/oauth2/token",
                "backslash",
            ),
            ("https://\u{430}pi.app.wdesk.com/oauth2/token", "xn--"),
            ("https:api.app.wdesk.com/oauth2/token", "//"),
            (
                "http://0x7f.1:8080/oauth2/token",
                "read as \"http://127.0.0.1:8080/oauth2/token\"",
            ),
        ] {
            let mut form = filled_add_form();
            form.focus = FormField::Endpoint;
            form.handle_key(ctrl('u'));
            type_text(&mut form, typed);
            assert!(form.submit(|_| false).is_none(), "{typed} was accepted");
            let said = form.error(FormField::Endpoint).unwrap_or_default();
            assert!(said.contains(why), "{typed}: {said}");
        }
    }

    /// Every value the config file would refuse is refused on its field, in
    /// the loader's words, before anything is saved.
    #[test]
    fn values_the_config_refuses_are_messages_on_their_fields() {
        let cases = [
            (
                FormField::Name,
                "new one",
                "profile name \"new one\" contains ' '; use letters, digits, '-', '_' and '.'",
            ),
            (
                FormField::Name,
                &"x".repeat(65),
                "profile name is longer than 64 characters",
            ),
            (
                FormField::Scope,
                "file:read bad\"sc\\ope",
                "scope \"bad\"sc\\ope\" holds '\"', which a scope may not: a scope is printable ASCII but space, '\"' and '\\' (RFC 6749 section 3.3), and scopes are separated by spaces",
            ),
            (
                FormField::Endpoint,
                "https://",
                "\"https://\" is not a valid URL (empty host)",
            ),
            (
                FormField::Endpoint,
                "http://example.com/oauth2/token",
                "\"http://example.com/oauth2/token\" uses plain http to a host that is not this machine; use https (http is only allowed for 127.0.0.1, ::1 and localhost)",
            ),
        ];
        for (field, value, message) in cases {
            let mut form = filled_add_form();
            form.focus = field;
            form.handle_key(ctrl('u'));
            type_text(&mut form, value);
            assert!(form.submit(|_| false).is_none(), "{value} was accepted");
            assert_eq!(form.error(field), Some(message), "{value}");
            assert_eq!(form.focus(), field);
        }
    }

    #[test]
    fn a_base_url_is_questioned_once_then_kept_if_saved_again() {
        let mut form = filled_add_form();
        form.focus = FormField::Endpoint;
        form.handle_key(ctrl('u'));
        type_text(&mut form, "https://api.app.wdesk.com");
        assert!(form.submit(|_| false).is_none());
        let said = form.error(FormField::Endpoint).unwrap_or_default();
        assert!(said.contains("https://api.app.wdesk.com/oauth2/token"), "{said}");
        assert!(said.contains("Ctrl-S again keeps it"), "{said}");
        let sub = form.submit(|_| false).expect("the second save keeps it");
        assert_eq!(
            sub.profile.endpoint,
            Endpoint::token_url("https://api.app.wdesk.com").expect("url")
        );
    }

    #[test]
    fn a_region_with_a_base_url_becomes_a_token_url_profile_once_the_base_url_is_cleared() {
        let mut profile = Profile::new("demo", Endpoint::Region(Region::Us), "id");
        profile.base_url = Some(CheckedUrl::parse_base("http://127.0.0.1:9").expect("url"));
        let mut form = ProfileForm::edit(&profile);
        assert_eq!(
            form.input(FormField::BaseUrl).map(TextInput::text),
            Some("http://127.0.0.1:9/")
        );
        form.focus = FormField::Endpoint;
        form.handle_key(ctrl('u'));
        type_text(&mut form, "https://tokens.example/oauth2/token");
        assert!(form.submit(|_| false).is_none(), "a base URL beside a token URL");
        assert!(
            form.error(FormField::BaseUrl)
                .is_some_and(|e| e.contains("Ctrl-U"))
        );
        assert_eq!(form.focus(), FormField::BaseUrl);
        form.handle_key(ctrl('u'));
        let sub = form.submit(|_| false).expect("saved");
        assert_eq!(sub.profile.base_url, None);
        assert_eq!(
            sub.profile.endpoint,
            Endpoint::token_url("https://tokens.example/oauth2/token").expect("url")
        );
    }

    #[test]
    fn a_base_url_can_be_given_changed_or_cleared_beside_a_region() {
        let profile = Profile::new("p", Endpoint::Region(Region::Eu), "id");
        let mut form = ProfileForm::edit(&profile);
        form.focus = FormField::BaseUrl;
        type_text(&mut form, "http://127.0.0.1:9?x=1");
        assert!(
            form.submit(|_| false).is_none(),
            "a query is refused as the CLI refuses it"
        );
        form.handle_key(ctrl('u'));
        type_text(&mut form, "http://127.0.0.1:9");
        let sub = form.submit(|_| false).expect("saved");
        assert_eq!(sub.profile.api_base_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn a_token_url_is_edited_as_the_whole_url() {
        let profile = Profile::new(
            "t",
            Endpoint::token_url("https://h.example/oauth2/token").expect("url"),
            "id",
        );
        let form = ProfileForm::edit(&profile);
        assert_eq!(
            form.input(FormField::Endpoint).map(TextInput::text),
            Some("https://h.example/oauth2/token")
        );
    }

    #[test]
    fn a_typed_secret_goes_where_the_store_keeps_it() {
        let mut form = filled_add_form().keeping_secrets_in(SecretSource::Memory);
        let sub = form.submit(|_| false).expect("valid");
        assert_eq!(sub.profile.secret_source, SecretSource::Memory);
    }

    #[test]
    fn editing_keeps_what_the_form_does_not_show() {
        let mut profile = Profile::new("dev", Endpoint::Region(Region::Us), "id");
        profile.secret_source = SecretSource::Env("DEV_SECRET".into());
        profile.ca_file = Some("/etc/ca.pem".into());
        let mut form = ProfileForm::edit(&profile);
        let sub = form.submit(|_| false).expect("valid");
        assert_eq!(sub.profile, profile);
        // A typed secret goes to the keyring.
        let mut form = ProfileForm::edit(&profile);
        form.focus = FormField::Secret;
        type_text(&mut form, "new");
        let sub = form.submit(|_| false).expect("valid");
        assert_eq!(sub.profile.secret_source, SecretSource::Keyring);
    }

    #[test]
    fn the_grant_expiry_is_a_date_or_nothing_and_a_bad_one_is_named() {
        let mut profile = Profile::new("dev", Endpoint::Region(Region::Us), "id");
        profile.grant_expires = Some(GrantExpiry::parse("2027-03-31").expect("date"));
        let mut form = ProfileForm::edit(&profile);
        assert_eq!(
            form.input(FormField::GrantExpires).map(TextInput::text),
            Some("2027-03-31")
        );
        form.focus = FormField::GrantExpires;
        form.handle_key(ctrl('u'));
        type_text(&mut form, "2027-02-30");
        assert!(form.submit(|_| false).is_none());
        assert_eq!(form.focus(), FormField::GrantExpires);
        assert!(
            form.error(FormField::GrantExpires)
                .is_some_and(|e| e.contains("calendar"))
        );
        form.handle_key(ctrl('u'));
        type_text(&mut form, "2027-02-28");
        let sub = form.submit(|_| false).expect("valid");
        assert_eq!(
            sub.profile.grant_expires.map(|d| d.to_string()).as_deref(),
            Some("2027-02-28")
        );
        let mut form = ProfileForm::edit(&profile);
        form.focus = FormField::GrantExpires;
        form.handle_key(ctrl('u'));
        let sub = form.submit(|_| false).expect("valid");
        assert_eq!(sub.profile.grant_expires, None, "emptied: forgotten");
    }

    #[test]
    fn keys_move_between_fields_and_choices_cycle() {
        let mut form = ProfileForm::add();
        form.handle_key(key(KeyCode::BackTab));
        assert_eq!(form.focus(), FormField::Secret);
        form.handle_key(key(KeyCode::Down));
        assert_eq!(form.focus(), FormField::Name);
        form.handle_key(key(KeyCode::Enter));
        assert_eq!(form.focus(), FormField::Endpoint);
        form.handle_key(key(KeyCode::Up));
        assert_eq!(form.focus(), FormField::Name);
        form.focus = FormField::ApiVersion;
        form.handle_key(key(KeyCode::Right));
        assert_eq!(form.api_version(), ApiVersion::V2022_01_01);
        form.focus = FormField::ClientAuth;
        form.handle_key(key(KeyCode::Char(' ')));
        assert_eq!(form.client_auth(), ClientAuth::Basic);
        form.focus = FormField::Secret;
        assert_eq!(form.handle_key(key(KeyCode::Enter)), FormOutcome::Submit);
        assert_eq!(form.handle_key(ctrl('s')), FormOutcome::Submit);
        assert_eq!(form.handle_key(key(KeyCode::Esc)), FormOutcome::Cancel);
    }

    #[test]
    fn text_input_edits_at_the_cursor() {
        let mut input = TextInput::new("acd");
        input.edit(key(KeyCode::Left));
        input.edit(key(KeyCode::Left));
        input.edit(key(KeyCode::Char('b')));
        assert_eq!((input.text(), input.cursor()), ("abcd", 2));
        input.edit(key(KeyCode::Delete));
        input.edit(key(KeyCode::Home));
        input.edit(key(KeyCode::Backspace));
        input.edit(key(KeyCode::Delete));
        assert_eq!((input.text(), input.cursor()), ("bd", 0));
        input.edit(key(KeyCode::End));
        input.edit(key(KeyCode::Char('é')));
        input.edit(key(KeyCode::Backspace));
        assert_eq!((input.text(), input.cursor()), ("bd", 2));
    }

    #[test]
    fn the_secret_never_shows_in_debug_and_survives_growth() {
        let mut form = ProfileForm::add();
        form.focus = FormField::Secret;
        let long: String = "hunter2".repeat(40);
        type_text(&mut form, &long);
        assert_eq!(form.secret().char_count(), long.len());
        let shown = format!("{form:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(form.secret.to_secret().expose_secret(), long);
        form.handle_key(key(KeyCode::Backspace));
        assert_eq!(form.secret().char_count(), long.len() - 1);
    }

    #[test]
    fn a_failed_save_reopens_the_form_for_edits() {
        let mut form = filled_add_form();
        assert!(form.submit(|_| false).is_some());
        assert!(form.submit(|_| false).is_none(), "one save at a time");
        type_text(&mut form, "ignored while saving");
        form.save_failed("keyring locked".into());
        assert_eq!(form.save_error(), Some("keyring locked"));
        assert!(form.submit(|_| false).is_some());
    }
}
