//! The audit log's tests: records bound to a run and authenticated, the ledger a re-run folds,
//! and the file's place in the workspace.

use super::ledger::{EarlierWrite, Ledger};
use super::log::{AuditError, AuditLog, MAX_AUDIT_LOG_BYTES};
use super::record::{Record, RecordKey, RunBinding};
use crate::config::Auth;
use crate::report::outcome::OutcomeCode;

fn key(token: &str) -> Option<RecordKey> {
    RecordKey::of(&Auth::Token(crate::secret::SecretValue::from(token)))
}

fn run(attempt: u32) -> RunBinding {
    RunBinding {
        repository: "acme/api".into(),
        run_id: "42".into(),
        attempt,
        job: "refresh".into(),
        step: "write".into(),
        key: key("ghp_the_token_that_writes"),
    }
}

/// A record signed as the run of [`run`] signs it.
fn record(attempt: u32, outcome: OutcomeCode, secret: &str, target: &str) -> Record {
    signed(unsigned(attempt, outcome, secret, target))
}

/// `r` with the MAC the credential of [`run`] gives it (so only its binding is tested).
fn signed(mut r: Record) -> Record {
    r.mac = run(1).key.and_then(|k| {
        k.mac(&Record {
            mac: None,
            ..r.clone()
        })
    });
    r
}

fn unsigned(attempt: u32, outcome: OutcomeCode, secret: &str, target: &str) -> Record {
    Record {
        time: "2099-01-01T00:00:00Z".into(),
        run_repository: Some("acme/api".into()),
        run_id: Some("42".into()),
        run_attempt: Some(attempt),
        job: Some("refresh".into()),
        step: Some("write".into()),
        actor: None,
        secret: secret.into(),
        target: target.into(),
        target_type: None,
        app: None,
        repository: None,
        outcome,
        action: String::new(),
        key_id: Some("k1".into()),
        result: String::new(),
        mac: None,
    }
}

#[test]
fn only_records_authenticated_by_the_credential_that_writes_count() {
    use OutcomeCode::*;
    let genuine = record(1, Created, "A", "acme/api");
    assert!(Ledger::from_records([genuine.clone()], &run(2))
        .written("A", "acme/api")
        .is_some());
    let forged = unsigned(1, Created, "A", "acme/api");
    let mut other_token = forged.clone();
    other_token.mac = key("ghp_another_token").and_then(|k| k.mac(&other_token));
    let mut tampered = genuine.clone();
    tampered.secret = "B".into();
    let mut garbage = genuine.clone();
    garbage.mac = Some("00".repeat(32));
    for (what, r) in [
        ("unsigned", forged),
        ("another token", other_token),
        ("tampered", tampered),
        ("garbage", garbage),
    ] {
        let l = Ledger::from_records([r], &run(2));
        assert!(l.is_empty(), "{what}");
    }
    // Without a credential no record counts (nothing is written then anyway).
    let none = RunBinding {
        key: None,
        ..run(2)
    };
    assert!(Ledger::from_records([genuine.clone()], &none).is_empty());
    // An App's records are keyed by its private key, the same in every attempt.
    let app = |pem: &str| {
        RecordKey::of(&Auth::App(crate::config::AppCredentials {
            app_id: "1".into(),
            private_key: crate::secret::SecretValue::from(pem),
            installation_id: None,
        }))
    };
    assert_eq!(app("pem-a"), app("pem-a"));
    assert_ne!(app("pem-a"), app("pem-b"));
    assert_eq!(format!("{:?}", key("ghp_x")), "Some(RecordKey(***))");
    let mac = genuine.mac.clone().unwrap_or_default();
    assert!(mac.len() == 64 && mac.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn only_records_of_an_earlier_attempt_of_this_run_and_job_count() {
    use OutcomeCode::*;
    let mut other_run = record(1, Created, "A", "acme/x");
    other_run.run_id = Some("41".into());
    let mut other_repo = record(1, Created, "A", "acme/y");
    other_repo.run_repository = Some("evil/api".into());
    let mut other_job = record(1, Created, "A", "acme/z");
    other_job.job = Some("other".into());
    let mut other_step = record(1, Created, "A", "acme/v");
    other_step.step = Some("__run_2".into());
    let mut unbound = record(1, Created, "A", "acme/w");
    unbound.run_attempt = None;
    let records = vec![
        record(1, Created, "A", "acme/api"),
        record(1, Failed, "A", "acme/b"),
        record(1, NotAttempted, "B", "acme/b"),
        record(1, Unchanged, "C", "acme/b"),
        record(2, Created, "A", "acme/later"),
        signed(other_run),
        signed(other_repo),
        signed(other_job),
        signed(other_step),
        signed(unbound),
    ];
    let l = Ledger::from_records(records.clone(), &run(2));
    let key_id = Some("k1".into());
    assert_eq!(l.written("a", "acme/api"), Some(EarlierWrite { key_id }));
    assert!(l.missing("a", "acme/b") && l.missing("B", "acme/b"));
    assert!(!l.missing("C", "acme/b") && !l.has_missing("C"));
    for t in [
        "acme/later",
        "acme/x",
        "acme/y",
        "acme/z",
        "acme/v",
        "acme/w",
    ] {
        assert_eq!(l.written("A", t), None, "{t}");
    }
    assert!(l.unfinished(["A"], &["acme/api", "acme/b"]));
    assert!(!l.unfinished(["A", "B"], &["acme/api"]));
    // Attempt 3 sees attempt 2's record; a first attempt sees nothing.
    assert!(Ledger::from_records(records.clone(), &run(3))
        .written("A", "acme/later")
        .is_some());
    assert!(Ledger::from_records(records, &run(1)).is_empty());
}

#[test]
fn a_later_attempt_overrides_an_earlier_one_whatever_the_file_order() {
    use OutcomeCode::*;
    let l = Ledger::from_records(
        [
            record(2, Updated, "A", "acme/b"),
            record(1, Failed, "A", "acme/b"),
        ],
        &run(3),
    );
    assert!(!l.missing("A", "acme/b"));
    assert!(l.written("A", "acme/b").is_some());
}

#[test]
fn the_file_is_a_regular_file_inside_the_workspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&ws).expect("ws");
    std::fs::create_dir_all(&out).expect("out");
    let rec = record(1, OutcomeCode::Created, "A", "acme/api");
    let line = serde_json::to_string(&rec).expect("json") + "\n";

    let log = AuditLog::new(&ws.join("logs/a.jsonl"), &ws);
    log.append(std::slice::from_ref(&rec)).expect("append");
    let l = log.ledger(&run(2)).expect("ledger");
    assert!(l.written("A", "acme/api").is_some());
    assert!(log.ledger(&run(1)).expect("first").is_empty());

    std::fs::write(out.join("a.jsonl"), &line).expect("write");
    std::os::unix::fs::symlink(out.join("a.jsonl"), ws.join("link.jsonl")).expect("link");
    let link = AuditLog::new(&ws.join("link.jsonl"), &ws);
    assert!(matches!(
        link.ledger(&run(2)),
        Err(AuditError::SymbolicLink(_))
    ));
    assert!(matches!(link.append(&[]), Err(AuditError::SymbolicLink(_))));

    std::os::unix::fs::symlink(&out, ws.join("dir")).expect("dir link");
    let through = AuditLog::new(&ws.join("dir/new/b.jsonl"), &ws);
    assert!(matches!(
        through.append(&[]),
        Err(AuditError::OutsideWorkspace(_))
    ));
    assert!(!out.join("new").exists());
    let up = AuditLog::new(&ws.join("../out/a.jsonl"), &ws);
    assert!(matches!(
        up.ledger(&run(2)),
        Err(AuditError::OutsideWorkspace(_))
    ));

    std::fs::create_dir(ws.join("d.jsonl")).expect("dir");
    assert!(matches!(
        AuditLog::new(&ws.join("d.jsonl"), &ws).ledger(&run(2)),
        Err(AuditError::NotRegularFile(_)) | Err(AuditError::Io { .. })
    ));

    let big = std::fs::File::create(ws.join("big.jsonl")).expect("big");
    big.set_len(MAX_AUDIT_LOG_BYTES + 1).expect("len");
    assert!(matches!(
        AuditLog::new(&ws.join("big.jsonl"), &ws).ledger(&run(2)),
        Err(AuditError::TooLarge { .. })
    ));
}
