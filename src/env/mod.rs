//! What a run sees of the world it runs in: its environment variables, its standard input
//! (and whether a person types at it: [`input`], [`prompt`]), its working directory, the wall
//! clock and its two output streams, given to [`crate::run`] by `main` (the process's own) or
//! by a test (its own).
//!
//! [`crate::run`] binds them to the thread that runs the command for as long as it runs
//! ([`Scope`]); every command runs on that thread (a current-thread runtime, no worker
//! threads). Reading a variable ([`var`]), standard input ([`Stdin`]), the working directory
//! ([`resolve`]) or the clock ([`now`]), asking at the terminal ([`prompt`]) and writing to
//! standard output or error (the output layer, [`crate::output`]) go through here and nowhere
//! else: `tests/architecture.rs` checks the sources. Outside a scope (a unit test calling a
//! function directly) they fall back to the process's own.
//!
//! The clock here is the wall clock (dates: expiry, records, "now"). Waits are measured on the
//! monotonic clock where they happen ([`crate::pacing`], the client).

pub mod input;
pub mod prompt;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::output::redact::{Known, Redacted};
use crate::secret::SecretValue;

pub use input::Input;

/// What a run is given of the world: environment variables, standard input, the working
/// directory and the clock. Values and input may be tokens: they are zeroized on drop and never
/// shown by `Debug` (which lists the variables' names only).
///
/// [`Env::from_pairs`] gives a run nothing else: standard input empty (as `/dev/null`), no
/// working directory (a relative path is then the process's business), the system clock.
#[derive(Clone, Default)]
pub struct Env {
    /// Name → value; `None` for a value that is not UTF-8 (as `std::env::var` sees it: unset).
    vars: BTreeMap<String, Option<Zeroizing<String>>>,
    stdin: Input,
    /// Where relative paths start.
    dir: Option<PathBuf>,
    /// A fixed "now"; `None` for the system's clock.
    now: Option<OffsetDateTime>,
}

impl Env {
    /// The process's own environment, standard input, working directory and clock.
    pub fn from_process() -> Self {
        let mut env = Env {
            stdin: Input::Process {
                terminal: io::stdin().is_terminal(),
            },
            dir: std::env::current_dir().ok(),
            ..Env::default()
        };
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
            ..Env::default()
        }
    }

    /// Standard input holds `bytes` (piped in: not a terminal).
    pub fn with_stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Input::Piped(Zeroizing::new(bytes.into()));
        self
    }

    /// Standard input is a terminal at which a person types `typed`: each hidden prompt reads
    /// one line of it ([`prompt::hidden`]), and its question goes to standard error.
    pub fn with_terminal(mut self, typed: impl Into<Vec<u8>>) -> Self {
        self.stdin = Input::Terminal(Zeroizing::new(typed.into()));
        self
    }

    /// Relative paths start at `dir` (the working directory).
    pub fn in_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// The clock stands still at `now` (the system's clock otherwise).
    pub fn at(mut self, now: OffsetDateTime) -> Self {
        self.now = Some(now);
        self
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
    /// Standard input, as far as the run has read it.
    stdin: input::Reading,
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
        let bound = Bound {
            stdin: input::Reading::of(&env.stdin),
            env,
            out,
            err,
        };
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

/// Whether standard input is a terminal (a person may be asked).
pub fn stdin_is_terminal() -> bool {
    with_bound(|b| b.stdin.is_terminal()).unwrap_or_else(|| io::stdin().is_terminal())
}

/// A reader of standard input as the bound run sees it.
pub struct Stdin;

impl io::Read for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match with_bound(|b| (!b.stdin.is_process()).then(|| b.stdin.read(buf))).flatten() {
            Some(n) => Ok(n),
            None => io::stdin().read(buf),
        }
    }
}

/// One line of standard input, its end of line included (empty at the end of the input).
pub fn read_line() -> io::Result<String> {
    let mut line = String::new();
    let read =
        with_bound(|b| (!b.stdin.is_process()).then(|| b.stdin.read_line(&mut line).map(|_| ())))
            .flatten();
    match read {
        Some(r) => r.map(|()| line),
        None => io::stdin().read_line(&mut line).map(|_| line),
    }
}

/// Asks `question` at the run's terminal when a test types at it ([`Env::with_terminal`]):
/// the question goes to standard error and the answer is the next line typed. `None` when the
/// terminal is the process's own (or there is no run); an error when standard input is no
/// terminal.
fn ask(question: &str) -> Option<io::Result<String>> {
    let (process, terminal) = with_bound(|b| (b.stdin.is_process(), b.stdin.is_terminal()))?;
    if process {
        return None;
    }
    if !terminal {
        return Some(Err(io::Error::new(
            io::ErrorKind::NotFound,
            "standard input is not a terminal",
        )));
    }
    write(Which::Err, &Redacted::new(question));
    let answer = read_line();
    // The person's Enter, which a hidden prompt does not echo but the terminal shows.
    write(Which::Err, &Redacted::new("\n"));
    Some(answer.and_then(input::typed))
}

/// The run's working directory (outside a run, the process's), if it has one.
pub fn working_dir() -> Option<PathBuf> {
    match with_bound(|b| b.env.dir.clone()) {
        Some(dir) => dir,
        None => std::env::current_dir().ok(),
    }
}

/// `path` as the run means it: a relative path starts at the run's working directory. Open
/// every path a person gives through this (and show them the path they gave). Without a
/// working directory the path is returned as it is.
pub fn resolve(path: &Path) -> PathBuf {
    match with_bound(|b| b.env.dir.as_ref().map(|d| d.join(path))) {
        Some(Some(full)) => full,
        _ => path.to_path_buf(),
    }
}

/// The wall clock's "now" (UTC): the run's, else the system's.
pub fn now() -> OffsetDateTime {
    with_bound(|b| b.env.now)
        .flatten()
        .unwrap_or_else(OffsetDateTime::now_utc)
}

/// [`now`] in whole seconds since the Unix epoch (0 before it).
pub fn unix_now() -> u64 {
    u64::try_from(now().unix_timestamp()).unwrap_or(0)
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

    /// Standard input, the terminal, the working directory and the clock are the ones given;
    /// nothing given is nothing: empty input, no terminal, paths as they are, the system clock.
    #[test]
    fn a_scope_sees_the_input_directory_and_clock_it_is_given() {
        use std::io::Read;
        let bind = |env: Env| Scope::bind(env, Box::new(Buf::default()), Box::new(Buf::default()));
        let noon = time::macros::datetime!(2031-05-06 12:00 UTC);
        {
            let _s = bind(
                Env::default()
                    .with_stdin("one\ntwo")
                    .in_dir("/work/here")
                    .at(noon),
            );
            assert!(!stdin_is_terminal());
            assert_eq!(read_line().expect("line"), "one\n");
            let mut rest = String::new();
            Stdin.read_to_string(&mut rest).expect("rest");
            assert_eq!(rest, "two");
            assert_eq!(read_line().expect("end"), "");
            assert_eq!(resolve(Path::new("a/b")), Path::new("/work/here/a/b"));
            assert_eq!(resolve(Path::new("/etc/x")), Path::new("/etc/x"));
            assert_eq!(working_dir().as_deref(), Some(Path::new("/work/here")));
            assert_eq!(now(), noon);
            assert_eq!(unix_now(), 1_935_835_200);
            assert!(prompt::hidden("? ").is_err(), "no terminal: nobody to ask");
        }
        let _s = bind(Env::default());
        let mut all = Vec::new();
        Stdin.read_to_end(&mut all).expect("empty");
        assert!(all.is_empty() && !stdin_is_terminal());
        assert_eq!(resolve(Path::new("a/b")), Path::new("a/b"));
        assert_eq!(working_dir(), None);
        let before = OffsetDateTime::now_utc();
        assert!((before..=OffsetDateTime::now_utc() + time::Duration::SECOND).contains(&now()));
    }

    /// A terminal given by a test: each hidden prompt asks on standard error and takes one line
    /// typed, without its end of line; nothing left to type is an error.
    #[test]
    fn a_hidden_prompt_reads_the_terminal_a_test_types_at() {
        let err = Buf::default();
        let _s = Scope::bind(
            Env::default().with_terminal("s3cret\r\nagain\n"),
            Box::new(Buf::default()),
            Box::new(err.clone()),
        );
        assert!(stdin_is_terminal());
        assert_eq!(prompt::hidden("Value: ").expect("typed").expose(), "s3cret");
        assert_eq!(prompt::hidden("Again: ").expect("typed").expose(), "again");
        assert!(prompt::hidden("More: ").is_err());
        let shown = String::from_utf8(err.0.lock().expect("lock").clone()).expect("utf-8");
        assert_eq!(shown, "Value: \nAgain: \nMore: \n");
    }

    #[test]
    fn debug_names_variables_never_values() {
        let env = Env::from_pairs([("GH_TOKEN", "ghp_secretsecretsecret")])
            .with_stdin("ghp_secretsecretsecret")
            .with_terminal("ghp_secretsecretsecret");
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
