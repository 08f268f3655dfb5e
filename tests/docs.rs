//! The documentation as a front page and a set of pages that tell one story: the README stays
//! short, every relative link leads somewhere, every file of the repository the docs name in
//! code (`src/engine/`, `tests/integration/agents.rs`) exists, and every release the docs name
//! is the version `Cargo.toml` holds (one version, told the same everywhere). No network, no
//! binary: only the files of the repository are read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The README is a front page: what, usage, inputs, outputs, the token, install, links.
/// Everything else goes to `docs/`.
const README_MAX_LINES: usize = 250;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn files_in(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// The markdown pages people read: the root's and `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages = files_in(".", "md");
    pages.extend(files_in("docs", "md"));
    assert!(
        pages.iter().any(|p| p.ends_with("docs/architecture.md")),
        "docs/ was not found: {pages:?}"
    );
    pages
}

/// The files that name a release of secret-refresh: every page but the changelog (whose
/// headings are the versions themselves), `action.yml` and the example workflows.
fn naming_a_release() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = pages()
        .into_iter()
        .filter(|p| !p.ends_with("CHANGELOG.md") && !p.ends_with("BENCHMARKS.md"))
        .collect();
    files.push(root().join("action.yml"));
    files.extend(files_in("examples/workflows", "yml"));
    files
}

/// `Cargo.toml`'s `key = "value"` in its `[package]` table.
fn package_field(key: &str) -> String {
    let manifest = read(&root().join("Cargo.toml"));
    let package = manifest
        .split("\n[")
        .find(|table| table.starts_with("[package]") || table.starts_with("package]"))
        .expect("a [package] table");
    package
        .lines()
        .find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| panic!("no {key} in [package]"))
}

/// Every `vN.N.N` in `line` (not inside a longer word), without the `v`.
fn versions(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    for (i, _) in line.match_indices('v') {
        if i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &line[i + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let candidate = rest[..end].trim_end_matches('.');
        let parts: Vec<&str> = candidate.split('.').collect();
        if parts.len() == 3 && parts.iter().all(|p| !p.is_empty()) {
            found.push(candidate.to_owned());
        }
    }
    found
}

/// What follows each `marker` in `line` up to a space or a closing quote or backtick.
fn after<'a>(line: &'a str, marker: &str) -> Vec<&'a str> {
    line.match_indices(marker)
        .map(|(i, _)| {
            let rest = &line[i + marker.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || "`'\")".contains(c))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// The release versions a file names, with their line numbers: a `vN.N.N` anywhere (but on a
/// line that pins another project's action), the image's tag (`secret-refresh:TAG`) and a
/// version ref (`secret-refresh@vN…`).
fn named_versions(text: &str) -> Vec<(usize, String)> {
    let mut named = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let another_action = line.contains("uses:") && !line.contains("secret-refresh");
        if !another_action {
            named.extend(versions(line).into_iter().map(|v| (n + 1, format!("v{v}"))));
        }
        for tag in after(line, "secret-refresh:") {
            if tag.starts_with(|c: char| c.is_ascii_digit()) {
                named.push((n + 1, format!("image tag {tag}")));
            }
        }
        for r in after(line, "secret-refresh@v") {
            if r.starts_with(|c: char| c.is_ascii_digit()) {
                named.push((n + 1, format!("ref v{r}")));
            }
        }
    }
    named
}

#[test]
fn the_readme_is_a_front_page() {
    let readme = read(&root().join("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES}: move the detail to docs/"
    );
    // The two commands a newcomer runs first, at the very top.
    let top: String = readme.lines().take(10).collect::<Vec<_>>().join("\n");
    assert!(
        top.contains("sync --workspace examples/demo") && top.contains("bash .ci/test"),
        "{top}"
    );
}

#[test]
fn every_release_named_is_cargo_toml_s_version() {
    let version = package_field("version");
    let major = version
        .split('.')
        .next()
        .expect("a major number")
        .to_owned();
    let allowed: BTreeSet<String> = [
        format!("v{version}"),
        format!("image tag {version}"),
        format!("ref v{version}"),
        format!("ref v{major}"),
    ]
    .into();
    let mut wrong = Vec::new();
    let mut seen = 0;
    for file in naming_a_release() {
        for (line, named) in named_versions(&read(&file)) {
            seen += 1;
            if !allowed.contains(&named) {
                let name = file.strip_prefix(root()).unwrap_or(&file).display();
                wrong.push(format!("{name}:{line}: {named}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "Cargo.toml says {version}; these name another release (use {version}, or a placeholder \
         such as vX.Y.Z):\n{}",
        wrong.join("\n")
    );
    assert!(seen > 0, "no release named anywhere: is the scan looking?");
}

#[test]
fn the_readme_s_rust_version_is_cargo_toml_s() {
    let rust_version = package_field("rust-version");
    let readme = read(&root().join("README.md"));
    let said: Vec<&str> = readme
        .match_indices("Rust ")
        .filter_map(|(i, _)| {
            let rest = &readme[i + "Rust ".len()..];
            let end = rest.find(" or later")?;
            let v = &rest[..end];
            v.chars()
                .all(|c| c.is_ascii_digit() || c == '.')
                .then_some(v)
        })
        .collect();
    assert!(!said.is_empty(), "the README names no \"Rust X or later\"");
    assert!(
        said.iter().all(|v| *v == rust_version),
        "README says Rust {said:?} or later, Cargo.toml's rust-version is {rust_version}"
    );
}

/// `rust-version` is what CI, the release and the image build with (`.ci/test` checks that the
/// toolchain it builds with is that version): a declared version no job builds is a guess.
#[test]
fn the_rust_version_is_the_toolchain_ci_the_release_and_the_image_use() {
    let rust_version = package_field("rust-version");
    let mut named = Vec::new();
    for workflow in [".github/workflows/ci.yml", ".github/workflows/release.yml"] {
        let text = read(&root().join(workflow));
        let found: Vec<String> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("RUST_TOOLCHAIN:"))
            .map(|v| v.trim().trim_matches('"').to_owned())
            .collect();
        assert!(!found.is_empty(), "{workflow} names no RUST_TOOLCHAIN");
        named.extend(found.into_iter().map(|v| (workflow, v)));
    }
    let dockerfile = read(&root().join("Dockerfile"));
    let images: Vec<String> = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("FROM rust:"))
        .map(|rest| {
            rest.split(['-', ' ', '@'])
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert!(
        !images.is_empty(),
        "the Dockerfile builds FROM no rust image"
    );
    named.extend(images.into_iter().map(|v| ("Dockerfile", v)));
    let other: Vec<_> = named
        .iter()
        .filter(|(_, v)| *v != rust_version && !v.starts_with(&format!("{rust_version}.")))
        .collect();
    assert!(
        other.is_empty(),
        "Cargo.toml's rust-version is {rust_version}; these build with another: {other:?}"
    );
}

/// The text outside fenced code blocks, with inline code spans blanked.
fn prose(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut kept = String::new();
        let mut code = false;
        for c in line.chars() {
            if c == '`' {
                code = !code;
                kept.push(' ');
            } else {
                kept.push(if code { ' ' } else { c });
            }
        }
        out.push((n + 1, kept));
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped (but `-` and `_`), spaces to
/// hyphens; a repeated one gets `-1`, `-2`…
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        if fenced {
            continue;
        }
        let title = heading.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut unique = slug.clone();
        let mut k = 0;
        while seen.contains(&unique) {
            k += 1;
            unique = format!("{slug}-{k}");
        }
        seen.insert(unique);
    }
    seen
}

/// Every `](target)` of the prose, with its line.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in prose(text) {
        for (i, _) in line.match_indices("](") {
            let rest = &line[i + 2..];
            if let Some(end) = rest.find(')') {
                found.push((n, rest[..end].to_owned()));
            }
        }
    }
    found
}

#[test]
fn every_relative_link_leads_to_a_file_and_heading_that_exist() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = read(&page);
        let name = page
            .strip_prefix(root())
            .unwrap_or(&page)
            .display()
            .to_string();
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                page.clone()
            } else {
                page.parent().expect("a page's folder").join(path)
            };
            if !file.exists() {
                broken.push(format!("{name}:{line}: {target}: no such file"));
                continue;
            }
            if let Some(anchor) = anchor {
                if !anchors(&read(&file)).contains(anchor) {
                    broken.push(format!("{name}:{line}: {target}: no such heading"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(
        checked > 20,
        "only {checked} links checked: is the scan looking?"
    );
}

/// The inline code spans of the prose (outside fenced blocks).
fn code_spans(text: &str) -> Vec<(usize, String)> {
    let mut spans = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            let parts: Vec<&str> = line.split('`').collect();
            spans.extend(
                parts
                    .iter()
                    .skip(1)
                    .step_by(2)
                    .take(parts.len().saturating_sub(1) / 2)
                    .map(|s| (n + 1, (*s).to_owned())),
            );
        }
    }
    spans
}

/// The folders a path in the docs may start with: the repository's and `src/`'s.
fn folders() -> BTreeSet<String> {
    let mut folders = BTreeSet::new();
    for dir in [root().to_path_buf(), root().join("src")] {
        for entry in std::fs::read_dir(&dir).expect("read a folder") {
            let entry = entry.expect("directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && name != "target" && name != ".git" {
                folders.insert(name);
            }
        }
    }
    folders
}

#[test]
fn every_file_of_the_repository_the_docs_name_exists() {
    let folders = folders();
    let mut missing = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let name = page
            .strip_prefix(root())
            .unwrap_or(&page)
            .display()
            .to_string();
        for (line, span) in code_spans(&read(&page)) {
            let path = span.trim_end_matches('/');
            // `src/commands/NAME.rs`: a placeholder, not a file.
            let placeholder = path
                .split(['/', '.'])
                .any(|w| w.len() > 2 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
            let looks_like_a_path = !placeholder
                && path.contains('/')
                && path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
                && path.split('/').next().is_some_and(|f| folders.contains(f));
            if !looks_like_a_path {
                continue;
            }
            checked += 1;
            if !root().join(path).exists() && !root().join("src").join(path).exists() {
                missing.push(format!("{name}:{line}: `{span}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the docs name files that do not exist (moved or split? name the new place):\n{}",
        missing.join("\n")
    );
    assert!(
        checked > 20,
        "only {checked} paths checked: is the scan looking?"
    );
}

#[test]
fn the_scanners_find_what_they_look_for() {
    assert_eq!(versions("uses: a@b # v1.2.3"), ["1.2.3"]);
    assert_eq!(
        versions("--tag v10.0.12 and dev1.2.3 and v1.2"),
        ["10.0.12"]
    );
    assert_eq!(
        named_versions(
            "x/secret-refresh:1 y\n  uses: actions/checkout@abc # v5.0.0\nsecret-refresh@v2"
        ),
        [(1, "image tag 1".to_owned()), (3, "ref v2".to_owned())]
    );
    let headings = anchors("# A `b`: c, d\n```\n# not\n```\n## A b c d\n## Re-runs\n");
    assert_eq!(
        headings,
        ["a-b-c-d", "a-b-c-d-1", "re-runs"]
            .map(str::to_owned)
            .into()
    );
    assert_eq!(
        code_spans("a `src/x.rs` b `c`\n```\n`no`\n```\n`d` and `unclosed"),
        [
            (1, "src/x.rs".to_owned()),
            (1, "c".to_owned()),
            (5, "d".to_owned())
        ]
    );
    assert_eq!(
        links("[a](x.md#y) `[b](no)`\n```\n[c](no)\n```\n[d](https://e)"),
        [(1, "x.md#y".to_owned()), (5, "https://e".to_owned())]
    );
}

/// Every snapshot file under a folder, however deep.
fn snapshots_under(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !path.ends_with("target") {
            snapshots_under(&path, found);
        } else if path.extension().is_some_and(|e| e == "snap") {
            found.push(path);
        }
    }
}

/// A snapshot pins what people read, the same on every machine and run: a temporary
/// directory's name in one fails the next run (it did, in CI).
#[test]
fn no_snapshot_holds_a_temporary_path() {
    let mut snaps = Vec::new();
    snapshots_under(&root().join("src"), &mut snaps);
    snapshots_under(&root().join("tests"), &mut snaps);
    assert!(snaps.len() > 20, "found only {} snapshots", snaps.len());
    let temporary = ["/tmp/.tmp", "/tmp/tmp", "/var/folders/"];
    let bad: Vec<String> = snaps
        .iter()
        .filter(|p| {
            let text = read(p);
            temporary.iter().any(|t| text.contains(t))
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        bad.is_empty(),
        "snapshots holding a temporary path: {bad:?}"
    );
}
