//! Hostile input for every parser of user input: never a panic, never a value in an error.
//! Property-based (proptest) plus a corpus of bad inputs whose exact errors are snapshotted.

use proptest::prelude::*;
use secret_refresh::commands::repos_file;
use secret_refresh::config::input::{FrontEnd, Input, RawInputs, RunContext, StepEnv};
use secret_refresh::config::load;
use secret_refresh::config::load::destination::parse_repo_specs;
use secret_refresh::config::names::SecretName;
use secret_refresh::config::parse::{parse_file_specs, parse_pairs};
use secret_refresh::output::reporter::{Mode, Reporter};
use secret_refresh::secret::SecretValue;
use secret_refresh::target::Repo;

/// Values carry a marker that never occurs in names, messages or paths, so any occurrence of a
/// value's fragment in an error is a leak.
fn value() -> impl Strategy<Value = String> {
    "[a-z0-9%=#{}\\[\\]\"\\\\ \t\r\n:,/.-]{0,40}".prop_map(|s| format!("VAL~{s}~END"))
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z_][A-Za-z0-9_]{0,12}",
        "[ -~]{0,12}",
        Just("GITHUB_TOKEN".to_owned()),
        Just(String::new()),
    ]
}

fn quiet() -> Reporter {
    Reporter::new(
        Mode::Human { color: false },
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    )
}

fn assert_no_fragment(message: &str, values: &[String]) {
    assert!(
        !message.contains("VAL~"),
        "a value reached a message: {message}"
    );
    for v in values {
        let inner = v.trim_start_matches("VAL~").trim_end_matches("~END");
        // Any run of 8+ characters of a value is too much.
        let chars: Vec<char> = inner.chars().collect();
        for w in chars.windows(8) {
            let frag: String = w.iter().collect();
            if frag.trim().len() == 8 && frag.chars().any(|c| c.is_ascii_alphanumeric()) {
                assert!(!message.contains(&frag), "fragment {frag:?} in {message}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn lines_never_panic_or_leak(pairs in prop::collection::vec((name(), value()), 0..8), junk in "[ -~\n]{0,64}") {
        let values: Vec<String> = pairs.iter().map(|(_, v)| v.clone()).collect();
        let mut text: String = pairs.iter().map(|(n, v)| format!("{n}={v}\n")).collect();
        text.push_str(&junk);
        let (parsed, errors) = parse_pairs(&text);
        for e in &errors {
            assert_no_fragment(&e.to_string(), &values);
        }
        // Every well-formed line comes back with its value intact.
        for p in &parsed {
            prop_assert!(!p.name.contains('='));
        }
    }

    /// The heredoc form: any value (multi-line, with `=`, `<<`, `#`, blank lines) comes back
    /// whole under a delimiter it does not contain; cut anywhere, never a panic, never a value
    /// fragment in an error, and never an entry whose name is empty.
    #[test]
    fn heredocs_round_trip_and_never_leak(
        pairs in prop::collection::vec(("[A-Z_][A-Z0-9_]{0,8}", "[a-z0-9=<#{} \n-]{1,40}"), 1..5),
        cut in 0usize..300,
    ) {
        let values: Vec<String> = pairs.iter().map(|(_, v)| format!("VAL~{v}~END")).collect();
        let text: String = pairs
            .iter()
            .zip(&values)
            .map(|((n, _), v)| format!("{n}<<DELIM_X9\n{v}\nDELIM_X9\n"))
            .collect();
        let (parsed, errors) = parse_pairs(&text);
        prop_assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<(&str, &str)> = parsed.iter().map(|p| (p.name.as_str(), p.value.expose())).collect();
        let want: Vec<(&str, &str)> = pairs.iter().zip(&values).map(|((n, _), v)| (n.as_str(), v.as_str())).collect();
        prop_assert_eq!(got, want);
        let truncated: String = text.chars().take(cut).collect();
        let (parsed, errors) = parse_pairs(&truncated);
        for e in &errors {
            assert_no_fragment(&e.to_string(), &values);
        }
        for p in &parsed {
            prop_assert!(!p.name.trim().is_empty());
        }
    }

    /// A multi-line value interpolated into `NAME=value` lines: no error ever names a line's
    /// "name" (it may be a fragment of the value), and no entry has an empty name.
    #[test]
    fn interpolated_multi_line_values_never_leak(value in "[a-zA-Z0-9+/=\n]{0,60}") {
        let secret = format!("VAL~{value}~END");
        let dir = tempfile::tempdir().expect("tempdir");
        let raw = RawInputs {
            secrets: SecretValue::new(format!("SESSION={secret}\n")),
            repository: "acme/api".into(),
            ..RawInputs::default()
        };
        let ctx = RunContext { workspace: dir.path().to_path_buf(), ..RunContext::default() };
        if let Err(errors) = load(&raw, &ctx, &mut quiet()) {
            for e in errors {
                let m = e.to_string();
                assert_no_fragment(&m, std::slice::from_ref(&secret));
                prop_assert!(e.secret.is_none(), "a lines-form error names a secret: {m}");
            }
        }
    }

    /// `secrets-from-env`: any value a variable holds arrives whole; errors name variables only.
    #[test]
    fn env_values_arrive_whole(value in "[ -~\n\t]{1,60}", var in "[A-Z_][A-Z0-9_]{0,10}") {
        prop_assume!(!secret_refresh::config::parse::is_trivial_value(&value));
        let dir = tempfile::tempdir().expect("tempdir");
        let (v, name) = (value.clone(), var.clone());
        let raw = RawInputs {
            secrets_from_env: format!("SECRET_X={var}"),
            repository: "acme/api".into(),
            step_env: StepEnv::new(move |n| (n == name).then(|| v.clone())),
            ..RawInputs::default()
        };
        let ctx = RunContext { workspace: dir.path().to_path_buf(), ..RunContext::default() };
        match load(&raw, &ctx, &mut quiet()) {
            Ok(config) => {
                prop_assert_eq!(config.secrets.len(), 1);
                prop_assert_eq!(config.secrets[0].value.expose(), value.as_str());
            }
            Err(errors) => {
                // Only the runner's own variables are refused.
                let refused = ["INPUT_", "ACTIONS_", "GITHUB_", "RUNNER_"].iter().any(|p| var.starts_with(p));
                prop_assert!(refused, "{errors:?}");
            }
        }
    }

    #[test]
    fn json_never_panics_or_leaks(pairs in prop::collection::vec((name(), value()), 0..6), cut in 0usize..400) {
        let values: Vec<String> = pairs.iter().map(|(_, v)| v.clone()).collect();
        let map: serde_json::Map<String, serde_json::Value> =
            pairs.iter().map(|(n, v)| (n.clone(), v.clone().into())).collect();
        let json = serde_json::Value::Object(map).to_string();
        // Whole and truncated at an arbitrary character.
        let truncated: String = json.chars().take(cut).collect();
        for text in [json.as_str(), truncated.as_str()] {
            let (_, errors) = parse_pairs(text);
            for e in &errors {
                assert_no_fragment(&e.to_string(), &values);
            }
        }
    }

    #[test]
    fn json_of_any_shape_is_handled(text in "\\{[ -~]{0,80}") {
        let (_, errors) = parse_pairs(&text);
        for e in errors {
            let m = e.to_string();
            prop_assert!(m.len() < 200);
        }
    }

    #[test]
    fn names_parse_exactly_the_valid_ones(n in "[ -~]{0,20}") {
        let valid = {
            let t = n.trim();
            let mut c = t.chars();
            matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
                && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !t.to_ascii_uppercase().starts_with("GITHUB_")
                && !["ACTIONS_STEP_DEBUG", "ACTIONS_RUNNER_DEBUG"]
                    .contains(&t.to_ascii_uppercase().as_str())
        };
        prop_assert_eq!(SecretName::parse(&n).is_ok(), valid);
    }

    #[test]
    fn file_specs_and_repo_patterns_never_panic(text in "[ -~\n]{0,120}") {
        let _ = parse_file_specs(&text);
        let mut errors = Vec::new();
        let specs = parse_repo_specs(&text, Input::Repositories, FrontEnd::Action, &mut errors);
        prop_assert!(specs.is_empty() || errors.is_empty() || !specs.is_empty());
    }

    /// `--repos-file`, both forms: never a panic; what it accepts are real `owner/name`s.
    #[test]
    fn repos_files_never_panic(text in "[ -~\n\t]{0,160}", items in prop::collection::vec("[a-z0-9_.-]{1,8}/[a-z0-9_.-]{1,8}", 0..6), yaml in any::<bool>()) {
        let _ = repos_file::parse(&text);
        let doc = if yaml {
            format!("repositories:\n{}", items.iter().map(|i| format!("  - \"{i}\"\n")).collect::<String>())
        } else {
            items.iter().map(|i| format!("{i}  # comment\n")).collect()
        };
        if let Ok(repos) = repos_file::parse(&doc) {
            for r in repos {
                prop_assert!(Repo::parse(&r.to_string()).is_some());
            }
        }
    }

    /// The whole input pipeline: arbitrary inputs never panic, and no error names a value.
    #[test]
    fn config_load_never_panics_or_leaks(
        secrets in prop::collection::vec((name(), value()), 0..5),
        current in prop::collection::vec((name(), value()), 0..5),
        json in any::<bool>(),
        files in "[ -~\n]{0,60}",
        repository in "[ -~]{0,30}",
        repositories in "[ -~\n]{0,60}",
        flags in prop::collection::vec("[ -~]{0,8}", 8),
        token in value(),
    ) {
        let render = |pairs: &[(String, String)]| -> String {
            if json {
                let map: serde_json::Map<String, serde_json::Value> =
                    pairs.iter().map(|(n, v)| (n.clone(), v.clone().into())).collect();
                serde_json::Value::Object(map).to_string()
            } else {
                pairs.iter().map(|(n, v)| format!("{n}={v}\n")).collect()
            }
        };
        let mut values: Vec<String> = secrets.iter().chain(current.iter()).map(|(_, v)| v.clone()).collect();
        values.push(token.clone());
        let dir = tempfile::tempdir().expect("tempdir");
        let raw = RawInputs {
            token: SecretValue::new(token),
            secrets: SecretValue::new(render(&secrets)),
            current: SecretValue::new(render(&current)),
            files,
            repository,
            repositories,
            dry_run: flags[0].clone().into(),
            fail_fast: flags[1].clone().into(),
            app: flags[2].clone(),
            visibility: flags[3].clone(),
            environment: flags[4].clone(),
            if_no_files_found: flags[5].clone(),
            token_expiry_warning_days: flags[6].clone().into(),
            api_url: flags[7].clone(),
            ..RawInputs::default()
        };
        let ctx = RunContext { workspace: dir.path().to_path_buf(), ..RunContext::default() };
        if let Err(errors) = load(&raw, &ctx, &mut quiet()) {
            for e in errors {
                assert_no_fragment(&e.to_string(), &values);
            }
        }
    }
}

/// Bad inputs and the exact error each gets.
#[test]
fn corpus_of_bad_inputs() {
    let cases: &[(&str, &str)] = &[
        ("secrets", "NOEQUALS"),
        ("secrets", "A=1\n  \n# c\nB"),
        ("secrets", "=value-without-name"),
        ("secrets", "A B=spaces in name"),
        ("secrets", "é=accent"),
        ("secrets", "GITHUB_X=reserved"),
        ("secrets", "A=1\na=2"),
        ("secrets", "A="),
        ("secrets", "{"),
        ("secrets", "{\"A\": \"x\""),
        ("secrets", "{\"A\": 1}"),
        ("secrets", "{\"A\": null, \"B\": [\"v\"]}"),
        ("secrets", "{\"A\": \"x\"} {"),
        ("secrets", "{'A': 'single quotes'}"),
        ("secrets", "{\"A\": \"bad escape \\q\"}"),
        ("secrets", "{\"\": \"empty name\"}"),
        ("secrets", "A=1\n=="),
        ("secrets", "A=="),
        ("secrets", "A=one\rB=two"),
        ("secrets", "A<<EOF\nbody"),
        ("secrets", "A<<\nbody\n"),
        ("secrets", "A<<EOF\nEOF"),
        ("secrets", "ACTIONS_STEP_DEBUG=true"),
        ("secrets", "{\"actions_runner_debug\": \"true\"}"),
        (
            "secrets-from-env",
            "A=INPUT_TOKEN\nB=UNSET_VAR\nC=bad-var\n=X",
        ),
        ("current", "A<<EOF\nnever closed"),
        ("prefix", "my-"),
        ("current", "{\"A\": 5}"),
        ("current", "garbage line"),
        ("files", "NAME=missing.txt"),
        ("files", "[invalid-glob"),
        ("files", "9lives.txt"),
        ("repository", "owner"),
        ("repository", "owner/repo/extra"),
        ("repository", "own er/repo"),
        ("repositories", "acme/*\nacme/a b\n/x"),
        ("repositories", "acme/service-[\n"),
        ("app", "github"),
        ("visibility", "public"),
        ("dry-run", "1"),
        ("if-no-files-found", "fail"),
        ("token-expiry-warning-days", "-3"),
        ("api-url", "http://example.com"),
        ("api-url", "https://user:pass@example.com"),
        ("api-url", "not a url"),
        ("environment", "bad\u{7}env"),
        ("organization", "acme"),
    ];
    let mut out = String::new();
    for (input, text) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("9lives.txt"), "v").expect("write");
        let mut raw = RawInputs {
            repository: "acme/api".into(),
            ..RawInputs::default()
        };
        match *input {
            "secrets" => raw.secrets = SecretValue::from(*text),
            "current" => {
                raw.current = SecretValue::from(*text);
                raw.secrets = SecretValue::from("A=1");
            }
            "files" => raw.files = (*text).into(),
            "secrets-from-env" => raw.secrets_from_env = (*text).into(),
            "prefix" => {
                raw.prefix = (*text).into();
                raw.files = "*.txt".into();
            }
            "repository" => raw.repository = (*text).into(),
            "repositories" => raw.repositories = (*text).into(),
            "app" => raw.app = (*text).into(),
            "visibility" => raw.visibility = (*text).into(),
            "dry-run" => raw.dry_run = (*text).into(),
            "if-no-files-found" => {
                raw.if_no_files_found = (*text).into();
            }
            "token-expiry-warning-days" => raw.token_expiry_warning_days = (*text).into(),
            "api-url" => raw.api_url = (*text).into(),
            "environment" => raw.environment = (*text).into(),
            // An organisation together with a repository is refused.
            "organization" => raw.organization = (*text).into(),
            other => panic!("unknown input {other}"),
        }
        if *input == "files" && *text == "NAME=missing.txt" {
            raw.if_no_files_found = "error".into();
        }
        let ctx = RunContext {
            workspace: dir.path().to_path_buf(),
            ..RunContext::default()
        };
        let result = load(&raw, &ctx, &mut quiet());
        let errors = match result {
            Ok(_) => vec!["(accepted)".to_owned()],
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        };
        out.push_str(&format!("{input}: {text:?}\n  {}\n", errors.join("\n  ")));
    }
    insta::assert_snapshot!(out);
}

/// Bad `--repos-file` documents and the exact error each gets.
#[test]
fn corpus_of_bad_repos_files() {
    let cases = [
        "acme",
        "acme/api\nacme/a b",
        "- acme/api\n  - nested/item",
        "repositories:\n  - acme/api\nother:\n  - acme/web",
        "[acme/api, acme]",
        "- &anchor acme/api",
        "repositories: {a: b}",
        "- 'acme/api",
        "# only comments\n\n",
    ];
    let mut out = String::new();
    for text in cases {
        let result = match repos_file::parse(text) {
            Ok(repos) => format!(
                "accepted: {}",
                repos
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Err(e) => e.to_string(),
        };
        out.push_str(&format!("{text:?}\n  {result}\n"));
    }
    insta::assert_snapshot!(out);
}
