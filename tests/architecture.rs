//! The architecture checks of issue 23, run by plain `cargo test`: over every file of `src/`,
//!
//! - no file-level import circle, inside folders too: `use crate::…`, `use super::…`,
//!   `super::x`/`crate::x` paths and paths through a child module (`child::f()`) are resolved
//!   through the `mod` declarations to the file they name; a parent declaring `mod child;` is not
//!   an import of the child, but a parent calling into its child is;
//! - no production file over [`MAX_FILE_LINES`] lines: the whole file counts, its inline
//!   `#[cfg(test)] mod tests { }` included (a reader opens all of it); a file that is itself a test
//!   module (`#[cfg(test)] mod tests;`) is not production and is not measured;
//! - no function over [`MAX_FN_LINES`] lines (from `fn` to its closing brace) outside
//!   `#[cfg(test)]` items and test-module files;
//! - nothing but `src/env/` and `src/main.rs` touches the process's environment, working
//!   directory, streams, standard input, terminal or wall clock (`std::env`,
//!   `print!`/`println!`/`eprint!`/`eprintln!`/`dbg!`, `io::stdout()`, `io::stderr()`,
//!   `io::stdin()`, `rpassword`, `SystemTime::now`, `OffsetDateTime::now_utc`/`now_local`), test
//!   code included: a run sees only the `Env` and the streams `run` was given, so every command
//!   runs in a test's process. `Instant::now` (the monotonic clock, for waits) is not the wall
//!   clock and stays allowed;
//! - nothing but `src/output/files.rs` and `src/config/workspace.rs` opens a file to write it
//!   (`OpenOptions`, `fs::write`, `File::create`) outside tests: their writers take only redacted
//!   text (`output::redact::Redacted`), so no file the tool writes escapes the redaction.
//!
//! Comments, strings and character literals are blanked before anything is measured, so text
//! about a rule never breaks it. [`ALLOWED`] lists the files over a limit today, each waiting for
//! its split.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// No production file is longer (lines, its inline tests included).
const MAX_FILE_LINES: usize = 700;
/// No function outside tests is longer (lines from `fn` to its closing brace).
const MAX_FN_LINES: usize = 80;

/// Which limit an allowlisted file is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Limit {
    /// Longer than [`MAX_FILE_LINES`].
    FileLines,
    /// Holds a function longer than [`MAX_FN_LINES`].
    FnLines,
}

/// The files over a limit today (paths under `src/`), each waiting for the split that issue 23
/// plans for it. Remove an entry when its file is split: the test fails while an entry is no
/// longer needed, so this list only shrinks, and it must end empty. Never add to it.
const ALLOWED: &[(&str, Limit)] = &[];

/// The files (or, ending in `/`, folders) that may touch the process: its environment, working
/// directory, streams, standard input, terminal and wall clock.
const PROCESS_BOUNDARY: &[&str] = &["env/", "main.rs"];

/// The files that may open a file to write it: their writers take only redacted text.
const FILE_WRITERS: &[&str] = &["output/files.rs", "config/workspace.rs"];

#[test]
fn the_source_tree_keeps_its_shape() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    read_tree(&src, &src, &mut files);
    assert!(files.contains_key("lib.rs"), "no src/lib.rs under {src:?}");
    let findings = check(&files, ALLOWED);
    assert!(findings.is_empty(), "{findings}");
}

/// The checks can fail: a circle between siblings, between a parent and its child and through
/// `crate::`, a long function, a long file and a print are each found, with file:line; a parent
/// declaring its child, text in comments and strings, and test code are not.
#[test]
fn the_checks_find_what_they_look_for() {
    let long_body = "    let x = 1;\n".repeat(MAX_FN_LINES - 1);
    let fitting_body = "    let x = 1;\n".repeat(MAX_FN_LINES - 2);
    let files = tree(&[
        (
            "lib.rs",
            "pub mod a;\npub mod b;\npub mod p;\nmod quiet;\n".to_owned(),
        ),
        ("a.rs", "use crate::b::X;\npub struct Y;\n".to_owned()),
        (
            "b.rs",
            "pub struct X;\nfn f() { let _ = super::a::Y; }\n".to_owned(),
        ),
        (
            "p/mod.rs",
            "mod c;\npub fn f() {\n    c::g()\n}\npub struct T;\n".to_owned(),
        ),
        ("p/c.rs", "pub fn g() { super::f() }\n".to_owned()),
        (
            "quiet/mod.rs",
            format!(
                "//! `println!` and `crate::a` in a comment; std::env::var(\"X\") in a doc.\n\
                 mod child;\npub struct T;\n\
                 fn fits() {{\n{fitting_body}}}\n\
                 fn long() {{\n{long_body}}}\n\
                 fn quoted() -> &'static str {{ \"print!(1); crate::a::Y\" }}\n\
                 #[cfg(test)]\nmod tests {{\n    fn long_test() {{\n{long_body}    }}\n}}\n"
            ),
        ),
        ("quiet/child.rs", "use super::T;\n".to_owned()),
        (
            "noisy.rs",
            "fn f() {\n    println!(\"x\");\n    let _ = std::env::var(\"X\");\n    \
             let _ = std::io::stderr();\n    let _ = std::env::current_dir();\n}\n\
             use std::io::{self, stdout};\nuse std::{env};\n"
                .to_owned(),
        ),
        ("big.rs", "\n".repeat(MAX_FILE_LINES + 1)),
        (
            "writer.rs",
            "fn f() {\n    let _ = std::fs::write(\"a\", \"b\");\n    \
             let _ = std::fs::OpenOptions::new();\n    let _ = File::create(\"x\");\n}\n\
             #[cfg(test)]\nmod tests {\n    fn t() { let _ = std::fs::write(\"a\", \"b\"); }\n}\n"
                .to_owned(),
        ),
    ]);
    let report = check(&files, &[]).to_string();
    for expected in [
        "src/a.rs:1 -> src/b.rs",
        "src/b.rs:2 -> src/a.rs",
        "src/p/mod.rs:3 -> src/p/c.rs",
        "src/p/c.rs:1 -> src/p/mod.rs",
        &format!(
            "src/quiet/mod.rs:{} long: {} lines",
            MAX_FN_LINES + 4,
            MAX_FN_LINES + 1
        ),
        "src/noisy.rs:2: println!",
        "src/noisy.rs:3: std::env",
        "src/noisy.rs:4: io::stderr",
        "src/noisy.rs:5: std::env::current_dir",
        "src/noisy.rs:7: io::stdout",
        "src/noisy.rs:8: std::env",
        &format!("src/big.rs: {} lines", MAX_FILE_LINES + 1),
        "src/writer.rs:2: fs::write",
        "src/writer.rs:3: OpenOptions",
        "src/writer.rs:4: File::create",
    ] {
        assert!(report.contains(expected), "{expected:?} not in:\n{report}");
    }
    for unexpected in [
        "quiet/child.rs",
        "fits",
        "long_test",
        "quiet/mod.rs:1",
        "quiet/mod.rs: ",
        "src/writer.rs:9",
    ] {
        assert!(!report.contains(unexpected), "{unexpected:?} in:\n{report}");
    }
    assert_eq!(report.matches("circle:").count(), 2, "{report}");
}

/// An allowlisted file over its limit passes; an entry its file no longer needs fails, and so
/// does an entry for a file that is gone. A test-module file is not measured.
#[test]
fn the_allowlist_only_shrinks() {
    let long_test = format!(
        "fn t() {{\n{}}}\n",
        "    let x = 1;\n".repeat(MAX_FILE_LINES)
    );
    let files = tree(&[
        ("lib.rs", "mod big;\nmod small;\n".to_owned()),
        ("big.rs", "\n".repeat(MAX_FILE_LINES + 1)),
        (
            "small.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests;\n".to_owned(),
        ),
        ("small/tests.rs", long_test),
    ]);
    assert!(check(&files, &[("big.rs", Limit::FileLines)]).is_empty());
    let stale = check(
        &files,
        &[
            ("big.rs", Limit::FileLines),
            ("small.rs", Limit::FileLines),
            ("small.rs", Limit::FnLines),
            ("gone.rs", Limit::FnLines),
        ],
    )
    .to_string();
    for expected in [
        "src/small.rs (FileLines): no longer needed",
        "src/small.rs (FnLines): no longer needed",
        "src/gone.rs (FnLines): no longer needed",
    ] {
        assert!(stale.contains(expected), "{expected:?} not in:\n{stale}");
    }
}

/// Standard input, the terminal and the wall clock are the process's too: found outside
/// `src/env/` (test code included), however they are spelt; inside `src/env/`, and the
/// monotonic clock anywhere, are not.
#[test]
fn stdin_the_terminal_and_the_wall_clock_are_found_outside_env() {
    let files = tree(&[
        (
            "lib.rs",
            "mod env;
mod reads;
mod waits;
"
            .to_owned(),
        ),
        (
            "env/mod.rs",
            "mod prompt;
fn f() { let _ = std::io::stdin(); let _ = std::env::current_dir(); }
"
            .to_owned(),
        ),
        (
            "env/prompt.rs",
            "fn f() { let _ = rpassword::prompt_password(\"?\"); }
"
            .to_owned(),
        ),
        (
            "reads.rs",
            "use std::io::{self, Read};
use std::time::SystemTime;
             fn f() {
    let _ = io::stdin().read(&mut []);
                 let _ = rpassword::prompt_password(\"?\");
                 let _ = SystemTime::now();
                 let _ = time::OffsetDateTime::now_utc();
                 let _ = std::env::current_dir();
}
             #[cfg(test)]
mod tests {
    fn t() { let _ = OffsetDateTime::now_local(); }
}
             use std::io::stdin;
"
            .to_owned(),
        ),
        (
            "waits.rs",
            "use std::time::Instant;
fn f() { let _ = Instant::now(); let _ = Stdin; }
"
            .to_owned(),
        ),
    ]);
    let report = check(&files, &[]).to_string();
    for expected in [
        "src/reads.rs:4: io::stdin",
        "src/reads.rs:5: rpassword",
        "src/reads.rs:6: SystemTime::now",
        "src/reads.rs:7: OffsetDateTime::now_utc",
        "src/reads.rs:8: std::env::current_dir",
        "src/reads.rs:12: OffsetDateTime::now_local",
        "src/reads.rs:14: io::stdin",
    ] {
        assert!(report.contains(expected), "{expected:?} not in:\n{report}");
    }
    for unexpected in [
        "env/mod.rs",
        "env/prompt.rs",
        "waits.rs",
        "reads.rs:1:",
        "reads.rs:2:",
    ] {
        assert!(!report.contains(unexpected), "{unexpected:?} in:\n{report}");
    }
}

/// Reads every `.rs` file under `dir`, keyed by its path under `src` with `/` separators.
fn read_tree(src: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .map(|e| e.unwrap_or_else(|e| panic!("{dir:?}: {e}")).path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(src, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(src).unwrap_or(&path);
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            files.insert(key, text);
        }
    }
}

fn tree(files: &[(&str, String)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), t.clone()))
        .collect()
}

/// What the checks found, one section per check; empty when all is well.
#[derive(Default)]
struct Findings {
    circles: Vec<String>,
    long_files: Vec<String>,
    long_fns: Vec<String>,
    process: Vec<String>,
    writes: Vec<String>,
    stale: Vec<String>,
}

impl Findings {
    fn is_empty(&self) -> bool {
        self.circles.is_empty()
            && self.long_files.is_empty()
            && self.long_fns.is_empty()
            && self.process.is_empty()
            && self.writes.is_empty()
            && self.stale.is_empty()
    }
}

impl std::fmt::Display for Findings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sections = [
            (
                "file-level import circles (break each: move the shared item down, or pass it in)",
                &self.circles,
            ),
            (
                "production files over the line limit (split them)",
                &self.long_files,
            ),
            ("functions over the line limit (split them)", &self.long_fns),
            (
                "the process's environment, streams, input or clock touched outside src/env/ \
                 and src/main.rs (go through crate::env)",
                &self.process,
            ),
            (
                "files opened for writing outside src/output/files.rs and \
                 src/config/workspace.rs (write through output::files: it redacts)",
                &self.writes,
            ),
            (
                "allowlist entries no longer needed (remove them from ALLOWED)",
                &self.stale,
            ),
        ];
        for (title, rows) in sections {
            if rows.is_empty() {
                continue;
            }
            // A circle's imports are listed indented under it.
            let count = rows.iter().filter(|r| !r.starts_with(' ')).count();
            writeln!(f, "{title}: {count}")?;
            for row in rows {
                writeln!(f, "  {row}")?;
            }
        }
        Ok(())
    }
}

/// Runs every check over `files` (path under `src/` → text), tolerating what `allowed` lists.
fn check(files: &BTreeMap<String, String>, allowed: &[(&str, Limit)]) -> Findings {
    let crate_tree = ModuleTree::of(files);
    let mut findings = Findings {
        circles: circles(files, &crate_tree),
        ..Findings::default()
    };
    let mut over: BTreeSet<(String, Limit)> = BTreeSet::new();
    for (path, text) in files {
        let tokens = tokens(&blank(text));
        for (line, what) in process_touches(path, &tokens) {
            let row = format!("src/{path}:{line}: {what}");
            // `std::io::stdin()` is seen from `std` and from `io`: one row.
            if findings.process.last() != Some(&row) {
                findings.process.push(row);
            }
        }
        if crate_tree.test_only.contains(path) {
            continue;
        }
        if !FILE_WRITERS.contains(&path.as_str()) {
            for (line, what) in file_writes(&production(&tokens)) {
                findings.writes.push(format!("src/{path}:{line}: {what}"));
            }
        }
        let lines = text.lines().count();
        if lines > MAX_FILE_LINES {
            over.insert((path.clone(), Limit::FileLines));
            if !allowed.contains(&(path.as_str(), Limit::FileLines)) {
                findings
                    .long_files
                    .push(format!("src/{path}: {lines} lines"));
            }
        }
        for (line, name, n) in long_functions(&production(&tokens)) {
            over.insert((path.clone(), Limit::FnLines));
            if !allowed.contains(&(path.as_str(), Limit::FnLines)) {
                findings
                    .long_fns
                    .push(format!("src/{path}:{line} {name}: {n} lines"));
            }
        }
    }
    for (path, limit) in allowed {
        if !over.contains(&((*path).to_owned(), *limit)) {
            findings
                .stale
                .push(format!("src/{path} ({limit:?}): no longer needed"));
        }
    }
    findings
}

// ---- Lexing -------------------------------------------------------------------------------

/// `text` with comments, string literals and character literals blanked (newlines kept, so
/// lines still count), lifetimes kept.
fn blank(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank_to = |out: &mut String, from: usize, to: usize| {
        for ch in &c[from..to.min(c.len())] {
            out.push(if *ch == '\n' { '\n' } else { ' ' });
        }
    };
    while i < c.len() {
        let prev_ident = i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            let end = (i..c.len()).find(|&j| c[j] == '\n').unwrap_or(c.len());
            blank_to(&mut out, i, end);
            i = end;
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < c.len() && depth > 0 {
                if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank_to(&mut out, i, j);
            i = j;
        } else if let Some(end) = raw_string_end(&c, i).filter(|_| !prev_ident) {
            blank_to(&mut out, i, end);
            i = end;
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            blank_to(&mut out, i, j + 1);
            i = j + 1;
        } else if c[i] == '\'' && c.get(i + 1) == Some(&'\\') {
            let end = (i + 3..c.len()).find(|&j| c[j] == '\'').unwrap_or(c.len());
            blank_to(&mut out, i, end + 1);
            i = end + 1;
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            blank_to(&mut out, i, i + 3);
            i += 3;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Where a raw string (`r"…"`, `r#"…"#`, `br"…"`) starting at `i` ends, if one does.
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = (j..c.len()).take_while(|&k| c[k] == '#').count();
    j += hashes;
    if c.get(j) != Some(&'"') {
        return None;
    }
    let closing: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    let end = (j + 1..c.len())
        .find(|&k| c[k..].starts_with(&closing))
        .map_or(c.len(), |k| k + closing.len());
    Some(end)
}

/// A token of blanked code: an identifier (or number) or punctuation (`::`, `->` and `=>` as
/// one), with its line.
#[derive(Clone, Debug)]
struct Token {
    text: String,
    line: usize,
}

impl Token {
    fn is(&self, s: &str) -> bool {
        self.text == s
    }

    fn is_ident(&self) -> bool {
        self.text
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    }
}

fn tokens(code: &str) -> Vec<Token> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let end = (i..c.len())
                .find(|&j| !(c[j].is_alphanumeric() || c[j] == '_'))
                .unwrap_or(c.len());
            out.push(Token {
                text: c[i..end].iter().collect(),
                line,
            });
            i = end;
        } else {
            let pair: String = c[i..(i + 2).min(c.len())].iter().collect();
            let text = if ["::", "->", "=>"].contains(&pair.as_str()) {
                pair
            } else {
                ch.to_string()
            };
            i += text.chars().count();
            out.push(Token { text, line });
        }
    }
    out
}

/// Where the attribute starting at `i` (`#`) ends, and whether it is `#[cfg(test)]`.
fn attribute(t: &[Token], i: usize) -> Option<(usize, bool)> {
    if !t.get(i)?.is("#") || !t.get(i + 1)?.is("[") {
        return None;
    }
    let end = matching(t, i + 1)?;
    let inner: Vec<&str> = t[i + 2..end].iter().map(|t| t.text.as_str()).collect();
    Some((end + 1, inner == ["cfg", "(", "test", ")"]))
}

/// The index of the bracket closing the one at `open` (`(`, `[` or `{`).
fn matching(t: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (k, tok) in t.iter().enumerate().skip(open) {
        match tok.text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the item starting at `i` ends: after its `;` (or a field's `,`) or its body's closing
/// brace; at the closing brace around it when it is the last field.
fn item_end(t: &[Token], i: usize) -> usize {
    let mut k = i;
    while k < t.len() {
        match t[k].text.as_str() {
            ";" | "," => return k + 1,
            "}" => return k,
            "{" => return matching(t, k).map_or(t.len(), |e| e + 1),
            "(" | "[" => k = matching(t, k).map_or(t.len(), |e| e + 1),
            _ => k += 1,
        }
    }
    t.len()
}

/// The tokens outside `#[cfg(test)]` items.
fn production(t: &[Token]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if let Some((after, true)) = attribute(t, i) {
            let mut k = after;
            while let Some((next, _)) = attribute(t, k) {
                k = next;
            }
            i = item_end(t, k);
        } else {
            out.push(t[i].clone());
            i += 1;
        }
    }
    out
}

// ---- Functions ----------------------------------------------------------------------------

/// Functions longer than [`MAX_FN_LINES`]: (line of `fn`, name, lines).
fn long_functions(t: &[Token]) -> Vec<(usize, String, usize)> {
    let mut found = Vec::new();
    for (i, tok) in t.iter().enumerate() {
        if !tok.is("fn") || !t.get(i + 1).is_some_and(Token::is_ident) {
            continue;
        }
        let mut depth = 0i32;
        let mut k = i + 2;
        let body = loop {
            let Some(x) = t.get(k) else { break None };
            match x.text.as_str() {
                "(" | "[" | "<" => depth += 1,
                ")" | "]" | ">" => depth -= 1,
                ";" if depth <= 0 => break None,
                "{" if depth <= 0 => break Some(k),
                _ => {}
            }
            k += 1;
        };
        let Some(close) = body.and_then(|b| matching(t, b)) else {
            continue;
        };
        let lines = t[close].line - tok.line + 1;
        if lines > MAX_FN_LINES {
            found.push((tok.line, t[i + 1].text.clone(), lines));
        }
    }
    found
}

// ---- The process boundary -----------------------------------------------------------------

/// Where `path` touches the process's environment, streams, input or clock, and how (nothing
/// when it is the boundary).
fn process_touches(path: &str, t: &[Token]) -> Vec<(usize, String)> {
    let inside = |b: &&str| match b.strip_suffix('/') {
        Some(dir) => path.starts_with(&format!("{dir}/")),
        None => path == *b,
    };
    if PROCESS_BOUNDARY.iter().any(inside) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let tok = &t[i];
        let next = |k: usize| t.get(i + k).map(|t| t.text.as_str());
        if tok.is("use") {
            let end = (i..t.len()).find(|&k| t[k].is(";")).unwrap_or(t.len());
            for (line, used) in use_paths(&t[i + 1..end]) {
                found.extend(process_path(&used).map(|w| (line, w)));
            }
            i = end;
        } else if ["print", "println", "eprint", "eprintln", "dbg"].contains(&tok.text.as_str())
            && next(1) == Some("!")
        {
            found.push((tok.line, format!("{}!", tok.text)));
        } else if tok.is_ident() && next(1) == Some("::") {
            let mut segments = vec![tok.text.clone(), next(2).unwrap_or_default().to_owned()];
            if next(3) == Some("::") {
                segments.extend(next(4).map(str::to_owned));
            }
            found.extend(process_path(&segments).map(|w| (tok.line, w)));
        }
        i += 1;
    }
    found
}

/// Where production code opens a file to write it: `OpenOptions`, `fs::write`, `File::create`.
fn file_writes(t: &[Token]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, tok) in t.iter().enumerate() {
        let next = |k: usize| t.get(i + k).map(|t| t.text.as_str());
        if tok.is("OpenOptions") {
            found.push((tok.line, "OpenOptions".to_owned()));
        } else if (tok.is("fs") && next(1) == Some("::") && next(2) == Some("write"))
            || (tok.is("File") && next(1) == Some("::") && next(2) == Some("create"))
        {
            found.push((
                tok.line,
                format!("{}::{}", tok.text, next(2).unwrap_or_default()),
            ));
        }
    }
    found
}

/// What a path touches of the process: `std::env` (`std::env::current_dir` told apart),
/// `io::stdout`, `io::stderr` or `io::stdin`, `rpassword` (the terminal), or the wall clock
/// (`SystemTime::now`, `OffsetDateTime::now_utc`, `OffsetDateTime::now_local`).
fn process_path(path: &[String]) -> Option<String> {
    if path.first().is_some_and(|s| s == "rpassword") {
        return Some("rpassword".to_owned());
    }
    path.windows(2)
        .enumerate()
        .find_map(|(k, w)| match (w[0].as_str(), w[1].as_str()) {
            ("std", "env") if path.get(k + 2).is_some_and(|s| s == "current_dir") => {
                Some("std::env::current_dir".to_owned())
            }
            ("std", "env") => Some("std::env".to_owned()),
            ("io", s @ ("stdout" | "stderr" | "stdin")) => Some(format!("io::{s}")),
            ("SystemTime", "now") => Some("SystemTime::now".to_owned()),
            ("OffsetDateTime", s @ ("now_utc" | "now_local")) => {
                Some(format!("OffsetDateTime::{s}"))
            }
            _ => None,
        })
}

// ---- Modules and imports ------------------------------------------------------------------

/// The library's modules: module path → file, and the files that are test modules.
#[derive(Default)]
struct ModuleTree {
    files: BTreeMap<Vec<String>, String>,
    test_only: BTreeSet<String>,
}

impl ModuleTree {
    /// Follows the `mod` declarations from `lib.rs` (and `main.rs`, a crate of its own whose
    /// modules, if any, are walked the same way).
    fn of(files: &BTreeMap<String, String>) -> Self {
        let mut tree = ModuleTree::default();
        for root in ["lib.rs", "main.rs"] {
            if files.contains_key(root) {
                let modules = if root == "lib.rs" {
                    vec![]
                } else {
                    vec!["<bin>".to_owned()]
                };
                tree.walk(files, root, modules, false);
            }
        }
        tree
    }

    fn walk(&mut self, files: &BTreeMap<String, String>, file: &str, at: Vec<String>, test: bool) {
        let Some(text) = files.get(file) else { return };
        self.files.insert(at.clone(), file.to_owned());
        if test {
            self.test_only.insert(file.to_owned());
        }
        let t = tokens(&blank(text));
        for decl in mod_declarations(&t) {
            let mut module = at.clone();
            module.extend(decl.inline.iter().cloned());
            module.push(decl.name.clone());
            if decl.body {
                self.files.insert(module, file.to_owned());
                continue;
            }
            let dir = children_dir(file);
            let inline = decl
                .inline
                .iter()
                .map(|m| format!("{m}/"))
                .collect::<String>();
            let flat = format!("{dir}{inline}{}.rs", decl.name);
            let nested = format!("{dir}{inline}{}/mod.rs", decl.name);
            let child = if files.contains_key(&flat) {
                flat
            } else {
                nested
            };
            self.walk(files, &child, module, test || decl.test);
        }
    }

    fn is_module(&self, path: &[String]) -> bool {
        self.files.contains_key(path)
    }
}

/// The folder a file's `mod x;` children live in (with a trailing `/`, or empty for `src/`).
fn children_dir(file: &str) -> String {
    let (dir, name) = file.rsplit_once('/').unwrap_or(("", file));
    let dir = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    if ["mod.rs", "lib.rs", "main.rs"].contains(&name) {
        dir
    } else {
        format!("{dir}{}/", name.trim_end_matches(".rs"))
    }
}

/// A `mod name;` or `mod name { }`, inside the inline modules `inline`.
struct ModDecl {
    name: String,
    inline: Vec<String>,
    body: bool,
    test: bool,
}

fn mod_declarations(t: &[Token]) -> Vec<ModDecl> {
    let mut found = Vec::new();
    // Inline modules open around the current token: (name, test, index of the closing brace).
    let mut open: Vec<(String, bool, usize)> = Vec::new();
    let mut test = false;
    let mut i = 0;
    while i < t.len() {
        while open.last().is_some_and(|(_, _, close)| i > *close) {
            open.pop();
        }
        if let Some((after, is_test)) = attribute(t, i) {
            test |= is_test;
            i = after;
            continue;
        }
        if t[i].is("pub") {
            let group = t.get(i + 1).is_some_and(|x| x.is("("));
            i = if group {
                matching(t, i + 1).map_or(t.len(), |e| e + 1)
            } else {
                i + 1
            };
            continue;
        }
        if !t[i].is("mod") || !t.get(i + 1).is_some_and(Token::is_ident) {
            test = false;
            i += 1;
            continue;
        }
        let name = t[i + 1].text.clone();
        let body = t.get(i + 2).is_some_and(|x| x.is("{"));
        let test_here = test || open.iter().any(|(_, test, _)| *test);
        let inline = open.iter().map(|(n, _, _)| n.clone()).collect();
        if body {
            if let Some(close) = matching(t, i + 2) {
                open.push((name.clone(), test_here, close));
            }
        }
        found.push(ModDecl {
            name,
            inline,
            body,
            test: test_here,
        });
        test = false;
        i += 2;
    }
    found
}

/// Each import of `file` (module `at`) that names another file: (line, that file).
fn imports(tree: &ModuleTree, file: &str, at: &[String], t: &[Token]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut scope: Vec<(Vec<String>, usize)> = vec![(at.to_vec(), usize::MAX)];
    let mut i = 0;
    while i < t.len() {
        while scope.last().is_some_and(|(_, close)| i > *close) {
            scope.pop();
        }
        let here = scope.last().map(|(m, _)| m.clone()).unwrap_or_default();
        let tok = &t[i];
        if tok.is("mod") && t.get(i + 2).is_some_and(|x| x.is("{")) {
            let mut inner = here.clone();
            inner.push(t[i + 1].text.clone());
            scope.push((inner, matching(t, i + 2).unwrap_or(t.len())));
            i += 3;
            continue;
        }
        let starts_path = tok.is_ident()
            && t.get(i + 1).is_some_and(|x| x.is("::"))
            && !(i > 0 && (t[i - 1].is("::") || t[i - 1].is(".")))
            && !(i > 1 && t[i - 1].is("in") && t[i - 2].is("("));
        if tok.is("use") {
            let end = (i..t.len()).find(|&k| t[k].is(";")).unwrap_or(t.len());
            for (line, path) in use_paths(&t[i + 1..end]) {
                found.extend(resolve(tree, &here, &path).map(|f| (line, f)));
            }
            i = end;
        } else if starts_path {
            let mut path = vec![tok.text.clone()];
            let mut k = i + 1;
            while t.get(k).is_some_and(|x| x.is("::")) && t.get(k + 1).is_some_and(Token::is_ident)
            {
                path.push(t[k + 1].text.clone());
                k += 2;
            }
            found.extend(resolve(tree, &here, &path).map(|f| (tok.line, f)));
            i = k;
        } else {
            i += 1;
        }
    }
    found.retain(|(_, f)| f != file);
    found
}

/// The paths a `use` tree (the tokens between `use` and `;`) names, each with its line.
fn use_paths(t: &[Token]) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    use_tree(t, &mut Vec::new(), &mut out);
    out
}

fn use_tree(t: &[Token], prefix: &mut Vec<String>, out: &mut Vec<(usize, Vec<String>)>) {
    let depth = prefix.len();
    let mut i = 0;
    while i < t.len() {
        let tok = &t[i];
        if tok.is("{") {
            let close = matching(t, i).unwrap_or(t.len());
            let inner = &t[i + 1..close.min(t.len())];
            let mut start = 0;
            for part in split_top_level(inner) {
                use_tree(&inner[start..start + part], prefix, out);
                start += part + 1;
            }
            break;
        } else if tok.is_ident() && !tok.is("as") && !tok.is("pub") {
            // `use a::{self, b}`: `self` is the prefix itself.
            if !tok.is("self") || prefix.is_empty() {
                prefix.push(tok.text.clone());
            }
            if !t.get(i + 1).is_some_and(|x| x.is("::")) {
                out.push((tok.line, prefix.clone()));
                break;
            }
            i += 2;
        } else if tok.is("*") {
            out.push((tok.line, prefix.clone()));
            break;
        } else {
            i += 1;
        }
    }
    prefix.truncate(depth);
}

/// The lengths of the comma-separated parts of a list, commas inside braces left alone.
fn split_top_level(t: &[Token]) -> Vec<usize> {
    let (mut parts, mut start, mut depth) = (Vec::new(), 0, 0);
    for (k, tok) in t.iter().enumerate() {
        match tok.text.as_str() {
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => {
                parts.push(k - start);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(t.len() - start);
    parts
}

/// The file a path used in module `here` reaches: the deepest module it names (`crate::a::b::X`
/// → `a/b.rs`), through `crate`, `super`, `self` or a child module of `here`. None for other
/// crates, `std` and local items.
fn resolve(tree: &ModuleTree, here: &[String], path: &[String]) -> Option<String> {
    let (first, rest) = path.split_first()?;
    let mut module: Vec<String> = here.to_vec();
    let mut rest = rest;
    match first.as_str() {
        "crate" => module.clear(),
        "self" => {}
        "super" => {
            module.pop();
            while rest.first().is_some_and(|s| s == "super") {
                module.pop();
                rest = &rest[1..];
            }
        }
        child => {
            module.push(child.to_owned());
            if !tree.is_module(&module) {
                return None;
            }
        }
    }
    for seg in rest {
        module.push(seg.clone());
        if !tree.is_module(&module) {
            module.pop();
            break;
        }
    }
    tree.files.get(&module).cloned()
}

/// The file-level import circles among production files: each circle, then each import in it.
fn circles(files: &BTreeMap<String, String>, tree: &ModuleTree) -> Vec<String> {
    let mut graph: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    // Each file's own module: the shortest path naming it (inline modules name it too).
    let mut roots: BTreeMap<&String, &Vec<String>> = BTreeMap::new();
    for (module, file) in &tree.files {
        let own = roots.entry(file).or_insert(module);
        if module.len() < own.len() {
            *own = module;
        }
    }
    for (file, module) in &roots {
        if tree.test_only.contains(*file) || module.first().is_some_and(|m| m == "<bin>") {
            continue;
        }
        let Some(text) = files.get(*file) else {
            continue;
        };
        let t = production(&tokens(&blank(text)));
        let edges = graph.entry((*file).clone()).or_default();
        for (line, to) in imports(tree, file, module, &t) {
            if !tree.test_only.contains(&to) {
                edges.entry(to).or_insert(line);
            }
        }
    }
    let mut out = Vec::new();
    for component in strongly_connected(&graph) {
        out.push(format!(
            "circle: {}",
            component
                .iter()
                .map(|f| format!("src/{f}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for from in &component {
            for (to, line) in &graph[from] {
                if component.contains(to) {
                    out.push(format!("  src/{from}:{line} -> src/{to}"));
                }
            }
        }
    }
    out
}

/// Tarjan's strongly connected components with more than one node, each sorted.
fn strongly_connected(graph: &BTreeMap<String, BTreeMap<String, usize>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeMap<String, usize>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flat_map(|e| e.keys()) {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let low = s.low[v].min(s.low[w.as_str()]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w.as_str()) {
                let low = s.low[v].min(s.index[w.as_str()]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found.sort();
    s.found
}
