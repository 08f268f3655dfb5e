//! Issue 15: every installation token a run mints is revoked, whichever way the run ends —
//! success, each kind of failure, a failed revocation said out loud. (Signals: cancel.rs.)

use fake_github::{FakeGitHub, Fault, FaultKind, Scope};

use crate::common::{fake, Step};
use crate::signal_phase::install_app;

const APP_ID: u64 = 4343;

fn app_fake() -> FakeGitHub {
    let api = fake();
    for r in ["acme/web", "acme/service-a", "acme/service-b"] {
        api.add_repo(r);
    }
    install_app(&api, APP_ID);
    api
}

fn step(api: &FakeGitHub) -> Step<'_> {
    Step::new(api)
        .app(APP_ID)
        .secrets(&[("ALPHA", "alpha-value-r"), ("BETA", "beta-value-r")])
}

#[test]
fn every_path_out_of_a_run_revokes_every_token_it_minted() {
    struct Case {
        what: &'static str,
        repositories: &'static str,
        faults: Vec<Fault>,
        code: i32,
        minted: usize,
        /// Text the step's output must hold (the failure, said).
        says: &'static str,
    }
    let status = |code: u16, method: &str, path: &str, times: u32| {
        Fault::new(FaultKind::Status(code))
            .on(method, path)
            .times(times)
    };
    let cases = [
        Case {
            what: "success",
            repositories: "acme/api",
            faults: vec![],
            code: 0,
            minted: 1,
            says: "",
        },
        Case {
            what: "success with patterns (a metadata token, then the write token)",
            repositories: "acme/service-*",
            faults: vec![],
            code: 0,
            minted: 2,
            says: "",
        },
        Case {
            what: "a write fails",
            repositories: "acme/api",
            faults: vec![status(500, "PUT", "/secrets/BETA", 10)],
            code: 1,
            minted: 1,
            says: "BETA",
        },
        Case {
            what: "the public key is refused",
            repositories: "acme/api",
            faults: vec![status(403, "GET", "/public-key", 1)],
            code: 1,
            minted: 1,
            says: "403",
        },
        Case {
            what: "a pattern matches nothing",
            repositories: "acme/nothing-*",
            faults: vec![],
            code: 1,
            minted: 1,
            says: "matches no repository",
        },
        Case {
            what: "listing the installation's repositories fails",
            repositories: "acme/service-*",
            faults: vec![status(500, "GET", "/installation/repositories", 10)],
            code: 1,
            minted: 1,
            says: "500",
        },
    ];
    for case in cases {
        let api = app_fake();
        for f in case.faults {
            api.inject(f);
        }
        let ran = step(&api).input("repositories", case.repositories).run();
        let ctx = format!("{}: {}", case.what, ran.transcript());
        assert_eq!(ran.code, case.code, "{ctx}");
        assert!(ran.stdout.contains(case.says), "{ctx}");
        let minted = api.minted_tokens();
        assert_eq!(minted.len(), case.minted, "{ctx}");
        assert!(minted.iter().all(|(_, revoked)| *revoked), "{ctx}");
        assert_eq!(
            api.count("DELETE", "/installation/token"),
            case.minted,
            "{ctx}"
        );
        // The write token's revocation is the run's last request.
        let last = api.requests().pop().expect("requests");
        assert_eq!(
            (last.method.as_str(), last.path.as_str()),
            ("DELETE", "/installation/token"),
            "{ctx}"
        );
        let mut ran = ran;
        for (t, _) in &minted {
            ran = ran.value(&t.token);
        }
        ran.assert_no_leak();
    }
}

#[test]
fn a_revocation_github_refuses_is_said_and_fails_the_step() {
    let api = app_fake();
    api.inject(
        Fault::new(FaultKind::Status(500))
            .on("DELETE", "/installation/token")
            .times(10),
    );
    let ran = step(&api).input("audit-log", "audit.jsonl").run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    // Everything was written, and the report says so; the token is said to be alive.
    assert!(api.secret(&Scope::repo("acme/api"), "BETA").is_some());
    assert_eq!(
        ran.output("updated"),
        r#"["acme/api:ALPHA","acme/api:BETA"]"#
    );
    assert!(
        ran.stdout
            .contains("could not revoke the installation token"),
        "{}",
        ran.transcript()
    );
    assert!(
        ran.summary
            .contains("could not revoke the installation token"),
        "{}",
        ran.summary
    );
    let minted = api.minted_tokens();
    assert_eq!(minted.len(), 1);
    assert!(!minted[0].1, "the fake refused the revocation");
    let ran = ran.value(&minted[0].0.token);
    ran.assert_no_leak();
}

/// Issue 22: a panic inside a command (a bug) still revokes every token the run minted, and
/// says what happened. The panic is injected right after the mint (feature `fault-injection`,
/// `SECRET_REFRESH_PANIC_AT`; a release build has no such knob), in process and in the binary
/// (whose release build unwinds: `panic = "unwind"`, so every guard runs on the way out).
#[test]
fn a_panic_inside_a_command_still_revokes_every_minted_token() {
    for binary in [false, true] {
        let api = app_fake();
        let mut s = step(&api).env("SECRET_REFRESH_PANIC_AT", "after-mint");
        if binary {
            s = s.wrap(&["env"]);
        }
        let ran = s.run();
        let minted = api.minted_tokens();
        assert_eq!(minted.len(), 1, "binary {binary}: {}", ran.screen());
        assert!(
            minted.iter().all(|(_, revoked)| *revoked),
            "binary {binary}: a minted token outlived the panic: {}",
            ran.screen()
        );
        assert_eq!(ran.code, 1, "binary {binary}: {}", ran.screen());
        assert!(
            ran.stdout.contains("stopped on an internal error")
                && ran
                    .stdout
                    .contains("every installation token it minted was revoked"),
            "binary {binary}: {}",
            ran.screen()
        );
        assert!(ran.summary.contains("internal error"), "{}", ran.summary);
        assert_eq!(
            api.count("PUT", "/secrets/"),
            0,
            "nothing written after the panic"
        );
        if binary {
            assert!(
                ran.stderr.contains("internal error at ") && ran.stderr.contains("injected panic"),
                "the hook said where: {}",
                ran.stderr
            );
        }
        ran.assert_no_leak();
    }
}

/// Keyless: a panic after the first of two exchanges (one token per repository) still revokes
/// the token exchanged, and the run says so.
#[test]
fn a_panic_after_an_exchange_still_revokes_the_exchanged_token() {
    let api = crate::keyless::world();
    let ran = crate::keyless::keyless(&api)
        .input("repositories", "acme/api\nacme/web")
        .secrets(&[("ALPHA", "alpha-value-k")])
        .env("SECRET_REFRESH_PANIC_AT", "after-exchange")
        .run();
    let exchanged = api.exchanged_tokens();
    assert_eq!(exchanged.len(), 1, "{}", ran.screen());
    assert!(
        exchanged.iter().all(|(_, revoked)| *revoked),
        "an exchanged token outlived the panic: {}",
        ran.screen()
    );
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(
        ran.stdout
            .contains("every installation token it minted was revoked"),
        "{}",
        ran.screen()
    );
    assert_eq!(api.count("PUT", "/secrets/"), 0);
    ran.assert_no_leak();
}

/// A run that minted nothing (a token was given) and panics claims no revocation: it says it
/// stopped, and nothing about installation tokens it never had.
#[test]
fn a_panic_in_a_run_that_minted_nothing_claims_no_revocation() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .secrets(&[("ALPHA", "alpha-value-p")])
        .env("SECRET_REFRESH_PANIC_AT", "before-write")
        .run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(
        ran.stdout.contains("stopped on an internal error"),
        "{}",
        ran.screen()
    );
    assert!(
        !ran.screen().contains("installation token"),
        "a run without an installation token spoke of one: {}",
        ran.screen()
    );
    assert_eq!(api.count("PUT", "/secrets/"), 0);
}

/// GitHub's mint answer, its token string rewritten (`find` → `replace`) by a hostile endpoint.
fn mint_answer(find: &str, replace: &str) -> Fault {
    Fault::new(FaultKind::Hostile {
        find: find.to_owned(),
        replace: replace.to_owned(),
    })
    .on("POST", "/access_tokens")
}

/// Issue 22: a minted token with whitespace around it is trimmed, used, and revoked (it was
/// refused for its newline, and so neither used nor revoked: left alive for the hour).
#[test]
fn a_minted_token_with_whitespace_around_it_is_trimmed_used_and_revoked() {
    let api = app_fake();
    api.inject(mint_answer("ghs_", " \n\tghs_"));
    let ran = step(&api).run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    let minted = api.minted_tokens();
    assert_eq!(minted.len(), 1);
    let (token, revoked) = &minted[0];
    assert!(
        revoked,
        "the trimmed token was not revoked: {}",
        ran.screen()
    );
    ran.assert_masked(&token.token);
    assert_eq!(api.count("PUT", "/actions/secrets/"), 2);
    ran.value(&token.token).assert_no_leak();
}

/// Issue 22: an answer whose "token" is not an installation token (`ghs_…`) is refused before
/// it is used, masked or sent anywhere: no request carries it, no mask registers it (a mask of
/// an ordinary word would blank the log), and the run fails saying so.
#[test]
fn a_mint_answer_that_is_not_an_installation_token_is_never_used_nor_masked() {
    let api = app_fake();
    api.inject(mint_answer("ghs_", "notatoken_"));
    let ran = step(&api).run();
    let minted = api.minted_tokens();
    assert_eq!(minted.len(), 1);
    let sent = minted[0].0.token.replacen("ghs_", "notatoken_", 1);
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(
        ran.stdout.contains("holds no installation token"),
        "{}",
        ran.screen()
    );
    assert!(
        !ran.stdout
            .lines()
            .any(|l| l.starts_with("::add-mask::notatoken")),
        "the answer was registered as a mask: {}",
        ran.stdout
    );
    let carried = api
        .requests()
        .iter()
        .filter(|r| {
            r.authorization
                .as_deref()
                .is_some_and(|a| a.contains("notatoken"))
        })
        .count();
    assert_eq!(carried, 0, "the answer was sent as a credential");
    assert_eq!(api.count("PUT", "/actions/secrets/"), 0);
    ran.value(&sent).assert_no_leak();
}
