//! `secret-refresh status`: which secrets each target has, when they were last written, and
//! whether any is missing or older than `--max-age`. One paged list request per target
//! (`GET …/secrets?per_page=100`), whatever the number of names: GitHub returns the names and
//! dates of every secret of a target in one page of up to 100, while a GET per name would cost
//! one request per name and target.

use clap::Args;
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use time::OffsetDateTime;

use super::options::AppArgs;
use super::{Credential, Error, Style, TargetArgs, Tone};
use crate::auth::app::Access;
use crate::config::names::SecretName;
use crate::github::endpoints::{self, ReadError, SecretMeta};
use crate::github::{ApiError, Client, Policy};
use crate::output::words::{Count, List};
use crate::target::{App, Target};

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Secret names that must be present (default: report every secret found).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Mark secrets last written longer ago than this as stale: a number and a unit, `90d`,
    /// `12h`, `2w`, `1y`, or several as `1d12h`. Units: s (seconds), m (minutes), h (hours), d
    /// (days), w (weeks), y (365 days); `m` is minutes, as in `gh` (for months write `30d`).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub max_age: Option<MaxAge>,
    /// Print JSON. Alone: the report, `{ok, max_age, secrets, errors}`. With FIELDS, comma-
    /// separated, gh's names (`name`, `updatedAt`, `visibility`) and ours (`target`, `status`,
    /// `ageSeconds`, `stale`): a flat list of objects with those fields, as `gh secret list`.
    #[arg(long, value_name = "FIELDS", num_args = 0..=1, default_missing_value = "")]
    pub json: Option<String>,
    /// REST base URL (default: $GH_HOST's API, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    #[command(flatten)]
    pub github_app: AppArgs,
}

pub const AFTER_HELP: &str = "\
Lists each target's secrets (names and dates only: GitHub never returns values) with one request
per target. With NAMEs, every name must be present in every target. With --app-id and
--app-key-file, a GitHub App's installation token is minted that may only read these targets'
secrets (`secrets: read`, or the environment's or organisation's equivalent), and is revoked
before the command ends.

Examples:
  secret-refresh status PAT_TOKEN --repos-file repos.txt --max-age 90d
  secret-refresh status --org acme --json
  secret-refresh status -R acme/api --json name,updatedAt | jq -r '.[].name'
  secret-refresh status PAT_TOKEN --repo acme/api --app-id 123456 --app-key-file app.pem

Exit codes: 0 every named secret is present and fresh, 1 a secret is missing or stale (or a target
could not be read), 2 usage or input error.";

/// `--max-age` as given, and in seconds.
#[derive(Debug, Clone)]
pub struct MaxAge {
    pub text: String,
    pub seconds: i64,
}

/// The units `--max-age` takes, for its help and its error.
const AGE_UNITS: &str = "s (seconds), m (minutes), h (hours), d (days), w (weeks), y (365 days)";

/// `--max-age` is not a duration (clap names the flag; the age is no secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}`: expected a number and a unit, such as `90d`, `12h`, `2w` or `1d12h`; units: {units} \
     (months are not a unit: write `30d`)",
    units = AGE_UNITS
)]
pub struct AgeError(String);

/// A duration as `gh` and Go write them: numbers each followed by a unit, `90d`, `12h`, `30m`,
/// `1y`, `1d12h` ([`AGE_UNITS`]; `m` is minutes, as in Go and `gh`). More than zero.
pub fn parse_age(s: &str) -> Result<MaxAge, AgeError> {
    let s = s.trim();
    let err = || AgeError(s.to_owned());
    let mut seconds: i64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let per: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            'y' => 365 * 86_400,
            _ => return Err(err()),
        };
        let n: i64 = digits.parse().map_err(|_| err())?;
        digits.clear();
        seconds = n
            .checked_mul(per)
            .and_then(|part| seconds.checked_add(part))
            .ok_or_else(err)?;
    }
    if !digits.is_empty() || seconds <= 0 {
        return Err(err());
    }
    Ok(MaxAge {
        text: s.to_owned(),
        seconds,
    })
}

/// One secret in one target, as shown and as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    pub target: String,
    pub secret: String,
    /// `present`, `missing` or `stale`.
    pub status: &'static str,
    /// RFC 3339, UTC.
    pub updated_at: Option<String>,
    pub age_seconds: Option<i64>,
    pub stale: bool,
    /// An organisation secret's visibility; only in `--json FIELDS` (the report keeps its
    /// shape).
    #[serde(skip)]
    pub visibility: Option<String>,
}

/// The fields `--json FIELDS` takes: gh's names first.
pub const JSON_FIELDS: [&str; 7] = [
    "name",
    "updatedAt",
    "visibility",
    "target",
    "status",
    "ageSeconds",
    "stale",
];

/// `--json` names a field there is not.
#[derive(Debug, thiserror::Error)]
#[error(
    "--json: no field `{0}`; the fields are {fields} (comma-separated: --json \
     name,updatedAt,visibility); --json alone prints the whole report",
    fields = JSON_FIELDS.join(", ")
)]
pub struct JsonFieldError(String);

/// The fields `--json FIELDS` asks for; `None` for `--json` alone (or no `--json`).
fn json_fields(given: Option<&str>) -> Result<Option<Vec<&'static str>>, JsonFieldError> {
    let Some(text) = given.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    text.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            JSON_FIELDS
                .iter()
                .find(|k| **k == f)
                .copied()
                .ok_or_else(|| JsonFieldError(f.to_owned()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The rows as a flat list of objects holding `fields`, as `gh secret list --json`.
fn flat_json(rows: &[StatusRow], fields: &[&str]) -> serde_json::Value {
    let object = |r: &StatusRow| {
        let mut o = serde_json::Map::new();
        for f in fields {
            let v = match *f {
                "name" => serde_json::json!(r.secret),
                "updatedAt" => serde_json::json!(r.updated_at),
                "visibility" => serde_json::json!(r.visibility),
                "target" => serde_json::json!(r.target),
                "status" => serde_json::json!(r.status),
                "ageSeconds" => serde_json::json!(r.age_seconds),
                "stale" => serde_json::json!(r.stale),
                _ => serde_json::Value::Null,
            };
            o.insert((*f).to_owned(), v);
        }
        serde_json::Value::Object(o)
    };
    serde_json::Value::Array(rows.iter().map(object).collect())
}

/// A target that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct TargetError {
    pub target: String,
    pub error: String,
    pub fix: String,
}

#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    ok: bool,
    max_age: Option<&'a str>,
    max_age_seconds: Option<i64>,
    secrets: &'a [StatusRow],
    errors: &'a [TargetError],
}

pub fn run(args: StatusArgs) -> Result<(), Error> {
    let names = SecretName::parse_unique(&args.names).map_err(Error::usage)?;
    let specs = args.targets.specs().map_err(Error::usage)?;
    let fields = json_fields(args.json.as_deref()).map_err(Error::usage)?;
    let api_url = super::api_url(args.api_url.as_deref())
        .map_err(Error::usage)?
        .to_string();
    // Giving the app's flags means the app: no token is looked for.
    let credential = Credential::find(&args.github_app, true, &api_url).map_err(Error::usage)?;
    let targets = super::patterns::resolve(&args.targets, specs, &credential, &api_url)?;
    let runtime = super::runtime().map_err(Error::failed)?;
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let config = super::config(&args.targets, &targets, None, credential.auth(), &api_url);
    // An app's token may only read: listing names and dates needs nothing more.
    // A signal stops the command: the request in flight gets the grace, no other starts, and a
    // minted token is revoked (abandoned half-way, by its guard: `revoke_left_behind`).
    let session = match runtime.block_on(crate::cancel::unless_cancelled(
        crate::auth::app::open_with(
            &config,
            Policy::from_env(),
            Access::Read,
            &mut |t: &crate::secret::SecretValue| crate::output::redact::know_token(t),
        ),
    )) {
        Err(signal) => {
            let revoked = runtime.block_on(crate::auth::guard::revoke_left_behind());
            return Err(cancelled(signal, revoked));
        }
        Ok(Ok(s)) => s,
        // A token that cannot make a client is an input error; an app that cannot mint
        // one failed the check.
        Ok(Err(e)) => {
            return Err(match credential {
                Credential::Token(..) => Error::usage(e.error),
                Credential::App(_) => Error::failed(e.error),
            });
        }
    };
    let listed: Result<Vec<Result<Vec<SecretMeta>, TargetError>>, _> =
        runtime.block_on(crate::cancel::unless_cancelled(
            stream::iter(targets.iter())
                .map(|t| list(&session.client, t, &credential))
                .buffered(4)
                .collect(),
        ));
    // Revoked whatever the listing found; a token that outlives the command is a failure.
    let closed = runtime.block_on(session.close());
    let listed = match (listed, crate::cancel::requested()) {
        (Ok(listed), None) => listed,
        (_, Some(signal)) | (Err(signal), None) => return Err(cancelled(signal, closed)),
    };

    let max = args.max_age.as_ref().map(|m| m.seconds);
    let (rows, errors, empty) = tabulate(&targets, listed, &names, crate::env::now(), max);
    let ok = match fields {
        Some(fields) => {
            say_errors(&errors, &closed);
            let text = serde_json::to_string_pretty(&flat_json(&rows, &fields));
            super::print(&format!("{}\n", text.unwrap_or_default()));
            rows.iter().all(|r| r.status == "present") && errors.is_empty() && closed.is_ok()
        }
        None => print_status(&args, &rows, &errors, &empty, &names, &closed),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Reported)
    }
}

/// Prints the rows (JSON or a table), errors first; whether everything was found and fresh.
fn print_status(
    args: &StatusArgs,
    rows: &[StatusRow],
    errors: &[TargetError],
    empty: &[String],
    names: &[SecretName],
    closed: &Result<(), crate::auth::guard::RevokeError>,
) -> bool {
    let missing = rows.iter().filter(|r| r.status == "missing").count();
    let stale = rows.iter().filter(|r| r.stale).count();
    let ok = missing == 0 && stale == 0 && errors.is_empty() && closed.is_ok();

    if args.json.is_some() {
        let doc = JsonReport {
            ok,
            max_age: args.max_age.as_ref().map(|m| m.text.as_str()),
            max_age_seconds: args.max_age.as_ref().map(|m| m.seconds),
            secrets: rows,
            errors,
        };
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        super::print(&format!("{text}\n"));
        if let Err(e) = closed {
            super::say(&e.to_string());
        }
    } else {
        say_errors(errors, closed);
        super::print(&human(rows, empty, errors, args.max_age.as_ref(), names));
    }
    ok
}

/// One row per secret and target (per name asked for, `missing` when absent), the targets
/// that could not be listed, and the targets listed empty.
fn tabulate(
    targets: &[Target],
    listed: Vec<Result<Vec<SecretMeta>, TargetError>>,
    names: &[SecretName],
    now: OffsetDateTime,
    max: Option<i64>,
) -> (Vec<StatusRow>, Vec<TargetError>, Vec<String>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut empty = Vec::new();
    for (target, result) in targets.iter().zip(listed) {
        let docs = match result {
            Ok(d) => d,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let row = |doc: &SecretMeta| {
            let age = Some((now - doc.updated_at).whole_seconds().max(0));
            let stale = matches!((age, max), (Some(a), Some(m)) if a > m);
            StatusRow {
                target: target.to_string(),
                secret: doc.name.clone(),
                status: if stale { "stale" } else { "present" },
                updated_at: Some(doc.updated_at_text.clone()),
                age_seconds: age,
                stale,
                visibility: doc.visibility.clone(),
            }
        };
        if names.is_empty() {
            if docs.is_empty() {
                empty.push(target.to_string());
            }
            rows.extend(docs.iter().map(row));
            continue;
        }
        for name in names {
            match docs
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(name.as_str()))
            {
                Some(doc) => rows.push(row(doc)),
                None => rows.push(StatusRow {
                    target: target.to_string(),
                    secret: name.to_string(),
                    status: "missing",
                    updated_at: None,
                    age_seconds: None,
                    stale: false,
                    visibility: None,
                }),
            }
        }
    }
    (rows, errors, empty)
}

/// The targets that could not be read, and a token left alive, on standard error.
fn say_errors(errors: &[TargetError], closed: &Result<(), crate::auth::guard::RevokeError>) {
    let mut err = crate::output::reporter::Reporter::stdio(super::options::human_mode());
    for e in errors {
        err.error("", &format!("{}: {}\n  fix: {}", e.target, e.error, e.fix));
    }
    if let Err(e) = closed {
        err.error("", &e.to_string());
    }
    err.flush();
}

/// Stopped by a signal: nothing is shown but that, and what became of the token.
fn cancelled(
    signal: crate::cancel::Signal,
    revoked: Result<(), crate::auth::guard::RevokeError>,
) -> Error {
    match revoked {
        Ok(()) => super::cancelled(signal, ""),
        Err(e) => super::cancelled(signal, &format!("; {e}")),
    }
}

/// The TARGET / SECRET / STATUS / LAST UPDATED / AGE table (empty when there are no rows).
fn status_table(style: Style, rows: &[StatusRow], max_age: Option<&MaxAge>) -> String {
    let table_rows: Vec<(Vec<String>, Tone)> = rows
        .iter()
        .map(|r| {
            let status = match (r.status, max_age) {
                ("stale", Some(m)) => format!("stale (> {})", m.text),
                (s, _) => s.to_owned(),
            };
            let tone = match r.status {
                "present" => Tone::Good,
                "stale" => Tone::Warn,
                _ => Tone::Bad,
            };
            (
                vec![
                    r.target.clone(),
                    r.secret.clone(),
                    status,
                    r.updated_at
                        .as_deref()
                        .map(short_time)
                        .unwrap_or("-".into()),
                    r.age_seconds.map(age).unwrap_or("-".into()),
                ],
                tone,
            )
        })
        .collect();
    let mut out = String::new();
    if !table_rows.is_empty() {
        out.push_str(&super::table(
            style,
            &["TARGET", "SECRET", "STATUS", "LAST UPDATED (UTC)", "AGE"],
            &table_rows,
        ));
    }
    out
}

fn human(
    rows: &[StatusRow],
    empty: &[String],
    errors: &[TargetError],
    max_age: Option<&MaxAge>,
    names: &[SecretName],
) -> String {
    let style = Style::stdout();
    let mut out = status_table(style, rows, max_age);
    for t in empty {
        out.push_str(&format!("{t} has no secrets.\n"));
    }
    let missing = rows.iter().filter(|r| r.status == "missing").count();
    let stale = rows.iter().filter(|r| r.stale).count();
    let mut problems = Vec::new();
    if missing > 0 {
        problems.push(format!("{missing} missing"));
    }
    if stale > 0 {
        problems.push(format!(
            "{stale} stale (older than {})",
            max_age.map(|m| m.text.as_str()).unwrap_or_default()
        ));
    }
    if !errors.is_empty() {
        problems.push(format!(
            "{} could not be read",
            Count("target", errors.len())
        ));
    }
    let what = if names.is_empty() {
        Count(("secret found", "secrets found"), rows.len())
    } else {
        Count(("secret checked", "secrets checked"), rows.len())
    };
    let line = if problems.is_empty() {
        let fresh = max_age
            .map(|m| format!(", none older than {}", m.text))
            .unwrap_or_default();
        style.paint(&format!("OK: {what}, all present{fresh}."), Tone::Good)
    } else {
        style.paint(
            &format!("Not OK: {}; {what}.", List::comma(&problems)),
            Tone::Bad,
        )
    };
    out.push_str(&line);
    out.push('\n');
    out
}

/// `2024-05-01T10:20:30Z` → `2024-05-01 10:20`.
fn short_time(s: &str) -> String {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(crate::github::wire::utc_date)
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]"
            ))
            .ok()
        })
        .unwrap_or_else(|| s.to_owned())
}

/// A short age: under an hour, hours under two days, else days.
fn age(secs: i64) -> String {
    match secs {
        s if s < 3600 => "<1h".to_owned(),
        s if s < 2 * 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Every secret of a target, or what went wrong and the fix.
async fn list(
    client: &Client,
    target: &Target,
    credential: &Credential,
) -> Result<Vec<SecretMeta>, TargetError> {
    let fail = |error: String, fix: String| TargetError {
        target: target.to_string(),
        error,
        fix,
    };
    endpoints::list_secrets(client, target)
        .await
        .map_err(|e| match e {
            ReadError::NoAnswer(e) => {
                let fix = super::words::unanswered_fix(&e);
                fail(e.to_string(), fix.into())
            }
            ReadError::Refused(e @ ApiError::Unauthorized { .. }) => fail(
                e.to_string(),
                match credential {
                    Credential::Token(..) => {
                        "create a new token, or log in again with `gh auth login`".into()
                    }
                    Credential::App(_) => credential.unauthorized_fix(),
                },
            ),
            ReadError::Refused(e) => fail(
                match e.refused_status() {
                    Some(status) => format!(
                        "GitHub answered {status}: the token cannot list the secrets of {target}{}",
                        e.server_message()
                            .map(|m| format!(" ({m})"))
                            .unwrap_or_default()
                    ),
                    None => e.to_string(),
                },
                read_hint(target),
            ),
            ReadError::NotUnderstood(e) => fail(
                format!("GitHub's list of secrets was not understood: {e}"),
                "check --api-url: it must be GitHub's REST API".into(),
            ),
        })
}

/// The permission a token needs to list a target's secrets.
fn read_hint(target: &Target) -> String {
    let (classic, fine) = match target {
        Target::Repo {
            app: App::Actions, ..
        } => ("`repo`", "repository permission \"Secrets: Read-only\""),
        Target::Repo {
            app: App::Dependabot,
            ..
        } => (
            "`repo`",
            "repository permission \"Dependabot secrets: Read-only\"",
        ),
        Target::Repo {
            app: App::Codespaces,
            ..
        } => (
            "`repo`",
            "repository permission \"Codespaces secrets: Read-only\"",
        ),
        Target::Env { .. } => (
            "`repo`",
            "repository permission \"Environments: Read-only\" (and the environment must exist)",
        ),
        Target::Org {
            app: App::Actions, ..
        } => (
            "`admin:org`",
            "organization permission \"Secrets: Read-only\"",
        ),
        Target::Org {
            app: App::Dependabot,
            ..
        } => (
            "`admin:org`",
            "organization permission \"Dependabot secrets: Read-only\"",
        ),
        Target::Org {
            app: App::Codespaces,
            ..
        } => (
            "`admin:org`",
            "organization permission \"Codespaces secrets: Read-only\"",
        ),
        Target::Repo {
            app: App::Agents, ..
        } => (
            "`repo`",
            "repository permission \"Agent secrets: Read-only\"",
        ),
        Target::Org {
            app: App::Agents, ..
        } => (
            "`admin:org`",
            "organization permission \"Agent secrets: Read-only\"",
        ),
    };
    format!(
        "check the name; a classic token needs the {classic} scope, a fine-grained token the {fine} on {target}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        // Every unit the help lists, and several together (a table: text → seconds).
        let good: &[(&str, i64)] = &[
            ("45s", 45),
            ("3m", 3 * 60),
            ("90m", 90 * 60),
            ("12h", 12 * 3600),
            ("90d", 90 * 86_400),
            ("2w", 14 * 86_400),
            ("1y", 365 * 86_400),
            ("1d12h", 86_400 + 12 * 3600),
            ("1h30m", 5400),
            (" 7d ", 7 * 86_400),
        ];
        for (text, seconds) in good {
            assert_eq!(parse_age(text).map(|a| a.seconds), Ok(*seconds), "{text}");
        }
        for bad in [
            "",
            "d",
            "90",
            "1d12",
            "3mo",
            "-1d",
            "0d",
            "0h0m",
            "1.5d",
            "1 d",
            "99999999999999999w",
            "9é",
        ] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_age("3mo").expect_err("months").to_string(),
            "`3mo`: expected a number and a unit, such as `90d`, `12h`, `2w` or `1d12h`; units: \
             s (seconds), m (minutes), h (hours), d (days), w (weeks), y (365 days) (months are \
             not a unit: write `30d`)"
        );
        assert_eq!(age(59), "<1h");
        assert_eq!(age(5 * 3600 + 59), "5h");
        assert_eq!(age(47 * 3600), "47h");
        assert_eq!(age(100 * 86_400 + 3600), "100d");
    }
}
