//! The one place workspace files are opened: the files listed in `files` (action) or `--files`
//! (`sync`), and the audit log (read back on a re-run, appended to by every run).
//!
//! The workspace is hostile: the job's own code writes it, and on a self-hosted runner an earlier
//! job may have. A listed file is read only when
//! - it resolves, every symlink followed, inside one of the roots: the workspace, and in the
//!   action also `RUNNER_TEMP` when the step can see it (the runner mounts only the workspace
//!   into a container action: `RUNNER_TEMP` names a directory of its machine, actions/runner#1984,
//!   and a path outside the roots that does not exist is [`FileError::Unseen`], never "no match");
//! - it is a regular file: checked on the path before opening (a device is never opened), then
//!   on the opened descriptor with `fstat` (no check-then-open race), and on Linux the opened
//!   descriptor's real path is checked against the roots again;
//! - it has one link only (`fstat` on the descriptor): a hard link resolves "inside" whatever
//!   file it shares, so a file with more than one name is refused, as sudoedit and OpenSSH do;
//! - it is opened non-blocking, so a FIFO can never hang the run;
//! - it is at most GitHub's secret size: reads stop one byte past the largest file that can hold
//!   a valid value.
//!
//! Errors name the pattern and the path, never a byte of content.
//!
//! The audit log ([`LogFile`]) crosses the same boundary both ways: it is opened without
//! following a link (the file itself is never a link), never blocks, must resolve inside the
//! workspace, be a regular file with one link (else records would be appended to a file
//! outside), and is read up to its own cap (a log is bigger than a value).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::secret::{secret_from_bytes, SecretValue};

/// The most GitHub stores in one secret.
pub const MAX_VALUE_BYTES: usize = 49_152;

/// The most directory entries one pattern's walk visits: beyond, the pattern is an error.
pub const MAX_WALKED: usize = 100_000;

/// The largest file that can hold a valid value: the value plus a trailing `\r\n`.
const MAX_FILE_BYTES: u64 = MAX_VALUE_BYTES as u64 + 2;

/// Why a pattern or a file it matches cannot be read. Never holds content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("{} is not a directory that exists", .0.display())]
    NoWorkspace(PathBuf),
    #[error("bad pattern `{pattern}`: {reason}")]
    BadPattern {
        pattern: String,
        reason: &'static str,
    },
    #[error("`{pattern}` {path}resolves outside the workspace{also}")]
    Outside {
        pattern: String,
        path: String,
        also: &'static str,
    },
    #[error(
        "`{pattern}` is outside the workspace{also}, so the step can read no file there{why}: \
         write the file inside the workspace"
    )]
    Unseen {
        pattern: String,
        also: &'static str,
        why: &'static str,
    },
    #[error("`{pattern}` walks more than {MAX_WALKED} entries: name a narrower directory")]
    TooManyEntries { pattern: String },
    #[error("`{pattern}` matches {path}, which is not a regular file")]
    NotRegular { pattern: String, path: String },
    #[error(
        "`{pattern}` matches {path}, which has more than one hard link: give a file of its own"
    )]
    HardLinked { pattern: String, path: String },
    #[error(
        "`{pattern}` matches {path}, which is larger than GitHub's secret limit of \
         {MAX_VALUE_BYTES} bytes"
    )]
    TooLarge { pattern: String, path: String },
    #[error("`{pattern}` matches {path}, which holds a NUL byte: not text")]
    Nul { pattern: String, path: String },
    #[error("{path} is not UTF-8 text")]
    NotUtf8 { path: String },
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
}

impl FileError {
    /// Whether the file is where it may be but what it holds cannot be a value (too large, not
    /// text): a bad value from the tests, which fails its secret alone. Every other error is
    /// about where the pattern leads, the configuration's.
    pub fn is_bad_value(&self) -> bool {
        matches!(
            self,
            FileError::TooLarge { .. } | FileError::Nul { .. } | FileError::NotUtf8 { .. }
        )
    }
}

/// The directories listed files may resolve into, canonical.
#[derive(Debug, Clone)]
pub struct Roots {
    /// The workspace as given: patterns are relative to it and paths are shown relative to it.
    workspace: PathBuf,
    canonical: Vec<PathBuf>,
    /// `RUNNER_TEMP` is a root too (the action only).
    with_temp: bool,
    /// `RUNNER_TEMP` as given, present or not: in a container action it names a directory of
    /// the runner's host, which the runner does not mount into the container.
    temp_given: Option<PathBuf>,
}

impl Roots {
    /// The workspace (must be a directory) and, when given and present, `RUNNER_TEMP`.
    pub fn new(workspace: &Path, runner_temp: Option<&Path>) -> Result<Self, FileError> {
        let root = std::fs::canonicalize(workspace)
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| FileError::NoWorkspace(workspace.to_path_buf()))?;
        let temp_given = runner_temp
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf);
        let temp = temp_given
            .as_deref()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .filter(|p| p.is_dir());
        let with_temp = temp.is_some();
        Ok(Self {
            workspace: workspace.to_path_buf(),
            canonical: std::iter::once(root).chain(temp).collect(),
            with_temp,
            temp_given,
        })
    }

    /// Paths matching `pattern` (relative to the workspace, or absolute), sorted. Directories
    /// are left out when `skip_dirs` (a glob over a tree); kept otherwise, to be refused by
    /// [`Roots::read`].
    ///
    /// A pattern without wildcards names one path, checked by [`Roots::read`]. A pattern with
    /// wildcards is walked here, never by a library that follows links: its literal leading
    /// directories must resolve inside a root (refused before anything is walked, so `/**/x`
    /// never walks the filesystem), the walk below them enters no symbolic link to a directory
    /// (a link loop ends), and it visits at most [`MAX_WALKED`] entries.
    pub fn expand(&self, pattern: &str, skip_dirs: bool) -> Result<Vec<PathBuf>, FileError> {
        let bad = |reason| FileError::BadPattern {
            pattern: pattern.to_owned(),
            reason,
        };
        if pattern.contains('\0') {
            return Err(bad("it holds a NUL character"));
        }
        let full = if Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            self.workspace.join(pattern)
        };
        let wild = |c: &std::path::Component<'_>| {
            c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', ']'])
        };
        if !full.components().any(|c| wild(&c)) {
            // One path: it is there or not; where it leads is for `read` to check.
            return match std::fs::symlink_metadata(&full) {
                Ok(_) => Ok(vec![full]),
                Err(_) => self.unseen(pattern, &full).map_or(Ok(Vec::new()), Err),
            };
        }
        let base: PathBuf = full.components().take_while(|c| !wild(c)).collect();
        match std::fs::canonicalize(&base) {
            Ok(real) if self.inside(&real) => {}
            Ok(_) => return Err(self.outside(pattern, &base)),
            Err(_) => return self.unseen(pattern, &base).map_or(Ok(Vec::new()), Err),
        }
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        let matcher = glob::Pattern::new(&full.to_string_lossy()).map_err(|e| bad(e.msg))?;
        let mut found = Vec::new();
        let mut visited = 0usize;
        let mut stack = vec![base];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                visited += 1;
                if visited > MAX_WALKED {
                    return Err(FileError::TooManyEntries {
                        pattern: pattern.to_owned(),
                    });
                }
                let path = entry.path();
                // `file_type` does not follow a link: a link to a directory is never entered.
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(path.clone());
                }
                if matcher.matches_path_with(&path, options) && !(skip_dirs && path.is_dir()) {
                    found.push(path);
                }
            }
        }
        found.sort();
        Ok(found)
    }

    /// `path` relative to the workspace when inside it, for messages.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.workspace)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    fn inside(&self, real: &Path) -> bool {
        self.canonical.iter().any(|root| real.starts_with(root))
    }

    /// The error of a path that does not exist outside every root, as written: no file can
    /// ever be read there, so it is not a pattern that happened to match nothing (in a
    /// container action, `RUNNER_TEMP` is such a place). `None` for a path under a root.
    fn unseen(&self, pattern: &str, path: &Path) -> Option<FileError> {
        let temp = self.temp_given.as_deref();
        let under_temp = temp.is_some_and(|t| path.starts_with(t));
        if path.starts_with(&self.workspace) || self.inside(path) || (under_temp && self.with_temp)
        {
            return None;
        }
        Some(FileError::Unseen {
            pattern: pattern.to_owned(),
            also: if self.with_temp {
                " and RUNNER_TEMP"
            } else {
                ""
            },
            why: if under_temp {
                " (RUNNER_TEMP names a directory of the runner's machine, which the runner does \
                 not mount into a container action)"
            } else {
                ""
            },
        })
    }

    /// Names `path` only when it is a name inside the workspace (a link there), never a path
    /// outside it: the log does not list the neighbourhood.
    fn outside(&self, pattern: &str, path: &Path) -> FileError {
        let inside = path.strip_prefix(&self.workspace).ok().filter(|rel| {
            !rel.components()
                .any(|c| c == std::path::Component::ParentDir)
        });
        FileError::Outside {
            pattern: pattern.to_owned(),
            path: inside
                .map(|rel| format!("matches {}, which ", rel.display()))
                .unwrap_or_default(),
            also: if self.with_temp {
                " and RUNNER_TEMP"
            } else {
                ""
            },
        }
    }

    /// The value held by `path`, a match of `pattern`: its UTF-8 text without a leading
    /// byte-order mark and without one trailing newline.
    pub fn read(&self, pattern: &str, path: &Path) -> Result<SecretValue, FileError> {
        let shown = self.shown(path);
        let not_regular = || FileError::NotRegular {
            pattern: pattern.to_owned(),
            path: shown.clone(),
        };
        let unreadable = |e: std::io::Error| FileError::Unreadable {
            path: shown.clone(),
            reason: io_reason(&e),
        };
        // Before opening: where it resolves to, and what it is (a device is never opened).
        let real = std::fs::canonicalize(path).map_err(unreadable)?;
        if !self.inside(&real) {
            return Err(self.outside(pattern, path));
        }
        if !std::fs::metadata(&real).map_err(unreadable)?.is_file() {
            return Err(not_regular());
        }
        // After opening: the descriptor itself decides.
        let file = open_nonblocking(&real).map_err(unreadable)?;
        let meta = file.metadata().map_err(unreadable)?;
        match kind(&meta) {
            Kind::Own => {}
            Kind::NotRegular => return Err(not_regular()),
            Kind::HardLinked => {
                return Err(FileError::HardLinked {
                    pattern: pattern.to_owned(),
                    path: shown.clone(),
                })
            }
        }
        if let Some(opened) = opened_path(&file) {
            if !self.inside(&opened) {
                return Err(self.outside(pattern, path));
            }
        }
        let too_large = || FileError::TooLarge {
            pattern: pattern.to_owned(),
            path: shown.clone(),
        };
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_large());
        }
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(too_large());
        }
        let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let text = bytes.get(start..).unwrap_or_default().to_vec();
        let value = secret_from_bytes(text).ok_or_else(|| FileError::NotUtf8 {
            path: shown.clone(),
        })?;
        if value.expose().contains('\0') {
            return Err(FileError::Nul {
                pattern: pattern.to_owned(),
                path: shown,
            });
        }
        Ok(value.trim_one_newline())
    }
}

/// What an opened descriptor is, by `fstat`.
enum Kind {
    /// A regular file with one name.
    Own,
    NotRegular,
    /// A regular file with more than one link: it may be a file outside the roots. (The link
    /// count is read on unix only.)
    #[cfg_attr(not(unix), allow(dead_code))]
    HardLinked,
}

fn kind(meta: &std::fs::Metadata) -> Kind {
    if !meta.is_file() {
        return Kind::NotRegular;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Kind::HardLinked;
        }
    }
    Kind::Own
}

/// Why the audit log could not be read or written. Names the path, never a value.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("audit-log {0}: outside the workspace; give a path inside it")]
    OutsideWorkspace(PathBuf),
    #[error("audit-log {0}: a symbolic link; give a regular file")]
    SymbolicLink(PathBuf),
    #[error("audit-log {0}: not a regular file")]
    NotRegularFile(PathBuf),
    #[error("audit-log {0}: a file with more than one hard link; give a file of its own")]
    HardLinked(PathBuf),
    #[error("audit-log {path}: larger than {limit} bytes; not read")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("audit-log {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A log file kept inside a workspace: read whole (capped) and appended to.
#[derive(Debug, Clone)]
pub struct LogFile {
    path: PathBuf,
    workspace: PathBuf,
}

impl LogFile {
    pub fn new(path: &Path, workspace: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            workspace: workspace.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole file, or `None` when it does not exist; at most `cap` bytes, else an error.
    pub fn read(&self, cap: u64) -> Result<Option<Vec<u8>>, LogError> {
        let io = |source| LogError::Io {
            path: self.path.clone(),
            source,
        };
        match std::fs::symlink_metadata(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
            Ok(_) => {}
        }
        self.check_inside(&self.path)?;
        let file = self.open(std::fs::OpenOptions::new().read(true))?;
        let size = self.check_own(&file)?;
        let too_large = || LogError::TooLarge {
            path: self.path.clone(),
            limit: cap,
        };
        if size > cap {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        file.take(cap.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > cap {
            return Err(too_large());
        }
        Ok(Some(bytes))
    }

    /// Appends `text` (redacted: nothing reaches the log otherwise), creating the file (and its
    /// directories) inside the workspace when needed.
    pub fn append(&self, text: &crate::output::redact::Redacted) -> Result<(), LogError> {
        let bytes = text.as_bytes();
        let io = |source| LogError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Checked before creating anything (a directory link must not lead us out), and
            // again once the directories exist.
            self.check_inside(parent)?;
            std::fs::create_dir_all(parent).map_err(io)?;
            self.check_inside(parent)?;
        }
        let mut file = self.open(std::fs::OpenOptions::new().append(true).create(true))?;
        self.check_own(&file)?;
        if let Some(opened) = opened_path(&file) {
            let root = std::fs::canonicalize(&self.workspace)
                .map_err(|_| LogError::OutsideWorkspace(self.path.clone()))?;
            if !opened.starts_with(root) {
                return Err(LogError::OutsideWorkspace(self.path.clone()));
            }
        }
        std::io::Write::write_all(&mut file, bytes).map_err(io)
    }

    /// Opens the file itself without following a link, and without blocking on a FIFO.
    fn open(&self, options: &mut std::fs::OpenOptions) -> Result<std::fs::File, LogError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
        }
        options.open(&self.path).map_err(|e| {
            #[cfg(unix)]
            if e.raw_os_error() == Some(libc::ELOOP) {
                return LogError::SymbolicLink(self.path.clone());
            }
            LogError::Io {
                path: self.path.clone(),
                source: e,
            }
        })
    }

    /// The opened descriptor is a regular file with one link: its size.
    fn check_own(&self, file: &std::fs::File) -> Result<u64, LogError> {
        let meta = file.metadata().map_err(|source| LogError::Io {
            path: self.path.clone(),
            source,
        })?;
        match kind(&meta) {
            Kind::Own => Ok(meta.len()),
            Kind::NotRegular => Err(LogError::NotRegularFile(self.path.clone())),
            Kind::HardLinked => Err(LogError::HardLinked(self.path.clone())),
        }
    }

    /// `path` (or, while it does not exist, its nearest existing ancestor) resolves inside the
    /// workspace once every link is followed; the file itself is never a link.
    fn check_inside(&self, path: &Path) -> Result<(), LogError> {
        let outside = || LogError::OutsideWorkspace(self.path.clone());
        let root = std::fs::canonicalize(&self.workspace).map_err(|_| outside())?;
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(LogError::SymbolicLink(self.path.clone()));
        }
        let mut existing = path;
        loop {
            match std::fs::canonicalize(existing) {
                Ok(real) if real.starts_with(&root) => return Ok(()),
                Ok(_) => return Err(outside()),
                Err(_) => existing = existing.parent().ok_or_else(outside)?,
            }
        }
    }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Where an opened descriptor really is, when the system says (Linux's `/proc/self/fd`).
#[cfg(target_os = "linux")]
fn opened_path(file: &std::fs::File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

#[cfg(not(target_os = "linux"))]
fn opened_path(_: &std::fs::File) -> Option<PathBuf> {
    None
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "not found".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(dir: &Path) -> Roots {
        Roots::new(dir, None).expect("roots")
    }

    #[test]
    fn reads_a_regular_file_without_bom_and_one_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.token"), "\u{feff}value\n\n").expect("write");
        let r = roots(dir.path());
        let v = r
            .read("a.token", &dir.path().join("a.token"))
            .expect("read");
        assert_eq!(v.expose(), "value\n");
    }

    #[test]
    fn the_size_limit_allows_a_full_value_with_its_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = roots(dir.path());
        let full = "x".repeat(MAX_VALUE_BYTES) + "\r\n";
        std::fs::write(dir.path().join("full"), &full).expect("write");
        assert_eq!(
            r.read("full", &dir.path().join("full")).map(|v| v.len()),
            Ok(MAX_VALUE_BYTES)
        );
        std::fs::write(dir.path().join("over"), full + "y").expect("write");
        assert!(matches!(
            r.read("over", &dir.path().join("over")),
            Err(FileError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_missing_workspace_is_an_error() {
        assert!(matches!(
            Roots::new(Path::new("/nonexistent/ws"), None),
            Err(FileError::NoWorkspace(_))
        ));
    }

    #[test]
    fn runner_temp_is_a_root_only_when_given() {
        let ws = tempfile::tempdir().expect("ws");
        let temp = tempfile::tempdir().expect("temp");
        let file = temp.path().join("t.token");
        std::fs::write(&file, "v").expect("write");
        let pattern = file.display().to_string();
        assert!(matches!(
            roots(ws.path()).read(&pattern, &file),
            Err(FileError::Outside { also: "", .. })
        ));
        let both = Roots::new(ws.path(), Some(temp.path())).expect("roots");
        assert_eq!(both.read(&pattern, &file).map(|v| v.len()), Ok(1));
    }

    /// A missing path under a root matches nothing (for `if-no-files-found` to judge); one
    /// outside every root can never be read: an error, which says why under a `RUNNER_TEMP`
    /// the step cannot see (a container action's).
    #[test]
    fn a_missing_path_outside_the_roots_is_unseen_not_unmatched() {
        let ws = tempfile::tempdir().expect("ws");
        let temp = tempfile::tempdir().expect("temp");
        let seen = Roots::new(ws.path(), Some(temp.path())).expect("roots");
        for pattern in [
            "missing.token".to_owned(),
            "missing/*.token".to_owned(),
            temp.path().join("missing.token").display().to_string(),
            temp.path().join("gone/*.token").display().to_string(),
        ] {
            assert_eq!(seen.expand(&pattern, true), Ok(Vec::new()), "{pattern}");
        }
        let host = Path::new("/nonexistent-runner/_temp");
        let unseen = Roots::new(ws.path(), Some(host)).expect("roots");
        for pattern in [
            "/nonexistent-runner/_temp/s.token",
            "/nonexistent-runner/_temp/*.token",
        ] {
            let err = unseen.expand(pattern, true).expect_err(pattern);
            assert!(
                matches!(&err, FileError::Unseen { also: "", why, .. } if why.contains("RUNNER_TEMP")),
                "{pattern}: {err:?}"
            );
        }
        let err = unseen
            .expand("/nonexistent-elsewhere/s.token", true)
            .expect_err("outside");
        assert!(matches!(&err, FileError::Unseen { why: "", .. }), "{err:?}");
        assert!(
            err.to_string()
                .ends_with("write the file inside the workspace"),
            "{err}"
        );
    }
}
