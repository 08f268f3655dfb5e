//! A run's standard input: the process's own, bytes piped in, nothing, or a terminal a test
//! types at ([`Input`]), and how far the run has read it ([`Reading`]). The run reads it
//! through [`super::Stdin`] and [`super::read_line`], and asks at the terminal through
//! [`super::prompt`].

use std::io::{self, BufRead};

use zeroize::Zeroizing;

/// What a run's standard input holds.
#[derive(Clone, Default)]
pub enum Input {
    /// Nothing: reading ends at once, as from `/dev/null`. Not a terminal.
    #[default]
    Empty,
    /// These bytes, piped in. Not a terminal.
    Piped(Zeroizing<Vec<u8>>),
    /// A terminal at which a person types these bytes: reads and hidden prompts take them in
    /// turn, a line per prompt.
    Terminal(Zeroizing<Vec<u8>>),
    /// The process's own standard input; hidden prompts ask on its controlling terminal.
    Process { terminal: bool },
}

/// Standard input as far as a run has read it.
pub(super) enum Reading {
    /// Bytes given to the run, read up to `at`.
    Bytes {
        bytes: Zeroizing<Vec<u8>>,
        at: usize,
        terminal: bool,
    },
    /// The process's own.
    Process { terminal: bool },
}

impl Reading {
    pub(super) fn of(input: &Input) -> Reading {
        let bytes = |b: &Zeroizing<Vec<u8>>, terminal| Reading::Bytes {
            bytes: b.clone(),
            at: 0,
            terminal,
        };
        match input {
            Input::Empty => bytes(&Zeroizing::new(Vec::new()), false),
            Input::Piped(b) => bytes(b, false),
            Input::Terminal(b) => bytes(b, true),
            Input::Process { terminal } => Reading::Process {
                terminal: *terminal,
            },
        }
    }

    pub(super) fn is_terminal(&self) -> bool {
        match self {
            Reading::Bytes { terminal, .. } | Reading::Process { terminal } => *terminal,
        }
    }

    /// Whether this is the process's own standard input (read from the process).
    pub(super) fn is_process(&self) -> bool {
        matches!(self, Reading::Process { .. })
    }

    /// Reads into `buf` from the bytes given (nothing from the process's own).
    pub(super) fn read(&mut self, buf: &mut [u8]) -> usize {
        let Reading::Bytes { bytes, at, .. } = self else {
            return 0;
        };
        let rest = bytes.get(*at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(to), Some(from)) = (buf.get_mut(..n), rest.get(..n)) {
            to.copy_from_slice(from);
        }
        *at += n;
        n
    }

    /// Appends the next line of the bytes given (its end of line included) to `line`.
    pub(super) fn read_line(&mut self, line: &mut String) -> io::Result<usize> {
        let Reading::Bytes { bytes, at, .. } = self else {
            return Ok(0);
        };
        let mut rest = bytes.get(*at..).unwrap_or_default();
        let before = rest.len();
        let read = rest.read_line(line);
        *at += before - rest.len();
        read
    }
}

/// A line typed at a hidden prompt, as `rpassword` returns it: without its end of line; an
/// error when nothing more was typed.
pub(super) fn typed(mut line: String) -> io::Result<String> {
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "nothing more was typed",
        ));
    }
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(line)
}
