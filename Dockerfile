# syntax=docker/dockerfile:1
#
# Build stage: a static binary, so the final image needs nothing but itself and a CA bundle.
# The image is pinned by tag only: its digest could not be verified when this was written (no
# registry access from the build machines). Pin it with `FROM rust:1.95-slim-trixie@sha256:...`
# once verified; Dependabot (package-ecosystem: docker) keeps such a pin current.
FROM rust:1.95-slim-trixie AS build

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Set by BuildKit for each platform of a multi-arch build (`--platform linux/amd64,linux/arm64`).
# Each platform builds natively (the release runs on amd64 and arm64 runners), so no cross linker
# is needed.
ARG TARGETARCH=amd64

WORKDIR /src

# Dependencies first, from the manifests alone, so this layer is rebuilt only when they change.
# tests/fake-github is a workspace member: its manifest must exist for Cargo to load the workspace,
# but it is a dev-dependency and never built here. Every target a manifest declares explicitly
# (the `compare` bench, the fake's binary) needs a stand-in file, or Cargo refuses the manifest.
COPY Cargo.toml Cargo.lock ./
COPY tests/fake-github/Cargo.toml tests/fake-github/Cargo.toml
RUN case "${TARGETARCH}" in \
        amd64) target=x86_64-unknown-linux-gnu ;; \
        arm64) target=aarch64-unknown-linux-gnu ;; \
        *) echo "unsupported TARGETARCH: ${TARGETARCH}" >&2; exit 1 ;; \
    esac \
    && echo "${target}" > /target-triple \
    && mkdir -p src benches tests/fake-github/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs tests/fake-github/src/lib.rs \
    && echo 'fn main() {}' > benches/compare.rs \
    && echo 'fn main() {}' > tests/fake-github/src/main.rs \
    && RUSTFLAGS="-C target-feature=+crt-static" \
        cargo build --release --locked --target "${target}" --bin secret-refresh \
    && rm -rf src

# Then the sources. COPY keeps the files' modification times, which may be older than the dummy
# build above: drop the crate's own fingerprints so Cargo rebuilds it from the real sources.
COPY src src
RUN target="$(cat /target-triple)" \
    && rm -rf "target/${target}/release/.fingerprint/secret-refresh-"* \
        "target/${target}/release/deps/secret_refresh-"* \
        "target/${target}/release/deps/libsecret_refresh-"* \
    && RUSTFLAGS="-C target-feature=+crt-static" \
        cargo build --release --locked --target "${target}" --bin secret-refresh \
    && mkdir -p /out \
    && cp "target/${target}/release/secret-refresh" /out/secret-refresh

# Final stage: the binary and the CA bundle, nothing else (no shell, no libc, no package manager).
# Every COPY here is `COPY --from=build <absolute src> <absolute dst>` on one line: the container
# test rebuilds this stage around a locally built binary by rewriting these lines.
# No USER and no WORKDIR on purpose: GitHub runs container actions as root with
# --workdir /github/workspace, and the workspace it mounts belongs to root.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/secret-refresh /secret-refresh
# Exec form: the binary itself, never a shell (/bin/sh drops variables such as INPUT_DRY-RUN).
ENTRYPOINT ["/secret-refresh"]
