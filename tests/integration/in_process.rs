//! `secret_refresh::run(args, env, stdout, stderr)` called in this process: a run sees only the
//! environment and the two streams it is given (issue 12). Most action steps of this suite run
//! this way (see `Step::run`); these tests pin the contract itself.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use fake_github::TokenSpec;
use secret_refresh::{run, Env, Stream};

use crate::common::{fake, TOKEN};

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Buf {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Stream for Buf {}

/// Runs on a thread of its own, as a test of the suite does; returns (code, stdout, stderr).
fn run_with(args: &[&str], env: &[(&str, &str)]) -> (ExitCode, String, String) {
    let args: Vec<String> = ["secret-refresh"]
        .iter()
        .chain(args)
        .map(|s| s.to_string())
        .collect();
    let env = Env::from_pairs(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let (out, err) = (Buf::default(), Buf::default());
    let (o, e) = (out.clone(), err.clone());
    let code = std::thread::spawn(move || run(args, env, o, e))
        .join()
        .expect("no panic");
    (code, out.text(), err.text())
}

#[test]
fn help_version_and_usage_errors_go_to_the_streams_given() {
    let (code, out, err) = run_with(&["--version"], &[]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(
        out,
        format!("secret-refresh {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(err, "");

    let (code, out, err) = run_with(&["set", "--bogus"], &[]);
    assert_eq!(code, ExitCode::from(2));
    assert_eq!(out, "");
    assert!(err.contains("--bogus"), "{err}");
    assert!(!err.contains('\x1b'), "no colour into a buffer: {err:?}");
}

/// The token comes from the environment given, not the process's (which has none here), and
/// is never printed; two runs at once on two threads each see their own.
#[test]
fn each_run_sees_its_own_environment() {
    assert!(std::env::var_os("GH_TOKEN").is_none() && std::env::var_os("GITHUB_TOKEN").is_none());
    let api = fake();
    let other = "ghp_0therUserToken0000000000000000000000";
    api.add_user("hubot");
    api.add_token(other, TokenSpec::classic("hubot", &["repo"]));
    let url = api.url();
    let runs: Vec<_> = [TOKEN, other]
        .into_iter()
        .map(|token| {
            let url = url.clone();
            std::thread::spawn(move || {
                run_with(
                    &["check-token", "--api-url", &url],
                    &[("GH_TOKEN", token), ("NO_COLOR", "1")],
                )
            })
        })
        .collect();
    let results: Vec<_> = runs.into_iter().map(|t| t.join().expect("run")).collect();
    for ((code, out, err), (login, token)) in
        results.iter().zip([("octo", TOKEN), ("hubot", other)])
    {
        assert_eq!(*code, ExitCode::SUCCESS, "{out}{err}");
        assert!(out.contains(login), "{out}");
        assert!(!out.contains(token) && !err.contains(token));
    }
    assert!(!results[0].1.contains("hubot") && !results[1].1.contains("octo"));
    // One GET /user per run, each with its own token.
    assert_eq!(api.count("GET", "/user"), 2);

    // Without a token in the environment given, it is a usage error, with no request.
    let (code, _, err) = run_with(&["check-token", "--api-url", &url], &[]);
    assert_eq!(code, ExitCode::from(2));
    assert!(err.contains("no token"), "{err}");
    assert_eq!(api.count("GET", "/user"), 2);
}
