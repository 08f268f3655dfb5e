//! What a run sees of the world it runs in: its environment variables and its two output
//! streams, given to [`crate::run`] by `main` (the process's own) or by a test (its own).
//!
//! [`crate::run`] binds them to the thread that runs the command for as long as it runs
//! ([`Scope`]); every command runs on that thread (a current-thread runtime, no worker
//! threads). Reading a variable ([`var`]) and writing to standard output or error (the output
//! layer, [`crate::output`]) go through here and nowhere else: a unit test checks the sources.
//! Outside a scope (a unit test calling a function directly) they fall back to the process's
//! own environment and streams.
//!
//! Standard input and the current directory stay the process's: a test that needs them runs
//! the binary.

pub mod prompt;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, IsTerminal, Write};

use zeroize::Zeroizing;

use crate::output::redact::{Known, Redacted};
use crate::secret::SecretValue;

/// Environment variables. Values may be tokens: they are zeroized on drop and never shown by
/// `Debug` (which lists the names only).
#[derive(Clone, Default)]
pub struct Env {
    /// Name → value; `None` for a value that is not UTF-8 (as `std::env::var` sees it: unset).
    vars: BTreeMap<String, Option<Zeroizing<String>>>,
}

impl Env {
    /// The process's own environment, read once.
    pub fn from_process() -> Self {
        let mut env = Env::default();
        for (name, value) in std::env::vars_os() {
            let Ok(name) = name.into_string() else {
                continue;
            };
            env.vars
                .insert(name, value.into_string().ok().map(Zeroizing::new));
        }
        env
    }

    /// An environment holding exactly these variables.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), Some(Zeroizing::new(v.into()))))
                .collect(),
        }
    }

    /// The value of `name` when it is set and UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name)?.as_deref().map(String::as_str)
    }

    /// Whether `name` is set at all (even empty, even not UTF-8).
    pub fn is_set(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Every variable that is UTF-8, for a child process started with exactly this
    /// environment.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_str(), v.as_str())))
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

/// An output stream a run writes to: standard output or error, or a test's buffer.
pub trait Stream: Write + Send {
    /// Whether a person is looking at it (colour, progress bars, prompts).
    fn is_terminal(&self) -> bool {
        false
    }
}

impl Stream for io::Stdout {
    fn is_terminal(&self) -> bool {
        IsTerminal::is_terminal(self)
    }
}

impl Stream for io::Stderr {
    fn is_terminal(&self) -> bool {
        IsTerminal::is_terminal(self)
    }
}

impl Stream for Vec<u8> {}

/// Standard output or standard error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Out,
    Err,
}

struct Bound {
    env: Env,
    out: Box<dyn Stream>,
    err: Box<dyn Stream>,
}

thread_local! {
    static CURRENT: RefCell<Option<Bound>> = const { RefCell::new(None) };
}

/// While it lives, this thread's run sees `env` and writes to `out` and `err`. Dropped, the
/// thread goes back to what it saw before.
/// The run also begins knowing no secret ([`crate::output::redact::begin_run`]) and forgets what
/// it knew when it ends.
pub struct Scope {
    previous: Option<Bound>,
    known: Option<Known>,
}

impl Scope {
    pub fn bind(env: Env, out: Box<dyn Stream>, err: Box<dyn Stream>) -> Scope {
        let bound = Bound { env, out, err };
        let previous = CURRENT.with(|c| c.try_borrow_mut().ok().and_then(|mut c| c.replace(bound)));
        let known = crate::output::redact::begin_run();
        Scope { previous, known }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        crate::output::redact::end_run(self.known.take());
        let previous = self.previous.take();
        let ended = CURRENT.with(|c| {
            c.try_borrow_mut()
                .ok()
                .and_then(|mut c| std::mem::replace(&mut *c, previous))
        });
        if let Some(mut ended) = ended {
            let _ = ended.out.flush();
            let _ = ended.err.flush();
        }
    }
}

/// Runs `f` on this thread's bound run, if there is one (and it is not already in use).
fn with_bound<R>(f: impl FnOnce(&mut Bound) -> R) -> Option<R> {
    CURRENT.with(|c| {
        let mut c = c.try_borrow_mut().ok()?;
        c.as_mut().map(f)
    })
}

/// The value of environment variable `name`, when set and UTF-8.
pub fn var(name: &str) -> Option<String> {
    match with_bound(|b| b.env.get(name).map(str::to_owned)) {
        Some(v) => v,
        None => std::env::var(name).ok(),
    }
}

/// The value of environment variable `name` as a secret (a token): never copied outside a
/// [`SecretValue`].
pub fn secret(name: &str) -> Option<SecretValue> {
    var(name).map(SecretValue::new)
}

/// The names of the environment variables set (UTF-8 ones), never their values.
pub fn names() -> Vec<String> {
    with_bound(|b| b.env.pairs().map(|(k, _)| k.to_owned()).collect()).unwrap_or_else(|| {
        std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .collect()
    })
}

/// Whether environment variable `name` is set at all.
pub fn is_set(name: &str) -> bool {
    with_bound(|b| b.env.is_set(name)).unwrap_or_else(|| std::env::var_os(name).is_some())
}

/// The environment a child process is started with: the run's own.
pub fn for_child() -> Vec<(OsString, OsString)> {
    with_bound(|b| {
        b.env
            .pairs()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    })
    .unwrap_or_else(|| std::env::vars_os().collect())
}

/// Writes `text` to standard output or error, and flushes: only redacted text
/// ([`Redacted`]), so nothing reaches either stream without the redaction. A closed pipe is not
/// an error worth reporting: output is best effort.
pub(crate) fn write(which: Which, text: &Redacted) {
    let bytes = text.as_bytes();
    let written = with_bound(|b| {
        let s = match which {
            Which::Out => &mut b.out,
            Which::Err => &mut b.err,
        };
        let _ = s.write_all(bytes);
        let _ = s.flush();
    });
    if written.is_none() {
        let _ = match which {
            Which::Out => io::stdout().lock().write_all(bytes),
            Which::Err => io::stderr().lock().write_all(bytes),
        };
    }
}

/// Whether standard output or error is a terminal.
pub fn is_terminal(which: Which) -> bool {
    with_bound(|b| match which {
        Which::Out => b.out.is_terminal(),
        Which::Err => b.err.is_terminal(),
    })
    .unwrap_or_else(|| match which {
        Which::Out => IsTerminal::is_terminal(&io::stdout()),
        Which::Err => IsTerminal::is_terminal(&io::stderr()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Stream for Buf {}

    #[test]
    fn a_scope_sees_its_own_environment_and_streams_and_restores_the_previous() {
        let (out, err) = (Buf::default(), Buf::default());
        {
            let _s = Scope::bind(
                Env::from_pairs([("SR_TEST_A", "1")]),
                Box::new(out.clone()),
                Box::new(err.clone()),
            );
            assert_eq!(var("SR_TEST_A").as_deref(), Some("1"));
            assert!(var("PATH").is_none(), "nothing of the process leaks in");
            {
                let inner = Buf::default();
                let _t = Scope::bind(
                    Env::default(),
                    Box::new(inner.clone()),
                    Box::new(Buf::default()),
                );
                assert!(var("SR_TEST_A").is_none());
                write(Which::Out, &Redacted::new("inner"));
                assert_eq!(&*inner.0.lock().expect("lock"), b"inner");
            }
            assert_eq!(var("SR_TEST_A").as_deref(), Some("1"));
            write(Which::Out, &Redacted::new("out"));
            write(Which::Err, &Redacted::new("err"));
            assert!(!is_terminal(Which::Out));
        }
        assert_eq!(&*out.0.lock().expect("lock"), b"out");
        assert_eq!(&*err.0.lock().expect("lock"), b"err");
        assert!(var("SR_TEST_A").is_none());
    }

    #[test]
    fn debug_names_variables_never_values() {
        let env = Env::from_pairs([("GH_TOKEN", "ghp_secretsecretsecret")]);
        let shown = format!("{env:?}");
        assert!(
            shown.contains("GH_TOKEN") && !shown.contains("secret"),
            "{shown}"
        );
    }

    #[test]
    fn a_scope_is_one_threads_only() {
        let out = Buf::default();
        let _s = Scope::bind(
            Env::from_pairs([("SR_TEST_B", "x")]),
            Box::new(out),
            Box::new(Buf::default()),
        );
        let other = std::thread::spawn(|| var("SR_TEST_B"))
            .join()
            .expect("thread");
        assert_eq!(other, None);
        assert_eq!(var("SR_TEST_B").as_deref(), Some("x"));
    }
}
