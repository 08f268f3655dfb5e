//! Table tests of [`crate::config::load()`]: each case is named, gives inputs (as the action or
//! `sync` hands them over, files in a temporary workspace, variables in the step's environment)
//! and expects either facts of the [`Config`] or every error's exact message. They run in
//! process, in milliseconds: add a row before changing what an input means.

use std::io::Write;
use std::sync::{Arc, Mutex};

use super::destination::parse_repo_specs;
use super::options::check_api_url;
use crate::config::input::Input as I;
use crate::config::input::{FrontEnd, Given, Input, RawInputs, RunContext, StepEnv};
use crate::config::{load, Auth, Config, Destination, Origin};
use crate::env::{Env, Scope};
use crate::output::reporter::{Mode, Reporter};
use crate::secret::SecretValue;

/// One named case. Inputs are text, set by [`Input`]; `typed` then changes what only a typed
/// value (`sync`'s flags) or a generated value can express.
struct Case {
    name: &'static str,
    front: FrontEnd,
    inputs: &'static [(Input, &'static str)],
    /// The step's environment, read for `secrets-from-env` and `current-from-env`.
    env: &'static [(&'static str, &'static str)],
    /// Files written into the workspace: path relative to it, content.
    files: &'static [(&'static str, &'static str)],
    typed: fn(&mut RawInputs),
    /// `$GITHUB_REPOSITORY` and `$GITHUB_API_URL`.
    default_repository: &'static str,
    default_api_url: &'static str,
    /// The workspace, relative to the temporary directory (`""`: the directory itself).
    workspace: &'static str,
    want: Want,
}

/// What a case expects.
enum Want {
    /// Facts of the loaded config, each `key: value` as [`facts`] renders it; a key not listed
    /// is not checked.
    Config(&'static [&'static str]),
    /// Every error's message, in order.
    Errors(&'static [&'static str]),
}

/// The inputs as their text gives them.
fn as_given(_: &mut RawInputs) {}

/// A case's defaults: the action, inside a workflow of `acme/home`, nothing else given.
const CASE: Case = Case {
    name: "",
    front: FrontEnd::Action,
    inputs: &[],
    env: &[],
    files: &[],
    typed: as_given,
    default_repository: "acme/home",
    default_api_url: "",
    workspace: "",
    want: Want::Config(&[]),
};

/// The cases, by concern: values, names and values, stored values, destinations, apps,
/// credentials, booleans and days, `api-url` and `audit-log`, the command line's names.
const CASES: &[Case] = &[
    // Values: `secrets`, `secrets-from-env`, `files`.
    Case {
        name: "secrets as lines, comments and blank lines skipped",
        inputs: &[(I::Secrets, "# new values\n\nA=alpha\nB = beta=2\n")],
        want: Want::Config(&["secrets: A=alpha, B= beta=2", "masked: alpha |  beta=2"]),
        ..CASE
    },
    Case {
        name: "secrets as a JSON object",
        inputs: &[(I::Secrets, r#" {"A": "alpha", "B": "line1\nline2"}"#)],
        want: Want::Config(&["secrets: A=alpha, B=line1\\nline2"]),
        ..CASE
    },
    Case {
        name: "secrets: a multi-line value in the NAME<<DELIMITER form",
        inputs: &[(I::Secrets, "A<<EOF\nline1\nline2\nEOF\nB=beta")],
        want: Want::Config(&["secrets: A=line1\\nline2, B=beta"]),
        ..CASE
    },
    Case {
        name: "secrets-from-env: by the variable of that name, and NAME=VARIABLE",
        inputs: &[(I::SecretsFromEnv, "A\n# comment\nB=VAR_B")],
        env: &[("A", "alpha"), ("VAR_B", "beta")],
        want: Want::Config(&["secrets: A=alpha, B=beta", "masked: alpha | beta"]),
        ..CASE
    },
    Case {
        name: "every source at once, in the order secrets, secrets-from-env, files",
        inputs: &[
            (I::Files, "C=c.txt"),
            (I::SecretsFromEnv, "B"),
            (I::Secrets, "A=alpha"),
        ],
        env: &[("B", "beta")],
        files: &[("c.txt", "gamma\n")],
        want: Want::Config(&["secrets: A=alpha, B=beta, C=gamma (file c.txt)"]),
        ..CASE
    },
    Case {
        name: "files: a glob names each secret prefix + the file's stem",
        inputs: &[(I::Files, "tokens/*.token"), (I::Prefix, " MY_ ")],
        files: &[
            ("tokens/a-b.token", "alpha\r\n"),
            ("tokens/c.token", "gamma"),
            ("tokens/skip.txt", "other"),
        ],
        want: Want::Config(&[
            "secrets: MY_A_B=alpha (file tokens/a-b.token), MY_C=gamma (file tokens/c.token)",
            "warnings: ",
        ]),
        ..CASE
    },
    Case {
        name: "files: NAME=glob takes the one file it matches",
        inputs: &[(I::Files, "SESSION=session/*.txt")],
        files: &[("session/x.txt", "\u{feff}alpha\n\n")],
        want: Want::Config(&["secrets: SESSION=alpha\\n (file session/x.txt)"]),
        ..CASE
    },
    Case {
        name: "files: a pattern that matches nothing warns by default",
        inputs: &[(I::Files, "*.none\nA=a.txt"), (I::IfNoFilesFound, "")],
        files: &[("a.txt", "alpha")],
        want: Want::Config(&[
            "secrets: A=alpha (file a.txt)",
            "warnings: input `files`, line 1: no file matches `*.none`",
        ]),
        ..CASE
    },
    Case {
        name: "files: if-no-files-found: ignore",
        inputs: &[(I::Files, "*.none"), (I::IfNoFilesFound, "IGNORE")],
        want: Want::Config(&["secrets: ", "warnings: "]),
        ..CASE
    },
    Case {
        name: "files: if-no-files-found: error",
        inputs: &[(I::Files, "*.none"), (I::IfNoFilesFound, "error")],
        want: Want::Errors(&["input `files`: line 1: no file matches `*.none`"]),
        ..CASE
    },
    Case {
        name: "if-no-files-found: checked even without files",
        inputs: &[(I::IfNoFilesFound, "fail")],
        want: Want::Errors(&["input `if-no-files-found`: expected `warn`, `error` or `ignore`"]),
        ..CASE
    },
    Case {
        name: "files: NAME=glob matching two files",
        inputs: &[(I::Files, "K=*.txt")],
        files: &[("a.txt", "alpha"), ("b.txt", "beta")],
        want: Want::Errors(&[
            "input `files`, secret `K`: `*.txt` must match exactly one file but matches 2: \
             a.txt, b.txt",
        ]),
        ..CASE
    },
    Case {
        name: "prefix: a bad prefix is said once, as the cause",
        inputs: &[(I::Files, "*.txt"), (I::Prefix, "1X_")],
        files: &[("a.txt", "alpha"), ("b.txt", "beta")],
        want: Want::Errors(&[
            "input `prefix`: `1X_` cannot start a secret name: it must start with a letter or `_`",
        ]),
        ..CASE
    },
    Case {
        name: "prefix: not checked without files",
        inputs: &[(I::Prefix, "1X_")],
        want: Want::Config(&["secrets: "]),
        ..CASE
    },
    Case {
        name: "files: a file whose stem makes no secret name",
        inputs: &[(I::Files, "*.txt")],
        files: &[("1.txt", "alpha")],
        want: Want::Errors(&[
            "input `files`: file 1.txt: secret name `1` must start with a letter or `_` and hold \
             only letters, digits and `_`",
        ]),
        ..CASE
    },
    Case {
        name: "files: the prefix makes a reserved name",
        inputs: &[(I::Files, "*.txt"), (I::Prefix, "GITHUB_")],
        files: &[("a.txt", "alpha")],
        want: Want::Errors(&[
            "input `files`: file a.txt: secret name `GITHUB_A` must not start with `GITHUB_` \
             (GitHub reserves that prefix) (with the prefix `prefix`)",
        ]),
        ..CASE
    },
    Case {
        name: "files: a pattern reaching outside the workspace",
        inputs: &[(I::Files, "../*.txt")],
        want: Want::Errors(&["input `files`: line 1: `../*.txt` resolves outside the workspace"]),
        ..CASE
    },
    Case {
        name: "files: the workspace does not exist",
        inputs: &[(I::Files, "*.txt")],
        workspace: "missing",
        want: Want::Errors(&[
            "input `GITHUB_WORKSPACE`: <tmp>/missing is not a directory that exists",
        ]),
        ..CASE
    },
    // Names and values, whatever their source.
    Case {
        name: "a name given twice across sources, case-insensitively",
        inputs: &[(I::Secrets, "A=alpha"), (I::SecretsFromEnv, "a")],
        env: &[("a", "beta")],
        want: Want::Errors(&[
            "input `secrets-from-env`, secret `a`: the name is given twice (also on line 1 of \
             `secrets`); names are case-insensitive",
        ]),
        ..CASE
    },
    Case {
        name: "a name given twice in the lines form: the line, never the name",
        inputs: &[(I::Secrets, "A=alpha\na=beta")],
        want: Want::Errors(&[
            "input `secrets`: line 2: the name is given twice (also on line 1 of `secrets`); \
             names are case-insensitive",
        ]),
        ..CASE
    },
    Case {
        name: "a name from a file given in JSON first",
        inputs: &[
            (I::Secrets, r#"{"TOKEN": "alpha"}"#),
            (I::Files, "TOKEN=t.txt"),
        ],
        files: &[("t.txt", "beta")],
        want: Want::Errors(&[
            "input `files`, secret `TOKEN`: the name is given twice (also as `TOKEN`); names \
             are case-insensitive",
        ]),
        ..CASE
    },
    Case {
        name: "values: empty or trivial on a line, empty from a variable, trivial in a file",
        inputs: &[
            (I::Secrets, "A=\nB=---"),
            (I::SecretsFromEnv, "C"),
            (I::Files, "D=d.txt"),
        ],
        env: &[("C", "")],
        files: &[("d.txt", "==\n")],
        // On a line of `secrets`, an error of the configuration; from a variable or a file, a
        // bad value from the tests, which fails its own secret (see the next case).
        want: Want::Errors(&[
            "input `secrets`: line 1: the value is empty",
            "input `secrets`: line 2: the value has no letter or digit: too trivial to be a \
             secret (its mask would blank that text everywhere in the log)",
        ]),
        ..CASE
    },
    Case {
        name: "values: empty from a variable, trivial in a file, fail their secrets alone",
        inputs: &[
            (I::Secrets, "A=alpha-value"),
            (I::SecretsFromEnv, "C"),
            (I::Files, "D=d.txt"),
        ],
        env: &[("C", "")],
        files: &[("d.txt", "==\n")],
        want: Want::Config(&[
            "secrets: A=alpha-value",
            "refused: input `secrets-from-env`, secret `C`: the value is empty in variable `C` | \
             input `files`, secret `D`: the value has no letter or digit in file d.txt: too \
             trivial to be a secret (its mask would blank that text everywhere in the log)",
        ]),
        ..CASE
    },
    Case {
        name: "values: larger than GitHub stores, or holding a NUL",
        typed: big_and_nul,
        want: Want::Config(&[
            "secrets: ",
            "refused: input `secrets`, secret `BIG`: the value is 49153 bytes; GitHub stores at \
             most 49152 | input `secrets`, secret `NUL`: the value holds a NUL character",
        ]),
        ..CASE
    },
    Case {
        name: "names: not a name on a line, a runner setting from a variable",
        inputs: &[
            (I::Secrets, "1A=alpha"),
            (I::SecretsFromEnv, "ACTIONS_STEP_DEBUG=V"),
        ],
        env: &[("V", "true")],
        want: Want::Errors(&[
            "input `secrets`: line 1: the text before `=` is not a secret name (a letter or `_`, \
             then letters, digits and `_`); a multi-line value needs the `NAME<<DELIMITER` form",
            "input `secrets-from-env`: secret name `ACTIONS_STEP_DEBUG` is a runner setting: \
             storing it turns on debug logging for every later run of the repository",
        ]),
        ..CASE
    },
    Case {
        name: "names: reserved in JSON",
        inputs: &[(I::Secrets, r#"{"GITHUB_X": "alpha"}"#)],
        want: Want::Errors(&[
            "input `secrets`: secret name `GITHUB_X` must not start with `GITHUB_` (GitHub \
             reserves that prefix)",
        ]),
        ..CASE
    },
    Case {
        name: "secrets: malformed lines and JSON",
        inputs: &[
            (I::Secrets, "no equals here\n=x"),
            (I::Current, "{\"A\": 1"),
        ],
        want: Want::Errors(&[
            "input `secrets`: line 1: expected NAME=value",
            "input `secrets`: line 2: no name before `=` or `<<`",
            "input `current`: malformed JSON at line 1, column 7 (unexpected end)",
        ]),
        ..CASE
    },
    Case {
        name: "secrets-from-env: a bad variable name, an unset variable",
        inputs: &[(I::SecretsFromEnv, "A=1BAD\nB=NOPE\n=C")],
        want: Want::Errors(&[
            "input `secrets-from-env`: line 3: expected NAME or NAME=VARIABLE",
            "input `secrets-from-env`: line 1: `1BAD` is not an environment variable name (a \
             letter or `_`, then letters, digits and `_`)",
            "input `secrets-from-env`: line 2: the variable `NOPE` is not set in the step's \
             environment",
        ]),
        ..CASE
    },
    // Stored values: `current`, `current-from-env`.
    Case {
        name: "current: none when neither is given",
        inputs: &[(I::Secrets, "A=alpha")],
        want: Want::Config(&["current: none"]),
        ..CASE
    },
    Case {
        name: "current: names upper-cased, not validated; current-from-env merged",
        inputs: &[
            (I::Current, "a=alpha\n1x=first"),
            (I::CurrentFromEnv, "B=VB"),
        ],
        env: &[("VB", "beta")],
        want: Want::Config(&[
            "current: 1X=first, A=alpha, B=beta",
            "masked: alpha | first | beta",
        ]),
        ..CASE
    },
    Case {
        name: "current: JSON",
        inputs: &[(I::Current, r#"{"A": "alpha"}"#)],
        want: Want::Config(&["current: A=alpha"]),
        ..CASE
    },
    Case {
        name: "current: bad lines, an unset variable",
        inputs: &[(I::Current, "oops"), (I::CurrentFromEnv, "A=NOPE")],
        want: Want::Errors(&[
            "input `current`: line 1: expected NAME=value",
            "input `current-from-env`: line 1: the variable `NOPE` is not set in the step's \
             environment",
        ]),
        ..CASE
    },
    // Destinations.
    Case {
        name: "repository: the workflow's own by default",
        want: Want::Config(&["destination: repos acme/home"]),
        ..CASE
    },
    Case {
        name: "repository: given",
        inputs: &[(I::Repository, " acme/api ")],
        want: Want::Config(&["destination: repos acme/api"]),
        ..CASE
    },
    Case {
        name: "repository: not owner/name",
        inputs: &[(I::Repository, "acme")],
        want: Want::Errors(&["input `repository`: `acme` is not owner/name"]),
        ..CASE
    },
    Case {
        name: "repository: none outside GitHub Actions",
        default_repository: "",
        want: Want::Errors(&[
            "input `repository`: no repository: set `repository` (owner/name) or run inside \
             GitHub Actions",
        ]),
        ..CASE
    },
    Case {
        name: "repositories: exact and patterns, deduplicated, replacing repository",
        inputs: &[
            (I::Repositories, "acme/api\n# later\nacme/svc-*\nacme/api\n"),
            (I::Repository, "acme/other"),
        ],
        want: Want::Config(&["destination: repos acme/api, acme/svc-*"]),
        ..CASE
    },
    Case {
        name: "repositories: a bad line",
        inputs: &[(I::Repositories, "acme/api\nacme\nacme/a/b")],
        want: Want::Errors(&[
            "input `repositories`: line 2: `acme` is not owner/name or owner/glob",
            "input `repositories`: line 3: `acme/a/b` is not owner/name or owner/glob",
        ]),
        ..CASE
    },
    Case {
        name: "repositories: comments only",
        inputs: &[(I::Repositories, "# none yet")],
        want: Want::Errors(&["input `repositories`: no repository given"]),
        ..CASE
    },
    Case {
        name: "environment",
        inputs: &[(I::Environment, " prod ")],
        want: Want::Config(&["destination: repos acme/home environment prod"]),
        ..CASE
    },
    Case {
        name: "environment: not for Dependabot secrets",
        inputs: &[(I::Environment, "prod"), (I::App, "dependabot")],
        want: Want::Errors(&[
            "input `environment`: GitHub has no environment secrets for dependabot; \
             environments hold Actions secrets only",
        ]),
        ..CASE
    },
    Case {
        name: "environment: a dot segment",
        inputs: &[(I::Environment, "a/../b")],
        want: Want::Errors(&[
            "input `environment`: not a valid environment name: `.`, `..` and empty segments \
             between slashes change the request's path",
        ]),
        ..CASE
    },
    Case {
        name: "organization with visibility selected and its repositories",
        inputs: &[
            (I::Organization, "acme"),
            (I::Visibility, "Selected"),
            (I::SelectedRepositories, "acme/a\n# b later\nacme/b"),
        ],
        want: Want::Config(&["destination: org acme visibility selected repos acme/a, acme/b"]),
        ..CASE
    },
    Case {
        name: "organization alone; the workflow's own repository does not conflict",
        inputs: &[(I::Organization, "acme"), (I::Repository, "ACME/home")],
        want: Want::Config(&["destination: org acme"]),
        ..CASE
    },
    Case {
        name: "organization with visibility all",
        inputs: &[(I::Organization, "acme"), (I::Visibility, "all")],
        want: Want::Config(&["destination: org acme visibility all"]),
        ..CASE
    },
    Case {
        name: "organization: with another repository, an environment, a bad name",
        inputs: &[
            (I::Organization, "ac me"),
            (I::Repository, "acme/api"),
            (I::Environment, "prod"),
        ],
        want: Want::Errors(&[
            "input `organization`: give either `organization` or `repository`/`repositories`, \
             not both",
            "input `organization`: organisations have no environments; drop `environment`",
            "input `organization`: not a valid organisation name",
        ]),
        ..CASE
    },
    Case {
        name: "organization and repositories",
        inputs: &[(I::Organization, "acme"), (I::Repositories, "acme/*")],
        want: Want::Errors(&[
            "input `organization`: give either `organization` or `repository`/`repositories`, \
             not both",
        ]),
        ..CASE
    },
    Case {
        name: "selected-repositories without visibility: selected",
        inputs: &[
            (I::Organization, "acme"),
            (I::SelectedRepositories, "acme/a"),
        ],
        want: Want::Errors(&[
            "input `selected-repositories`: only used with `visibility: selected`",
        ]),
        ..CASE
    },
    Case {
        name: "visibility: selected, with no good repository",
        inputs: &[
            (I::Organization, "acme"),
            (I::Visibility, "selected"),
            (I::SelectedRepositories, "nope"),
        ],
        want: Want::Errors(&[
            "input `selected-repositories`: line 1: `nope` is not owner/name",
            "input `selected-repositories`: `visibility: selected` needs at least one repository",
        ]),
        ..CASE
    },
    Case {
        name: "visibility: not one of the three",
        inputs: &[(I::Organization, "acme"), (I::Visibility, "public")],
        want: Want::Errors(&["input `visibility`: expected `all`, `private` or `selected`"]),
        ..CASE
    },
    Case {
        name: "visibility: only for an organisation",
        inputs: &[(I::Visibility, "private")],
        want: Want::Errors(&[
            "input `visibility`: `visibility` and `selected-repositories` apply to organisation \
             secrets only",
        ]),
        ..CASE
    },
    // Apps.
    Case {
        name: "app: Actions by default",
        want: Want::Config(&["app: actions"]),
        ..CASE
    },
    Case {
        name: "app: any case",
        inputs: &[(I::App, " Codespaces ")],
        want: Want::Config(&["app: codespaces"]),
        ..CASE
    },
    Case {
        name: "app: agents, to an organisation",
        inputs: &[(I::App, "agents"), (I::Organization, "acme")],
        want: Want::Config(&["app: agents", "destination: org acme"]),
        ..CASE
    },
    Case {
        name: "app: unknown",
        inputs: &[(I::App, "pages")],
        want: Want::Errors(&[
            "input `app`: expected `actions`, `dependabot`, `codespaces` or `agents`",
        ]),
        ..CASE
    },
    // Credentials.
    Case {
        name: "auth: none",
        want: Want::Config(&["auth: none", "masked: "]),
        ..CASE
    },
    Case {
        name: "auth: a token, trimmed and masked",
        inputs: &[(I::Token, " ghp_token1234\n")],
        want: Want::Config(&["auth: token ghp_token1234", "masked: ghp_token1234"]),
        ..CASE
    },
    Case {
        name: "auth: a GitHub App with its installation",
        inputs: &[
            (I::AppId, " 123 "),
            (
                I::AppPrivateKey,
                "\n-----BEGIN KEY-----\nk3y\n-----END KEY-----\n",
            ),
            (I::AppInstallationId, "42"),
        ],
        want: Want::Config(&[
            "auth: app 123 key -----BEGIN KEY-----\\nk3y\\n-----END KEY----- installation 42",
        ]),
        ..CASE
    },
    Case {
        name: "auth: a GitHub App, its installation found later",
        inputs: &[(I::AppId, "123"), (I::AppPrivateKey, "k3y")],
        want: Want::Config(&["auth: app 123 key k3y installation none"]),
        ..CASE
    },
    Case {
        name: "auth: a token and a GitHub App",
        inputs: &[(I::Token, "ghp_x"), (I::AppPrivateKey, "k3y")],
        want: Want::Errors(&[
            "input `token`: give either `token` or `app-id` with `app-private-key`, not both",
        ]),
        ..CASE
    },
    Case {
        name: "auth: an app id without its key",
        inputs: &[(I::AppId, "123")],
        want: Want::Errors(&[
            "input `app-private-key`: `app-id` and `app-private-key` go together",
        ]),
        ..CASE
    },
    Case {
        name: "auth: a key without its app id",
        inputs: &[(I::AppPrivateKey, "k3y")],
        want: Want::Errors(&["input `app-id`: `app-id` and `app-private-key` go together"]),
        ..CASE
    },
    Case {
        name: "auth: an installation id that is not a number",
        inputs: &[
            (I::AppId, "123"),
            (I::AppPrivateKey, "k3y"),
            (I::AppInstallationId, "-1"),
        ],
        want: Want::Errors(&["input `app-installation-id`: expected a number"]),
        ..CASE
    },
    Case {
        name: "auth: keyless, the audience the exchange's host, the runner's request read",
        inputs: &[
            (I::StsUrl, " https://sts.example.com/ "),
            (I::StsIdentity, "refresh"),
        ],
        typed: runner_id_token,
        want: Want::Config(&[
            "auth: keyless https://sts.example.com identity refresh audience sts.example.com \
             request https://runner.example/idtoken?api-version=2.0",
            "masked: eyJhbGciOiJSUzI1NiJ9.runner-request-token-0123456789 | eyJhbGciOiJSUzI1NiJ9 \
             | runner-request-token-0123456789",
        ]),
        ..CASE
    },
    Case {
        name: "auth: keyless with an audience, no request (said when a token is needed)",
        inputs: &[
            (I::StsUrl, "http://127.0.0.1:8080"),
            (I::StsIdentity, "refresh.v2"),
            (I::StsAudience, "octo-sts.example"),
        ],
        want: Want::Config(&[
            "auth: keyless http://127.0.0.1:8080 identity refresh.v2 audience octo-sts.example \
             request none",
        ]),
        ..CASE
    },
    Case {
        name: "auth: keyless with a token or an app",
        inputs: &[
            (I::StsUrl, "https://sts.example.com"),
            (I::StsIdentity, "refresh"),
            (I::Token, "ghp_x"),
        ],
        want: Want::Errors(&[
            "input `sts-url`: `sts-url` exchanges the job's identity for a token: give no stored \
             credential with it (neither `token` nor `app-id`)",
        ]),
        ..CASE
    },
    Case {
        name: "auth: keyless halves, a plain-http exchange, a path as identity",
        inputs: &[(I::StsIdentity, "refresh")],
        want: Want::Errors(&["input `sts-url`: `sts-url` and `sts-identity` go together"]),
        ..CASE
    },
    Case {
        name: "auth: keyless to plain http elsewhere",
        inputs: &[
            (I::StsUrl, "http://sts.example.com"),
            (I::StsIdentity, "refresh"),
        ],
        want: Want::Errors(&[
            "input `sts-url`: `sts-url` (http://sts.example.com) is plain http to a host that is \
             not this machine: a credential is sent only over https, or over plain http to \
             localhost",
        ]),
        ..CASE
    },
    Case {
        name: "auth: keyless, an identity that is a path",
        inputs: &[
            (I::StsUrl, "https://sts.example.com"),
            (I::StsIdentity, "../evil"),
        ],
        want: Want::Errors(&[
            "input `sts-identity`: expected the name of a trust policy (the exchange reads \
             `.github/chainguard/NAME.sts.yaml`): letters, digits, `-`, `_` and `.`",
        ]),
        ..CASE
    },
    // Booleans and days.
    Case {
        name: "booleans and days: the defaults",
        want: Want::Config(&[
            "dry-run: false",
            "fail-fast: false",
            "allow-pull-request-target: false",
            "token-expiry-warning-days: 14",
        ]),
        ..CASE
    },
    Case {
        name: "booleans and days: as text, any case",
        inputs: &[
            (I::DryRun, "TRUE"),
            (I::FailFast, " true "),
            (I::AllowPullRequestTarget, "False"),
            (I::TokenExpiryWarningDays, " 30 "),
        ],
        want: Want::Config(&[
            "dry-run: true",
            "fail-fast: true",
            "allow-pull-request-target: false",
            "token-expiry-warning-days: 30",
        ]),
        ..CASE
    },
    Case {
        name: "booleans and days: typed by the command line",
        front: FrontEnd::Cli,
        typed: parsed,
        want: Want::Config(&[
            "dry-run: true",
            "fail-fast: true",
            "allow-pull-request-target: true",
            "token-expiry-warning-days: 0",
        ]),
        ..CASE
    },
    Case {
        name: "booleans and days: bad text",
        inputs: &[
            (I::DryRun, "yes"),
            (I::FailFast, "1"),
            (I::AllowPullRequestTarget, "on"),
            (I::TokenExpiryWarningDays, "-1"),
        ],
        want: Want::Errors(&[
            "input `dry-run`: expected `true` or `false`",
            "input `fail-fast`: expected `true` or `false`",
            "input `allow-pull-request-target`: expected `true` or `false`",
            "input `token-expiry-warning-days`: expected a whole number of days",
        ]),
        ..CASE
    },
    // api-url and audit-log.
    Case {
        name: "api-url: github.com by default",
        want: Want::Config(&["api-url: https://api.github.com"]),
        ..CASE
    },
    Case {
        name: "api-url: the runner's, without its trailing slash",
        default_api_url: "https://ghe.example/api/v3/",
        want: Want::Config(&["api-url: https://ghe.example/api/v3"]),
        ..CASE
    },
    Case {
        name: "api-url: given wins over the runner's; plain http to this machine",
        inputs: &[(I::ApiUrl, "http://127.0.0.1:8080/")],
        default_api_url: "https://ghe.example/api/v3",
        want: Want::Config(&["api-url: http://127.0.0.1:8080"]),
        ..CASE
    },
    Case {
        name: "api-url: plain http elsewhere",
        inputs: &[(I::ApiUrl, "http://ghe.example/api/v3")],
        want: Want::Errors(&[
            "input `api-url`: the API URL http://ghe.example is plain http to a host that is not \
             this machine: the token is sent only over https, or over plain http to localhost",
        ]),
        ..CASE
    },
    Case {
        name: "api-url: user-info",
        inputs: &[(I::ApiUrl, "https://u:p@ghe.example")],
        want: Want::Errors(&[
            "input `api-url`: `api-url` holds a user name or password: give the token through \
             `token` (or GH_TOKEN), never in the URL",
        ]),
        ..CASE
    },
    Case {
        name: "audit-log: none by default",
        want: Want::Config(&["audit-log: none"]),
        ..CASE
    },
    Case {
        name: "audit-log: relative to the workspace",
        inputs: &[(I::AuditLog, " logs/audit.jsonl ")],
        want: Want::Config(&["audit-log: <tmp>/logs/audit.jsonl"]),
        ..CASE
    },
    Case {
        name: "audit-log: absolute",
        inputs: &[(I::AuditLog, "/var/log/audit.jsonl")],
        want: Want::Config(&["audit-log: /var/log/audit.jsonl"]),
        ..CASE
    },
    // The command line's names.
    Case {
        name: "sync: errors name the flags",
        front: FrontEnd::Cli,
        inputs: &[
            (I::Secrets, "A=alpha\na=beta"),
            (I::Repository, "acme"),
            (I::Token, "ghp_x"),
            (I::AppId, "1"),
        ],
        want: Want::Errors(&[
            "`--secrets-file/--secrets-env`: line 2: the name is given twice (also on line 1 of \
             `--secrets-file/--secrets-env`); names are case-insensitive",
            "`--repo`: `acme` is not owner/name",
            "`GH_TOKEN`: give either `GH_TOKEN` or `--app-id` with `--app-key-file`, not both",
        ]),
        ..CASE
    },
    Case {
        name: "sync: organisation errors name the flags",
        front: FrontEnd::Cli,
        inputs: &[
            (I::Organization, "acme"),
            (I::SelectedRepositories, "acme/a"),
            (I::Environment, "prod"),
        ],
        want: Want::Errors(&[
            "`--org`: organisations have no environments; drop `--env`",
            "`--selected-repo`: only used with `--visibility selected`",
        ]),
        ..CASE
    },
    Case {
        name: "sync: warnings and the workspace name the flags",
        front: FrontEnd::Cli,
        inputs: &[(I::Files, "*.none")],
        want: Want::Config(&["warnings: `--files`, line 1: no file matches `*.none`"]),
        ..CASE
    },
    Case {
        name: "sync: a workspace that does not exist",
        front: FrontEnd::Cli,
        inputs: &[(I::Files, "*.none")],
        workspace: "missing",
        want: Want::Errors(&["`--workspace`: <tmp>/missing is not a directory that exists"]),
        ..CASE
    },
    // Preflight and its record.
    Case {
        name: "preflight reads no value input: the files do not exist before the tests",
        inputs: &[
            (I::Preflight, "true"),
            (I::Files, "missing/*.token"),
            (I::Secrets, "A="),
            (I::SecretsFromEnv, "UNSET"),
            (I::Current, "not read either"),
        ],
        want: Want::Config(&[
            "preflight: true",
            "secrets: ",
            "current: none",
            "warnings: ",
        ]),
        ..CASE
    },
    Case {
        name: "preflight with dry-run, and stored-at given to the preflight step",
        inputs: &[
            (I::Preflight, "true"),
            (I::DryRun, "true"),
            (I::StoredAt, r#"{"version":1,"targets":{}}"#),
        ],
        want: Want::Errors(&[
            "input `preflight`: a preflight writes no value but proves writing with a write: \
             drop `dry-run`",
            "input `stored-at`: is given to the step that writes; the `preflight` step produces it",
        ]),
        ..CASE
    },
    Case {
        name: "stored-at: preflight's record, read whatever the case of its names",
        inputs: &[
            (I::Secrets, "SESSION=s1"),
            (
                I::StoredAt,
                r#" {"version":1,"targets":{"acme/home":{"SESSION":"2099-01-02T04:04:05+01:00"}}} "#,
            ),
        ],
        want: Want::Config(&[
            r#"stored-at: {"version":1,"targets":{"acme/home":{"SESSION":"2099-01-02T03:04:05Z"}}}"#,
            "preflight: false",
        ]),
        ..CASE
    },
    Case {
        name: "stored-at that is not preflight's record names the input, never its text",
        inputs: &[
            (I::Secrets, "SESSION=s1"),
            (I::StoredAt, "::error::injected"),
        ],
        want: Want::Errors(&[
            "input `stored-at`: it is not the record preflight writes (a JSON object with \
             `version` 1 and `targets`): pass `steps.<preflight>.outputs.stored-at` unchanged",
        ]),
        ..CASE
    },
    // Every error at once.
    Case {
        name: "every error is said, in the order of the steps",
        inputs: &[
            (I::Secrets, "A=\nB=beta"),
            (I::Repository, "acme"),
            (I::DryRun, "maybe"),
            (I::Token, "ghp_x"),
            (I::AppId, "1"),
        ],
        want: Want::Errors(&[
            "input `secrets`: line 1: the value is empty",
            "input `dry-run`: expected `true` or `false`",
            "input `repository`: `acme` is not owner/name",
            "input `token`: give either `token` or `app-id` with `app-private-key`, not both",
        ]),
        ..CASE
    },
];

/// A value one byte over GitHub's limit and one holding a NUL, in JSON.
fn big_and_nul(raw: &mut RawInputs) {
    let big = "x".repeat(crate::config::MAX_VALUE_BYTES + 1);
    raw.secrets = SecretValue::new(format!(r#"{{"BIG": "{big}", "NUL": "a\u0000b"}}"#));
}

/// What `sync` hands over for `--dry-run --fail-fast --token-expiry-warning-days 0`.
fn parsed(raw: &mut RawInputs) {
    raw.dry_run = Given::Parsed(true);
    raw.fail_fast = Given::Parsed(true);
    raw.allow_pull_request_target = Given::Parsed(true);
    raw.token_expiry_warning_days = Given::Parsed(0);
}

/// The runner's ID-token request, as a job with `id-token: write` has it.
fn runner_id_token(raw: &mut RawInputs) {
    raw.id_token_request_url = "https://runner.example/idtoken?api-version=2.0".to_owned();
    raw.id_token_request_token =
        SecretValue::from("eyJhbGciOiJSUzI1NiJ9.runner-request-token-0123456789");
}

/// Sets one input's text, as the action's `INPUT_*` would.
fn set(raw: &mut RawInputs, input: Input, text: &str) {
    let t = text.to_owned();
    match input {
        I::Token => raw.token = SecretValue::new(t),
        I::Secrets => raw.secrets = SecretValue::new(t),
        I::SecretsFromEnv => raw.secrets_from_env = t,
        I::Files => raw.files = t,
        I::Prefix => raw.prefix = t,
        I::IfNoFilesFound => raw.if_no_files_found = t,
        I::Current => raw.current = SecretValue::new(t),
        I::CurrentFromEnv => raw.current_from_env = t,
        I::Repository => raw.repository = t,
        I::DryRun => raw.dry_run = Given::Text(t),
        I::ApiUrl => raw.api_url = t,
        I::Repositories => raw.repositories = t,
        I::Environment => raw.environment = t,
        I::Organization => raw.organization = t,
        I::Visibility => raw.visibility = t,
        I::SelectedRepositories => raw.selected_repositories = t,
        I::App => raw.app = t,
        I::FailFast => raw.fail_fast = Given::Text(t),
        I::AllowPullRequestTarget => raw.allow_pull_request_target = Given::Text(t),
        I::TokenExpiryWarningDays => raw.token_expiry_warning_days = Given::Text(t),
        I::AuditLog => raw.audit_log = t,
        I::AppId => raw.app_id = t,
        I::AppPrivateKey => raw.app_private_key = SecretValue::new(t),
        I::AppInstallationId => raw.app_installation_id = t,
        I::StsUrl => raw.sts_url = t,
        I::StsIdentity => raw.sts_identity = t,
        I::StsAudience => raw.sts_audience = t,
        I::Preflight => raw.preflight = Given::Text(t),
        I::StoredAt => raw.stored_at = t,
        I::Workspace => panic!("the workspace is a case's own field"),
    }
}

/// What the reporter wrote (the masks, in action mode).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The config's facts, or every message; the temporary directory shown as `<tmp>`.
type Loaded = Result<Vec<String>, Vec<String>>;

/// The case's outcome, and every value registered with the runner's masker (fact `masked` of a
/// loaded config).
fn run(case: &Case) -> (Loaded, Vec<String>) {
    // A run of its own: what it registers for redaction ends with it, never reaching the
    // process's list that other unit tests print through.
    let _run = Scope::bind(Env::default(), Box::new(Vec::new()), Box::new(Vec::new()));
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in case.files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    let mut raw = RawInputs::default();
    for (input, text) in case.inputs {
        set(&mut raw, *input, text);
    }
    (case.typed)(&mut raw);
    let env: Vec<(String, String)> = case
        .env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    raw.step_env =
        StepEnv::new(move |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()));
    let ctx = RunContext {
        workspace: dir.path().join(case.workspace),
        default_repository: case.default_repository.to_owned(),
        default_api_url: case.default_api_url.to_owned(),
        front_end: case.front,
        ..RunContext::default()
    };
    let out = Captured::default();
    let mut reporter = Reporter::new(
        Mode::Action,
        Box::new(out.clone()),
        Box::new(std::io::sink()),
    );
    let tmp = dir.path().display().to_string();
    let shown = |s: String| s.replace(&tmp, "<tmp>");
    let loaded = load(&raw, &ctx, &mut reporter);
    let masks = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8");
    let masked: Vec<String> = masks
        .lines()
        .filter_map(|l| l.strip_prefix("::add-mask::"))
        .map(str::to_owned)
        .collect();
    let outcome = match loaded {
        Ok(config) => {
            let mut facts = facts(&config);
            facts.push(format!("masked: {}", masked.join(" | ")));
            Ok(facts.into_iter().map(shown).collect())
        }
        Err(errors) => Err(errors.iter().map(|e| shown(e.to_string())).collect()),
    };
    (outcome, masked)
}

/// The config as `key: value` lines; values shown (test values only), escaped.
fn facts(c: &Config) -> Vec<String> {
    let shown = |v: &SecretValue| v.expose().escape_debug().to_string();
    let secrets: Vec<String> = c
        .secrets
        .iter()
        .map(|s| {
            let origin = match &s.origin {
                Origin::File(path) => format!(" (file {})", path.display()),
                Origin::Input | Origin::Prompt => String::new(),
            };
            format!("{}={}{origin}", s.name, shown(&s.value))
        })
        .collect();
    let current = c.current.as_ref().map_or("none".to_owned(), |m| {
        let mut pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}={}", shown(v))).collect();
        pairs.sort();
        pairs.join(", ")
    });
    let destination = match &c.destination {
        Destination::Repos { repos, environment } => {
            let repos: Vec<String> = repos.iter().map(ToString::to_string).collect();
            let env = environment
                .as_ref()
                .map(|e| format!(" environment {e}"))
                .unwrap_or_default();
            format!("repos {}{env}", repos.join(", "))
        }
        Destination::Org {
            org,
            visibility,
            selected,
        } => {
            let vis = visibility
                .map(|v| format!(" visibility {}", v.as_str()))
                .unwrap_or_default();
            let selected: Vec<String> = selected.iter().map(ToString::to_string).collect();
            let repos = Some(selected.join(", "))
                .filter(|s| !s.is_empty())
                .map(|s| format!(" repos {s}"))
                .unwrap_or_default();
            format!("org {org}{vis}{repos}")
        }
    };
    let auth = match &c.auth {
        Auth::None => "none".to_owned(),
        Auth::Token(t) => format!("token {}", shown(t)),
        Auth::App(a) => format!(
            "app {} key {} installation {}",
            a.app_id,
            shown(&a.private_key),
            a.installation_id
                .map_or("none".to_owned(), |i| i.to_string())
        ),
        Auth::Keyless(k) => format!(
            "keyless {} identity {} audience {} request {}",
            k.url,
            k.identity,
            k.audience,
            k.id_token_request
                .as_ref()
                .map_or("none".to_owned(), |r| r.url.clone())
        ),
    };
    vec![
        format!("secrets: {}", secrets.join(", ")),
        format!("current: {current}"),
        format!("destination: {destination}"),
        format!("app: {}", c.app.as_str()),
        format!("auth: {auth}"),
        format!("dry-run: {}", c.dry_run),
        format!("fail-fast: {}", c.fail_fast),
        format!("allow-pull-request-target: {}", c.allow_pull_request_target),
        format!("token-expiry-warning-days: {}", c.token_expiry_warning_days),
        format!("api-url: {}", c.api_url),
        format!(
            "audit-log: {}",
            c.audit_log
                .as_deref()
                .map_or("none".to_owned(), |p| p.display().to_string())
        ),
        format!("warnings: {}", c.warnings.join(" | ")),
        format!("refused: {}", c.refused.join(" | ")),
        format!("preflight: {}", c.preflight),
        format!(
            "stored-at: {}",
            c.stored_at
                .as_ref()
                .map_or("none".to_owned(), |s| s.to_json())
        ),
    ]
}

/// Where `got` differs from what `case` wants, if it does.
fn mismatch(case: &Case, got: &Loaded) -> Option<String> {
    match (&case.want, got) {
        (Want::Config(want), Ok(facts)) => {
            let wrong: Vec<String> = want
                .iter()
                .filter_map(|w| {
                    let key = w.split_once(": ").map_or(*w, |(k, _)| k);
                    let fact = facts
                        .iter()
                        .find(|f| f.split_once(": ").map(|(k, _)| k) == Some(key));
                    match fact {
                        Some(f) if f == w => None,
                        Some(f) => Some(format!("  want {w}\n   got {f}")),
                        None => Some(format!("  no fact `{key}`")),
                    }
                })
                .collect();
            (!wrong.is_empty()).then(|| wrong.join("\n"))
        }
        (Want::Errors(want), Err(errors)) if want.iter().eq(errors.iter()) => None,
        (Want::Config(_), Err(errors)) => {
            Some(format!("  refused:\n    {}", errors.join("\n    ")))
        }
        (Want::Errors(want), Ok(_)) => {
            Some(format!("  loaded; wanted:\n    {}", want.join("\n    ")))
        }
        (Want::Errors(want), Err(errors)) => Some(format!(
            "  want:\n    {}\n   got:\n    {}",
            want.join("\n    "),
            errors.join("\n    ")
        )),
    }
}

#[test]
fn load_table() {
    let mut names = std::collections::BTreeSet::new();
    let failures: Vec<String> = CASES
        .iter()
        .inspect(|case| assert!(names.insert(case.name), "two cases named {:?}", case.name))
        .filter_map(|case| mismatch(case, &run(case).0).map(|m| format!("{}:\n{m}", case.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// Every value is registered with the masker as it is read, before any error is said.
#[test]
fn values_are_masked_even_when_the_inputs_are_refused() {
    let case = Case {
        name: "refused",
        inputs: &[(I::Secrets, "A=alpha\n1B=beta"), (I::Token, "ghp_t0ken")],
        ..CASE
    };
    let (outcome, masked) = run(&case);
    assert!(outcome.is_err());
    assert_eq!(masked, ["ghp_t0ken", "alpha", "beta"]);
}

#[test]
fn api_urls() {
    for ok in [
        "https://api.github.com",
        "https://ghe.example/api/v3",
        "http://127.0.0.1:8080",
        "http://localhost",
        "http://[::1]:9/x",
        "http://127.8.9.10",
    ] {
        assert_eq!(check_api_url(ok), Ok(()), "{ok}");
    }
    for bad in [
        "http://api.github.com",
        "http://localhost.evil.com",
        "http://127.0.0.1.nip.io",
        "ftp://x",
        "api.github.com",
        "https://",
        "https://u:p@host",
    ] {
        assert!(check_api_url(bad).is_err(), "{bad}");
    }
}

#[test]
fn repo_specs() {
    let mut errors = Vec::new();
    let specs = parse_repo_specs(
        "acme/api\n# x\nacme/service-*\nacme/api\n",
        Input::Repositories,
        FrontEnd::Action,
        &mut errors,
    );
    assert!(errors.is_empty());
    assert_eq!(specs.len(), 2);
    assert_eq!(specs[1].to_string(), "acme/service-*");
    parse_repo_specs(
        "acme\n/x\nacme/a/b\n",
        Input::Repositories,
        FrontEnd::Cli,
        &mut errors,
    );
    assert_eq!(errors.len(), 3);
    assert_eq!(
        errors[0].to_string(),
        "`--repo`: line 1: `acme` is not owner/name or owner/glob"
    );
}
