//! BENCHMARKS.md cannot go stale silently: the figures in it that do not depend on timing are
//! measured again here, on the benchmark's own jobs (`benches/compare/jobs.rs`), and must be
//! what the table says.
//!
//! - figure 1: secret-refresh's requests per run, and the minimum possible;
//! - figure 4: the static release binary's size, when `.ci/test` passes it in
//!   `SECRET_REFRESH_STATIC_BIN` (and requires it: `SECRET_REFRESH_REQUIRE_STATIC_BIN`);
//! - figure 6: for 20, 450, 501 and 1,000 writes, what is stored, the requests, and that no
//!   secondary-limit answer came (on a clock 1,000 times faster: an hour lasts 3.6 s), and
//!   that no two writes reached the fake less than a (scaled) second apart.
//!
//! Not checked: wall times, and figure 5's counts (how many writes meet its 20-a-minute limit
//! depends on how fast they go); gh's column (gh need not be installed).

use std::path::Path;
use std::time::Duration;

use fake_github::{FakeGitHub, Options};

use crate::common::cli_as;

#[path = "../../benches/compare/jobs.rs"]
mod jobs;
use jobs::Job;

const TOKEN: &str = "ghp_BeNcHmArKtAbLe0123456789abcdefghijk";
/// The suite's clock: a GitHub second lasts 1 ms (`common::Step`'s default).
const SCALE: f64 = 1000.0;

/// One row of BENCHMARKS.md's table.
struct Row {
    figure: String,
    case: String,
    ours: String,
    minimum: String,
}

fn table() -> Vec<Row> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    let text = std::fs::read_to_string(path).expect("BENCHMARKS.md");
    text.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| figure |"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect();
            assert_eq!(cells.len(), 6, "a row of six cells: {l}");
            Row {
                figure: cells[0].clone(),
                case: cells[1].clone(),
                ours: cells[2].clone(),
                minimum: cells[3].clone(),
            }
        })
        .collect()
}

/// The row of `figure` (its number) whose case is `case`.
fn row<'a>(rows: &'a [Row], figure: &str, case: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.figure.split(' ').next() == Some(figure) && r.case == case)
        .unwrap_or_else(|| panic!("BENCHMARKS.md has no figure {figure} row `{case}`"))
}

/// Runs `job` with secret-refresh against a fresh fake made by `options`; the fake after it.
fn run(job: &Job, options: Options) -> FakeGitHub {
    let api = FakeGitHub::start_with(options);
    job.seed(&api, TOKEN, 0);
    let files = tempfile::tempdir().expect("tempdir");
    let (new, current) = job.files(files.path(), 0);
    let args: Vec<String> = job
        .sync_args(&new, &current)
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = cli_as(&api, TOKEN, &args).run();
    assert_eq!(ran.code, 0, "{}: {}", job.label, ran.screen());
    api
}

#[test]
fn figure_1_requests_are_the_tables() {
    let rows = table();
    for job in jobs::request_jobs() {
        let api = run(&job, Options::default());
        let row = row(&rows, "1", &job.label);
        assert_eq!(row.ours, api.requests().len().to_string(), "{}", job.label);
        assert_eq!(
            row.minimum,
            job.minimum_requests().to_string(),
            "{}",
            job.label
        );
        assert_eq!(job.done(&api, 0), job.repos * job.secrets);
    }
}

#[test]
fn figure_4_binary_size_is_the_tables() {
    let Some(binary) = std::env::var_os("SECRET_REFRESH_STATIC_BIN").filter(|p| !p.is_empty())
    else {
        // `.ci/test` sets both: there the check never skips.
        assert!(
            std::env::var_os("SECRET_REFRESH_REQUIRE_STATIC_BIN").is_none(),
            "SECRET_REFRESH_STATIC_BIN does not name the static release binary"
        );
        eprintln!("figure 4: SECRET_REFRESH_STATIC_BIN is not set (`bash .ci/test` sets it)");
        return;
    };
    let bytes = std::fs::metadata(&binary).expect("the static binary").len();
    let rows = table();
    let row = row(
        &rows,
        "4",
        "binary (ours: static, stripped; gh: Debian's, dynamically linked)",
    );
    // As the benchmark writes it (`mib` in benches/compare.rs).
    let size = format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0));
    assert_eq!(
        row.ours, size,
        "BENCHMARKS.md is stale: run `cargo bench --bench compare`"
    );
}

#[test]
fn figure_6_counts_are_the_tables_and_every_rule_holds() {
    let rows = table();
    let second = Duration::from_secs_f64(1.0 / SCALE);
    for job in jobs::pacing_jobs() {
        let writes = job.writes();
        let api = run(
            &job,
            Options {
                time_scale: SCALE,
                retry_after_scaled: true,
                ..Options::default()
            }
            .github_secondary_limits(),
        );
        let case = |what: &str| format!("{writes} writes ({}): {what}", job.label);
        let stored = row(&rows, "6", &case(&format!("writes stored, of {writes}")));
        assert_eq!(stored.ours, job.done(&api, 0).to_string());
        assert_eq!(stored.minimum, writes.to_string());
        let requests = row(&rows, "6", &case("requests"));
        assert_eq!(requests.ours, api.requests().len().to_string(), "{writes}");
        assert_eq!(requests.minimum, job.minimum_requests().to_string());
        let refused = api.requests().iter().filter(|r| r.status == 403).count();
        assert_eq!(refused, 0, "{writes} writes");
        assert_eq!(
            row(&rows, "6", &case("403 secondary-limit answers")).ours,
            "0"
        );
        let gap = api.min_gap_between_writes().expect("writes");
        assert!(gap >= second, "{writes} writes: {gap:?} between two");
    }
}
