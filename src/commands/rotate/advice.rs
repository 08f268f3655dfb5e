//! How a stopped rotation ends: the command that finishes it (the same, for the targets not
//! done) and the one that rolls it back (the old token written back where the new one went).

use super::args::RotateArgs;
use crate::commands::options::EXPIRY_WARNING_DAYS;
use crate::commands::words::Rerun;
use crate::target::Target;

/// The command that finishes the rotation: the same, for the targets not done.
pub(super) fn finish_advice(args: &RotateArgs, rest: &[&Target]) -> String {
    let days = args.expiry.expiry_warning_days;
    let warn_days = Some(days.to_string()).filter(|_| days != EXPIRY_WARNING_DAYS);
    Rerun::new("rotate")
        .args([&args.name])
        .targets(&args.targets, rest, "The targets not done")
        .scope(&args.targets)
        .path("--from-file", args.from_file.as_deref())
        .flag("--write-with-new", args.write_with_new)
        .option("--expiry-warning-days", warn_days.as_deref())
        .flag("--revoke-old", args.revoke_old)
        .path(
            "--old-from-file",
            args.old_from_file.as_deref().filter(|_| args.revoke_old),
        )
        .path("--audit-log", args.audit_log.as_deref())
        .connection(args.api_url.as_deref(), &args.github_app)
        .flag("--keep-going", args.keep_going)
        .advice(
            "Fix the cause above, then finish with the same new token (running the whole \
             command again is safe too)",
        )
}

/// How to undo: the old token still works until it is revoked, so writing it back where the
/// new one went restores the targets as they were.
pub(super) fn rollback_advice(args: &RotateArgs, done: &[&Target]) -> String {
    if done.is_empty() {
        return "Nothing has the new token yet: the old one is still in place everywhere.\n"
            .to_owned();
    }
    Rerun::new("set")
        .args([&args.name])
        .targets(&args.targets, done, "The targets that have the new token")
        .scope(&args.targets)
        .connection(args.api_url.as_deref(), &args.github_app)
        .advice(
            "To roll back instead (the old token works until it is revoked), write the old \
             token back where the new one went, typing the old token when asked",
        )
}
