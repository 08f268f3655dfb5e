//! Adversarial scenarios: see `mod.rs`.
//!
//! Strings the server controls (repository names from a listing, secret names, the login, error
//! bodies) reach stdout, stderr and the step summary. None may become a workflow command, a
//! terminal escape or live HTML, and none may carry a token or a value into the output.

use fake_github::{FakeGitHub, Fault, FaultKind, Scope};

use crate::common::{fake, Ran, Step, REPO, TOKEN};

/// A name that tries everything at once: new lines that start workflow commands, a bare `\r`,
/// a legacy `##[` command, terminal escapes (a title, clear screen) and HTML that closes a
/// code span first.
pub(super) const HOSTILE: &str =
    "x\n::add-mask::hijack\n::set-output name=pwned::1\r::warning::bare-cr \
                       ##[error]legacy \x1b]0;title\x07\x1b[2J`<img src=x onerror=alert(1)>";

/// Every line of stdout and stderr is either one of our own workflow commands, well formed, or
/// text that no runner reads as a command; no escape, bare `\r` or injected mask anywhere; the
/// summary holds no live HTML.
pub(super) fn assert_inert(ran: &Ran) {
    let ctx = ran.transcript();
    for (stream, text) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
        assert!(!text.contains('\x1b'), "ESC in {stream}: {ctx}");
        assert!(!text.contains('\r'), "bare CR in {stream}: {ctx}");
        assert!(!text.contains("##["), "legacy command in {stream}: {ctx}");
        assert!(!text.contains("\x07"), "BEL in {stream}: {ctx}");
        for line in text.lines() {
            let t = line.trim_start();
            if !t.starts_with("::") {
                continue;
            }
            let ours = ["::add-mask::", "::error", "::warning", "::notice"]
                .iter()
                .any(|p| t.starts_with(p));
            assert!(
                ours,
                "a command we never write, in {stream}: {line:?}; {ctx}"
            );
            // Our annotations may quote the name, escaped on their one line; a mask never.
            if t.starts_with("::add-mask::") {
                assert!(!t.contains("hijack"), "injected mask in {stream}: {ctx}");
            }
        }
    }
    assert!(!ran.summary.contains("<img"), "live HTML: {}", ran.summary);
    assert!(!ran.summary.contains('\x1b'), "ESC in the summary");
    for line in ran.summary.lines().filter(|l| l.starts_with('|')) {
        // A table row keeps its three cells: nothing closed a cell from inside.
        let cells = line.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 4, "{line}");
    }
}

fn hostile(find: &str, method: &str, path: &str) -> Fault {
    Fault::new(FaultKind::Hostile {
        find: find.to_owned(),
        replace: format!("{find}{HOSTILE}"),
    })
    .method(method)
    .path(path)
    .times(100)
}

#[test]
fn repository_names_from_a_listing_never_become_commands_or_html() {
    let api = fake();
    api.add_repo("acme/svc-a");
    api.inject(hostile("svc-a", "GET", "/repos"));
    for dry_run in ["false", "true"] {
        let ran = Step::new(&api)
            .token()
            .input("repositories", "acme/svc-*")
            .input("dry-run", dry_run)
            .secrets(&[("SESSION", "session-value-1")])
            .run();
        assert_inert(&ran);
        ran.assert_no_leak();
    }
}

fn cli<'a>(api: &'a FakeGitHub, args: &[&str]) -> Step<'a> {
    let mut all: Vec<&str> = args.to_vec();
    let url = api.url();
    all.extend(["--api-url", &url]);
    // As a `run:` step of a workflow would run it: the runner reads its output for commands.
    Step::new(api)
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .args(&all)
}

#[test]
fn status_shows_hostile_secret_names_inert() {
    let api = fake();
    api.set_secret(&Scope::repo(REPO), "PAT_TOKEN", "stored-value-1");
    api.inject(hostile("PAT_TOKEN", "GET", "/actions/secrets"));
    for json in [false, true] {
        let mut args = vec!["status", "--repo", REPO];
        if json {
            args.push("--json");
        }
        let ran = cli(&api, &args).value("stored-value-1").run();
        assert_inert(&ran);
        ran.assert_no_leak();
        if json {
            // Still the same JSON, its strings only made inert.
            let doc: serde_json::Value = serde_json::from_str(&ran.stdout).expect("json");
            assert!(doc["secrets"].is_array(), "{}", ran.stdout);
        }
    }
}

#[test]
fn check_token_shows_a_hostile_login_inert() {
    let api = fake();
    api.inject(hostile("octo", "GET", "/user"));
    let ran = cli(&api, &["check-token", "--repo", REPO]).run();
    assert_inert(&ran);
    ran.assert_no_leak();
}

/// An error body that echoes the token (and anything else the server knows) is printed
/// redacted, by every command and in every mode (finding 9).
#[test]
fn an_error_body_that_echoes_the_token_is_redacted() {
    let echo = |status: u16| {
        Fault::new(FaultKind::Raw {
            status,
            headers: vec![("content-type".into(), b"application/json".to_vec())],
            body: serde_json::json!({
                "message": format!("token {TOKEN} may not do this{HOSTILE}"),
                "documentation_url": "https://docs.github.com/rest"
            })
            .to_string()
            .into_bytes(),
        })
    };
    // status
    let api = fake();
    api.inject(echo(403).on("GET", "/actions/secrets").times(10));
    let ran = cli(&api, &["status", "--repo", REPO]).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(ran.stderr.contains("***"), "{}", ran.transcript());
    ran.assert_no_leak();
    assert_inert(&ran);

    // set, the value from standard input
    let api = fake();
    api.inject(echo(403).on("PUT", "/actions/secrets/").times(10));
    let ran = cli(&api, &["set", "SESSION", "--repo", REPO])
        .stdin("session-value-1")
        .value("session-value-1")
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(ran.stderr.contains("***"), "{}", ran.transcript());
    ran.assert_no_leak();
    assert_inert(&ran);

    // check-token
    let api = fake();
    api.inject(echo(500).on("GET", "/user").times(10));
    let ran = cli(&api, &["check-token"]).run();
    ran.assert_no_leak();
    assert_inert(&ran);

    // the action
    let api = fake();
    api.inject(echo(403).on("PUT", "/actions/secrets/").times(10));
    let ran = Step::new(&api)
        .token()
        .secrets(&[("SESSION", "session-value-1")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        !ran.stdout
            .lines()
            .any(|l| !l.starts_with("::add-mask::") && l.contains(TOKEN)),
        "{}",
        ran.stdout
    );
    assert!(!ran.summary.contains(TOKEN), "{}", ran.summary);
    ran.assert_no_leak();
    assert_inert(&ran);
}

/// A very short value never registers a mask (the input refuses values with no letter or digit
/// before this layer sees them; `output::redact::tests::the_mask_rule` covers the rest of the rule).
#[test]
fn no_mask_for_a_trivial_string() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .input("dry-run", "true")
        .secrets(&[("SHORT", "abc"), ("GOOD", "good-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let masks: Vec<&str> = ran
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("::add-mask::"))
        .collect();
    assert!(masks.contains(&"good-value-1"), "{masks:?}");
    for m in &masks {
        assert!(m.trim().chars().count() >= 4, "{m:?}");
        let first = m.trim().chars().next();
        assert!(m.trim().chars().any(|c| Some(c) != first), "{m:?}");
    }
}

/// Lines the runner would execute as workflow commands: v2 `::cmd` after leading whitespace, or
/// the legacy `##[cmd]` anywhere in a line; the runner splits lines on `\n`, `\r\n` and `\r`.
fn runner_commands(stdout: &str) -> Vec<String> {
    stdout
        .split(['\n', '\r'])
        .filter(|l| l.trim_start().starts_with("::") || l.contains("##["))
        .map(str::to_owned)
        .collect()
}

/// Finding C (sibling of 5): `status` printed a secret's `updated_at` as the server sent it and
/// counted a date it could not read as fresh: with `--max-age 1d`, any date that is not RFC 3339
/// gave "present" and exit 0 (the check failed open). A date that cannot be read is an error for
/// the target that holds it, and never text in the output.
#[test]
fn status_treats_an_unparseable_updated_at_as_an_error_not_as_text_or_fresh() {
    use crate::adversarial::hostile::{hostile, json};

    for date in [
        "2020\r::add-mask::=\r::warning::INJECTED-CR",
        "2020 ##[add-mask]=",
        "not a date",
    ] {
        let d = date.to_owned();
        let api = hostile(move |_, p| {
            if p.contains("/actions/secrets") {
                json(
                    200,
                    serde_json::json!({"total_count": 1, "secrets": [
                        {"name": "PAT_TOKEN", "created_at": "2099-01-01T00:00:00Z", "updated_at": d}]}),
                )
            } else {
                json(404, serde_json::json!({"message": "Not Found"}))
            }
        });
        let ran = Step::with_url(&api.url)
            .remove_env("GITHUB_ACTIONS")
            .env("GH_TOKEN", TOKEN)
            .value(TOKEN)
            .args(&[
                "status",
                "PAT_TOKEN",
                "--repo",
                "acme/api",
                "--max-age",
                "1d",
                "--api-url",
                &api.url,
            ])
            .run();
        for cmd in runner_commands(&ran.stdout) {
            assert!(
                !cmd.contains("INJECTED") && cmd != "::add-mask::=" && !cmd.contains("##["),
                "{date:?}: a server string became a workflow command: {cmd:?}\n{}",
                ran.stdout
            );
        }
        assert!(!ran.stdout.contains("2020"), "{date:?}: {}", ran.screen());
        assert_ne!(
            ran.code,
            0,
            "{date:?}: a date that cannot be read passed `--max-age 1d`: {}",
            ran.screen()
        );
    }
}

/// Finding J (sibling of 9): the GitHub App's JWT is a credential (for up to 10 minutes it mints
/// installation tokens), but it was never registered for redaction: an error body that echoes it
/// was printed in the annotation and the summary. Every token reaches HTTP through
/// `Client::new`, which now registers it: PAT, JWT and minted tokens alike.
#[test]
fn the_apps_jwt_is_redacted_like_every_other_credential() {
    use crate::adversarial::hostile::{hostile_with_auth, json};

    // Echo the JWT's signature (its secret part), 200 characters: inside message()'s cut.
    let api = hostile_with_auth(|_, _, auth| {
        let sig: String = auth
            .unwrap_or_default()
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        json(
            401,
            serde_json::json!({"message": format!("Bad credentials {sig}")}),
        )
    });
    let ran = Step::with_url(&api.url)
        .input("app-id", "1")
        .input("app-private-key", &fake_github::AppKey::shared().pkcs1_pem)
        .secrets(&[("API_KEY", "rotated-value-0123456789")])
        .run();
    let sigs: Vec<String> = api
        .seen
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|s| s.authorization.clone())
        .map(|a| {
            a.rsplit('.')
                .next()
                .unwrap_or_default()
                .chars()
                .take(40)
                .collect()
        })
        .collect();
    assert!(!sigs.is_empty(), "no request: {}", ran.screen());
    assert!(ran.stdout.contains("Bad credentials"), "{}", ran.screen());
    for sig in sigs {
        assert!(
            !ran.stdout.contains(&sig) && !ran.stderr.contains(&sig) && !ran.summary.contains(&sig),
            "the JWT's signature reached the log:\n{}\n{}",
            ran.stdout,
            ran.summary
        );
    }
}

/// Finding L (sibling of 5): `md_cell` escaped HTML, backticks and pipes but left Markdown live:
/// a server message became a clickable `[Re-authenticate here](https://evil.example/login)` or an
/// `![image](…)` in the run's summary, under the repository's name.
#[test]
fn server_text_in_a_summary_cell_is_no_link_or_image() {
    use crate::adversarial::hostile::{hostile, json};

    let api = hostile(|_, p| {
        if p.ends_with("/public-key") {
            json(
                200,
                serde_json::json!({"key_id": "k1", "key": "JaUEXSXdjeRSNF1cddBYuDPbNuyN9z+jzWMP0AUK1cU="}),
            )
        } else {
            json(
                422,
                serde_json::json!({"message": "Token expired. [Re-authenticate here](https://evil.example/login) ![x](https://evil.example/p.png) \\[y](https://evil.example/z) www.evil.example"}),
            )
        }
    });
    let ran = Step::with_url(&api.url)
        .token()
        .secrets(&[("API_KEY", "rotated-value-0123456789")])
        .run();
    assert!(ran.summary.contains("Re-authenticate"), "{}", ran.summary);
    // What Markdown reads once backslash escapes are taken out.
    let live_text = ran
        .summary
        .replace("\\\\", "")
        .replace("\\]", "")
        .replace("\\[", "");
    for live in ["](", "https://evil", "www.evil"] {
        assert!(
            !live_text.contains(live),
            "a live Markdown link, image or autolink ({live}) from the server:\n{}",
            ran.summary
        );
    }
}

/// The text as a person reads it once copied out of a sink: JSON's `\u0001`, `\n`, `\r` and
/// `\t` and the runner's `%0A` and `%0D` decoded, masks aside, invisible characters gone and
/// Unicode tag characters read as the ASCII they spell.
fn as_read(text: &str) -> String {
    text.replace("\\u0001", "")
        .replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .flat_map(|l| l.chars().chain(['\n']))
        .filter_map(|c| match c as u32 {
            0xE0020..=0xE007E => char::from_u32(c as u32 - 0xE0000),
            0xAD | 0x61C | 0x200B | 0x2060 => None,
            _ if c.is_control() && c != '\n' => None,
            _ => Some(c),
        })
        .collect()
}

/// Adversarial review of issue 22: a token echoed with invisible characters or whitespace
/// between its pieces (a control, zero-width and format characters, new lines, tabs, spaces;
/// each piece shorter than a redacted run), or spelled in invisible Unicode tag characters, is
/// the token all the same once copied out of the log. No sink — the log, the summary, the outputs, the audit log — holds it.
#[test]
fn a_token_split_by_invisible_characters_reaches_no_sink() {
    let split = |sep: &str| {
        TOKEN
            .as_bytes()
            .chunks(8)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let tags: String = TOKEN
        .chars()
        .map(|c| char::from_u32(0xE0000 + c as u32).expect("a tag character"))
        .collect();
    let cases = [
        ("a control", split("\u{1}")),
        ("zero-width spaces", split("\u{200B}")),
        ("word joiners", split("\u{2060}")),
        ("soft hyphens", split("\u{AD}")),
        ("Arabic letter marks", split("\u{61C}")),
        ("tag characters", format!("x{tags}x")),
        ("new lines", split("\n")),
        ("CRLF", split("\r\n")),
        ("tabs", split("\t")),
        ("spaces", split(" ")),
    ];
    for (what, echoed) in cases {
        let api = fake();
        api.inject(
            Fault::new(FaultKind::Raw {
                status: 422,
                headers: vec![("content-type".into(), b"application/json".to_vec())],
                body: serde_json::json!({ "message": format!("refused {echoed} here") })
                    .to_string()
                    .into_bytes(),
            })
            .on("PUT", "/actions/secrets/")
            .times(10),
        );
        let ran = Step::new(&api)
            .token()
            .secrets(&[("SESSION", "session-value-1")])
            .input("audit-log", "audit.jsonl")
            .run();
        assert_eq!(ran.code, 1, "{what}: {}", ran.transcript());
        assert!(
            ran.stdout.contains("refused"),
            "{what}: {}",
            ran.transcript()
        );
        assert!(!ran.audit.is_empty(), "{what}: no audit log");
        for (sink, text) in [
            ("stdout", &ran.stdout),
            ("stderr", &ran.stderr),
            ("summary", &ran.summary),
            ("outputs", &ran.outputs_raw),
            ("audit log", &ran.audit),
        ] {
            let read: String = as_read(text).split_whitespace().collect();
            for run in TOKEN.as_bytes().windows(16) {
                let run = std::str::from_utf8(run).expect("ascii");
                assert!(
                    !read.contains(run),
                    "{what}: the {sink} holds the token: {text:?}"
                );
            }
        }
    }
}
