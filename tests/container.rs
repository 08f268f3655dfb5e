//! The container action, run for real.
//!
//! Builds an image from the `Dockerfile`'s final stage (`FROM scratch`, the CA bundle, the
//! binary) around a locally built static binary, then runs it with podman the way the runner runs
//! a container action: `--workdir /github/workspace`, the workspace and `/github/file_commands`
//! mounted, `INPUT_*` variables with hyphens passed by name, and `--network host` to reach the
//! fake API on 127.0.0.1.
//!
//! It runs only when asked: `.ci/test` (and `bash .ci/test container`) sets
//! `SECRET_REFRESH_REQUIRE_CONTAINER_TEST=1`, and there a missing podman fails the test. A plain
//! `cargo test` (the fast loop) skips it with a one-line note, podman or not: it builds a static
//! release binary and an image, minutes on a laptop. `.ci/test` also builds the static binary
//! once and passes it in `SECRET_REFRESH_STATIC_BIN`; without it, this test builds it (in
//! `target/static`, as the outer `cargo test` may hold the default target directory's lock).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use fake_github::{AppKey, FakeGitHub, Scope, TokenSpec};
use secret_refresh::output::files::parse_outputs;

#[path = "support/leak_check.rs"]
mod leak_check;
use leak_check::value_parts;
#[path = "support/process.rs"]
mod process;
use process::{OnDrop, Spawned};

#[path = "support/signal_phase.rs"]
mod signal_phase;
use signal_phase::{audit_rows, hold, install_app, wait_for_held, APP_ID};

#[path = "support/action_image.rs"]
mod action_image;
use action_image::{final_stage, static_binary, CONTAINERS_CONF, HOST_CA_BUNDLE};

/// A classic PAT with `repo` scope, known to the fake.
const TOKEN: &str = "ghp_CoNtAiNeRtEsT0123456789abcdefghijkl";
const REPO: &str = "acme/api";
/// A step still running by then is killed (its container removed) and fails the test.
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// Written straight to the process's stderr, so it shows even when libtest captures the test's
/// output (a skip must be visible in a plain `cargo test`).
fn note(msg: &str) {
    let _ = writeln!(std::io::stderr(), "container test: {msg}");
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn container_action_runs_as_the_runner_runs_it() {
    let required = std::env::var("SECRET_REFRESH_REQUIRE_CONTAINER_TEST").as_deref() == Ok("1");
    if !required {
        note("skipped: runs from `bash .ci/test container` (SECRET_REFRESH_REQUIRE_CONTAINER_TEST=1)");
        return;
    }
    let Some(podman) = Podman::find() else {
        assert!(
            !required,
            "podman is not installed, and SECRET_REFRESH_REQUIRE_CONTAINER_TEST=1 requires the \
             container test (`bash .ci/setup` installs podman and runc)"
        );
        note("skipped: podman not installed (bash .ci/setup installs it)");
        return;
    };

    let binary = static_binary();
    let bytes = std::fs::read(&binary).expect("read the static binary");
    let linking = elf_linking(&bytes).expect("the static binary is an ELF file");
    assert_eq!(
        linking,
        Linking::default(),
        "{} is not statically linked",
        binary.display()
    );
    // The same check on the ordinary (dynamically linked) build: the check can tell the two apart.
    let dynamic = std::fs::read(env!("CARGO_BIN_EXE_secret-refresh")).expect("read test binary");
    let dynamic = elf_linking(&dynamic).expect("the test build is an ELF file");
    assert!(
        dynamic.interpreter.is_some() && dynamic.needed > 0,
        "the ordinary build should be dynamically linked: {dynamic:?}"
    );

    let image = podman.build_image(&binary);
    assert_eq!(
        image.files(),
        BTreeMap::from([
            (
                "etc/ssl/certs/ca-certificates.crt".to_owned(),
                file_size(Path::new(HOST_CA_BUNDLE))
            ),
            ("secret-refresh".to_owned(), bytes.len() as u64),
        ]),
        "the image holds the binary and the CA bundle, nothing else"
    );
    let image_size = image.size();
    note(&format!(
        "binary {} bytes ({:.1} MiB), image {} bytes ({:.1} MiB)",
        bytes.len(),
        mib(bytes.len() as u64),
        image_size,
        mib(image_size)
    ));

    writes_the_changed_secrets(&image);
    resolves_host_names_in_the_empty_image(&image);
    skips_quietly_without_a_token(&image);
    dry_run_reaches_the_binary_through_a_hyphenated_name(&image);
    a_signal_at_each_phase_revokes_reports_and_exits(&image);
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len()
}

/// A fake GitHub holding `acme/api` and a classic `repo` token of user `octo`.
fn fake() -> FakeGitHub {
    let f = FakeGitHub::start();
    f.add_user("octo");
    f.add_org("acme");
    f.add_repo(REPO);
    f.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    f
}

// ---- scenarios ------------------------------------------------------------------------------

/// Files from the mounted workspace, a multi-line value in an input, `current` as JSON: only
/// the changed secrets are written, sealed, over http to 127.0.0.1.
fn writes_the_changed_secrets(image: &Image<'_>) {
    let api = fake();
    assert!(api.url().starts_with("http://127.0.0.1:"), "{}", api.url());
    let repo = Scope::repo(REPO);
    api.set_secret(&repo, "MOOGO_CACHED_DEVICE", "device-session-v1");
    api.set_secret(&repo, "MOOGO_CACHED_REFRESH", "refresh-session-same");
    let pem = "-----BEGIN KEY-----\nMIIBszCCAVmgAwIBAgIU\nq83h5f2kLm9==\n-----END KEY-----";
    let ran = Step::new(&api.url())
        .token()
        .input("files", ".cache/session/*.token")
        .input("prefix", "MOOGO_CACHED_")
        .input("audit-log", "secret-refresh-audit.jsonl")
        .file(".cache/session/device.token", "device-session-v2\n")
        .file(".cache/session/refresh.token", "refresh-session-same\n")
        .file(".cache/session/account.token", "account-session-new\r\n")
        .secret_input("PEM_KEY", pem)
        .current(&[
            ("github_token", "ghs_runner_token_value"),
            ("MOOGO_CACHED_DEVICE", "device-session-v1"),
            ("moogo_cached_refresh", "refresh-session-same"),
        ])
        .run(image);
    assert_eq!(ran.code, 0, "{}", ran.transcript());

    let shape: Vec<(String, String, u16)> = api
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.status))
        .collect();
    assert_eq!(
        shape,
        [
            ("GET", "/repos/acme/api/actions/secrets/public-key", 200),
            ("PUT", "/repos/acme/api/actions/secrets/PEM_KEY", 201),
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
        ran.transcript()
    );
    for r in api.requests() {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(!r.body.contains("session"), "plaintext on the wire");
    }
    let stored = |name: &str| api.secret(&repo, name).map(|s| s.value);
    assert_eq!(
        stored("MOOGO_CACHED_DEVICE").as_deref(),
        Some("device-session-v2")
    );
    assert_eq!(
        stored("MOOGO_CACHED_ACCOUNT").as_deref(),
        Some("account-session-new")
    );
    // The newlines of a multi-line input survived podman's environment passing.
    assert_eq!(stored("PEM_KEY").as_deref(), Some(pem));
    assert_eq!(
        api.secret(&repo, "MOOGO_CACHED_REFRESH").map(|s| s.writes),
        Some(0),
        "the unchanged secret was not written"
    );

    assert_eq!(ran.output("changed"), "true");
    assert_eq!(ran.output("skipped"), "false");
    assert_eq!(ran.output("skip-reason"), "");
    assert_eq!(
        ran.output("updated"),
        r#"["acme/api:PEM_KEY","acme/api:MOOGO_CACHED_ACCOUNT","acme/api:MOOGO_CACHED_DEVICE"]"#
    );
    assert_eq!(ran.output("unchanged"), r#"["MOOGO_CACHED_REFRESH"]"#);
    for name in ["MOOGO_CACHED_ACCOUNT", "MOOGO_CACHED_DEVICE", "PEM_KEY"] {
        assert!(
            ran.summary.contains(name),
            "summary lacks {name}:\n{}",
            ran.summary
        );
    }
    // The audit log was written into the mounted workspace, one record per secret.
    let audit = ran.workspace_file("secret-refresh-audit.jsonl");
    assert_eq!(audit.lines().count(), 4, "{audit}");
    for line in audit.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("an audit record is JSON");
    }
    for v in [
        "device-session-v2",
        "account-session-new",
        "device-session-v1",
        TOKEN,
    ] {
        ran.assert_masked(v);
    }
    ran.assert_masked(pem);
    ran.assert_no_leak(&[&audit]);
    insta::assert_snapshot!("writes_the_changed_secrets", ran.transcript());
}

/// `localhost` instead of an address: the static binary resolves host names in an image without
/// a libc (through the `/etc/hosts` the engine provides), as it must for `api.github.com`.
fn resolves_host_names_in_the_empty_image(image: &Image<'_>) {
    let api = fake();
    let url = api.url().replace("127.0.0.1", "localhost");
    let ran = Step::new(&url)
        .token()
        .secret_input("HOST_CHECK", "resolved-by-name")
        .run(image);
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", "public-key"), 1);
    assert_eq!(api.count("PUT", "/secrets/HOST_CHECK"), 1);
    assert_eq!(api.requests().len(), 2);
    assert_eq!(
        api.secret(&Scope::repo(REPO), "HOST_CHECK")
            .map(|s| s.value),
        Some("resolved-by-name".to_owned())
    );
    ran.assert_no_leak(&[]);
}

/// No token (the input's default, an empty string): the step succeeds, reports, sends nothing.
fn skips_quietly_without_a_token(image: &Image<'_>) {
    let api = fake();
    let ran = Step::new(&api.url())
        .input("token", "")
        .secret_input("A", "value-one")
        .current(&[("A", "value-zero")])
        .run(image);
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    assert_eq!(ran.output("changed"), "true");
    assert_eq!(ran.output("skipped"), "true");
    assert_eq!(ran.output("skip-reason"), "no-token");
    assert_eq!(ran.output("updated"), "[]");
    assert!(!ran.stdout.contains("::error"), "{}", ran.stdout);
    ran.assert_masked("value-one");
    ran.assert_no_leak(&[]);
    insta::assert_snapshot!("skips_quietly_without_a_token", ran.transcript());
}

/// `INPUT_DRY-RUN=true` reaches the binary: were the hyphenated name dropped (as a shell
/// entrypoint would drop it), the default `false` would write.
fn dry_run_reaches_the_binary_through_a_hyphenated_name(image: &Image<'_>) {
    let api = fake();
    let ran = Step::new(&api.url())
        .token()
        .input("dry-run", "true")
        .secret_input("A", "value-one")
        .secret_input("B", "value-two")
        .current(&[("A", "value-one")])
        .run(image);
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    // With a token, the dry run reads the key the real run would read first; no write.
    let sent: Vec<String> = api
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(sent, ["GET /repos/acme/api/actions/secrets/public-key"]);
    assert_eq!(ran.output("changed"), "true");
    assert_eq!(ran.output("skipped"), "true");
    assert_eq!(ran.output("skip-reason"), "dry-run");
    assert_eq!(ran.output("updated"), "[]");
    assert_eq!(ran.output("unchanged"), r#"["A"]"#);
    ran.assert_no_leak(&[]);
}

/// Issue 15: the binary is the container's PID 1, which the kernel shields from every signal it
/// has no handler for. `podman kill` sends SIGTERM (and SIGINT) at each phase of a run as a
/// GitHub App, the fake holding one request so the signal lands in it: the minted token is
/// revoked, no write starts after the signal, the summary, the outputs and the audit record
/// say what was written and what was not, and the exit code is 143 (130).
fn a_signal_at_each_phase_revokes_reports_and_exits(image: &Image<'_>) {
    struct Phase {
        what: &'static str,
        /// The request in flight when the signal comes: method, path, how long it is held.
        hold: (&'static str, &'static str, Duration),
        repositories: &'static str,
        minted: usize,
        /// (secret, target, outcome) of the audit records, sorted.
        audit: &'static [(&'static str, &'static str, &'static str)],
        updated: &'static str,
    }
    let long = Duration::from_secs(30);
    let short = Duration::from_millis(500);
    let phases = [
        Phase {
            what: "before the token is minted",
            hold: ("GET", "/repos/acme/api/installation", long),
            repositories: "acme/api",
            minted: 0,
            audit: &[
                ("ALPHA", "acme/api", "cancelled"),
                ("BETA", "acme/api", "cancelled"),
            ],
            updated: "[]",
        },
        Phase {
            what: "after the token is minted",
            hold: ("GET", "/public-key", short),
            repositories: "acme/api",
            minted: 1,
            audit: &[
                ("ALPHA", "acme/api", "cancelled"),
                ("BETA", "acme/api", "cancelled"),
            ],
            updated: "[]",
        },
        Phase {
            what: "between writes",
            hold: ("GET", "/repos/acme/web/actions/secrets/public-key", short),
            repositories: "acme/api\nacme/web",
            minted: 1,
            audit: &[
                ("ALPHA", "acme/api", "created"),
                ("ALPHA", "acme/web", "cancelled"),
                ("BETA", "acme/api", "created"),
                ("BETA", "acme/web", "cancelled"),
            ],
            updated: r#"["acme/api:ALPHA","acme/api:BETA"]"#,
        },
        Phase {
            what: "during a write",
            hold: ("PUT", "/secrets/ALPHA", short),
            repositories: "acme/api",
            minted: 1,
            audit: &[
                ("ALPHA", "acme/api", "created"),
                ("BETA", "acme/api", "cancelled"),
            ],
            updated: r#"["acme/api:ALPHA"]"#,
        },
    ];
    for phase in &phases {
        for (signal, code) in [("TERM", 143), ("INT", 130)] {
            let api = fake();
            api.add_repo("acme/web");
            install_app(&api, APP_ID);
            let (method, path, held) = phase.hold;
            hold(&api, method, path, held);
            let key = AppKey::shared().pkcs1_pem.clone();
            let mut step = Step::new(&api.url())
                .input("app-id", &APP_ID.to_string())
                .input("app-private-key", &key)
                .input("repositories", phase.repositories)
                .input("fail-fast", "true")
                .input("audit-log", "audit.jsonl")
                .secret_input("ALPHA", "alpha-value-pid1")
                .secret_input("BETA", "beta-value-pid1");
            step.values.push(key);
            let mut seen = 0;
            let ran = step.run_while(image, |name| {
                seen = wait_for_held(&api, Duration::from_secs(120), phase.what);
                image.podman.ok(&["kill", "--signal", signal, name]);
            });
            let ctx = format!("SIG{signal} {}: {}", phase.what, ran.transcript());
            assert_eq!(ran.code, code, "{ctx}");
            let minted = api.minted_tokens();
            assert_eq!(minted.len(), phase.minted, "{ctx}");
            assert!(minted.iter().all(|(_, revoked)| *revoked), "{ctx}");
            assert_eq!(
                api.count("DELETE", "/installation/token"),
                phase.minted,
                "{ctx}"
            );
            let writes_after: Vec<String> = api.requests()[seen..]
                .iter()
                .filter(|r| r.method == "PUT")
                .map(|r| r.path.clone())
                .collect();
            assert!(writes_after.is_empty(), "{ctx}: {writes_after:?}");
            // The report is true: the audit records, the outputs and the summary say what the
            // fake holds.
            let audit = ran.workspace_file("audit.jsonl");
            let records = audit_rows(&audit);
            let expected: Vec<(String, String, String)> = phase
                .audit
                .iter()
                .map(|(s, t, o)| (s.to_string(), t.to_string(), o.to_string()))
                .collect();
            assert_eq!(records, expected, "{ctx}");
            for (secret, target, outcome) in phase.audit {
                let stored = api.secret(&Scope::repo(target), secret);
                assert_eq!(
                    stored.is_some(),
                    *outcome == "created",
                    "{ctx}: {secret} {target}"
                );
            }
            assert_eq!(ran.output("updated"), phase.updated, "{ctx}");
            assert!(
                ran.summary.contains(&format!("cancelled by SIG{signal}")),
                "{ctx}"
            );
            let mut ran = ran;
            ran.values
                .extend(minted.iter().map(|(t, _)| t.token.clone()));
            ran.assert_no_leak(&[&audit]);
        }
    }
}

// ---- the static binary ----------------------------------------------------------------------

/// What an ELF file asks of the dynamic loader.
#[derive(Debug, Default, PartialEq, Eq)]
struct Linking {
    /// `PT_INTERP`: the loader a dynamically linked program needs.
    interpreter: Option<String>,
    /// `DT_NEEDED` entries: the shared libraries it needs.
    needed: usize,
}

/// Reads the program headers of a 64-bit little-endian ELF file. A static-pie binary (Rust's
/// default for `+crt-static`) has a `PT_DYNAMIC` segment for its own relocations, but no
/// interpreter and no `DT_NEEDED`.
fn elf_linking(b: &[u8]) -> Result<Linking, String> {
    let u16_at = |o: usize| -> Result<u64, String> {
        b.get(o..o + 2)
            .map(|s| u64::from(u16::from_le_bytes([s[0], s[1]])))
            .ok_or_else(|| format!("truncated at {o}"))
    };
    let u32_at = |o: usize| -> Result<u64, String> {
        b.get(o..o + 4)
            .map(|s| u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])))
            .ok_or_else(|| format!("truncated at {o}"))
    };
    let u64_at = |o: usize| -> Result<u64, String> {
        b.get(o..o + 8)
            .map(|s| u64::from_le_bytes(s.try_into().unwrap_or([0; 8])))
            .ok_or_else(|| format!("truncated at {o}"))
    };
    let usize_of = |v: u64| usize::try_from(v).map_err(|e| e.to_string());
    if b.get(..4) != Some(b"\x7fELF") || b.get(4) != Some(&2) || b.get(5) != Some(&1) {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let phoff = usize_of(u64_at(0x20)?)?;
    let phentsize = usize_of(u16_at(0x36)?)?;
    let phnum = usize_of(u16_at(0x38)?)?;
    let mut linking = Linking::default();
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let (offset, size) = (usize_of(u64_at(ph + 8)?)?, usize_of(u64_at(ph + 32)?)?);
        match u32_at(ph)? {
            // PT_INTERP
            3 => {
                let path = b
                    .get(offset..offset + size)
                    .ok_or("truncated interpreter")?;
                linking.interpreter = Some(text(path).trim_end_matches('\0').to_owned());
            }
            // PT_DYNAMIC: (tag, value) pairs up to DT_NULL; DT_NEEDED is 1.
            2 => {
                for entry in (offset..offset + size).step_by(16) {
                    match u64_at(entry)? {
                        0 => break,
                        1 => linking.needed += 1,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(linking)
}

// ---- podman ---------------------------------------------------------------------------------

struct Podman {
    /// `CONTAINERS_CONF` from `.ci/test`, or one written here with the same settings.
    conf: PathBuf,
    _conf_dir: Option<tempfile::TempDir>,
}

impl Podman {
    /// `None` when podman is not installed.
    fn find() -> Option<Self> {
        match Command::new("podman").arg("--version").output() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => panic!("cannot run podman: {e}"),
            Ok(out) => assert!(
                out.status.success(),
                "podman --version: {}",
                text(&out.stderr)
            ),
        }
        let (conf, conf_dir) = match std::env::var_os("CONTAINERS_CONF") {
            Some(conf) if !conf.is_empty() => (PathBuf::from(conf), None),
            _ => {
                let dir = tempfile::tempdir().expect("tempdir");
                let conf = dir.path().join("containers.conf");
                std::fs::write(&conf, CONTAINERS_CONF).expect("write containers.conf");
                (conf, Some(dir))
            }
        };
        let settings = std::fs::read_to_string(&conf)
            .unwrap_or_else(|e| panic!("CONTAINERS_CONF={}: {e}", conf.display()));
        assert!(
            settings.contains("default_ulimits = []"),
            "CONTAINERS_CONF={} lacks `default_ulimits = []`",
            conf.display()
        );
        Some(Self {
            conf,
            _conf_dir: conf_dir,
        })
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("podman");
        cmd.env("CONTAINERS_CONF", &self.conf);
        cmd
    }

    /// Runs podman; panics with its stderr when it fails.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("run podman");
        assert!(
            out.status.success(),
            "podman {}: {}",
            args.join(" "),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// The `Dockerfile`'s final stage around `binary` and the host's CA bundle.
    fn build_image(&self, binary: &Path) -> Image<'_> {
        let dockerfile =
            std::fs::read_to_string(manifest_dir().join("Dockerfile")).expect("read Dockerfile");
        let context = tempfile::tempdir().expect("tempdir");
        let containerfile = final_stage(&dockerfile, context.path(), binary);
        std::fs::write(context.path().join("Containerfile"), &containerfile)
            .expect("write Containerfile");
        let tag = format!(
            "localhost/secret-refresh-container-test:{}",
            std::process::id()
        );
        let context_arg = context.path().display().to_string();
        self.ok(&["build", "--pull=never", "--quiet", "-t", &tag, &context_arg]);
        Image { podman: self, tag }
    }
}

/// A built image, removed when dropped.
struct Image<'a> {
    podman: &'a Podman,
    tag: String,
}

impl Image<'_> {
    /// Every file in the image (path relative to `/`, size); directories are left out, anything
    /// else (links, devices) fails the test.
    fn files(&self) -> BTreeMap<String, u64> {
        let root = PathBuf::from(self.podman.ok(&["image", "mount", &self.tag]).trim());
        let mut files = BTreeMap::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("read image dir") {
                let entry = entry.expect("dir entry");
                let kind = entry.file_type().expect("file type");
                let rel = entry
                    .path()
                    .strip_prefix(&root)
                    .expect("under root")
                    .display()
                    .to_string();
                if kind.is_dir() {
                    dirs.push(entry.path());
                } else {
                    assert!(kind.is_file(), "the image holds a non-file: /{rel}");
                    files.insert(rel, entry.metadata().expect("metadata").len());
                }
            }
        }
        self.podman.ok(&["image", "unmount", &self.tag]);
        files
    }

    /// The image's size in bytes, as `podman images` reports it.
    fn size(&self) -> u64 {
        self.podman
            .ok(&["image", "inspect", "--format", "{{.Size}}", &self.tag])
            .trim()
            .parse()
            .expect("image size")
    }
}

impl Drop for Image<'_> {
    fn drop(&mut self) {
        let _ = self
            .podman
            .command()
            .args(["rmi", "--force", &self.tag])
            .output();
    }
}

// ---- one action step in the container -------------------------------------------------------

/// One step, with the directories the runner mounts into a container action.
struct Step {
    env: BTreeMap<String, String>,
    dir: tempfile::TempDir,
    /// Every value the step handles, for the leak check.
    values: Vec<String>,
    secrets: Vec<(String, String)>,
    api_url: String,
}

/// What a step left behind.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    outputs_raw: String,
    summary: String,
    workspace: PathBuf,
    values: Vec<String>,
    api_url: String,
    /// Keeps the mounted directories until the checks are done.
    _dir: tempfile::TempDir,
}

impl Step {
    fn new(api_url: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["workspace", "file_commands", "home", "workflow"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        std::fs::write(dir.path().join("workflow/event.json"), "{}").expect("event.json");
        let mut env = BTreeMap::new();
        for (k, v) in [
            ("HOME", "/github/home"),
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", REPO),
            ("GITHUB_API_URL", api_url),
            ("GITHUB_WORKSPACE", "/github/workspace"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", "/github/workflow/event.json"),
            ("GITHUB_ACTOR", "octo"),
            ("GITHUB_RUN_ID", "4242"),
            ("GITHUB_OUTPUT", "/github/file_commands/output"),
            ("GITHUB_STEP_SUMMARY", "/github/file_commands/summary"),
            ("RUNNER_OS", "Linux"),
            // Every input with its default, as the runner passes them.
            ("INPUT_TOKEN", ""),
            ("INPUT_SECRETS", ""),
            ("INPUT_FILES", ""),
            ("INPUT_PREFIX", ""),
            ("INPUT_IF-NO-FILES-FOUND", "warn"),
            ("INPUT_CURRENT", ""),
            ("INPUT_REPOSITORY", REPO),
            ("INPUT_DRY-RUN", "false"),
            ("INPUT_API-URL", api_url),
            ("INPUT_APP", "actions"),
            ("INPUT_FAIL-FAST", "false"),
            ("INPUT_ALLOW-PULL-REQUEST-TARGET", "false"),
            ("INPUT_TOKEN-EXPIRY-WARNING-DAYS", "14"),
            ("INPUT_AUDIT-LOG", ""),
        ] {
            env.insert(k.to_owned(), v.to_owned());
        }
        Self {
            env,
            dir,
            values: Vec::new(),
            secrets: Vec::new(),
            api_url: api_url.to_owned(),
        }
    }

    /// An input as the runner sets it: `INPUT_` + the name upper-cased, hyphens kept.
    fn input(mut self, name: &str, value: &str) -> Self {
        self.env.insert(
            format!("INPUT_{}", name.to_ascii_uppercase()),
            value.to_owned(),
        );
        self
    }

    fn token(mut self) -> Self {
        self.values.push(TOKEN.to_owned());
        self.input("token", TOKEN)
    }

    /// One more entry of the `secrets` input (a JSON object).
    fn secret_input(mut self, name: &str, value: &str) -> Self {
        self.values.push(value.to_owned());
        self.secrets.push((name.to_owned(), value.to_owned()));
        let map: serde_json::Map<String, serde_json::Value> = self
            .secrets
            .iter()
            .map(|(n, v)| (n.clone(), serde_json::Value::from(v.as_str())))
            .collect();
        let json = serde_json::Value::Object(map).to_string();
        self.input("secrets", &json)
    }

    /// `current` as a JSON object, like `toJSON(secrets)`.
    fn current(mut self, pairs: &[(&str, &str)]) -> Self {
        let map: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), serde_json::Value::from(*v)))
            .collect();
        self.values.extend(pairs.iter().map(|(_, v)| v.to_string()));
        let json = serde_json::to_string_pretty(&map).expect("json");
        self.input("current", &json)
    }

    /// A file in the workspace; its content is a value for the leak check.
    fn file(mut self, rel: &str, content: &str) -> Self {
        self.values.push(content.trim_end().to_owned());
        let path = self.dir.path().join("workspace").join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
        self
    }

    /// `podman run` as the runner's `docker run` for a container action: the variables are
    /// passed by name (`-e NAME`), their values in podman's own environment, which carries
    /// newlines and hyphenated names untouched.
    fn run(self, image: &Image<'_>) -> Ran {
        self.run_while(image, |_| {})
    }

    /// [`Step::run`], calling `during` with the container's name once podman runs it (to
    /// signal it with `podman kill`).
    fn run_while(self, image: &Image<'_>, during: impl FnOnce(&str)) -> Ran {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let mount = |sub: &str, at: &str| format!("{}:{at}", self.dir.path().join(sub).display());
        // Named, so a failing test removes its container (`--rm` alone needs podman to live).
        let name = format!(
            "secret-refresh-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let _container = OnDrop(|| {
            let _ = image
                .podman
                .command()
                .args(["rm", "--force", "--ignore", "--time", "0", &name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        });
        let mut cmd = image.podman.command();
        cmd.args([
            "run",
            "--rm",
            "--name",
            &name,
            "--network",
            "host",
            "--workdir",
            "/github/workspace",
        ])
        .args(["-v", &mount("workspace", "/github/workspace")])
        .args(["-v", &mount("file_commands", "/github/file_commands")])
        .args(["-v", &mount("home", "/github/home")])
        .args(["-v", &mount("workflow", "/github/workflow")]);
        for (k, v) in &self.env {
            cmd.arg("-e").arg(k).env(k, v);
        }
        cmd.arg(&image.tag)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let podman = Spawned::spawn("podman run", &mut cmd);
        // The step prints a few lines only: its pipes hold them until they are read.
        during(&name);
        let out: Output = podman.output_within(RUN_LIMIT);
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        let outputs_raw = read(self.dir.path().join("file_commands/output"));
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: text(&out.stdout),
            stderr: text(&out.stderr),
            outputs: parse_outputs(&outputs_raw).into_iter().collect(),
            outputs_raw,
            summary: read(self.dir.path().join("file_commands/summary")),
            workspace: self.dir.path().join("workspace"),
            values: self.values,
            api_url: self.api_url,
            _dir: self.dir,
        }
    }
}

impl Ran {
    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .map(String::as_str)
            .unwrap_or("<unset>")
    }

    fn workspace_file(&self, rel: &str) -> String {
        let path = self.workspace.join(rel);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", path.display(), self.transcript()))
    }

    fn assert_masked(&self, value: &str) {
        leak_check::assert_masked(&self.stdout, value);
    }

    /// No value anywhere but in `::add-mask::` lines, which come before every other line; nor in
    /// stderr, outputs, summary, or the `extra` texts.
    fn assert_no_leak(&self, extra: &[&str]) {
        let mut others = vec![
            ("stderr", self.stderr.as_str()),
            ("outputs", self.outputs_raw.as_str()),
            ("summary", self.summary.as_str()),
        ];
        others.extend(extra.iter().map(|t| ("extra", *t)));
        leak_check::assert_no_leak(&self.stdout, &others, &self.values);
    }

    /// Everything a person reads, mask data and the API address replaced by placeholders.
    fn transcript(&self) -> String {
        let redact = |text: &str| {
            let lines: Vec<&str> = text
                .lines()
                .map(|l| {
                    if l.starts_with("::add-mask::") {
                        "::add-mask::[REDACTED]"
                    } else {
                        l
                    }
                })
                .collect();
            let mut s = lines.join("\n").replace(&self.api_url, "[API]");
            for part in self.values.iter().flat_map(|v| value_parts(v)) {
                s = s.replace(&part, "[VALUE]");
            }
            s
        };
        let outputs: String = self
            .outputs
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        format!(
            "exit: {}\n--- stdout\n{}\n--- stderr\n{}\n--- outputs\n{}--- summary\n{}",
            self.code,
            redact(&self.stdout),
            redact(&self.stderr),
            outputs,
            redact(&self.summary)
        )
    }
}
