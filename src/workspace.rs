//! The one place workspace files are opened: the files listed in `files` (action) or `--files`
//! (`sync`).
//!
//! The workspace is hostile: the job's own code writes it, and on a self-hosted runner an earlier
//! job may have. A listed file is read only when
//! - it resolves, every symlink followed, inside one of the roots: the workspace, and in the
//!   action also `RUNNER_TEMP` (the directories the runner mounts for the job's own files);
//! - it is a regular file: checked on the path before opening (a device is never opened), then
//!   on the opened descriptor with `fstat` (no check-then-open race), and on Linux the opened
//!   descriptor's real path is checked against the roots again;
//! - it is opened non-blocking, so a FIFO can never hang the run;
//! - it is at most GitHub's secret size: reads stop one byte past the largest file that can hold
//!   a valid value.
//!
//! Errors name the pattern and the path, never a byte of content.

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
    #[error("`{pattern}` walks more than {MAX_WALKED} entries: name a narrower directory")]
    TooManyEntries { pattern: String },
    #[error("`{pattern}` matches {path}, which is not a regular file")]
    NotRegular { pattern: String, path: String },
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

/// The directories listed files may resolve into, canonical.
#[derive(Debug, Clone)]
pub struct Roots {
    /// The workspace as given: patterns are relative to it and paths are shown relative to it.
    workspace: PathBuf,
    canonical: Vec<PathBuf>,
    /// `RUNNER_TEMP` is a root too (the action only).
    with_temp: bool,
}

impl Roots {
    /// The workspace (must be a directory) and, when given and present, `RUNNER_TEMP`.
    pub fn new(workspace: &Path, runner_temp: Option<&Path>) -> Result<Self, FileError> {
        let root = std::fs::canonicalize(workspace)
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| FileError::NoWorkspace(workspace.to_path_buf()))?;
        let temp = runner_temp
            .filter(|p| !p.as_os_str().is_empty())
            .and_then(|p| std::fs::canonicalize(p).ok())
            .filter(|p| p.is_dir());
        let with_temp = temp.is_some();
        Ok(Self {
            workspace: workspace.to_path_buf(),
            canonical: std::iter::once(root).chain(temp).collect(),
            with_temp,
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
            return Ok(std::fs::symlink_metadata(&full)
                .map(|_| vec![full])
                .unwrap_or_default());
        }
        let base: PathBuf = full.components().take_while(|c| !wild(c)).collect();
        match std::fs::canonicalize(&base) {
            Ok(real) if self.inside(&real) => {}
            Ok(_) => return Err(self.outside(pattern, &base)),
            Err(_) => return Ok(Vec::new()),
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
        if !meta.is_file() {
            return Err(not_regular());
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
}
