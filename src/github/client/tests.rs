//! Unit tests of the client: typed refusals, rate-limit waits, and arbitrary answers.

use http::StatusCode;

use super::retry::RateLimit;
use super::*;

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            v.parse().expect("value"),
        );
    }
    Answer {
        status: StatusCode::from_u16(status).expect("status"),
        headers: map,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn refused_answers_become_typed_errors() {
    let msg = r#"{"message":"Bad credentials"}"#;
    assert!(answer(200, &[], "").check().is_ok());
    assert!(answer(204, &[], "").check().is_ok());
    let e = answer(401, &[], msg).check().expect_err("401");
    assert!(matches!(e, ApiError::Unauthorized { .. }));
    assert_eq!(
        e.to_string(),
        "GitHub answered 401: the token is invalid or expired (Bad credentials)"
    );
    assert!(matches!(
        answer(403, &[], msg).check(),
        Err(ApiError::Forbidden { reason: Some(_) })
    ));
    assert!(matches!(
        answer(404, &[], "").check(),
        Err(ApiError::NotFound { message: None })
    ));
    assert!(matches!(
        answer(422, &[], msg).check(),
        Err(ApiError::Rejected { .. })
    ));
    let e = answer(302, &[], "").check().expect_err("302");
    assert_eq!((e.status(), e.server_message()), (Some(302), None));
}

#[test]
fn rate_limit_answers_in_githubs_order() {
    use RateLimit::{Told, Untold};
    let secs = Duration::from_secs;
    let limited = r#"{"message":"You have exceeded a secondary rate limit"}"#;
    // 1. retry-after, whatever else the answer holds.
    assert_eq!(
        RateLimit::of(&answer(429, &[("retry-after", "7")], "")),
        Some(Told(secs(7)))
    );
    assert_eq!(
        RateLimit::of(&answer(
            403,
            &[
                ("retry-after", "3"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1")
            ],
            limited
        )),
        Some(Told(secs(3)))
    );
    // 2. Until x-ratelimit-reset, when x-ratelimit-remaining is 0.
    let soon = crate::env::unix_now() + 5;
    let reset = soon.to_string();
    let Some(Told(w)) = RateLimit::of(&answer(
        403,
        &[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ],
        limited,
    )) else {
        panic!("the reset is the wait");
    };
    assert!(w <= secs(5) && w >= secs(4));
    // Remaining, but not 0: the reset is no wait.
    assert_eq!(
        RateLimit::of(&answer(
            403,
            &[
                ("x-ratelimit-remaining", "7"),
                ("x-ratelimit-reset", &reset)
            ],
            limited
        )),
        Some(Untold)
    );
    // 3. Neither: at least a minute, doubled for each further such answer to one request.
    for untold in [
        answer(403, &[], limited),
        answer(429, &[], ""),
        answer(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "soon"),
            ],
            "",
        ),
    ] {
        assert_eq!(RateLimit::of(&untold), Some(Untold));
    }
    assert_eq!(
        [0, 1, 2, 3].map(|n| Untold.wait(n)),
        [secs(60), secs(120), secs(240), secs(480)]
    );
    assert_eq!(Told(secs(3)).wait(5), secs(3));
    assert_eq!(Untold.wait(u32::MAX), secs(60 << 16));
    // A plain permission error is not a rate limit, nor is a 5xx with retry-after.
    assert_eq!(
        RateLimit::of(&answer(
            403,
            &[],
            r#"{"message":"Resource not accessible"}"#
        )),
        None
    );
    assert_eq!(
        RateLimit::of(&answer(500, &[("retry-after", "1")], "")),
        None
    );
}

#[test]
fn a_rate_limit_wait_is_reported_as_it_really_passed() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = {
        let _g = rt.enter();
        // A GitHub second lasts a millisecond.
        let policy = Policy {
            clock: crate::pacing::Clock::scaled(0.001),
            ..Policy::default()
        };
        Client::new("https://api.github.com", &SecretValue::from("t"), policy).expect("client")
    };
    rt.block_on(client.wait_for_rate_limit(Duration::from_secs(100), true))
        .expect("within the budget");
    // The budget counts what GitHub asked for; the report, the 100 ms that really passed.
    assert_eq!(client.rate_limit_waited(), Duration::from_secs(100));
    let reported = client.stats.rate_limit_wait_ms.load(Ordering::Relaxed);
    assert!((100..100_000).contains(&reported), "{reported} ms");
}

mod arbitrary_answers {
    use proptest::prelude::*;

    use super::super::retry::RateLimit;
    use super::super::*;
    use crate::github::wire::{Login, RepoName, SecretNameDoc};
    use http::StatusCode;

    /// Every header the client reads, and a few it does not.
    const HEADERS: &[&str] = &[
        "retry-after",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "link",
        "github-authentication-token-expiration",
        "x-oauth-scopes",
        "content-type",
    ];

    /// A marker no error may repeat: it stands for a value or token the server echoes.
    const MARK: &str = "SeCrEtMaRk";

    fn build(status: u16, headers: &[Vec<u8>], body: &[u8]) -> Answer {
        let mut map = HeaderMap::new();
        for (name, value) in HEADERS.iter().zip(headers) {
            if let Ok(v) = http::HeaderValue::from_bytes(value) {
                map.append(*name, v);
            }
        }
        Answer {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            headers: map,
            body: body.to_vec(),
        }
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Docs {
        login: Option<Login>,
        name: Option<RepoName>,
        secret: Option<SecretNameDoc>,
        key_id: Option<String>,
        key: Option<String>,
        total_count: Option<u64>,
    }

    fn check(answer: &Answer, client: &Client) {
        if let Some(limit) = RateLimit::of(answer) {
            // Waits add up across cases in the one client: the sum must saturate.
            let rt = &shared().0;
            let _ = rt.block_on(client.wait_for_rate_limit(limit.wait(u32::MAX), true));
            let _ = rt.block_on(client.wait_for_rate_limit(Duration::MAX, true));
        }
        client.note_headers(&answer.headers);
        let _ = client.token_expiry();
        let _ = client.token_scopes();
        if let Some(m) = answer.message() {
            assert!(m.chars().count() <= 300);
        }
        for e in [
            answer.json::<Docs>().err(),
            answer.json::<Vec<Docs>>().err(),
            answer
                .json::<crate::github::endpoints::PublicKeyDoc>()
                .err(),
            answer.json::<serde_json::Value>().err(),
        ]
        .into_iter()
        .flatten()
        {
            let text = format!("{e} {e:?}");
            assert!(!text.contains(MARK), "an error repeats the body: {text}");
        }
    }

    /// One client for every case: building one loads the system's certificates.
    fn client() -> &'static Client {
        &shared().1
    }

    fn shared() -> &'static (tokio::runtime::Runtime, Client) {
        static CLIENT: std::sync::OnceLock<(tokio::runtime::Runtime, Client)> =
            std::sync::OnceLock::new();
        CLIENT.get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let c = {
                let _g = rt.enter();
                // Waits take no time: only their arithmetic is under test.
                let policy = Policy {
                    clock: crate::pacing::Clock::scaled(0.0),
                    ..Policy::default()
                };
                Client::new("https://api.github.com", &SecretValue::from("t"), policy)
                    .expect("client")
            };
            (rt, c)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Arbitrary bytes as every header and body the client reads: no panic, and no
        /// error that repeats what the server sent.
        #[test]
        fn arbitrary_headers_and_bodies_never_panic_nor_echo(
            status in 100u16..600,
            headers in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), HEADERS.len()),
            body in proptest::collection::vec(any::<u8>(), 0..256),
            numbers in proptest::collection::vec(
                prop_oneof![Just(u64::MAX.to_string()), any::<u64>().prop_map(|n| n.to_string()), Just("-1".to_owned()), Just("1e99".to_owned())],
                3,
            ),
        ) {
            let client = client();
            check(&build(status, &headers, &body), client);
            // Numbers at their edges in the headers that hold numbers.
            let mut numeric = headers.clone();
            for (slot, n) in numeric.iter_mut().zip(&numbers) {
                *slot = n.clone().into_bytes();
            }
            check(&build(status, &numeric, &body), client);
            // JSON bodies whose strings carry the marker and control characters.
            let mut text = String::from_utf8_lossy(&body).into_owned();
            text.retain(|c| c != '"' && c != '\\');
            for doc in [
                format!(r#"{{"login":"{MARK}{text}","name":"{MARK}\n","secret":"{MARK}"}}"#),
                format!(r#"[{{"login":"{MARK}\u001b"}}]"#),
                format!(r#"{{"key_id":1,"key":"{MARK}"}}"#),
                format!(r#"{{"message":"{MARK}{text}"}}"#),
            ] {
                check(&build(status, &headers, doc.as_bytes()), client);
            }
            // The Link header through the pager's parser and origin check.
            if let Ok(link) = String::from_utf8(headers[3].clone()) {
                let _ = client.same_origin_path(&link);
            }
        }
    }
}
