//! A credential typed as an argument (a habit from `gh secret set NAME VALUE` or `--body`):
//! refused before anything else, with exit 2, zero requests, and never printed back — neither
//! by us nor by the argument parser's "unexpected argument" message.

use crate::common::{fake, Step, TOKEN};

const PAT: &str = "ghp_TypedOnTheCommandLine0123456789abcd";
const FINE: &str = "github_pat_11TYPEDVALUE_0123456789abcdefXYZ";
const KEY: &str = "-----BEGIN RSA PRIVATE KEY-----MIIEpTypedArgKey0123";

#[test]
fn a_credential_given_as_an_argument_is_refused_and_never_printed() {
    let cases: [(&[&str], &str); 7] = [
        (&["set", "PAT_TOKEN", PAT, "--repo", "acme/api"], PAT),
        (
            &["set", "PAT_TOKEN", FINE, "--repo", "acme/api", "--dry-run"],
            FINE,
        ),
        (
            &["set", "PAT_TOKEN", "--repo", "acme/api", "--body", PAT],
            PAT,
        ),
        (&["rotate", "PAT_TOKEN", PAT, "--repo", "acme/api"], PAT),
        (&["check-token", FINE], FINE),
        (&["sync", &format!("--token={PAT}")], PAT),
        (&["set", "APP_KEY", KEY, "--repo", "acme/api"], KEY),
    ];
    for (args, secret) in cases {
        let api = fake();
        let url = api.url();
        let mut all = args.to_vec();
        all.extend(["--api-url", &url]);
        let ran = Step::new(&api)
            .remove_env("GITHUB_ACTIONS")
            .env("GH_TOKEN", TOKEN)
            .value(TOKEN)
            .value(secret)
            .stdin("")
            .args(&all)
            .run();
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.transcript());
        assert!(api.requests().is_empty(), "{args:?}: {:?}", api.requests());
        for text in [&ran.stdout, &ran.stderr] {
            assert!(!text.contains(secret), "{args:?} printed it: {text}");
            // Not even its telling part after the prefix.
            assert!(!text.contains("TypedOnThe"), "{args:?}: {text}");
            assert!(!text.contains("TYPEDVALUE"), "{args:?}: {text}");
            assert!(!text.contains("PRIVATE KEY"), "{args:?}: {text}");
        }
        assert!(
            ran.stderr.contains("is never taken from the command line"),
            "{args:?}: {}",
            ran.stderr
        );
    }
}

/// What a person reads: which argument, what it looks like, what to do instead.
#[test]
fn the_refusal_says_which_argument_and_what_to_do_instead() {
    let api = fake();
    let url = api.url();
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .value(PAT)
        .stdin("")
        .args(&[
            "set",
            "PAT_TOKEN",
            PAT,
            "--repo",
            "acme/api",
            "--api-url",
            &url,
        ])
        .run();
    insta::assert_snapshot!(ran.screen());
}

/// Names, flags and values that merely start like a prefix are not credentials.
#[test]
fn words_that_only_start_like_a_token_are_left_to_the_parser() {
    let api = fake();
    let url = api.url();
    // A secret name that shares a prefix's letters, upper case as GitHub stores names.
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .args(&["status", "--repo", "acme/api", "--api-url", &url])
        .run();
    assert_ne!(ran.code, 2, "{}", ran.transcript());
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .args(&[
            "set",
            "GHP_CACHE",
            "ghs_",
            "--repo",
            "acme/api",
            "--dry-run",
            "--api-url",
            &url,
        ])
        .run();
    assert!(
        !ran.stderr.contains("is never taken from the command line"),
        "{}",
        ran.stderr
    );
}
