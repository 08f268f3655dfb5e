//! Runs the compiled binary the way the runner runs a container action: `INPUT_*` variables
//! (hyphens kept), `GITHUB_*` variables, temporary `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`
//! files, and nothing inherited from the machine's own environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fake_github::{AppKey, FakeGitHub, TokenSpec};

use crate::process::Spawned;

pub const BIN: &str = env!("CARGO_BIN_EXE_secret-refresh");

// Every step runs on a scaled clock (`SECRET_REFRESH_TIME_SCALE` below), which the binary reads
// only with the cargo feature `scaled-clock` (src/pacing/clock.rs): Cargo.toml's dev-dependency
// of the crate on itself turns it on for test builds. Without it the suite would wait in real
// seconds; this says why instead.
#[cfg(not(feature = "scaled-clock"))]
compile_error!(
    "the integration suite needs the feature scaled-clock (Cargo.toml's dev-dependency on the \
     crate itself turns it on for test builds)"
);
/// A classic PAT with `repo` scope, known to the fake.
pub const TOKEN: &str = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
pub const REPO: &str = "acme/api";
/// A run that has not ended by then is killed and fails its test: a hang is never a stuck suite.
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// A temporary directory for a test's files, in memory (`/dev/shm`) where the machine has it:
/// the suite writes many small files (one test a tree of 101,000), which a loaded disk makes
/// slow. Every test's temporary directories are on the same file system, so a hard link from
/// one to another can be made.
pub fn tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let in_memory = shm
        .is_dir()
        .then(|| {
            tempfile::Builder::new()
                .prefix("secret-refresh-test-")
                .tempdir_in(shm)
                .ok()
        })
        .flatten();
    match in_memory {
        Some(dir) => dir,
        None => tempfile::tempdir().expect("tempdir"),
    }
}

/// A fake GitHub holding `acme/api` and a classic `repo` token of user `octo`.
pub fn fake() -> FakeGitHub {
    let f = FakeGitHub::start();
    f.add_user("octo");
    f.add_org("acme");
    f.add_repo(REPO);
    f.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    f
}

/// A command for people, as the holder of `token`: not in Actions, the token in `GH_TOKEN` (so
/// `gh auth token` is never asked), `--api-url` the fake's.
pub fn cli_as<'a>(api: &'a FakeGitHub, token: &str, args: &[&str]) -> Step<'a> {
    let mut all: Vec<&str> = args.to_vec();
    let url = api.url();
    all.extend(["--api-url", &url]);
    Step::new(api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", token)
        .value(token)
        .args(&all)
}

/// The fake's requests as `METHOD path status` lines, for exact assertions.
pub fn calls(api: &FakeGitHub) -> Vec<String> {
    api.requests()
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect()
}

/// One action step to run.
pub struct Step<'a> {
    /// The fake the step talks to, if any: its request log goes into the leak-scan corpus.
    fake: Option<&'a FakeGitHub>,
    env: BTreeMap<String, String>,
    dir: tempfile::TempDir,
    /// Every value the step handles, for the leak check.
    pub values: Vec<String>,
    stdin: Option<String>,
    args: Vec<String>,
    /// A program (and its arguments) the binary is run under, e.g. `unshare`.
    wrapper: Vec<String>,
}

/// What a step left behind.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub outputs: BTreeMap<String, String>,
    pub outputs_raw: String,
    pub summary: String,
    pub audit: String,
    pub workspace: PathBuf,
    pub api_url: String,
    values: Vec<String>,
    /// Credentials of the keyless path, each with the one service its `Authorization` may
    /// reach (`id_token`, `sts`, `api`): the leak scan looks for it in every other's.
    pub bound: Vec<(String, &'static str)>,
}

impl<'a> Step<'a> {
    pub fn new(fake: &'a FakeGitHub) -> Self {
        let mut step = Self::with_url(&fake.url());
        step.fake = Some(fake);
        step
    }

    pub fn with_url(url: &str) -> Self {
        let dir = tempdir();
        std::fs::create_dir_all(dir.path().join("workspace")).expect("workspace");
        std::fs::create_dir_all(dir.path().join("file_commands")).expect("file_commands");
        let mut env = BTreeMap::new();
        let ws = dir.path().join("workspace");
        for (k, v) in [
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_REPOSITORY", REPO.to_owned()),
            ("GITHUB_API_URL", url.to_owned()),
            ("GITHUB_WORKSPACE", ws.display().to_string()),
            ("GITHUB_EVENT_NAME", "push".to_owned()),
            ("GITHUB_ACTOR", "octo".to_owned()),
            ("GITHUB_RUN_ID", "4242".to_owned()),
            (
                "GITHUB_OUTPUT",
                dir.path()
                    .join("file_commands/output")
                    .display()
                    .to_string(),
            ),
            (
                "GITHUB_STEP_SUMMARY",
                dir.path()
                    .join("file_commands/summary")
                    .display()
                    .to_string(),
            ),
            // A home of the step's own: what a command keeps in the user's data directory
            // (`rotate`'s record) stays in the test's directory, never the machine's.
            ("HOME", dir.path().join("home").display().to_string()),
            // Waits shrink a thousandfold so retry and rate-limit tests run fast.
            ("SECRET_REFRESH_TIME_SCALE", "0.001".to_owned()),
            // Action defaults as the runner passes them.
            ("INPUT_IF-NO-FILES-FOUND", "warn".to_owned()),
            ("INPUT_DRY-RUN", "false".to_owned()),
            ("INPUT_APP", "actions".to_owned()),
            ("INPUT_FAIL-FAST", "false".to_owned()),
            ("INPUT_ALLOW-PULL-REQUEST-TARGET", "false".to_owned()),
            ("INPUT_TOKEN-EXPIRY-WARNING-DAYS", "14".to_owned()),
            ("INPUT_REPOSITORY", REPO.to_owned()),
            ("INPUT_API-URL", url.to_owned()),
        ] {
            env.insert(k.to_owned(), v);
        }
        Self {
            fake: None,
            env,
            dir,
            values: Vec::new(),
            stdin: None,
            args: Vec::new(),
            wrapper: Vec::new(),
        }
    }

    /// Runs the binary under `prefix` (the binary's path and arguments follow it).
    pub fn wrap(mut self, prefix: &[&str]) -> Self {
        self.wrapper = prefix.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Sets an input as the runner does: `INPUT_` + the name upper-cased, hyphens kept.
    pub fn input(mut self, name: &str, value: &str) -> Self {
        self.env.insert(
            format!("INPUT_{}", name.to_ascii_uppercase()),
            value.to_owned(),
        );
        self
    }

    pub fn token(self) -> Self {
        self.token_value(TOKEN)
    }

    pub fn token_value(mut self, token: &str) -> Self {
        self.values.push(token.to_owned());
        self.input("token", token)
    }

    /// Authenticates as the GitHub App `id` with the shared test key (`app-id` and
    /// `app-private-key`); the key is registered as a value for the leak check.
    pub fn app(mut self, id: u64) -> Self {
        let key = AppKey::shared().pkcs1_pem.clone();
        self.values.push(key.clone());
        self.input("app-id", &id.to_string())
            .input("app-private-key", &key)
    }

    /// A file in the workspace; its content is registered as a value for the leak check.
    pub fn file(mut self, rel: &str, content: &str) -> Self {
        self.values.push(content.trim_end_matches('\n').to_owned());
        self.file_bytes(rel, content.as_bytes())
    }

    pub fn file_bytes(self, rel: &str, content: &[u8]) -> Self {
        let path = self.workspace().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
        self
    }

    /// `secrets` input given as `NAME=value` lines; values registered for the leak check.
    pub fn secrets(mut self, pairs: &[(&str, &str)]) -> Self {
        let text: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        self.values.extend(pairs.iter().map(|(_, v)| v.to_string()));
        self.input("secrets", &text.join("\n"))
    }

    /// `current` given as a JSON object, like `toJSON(secrets)`.
    pub fn current(mut self, pairs: &[(&str, &str)]) -> Self {
        let map: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), serde_json::Value::from(*v)))
            .collect();
        self.values.extend(pairs.iter().map(|(_, v)| v.to_string()));
        self.input(
            "current",
            &serde_json::to_string_pretty(&map).expect("json"),
        )
    }

    /// Registers a value the leak check looks for.
    pub fn value(mut self, v: &str) -> Self {
        self.values.push(v.to_owned());
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.insert(k.to_owned(), v.to_owned());
        self
    }

    pub fn remove_env(mut self, k: &str) -> Self {
        self.env.remove(k);
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn stdin(mut self, s: &str) -> Self {
        self.stdin = Some(s.to_owned());
        self
    }

    pub fn workspace(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// Runs the step: in this process when it can ([`Step::runs_in_process`]), else the
    /// compiled binary.
    pub fn run(&self) -> Ran {
        if self.runs_in_process() {
            return self.run_in_process();
        }
        self.run_while(|_| {})
    }

    /// Whether [`Step::run`] calls `secret_refresh::run` in this process (with the step's
    /// environment, arguments, standard input, the workspace as its working directory and two
    /// buffers) instead of starting the binary. A step with a wrapper runs the binary, and so
    /// does one naming CA certificates (`SSL_CERT_FILE`, `SSL_CERT_DIR`): the TLS roots are
    /// read from the process's own environment, by `rustls-native-certs`. Every step runs the
    /// binary when `SECRET_REFRESH_TEST_BINARY` is set, to run the whole suite the runner's way.
    fn runs_in_process(&self) -> bool {
        const READ_BY_THE_TLS_LIBRARY: [&str; 2] = ["SSL_CERT_FILE", "SSL_CERT_DIR"];
        self.wrapper.is_empty()
            && !READ_BY_THE_TLS_LIBRARY
                .iter()
                .any(|k| self.env.contains_key(*k))
            && std::env::var_os("SECRET_REFRESH_TEST_BINARY").is_none()
    }

    fn run_in_process(&self) -> Ran {
        let env = secret_refresh::Env::from_pairs(
            crate::process::clock_env()
                .into_iter()
                .chain(self.env.clone())
                .chain([("PATH".to_owned(), std::env::var("PATH").unwrap_or_default())]),
        )
        .in_dir(self.workspace());
        let env = match &self.stdin {
            Some(input) => env.with_stdin(input.as_bytes()),
            None => env,
        };
        let args: Vec<String> = std::iter::once(BIN.to_owned())
            .chain(self.args.iter().cloned())
            .collect();
        let (out, err) = (Captured::default(), Captured::default());
        let (o, e) = (out.clone(), err.clone());
        // A thread of its own, as the binary has a process of its own: what the run binds to
        // its thread ends with it.
        let code = std::thread::spawn(move || secret_refresh::run(args, env, o, e))
            .join()
            .expect("the run panicked");
        self.ran(exit_code(code), out.text(), err.text())
    }

    /// [`Step::run`], calling `during` with the process id once it runs (to signal it).
    pub fn run_while(&self, during: impl FnOnce(u32)) -> Ran {
        let mut cmd = match self.wrapper.split_first() {
            Some((program, prefix)) => {
                let mut c = Command::new(program);
                c.args(prefix).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        cmd.env_clear()
            // A shifted clock (.ci/test's date guard) reaches the binary as it reaches the fake.
            .envs(crate::process::clock_env())
            .envs(&self.env)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .args(&self.args)
            .current_dir(self.workspace())
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = Spawned::spawn("secret-refresh", &mut cmd);
        if let Some(input) = &self.stdin {
            use std::io::Write;
            let mut stdin = child.child().stdin.take().expect("stdin");
            // A command may exit without reading its input (a usage error): not a test failure.
            let _ = stdin.write_all(input.as_bytes());
        }
        during(child.id());
        let out = child.output_within(RUN_LIMIT);
        self.ran(
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// What the step left behind, given what it printed and its exit code.
    fn ran(&self, code: i32, stdout: String, stderr: String) -> Ran {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let outputs_raw = read(&self.dir.path().join("file_commands/output"));
        let audit_path = self
            .env
            .get("INPUT_AUDIT-LOG")
            .map(|p| self.workspace().join(p));
        let ran = Ran {
            code,
            stdout,
            stderr,
            outputs: secret_refresh::output::files::parse_outputs(&outputs_raw)
                .into_iter()
                .collect(),
            outputs_raw,
            summary: read(&self.dir.path().join("file_commands/summary")),
            // Only a regular file: a test may leave a FIFO or a link there on purpose.
            audit: audit_path
                .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
                .map(|p| read(&p))
                .unwrap_or_default(),
            workspace: self.workspace(),
            api_url: self.env.get("GITHUB_API_URL").cloned().unwrap_or_default(),
            values: self.values.clone(),
            bound: Vec::new(),
        };
        let ran = match self.fake {
            Some(fake) => keyless_credentials(ran, fake),
            None => ran,
        };
        record_for_leak_scan(&ran, self.fake.map(FakeGitHub::requests_jsonl));
        ran
    }
}

/// A buffer a run in this process writes its standard output or error to.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl secret_refresh::Stream for Captured {}

/// The number in an `ExitCode` (it has no getter, but compares).
fn exit_code(code: std::process::ExitCode) -> i32 {
    (0..=u8::MAX)
        .find(|n| std::process::ExitCode::from(*n) == code)
        .map(i32::from)
        .expect("an exit code")
}

/// The keyless path's credentials the fake handed out or minted, as values of the run (for
/// every leak check) and bound to the one service each may be sent to: the runner's request
/// token to the ID-token service, each ID token to the exchange, each exchanged token to the
/// API.
fn keyless_credentials(mut ran: Ran, fake: &FakeGitHub) -> Ran {
    let mut bound: Vec<(String, &'static str)> = vec![(fake.id_token_request_token(), "id_token")];
    bound.extend(fake.id_tokens().into_iter().map(|t| (t, "sts")));
    bound.extend(
        fake.exchanged_tokens()
            .into_iter()
            .map(|(m, _)| (m.token, "api")),
    );
    for (v, _) in &bound {
        if !ran.values.contains(v) {
            ran.values.push(v.clone());
        }
    }
    ran.bound = bound;
    ran
}

/// Where every run of the suite leaves what it printed and wrote, for tests/leak_scan.rs.
pub fn leak_corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("leak-corpus")
}

/// Saves everything a run printed or wrote, with the values it handled and the fake's request
/// log, so one scan can look for every value in everything the suite produced.
fn record_for_leak_scan(ran: &Ran, requests: Option<String>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = leak_corpus_dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .replace("::", ".");
    let record = serde_json::json!({
        "test": test,
        "values": ran.values,
        "stdout": ran.stdout,
        "stderr": ran.stderr,
        "outputs": ran.outputs_raw,
        "summary": ran.summary,
        "audit": without_long_nul_runs(&ran.audit),
        "requests": requests.unwrap_or_default(),
        "bound": ran
            .bound
            .iter()
            .map(|(value, service)| serde_json::json!({"value": value, "service": service}))
            .collect::<Vec<_>>(),
    });
    let file = dir.join(format!(
        "{test}-{}-{}.json",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::write(file, record.to_string());
}

/// `text` with every run of 4,096 or more NUL characters cut to one: a sparse file
/// (a test's 32 MiB audit log) holds no value in its holes, and written out whole it would
/// cost the corpus 200 MB of `\u0000`.
fn without_long_nul_runs(text: &str) -> std::borrow::Cow<'_, str> {
    const LONG: usize = 4096;
    let zeros = [0u8; LONG];
    let long = std::str::from_utf8(&zeros).expect("NULs are UTF-8");
    if !text.contains(long) {
        return text.into();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(long) {
        out.push_str(&rest[..at]);
        out.push('\0');
        // Past the run: whole blocks compared at once, then byte by byte.
        let bytes = rest.as_bytes();
        let mut end = at;
        while bytes.get(end..end + LONG) == Some(&zeros[..]) {
            end += LONG;
        }
        while bytes.get(end) == Some(&0) {
            end += 1;
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.into()
}

pub use crate::leak_check::value_parts;

impl Ran {
    /// Registers a value known only after the run (a token the fake minted) for the leak
    /// check and redaction.
    pub fn value(mut self, v: &str) -> Self {
        self.values.push(v.to_owned());
        self
    }

    pub fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .map(String::as_str)
            .unwrap_or("<unset>")
    }

    /// No value appears anywhere but in `::add-mask::` lines printed before every other line.
    pub fn assert_no_leak(&self) {
        crate::leak_check::assert_no_leak(
            &self.stdout,
            &[
                ("stderr", &self.stderr),
                ("outputs", &self.outputs_raw),
                ("summary", &self.summary),
                ("audit log", &self.audit),
            ],
            &self.values,
        );
    }

    /// stdout and stderr as a person reads them, with the API address and values replaced.
    pub fn screen(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            self.redact(&self.stdout),
            self.redact(&self.stderr)
        )
    }

    /// Every value handled was masked (when the step ran as an action).
    pub fn assert_masked(&self, value: &str) {
        crate::leak_check::assert_masked(&self.stdout, value);
    }

    /// Output with mask data, the API address and the workspace replaced by placeholders.
    pub fn redact(&self, text: &str) -> String {
        let mut out: Vec<String> = Vec::new();
        for line in text.lines() {
            if line.starts_with("::add-mask::") {
                out.push("::add-mask::[REDACTED]".into());
            } else {
                out.push(line.to_owned());
            }
        }
        let mut s = out.join("\n");
        if !self.api_url.is_empty() {
            s = s.replace(&self.api_url, "[API]");
        }
        s = s.replace(&self.workspace.display().to_string(), "[WORKSPACE]");
        // The step's own home (beside the workspace): a per-run temporary path.
        if let Some(root) = self.workspace.parent() {
            s = s.replace(&root.join("home").display().to_string(), "[HOME]");
        }
        for v in &self.values {
            for part in value_parts(v) {
                s = s.replace(&part, "[VALUE]");
            }
        }
        s
    }

    /// A snapshot of everything a person reads: stdout, stderr, outputs, summary.
    pub fn transcript(&self) -> String {
        let mut outputs = String::new();
        for (k, v) in &self.outputs {
            outputs.push_str(&format!("{k}={v}\n"));
        }
        format!(
            "exit: {}\n--- stdout\n{}\n--- stderr\n{}\n--- outputs\n{}--- summary\n{}",
            self.code,
            self.redact(&self.stdout),
            self.redact(&self.stderr),
            outputs,
            self.redact(&self.summary)
        )
    }
}

/// An insta snapshot with times and dates replaced (same widths, so tables stay aligned).
#[macro_export]
macro_rules! snapshot_times {
    ($e:expr) => {
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"),
            (r"T\d{2}:\d{2}:\d{2}Z", "Thh:mm:ssZ"),
            (r"\b\d{2}:\d{2}:\d{2}\b", "hh:mm:ss"),
            (r"\b\d{2}:\d{2}\b", "hh:mm"),
            (r#""age_seconds": \d+"#, r#""age_seconds": [SECS]"#),
            (r"SECRET_REFRESH_PREFLIGHT_[0-9A-F]{16}", "SECRET_REFRESH_PREFLIGHT_[RANDOM]"),
        ]}, { insta::assert_snapshot!($e) })
    };
}
