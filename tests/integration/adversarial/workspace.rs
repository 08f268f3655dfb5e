//! Adversarial scenarios: see `mod.rs`.
//!
//! The workspace is written by the job's own code (and, on a self-hosted runner, by earlier jobs):
//! every file listed in `files` is hostile. A listed file must resolve, symlinks followed, inside
//! the workspace or `RUNNER_TEMP` (when present), be a regular file, and be at most GitHub's
//! secret size; anything else is an error naming the pattern (never a byte of content) and
//! nothing is sent (a file too large or not text fails its secret alone).

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use fake_github::Scope;

use crate::common::{fake, Ran, Step, BIN, REPO, TOKEN};

/// Exit 2, zero requests, an `invalid input` error for `files` naming `pattern`.
fn assert_refused(ran: &Ran, api: &fake_github::FakeGitHub, pattern: &str) {
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0, "nothing is sent");
    let errors: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error title=invalid input::input `files`"))
        .collect();
    assert!(
        errors.iter().any(|l| l.contains(&format!("`{pattern}`"))),
        "an error names `{pattern}`: {}",
        ran.transcript()
    );
    assert!(ran.outputs.is_empty());
    ran.assert_no_leak();
}

#[test]
fn a_symlink_to_the_process_environment_is_refused_and_the_token_never_leaves() {
    let api = fake();
    let step = Step::new(&api).token();
    symlink("/proc/self/environ", step.workspace().join("leak.txt")).expect("symlink");
    let ran = step.input("files", "LEAK=leak.txt").run();
    assert_refused(&ran, &api, "leak.txt");
    assert!(
        ran.stdout.contains("outside the workspace"),
        "{}",
        ran.stdout
    );
    assert!(
        !ran.stdout.contains("INPUT_"),
        "no byte of the file is shown"
    );
    assert!(api.secret(&Scope::repo(REPO), "LEAK").is_none());
}

#[test]
fn parent_and_absolute_paths_outside_the_roots_are_refused() {
    let api = fake();
    for pattern in [
        "../outside.txt",
        "../*.txt",
        "{ABS}",
        "sub/../../outside.txt",
    ] {
        let step = Step::new(&api).token().value("outside-the-workspace-value");
        let outside = step
            .workspace()
            .parent()
            .expect("parent")
            .join("outside.txt");
        std::fs::write(&outside, "outside-the-workspace-value").expect("write");
        std::fs::create_dir_all(step.workspace().join("sub")).expect("sub");
        let pattern = pattern.replace("{ABS}", &outside.display().to_string());
        let ran = step.input("files", &format!("OUT={pattern}")).run();
        assert_refused(&ran, &api, &pattern);
    }
}

#[test]
fn a_symlinked_directory_in_the_middle_of_a_path_is_followed_and_checked() {
    let api = fake();
    let step = Step::new(&api).token();
    let outside = crate::common::tempdir();
    std::fs::write(outside.path().join("key.token"), "value-behind-a-dir-link").expect("write");
    symlink(outside.path(), step.workspace().join("linked")).expect("symlink");
    let ran = step
        .value("value-behind-a-dir-link")
        .input("files", "linked/*.token")
        .run();
    assert_refused(&ran, &api, "linked/*.token");
}

#[test]
fn symlinks_that_stay_inside_the_workspace_and_files_in_runner_temp_are_read() {
    let api = fake();
    let temp = crate::common::tempdir();
    std::fs::write(temp.path().join("minted.token"), "value-in-runner-temp\n").expect("write");
    let step = Step::new(&api)
        .token()
        .env("RUNNER_TEMP", &temp.path().display().to_string())
        .value("value-in-runner-temp")
        .file("real/session.txt", "value-via-inner-link\n");
    symlink("real/session.txt", step.workspace().join("session.token")).expect("symlink");
    let files = format!(
        "SESSION=session.token\nMINTED={}/minted.token",
        temp.path().display()
    );
    let ran = step.input("files", &files).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let repo = Scope::repo(REPO);
    assert_eq!(
        api.secret(&repo, "SESSION").map(|s| s.value),
        Some("value-via-inner-link".into())
    );
    assert_eq!(
        api.secret(&repo, "MINTED").map(|s| s.value),
        Some("value-in-runner-temp".into())
    );
    ran.assert_no_leak();
}

#[test]
fn a_fifo_is_refused_without_hanging_the_run() {
    let api = fake();
    let step = Step::new(&api).token();
    let fifo = step.workspace().join("session.token");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let step = step.input("files", "*.token");
    let (done, ended) = std::sync::mpsc::channel();
    let hung = unblock_after(&fifo, Duration::from_secs(5), ended);
    let ran = step.run();
    let _ = done.send(());
    assert!(
        !hung.join().expect("watchdog"),
        "the run blocked opening the FIFO"
    );
    assert_refused(&ran, &api, "*.token");
    assert!(ran.stdout.contains("not a regular file"), "{}", ran.stdout);
}

/// After `after` (or once the run has `ended`, sooner), opens the FIFO's write end without
/// blocking: that succeeds only while a reader is blocked in `open`, which it then releases
/// (the run reads an empty file). Returns whether a reader was blocked.
fn unblock_after(
    fifo: &Path,
    after: Duration,
    ended: std::sync::mpsc::Receiver<()>,
) -> std::thread::JoinHandle<bool> {
    use std::os::unix::fs::OpenOptionsExt;
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        let _ = ended.recv_timeout(after);
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
            .is_ok()
    })
}

/// Runs `sync` under an address-space limit of 256 MiB: a reader that reads a file whole
/// aborts on a file bigger than that, a capped one finishes with an input error.
fn sync_with_memory_cap(workspace: &Path, files: &str) -> std::process::Output {
    Command::new("prlimit")
        .arg("--as=268435456")
        .arg(BIN)
        .args(["sync", "--repo", REPO, "--dry-run", "--files", files])
        .arg("--workspace")
        .arg(workspace)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GH_TOKEN", TOKEN)
        .output()
        .expect("prlimit")
}

#[test]
fn a_huge_file_is_read_no_further_than_the_secret_limit() {
    let dir = crate::common::tempdir();
    let big = std::fs::File::create(dir.path().join("big.token")).expect("create");
    big.set_len(1 << 30).expect("sparse 1 GiB");
    drop(big);
    let out = sync_with_memory_cap(dir.path(), "BIG=big.token");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A bad value fails its secret (exit 1), not the configuration.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("big.token"), "{stderr}");
    assert!(stderr.contains("49152"), "names GitHub's limit: {stderr}");
}

#[test]
fn a_device_in_the_workspace_is_never_read() {
    let dir = crate::common::tempdir();
    // /dev/zero's numbers: an endless file. Only root can make one; skip quietly otherwise.
    let made = Command::new("mknod")
        .arg(dir.path().join("zero.token"))
        .args(["c", "1", "5"])
        .status()
        .expect("mknod");
    if !made.success() {
        eprintln!("mknod not permitted here: device case not run");
        return;
    }
    let out = sync_with_memory_cap(dir.path(), "ZERO=zero.token");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

#[test]
fn a_directory_named_by_a_pattern_is_an_error_and_globs_skip_directories() {
    let api = fake();
    let step = Step::new(&api).token();
    std::fs::create_dir_all(step.workspace().join("cache.token")).expect("dir");
    let ran = step.input("files", "SESSION=cache.token").run();
    assert_refused(&ran, &api, "cache.token");
    assert!(ran.stdout.contains("not a regular file"), "{}", ran.stdout);
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_value_and_a_nul_byte_is_refused() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .value("value-after-bom")
        .file_bytes("bom.token", b"\xEF\xBB\xBFvalue-after-bom\n")
        .input("files", "BOM=bom.token")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::repo(REPO), "BOM").map(|s| s.value),
        Some("value-after-bom".into())
    );
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .value("nul-inside")
        .file_bytes("nul.token", b"nul-inside\0rest")
        .input("files", "NUL=nul.token")
        .run();
    // A bad value from the tests: its secret fails (exit 1), nothing is sent for it.
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0, "nothing is sent");
    let error = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("::error title=value not stored::input `files`, secret `NUL`"))
        .unwrap_or_else(|| panic!("no error naming NUL: {}", ran.stdout));
    assert!(
        error.contains("nul.token") && error.contains("NUL byte"),
        "{error}"
    );
    ran.assert_no_leak();
}

#[test]
fn sync_refuses_a_missing_workspace_as_an_input_error() {
    let api = fake();
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .args(&[
            "sync",
            "--repo",
            REPO,
            "--files",
            "*.token",
            "--workspace",
            "/nonexistent/secret-refresh-ws",
            "--api-url",
            &api.url(),
        ])
        .run();
    assert_eq!(ran.code, 2, "{}", ran.screen());
    assert!(ran.stderr.contains("--workspace"), "{}", ran.stderr);
    assert_eq!(api.requests().len(), 0);
}

#[test]
fn sync_reads_only_below_its_workspace() {
    let api = fake();
    let step = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN);
    symlink("/etc/hostname", step.workspace().join("host.token")).expect("symlink");
    let ran = step
        .args(&[
            "sync",
            "--repo",
            REPO,
            "--files",
            "*.token",
            "--api-url",
            &api.url(),
        ])
        .run();
    assert_eq!(ran.code, 2, "{}", ran.screen());
    assert!(ran.stderr.contains("`*.token`"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("outside the workspace"),
        "{}",
        ran.stderr
    );
    assert_eq!(api.requests().len(), 0);
}

/// Finding G: three links to `..` make `**/*.token` a walk of 3^40 paths through a library glob
/// that follows directory links. The walk follows no directory link and ends.
#[test]
fn a_symlink_loop_in_the_workspace_does_not_hang_a_glob() {
    let api = fake();
    let step = Step::new(&api)
        .token()
        .value("value-0123456789")
        .file("d/x.token", "value-0123456789");
    for link in ["a", "b", "c"] {
        symlink("..", step.workspace().join("d").join(link)).expect("symlink");
    }
    let ran = step
        .input("files", "**/*.token")
        .wrap(&["timeout", "30"])
        .run();
    assert_ne!(ran.code, 124, "the glob never ended:\n{}", ran.transcript());
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::repo(REPO), "X").map(|s| s.value),
        Some("value-0123456789".into())
    );
}

/// Finding G: a pattern outside the roots is refused before anything is walked (`/**/x` walked
/// the whole filesystem first), and the refusal names no file outside the workspace.
#[test]
fn a_pattern_outside_the_roots_is_refused_before_it_is_walked_and_names_no_outside_file() {
    let api = fake();
    let step = Step::new(&api).token();
    let outside = step.workspace().parent().expect("parent").to_path_buf();
    std::fs::write(outside.join("neighbour-secret-name.txt"), "x").expect("write");
    for pattern in [
        "/**/x.token".to_owned(),
        "../*.txt".to_owned(),
        format!("{}/*.txt", outside.display()),
    ] {
        let step = Step::new(&api).token();
        std::fs::write(
            step.workspace()
                .parent()
                .expect("parent")
                .join("neighbour-secret-name.txt"),
            "x",
        )
        .expect("write");
        let ran = step.input("files", &pattern).wrap(&["timeout", "30"]).run();
        assert_refused(&ran, &api, &pattern);
        assert!(
            !ran.stdout.contains("neighbour-secret-name"),
            "an outside file is named:\n{}",
            ran.stdout
        );
    }
}

/// Finding G: a tree too big to walk is an error that says so, not a run that never ends.
#[test]
fn a_glob_over_a_huge_tree_stops_with_an_error_that_says_so() {
    let api = fake();
    let step = Step::new(&api).token();
    for d in 0..101 {
        let dir = step.workspace().join(format!("t/{d}"));
        std::fs::create_dir_all(&dir).expect("dir");
        for f in 0..1000 {
            std::fs::write(dir.join(format!("{f}.txt")), "").expect("file");
        }
    }
    let ran = step.input("files", "t/**/*.token").run();
    assert_refused(&ran, &api, "t/**/*.token");
    assert!(ran.stdout.contains("entries"), "{}", ran.stdout);
}

/// Finding H: a hard link in the workspace to a file outside resolves "inside" (there is no link
/// to follow), so its content was sealed and stored. A regular file with more than one link is
/// refused, checked on the opened descriptor.
#[test]
fn a_hard_link_to_a_file_outside_the_workspace_is_refused() {
    let api = fake();
    let step = Step::new(&api).token();
    let outside = step.workspace().join("../outside.cred");
    std::fs::write(&outside, "outside-secret-0123456789").expect("write");
    std::fs::hard_link(&outside, step.workspace().join("leak.token")).expect("link");
    let ran = step.input("files", "LEAK=leak.token").run();
    assert_refused(&ran, &api, "leak.token");
    assert!(ran.stdout.contains("hard link"), "{}", ran.stdout);
    assert!(!ran.stdout.contains("outside-secret"), "{}", ran.stdout);
}
