//! The wire fuzz: every type the github layer decodes from an answer, every parser of a header
//! and of a date, fed arbitrary bytes and structure-aware JSON (GitHub's own field names with
//! hostile leaves: numbers at their edges, dates far outside 0–9999 and odd offsets, strings with
//! control characters). The properties: no panic, in parsing and in formatting what was parsed;
//! and no error repeats the input (a string the server sent may be a token it echoes).
//!
//! It runs under `cargo test` (256 cases per property); `PROPTEST_CASES=20000 cargo test --lib
//! github::fuzz` runs it longer (`.ci/test` does).

use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::answer::Answer;
use super::error::ApiError;
use super::wire::{rfc3339, Timestamp};

/// A marker no error may repeat: it stands for a token or value the server echoes.
const MARK: &str = "qXzMaRkZq";

/// Every field name the github layer reads, so structured cases reach past the first field.
const FIELDS: &[&str] = &[
    "login",
    "id",
    "name",
    "slug",
    "key_id",
    "key",
    "account",
    "permissions",
    "repository_selection",
    "repositories",
    "owner",
    "archived",
    "secrets",
    "updated_at",
    "token",
    "expires_at",
    "message",
    "errors",
    "visibility",
    "total_count",
];

/// Dates that parse (or nearly) and sit at the edges of what a date type can hold or write.
const DATES: &[&str] = &[
    "9999-12-31T23:59:59-23:59",
    "0000-01-01T00:00:00+23:59",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "+10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2099-02-30T00:00:00Z",
    "2099-01-01T24:00:00Z",
    "2099-01-01T00:00:60Z",
    "2099-01-01T00:00:00+99:99",
    "2099-01-01T00:00:00.999999999999Z",
    "2099-01-01 00:00:00 UTC",
    "-9999-01-01 00:00:00 +2359",
];

/// A leaf: a number at an edge, a date at an edge, or a string carrying [`MARK`].
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(i64::MIN)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        proptest::sample::select(DATES).prop_map(Value::from),
        ".{0,40}".prop_map(|s: String| Value::from(format!("{MARK}{s}"))),
        "[a-z0-9_.-]{0,12}".prop_map(|s: String| Value::from(format!("{s}{MARK}"))),
    ]
}

/// JSON shaped like GitHub's answers: objects keyed by its field names (and a marked key),
/// lists, and [`leaf`]s.
fn document() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        4 => proptest::sample::select(FIELDS).prop_map(str::to_owned),
                        1 => Just(format!("{MARK}key")),
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn answer(status: u16, headers: &[(&'static str, Vec<u8>)], body: Vec<u8>) -> Answer {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            map.append(*name, v);
        }
    }
    Answer {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        headers: map,
        body,
    }
}

/// Decodes `a` as every wire type and parses every header the layer reads; formats what it
/// got; checks that no error repeats [`MARK`].
fn decode_everything(a: &Answer) {
    let mut errors: Vec<String> = Vec::new();
    let decoded = super::endpoints::decode_each(a)
        .into_iter()
        .chain(super::repos::decode_each(a));
    errors.extend(
        decoded
            .filter_map(Result::err)
            .map(|e| format!("{e} {e:?}")),
    );
    let (link, items) = super::pager::parse_each(a);
    if let Err(e) = items {
        errors.push(format!("{e} {e:?}"));
    }
    let _ = link.map(|l| l.len());
    if let Some(t) = super::endpoints::http_date(&a.headers) {
        assert!(!rfc3339(t).is_empty(), "a Date kept that cannot be written");
    }
    if let Some(m) = a.message() {
        assert!(m.chars().count() <= 300);
    }
    // A refusal carries GitHub's message on purpose (redacted where it is shown); its other
    // errors carry nothing of the body.
    if let Err(e) = answer(a.status.as_u16(), &[], a.body.clone()).check() {
        let _ = (e.to_string(), e.status(), e.is_refusal());
    }
    for e in errors {
        assert!(!e.contains(MARK), "an error repeats the answer: {e}");
    }
}

/// Every date parser, and formatting what it kept.
fn dates(text: &str) {
    if let Ok(t) = Timestamp::try_from(text.to_owned()) {
        assert!(!t.to_string().is_empty());
        assert!((0..=9999).contains(&t.at().year()));
    }
    if let Some(t) = crate::report::parse_expiry(text) {
        assert!(
            !rfc3339(t).is_empty(),
            "an expiry kept that cannot be written"
        );
        let now = crate::env::now();
        let _ = crate::report::expiry_days_left(Some(text), now);
        let _ = t - now;
    }
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(text) {
        h.insert(http::header::DATE, v);
        if let Some(t) = super::endpoints::http_date(&h) {
            assert!(!rfc3339(t).is_empty());
            let _ = t.checked_sub(time::Duration::seconds(5));
        }
    }
}

#[test]
fn every_edge_date_is_refused_or_written_back() {
    for d in DATES {
        dates(d);
    }
    for d in [
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Mon, 01 Jan 0000 00:00:00 GMT",
        "Mon, 01 Jan -9999 00:00:00 GMT",
        "Sat, 01 Jan 10000 00:00:00 GMT",
    ] {
        dates(d);
    }
    // The one that used to panic: `to_offset` into year 10000.
    assert!(Timestamp::try_from("9999-12-31T23:59:59-23:59".to_owned()).is_err());
}

#[test]
fn a_field_of_the_wrong_type_is_named_without_its_text() {
    let a = answer(
        200,
        &[],
        format!(r#"{{"id":"{MARK}","key_id":"{MARK}","key":1}}"#).into_bytes(),
    );
    let e = super::endpoints::decode_each(&a)
        .into_iter()
        .find_map(Result::err)
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with("unexpected answer body: a field of the wrong type or value at line 1"),
        "{e}"
    );
    let e = ApiError::BadBody(String::new());
    assert!(!e.to_string().contains(MARK));
}

// Proptest's default configuration: 256 cases, or `PROPTEST_CASES`.
proptest! {
    /// Arbitrary bytes, the marker somewhere in them, as the body and every header.
    #[test]
    fn arbitrary_bytes_never_panic_nor_echo(
        status in 100u16..600,
        before in proptest::collection::vec(any::<u8>(), 0..200),
        after in proptest::collection::vec(any::<u8>(), 0..200),
        header in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        let mut body = before.clone();
        body.extend_from_slice(MARK.as_bytes());
        body.extend_from_slice(&after);
        let headers = [
            ("link", header.clone()),
            ("date", header.clone()),
            ("retry-after", header.clone()),
            ("x-ratelimit-reset", header.clone()),
            ("github-authentication-token-expiration", header.clone()),
        ];
        decode_everything(&answer(status, &headers, body));
        dates(&String::from_utf8_lossy(&header));
    }

    /// GitHub-shaped JSON with hostile leaves: no panic, no error that repeats a string.
    #[test]
    fn structured_json_never_panics_nor_echoes(status in prop_oneof![Just(200u16), Just(201), Just(404), Just(422)], doc in document()) {
        let body = serde_json::to_vec(&doc).unwrap_or_default();
        decode_everything(&answer(status, &[], body.clone()));
        // The same document as a page of a listing, wrapped as GitHub wraps some.
        let wrapped = serde_json::json!({ "total_count": 1, "secrets": [doc.clone()], "repositories": [doc] });
        decode_everything(&answer(status, &[], serde_json::to_vec(&wrapped).unwrap_or_default()));
    }

    /// `Link` headers: any text, and links that look like GitHub's, parse to a page or nothing.
    #[test]
    fn link_headers_never_panic(target in ".{0,80}", rel in prop_oneof![Just("next"), Just("\"next\""), Just("\"prev next\""), Just("")]) {
        let value = format!("<{target}>; rel={rel}, <{target}>; rel=\"last\"");
        let a = answer(200, &[("link", value.into_bytes())], b"[]".to_vec());
        decode_everything(&a);
    }

    /// Dates: digits in every field, offsets at and past their edges.
    #[test]
    fn dates_never_panic(
        year in prop_oneof![0i32..=9999, -99999i32..=99999],
        month in 0u8..=13, day in 0u8..=32, hour in 0u8..=25, minute in 0u8..=61, second in 0u8..=61,
        off_h in 0u8..=30, off_m in 0u8..=61, sign in prop_oneof![Just('+'), Just('-')],
    ) {
        dates(&format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{sign}{off_h:02}:{off_m:02}"));
        dates(&format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} {sign}{off_h:02}{off_m:02}"));
        dates(&format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} UTC"));
        dates(&format!("Mon, {day:02} Jan {year} {hour:02}:{minute:02}:{second:02} GMT"));
    }
}
