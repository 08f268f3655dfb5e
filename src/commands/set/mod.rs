//! `secret-refresh set NAME [--name NAME]...`: one value, typed once (at a hidden prompt),
//! written into every target through the action's engine. Stops at the first failure unless `--keep-going`, and
//! then says exactly which targets have the new value and how to finish the rest.
//!
//! `args.rs` is the command line and what is checked before anything is read, `value.rs` reads
//! the value, `print.rs` reports the run, `dry_run.rs` is `--dry-run`.

pub mod args;
mod dry_run;
mod print;
mod value;

use std::path::Path;

use crate::commands::words::NOTHING_WRITTEN;
use crate::commands::{Credential, Error};
use crate::config::names::SecretName;
use crate::config::{Config, NewSecret, Origin, Visibility};
use crate::engine::{Report, WriteProgress};
use crate::github::Policy;
use crate::secret::SecretValue;
use crate::target::Target;
use args::{validate, SetArgs, SetError};

pub fn run(args: SetArgs) -> Result<(), Error> {
    let (names, specs, visibility) = match validate(&args) {
        Ok(v) => v,
        Err(e) => return Err(Error::usage(e)),
    };
    let is_stdin = |p: Option<&Path>| p.is_some_and(|p| p.as_os_str() == "-");
    if is_stdin(args.github_app.app_key_file.as_deref())
        && !args.dry_run
        && (args.from_file.is_none() || is_stdin(args.from_file.as_deref()))
    {
        return Err(Error::usage(SetError::KeyAndValueFromStdin));
    }
    let api_url = match super::api_url(args.api_url.as_deref()) {
        Ok(u) => u.to_string(),
        Err(e) => return Err(Error::usage(e)),
    };
    // Patterns are resolved with the credential, before the value is asked for.
    let (targets, found) = super::patterns::targets_and_credential(
        &args.targets,
        specs,
        &args.github_app,
        !args.dry_run,
        &api_url,
        NOTHING_WRITTEN,
    )?;
    if args.dry_run {
        return dry_run::dry_run(&args, &names, &targets, visibility, &api_url);
    }
    // A large blast radius is confirmed before the token or the value is asked for.
    let what = crate::output::words::List::comma(names.iter().map(SecretName::as_str));
    let from_pattern = found.is_some();
    super::confirm::blast_radius(
        &what.to_string(),
        &targets,
        from_pattern,
        args.yes,
        args.dry_run,
    )?;
    // Giving the app's flags means the app: no token is looked for.
    let credential =
        match found.map_or_else(|| Credential::find(&args.github_app, true, &api_url), Ok) {
            Ok(c) => c,
            Err(e) => return Err(Error::usage_then(e, NOTHING_WRITTEN)),
        };
    let (value, origin) = match value::read_value(&names, args.from_file.as_deref()) {
        Ok(v) => v,
        Err(e) => return Err(Error::usage_then(e, NOTHING_WRITTEN)),
    };
    let config = config(
        &args,
        &names,
        &targets,
        visibility,
        &credential,
        value,
        origin,
        &api_url,
    );
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return Err(Error::failed(e)),
    };
    let report = runtime.block_on(run_with_progress(&config, targets.len()));
    print::print_report(&args, &report, &targets, &credential, crate::env::now())
}

/// The engine's configuration: a token, or the app (whose installation token the engine mints
/// for exactly these targets and revokes at the end).
#[allow(clippy::too_many_arguments)]
fn config(
    args: &SetArgs,
    names: &[SecretName],
    targets: &[Target],
    visibility: Option<Visibility>,
    credential: &Credential,
    value: SecretValue,
    origin: Origin,
    api_url: &str,
) -> Config {
    Config {
        secrets: names
            .iter()
            .map(|name| NewSecret {
                name: name.clone(),
                value: value.clone(),
                origin: origin.clone(),
            })
            .collect(),
        // Nothing to compare with: `set` writes the value wherever it is asked to.
        current: None,
        fail_fast: !args.keep_going,
        ..super::config(
            &args.targets,
            targets,
            visibility,
            credential.auth(),
            api_url,
        )
    }
}

/// Runs the engine with a progress bar on standard error for runs over many targets, its ETA
/// from the client's pacing; a run that will outlast an hour is announced before it writes.
async fn run_with_progress(config: &Config, targets: usize) -> Report {
    let mut paced =
        super::progress::Paced::new(targets, matches!(config.auth, crate::config::Auth::App(_)));
    let report = crate::engine::run_with(
        config,
        Policy::from_env(),
        &mut |p: WriteProgress<'_>| paced.observe(p),
        &mut |t: &SecretValue| crate::output::redact::know_token(t),
    )
    .await;
    paced.finish();
    report
}
