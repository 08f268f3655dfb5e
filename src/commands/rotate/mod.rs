//! `secret-refresh rotate NAME`: the rotation runbook as one command.
//!
//! 1. Read the new token once (hidden prompt typed twice, standard input, or `--from-file`).
//! 2. Validate it before anything is written: GitHub accepts it (`GET /user`), its kind (from
//!    its prefix), its expiry (a warning within `--expiry-warning-days`), and it reads every target's
//!    public key — the keys the writes then seal with (one key per target per run).
//! 3. Write it into every target through the engine (serial, paced; stop at the first failure
//!    unless `--keep-going`), with a progress bar on a terminal.
//! 4. Verify: each written secret's `updated_at` is at or after the rotation began, on GitHub's
//!    clock (the `Date` of its first answer).
//! 5. With `--revoke-old`, and only when every target verified: revoke the old token with
//!    GitHub's credential revocation API (github.com only, sent without authentication).
//! 6. Record the rotation in the audit log (targets, outcomes, times, kind and expiry; never a
//!    token).
//!
//! `--dry-run` stops after step 2 and prints the plan.
//!
//! One file per step: `read.rs` (1), `validate.rs` (2), `propagate.rs` (3 to 5, with
//! `verify.rs`), `record.rs` (6); `print.rs` says what each found, `advice.rs` how to finish or
//! roll back; `args.rs` is the command line.

mod advice;
pub mod args;
mod print;
mod propagate;
mod read;
mod record;
mod validate;
mod verify;

use crate::audit::rotation::{RevokeOutcome, RotationOutcome};
use crate::auth::token::TokenKind;
use crate::commands::words::NOTHING_WRITTEN;
use crate::commands::{Error, Style};
use crate::github::{Client, Policy};
use crate::output::words::Count;
use args::RotateArgs;
use print::{cancelled_before_writing, plan, print_check, print_outcome, writer_label, Final};
use propagate::rotate_checked;
use read::gather;
use record::record_rotation;
use validate::check_new;

pub fn run(args: RotateArgs) -> Result<(), Error> {
    let inputs = gather(&args)?;
    let runtime = super::runtime().map_err(Error::failed)?;
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let policy = Policy::from_env();
    let client = Client::new(inputs.api.as_str(), &inputs.new, policy.clone()).map_err(|e| {
        Error::Usage(Box::new(crate::error::InContext::new(
            "the new token: ",
            e,
            NOTHING_WRITTEN,
        )))
    })?;
    let kind = TokenKind::of(&inputs.new);
    let checked = match runtime.block_on(crate::cancel::or_abandon(check_new(
        &client,
        &inputs.targets,
        kind,
    ))) {
        Ok(c) => c,
        Err(signal) => return Err(cancelled_before_writing(signal, client.requests())),
    };
    let style = Style::stdout();
    print_check(style, &args, &inputs, &checked);
    if !checked.problems.is_empty() {
        super::print(&format!(
            "The new token did not pass: {} (checked with {}); nothing was written.\n",
            Count("problem", checked.problems.len()),
            Count("request", client.requests())
        ));
        return Err(Error::Reported);
    }
    if args.dry_run {
        let who = writer_label(inputs.writer.as_ref());
        super::print(&plan(&args, &inputs, &who, client.requests()));
        return Ok(());
    }
    if let Some(signal) = crate::cancel::requested() {
        return Err(cancelled_before_writing(signal, client.requests()));
    }
    let done = runtime.block_on(rotate_checked(&args, &inputs, &checked, &client, policy));
    let audit = record_rotation(&inputs.audit_log, &done.record);
    print_outcome(Final {
        args: &args,
        inputs: &inputs,
        done: &done,
        audit: audit.as_ref().map(|p| p.as_path()),
        style,
    });
    if let Err(e) = audit {
        return Err(Error::failed(e));
    }
    if done.record.outcome == RotationOutcome::Verified
        && done.record.revoke_old != RevokeOutcome::Failed
    {
        Ok(())
    } else {
        Err(Error::Reported)
    }
}
