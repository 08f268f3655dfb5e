//! The jobs the benchmark runs, shared with `tests/integration/benchmarks.rs`, which checks the
//! figures of BENCHMARKS.md that do not depend on timing (request counts) against the same jobs.

#![allow(dead_code)] // each includer uses part of it

/// The owner of every repository of a job.
pub const OWNER: &str = "acme";

/// `secrets` secrets in each of `repos` repositories, the first `changed` of them changed.
pub struct Job {
    pub label: String,
    pub repos: usize,
    pub secrets: usize,
    pub changed: usize,
}

impl Job {
    /// How many writes the job makes.
    pub fn writes(&self) -> usize {
        self.repos * self.changed
    }

    pub fn new(label: &str, repos: usize, secrets: usize, changed: usize) -> Self {
        Self {
            label: label.into(),
            repos,
            secrets,
            changed,
        }
    }

    /// Nothing when nothing changed; else one public-key GET per target with a change and one
    /// PUT per changed secret.
    pub fn minimum_requests(&self) -> usize {
        if self.changed == 0 {
            0
        } else {
            self.repos * (1 + self.changed)
        }
    }

    pub fn repo(&self, r: usize) -> String {
        format!("{OWNER}/service-{}", r + 1)
    }

    pub fn name(&self, i: usize) -> String {
        format!("BENCH_SECRET_{:02}", i + 1)
    }

    /// The refreshed value of secret `i` (the same for every repository).
    pub fn new_value(&self, i: usize, round: usize) -> String {
        format!("new-{round}-{i:02}-Zm9vYmFyYmF6cXV4cXV1eA-{}", self.secrets)
    }

    /// What is stored before the run: the new value unless the secret is among the changed.
    pub fn stored_value(&self, i: usize, round: usize) -> String {
        if i < self.changed {
            format!("old-{round}-{i:02}-cXV1eHF1eGJhemJhcmZvbw-{}", self.secrets)
        } else {
            self.new_value(i, round)
        }
    }
}

/// Figure 1 and 2's jobs.
pub fn request_jobs() -> [Job; 4] {
    [
        Job::new("5 secrets, 1 repository, 0 changed", 1, 5, 0),
        Job::new("5 secrets, 1 repository, 1 changed", 1, 5, 1),
        Job::new("5 secrets, 1 repository, 5 changed", 1, 5, 5),
        Job::new("20 secrets × 5 repositories, all changed", 5, 20, 20),
    ]
}

/// Figure 6's jobs: 20, 450, 501 and 1,000 writes, every secret changed.
pub fn pacing_jobs() -> [Job; 4] {
    [
        Job::new("20 secrets × 1 repository, all changed", 1, 20, 20),
        Job::new("18 secrets × 25 repositories, all changed", 25, 18, 18),
        Job::new("3 secrets × 167 repositories, all changed", 167, 3, 3),
        Job::new("20 secrets × 50 repositories, all changed", 50, 20, 20),
    ]
}

impl Job {
    /// The job's world in a fresh fake: `token` for user `octo`, the repositories, and their
    /// stored values for round `round`.
    pub fn seed(&self, gh: &fake_github::FakeGitHub, token: &str, round: usize) {
        gh.add_user("octo");
        gh.add_org(OWNER);
        gh.add_token(token, fake_github::TokenSpec::classic("octo", &["repo"]));
        for r in 0..self.repos {
            gh.add_repo_with(&self.repo(r), false, true);
            for i in 0..self.secrets {
                gh.set_secret(
                    &fake_github::Scope::repo(&self.repo(r)),
                    &self.name(i),
                    &self.stored_value(i, round),
                );
            }
        }
    }

    /// Writes the job's files in `dir`: new values for both tools, stored values for ours
    /// (`current`).
    pub fn files(
        &self,
        dir: &std::path::Path,
        round: usize,
    ) -> (std::path::PathBuf, std::path::PathBuf) {
        let new = dir.join("new.env");
        let current = dir.join("current.env");
        let lines = |f: &dyn Fn(usize) -> String| -> String {
            (0..self.secrets)
                .map(|i| format!("{}={}\n", self.name(i), f(i)))
                .collect()
        };
        std::fs::write(&new, lines(&|i| self.new_value(i, round))).expect("write new.env");
        std::fs::write(&current, lines(&|i| self.stored_value(i, round)))
            .expect("write current.env");
        (new, current)
    }

    /// secret-refresh's arguments for the job: one `sync` over every repository.
    pub fn sync_args(
        &self,
        new: &std::path::Path,
        current: &std::path::Path,
    ) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = vec![
            "sync".into(),
            "--secrets-file".into(),
            new.into(),
            "--current-file".into(),
            current.into(),
        ];
        for r in 0..self.repos {
            args.push("--repositories".into());
            args.push(self.repo(r).into());
        }
        args
    }

    /// Secrets holding their new value for round `round` in `gh`, over every repository.
    pub fn done(&self, gh: &fake_github::FakeGitHub, round: usize) -> usize {
        (0..self.repos)
            .flat_map(|r| (0..self.secrets).map(move |i| (r, i)))
            .filter(|(r, i)| {
                gh.secret(&fake_github::Scope::repo(&self.repo(*r)), &self.name(*i))
                    .is_some_and(|s| s.value == self.new_value(*i, round))
            })
            .count()
    }
}
