//! The action's image around a locally built static binary, shared by the harnesses that run it
//! (tests/container.rs with podman, tests/act.rs under nektos/act): where the static binary comes
//! from, and the `Dockerfile`'s final stage rewritten to copy staged files instead of the build
//! stage's.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the CA bundle comes from: the host's, as the build stage's is not at hand.
pub const HOST_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The Dockerfile's build-stage path of the binary and of the CA bundle.
pub const STAGE_BINARY: &str = "/out/secret-refresh";
pub const STAGE_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The settings `.ci/setup` writes: runc, cgroupfs, and no default ulimits (runc fails with
/// "error setting rlimit type 7: operation not permitted" on these machines otherwise).
pub const CONTAINERS_CONF: &str = "[containers]\ndefault_ulimits = []\n[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\n";

/// Written straight to the process's stderr, so it shows even when libtest captures the test's
/// output.
fn note(msg: &str) {
    let _ = writeln!(std::io::stderr(), "static binary: {msg}");
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `SECRET_REFRESH_STATIC_BIN` when it names a file, else a fresh static build.
pub fn static_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SECRET_REFRESH_STATIC_BIN").map(PathBuf::from) {
        if path.is_file() {
            note(&format!("using the static binary {}", path.display()));
            return path;
        }
        note(&format!(
            "SECRET_REFRESH_STATIC_BIN={} is not a file; building the static binary",
            path.display()
        ));
    }
    let triple = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let target_dir = manifest_dir().join("target/static");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    note("building the static binary (cargo build --release, target/static)");
    let status = Command::new(cargo)
        .current_dir(manifest_dir())
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .args(["build", "--release", "--locked", "--bin", "secret-refresh"])
        .args(["--target", &triple])
        .arg("--target-dir")
        .arg(&target_dir)
        .status()
        .expect("run cargo");
    assert!(status.success(), "the static build failed");
    target_dir.join(triple).join("release/secret-refresh")
}

/// The lines after the last `FROM scratch`, each `COPY --from=build <src> <dst>` rewritten to copy
/// a file staged in `context`.
pub fn final_stage(dockerfile: &str, context: &Path, binary: &Path) -> String {
    let lines: Vec<&str> = dockerfile.lines().collect();
    let from = lines
        .iter()
        .rposition(|l| {
            let words: Vec<String> = l.split_whitespace().map(str::to_ascii_lowercase).collect();
            words.first().map(String::as_str) == Some("from")
                && words.get(1).map(String::as_str) == Some("scratch")
        })
        .expect("the Dockerfile has a `FROM scratch` stage");
    let mut out = vec!["FROM scratch".to_owned()];
    let mut staged = Vec::new();
    for line in &lines[from + 1..] {
        let words: Vec<&str> = line.split_whitespace().collect();
        let is_copy = words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("copy"));
        if !is_copy {
            assert!(
                !line.contains("--from="),
                "the container test cannot rebuild this line: {line}"
            );
            out.push((*line).to_owned());
            continue;
        }
        assert!(
            !line.trim_end().ends_with('\\'),
            "a COPY of the final stage must fit on one line: {line}"
        );
        let (flags, paths): (Vec<&str>, Vec<&str>) =
            words[1..].iter().partition(|w| w.starts_with("--"));
        assert!(
            flags.contains(&"--from=build") && paths.len() == 2,
            "expected `COPY --from=build <src> <dst>`: {line}"
        );
        let (src, dst) = (paths[0], paths[1]);
        let host = match src {
            STAGE_BINARY => binary,
            STAGE_CA_BUNDLE => Path::new(HOST_CA_BUNDLE),
            _ => panic!("the container test does not know what {src} is: {line}"),
        };
        let local = format!("stage{src}");
        let path = context.join(&local);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::copy(host, &path).unwrap_or_else(|e| panic!("stage {}: {e}", host.display()));
        let kept: Vec<&str> = flags.into_iter().filter(|f| *f != "--from=build").collect();
        let mut copy = vec!["COPY"];
        copy.extend(kept);
        copy.extend([local.as_str(), dst]);
        out.push(copy.join(" "));
        staged.push(src);
    }
    staged.sort_unstable();
    assert_eq!(
        staged,
        [STAGE_CA_BUNDLE, STAGE_BINARY],
        "the final stage copies the CA bundle and the binary"
    );
    out.join("\n") + "\n"
}
