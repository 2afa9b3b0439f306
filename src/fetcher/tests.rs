use std::time::Duration;

use secrecy::SecretString;

use super::response::{ErrorBody, FailedTry, excerpt, parse_bearer_token};
use super::*;

fn status_failure(status: u16, retry_after: Option<u64>) -> FailedTry {
    FailedTry::Status {
        status,
        reason: "x".into(),
        retry_after: retry_after.map(Duration::from_secs),
        body: ErrorBody::Other {
            excerpt: String::new(),
        },
    }
}

#[test]
fn basic_credentials_form_encode_before_base64() {
    let value = basic_credentials("my id", &SecretString::from("wk_secret:oa2c:a+b"));
    assert!(value.is_sensitive());
    // "my+id:wk_secret%3Aoa2c%3Aa%2Bb"
    assert_eq!(
        value.to_str().expect("ascii"),
        "Basic bXkraWQ6d2tfc2VjcmV0JTNBb2EyYyUzQWElMkJi"
    );
}

#[test]
fn only_rate_limits_server_errors_and_transport_are_retried() {
    for status in [429, 500, 502, 503, 504] {
        assert!(status_failure(status, None).is_retryable(), "{status}");
    }
    for status in [400, 401, 403, 404, 501] {
        assert!(!status_failure(status, None).is_retryable(), "{status}");
    }
    let invalid = FailedTry::Invalid {
        status: 200,
        reason: "x".into(),
    };
    assert!(!invalid.is_retryable());
}

#[test]
fn retry_policy_honours_retry_after_and_the_try_limit() {
    let policy = RetryPolicy::default();
    assert_eq!(
        policy.wait_before_retry(1, &status_failure(429, Some(2))),
        Some(Duration::from_secs(2))
    );
    assert!(policy.wait_before_retry(2, &status_failure(503, None)).is_some());
    assert_eq!(policy.wait_before_retry(3, &status_failure(503, None)), None);
    assert_eq!(policy.wait_before_retry(1, &status_failure(401, None)), None);
}

#[test]
fn backoff_grows_with_jitter_and_is_capped() {
    let policy = RetryPolicy {
        max_tries: 10,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(1000),
    };
    for _ in 0..100 {
        let first = policy.backoff(1);
        assert!(
            first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
            "{first:?}"
        );
        let third = policy.backoff(3);
        assert!(
            third >= Duration::from_millis(200) && third <= Duration::from_millis(400),
            "{third:?}"
        );
        assert!(policy.backoff(30) <= Duration::from_millis(1000));
    }
}

#[test]
fn excerpts_strip_html_and_fold_space() {
    let html =
        "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad   Gateway</h1></body></html>";
    assert_eq!(excerpt(html, true), "502 Bad Gateway Bad Gateway");
    let long = "x".repeat(500);
    assert_eq!(excerpt(&long, false).chars().count(), 161);
}

#[test]
fn errors_read_as_sentences() {
    let refused = FailedTry::Status {
        status: 401,
        reason: "Unauthorized".into(),
        retry_after: None,
        body: ErrorBody::OAuth {
            error: "invalid_client".into(),
            description: Some("Client authentication failed".into()),
        },
    }
    .into_error("https://x/oauth2/token", 1);
    assert_eq!(
        refused.to_string(),
        "invalid_client: Client authentication failed (HTTP 401)"
    );
    let hint = refused.hint("prod").expect("a hint");
    assert!(
        hint.contains("wktui profile set-secret prod") && hint.contains("regenerated"),
        "{hint}"
    );
    let http = status_failure(502, None).into_error("https://x/t", 3);
    assert_eq!(http.to_string(), "HTTP 502 x from https://x/t, after 3 tries");
}

#[test]
fn bad_token_bodies_name_the_field_but_never_echo_a_value() {
    let cases: [(&[u8], &str); 6] = [
        (br#""wk.SECRET-TOKEN""#, "not an object"),
        (
            br#"{"access_token": 7, "expires_in": 600, "token_type": "Bearer"}"#,
            "`access_token` is not a string",
        ),
        (
            br#"{"access_token": "wk.SECRET-TOKEN", "expires_in": "600", "token_type": "Bearer"}"#,
            "`expires_in` is not a whole number",
        ),
        (
            br#"{"access_token": "wk.SECRET-TOKEN", "expires_in": -5, "token_type": "Bearer"}"#,
            "`expires_in` is not a whole number",
        ),
        (
            br#"{"access_token": "wk.SECRET-TOKEN", "token_type": "Bearer"}"#,
            "`expires_in` is missing",
        ),
        (br#"{"access_token": "wk.SECRET-TO"#, "truncated"),
    ];
    for (body, expected) in cases {
        let reason = parse_bearer_token(body).expect_err("refused");
        assert!(reason.contains(expected), "{reason}");
        assert!(!reason.contains("SECRET"), "{reason}");
    }
    let ok =
        parse_bearer_token(br#"{"access_token":"a","expires_in":600,"token_type":"Bearer","scope":null}"#)
            .expect("valid");
    assert_eq!(ok.scope, None);
}

#[test]
fn server_text_loses_its_escape_sequences() {
    let body = ErrorBody::OAuth {
        error: "x".into(),
        description: None,
    };
    drop(body);
    assert_eq!(
        excerpt("bad\x1b[2Jgateway\x07 page", false),
        "bad [2Jgateway page"
    );
}

#[test]
fn invalid_client_after_the_grants_last_day_blames_the_grant_and_says_what_to_do() {
    use crate::model::{Endpoint, GrantExpiry, Profile, Region};
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("day");
    let refused = |error: &str| FetchError::Refused {
        status: 401,
        error: error.into(),
        description: None,
        tries: 1,
        retry_after: None,
    };
    let mut profile = Profile::new("prod", Endpoint::Region(Region::Us), "id");
    let usual = refused("invalid_client").hint("prod");
    assert_eq!(
        refused("invalid_client").hint_for(&profile, day("2027-04-03")),
        usual
    );
    profile.grant_expires = Some(GrantExpiry::parse("2027-03-31").expect("date"));
    let hint = refused("invalid_client")
        .hint_for(&profile, day("2027-04-03"))
        .expect("a hint");
    assert!(
        hint.contains("the API grant expired on 2027-03-31 (expired 3 days ago)")
            && hint.contains("new grant in Workiva")
            && hint.contains("wktui profile set-secret prod")
            && hint.contains("wktui profile edit prod --grant-expires"),
        "{hint}"
    );
    // On its last day the grant is still good: the usual causes are the likely ones.
    assert_eq!(
        refused("invalid_client").hint_for(&profile, day("2027-03-31")),
        usual
    );
    // Other refusals keep their own hint.
    assert_eq!(
        refused("invalid_scope").hint_for(&profile, day("2027-04-03")),
        refused("invalid_scope").hint("prod")
    );
}
