//! `set --dry-run`: one public-key read per target proves the token (or the app's installation
//! token, minted with the write permission `set` would use, then revoked) reaches it. The value
//! is not asked for and nothing is written.

use super::args::SetArgs;
use super::value::{name_list, read_value};
use crate::auth::app::permissions::permission_name;
use crate::commands::words::Diagnosis;
use crate::commands::{Credential, Error, Style, Tone};
use crate::config::names::SecretName;
use crate::config::Visibility;
use crate::github::endpoints::{self, ReadError};
use crate::github::{ApiError, Client, Policy};
use crate::output::words::Count;
use crate::secret::SecretValue;
use crate::target::Target;

/// `--dry-run`: one public-key read per target proves the token reaches it. Nothing is written
/// and the value is not asked for (a value typed for nothing is one more chance to leak it).
/// With the app, the installation token is minted with the write permission `set` would use
/// (so the check covers the installation's permissions too), then revoked.
pub(super) fn dry_run(
    args: &SetArgs,
    names: &[SecretName],
    targets: &[Target],
    visibility: Option<Visibility>,
    api_url: &str,
) -> Result<(), Error> {
    if let Some(p) = &args.from_file {
        if p.as_os_str() != "-" {
            if let Err(e) = read_value(names, Some(p)) {
                return Err(Error::usage(e));
            }
        }
    }
    let style = Style::stdout();
    let list = name_list(names);
    let credential = match crate::commands::app_credentials(&args.github_app) {
        Err(e) => return Err(Error::usage(e)),
        Ok(Some(creds)) => Credential::App(creds),
        Ok(None) => match crate::auth::token::find_token(false, api_url) {
            Ok((token, source)) => Credential::Token(token, source),
            Err(_) => return dry_run_without_token(style, &list, targets),
        },
    };
    let runtime = match crate::commands::runtime() {
        Ok(r) => r,
        Err(e) => return Err(Error::failed(e)),
    };
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let config = crate::commands::config(
        &args.targets,
        targets,
        visibility,
        credential.auth(),
        api_url,
    );
    let session = open_dry_run_session(&runtime, &config, &credential)?;
    let checks = runtime.block_on(check_targets(&session.client, targets, &credential));
    // The installation token is revoked before anything is printed: it served its purpose.
    let closed = runtime.block_on(session.close());
    if let Some(signal) = crate::cancel::requested() {
        return Err(crate::commands::cancelled(
            signal,
            &after_cancel(&closed, session.is_app()),
        ));
    }
    let req = dry_run_requests(
        session.client.requests(),
        session.is_app() && closed.is_ok(),
    );
    print_dry_run(style, &list, targets, &checks, &closed, &req, &credential)
}

/// Opens the dry run's session (for the app, mints its installation token); a failure or a
/// signal is the exit code, after its message.
fn open_dry_run_session(
    runtime: &tokio::runtime::Runtime,
    config: &crate::config::Config,
    credential: &Credential,
) -> Result<crate::auth::app::Session, Error> {
    match runtime.block_on(crate::cancel::unless_cancelled(crate::auth::app::open(
        config,
        Policy::from_env(),
        &mut |t: &SecretValue| crate::output::redact::know_token(t),
    ))) {
        Err(signal) => {
            // Abandoned half-way: a token minted on the way is revoked by its guard.
            let after = match runtime.block_on(crate::auth::guard::revoke_left_behind()) {
                Ok(()) => "; nothing was written".to_owned(),
                Err(e) => format!("; nothing was written; {e}"),
            };
            Err(crate::commands::cancelled(signal, &after))
        }
        Ok(Ok(s)) => Ok(s),
        // A token refused is a usage error; the app's failure says the requests it made.
        Ok(Err(e)) => Err(match credential {
            Credential::Token(..) => Error::usage(e.error),
            Credential::App(_) => Error::failed_then(e.error, not_checked(e.requests)),
        }),
    }
}

/// What follows the app's failure to open a session.
fn not_checked(requests: u64) -> String {
    format!(
        "\nDry run: access could not be checked ({} made); nothing was written.",
        Count("request", requests)
    )
}

/// One public-key read per target, in order. A signal stops the checks: the read in flight
/// gets the grace, no other starts.
async fn check_targets(
    client: &Client,
    targets: &[Target],
    credential: &Credential,
) -> Vec<(Target, Result<(), Diagnosis>)> {
    let mut out = Vec::new();
    for t in targets {
        match crate::cancel::unless_cancelled(can_read_key(client, t, credential)).await {
            Ok(checked) => out.push((t.clone(), checked)),
            Err(_) => break,
        }
    }
    out
}

/// What follows "cancelled" once the session is closed: nothing was written, and the token's
/// fate.
fn after_cancel(closed: &Result<(), crate::auth::guard::RevokeError>, is_app: bool) -> String {
    match closed {
        Ok(()) if is_app => "; nothing was written; the token was revoked".to_owned(),
        Ok(()) => "; nothing was written".to_owned(),
        Err(e) => format!("; nothing was written; {e}"),
    }
}

/// "3 requests" and, when the app's token was revoked, ", the token revoked".
fn dry_run_requests(requests: u64, revoked: bool) -> String {
    format!(
        "{}{}",
        Count("request", requests),
        if revoked { ", the token revoked" } else { "" }
    )
}

/// The dry run's table and verdict; failures (and a failed revocation) as errors first.
fn print_dry_run(
    style: Style,
    list: &str,
    targets: &[Target],
    checks: &[(Target, Result<(), Diagnosis>)],
    closed: &Result<(), crate::auth::guard::RevokeError>,
    req: &str,
    credential: &Credential,
) -> Result<(), Error> {
    let mut err = crate::output::reporter::Reporter::stdio(crate::commands::options::human_mode());
    let mut rows = Vec::new();
    let mut failed = 0;
    for (t, r) in checks {
        match r {
            Ok(()) => rows.push((vec![t.to_string(), format!("would set {list}")], Tone::Good)),
            Err(Diagnosis { cause, fix }) => {
                failed += 1;
                err.error("", &format!("{t}: {cause}\n  fix: {fix}"));
                rows.push((
                    vec![t.to_string(), "cannot write: see above".into()],
                    Tone::Bad,
                ));
            }
        }
    }
    if let Err(e) = closed {
        err.error("", &e.to_string());
    }
    err.flush();
    let mut out = crate::commands::table(style, &["TARGET", "RESULT"], &rows);
    let who = credential.describe();
    if failed == 0 {
        let reach = match targets {
            [one] => one.to_string(),
            all => format!("all {} targets", all.len()),
        };
        out.push_str(&format!(
            "Dry run: {who} can read the secrets public key of {reach} (checked with {req}); \
             {}; nothing was written.\n",
            dry_run_proves(credential, targets)
        ));
        crate::commands::print(&out);
        if closed.is_err() {
            return Err(Error::Reported);
        }
        Ok(())
    } else {
        out.push_str(&format!(
            "Dry run: {who} cannot read the secrets public key of {failed} of {} (checked \
             with {req}); nothing was written.\n",
            Count("target", targets.len())
        ));
        crate::commands::print(&out);
        Err(Error::Reported)
    }
}

/// What a successful dry run proved about writing, beyond the public keys. Reading a key needs
/// read access only, so for a token it proves nothing about writing; the app's token was
/// minted with the write permission `set` uses, which GitHub grants only to an installation that
/// has it.
fn dry_run_proves(credential: &Credential, targets: &[Target]) -> String {
    match (credential, targets.first()) {
        (Credential::App(_), Some(t)) => format!(
            "GitHub granted the token `{}: write`",
            permission_name(t.app(), t.is_org(), matches!(t, Target::Env { .. }))
                .unwrap_or_default()
        ),
        _ => "write access is not proven (a public key is readable with read access alone)"
            .to_owned(),
    }
}

/// A dry run with no token: what would be set, unchecked, and no request.
fn dry_run_without_token(style: Style, list: &str, targets: &[Target]) -> Result<(), Error> {
    let rows: Vec<(Vec<String>, Tone)> = targets
        .iter()
        .map(|t| {
            (
                vec![
                    t.to_string(),
                    format!("would set {list} (access not checked)"),
                ],
                Tone::Warn,
            )
        })
        .collect();
    let mut out = crate::commands::table(style, &["TARGET", "RESULT"], &rows);
    out.push_str(
        "Dry run: no token, so access was not checked and no request was made. Set GH_TOKEN \
         (or log in with `gh auth login`) to check it.\n",
    );
    crate::commands::print(&out);
    Ok(())
}

/// Whether the token can read the target's public key, or the cause and the fix.
async fn can_read_key(
    client: &Client,
    target: &Target,
    credential: &Credential,
) -> Result<(), Diagnosis> {
    match endpoints::public_key_readable(client, target).await {
        Ok(()) => Ok(()),
        Err(ReadError::NoAnswer(e) | ReadError::NotUnderstood(e)) => Err(Diagnosis::new(
            e.to_string(),
            crate::commands::words::unanswered_fix(&e),
        )),
        Err(ReadError::Refused(e @ ApiError::Unauthorized { .. })) => {
            Err(Diagnosis::new(e.to_string(), credential.unauthorized_fix()))
        }
        Err(ReadError::Refused(e)) => Err(Diagnosis::new(
            match e.refused_status() {
                Some(status) => format!(
                    "GitHub answered {status}: the token cannot read the secrets of {target}{}",
                    e.server_message()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default()
                ),
                None => e.to_string(),
            },
            credential.permission_hint(target),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_requests_say_when_the_token_was_revoked() {
        assert_eq!(dry_run_requests(1, false), "1 request");
        assert_eq!(dry_run_requests(4, true), "4 requests, the token revoked");
    }

    #[test]
    fn after_cancel_names_the_revocation_of_the_app_token_only() {
        assert_eq!(after_cancel(&Ok(()), false), "; nothing was written");
        assert_eq!(
            after_cancel(&Ok(()), true),
            "; nothing was written; the token was revoked"
        );
        let refused = Err(crate::auth::guard::RevokeError::Refused { status: 500 });
        assert_eq!(
            after_cancel(&refused, true),
            format!(
                "; nothing was written; {}",
                crate::auth::guard::RevokeError::Refused { status: 500 }
            )
        );
    }

    #[test]
    fn a_session_the_app_could_not_open_says_the_requests_made() {
        assert_eq!(
            not_checked(2),
            "\nDry run: access could not be checked (2 requests made); nothing was written."
        );
        assert_eq!(
            not_checked(1),
            "\nDry run: access could not be checked (1 request made); nothing was written."
        );
    }
}
