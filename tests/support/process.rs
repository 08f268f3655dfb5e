//! Processes a test spawns, owned by a guard that kills and reaps them on drop, panics included,
//! so a failing test never leaves a server (or `podman`) behind holding the run's output open.
//! Shared by every harness that spawns: tests/integration/common.rs, tests/container.rs,
//! tests/fake-github/tests/bin_tls.rs.

#![allow(dead_code)] // each harness uses part of it

use std::io::Read;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

/// A spawned child that is killed (SIGKILL) and reaped when this is dropped, unless it has been
/// waited for already.
#[derive(Debug)]
pub struct Spawned {
    child: Option<Child>,
    what: String,
}

impl Spawned {
    /// Spawns `cmd`; panics (naming `what`) when it cannot start.
    pub fn spawn(what: &str, cmd: &mut Command) -> Spawned {
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        Spawned {
            child: Some(child),
            what: what.to_owned(),
        }
    }

    /// The child, for its pipes and id. Panics once it has been waited for.
    pub fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("the child was already reaped")
    }

    pub fn id(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Waits up to `limit` for the child to exit; `None` (still running, still owned) when it
    /// has not.
    pub fn wait_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    self.child = None;
                    return Some(status);
                }
                Ok(None) if start.elapsed() < limit => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                Ok(None) => return None,
                Err(e) => panic!("waiting for {}: {e}", self.what),
            }
        }
    }

    /// Its whole stdout and stderr (when piped) and exit status. A child still running after
    /// `limit` is killed and the test fails: a hang is a failure, never a stuck suite.
    pub fn output_within(mut self, limit: Duration) -> Output {
        let child = self.child();
        let stdout = child.stdout.take().map(read_all);
        let stderr = child.stderr.take().map(read_all);
        let Some(status) = self.wait_within(limit) else {
            self.kill();
            panic!(
                "{} still ran after {} s: killed",
                self.what,
                limit.as_secs()
            );
        };
        let join = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
            h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
        };
        Output {
            status,
            stdout: join(stdout),
            stderr: join(stderr),
        }
    }

    /// Kills (SIGKILL) and reaps the child, if it is still ours.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Already exited: `kill` fails harmlessly; `wait` reaps either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill();
    }
}

trait Pipe: Read + Send + 'static {}
impl Pipe for ChildStdout {}
impl Pipe for ChildStderr {}

fn read_all(mut pipe: impl Pipe) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Runs a closure on drop, panics included: for what is not a child process (a container,
/// which `podman rm --force` removes).
pub struct OnDrop<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// The variables that carry a shifted clock (libfaketime, `.ci/test`'s date guard) into a
/// child whose environment a harness clears, so the binary under test and the fake keep
/// the same "now".
pub fn clock_env() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k == "LD_PRELOAD" || k.starts_with("FAKETIME"))
        .collect()
}

/// Keeps a shifted clock out of a helper that is not under test (the terminal driver): its
/// Python `time.sleep` fails with EINVAL under libfaketime when the monotonic clock is real.
pub fn without_clock_env(cmd: &mut Command) -> &mut Command {
    for (k, _) in clock_env() {
        cmd.env_remove(k);
    }
    cmd
}
