//! Figure 6: GitHub's rules for content-creating requests kept, from 20 writes to 1,000, on the
//! fake holding both secondary windows (80 in any rolling minute, 500 in any rolling hour; 403
//! with `retry-after` beyond either) and logging when each write arrived; each run's wall time
//! against the compliant floor.
//!
//! The compliant floor is the least time any client that keeps GitHub's rules can take, and it
//! is computed here from GitHub's numbers alone (not from the pacer's constants, so the figure
//! checks the pacer rather than restating it). A write must reach GitHub at least a second after
//! the previous one and at least an hour after the write 500 places before it; a client knows a
//! write has arrived only when its answer comes back, at the earliest `r` (the fake's latency)
//! after it is sent. So from a standing start
//!
//! ```text
//! F(n, r) = ⌊(n − 1) / 500⌋ × (3600 s + r) + ((n − 1) mod 500) × (1 s + r) + r
//! ```
//!
//! (the minute's 80 never binds: a second apart, at most 60 writes fit in a minute). With
//! `r = 0`, `F(1000)` is 4,099 s: 68 minutes, where an average rate of 500 an hour would say two
//! hours.

use super::*;

/// GitHub's documented numbers (held by the fake: `Options::github_secondary_limits`).
const PER_HOUR: usize = 500;
const PAUSE: f64 = 1.0;
const HOUR: f64 = 3600.0;
/// Latency the fake adds to each request: the least round trip a write can have.
const LATENCY: Duration = Duration::from_millis(2);
/// How much faster than real time a job of `writes` runs on both sides (the fake's clock and
/// secret-refresh's `SECRET_REFRESH_TIME_SCALE = 1 / scale`, its build with the feature
/// `scaled-clock`). 20 writes run in real time, with the static release binary. A scaled clock
/// magnifies what each write costs in real time besides its latency (a few ms of TLS, sealing
/// and timers here): 30× makes an hour 2 min, so the 501 and 1,000 writes take minutes, where
/// the hour's wait dwarfs it; 450 writes never wait for the hour and run at 10× (an hour
/// 6 min), so that cost stays a small part of their second apart.
fn scale(writes: usize) -> f64 {
    match writes {
        0..=20 => 1.0,
        21..=500 => 10.0,
        _ => 30.0,
    }
}

/// `F(n, r)` in seconds of GitHub time, `r` in seconds.
pub fn compliant_floor(writes: usize, r: f64) -> f64 {
    if writes == 0 {
        return 0.0;
    }
    let (hours, within) = ((writes - 1) / PER_HOUR, (writes - 1) % PER_HOUR);
    hours as f64 * (HOUR + r) + within as f64 * (PAUSE + r) + r
}

/// The rows of figure 6: for each of [`jobs::pacing_jobs`], what was stored, the requests, the
/// secondary-limit answers, the least time between two writes, and the wall time against the
/// compliant floor. gh runs the 20 and the 1,000 writes beside us.
pub fn figure_6(bench: &Bench, runs: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    for job in jobs::pacing_jobs() {
        let writes = job.writes();
        let scale = scale(writes);
        let with_gh = writes == 20 || writes == 1000;
        note(&format!(
            "GitHub's rules: {writes} writes, time ×{scale} ({runs} runs{})",
            if with_gh { " each tool" } else { "" }
        ));
        let opts = Options {
            latency: LATENCY,
            time_scale: scale,
            retry_after_scaled: true,
            ..Options::default()
        }
        .github_secondary_limits();
        let (ours, gh) = if with_gh {
            bench.pairs(&job, runs, &opts, true)
        } else {
            (bench.ours_only(&job, runs, &opts), Vec::new())
        };
        rows.extend(job_rows(&job, scale, &ours, &gh));
    }
    rows
}

fn job_rows(job: &Job, scale: f64, ours: &[Run], gh: &[Run]) -> Vec<Row> {
    let writes = job.writes();
    let o = LimitResult::of(ours, gh);
    // The floor on the real clock: F with the fake's latency as GitHub time, scaled back; never
    // less than the requests' own latency one after another.
    let floor = Duration::from_secs_f64(
        (compliant_floor(writes, LATENCY.as_secs_f64() * scale) / scale)
            .max(LATENCY.as_secs_f64() * job.minimum_requests() as f64),
    );
    // What the run says before it writes (the long-run warning, the progress bar's first
    // estimate): the pacer's schedule from a standing start, no round trip measured yet.
    let estimate = secret_refresh::pacing::floor(writes);
    // The least gap in any run, in GitHub seconds.
    let least = |runs: &[Run]| {
        runs.iter()
            .filter_map(|r| r.min_gap)
            .min()
            .map_or("—".to_owned(), |g| {
                format!("{:.3} s", g.as_secs_f64() * scale)
            })
    };
    let gh_or = |s: String| if gh.is_empty() { "—".to_owned() } else { s };
    let clock = if scale == 1.0 {
        "real time".to_owned()
    } else {
        format!("an hour lasts {:.0} s here", HOUR / scale)
    };
    let case = |what: &str| format!("{writes} writes ({}): {what}", job.label);
    [
        (
            case(&format!("writes stored, of {writes}")),
            o.ours_done.to_string(),
            writes.to_string(),
            gh_or(o.gh_done.to_string()),
            gh_or(ratio(o.gh_done as f64, o.ours_done as f64)),
        ),
        (
            case("requests"),
            o.ours_requests.to_string(),
            job.minimum_requests().to_string(),
            gh_or(o.gh_requests.to_string()),
            gh_or(ratio(o.gh_requests as f64, o.ours_requests as f64)),
        ),
        (
            case("403 secondary-limit answers"),
            o.ours_403.to_string(),
            "0".into(),
            gh_or(o.gh_403.to_string()),
            gh_or(ratio(o.gh_403 as f64, o.ours_403 as f64)),
        ),
        (
            case("least time between two writes' arrivals, in GitHub's seconds"),
            least(ours),
            "1.000 s".into(),
            gh_or(least(gh)),
            "—".into(),
        ),
        (
            case(&format!(
                "wall time ({clock}; minimum: the compliant floor)"
            )),
            ms(o.ours_time),
            ms(floor),
            gh_or(ms(o.gh_time)),
            "—".into(),
        ),
        (
            case("wall time ÷ compliant floor"),
            format!("{:.3}", o.ours_time.as_secs_f64() / floor.as_secs_f64()),
            "1.000".into(),
            "—".into(),
            "—".into(),
        ),
        (
            case("the run's estimate before its first write (`pacing::floor`), GitHub's time"),
            format!("{:.0} s", estimate.as_secs_f64()),
            "—".into(),
            "—".into(),
            "—".into(),
        ),
        (
            case("wall time in GitHub's time ÷ the run's estimate"),
            format!(
                "{:.3}",
                o.ours_time.as_secs_f64() * scale / estimate.as_secs_f64()
            ),
            "—".into(),
            "—".into(),
            "—".into(),
        ),
    ]
    .into_iter()
    .map(|(case, ours, minimum, gh, ratio)| Row {
        figure: "6 GitHub's rules: 1 s between writes, 80/min, 500/h".into(),
        case,
        ours,
        minimum,
        gh,
        ratio,
    })
    .collect()
}

/// What figure 6's text in BENCHMARKS.md says about how it is measured.
pub fn how_measured(runs: usize) -> String {
    format!(
        "- Figure 6: GitHub's rules for content-creating requests — at least a second between \
           writes, at most 80 in any rolling minute and 500 in any rolling hour — on the fake \
           holding both windows per token (403 with GitHub's secondary-rate-limit body and \
           `retry-after` beyond either) and logging when each write arrived, with {latency} ms \
           of latency per request. 20 writes run in real time with the static release binary; \
           450 writes run {s450}× faster on both sides and 501 and 1,000 writes {s1000}× (the \
           fake's hour lasts {h450:.0} s and {h1000:.0} s; secret-refresh is this benchmark's \
           own build of the same sources with the feature `scaled-clock`, run with \
           `SECRET_REFRESH_TIME_SCALE` the inverse: the release binary reads no time scale; \
           a scaled clock magnifies the few milliseconds each write costs besides its \
           latency). gh runs the 20 and the 1,000 writes; it does not pace, \
           so the windows refuse what is beyond them. The least time between two writes is \
           the least over every run, in GitHub's seconds. The compliant floor is the least time \
           any client that keeps the rules can take: a write reaches GitHub at least a second \
           after the previous one and an hour after the write 500 places before it, and a \
           client knows a write has arrived only from its answer, at the earliest the latency \
           `r` after it is sent; from a standing start, n writes take \
           `F(n, r) = ⌊(n − 1) / 500⌋ × (3600 s + r) + ((n − 1) mod 500) × (1 s + r) + r` \
           (the minute's 80 never binds a second apart), on the scaled clock for the scaled \
           runs. `F(1000, 0)` is 4,099 s, 68 minutes. The run's estimate is what it says before \
           its first write (the long-run warning, the progress bar's first estimate): the \
           schedule its pacer keeps, from a standing start with no round trip measured yet \
           (`pacing::floor`, `F(n, 0)`); the last row divides the wall time, on GitHub's \
           clock, by it. Median of {runs} runs. \
           `BENCH_ONLY=6 cargo bench --bench compare` measures this figure alone and replaces \
           only its rows (the facts above then name the commit it was measured at).\n",
        latency = LATENCY.as_millis(),
        s450 = scale(450),
        s1000 = scale(1000),
        h450 = HOUR / scale(450),
        h1000 = HOUR / scale(1000),
    )
}

/// `BENCH_ONLY=6`: measures figure 6 alone and replaces only its rows in BENCHMARKS.md; the
/// other rows, and the facts of the run that measured them, stay as they are.
pub fn only_figure_6(root: &Path) {
    let started = Instant::now();
    let gh_version = ensure_gh();
    let ours = static_binary(root);
    let work = tempfile::tempdir().expect("tempdir");
    let bench = Bench::new(work.path(), ours);
    let pacing_runs = env_count("BENCH_PACING_RUNS", 3);
    let new_rows = render_table(&figure_6(&bench, pacing_runs));
    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).expect("read BENCHMARKS.md");
    let is_row = |l: &&str| l.starts_with("| ") && !l.starts_with("| figure |");
    let kept: Vec<&str> = old
        .lines()
        .filter(is_row)
        .filter(|l| !l.starts_with("| 6 "))
        .collect();
    let mut table: String = new_rows.lines().take(2).map(|l| format!("{l}\n")).collect();
    for l in kept.iter().copied().chain(new_rows.lines().skip(2)) {
        table.push_str(l);
        table.push('\n');
    }
    // The facts of the full run stay; figure 6's own replace any earlier ones.
    let mut facts: Vec<String> = old
        .lines()
        .find_map(|l| l.split_once("do not edit by hand. ").map(|(_, f)| f))
        .map(|f| {
            f.trim_end_matches('.')
                .split(", ")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    facts.retain(|f| !f.starts_with("figure 6:"));
    facts.push(format!(
        "figure 6: measured alone (`BENCH_ONLY=6`) at commit {} in {:.0} s, {gh_version}",
        git_head(root),
        started.elapsed().as_secs_f64()
    ));
    let doc = render_doc(
        &table,
        &Meta {
            runs: env_count("BENCH_RUNS", 5),
            startup_runs: env_count("BENCH_STARTUP_RUNS", 30),
            limit_runs: env_count("BENCH_LIMIT_RUNS", 3),
            pacing_runs,
            facts,
        },
    );
    std::fs::write(&path, &doc).expect("write BENCHMARKS.md");
    println!("{new_rows}");
    note(&format!(
        "replaced figure 6 in BENCHMARKS.md in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
}
