//! The engine's decisions against an in-memory store: which pairs are written, kept,
//! stopped, failed and resumed, and the calls it takes. The HTTP tests cover the wire.

use crate::audit::ledger::Ledger;
use crate::audit::record::{records, RunBinding};
use crate::config::input::RunContext;
use crate::config::names::SecretName;
use crate::config::{Auth, Config, Destination, NewSecret, Origin, RepoSpec};
use crate::engine::memory_store::{Fails, MemoryStore};
use crate::engine::plan::Plan;
use crate::engine::write::Writer;
use crate::report::outcome::{Outcome, Report, SkipReason};
use crate::secret::SecretValue;
use crate::target::{App, Repo, Target};

fn secret(name: &str, value: &str) -> NewSecret {
    NewSecret {
        name: SecretName::parse(name).expect("name"),
        value: SecretValue::from(value),
        origin: Origin::Input,
    }
}

fn repo(name: &str) -> Target {
    Target::Repo {
        repo: Repo::parse(&format!("acme/{name}")).expect("repo"),
        app: App::Actions,
    }
}

fn config(secrets: Vec<NewSecret>, targets: &[Target]) -> Config {
    Config {
        auth: Auth::Token(SecretValue::from("ghp_test")),
        secrets,
        current: None,
        destination: Destination::Repos {
            repos: targets
                .iter()
                .filter_map(Target::repo)
                .map(|r| RepoSpec::Exact(r.clone()))
                .collect(),
            environment: None,
        },
        app: App::Actions,
        dry_run: false,
        api_url: "https://api.github.com".into(),
        fail_fast: false,
        allow_pull_request_target: false,
        token_expiry_warning_days: 14,
        audit_log: None,
        context: RunContext {
            default_repository: "acme/ops".into(),
            run_id: "77".into(),
            run_attempt: "1".into(),
            job: "refresh".into(),
            ..RunContext::default()
        },
        warnings: Vec::new(),
        refused: Vec::new(),
        preflight: false,
        stored_at: None,
    }
}

/// The run past authentication and resolution, as `run_with` does it, on `store`.
fn run_on(plan: Plan, config: &Config, store: &MemoryStore, targets: &[Target]) -> Report {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut report = plan.report(config);
        if plan.nothing_to_write(config, &mut report) {
            return report;
        }
        Writer {
            store,
            config,
            known: &[],
        }
        .write_resolved(&plan, targets, None, &mut |_| {}, &mut report)
        .await;
        report
    })
}

fn run(config: &Config, store: &MemoryStore, targets: &[Target]) -> Report {
    run_on(Plan::new(config), config, store, targets)
}

/// `secret target outcome-code` per row, in the report's order.
fn outcomes(report: &Report) -> Vec<String> {
    report
        .rows
        .iter()
        .map(|r| format!("{} {} {:?}", r.secret, r.target, r.outcome.code()))
        .collect()
}

#[test]
fn writes_each_secret_to_each_target_sealed_for_its_key() {
    let targets = [repo("api"), repo("web")];
    let config = config(
        vec![secret("A", "one"), secret("B", "two\nlines")],
        &targets,
    );
    let store = MemoryStore::new().with(&targets[1], "B", "old");
    let report = run(&config, &store, &targets);
    assert_eq!(
        outcomes(&report),
        [
            "A acme/api Created",
            "A acme/web Created",
            "B acme/api Created",
            "B acme/web Updated",
        ]
    );
    assert_eq!(store.value(&targets[0], "A").as_deref(), Some("one"));
    assert_eq!(store.value(&targets[1], "B").as_deref(), Some("two\nlines"));
    // One key per target, read ahead; then the writes, serial, target by target.
    assert_eq!(
        store.calls(),
        [
            "key acme/api",
            "key acme/web",
            "put acme/api/A",
            "put acme/api/B",
            "put acme/web/A",
            "put acme/web/B",
        ]
    );
    assert!(report.rows.iter().all(|r| r.key_id.is_some()));
    assert!(!report.failed());
}

#[test]
fn unchanged_secrets_cost_no_call() {
    let targets = [repo("api")];
    let mut config = config(vec![secret("A", "same"), secret("B", "new")], &targets);
    config.current = Some(
        [
            ("A".to_owned(), SecretValue::from("same")),
            ("B".to_owned(), SecretValue::from("old")),
        ]
        .into(),
    );
    let store = MemoryStore::new();
    let report = run(&config, &store, &targets);
    assert_eq!(
        outcomes(&report),
        ["A acme/api Unchanged", "B acme/api Created"]
    );
    assert_eq!(store.puts(), ["put acme/api/B"]);

    // Nothing changed: no call at all.
    config.secrets = vec![secret("A", "same")];
    let store = MemoryStore::new();
    let report = run(&config, &store, &targets);
    assert_eq!(outcomes(&report), ["A acme/api Unchanged"]);
    assert!(store.calls().is_empty());
}

#[test]
fn a_dry_run_reports_what_would_be_written_and_calls_nothing() {
    let targets = [repo("api"), repo("web")];
    let mut config = config(vec![secret("A", "one")], &targets);
    config.dry_run = true;
    let store = MemoryStore::new();
    let report = run(&config, &store, &targets);
    assert_eq!(
        outcomes(&report),
        ["A acme/api WouldWrite", "A acme/web WouldWrite"]
    );
    assert_eq!(report.skip, Some(SkipReason::DryRun));
    assert!(store.calls().is_empty());
}

#[test]
fn fail_fast_stops_at_the_first_failure_and_reads_no_key_ahead() {
    let targets = [repo("api"), repo("web"), repo("cli")];
    let mut config = config(vec![secret("A", "one"), secret("B", "two")], &targets);
    config.fail_fast = true;
    let store = MemoryStore::new().failing(&targets[1], Fails::Put);
    let report = run(&config, &store, &targets);
    assert_eq!(
        outcomes(&report),
        [
            "A acme/api Created",
            "A acme/web Failed",
            "A acme/cli NotAttempted",
            "B acme/api Created",
            "B acme/web NotAttempted",
            "B acme/cli NotAttempted",
        ]
    );
    assert_eq!(
        store.calls(),
        [
            "key acme/api",
            "put acme/api/A",
            "put acme/api/B",
            "key acme/web",
            "put acme/web/A",
        ]
    );
    let failed = report
        .rows
        .iter()
        .find(|r| r.target == "acme/web")
        .expect("row");
    assert!(failed
        .hint
        .as_deref()
        .expect("hint")
        .contains("Secrets: Read and write"));
    assert!(report.failed());
}

#[test]
fn without_fail_fast_a_failure_leaves_the_other_targets_written() {
    let targets = [repo("api"), repo("web"), repo("cli")];
    let config = config(vec![secret("A", "one")], &targets);
    let store = MemoryStore::new().failing(&targets[0], Fails::Key);
    let report = run(&config, &store, &targets);
    assert_eq!(
        outcomes(&report),
        [
            "A acme/api Failed",
            "A acme/web Created",
            "A acme/cli Created"
        ]
    );
    // The refused key is read once, and nothing is written there.
    assert_eq!(store.puts(), ["put acme/web/A", "put acme/cli/A"]);
    assert_eq!(store.value(&targets[2], "A").as_deref(), Some("one"));
    assert!(report.failed());
}

#[test]
fn a_rejected_write_refetches_the_key_once_and_retries() {
    let targets = [repo("api")];
    let config = config(vec![secret("A", "one")], &targets);
    let store = MemoryStore::new().failing(&targets[0], Fails::RejectPut(1));
    let report = run(&config, &store, &targets);
    assert_eq!(outcomes(&report), ["A acme/api Created"]);
    assert_eq!(
        store.calls(),
        [
            "key acme/api",
            "put acme/api/A",
            "key acme/api",
            "put acme/api/A"
        ]
    );
    // Written with the fresh key.
    assert_eq!(report.rows[0].key_id.as_deref(), Some("key-1"));
    assert_eq!(store.value(&targets[0], "A").as_deref(), Some("one"));
}

#[test]
fn a_rerun_of_the_same_run_writes_only_what_is_missing() {
    let targets = [repo("api"), repo("web")];
    let config1 = config(vec![secret("A", "one"), secret("B", "two")], &targets);
    let store = MemoryStore::new().failing(&targets[1], Fails::Key);
    let first = run(&config1, &store, &targets);
    assert_eq!(
        outcomes(&first),
        [
            "A acme/api Created",
            "A acme/web Failed",
            "B acme/api Created",
            "B acme/web Failed",
        ]
    );

    // Attempt 2 of the same run reads attempt 1's records back: what was written stands.
    let mut config2 = config(config1.secrets.clone(), &targets);
    config2.context.run_attempt = "2".into();
    let ledger = Ledger::from_records(
        records(&first, &config1, crate::env::now()),
        &RunBinding::of(&config2),
    );
    let store = MemoryStore::new();
    let second = run_on(
        Plan::with_ledger(&config2, ledger, None),
        &config2,
        &store,
        &targets,
    );
    assert_eq!(
        outcomes(&second),
        [
            "A acme/api AlreadyWritten",
            "A acme/web Created",
            "B acme/api AlreadyWritten",
            "B acme/web Created",
        ]
    );
    assert_eq!(
        store.calls(),
        ["key acme/web", "put acme/web/A", "put acme/web/B"]
    );
    // The earlier write's key id is kept for the audit.
    assert_eq!(second.rows[0].key_id, first.rows[0].key_id);

    // Another run's records count for nothing: everything is written again.
    let mut other = config(config1.secrets.clone(), &targets);
    other.context.run_id = "78".into();
    other.context.run_attempt = "2".into();
    let ledger = Ledger::from_records(
        records(&first, &config1, crate::env::now()),
        &RunBinding::of(&other),
    );
    let store = MemoryStore::new();
    let fresh = run_on(
        Plan::with_ledger(&other, ledger, None),
        &other,
        &store,
        &targets,
    );
    assert!(fresh.rows.iter().all(|r| r.outcome == Outcome::Created));
}

#[test]
fn a_signal_before_any_write_cancels_every_pair_to_write_and_keeps_the_unchanged() {
    let targets = [repo("api"), repo("web")];
    let mut config = config(vec![secret("A", "new"), secret("B", "same")], &targets);
    config.current = Some([("B".to_owned(), SecretValue::from("same"))].into());
    let plan = Plan::new(&config);
    let mut report = plan.report(&config);
    plan.cancel_rest(&mut report, crate::cancel::Signal::Terminate);
    assert_eq!(
        outcomes(&report),
        [
            "A acme/api Cancelled",
            "A acme/web Cancelled",
            "B acme/api Unchanged",
            "B acme/web Unchanged",
        ]
    );
    assert_eq!(
        report.fatal,
        Some(crate::cancel::how_to_finish(
            crate::cancel::Signal::Terminate
        ))
    );
}

/// A dry run with a credential reads each key once, writes nothing, and fails the pair whose
/// key cannot be read (the real run could not write it either).
#[test]
fn a_checked_dry_run_reads_each_key_and_writes_nothing() {
    let targets = [repo("api"), repo("web")];
    let mut config = config(vec![secret("A", "one")], &targets);
    config.dry_run = true;
    let store = MemoryStore::new().failing(&targets[1], Fails::Key);
    let plan = Plan::new(&config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let report = runtime.block_on(async {
        let mut report = plan.report(&config);
        assert!(plan.dry_run_checks(&config, &mut report));
        Writer {
            store: &store,
            config: &config,
            known: &[],
        }
        .check_resolved(&plan, &targets, &mut report)
        .await;
        report
    });
    assert_eq!(
        outcomes(&report),
        ["A acme/api WouldWrite", "A acme/web Failed"]
    );
    assert_eq!(store.calls(), ["key acme/api", "key acme/web"]);
    assert!(store.puts().is_empty());
    assert_eq!(report.skip, Some(SkipReason::DryRun));
    assert!(report.dry_run_checked && report.failed());

    // Without a credential it is not checked: no call at all.
    config.auth = Auth::None;
    let mut report = plan.report(&config);
    assert!(!plan.dry_run_checks(&config, &mut report));
    assert!(!report.dry_run_checked);
}

/// With preflight's record, each target with something to write is listed just before its
/// writes; a secret stored (or created) since is not overwritten, one unchanged since is, one
/// deleted since is written, and a target the record does not name is written unchecked.
#[test]
fn a_value_stored_since_preflight_is_kept() {
    use crate::config::stored_at::StoredAt;
    let targets = [repo("api"), repo("web"), repo("new")];
    let mut config = config(
        vec![
            secret("MOVED", "m"),
            secret("SAME", "s"),
            secret("CREATED", "c"),
        ],
        &targets,
    );
    let epoch = time::OffsetDateTime::UNIX_EPOCH;
    let store = MemoryStore::new()
        .with(&targets[0], "MOVED", "old")
        .with(&targets[0], "SAME", "old")
        .with(&targets[1], "SAME", "old");
    let mut record = StoredAt::default();
    for t in &targets[..2] {
        let seen: Vec<(String, time::OffsetDateTime)> = ["MOVED", "SAME"]
            .into_iter()
            .filter(|n| store.written_at(t, n).is_some())
            .map(|n| (n.to_owned(), epoch))
            .collect();
        record.record(&t.to_string(), seen);
    }
    config.stored_at = Some(record);
    // Another run, after preflight: MOVED written again in api, CREATED created in api.
    let later = epoch + time::Duration::minutes(3);
    store.store(&targets[0], "MOVED", "newer", later);
    store.store(&targets[0], "CREATED", "newer", later);

    let report = run(&config, &store, &targets);
    assert_eq!(
        outcomes(&report),
        [
            "MOVED acme/api Conflict",
            "MOVED acme/web Created",
            "MOVED acme/new Created",
            "SAME acme/api Updated",
            "SAME acme/web Updated",
            "SAME acme/new Created",
            "CREATED acme/api Conflict",
            "CREATED acme/web Created",
            "CREATED acme/new Created",
        ]
    );
    assert_eq!(store.value(&targets[0], "MOVED").as_deref(), Some("newer"));
    assert_eq!(
        store.value(&targets[0], "CREATED").as_deref(),
        Some("newer")
    );
    assert_eq!(report.conflicted(), ["acme/api:MOVED", "acme/api:CREATED"]);
    assert_eq!(report.not_prechecked, ["acme/new"]);
    // Listed just before each named target's writes; the unnamed one is not listed.
    let calls: Vec<String> = store
        .calls()
        .into_iter()
        .filter(|c| !c.starts_with("key "))
        .collect();
    assert_eq!(
        calls,
        [
            "list acme/api",
            "put acme/api/SAME",
            "list acme/web",
            "put acme/web/MOVED",
            "put acme/web/SAME",
            "put acme/web/CREATED",
            "put acme/new/MOVED",
            "put acme/new/SAME",
            "put acme/new/CREATED",
        ]
    );
}
