//! `cargo bench --bench compare`: secret-refresh side by side with `gh secret set`, both run
//! against the fake GitHub API (tests/fake-github) over TLS. Prints one markdown table and writes
//! it, with how it was measured, to `BENCHMARKS.md`.
//!
//! What it runs:
//! - our release binary, the static one `.ci/test` builds (`SECRET_REFRESH_STATIC_BIN`, else built
//!   here with the same command into `target/static`, a no-op when it is up to date); for the
//!   figures on a scaled clock (5, and 6 past 20 writes), this bench's own build of the binary
//!   (`CARGO_BIN_EXE_secret-refresh`: the same sources with the feature `scaled-clock`, which
//!   the release binary lacks, so it reads no time scale);
//! - Debian's `gh` (installed with apt-get when missing), pointed at the fake with `GH_HOST`,
//!   `GH_ENTERPRISE_TOKEN` and `SSL_CERT_FILE` (a self-signed certificate made per run);
//! - podman, for the image size (reported as n/a when podman is not installed).
//!
//! Every figure is the median of several runs, and the two tools are measured in the same run,
//! alternating, so a ratio compares like with like. Environment knobs: `BENCH_RUNS` (jobs,
//! default 5), `BENCH_STARTUP_RUNS` (default 30), `BENCH_LIMIT_RUNS` (default 3),
//! `BENCH_PACING_RUNS` (default 3), and `BENCH_ONLY=6`: measure only figure 6 (GitHub's rules
//! kept from 20 to 1,000 writes, [`pacing`]) and replace only its rows in `BENCHMARKS.md`.

// A benchmark's output is its table.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use fake_github::{FakeGitHub, Options, TlsConfig};

#[path = "compare/jobs.rs"]
mod jobs;
#[path = "compare/pacing.rs"]
mod pacing;
use jobs::Job;

const TOKEN: &str = "ghp_BeNcHmArK0123456789abcdefghijklmnop";
/// Latency the fake adds to every request in the wall-time jobs.
const LATENCY: Duration = Duration::from_millis(50);
/// The fake's secondary limit: content-creating requests per token per (scaled) minute.
const SECONDARY_LIMIT: u32 = 20;
/// How much faster than real time the rate-limit runs go: the fake's "minute" lasts 6 s. Our
/// binary's waits shrink by the same factor (`SECRET_REFRESH_TIME_SCALE = 1 / 10`), and the fake
/// gives `retry-after` in the same scaled seconds, so both sides keep GitHub's proportions.
const LIMIT_TIME_SCALE: f64 = 10.0;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "6") {
        pacing::only_figure_6(&root);
        return;
    }
    let runs = env_count("BENCH_RUNS", 5);
    let startup_runs = env_count("BENCH_STARTUP_RUNS", 30);
    let limit_runs = env_count("BENCH_LIMIT_RUNS", 3);
    let started = Instant::now();

    let gh_version = ensure_gh();
    let ours = static_binary(&root);
    let work = tempfile::tempdir().expect("tempdir");
    let bench = Bench::new(work.path(), ours.clone());

    let mut rows = Vec::new();
    let jobs = jobs::request_jobs();

    // 1 and 2: the same runs give the request counts and the wall times.
    let mut measured = Vec::new();
    for job in &jobs {
        note(&format!("jobs: {} ({runs} runs each tool)", job.label));
        measured.push(bench.job(job, runs));
    }
    for (job, m) in jobs.iter().zip(&measured) {
        rows.push(Row {
            figure: "1 requests per run".into(),
            case: job.label.clone(),
            ours: m.ours_requests.to_string(),
            minimum: job.minimum_requests().to_string(),
            gh: m.gh_requests.to_string(),
            ratio: ratio(m.gh_requests as f64, m.ours_requests as f64),
        });
    }
    // secret-refresh waits a second between writes, as GitHub asks.
    for (job, m) in jobs.iter().zip(&measured) {
        let paced = if job.writes() > 1 {
            "; secret-refresh waits a second between writes"
        } else {
            ""
        };
        rows.push(Row {
            figure: "2 wall time, 50 ms latency per request".into(),
            case: format!(
                "{} (gh: `gh secret set -f` per repository{paced})",
                job.label
            ),
            ours: ms(m.ours_time),
            minimum: "—".into(),
            gh: ms(m.gh_time),
            ratio: ratio(m.gh_time.as_secs_f64(), m.ours_time.as_secs_f64()),
        });
    }

    // 3: start-up.
    note(&format!("start-up ({startup_runs} runs each path)"));
    let s = bench.startup(startup_runs);
    rows.push(Row {
        figure: "3 start-up (process wall time)".into(),
        case: format!(
            "no token: skip ({} requests; gh: exits asking for a token)",
            s.skip_requests
        ),
        ours: ms(s.skip),
        minimum: "—".into(),
        gh: ms(s.gh_no_token),
        ratio: ratio(s.gh_no_token.as_secs_f64(), s.skip.as_secs_f64()),
    });
    rows.push(Row {
        figure: "3 start-up (process wall time)".into(),
        case: format!(
            "nothing changed ({} requests; gh cannot compare, it writes: row 2)",
            s.unchanged_requests
        ),
        ours: ms(s.unchanged),
        minimum: "—".into(),
        gh: "—".into(),
        ratio: "—".into(),
    });

    // 4: size.
    note("size (podman build of the Dockerfile's final stage)");
    let ours_size = file_size(&ours);
    let gh_path = which("gh").expect("gh is installed");
    let gh_size = file_size(&gh_path);
    rows.push(Row {
        figure: "4 size".into(),
        case: "binary (ours: static, stripped; gh: Debian's, dynamically linked)".into(),
        ours: mib(ours_size),
        minimum: "—".into(),
        gh: mib(gh_size),
        ratio: ratio(gh_size as f64, ours_size as f64),
    });
    let image = image_size(&root, &ours);
    rows.push(Row {
        figure: "4 size".into(),
        case: "container image (`FROM scratch`: binary + CA bundle)".into(),
        ours: match &image {
            Ok(bytes) => mib(*bytes),
            Err(why) => format!("n/a ({why})"),
        },
        minimum: "—".into(),
        gh: "n/a".into(),
        ratio: "—".into(),
    });

    // 5: secondary rate limits.
    note(&format!(
        "secondary rate limit: 100 writes, {SECONDARY_LIMIT} per scaled minute ({limit_runs} runs each tool)"
    ));
    let l = bench.limited(&jobs[3], limit_runs);
    let limited_rows = [
        (
            "writes completed, of 100",
            l.ours_done.to_string(),
            "100",
            l.gh_done.to_string(),
            ratio(l.gh_done as f64, l.ours_done as f64),
        ),
        (
            "requests",
            l.ours_requests.to_string(),
            "105",
            l.gh_requests.to_string(),
            ratio(l.gh_requests as f64, l.ours_requests as f64),
        ),
        (
            "403 secondary-limit answers",
            l.ours_403.to_string(),
            "0",
            l.gh_403.to_string(),
            ratio(l.gh_403 as f64, l.ours_403 as f64),
        ),
        (
            "wall time (a minute lasts 6 s here)",
            ms(l.ours_time),
            "—",
            ms(l.gh_time),
            ratio(l.gh_time.as_secs_f64(), l.ours_time.as_secs_f64()),
        ),
    ];
    for (case, ours, minimum, gh, r) in limited_rows {
        rows.push(Row {
            figure: format!("5 secondary limit, {SECONDARY_LIMIT} writes/min"),
            case: format!("20 secrets × 5 repositories: {case}"),
            ours,
            minimum: minimum.into(),
            gh,
            ratio: r,
        });
    }

    // 6: GitHub's rules kept, 20 to 1,000 writes, against the compliant floor.
    let pacing_runs = env_count("BENCH_PACING_RUNS", 3);
    rows.extend(pacing::figure_6(&bench, pacing_runs));

    let table = render_table(&rows);
    let mut facts = BTreeMap::new();
    facts.insert("commit", git_head(&root));
    facts.insert("gh", gh_version);
    facts.insert("cores", cores().to_string());
    facts.insert(
        "benchmark time",
        format!("{:.0} s", started.elapsed().as_secs_f64()),
    );
    let doc = render_doc(
        &table,
        &Meta {
            runs,
            startup_runs,
            limit_runs,
            pacing_runs,
            facts: facts.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
        },
    );
    std::fs::write(root.join("BENCHMARKS.md"), &doc).expect("write BENCHMARKS.md");
    println!("{table}");
    note(&format!(
        "wrote BENCHMARKS.md in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

// ---- the jobs -----------------------------------------------------------------------------------

struct JobResult {
    ours_requests: usize,
    gh_requests: usize,
    ours_time: Duration,
    gh_time: Duration,
}

struct LimitResult {
    ours_done: usize,
    gh_done: usize,
    ours_requests: usize,
    gh_requests: usize,
    ours_403: usize,
    gh_403: usize,
    ours_time: Duration,
    gh_time: Duration,
}

impl LimitResult {
    /// The medians of both tools' runs under a secondary limit.
    fn of(ours: &[Run], gh: &[Run]) -> LimitResult {
        LimitResult {
            ours_done: median_count(ours.iter().map(|r| r.done)),
            gh_done: median_count(gh.iter().map(|r| r.done)),
            ours_requests: median_count(ours.iter().map(|r| r.requests)),
            gh_requests: median_count(gh.iter().map(|r| r.requests)),
            ours_403: median_count(ours.iter().map(|r| r.secondary_403)),
            gh_403: median_count(gh.iter().map(|r| r.secondary_403)),
            ours_time: median_time(ours.iter().map(|r| r.elapsed)),
            gh_time: median_time(gh.iter().map(|r| r.elapsed)),
        }
    }
}

struct Startup {
    skip: Duration,
    unchanged: Duration,
    gh_no_token: Duration,
    skip_requests: usize,
    unchanged_requests: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Ours,
    Gh,
}

/// What one run of one tool did.
struct Run {
    elapsed: Duration,
    requests: usize,
    secondary_403: usize,
    /// Secrets holding their new value afterwards, over every repository.
    done: usize,
    /// The least time between two writes' arrivals at the fake (real time).
    min_gap: Option<Duration>,
}

struct Bench {
    dir: PathBuf,
    /// The static release binary.
    ours: PathBuf,
    /// The same sources built with the feature `scaled-clock` (this bench's own build of the
    /// binary), for the figures on a scaled clock: the release binary reads no time scale.
    scaled: PathBuf,
    cert_pem: String,
    key_pem: String,
    cert_file: PathBuf,
}

impl Bench {
    fn new(dir: &Path, ours: PathBuf) -> Self {
        let (cert_pem, key_pem) = fake_github::self_signed(&["localhost", "127.0.0.1"]);
        let cert_file = dir.join("fake-github.pem");
        std::fs::write(&cert_file, &cert_pem).expect("write certificate");
        for d in ["home", "gh-config"] {
            std::fs::create_dir_all(dir.join(d)).expect("mkdir");
        }
        Self {
            dir: dir.to_path_buf(),
            ours,
            scaled: PathBuf::from(env!("CARGO_BIN_EXE_secret-refresh")),
            cert_pem,
            key_pem,
            cert_file,
        }
    }

    fn fake(&self, opts: Options) -> FakeGitHub {
        FakeGitHub::start_with(Options {
            tls: Some(TlsConfig {
                cert_pem: self.cert_pem.clone(),
                key_pem: self.key_pem.clone(),
            }),
            ..opts
        })
    }

    /// A fresh fake holding the job's repositories and their stored values.
    fn world(&self, job: &Job, round: usize, opts: Options) -> FakeGitHub {
        let gh = self.fake(opts);
        job.seed(&gh, TOKEN, round);
        gh
    }

    fn host(gh: &FakeGitHub) -> String {
        format!("localhost:{}", gh.port())
    }

    /// The environment both tools get: nothing from this machine's own GitHub settings.
    fn base_command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.join("home"))
            .env("SSL_CERT_FILE", &self.cert_file)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }

    fn gh_command(&self, gh: &FakeGitHub, token: Option<&str>) -> Command {
        let mut cmd = self.base_command(Path::new("gh"));
        cmd.env("GH_HOST", Self::host(gh))
            .env("GH_CONFIG_DIR", self.dir.join("gh-config"))
            .env("GH_NO_UPDATE_NOTIFIER", "1")
            .env("GH_PROMPT_DISABLED", "1");
        if let Some(t) = token {
            cmd.env("GH_ENTERPRISE_TOKEN", t);
        }
        cmd
    }

    /// One run of one tool on a fresh fake; checks that every secret holds its new value
    /// unless `allow_failure` (the rate-limited runs, where gh is expected to fail).
    fn run_once(
        &self,
        tool: Tool,
        job: &Job,
        round: usize,
        opts: Options,
        allow_failure: bool,
    ) -> Run {
        let gh = self.world(job, round, opts.clone());
        let (new, current) = job.files(&self.dir, round);
        let (elapsed, outputs) = match tool {
            Tool::Ours => {
                // On a scaled clock, the build with the feature `scaled-clock`, told the scale.
                let scaled = opts.time_scale != 1.0;
                let mut cmd = self.base_command(if scaled { &self.scaled } else { &self.ours });
                cmd.env("GH_HOST", Self::host(&gh))
                    .env("GH_TOKEN", TOKEN)
                    .args(job.sync_args(&new, &current));
                if scaled {
                    cmd.env(
                        "SECRET_REFRESH_TIME_SCALE",
                        format!("{}", 1.0 / opts.time_scale),
                    );
                }
                let t = Instant::now();
                let out = cmd.output().expect("run secret-refresh");
                (t.elapsed(), vec![("secret-refresh", out)])
            }
            Tool::Gh => {
                let t = Instant::now();
                let mut outs = Vec::new();
                for r in 0..job.repos {
                    let out = self
                        .gh_command(&gh, Some(TOKEN))
                        .args(["secret", "set", "-f"])
                        .arg(&new)
                        .arg("-R")
                        .arg(format!("{}/{}", Self::host(&gh), job.repo(r)))
                        .output()
                        .expect("run gh");
                    outs.push(("gh secret set", out));
                }
                (t.elapsed(), outs)
            }
        };
        if !allow_failure {
            for (what, out) in &outputs {
                check(what, out);
            }
        }
        let done = job.done(&gh, round);
        let requests = gh.requests();
        let secondary_403 = requests
            .iter()
            .filter(|q| q.status == 403 && q.method == "PUT")
            .count();
        if !allow_failure {
            assert_eq!(
                done,
                job.repos * job.secrets,
                "{tool} left secrets without their new value",
                tool = if tool == Tool::Ours { "ours" } else { "gh" }
            );
        }
        Run {
            elapsed,
            requests: requests.len(),
            secondary_403,
            done,
            min_gap: gh.min_gap_between_writes(),
        }
    }

    /// Both tools, alternating which goes first, `runs` times each.
    fn pairs(
        &self,
        job: &Job,
        runs: usize,
        opts: &Options,
        allow_failure: bool,
    ) -> (Vec<Run>, Vec<Run>) {
        let (mut ours, mut gh) = (Vec::new(), Vec::new());
        for round in 0..runs {
            let order = if round % 2 == 0 {
                [Tool::Ours, Tool::Gh]
            } else {
                [Tool::Gh, Tool::Ours]
            };
            for tool in order {
                let run = self.run_once(tool, job, round, opts.clone(), allow_failure);
                match tool {
                    Tool::Ours => ours.push(run),
                    Tool::Gh => gh.push(run),
                }
            }
        }
        (ours, gh)
    }

    /// secret-refresh alone, `runs` times.
    fn ours_only(&self, job: &Job, runs: usize, opts: &Options) -> Vec<Run> {
        (0..runs)
            .map(|round| self.run_once(Tool::Ours, job, round, opts.clone(), true))
            .collect()
    }

    fn job(&self, job: &Job, runs: usize) -> JobResult {
        let opts = Options {
            latency: LATENCY,
            ..Options::default()
        };
        let (ours, gh) = self.pairs(job, runs, &opts, false);
        JobResult {
            ours_requests: median_count(ours.iter().map(|r| r.requests)),
            gh_requests: median_count(gh.iter().map(|r| r.requests)),
            ours_time: median_time(ours.iter().map(|r| r.elapsed)),
            gh_time: median_time(gh.iter().map(|r| r.elapsed)),
        }
    }

    fn limited(&self, job: &Job, runs: usize) -> LimitResult {
        let opts = Options {
            secondary_limit_per_minute: Some(SECONDARY_LIMIT),
            time_scale: LIMIT_TIME_SCALE,
            retry_after_scaled: true,
            ..Options::default()
        };
        let (ours, gh) = self.pairs(job, runs, &opts, true);
        LimitResult::of(&ours, &gh)
    }

    /// The action as the runner starts it (`INPUT_*`), on its two paths that make no request:
    /// no token, and nothing changed. gh's nearest path: no token.
    fn startup(&self, runs: usize) -> Startup {
        let job = Job::new("start-up", 1, 5, 0);
        let gh = self.world(&job, 0, Options::default());
        let secrets: String = (0..job.secrets)
            .map(|i| format!("{}={}\n", job.name(i), job.new_value(i, 0)))
            .collect();
        let action = |token: &str| {
            let files = self.dir.join("file_commands");
            let ws = self.dir.join("workspace");
            std::fs::create_dir_all(&files).expect("mkdir");
            std::fs::create_dir_all(&ws).expect("mkdir");
            let mut cmd = self.base_command(&self.ours);
            for (k, v) in [
                ("GITHUB_ACTIONS", "true".to_owned()),
                ("GITHUB_REPOSITORY", job.repo(0)),
                ("GITHUB_API_URL", gh.url()),
                ("GITHUB_WORKSPACE", ws.display().to_string()),
                ("GITHUB_EVENT_NAME", "push".into()),
                ("GITHUB_OUTPUT", files.join("output").display().to_string()),
                (
                    "GITHUB_STEP_SUMMARY",
                    files.join("summary").display().to_string(),
                ),
                ("INPUT_TOKEN", token.into()),
                ("INPUT_SECRETS", secrets.clone()),
                ("INPUT_CURRENT", secrets.clone()),
                ("INPUT_REPOSITORY", job.repo(0)),
                ("INPUT_API-URL", gh.url()),
                ("INPUT_IF-NO-FILES-FOUND", "warn".into()),
                ("INPUT_DRY-RUN", "false".into()),
                ("INPUT_APP", "actions".into()),
                ("INPUT_FAIL-FAST", "false".into()),
                ("INPUT_ALLOW-PULL-REQUEST-TARGET", "false".into()),
                ("INPUT_TOKEN-EXPIRY-WARNING-DAYS", "14".into()),
            ] {
                cmd.env(k, v);
            }
            cmd
        };
        let time = |mut cmd: Command, what: &str, must_succeed: bool| -> Duration {
            let t = Instant::now();
            let out = cmd.output().expect("run");
            let elapsed = t.elapsed();
            if must_succeed {
                check(what, &out);
            }
            elapsed
        };
        let (mut skip, mut unchanged, mut gh_no_token) = (Vec::new(), Vec::new(), Vec::new());
        let (mut skip_requests, mut unchanged_requests) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let before = gh.requests().len();
            skip.push(time(action(""), "secret-refresh (no token)", true));
            let middle = gh.requests().len();
            unchanged.push(time(action(TOKEN), "secret-refresh (unchanged)", true));
            let after = gh.requests().len();
            skip_requests.push(middle - before);
            unchanged_requests.push(after - middle);
            let mut g = self.gh_command(&gh, None);
            g.args(["secret", "set", "X", "-b", "v", "-R"]).arg(format!(
                "{}/{}",
                Self::host(&gh),
                job.repo(0)
            ));
            gh_no_token.push(time(g, "gh (no token)", false));
        }
        Startup {
            skip: median_time(skip.into_iter()),
            unchanged: median_time(unchanged.into_iter()),
            gh_no_token: median_time(gh_no_token.into_iter()),
            skip_requests: median_count(skip_requests.into_iter()),
            unchanged_requests: median_count(unchanged_requests.into_iter()),
        }
    }
}

fn check(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- the tools ----------------------------------------------------------------------------------

/// `gh --version`'s first line; installs Debian's `gh` when it is missing.
fn ensure_gh() -> String {
    let version = || {
        Command::new("gh")
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
    };
    if let Some(v) = version() {
        return v;
    }
    note("gh is missing: apt-get install gh");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = |args: &[&str]| {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        let status = cmd
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .expect("run apt-get");
        assert!(status.success(), "apt-get {} failed", args.join(" "));
    };
    apt(&["update", "-qq"]);
    apt(&["install", "-y", "-qq", "gh"]);
    version().expect("gh --version after installing it")
}

/// The static release binary: `SECRET_REFRESH_STATIC_BIN`, else the build `.ci/test` makes
/// (a no-op when it is up to date).
fn static_binary(root: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("SECRET_REFRESH_STATIC_BIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "SECRET_REFRESH_STATIC_BIN={} is not a file",
            p.display()
        );
        return p;
    }
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    let triple = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("host triple");
    note(&format!("static release binary ({triple}, target/static)"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .args(["build", "--release", "--locked", "--target", &triple])
        .args(["--bin", "secret-refresh", "--target-dir", "target/static"])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building the static binary failed");
    root.join("target/static")
        .join(&triple)
        .join("release/secret-refresh")
}

/// Builds the image as the container test does: the `Dockerfile`'s stage after the last
/// `FROM scratch`, each `COPY --from=build <src> <dst>` copying a staged file instead.
fn image_size(root: &Path, binary: &Path) -> Result<u64, String> {
    if Command::new("podman").arg("--version").output().is_err() {
        return Err("podman is not installed".into());
    }
    let conf = match std::env::var("CONTAINERS_CONF") {
        Ok(c) if !c.is_empty() => c,
        _ => {
            let out = Command::new("bash")
                .arg(root.join(".ci/setup"))
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!(".ci/setup: {e}"))?;
            if !out.status.success() {
                return Err(".ci/setup failed".into());
            }
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let dockerfile =
        std::fs::read_to_string(root.join("Dockerfile")).map_err(|e| format!("Dockerfile: {e}"))?;
    let context = tempfile::tempdir().map_err(|e| e.to_string())?;
    let lines: Vec<&str> = dockerfile.lines().collect();
    let from = lines
        .iter()
        .rposition(|l| {
            let w: Vec<String> = l.split_whitespace().map(str::to_ascii_lowercase).collect();
            w.len() >= 2 && w[0] == "from" && w[1] == "scratch"
        })
        .ok_or("the Dockerfile has no `FROM scratch` stage")?;
    let mut out = vec!["FROM scratch".to_owned()];
    for line in &lines[from + 1..] {
        let words: Vec<&str> = line.split_whitespace().collect();
        if !words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("copy"))
        {
            out.push((*line).to_owned());
            continue;
        }
        let (flags, paths): (Vec<&str>, Vec<&str>) =
            words[1..].iter().partition(|w| w.starts_with("--"));
        if !flags.contains(&"--from=build") || paths.len() != 2 {
            return Err(format!("cannot rebuild `{line}`"));
        }
        let host = match paths[0] {
            "/out/secret-refresh" => binary.to_path_buf(),
            other => PathBuf::from(other), // the CA bundle: the host's
        };
        let local = format!("stage{}", paths[0]);
        let staged = context.path().join(&local);
        std::fs::create_dir_all(staged.parent().ok_or("path")?).map_err(|e| e.to_string())?;
        std::fs::copy(&host, &staged).map_err(|e| format!("stage {}: {e}", host.display()))?;
        let mut copy: Vec<&str> = vec!["COPY"];
        copy.extend(flags.into_iter().filter(|f| *f != "--from=build"));
        copy.extend([local.as_str(), paths[1]]);
        out.push(copy.join(" "));
    }
    std::fs::write(context.path().join("Containerfile"), out.join("\n") + "\n")
        .map_err(|e| e.to_string())?;
    let tag = format!("localhost/secret-refresh-bench:{}", std::process::id());
    let podman = |args: &[&str]| -> Result<String, String> {
        let o = Command::new("podman")
            .env("CONTAINERS_CONF", &conf)
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned())
        } else {
            Err(format!(
                "podman {}: {}",
                args.first().unwrap_or(&""),
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
    };
    let ctx = context.path().display().to_string();
    podman(&["build", "--pull=never", "--quiet", "-t", &tag, &ctx])?;
    let size = podman(&["image", "inspect", "--format", "{{.Size}}", &tag]);
    let _ = podman(&["rmi", "--force", &tag]);
    size?.parse().map_err(|e| format!("image size: {e}"))
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .len()
}

fn git_head(root: &Path) -> String {
    Command::new("git")
        .current_dir(root)
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

// ---- numbers ------------------------------------------------------------------------------------

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// The median; of an even count, the lower middle (a count stays a count).
fn median_count(it: impl Iterator<Item = usize>) -> usize {
    let mut v: Vec<usize> = it.collect();
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0)
}

/// The median; of an even count, the mean of the two middle ones.
fn median_time(it: impl Iterator<Item = Duration>) -> Duration {
    let mut v: Vec<Duration> = it.collect();
    v.sort_unstable();
    match v.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2,
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// gh ÷ secret-refresh.
fn ratio(gh: f64, ours: f64) -> String {
    if ours == 0.0 {
        if gh == 0.0 {
            "—".into()
        } else {
            "∞".into()
        }
    } else {
        let r = gh / ours;
        if r >= 10.0 {
            format!("{r:.0}×")
        } else {
            format!("{r:.2}×")
        }
    }
}

// ---- output -------------------------------------------------------------------------------------

struct Row {
    figure: String,
    case: String,
    ours: String,
    minimum: String,
    gh: String,
    ratio: String,
}

fn render_table(rows: &[Row]) -> String {
    let mut t = String::from(
        "| figure | case | secret-refresh | minimum possible | `gh secret set` | gh ÷ secret-refresh |\n\
         |---|---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} |",
            r.figure, r.case, r.ours, r.minimum, r.gh, r.ratio
        );
    }
    t
}

struct Meta {
    runs: usize,
    startup_runs: usize,
    limit_runs: usize,
    pacing_runs: usize,
    /// `name: value` facts of the run (commit, gh, cores, time).
    facts: Vec<String>,
}

fn render_doc(table: &str, m: &Meta) -> String {
    let facts = &m.facts;
    format!(
        "# Benchmarks\n\n\
         Produced by `cargo bench --bench compare` (see [benches/compare.rs](benches/compare.rs)); \
         do not edit by hand. {facts}.\n\n\
         {table}\n\
         ## How it is measured\n\n\
         - Both tools run against the fake GitHub API (`tests/fake-github`) over TLS, with a \
           self-signed certificate trusted through `SSL_CERT_FILE`; gh gets `GH_HOST` and \
           `GH_ENTERPRISE_TOKEN`, secret-refresh `GH_HOST` and `GH_TOKEN`. Requests are counted \
           by the fake. Each run starts a fresh fake holding the stored values, and checks \
           afterwards that every secret holds its new value.\n\
         - secret-refresh is the static release binary (`sync --secrets-file new.env \
           --current-file current.env --repositories …`, one process for every repository). \
           gh is `gh secret set -f new.env -R host/owner/repo`, once per repository. gh cannot \
           read secret values back, so it has no way to skip an unchanged one: it writes them \
           all.\n\
         - secret-refresh writes one secret at a time and keeps GitHub's rules for \
           content-creating requests: a second between one write's answer and the next write, \
           at most 80 in any minute and 500 in any hour; gh sends a repository's PUTs all at \
           once and does not pace. So every write after the first costs secret-refresh a \
           second, and beyond 500 writes it waits for the hour, by design, while on GitHub \
           gh's burst meets the secondary limits (figures 5 and 6).\n\
         - Figures 1 and 2 come from the same runs: {runs} per tool and job, the tools \
           alternating which goes first; each figure is the median. The ratio divides gh's \
           median by secret-refresh's, both from this one run of the benchmark.\n\
         - Figure 3: the action started as the runner starts it (`INPUT_*`), median of \
           {startup} runs, from spawn to exit. gh has no path that skips: its fastest is \
           exiting for want of a token.\n\
         - Figure 4: file sizes; the image is the `Dockerfile`'s final stage (built with podman \
           around the same static binary and the host's CA bundle, as the container test \
           builds it), its size as `podman image inspect` reports it. The binary was 3.8 MiB \
           at commit 2fe9592; it has grown with what was added since (the `completions` and \
           `man` commands, which carry clap_complete and clap_mangen; the WHATWG URL parser \
           the API URL policy decides from, with its IDNA tables; GitHub App, rotate, delete \
           and Agents secrets) and was not made smaller again.\n\
         - Figure 5: the fake allows {limit} content-creating requests per token per minute, \
           answering 403 with `retry-after` beyond that. To run in seconds, time goes \
           {scale}× faster on both sides: the fake's minute lasts {window} s and its \
           `retry-after` counts the same scaled seconds (`Options::retry_after_scaled`), and \
           secret-refresh (this benchmark's build with the feature `scaled-clock`: the release \
           binary reads no time scale) runs with `SECRET_REFRESH_TIME_SCALE={inv}`, so every \
           wait it makes \
           (pacing, `retry-after`) shrinks by the same factor; gh does not retry, so the scale \
           changes nothing for it. A completed write is a secret holding its new value \
           afterwards. Median of {limit_runs} runs.\n\
         {figure_6}",
        facts = facts.join(", "),
        runs = m.runs,
        startup = m.startup_runs,
        limit = SECONDARY_LIMIT,
        scale = LIMIT_TIME_SCALE,
        window = 60.0 / LIMIT_TIME_SCALE,
        inv = 1.0 / LIMIT_TIME_SCALE,
        limit_runs = m.limit_runs,
        figure_6 = pacing::how_measured(m.pacing_runs),
    )
}

fn note(msg: &str) {
    eprintln!("bench: {msg}");
}
