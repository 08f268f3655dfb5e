//! Asking before a large blast radius (issue 26): on a terminal, `set` and `rotate` with more
//! than 10 targets (and `sync` with a pattern) print the plan and ask; only `y`/`yes` goes on,
//! `--yes` skips the question, and without a terminal nothing is asked (as before).

use fake_github::{FakeGitHub, Scope};

use crate::cli::on_terminal_answering;
use crate::common::*;

const QUESTION: &str = "Write to 11 targets? [y/N] ";

/// `acme/r1` … `acme/rN`, and the arguments `--repo acme/r1 …`.
fn repos(api: &FakeGitHub, n: usize) -> Vec<String> {
    (1..=n)
        .flat_map(|i| {
            let r = format!("acme/r{i}");
            api.add_repo(&r);
            ["--repo".to_owned(), r]
        })
        .collect()
}

fn args<'a>(head: &[&'a str], repos: &'a [String]) -> Vec<&'a str> {
    head.iter()
        .copied()
        .chain(repos.iter().map(String::as_str))
        .collect()
}

fn written(api: &FakeGitHub, n: usize, name: &str) -> usize {
    (1..=n)
        .filter(|i| {
            api.secret(&Scope::repo(&format!("acme/r{i}")), name)
                .is_some()
        })
        .count()
}

const ENV: [(&str, &str); 2] = [("GH_TOKEN", TOKEN), ("NO_COLOR", "1")];

#[test]
fn set_on_a_terminal_asks_before_writing_to_more_than_ten_targets() {
    let api = fake();
    let repos = repos(&api, 11);
    let argv = args(&["set", "PAT_TOKEN"], &repos);
    let refused = on_terminal_answering(&api, &argv, &ENV, &[(QUESTION, "n", false)]);
    assert_eq!(refused.code, 2, "{}", refused.text);
    // Asked before the value: no prompt for it, no request, nothing written.
    assert!(!refused.text.contains("Value for"), "{}", refused.text);
    assert_eq!(api.requests().len(), 0);
    assert_eq!(written(&api, 11, "PAT_TOKEN"), 0);
    insta::assert_snapshot!(refused.text);

    let confirmed = on_terminal_answering(
        &api,
        &argv,
        &ENV,
        &[
            (QUESTION, "y", false),
            (
                "Value for PAT_TOKEN (input hidden): ",
                "v4lue-typed-once",
                true,
            ),
            ("Again, to confirm: ", "v4lue-typed-once", true),
        ],
    );
    assert_eq!(confirmed.code, 0, "{}", confirmed.text);
    assert_eq!(written(&api, 11, "PAT_TOKEN"), 11);
}

#[test]
fn set_with_yes_or_without_a_terminal_does_not_ask() {
    let api = fake();
    let repos = repos(&api, 11);
    let argv = args(&["set", "PAT_TOKEN", "--yes"], &repos);
    let yes = on_terminal_answering(
        &api,
        &argv,
        &ENV,
        &[
            (
                "Value for PAT_TOKEN (input hidden): ",
                "v4lue-typed-once",
                true,
            ),
            ("Again, to confirm: ", "v4lue-typed-once", true),
        ],
    );
    assert_eq!(yes.code, 0, "{}", yes.text);
    assert!(!yes.text.contains("[y/N]"), "{}", yes.text);
    assert_eq!(written(&api, 11, "PAT_TOKEN"), 11);

    // No terminal: no question, as before.
    let piped = cli_as(&api, TOKEN, &args(&["set", "OTHER"], &repos))
        .stdin("piped-v4lue\n")
        .run();
    assert_eq!(piped.code, 0, "{}", piped.transcript());
    assert!(!piped.stdout.contains("[y/N]"), "{}", piped.stdout);
    assert_eq!(written(&api, 11, "OTHER"), 11);
}

#[test]
fn set_to_ten_targets_on_a_terminal_does_not_ask() {
    let api = fake();
    let repos = repos(&api, 10);
    let shown = on_terminal_answering(
        &api,
        &args(&["set", "PAT_TOKEN"], &repos),
        &ENV,
        &[
            (
                "Value for PAT_TOKEN (input hidden): ",
                "v4lue-typed-once",
                true,
            ),
            ("Again, to confirm: ", "v4lue-typed-once", true),
        ],
    );
    assert_eq!(shown.code, 0, "{}", shown.text);
    assert!(!shown.text.contains("[y/N]"), "{}", shown.text);
    assert_eq!(written(&api, 10, "PAT_TOKEN"), 10);
}

#[test]
fn rotate_on_a_terminal_asks_before_reading_the_token() {
    let api = fake();
    let repos = repos(&api, 11);
    let argv = args(
        &["rotate", "PAT_TOKEN", "--audit-log", "audit.jsonl"],
        &repos,
    );
    let refused = on_terminal_answering(&api, &argv, &ENV, &[(QUESTION, "", false)]);
    assert_eq!(refused.code, 2, "{}", refused.text);
    assert!(!refused.text.contains("input hidden"), "{}", refused.text);
    assert_eq!(api.requests().len(), 0);
    assert_eq!(written(&api, 11, "PAT_TOKEN"), 0);
    assert!(
        refused.text.contains("not confirmed: nothing was written"),
        "{}",
        refused.text
    );
}

#[test]
fn sync_with_a_pattern_asks_on_a_terminal_after_resolving_it() {
    let api = fake();
    repos(&api, 3);
    let argv = [
        "sync",
        "--repo",
        "acme/r*",
        "--secret-from-env",
        "PAT_TOKEN",
    ];
    let env = [
        ("GH_TOKEN", TOKEN),
        ("NO_COLOR", "1"),
        ("PAT_TOKEN", "v4lue-from-env"),
    ];
    let question = "Write to 3 targets? [y/N] ";
    let refused = on_terminal_answering(&api, &argv, &env, &[(question, "no", false)]);
    assert_eq!(refused.code, 2, "{}", refused.text);
    // Only the requests that resolve the pattern (who the owner is, its repositories).
    assert_eq!(calls(&api), ["GET /user 200", "GET /orgs/acme/repos 200"]);
    assert_eq!(written(&api, 3, "PAT_TOKEN"), 0);
    insta::assert_snapshot!(refused.text);

    api.clear_requests();
    let yes_argv = [&argv[..], &["--yes"]].concat();
    let yes = on_terminal_answering(&api, &yes_argv, &env, &[]);
    assert_eq!(yes.code, 0, "{}", yes.text);
    assert!(!yes.text.contains("[y/N]"), "{}", yes.text);
    assert_eq!(written(&api, 3, "PAT_TOKEN"), 3);

    // No terminal: no question, as before.
    let piped = cli_as(&api, TOKEN, &argv)
        .env("PAT_TOKEN", "an0ther-v4lue")
        .run();
    assert_eq!(piped.code, 0, "{}", piped.transcript());
    assert!(!piped.stdout.contains("[y/N]"), "{}", piped.stdout);
}
